"""Array functions composed of primitives every array number type differentiates (issue 10).

``np.split`` and its variants are slices; ``np.partition`` is an indexing by
the primal's ``argpartition`` (as ``sort`` is by ``argsort``; on a device the stable sort); ``np.angle`` is
``arctan2(imag, real)``; ``np.all`` / ``np.any`` act on the values (nonzero ones);
``np.real_if_close`` is ``np.real`` or the identity,
decided by a comparison on the array itself (so a recording tape guards it).
Each joins :data:`numeric.arrayrules_structural.COMPOSED`, from which
DualArray, TrackedArray and MeasurementArray register it, so the three get
the same semantics from one definition.

Examples
--------
>>> import numpy as np, numeric as nm
>>> nm.jacobian(lambda x: np.split(x, 2)[1], np.arange(4.0)).tolist()
[[0.0, 0.0, 1.0, 0.0], [0.0, 0.0, 0.0, 1.0]]
"""

from __future__ import annotations

from typing import Any

import numpy as np

from numeric.arrayrules_structural import COMPOSED
from numeric.backend import finfo, is_foreign, namespace
from numeric.complex_forms import is_complex, real_of
from numeric.protocol import innermost

__all__ = ["mean", "average", "clip", "array_split", "split", "hsplit", "vsplit", "dsplit", "partition", "angle",
           "real_if_close", "all_", "any_"]


def _composed(func):
    def deco(impl):
        COMPOSED[func] = impl
        return impl
    return deco


def _slab(a: Any, axis: int, start: int, stop: int) -> Any:
    return a[(slice(None),) * axis + (slice(start, stop),)]


@_composed(np.mean)
def mean(x: Any, axis: Any = None, keepdims: bool = False, **kw: Any) -> Any:
    """``np.mean``: the type's ``np.sum`` (the table's entry, which refuses ``out=`` and
    ``where=``) divided by the number of elements reduced.

    >>> float(mean(np.array([[1.0, 2.0], [3.0, 6.0]]), axis=(0, 1)))
    3.0
    """
    shape = np.shape(innermost(x)) if not hasattr(x, "shape") else tuple(x.shape)
    axes = range(len(shape)) if axis is None else (
        axis if isinstance(axis, (tuple, list)) else (axis,))
    n = 1
    for a in axes:
        n *= shape[int(a) % len(shape)]
    return np.sum(x, axis=axis, keepdims=keepdims, **kw) / n


def _shape(x: Any) -> tuple:
    return tuple(x.shape) if hasattr(x, "shape") else np.shape(innermost(x))


@_composed(np.average)
def average(a: Any, axis: Any = None, weights: Any = None, returned: bool = False, *,
            keepdims: bool = False) -> Any:
    """``np.average``: ``sum(w a) / sum(w)`` over *axis* (``np.mean`` without weights), with
    NumPy's rules for the weights' shape (``a``'s, or 1-D along an integer *axis*); the weights
    may carry derivatives too.

    >>> float(average(np.array([1.0, 2.0, 4.0]), weights=np.array([1.0, 1.0, 2.0])))
    2.75
    """
    shape = _shape(a)
    if weights is None:
        avg = mean(a, axis=axis, keepdims=keepdims)
        if not returned:
            return avg
        return avg, np.broadcast_to(np.float64(np.prod(shape) / max(1, np.prod(_shape(avg)))), _shape(avg))
    wshape = _shape(weights)
    if wshape != shape:
        if axis is None:
            raise TypeError("np.average: axis must be specified when the shapes of a and weights differ")
        if len(wshape) != 1 or not isinstance(axis, (int, np.integer)) or wshape[0] != shape[int(axis)]:
            raise ValueError(f"np.average: weights of shape {wshape} must have a's shape {shape} or be "
                             f"1-D with the length of axis {axis}")
        along = [1] * len(shape)
        along[int(axis)] = wshape[0]
        weights = np.reshape(weights, tuple(along))
    w = np.broadcast_to(weights, shape)
    scl = np.sum(w, axis=axis, keepdims=keepdims)
    avg = np.sum(a * w, axis=axis, keepdims=keepdims) / scl
    return (avg, scl) if returned else avg


@_composed(np.clip)
def clip(x: Any, a_min: Any = None, a_max: Any = None, **kw: Any) -> Any:
    """``np.clip``: the scalar rules ``minimum`` / ``maximum`` / ``clip`` of numeric/rules.py
    elementwise (derivative 1 in x on the closed interval, as the rule documents).

    >>> clip(np.array([-1.0, 0.5, 2.0]), 0.0, 1.0).tolist()
    [0.0, 0.5, 1.0]
    """
    from numeric import functions as F
    if kw:
        raise TypeError(f"numpy.clip of an array number takes no {sorted(kw)}: assign the result")
    if a_min is None:
        return F.minimum(x, a_max)
    if a_max is None:
        return F.maximum(x, a_min)
    return F.clip(x, a_min, a_max)


@_composed(np.array_split)
def array_split(ary: Any, indices_or_sections: Any, axis: int = 0) -> list:
    """``np.array_split``: slices along *axis* (sections of sizes differing by at most one).

    >>> [p.tolist() for p in array_split(np.arange(5.0), 3)]
    [[0.0, 1.0], [2.0, 3.0], [4.0]]
    """
    axis = int(axis) % max(np.ndim(ary), 1)
    n = np.shape(ary)[axis]
    try:
        div = [0] + [int(i) for i in indices_or_sections] + [n]
    except TypeError:
        sections = int(indices_or_sections)
        if sections <= 0:
            raise ValueError("number sections must be larger than 0.") from None
        each, extras = divmod(n, sections)
        sizes = [0] + extras * [each + 1] + (sections - extras) * [each]
        div = np.cumsum(sizes).tolist()
    return [_slab(ary, axis, div[i], div[i + 1]) for i in range(len(div) - 1)]


