"""``MeasurementArray``: arrays of measurements as values plus a Jacobian.

An array of n measurements that depend on K sources is stored as a struct
of arrays in the input's namespace, never as n Python objects:

* ``val`` (shape S): the nominal values;
* dense form: ``J`` (shape S + (K,)), the components with respect to the
  sources ``src`` (K sorted, distinct source ids). ``err = sqrt(sum(J**2, -1))``
  and the covariance of the flattened array is ``J J^T``.
* one-source form (``diag``): ``J`` and ``src`` both of shape S; element e
  depends on the single source ``src[e]`` with component ``J[e]`` (``src``
  is -1 and ``J`` is 0 for an exact element). ``nm.measurements(values,
  errors)`` creates this form, and it survives every elementwise operation
  among arrays whose elements depend on the same sources, so propagating
  10^4 independent inputs through elementwise code costs O(n), not O(n^2).
  Reductions, matrix products and the meeting of different sources turn it
  into the dense form.

An elementwise rule f of :mod:`numeric.rules` costs a few array operations:

    val = f(v1, ..., vn),     J = sum_i df/dxi(v)[..., None] * J_i

after the arguments' Jacobians are aligned on the union of their sources.
Structural NumPy functions (``reshape``, ``transpose``, ``concatenate``,
indexing, ...) act on ``val``, ``J`` and ``src`` alike; the entries of the
array-rule table (linear, multilinear: ``where``, ``einsum``; nonlinear:
``linalg.solve``, ``sort``, ``std``, ...) are applied to the components per
source directly; the few functions without a table entry (``matmul``,
``prod``, ``max``/``min``) reuse the implementations of
:class:`~numeric.dualarray.DualArray`, whose partials axis plays the role of
the sources axis, so there is no second copy of any derivative rule.

Examples
--------
>>> import numpy as np, numeric as nm
>>> x = nm.measurements([1.0, 2.0, 3.0], 0.1)
>>> s = np.sum(x * x)            # 14 ± 2 sqrt(1 + 4 + 9) * 0.1
>>> print(s)
14.00 ± 0.75
>>> print(x[1] - x[1], x[0] - x[1])
0.0 ± 0.0 -1.00 ± 0.14
"""

from __future__ import annotations

import math
import numbers
from functools import reduce
from operator import itemgetter
from typing import Any

import mpmath
import numpy as np

from numeric import arrayrules, arrayrules_multilinear, arrayrules_nonlinear, arrayrules_reductions, xpcompat
from numeric.arraybase import ArrayAttributes
from numeric.backend import astype, copy, device_of, dtype_kind, float_dtype, is_array, is_foreign, namespace
from numeric.protocol import UFUNC_RULE_NAMES as _UFUNC_NAMES
from numeric.protocol import dispatch as _dispatch
from numeric.measurement.scalar import LOSS, Measurement, _fresh, measurement_rule, root_sum_squares
from numeric.measurement.sources import new_sources
from numeric.measurement.owners import record_array
from numeric.measurement.aliases import UncertaintiesNames
from numeric.rules import ARITHMETIC, RULES, constant_partial, install_operators

__all__ = ["MeasurementArray", "measurements", "as_measurement_array", "apply_rule"]

_HANDLED: dict = {}

# scalar measurements taken out of an array with at most this many sources use the
# dictionary form of their components (cheap scalar arithmetic); more keep the array form
_DICT_FORM_MAX = 64

# kinds of arguments of an operation
_CONST, _DIAG, _DENSE = 0, 1, 2


def _scalar(v: Any) -> Any:
    """A 0-d result as a Python float (float64), NumPy scalar (float32) or mpf."""
    if isinstance(v, np.ndarray):
        v = v[()]
    if type(v) is np.float64:
        return float(v)
    return v


def _zeros(shape: tuple, like: np.ndarray) -> np.ndarray:
    if isinstance(like, np.ndarray) and like.dtype == object:
        z = like.flat[0] * 0 if like.size else mpmath.mpf(0)
        return np.full(shape, z, dtype=object)
    if isinstance(like, np.ndarray):
        return np.zeros(shape, dtype=like.dtype)
    return namespace(like).zeros(shape, dtype=like.dtype, device=device_of(like))


