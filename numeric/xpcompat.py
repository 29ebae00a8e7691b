"""NumPy's array functions for arrays of other namespaces (CuPy, array_api_strict), as a table.

The array rules (numeric/arrayrules*.py) are written with NumPy's functions: on NumPy arrays and on
metanum's array types NumPy's call is right (metanum's types dispatch it to their own rule). An array
of another namespace must not reach NumPy (it would be copied to the host, or refused), so each rule
calls ``on_any(np.F)``: NumPy's ``F`` for NumPy, ``XP[np.F](xp, x, ...)`` for a foreign array, with
NumPy's signature and semantics, written with array-API primitives.

Two kinds of entries:

* a function the array API has (``flip``, ``roll``, ``tile``, ``triu``, ``cumulative_sum``, the FFTs):
  called with NumPy's arguments translated;
* a function that only copies elements or inserts zeros (``rot90``, ``repeat``, ``diagonal``, ``diag``,
  ``take``, ``pad``): one gather (:func:`gather`) by its *index map*, NumPy's function applied on the
  host to the indices ``1..n`` of the operand's shape (0 marks an inserted zero). The map is data of
  the shape and the arguments, computed once per call signature (cached), never from the values.

Its transpose, the scatter-add of a cotangent back to the operand (:func:`scatter_add`), is a sum of
gathers by the same map, one per multiplicity (the array API has no scatter-add): the sums come out
in the order NumPy's ``bincount`` adds them, so device and host cotangents agree to the last bit.

Examples
--------
>>> import numpy as np
>>> on_any(np.flipud)(np.arange(3)).tolist()          # NumPy: NumPy's own function
[2, 1, 0]
>>> index_map(np.rot90, (2, 2), ()).tolist()           # where rot90 takes each element from (1-based)
[[2, 4], [1, 3]]
"""

from __future__ import annotations

import functools
from typing import Any, Callable

import numpy as np

from numeric.backend import device_of, is_foreign, namespace, to_host

__all__ = ["either", "on_any", "index_map", "gather", "gather_rows", "scatter_add", "as_complex", "XP"]


def either(np_impl: Callable, xp_impl: Callable) -> Callable:
    """*np_impl* for NumPy arrays and metanum's array types (NumPy's dispatch), ``xp_impl(xp, x,
    ...)`` for an array *x* of another namespace (CuPy, array_api_strict): the shape functions'
    value, partials and transpose for every namespace, with NumPy's path unchanged.

    >>> flip = either(np.flip, lambda xp, x: xp.flip(x))
    >>> flip(np.arange(3)).tolist()
    [2, 1, 0]
    """
    def impl(x, /, *args, **kwargs):
        return xp_impl(namespace(x), x, *args, **kwargs) if is_foreign(x) else np_impl(x, *args, **kwargs)
    impl.__name__ = getattr(np_impl, "__name__", "impl")
    return impl


# ------------------------------------------------------------------------------ index maps

def _key(value: Any) -> Any:
    """A hashable stand-in for an argument (lists and arrays of indices become tuples)."""
    if isinstance(value, (list, tuple)):
        return tuple(_key(v) for v in value)
    if isinstance(value, np.ndarray):
        return ("array", value.shape, tuple(value.ravel().tolist()))
    return value


@functools.lru_cache(maxsize=256)
def _index_map_cached(func: Callable, shape: tuple, items: tuple, arrays: tuple) -> np.ndarray:
    kw = dict(items)
    kw.update({k: np.asarray(v[2]).reshape(v[1]) for k, v in arrays})
    idx = np.asarray(func(np.arange(1, int(np.prod(shape)) + 1).reshape(shape), **kw), dtype=np.int64)
    idx.setflags(write=False)
    return idx


