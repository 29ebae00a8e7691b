"""``np.prod`` and ``np.max``/``np.min``, written once for every array number type.

Entries of the array-rule table (issue 10) in the same form as the multilinear ones
(:class:`~numeric.arrayrules_multilinear.MultilinearRule`): a JVP on batched tangents
(trailing axis of k columns) and, per operand, the transpose of the linearised map.
``DualArray`` and ``MeasurementArray`` apply the JVP (to the partials / to the components
per source), the reverse tape uses the transpose as its VJP.

* ``prod``: the tangent is ``sum_i (prod_{j != i} x_j) t_i``, the exclusive products
  (:func:`numeric.arrayrules.exclusive_products`, never a division by ``x_i``, so a zero
  factor gives exact partials and nested derivatives).
* ``max``/``min``: they select the first extreme element of each reduced slice (the one
  ``np.argmax``/``np.argmin`` returns, docs/decisions.md); the tangent is that element's
  tangent, the transpose puts the cotangent on it (:func:`numeric.arrayrules.extreme_indicator`).

An axis tuple is read as NumPy reads it: the reduced axes in C order (``axis=(1, 0)`` is
``(0, 1)``).  ``dtype=``, ``out=``, ``initial=`` and ``where=`` have no derivative rule
here and are refused with a message.

Examples
--------
>>> import numpy as np
>>> from numeric.arrayrules_reductions import REDUCTIONS
>>> x = np.array([[2.0, 0.0, 5.0], [1.0, 3.0, 3.0]])
>>> t = np.eye(6).reshape(2, 3, 6)              # one tangent column per element
>>> REDUCTIONS[np.prod].jvp((x,), [t], axis=1, keepdims=False)[0].tolist()
[0.0, 10.0, 0.0, 0.0, 0.0, 0.0]
>>> REDUCTIONS[np.max].jvp((x,), [t], axis=1, keepdims=False)[1].tolist()
[0.0, 0.0, 0.0, 0.0, 1.0, 0.0]
"""

from __future__ import annotations

from typing import Any

import numpy as np

from numeric.arrayrules import (LINEAR, UnsupportedArrayFunction, exclusive_products, extreme_indicator,
                                first_extreme)
from numeric.arrayrules_multilinear import MultilinearRule
from numeric.arrayrules_structural import _reshape_any as _reshape, _sum_fast as _sum, _transpose_any
from numeric.backend import is_foreign, namespace
from numeric.protocol import value
from numeric.xpcompat import on_any

__all__ = ["REDUCTIONS", "reduced_layout"]

_NOVALUE = np._NoValue
_SUM_T = LINEAR[np.sum].transpose
REDUCTIONS: dict = {}


def _shape(x: Any) -> tuple:
    return tuple(x.shape) if hasattr(x, "shape") else tuple(np.shape(x))


def _reduced(axis: Any, ndim: int) -> tuple:
    """The reduced axes, non-negative, in C order (as NumPy reads them)."""
    if axis is None:
        return tuple(range(ndim))
    axes = axis if isinstance(axis, (tuple, list)) else (axis,)
    out = tuple(sorted(int(a) % max(ndim, 1) for a in axes))
    if len(set(out)) != len(out):
        raise ValueError(f"duplicate value in 'axis': {axis!r}")
    return out


def reduced_layout(shape: tuple, axis: Any) -> tuple:
    """``(perm, kept, out_shape)``: the transpose that moves the reduced axes last, the kept
    sizes, and the result's shape with ``keepdims`` (length 1 on the reduced axes)."""
    nd = len(shape)
    axes = _reduced(axis, nd)
    rest = [a for a in range(nd) if a not in axes]
    kept = tuple(shape[a] for a in rest)
    return rest + list(axes), kept, tuple(1 if a in axes else shape[a] for a in range(nd))