class MeasurementArray(UncertaintiesNames, ArrayAttributes):
    """An array of measurements: values and components with respect to sources.

    Parameters
    ----------
    values : array, shape S
    jacobian : array, shape S + (K,)
        Components of every element with respect to each source.
    sources : sequence of K distinct ints
        The source ids (as given by :mod:`numeric.measurement.sources`, or
        the ``sources`` of another array).

    Notes
    -----
    Use :func:`measurements` for independent inputs and
    :func:`~numeric.measurement.stats.correlated_values` for correlated ones.

    Examples
    --------
    >>> import numpy as np, numeric as nm
    >>> x = nm.measurements(np.array([0.0, 1.0]), [0.1, 0.2])
    >>> np.round(nm.exp(x).err, 4)
    array([0.1   , 0.5437])
    """

    # _vj: None, or one array holding [val | J] (shape S + (1 + K,)) of which val and J are
    # views; stage derivatives packed from scalars carry it, so the linear operations of a
    # Runge–Kutta step (stage sums, h * k, u + ...) are one array operation instead of two
    __slots__ = ("val", "J", "src", "diag", "_vj", "__weakref__")
    _primal_field = "val"
    _nm_carries = "uncertainty"
    _nm_order = 0
    __array_priority__ = 100

    def __init__(self, values: Any, jacobian: Any, sources: Any):
        val = values if is_array(values) else np.asarray(values)
        if dtype_kind(val.dtype) in "iub":
            val = astype(val, float_dtype(val))
        J = jacobian if is_array(jacobian) else np.asarray(jacobian)
        src = np.asarray(sources, dtype=np.int64).reshape(-1)
        if tuple(J.shape) != tuple(val.shape) + (src.size,):
            raise ValueError(f"jacobian must have shape values.shape + (len(sources),) = "
                             f"{tuple(val.shape) + (src.size,)}, got {tuple(J.shape)}")
        order = np.argsort(src, kind="stable")
        src = src[order]
        if src.size and (np.diff(src) == 0).any():
            raise ValueError("sources must be distinct ids")
        if src.size and src[0] < 0:
            raise ValueError("source ids are non-negative integers")
        self.val, self.J, self.src, self.diag, self._vj = val, J[..., order], src, False, None

    @classmethod
    def _dense(cls, val, J, src) -> "MeasurementArray":
        m = object.__new__(cls)
        m.val, m.J, m.src, m.diag, m._vj = val, J, src, False, None
        return m

    @classmethod
    def _diag(cls, val, J, src) -> "MeasurementArray":
        m = object.__new__(cls)
        m.val, m.J, m.src, m.diag, m._vj = val, J, src, True, None
        return m

    @classmethod
    def _joint(cls, vj, src) -> "MeasurementArray":
        """The dense array whose values and components are the columns of *vj* = [val | J]."""
        m = object.__new__(cls)
        m.val, m.J, m.src, m.diag, m._vj = vj[..., 0], vj[..., 1:], src, False, vj
        return m

    # -- array attributes (shape, ndim, size, dtype, len: numeric/arraybase.py) ------
    def __iter__(self):
        val, J = self.val, self.J
        if (not self.diag and val.ndim == 1 and type(val) is np.ndarray
                and val.dtype == np.float64 and J.dtype == np.float64
                and J.shape[-1] <= _DICT_FORM_MAX):
            # fast path: ``x, y = u`` in a right-hand side written on scalars
            keys = self.src.tolist()
            for v, row in zip(val.tolist(), J.tolist()):
                yield _fresh(v, dict(zip(keys, row)))
            return
        for i in range(len(self)):
            yield self[i]

    @property
    def T(self):
        return self.transpose()

    @property
    def err(self) -> np.ndarray:
        """The standard deviations, elementwise."""
        if self.diag:
            return _abs_masked(self.J, self.src, self.val)
        J = self.J
        if dtype_kind(J.dtype) == "f":
            xp = namespace(J)
            if not J.shape[-1]:
                return xp.zeros(self.shape, dtype=J.dtype, device=device_of(J))
            return xp.sqrt(xp.einsum("...k,...k->...", J, J) if xp is np else xp.vecdot(J, J))
        if is_foreign(J):                  # complex components on a device: sqrt(sum c**2) there
            xp = namespace(J)
            return xp.sqrt(xp.sum(J * J, axis=-1))
        out = np.empty(self.shape, dtype=object)
        flatJ = J.reshape(-1, J.shape[-1])
        out.reshape(-1)[:] = [root_sum_squares(row.tolist(), v)
                              for row, v in zip(flatJ, self.val.reshape(-1))]
        return out

    @property
    def jacobian(self) -> np.ndarray:
        """The dense Jacobian (shape S + (K,)) with respect to :attr:`sources`."""
        return dense_parts(self)[1]

    @property
    def sources(self) -> np.ndarray:
        """The sorted ids of the sources the array depends on."""
        return dense_parts(self)[2]

    def __repr__(self):
        from numeric.measurement.formatting import format_spec

        if self.size > 20:
            return f"MeasurementArray(shape={self.shape}, dtype={self.dtype})"
        val, err = self._host_val_err()
        cells = np.empty(self.shape, dtype=object)
        for i in np.ndindex(*self.shape):
            cells[i] = format_spec(val[i], err[i], "")
        return "MeasurementArray(" + np.array2string(cells, separator=", ",
                                                     formatter={"all": str}) + ")"

    __str__ = __repr__

    def _host_val_err(self) -> tuple:
        """Values and standard deviations for formatting, which is host work: a device array
        sends both to the host in one transfer (stacked), NumPy ones are used as they are."""
        if not is_foreign(self.val):
            return self.val, self.err
        from numeric.backend import to_host

        both = to_host(namespace(self.val).stack([self.val, self.err]))
        return both[0], both[1]

    def _cells(self, spec: str) -> np.ndarray | None:
        """Each element formatted by *spec* (``None`` above 400 elements or 2 axes)."""
        from numeric.measurement.formatting import format_spec

        if self.size > 400 or self.ndim > 2:
            return None
        val, err = self._host_val_err()
        cells = np.empty(self.shape, dtype=object)
        for i in np.ndindex(*self.shape):
            cells[i] = format_spec(val[i], err[i], spec)
        return cells.reshape((1, -1) if self.ndim < 2 else self.shape)

    def _repr_html_(self) -> str:
        import html

        cells = self._cells("")
        if cells is None:
            return html.escape(repr(self))
        rows = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>"
                       for row in cells)
        return f"<table><caption>MeasurementArray, shape {self.shape}</caption>{rows}</table>"

    def _repr_latex_(self) -> str | None:
        cells = self._cells("L")
        if cells is None:
            return None
        body = r" \\ ".join(" & ".join(row) for row in cells)
        return r"$\begin{pmatrix} " + body + r" \end{pmatrix}$"

    # -- protocol hooks ------------------------------------------------------------------
    def _nm_primal(self):
        return self.val

    def _nm_linear(self):
        """(values, components, rebuild): the protocol's "value + linear part" view.

        The components are the dense Jacobian with respect to the sources;
        ``rebuild`` keeps the sources, so correlations survive a linear map.
        """
        val, J, src = dense_parts(self)
        return val, J, lambda v, p: _wrap_dense(v, p, src)

    def _nm_zero(self):
        return _const(self.val * 0)

    def _nm_one(self):
        return _const(self.val * 0 + 1)

    def _nm_scalar_zero(self):
        if is_foreign(self.val):              # a device array: a 0-d exact array on its device
            z = namespace(self.val).zeros((), dtype=self.val.dtype, device=device_of(self.val))
            return MeasurementArray._dense(z, _zeros((0,), z), _EMPTY)
        return Measurement._new(_scalar(self.val.sum() * 0), {})

    def _nm_norm(self):
        """RMS over elements of sqrt(value**2 + sum of squared components).

        The linear components are part of the state, as a dual's partials are
        (DualArray's norm): adaptive step control then bounds the error of the
        propagated uncertainty too, not only of the nominal values.
        """
        from numeric.protocol import norm

        n = self.val.size
        if n == 0:
            return 0.0
        vj = self._vj
        if vj is not None:                       # [val | J] in one array: one norm
            return norm(vj) * math.sqrt(vj.shape[-1])
        J = self.J
        if self.diag:
            J = _abs_masked(J, self.src, self.val)
        k = J.size // n if J.size else 0
        if k and is_foreign(self.val):          # one norm, decided on the device: one transfer
            xp = namespace(self.val)
            both = xp.concat([xp.reshape(self.val, (-1,)), xp.reshape(J, (-1,))])
            return norm(both) * math.sqrt((n + J.size) / n)
        v = norm(self.val)
        p = norm(J) * math.sqrt(k) if k else 0.0
        if type(v) is float and type(p) is float:
            return math.hypot(v, p)              # no overflow of the squares
        return (v * v + p * p) ** 0.5

    def _nm_length(self) -> int:
        """One component per element: the norm is the RMS over the elements of
        ``sqrt(value**2 + err**2)`` (not over values and components: how many sources the
        uncertainty is split into is bookkeeping, so it must not change the step sizes)."""
        return int(self.val.size)

    def _nm_apply(self, name: str, args: tuple) -> Any:
        return apply_rule(measurement_rule(name), args)

    @staticmethod
    def _nm_lincomb(coeffs, items):
        """Fused ``sum(c * x)`` (the stage sums of Runge–Kutta methods).

        Linear in values and components alike, so both are accumulated at
        once, after aligning the arrays on the union of their sources (a
        no-op when they share them, as the stages of one step do).
        """
        for c in coeffs:
            if type(c) is not float and type(c) is not int:
                return NotImplemented
        first = items[0]
        if type(first) is not MeasurementArray:
            return NotImplemented
        src, vj = first.src, first._vj
        if vj is not None:
            shape, dtype = vj.shape, vj.dtype
            for x in items:
                if type(x) is not MeasurementArray or x.src is not src or x._vj is None or \
                        x._vj.shape != shape or x._vj.dtype != dtype:
                    break
            else:
                # stage derivatives packed from scalars: one product for values and components
                live = [i for i, c in enumerate(coeffs) if c]     # zero terms skipped, not 0 * x
                if live:
                    cv = np.array([coeffs[i] for i in live], dtype=dtype)
                    vjs = np.array([items[i]._vj for i in live])
                    return MeasurementArray._joint((cv @ vjs.reshape(len(live), -1)).reshape(shape),
                                                   src)
        shape, dtype = first.val.shape, first.val.dtype
        if dtype_kind(dtype) != "f":
            return NotImplemented
        for x in items:
            if (type(x) is not MeasurementArray or x.diag or type(x.val) is not np.ndarray
                    or x.val.shape != shape or x.val.dtype != dtype or x.J.dtype != dtype):
                return NotImplemented
        if all(x.src is src for x in items):
            Js = [x.J for x in items]
        else:
            Js, src = _align([(x.val, x.J, x.src) for x in items])
        live = [i for i, c in enumerate(coeffs) if c]     # zero terms are skipped, not 0 * x
        if not live:
            return MeasurementArray._dense(first.val * 0, Js[0] * 0, src)
        if len(live) == 1:
            i = live[0]
            c = coeffs[i]
            return MeasurementArray._dense(items[i].val * c, Js[i] * c, src)
        # one matrix product each for values and components, whatever the number of terms
        cv = np.array([coeffs[i] for i in live], dtype=dtype)
        v = cv @ np.array([items[i].val for i in live])
        J = Js[live[0]]
        Jout = (cv @ np.array([Js[i] for i in live]).reshape(len(live), -1)).reshape(J.shape)
        return MeasurementArray._dense(v, Jout, src)

    # -- conversions that would lose information ---------------------------------------
    def __float__(self):
        raise TypeError(LOSS.format(what="float"))

    def __int__(self):
        raise TypeError(LOSS.format(what="int"))

    def __complex__(self):
        raise TypeError(LOSS.format(what="complex"))

    def astype(self, dtype, copy=True):
        """Cast values and components to another floating dtype (float32 <-> float64)."""
        if dtype is object or not np.issubdtype(np.dtype(dtype), np.floating):
            raise TypeError(f"cannot cast a MeasurementArray to {dtype}: it would drop the "
                            "uncertainties; use nm.value(x) / nm.uncertainty(x)")
        cls = MeasurementArray._diag if self.diag else MeasurementArray._dense
        return cls(self.val.astype(dtype), self.J.astype(dtype), self.src)

    def copy(self):
        cls = MeasurementArray._diag if self.diag else MeasurementArray._dense
        return cls(self.val.copy(), self.J.copy(), self.src.copy())

    # -- comparisons ------------------------------------------------------------------------
    def __lt__(self, o):
        return self.val < _primal(o)

    def __le__(self, o):
        return self.val <= _primal(o)

    def __gt__(self, o):
        return self.val > _primal(o)

    def __ge__(self, o):
        return self.val >= _primal(o)

    def __eq__(self, o):
        return exact_equal(self, o)

    def __ne__(self, o):
        return ~exact_equal(self, o)

    # -- indexing -------------------------------------------------------------------------------
    def __getitem__(self, idx):
        if isinstance(idx, (MeasurementArray, Measurement)):
            raise TypeError("cannot index with measurements; use nm.value(...) for indices")
        if self.diag and not _device_index(idx):
            return _wrap_diag(self.val[idx], self.J[idx], self.src[idx])
        if self.diag:                    # a device index cannot pick the host source ids: dense form
            val, J, src = dense_parts(self)
            return _wrap_dense(val[idx], arrayrules.GETITEM.batched(J, self.ndim, index=idx), src)
        val = self.val
        if (type(idx) is int and val.ndim == 1 and type(val) is np.ndarray
                and val.dtype == np.float64 and self.J.dtype == np.float64
                and self.J.shape[-1] <= _DICT_FORM_MAX):
            # fast path: ``u[0]`` in a right-hand side written on scalars gives a
            # measurement in the dictionary form its arithmetic uses
            return _fresh(val.item(idx), dict(zip(self.src.tolist(), self.J[idx].tolist())))
        return _wrap_dense(self.val[idx], arrayrules.GETITEM.batched(self.J, self.ndim, index=idx),
                           self.src)                  # the table's entry (arrayrules.GETITEM)

    def __setitem__(self, idx, value):
        if is_foreign(self.val):
            raise TypeError("item assignment into a MeasurementArray on a device is not supported (the array "
                            "API has no scatter for the components): build it with np.concatenate / np.stack, "
                            "or use NumPy arrays")
        kind, v, Jv, sv = _classify(value)
        self._vj = None          # J may be replaced below: the joint array would be stale
        if not self.val.flags.writeable:
            self.val = self.val.copy()
        if self.diag and kind != _DENSE:
            J, src = self.J.copy(), self.src.copy()  # src and J are often shared
            self.val[idx] = v
            J[idx] = 0 if kind == _CONST else Jv
            src[idx] = -1 if kind == _CONST else sv
            self.J, self.src = J, src
            return
        if kind == _CONST and not self.diag:
            J = self.J.copy()  # J is often shared with the operands of an operation
            self.val[idx] = v
            J[(idx if isinstance(idx, tuple) else (idx,)) + (slice(None),)] = 0
            self.J = J
            return
        _, Js, Ss = dense_parts(self)
        mine = (self.val, Js, Ss)
        theirs = _dense_triple(kind, v, Jv, sv)
        (Ja, Jb), union = _align([mine, theirs])
        Ja = Ja.copy() if Ja is Js or Ja is self.J or not Ja.flags.writeable else Ja
        self.val[idx] = v
        Ja[(idx if isinstance(idx, tuple) else (idx,)) + (slice(None),)] = Jb
        self.J, self.src, self.diag = Ja, union, False

    # -- methods NumPy users expect -------------------------------------------------------------
    def sum(self, axis=None, keepdims=False):
        return _sum(self, axis=axis, keepdims=keepdims)

    def mean(self, axis=None, keepdims=False):
        return np.mean(self, axis=axis, keepdims=keepdims)

    def prod(self, axis=None, keepdims=False):
        return np.prod(self, axis=axis, keepdims=keepdims)

    def reshape(self, *shape):
        shape = shape[0] if len(shape) == 1 and isinstance(shape[0], (tuple, list)) else shape
        return np.reshape(self, shape)

    def ravel(self):
        return np.reshape(self, (-1,))

    flatten = ravel

    def transpose(self, *axes):
        axes = axes[0] if len(axes) == 1 and isinstance(axes[0], (tuple, list)) else axes
        return np.transpose(self, axes or None)

    def cumsum(self, axis=None):
        return np.cumsum(self, axis=axis)

    def dot(self, o):
        return np.dot(self, o)

    def __matmul__(self, o):
        return np.matmul(self, o)

    def __rmatmul__(self, o):
        return np.matmul(o, self)

    # -- NumPy protocols -------------------------------------------------------------------------
    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        if method != "__call__" or kwargs.get("out") is not None:
            return NotImplemented
        if any(getattr(a, "_nm_order", 0) > 0 for a in inputs):
            return NotImplemented  # an outer type (a dual array) handles it
        name = ufunc.__name__
        if name == "equal":
            return exact_equal(*inputs)
        if name == "not_equal":
            return ~exact_equal(*inputs)
        if name in _PRIMAL_UFUNCS:
            return ufunc(*[_primal(a) for a in inputs])
        if name in _ZERO_DERIVATIVE_UFUNCS:
            return _const(ufunc(*[_primal(a) for a in inputs]))
        if name == "square":
            return inputs[0] * inputs[0]
        if name == "reciprocal":
            return 1 / inputs[0]
        if name in ("positive", "conjugate"):
            return inputs[0]
        if name == "matmul":
            return _matmul(*inputs)
        rname = _UFUNC_NAMES.get(name, name)
        if rname not in RULES and rname not in ARITHMETIC:
            return NotImplemented
        return _dispatch(rname, inputs)

    def __array_function__(self, func, types, args, kwargs):
        impl = _HANDLED.get(func)
        if impl is not None:
            return impl(*args, **kwargs)
        return arrayrules.refuse(func, MeasurementArray, types)


