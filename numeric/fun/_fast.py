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
    # Four points per pass: four independent recurrences keep the floating-point
    # pipeline full (one recurrence is a chain of dependent multiply-adds).
    n = c.shape[0]
    m = x.shape[0]
    blocks = m // 4
    for blk in prange(blocks):
        i = 4 * blk
        t0, t1, t2, t3 = x[i], x[i + 1], x[i + 2], x[i + 3]
        u0, u1, u2, u3 = 2.0 * t0, 2.0 * t1, 2.0 * t2, 2.0 * t3
        a0 = a1 = a2 = a3 = 0.0
        b0 = b1 = b2 = b3 = 0.0
        for k in range(n - 1, 0, -1):
            ck = c[k]
            a0, b0 = ck + u0 * a0 - b0, a0
            a1, b1 = ck + u1 * a1 - b1, a1
            a2, b2 = ck + u2 * a2 - b2, a2
            a3, b3 = ck + u3 * a3 - b3, a3
        out[i] = c[0] + t0 * a0 - b0
        out[i + 1] = c[0] + t1 * a1 - b1
        out[i + 2] = c[0] + t2 * a2 - b2
        out[i + 3] = c[0] + t3 * a3 - b3
    for i in range(4 * blocks, m):
        t = x[i]
        a = 0.0
        b = 0.0
        for k in range(n - 1, 0, -1):
            a, b = c[k] + 2.0 * t * a - b, a
        out[i] = c[0] + t * a - b


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