def _moved(x: Any, perm: list, kept: tuple, batched: bool) -> Any:
    """*x* (or a batched tangent, one trailing axis more) as ``kept + (n,)`` (+ ``(k,)``)."""
    nd = len(perm)
    n = 1
    for a in perm[len(kept):]:                   # the reduced length, spelled out (no -1: a size-0
        n *= int(_shape(x)[a])                   # array, or no partial directions, leaves it open)
    if batched:
        k = _shape(x)[-1]
        if perm != list(range(nd)):
            x = _transpose_any(x, perm + [nd])
        return _reshape(x, kept + (n, k))
    if perm != list(range(nd)):
        x = _transpose_any(x, perm)
    return _reshape(x, kept + (n,))


def _finish(r: Any, kept: tuple, out_shape: tuple, keepdims: bool, batched: bool) -> Any:
    extra = (_shape(r)[-1],) if batched else ()
    target = (out_shape if keepdims else kept) + extra
    return r if _shape(r) == target else _reshape(r, target)


def _params(axis, keepdims) -> dict:
    return {"axis": tuple(axis) if isinstance(axis, list) else axis,
            "keepdims": False if keepdims is _NOVALUE else bool(keepdims)}


_PLAIN = frozenset({"axis", "keepdims"})


def _split(name: str):
    def split(args, kwargs):
        if len(args) == 1 and _PLAIN.issuperset(kwargs):      # the common call: no binding
            return args, _params(kwargs.get("axis"), kwargs.get("keepdims", False))
        if not args:
            raise TypeError(f"numpy.{name} needs an array argument")
        x, rest = args[0], list(args[1:])
        names = ["axis", "dtype", "out", "keepdims", "initial", "where"]
        kw = dict(zip(names, rest))
        for k, v in kwargs.items():
            if k in kw or k not in names:
                raise TypeError(f"numpy.{name}: unexpected or repeated argument {k!r}")
            kw[k] = v
        for k in ("dtype", "out", "initial", "where"):
            v = kw.get(k, None)
            if v is not None and v is not _NOVALUE and not (k == "where" and v is True):
                raise UnsupportedArrayFunction(
                    f"numpy.{name} with {k}= has no derivative rule; reduce without it (e.g. "
                    f"mask with np.where first) or declare nm.custom_rule")
        return (x,), _params(kw.get("axis", None), kw.get("keepdims", False))
    return split


# ----------------------------------------------------------------------------------- prod

def _prod_apply(x, axis=None, keepdims=False):
    if type(x) is np.ndarray:                      # the method: no dispatch
        return x.prod(axis=axis, keepdims=keepdims)
    return on_any(np.prod)(x, axis=axis, keepdims=keepdims)


def _col(d: Any) -> Any:
    return d[..., None] if len(_shape(d)) else d


def _prod_jvp(ops, ts, axis=None, keepdims=False):
    x, t = ops[0], ts[0]
    shape = _shape(x)
    if isinstance(axis, (int, np.integer)) and shape:      # one axis: no moving
        ax = int(axis) % len(shape)
        d = exclusive_products(x, ax)              # d prod / d x_i, no division by x_i
        r = _col(d) * t
        if type(r) is np.ndarray:
            return r.sum(axis=ax, keepdims=keepdims)
        return _sum(r, axis=ax, keepdims=keepdims)
    perm, kept, out_shape = reduced_layout(shape, axis)
    xm, tm = _moved(x, perm, kept, False), _moved(t, perm, kept, True)
    d = exclusive_products(xm, -1)
    return _finish(_sum(_col(d) * tm, axis=-2), kept, out_shape, keepdims, True)


def _prod_transpose(g, ops, i, axis=None, keepdims=False):
    x = ops[0]
    shape = _shape(x)
    perm, kept, _ = reduced_layout(shape, axis)
    d = exclusive_products(_moved(x, perm, kept, False), -1)
    moved_shape = tuple(shape[a] for a in perm)
    d = _reshape(d, moved_shape)
    if perm != list(range(len(shape))):
        d = _transpose_any(d, tuple(int(a) for a in np.argsort(perm)))
    return _SUM_T(g, shape, axis=axis, keepdims=keepdims) * d


# -------------------------------------------------------------------------------- max/min

def _primal(x: Any) -> Any:
    return x if type(x) is np.ndarray else value(x)


