"""Consistent initial values of ``F(du, u, p, t0) = 0`` (Brown, Hindmarsh & Petzold).

P. N. Brown, A. C. Hindmarsh, L. R. Petzold, "Consistent initial condition calculation for
differential-algebraic systems", SIAM J. Sci. Comput. 19 (1998) 1495-1512 (IDA's
``IDACalcIC`` with ``IDA_YA_YDP_INIT``): the differential components of ``u0`` are kept; the
unknowns are the derivatives of the differential components and the algebraic components
themselves. For an index-1 system the Jacobian of ``F`` in those unknowns,
``[dF/d(du)[:, diff] | dF/du[:, alg]]``, is nonsingular, and Newton's method converges from a
nearby guess. The derivatives of the algebraic components do not enter ``F`` and are left as
given. Newton runs on the caller's number type with the primal Jacobian, so a dual parameter's
derivative of the consistent values converges with them (one more correction is taken after
the values converged, as in :mod:`solvers.ode.stiff.newton`).
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from solvers import linalg
from solvers._nm import is_finite_real, nm
from solvers.dae.jacobians import residual_jacobians

__all__ = ["differential_components", "consistent_initial_values"]


def differential_components(F: Callable, du0: Any, u0: Any, p: Any, t0: Any) -> np.ndarray:
    """Booleans: ``True`` where ``du[i]`` enters ``F`` at ``(du0, u0)`` (a non-zero column of dF/d(du))."""
    _, Jd = residual_jacobians(F, du0, u0, p, t0)
    return np.asarray(Jd, dtype=float).any(axis=0)


def consistent_initial_values(F: Callable, du0: Any, u0: Any, p: Any, t0: Any, diff: Any, *,
                              tol: float = 1e-12, maxiter: int = 30) -> tuple:
    """``(du0, u0)`` with ``F(du0, u0, p, t0) = 0``, differential components of ``u0`` kept.

    Raises
    ------
    ValueError
        When Newton's method does not converge (a system of index above 1, or a guess too far
        off): pass consistent values, or better guesses of the algebraic components.

    Examples
    --------
    >>> import numpy as np
    >>> F = lambda du, u, p, t: np.array([du[0] + u[0], u[0] + u[1] - 1.0])
    >>> du, u = consistent_initial_values(F, np.zeros(2), np.array([0.25, 0.0]), None, 0.0,
    ...                                   np.array([True, False]))
    >>> du.tolist(), u.tolist()
    ([-0.25, 0.0], [0.25, 0.75])
    """
    diff = np.asarray(diff, dtype=bool)
    di, ai = np.flatnonzero(diff), np.flatnonzero(~diff)
    du, u = du0 + u0 * 0, u0 + du0 * 0  # one common type for both
    r0 = F(du, u, p, t0) * 0  # and the residual's (a dual parameter makes the unknowns duals)
    du, u = du + r0, u + r0
    sweeps = 0
    for _ in range(maxiter):
        r = F(du, u, p, t0)
        Ju, Jd = residual_jacobians(F, du, u, p, t0)
        A = np.where(diff[None, :], Jd, Ju)
        try:
            dz = linalg.solve(np.asarray(A, dtype=float), -r)
        except (np.linalg.LinAlgError, ZeroDivisionError) as exc:
            raise ValueError(f"consistent initialisation: the Jacobian in (du of the differential, u of the "
                             f"algebraic components) is singular ({exc}); the DAE may have index > 1, or "
                             "differential_vars is wrong") from None
        du, u = du.copy(), u.copy()
        du[di] = du[di] + dz[di]
        u[ai] = u[ai] + dz[ai]
        size = float(nm.value(nm.norm(nm.value(dz))))
        scale = 1.0 + float(nm.value(nm.norm(nm.value(u))))
        if not is_finite_real(size):
            break
        if size <= tol * scale:
            sweeps += 1
            if sweeps >= 2:  # one more correction after convergence: tangent parts converge too
                return du, u
    raise ValueError("consistent initialisation: Newton's method did not converge; pass consistent du0/u0 "
                     "or better guesses of the algebraic components")
