"""Time derivatives estimated from sampled data, for SINDy.

Each estimator is a pure function ``(x, t) -> dx/dt`` over the first axis
(samples); *t* is the array of sample times or, for uniform samples, the
spacing ``dt``. Only generic arithmetic is used on *x*, so arrays of duals
or measurements work as well as floats.

* :func:`finite_difference` -- second-order central differences inside,
  second-order one-sided (three-point) differences at both ends, on uniform
  or non-uniform grids (the Lagrange weights of the three neighbours; the
  same stencils as ``numpy.gradient(..., edge_order=2)`` and pysindy's
  ``FiniteDifference(order=2)``).
* :func:`savgol_difference` -- the data smoothed by a Savitzky--Golay filter
  (``scipy.signal.savgol_filter``, window 11 and cubic polynomials by
  default, as pysindy's ``SmoothedFiniteDifference``), then
  :func:`finite_difference`.
* :func:`spectral_difference` -- for periodic data on a uniform grid: each
  column becomes a trigonometric interpolant (a Fourier ``Fun`` of
  :mod:`numeric.fun` on ``[t0, t0 + n dt)``), differentiated exactly.

Examples
--------
>>> import numpy as np
>>> t = np.linspace(0, 1, 5)
>>> finite_difference(t**2, t)          # exact for quadratics, ends included
array([0. , 0.5, 1. , 1.5, 2. ])
"""

from __future__ import annotations

from typing import Any

import numpy as np

import numeric as nm
from numeric.backend import is_foreign, like, namespace, reshape

__all__ = ["finite_difference", "savgol_difference", "spectral_difference"]


def _length(x: Any) -> int:
    """The number of samples (array-API arrays have no ``len``)."""
    return x.shape[0] if hasattr(x, "shape") and len(x.shape) else len(x)


def _times(x: Any, t: Any) -> np.ndarray:
    n = _length(x)
    if np.ndim(t) == 0:
        dt = float(t)
        if not (np.isfinite(dt) and dt > 0):
            raise ValueError(f"the sample spacing dt must be a positive number, got {t!r}")
        return dt * np.arange(n)
    t = np.asarray(t, dtype=float)
    if t.shape != (n,):
        raise ValueError(f"t must have one time per sample: {n} samples, t has shape {t.shape}")
    if n > 1 and not np.all(np.diff(t) > 0):
        raise ValueError("the sample times t must be strictly increasing")
    return t


def _expand(w: np.ndarray, x: Any) -> np.ndarray:
    """Weights of shape (m,) broadcast against x[...] of shape (m, ...) (next to x on its device)."""
    if is_foreign(x):
        return reshape(like(w, x), tuple(w.shape) + (1,) * (x.ndim - 1))
    return w.reshape(w.shape + (1,) * (np.ndim(x) - 1))


def finite_difference(x: Any, t: Any) -> Any:
    """Second-order finite differences along axis 0, one-sided at the ends.

    Parameters
    ----------
    x : array (n_samples, ...)
        Samples, n_samples >= 3.
    t : array (n_samples,) or float
        Sample times, or the uniform spacing dt.

    Examples
    --------
    >>> import numpy as np
    >>> t = np.array([0.0, 0.1, 0.3, 0.6])
    >>> finite_difference(np.column_stack([t**2, 3 * t]), t).round(12) + 0.0
    array([[0. , 3. ],
           [0.2, 3. ],
           [0.6, 3. ],
           [1.2, 3. ]])
    """
    if _length(x) < 3:
        raise ValueError(f"finite_difference needs at least 3 samples, got {_length(x)}")
    t = _times(x, t)
    h = np.diff(t)
    h1, h2 = h[:-1], h[1:]                  # spacing before and after each interior point
    at = (lambda s: x[s, ...]) if is_foreign(x) else x.__getitem__   # array API: explicit trailing axes
    lo, mid, hi = at(slice(None, -2)), at(slice(1, -1)), at(slice(2, None))
    inner = (_expand(-h2 / (h1 * (h1 + h2)), x) * lo + _expand((h2 - h1) / (h1 * h2), x) * mid
             + _expand(h1 / (h2 * (h1 + h2)), x) * hi)
    # three-point one-sided stencils at both ends; slices (not elements) keep x's array type
    a, b = float(h[0]), float(h[1])
    first = (-(2 * a + b) / (a * (a + b)) * at(slice(0, 1)) + (a + b) / (a * b) * at(slice(1, 2))
             - a / (b * (a + b)) * at(slice(2, 3)))
    a, b = float(h[-1]), float(h[-2])
    last = ((2 * a + b) / (a * (a + b)) * at(slice(-1, None)) - (a + b) / (a * b) * at(slice(-2, -1))
            + a / (b * (a + b)) * at(slice(-3, -2)))
    return (namespace(x).concat if is_foreign(x) else np.concatenate)([first, inner, last])


