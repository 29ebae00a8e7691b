"""The covariance factor of ``nm.correlated_values`` for arrays of any array-API namespace.

The same factorisation as the NumPy path (:func:`numeric.measurement.stats._covariance_factor`):
``C = S R S`` with ``S = diag(sqrt(diag C))``, ``R`` factored by ``xp.linalg.eigh`` and
``J = S V sqrt(w)`` over the eigenvalues above the rank tolerance, so variances of very
different sizes keep their relative accuracy. It runs in the covariance's namespace and on
its device. What differs, and why:

* a variable of variance 0 keeps its row and column in ``R`` (as zeros, giving a zero
  eigenvalue that the rank cut drops) instead of being removed by boolean indexing (data-dependent
  shapes are optional in the array API); its row of ``J`` is ``0 * ...``, exactly zero;
* the checks (negative variance, a zero variance with non-zero covariances, a negative
  eigenvalue, symmetry) are decided on the device and read as a few booleans on the host,
  and the kept eigenvector columns are chosen from one host vector of n booleans (the rank
  decides how many new sources there are: host bookkeeping, as source ids are).

Examples
--------
>>> import numpy as np
>>> from numeric.measurement.correlated_xp import covariance_factor
>>> J = covariance_factor(np.array([[4.0, 2.0], [2.0, 2.0]]))
>>> np.allclose(J @ J.T, [[4.0, 2.0], [2.0, 2.0]])
True
"""

from __future__ import annotations

from typing import Any

import numpy as np

from numeric.backend import device_of, like, namespace, to_host, to_host_float

__all__ = ["covariance_factor", "check_symmetric"]


def check_symmetric(C: Any) -> None:
    """Raise ``ValueError`` unless ``C`` is symmetric to 1e-12 relative (NumPy's ``allclose`` rule)."""
    xp = namespace(C)
    Ct = xp.permute_dims(C, (1, 0))
    if not bool(xp.all(xp.abs(C - Ct) <= 1e-12 * xp.abs(Ct))):
        raise ValueError("correlated_values: the covariance matrix must be symmetric")


def covariance_factor(C: Any) -> Any:
    """J (shape (n, rank)) with ``J @ J.T == C`` for a symmetric positive semi-definite *C*,
    in *C*'s namespace (see the module docstring)."""
    xp = namespace(C)
    n = C.shape[0]
    d = xp.linalg.diagonal(C)
    if bool(xp.any(d < 0)):
        raise ValueError(f"correlated_values: the covariance matrix has a negative variance "
                         f"({to_host_float(xp.min(d)):.3g}); it is not positive semi-definite")
    s = xp.sqrt(d)
    dead = s == 0
    if bool(xp.any(dead[:, None] & (C != 0))):
        raise ValueError("correlated_values: a variable with variance 0 has non-zero "
                         "covariances; the matrix is not positive semi-definite")
    safe = xp.where(dead, xp.ones_like(s), s)
    w, V = xp.linalg.eigh(C / (safe[:, None] * safe[None, :]))
    tol = max(n, 1) * float(np.finfo(float).eps) * max(to_host_float(xp.max(xp.abs(w))) if n else 0.0, 1.0)
    if bool(xp.any(w < -tol * 100)):
        raise ValueError(f"correlated_values: the covariance matrix is not positive semi-definite "
                         f"(eigenvalue {to_host_float(xp.min(w)):.3g} of its correlation matrix)")
    keep = np.flatnonzero(to_host(w > tol))
    cols = like(keep, w, dtype=xp.int64)
    root = xp.sqrt(xp.take(w, cols, axis=0))
    J = s[:, None] * (xp.take(V, cols, axis=1) * root[None, :])
    return J if J.shape[1] else xp.zeros((n, 0), dtype=C.dtype, device=device_of(C))