def index_map(func: Callable, shape: tuple, kw: Any) -> np.ndarray:
    """``func`` of the 1-based element indices of an array of *shape* (0: an inserted zero).

    *kw* is a dict (or an items tuple) of *func*'s other arguments; index arguments on a device are
    read to the host once (they are indices, not data).

    >>> index_map(np.repeat, (2,), {"repeats": 2}).tolist()
    [1, 1, 2, 2]
    """
    items = dict(kw)
    for k, v in list(items.items()):
        if is_foreign(v):
            items[k] = to_host(v)
    arrays = tuple(sorted((k, _key(v)) for k, v in items.items() if isinstance(v, np.ndarray)))
    plain = tuple(sorted((k, _key(v)) for k, v in items.items() if not isinstance(v, np.ndarray)))
    return _index_map_cached(func, tuple(int(s) for s in shape), plain, arrays)


def _zero_row(xp: Any, x: Any, trailing: tuple) -> Any:
    return xp.zeros((1,) + trailing, dtype=x.dtype, device=device_of(x))


def gather(x: Any, idx: np.ndarray, trailing: int = 0) -> Any:
    """Foreign array *x* rearranged by the index map *idx* (0 gives a zero), in x's namespace.

    The last *trailing* axes of *x* are carried along (the partials' direction axis); the map
    indexes the leading ones.
    """
    xp = namespace(x)
    tail = tuple(x.shape[len(x.shape) - trailing:]) if trailing else ()
    flat = xp.reshape(x, (int(np.prod(x.shape[:len(x.shape) - trailing])),) + tail)
    flat = xp.concat([_zero_row(xp, x, tail), flat], axis=0)
    out = xp.take(flat, xp.asarray(np.ravel(idx), device=device_of(x)), axis=0)
    return xp.reshape(out, tuple(idx.shape) + tail)


def gather_rows(func: Callable) -> Callable:
    """``batched`` JVP of an index-map function for a foreign partials array (trailing axis)."""
    def batched(P, ndim, **kw):
        return gather(P, index_map(func, tuple(P.shape[:-1]), kw), trailing=1)
    return batched


def _scatter_plan(idx: np.ndarray, n: int) -> tuple:
    """Per multiplicity r, for each operand element i: 1 + the position of its r-th copy (or 0)."""
    flat = np.ravel(idx)
    pos = np.nonzero(flat)[0]                       # copies of operand elements, in C order
    src = flat[pos] - 1
    order = np.argsort(src, kind="stable")           # each element's copies, in order of appearance
    src, pos = src[order], pos[order]
    first = np.searchsorted(src, src, side="left")
    rank = np.arange(src.size) - first
    plan = []
    for r in range(int(rank.max()) + 1 if src.size else 0):
        g = np.zeros(n, dtype=np.int64)
        sel = rank == r
        g[src[sel]] = pos[sel] + 1
        plan.append(g)
    return tuple(plan)


def scatter_add(ct: Any, idx: np.ndarray, shape: tuple) -> Any:
    """The transpose of :func:`gather`: ``out[i] = sum of ct[j] over idx[j] == i + 1``, shape *shape*."""
    xp = namespace(ct)
    n = int(np.prod(shape))
    flat = xp.concat([_zero_row(xp, ct, ()), xp.reshape(ct, (-1,))], axis=0)
    plan = _cached_plan(idx.tobytes(), tuple(idx.shape), n)
    out = None
    for g in plan:                                   # bincount's order: ((c1 + c2) + c3) ...
        term = xp.take(flat, xp.asarray(g, device=device_of(ct)), axis=0)
        out = term if out is None else out + term
    if out is None:
        out = xp.zeros((n,), dtype=ct.dtype, device=device_of(ct))
    return xp.reshape(out, tuple(shape))


@functools.lru_cache(maxsize=256)
def _cached_plan(data: bytes, shape: tuple, n: int) -> tuple:
    return _scatter_plan(np.frombuffer(data, dtype=np.int64).reshape(shape), n)


def by_index(func: Callable) -> Callable:
    """``XP`` entry of a function that copies elements or inserts zeros: one gather by its map."""
    def xp_impl(xp, x, *args, **kw):
        bound = _bind_rest(func, args, kw)
        return gather(x, index_map(func, tuple(x.shape), bound))
    return xp_impl


