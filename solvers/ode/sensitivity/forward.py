"""Forward-mode sensitivities: ``ForwardDiffSensitivity`` (discretise, then differentiate).

``solve(prob, alg, sensealg=ForwardDiffSensitivity())`` differentiates the
solver's own arithmetic, as ForwardDiff.jl through DifferentialEquations.jl:
the derivatives are exact derivatives of the discrete solution, whichever
number type carries them (``Dual`` scalars, ``DualArray``, ``Measurement``
linear propagation). Two paths compute the same thing:

generic
    The number types pass through the unchanged solver (what ``solve`` does
    without a ``sensealg``).
compiled
    When the partials ride on float64 values (``Dual``/``DualArray`` entries
    of ``u0`` and ``p``, or one ``MeasurementArray``), the method is an
    explicit Runge–Kutta tableau and ``f`` records as a scalar program, ``f``
    is recorded once on a tape (:mod:`numeric.reverse.record`, guards
    included), a numba kernel computing ``f`` and its JVP in k directions is
    generated from the rules table (:mod:`numeric.reverse.compile_jvp`) and
    the whole solve runs in the compiled loop of :mod:`solvers.ode.compiled`
    on the float state ``[u, du/dθ_1, ..., du/dθ_k]``
    (:mod:`solvers.ode.sensitivity.forward_compiled`). The outputs are
    rebuilt as the input's number type. A guard that fails during the solve
    (``f`` branches differently than when recorded) sends the solve down the
    generic path, with the reason in ``sol.compile_message``.

``compile``: None (default) takes the compiled path when the problem
qualifies and says why not in ``sol.compile_message`` otherwise; True raises
when it does not qualify; False always takes the generic path. The first
solve of a right-hand side compiles its kernel (about a second); later ones,
in the same process, reuse it (the kernel source is keyed by the recorded
program, so a changed constant in ``f`` gets a new kernel, never a stale one).

``norm_partials``: whether the partials enter the step-size controller's
error norm (:class:`~solvers.ode.errornorm.ErrorNorm`). True (default, as
DifferentialEquations.jl does for duals) controls the error of the
derivatives as well as of the values, at the price of more steps (O2: 440
instead of 287; the norm is the RMS over all values and partials, DiffEqBase's
convention, :mod:`solvers.ode.errornorm`). False takes exactly the float solve's steps: the
derivatives are then the derivatives of the discrete solution on those
steps, accurate to about the tolerance on smooth problems but not
controlled, and a problem whose sensitivities vary faster than its
solution gets less accurate derivatives than the tolerance suggests.

Examples
--------
>>> import numpy as np, numeric as nm
>>> from solvers import ODEProblem, Tsit5, solve
>>> from solvers.ode.sensitivity import ForwardDiffSensitivity
>>> def decay(u, p, t):
...     return -p[0] * u
>>> p = nm.DualArray(np.array([0.5]), np.ones((1, 1)))
>>> sol = solve(ODEProblem(decay, np.array([1.0]), (0.0, 2.0), p), Tsit5(), rtol=1e-10, atol=1e-12,
...             sensealg=ForwardDiffSensitivity(norm_partials=False, compile=False))
>>> bool(abs(sol.u[-1].partials[0, 0] - (-2.0 * np.exp(-1.0))) < 1e-8)
True
"""

from __future__ import annotations

from typing import Any

from solvers.ode.errornorm import ErrorNorm
from solvers.ode.sensitivity.base import SensitivityAlgorithm

__all__ = ["ForwardDiffSensitivity"]


class ForwardDiffSensitivity(SensitivityAlgorithm):
    """Differentiate the solver's arithmetic (see the module docstring).

    Parameters
    ----------
    norm_partials : bool, default True
        Let the partials enter the step-size controller's error norm.
    compile : bool or None, default None
        The compiled forward-mode path: None when the problem qualifies, True
        always (an error when it does not qualify), False never.
    """

    def __init__(self, norm_partials: bool = True, compile: bool | None = None):
        if not isinstance(norm_partials, bool):
            raise TypeError(f"ForwardDiffSensitivity: norm_partials must be True or False, got {norm_partials!r}")
        if compile is not None and not isinstance(compile, bool):
            raise TypeError(f"ForwardDiffSensitivity: compile must be None, True or False, got {compile!r}")
        self.norm_partials = norm_partials
        self.compile = compile

    def solve(self, prob: Any, alg: Any, options: dict) -> Any:
        """The solve of *prob* with the partials carried through (compiled when possible)."""
        options = dict(options)
        if options.get("errornorm") is not None:
            raise ValueError("ForwardDiffSensitivity sets the error norm itself: drop errornorm= and use "
                             "ForwardDiffSensitivity(norm_partials=...)")
        options["errornorm"] = ErrorNorm(partials=self.norm_partials)
        why = "compile=False"
        if self.compile is not False:
            from solvers.ode.sensitivity.forward_compiled import solve_forward_compiled

            sol, why = solve_forward_compiled(prob, alg, options, self.norm_partials)
            if sol is not None:
                return sol
            if self.compile:
                raise ValueError(f"ForwardDiffSensitivity(compile=True): {why}")
        return _generic(prob, alg, options, why)


def _generic(prob: Any, alg: Any, options: dict, why: str) -> Any:
    """The solve with the number types passing through the solver; *why* the compiled path did not run."""
    from solvers.ode.integrator import solve_ode

    if alg is None:
        from solvers.ode.algorithms import Tsit5

        alg = Tsit5()
    sol = solve_ode(prob, alg, **options)
    sol.compiled, sol.compile_message = False, f"forward mode through the generic solver: {why}"
    return sol
