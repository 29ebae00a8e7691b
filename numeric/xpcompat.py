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

__all__ = ["either", "on_any", "index_map", "gather", "gather_rows", "scatter_add", "scatter_add_along", "segment_sums",
           "as_complex", "einsum", "einsum_xp", "XP"]


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


# ------------------------------------------------------------------------- device indices

def device_indices(x: Any, indices: Any) -> Any:
    """Integer *indices* (host or device) as an int64 array on foreign array *x*'s device.

    >>> device_indices(np.zeros(3), [2, 0]).tolist()
    [2, 0]
    """
    xp = namespace(x)
    if is_foreign(indices):
        return indices
    return xp.asarray(np.asarray(indices, dtype=np.int64), device=device_of(x))


def _wrapped(xp: Any, idx: Any, n: int) -> Any:
    """NumPy's negative indices (``-1`` is the last) counted from the front."""
    return xp.where(idx < 0, idx + n, idx)


def _take_along_axis(xp, x, indices, axis=-1):
    """``np.take_along_axis`` on a foreign array: ``xp.take_along_axis`` (no host read of the indices).

    Host indices are bounds-checked as NumPy does; device indices (a sort's permutation, metanum's
    own) are not read back, and out-of-range ones behave as the namespace's ``take_along_axis``."""
    if axis is None:
        x, axis = xp.reshape(x, (-1,)), 0
        indices = xp.reshape(indices, (-1,)) if is_foreign(indices) else np.ravel(indices)
    axis = int(axis) % x.ndim
    if not is_foreign(indices):
        _check_bounds(np.asarray(indices), x.shape[axis], axis)
    idx = device_indices(x, indices)
    return xp.take_along_axis(x, _wrapped(xp, idx, x.shape[axis]), axis=axis)


def _check_bounds(idx: np.ndarray, n: int, axis: int) -> None:
    if idx.size and (int(idx.max()) >= n or int(idx.min()) < -n):
        bad = int(idx.max()) if int(idx.max()) >= n else int(idx.min())
        raise IndexError(f"index {bad} is out of bounds for axis {axis} with size {n}")


def scatter_add_along(ct: Any, indices: Any, shape: tuple, axis: Any = -1) -> Any:
    """The transpose of ``np.take_along_axis(a, indices, axis)`` (*a* of *shape*) on a foreign
    cotangent *ct*: ``ct[..., j, ...]`` added at ``indices[..., j, ...]`` along *axis*, the indices
    on the device (the array API has no scatter-add).

    A segmented sum: the cotangents ordered by target (a stable ``argsort``, so each target's
    copies keep their order of appearance), then one gather per multiplicity, added in that order:
    the sums are ``bincount``'s, bitwise. The largest multiplicity is read to the host (one scalar;
    1 for a permutation, such as a sort's). Axes along which *a* was broadcast are summed at the end
    (there the order of the additions is the array API's ``sum``).

    >>> scatter_add_along(np.array([1.0, 2.0, 4.0]), np.array([2, 0, 2]), (3,), 0).tolist()
    [2.0, 0.0, 5.0]
    """
    xp, dev = namespace(ct), device_of(ct)
    shape = tuple(int(s) for s in shape)
    if axis is None:
        flat = scatter_add_along(xp.reshape(ct, (-1,)), xp.reshape(device_indices(ct, indices), (-1,)),
                                 (int(np.prod(shape)),), 0)
        return xp.reshape(flat, shape)
    ax = int(axis) % len(shape)
    n = shape[ax]
    idx = xp.broadcast_to(_wrapped(xp, device_indices(ct, indices), n), tuple(ct.shape))
    ctm, idxm = xp.moveaxis(ct, ax, -1), xp.moveaxis(idx, ax, -1)
    lead = tuple(ctm.shape[:-1])
    rows = int(np.prod(lead))
    base = xp.reshape(xp.arange(rows, dtype=xp.int64, device=dev) * n, (rows, 1))
    target = xp.reshape(xp.reshape(idxm, (rows, idxm.shape[-1])) + base, (rows * idxm.shape[-1],))
    sums = segment_sums(xp, xp.reshape(ctm, (-1,)), target, rows * n)
    out = xp.moveaxis(xp.reshape(sums, lead + (n,)), -1, ax)
    return _unbroadcast_to(xp, out, shape)


