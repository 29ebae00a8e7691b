"""Real trigonometric series on [0, 2 pi): the numerics, as pure functions.

A function of ``theta`` is ``f = a_0 + sum_{k=1}^{m} a_k cos(k theta) + b_k sin(k theta)``,
stored as ``[a_0, a_1, b_1, a_2, b_2, ..., a_m, b_m]`` (odd length n = 2m + 1).
Real coefficients keep real functions real in every number type (float32,
mpf, DualArray) without a complex layer, and an odd length avoids the
ambiguous Nyquist mode.

* Points: ``theta_j = 2 pi j / n``, j = 0 .. n-1 (equispaced, the trapezoidal
  rule's nodes; the interpolant through them is unique for odd n).
* :func:`vals2coeffs` / :func:`coeffs2vals`: real FFT (``numpy.fft.rfft``):
  with ``F_k = sum_j f_j exp(-2 pi i j k / n)``, ``a_0 = F_0 / n``,
  ``a_k = 2 Re F_k / n``, ``b_k = -2 Im F_k / n``. Object (mpf) arrays use
  the O(n^2) sums.
* :func:`evaluate`: Horner's rule in ``z = exp(i theta)`` for float
  coefficients (compiled), direct sums of ``cos(k theta)``, ``sin(k theta)``
  for the other number types.
* :func:`diff`: ``(a_k, b_k) -> k (b_k, -a_k)``; :func:`cumsum`: the inverse,
  defined only for a zero mean (otherwise the integral is not periodic).
* :func:`mean_square`: Parseval, ``a_0^2 + (1/2) sum (a_k^2 + b_k^2)``.

Examples
--------
>>> import numpy as np
>>> from numeric.fun import fourier as fo
>>> t = fo.points(5, np.float64)
>>> np.round(fo.vals2coeffs(np.cos(t) + 3 * np.sin(2 * t)), 12) + 0.0
array([0., 1., 0., 0., 3.])
"""

from __future__ import annotations

from typing import Any

import mpmath
import numpy as np

from numeric.backend import is_foreign, reshape
from numeric.fun import fourier_xp as _xp

__all__ = ["points", "vals2coeffs", "coeffs2vals", "evaluate", "diff", "cumsum",
           "mode_magnitudes", "check_length"]


def check_length(n: int) -> None:
    if n < 1 or n % 2 == 0:
        raise ValueError(f"a Fourier series has an odd number of coefficients "
                         f"[a0, a1, b1, ..., am, bm]; got {n}. Use n = 2m + 1")


def points(n: int, dtype: Any = np.float64, like: Any = None) -> np.ndarray:
    """n equispaced points theta_j = 2 pi j / n on [0, 2 pi) (on *like*'s device when it has one)."""
    check_length(n)
    if like is not None and is_foreign(like):
        return _xp.points(n, like)
    if dtype is object:
        out = np.empty(n, dtype=object)
        out[:] = [2 * mpmath.pi * j / n for j in range(n)]
        return out
    return (2.0 * np.pi * np.arange(n, dtype=np.float64) / n).astype(dtype)


def _tables(n: int):
    c = [mpmath.cos(2 * mpmath.pi * q / n) for q in range(n)]
    s = [mpmath.sin(2 * mpmath.pi * q / n) for q in range(n)]
    return c, s


def _object_matrix(n: int, forward: bool) -> np.ndarray:
    """The real DFT as an n x n object matrix (forward: values -> coefficients)."""
    m = (n - 1) // 2
    cos_t, sin_t = _tables(n)
    mat = np.empty((n, n), dtype=object)
    for j in range(n):
        for k in range(1, m + 1):
            q = (j * k) % n
            if forward:
                mat[2 * k - 1, j] = cos_t[q] * 2 / n
                mat[2 * k, j] = sin_t[q] * 2 / n
            else:
                mat[j, 2 * k - 1] = cos_t[q]
                mat[j, 2 * k] = sin_t[q]
        if forward:
            mat[0, j] = mpmath.mpf(1) / n
        else:
            mat[j, 0] = mpmath.mpf(1)
    return mat


