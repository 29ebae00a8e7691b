"""Chebyshev series on [-1, 1]: the numerics, as pure functions.

A function is ``f(x) = sum_k c_k T_k(x)``. Each function here takes a
*plain* array whose axis 0 is the coefficient (or sample) axis, with any
trailing axes (the partials of a DualArray arrive that way through
:func:`numeric.fun.coeffs.linear_map`); float32, float64, complex and
object arrays of ``mpmath.mpf`` all work.

* Points: Chebyshev points of the second kind, ``x_j = -cos(pi j / (n-1))``,
  computed as ``sin(pi (2j - n + 1) / (2n - 2))`` so they are exactly
  symmetric (as Chebfun does).
* :func:`vals2coeffs`, :func:`coeffs2vals`: the DCT-I, done with a real FFT
  of the even extension of length 2(n-1) (``numpy.fft``; float32 stays
  float32). Object (mpf) arrays use the O(n^2) cosine sums instead, which
  is exact to the working precision and fast enough for the lengths
  high-precision functions need.
* :func:`clenshaw`: Clenshaw's recurrence (Clenshaw 1955), vectorised over
  the points, with a compiled kernel for float coefficients.
* :func:`diff`: ``c'_{k-1} = c'_{k+1} + 2 k c_k`` (Mason & Handscomb,
  *Chebyshev Polynomials*, 2003, eq. 2.49), summed in closed form per
  parity with cumulative sums so that it is vectorised.
* :func:`cumsum`: ``b_k = (c_{k-1} - c_{k+1}) / (2k)`` (Mason & Handscomb
  eq. 2.43), with ``b_0`` fixed by ``F(-1) = 0``.
* :func:`integral_weights`: ``int_{-1}^{1} T_k = 2 / (1 - k^2)`` for even k.
* Arrays of another namespace (CuPy, ``array_api_strict``) take the same formulas in
  array-API names (:mod:`numeric.fun.chebyshev_xp`) and stay on their device; root finding
  is host work on the coefficient vector (below).
* :func:`roots`: eigenvalues of the colleague matrix (Good 1961) for short
  series; longer ones are split at x = -0.004849834917525 (Chebfun's
  deliberately off-centre point) and restricted recursively (Boyd,
  "Computing zeros on a real interval through Chebyshev expansion and
  polynomial rootfinding", SIAM J. Numer. Anal. 40, 2002).

Examples
--------
>>> import numpy as np
>>> from numeric.fun import chebyshev as ch
>>> x = ch.points(5, np.float64)
>>> c = ch.vals2coeffs(x**2)           # x^2 = (T_0 + T_2) / 2
>>> np.round(c, 12) + 0.0
array([0.5, 0. , 0.5, 0. , 0. ])
>>> round(float(ch.clenshaw(c, np.array(0.3))), 14)
0.09
"""

from __future__ import annotations

from typing import Any

import mpmath
import numpy as np

from numeric.backend import is_foreign, like as like_array, reshape, to_host
from numeric.fun import chebyshev_xp as _xp
from numeric.fun.chop import simplify_length, standard_chop

__all__ = [
    "points", "vals2coeffs", "coeffs2vals", "clenshaw", "diff", "cumsum",
    "integral_weights", "restrict", "roots", "colleague_roots", "SPLIT_POINT",
]  # fmt: skip

SPLIT_POINT = -0.004849834917525  # Chebfun's splitting point for roots (chebtech/roots.m)
_ROOTS_DIRECT_MAX = 50  # colleague matrix directly up to this length (as Chebfun)


def _is_object(a: np.ndarray) -> bool:
    return a.dtype == object


def points(n: int, dtype: Any = np.float64, like: Any = None) -> np.ndarray:
    """n Chebyshev points of the second kind on [-1, 1], increasing.

    *dtype* is a NumPy float dtype or ``object`` for mpmath points at the
    current precision. A foreign array *like* (CuPy, array API) puts the points in its
    namespace, on its device, in its dtype.
    """
    if like is not None and is_foreign(like):
        return _xp.points(n, like)
    if n < 1:
        raise ValueError(f"need at least one point, got n = {n}")
    if n == 1:
        return np.array([mpmath.mpf(0)], dtype=object) if dtype is object else np.zeros(1, dtype)
    m = n - 1
    if dtype is object:
        out = np.empty(n, dtype=object)
        out[:] = [mpmath.sin(mpmath.pi * (2 * j - m) / (2 * m)) for j in range(n)]
        return out
    j = np.arange(n, dtype=np.float64)
    return np.sin(np.pi * (2.0 * j - m) / (2.0 * m)).astype(dtype)


