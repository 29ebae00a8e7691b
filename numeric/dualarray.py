"""Forward mode on arrays: ``DualArray(value, partials, tag)``.

A ``DualArray`` is a struct of two arrays in the input's namespace (NumPy or
CuPy): ``value`` with shape ``S`` and ``partials`` with shape ``S + (k,)``.
An elementwise rule f applied to it costs two or three vectorised array
operations, whatever k is:

    value    = f(v)
    partials = f'(v)[..., None] * partials

so the Jacobian of an n-vector function is one vectorised evaluation per
chunk of k partials. Values and partials may themselves be ``DualArray`` s
of an older tag (nesting, for Hessians), or object arrays of ``mpf``.

NumPy functions work through ``__array_ufunc__`` (every rule of
:mod:`numeric.rules`, the arithmetic and comparison ufuncs) and
``__array_function__`` (``sum``, ``prod``, ``mean``, ``dot``/``matmul``,
``concatenate``, ``stack``, ``reshape``, ``transpose``, ``where``, ``clip``,
``cumsum``, ``diff``, ``broadcast_to``, ``linalg.solve``, ... : see
``_FUNCTIONS``). Indexing and slicing work for get and set; a scalar result
is a :class:`~numeric.dual.Dual`.

Examples
--------
>>> import numpy as np, numeric as nm
>>> x = nm.DualArray(np.array([1.0, 2.0]), np.eye(2))
>>> y = np.sum(x ** 2 * np.sin(x))
>>> np.allclose(y.partials, 2 * x.value * np.sin(x.value) + x.value**2 * np.cos(x.value))
True
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from numeric import complex_forms, xpcompat
from numeric import arrayrules, arrayrules_multilinear, arrayrules_nonlinear, arrayrules_reductions
from numeric.arraybase import ArrayAttributes
from numeric.backend import copy as _copy_array
from numeric.backend import device_of, dtype_kind, is_array, is_foreign, namespace, primal_ufunc
from numeric.dual import _LOSS, Dual
from numeric.protocol import UFUNC_RULE_NAMES as _UFUNC_NAMES
from numeric.protocol import dispatch as _dispatch
from numeric.protocol import new_order
from numeric.rules import (ARITHMETIC, RULES, install_operators, lift_constants, lookup,
                           nan_safe_scale)

__all__ = ["DualArray"]

_HANDLED: dict = {}
# the NumPy functions DualArray implements, public: MeasurementArray runs them on its sources
HANDLED = _HANDLED


def _col(d: Any) -> Any:
    """Append a length-1 axis to an array partial so it broadcasts over k."""
    if getattr(d, "ndim", 0):
        return d[..., None]
    return d


def _wrap(value: Any, partials: Any, tag: int) -> Any:
    """A ``Dual`` for a scalar result, a ``DualArray`` otherwise."""
    if getattr(value, "ndim", 0) == 0 and not is_array(value) and not isinstance(value, DualArray):
        k = partials.shape[-1]
        return Dual._new(value, partials[0] if k == 1 else partials, tag)
    if getattr(value, "ndim", 0) == 0:
        k = partials.shape[-1]
        v = value[()]
        return Dual._new(v, partials[0] if k == 1 else partials, tag)
    return DualArray._new(value, partials, tag)


def _to_array(x: Any, xp=np) -> Any:
    if isinstance(x, Dual):
        return DualArray._from_scalar(x)
    if isinstance(x, DualArray) or is_array(x):
        return x
    return xp.asarray(x)


class DualArray(ArrayAttributes):
    """An array of duals stored as a value array and a partials array.

    Parameters
    ----------
    value : array, shape S
    partials : array, shape S + (k,)
    tag : int, optional
        The perturbation; a fresh one if omitted.

    Examples
    --------
    >>> import numpy as np, numeric as nm
    >>> x = nm.DualArray(np.array([0.0, 1.0]), np.eye(2))
    >>> nm.exp(x).partials
    array([[1.        , 0.        ],
           [0.        , 2.71828183]])
    """

    __slots__ = ("value", "partials", "_nm_order")
    __array_priority__ = 100

    def __init__(self, value: Any, partials: Any, tag: int | None = None):
        value = _to_array(value)
        partials = _to_array(partials, namespace(value))
        if tuple(partials.shape[:-1]) != tuple(value.shape) or partials.ndim != value.ndim + 1:
            raise ValueError(
                f"partials must have shape value.shape + (k,) = {tuple(value.shape)} + (k,), "
                f"got {tuple(partials.shape)}"
            )
        self.value = value
        self.partials = partials
        self._nm_order = new_order() if tag is None else tag

    @classmethod
    def _new(cls, value, partials, tag):
        d = object.__new__(cls)
        d.value = value
        d.partials = partials
        d._nm_order = tag
        return d

    @classmethod
    def from_parts(cls, value: Any, partials: Any, tag: int) -> "DualArray":
        """The DualArray with these parts, unchecked (partials: shape value.shape + (k,))."""
        return cls._new(value, partials, tag)

    @staticmethod
    def wrap(value: Any, partials: Any, tag: int) -> "Dual | DualArray":
        """Unchecked constructor by shape: a ``Dual`` for a 0-d *value*, a ``DualArray`` otherwise.

        >>> import numpy as np, numeric as nm
        >>> type(nm.DualArray.wrap(np.float64(2.0), np.ones(1), 7)).__name__
        'Dual'
        """
        return _wrap(value, partials, tag)

    @staticmethod
    def stack(items: list) -> Any:
        """``np.stack(items)`` for numbers that may be duals: a ``DualArray`` if any is one.

        >>> import numeric as nm
        >>> nm.DualArray.stack([nm.Dual(1.0, 2.0), 3.0]).partials
        array([[2.],
               [0.]])
        """
        return _stack_any(items)

    @classmethod
    def _from_scalar(cls, d: Dual) -> "DualArray":
        v = _to_array(d.value)
        p = d._p
        if isinstance(p, Dual):
            p = cls._from_scalar(p).reshape((1,))
        elif not (is_array(p) or isinstance(p, DualArray)):
            p = namespace(v).asarray([p], **_on_device(v)) if not isinstance(v, DualArray) else _stack_any([p])
        elif p.ndim == 0:       # one partial kept as a 0-d array (a dual that met a device array)
            p = namespace(p).reshape(p, (1,))
        return cls._new(v, p, d._nm_order)

    # -- array attributes ----------------------------------------------------
    @property
    def tag(self) -> int:
        return self._nm_order

    @property
    def npartials(self) -> int:
        return self.partials.shape[-1]

    def __iter__(self):
        v, p = self.value, self.partials
        if self.ndim == 1 and type(v) is np.ndarray and type(p) is np.ndarray:
            # fast path: ``a, b, c = p`` in a right-hand side written on scalars
            vals = v.tolist() if v.dtype == np.float64 else list(v)
            tag = self._nm_order
            if p.shape[-1] == 1:
                parts = p[:, 0].tolist() if p.dtype == np.float64 else list(p[:, 0])
            else:
                parts = list(p)
            for vi, pi in zip(vals, parts):
                yield Dual._new(vi, pi, tag)
            return
        for i in range(len(self)):
            yield self[i]

    @property
    def T(self):
        return self.transpose()

    def __repr__(self):
        return f"DualArray(value={self.value!r}, partials shape {tuple(self.partials.shape)}, tag={self._nm_order})"

    # -- protocol hooks --------------------------------------------------------
    @staticmethod
    def _nm_lincomb(coeffs, items):
        """Fused ``sum(c * x)`` over same-tag DualArrays with plain real coefficients.

        Linear in value and partials alike, so both are accumulated in place.
        """
        tag = items[0]._nm_order
        shape = items[0].value.shape
        for x in items:
            if (type(x) is not DualArray or x._nm_order != tag or type(x.value) is not np.ndarray
                    or type(x.partials) is not np.ndarray or x.value.shape != shape):
                return NotImplemented
        if not all(type(c) in (float, int) for c in coeffs):
            return NotImplemented
        v = items[0].value * coeffs[0]
        p = items[0].partials * coeffs[0]
        for c, x in zip(coeffs[1:], items[1:]):
            if c:
                v += x.value * c
                p += x.partials * c
        return DualArray._new(v, p, tag)

    def _nm_primal(self):
        return self.value

    def _nm_linear(self):
        """(value, partials, rebuild): the protocol's "value + linear part" view."""
        tag = self._nm_order
        return self.value, self.partials, lambda v, p: _wrap(v, p, tag)

    def _nm_zero(self):
        return DualArray._new(self.value * 0, self.partials * 0, self._nm_order)

    def _nm_one(self):
        return DualArray._new(self.value * 0 + 1, self.partials * 0, self._nm_order)

    def _nm_scalar_zero(self):
        v, p = self.value, self.partials
        vsum = v.sum() if hasattr(v, "sum") else namespace(v).sum(v)   # array-API arrays: no methods
        psum = (p.sum() if hasattr(p, "sum") else namespace(p).sum(p)) if self.npartials <= 1 else None
        return Dual._new(vsum * 0, p[(0,) * self.ndim + (...,)] * 0 if psum is None else psum * 0, self._nm_order)

    def _nm_norm(self):
        """RMS over all n (1 + k) components, values and partials: DiffEqBase's
        ``ODE_DEFAULT_NORM`` for arrays of duals (``sse / totallength``); see ``nm.norm``."""
        from numeric.protocol import sum_squares

        if self.value.size == 0:
            return 0.0
        sv, mv = sum_squares(self.value)
        sp, mp = sum_squares(self.partials)
        return ((sv + sp) / (mv + mp)) ** 0.5

    def _nm_length(self) -> int:
        from numeric.protocol import norm_length

        return norm_length(self.value) + norm_length(self.partials)

    def _nm_apply(self, name: str, args: tuple) -> Any:
        rule = lookup(name)
        return DualArray._apply_rule(rule, args)

    @staticmethod
    def _apply_rule(rule, args: tuple) -> Any:
        tag = max(getattr(a, "_nm_order", -1) for a in args)
        vals = []
        for a in args:
            if isinstance(a, Dual) and a._nm_order == tag:
                a = DualArray._from_scalar(a)
            vals.append(a.value if isinstance(a, DualArray) and a._nm_order == tag else a)
        vals = lift_constants(tuple(vals))
        ref = None
        for v in vals:          # (NumPy arrays and floats first: the hot path pays two type checks)
            if type(v) is not np.ndarray and type(v) is not float and is_foreign(v):
                ref = v
                break
        if ref is not None:     # a host scalar dual meeting a device array: its parts go there
            vals = tuple(_onto(v, ref) for v in vals)
            inner = next((v for v in vals if hasattr(type(v), "_nm_apply")), None)
            if inner is not None:
                # a number of an inner type (a Measurement) meets the device values: array-API
                # operators refuse it on their right, so the device arrays join its type first
                zero = inner * 0
                vals = tuple(zero + v if is_foreign(v) else v for v in vals)
        ans = rule.function(*vals)
        p, fresh = None, False
        for i, a in enumerate(args):
            if getattr(a, "_nm_order", None) == tag:
                pa = a.partials if isinstance(a, DualArray) else DualArray._from_scalar(a).partials
                pa = pa if ref is None else _onto(pa, ref)
                d = rule.partials[i](ans, *vals)
                if type(d) is int and d in (1, -1):  # add / sub: no multiplication needed
                    term, new = (pa, False) if d == 1 else (-pa, True)
                else:
                    term, new = nan_safe_scale(_col(d), pa), True
                if p is None:
                    p, fresh = term, new
                elif fresh and type(p) is np.ndarray and type(term) is np.ndarray \
                        and p.shape == term.shape and p.dtype == np.result_type(p, term):
                    p += term
                else:
                    p, fresh = p + term, True
        if getattr(ans, "ndim", 0) and p.ndim != ans.ndim + 1:
            p = _broadcast(p, tuple(ans.shape) + (p.shape[-1],))
        return _wrap(ans, p, tag)

    # -- conversions that would lose information ---------------------------------
    def __float__(self):
        raise TypeError(_LOSS.format(what="float", kind="DualArray"))

    def __int__(self):
        raise TypeError(_LOSS.format(what="int", kind="DualArray"))

    def __complex__(self):
        raise TypeError(_LOSS.format(what="complex", kind="DualArray"))

    def astype(self, dtype, copy=True):
        """Cast value and partials to another *floating* dtype (float32 <-> float64)."""
        if dtype is object or _dtype_kind_of(dtype) not in "fc":
            raise TypeError(f"cannot cast a DualArray to {dtype}: it would drop the derivatives; "
                            "use nm.value(x) for the primal")
        return DualArray._new(_astype(self.value, dtype), _astype(self.partials, dtype), self._nm_order)

    def copy(self):
        return DualArray._new(_copy_array(self.value), _copy_array(self.partials), self._nm_order)

    __copy__ = copy     # like ndarray: copy.copy copies the data (a write must not reach self)

    # -- comparisons on primal values ----------------------------------------------
    def __eq__(self, o):
        return self.value == _primal(o)

    def __ne__(self, o):
        return self.value != _primal(o)

    def __lt__(self, o):
        return self.value < _primal(o)

    def __le__(self, o):
        return self.value <= _primal(o)

    def __gt__(self, o):
        return self.value > _primal(o)

    def __ge__(self, o):
        return self.value >= _primal(o)

    # -- indexing -------------------------------------------------------------------
    def __getitem__(self, idx):
        v = self.value
        if type(idx) is int and type(v) is np.ndarray and v.ndim == 1:
            # fast path: ``u[0]`` in a right-hand side written on scalars
            p = self.partials[idx]
            x = v[idx]
            if v.dtype == np.float64:
                x = float(x)
                p = float(p[0]) if p.shape[0] == 1 else p
            elif p.shape[0] == 1:
                p = p[0]
            return Dual._new(x, p, self._nm_order)
        # the table's entry (arrayrules.GETITEM) on the partials' columns (ndim unused)
        return _wrap(self.value[idx], _GETITEM_COLUMNS(self.partials, 0, idx), self._nm_order)

    def __setitem__(self, idx, val):
        pidx = _partials_index(idx)
        if getattr(val, "_nm_order", -1) > self._nm_order:
            raise TypeError("cannot store a dual of a newer tag in a DualArray of an older one; "
                            "build the array from the newer dual instead")
        if getattr(val, "_nm_order", None) == self._nm_order:
            val = _to_array(val)
            self.value[idx] = val.value
            self.partials[pidx] = val.partials
        else:
            self.value[idx] = val
            self.partials[pidx] = 0

    # -- methods NumPy users expect ----------------------------------------------------
    def sum(self, axis=None, keepdims=False):
        return _sum(self, axis=axis, keepdims=keepdims)

    def mean(self, axis=None, keepdims=False):
        return np.mean(self, axis=axis, keepdims=keepdims)

    def prod(self, axis=None, keepdims=False):
        return _prod(self, axis=axis, keepdims=keepdims)

    def reshape(self, *shape, order="C"):
        shape = shape[0] if len(shape) == 1 and isinstance(shape[0], (tuple, list)) else shape
        return _reshape(self, shape, order)

    def ravel(self):
        return _reshape(self, (-1,))

    flatten = ravel

    def transpose(self, *axes):
        axes = axes[0] if len(axes) == 1 and isinstance(axes[0], (tuple, list)) else axes
        return _transpose(self, axes or None)

    def cumsum(self, axis=None):
        return np.cumsum(self, axis=axis)

    def dot(self, o):
        return arrayrules.dot(self, o)      # np.dot's semantics (not matmul's above 2-D)

    # -- NumPy protocols --------------------------------------------------------------------
    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        if method != "__call__" or kwargs.get("out") is not None:
            return NotImplemented
        name = ufunc.__name__
        if name in _PRIMAL_UFUNCS:
            return primal_ufunc(ufunc, [_primal(a) for a in inputs])
        if name in _ZERO_DERIVATIVE_UFUNCS:
            return _constant_like(self, primal_ufunc(ufunc, [_primal(a) for a in inputs]))
        if name == "square":
            return inputs[0] * inputs[0]
        if name == "reciprocal":
            return 1 / inputs[0]
        if name == "positive":
            return inputs[0]
        if name == "conjugate":
            return complex_forms.conjugate(inputs[0])
        if name == "matmul":
            return _matmul(*inputs)
        rname = _UFUNC_NAMES.get(name, name)
        if rname not in RULES and rname not in ARITHMETIC:
            return NotImplemented
        inputs = tuple(_from_object_array(a) if isinstance(a, np.ndarray) and a.dtype == object
                       else a for a in inputs)
        return _dispatch(rname, tuple(_to_array(a) if isinstance(a, (list, tuple)) else a
                                      for a in inputs))

    def __array_function__(self, func, types, args, kwargs):
        impl = _HANDLED.get(func)
        if impl is None:
            return arrayrules.refuse(func, DualArray, types)
        return impl(*args, **kwargs)


