"""The Chebyshev numerics of :mod:`numeric.fun.chebyshev` for arrays of any array-API namespace.

The same formulas as the NumPy functions (points, the DCT-I by a real FFT of the even
extension, Mason & Handscomb's derivative and integral recurrences, the integral
weights), written with array-API names only, so a CuPy (or ``array_api_strict``)
coefficient array stays in its namespace and on its device. :mod:`numeric.fun.chebyshev`
calls these for a foreign array (:func:`numeric.backend.is_foreign`); NumPy arrays keep
their NumPy (and numba, and object-array) paths unchanged.

Differences from the NumPy path, all in the last bits: the derivative's reversed cumulative
sums are ``total - cumulative_sum`` (the array API has no flip-cumsum-flip for free; it has
``flip``, used), and the definite integral is a plain ``sum`` where NumPy's float64 path sums
with ``math.fsum`` (one rounding per product).

Examples
--------
>>> import numpy as np
>>> from numeric.fun import chebyshev_xp as cx
>>> c = cx.vals2coeffs(cx.points(5, np.zeros(1)) ** 2)     # x^2 = (T_0 + T_2) / 2
>>> np.round(c, 12) + 0.0
array([0.5, 0. , 0.5, 0. , 0. ])
"""

from __future__ import annotations

import math
from typing import Any

from numeric.backend import astype, copy, device_of, float_dtype, namespace, reshape
from numeric.xpcompat import as_complex

__all__ = ["points", "vals2coeffs", "coeffs2vals", "diff", "cumsum", "integral_weights",
           "weighted_sum"]


def _trailing(w: Any, a: Any) -> Any:
    """A 1-D weight reshaped to broadcast along axis 0 of *a*."""
    return reshape(w, tuple(w.shape) + (1,) * (a.ndim - 1))


def _arange(n: int, like: Any, start: int = 0) -> Any:
    xp = namespace(like)
    return xp.arange(start, start + n, dtype=like.dtype, device=device_of(like))


def points(n: int, like: Any) -> Any:
    """n Chebyshev points of the second kind in the namespace, device and dtype of *like*.

    ``sin(pi (2j - m) / (2m))``, ``m = n - 1``: exactly symmetric, as the NumPy points, and
    computed as those are: in float64 (where the namespace has it), then cast to *like*'s dtype.
    """
    if n < 1:
        raise ValueError(f"need at least one point, got n = {n}")
    xp = namespace(like)
    if n == 1:
        return xp.zeros(1, dtype=like.dtype, device=device_of(like))
    m = n - 1
    j = xp.arange(n, dtype=float_dtype(like), device=device_of(like))
    return astype(xp.sin(math.pi * (2.0 * j - m) / (2.0 * m)), like.dtype)


def _on_points(a: Any, transform: Any) -> Any:
    """``transform(xp, a, n, m)`` for the n = m + 1 points along axis 0 (one point: a copy)."""
    n = a.shape[0]
    return copy(a) if n == 1 else transform(namespace(a), a, n, n - 1)


def _vals2coeffs(xp: Any, v: Any, n: int, m: int) -> Any:
    u = xp.flip(v, axis=0)
    ext = xp.concat([u, xp.flip(u[1:m, ...], axis=0)], axis=0)
    c = astype(xp.real(xp.fft.rfft(ext, axis=0))[:n, ...] / m, v.dtype)
    return xp.concat([c[:1, ...] / 2, c[1:m, ...], c[m:, ...] / 2], axis=0)


def _coeffs2vals(xp: Any, c: Any, n: int, m: int) -> Any:
    half = xp.concat([c[:1, ...], c[1:m, ...] / 2, c[m:, ...]], axis=0)
    u = xp.fft.irfft(as_complex(half), n=2 * m, axis=0)[:n, ...] * (2 * m)
    return astype(xp.flip(u, axis=0), c.dtype)


def vals2coeffs(v: Any) -> Any:
    """Chebyshev coefficients of the values *v* at :func:`points` (axis 0), by ``xp.fft.rfft``."""
    return _on_points(v, _vals2coeffs)


def coeffs2vals(c: Any) -> Any:
    """Values at :func:`points` of the series *c* (axis 0), by ``xp.fft.irfft``."""
    return _on_points(c, _coeffs2vals)


def diff(c: Any) -> Any:
    """Derivative coefficients (length n - 1): ``d_i = sum_{j > i, j - i odd} 2 j c_j``, ``d_0`` halved."""
    xp = namespace(c)
    n = c.shape[0]
    if n == 1:
        return c * 0
    k = _trailing(_arange(n, c), c)
    w = 2 * k * c
    odd = _trailing(_arange(n, c) % 2, c)          # 1.0 at odd j, 0.0 at even j

    def rev_cumsum(a):
        return xp.flip(xp.cumulative_sum(xp.flip(a, axis=0), axis=0), axis=0)

    sum_even = rev_cumsum(w * (1 - odd))            # sum_{j >= i, j even} 2 j c_j
    sum_odd = rev_cumsum(w * odd)
    i_even = odd[: n - 1, ...] == 0
    d = xp.where(i_even, sum_odd[1:, ...], sum_even[1:, ...])
    return xp.concat([d[:1, ...] / 2, d[1:, ...]], axis=0)


def cumsum(c: Any) -> Any:
    """Indefinite-integral coefficients (length n + 1), vanishing at -1: ``b_k = (c_{k-1} - c_{k+1}) / (2k)``."""
    xp = namespace(c)
    n = c.shape[0]
    zeros = c[:1, ...] * 0
    cp = xp.concat([c, zeros, zeros], axis=0)      # c_n = c_{n+1} = 0
    k = _arange(n, c, start=1)
    scale = _trailing(1.0 + astype(k == 1, k.dtype), c)      # 2 for b_1 (c_0 counts twice)
    b = (cp[:n, ...] * scale - cp[2 : n + 2, ...]) / _trailing(2.0 * k, c)
    signs = _trailing(1 - 2 * (k % 2), c)           # (-1)^k
    b0 = -xp.sum(signs * b, axis=0, keepdims=True)
    return xp.concat([b0, b], axis=0)


def integral_weights(n: int, like: Any) -> Any:
    """``int_{-1}^{1} T_k`` for k < n: ``2 / (1 - k^2)`` for even k, else 0 (in *like*'s namespace)."""
    xp = namespace(like)
    k = _arange(n, like)
    parity = k % 2
    return xp.where(parity == 0, 2.0 / (1.0 - k * k + parity), 0.0)


def weighted_sum(w: Any, a: Any) -> Any:
    """``sum_k w[k] a[k, ...]`` in the namespace of *a*."""
    return namespace(a).sum(_trailing(w, a) * a, axis=0)