def _cos_table(m: int, like: np.ndarray) -> list:
    # cos(pi q / m) for q = 0 .. 2m-1, at the precision of mpmath
    return [mpmath.cos(mpmath.pi * q / m) for q in range(2 * m)]


def _dct1_object(v: np.ndarray) -> np.ndarray:
    """sum_j v_j cos(pi j k / m), k = 0..m, for an object array (axis 0)."""
    n = v.shape[0]
    m = n - 1
    table = _cos_table(m, v)
    idx = (np.arange(n)[:, None] * np.arange(n)[None, :]) % (2 * m)
    mat = np.empty((n, n), dtype=object)
    mat[:] = [[table[q] for q in row] for row in idx]
    return mat.dot(v)


def vals2coeffs(v: np.ndarray) -> np.ndarray:
    """Chebyshev coefficients of the polynomial through values at :func:`points`."""
    if is_foreign(v):
        return _xp.vals2coeffs(v)
    n = v.shape[0]
    if n == 1:
        return v.copy()
    m = n - 1
    u = v[::-1]  # from x = 1 (theta = 0) to x = -1
    if _is_object(v):
        c = _dct1_object(np.concatenate([u[:1] / 2, u[1:-1], u[-1:] / 2])) * (mpmath.mpf(2) / m)
    else:
        ext = np.concatenate([u, u[-2:0:-1]], axis=0)
        if np.iscomplexobj(v):
            c = np.fft.fft(ext, axis=0)[:n] / m
        else:
            c = np.fft.rfft(ext, axis=0)[:n].real / m
        c = c.astype(v.dtype, copy=False)
    c[0] = c[0] / 2
    c[m] = c[m] / 2
    return c


def coeffs2vals(c: np.ndarray) -> np.ndarray:
    """Values at :func:`points` of the Chebyshev series with coefficients *c*."""
    if is_foreign(c):
        return _xp.coeffs2vals(c)
    n = c.shape[0]
    if n == 1:
        return c.copy()
    m = n - 1
    if _is_object(c):
        u = _dct1_object(c)
        # the sum already weights c_0 and c_m by 1 and interior terms by 1: a plain DCT-I
        return u[::-1].copy()
    half = np.concatenate([c[:1], c[1:m] / 2, c[m:]], axis=0)
    if np.iscomplexobj(c):
        ext = np.concatenate([half, half[-2:0:-1]], axis=0)
        u = np.fft.ifft(ext, axis=0)[:n] * (2 * m)
    else:
        u = np.fft.irfft(half, 2 * m, axis=0)[:n] * (2 * m)
    return u[::-1].astype(c.dtype, copy=False)


def _real_dtype_array(values: np.ndarray, like: np.ndarray) -> np.ndarray:
    """*values* (float64) in the real type of *like*: float32 stays float32."""
    if like.dtype == object:
        out = np.empty(values.shape, dtype=object)
        out[:] = [mpmath.mpf(float(e)) for e in values.flat] if values.ndim else mpmath.mpf(values)
        return out
    real = np.finfo(like.dtype).dtype if np.issubdtype(like.dtype, np.inexact) else np.float64
    return values.astype(real)


def _trailing(w: np.ndarray, a: np.ndarray) -> np.ndarray:
    """Reshape a 1-D weight so it broadcasts along axis 0 of *a*."""
    return w.reshape(w.shape + (1,) * (a.ndim - 1))


def clenshaw(c: np.ndarray, x: Any) -> Any:
    """sum_k c_k T_k(x) at points *x* (any shape; also a Dual or mpf).

    The result has shape ``shape(x) + c.shape[1:]``.
    """
    n = c.shape[0]
    xa = x if isinstance(x, np.ndarray) else None
    if (xa is not None and type(c) is np.ndarray and c.ndim == 1 and c.dtype.kind == "f" and xa.dtype.kind == "f"):
        from numeric.fun._fast import clenshaw_float

        return clenshaw_float(c, xa)
    if c.ndim > 1 and (isinstance(x, np.ndarray) or is_foreign(x)):
        x = reshape(x, tuple(x.shape) + (1,) * (c.ndim - 1))
    if n == 1:
        return c[0, ...] + x * 0
    two_x = 2 * x
    b1 = c[n - 1, ...] + x * 0
    b2 = 0 * b1
    for k in range(n - 2, 0, -1):
        b1, b2 = c[k, ...] + two_x * b1 - b2, b1
    return c[0, ...] + x * b1 - b2


