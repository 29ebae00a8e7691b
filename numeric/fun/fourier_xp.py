"""The Fourier numerics of :mod:`numeric.fun.fourier` for arrays of any array-API namespace.

The same formulas as the NumPy functions, in array-API names: equispaced points, the real DFT
by ``xp.fft.rfft`` / ``irfft``, and the wavenumber scalings of the derivative and the integral,
with the interleaved coefficient order ``[a0, a1, b1, ..., am, bm]`` built by stacking and
reshaping (the array API has no strided assignment). :mod:`numeric.fun.fourier` calls these
for a foreign array (CuPy, ``array_api_strict``); NumPy arrays keep their paths.

Examples
--------
>>> import numpy as np
>>> from numeric.fun import fourier_xp as fx
>>> theta = fx.points(5, np.zeros(1))
>>> np.round(fx.vals2coeffs(np.cos(2 * theta)), 12) + 0.0     # a2 = 1
array([0., 0., 0., 1., 0.])
"""

from __future__ import annotations

import math
from typing import Any

from numeric.backend import astype, device_of, float_dtype, namespace, reshape

__all__ = ["points", "vals2coeffs", "coeffs2vals", "diff", "cumsum"]


def _complex_dtype(xp: Any, dtype: Any) -> Any:
    return xp.complex64 if dtype == xp.float32 else xp.complex128


def points(n: int, like: Any) -> Any:
    """n equispaced angles ``2 pi j / n`` (float64, then *like*'s dtype, as the NumPy points)."""
    xp = namespace(like)
    j = xp.arange(n, dtype=float_dtype(like), device=device_of(like))
    return astype(2.0 * math.pi * j / n, like.dtype)


def interleave(first: Any, a: Any, b: Any) -> Any:
    """``[first, a_1, b_1, ..., a_m, b_m]`` along axis 0."""
    xp = namespace(first)
    pairs = xp.stack([a, b], axis=1)                     # (m, 2, ...)
    return xp.concat([first, reshape(pairs, (2 * a.shape[0],) + tuple(a.shape[1:]))], axis=0)


def vals2coeffs(v: Any) -> Any:
    """Coefficients ``[a0, a1, b1, ...]`` of the trigonometric interpolant of real values *v*."""
    xp = namespace(v)
    n = v.shape[0]
    F = xp.fft.rfft(v, axis=0)
    re, im = xp.real(F), xp.imag(F)
    return astype(interleave(re[:1, ...] / n, 2 * re[1:, ...] / n, -2 * im[1:, ...] / n), v.dtype)


def coeffs2vals(c: Any) -> Any:
    """Values at :func:`points` of the real series *c*."""
    xp = namespace(c)
    n = c.shape[0]
    cdt = _complex_dtype(xp, c.dtype)
    a, b = astype(c[1::2, ...], cdt), astype(c[2::2, ...], cdt)
    F = xp.concat([astype(c[:1, ...], cdt) * n, (a - b * 1j) * (n / 2)], axis=0)
    return astype(xp.fft.irfft(F, n=n, axis=0), c.dtype)


def _wavenumbers(c: Any) -> Any:
    xp = namespace(c)
    m = (c.shape[0] - 1) // 2
    k = xp.arange(1, m + 1, dtype=c.dtype, device=device_of(c))
    return reshape(k, (m,) + (1,) * (c.ndim - 1))


def diff(c: Any) -> Any:
    """d/dtheta of the series (same length)."""
    k = _wavenumbers(c)
    return interleave(c[:1, ...] * 0, k * c[2::2, ...], -k * c[1::2, ...])


def cumsum(c: Any) -> Any:
    """The integral from 0 of a zero-mean series."""
    xp = namespace(c)
    k = _wavenumbers(c)
    a, b = c[1::2, ...], c[2::2, ...]
    return interleave(xp.sum(b / k, axis=0, keepdims=True), -b / k, a / k)