def _primal(o):
    return o.value if isinstance(o, (Dual, DualArray)) else o


_GETITEM_COLUMNS = arrayrules.GETITEM.batched


def _partials_index(idx):
    if not isinstance(idx, tuple):
        idx = (idx,)
    return idx + (slice(None),)


def _broadcast(p, shape):
    if isinstance(p, DualArray):
        return _broadcast_to(p, shape)
    return namespace(p).broadcast_to(p, shape)


def _constant_like(x: DualArray, value):
    xp = namespace(x.value)
    p = xp.zeros(tuple(np.shape(value)) + (x.npartials,), dtype=x.partials.dtype, **_on_device(x.partials)) if not isinstance(
        x.partials, DualArray) else x.partials.sum() * 0 + xp.zeros(tuple(np.shape(value)) + (x.npartials,))
    return _wrap(value, p, x._nm_order)


_PRIMAL_UFUNCS = {
    "greater", "greater_equal", "less", "less_equal", "equal", "not_equal",
    "isfinite", "isnan", "isinf", "signbit", "logical_and", "logical_or", "logical_not",
}  # fmt: skip
_ZERO_DERIVATIVE_UFUNCS = {"floor", "ceil", "rint", "trunc"}


def _from_object_array(a: np.ndarray) -> Any:
    """An object array holding duals (``np.array([dual0, dual1])``) as a DualArray.

    Elements that are not duals of the newest tag get zero partials. An object
    array without duals (mpf, say) is returned unchanged: it is a constant.
    """
    flat = a.ravel().tolist()
    if all(type(e) is Dual for e in flat):
        # fast path: every element a dual of one tag with float values
        tag = flat[0]._nm_order
        if all(e._nm_order == tag and type(e.value) is float for e in flat):
            ps = [e._p for e in flat]
            if all(type(q) is np.ndarray and q.dtype == np.float64 for q in ps):
                return DualArray._new(np.array([e.value for e in flat]).reshape(a.shape),
                                      np.array(ps).reshape(a.shape + (ps[0].shape[0],)), tag)
    duals = [e for e in flat if isinstance(e, (Dual, DualArray))]
    if not duals:
        return a
    if any(isinstance(e, DualArray) for e in duals):
        raise TypeError("an object array holding DualArrays is ambiguous; use np.stack or "
                        "np.concatenate on the DualArrays instead")
    tag = max(e._nm_order for e in duals)
    k = next(e.npartials for e in duals if e._nm_order == tag)
    vals, parts = [], []
    for e in flat:
        if isinstance(e, Dual) and e._nm_order == tag:
            vals.append(e.value)
            p = e._p
            parts.append(list(p) if getattr(p, "ndim", 0) else [p])
        else:
            vals.append(e)
            parts.append([0 * e] * k if isinstance(e, Dual) else [0.0] * k)
    value = np.array(vals)
    partials = np.array(parts, dtype=object if value.dtype == object else None)
    if partials.dtype == object and value.dtype != object:
        value = value.astype(object)
    return DualArray._new(value.reshape(a.shape), partials.reshape(a.shape + (k,)), tag)


