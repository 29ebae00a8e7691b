"""The array operations of reverse mode: forward functions and their VJPs.

Each :class:`ArrayOp` is a forward function ``forward(*values, **params)``
and vector-Jacobian products ``vjp(g, ans, i, *values, **params)`` giving
the contribution of the output adjoint *g* to argument *i*. The VJPs are
written with NumPy functions, which tracked arrays of an older tape and
``DualArray`` s also implement, so the backward pass can itself be
differentiated (reverse over reverse, forward over reverse).

Elementwise functions are not here: they come from the rules table
(:mod:`numeric.rules`) through :func:`numeric.reverse.tracked.apply_rule`.

The NumPy functions that tracked arrays support (through
``__array_function__``) are the keys of ``HANDLED``: ``sum``, ``mean``,
``prod``, ``max``/``min``, ``dot``/``matmul``, ``inner``, ``outer``,
``reshape``, ``ravel``, ``transpose``, ``swapaxes``, ``moveaxis``,
``squeeze``, ``expand_dims``, ``broadcast_to``, ``concatenate``, ``stack``,
``hstack``, ``vstack``, ``where``, ``clip``, ``cumsum``, ``diff``, ``flip``,
``roll``, ``trace``, ``linalg.norm``, ``linalg.solve``, ``shape``, ...

Examples
--------
>>> import numpy as np, numeric.reverse as rv
>>> rv.gradient(lambda x: np.sum(np.cumsum(x) ** 2), np.array([1.0, 2.0]))
array([8., 6.])
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from numeric import arrayrules, arrayrules_multilinear, arrayrules_nonlinear, arrayrules_reductions, xpcompat
from numeric.backend import astype as backend_astype, device_of, is_array, is_foreign, namespace
from numeric.complex_forms import is_complex, real_of
from numeric.protocol import value as primal_value
from numeric.reverse.tape import _OwnedArray, _ScatterAdd
from numeric.reverse.tracked import (HANDLED, OPS, Tracked, apply_op, is_tracked,
                                     shape_of, unbroadcast)

__all__ = ["ArrayOp", "OPS", "HANDLED"]


@dataclass(frozen=True)
class ArrayOp:
    """An array operation: its forward function and per-argument VJPs."""

    name: str
    forward: Callable[..., Any]
    vjps: tuple


def _def(name, forward, *vjps):
    OPS[name] = ArrayOp(name, forward, tuple(vjps))


def _implements(*funcs):
    def deco(f):
        for func in funcs:
            HANDLED[func] = f
        return f

    return deco


def _axes(axis, ndim):
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, (tuple, list)):
        return tuple(int(a) % ndim for a in axis)
    return (int(axis) % ndim,)


def _plain(g) -> bool:
    return (is_array(g) and g.dtype != object) or isinstance(g, (float, int, np.generic))


def _arrayish(g) -> bool:
    return is_array(g) or hasattr(type(g), "_nm_array")


# -- generic helpers used inside VJPs (they work on any adjoint type) ----------------------

def _reshape(g, shape):
    shape = tuple(shape)
    if shape_of(g) == shape:
        return g
    if is_tracked(g):
        return apply_op("reshape", (g,), {"shape": shape})
    if not _arrayish(g):
        return _bcast(g, shape)
    return np.reshape(g, shape)


def _bcast(g, shape):
    shape = tuple(shape)
    if shape_of(g) == shape:
        return g
    if is_tracked(g):
        return apply_op("broadcast_to", (g,), {"shape": shape})
    if _arrayish(g) or isinstance(g, (float, int, np.generic)):
        return np.broadcast_to(g, shape)
    return g * np.ones(shape)      # a dual or mpf scalar


def _getitem(g, index):
    if is_tracked(g):
        return apply_op("getitem", (g,), {"index": index})
    return g[index]


def _transpose(g, axes):
    if is_tracked(g):
        return apply_op("transpose", (g,), {"axes": axes})
    return np.transpose(g, axes)


def _swap_last(x):
    nd = len(shape_of(x))
    axes = tuple(range(nd - 2)) + (nd - 1, nd - 2)
    return _transpose(x, axes)


def _scatter(g, ans, index, shape, dtype):
    """Adjoint of ``x[index]``: the table's transpose (``arrayrules.GETITEM``), *g* added at
    *index* of zeros; the tape's sparse :class:`_ScatterAdd` where each element is selected
    at most once (its fast path: reading n elements costs O(n) in the backward pass)."""
    if is_foreign(g):
        return _scatter_on_device(g, index, shape)
    if type(g) is np.ndarray and g.dtype != object and dtype != object:
        if not _arrayish(ans) or _basic(index):   # each element selected at most once
            return _ScatterAdd(index, g, shape, np.result_type(dtype, g.dtype))
    if is_tracked(g):
        return apply_op("scatter", (g,), {"index": index, "shape": shape, "dtype": dtype})
    if _plain(g) and dtype != object:
        if not _arrayish(ans) or _basic(index):   # each element selected at most once
            return _ScatterAdd(index, g, shape, np.result_type(dtype, np.asarray(g).dtype))
        return _GETITEM_T(g, shape, index=index).astype(np.result_type(dtype, g.dtype), copy=False)
    if not _arrayish(g):                          # a dual or mpf scalar read by x[i, j]
        onehot = np.zeros(shape)
        onehot[index] = 1.0
        return g * onehot
    return _GETITEM_T(g, shape, index=index)      # duals, mpf: the table's selection matrix


_GETITEM_T = arrayrules.GETITEM.transpose


def _scatter_on_device(g, index, shape):
    """*g* added at *index* of zeros in *g*'s namespace and device (CuPy, array API). Integers,
    slices and Ellipsis select each element once: an assignment. An array index (integers, a mask)
    may select one several times, and the array API has no scatter-add: the same index applied to
    the element positions ``arange(n)`` says where each selected element came from, and a
    segmented sum on the device adds the cotangents there (:func:`numeric.xpcompat.segment_sums`,
    in order of appearance, as NumPy's ``add.at``)."""
    xp = namespace(g)
    out = xp.zeros(tuple(shape), dtype=g.dtype, device=device_of(g))
    if _basic(index):
        out[index] = g
        return out
    n = int(np.prod(shape))
    pos = xp.reshape(xp.arange(n, dtype=xp.int64, device=device_of(g)), tuple(shape))[index]
    flat = xpcompat.segment_sums(xp, xp.reshape(g, (-1,)), xp.reshape(pos, (-1,)), n)
    return xp.reshape(flat, tuple(shape))


def _basic(index) -> bool:
    if type(index) is slice or type(index) is int:
        return True
    parts = index if isinstance(index, tuple) else (index,)
    return all(isinstance(p, (int, np.integer, slice)) or p is Ellipsis for p in parts)


scatter_adjoint = _scatter   # (the name tape.BasicIndexVJP falls back to)


def _scatter_forward(g, index, shape, dtype):
    if is_foreign(g):                             # a device cotangent (reverse over reverse)
        return _scatter_on_device(g, index, shape)
    if _plain(g):                                 # the transposed op: the table's transpose
        return np.asarray(_GETITEM_T(g, shape, index=index)).astype(
            np.result_type(dtype, np.asarray(g).dtype), copy=False)
    return _scatter(g, g, index, shape, dtype)


# -- the table -------------------------------------------------------------------------------

_def("getitem", arrayrules.GETITEM.func,     # the table's entry: x[index], VJP its transpose
     lambda g, ans, i, x, index: _scatter(g, ans, index, shape_of(x), getattr(x, "dtype", float)))
_def("scatter", _scatter_forward,
     lambda g, ans, i, x, index, shape, dtype: _getitem(g, index))
def _setitem_fwd(x, v, index):
    out = x.copy()
    out[index] = v
    return out


def _setitem_vjp(g, ans, i, x, v, index):
    if i == 0:
        if _plain(g):
            out = np.array(g, copy=True)
            out[index] = 0
            return out
        mask = np.ones(shape_of(x))
        mask[index] = 0.0
        return g * mask
    return unbroadcast(_getitem(g, index), shape_of(v))


_def("setitem", _setitem_fwd, _setitem_vjp)


def _register_join(func, rule):
    """concatenate / stack of the table: the VJP of array i is the transpose's component i."""
    name = func.__name__
    _def(name, (lambda r: lambda *arrays, axis=0: r.apply(list(arrays), axis=axis))(rule),
         (lambda t: lambda g, ans, i, *arrays, axis=0: t(g, [shape_of(a) for a in arrays], i,
                                                         axis=axis))(rule.transpose))

    def impl(*args, **kwargs):
        arrays, kw = rule.bind(args, kwargs)
        return apply_op(name, tuple(arrays), kw)
    HANDLED[func] = impl


for _func, _rule in arrayrules.JOIN.items():
    _register_join(_func, _rule)


def _flip(g, axis):
    return _getitem(g, (slice(None),) * axis + (slice(None, None, -1), Ellipsis))


def _cumsum_any(g, axis):
    if is_tracked(g):
        return apply_op("cumsum", (g,), {"axis": axis})
    return xpcompat.on_any(np.cumsum)(g, axis=axis)


_def("cumsum", lambda x, axis: xpcompat.on_any(np.cumsum)(x, axis=axis),
     lambda g, ans, i, x, axis: _flip(_cumsum_any(_flip(g, axis), axis), axis))


# -- NumPy functions ---------------------------------------------------------------------

# np.cumsum is in the LINEAR table; this op is kept as a reverse-mode fast path: gradient of
# sum(cumsum(x, axis=1)**2), 20x20: 32 us here vs 47 us through the table's op.
@_implements(np.cumsum)
def _np_cumsum(x, axis=None, **kw):
    if axis is None:
        x = np.reshape(x, (-1,))
        axis = 0
    return apply_op("cumsum", (x,), {"axis": axis % len(shape_of(x))})


@_implements(np.shape)
def _np_shape(x):
    return shape_of(x)


@_implements(np.ndim)
def _np_ndim(x):
    return len(shape_of(x))


@_implements(np.size)
def _np_size(x, axis=None):
    return int(np.prod(shape_of(x))) if axis is None else shape_of(x)[axis]


@_implements(np.zeros_like)
def _np_zeros_like(x, dtype=None, **kw):
    return xpcompat.on_any(np.zeros_like)(primal_value(x), dtype=dtype)


@_implements(np.ones_like)
def _np_ones_like(x, dtype=None, **kw):
    return xpcompat.on_any(np.ones_like)(primal_value(x), dtype=dtype)


@_implements(np.copy)
def _np_copy(x, **kw):
    return x.copy()  # a new node (identity VJP): writes to the copy never reach x


@_implements(np.isfinite)
def _np_isfinite(x):
    v = x.value     # a mask of the primal values, in their namespace (a device value stays there)
    return namespace(v).isfinite(v) if is_foreign(v) else np.isfinite(v)


@_implements(np.allclose, np.isclose, np.array_equal)
def _np_allclose(*a, **kw):
    raise TypeError("comparing tracked arrays with np.allclose/isclose would compare primal "
                    "values only; use np.allclose(nm.value(a), nm.value(b)) to say so on purpose")


_ = (Tracked, Any)


def register_array_function(func, impl) -> None:
    """Public hook: *impl* handles NumPy function *func* for tracked arrays."""
    HANDLED[func] = impl


# -- the shared table of linear primitives: VJP = the declared transpose ----------------------

def _cotangent_like(r, x, rule):
    """The transposed cotangent *r* in operand *x*'s kind: real for a real operand, cast back
    by ``astype``."""
    if is_complex(r) and not is_complex(primal_value(x)):
        r = real_of(r)
    if rule.func is np.astype and _plain(r) and _arrayish(r):
        r = backend_astype(r, primal_value(x).dtype)
    return r


def _linear_vjp(rule, key_t):
    transpose, adjust = rule.transpose, rule.complex_valued or rule.func is np.astype

    def vjp(g, ans, i, x, /, **kw):
        shape = shape_of(x)
        if _plain(g):                   # float cotangent: the transpose itself, no tape op
            r = transpose(g, shape, **kw)
            if adjust:
                r = _cotangent_like(r, x, rule)
            if type(r) is np.ndarray and type(x) is np.ndarray and r.ndim:
                if r.dtype != x.dtype and r.dtype.kind == "f" and \
                        x.dtype.kind == "f" and not isinstance(g, np.ndarray):
                    r = r.astype(np.result_type(x.dtype, g))    # a float seed keeps float32
                if r.base is None and r is not g:
                    return _OwnedArray(r)   # fresh (np.full of sum's transpose): in place
            return r
        r = apply_op(key_t, (g,), {"operand_shape": shape, **kw})
        return _cotangent_like(r, x, rule) if adjust else r
    return vjp


def _register_linear(func, rule):
    key = arrayrules.tape_key(func)
    fwd = (lambda f: lambda v, /, **kw: f(v, **kw))(rule.fast or rule.func)
    tfwd = (lambda t: lambda g, /, operand_shape, **kw: t(g, operand_shape, **kw))(rule.transpose)
    tvjp = (lambda k: lambda g, ans, i, ct, /, operand_shape, **kw: apply_op(k, (g,), kw))(key)
    _def(key, fwd, _linear_vjp(rule, key + "^T"))
    _def(key + "^T", tfwd, tvjp)       # the transpose's own VJP is the function again
    HANDLED.setdefault(func, arrayrules.tape_impl(rule, apply_op))


for _func, _rule in arrayrules.LINEAR.items():
    _register_linear(_func, _rule)
for (_func, _impl, _ops) in arrayrules_nonlinear.tape_nonlinear_ops(apply_op):
    for (_key, _fwd, _vjp) in _ops:          # VJP = transpose of the entry's linearisation
        _def(_key, _fwd, _vjp)
    if _func in arrayrules_nonlinear.REPLACES or _func not in HANDLED:
        HANDLED[_func] = _impl
for _func, _rule in arrayrules_nonlinear.BILINEAR.items():
    HANDLED.setdefault(_func, _rule.linearize)
for _func, _impl in arrayrules.COMPOSED.items():             # compositions of primitives
    HANDLED.setdefault(_func, _impl)
for _func in arrayrules_nonlinear.INDEX:
    HANDLED.setdefault(_func, arrayrules_nonlinear.index_impl(_func))
for _table in (arrayrules_multilinear.MULTILINEAR, arrayrules_reductions.REDUCTIONS):
    for (_func, _impl, _key, _fwd, _vjp) in arrayrules_multilinear.tape_multilinear_ops(
            apply_op, _table):
        _def(_key, _fwd, _vjp)               # where, einsum, matmul; prod, max/min:
        HANDLED[_func] = _impl               # the VJP is the entry's transpose


def supported_functions() -> frozenset:
    """The NumPy functions tracked arrays' ``__array_function__`` handles."""
    return frozenset(HANDLED)
