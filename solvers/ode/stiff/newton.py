"""The simplified Newton iteration of the implicit stiff methods (one loop, shared).

``newton(residual, z0, solve, norm, tol)`` solves ``G(z) = 0`` written as the fixed-point
correction ``z <- z + solve(residual(z))``, where ``residual(z) = -G(z)`` and ``solve`` applies the
inverse of a (possibly stale) factorised iteration matrix ``W ~ G'(z)`` (the methods pass
``W.solve`` of :func:`solvers.ode.stiff.linsolve.iteration_matrix`; the LU is reused across
iterations and, by the caller, across stages and steps). Convergence is judged as in
Hairer & Wanner, *Solving ODEs II*, section IV.8 (eqs. (8.10)-(8.12)), on the caller's scaled norm:

* the rate ``theta_k = ||dz_k|| / ||dz_{k-1}||``; ``theta >= 1`` is divergence (adaptive steps);
* stop when ``eta_k ||dz_k|| <= tol`` with ``eta_k = theta_k / (1 - theta_k)`` (the remaining
  error of a linearly converging iteration); the first iteration uses
  ``eta_0 = max(eta_old ** 0.8, ETA_MIN)`` from the previous solve (kept in a :class:`NewtonRate`;
  HW use ``uround`` for ``ETA_MIN``; the larger floor stops a fast previous solve from letting a
  large first correction through);
* give up early when even at the current rate the iteration could not reach ``tol`` within
  ``maxiter`` iterations: ``theta^(maxiter - k) / (1 - theta) ||dz_k|| > tol``. Both early exits
  are for adaptive steps (``predict_failure``); fixed steps iterate to ``maxiter``.

The caller decides what a failure means (a fresh Jacobian, a smaller step). For number types
that carry derivatives or uncertainties (``extra_sweep=True``), one more correction after
convergence makes the tangent parts converge as well as the values.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from solvers._nm import is_finite_real, nm

__all__ = ["newton", "NewtonRate", "ETA_MIN"]

ETA_MIN = 1e-2  # floor of the first iteration's eta: one correction is accepted only if it is within
# tol / ETA_MIN (HW's max(eta_old, uround) ** 0.8 lets a tiny eta of a previous, linear solve accept a
# first correction far above the tolerance)


@dataclass
class NewtonRate:
    """What one Newton solve leaves for the next: ``eta`` (starting estimate) and the last
    contraction rate ``theta`` (the methods refresh the Jacobian when it is slow)."""

    eta: float = 1.0
    theta: float = 0.0


def newton(residual: Callable, z0: Any, solve: Callable, norm: Callable, tol: float, *,
           maxiter: int = 10, rate: NewtonRate | None = None, stats: Any = None,
           extra_sweep: bool = False, predict_failure: bool = True) -> tuple:
    """Simplified Newton iteration ``z <- z + solve(residual(z))``; returns ``(z, converged, iterations)``.

    Parameters
    ----------
    residual : callable
        ``residual(z) = -G(z)``.
    z0 : array-like
        Starting guess.
    solve : callable
        ``solve(r)`` approximately ``G'(z)^-1 r`` (a factorised iteration matrix).
    norm : callable
        ``norm(dz)`` -> real (the step's scaled error norm; ``<= 1`` means "within tolerance").
    tol : float
        Stop when the predicted remaining error is below ``tol`` in that norm.
    maxiter : int
        Most corrections.
    rate : NewtonRate, optional
        Carries ``eta`` between solves and receives the last ``theta``.
    stats : Stats, optional
        ``nnewton`` counts the corrections.
    extra_sweep : bool
        One more correction after convergence (derivative-carrying number types).
    predict_failure : bool
        Give up as soon as the measured rate predicts no convergence within ``maxiter`` or the
        correction grew (the adaptive methods then retry with a smaller step); ``False`` iterates
        to ``maxiter`` (or a non-finite correction), as fixed steps need: a failed fixed step ends
        the solve, and a rate measured over two corrections misjudges a system whose components
        converge one after the other.

    Examples
    --------
    >>> import numpy as np
    >>> z, ok, it = newton(lambda z: 2.0 - z * z, np.array([1.4]), lambda r: r / 2.8,
    ...                    lambda d: float(abs(d[0])) / 1e-10, 1e-2)
    >>> bool(ok), bool(abs(z[0] - 2 ** 0.5) < 1e-10)
    (True, True)
    """
    rate = NewtonRate() if rate is None else rate
    eta = max(rate.eta ** 0.8, ETA_MIN)
    z, old = z0, None
    for it in range(1, maxiter + 1):
        dz = solve(residual(z))
        if stats is not None:
            stats.nnewton = getattr(stats, "nnewton", 0) + 1
        nrm = float(nm.value(norm(dz)))
        if not is_finite_real(nrm):
            return z, False, it
        z = z + dz
        if old is not None:
            theta = nrm / old if old > 0 else 0.0
            rate.theta = theta
            if theta >= 1 and not predict_failure:  # fixed steps: keep iterating to maxiter
                old = nrm
                continue
            if theta >= 1 or (predict_failure and theta ** (maxiter - it) / (1 - theta) * nrm > tol):
                return z, False, it
            eta = theta / (1 - theta)
        if eta * nrm <= tol or nrm == 0:
            rate.eta = eta
            if extra_sweep:
                z = z + solve(residual(z))
            return z, True, it
        old = nrm
    return z, False, maxiter
