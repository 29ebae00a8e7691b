"""Linear array primitives of the shared table: shape changes, reductions, selection, FFTs.

The second group of entries of :data:`numeric.arrayrules.LINEAR` (issue 10, "One table
for array functions"): ``sum``, ``reshape``/``ravel``, ``transpose``/``moveaxis``/
``swapaxes``, ``squeeze``/``expand_dims``/``atleast_*``, ``broadcast_to``, ``take``, ``take_along_axis``,
``real``/``imag``, ``astype`` and the FFT family. Each declares its TRANSPOSE once;
DualArray's JVP is the function itself (on the value and on the partials, ``batched``),
reverse mode's VJP is generated from the transpose (numeric/reverse/arrayops.py) and
MeasurementArray applies the same entry to its components.

Complex-valued maps (FFTs, ``real``, ``imag``) are transposed for the real pairing
``<u, t> = Re(sum(u * t))`` of JAX's convention: the cotangent of a real operand is the
real part of the transposed cotangent (reverse mode takes it).

Examples
--------
>>> import numpy as np
>>> from numeric.arrayrules import LINEAR
>>> rule = LINEAR[np.moveaxis]
>>> rule.transpose(np.ones((3, 2, 4)), (2, 3, 4), source=0, destination=1).shape
(2, 3, 4)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from numeric.arrayrules import LinearRule, UnsupportedArrayFunction, _linear, _rows, _scatter_back, _size
from numeric import xpcompat
from numeric.backend import device_of, is_array, is_foreign, is_numpy, like, namespace
from numeric.xpcompat import either

__all__ = ["unbroadcast", "spread", "either", "JoinRule", "JOIN", "COMPOSED"]

_NOVALUE = np._NoValue


def _axes(axis: Any, ndim: int) -> tuple:
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, (tuple, list)):
        return tuple(int(a) % ndim for a in axis)
    return (int(axis) % ndim,)


def _plain_scalar(ct: Any) -> bool:
    return type(ct) is float or type(ct) is np.float64 or type(ct) is np.float32


def spread(ct: Any, shape: tuple) -> Any:
    """*ct* (a scalar or an array broadcastable to *shape*) broadcast to *shape*.

    A plain float gives a fresh array (``np.full``); a scalar number type (a dual, an mpf)
    multiplies ones; arrays are broadcast (a view).

    >>> spread(2.0, (2,)).tolist()
    [2.0, 2.0]
    """
    shape = tuple(shape)
    if _plain_scalar(ct):
        return np.full(shape, ct)               # the scalar's dtype (float32 stays float32)
    if is_foreign(ct):                          # a device array (CuPy, array API): stays there
        return ct if tuple(ct.shape) == shape else namespace(ct).broadcast_to(ct, shape)
    if np.ndim(ct) == 0 and not isinstance(ct, (np.ndarray, np.generic, int, complex)):
        return ct * np.ones(shape)              # a scalar dual / mpf / tracked scalar
    if tuple(np.shape(ct)) == shape:
        return ct
    return np.broadcast_to(ct, shape)


def unbroadcast(ct: Any, shape: tuple) -> Any:
    """Sum *ct* over the axes broadcasting added to an operand of *shape* (transpose of it).

    >>> unbroadcast(np.ones((3, 2)), (1, 2)).tolist()
    [[3.0, 3.0]]
    """
    shape = tuple(shape)
    cs = tuple(np.shape(ct))
    if cs == shape:
        return ct
    lead = len(cs) - len(shape)
    xp = namespace(ct) if is_foreign(ct) else np    # a device cotangent: its namespace's sum
    if lead:
        ct = xp.sum(ct, axis=tuple(range(lead)))
    kept = tuple(i for i, s in enumerate(shape) if s == 1 and np.shape(ct)[i] != 1)
    if kept:
        ct = xp.sum(ct, axis=kept, keepdims=True)
    return ct


def _xp_shape(xp, x, shape, order="C"):
    """``reshape`` in namespace *xp*; order 'F' is the C-order reshape of the reversed axes."""
    target = _resolve(tuple(x.shape), shape)
    if order == "F":
        rev = tuple(range(x.ndim))[::-1]
        y = xp.reshape(xp.permute_dims(x, rev), target[::-1])
        return xp.permute_dims(y, tuple(range(len(target)))[::-1])
    if order != "C":
        raise TypeError(f"reshape with order={order!r} has no array-API form ({xp.__name__} arrays); "
                        "use order='C' or 'F', or NumPy arrays")
    return xp.reshape(x, target)


def _np_shape_of(func):
    """``xp_impl`` computing the result's shape with NumPy on an empty array, then reshaping:
    for the shape functions that only insert or drop length-1 axes (squeeze, expand_dims)."""
    return lambda xp, x, *a, **kw: xp.reshape(x, func(np.empty(tuple(x.shape), dtype=bool), *a, **kw).shape)


# ------------------------------------------------------------------------------ reductions

def _sum_check(kw):
    for k in ("out", "initial", "where"):
        v = kw.get(k, _NOVALUE)
        if v is not _NOVALUE and v is not None:
            raise UnsupportedArrayFunction(f"numpy.sum with {k}= has no derivative rule; "
                                           "select or add the constant explicitly")


def _sum_batched(P, ndim, axis=None, dtype=None, keepdims=False, **kw):
    if not hasattr(P, "sum"):  # an array-API array (no methods): its namespace's sum
        return namespace(P).sum(P, axis=_axes(axis, ndim), keepdims=keepdims is True)
    return P.sum(axis=_axes(axis, ndim), keepdims=keepdims is True)


def _sum_fast(x, axis=None, keepdims=False, **kw):
    if type(x) is np.ndarray and not kw:
        return x.sum(axis=axis, keepdims=keepdims)    # the method skips np.sum's dispatch
    if not kw and is_array(x) and not is_numpy(namespace(x)):
        return namespace(x).sum(x, axis=axis, keepdims=keepdims)
    return np.sum(x, axis=axis, keepdims=keepdims, **kw)


@_linear(np.sum, [((4,), {}), ((3, 4), {"axis": 1}), ((2, 3, 2), {"axis": (0, 2)}),
                  ((3, 2), {"axis": 0, "keepdims": True})], check=_sum_check,
         batched=_sum_batched, op="sum", fast=_sum_fast)
def _sum_t(ct, shape, axis=None, dtype=None, keepdims=False, **kw):
    if axis is None and np.ndim(ct) == 0:
        return spread(ct, shape)
    if keepdims is not True:
        axes = _axes(axis, len(shape))
        kept = tuple(1 if d in axes else s for d, s in enumerate(shape))
        ct = namespace(ct).reshape(ct, kept) if is_foreign(ct) else np.reshape(ct, kept)
    return spread(ct, shape)


# ---------------------------------------------------------------------------- shape changes

def _resolve(shape, newshape):
    newshape = (newshape,) if isinstance(newshape, (int, np.integer)) else tuple(newshape)
    return np.empty(shape, dtype=bool).reshape(newshape).shape


def _reshape_args(shape, newshape):
    return newshape if shape is None else shape


def _reshape_batched(P, ndim, shape=None, order="C", newshape=None, copy=None):
    target = _resolve(P.shape[:-1], _reshape_args(shape, newshape))
    return _reshape_any(P, target + (P.shape[-1],), order=order)   # F order keeps the columns too


_reshape_any = either(lambda x, shape, order="C": np.reshape(x, shape, order=order), _xp_shape)


def _reshape_check(kw):
    if kw.get("order", "C") not in ("C", "F"):
        raise ValueError("numpy.reshape of a metanum array takes order='C' or 'F' (A and K "
                         "depend on memory layout, which a derivative does not have)")


@_linear(np.reshape, [((6,), {"shape": (2, 3)}), ((2, 3), {"shape": -1}),
                      ((2, 3, 2), {"shape": (3, -1), "order": "F"})], check=_reshape_check,
         batched=_reshape_batched, op="reshape", moves=True,
         fast=lambda x, shape=None, order="C", newshape=None, copy=None: _reshape_any(
             x, _reshape_args(shape, newshape), order=order))
def _reshape_t(ct, in_shape, /, shape=None, order="C", **kw):
    return _reshape_any(ct, in_shape, order=order)


def _ravel_batched(P, ndim, order="C"):
    return _reshape_any(P, _rows(P), order=order)


@_linear(np.ravel, [((2, 3), {}), ((2, 3), {"order": "F"})], check=_reshape_check,
         batched=_ravel_batched, moves=True,
         fast=either(np.ravel, lambda xp, x, order="C": _xp_shape(xp, x, (-1,), order)))
def _ravel_t(ct, shape, order="C"):
    return _reshape_any(ct, shape, order=order)


def _perm(axes, ndim):
    return tuple(range(ndim))[::-1] if axes is None else tuple(int(a) % ndim for a in axes)


def _xp_transpose(xp, x, axes=None):
    return xp.permute_dims(x, _perm(axes, x.ndim))


_transpose_any = either(np.transpose, _xp_transpose)


@_linear(np.transpose, [((2, 3), {}), ((2, 3, 4), {"axes": (1, 2, 0)})],
         batched=lambda P, ndim, axes=None: _transpose_any(P, _perm(axes, ndim) + (ndim,)),
         op="transpose", moves=True, fast=_transpose_any)
def _transpose_t(ct, shape, axes=None):
    if axes is None:
        return _transpose_any(ct)
    return _transpose_any(ct, tuple(int(a) for a in np.argsort(_perm(axes, len(shape)))))


_moveaxis_any = xpcompat.on_any(np.moveaxis)


def _move_batched(P, ndim, source, destination):
    src = [int(a) % ndim for a in np.atleast_1d(source)]
    dst = [int(a) % ndim for a in np.atleast_1d(destination)]
    return _moveaxis_any(P, src, dst)


@_linear(np.moveaxis, [((2, 3, 4), {"source": 0, "destination": -1}),
                       ((2, 3, 4), {"source": (0, 1), "destination": (2, 0)})],
         batched=_move_batched, moves=True, fast=_moveaxis_any)
def _moveaxis_t(ct, shape, source, destination):
    return _moveaxis_any(ct, destination, source)


def _swap_batched(P, ndim, axis1, axis2):
    from numeric.arrayrules import swapaxes_args
    return _transpose_any(P, swapaxes_args(ndim, axis1, axis2) + (ndim,))


def _xp_swapaxes(xp, x, axis1, axis2):
    from numeric.arrayrules import swapaxes_args
    return xp.permute_dims(x, swapaxes_args(x.ndim, axis1, axis2))


_swapaxes_any = either(np.swapaxes, _xp_swapaxes)


@_linear(np.swapaxes, [((2, 3), {"axis1": 0, "axis2": 1}),
                       ((2, 3, 4), {"axis1": -1, "axis2": 0})], batched=_swap_batched,
         moves=True, fast=_swapaxes_any)
def _swapaxes_t(ct, shape, axis1, axis2):
    return _swapaxes_any(ct, axis1, axis2)


_squeeze_any = either(np.squeeze, _np_shape_of(np.squeeze))
_expand_any = either(np.expand_dims, _np_shape_of(np.expand_dims))


def _squeeze_batched(P, ndim, axis=None):
    if axis is None:
        axis = tuple(i for i, s in enumerate(P.shape[:-1]) if s == 1)
    return _squeeze_any(P, _axes(axis, ndim))


@_linear(np.squeeze, [((1, 3, 1), {}), ((1, 3, 1), {"axis": 2})], batched=_squeeze_batched,
         moves=True, fast=_squeeze_any)
def _squeeze_t(ct, shape, axis=None):
    return _reshape_any(ct, shape)


def _expand_batched(P, ndim, axis):
    n = len(np.atleast_1d(axis))
    return _expand_any(P, _axes(axis, ndim + n))


@_linear(np.expand_dims, [((3,), {"axis": 0}), ((2, 3), {"axis": -1}),
                          ((2, 3), {"axis": (0, 2)})], batched=_expand_batched, moves=True,
         fast=_expand_any)
def _expand_dims_t(ct, shape, axis):
    return _reshape_any(ct, shape)


def _atleast(func, nd, samples):
    def batched(P, ndim):
        return _reshape_any(P, np.shape(func(np.empty(P.shape[:-1]))) + (P.shape[-1],))

    @_linear(func, samples, batched=batched, moves=True)
    def transpose(ct, shape):
        return _reshape_any(ct, shape)
    return transpose


_atleast(np.atleast_1d, 1, [((), {}), ((3,), {})])
_atleast(np.atleast_2d, 2, [((), {}), ((3,), {}), ((2, 3), {})])
_atleast(np.atleast_3d, 3, [((), {}), ((3,), {}), ((2, 3), {})])


def _bshape(shape):
    return (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)


_broadcast_any = either(np.broadcast_to, lambda xp, x, shape: xp.broadcast_to(x, tuple(shape)))


@_linear(np.broadcast_to, [((3,), {"shape": (2, 3)}), ((2, 1), {"shape": (4, 2, 3)}),
                           ((), {"shape": (2,)})],
         batched=lambda P, ndim, shape, subok=False: _broadcast_any(
             P, _bshape(shape) + (P.shape[-1],)),
         op="broadcast_to", moves=True,
         fast=lambda x, shape, **kw: _broadcast_any(x, _bshape(shape)))
def _broadcast_to_t(ct, in_shape, /, shape=None, subok=False, **kw):
    return unbroadcast(ct, in_shape)


# ------------------------------------------------------------------------------ selection

def _take_check(kw):
    if kw.get("out") is not None:
        raise UnsupportedArrayFunction("numpy.take with out= has no derivative rule; "
                                       "assign the result instead")


def _take_batched(P, ndim, indices, axis=None, out=None, mode="raise"):
    if axis is None:
        return np.take(np.reshape(P, _rows(P)), indices, axis=0, mode=mode)
    return np.take(P, indices, axis=int(axis) % ndim, mode=mode)


@_linear(np.take, [((5,), {"indices": [4, 0, 0, 2]}), ((3, 4), {"indices": [[1, 0]], "axis": 1}),
                   ((2, 3), {"indices": 4}), ((4,), {"indices": [5, -1], "mode": "wrap"})],
         check=_take_check, batched=_take_batched, moves=True, indexed=True)
def _take_t(ct, shape, indices, axis=None, out=None, mode="raise"):
    return _scatter_back(np.take, ct, shape, {"indices": indices, "axis": axis, "mode": mode})


def _take_along_batched(P, ndim, indices, axis=-1):
    """``np.take_along_axis`` of every column ``P[..., j]`` at once: the indices get a trailing
    axis of length 1, which broadcasts along the columns (host or device)."""
    take = xpcompat.on_any(np.take_along_axis)
    if axis is None:
        P, indices, axis, ndim = _flat_rows(P), _flat(indices), 0, 1
    ix = namespace(indices).expand_dims(indices, axis=-1) if is_foreign(indices) else \
        np.expand_dims(np.asarray(indices), -1)
    return take(P, ix, axis=int(axis) % ndim)


def _flat(x):
    return namespace(x).reshape(x, (-1,)) if is_foreign(x) else np.reshape(x, (-1,))


def _flat_rows(P):
    rows = (_size(tuple(P.shape[:-1])), P.shape[-1])       # (no -1: zero directions are a valid shape)
    return namespace(P).reshape(P, rows) if is_foreign(P) else np.reshape(P, rows)


@_linear(np.take_along_axis, [((5,), {"indices": np.array([4, 0, 0, 2])}),
                              ((3, 4), {"indices": np.array([[2, 0, 1, 1], [0, 0, 2, 1]]), "axis": 0}),
                              ((2, 3), {"indices": np.array([[2], [-1]]), "axis": 1}),
                              ((1, 3), {"indices": np.array([[2, 0], [1, 1]]), "axis": 1}),
                              ((2, 3), {"indices": np.array([5, 0, 3, 0]), "axis": None})],
         batched=_take_along_batched)
def _take_along_axis_t(ct, shape, indices, axis=-1):
    """Gathers along *axis* (a sort's permutation, a selection): the transpose adds each cotangent
    at its index (NumPy: ``bincount`` through the index map; a device: a segmented sum there, the
    indices may be device arrays, :func:`numeric.xpcompat.scatter_add_along`)."""
    if is_foreign(ct):
        return xpcompat.scatter_add_along(ct, indices, shape, axis)
    return _scatter_back(np.take_along_axis, ct, shape, {"indices": indices, "axis": axis})


# ----------------------------------------------------------------------- complex and dtype

from numeric.complex_forms import imag_of as _imag, real_of as _real  # noqa: E402  (object arrays too)


@_linear(np.real, [((3,), {})], fast=_real, batched=lambda P, ndim: _real(P), complex_valued=True)
def _real_t(ct, shape):
    # Re(sum(u * real(t))) = Re(sum(Re(u) * t)): only the real part of the cotangent u
    # counts (it may carry an imaginary part from a real node that met complex numbers)
    return _real(ct)


@_linear(np.imag, [((3,), {})], fast=_imag, batched=lambda P, ndim: _imag(P), complex_valued=True)
def _imag_t(ct, shape):
    r = _real(ct)                       # Re(sum(u * imag(t))) = Re(sum(-1j Re(u) * t))
    return -1j * (xpcompat.as_complex(r) if is_foreign(r) else r)


def _astype_check(kw):
    dt = kw.get("dtype")
    if dt is object or not np.issubdtype(np.dtype(dt), np.inexact):
        raise UnsupportedArrayFunction(
            f"numpy.astype to {dt} would drop the derivative or uncertainty (only floating "
            "dtypes keep it): use nm.value(x) for the primal")


@_linear(np.astype, [((3,), {"dtype": np.float64}), ((2,), {"dtype": np.complex128})],
         check=_astype_check, op="astype",
         fast=lambda x, dtype, copy=True, device=None: xpcompat.on_any(np.astype)(x, dtype),
         batched=lambda P, ndim, dtype, copy=True, device=None: xpcompat.on_any(np.astype)(P, dtype))
def _astype_t(ct, shape, dtype, copy=True, device=None):
    return ct                           # the caller's dtype: reverse mode casts it back


# ---------------------------------------------------------------------------- the FFT family

def _fit(a, n, axis):
    """*a* truncated or zero-padded to length *n* along *axis*."""
    m = np.shape(a)[axis]
    if m == n:
        return a
    if m > n:
        return xpcompat.on_any(np.take)(a, np.arange(n), axis=axis)
    pad = [(0, 0)] * np.ndim(a)
    pad[axis] = (0, n - m)
    return xpcompat.on_any(np.pad)(a, pad)


def _fft_check(kw):
    if kw.get("out") is not None:
        raise UnsupportedArrayFunction("numpy.fft with out= has no derivative rule")


def _fft1(func, samples):
    f = xpcompat.on_any(func)

    def batched(P, ndim, n=None, axis=-1, norm=None, out=None):
        return f(P, n=n, axis=int(axis) % ndim, norm=norm)

    @_linear(func, samples, check=_fft_check, batched=batched, complex_valued=True)
    def transpose(ct, shape, n=None, axis=-1, norm=None, out=None):
        ax = int(axis) % len(shape)
        # the DFT matrix is symmetric: the transpose of fft (after padding) is fft again
        return _fit(f(ct, axis=ax, norm=norm), shape[ax], ax)
    return transpose


_fft1(np.fft.fft, [((4,), {}), ((3, 4), {"axis": 0, "norm": "ortho"}), ((5,), {"n": 3}),
                   ((3,), {"n": 6, "norm": "forward"})])
_fft1(np.fft.ifft, [((4,), {}), ((2, 3), {"n": 5, "norm": "ortho"})])


def _ffts_batched(func):
    def batched(P, ndim, s=None, axes=None, norm=None, out=None):
        ax = tuple(range(ndim))[-(len(s) if s is not None else ndim):] if axes is None else \
            tuple(int(a) % ndim for a in axes)
        return xpcompat.on_any(func)(P, s=s, axes=ax, norm=norm)
    return batched


def _fftn(func, samples):
    @_linear(func, samples, check=_fft_check, batched=_ffts_batched(func), complex_valued=True)
    def transpose(ct, shape, s=None, axes=None, norm=None, out=None):
        nd = len(shape)
        if axes is None:
            axes = tuple(range(nd))[-(len(s) if s is not None else (2 if func in (
                np.fft.fft2, np.fft.ifft2) else nd)):]
        axes = tuple(int(a) % nd for a in axes)
        g = xpcompat.on_any(func)(ct, axes=axes, norm=norm)
        for a in axes:
            g = _fit(g, shape[a], a)
        return g
    return transpose


_fftn(np.fft.fft2, [((3, 4), {}), ((2, 3, 2), {"axes": (0, 2), "norm": "ortho"})])
_fftn(np.fft.ifft2, [((3, 4), {})])
_fftn(np.fft.fftn, [((2, 3, 2), {}), ((3, 4), {"s": (2, 5), "axes": (0, 1)})])
_fftn(np.fft.ifftn, [((2, 3), {})])


def _rfft_batched(P, ndim, n=None, axis=-1, norm=None, out=None):
    return xpcompat.on_any(np.fft.rfft)(P, n=n, axis=int(axis) % ndim, norm=norm)


@_linear(np.fft.rfft, [((5,), {}), ((4, 3), {"axis": 0}), ((6,), {"n": 4, "norm": "ortho"})],
         check=_fft_check, batched=_rfft_batched, complex_valued=True)
def _rfft_t(ct, shape, n=None, axis=-1, norm=None, out=None):
    ax = int(axis) % len(shape)
    nn = shape[ax] if n is None else n
    full = _fit(ct, nn, ax)                                  # zero rows beyond n // 2 + 1
    return _fit(xpcompat.on_any(np.fft.fft)(full, axis=ax, norm=norm), shape[ax], ax)


def _irfft_batched(P, ndim, n=None, axis=-1, norm=None, out=None):
    return xpcompat.on_any(np.fft.irfft)(P, n=n, axis=int(axis) % ndim, norm=norm)


@_linear(np.fft.irfft, [((4,), {}), ((3, 4), {"axis": 0, "n": 5}), ((3,), {"n": 6,
                                                                          "norm": "ortho"})],
         check=_fft_check, batched=_irfft_batched, complex_valued=True)
def _irfft_t(ct, shape, n=None, axis=-1, norm=None, out=None):
    # irfft(X)[k] = Re(sum_j c_j X_j e^{2 pi i jk/n}) / n with c_0 = c_{n/2} = 1, else 2; so
    # the transpose for Re(sum(u * t)) is c * conj(rfft(u)) / n (scaled like norm)
    ax = int(axis) % len(shape)
    m = shape[ax]
    nn = 2 * (m - 1) if n is None else n
    scale = {None: 1.0 / nn, "backward": 1.0 / nn, "ortho": nn ** -0.5, "forward": 1.0}[norm]
    r = xpcompat.on_any(np.conj)(xpcompat.on_any(np.fft.rfft)(ct, n=nn, axis=ax)) * scale
    c = np.full(nn // 2 + 1, 2.0)
    c[0] = 1.0
    if nn % 2 == 0:
        c[-1] = 1.0
    cshape = [1] * len(shape)
    cshape[ax] = c.size
    c = c.reshape(cshape)
    return _fit(r * (like(c, r) if is_foreign(r) else c), m, ax)


_ = _size


# ------------------------------------------------------------------------------ compositions
# NumPy functions written with primitives every array type differentiates (slicing,
# concatenate, arithmetic, the scalar rules): each type registers them unchanged.

COMPOSED: dict = {}


def _composed(func):
    def deco(impl):
        COMPOSED[func] = impl
        return impl
    return deco


@_composed(np.sinc)
def sinc(x: Any) -> Any:
    """``np.sinc``: the scalar rule ``sinc`` of numeric/rules.py, elementwise.

    >>> import numeric as nm
    >>> float(nm.value(sinc(nm.Dual(0.5, 1.0))))
    0.6366197723675814
    """
    from numeric import functions as F
    return F.sinc(x)


def _slab(f, axis, start, stop):
    return f[(slice(None),) * axis + (slice(start, stop), Ellipsis)]


def _gradient_1(f, h, axis, edge_order):
    n = np.shape(f)[axis]
    if n < edge_order + 1:
        raise ValueError("Shape of array too small to calculate a numerical gradient, at least "
                         "(edge_order + 1) elements are required.")
    inner = (_slab(f, axis, 2, None) - _slab(f, axis, None, -2)) / (2.0 * h)
    if edge_order == 1:
        first = (_slab(f, axis, 1, 2) - _slab(f, axis, 0, 1)) / h
        last = (_slab(f, axis, n - 1, n) - _slab(f, axis, n - 2, n - 1)) / h
    else:
        first = (-1.5 * _slab(f, axis, 0, 1) + 2.0 * _slab(f, axis, 1, 2)
                 - 0.5 * _slab(f, axis, 2, 3)) / h
        last = (1.5 * _slab(f, axis, n - 1, n) - 2.0 * _slab(f, axis, n - 2, n - 1)
                + 0.5 * _slab(f, axis, n - 3, n - 2)) / h
    return np.concatenate([first, inner, last], axis=axis)


@_composed(np.gradient)
def gradient(f: Any, *varargs: Any, axis: Any = None, edge_order: int = 1) -> Any:
    """``np.gradient`` with scalar spacings: central differences inside, one-sided at the ends.

    Linear in *f*, written with slicing and ``concatenate`` so every array type
    differentiates it; coordinate arrays as spacing are refused (not guessed).

    >>> import numpy as np
    >>> gradient(np.array([1.0, 2.0, 4.0, 7.0])).tolist()
    [1.0, 1.5, 2.5, 3.0]
    """
    nd = np.ndim(f)
    axes = tuple(range(nd)) if axis is None else tuple(
        int(a) % nd for a in (axis if isinstance(axis, (tuple, list)) else (axis,)))
    if edge_order not in (1, 2):
        raise ValueError("'edge_order' greater than 2 not supported")
    hs = list(varargs) if len(varargs) != 1 else list(varargs) * len(axes)
    if not hs:
        hs = [1.0] * len(axes)
    if len(hs) != len(axes):
        raise TypeError("invalid number of arguments")
    for h in hs:
        if np.ndim(h) != 0 or hasattr(h, "_nm_order") or hasattr(h, "tape"):
            raise UnsupportedArrayFunction(
                "numpy.gradient has a derivative rule for constant scalar spacings only: give "
                "dx as a float (coordinate arrays and differentiable spacings are not supported)")
    out = [_gradient_1(f, float(h), a, edge_order) for a, h in zip(axes, hs)]
    return out[0] if len(out) == 1 else tuple(out)


# ------------------------------------------------------------------ joins (linear in each array)

@dataclass(frozen=True)
class JoinRule:
    """A NumPy function of a sequence of arrays, linear in all of them jointly.

    ``transpose(ct, shapes, i, **kw)`` is the cotangent of array *i* (shape ``shapes[i]``);
    ``batched(parts, ndim, **kw)`` applies the function to arrays with a trailing partials
    axis (the JVP); ``samples`` are ``(shapes, kwargs)`` for the generic test.
    """

    func: Callable
    transpose: Callable
    batched: Callable
    samples: tuple = field(default=())

    def bind(self, args: tuple, kwargs: dict) -> tuple:
        """``(list of arrays, keyword arguments)``; refuses ``out=`` and non-float ``dtype=``."""
        arrays, *rest = args
        names = ("axis",)
        kw = dict(zip(names, rest))
        kw.update(kwargs)
        if set(kw) - {"axis", "dtype", "casting"}:
            raise UnsupportedArrayFunction(
                f"numpy.{self.func.__name__} with {sorted(set(kw) - {'axis', 'dtype', 'casting'})} "
                "has no derivative rule (out= would bypass it): assign the result instead")
        dt = kw.pop("dtype", None)
        kw.pop("casting", None)
        if dt is not None and not np.issubdtype(np.dtype(dt), np.inexact):
            raise UnsupportedArrayFunction(f"numpy.{self.func.__name__} with dtype={dt} would "
                                           "drop the derivative: use nm.value(x)")
        arrays = list(arrays)
        if kw.get("axis", 0) is None and self.func is np.concatenate:
            arrays, kw = [_reshape_any(a, (-1,)) for a in arrays], {"axis": 0}
        return arrays, kw

    def apply(self, arrays: list, **kw: Any) -> Any:
        """``func(arrays, **kw)``, joined in the namespace of arrays of another library (CuPy, array API)."""
        return join_any(self.func, arrays, **kw)


def join_any(func: Callable, arrays: list, **kw: Any) -> Any:
    """``np.concatenate`` / ``np.stack`` of *arrays*; ``xp.concat`` / ``xp.stack`` when one is an
    array of another namespace (CuPy, array_api_strict) and none is a metanum array (the values of
    a nested ``DualArray`` are ``DualArray`` s: NumPy's function dispatches to their
    ``__array_function__``, on any device).

    >>> join_any(np.stack, [np.zeros(2), np.ones(2)], axis=1).tolist()
    [[0.0, 1.0], [0.0, 1.0]]
    """
    first = next((a for a in arrays if is_foreign(a)), None)
    if first is None or any(hasattr(type(a), "_nm_apply") for a in arrays):
        return func(arrays, **kw)
    xp = namespace(first)
    return getattr(xp, "concat" if func is np.concatenate else func.__name__)(list(arrays), **kw)


JOIN: dict = {}


def _join(func, samples, batched):
    def deco(transpose):
        JOIN[func] = JoinRule(func, transpose, batched, tuple(samples))
        return transpose
    return deco


@_join(np.concatenate, [(((2,), (3,)), {}), (((2, 3), (1, 3)), {"axis": 0}),
                        (((2, 1), (2, 3)), {"axis": -1}), (((2, 2), (3,)), {"axis": None})],
       batched=lambda parts, ndim, axis=0: join_any(np.concatenate, parts, axis=int(axis) % ndim))
def _concatenate_t(ct, shapes, i, axis=0):
    ax = int(axis) % len(shapes[i])
    start = sum(s[ax] for s in shapes[:i])
    return ct[(slice(None),) * ax + (slice(start, start + shapes[i][ax]), Ellipsis)]   # (the array API
    # asks for every axis or an Ellipsis)


@_join(np.stack, [(((3,), (3,)), {}), (((2, 3), (2, 3), (2, 3)), {"axis": -1}),
                  (((), ()), {})],
       batched=lambda parts, ndim, axis=0: join_any(np.stack, parts, axis=int(axis) % (ndim + 1)))
def _stack_t(ct, shapes, i, axis=0):
    ax = int(axis) % (len(shapes[i]) + 1)
    return ct[(slice(None),) * ax + (i, Ellipsis)]


@_composed(np.hstack)
def hstack(tup: Any, *, dtype: Any = None, casting: str = "same_kind") -> Any:
    """``np.hstack``: ``concatenate`` along axis 1 (axis 0 for 1-D arrays).

    >>> hstack([np.ones(2), np.zeros(1)]).tolist()
    [1.0, 1.0, 0.0]
    """
    arrays = [np.atleast_1d(a) for a in tup]
    return np.concatenate(arrays, axis=0 if np.ndim(arrays[0]) == 1 else 1, dtype=dtype)


@_composed(np.vstack)
def vstack(tup: Any, *, dtype: Any = None, casting: str = "same_kind") -> Any:
    """``np.vstack``: ``concatenate`` along axis 0 of the arrays made at least 2-D.

    >>> vstack([np.ones(2), np.zeros(2)]).shape
    (2, 2)
    """
    return np.concatenate([np.atleast_2d(a) for a in tup], axis=0, dtype=dtype)


# ------------------------------------------------------------------------------- indexing

def getitem(x: Any, index: Any) -> Any:
    """``x[index]``: a selection, linear in *x* (the index is a constant).

    >>> getitem(np.arange(5.0), slice(1, 3)).tolist()
    [1.0, 2.0]
    """
    return x[index]


def _getitem_batched(P, ndim, index):
    """``x[index]`` on every column ``P[..., j]``: the index, then the trailing axis whole."""
    try:
        return P[(index if isinstance(index, tuple) else (index,)) + (slice(None),)]
    except IndexError:              # the array API refuses an array index next to a slice
        if not is_foreign(P):
            raise
        return _getitem_rows_on_device(P, index)


def _getitem_rows_on_device(P, index):
    """:func:`_getitem_batched` of device partials where the namespace refuses an array index next
    to the trailing slice (the array API's integer-array indexing): the index picks element
    positions from ``arange(n)`` of the value's shape, and the partials' rows are gathered by those
    (``xp.take``)."""
    xp, shape = namespace(P), tuple(P.shape[:-1])
    n, k = int(np.prod(shape)), P.shape[-1]
    pos = xp.reshape(xp.arange(n, dtype=xp.int64, device=device_of(P)), shape)[index]
    rows = xp.take(xp.reshape(P, (n, k)), xp.reshape(pos, (-1,)), axis=0)
    return xp.reshape(rows, tuple(pos.shape) + (k,))


def _getitem_t(ct, shape, index):
    """Transpose of ``x[index]``: *ct* added at *index* of zeros (repeated fancy indices add)."""
    return _scatter_back(getitem, ct, shape, {"index": index})


# Not a NumPy function (no __array_function__ dispatch): each type's __getitem__ applies it,
# with its own fast paths for a scalar read (a Dual, a dictionary-form Measurement, the tape's
# preallocated BasicIndexVJP) and the tape's sparse scatter-add as its VJP on float cotangents.
GETITEM = LinearRule(getitem, _getitem_t, samples=(
    ((5,), {"index": slice(1, 4)}), ((3, 4), {"index": (slice(None), 2)}),
    ((4,), {"index": np.array([0, 2, 2, 3])}), ((2, 3), {"index": (Ellipsis, None, 1)}),
    ((2, 3), {"index": np.array([[True, False, True], [False, True, True]])}),
    ((3, 2), {"index": (np.array([2, 0]), slice(None, None, -1))})),
    batched=_getitem_batched, op="getitem", moves=True)
