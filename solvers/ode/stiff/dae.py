"""Consistent initial values for ``M u' = f(u, p, t)`` with a singular mass matrix.

The algebraic equations are the rows of ``M`` that are entirely zero; the
algebraic variables the columns that are entirely zero (index-1 DAEs in
semi-explicit form, as ROBER with ``y1 + y2 + y3 = 1``). Newton's method on
``f(u, p, t0)[alg_rows] = 0`` in the algebraic variables, differential
variables held fixed (the "BrownFullBasicInit"-free, simplest choice that
Hairer & Wanner use for index-1 problems).
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from solvers import linalg
from solvers._nm import nm

__all__ = ["algebraic_indices", "consistent_initial_state"]


def algebraic_indices(M: Any) -> tuple:
    """``(rows, cols)``: indices of the all-zero rows and columns of *M* (primal values)."""
    Mv = np.asarray(nm.value(np.asarray(M)), dtype=float)
    return np.flatnonzero(~Mv.any(axis=1)), np.flatnonzero(~Mv.any(axis=0))


def consistent_initial_state(f: Callable, jac: Callable, u0: Any, p: Any, t0: Any, M: Any,
                             *, tol: float | None = None, maxiter: int = 20) -> Any:
    """*u0* with its algebraic variables corrected so the algebraic equations hold at *t0*.

    Raises
    ------
    ValueError
        When the number of algebraic equations and variables differ (not semi-explicit),
        or Newton's method does not converge (then give a consistent ``u0`` yourself).

    Examples
    --------
    >>> import numpy as np
    >>> f = lambda u, p, t: np.array([-u[0], u[0] + u[1] - 1.0])
    >>> jac = lambda u, p, t: np.array([[-1.0, 0.0], [1.0, 1.0]])
    >>> consistent_initial_state(f, jac, np.array([0.25, 0.0]), None, 0.0, np.diag([1.0, 0.0]))
    array([0.25, 0.75])
    """
    rows, cols = algebraic_indices(M)
    if len(rows) == 0 and len(cols) == 0:
        return u0
    if len(rows) != len(cols):
        raise ValueError(
            f"mass matrix has {len(rows)} zero rows but {len(cols)} zero columns: only semi-explicit "
            "index-1 DAEs are initialised automatically; pass a consistent u0"
        )
    u = u0.copy()
    eps = nm.eps(nm.value(u.flat[0])) * 1
    tol = eps ** (2 * one_of(eps) / 3) if tol is None else tol
    for _ in range(maxiter):
        g = f(u, p, t0)[rows]
        J = jac(u, p, t0)
        du = linalg.solve(J[np.ix_(rows, cols)], g)
        u[cols] = u[cols] - du
        if nm.norm(du) <= tol * (1 + nm.norm(u[cols])):
            return u
    raise ValueError("consistent initialisation: Newton on the algebraic equations did not converge; pass a consistent u0")


def one_of(x: Any) -> Any:
    return x / x
