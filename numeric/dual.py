"""Forward-mode dual numbers: ``Dual(value, partials, tag)``.

A dual carries a primal value and a vector of partial derivatives with
respect to the seeds of one differentiation call. Every operation comes from
:mod:`numeric.rules`: for f(x1, ..., xn) the result is

    Dual(f(v1, ..., vn), sum_i df/dxi(v) * partials_i, tag).

Tags and nesting
----------------
Each differentiation call creates a new tag, ordered by creation
(:func:`numeric.protocol.new_order`). When duals of different tags meet, the
newer tag is the outer one and the older dual is a constant inside it, so
the value (and partials) of an outer dual may themselves be duals of older
tags. That is how ``derivative(lambda x: x * derivative(lambda y: x + y, 1.0), 1.0)``
gives 1 (no perturbation confusion) and how duals of duals give second
derivatives.

Storage: with one partial, ``partials`` is stored as a scalar; with several,
as a 1-D NumPy array (object dtype when the partials are mpf or duals). The
accessor :attr:`Dual.partials` always returns a 1-D array.

Equality and hashing (documented policy)
----------------------------------------
``==``, ``<`` and friends compare primal values only, exactly like the
branches of a program run on floats (ForwardDiff does the same). Because two
duals that compare equal may carry different partials, a ``Dual`` is not
hashable: use ``nm.value(d)`` as a dictionary key on purpose.

Examples
--------
>>> import numeric as nm
>>> x = nm.Dual(0.5, 1.0)
>>> y = nm.exp(x) * nm.sin(x)
>>> round(float(y.partials[0]), 12)      # e^x (sin x + cos x) at 0.5
2.237328119798
"""

from __future__ import annotations

import numbers
import operator
from typing import Any

import mpmath
import numpy as np

from numeric import functions as F
from numeric.backend import is_array
from numeric.protocol import UFUNC_RULE_NAMES, dispatch, new_order, ufunc_rule_name
from numeric.rules import (ARITHMETIC, CUSTOM, RULES, constant_partial, install_operators,
                           lift_constants, lookup, nan_safe_scale)

__all__ = ["Dual"]

_object_new = object.__new__

_SCALARS = (int, float, complex, bool, np.generic, mpmath.mpf, mpmath.mpc)

_LOSS = (
    "{what}() of a {kind} would drop its derivative. Use nm.value(x) to take the primal "
    "value on purpose, or keep the computation in metanum functions (nm.exp, ...)"
)


def _dualarray():
    from numeric.dualarray import DualArray

    return DualArray


def _lifted_order(x: Any) -> int:
    return getattr(x, "_nm_order", -1)