_SCALARS = (float, int, np.floating)


def _fast_op(rname: str, reflected: bool, self, o):
    """``self (op) o`` without rule dispatch for the cases a solver's stage loop makes.

    These are the *linear* cases of the ARITHMETIC rules (partials 1, -1 or the
    constant c of ``x * c``, ``x / c``), where the partials transform exactly as
    the values do; ``tests/test_dualarray.py`` checks them against the generic
    rule path.

    Same-tag DualArray +/- DualArray of the same shape, and DualArray with a
    plain real scalar (+ - * /), on plain ndarray parts (no nesting). None
    when the case is not one of these (the general path handles it).
    """
    v, pa = self.value, self.partials
    if type(v) is not np.ndarray or type(pa) is not np.ndarray:
        return None
    if isinstance(o, DualArray):
        if (rname in ("add", "sub") and o._nm_order == self._nm_order and type(o.value) is np.ndarray
                and type(o.partials) is np.ndarray and o.value.shape == v.shape
                and o.partials.shape == pa.shape):
            if rname == "add":
                return DualArray._new(v + o.value, pa + o.partials, self._nm_order)
            if reflected:
                return DualArray._new(o.value - v, o.partials - pa, self._nm_order)
            return DualArray._new(v - o.value, pa - o.partials, self._nm_order)
        return None
    if not isinstance(o, _SCALARS) or isinstance(o, bool):
        return None
    if rname == "mul":
        return DualArray._new(v * o, pa * o, self._nm_order)
    if rname == "add":
        return DualArray._new(v + o, pa, self._nm_order)
    if rname == "sub":
        return DualArray._new(o - v, -pa, self._nm_order) if reflected else DualArray._new(v - o, pa, self._nm_order)
    if rname == "truediv" and not reflected:
        return DualArray._new(v / o, pa / o, self._nm_order)
    return None


