"""Compiled (numba) evaluation kernels for plain float coefficients.

These are the fast paths of :func:`numeric.fun.chebyshev.clenshaw` and
:func:`numeric.fun.fourier.evaluate` for a 1-D float32/float64 coefficient
vector at a float array of points. Each point runs its whole recurrence in
registers, where the NumPy formulation makes one pass over the point array
per coefficient; the loop over points is parallel.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

__all__ = ["clenshaw_float", "trig_horner_float"]


_PARALLEL_MIN = 50_000  # below this many points threads cost more than they save


def _clenshaw_body(c, x, out):  # pragma: no cover - compiled
    n = c.shape[0]
    for i in prange(x.shape[0]):
        t = x[i]
        two_t = 2.0 * t
        b1 = 0.0
        b2 = 0.0
        for k in range(n - 1, 0, -1):
            b0 = c[k] + two_t * b1 - b2
            b2 = b1
            b1 = b0
        out[i] = c[0] + t * b1 - b2


def _trig_body(c, theta, out):  # pragma: no cover - compiled
    # f = a0 + sum_k a_k cos(k t) + b_k sin(k t) = Re sum_k (a_k - i b_k) z^k, z = e^{i t};
    # Horner's rule in z (|z| = 1, so it is stable).
    m = (c.shape[0] - 1) // 2
    for i in prange(theta.shape[0]):
        z = np.exp(1j * theta[i])
        p = 0.0 + 0.0j
        for k in range(m, 0, -1):
            p = (p + (c[2 * k - 1] - 1j * c[2 * k])) * z
        out[i] = c[0] + p.real


_clenshaw_serial = njit(cache=True)(_clenshaw_body)
_clenshaw_parallel = njit(parallel=True, cache=True)(_clenshaw_body)
_trig_serial = njit(cache=True)(_trig_body)
_trig_parallel = njit(parallel=True, cache=True)(_trig_body)


def clenshaw_float(c: np.ndarray, x: np.ndarray) -> np.ndarray:
    """sum_k c_k T_k(x) for float coefficients and float points (any shape)."""
    dtype = np.result_type(c.dtype, x.dtype)
    xf = np.ascontiguousarray(x, dtype=np.float64).reshape(-1)
    out = np.empty(xf.shape[0], dtype=np.float64)
    kernel = _clenshaw_parallel if xf.shape[0] >= _PARALLEL_MIN else _clenshaw_serial
    kernel(np.ascontiguousarray(c, dtype=np.float64), xf, out)
    return out.reshape(x.shape).astype(dtype, copy=False)


def trig_horner_float(c: np.ndarray, theta: np.ndarray) -> np.ndarray:
    """a0 + sum_k a_k cos(k theta) + b_k sin(k theta) for float coefficients."""
    dtype = np.result_type(c.dtype, theta.dtype)
    tf = np.ascontiguousarray(theta, dtype=np.float64).reshape(-1)
    out = np.empty(tf.shape[0], dtype=np.float64)
    kernel = _trig_parallel if tf.shape[0] >= _PARALLEL_MIN else _trig_serial
    kernel(np.ascontiguousarray(c, dtype=np.float64), tf, out)
    return out.reshape(theta.shape).astype(dtype, copy=False)
