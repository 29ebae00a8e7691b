"""Adaptive construction: sample on grids of doubling size until the series is resolved.

On each grid (17, 33, 65, ... points for Chebyshev; 33, 65, ... for
Fourier, as Chebfun) the samples are turned into coefficients and
:func:`~numeric.fun.chop.standard_chop` looks for a plateau at the
tolerance; the first grid that shows one gives the result, chopped. When
the maximum length is reached without a plateau the function is not
smooth enough (a jump, a kink, a singularity or blow-up, noise): the error
says which, from the decay rate of the coefficients, instead of returning
a silently inaccurate Fun.

Examples
--------
>>> import numpy as np
>>> from numeric.fun import Chebyshev
>>> from numeric.fun.construct import adaptive_coefficients
>>> space = Chebyshev(-1, 1)
>>> c = adaptive_coefficients(lambda n: np.exp(space.points(n)), space)
>>> len(c)
15
"""

from __future__ import annotations

import warnings
from typing import Any, Callable

import numpy as np

from numeric.fun.coeffs import all_finite, magnitudes, tolerance

__all__ = ["adaptive_coefficients", "FunConstructionError", "FunConstructionWarning",
           "diagnose_unresolved"]


class FunConstructionError(ValueError):
    """The function could not be resolved (non-smooth, singular, or non-finite samples)."""


class FunConstructionWarning(UserWarning):
    """A Fun was returned at the maximum length without being resolved."""


def adaptive_coefficients(
    sample: Callable[[int], Any],
    space: Any,
    *,
    tol: float | None = None,
    maxlength: int | None = None,
    start: int = 0,
    on_unresolved: str = "error",
    what: str = "the function",
    sample_test: Callable[[Any], bool] | None = None,
) -> Any:
    """Coefficients of *sample* resolved to *tol* on *space*.

    Parameters
    ----------
    sample : callable
        ``sample(n)`` returns the function's values at ``space.points(n)``.
    space : Chebyshev or Fourier
    tol : float, optional
        Relative tolerance; the machine epsilon of the sampled values' type.
    maxlength : int, optional
        Largest grid tried (default 65537, or 1025 for mpf values).
    start : int
        Smallest grid worth trying (an operation's result is at least as long
        as its arguments).
    on_unresolved : {"error", "warn"}
        What to do when *maxlength* is reached: raise
        :class:`FunConstructionError`, or warn and return the unchopped series.
    what : str
        Name of the function in messages.
    sample_test : callable, optional
        ``sample_test(c)`` is False when the chopped series disagrees with the
        function off the grid (a grid that aliases a high frequency onto a low
        one looks resolved); the construction then goes on refining.
    """
    from numeric.fun.spaces import DEFAULT_MAXLENGTH, DEFAULT_MAXLENGTH_MP

    if on_unresolved not in ("error", "warn"):
        raise ValueError(f"on_unresolved must be 'error' or 'warn', got {on_unresolved!r}")
    limit = maxlength
    c = None
    previous_scale = None
    for n in space.grid_sizes(start, limit or DEFAULT_MAXLENGTH):
        v = sample(n)
        if not all_finite(v):
            raise FunConstructionError(
                f"{what} gave non-finite values (nan or inf) at some of the {n} sample points "
                f"on [{space.a}, {space.b}]: it has a singularity there or is undefined. "
                "Choose an interval that avoids it")
        c = space.vals2coeffs(v)
        if limit is None and _is_mp(c):
            limit = DEFAULT_MAXLENGTH_MP
        t = tolerance(c) if tol is None else tol
        mags = magnitudes(c)
        keep = space.cutoff(mags, t)
        if keep < n and (sample_test is None or sample_test(c[:keep])):
            return c[:keep]
        scale = float(np.max(mags))
        if previous_scale is not None and scale > 1e8 * max(previous_scale, 1e-300):
            raise FunConstructionError(
                f"{what} is not resolved: its size grew from {previous_scale:.3g} to {scale:.3g} "
                f"when the grid went to {n} points, the sign of a blow-up (a pole or singularity "
                f"on or near [{space.a}, {space.b}])")
        previous_scale = scale
        if limit is not None and n >= limit:
            break
    message = diagnose_unresolved(magnitudes(c), what, c.shape[0], space)
    if on_unresolved == "warn":
        warnings.warn(message, FunConstructionWarning, stacklevel=3)
        return c
    raise FunConstructionError(message)


def _is_mp(c: Any) -> bool:
    from numeric.fun.coeffs import is_mp

    return is_mp(c)


def diagnose_unresolved(mags: np.ndarray, what: str, n: int, space: Any) -> str:
    """A message naming the likely cause, from the algebraic decay rate of the tail.

    Coefficients of a function with a jump decay like k^-1, with a kink
    (jump in the derivative) like k^-2; no decay at all means noise or a
    singularity.
    """
    m = mags / max(float(np.max(mags)), 1e-300)
    k = np.arange(1, m.shape[0] + 1, dtype=float)
    lo, hi = max(m.shape[0] // 8, 1), max(m.shape[0] // 2, 2)
    env = np.maximum.accumulate(m[::-1])[::-1][lo:hi]
    good = env > 0
    slope = float("nan")
    if np.count_nonzero(good) > 2:
        slope = float(np.polyfit(np.log(k[lo:hi][good]), np.log(env[good]), 1)[0])
    if slope > -0.5:
        cause = "its coefficients do not decay: a singularity, a blow-up or noisy samples"
    elif slope > -1.5:
        cause = "its coefficients decay like 1/k: a jump (discontinuity)"
    elif slope > -2.5:
        cause = "its coefficients decay like 1/k^2: a kink (a jump in the derivative)"
    else:
        cause = (f"its coefficients decay only algebraically (like k^{slope:.1f}): a weak "
                 "singularity in a higher derivative, or it needs more points")
    return (f"{what} is not resolved with the maximum length {n} on "
            f"[{space.a}, {space.b}]; {cause}. A Fun represents smooth functions: split the "
            "interval at the non-smooth point, or raise maxlength if it is just very wiggly")
