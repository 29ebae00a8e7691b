"""SINDy's regression on arrays of another namespace (CuPy, array API): the heavy work on the device.

The library matrix ``Theta`` (n_samples x n_features) and ``dX/dt`` stay in their namespace.
What touches every sample runs there: the finiteness checks, the QR factorisation of
``Theta`` restricted to a support and ``Q^T y``, the Gram matrices of the ridge sweeps. What
comes to the host is metadata-sized: each least-squares solution (support size x equations),
or the Gram matrix and ``Theta^T y`` once (n_features x n_features and n_features x n_vars),
where the thresholding and the support bookkeeping of :func:`~solvers.sindy.optimizers.stlsq`
run as on NumPy, and the coefficients are a NumPy array (the model prints and evaluates them
on the host).

``xp.linalg.lstsq`` is not in the array API. The least squares are solved by
``xp.linalg.qr`` (reduced) and ``R x = Q^T y`` (``xp.linalg.solve``): backward stable, with
the accuracy of the condition number of ``Theta_S`` (the normal equations would square it,
which the degree-5 polynomial libraries cannot afford). NumPy's path (SciPy's ``gelsd`` with
scikit-learn's cutoff) also handles a rank-deficient ``Theta_S``; here a numerically singular
``R`` (``min |R_ii| <= max(shape) eps max |R_ii|``) is an error saying so.

Examples
--------
>>> import numpy as np
>>> theta = np.column_stack([np.ones(4), np.arange(4.0)])
>>> lstsq_qr(theta, 1 + 2 * theta[:, 1:], np.array([True, True]), [0]).round(12).tolist()
[[1.0], [2.0]]
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from numeric.backend import like, namespace, to_host, to_host_float

__all__ = ["check_finite", "lstsq_qr", "gram_on_host", "columns"]


def check_finite(name: str, a: Any) -> None:
    """``ValueError`` when *a* has a NaN or inf entry (decided on the device: one bool)."""
    xp = namespace(a)
    if not bool(xp.all(xp.isfinite(a))):
        raise ValueError(f"{name} has non-finite entries (NaN or inf); remove those samples "
                         f"or estimate the derivatives differently")


def columns(a: Any, index: Any) -> Any:
    """Columns *index* (a boolean mask or integer positions, host data) of the device matrix *a*."""
    index = np.asarray(index)
    pos = np.flatnonzero(index) if index.dtype == bool else index.astype(np.int64)
    xp = namespace(a)
    return xp.take(a, like(pos, a, dtype=xp.int64), axis=1)


def lstsq_qr(theta: Any, y: Any, support: np.ndarray, rows: Sequence[int]) -> np.ndarray:
    """Least-squares coefficients (support.sum() x len(rows)) of ``y[:, rows]`` on ``theta[:, support]``,
    by QR in *theta*'s namespace; returned on the host."""
    xp = namespace(theta)
    a, b = columns(theta, support), columns(y, list(rows))
    q, r = xp.linalg.qr(a)
    diag = xp.abs(xp.linalg.diagonal(r))
    small, big = to_host_float(xp.min(diag)), to_host_float(xp.max(diag))
    if not small > max(a.shape) * np.finfo(float).eps * big:
        raise ValueError(f"the library matrix restricted to {int(np.sum(support))} terms is "
                         f"rank-deficient (|R_ii| from {small:.3g} to {big:.3g}); on a device the "
                         "least squares are solved by QR, which needs full column rank: drop "
                         "dependent terms, use ridge sweeps (alpha > 0) or NumPy arrays")
    return to_host(xp.linalg.solve(r, xp.matmul(xp.permute_dims(q, (1, 0)), b)))


def gram_on_host(theta: Any, y: Any) -> tuple:
    """``Theta^T Theta`` and ``Theta^T y`` computed on the device, copied to the host once."""
    xp = namespace(theta)
    tt = xp.permute_dims(theta, (1, 0))
    return to_host(xp.matmul(tt, theta)), to_host(xp.matmul(tt, y))