def segment_sums(xp: Any, values: Any, target: Any, nbins: int) -> Any:
    """``out[b] = sum of values[j] over target[j] == b`` (1-D, in namespace *xp*), each sum in order
    of appearance (bincount's): a stable ``argsort`` of the targets, then one gather per
    multiplicity; the largest multiplicity is read to the host (one scalar).

    >>> segment_sums(np, np.array([1.0, 2.0, 4.0]), np.array([2, 0, 2]), 3).tolist()
    [2.0, 0.0, 5.0]
    """
    dev = device_of(values)
    order = xp.argsort(target, stable=True)
    ts, vs = xp.take(target, order), xp.take(values, order)
    bins = xp.arange(nbins, dtype=target.dtype, device=dev)
    first = xp.searchsorted(ts, bins, side="left")
    count = xp.searchsorted(ts, bins, side="right") - first
    zero = xp.zeros((nbins,), dtype=values.dtype, device=dev)
    out = zero
    most = int(xp.max(count)) if nbins and values.shape[0] else 0      # one host read
    for r in range(most):
        at = xp.minimum(first + r, xp.asarray(values.shape[0] - 1, dtype=first.dtype, device=dev))
        term = xp.where(count > r, xp.take(vs, at), zero)
        out = term if r == 0 else out + term
    return out


def _unbroadcast_to(xp: Any, x: Any, shape: tuple) -> Any:
    """*x* summed over the axes where *shape* has 1 and *x* does not (a broadcast operand)."""
    axes = tuple(i for i, (s, t) in enumerate(zip(shape, x.shape)) if s == 1 and t != 1)
    return xp.sum(x, axis=axes, keepdims=True) if axes else x


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


def _sort(xp, a, axis=-1, kind=None, order=None, stable=None):
    """``np.sort``: ``xp.sort(stable=True)`` (the values are the same for every ``kind``)."""
    if axis is None:
        a, axis = xp.reshape(a, (-1,)), 0
    return xp.sort(a, axis=int(axis), stable=True)


def _moment(name):
    def xp_impl(xp, a, axis=None, dtype=None, ddof=0, keepdims=False):
        if dtype is not None:
            a = xp.astype(a, getattr(xp, np.dtype(dtype).name))
        return getattr(xp, name)(a, axis=_axis_tuple(axis), correction=ddof, keepdims=bool(keepdims))
    return xp_impl


def interp_bracket(ns: Any, x: Any, grid: Any, fp: Any) -> tuple:
    """``(j, t, slope)`` of ``np.interp(x, grid, fp)`` in namespace *ns*: the interval
    ``grid[j] <= x < grid[j + 1]`` (the last one for ``x == grid[-1]`` and to the right, the first
    to the left), the fraction ``t = (x - grid[j]) / (grid[j + 1] - grid[j])`` and the slope of *fp*
    there. *j* is flat (``x``'s elements in C order), *t* and *slope* have ``x``'s shape.

    >>> j, t, slope = interp_bracket(np, np.array([0.5, 2.0]), np.array([0.0, 1.0, 2.0]), np.array([0.0, 2.0, 3.0]))
    >>> j.tolist(), t.tolist(), slope.tolist()
    ([0, 1], [0.5, 1.0], [2.0, 1.0])
    """
    n = grid.shape[0]
    flat = ns.reshape(x, (-1,))
    j = ns.clip(ns.searchsorted(grid, flat, side="right") - 1, 0, max(n - 2, 0))
    if n < 2:                           # one grid point: no interval, no slope
        zero = ns.zeros_like(x)
        return j, zero, zero
    x0, x1 = ns.take(grid, j), ns.take(grid, j + 1)
    f0, f1 = ns.take(fp, j), ns.take(fp, j + 1)
    shape = tuple(x.shape)
    return j, ns.reshape((flat - x0) / (x1 - x0), shape), ns.reshape((f1 - f0) / (x1 - x0), shape)