def _make_op(rname: str, reflected: bool):
    def op(self, o):
        if isinstance(o, (list, tuple)):
            o = np.asarray(o)
        if isinstance(o, np.ndarray) and o.dtype == object:
            o = _from_object_array(o)
        fast = _fast_op(rname, reflected, self, o)
        if fast is not None:
            return fast
        if not (isinstance(o, (numbers.Number, np.generic, Dual, DualArray)) or is_array(o)
                or hasattr(type(o), "_nm_apply")):
            return NotImplemented
        return _dispatch(rname, (o, self) if reflected else (self, o))

    return op


def _dispatching_unary(rule):
    return lambda self: _dispatch(rule.name, (self,))


install_operators(DualArray, _dispatching_unary, lambda rule, reflected: _make_op(rule.name, reflected))


def _matmul_op(reflected: bool):
    def op(self, o):
        # a number of a newer differentiation (a tracked array of a reverse tape inside this
        # dual's computation) is the outer one: its own matmul handles this dual as a value
        # (before, _matmul treated self as its constant and called @ again, without end)
        if not isinstance(o, DualArray) and getattr(o, "_nm_order", -1) > self._nm_order:
            return NotImplemented
        return _matmul(o, self) if reflected else _matmul(self, o)
    return op


DualArray.__matmul__ = _matmul_op(False)
DualArray.__rmatmul__ = _matmul_op(True)


