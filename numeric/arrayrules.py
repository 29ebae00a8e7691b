"""Array functions written once, for every array number type.

The functions here are compositions of primitives that every array type
(``DualArray``, ``TrackedArray``, ``MeasurementArray``) already implements
through ``__array_function__`` (``reshape``, ``moveaxis``, ``matmul``,
multiplication).  Each array type registers them for the matching NumPy
function, so the semantics (shapes, contraction axes, scalar operands) are
decided in one place and cannot drift apart between forward mode, reverse
mode and measurements.

This is the first part of the shared array-rule table (issue 10): ``np.dot``
and ``np.inner`` live here because each type's private copy had the wrong
semantics (``np.dot`` above 2-D behaved like ``matmul``; ``np.inner`` with a
scalar operand summed).

Examples
--------
>>> import numpy as np
>>> from numeric import arrayrules
>>> a = np.arange(24.0).reshape(2, 3, 4); b = np.arange(20.0).reshape(5, 4, 1)
>>> bool(np.allclose(arrayrules.dot(a, b), np.dot(a, b)))
True
>>> arrayrules.inner(2.0, np.array([1.0, 2.0, 3.0])).tolist()
[2.0, 4.0, 6.0]
"""

from __future__ import annotations

from typing import Any

import numpy as np

from numeric import backend, xpcompat
from numeric.backend import is_foreign

__all__ = ["dot", "inner", "exclusive_products", "extreme_indicator", "swapaxes_args", "LINEAR", "LinearRule", "bind", "apply_to_columns",
           "dual_impl", "tape_key", "tape_impl", "supported_table", "GETITEM"]


def _shape(x: Any) -> tuple:
    return tuple(np.shape(x)) if not hasattr(x, "shape") else tuple(x.shape)


def _rows(P: Any) -> tuple:
    """``(rows, k)``: partials *P* (trailing axis of k directions) as a matrix, one row per element.
    Spelled out, not ``(-1, k)``: with no directions (k = 0: a measurement without sources yet)
    NumPy cannot infer the -1."""
    return (_size(tuple(P.shape[:-1])), int(P.shape[-1]))


def _size(shape: tuple) -> int:
    n = 1
    for s in shape:
        n *= int(s)
    return n