class Dual:
    """A forward-mode dual number.

    Parameters
    ----------
    value : number
        The primal value (a float, float32, mpf, complex, or an older dual).
    partials : number or sequence, default 1.0
        The partial derivatives; a scalar means one partial.
    tag : int, optional
        The perturbation this dual belongs to; a fresh one if omitted.

    Examples
    --------
    >>> import numeric as nm
    >>> x = nm.Dual(2.0, [1.0, 0.0]); y = nm.Dual(3.0, [0.0, 1.0], tag=x.tag)
    >>> (x * y).partials
    array([3., 2.])
    """

    __slots__ = ("value", "_p", "_nm_order")

    def __init__(self, value: Any, partials: Any = 1.0, tag: int | None = None):
        if isinstance(value, Dual) and tag is not None and value._nm_order >= tag:
            raise ValueError("the value of a dual must have an older tag than the dual itself")
        if isinstance(partials, (list, tuple)) or is_array(partials):
            arr = np.asarray(partials) if not is_array(partials) else partials
            partials = arr.reshape(-1)
            if partials.shape[0] == 1:
                partials = partials[0]
        self.value = value
        self._p = partials
        self._nm_order = new_order() if tag is None else tag

    @classmethod
    def _new(cls, value, partials, tag):
        d = object.__new__(cls)
        d.value = value
        d._p = partials
        d._nm_order = tag
        return d

    @classmethod
    def from_parts(cls, value: Any, partials: Any, tag: int) -> "Dual":
        """The dual with these parts, unchecked (for other number types and AD drivers).

        *partials* is stored as given: a scalar for one partial (what
        :attr:`raw_partials` returns), a 1-D array (or array number) for several.
        """
        return cls._new(value, partials, tag)

    @property
    def raw_partials(self) -> Any:
        """The partials as stored: a scalar (possibly a number of an older tag) for one
        partial, an array for several; :attr:`partials` always gives a 1-D array."""
        return self._p

    # -- accessors -----------------------------------------------------------
    @property
    def tag(self) -> int:
        """The perturbation tag (an integer; greater means newer/outer)."""
        return self._nm_order

    @property
    def partials(self) -> np.ndarray:
        """The partial derivatives as a 1-D array."""
        p = self._p
        if is_array(p) or isinstance(p, _dualarray()):
            return p
        out = np.empty(1, dtype=object if not isinstance(p, (float, int, np.generic)) else
                       np.asarray(p).dtype)
        out[0] = p
        return out

    @property
    def npartials(self) -> int:
        """Number of partial derivatives carried."""
        p = self._p
        return p.shape[-1] if hasattr(p, "shape") and p.shape else 1

    # -- protocol hooks --------------------------------------------------------
    def _nm_primal(self):
        return self.value

    def _nm_zero(self):
        return Dual._new(self.value * 0, self._p * 0, self._nm_order)

    def _nm_scalar_zero(self):
        return self._nm_zero()

    def _nm_one(self):
        return Dual._new(self.value * 0 + 1, self._p * 0, self._nm_order)

    def _nm_norm(self):
        from numeric.protocol import norm

        total = norm(self.value) ** 2
        p = self._p
        if hasattr(p, "shape") and p.shape:
            for e in p.flat if is_array(p) else p:
                total = total + norm(e) ** 2
        else:
            total = total + norm(p) ** 2
        return total**0.5 if not isinstance(total, mpmath.mpf) else mpmath.sqrt(total)

    def _nm_apply(self, name: str, args: tuple) -> Any:
        if len(args) == 1 and name in _UNARY:
            return _UNARY[name](self)
        rule = lookup(name)
        return _apply_rule(rule, args)

    # -- conversions that would lose information ---------------------------------
    def __float__(self):
        raise TypeError(_LOSS.format(what="float", kind="Dual"))

    def __int__(self):
        raise TypeError(_LOSS.format(what="int", kind="Dual"))

    def __complex__(self):
        raise TypeError(_LOSS.format(what="complex", kind="Dual"))

    def __index__(self):
        raise TypeError(_LOSS.format(what="index", kind="Dual"))

    def __bool__(self):
        return bool(self.value)

    def __hash__(self):
        # documented policy: duals compare by primal value, so they are unhashable
        raise TypeError("a Dual is unhashable (== compares primal values only); "
                        "use nm.value(x) as the key on purpose")

    def __repr__(self):
        p = self.partials
        ps = ", ".join(repr(e) for e in (p.tolist() if hasattr(p, "tolist") else list(p)))
        return f"Dual({self.value!r}, [{ps}], tag={self._nm_order})"

    __str__ = __repr__

    # -- comparisons on the primal value ---------------------------------------
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

    # -- NumPy interoperability -------------------------------------------------
    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        if kwargs.get("out") is not None:
            return NotImplemented
        if method == "reduce":  # np.sum / np.prod / np.max of a scalar: the scalar itself
            if len(inputs) == 1 and ufunc.__name__ in _SCALAR_REDUCE \
                    and kwargs.get("axis", None) in (None, 0, ()):
                return inputs[0]
            return NotImplemented
        if method != "__call__":
            return NotImplemented
        name = ufunc_rule_name(ufunc.__name__)
        if not (name in RULES or name in ARITHMETIC or name in CUSTOM) \
                and not any(isinstance(a, np.ndarray) and a.dtype == object for a in inputs):
            return _via_dualarray(ufunc, inputs, kwargs)
        if any(isinstance(a, np.ndarray) and a.dtype == object for a in inputs):
            f = F.FUNCTIONS.get(name) or getattr(operator, name, None)
            if f is None:  # e.g. a np.frompyfunc ufunc: box the dual so it runs elementwise
                inputs = tuple(_boxed(a) if isinstance(a, Dual) else a for a in inputs)
                return ufunc(*inputs)
            return np.frompyfunc(f, len(inputs), 1)(*inputs)
        if any(is_array(a) for a in inputs):
            DA = _dualarray()
            inputs = tuple(DA._from_scalar(a) if isinstance(a, Dual) else a for a in inputs)
            return getattr(np, ufunc.__name__)(*inputs)
        return dispatch(name, inputs)


_SCALAR_REDUCE = frozenset({"add", "multiply", "maximum", "minimum", "logical_and",
                            "logical_or"})