_PRIMAL_UFUNCS = {
    "greater", "greater_equal", "less", "less_equal", "isfinite", "isnan", "isinf",
    "signbit", "logical_and", "logical_or", "logical_not",
}  # fmt: skip
_ZERO_DERIVATIVE_UFUNCS = {"floor", "ceil", "rint", "trunc"}


def _device_index(idx: Any) -> bool:
    """Whether the index *idx* holds an array of a non-NumPy namespace (a device index array)."""
    return any(is_foreign(i) for i in (idx if isinstance(idx, tuple) else (idx,)))


def _primal(o: Any) -> Any:
    return o.val if isinstance(o, (Measurement, MeasurementArray)) else o


def _abs_masked(J, src, val):
    xp = namespace(J)
    J = xp.broadcast_to(J, val.shape)
    if J.dtype == object:
        out = np.empty(val.shape, dtype=object)
        out.reshape(-1)[:] = [abs(c) for c in J.reshape(-1)]
        return out
    return xp.abs(J)


def _make_op(rname: str, reflected: bool):
    rule = ARITHMETIC.get(rname) or RULES[rname]
    f = rule.function
    d0, d1 = rule.partials
    c0, c1 = constant_partial(d0, 2), constant_partial(d1, 2)             # +-1 of + and -
    scales = rname == "mul" or (rname == "truediv" and not reflected)   # x * c, x / c
    shifts = rname in ("add", "sub")                                    # x + y, x - y

    def op(self, o):
        t = type(o)
        vj = self._vj
        if vj is not None:
            # values and components in one array (see MeasurementArray._vj): the operations
            # that are linear in both, h * k, k / 2, u + v on the same sources, are one product
            if scales and (t is float or t is int):
                return MeasurementArray._joint(f(o, vj) if reflected else f(vj, o), self.src)
            if shifts and t is MeasurementArray and o._vj is not None and o.src is self.src \
                    and o._vj.shape == vj.shape:
                return MeasurementArray._joint(f(o._vj, vj) if reflected else f(vj, o._vj),
                                               self.src)
        if self.diag and type(self.val) is np.ndarray and self.val.ndim:
            # one-source form (independent inputs, elementwise code): with a float, or with
            # an array on the same sources object
            v = self.val
            if t is float or t is int:
                if reflected:
                    ans = f(o, v)
                    g = c1 if c1 is not None else d1(ans, o, v)
                else:
                    ans = f(v, o)
                    g = c0 if c0 is not None else d0(ans, v, o)
                return _wrap_diag(ans, _times(g, self.J), self.src)
            if t is MeasurementArray and o.diag and o.src is self.src and o.val.shape == v.shape:
                x, y = (o, self) if reflected else (self, o)
                xv, yv = x.val, y.val
                ans = f(xv, yv)
                J = _times(c0 if c0 is not None else d0(ans, xv, yv), x.J) + \
                    _times(c1 if c1 is not None else d1(ans, xv, yv), y.J)
                if bool((self.src < 0).any()):
                    J = np.where(self.src < 0, 0, J)    # exact elements keep a zero component
                return _wrap_diag(ans, J, self.src)
        # fast paths of solver inner loops: dense array with a float, or two dense arrays
        # on the same sources; everything else goes through apply_rule
        if (t is float or t is int or (t is np.ndarray and o.dtype.kind == "f")) \
                and not self.diag:
            v = self.val
            if reflected:
                ans = f(o, v)
                g = d1(ans, o, v)
            else:
                ans = f(v, o)
                g = d0(ans, v, o)
            return MeasurementArray._dense(ans, _times(_col(g), self.J), self.src)
        if t is MeasurementArray and not (self.diag or o.diag) and (
                o.src is self.src or (o.src.size == self.src.size and o.src.size
                                      and bool((o.src == self.src).all()))):
            x, y = (o, self) if reflected else (self, o)
            xv, yv = x.val, y.val
            ans = f(xv, yv)
            J = _times(_col(d0(ans, xv, yv)), x.J) + _times(_col(d1(ans, xv, yv)), y.J)
            return _wrap_dense(ans, J, self.src)
        if t is np.ndarray and o.dtype == object and not _has_measurements(o):
            pass
        elif not (isinstance(o, (numbers.Number, np.generic, mpmath.mpf, Measurement,
                                 MeasurementArray, list, tuple)) or is_array(o)):
            return NotImplemented
        if getattr(o, "_nm_order", 0) > 0:
            return NotImplemented
        return apply_rule(rule, (o, self) if reflected else (self, o))

    return op