def diff(c: np.ndarray) -> np.ndarray:
    """Coefficients of the derivative on [-1, 1] (length n - 1, at least 1)."""
    if is_foreign(c):
        return _xp.diff(c)
    n = c.shape[0]
    if n == 1:
        return c * 0
    k = _trailing(_real_dtype_array(np.arange(n, dtype=np.float64), c), c)
    w = 2 * k * c
    parity = np.arange(n) % 2
    even = _trailing(_real_dtype_array((parity == 0).astype(float), c), c)
    odd = _trailing(_real_dtype_array((parity == 1).astype(float), c), c)

    def rev_cumsum(a):
        return np.cumsum(a[::-1], axis=0)[::-1]

    sum_even = rev_cumsum(w * even)  # sum_{j >= i, j even} 2 j c_j
    sum_odd = rev_cumsum(w * odd)
    # d_i = sum_{j > i, j - i odd} 2 j c_j: the opposite parity, from i + 1
    i_parity = _trailing(parity[: n - 1], c)
    d = np.where(i_parity == 0, sum_odd[1:], sum_even[1:])
    if d.dtype != c.dtype:
        d = d.astype(c.dtype)
    d[0] = d[0] / 2
    return d


def cumsum(c: np.ndarray) -> np.ndarray:
    """Coefficients (length n + 1) of the indefinite integral vanishing at -1."""
    if is_foreign(c):
        return _xp.cumsum(c)
    n = c.shape[0]
    zeros = c[:1] * 0
    cp = np.concatenate([c, zeros, zeros], axis=0)  # c_n = c_{n+1} = 0
    scale = np.ones(n, dtype=np.float64)
    scale[0] = 2.0
    k = np.arange(1, n + 1, dtype=np.float64)
    lower = cp[:n] * _trailing(_real_dtype_array(scale, c), c)
    b = (lower - cp[2 : n + 2]) / _trailing(_real_dtype_array(2.0 * k, c), c)
    signs = _trailing(_real_dtype_array((-1.0) ** k, c), c)
    b0 = -np.sum(signs * b, axis=0, keepdims=True)
    return np.concatenate([b0, b], axis=0)


def integral_weights(n: int, like: np.ndarray) -> np.ndarray:
    """int_{-1}^{1} T_k(x) dx for k < n: 2 / (1 - k^2) for even k, else 0."""
    if is_foreign(like):
        return _xp.integral_weights(n, like)
    k = np.arange(n, dtype=np.float64)
    if like.dtype == object:
        out = np.empty(n, dtype=object)
        out[:] = [mpmath.mpf(2) / (1 - int(j) ** 2) if j % 2 == 0 else mpmath.mpf(0) for j in k]
        return out
    w = np.where(k % 2 == 0, 2.0 / (1.0 - k * k + (k % 2)), 0.0)
    return _real_dtype_array(w, like)


def restrict(c: np.ndarray, s: Any, t: Any) -> np.ndarray:
    """Coefficients, on [-1, 1], of the series restricted to [s, t] within [-1, 1].

    Exact (to rounding): the restricted polynomial has the same degree, so
    sampling it at n Chebyshev points of [s, t] determines it.
    """
    n = c.shape[0]
    if is_foreign(c):
        return vals2coeffs(clenshaw(c, (s + t) / 2 + (t - s) / 2 * points(n, like=c)))
    dtype = object if c.dtype == object else (np.finfo(c.dtype).dtype if c.dtype.kind in "fc"
                                               else np.float64)
    y = points(n, dtype)
    x = (s + t) / 2 + (t - s) / 2 * y
    return vals2coeffs(clenshaw(c, x))


def colleague_roots(c: np.ndarray) -> np.ndarray:
    """All complex roots of sum c_k T_k (float c, c[-1] != 0) from the colleague matrix.

    For p = sum_{k<=N} c_k T_k the matrix is tridiagonal with 1/2 off the
    diagonal (1 at position (0, 1), from x T_0 = T_1), minus
    ``c_k / (2 c_N)`` in the last row (Good 1961).
    """
    N = c.shape[0] - 1
    if N < 1:
        return np.zeros(0, dtype=complex)
    if N == 1:
        return np.array([-c[0] / c[1]], dtype=complex)
    A = np.zeros((N, N))
    idx = np.arange(N - 1)
    A[idx, idx + 1] = 0.5
    A[idx + 1, idx] = 0.5
    A[0, 1] = 1.0
    A[-1, :] -= c[:N] / (2.0 * c[N])
    return np.linalg.eigvals(A)