def _over_plain(d: "Dual") -> bool:
    """Whether *d*'s layers below are Duals over a plain number (not another type's, e.g. a
    value on a reverse tape, which a 0-d DualArray cannot hold)."""
    while isinstance(d, Dual):
        d = d.value
    return not hasattr(type(d), "_nm_order")


def _array_function(self, func, types, args, kwargs):
    """NumPy's shape functions of a scalar Dual give a DualArray (the linear table's rule).

    ``np.broadcast_to(d, shape)``, ``np.reshape(d, (1, 1))``, ``np.atleast_1d(d)``, ``np.tile``
    ... of a scalar Dual are the entry of :data:`numeric.arrayrules.LINEAR` applied to a 0-d
    DualArray, not an object array of Duals; so is ``np.angle`` (NumPy's own reads ``.imag`` of an
    object array, an int). Every other NumPy function keeps NumPy's own
    implementation, as before (object arithmetic; ``np.sum`` of a scalar is the scalar).
    """
    if any(not issubclass(t, (Dual, np.ndarray)) for t in types):
        return NotImplemented  # an array number type among the arguments (a DualArray) handles it
    if func in (np.real, np.imag) and type(args[0]) is Dual and not _over_plain(args[0]):
        d = args[0]        # layer by layer (NumPy's own reads d.real: a recursion here)
        return _mk(func(d.value), func(d._p), d._nm_order)
    from numeric.arrayrules import LINEAR
    if (func not in LINEAR and func is not np.angle) or func is np.sum or not all(
            _over_plain(a) for a in tuple(args) + tuple(kwargs.values()) if isinstance(a, Dual)):
        return func._implementation(*args, **kwargs)
    from numeric.dualarray import HANDLED
    DA = _dualarray()

    def lift(a):
        return DA._from_scalar(a) if isinstance(a, Dual) else a
    return HANDLED[func](*[lift(a) for a in args], **{k: lift(v) for k, v in kwargs.items()})


Dual.__array_function__ = _array_function


def _via_dualarray(ufunc, inputs, kwargs):
    """A ufunc without a scalar rule (isnan, floor, square, ...): DualArray's, on 0-d.

    The scalar Dual supports the same ufuncs as DualArray from the same code; the
    0-d result comes back as a Dual (or a plain bool/float where it has no partials).
    """
    DA = _dualarray()
    args = tuple(DA._from_scalar(a) if isinstance(a, Dual) else a for a in inputs)
    out = ufunc(*args, **kwargs)
    if type(out) is not Dual:
        if getattr(out, "ndim", None) != 0:
            return out
        out = out[()]
    if type(out) is Dual:
        scalar_p = all(not is_array(a._p) for a in inputs if isinstance(a, Dual))
        p = out._p
        if scalar_p and type(p) is np.ndarray and p.shape == (1,) and p.dtype == np.float64:
            out._p = float(p[0])
        return _from64(out)
    return bool(out) if isinstance(out, np.bool_) else _from64(out)


def _primal(o):
    return o.value if isinstance(o, Dual) else o


def _boxed(d):
    out = np.empty((), dtype=object)
    out[()] = d
    return out


_UFUNC_NAMES = UFUNC_RULE_NAMES  # old private names, kept for code not yet moved to protocol
_dispatch = dispatch


def _apply_rule(rule, args: tuple) -> Any:
    """Apply *rule* to *args*, of which the outermost is a ``Dual``: the chain rule."""
    tag = max(_lifted_order(a) for a in args)
    for a in args:
        if is_array(a) or getattr(a, "ndim", 0) > 0:  # arrays of any kind: DualArray result
            DA = _dualarray()
            return DA._apply_rule(rule, tuple(DA._from_scalar(b) if isinstance(b, Dual) else b
                                              for b in args))
    vals = tuple(a.value if (type(a) is Dual and a._nm_order == tag) else a for a in args)
    vals = lift_constants(vals)
    try:
        return _chain(rule, args, vals, tag)
    except (ZeroDivisionError, OverflowError):  # singular point: IEEE inf/nan, as NumPy
        return _ieee(lambda *v: _chain(rule, args, v, tag), *vals)


def _chain(rule, args, vals, tag):
    ans = rule.function(*vals)
    p = None
    for i, a in enumerate(args):
        if type(a) is Dual and a._nm_order == tag:
            term = nan_safe_scale(rule.partials[i](ans, *vals), a._p)
            p = term if p is None else p + term
    return Dual._new(ans, p, tag)