def _extreme(which: str):
    arg = getattr(np, which)
    reduce = np.max if which == "argmax" else np.min

    def pick(xm):
        """Flat positions (into ``kept`` slices) and chosen index of each slice."""
        idx = arg(np.asarray(_primal(xm)), axis=-1)
        rows = np.arange(idx.size)
        return rows, np.reshape(idx, (-1,))

    def apply(x, axis=None, keepdims=False):
        if type(x) is np.ndarray:                  # plain values: NumPy's (the same element)
            return reduce(x, axis=axis, keepdims=keepdims)
        if is_foreign(x):
            return on_any(reduce)(x, axis=axis, keepdims=keepdims)
        shape = _shape(x)
        perm, kept, out_shape = reduced_layout(shape, axis)
        xm = _moved(x, perm, kept, False)
        if _shape(xm)[-1] == 0:
            raise ValueError(f"zero-size array to reduction operation {which[3:]}imum "
                             "which has no identity")
        if is_foreign(_primal(xm)):               # on a device: select by a mask made there
            r = np.sum(np.where(first_extreme(_primal(xm), which), xm, 0.0), axis=-1)   # the where rule
        else:
            rows, idx = pick(xm)
            r = np.reshape(xm, (-1, _shape(xm)[-1]))[rows, idx]
        return _finish(r, kept, out_shape, keepdims, False)

    def jvp(ops, ts, axis=None, keepdims=False):
        x, t = ops[0], ts[0]
        if is_foreign(_primal(x)) and is_foreign(t):
            perm, kept, out_shape = reduced_layout(_shape(x), axis)
            xm, tm = _moved(_primal(x), perm, kept, False), _moved(t, perm, kept, True)
            xp = namespace(tm)
            r = xp.sum(xp.where(first_extreme(xm, which)[..., None], tm, xp.zeros_like(tm)), axis=-2)
            return _finish(r, kept, out_shape, keepdims, True)
        if type(t) is np.ndarray and isinstance(axis, (int, np.integer)) and t.ndim > 1:
            ax = int(axis) % (t.ndim - 1)              # one axis of plain tangents: no moving
            idx = np.expand_dims(arg(np.asarray(_primal(x)), axis=ax), ax)[..., None]
            r = np.take_along_axis(t, idx, axis=ax)
            return r if keepdims else np.squeeze(r, axis=ax)
        perm, kept, out_shape = reduced_layout(_shape(x), axis)
        xm, tm = _moved(x, perm, kept, False), _moved(t, perm, kept, True)
        rows, idx = pick(xm)
        n, k = _shape(tm)[-2:]
        return _finish(np.reshape(tm, (len(rows), n, k))[rows, idx], kept, out_shape, keepdims, True)

    def transpose(g, ops, i, axis=None, keepdims=False):
        x = ops[0]
        mask = extreme_indicator(_primal(x), axis, which)
        return _SUM_T(g, _shape(x), axis=axis, keepdims=keepdims) * mask

    return apply, jvp, transpose


def _make(xs):
    return tuple(xs)


REDUCTIONS[np.prod] = MultilinearRule(
    np.prod, "prod", _split("prod"), _prod_apply, (0,), _prod_jvp, _prod_transpose,
    samples=((((4,),), {}), (((2, 3),), {"axis": 1}), (((2, 3),), {"axis": 0, "keepdims": True}),
             (((2, 3, 2),), {"axis": (2, 0)})), make=_make)
for _func, _name, _which in ((np.max, "max", "argmax"), (np.min, "min", "argmin")):
    _apply, _jvp, _transpose = _extreme(_which)
    _rule = MultilinearRule(
        _func, _name, _split(_name), _apply, (0,), _jvp, _transpose,
        samples=((((4,),), {}), (((2, 3),), {"axis": 1, "keepdims": True}),
                 (((2, 3, 2),), {"axis": (2, 0)})), make=_make)
    REDUCTIONS[_func] = _rule
    REDUCTIONS[getattr(np, "a" + _name)] = _rule
