"""Coefficient arrays of any protocol number type, handled generically.

A Fun's coefficients are a 1-D array of one of

* a NumPy float64, float32 or complex array,
* a NumPy object array of ``mpmath.mpf`` (higher precision),
* any array number that is "value + linear part" (the protocol's
  ``_nm_linear`` hook, :func:`numeric.protocol.linear_parts`): a
  :class:`~numeric.dualarray.DualArray` (derivatives of the whole function
  with respect to parameters, possibly nested) or a
  :class:`~numeric.measurement.MeasurementArray` (its uncertainty).

Every transform a Fun needs (values <-> coefficients, differentiation,
integration, evaluation, padding) is *linear* in the coefficients. So each
is written once for plain arrays whose axis 0 is the coefficient axis (with
any trailing axes), and :func:`linear_map` applies it to such a number by
applying it to the value and to the linear part alike — the derivative of a
linear map is the map itself, and so is its propagation of uncertainty.
Nothing in :mod:`numeric.fun` names a number type.

Examples
--------
>>> import numpy as np, numeric as nm
>>> from numeric.fun.coeffs import linear_map
>>> c = nm.DualArray(np.array([1.0, 2.0]), np.array([[1.0], [0.0]]))
>>> linear_map(lambda a: 3 * a, c).partials[:, 0]
array([3., 0.])
"""

from __future__ import annotations

from typing import Any, Callable

import mpmath
import numpy as np

from numeric.backend import (astype, device_of, dtype_kind, finfo, float_dtype, is_array, is_foreign,
                             namespace, to_host)

from numeric.protocol import innermost, linear_parts, value

__all__ = [
    "linear_map", "magnitudes", "tolerance", "is_mp", "all_finite", "pad", "innermost_array",
    "component_arrays", "as_coefficient_array", "is_linear",
]  # fmt: skip


def is_linear(c: Any) -> bool:
    """True when *c* is a "value + linear part" number (dual or measurement coefficients)."""
    return hasattr(type(c), "_nm_linear")


def innermost_array(c: Any) -> np.ndarray:
    """The plain array under every "value + linear part" layer of *c* (a tape's primal values)."""
    while is_linear(c):
        c = linear_parts(c)[0]
    return _untaped(c)


def _untaped(c: Any) -> Any:
    """A reverse-mode tape's array by its values (as ``nm.norm`` counts it); arrays as they are."""
    return c if isinstance(c, np.ndarray) else value(c)


def is_mp(c: Any) -> bool:
    """True when the coefficients are mpmath numbers (an object array)."""
    a = innermost_array(c)
    return isinstance(a, np.ndarray) and a.dtype == object


def linear_map(fn: Callable[[np.ndarray], Any], c: Any) -> Any:
    """Apply the linear map *fn* (acting on axis 0 of a plain array) to *c*.

    For a "value + linear part" number (DualArray, MeasurementArray) the map
    acts on the value and the linear part alike; a result of shape ``()`` is
    the scalar kind (a :class:`~numeric.dual.Dual`, a ``Measurement``).
    """
    split = linear_parts(c)
    if split is None:
        return fn(c)
    v, parts, rebuild = split
    return rebuild(linear_map(fn, v), linear_map(fn, parts))


def component_arrays(c: Any) -> list:
    """The plain arrays that make up *c* (value, then partials, recursively)."""
    split = linear_parts(c)
    if split is None:
        return [_untaped(c)]
    return component_arrays(split[0]) + component_arrays(split[1])


def _abs_float(a: np.ndarray) -> np.ndarray:
    """``|a|`` as float64 (mpmath entries converted), same shape."""
    if a.dtype == object:
        return np.array([float(abs(e)) for e in a.flat], dtype=float).reshape(a.shape)
    return np.abs(a).astype(float)


def _squares(m: np.ndarray) -> np.ndarray:
    """Per-coefficient sum of squares over trailing axes of the float array *m*."""
    m = m * m
    return m.reshape(m.shape[0], -1).sum(axis=1) if m.ndim > 1 else m


def _magnitudes_xp(parts: list) -> np.ndarray:
    """:func:`magnitudes` of device component arrays: computed on the device, then one
    transfer of the n-vector to the host (where the chop decision reads it)."""
    xp = namespace(parts[0])
    absolute = [xp.abs(a) for a in parts]
    sq = [xp.reshape(a, (a.shape[0], -1)) for a in absolute]
    scale = xp.max(xp.stack([xp.max(a) for a in absolute]))
    safe = xp.where((scale > 0) & (scale < xp.inf), scale, 1.0)
    total = sum(xp.sum((a / safe) ** 2, axis=1) for a in sq)
    return to_host(xp.sqrt(total) * safe)


