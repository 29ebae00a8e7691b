"""Dense linear solves for any number type.

``solve(A, b)`` picks the path from what it is given:

* NumPy arrays of floats or complex numbers: LAPACK through ``np.linalg.solve``;
* NumPy object arrays (``mpf``, duals, measurements ... as elements): the
  generic LU factorisation with partial pivoting below, written with
  ``+ - * /`` only, so ``mpf`` keeps every digit and duals propagate
  derivatives through the elimination;
* any other array type (a ``DualArray``, a CuPy array): ``np.linalg.solve``,
  which the array type implements through ``__array_function__``. The rule
  that makes a dual solve cost one factorisation,
  ``x = A^-1 b``, ``dx = A^-1 (db - dA x)``, belongs to the number type,
  not to this module.

Pivoting compares primal magnitudes (``nm.value``), as every branch does.
The factorisation follows Golub & Van Loan, *Matrix Computations*,
Algorithm 3.4.1 (Gaussian elimination with partial pivoting).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from numeric.backend import is_foreign, like, namespace
from solvers._nm import nm

__all__ = ["solve", "lu_factor", "lu_solve", "is_object_array", "LinAlgError"]

LinAlgError = np.linalg.LinAlgError


def is_object_array(x: Any) -> bool:
    """A NumPy object array (of mpf, duals, measurements ...): the generic LU's input."""
    return isinstance(x, np.ndarray) and x.dtype == object


def _is_plain(x: Any) -> bool:
    return isinstance(x, np.ndarray) and x.dtype.kind in "biufc"


def _magnitude(x: Any) -> Any:
    v = nm.value(x)
    return abs(v)


def lu_factor(A: Any) -> tuple:
    """LU factorisation with partial pivoting of a square object (or float) array.

    Returns ``(LU, piv)``: ``LU`` holds ``L`` (unit lower, below the
    diagonal) and ``U``; ``piv[k]`` is the row swapped with row ``k`` at step ``k``.

    Raises
    ------
    LinAlgError
        When a pivot is exactly zero (a singular matrix).
    """
    A = np.array(A, dtype=object if not _is_plain(A) else A.dtype, copy=True)
    if A.ndim != 2 or A.shape[0] != A.shape[1]:
        raise LinAlgError(f"lu_factor needs a square matrix, got shape {A.shape}")
    n = A.shape[0]
    if A.dtype.kind in "iub":
        A = A.astype(float)
    piv = np.zeros(n, dtype=int)
    for k in range(n):
        col = [_magnitude(A[i, k]) for i in range(k, n)]
        p = k + max(range(n - k), key=lambda i: col[i])
        piv[k] = p
        if col[p - k] == 0:
            raise LinAlgError(f"singular matrix: no non-zero pivot in column {k}")
        if p != k:
            A[[k, p], :] = A[[p, k], :]
        pivot = A[k, k]
        for i in range(k + 1, n):
            A[i, k] = A[i, k] / pivot
        if k + 1 < n:
            # rank-1 update of the trailing block (object arrays: elementwise Python ops)
            A[k + 1 :, k + 1 :] = A[k + 1 :, k + 1 :] - np.multiply.outer(A[k + 1 :, k], A[k, k + 1 :])
    return A, piv


def lu_solve(lu_piv: tuple, b: Any) -> Any:
    """Solve ``A x = b`` from ``lu_factor(A)``; *b* is a vector or a matrix of columns."""
    LU, piv = lu_piv
    n = LU.shape[0]
    x = np.array(b, dtype=object if (LU.dtype == object or not _is_plain(b)) else np.result_type(LU, b), copy=True)
    if x.shape[0] != n:
        raise ValueError(f"b has {x.shape[0]} rows, A has {n}")
    for k in range(n):
        p = piv[k]
        if p != k:
            x[[k, p]] = x[[p, k]]
    for i in range(1, n):  # forward substitution, unit lower triangle
        x[i] = x[i] - LU[i, :i] @ x[:i]
    for i in range(n - 1, -1, -1):  # back substitution
        if i + 1 < n:
            x[i] = (x[i] - LU[i, i + 1 :] @ x[i + 1 :]) / LU[i, i]
        else:
            x[i] = x[i] / LU[i, i]
    return x


def solve(A: Any, b: Any) -> Any:
    """The solution ``x`` of ``A x = b`` for a square matrix *A*.

    Parameters
    ----------
    A : (n, n) array
        Float/complex NumPy array (LAPACK), object array of numbers (generic
        LU with partial pivoting), or an array type with its own
        ``np.linalg.solve`` (``DualArray``, CuPy).
    b : (n,) or (n, k) array

    Raises
    ------
    numpy.linalg.LinAlgError
        If *A* is singular (an exactly zero pivot in the generic path).

    Examples
    --------
    >>> import numpy as np, mpmath
    >>> from solvers.linalg import solve
    >>> solve(np.array([[2.0, 1.0], [1.0, 3.0]]), np.array([3.0, 5.0]))
    array([0.8, 1.4])
    >>> mpmath.mp.dps = 30
    >>> A = np.array([[mpmath.mpf(2), 1], [1, 3]], dtype=object)
    >>> x = solve(A, np.array([1, 0], dtype=object))
    >>> str(x[0])                               # 3/5 to 30 digits
    '0.6'
    >>> mpmath.mp.dps = 15
    """
    if _is_plain(A) and _is_plain(b):
        return np.linalg.solve(A, b)
    if is_foreign(A) and (is_foreign(b) or _is_plain(b)):   # device arrays: their namespace's LAPACK
        return namespace(A).linalg.solve(A, like(b, A) if _is_plain(b) else b)
    if isinstance(A, np.ndarray) and isinstance(b, np.ndarray):
        return lu_solve(lu_factor(A), b)
    if isinstance(A, (list, tuple)):
        A = np.asarray(A, dtype=object)
    if isinstance(b, (list, tuple)):
        b = np.asarray(b, dtype=object)
    if is_object_array(A) and isinstance(b, np.ndarray):
        return lu_solve(lu_factor(A), b)
    # A number type's own array (DualArray, CuPy ...): it provides np.linalg.solve.
    return np.linalg.solve(A, b)