install_operators(MeasurementArray, lambda rule: lambda self: _dispatch(rule.name, (self,)),
                  lambda rule, reflected: _make_op(rule.name, reflected))


# ----------------------------------------------------------------------------------------------
# Construction


def _const(val: Any) -> Any:
    """An exact (no-source) measurement array or scalar with values *val*."""
    if np.ndim(val) == 0:
        return Measurement._new(_scalar(val), {})
    val = val if is_array(val) else np.asarray(val)
    return MeasurementArray._dense(val, _zeros(tuple(val.shape) + (0,), val), _EMPTY)


_EMPTY = np.zeros(0, dtype=np.int64)


def measurements(values: Any, errors: Any = None) -> MeasurementArray:
    """Independent measurements as one vectorised :class:`MeasurementArray`.

    Parameters
    ----------
    values : array_like
        Nominal values (float, float32 or an object array of ``mpf``). With
        *errors* omitted, a sequence that may hold :class:`Measurement` s and
        numbers, packed (with its correlations) into one array.
    errors : array_like or float
        Standard uncertainties, broadcast to the shape of *values*; every
        element gets a new independent source.

    Examples
    --------
    >>> import numpy as np, numeric as nm
    >>> x = nm.measurements([1.0, 2.0], [0.1, 0.2])
    >>> nm.value(x), nm.uncertainty(x)
    (array([1., 2.]), array([0.1, 0.2]))
    >>> y = nm.measurements([x[0] + x[1], x[0] - x[1]])    # packed, correlated
    >>> np.round(nm.cov(y), 4)
    array([[ 0.05, -0.03],
           [-0.03,  0.05]])
    """
    if errors is None:
        return pack(values)
    val = values if is_array(values) else np.asarray(values)
    kind = dtype_kind(val.dtype)
    if kind == "O":
        if any(isinstance(e, (Measurement, MeasurementArray)) for e in val.flat):
            raise TypeError("nm.measurements(values, errors): values already carry "
                            "uncertainties; give plain numbers")
    elif kind in "iub":
        val = astype(val, float_dtype(val))
    elif kind not in "f":
        raise TypeError(f"nm.measurements needs real values, got dtype {val.dtype}")
    xp = namespace(val)
    if kind == "O":
        err = np.empty(val.shape, dtype=object)
        err[...] = np.broadcast_to(np.asarray(errors, dtype=object), val.shape)
        err = np.frompyfunc(lambda e, v: v * 0 + e, 2, 1)(err, val)
        bad = [e for e in err.flat if not (e >= 0) or e == mpmath.inf]
    elif type(errors) is float and xp is np:
        bad = [] if 0.0 <= errors < math.inf else [errors]      # one check for a common error
        err = np.full(val.shape, errors, dtype=val.dtype)
    else:
        err = copy(xp.broadcast_to(xp.asarray(errors, dtype=val.dtype, device=device_of(val)), val.shape))
        bad = [] if bool(xp.all((err >= 0) & xp.isfinite(err))) else [err]
    if bad:
        raise ValueError("nm.measurements: errors must be finite and >= 0")
    src = new_sources(val.size).reshape(val.shape)  # source ids: host bookkeeping, NumPy on every backend
    out = MeasurementArray._diag(val, err, src)
    if val.size:
        record_array(int(src.reshape(-1)[0]), val.size, out)
    return out


_SOURCE_ARRAYS: dict = {}