def savgol_difference(x: np.ndarray, t: Any, window: int = 11, polyorder: int = 3) -> np.ndarray:
    """Savitzky--Golay smoothing (*window* samples, degree *polyorder*), then finite differences.

    The filter assumes uniform samples; non-uniform *t* is an error.

    Examples
    --------
    >>> import numpy as np
    >>> t = np.linspace(0, 1, 41)
    >>> bool(np.allclose(savgol_difference(t**3, t), 3 * t**2, atol=2e-3))
    True
    """
    from scipy.signal import savgol_filter

    if is_foreign(x):
        raise TypeError("savgol_difference filters with scipy.signal.savgol_filter, a host function: it "
                        f"does not take arrays of {namespace(x).__name__}. Use finite_difference or "
                        "spectral_difference on the device, or pass x_dot")
    tt = _times(x, t)
    if len(tt) > 2 and not np.allclose(np.diff(tt), tt[1] - tt[0], rtol=1e-9, atol=0):
        raise ValueError("savgol_difference needs uniform samples; use finite_difference for "
                         "non-uniform times")
    if not (polyorder < window <= len(tt)):
        raise ValueError(f"savgol_difference: need polyorder < window <= n_samples; got "
                         f"polyorder={polyorder}, window={window}, n_samples={len(tt)}")
    smooth = savgol_filter(np.asarray(x, dtype=float), window, polyorder, axis=0)
    return finite_difference(smooth, tt)


def spectral_difference(x: Any, t: Any) -> Any:
    """Exact derivative of the trigonometric interpolant of periodic samples.

    The samples must be uniform, ``t = t0 + k dt`` for k = 0..n-1 with the
    period ``n dt`` (the sample at ``t0 + n dt`` would repeat the first), and
    n odd (a real trigonometric series of degree m has 2m + 1 coefficients).

    Examples
    --------
    >>> import numpy as np
    >>> t = 2 * np.pi * np.arange(15) / 15
    >>> bool(np.allclose(spectral_difference(np.sin(3 * t), t), 3 * np.cos(3 * t), atol=1e-12))
    True
    """
    tt = _times(x, t)
    n = len(tt)
    dt = tt[1] - tt[0] if n > 1 else 0.0
    if n < 3 or not np.allclose(np.diff(tt), dt, rtol=1e-9, atol=0):
        raise ValueError("spectral_difference needs at least 3 uniform samples of one period")
    if n % 2 == 0:
        raise ValueError(f"spectral_difference needs an odd number of samples (2m + 1), got {n}; "
                         f"resample, or drop one sample and mind that the period is then "
                         f"(n - 1) dt")
    space = nm.Fourier(tt[0], tt[0] + n * dt)
    columns = x if len(x.shape) > 1 else x[:, None]
    out = [nm.Fun.from_values(columns[:, j], space).diff().values for j in range(columns.shape[1])]
    out = namespace(x).stack(out, axis=1) if is_foreign(x) else np.stack(out, axis=1)
    return out if len(x.shape) > 1 else out[:, 0]