def _bind_rest(func: Callable, args: tuple, kw: dict) -> dict:
    """*func*'s arguments after the operand, by name."""
    return {**dict(zip(_parameter_names(func), args)), **kw} if args else kw


@functools.lru_cache(maxsize=None)
def _parameter_names(func: Callable) -> tuple:
    import inspect

    return tuple(inspect.signature(func).parameters)[1:]


# ------------------------------------------------------------------------------ the table

def _axis_tuple(axis: Any) -> Any:
    return tuple(axis) if isinstance(axis, (list, tuple)) else axis


def _moveaxis(xp, x, source, destination):
    src = tuple(int(a) % x.ndim for a in np.atleast_1d(source))
    dst = tuple(int(a) % x.ndim for a in np.atleast_1d(destination))
    return xp.moveaxis(x, src, dst)


def _tile(xp, x, reps):
    return xp.tile(x, tuple(reps) if isinstance(reps, (list, tuple)) else (int(reps),))


def _roll(xp, x, shift, axis=None):
    shift = tuple(int(s) for s in shift) if isinstance(shift, (list, tuple, np.ndarray)) else int(shift)
    return xp.roll(x, shift, axis=_axis_tuple(axis))


def _cumsum(xp, x, axis=None, dtype=None, out=None):
    if axis is None:
        x, axis = xp.reshape(x, (-1,)), 0
    return xp.cumulative_sum(x, axis=int(axis))


def _diff(xp, x, n=1, axis=-1, **kw):
    return x if n == 0 else xp.diff(x, axis=int(axis), n=int(n))


def _trace(xp, x, offset=0, axis1=0, axis2=1, dtype=None, out=None):
    return xp.sum(on_any(np.diagonal)(x, offset, axis1, axis2), axis=-1)


def _trapezoid(xp, y, x=None, dx=1.0, axis=-1):
    n = y.shape[axis]
    w = trapezoid_weights(n, x, dx)
    shape = [1] * y.ndim
    shape[axis] = n
    return xp.sum(y * xp.reshape(xp.asarray(w, dtype=y.dtype, device=device_of(y)), tuple(shape)),
                  axis=int(axis))


def trapezoid_weights(n: int, x: Any = None, dx: float = 1.0) -> np.ndarray:
    """The weights w of ``np.trapezoid``: ``trapezoid(y) = sum(w * y)`` along the axis (host).

    >>> trapezoid_weights(3).tolist()
    [0.5, 1.0, 0.5]
    """
    steps = np.diff(np.asarray(to_host(x) if is_foreign(x) else x, dtype=float)) if x is not None \
        else np.full(max(n - 1, 0), dx)
    w = np.zeros(n)
    w[:-1] += steps / 2
    w[1:] += steps / 2
    return w


def _atleast(func):
    return lambda xp, x: xp.reshape(x, func(np.empty(tuple(x.shape), dtype=bool)).shape)


def as_complex(x: Any) -> Any:
    """Foreign array *x* as complex, of its precision (NumPy's FFTs and mixed products take real
    input where the array API needs a complex one)."""
    return _complex(namespace(x), x)


def _complex(xp, x):
    if xp.isdtype(x.dtype, "complex floating"):
        return x
    return xp.astype(x, xp.complex64 if x.dtype == xp.float32 else xp.complex128)


def _fft(name):
    def xp_impl(xp, x, n=None, axis=-1, norm=None, out=None):
        kw = {"norm": norm} if norm is not None else {}
        x = x if name == "rfft" else _complex(xp, x)
        return getattr(xp.fft, name)(x, n=n, axis=int(axis), **kw)
    return xp_impl


def _fftn(name, two=False):
    def xp_impl(xp, x, s=None, axes=None, norm=None, out=None):
        kw = {"norm": norm} if norm is not None else {}
        if two and axes is None:
            axes = (-2, -1)
        return getattr(xp.fft, name)(_complex(xp, x), s=None if s is None else tuple(s),
                                     axes=None if axes is None else tuple(axes), **kw)
    return xp_impl