def source_array(keys: tuple) -> np.ndarray:
    """The sorted source ids *keys* as a read-only int64 array, one object per key tuple.

    Arrays packed from scalars on the same sources (every stage of an ODE solve)
    then share one ``src`` object, and the operations between them see at once
    (by identity) that no alignment is needed.
    """
    src = _SOURCE_ARRAYS.get(keys)
    if src is None:
        if len(_SOURCE_ARRAYS) >= 256:
            _SOURCE_ARRAYS.clear()
        src = np.array(keys, dtype=np.int64)
        src.flags.writeable = False
        _SOURCE_ARRAYS[keys] = src
    return src


def _pack_flat(items: Any) -> Any:
    """The 1-d float64 array of a flat sequence of scalar measurements and floats, or None.

    The fast path of ``np.stack([x, y])`` and of object arrays returned by a
    right-hand side written on scalars: one pass over the components'
    dictionaries, no object arrays.
    """
    vals, dicts = [], []
    for e in items:
        t = type(e)
        if t is Measurement:
            v = e.val
            if type(v) is not float:
                return None
            d = e._d
            if d is None:
                if e._ca.dtype != np.float64:
                    return None
                d = e._comps()
            vals.append(v)
            dicts.append(d)
        elif t is float:
            vals.append(e)
            dicts.append(_NO_COMPONENTS)
        elif t is int:
            vals.append(float(e))
            dicts.append(_NO_COMPONENTS)
        else:
            return None
    if not dicts:
        return None
    first = dicts[0].keys()
    union = None
    for d in dicts:
        if d.keys() != first:
            union = set(first)
            for d2 in dicts:
                union.update(d2)
            break
    keys = tuple(sorted(first if union is None else union))
    if union is None and len(keys) > 1:
        get = itemgetter(*keys)
        rows = [(v,) + get(d) for v, d in zip(vals, dicts)]
    else:
        rows = [[v] + [d.get(k, 0.0) for k in keys] for v, d in zip(vals, dicts)]
    vj = np.array(rows, dtype=np.float64).reshape(len(dicts), 1 + len(keys))
    return MeasurementArray._joint(vj, source_array(keys))


_NO_COMPONENTS: dict = {}


def pack(items: Any) -> MeasurementArray:
    """One dense array from a (nested) sequence of measurements and numbers."""
    if (type(items) is list or type(items) is tuple or (
            type(items) is np.ndarray and items.ndim == 1 and items.dtype == object)):
        out = _pack_flat(items)
        if out is not None:
            return out
    obj = np.empty(np.shape(np.asarray(items, dtype=object)), dtype=object)
    obj[...] = np.asarray(items, dtype=object) if not isinstance(items, np.ndarray) else items
    flat = obj.reshape(-1)
    if any(getattr(e, "_nm_order", 0) > 0 for e in flat):
        raise TypeError("cannot pack duals into a MeasurementArray (measurements are the inner "
                        "level): keep them as an object array")
    if any(isinstance(e, MeasurementArray) for e in flat):
        raise TypeError("nm.measurements: nested MeasurementArrays; use np.stack or "
                        "np.concatenate to join arrays")
    keys = sorted({k for e in flat if isinstance(e, Measurement) for k in e._comps()})
    pos = {k: i for i, k in enumerate(keys)}
    vals = [e.val if isinstance(e, Measurement) else e for e in flat]
    mp = any(isinstance(v, mpmath.mpf) for v in vals)
    dtype = object if mp else np.result_type(*[np.asarray(v).dtype for v in vals] or [float])
    if not mp and dtype.kind in "iub":
        dtype = np.dtype(float)
    val = np.asarray(vals, dtype=dtype) if not mp else _object_array(vals)
    J = _zeros((len(flat), len(keys)), val if val.size else np.zeros(0))
    for i, e in enumerate(flat):
        if isinstance(e, Measurement):
            for k, c in e._comps().items():
                J[i, pos[k]] = c
    src = np.asarray(keys, dtype=np.int64)
    return MeasurementArray._dense(val.reshape(obj.shape), J.reshape(obj.shape + (len(keys),)),
                                   src)


def _object_array(items):
    out = np.empty(len(items), dtype=object)
    out[:] = items
    return out


def as_measurement_array(x: Any) -> MeasurementArray:
    """*x* (a measurement, a number, an array or sequence of them) as a MeasurementArray."""
    if isinstance(x, MeasurementArray):
        return x
    kind, v, J, s = _classify(x)
    if kind == _CONST:
        v = v if is_array(v) else np.asarray(v)
        return MeasurementArray._dense(v, _zeros(tuple(v.shape) + (0,), v), _EMPTY)
    if kind == _DIAG:
        return MeasurementArray._diag(np.asarray(v), np.asarray(J), np.asarray(s))
    return MeasurementArray._dense(np.asarray(v), J, s)


# ----------------------------------------------------------------------------------------------
# The dense form and alignment of sources


def _object_with_measurements(a: Any) -> bool:
    """A list, tuple or object array holding measurements (an operand to pack)."""
    if isinstance(a, np.ndarray):
        return a.dtype == object and _has_measurements(a)
    try:
        return _has_measurements(np.asarray(a, dtype=object))
    except ValueError:              # ragged: not one operand
        return False


def _has_measurements(o: np.ndarray) -> bool:
    return any(isinstance(e, (Measurement, MeasurementArray)) for e in o.flat)


def _classify(a: Any) -> tuple:
    """(kind, value, J, src) of an argument of an operation."""
    t = type(a)
    if t is MeasurementArray:
        if a.diag:
            return _DIAG, a.val, a.J, a.src
        if a.J.shape[-1] == 0:
            return _CONST, a.val, None, None
        return _DENSE, a.val, a.J, a.src
    if t is Measurement:
        if a._d is not None and len(a._d) <= 1:
            if not a._d:
                return _CONST, a.val, None, None
            if a._sa is None or a._sa.ndim:
                (k, c), = a._d.items()
                a._sa, a._ca = np.asarray(k, dtype=np.int64), np.asarray(c)
            return _DIAG, a.val, a._ca, a._sa
        src, comps = a._arrays()
        return _DENSE, a.val, comps, src
    if t is float or t is int or isinstance(a, (numbers.Number, np.generic)):
        return _CONST, a, None, None
    if isinstance(a, (list, tuple)):
        arr = np.asarray(a, dtype=object)
        if _has_measurements(arr):
            return _classify(pack(arr))
        return _CONST, np.asarray(a), None, None
    if isinstance(a, np.ndarray) and a.dtype == object and _has_measurements(a):
        return _classify(pack(a))
    return _CONST, a, None, None


def _classify_all(args: Any) -> list:
    """:func:`_classify` of each argument; where one lives on a device (CuPy, array API), the
    host components of the others (a scalar measurement's) are moved there, once."""
    parts = [_classify(a) for a in args]
    ref = next((p[1] for p in parts if is_foreign(p[1])), None)
    if ref is None:
        return parts
    xp, where = namespace(ref), device_of(ref)
    return [(k, v, xp.asarray(J, device=where) if isinstance(J, np.ndarray) and J.dtype != object else J, s)
            for k, v, J, s in parts]