def on_device_of(ns: Any, v: Any, like: Any) -> Any:
    """*v* (a host array or number) as an array on foreign array *like*'s device (integers as
    floats of *like*'s precision); a device array as it is.

    >>> on_device_of(np, [1, 2], np.zeros(2)).dtype
    dtype('float64')
    """
    if is_foreign(v):
        return v
    a = np.asarray(v)
    if a.dtype.kind in "biu":
        a = a.astype(np.float32 if like.dtype in (ns.float32, ns.complex64) else np.float64)
    return ns.asarray(a, device=device_of(like))


def _interp(ns, x, fp, /, xp=None, left=None, right=None, period=None):
    """``np.interp`` on foreign arrays: NumPy's formula ``slope * (x - xp[j]) + fp[j]`` on the
    interval :func:`interp_bracket` finds, ``fp[-1]`` at ``x == xp[-1]``, *left* / *right* outside."""
    if period is not None:
        raise TypeError(f"numpy.interp with period= has no implementation for arrays of {ns.__name__}; "
                        "unwrap x first (x % period) or use NumPy arrays")
    like = fp if is_foreign(fp) else x
    x, fp, grid = (on_device_of(ns, v, like) for v in (x, fp, xp))
    if fp.ndim != 1 or grid.ndim != 1:
        raise ValueError("object too deep for desired array: np.interp takes 1-D xp and fp")
    if fp.shape[0] != grid.shape[0]:
        raise ValueError("fp and xp are not of the same length.")
    if grid.shape[0] == 0:
        raise ValueError("array of sample points is empty")
    n = grid.shape[0]
    j, t, slope = interp_bracket(ns, x, grid, fp)
    f0 = ns.reshape(ns.take(fp, j), tuple(x.shape))
    last, first = fp[n - 1], fp[0]
    out = ns.where(x == grid[n - 1], last, slope * (x - ns.reshape(ns.take(grid, j), tuple(x.shape))) + f0)
    out = ns.where(x < grid[0], first if left is None else on_device_of(ns, left, like), out)
    return ns.where(x > grid[n - 1], last if right is None else on_device_of(ns, right, like), out)


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
    np.sort: _sort, np.var: _moment("var"), np.std: _moment("std"), np.interp: _interp,
}
for _f in (np.rot90, np.repeat, np.diagonal, np.diag, np.take, np.pad):
    XP[_f] = by_index(_f)
XP[np.take_along_axis] = _take_along_axis


def einsum(subscripts: str, *operands: Any) -> Any:
    """``np.einsum`` for every namespace: NumPy's, the foreign operands' namespace's ``einsum``
    (CuPy has one), or, where the namespace has none (the array API), :func:`einsum_xp`.

    >>> einsum("i,i->", np.ones(3), np.ones(3)).item()
    3.0
    """
    foreign = [o for o in operands if is_foreign(o)]
    if not foreign:
        return np.einsum(subscripts, *operands)
    xp = namespace(*foreign)
    if hasattr(xp, "einsum"):
        return xp.einsum(subscripts, *operands)
    return einsum_xp(xp, subscripts, *operands)


