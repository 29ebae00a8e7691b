"""Consistent initial values for ``M u' = f(u, p, t)`` with a singular mass matrix.

The algebraic equations are the rows of ``M`` that are entirely zero; the
algebraic variables the columns that are entirely zero (index-1 DAEs in
semi-explicit form, as ROBER with ``y1 + y2 + y3 = 1``). Newton's method on
``f(u, p, t0)[alg_rows] = 0`` in the algebraic variables, differential
variables held fixed (the "BrownFullBasicInit"-free, simplest choice that
Hairer & Wanner use for index-1 problems).

A mass matrix on a device (CuPy, ``array_api_strict``) keeps the iteration there
(:func:`_device_initial_state`): the zero rows and columns are found by ``xp.any`` and
``xp.nonzero``, the algebraic equations and the Jacobian block are gathered with ``xp.take``
(a derivative-carrying residual by a 0/1 selection matrix), the correction is scattered back
as ``u - S du`` (the array API has no item assignment by index arrays) and solved by
the namespace's solver (:func:`~solvers.ode.stiff.linsolve.factorize`). It is the host
iteration's system, gathered and updated exactly, so the two agree to the solver's rounding
(to the bit on ``array_api_strict``, whose solve is NumPy's).
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from numeric.backend import add, device_of, finfo, is_array, is_foreign, matmul, namespace
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
    if is_foreign(M):
        return _device_initial_state(f, jac, u0, p, t0, M, tol, maxiter)
    rows, cols = algebraic_indices(M)
    if not _semi_explicit(len(rows), len(cols)):
        return u0
    u = u0.copy()
    eps = nm.eps(nm.value(nm.value(u).flat[0])) * 1  # (a DualArray has no .flat: its value has)
    tol = eps ** (2 * one_of(eps) / 3) if tol is None else tol
    for _ in range(maxiter):
        g = f(u, p, t0)[rows]
        J = jac(u, p, t0)
        du = linalg.solve(J[np.ix_(rows, cols)], g)
        u[cols] = u[cols] - du
        if nm.norm(du) <= tol * (1 + nm.norm(u[cols])):
            return u
    raise ValueError(_NO_CONVERGENCE)


_NO_CONVERGENCE = ("consistent initialisation: Newton on the algebraic equations did not converge; "
                   "pass a consistent u0")


def _semi_explicit(nrows: int, ncols: int) -> bool:
    """Whether there is an algebraic part to initialise; a mismatch is not semi-explicit: refused."""
    if nrows != ncols:
        raise ValueError(
            f"mass matrix has {nrows} zero rows but {ncols} zero columns: only semi-explicit "
            "index-1 DAEs are initialised automatically; pass a consistent u0"
        )
    return nrows > 0


def _device_initial_state(f: Callable, jac: Callable, u0: Any, p: Any, t0: Any, M: Any,
                          tol: float | None, maxiter: int) -> Any:
    """:func:`consistent_initial_state` for a mass matrix on a device (see the module docstring)."""
    from solvers.ode.stiff.linsolve import factorize

    xp = namespace(M)
    nz = M != 0
    rows, cols = xp.nonzero(~xp.any(nz, axis=1))[0], xp.nonzero(~xp.any(nz, axis=0))[0]
    if not _semi_explicit(rows.shape[0], cols.shape[0]):
        return u0
    eye = xp.eye(M.shape[0], dtype=M.dtype, device=device_of(M))
    R, C = xp.take(eye, rows, axis=0), xp.take(eye, cols, axis=0)      # (k, n) selections

    def pick(x: Any, idx: Any, S: Any) -> Any:                         # x[idx] (rows of a matrix)
        return xp.take(x, idx, axis=0) if is_array(x) else matmul(S, x)

    u = u0
    tol = finfo(M).eps ** (2 / 3) if tol is None else tol
    for _ in range(maxiter):
        g = pick(f(u, p, t0), rows, R)
        J = pick(jac(u, p, t0), rows, R)
        Jrc = xp.take(J, cols, axis=1) if is_array(J) else J @ xp.permute_dims(C, (1, 0))
        du = factorize(Jrc).solve(g)
        u = add(u, -matmul(xp.permute_dims(C, (1, 0)), du))            # u[cols] -= du
        if nm.norm(du) <= tol * (1 + nm.norm(pick(u, cols, C))):
            return u
    raise ValueError(_NO_CONVERGENCE)


def one_of(x: Any) -> Any:
    return x / x