def _diag_to_dense(val, J, src):
    """The dense Jacobian (shape S + (K,)) and the sorted ids of the one-source form.

    The source ids are host bookkeeping (NumPy int64 on every backend); the components
    stay in *J*'s namespace. NumPy scatters them into zeros; another namespace (the array
    API has no scatter) selects them with a comparison against the column numbers, the
    only host-to-device transfer being the column of each element.
    """
    shape = tuple(np.shape(val))
    srcf = np.broadcast_to(np.asarray(src), shape).reshape(-1)
    mask = srcf >= 0
    ids, cols = np.unique(srcf[mask], return_inverse=True)
    xp = namespace(J)
    if xp is np or not is_array(J):
        Jf = np.broadcast_to(J, shape).reshape(-1)
        Jd = _zeros((srcf.size, ids.size), Jf if Jf.size else np.zeros(0))
        Jd[np.flatnonzero(mask), cols.reshape(-1)] = Jf[mask]
        return Jd.reshape(shape + (ids.size,)), ids
    col = np.full(srcf.size, -1, dtype=np.int64)     # -1: an exact element, no component
    col[mask] = cols.reshape(-1)
    where = device_of(J)
    hit = xp.asarray(col, device=where)[:, None] == xp.arange(ids.size, dtype=xp.int64, device=where)
    Jf = xp.reshape(xp.broadcast_to(J, shape), (-1, 1))
    Jd = xp.where(hit, Jf, xp.zeros((), dtype=J.dtype, device=where))
    return xp.reshape(Jd, shape + (ids.size,)), ids


def dense_parts(x: MeasurementArray) -> tuple:
    """(val, J, src) of *x* in the dense form."""
    if not x.diag:
        return x.val, x.J, x.src
    J, src = _diag_to_dense(x.val, x.J, x.src)
    return x.val, J, src


def _dense_triple(kind, v, J, s):
    if kind == _DENSE:
        return v, J, s
    if kind == _DIAG:
        Jd, ids = _diag_to_dense(v, J, s)
        return v, Jd, ids
    v = np.asarray(v) if not is_array(v) else v
    return v, _zeros(tuple(np.shape(v)) + (0,), v if v.size else np.zeros(0)), _EMPTY


def _align(triples: list) -> tuple[list, np.ndarray]:
    """The Jacobians of *triples* (val, J, src) on the union of their sources."""
    srcs = [t[2] for t in triples]
    first = srcs[0]
    if all(s is first or (s.size == first.size and bool((s == first).all())) for s in srcs[1:]):
        return [t[1] for t in triples], first
    union = reduce(np.union1d, srcs)
    out = []
    for val, J, s in triples:
        if s.size == union.size:
            out.append(J)
            continue
        out.append(_widen(J, np.searchsorted(union, s), union.size))
    return out, union


def _widen(J: Any, cols: np.ndarray, K: int) -> Any:
    """*J*'s last axis placed at the columns *cols* (host indices) of *K*, zeros elsewhere.

    NumPy scatters; another namespace (the array API has no scatter) gathers from *J* with a
    zero column appended (``xp.take``: exact, no arithmetic on the components), the gather
    indices being the only host-to-device transfer.
    """
    xp = namespace(J)
    if xp is np or not is_array(J):
        Jn = _zeros(tuple(J.shape[:-1]) + (K,), J if J.size else np.zeros(0))
        Jn[..., cols] = J
        return Jn
    where = device_of(J)
    pick = np.full(K, J.shape[-1], dtype=np.int64)        # J.shape[-1]: the appended zero column
    pick[cols] = np.arange(cols.size)
    zero = xp.zeros(tuple(J.shape[:-1]) + (1,), dtype=J.dtype, device=where)
    return xp.take(xp.concat([J, zero], axis=-1), xp.asarray(pick, device=where), axis=J.ndim - 1)


def _merge_diag_sources(srcs: list) -> Any:
    """The common one-source pattern of several diag arguments, or None if there is none."""
    s = srcs[0]
    for t in srcs[1:]:
        if t is s:
            continue
        a, b = np.broadcast_arrays(s, t)
        if not bool(((a == b) | (a < 0) | (b < 0)).all()):
            return None
        s = np.maximum(a, b)
    return s


def _col(g: Any) -> Any:
    return g[..., None] if getattr(g, "ndim", 0) else g


def _wrap_diag(val, J, src):
    shape = tuple(np.shape(val))
    if not shape and not is_foreign(val):       # a device scalar stays a 0-d array there
        s = int(src)
        return Measurement._new(_scalar(val), {s: _scalar(J)} if s >= 0 else {})
    xp = namespace(val)
    if tuple(np.shape(J)) != shape:
        J = xp.broadcast_to(J, shape)
    if tuple(np.shape(src)) != shape:
        src = np.broadcast_to(src, shape)
    return MeasurementArray._diag(val, J, src)


def _wrap_dense(val, J, src):
    shape = val.shape if type(val) is np.ndarray else tuple(np.shape(val))
    if J.shape != shape + (src.size,):
        J = namespace(J).broadcast_to(J, shape + (src.size,))
    if not shape and not is_foreign(val):       # a device scalar stays a 0-d array there
        return Measurement._from_arrays(_scalar(val), src, J)
    return MeasurementArray._dense(val, J, src)


def _partial(rule, i):
    p = rule.partials[i]
    if p is None:
        raise TypeError(f"nm.{rule.name}: argument {i} cannot carry an uncertainty "
                        "(it must be an exact number)")
    return p


def _times(g: Any, J: Any) -> Any:
    """g * J, skipping the product for the unit partials of + and -."""
    if type(g) is int:
        if g == 1:
            return J
        if g == -1:
            return -J
    if type(g) is np.ndarray and g.dtype.kind == "f" and not np.isfinite(g).all():
        # a singular local derivative times an exactly zero component contributes 0
        # (sqrt(x - x) is 0 ± 0), as for scalars
        with np.errstate(invalid="ignore"):
            return np.where(J == 0, 0.0, g * J)
    if is_foreign(g) and is_foreign(J):
        # the same convention on a device, decided there (no host test of isfinite: no transfer)
        xp = namespace(J)
        return xp.where(J == 0, xp.zeros((), dtype=J.dtype, device=device_of(J)), g * J)
    return g * J


def _zero_where_exact(src: np.ndarray, J: Any) -> Any:
    """*J* with 0 where the (host) source id is -1, an exact element; on *J*'s device."""
    if not is_foreign(J):
        return np.where(src < 0, 0, J)
    xp, where = namespace(J), device_of(J)
    return xp.where(xp.asarray(src < 0, device=where), xp.zeros((), dtype=J.dtype, device=where), J)


def apply_rule(rule, args: tuple) -> Any:
    """Elementwise chain rule for arguments that include measurement arrays."""
    if len(args) == 1 and type(args[0]) is MeasurementArray and type(args[0].val) is np.ndarray \
            and args[0].val.ndim and (args[0].diag or args[0].J.shape[-1]):
        x = args[0]          # f(array): the common unary case, no classification needed
        ans = rule.function(x.val)
        g = _partial(rule, 0)(ans, x.val)
        if x.diag:
            return _wrap_diag(ans, _times(g, x.J), x.src)
        return _wrap_dense(ans, _times(_col(g), x.J), x.src)
    parts = _classify_all(args)
    vals = [p[1] for p in parts]
    ans = rule.function(*vals)
    live = [i for i, p in enumerate(parts) if p[0] != _CONST]
    if not live:
        return _const(ans)
    if all(parts[i][0] == _DIAG for i in live):
        src = _merge_diag_sources([parts[i][3] for i in live])
        if src is not None:
            J = None
            for i in live:
                t = _times(_partial(rule, i)(ans, *vals), parts[i][2])
                J = t if J is None else J + t
            if len(live) > 1 and np.ndim(src) and bool((src < 0).any()):
                J = _zero_where_exact(src, J)    # exact elements keep a zero component
            return _wrap_diag(ans, J, src)
    if len(live) == 1 and parts[live[0]][0] == _DENSE:
        i = live[0]
        _, _, Ji, union = parts[i]
        J = _times(_col(_partial(rule, i)(ans, *vals)), Ji)
        return _wrap_dense(ans, J, union)
    triples = [_dense_triple(*parts[i]) for i in live]
    Js, union = _align(triples)
    J = None
    for i, Ji in zip(live, Js):
        t = _times(_col(_partial(rule, i)(ans, *vals)), Ji)
        J = t if J is None else J + t
    return _wrap_dense(ans, J, union)