def _interleave(first: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``[first, a0, b0, a1, b1, ...]`` along axis 0."""
    m = a.shape[0]
    if not all(type(x) is np.ndarray for x in (first, a, b)):   # array numbers: no item assignment
        pairs = np.stack([a, b], axis=1).reshape((2 * m,) + tuple(a.shape[1:]))
        return np.concatenate([first, pairs], axis=0)
    out = np.empty((2 * m + 1,) + first.shape[1:], dtype=np.result_type(first, a, b))
    out[:1] = first
    out[1::2] = a
    out[2::2] = b
    return out


def vals2coeffs(v: np.ndarray) -> np.ndarray:
    """Coefficients ``[a0, a1, b1, ...]`` of the trigonometric interpolant of *v*."""
    n = v.shape[0]
    check_length(n)
    if is_foreign(v):
        return _xp.vals2coeffs(v)
    if v.dtype == object:
        return _object_matrix(n, True).dot(v)
    if np.iscomplexobj(v):
        F = np.fft.fft(v, axis=0)
        m = (n - 1) // 2
        pos, neg = F[1 : m + 1], F[n - m :][::-1]
        return _interleave(F[:1] / n, (pos + neg) / n, 1j * (pos - neg) / n).astype(v.dtype)
    F = np.fft.rfft(v, axis=0)
    return _interleave(F[:1].real / n, 2 * F[1:].real / n, -2 * F[1:].imag / n).astype(v.dtype)


def coeffs2vals(c: np.ndarray) -> np.ndarray:
    """Values at :func:`points` of the series with coefficients *c*."""
    n = c.shape[0]
    check_length(n)
    if is_foreign(c):
        return _xp.coeffs2vals(c)
    if c.dtype == object:
        return _object_matrix(n, False).dot(c)
    if np.iscomplexobj(c):
        m = (n - 1) // 2
        a, b = c[1::2], c[2::2]
        F = np.zeros(c.shape, dtype=c.dtype)
        F[0] = c[0] * n
        F[1 : m + 1] = (a - 1j * b) * n / 2
        F[n - m :] = ((a + 1j * b) * n / 2)[::-1]
        return np.fft.ifft(F, axis=0).astype(c.dtype)
    F = (c[1::2] - 1j * c[2::2]) * (n / 2)
    F = np.concatenate([c[:1] * n + 0j, F], axis=0)
    return np.fft.irfft(F, n, axis=0).astype(c.dtype)


def evaluate(c: np.ndarray, theta: Any) -> Any:
    """The series at angles *theta*; result shape ``shape(theta) + c.shape[1:]``."""
    n = c.shape[0]
    if (isinstance(theta, np.ndarray) and type(c) is np.ndarray and c.ndim == 1 and c.dtype.kind == "f"
            and theta.dtype.kind == "f"):
        from numeric.fun._fast import trig_horner_float

        return trig_horner_float(c, theta)
    from numeric import functions as F

    if c.ndim > 1 and (isinstance(theta, np.ndarray) or is_foreign(theta)):
        theta = reshape(theta, tuple(theta.shape) + (1,) * (c.ndim - 1))
    out = c[0, ...] + theta * 0
    for k in range(1, (n - 1) // 2 + 1):
        kt = k * theta
        out = out + c[2 * k - 1, ...] * F.cos(kt) + c[2 * k, ...] * F.sin(kt)
    return out


def _wavenumbers(c: np.ndarray) -> np.ndarray:
    m = (c.shape[0] - 1) // 2
    k = np.arange(1, m + 1, dtype=np.float64)
    if c.dtype == object:
        out = np.empty(m, dtype=object)
        out[:] = [mpmath.mpf(int(j)) for j in k]
        k = out
    elif c.dtype.kind in "fc":
        k = k.astype(np.finfo(c.dtype).dtype)
    return k.reshape(k.shape + (1,) * (c.ndim - 1))


def diff(c: np.ndarray) -> np.ndarray:
    """d/dtheta of the series (same length)."""
    if is_foreign(c):
        return _xp.diff(c)
    k = _wavenumbers(c)
    return _interleave(c[:1] * 0, k * c[2::2], -k * c[1::2])


def cumsum(c: np.ndarray) -> np.ndarray:
    """The integral from 0 of a zero-mean series (the caller checks the mean)."""
    if is_foreign(c):
        return _xp.cumsum(c)
    k = _wavenumbers(c)
    a, b = c[1::2], c[2::2]
    const = np.sum(b / k, axis=0, keepdims=True)
    return _interleave(const, -b / k, a / k)


def mode_magnitudes(mag: np.ndarray) -> np.ndarray:
    """Per-wavenumber size ``sqrt(|a_k|^2 + |b_k|^2)`` from per-coefficient sizes."""
    return np.concatenate([mag[:1], np.hypot(mag[1::2], mag[2::2])])