def _ieee(fn, *args):
    """``fn(*args)`` in NumPy float semantics: 1/0 -> inf, 0/0 -> nan, no exception.

    Python floats raise ZeroDivisionError where NumPy arrays give IEEE values; a Dual
    follows the arrays (docs/decisions.md, "Singular points"), so a Dual computation
    ends where the float one does, with inf/nan in the same places.
    """
    with np.errstate(all="ignore"):
        out = fn(*(_to64(a) for a in args))
    return _from64(out)


def _to64(a):
    if type(a) is float or type(a) is int:
        return np.float64(a)
    if type(a) is Dual and (type(a.value) is float or type(a.value) is int):
        return _mk(np.float64(a.value), a._p, a._nm_order)
    return a


def _from64(a):
    if isinstance(a, np.floating) and type(a) is np.float64:
        return float(a)
    if type(a) is Dual:
        if type(a.value) is np.float64:
            a.value = float(a.value)
        if type(a._p) is np.float64:
            a._p = float(a._p)
    return a


def _mk(value, partials, tag):
    d = _object_new(Dual)
    d.value = value
    d._p = partials
    d._nm_order = tag
    return d


def _make_unary(rule):
    f = rule.function
    d = rule.partials[0]
    # Fast path for a Python-float value: call the math function directly.
    real_f = F.real_implementation(rule.name) or f

    c = constant_partial(d, 1)

    def method(self):
        v = self.value
        if type(v) is float:
            try:
                ans = real_f(v)
            except (ValueError, OverflowError, ZeroDivisionError):
                ans = f(v)
        else:
            ans = f(v)
        r = _object_new(Dual)
        r.value = ans
        try:
            r._p = nan_safe_scale(d(ans, v), self._p) if c is None else (self._p if c == 1 else -self._p)
        except (ZeroDivisionError, OverflowError):  # singular point: IEEE inf/nan, as NumPy
            r._p = _ieee(lambda a, x, p: nan_safe_scale(d(a, x), p), ans, v, self._p)
        r._nm_order = self._nm_order
        return r

    method.__name__ = rule.name
    method.__doc__ = f"{rule.name} of the dual (NumPy object arrays call this)."
    return method


def _supported(o) -> bool:
    return isinstance(o, _SCALARS) or hasattr(type(o), "_nm_apply")


def _make_binary(rule, reflected: bool):
    f = rule.function
    d0, d1 = rule.partials
    c0, c1 = constant_partial(d0, 2), constant_partial(d1, 2)

    def op(self, o):
        try:
            return _op(self, o)
        except (ZeroDivisionError, OverflowError):  # singular point: IEEE inf/nan, as NumPy
            return _ieee(_op, self, o)

    def _op(self, o):
        to = type(o)
        if to is Dual:
            if o._nm_order == self._nm_order:
                x, y = (o, self) if reflected else (self, o)
                xv, yv = x.value, y.value
                ans = f(xv, yv)
                r = _object_new(Dual)
                r.value = ans
                if c0 is None:
                    r._p = (nan_safe_scale(d0(ans, xv, yv), x._p)
                            + nan_safe_scale(d1(ans, xv, yv), y._p))
                else:  # add, sub: partials +-1, no multiplication
                    r._p = x._p + y._p if c1 == 1 else x._p - y._p
                r._nm_order = self._nm_order
                return r
        elif to is float or to is int or (isinstance(o, numbers.Number) and not is_array(o)):
            v = self.value
            if type(v) is not float and (to is float or to is int):
                v, o = lift_constants((v, o))
            if reflected:
                ans = f(o, v)
                p = (nan_safe_scale(d1(ans, o, v), self._p) if c1 is None
                     else (self._p if c1 == 1 else -self._p))
            else:
                ans = f(v, o)
                p = (nan_safe_scale(d0(ans, v, o), self._p) if c0 is None
                     else (self._p if c0 == 1 else -self._p))
            r = _object_new(Dual)
            r.value = ans
            r._p = p
            r._nm_order = self._nm_order
            return r
        if isinstance(o, np.ndarray) and o.dtype == object:
            return NotImplemented if not reflected else np.frompyfunc(f, 2, 1)(o, self)
        if not (_supported(o) or is_array(o) or isinstance(o, (list, tuple))):
            return NotImplemented
        if isinstance(o, (list, tuple)):
            o = np.asarray(o)
        args = (o, self) if reflected else (self, o)
        return dispatch(rule.name, args)

    return op


_UNARY: dict = {}


install_operators(Dual, _make_unary, _make_binary)
_UNARY.update({name: getattr(Dual, name) for name, rule in RULES.items() if rule.nargs == 1})