def exact_equal(a: Any, b: Any) -> Any:
    """Elementwise ``a - b == 0 ± 0`` exactly (the documented ``==``)."""
    d = apply_rule(ARITHMETIC["sub"], (a, b))
    if isinstance(d, Measurement):
        return d == 0
    zero_val = d.val == 0
    if d.diag:
        return zero_val & ((d.J == 0) | (d.src < 0))
    return zero_val & (d.J == 0).all(axis=-1)


# ----------------------------------------------------------------------------------------------
# __array_function__: structural functions act on val, J and src alike in the one-source form;
# the table's entries (linear, nonlinear, multilinear, reductions) act on the components per
# source; no other number type is involved.


def implements(*funcs):
    def deco(f):
        for func in funcs:
            _HANDLED[func] = f
        return f

    return deco


# Functions with a cusp where their value is 0: a norm, a standard deviation (the 2-norm of
# the deviations). The forward rule gives the AD types' subgradient 0 there; a measurement
# has no first-order propagation to give (the spread of ||x|| at x = 0 ± s is of order s, not
# 0), so its components there are nan, never a silent 0 ± 0. Inputs whose components are all
# exactly zero keep 0 ± 0 (as sqrt(x - x)). docs/decisions.md, "Degenerate points".
_CUSP_AT_ZERO = (np.linalg.norm, np.std)


class _Parts:
    """A measurement operand as (values, components on the call's union of sources)."""

    __slots__ = ("value", "partials")

    def __init__(self, value, partials):
        self.value, self.partials = value, partials


def _nonlinear_impl(rule):
    """A nonlinear entry of the table: its linearisation applied to the components per source
    (the trailing axis), as the linear entries apply their map; no other number type involved."""
    def parts(o, tag):
        return (o.value, o.partials) if type(o) is _Parts else (o, None)

    def tagof(*xs):
        return 0 if any(type(x) is _Parts for x in xs) else -1

    def impl(*args, **kwargs):
        union, holders = _holders(args, kwargs)
        a2 = tuple(holders.get(id(a), a) for a in args)
        k2 = {k: holders.get(id(v), v) for k, v in kwargs.items()}
        if union is None:
            r = rule.func(*a2, **k2)
            return _const(r) if isinstance(r, (np.ndarray, numbers.Number, np.generic)) and \
                np.asarray(r).dtype.kind in "fO" else r
        cusp = rule.func in _CUSP_AT_ZERO and any(
            type(h) is _Parts and bool(namespace(h.partials).any(h.partials != 0)) for h in holders.values())

        def wrap(v, p, tag):
            if cusp and is_foreign(v):        # decided on the device (no host copy of v)
                xp = namespace(v)
                return _wrap_dense(v, xp.where((v == 0)[..., None], xp.asarray(math.nan, dtype=p.dtype,
                                                                              device=device_of(p)), p), union)
            if cusp and np.any(np.asarray(v) == 0):
                p = np.where((np.asarray(v) == 0)[..., None], np.nan, p)
            return _wrap_dense(v, p, union)
        return arrayrules_nonlinear.dual_nonlinear_impl(rule, wrap, parts, tagof)(*a2, **k2)
    return impl


def _holders(args, kwargs):
    """(union of sources or None, {id(argument): _Parts or its constant value})."""
    found = [a for a in tuple(args) + tuple(kwargs.values())
             if isinstance(a, (Measurement, MeasurementArray)) or (
                 isinstance(a, (list, tuple, np.ndarray)) and _object_with_measurements(a))]
    union, comps = _components(tuple(found))
    if union is None:
        return None, {id(a): vp[0] for a, vp in zip(found, comps)}
    return union, {id(a): (_Parts(v, J) if J is not None else v) for a, (v, J) in zip(found, comps)}


def _full(a, shape):
    """*a* broadcast to *shape* (no call when it already has it)."""
    return a if tuple(a.shape) == tuple(shape) else namespace(a).broadcast_to(a, shape)


def _structural(func):
    """A function that moves elements around: apply it to val, J and src alike."""

    def impl(x, *args, **kwargs):
        if not isinstance(x, MeasurementArray):
            x = as_measurement_array(x)
        if not x.diag:
            return _wrap_dense(func(x.val, *args, **kwargs), func(x.J, *args, **kwargs), x.src)
        val = func(x.val, *args, **kwargs)
        J = func(_full(x.J, x.val.shape), *args, **kwargs)
        src = func(_full(x.src, x.val.shape), *args, **kwargs)
        return _wrap_diag(val, J, src)

    return impl


_HANDLED[np.copy] = _structural(np.copy)


def _linear_table_impl(rule):
    """An entry of the shared linear table: the map applied to the values and to every
    column of the components (sources axis). A selection (``rule.moves``) keeps the
    one-source form by moving values, components and source ids alike."""
    def impl(*args, **kwargs):
        x, kw = arrayrules.bind(rule, args, kwargs)
        if not isinstance(x, (Measurement, MeasurementArray)):
            return rule.apply(x, **kw)
        if rule.moves and type(x) is MeasurementArray and x.diag:
            shape = x.val.shape
            return _wrap_diag(rule.apply(x.val, **kw), rule.apply(_full(x.J, shape), **kw),
                              rule.apply(_full(x.src, shape), **kw))
        val, J, src = dense_parts(as_measurement_array(x))
        return _wrap_dense(rule.apply(val, **kw), arrayrules.apply_to_columns(rule, J, kw), src)
    return impl


def _join(rule):
    """A join of the table (concatenate, stack): values and components alike."""
    func = rule.func

    def impl(*args, **kwargs):
        arrays, kw = rule.bind(args, kwargs)
        if func is np.stack and kw.get("axis", 0) in (0, -1) and all(
                type(a) is Measurement or isinstance(a, (float, int)) for a in arrays):
            return pack(arrays)            # np.stack([x, y]) of scalars: the common case
        parts = _classify_all(arrays)
        vals = [p[1] if is_array(p[1]) else np.asarray(p[1]) for p in parts]
        if all(p[0] != _DENSE for p in parts) and any(p[0] == _DIAG for p in parts):
            Js = [_full(p[2], v.shape) if p[0] == _DIAG else _zeros(v.shape, v)
                  for p, v in zip(parts, vals)]
            ss = [np.broadcast_to(p[3], v.shape) if p[0] == _DIAG else      # source ids: host
                  np.full(v.shape, -1, dtype=np.int64) for p, v in zip(parts, vals)]
            return _wrap_diag(rule.apply(vals, **kw), rule.apply(Js, **kw), func(ss, **kw))
        live = [i for i, p in enumerate(parts) if p[0] != _CONST]
        if not live:
            return _const(rule.apply(vals, **kw))
        Js, union = _align([_dense_triple(*parts[i]) for i in live])
        full = [_zeros(v.shape + (union.size,), v) for v in vals]
        for i, J in zip(live, Js):
            full[i] = J
        return _wrap_dense(rule.apply(vals, **kw), rule.batched(full, vals[0].ndim, **kw), union)

    return impl


for _f, _rule in arrayrules.JOIN.items():
    _HANDLED[_f] = _join(_rule)


def _axes(axis, ndim):
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, (tuple, list)):
        return tuple(a % ndim for a in axis)
    return (axis % ndim,)