def _real(xp, x):
    return xp.real(x) if xp.isdtype(x.dtype, "complex floating") else x


def _imag(xp, x):
    return xp.imag(x) if xp.isdtype(x.dtype, "complex floating") else xp.zeros_like(x)


def _astype(xp, x, dtype, copy=True, device=None):
    return xp.astype(x, getattr(xp, np.dtype(dtype).name))


def _filled(name):
    def xp_impl(xp, x, dtype=None, **kw):
        dt = {} if dtype is None else {"dtype": getattr(xp, np.dtype(dtype).name)}
        return getattr(xp, name)(x, **dt)
    return xp_impl


# NumPy function -> its form on a foreign array (namespace xp), NumPy's signature and semantics
XP: dict = {
    np.flipud: lambda xp, x: xp.flip(x, axis=0),
    np.fliplr: lambda xp, x: xp.flip(x, axis=1),
    np.flip: lambda xp, x, axis=None: xp.flip(x, axis=_axis_tuple(axis)),
    np.moveaxis: _moveaxis,
    np.roll: _roll,
    np.tile: _tile,
    np.prod: lambda xp, x, axis=None, keepdims=False: xp.prod(x, axis=_axis_tuple(axis), keepdims=bool(keepdims)),
    np.max: lambda xp, x, axis=None, keepdims=False: xp.max(x, axis=_axis_tuple(axis), keepdims=bool(keepdims)),
    np.min: lambda xp, x, axis=None, keepdims=False: xp.min(x, axis=_axis_tuple(axis), keepdims=bool(keepdims)),
    np.triu: lambda xp, x, k=0: xp.triu(x, k=int(k)),
    np.tril: lambda xp, x, k=0: xp.tril(x, k=int(k)),
    np.cumsum: _cumsum,
    np.diff: _diff,
    np.trace: _trace,
    np.trapezoid: _trapezoid,
    np.atleast_1d: _atleast(np.atleast_1d),
    np.atleast_2d: _atleast(np.atleast_2d),
    np.atleast_3d: _atleast(np.atleast_3d),
    np.real: _real,
    np.conj: lambda xp, x: xp.conj(x) if xp.isdtype(x.dtype, "complex floating") else x,
    np.imag: _imag,
    np.astype: _astype,
    np.zeros_like: _filled("zeros_like"),
    np.ones_like: _filled("ones_like"),
    np.fft.fft: _fft("fft"), np.fft.ifft: _fft("ifft"), np.fft.rfft: _fft("rfft"), np.fft.irfft: _fft("irfft"),
    np.fft.fftn: _fftn("fftn"), np.fft.ifftn: _fftn("ifftn"),
    np.fft.fft2: _fftn("fftn", two=True), np.fft.ifft2: _fftn("ifftn", two=True),
}
for _f in (np.rot90, np.repeat, np.diagonal, np.diag, np.take, np.pad):
    XP[_f] = by_index(_f)


def einsum(subscripts: str, *operands: Any) -> Any:
    """``np.einsum`` for every namespace: NumPy's, or the foreign operands' namespace's ``einsum``
    (CuPy has one; the array API has none, and an array of such a namespace is refused with the reason).

    >>> einsum("i,i->", np.ones(3), np.ones(3)).item()
    3.0
    """
    foreign = [o for o in operands if is_foreign(o)]
    if not foreign:
        return np.einsum(subscripts, *operands)
    xp = namespace(*foreign)
    if not hasattr(xp, "einsum"):
        raise TypeError(f"numpy.einsum on arrays of {xp.__name__}: the array API has no einsum; write it "
                        "with matmul, tensordot, vecdot and sum, or use NumPy or CuPy arrays")
    return xp.einsum(subscripts, *operands)


@functools.lru_cache(maxsize=None)
def on_any(func: Callable) -> Callable:
    """NumPy's *func* for NumPy arrays and metanum's types, its :data:`XP` form for a foreign array.

    >>> on_any(np.cumsum)(np.array([1.0, 2.0])).tolist()
    [1.0, 3.0]
    """
    return either(func, XP[func])