def dot(a: Any, b: Any) -> Any:
    """``np.dot(a, b)``: sum over the last axis of *a* and the second-to-last of *b*.

    Scalars multiply; 1-D and 2-D operands are ``matmul``; above 2-D the
    operands are flattened to matrices so that the result has NumPy's shape
    ``a.shape[:-1] + b.shape[:-2] + b.shape[-1:]`` (not matmul's batching).

    Examples
    --------
    >>> import numpy as np
    >>> dot(np.ones((2, 2, 3)), np.ones((4, 3, 5))).shape
    (2, 2, 4, 5)
    """
    sa, sb = _shape(a), _shape(b)
    if len(sa) == 0 or len(sb) == 0:
        return a * b
    if len(sb) == 1 or (len(sa) <= 2 and len(sb) <= 2) or len(sa) == 1 and len(sb) == 2:
        return np.matmul(a, b)
    if len(sa) == 1:                     # vector . N-D: contract with b's axis -2
        b2 = np.reshape(np.moveaxis(b, -2, 0), (sb[-2], _size(sb) // sb[-2]))
        return np.reshape(np.matmul(a, b2), sb[:-2] + sb[-1:])
    a2 = np.reshape(a, (_size(sa[:-1]), sa[-1]))
    b2 = np.reshape(np.moveaxis(b, -2, 0), (sb[-2], _size(sb) // sb[-2]))
    return np.reshape(np.matmul(a2, b2), sa[:-1] + sb[:-2] + sb[-1:])


def inner(a: Any, b: Any) -> Any:
    """``np.inner(a, b)``: sum over the last axes; leading axes form an outer product.

    A scalar operand multiplies (``np.inner(2, [1, 2, 3])`` is ``[2, 4, 6]``).
    The result has shape ``a.shape[:-1] + b.shape[:-1]``.

    Examples
    --------
    >>> import numpy as np
    >>> inner(np.ones((2, 3)), np.ones((4, 3))).shape
    (2, 4)
    """
    sa, sb = _shape(a), _shape(b)
    if len(sa) == 0 or len(sb) == 0:
        return a * b
    if len(sa) == 1 and len(sb) == 1:
        return np.matmul(a, b)
    a2 = np.reshape(a, (_size(sa[:-1]), sa[-1]))
    b2 = np.reshape(b, (_size(sb[:-1]), sb[-1]))
    return np.reshape(np.matmul(a2, np.transpose(b2)), sa[:-1] + sb[:-1])


def exclusive_products(v: Any, axis: int = -1) -> Any:
    """``prod_{j != i} v_j`` along *axis* for every i: the partials of ``np.prod``.

    Left and right running products, never a division by ``v_i``, so a zero
    factor (a polynomial at a root, nested derivatives at 0) gives exact
    partials instead of ``0 / 0``.  Plain arrays use their namespace's
    ``cumprod``; number-type arrays (a DualArray, a TrackedArray, nested) use
    products of slices, which every array type differentiates.

    Examples
    --------
    >>> import numpy as np
    >>> exclusive_products(np.array([2.0, 0.0, 5.0])).tolist()
    [0.0, 10.0, 0.0]
    """
    move = xpcompat.on_any(np.moveaxis)
    v = move(v, axis, -1)
    n = _shape(v)[-1]
    if n == 0:
        return move(v, -1, axis)
    if is_foreign(v):
        xp = backend.namespace(v)
        ones = xp.ones(tuple(v.shape[:-1]) + (1,), dtype=v.dtype, device=backend.device_of(v))
        cumprod = getattr(xp, "cumulative_prod", None) or xp.cumprod
        left = xp.concat([ones, cumprod(v[..., :-1], axis=-1)], axis=-1)
        right = xp.flip(xp.concat([ones, cumprod(xp.flip(v[..., 1:], axis=-1), axis=-1)], axis=-1), axis=-1)
        return move(left * right, -1, axis)
    plain = hasattr(v, "dtype") and not hasattr(type(v), "_nm_array") and v.dtype != object
    if plain:
        xp = backend.namespace(v)
        ones = xp.ones(v.shape[:-1] + (1,), dtype=v.dtype)
        left = xp.concatenate([ones, xp.cumprod(v[..., :-1], axis=-1)], axis=-1)
        right = xp.concatenate([ones, xp.cumprod(v[..., :0:-1], axis=-1)], axis=-1)[..., ::-1]
    else:
        one = v[..., :1] * 0 + 1
        lefts, rights = [one], [one]
        for i in range(1, n):
            lefts.append(lefts[-1] * v[..., i - 1:i])
            rights.append(rights[-1] * v[..., n - i:n - i + 1])
        left = np.concatenate(lefts, axis=-1) if n > 1 else one
        right = np.concatenate(rights[::-1], axis=-1) if n > 1 else one
    return np.moveaxis(left * right, -1, axis)


def extreme_indicator(v: Any, axis: Any, which: str) -> np.ndarray:
    """0/1 array marking, per reduced slice of the plain array *v*, the element that
    ``np.max`` (``which="argmax"``) or ``np.min`` (``"argmin"``) returns: the FIRST one among
    ties, as ``np.argmax`` picks. Every array type's max/min differentiate through this
    element, so forward mode, reverse mode and measurements agree at ties.

    Examples
    --------
    >>> import numpy as np
    >>> extreme_indicator(np.array([[1.0, 3.0, 3.0], [2.0, 0.0, 2.0]]), 1, "argmax").tolist()
    [[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]]
    """
    v = _host_or_device(v)
    nd = v.ndim
    axes = tuple(range(nd)) if axis is None else tuple(sorted(   # C order: first as NumPy reads
        int(a) % nd for a in (axis if isinstance(axis, (tuple, list)) else (axis,))))
    rest = [a for a in range(nd) if a not in axes]
    perm = rest + list(axes)
    kept = [v.shape[a] for a in rest]
    if is_foreign(v):
        xp = backend.namespace(v)
        moved = xp.reshape(xp.permute_dims(v, tuple(perm)), tuple(kept) + (-1,))
        mask = xp.astype(first_extreme(moved, which), backend.float_dtype(v))
        mask = xp.reshape(mask, tuple(kept) + tuple(v.shape[a] for a in axes))
        return xp.permute_dims(mask, tuple(int(i) for i in np.argsort(perm)))
    moved = np.transpose(v, perm).reshape(kept + [-1])
    mask = np.zeros(moved.shape)
    np.put_along_axis(mask, getattr(np, which)(moved, axis=-1)[..., None], 1.0, axis=-1)
    return np.transpose(mask.reshape(kept + [v.shape[a] for a in axes]), np.argsort(perm))


def first_extreme(v: Any, which: str) -> Any:
    """Boolean mask of the element ``argmax`` (``which="argmax"``) or ``argmin`` picks along the last
    axis of the foreign array *v* (the first among ties), computed where *v* lives (no host read)."""
    xp = backend.namespace(v)
    idx = getattr(xp, which)(v, axis=-1, keepdims=True)
    return xp.arange(v.shape[-1], device=backend.device_of(v)) == idx


def swapaxes_args(ndim: int, axis1: int, axis2: int) -> tuple:
    """The permutation ``np.swapaxes(x, axis1, axis2)`` applies (negative axes allowed).

    Examples
    --------
    >>> swapaxes_args(3, 0, -1)
    (2, 1, 0)
    """
    for ax in (axis1, axis2):
        if not -ndim <= ax < ndim:
            raise np.exceptions.AxisError(f"swapaxes: axis {ax} is out of bounds for an array "
                                          f"of dimension {ndim}")
    order = list(range(ndim))
    a, b = axis1 % ndim, axis2 % ndim
    order[a], order[b] = order[b], order[a]
    return tuple(order)


class UnsupportedArrayFunction(TypeError):
    """A NumPy function that no array rule covers for a metanum number type.

    A ``TypeError`` (what NumPy raises when no ``__array_function__`` handles a
    call), with a message naming the function and how to proceed; every message ends by
    pointing to ``nm.custom_rule``.
    """

    def __init__(self, message: str):
        if "custom_rule" not in message:
            message += " (or declare the derivative with nm.custom_rule)"
        super().__init__(message)


def refuse(func: Any, cls: type, types: Any) -> Any:
    """``NotImplemented`` when another type in *types* may handle *func*, else raise.

    Array types call this from ``__array_function__`` for a function without a
    rule: mixed calls keep NumPy's protocol (the other type gets its turn), and
    a call on metanum's type alone raises :class:`UnsupportedArrayFunction`
    instead of NumPy's anonymous "no implementation found".

    Examples
    --------
    >>> import numpy as np
    >>> refuse(np.unwrap, float, [int]) is NotImplemented
    True
    """
    if not all(issubclass(t, cls) or t is np.ndarray for t in types):
        return NotImplemented      # a plain ndarray operand has no implementation to offer
    name = getattr(func, "__module__", "numpy") + "." + getattr(func, "__name__", str(func))
    name = name.replace("numpy.core.", "numpy.").replace("numpy._core.", "numpy.")
    raise UnsupportedArrayFunction(
        f"{name} has no derivative rule for {cls.__name__}: metanum will not guess one. "
        f"Write the computation with supported NumPy functions, call it on nm.value(x) if no "
        f"derivative or uncertainty is needed, or declare its derivative with nm.custom_rule.")


# ---------------------------------------------------------------------------------
# The table of linear primitives (issue 10, "One table for array functions").
# Each entry: the NumPy function (also its application to a plain array) and its
# TRANSPOSE, a function of the cotangent, the primal shape and the kwargs.  From
# one entry, ``dual_impl`` gives the JVP of every "value + linear part with a
# trailing axis" type and ``tape_ops`` the VJP recorded on a reverse-mode tape.
# ---------------------------------------------------------------------------------

import functools  # noqa: E402
import inspect  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from typing import Callable  # noqa: E402


@dataclass(frozen=True)
class LinearRule:
    """A NumPy function linear in its first argument, and its transpose.

    ``transpose(ct, shape, **kwargs)`` returns the cotangent of the operand
    (shape *shape*) for the output cotangent *ct*.  ``samples`` are
    ``(shape, kwargs)`` pairs the generic test runs the entry on.
    """

    func: Callable
    transpose: Callable
    samples: tuple = field(default=())
    check: Callable | None = None     # raises for kwargs where the function is not linear
    batched: Callable | None = None   # batched(P, ndim, **kw): func on each P[..., j] at once
    op: str | None = None             # the reverse tape's op name (default "table.<name>")
    fast: Callable | None = None      # the function on a plain array, if quicker than func
    moves: bool = False               # only selects/moves elements (no sums, no new zeros)
    complex_valued: bool = False      # may map real operands to complex results
    indexed: bool = False             # copies elements or inserts zeros: func of an index array
    #                                   is its index map (a foreign array's JVP is one gather)

    def apply(self, operand: Any, /, **kw: Any) -> Any:
        """The function on a plain *operand* with the bound keyword arguments *kw*."""
        return (self.fast or self.func)(operand, **kw)

    def call(self, operand: Any, /, **kw: Any) -> Any:
        """``func(operand, **kw)`` through NumPy's dispatch (positional-only ones positionally)."""
        pos = [kw.pop(n) for n in _positional_only(self.func) if n in kw]
        return self.func(operand, *pos, **kw)


LINEAR: dict = {}


def _linear(func, samples, check=None, batched=None, op=None, fast=None, moves=False,
            complex_valued=False, indexed=False):
    if fast is None and func in xpcompat.XP:   # a foreign operand: the function's array-API form
        fast = xpcompat.on_any(func)
    if indexed:                      # ... and its partials one gather by the index map
        rows = xpcompat.gather_rows(func)
        batched = xpcompat.either(batched or (lambda P, ndim, **kw: _columns(func, P, kw)),
                                  lambda xp, P, ndim, **kw: rows(P, ndim, **kw))

    def deco(transpose):
        LINEAR[func] = LinearRule(func, transpose, tuple(samples), check, batched, op, fast,
                                  moves, complex_valued, indexed)
        return transpose
    return deco


def _columns(func, P, kw):
    """*func* on every column ``P[..., j]`` of a NumPy (or metanum) partials array."""
    if P.shape[-1] == 0:                         # no directions: the result's shape, no columns
        return np.empty(np.shape(func(np.zeros(P.shape[:-1]), **kw)) + (0,))
    return np.stack([func(P[..., j], **kw) for j in range(P.shape[-1])], axis=-1)


def _host_or_device(ct):
    """A transpose's plain cotangent as an array: a device array stays where it is."""
    return ct if is_foreign(ct) else np.asarray(ct)


def _leading_axes(func):
    """``batched`` for a function whose axes are counted from the front (trailing batch axis)."""
    return lambda P, ndim, **kw: func(P, **kw)


def _on_front(func):
    """``batched`` for a function acting on the last axes: the batch axis moves to the front."""
    move = xpcompat.on_any(np.moveaxis)
    return lambda P, ndim, **kw: move(func(move(P, -1, 0), **kw), 0, -1)


def _scatter_back(func, ct, shape, kwargs):
    """Transpose of a function that only copies elements: apply it to an index array."""
    if is_foreign(ct):                                         # a device cotangent: gathers
        return xpcompat.scatter_add(ct, xpcompat.index_map(func, shape, kwargs), shape)
    n = _size(shape)
    idx = func(np.arange(1, n + 1).reshape(shape), **kwargs)   # 0 marks inserted constants
    flat = np.ravel(idx)
    keep = flat > 0
    if not (isinstance(ct, (np.ndarray, float, int, complex, np.generic))
            and np.asarray(ct).dtype != object):
        # a number-type cotangent (higher order): the 0/1 selection matrix keeps it generic
        E = np.zeros((n, flat.size))
        E[flat[keep] - 1, np.nonzero(keep)[0]] = 1.0
        return np.reshape(E @ np.reshape(ct, (-1,)), shape)
    c = np.ravel(np.asarray(ct))
    out = np.bincount(flat[keep] - 1, weights=np.real(c[keep]), minlength=n)
    if np.iscomplexobj(c):
        out = out + 1j * np.bincount(flat[keep] - 1, weights=np.imag(c[keep]), minlength=n)
    return out.reshape(shape)


@_linear(np.tile, [((3,), {"reps": 2}), ((2, 3), {"reps": (2, 1, 2)})], moves=True, indexed=True)
def _tile_t(ct, shape, reps):
    return _scatter_back(np.tile, ct, shape, {"reps": reps})


@_linear(np.repeat, [((3,), {"repeats": 2}), ((2, 3), {"repeats": 3, "axis": 1}),
                     ((2, 2), {"repeats": [1, 2], "axis": 0})], moves=True, indexed=True)
def _repeat_t(ct, shape, repeats, axis=None):
    return _scatter_back(np.repeat, ct, shape, {"repeats": repeats, "axis": axis})


@_linear(np.diagonal, [((3, 3), {}), ((2, 4, 3), {"offset": 1, "axis1": 2, "axis2": 0})],
         moves=True, indexed=True)
def _diagonal_t(ct, shape, offset=0, axis1=0, axis2=1):
    return _scatter_back(np.diagonal, ct, shape, {"offset": offset, "axis1": axis1, "axis2": axis2})


@_linear(np.diag, [((3,), {}), ((3,), {"k": -1}), ((3, 4), {"k": 1})], indexed=True)
def _diag_t(ct, shape, k=0):
    return _scatter_back(np.diag, ct, shape, {"k": k})


@_linear(np.flipud, [((3,), {}), ((3, 2), {})], batched=_leading_axes(xpcompat.on_any(np.flipud)),
         moves=True)
def _flipud_t(ct, shape):
    return xpcompat.on_any(np.flipud)(_host_or_device(ct))


@_linear(np.fliplr, [((2, 3), {}), ((2, 3, 2), {})], batched=_leading_axes(xpcompat.on_any(np.fliplr)),
         moves=True)
def _fliplr_t(ct, shape):
    return xpcompat.on_any(np.fliplr)(_host_or_device(ct))


def _rot90_batched(P, ndim, k=1, axes=(0, 1)):
    return np.rot90(P, k, tuple(a % ndim for a in axes))


@_linear(np.rot90, [((2, 3), {}), ((2, 3), {"k": 3}), ((2, 3, 4), {"k": 2, "axes": (2, 0)})],
         batched=_rot90_batched, moves=True, indexed=True)
def _rot90_t(ct, shape, k=1, axes=(0, 1)):
    return xpcompat.on_any(np.rot90)(_host_or_device(ct), -k, axes)   # a rotation's transpose: its inverse


@_linear(np.triu, [((3, 3), {}), ((3, 4), {"k": -1}), ((2, 3, 3), {"k": 1})],
         batched=_on_front(xpcompat.on_any(np.triu)))
def _triu_t(ct, shape, k=0):
    return xpcompat.on_any(np.triu)(_host_or_device(ct), k)         # a mask: self-transpose


@_linear(np.tril, [((3, 3), {}), ((4, 3), {"k": 1}), ((2, 3, 3), {"k": -1})],
         batched=_on_front(xpcompat.on_any(np.tril)))
def _tril_t(ct, shape, k=0):
    return xpcompat.on_any(np.tril)(_host_or_device(ct), k)


def _norm_axes(axis, ndim):
    if axis is None:
        return tuple(range(ndim))
    return tuple(a % ndim for a in (axis if isinstance(axis, tuple) else (axis,)))


def _flip_batched(P, ndim, axis=None):
    return xpcompat.on_any(np.flip)(P, _norm_axes(axis, ndim))


@_linear(np.flip, [((3,), {}), ((2, 3), {"axis": 1}), ((2, 3, 2), {"axis": (0, -1)})],
         batched=_flip_batched, moves=True)
def _flip_t(ct, shape, axis=None):
    return xpcompat.on_any(np.flip)(_host_or_device(ct), axis)    # a permutation that is its own inverse


def _roll_batched(P, ndim, shift, axis=None):
    roll = xpcompat.on_any(np.roll)
    if axis is None:                               # roll the flattened primal axes
        flat = backend.reshape(P, _rows(P))
        return backend.reshape(roll(flat, shift, 0), P.shape)
    ax = tuple(a % ndim for a in axis) if isinstance(axis, tuple) else axis % ndim
    return roll(P, shift, ax)


@_linear(np.roll, [((5,), {"shift": 2}), ((2, 3), {"shift": -1}), ((2, 3), {"shift": 1, "axis": -1}),
                   ((2, 3, 2), {"shift": (1, 2), "axis": (0, 1)})], batched=_roll_batched,
         moves=True)
def _roll_t(ct, shape, shift, axis=None):
    return xpcompat.on_any(np.roll)(_host_or_device(ct), tuple(-np.asarray(shift).ravel()) if np.ndim(shift)
                                    else -shift, axis)    # the inverse rotation


def _diff_check(kwargs):
    if kwargs.get("prepend", np._NoValue) is not np._NoValue or \
            kwargs.get("append", np._NoValue) is not np._NoValue:
        raise UnsupportedArrayFunction(
            "numpy.diff with prepend/append has no derivative rule (it is affine, not linear): "
            "concatenate the constants first, np.diff(np.concatenate([c, x]))")


def _diff_batched(P, ndim, n=1, axis=-1, **kw):
    return xpcompat.on_any(np.diff)(P, n=n, axis=axis % ndim)


@_linear(np.diff, [((5,), {}), ((4, 3), {"n": 2, "axis": 0}), ((2, 5), {"n": 3}),
                   ((3, 4), {"n": 0})], check=_diff_check, batched=_diff_batched)
def _diff_t(ct, shape, n=1, axis=-1, **kw):
    g = _host_or_device(ct)
    ax = axis % len(shape)
    if is_foreign(g):                              # g_in[i] = g[i-1] - g[i] = -diff([0, g, 0])[i]
        xp = backend.namespace(g)
        for _ in range(n):
            z = xp.zeros(g.shape[:ax] + (1,) + g.shape[ax + 1:], dtype=g.dtype, device=backend.device_of(g))
            g = -xp.diff(xp.concat([z, g, z], axis=ax), axis=ax)
        return g
    lo, hi = (slice(None),) * ax + (slice(None, -1),), (slice(None),) * ax + (slice(1, None),)
    for _ in range(n):                             # one difference: g_in[i] = g[i-1] - g[i]
        s = list(g.shape)
        s[ax] += 1
        out = np.zeros(s, dtype=np.result_type(g, float))
        out[lo] -= g
        out[hi] += g
        g = out
    return g


def _out_check(kwargs):
    if kwargs.get("out") is not None:
        raise UnsupportedArrayFunction("out= has no derivative rule; assign the result instead")


def _cumsum_batched(P, ndim, axis=None, dtype=None, out=None):
    cumsum = xpcompat.on_any(np.cumsum)
    if axis is None:                               # cumulate over the flattened primal axes
        return cumsum(backend.reshape(P, _rows(P)), axis=0)
    return cumsum(P, axis=axis % ndim)


@_linear(np.cumsum, [((5,), {}), ((2, 3), {}), ((3, 4), {"axis": -2})], check=_out_check,
         batched=_cumsum_batched)
def _cumsum_t(ct, shape, axis=None, dtype=None, out=None):
    g, flip, cumsum = _host_or_device(ct), xpcompat.on_any(np.flip), xpcompat.on_any(np.cumsum)
    if axis is None:                               # reversed cumulative sum, on the flat array
        return backend.reshape(flip(cumsum(flip(backend.reshape(g, (-1,))))), shape)
    return flip(cumsum(flip(g, axis), axis=axis), axis)


def _trace_batched(P, ndim, offset=0, axis1=0, axis2=1, dtype=None, out=None):
    return xpcompat.on_any(np.trace)(P, offset, axis1 % ndim, axis2 % ndim)


def _trace_check(kwargs):
    if kwargs.get("out") is not None:
        raise UnsupportedArrayFunction("numpy.trace with out= has no derivative rule; "
                                       "assign the result instead")


@_linear(np.trace, [((3, 3), {}), ((4, 5), {"offset": -2}), ((2, 3, 4), {"offset": 1}),
                    ((3, 2, 4), {"offset": -1, "axis1": 2, "axis2": 0})], check=_trace_check,
         batched=_trace_batched)
def _trace_t(ct, shape, offset=0, axis1=0, axis2=1, dtype=None, out=None):
    # trace = sum of the diagonal: its transpose spreads ct along the diagonal
    m = np.diagonal(np.empty(shape), offset, axis1, axis2).shape[-1]
    g = _host_or_device(ct)
    if is_foreign(g):
        xp = backend.namespace(g)
        spread = xp.broadcast_to(xp.expand_dims(g, axis=-1), tuple(g.shape) + (m,))
    else:
        spread = np.broadcast_to(g[..., None], g.shape + (m,))
    return _diagonal_t(spread, shape, offset, axis1, axis2)


def _pad_check(kwargs):
    if kwargs.get("mode", "constant") != "constant" or np.any(np.asarray(
            kwargs.get("constant_values", 0)) != 0):
        raise UnsupportedArrayFunction(
            "numpy.pad has a derivative rule for mode='constant' with constant_values=0 only; "
            "pad with zeros and add the constant afterwards")


@_linear(np.pad, [((3,), {"pad_width": 2}), ((2, 3), {"pad_width": ((1, 0), (0, 2))})],
         check=_pad_check, indexed=True)
def _pad_t(ct, shape, pad_width, mode="constant", **kwargs):
    return _scatter_back(np.pad, ct, shape, {"pad_width": pad_width})


def _trapezoid_batched(P, ndim, x=None, dx=1.0, axis=-1):
    return xpcompat.on_any(np.trapezoid)(P, x=x, dx=dx, axis=axis % ndim)


@_linear(np.trapezoid, [((5,), {}), ((3, 4), {"dx": 0.5, "axis": 0}),
                        ((4,), {"x": np.array([0.0, 0.3, 1.0, 1.1])})], batched=_trapezoid_batched)
def _trapezoid_t(ct, shape, x=None, dx=1.0, axis=-1):
    n = shape[axis]
    w = xpcompat.trapezoid_weights(n, x, dx)
    wshape = [1] * len(shape)
    wshape[axis] = n
    g = _host_or_device(ct)
    if is_foreign(g):
        xp = backend.namespace(g)
        w = xp.reshape(xp.asarray(w, dtype=g.dtype, device=backend.device_of(g)), tuple(wshape))
        return xp.broadcast_to(xp.expand_dims(g, axis=axis % len(shape)) * w, tuple(shape))
    return np.broadcast_to(np.expand_dims(g, axis % len(shape)) * w.reshape(wshape), shape)


@functools.lru_cache(maxsize=None)
def _signature(func: Callable) -> inspect.Signature:
    return inspect.signature(func)          # cached: signature() costs ~10 us a call


@functools.lru_cache(maxsize=None)
def _names(func: Callable) -> tuple:
    """Parameter names after the first (empty if *func* takes ``*args`` or ``**kwargs``)."""
    ps = list(_signature(func).parameters.values())
    if any(p.kind in (p.VAR_KEYWORD, p.VAR_POSITIONAL) for p in ps):
        return ()
    return tuple(p.name for p in ps[1:] if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD,
                                                       p.KEYWORD_ONLY))


@functools.lru_cache(maxsize=None)
def _positional_only(func: Callable) -> tuple:
    ps = list(_signature(func).parameters.values())[1:]
    return tuple(p.name for p in ps if p.kind == p.POSITIONAL_ONLY)


def _fast_bind(func: Callable, args: tuple, kwargs: dict) -> dict | None:
    """Keyword arguments after the operand without ``Signature.bind`` (~3 us), or None."""
    names = _names(func)
    pos = names[:len(args) - 1]
    if len(pos) != len(args) - 1 or not set(names).issuperset(kwargs) or set(pos) & set(kwargs):
        return None
    kw = dict(zip(pos, args[1:]))
    kw.update(kwargs)
    return kw


def _bind(rule: LinearRule, args: tuple, kwargs: dict) -> tuple:
    """The operand and the remaining arguments of *rule*'s function, by name."""
    kw = _fast_bind(rule.func, args, kwargs) if args else None
    if kw is not None:
        if rule.check is not None:
            rule.check(kw)
        return args[0], kw
    b = _signature(rule.func).bind(*args, **kwargs)
    items = list(b.arguments.items())
    kw = dict(items[1:])
    kw.update(kw.pop("kwargs", {}))                                 # np.pad's **kwargs
    if rule.check is not None:
        rule.check(kw)
    return items[0][1], kw


def _tracked_arg(v: Any) -> bool:
    return hasattr(v, "partials") or hasattr(v, "tape") or hasattr(v, "_nm_order")


def bind(rule: LinearRule, args: tuple, kwargs: dict) -> tuple:
    """``(operand, keyword arguments)`` of a call of *rule*'s function, checked.

    Raises :class:`UnsupportedArrayFunction` where the function is not linear for these
    arguments (``rule.check``) or an argument other than the operand carries a derivative.
    """
    x, kw = _bind(rule, args, kwargs)
    for v in kw.values():
        if _tracked_arg(v):
            raise UnsupportedArrayFunction(
                f"{rule.func.__name__}: only the first argument may carry derivatives")
    return x, kw


def apply_to_columns(rule: LinearRule, P: Any, kw: dict) -> Any:
    """*rule*'s function on every column ``P[..., j]`` (trailing axis kept): the JVP."""
    if rule.batched is not None:                 # all columns in one call (fast path)
        return rule.batched(P, P.ndim - 1, **kw)
    return _columns(rule.apply, P, kw)


def dual_impl(rule: LinearRule, wrap: Callable, to_array: Callable) -> Callable:
    """The JVP of *rule* for a type with ``value`` and ``partials`` (trailing axis).

    The function is applied to the value and to each column of the partials
    (linearity); ``wrap(value, partials, tag)`` builds the result.
    """
    func = rule.fast or rule.func

    def impl(*args, **kwargs):
        x, kw = bind(rule, args, kwargs)
        if not _tracked_arg(x):
            return func(x, **kw)
        x = to_array(x)
        return wrap(func(x.value, **kw), apply_to_columns(rule, x.partials, kw), x._nm_order)
    return impl


def tape_key(func: Callable) -> str:
    """The reverse tape's op name of the table entry for *func*."""
    rule = LINEAR[func]
    return rule.op or "table." + func.__name__


def tape_impl(rule: LinearRule, apply_op: Callable) -> Callable:
    """``__array_function__`` implementation recording *rule* as one tape op."""
    key = tape_key(rule.func)

    def impl(*args, **kwargs):
        x, kw = bind(rule, args, kwargs)
        return apply_op(key, (x,), kw)
    return impl


def _public_name(func: Any) -> str:
    mod = getattr(func, "__module__", None) or "numpy"
    mod = mod.replace("numpy._core", "numpy").replace("numpy.core", "numpy")
    for m in ("numpy.fromnumeric", "numpy.numeric", "numpy.shape_base", "numpy.multiarray",
              "numpy.function_base", "numpy.lib"):
        if mod.startswith(m):
            mod = "numpy"
    if mod.startswith("numpy.linalg"):
        mod = "numpy.linalg"
    if mod.startswith("numpy.fft"):
        mod = "numpy.fft"
    return ("np" + mod[5:] if mod.startswith("numpy") else mod) + "." + func.__name__


from numeric import arrayrules_structural  # noqa: E402  (its entries join LINEAR)

COMPOSED = arrayrules_structural.COMPOSED     # functions written with primitives
from numeric import arrayrules_composed  # noqa: E402,F401  (split, partition, angle, ... join it)
COMPOSED[np.dot] = dot
COMPOSED[np.inner] = inner
JOIN = arrayrules_structural.JOIN             # concatenate / stack: linear in each array
GETITEM = arrayrules_structural.GETITEM       # x[index]: each type's __getitem__ applies it


def supported_table() -> str:
    """Markdown table: per NumPy function, which array types have a rule for it.

    Read from the types' registries (``supported_functions``); the committed
    ``docs/supported_numpy.md`` is this text (a test checks it is current).

    Examples
    --------
    >>> "| np.tile | yes | yes | yes | linear table |" in supported_table()
    True
    """
    from numeric import dualarray
    from numeric.measurement import array as marray
    from numeric import arrayrules_nonlinear as nonlinear
    from numeric.arrayrules_multilinear import MULTILINEAR
    from numeric.arrayrules_reductions import REDUCTIONS
    from numeric.reverse import arrayops
    regs = [dualarray.supported_functions(), arrayops.supported_functions(),
            marray.supported_functions()]
    funcs = sorted(set().union(*regs), key=_public_name)
    lines = ["# NumPy functions with derivative / uncertainty rules", "",
             "Generated by `numeric.arrayrules.supported_table()`; do not edit by hand "
             "(`tests/test_arrayrules_table.py` checks it is current).", "",
             "| function | DualArray | TrackedArray | MeasurementArray | source |",
             "|---|---|---|---|---|"]
    for f in funcs:
        cells = ["yes" if f in r else "no" for r in regs]
        src = ("linear table" if f in LINEAR or f in JOIN else "nonlinear table" if f in nonlinear.NONLINEAR
               else "multilinear table" if f in MULTILINEAR else "reductions table" if f in REDUCTIONS
               else "bilinear table" if f in nonlinear.BILINEAR else "index (values only)"
               if f in nonlinear.INDEX else "composition"
               if f in COMPOSED else "type's own rule")
        lines.append(f"| {_public_name(f)} | " + " | ".join(cells) + f" | {src} |")
    return "\n".join(lines + _ufunc_lines()) + "\n"


def _ufunc_lines() -> list:
    """The elementwise section: NumPy ufuncs that map to a rule of ``numeric.rules``."""
    from numeric.protocol import ufunc_rule_name
    from numeric.rules import ARITHMETIC, RULES
    names = sorted(n for n in dir(np) if isinstance(getattr(np, n), np.ufunc)
                   and getattr(np, n).__name__ == n)
    rows = [f"| np.{n} | {ufunc_rule_name(n)} |" for n in names
            if ufunc_rule_name(n) in RULES or ufunc_rule_name(n) in ARITHMETIC]
    return ["", "## Elementwise functions (ufuncs)", "",
            "Every number type (Dual, DualArray, TrackedArray, Measurement, MeasurementArray) "
            "applies these through the scalar rules table `numeric/rules.py` (one rule each, "
            "also reachable as `nm.<rule>`).", "", "| ufunc | rule |", "|---|---|"] + rows