# ---------------------------------------------------------------------------------
# __array_function__ implementations. Each acts on value and partials alike; axis
# arguments are normalised so the trailing partials axis is never touched.
# ---------------------------------------------------------------------------------


def implements(*funcs):
    def deco(f):
        for func in funcs:
            _HANDLED[func] = f
        return f

    return deco


def _axes(axis, ndim):
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, (tuple, list)):
        return tuple(a % ndim for a in axis)
    return (axis % ndim,)


def _xp(x):
    return namespace(x.value)


def _parts(x, tag):
    """(value, partials or None) of *x* with respect to *tag*."""
    if isinstance(x, Dual) and x._nm_order == tag:
        if getattr(x.value, "tape", None) is not None:
            # a scalar on a reverse tape (reverse over forward): keep it a tracked scalar; as a
            # 0-d object array it would be a constant to the tape and lose its derivative
            return x.value, DualArray._from_scalar(x).partials
        x = DualArray._from_scalar(x)
    if isinstance(x, (list, tuple)):
        x = np.asarray(x)
    if isinstance(x, np.ndarray) and x.dtype == object:
        x = _from_object_array(x)  # np.array([dual0, dual1]) carries derivatives: not a constant
    if isinstance(x, DualArray) and x._nm_order == tag:
        return x.value, x.partials
    return x, None