def magnitudes(c: Any) -> np.ndarray:
    """The size of each coefficient as a float64 array: ``sqrt(|value|^2 + sum |partials|^2)``.

    Chopping on this keeps a Fun long enough for its derivatives too, as
    ``nm.norm`` of a dual includes its partials. The sizes are divided by
    the largest one before squaring and multiplied back after (Chebfun's
    vscale-relative sizes), so a series of size 1e200 does not overflow and
    one of size 1e-155 or 1e-310 does not underflow to subnormals or zero.
    """
    if is_foreign(innermost_array(c)):
        return _magnitudes_xp(component_arrays(c))
    parts = [_abs_float(a) for a in component_arrays(c)]
    scale = max((float(np.max(p)) if p.size else 0.0) for p in parts)
    if not (0.0 < scale < np.inf):
        return np.sqrt(sum(_squares(p) for p in parts))
    return scale * np.sqrt(sum(_squares(p / scale) for p in parts))


def tolerance(c: Any) -> float:
    """Machine epsilon of the real type of the coefficients, as a float."""
    a = innermost_array(c)
    if is_foreign(a):
        return float(finfo(a).eps) if dtype_kind(a.dtype) in "fc" else float(np.finfo(np.float64).eps)
    if a.dtype == object:
        return float(mpmath.eps)
    if np.issubdtype(a.dtype, np.inexact):
        return float(np.finfo(a.dtype).eps)
    return float(np.finfo(np.float64).eps)


def _check_object_entries(a: np.ndarray) -> None:
    """An object array of coefficients must hold mpmath numbers (or ints/floats)."""
    for e in a.flat:
        if not isinstance(e, (mpmath.mpf, mpmath.mpc, int, float, np.floating)):
            raise TypeError(
                f"a Fun's values hold {type(e).__name__} objects in an object array (e.g. a Dual "
                "of a Measurement times a float array); an object array of coefficients must "
                "hold mpmath numbers. Use one array number type for the whole layer: a "
                "DualArray or a MeasurementArray (nm.measurements, nm.correlated_values)")


def all_finite(c: Any) -> bool:
    """True when every value and partial is finite."""
    for a in component_arrays(c):
        if is_foreign(a):
            xp = namespace(a)
            if not bool(xp.all(xp.isfinite(a))):      # one transfer (a bool) per component
                return False
        elif a.dtype == object:
            _check_object_entries(a)
            if not all(mpmath.isfinite(e) for e in a.flat):
                return False
        elif not np.all(np.isfinite(a)):
            return False
    return True


def _zeros(shape: tuple, like: np.ndarray) -> np.ndarray:
    if is_foreign(like):
        return namespace(like).zeros(shape, dtype=like.dtype, device=device_of(like))
    if like.dtype == object:
        out = np.empty(shape, dtype=object)
        zero = like.flat[0] * 0 if like.size else mpmath.mpf(0)
        out.fill(zero)
        return out
    return np.zeros(shape, dtype=like.dtype)


def pad(c: Any, n: int) -> Any:
    """*c* padded with zeros (or truncated) to length *n* along axis 0."""
    def fn(a):
        m = a.shape[0]
        if m >= n:
            return a[:n, ...]
        z = _zeros((n - m,) + tuple(a.shape[1:]), a)
        return namespace(a).concat([a, z], axis=0) if is_foreign(a) else np.concatenate([a, z], axis=0)

    return linear_map(fn, c)


def as_coefficient_array(c: Any) -> Any:
    """Turn user input (list, tuple, array, DualArray, MeasurementArray) into a 1-D array."""
    if is_linear(c):
        arr = c
    elif is_array(c) and not isinstance(c, np.ndarray):  # CuPy, array API: kept in its namespace
        kind = dtype_kind(c.dtype)
        if kind not in "fciub":
            raise TypeError(f"coefficients must be numbers, got dtype {c.dtype}")
        arr = astype(c, float_dtype(c)) if kind in "iub" else c
    else:
        arr = np.asarray(c)
        if arr.dtype == object:
            if arr.size and not all(isinstance(e, (mpmath.mpf, mpmath.mpc, int, float))
                                    for e in arr.flat):
                raise TypeError("object coefficient arrays must hold mpmath numbers; "
                                "use a DualArray (MeasurementArray) for coefficients with "
                                "derivatives (uncertainties)")
            arr = np.array([mpmath.mpf(e) if isinstance(e, (int, float)) else e
                            for e in arr.flat], dtype=object).reshape(arr.shape)
        elif arr.dtype.kind in "iub":
            arr = arr.astype(float)
        elif arr.dtype.kind not in "fc":
            raise TypeError(f"coefficients must be numbers, got dtype {arr.dtype}")
    if arr.ndim != 1:
        raise ValueError(f"coefficients must be a 1-D array, got shape {tuple(arr.shape)}")
    if arr.shape[0] == 0:
        raise ValueError("a Fun needs at least one coefficient")
    return arr


def scalar_type_name(x: Any) -> str:
    return type(innermost(x)).__name__