def einsum_xp(xp: Any, subscripts: str, *operands: Any) -> Any:
    """``np.einsum`` written with the array API: a letter repeated within one operand is its
    diagonal (a product with the identity, summed), letters no later operand or the output needs
    are summed first, and the operands are contracted left to right, two at a time, by
    ``xp.matmul`` (common letters the result keeps are its batch axes, broadcast as NumPy does).
    Host operands go to the device of the first foreign one.

    >>> einsum_xp(np, "ij,jk->ik", np.eye(2), np.arange(4.0).reshape(2, 2)).tolist()
    [[0.0, 1.0], [2.0, 3.0]]
    """
    from numeric.arrayrules_nonlinear import einsum_explicit

    ins, out = einsum_explicit(subscripts, operands).split("->")
    like = next((o for o in operands if is_foreign(o)), None)
    ops = [o if like is None else on_device_of(xp, o, like) for o in operands]
    terms = [_distinct_letters(xp, o, s) for o, s in zip(ops, ins.split(","))]
    while len(terms) > 1:
        later = out + "".join(s for _, s in terms[2:])
        (a, sa), (b, sb) = terms[0], terms[1]
        a, sa = _sum_letters(xp, a, sa, set(sb + later))
        b, sb = _sum_letters(xp, b, sb, set(sa + later))
        terms = [_contract(xp, a, sa, b, sb, set(later))] + terms[2:]
    t, st = _sum_letters(xp, *terms[0], set(out))
    return xp.permute_dims(t, tuple(st.index(c) for c in out)) if st != out else t


def _distinct_letters(xp: Any, x: Any, s: str) -> tuple:
    """``(x, s)`` with each letter once: ``x[..., i, ..., i, ...]`` becomes its diagonal."""
    for c in dict.fromkeys(s):
        while s.count(c) > 1:
            p, q = s.index(c), s.index(c, s.index(c) + 1)
            n = x.shape[p]
            eye = xp.reshape(xp.eye(n, dtype=x.dtype, device=device_of(x)),
                             tuple(n if k in (p, q) else 1 for k in range(x.ndim)))
            x, s = xp.sum(x * eye, axis=q), s[:q] + s[q + 1:]
    return x, s


def _sum_letters(xp: Any, x: Any, s: str, keep: set) -> tuple:
    """``(x, s)`` summed over the letters not in *keep*."""
    axes = tuple(k for k, c in enumerate(s) if c not in keep)
    if not axes:
        return x, s
    return xp.sum(x, axis=axes), "".join(c for c in s if c in keep)


def _contract(xp: Any, a: Any, sa: str, b: Any, sb: str, keep: set) -> tuple:
    """``(a b, letters)``: the common letters in *keep* are batch axes, the others contracted."""
    common = [c for c in sa if c in sb]
    batch = [c for c in common if c in keep]
    red = [c for c in common if c not in keep]
    fa, fb = [c for c in sa if c not in sb], [c for c in sb if c not in sa]
    size = {c: max(a.shape[sa.index(c)], b.shape[sb.index(c)]) for c in red}
    am = _grouped(xp, a, sa, batch, fa, red, size)
    bm = _grouped(xp, b, sb, batch, red, fb, size)
    r = xp.matmul(am, bm)
    lead = tuple(r.shape[:-2])
    shape = lead + tuple(a.shape[sa.index(c)] for c in fa) + tuple(b.shape[sb.index(c)] for c in fb)
    return xp.reshape(r, shape), "".join(batch + fa + fb)


def _grouped(xp: Any, x: Any, s: str, batch: list, rows: list, cols: list, size: dict) -> Any:
    """*x* as ``batch + (prod rows, prod cols)``, the contracted letters broadcast to *size*."""
    x = xp.permute_dims(x, tuple(s.index(c) for c in batch + rows + cols))
    order = batch + rows + cols
    full = tuple(size.get(c, x.shape[k]) for k, c in enumerate(order))
    if full != tuple(x.shape):
        x = xp.broadcast_to(x, full)
    nb = len(batch)
    m = int(np.prod(full[nb:nb + len(rows)]))
    return xp.reshape(x, full[:nb] + (m, int(np.prod(full[nb + len(rows):]))))


@functools.lru_cache(maxsize=None)
def on_any(func: Callable) -> Callable:
    """NumPy's *func* for NumPy arrays and metanum's types, its :data:`XP` form for a foreign array.

    >>> on_any(np.cumsum)(np.array([1.0, 2.0])).tolist()
    [1.0, 3.0]
    """
    return either(func, XP[func])
