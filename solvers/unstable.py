"""The ``unstable_check=`` option of ODE and SDE solves: a user test that ends a solve as ``Unstable``.

Every solve already stops with retcode ``Unstable`` when the state stops being finite. A
fixed-step solve has no error control, so a step size outside the method's stability region
can also grow the state to huge but finite values, and the run would end ``Success``. The option
``unstable_check(dt, u, p, t) -> bool`` (the signature of DifferentialEquations.jl's
``unstable_check``) is called after every accepted step with the step size, the new state, the
parameters and the new time; True ends the solve with retcode ``Unstable`` and a message naming
the time. :func:`norm_exceeds` builds the common check, a bound on the state's norm.

Examples
--------
>>> import numpy as np
>>> from solvers import ODEProblem, Euler, solve
>>> stiff = ODEProblem(lambda u, p, t: -50.0 * u, np.array([1.0]), (0.0, 5.0))
>>> solve(stiff, Euler(), dt=0.05).retcode.name     # |1 - 2.5|^100: finite, and wrong
'Success'
>>> sol = solve(stiff, Euler(), dt=0.05, unstable_check=norm_exceeds(1e3), verbose=False)
>>> sol.retcode.name, sol.message
('Unstable', 'unstable_check returned True at t = 0.9000000000000002')
"""

from __future__ import annotations

from typing import Any, Callable

from solvers._nm import nm

__all__ = ["check_unstable_check", "norm_exceeds", "unstable_at"]


def check_unstable_check(fn: Any) -> Callable | None:
    """*fn* itself when it is None or callable; a clear error otherwise."""
    if fn is None or callable(fn):
        return fn
    raise TypeError(f"unstable_check must be a function (dt, u, p, t) -> bool, got {type(fn).__name__}; "
                    "for a bound on the state's size use solvers.norm_exceeds(limit)")


def unstable_at(fn: Callable | None, dt: Any, u: Any, p: Any, t: Any) -> str | None:
    """The message ending the solve when ``fn(dt, u, p, t)`` is true, else None."""
    if fn is None:
        return None
    flag = fn(dt, u, p, t)
    try:
        flag = bool(flag)
    except (TypeError, ValueError) as exc:  # an array's truth value is ambiguous
        raise TypeError(f"unstable_check must return one bool, got {type(flag).__name__}: reduce it "
                        "(e.g. with np.any)") from exc
    return f"unstable_check returned True at t = {nm.value(t)}" if flag else None


def norm_exceeds(limit: float) -> Callable:
    """An ``unstable_check`` that is true once the state's norm exceeds *limit*.

    The norm is :func:`numeric.norm` of the state's value (the root mean square of the
    components' magnitudes, as the error norm; derivative partials and uncertainties do not count).

    Examples
    --------
    >>> import numpy as np
    >>> check = norm_exceeds(10.0)
    >>> check(0.1, np.array([3.0, -15.0]), None, 0.0), check(0.1, np.array([3.0, 9.0]), None, 0.0)
    (True, False)
    """
    limit = float(limit)
    if not limit > 0:
        raise ValueError(f"norm_exceeds: the limit must be positive, got {limit}")

    def exceeds(dt: Any, u: Any, p: Any, t: Any) -> bool:
        return bool(nm.norm(nm.value(u)) > limit)

    exceeds.__qualname__ = f"norm_exceeds({limit!r})"
    return exceeds