def _tag(*xs):
    return max(_object_order(x) if isinstance(x, np.ndarray) and x.dtype == object
               else getattr(x, "_nm_order", -1) for x in xs)


def _object_order(a: np.ndarray) -> int:
    """The newest dual tag inside an object array (-1 without duals): read, not converted."""
    return max((e._nm_order for e in a.ravel().tolist() if isinstance(e, Dual)), default=-1)


def _k_of(xs, tag):
    for x in xs:
        v, p = _parts(x, tag)
        if p is not None:
            return p
    raise TypeError("no DualArray among the arguments")


def _zeros_partials(v, like_p):
    xp = namespace(like_p) if not isinstance(like_p, DualArray) else namespace(like_p.value)
    shape = tuple(np.shape(v)) + (like_p.shape[-1],)
    if isinstance(like_p, DualArray):
        return _broadcast_to(like_p.sum(axis=tuple(range(like_p.ndim))) * 0, shape)
    return xp.zeros(shape, dtype=like_p.dtype, **_on_device(like_p))


def _dtype_kind_of(dtype) -> str:
    """The kind letter of a NumPy dtype (or type) or of an array-API dtype (``xs.float32``)."""
    try:
        return np.dtype(dtype).kind
    except TypeError:
        return dtype_kind(dtype)