@implements(np.sum)
def _sum(x, axis=None, keepdims=False, **kw):
    arrayrules.LINEAR[np.sum].check(kw)      # the table's entry: out=, where=, initial= refused
    if not isinstance(x, MeasurementArray):
        return _SUM_TABLE(x, axis=axis, keepdims=keepdims)
    axes = _axes(axis, x.ndim)
    rule = arrayrules.LINEAR[np.sum]        # its fast and batched forms: the input's namespace
    val = rule.apply(x.val, axis=axes, keepdims=keepdims)
    if not x.diag:
        return _wrap_dense(val, rule.batched(x.J, x.ndim, axis=axes, keepdims=keepdims), x.src)
    if dtype_kind(x.J.dtype) != "f" or namespace(x.val) is not np:
        _, J, src = dense_parts(x)
        return _wrap_dense(val, rule.batched(J, x.ndim, axis=axes, keepdims=keepdims), src)
    # one-source form: add the components of each output element by source (bincount)
    shape = x.shape
    if len(axes) == x.ndim and x.src.shape == shape and x.J.shape == shape:
        srcf = x.src.reshape(-1)
        if srcf.size > 1 and srcf[0] >= 0 and bool((srcf[1:] > srcf[:-1]).all()):
            # the usual case: distinct sorted sources, so the components are J itself
            return _wrap_dense(val, x.J.reshape(tuple(np.shape(val)) + (-1,)).copy(), srcf)
    out_shape = tuple(1 if i in axes else n for i, n in enumerate(shape))
    nout = math.prod(out_shape)
    srcf = _full(x.src, shape).reshape(-1)
    Jf = _full(x.J, shape).reshape(-1)
    outf = _full(np.arange(nout).reshape(out_shape), shape).reshape(-1)
    if srcf.size > 1 and bool((srcf[1:] > srcf[:-1]).all()) and srcf[0] >= 0:
        # sorted distinct sources, the usual case: each component lands in its own cell
        K = srcf.size
        Jout = np.zeros(nout * K, dtype=x.J.dtype)
        Jout[outf * K + np.arange(K)] = Jf
        return _wrap_dense(val, Jout.reshape(tuple(np.shape(val)) + (K,)), srcf)
    else:
        keep = srcf >= 0
        srcf, Jf, outf = srcf[keep], Jf[keep], outf[keep]
        ids, inv = np.unique(srcf, return_inverse=True)
    K = ids.size
    Jout = np.bincount(outf * K + inv.reshape(-1), weights=Jf, minlength=nout * K)
    Jout = Jout.astype(x.J.dtype, copy=False).reshape(tuple(np.shape(val)) + (K,))
    return _wrap_dense(val, Jout, ids)


def _components(ops: tuple) -> tuple:
    """``(union of sources or None, [(value, components or None) per operand])``.

    The components of every measurement operand on the union of their sources (the
    trailing axis): what a table entry's JVP takes as batched tangents.
    """
    kinds = _classify_all(ops)
    live = [i for i, k in enumerate(kinds) if k[0] != _CONST]
    vals = [k[1] for k in kinds]
    if not live:
        return None, [(v, None) for v in vals]
    Js, union = _align([_dense_triple(*kinds[i]) for i in live])
    comps = dict(zip(live, Js))
    return union, [((np.asarray(v) if i in comps and not is_array(v) else v), comps.get(i))
                   for i, v in enumerate(vals)]


def _multilinear_impl(rule):
    """A multilinear entry (where, einsum): its JVP on the components per source."""
    def impl(*args, **kwargs):
        ops, kw = rule.split(args, kwargs)
        lin = arrayrules_multilinear.linear_operands(rule, ops)
        union, parts = _components(tuple(ops[i] for i in lin))
        full = [(o, None) for o in ops]
        for i, vp in zip(lin, parts):
            full[i] = vp
        vals = tuple(v for v, _ in full)
        val = rule.apply(*vals, **kw)
        if union is None:
            return _const(val)
        return _wrap_dense(val, rule.jvp(vals, [J for _, J in full], **kw), union)
    return impl


_SUM_TABLE = _linear_table_impl(arrayrules.LINEAR[np.sum])
_matmul = _multilinear_impl(arrayrules_multilinear.MULTILINEAR[np.matmul])
_where_table = _multilinear_impl(arrayrules_multilinear.MULTILINEAR[np.where])


@implements(np.where)
def _where(*args, **kwargs):
    """The table's entry; two one-source operands keep the one-source form (a selection)."""
    if len(args) == 3 and not kwargs:
        cond, x, y = args
        px, py = _classify(x), _classify(y)
        kinds = {px[0], py[0]}
        if _DIAG in kinds and _DENSE not in kinds and not is_foreign(_primal(cond)):
            cond = np.asarray(_primal(cond))
            val = np.where(cond, px[1], py[1])
            Jx = px[2] if px[0] == _DIAG else 0.0
            Jy = py[2] if py[0] == _DIAG else 0.0
            sx = px[3] if px[0] == _DIAG else -1
            sy = py[3] if py[0] == _DIAG else -1
            return _wrap_diag(val, np.where(cond, Jx, Jy), np.where(cond, sx, sy))
    return _where_table(*args, **kwargs)


@implements(np.shape)
def _shape(x):
    return np.shape(_primal(x))


@implements(np.ndim)
def _ndim(x):
    return np.ndim(_primal(x))


@implements(np.size)
def _size(x, axis=None):
    v = _primal(x)
    return np.size(v) if axis is None else np.shape(v)[axis]


@implements(np.zeros_like)
def _zeros_like(x, dtype=None, **kw):
    return xpcompat.on_any(np.zeros_like)(_primal(x), dtype=dtype)


@implements(np.ones_like)
def _ones_like(x, dtype=None, **kw):
    return xpcompat.on_any(np.ones_like)(_primal(x), dtype=dtype)


@implements(np.isfinite)
def _isfinite(x):
    return np.isfinite(_primal(x))


@implements(np.allclose, np.isclose, np.array_equal)
def _allclose(a, b, *args, **kw):
    raise TypeError("comparing MeasurementArrays numerically would ignore the uncertainties; "
                    "compare nm.value(a) and nm.value(b) (and nm.uncertainty) on purpose")


def register_array_function(func, impl) -> None:
    """Public hook: *impl* handles NumPy function *func* for MeasurementArray.

    The shared array table's entries (linear, nonlinear, multilinear, reductions) are
    handled without registration, on the components per source.
    """
    _HANDLED[func] = impl


for _f, _rule in arrayrules_nonlinear.NONLINEAR.items():   # the nonlinear table, on the components
    _HANDLED[_f] = _nonlinear_impl(_rule)
for _f, _rule in arrayrules.LINEAR.items():   # the linear table (np.sum keeps its fast path)
    _HANDLED.setdefault(_f, _linear_table_impl(_rule))
for _table in (arrayrules_multilinear.MULTILINEAR, arrayrules_reductions.REDUCTIONS):
    for _f, _rule in _table.items():         # where keeps its own, above
        _HANDLED.setdefault(_f, _multilinear_impl(_rule))
for _f, _rule in arrayrules_nonlinear.BILINEAR.items():   # compositions of matmul, *, reshape
    _HANDLED.setdefault(_f, _rule.linearize)
for _f, _impl in arrayrules.COMPOSED.items():
    _HANDLED.setdefault(_f, _impl)
for _f in arrayrules_nonlinear.INDEX:          # integer results: the values' indices
    _HANDLED.setdefault(_f, arrayrules_nonlinear.index_impl(_f))


def supported_functions() -> frozenset:
    """The NumPy functions MeasurementArray's ``__array_function__`` handles."""
    return frozenset(_HANDLED)