def roots(c: np.ndarray, tol: float | None = None) -> np.ndarray:
    """Real roots in [-1, 1] of the float Chebyshev series *c*, sorted.

    Series longer than 50 coefficients are split at :data:`SPLIT_POINT` and
    restricted (then chopped) recursively, so each eigenvalue problem stays
    small: O(n^2) work overall instead of O(n^3).

    Coefficients of another namespace (CuPy, ``array_api_strict``) are copied to the host
    once (one transfer of the n-vector; the array API has no nonsymmetric eigenvalue
    solver everywhere, and the recursion's many eigenvalue problems of order <= 50 are
    metadata-sized work), and the sorted roots come back to the coefficients' device.
    """
    if is_foreign(c):
        return like_array(roots(to_host(c), tol), c)
    c = np.asarray(c, dtype=np.float64 if not np.iscomplexobj(c) else complex)
    eps = np.finfo(np.float64).eps if tol is None else tol
    scale = np.max(np.abs(c)) if c.size else 0.0
    if scale == 0.0:
        return np.zeros(0)
    found = _roots_rec(c / scale, -1.0, 1.0, eps, depth=0)
    if not found:
        return np.zeros(0)
    r = np.sort(np.asarray(found, dtype=float))
    keep = np.concatenate([[True], np.diff(r) > 1e3 * eps])
    return polish_roots(c / scale, r[keep])


def polish_roots(c: np.ndarray, r: np.ndarray, steps: int = 3) -> np.ndarray:
    """Newton steps on the full series *c* at each root estimate *r*, kept in [-1, 1].

    The colleague-matrix eigenvalues (of restricted, chopped pieces) are only
    backward stable: a few ulps off for well-conditioned roots. Newton on the
    series itself brings a simple root to the accuracy of the series; a step
    is taken only while it shrinks ``|f|`` (double roots, where ``f'`` is
    about zero, keep their eigenvalue estimate).
    """
    if r.size == 0 or c.shape[0] < 2 or np.iscomplexobj(c):
        return r
    d = diff(c)
    x = r.copy()
    fx = clenshaw(c, x)
    for _ in range(steps):
        slope = clenshaw(d, x)
        with np.errstate(divide="ignore", invalid="ignore"):
            step = np.where(slope != 0, fx / slope, 0.0)
        trial = np.clip(x - step, -1.0, 1.0)
        ft = clenshaw(c, trial)
        better = np.isfinite(ft) & (np.abs(ft) < np.abs(fx)) & (np.abs(step) < 1e-6)
        if not np.any(better):
            break
        x = np.where(better, trial, x)
        fx = np.where(better, ft, fx)
    return np.sort(x)


def _trim(c: np.ndarray, eps: float) -> np.ndarray:
    big = np.flatnonzero(np.abs(c) > eps * np.max(np.abs(c)))
    return c[: big[-1] + 1] if big.size else c[:1]


def _roots_rec(c: np.ndarray, lo: float, hi: float, eps: float, depth: int) -> list:
    c = _trim(c, eps)
    n = c.shape[0]
    if n <= _ROOTS_DIRECT_MAX or depth > 40:
        r = colleague_roots(c)
        htol = 1e-8 if n > 1 else 0.0
        real = r.real[(np.abs(r.imag) <= htol) & (np.abs(r.real) <= 1.0 + htol)]
        real = np.clip(real, -1.0, 1.0)
        return list(lo + (hi - lo) * (real + 1.0) / 2.0)
    out = []
    for s, t in ((-1.0, SPLIT_POINT), (SPLIT_POINT, 1.0)):
        piece = restrict(c, s, t)
        m = simplify_length(n)
        padded = np.concatenate([piece, np.zeros(max(m - n, 0))])
        cut = min(standard_chop(np.abs(padded), eps), n)
        a = lo + (hi - lo) * (s + 1.0) / 2.0
        b = lo + (hi - lo) * (t + 1.0) / 2.0
        out += _roots_rec(piece[:cut], a, b, eps, depth + 1)
    return out