@_composed(np.split)
def split(ary: Any, indices_or_sections: Any, axis: int = 0) -> list:
    """``np.split``: as :func:`array_split`, but equal sections only.

    >>> len(split(np.arange(6.0), 3))
    3
    """
    if np.ndim(indices_or_sections) == 0:
        n = np.shape(ary)[int(axis) % max(np.ndim(ary), 1)]
        if n % int(indices_or_sections):
            raise ValueError("array split does not result in an equal division")
    return array_split(ary, indices_or_sections, axis)


def _split_along(name: str, min_ndim: int, axis_of):
    def impl(ary: Any, indices_or_sections: Any) -> list:
        if np.ndim(ary) < min_ndim:
            raise ValueError(f"{name} only works on arrays of {min_ndim} or more dimensions")
        return split(ary, indices_or_sections, axis_of(np.ndim(ary)))
    impl.__name__ = name
    impl.__doc__ = f"``np.{name}``: :func:`split` along its axis."
    return impl


hsplit = _composed(np.hsplit)(_split_along("hsplit", 1, lambda nd: 1 if nd > 1 else 0))
vsplit = _composed(np.vsplit)(_split_along("vsplit", 2, lambda nd: 0))
dsplit = _composed(np.dsplit)(_split_along("dsplit", 3, lambda nd: 2))


@_composed(np.partition)
def partition(a: Any, kth: Any, axis: Any = -1, kind: str = "introselect",
              order: Any = None) -> Any:
    """``np.partition``: *a* indexed by ``np.argpartition`` of its primal values.

    Piecewise linear, like ``sort``: the derivative follows the elements to where
    NumPy's partition puts them. On a device (CuPy, array API) it is the stable sort
    (``np.sort``'s rule there): a sorted array is a valid partition for every *kth*, since
    NumPy leaves the order within each side unspecified, and the derivative follows the same
    elements. Without ties the elements at the *kth* positions (and their derivatives) are
    NumPy's; elsewhere the order may differ from NumPy's, as two valid partitions may.

    >>> partition(np.array([3.0, 1.0, 2.0]), 1).tolist()
    [1.0, 2.0, 3.0]
    """
    if order is not None:
        from numeric.arrayrules import UnsupportedArrayFunction
        raise UnsupportedArrayFunction("numpy.partition with order= (structured arrays) has "
                                       "no derivative rule")
    if is_foreign(innermost(a)):
        _check_kth(kth, _shape(a), axis)
        return np.sort(a, axis=axis)
    if axis is None:
        a, axis = np.reshape(a, (-1,)), 0
    axis = int(axis) % np.ndim(a)
    idx = np.argpartition(np.asarray(innermost(a)), kth, axis=axis, kind=kind)
    ix = list(np.ix_(*[np.arange(s) for s in idx.shape]))
    ix[axis] = idx
    return a[tuple(ix)]


def _check_kth(kth: Any, shape: tuple, axis: Any) -> None:
    """NumPy's bounds check of *kth* (the device path sorts, which would accept any)."""
    n = int(np.prod(shape)) if axis is None else shape[int(axis) % len(shape)]
    for k in np.atleast_1d(kth):
        if not -n <= int(k) < n:
            raise ValueError(f"kth(={int(k)}) out of bounds ({n})")


@_composed(np.angle)
def angle(z: Any, deg: bool = False) -> Any:
    """``np.angle``: ``arctan2(imag(z), real(z))`` for complex *z*; for real *z* the
    constant ``pi`` (negative) or 0, with derivative 0 (no ``0/0`` at 0).

    >>> float(angle(np.array([-2.0]))[0]) == float(np.pi)
    True
    """
    if is_complex(innermost(z)):
        out = np.arctan2(np.imag(z), np.real(z))
    else:       # the comparison is on z itself, so a recording tape guards it
        zero = 0.0 * z
        out = np.where(z < 0, zero + np.pi, zero)
    return out * (180.0 / np.pi) if deg else out


def _truth(name: str, reduce):
    def impl(a: Any, axis: Any = None, out: Any = None, keepdims: bool = False, **kw) -> Any:
        # on values, through a comparison on a itself (a recording tape guards it); no derivative
        if out is not None:
            raise TypeError(f"numpy.{name}(..., out=) of an array number: assign the result")
        nonzero = ~(np.abs(a) <= 0)          # NaN counts as nonzero, as in NumPy
        return reduce(nonzero, axis=axis, keepdims=keepdims, **kw)
    impl.__name__ = name
    impl.__doc__ = f"``np.{name}`` of an array number: of its values (NaN is nonzero); no derivative."
    return impl


all_ = _composed(np.all)(_truth("all", np.all))
any_ = _composed(np.any)(_truth("any", np.any))


@_composed(np.real_if_close)
def real_if_close(a: Any, tol: float = 100) -> Any:
    """``np.real_if_close``: ``np.real(a)`` when every imaginary part is within *tol*
    machine epsilons of zero (the comparison is made on *a*, so a recording guards it).

    >>> real_if_close(np.array([1.0 + 1e-17j])).dtype
    dtype('float64')
    """
    v = innermost(a)
    if not is_complex(v):
        return a
    if tol > 1:
        tol = float(finfo(real_of(v)).eps) * tol
    small = np.abs(np.imag(a)) < tol
    return np.real(a) if bool(namespace(small).all(small) if is_foreign(small) else np.all(small)) else a