def _astype(x, dtype):
    """*x* cast to *dtype*, a copy (the method for NumPy arrays, ``xp.astype`` for array-API ones)."""
    return x.astype(dtype) if hasattr(x, "astype") else namespace(x).astype(x, dtype)


def _onto(x, ref):
    """A NumPy number or array *x* moved next to the device array *ref* (a 0-d one as a Python
    scalar, which array-API arithmetic takes as a weak scalar); anything else unchanged."""
    if isinstance(x, (np.ndarray, np.generic)) and x.dtype != object:
        if x.ndim == 0:
            return x.item()
        return namespace(ref).asarray(x.tolist(), dtype=ref.dtype if x.dtype.kind == "f" else None,
                                      device=device_of(ref))
    return x


def _on_device(x) -> dict:
    """``device=`` of array *x* for creating arrays next to it (nothing for NumPy arrays)."""
    return {"device": device_of(x)} if is_foreign(x) else {}


# shape changes and sum: the shared table's entries (JVP = the map itself on the partials)
def _table(func):
    impl = arrayrules.dual_impl(arrayrules.LINEAR[func], _wrap, _to_array)
    _HANDLED[func] = impl
    return impl


_sum = _table(np.sum)
_reshape = _table(np.reshape)
_transpose = _table(np.transpose)
_moveaxis = _table(np.moveaxis)
_swapaxes = _table(np.swapaxes)
_squeeze = _table(np.squeeze)
_expand_dims = _table(np.expand_dims)
_broadcast_to = _table(np.broadcast_to)


# prod, max/min (numeric.arrayrules_reductions) and matmul (numeric.arrayrules_multilinear):
# the shared table's JVP on the partials
def _batched_rule(table, func):
    impl = arrayrules_multilinear.dual_multilinear_impl(table[func], _wrap, _parts, _tag)
    _HANDLED[func] = impl
    return impl


_prod = _batched_rule(arrayrules_reductions.REDUCTIONS, np.prod)
_MATMUL = arrayrules_multilinear.MULTILINEAR[np.matmul]


def _matmul(a, b):
    """``a @ b``: the table's entry without the argument binding (the hot path)."""
    tag = _tag(a, b)
    av, ap = _parts(a, tag)
    bv, bp = _parts(b, tag)
    return _wrap(av @ bv, _MATMUL.jvp((av, bv), (ap, bp)), tag)


def _join_impl(rule):
    """A join of the table (concatenate, stack): the JVP joins the partials (constants: 0)."""
    def impl(*args, **kwargs):
        arrays, kw = rule.bind(args, kwargs)
        tag = _tag(*arrays)
        pieces = [_parts(a, tag) for a in arrays]
        like = next(p for _, p in pieces if p is not None)
        vals = [np.asarray(v) if isinstance(v, (numbers.Number, np.generic)) else v for v, _ in pieces]
        parts = [p if p is not None else _zeros_partials(v, like) for v, p in pieces]
        return DualArray._new(rule.apply(vals, **kw), rule.batched(parts, np.ndim(vals[0]), **kw),
                              tag)
    return impl


_concatenate = _HANDLED[np.concatenate] = _join_impl(arrayrules.JOIN[np.concatenate])
_stack = _HANDLED[np.stack] = _join_impl(arrayrules.JOIN[np.stack])


def _stack_any(items):
    """np.stack for a list that may hold duals (used to build partial vectors)."""
    if any(isinstance(e, (Dual, DualArray)) for e in items):
        return _stack([e for e in items], 0)
    return np.stack(items)


@implements(np.zeros_like)
def _zeros_like(x, dtype=None, **kw):
    return xpcompat.on_any(np.zeros_like)(x.value, dtype=dtype)


@implements(np.ones_like)
def _ones_like(x, dtype=None, **kw):
    return xpcompat.on_any(np.ones_like)(x.value, dtype=dtype)


@implements(np.copy)
def _copy(x, **kw):
    return x.copy()


@implements(np.shape)
def _shape(x):
    return x.shape


@implements(np.ndim)
def _ndim(x):
    return x.ndim


@implements(np.size)
def _size(x, axis=None):
    return x.size if axis is None else x.shape[axis]


@implements(np.isfinite)
def _isfinite(x):
    v = x.value     # a mask of the primal values, in their namespace (a device value stays there)
    return namespace(v).isfinite(v) if is_foreign(v) else np.isfinite(v)


@implements(np.allclose)
def _allclose(a, b, *args, **kw):
    raise TypeError("np.allclose on a DualArray compares primal values only; use "
                    "np.allclose(nm.value(a), nm.value(b)) to say so on purpose")


def register_array_function(func: Any, impl: Any) -> None:
    """Public hook: *impl* handles NumPy function *func* for DualArray."""
    _HANDLED[func] = impl


for _func, _rule in arrayrules.LINEAR.items():               # the shared linear table
    _HANDLED.setdefault(_func, arrayrules.dual_impl(_rule, _wrap, _to_array))
for _func, _rule in arrayrules_nonlinear.NONLINEAR.items():   # nonlinear table: JVP = lin
    if _func in arrayrules_nonlinear.REPLACES or _func not in _HANDLED:
        _HANDLED[_func] = arrayrules_nonlinear.dual_nonlinear_impl(_rule, _wrap, _parts, _tag)
for _table in (arrayrules_multilinear.MULTILINEAR, arrayrules_reductions.REDUCTIONS):
    for _func in _table:                  # where, einsum, matmul; prod, max/min
        _batched_rule(_table, _func)      # (np.matmul binds its arguments, then as @)
for _func, _rule in arrayrules_nonlinear.BILINEAR.items():    # bilinear: compositions
    _HANDLED.setdefault(_func, _rule.linearize)
for _func, _impl in arrayrules.COMPOSED.items():             # compositions of primitives
    _HANDLED.setdefault(_func, _impl)
for _func in arrayrules_nonlinear.INDEX:
    _HANDLED.setdefault(_func, arrayrules_nonlinear.index_impl(_func))


def supported_functions() -> frozenset:
    """The NumPy functions DualArray's ``__array_function__`` handles."""
    return frozenset(_HANDLED)
