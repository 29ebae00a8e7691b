"""The scalar ``Measurement``: a value with linear, correlated uncertainty.

A measurement is a first-order (linear) function of independent standard
normal sources z_i (see :mod:`numeric.measurement.sources`):

    x = val + sum_i c_i z_i,            err(x) = sqrt(sum_i c_i**2).

Its components c_i are kept in a dictionary ``{source id: c_i}``. Every
operation f(x1, ..., xn) comes from the one rules table
(:mod:`numeric.rules`, arithmetic included) by the chain rule:

    val = f(v1, ..., vn),   c_i = sum_j df/dxj(v) * c_i(xj),

so functional correlation is exact: ``x - x`` is ``0 ± 0``, ``(x + y) - y``
has the uncertainty of ``x``, and ``x * x`` differs from ``x * y`` for an
independent ``y`` of the same value and error. This is the data model of
the ``uncertainties`` package and of Measurements.jl (linear propagation,
Hughes & Hase, *Measurements and their Uncertainties*, OUP 2010, ch. 4).

Comparison policy
-----------------
``<``, ``<=``, ``>``, ``>=`` compare nominal values, so a branch in a
program takes the path it takes on floats. ``a == b`` is exact identity of
the random variables: it holds when ``a - b`` is ``0 ± 0`` exactly (equal
values and equal components on every source), so ``x == x`` and
``x - x == 0`` are true while two independent measurements ``1.0 ± 0.1`` are
not equal. ``bool(m)`` follows the value. Hashing agrees with ``==``.

Nesting with duals
------------------
All measurement sources form *one* perturbation level, the innermost one:
``Measurement._nm_order`` is 0, below every dual tag (tags start at 1). When
a dual meets a measurement the dual handles the operation and the
measurement is a constant inside it, so ``nm.derivative`` of a function of
measurements returns a measurement (the derivative with its uncertainty).
The other nesting, a measurement whose value or error is a dual, is the same
mathematical object (first order in the dual perturbation and in every
source); ``Measurement(dual_value, err)`` therefore returns it in the one
canonical form, a dual whose value and partials are measurements, built as
``dual_value + err * z`` with a fresh unit source z. ``nm.uncertainty`` of
such a dual is a dual: the derivative of the uncertainty.

Examples
--------
>>> import numeric as nm
>>> x = nm.Measurement(1.0, 0.1); y = nm.Measurement(2.0, 0.2)
>>> print(x - x, (x + y) - y, x * y)
0.0 ± 0.0 1.00 ± 0.10 2.00 ± 0.28
"""

from __future__ import annotations

import dataclasses
import math
import numbers
from typing import Any

import mpmath
import numpy as np

from numeric import functions as F
from numeric.backend import is_array
from numeric.protocol import UFUNC_RULE_NAMES as _UFUNC_NAMES
from numeric.protocol import dispatch as _dispatch
from numeric.measurement.sources import new_source
from numeric.measurement.owners import record_scalar
from numeric.measurement.aliases import UncertaintiesNames
from numeric.rules import (ARITHMETIC, RULES, SINGULAR, constant_partial, ieee_call, indicator,
                           install_operators, lookup)

__all__ = ["Measurement"]

_PLAIN = (int, float, np.integer, np.floating, mpmath.mpf)


def _abs_partial(ans: Any, x: Any) -> Any:
    """d|x|/dx for a measurement: copysign(1, x), so +1 at x = 0 (and -1 at -0.0).

    A measurement 0 ± s is a distribution, not a point: |0 ± s| keeps the spread
    s to first order, as in the ``uncertainties`` package and Measurements.jl.
    The AD types keep the table's sign(x) (0 at 0), see docs/decisions.md.
    """
    return 2 * indicator(np.signbit(x) == False, x) - 1  # noqa: E712 (works on arrays)


# Measurement's deliberate departures from the rules table (see docs/decisions.md).
OVERRIDES = {"abs": dataclasses.replace(RULES["abs"], partials=(_abs_partial,))}


def measurement_rule(name: str):
    """The rule a measurement uses for *name*: the table's (user rules of
    ``nm.custom_rule`` included, via ``rules.lookup``), except :data:`OVERRIDES`."""
    return OVERRIDES.get(name) or lookup(name)

LOSS = (
    "{what}() of a Measurement would drop its uncertainty. Use nm.value(x) for the nominal "
    "value and nm.uncertainty(x) for the standard deviation on purpose"
)


def _array_module():
    """numeric.measurement.array (imported late: it imports this module)."""
    mod = _ARRAY_MODULE[0]
    if mod is None:
        from numeric.measurement import array as mod

        _ARRAY_MODULE[0] = mod
    return mod


_ARRAY_MODULE: list = [None]


def _layered(x: Any) -> bool:
    """A metanum number of an outer level (a dual, ...), not a measurement."""
    return getattr(x, "_nm_order", 0) > 0 and hasattr(type(x), "_nm_apply")


def _as_component(err: Any, val: Any) -> Any:
    """*err* in the real type of *val* (float, float32, mpf)."""
    if isinstance(val, mpmath.mpf):
        return mpmath.mpf(err)
    if isinstance(val, np.floating):
        return val.dtype.type(err)
    return float(err)


def _check_error(err: Any) -> None:
    from numeric.protocol import value

    e = value(err)
    if isinstance(e, (complex, mpmath.mpc)) or is_array(e) or isinstance(e, (list, tuple)):
        raise TypeError("the error of a Measurement must be a real number; for arrays use "
                        "nm.measurements(values, errors)")
    if not (e >= 0) or e == math.inf:
        raise ValueError(f"the error of a Measurement must be finite and >= 0, got {e!r}")


def root_sum_squares(values: Any, like: Any) -> Any:
    """sqrt(sum c**2) of the components, in the real type of *like*."""
    vals = list(values)
    if not vals:
        return like * 0
    if type(like) is float:
        return math.hypot(*vals)
    total = vals[0] * vals[0]
    for c in vals[1:]:
        total = total + c * c
    return F.sqrt(total)


def _scaled(g: Any, d: dict) -> dict:
    """The components g * d; g may be the constant 1 or -1 of + and - (no products then)."""
    if type(g) is int:
        if g == 1:
            return d.copy()
        if g == -1:
            return {k: -c for k, c in d.items()}
    return {k: g * c for k, c in d.items()}


def _combine(a: Any, da: dict, b: Any, db: dict) -> dict:
    """The components a * da + b * db of a binary operation.

    The larger dictionary is scaled first and the smaller one merged into it,
    so the result keeps the larger one's (usually sorted) key order and the
    merge loop is short: a parameter with one source meeting a state element
    with a few is one pass over the state element's components.
    """
    if len(da) < len(db):
        a, da, b, db = b, db, a, da
    elif da.keys() == db.keys() and type(a) is not int and type(b) is not int:
        return {k: a * c + b * db[k] for k, c in da.items()}    # same sources: one pass
    out = _scaled(a, da)
    if type(b) is int and (b == 1 or b == -1):
        if b == 1:
            for k, c in db.items():
                out[k] = out[k] + c if k in out else c
        else:
            for k, c in db.items():
                out[k] = out[k] - c if k in out else -c
        return out
    for k, c in db.items():
        out[k] = out[k] + b * c if k in out else b * c
    return out


class Measurement(UncertaintiesNames):
    """A number with a standard uncertainty and exact linear correlations.

    Parameters
    ----------
    val : float, float32, mpf or str
        The nominal value, or a string such as ``"9.79 ± 0.02"``,
        ``"9.79 +/- 0.02"`` or ``"9.79(2)"`` (then *err* is omitted).
    err : float, default 0
        The standard uncertainty (>= 0). A non-zero error creates a new
        independent source. If *val* is already a measurement, *err* is an
        extra independent uncertainty added in quadrature (a systematic error).

    Attributes
    ----------
    val : the nominal value.
    err : the standard deviation, sqrt of the sum of the squared components.

    Examples
    --------
    >>> import numeric as nm
    >>> T = nm.Measurement(5730, 40)            # half-life of carbon-14, years
    >>> print(nm.exp(-5207.54 * nm.log(2) / T))  # Measurements.jl docs: 0.5326 ± 0.0023
    0.5326 ± 0.0023
    >>> float(T)
    Traceback (most recent call last):
    ...
    TypeError: float() of a Measurement would drop its uncertainty. Use nm.value(x) for the nominal value and nm.uncertainty(x) for the standard deviation on purpose
    """

    __slots__ = ("val", "_d", "_sa", "_ca", "__weakref__")
    _nm_order = 0
    __array_priority__ = 100

    def __new__(cls, val: Any, err: Any = None):
        if isinstance(val, str):
            if err is not None:
                raise TypeError("Measurement(text) takes no separate error: write "
                                "Measurement('9.79 ± 0.02') or Measurement(9.79, 0.02)")
            from numeric.measurement.formatting import parse_measurement

            return parse_measurement(val)
        if err is None:
            err = 0.0
        if _layered(val) or _layered(err):
            _check_error(err)
            return val + err * _unit_source(val)
        if isinstance(val, Measurement):
            _check_error(err)
            return val + err * _unit_source(val.val) if err != 0 else val
        if is_array(val) or isinstance(val, (list, tuple)):
            raise TypeError("Measurement takes a scalar value; for arrays use "
                            "nm.measurements(values, errors)")
        if isinstance(val, (complex, mpmath.mpc, np.complexfloating)):
            raise TypeError("complex measurements are not supported: give the real and "
                            "imaginary parts as two measurements")
        if not isinstance(val, _PLAIN):
            raise TypeError(f"Measurement value must be a real number, got {type(val).__name__}")
        _check_error(err)
        if isinstance(val, (bool, int, np.integer)):
            val = float(val)
        c = _as_component(err, val)
        if c == 0:
            return cls._new(val, {})
        m = cls._new(val, {(source := new_source()): c})
        record_scalar(source, m)
        return m

    def __init__(self, val: Any, err: Any = None) -> None:
        """Everything was built by ``__new__`` (a measurement is immutable); this states the signature."""

    @classmethod
    def _new(cls, val: Any, d: dict) -> "Measurement":
        m = object.__new__(cls)
        m.val = val
        m._d = d
        m._sa = None
        m._ca = None
        return m

    @classmethod
    def _from_arrays(cls, val: Any, src: np.ndarray, comps: np.ndarray) -> "Measurement":
        """A measurement whose components are kept as (sorted source ids, components)."""
        m = object.__new__(cls)
        m.val = val
        m._d = None
        m._sa = src
        m._ca = comps
        return m

    # -- pickling and copying ------------------------------------------------------
    def __reduce__(self):
        # the source ids travel with the value, so x and an unpickled copy of x stay
        # fully correlated (x - loads(dumps(x)) is 0 ± 0); ids are unique across
        # processes (see numeric.measurement.sources), so no false correlation arises
        return (_restore, (self.val, self._comps()))

    def __copy__(self):
        return self                      # immutable

    def __deepcopy__(self, memo):
        return self

    # -- components ------------------------------------------------------------
    def _comps(self) -> dict:
        d = self._d
        if d is None:
            ca = self._ca
            vals = ca.tolist() if ca.dtype in (np.float64, object) else list(ca)
            d = self._d = dict(zip(self._sa.tolist(), vals))
        return d

    def _arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """(sorted source ids, components) as arrays (cached: a measurement is immutable)."""
        if self._sa is not None and self._sa.ndim == 1:
            return self._sa, self._ca
        d = self._d
        keys = sorted(d)
        comps = [d[k] for k in keys]
        dtype = object if isinstance(self.val, mpmath.mpf) else np.result_type(
            *(comps or [self.val]))
        self._sa, self._ca = np.asarray(keys, dtype=np.int64), np.asarray(comps, dtype=dtype)
        return self._sa, self._ca

    @property
    def err(self) -> Any:
        """The standard deviation sqrt(sum of squared components)."""
        if self._d is None:
            ca = self._ca
            if ca.dtype.kind == "f":
                return ca.dtype.type(np.sqrt(ca @ ca)) if ca.dtype != np.float64 else \
                    float(np.sqrt(ca @ ca))
            return root_sum_squares(ca.tolist(), self.val)
        return root_sum_squares(self._d.values(), self.val)

    @property
    def source(self) -> int:
        """The source id of an independent measurement (one with exactly one source)."""
        d = self._comps()
        nz = [k for k, c in d.items() if c != 0]
        if len(nz) != 1:
            raise ValueError(f"this measurement depends on {len(nz)} sources, not exactly one: "
                             "only an independent input has a source of its own")
        return nz[0]

    def derivative(self, x: "Measurement") -> Any:
        """d self / d x for an independent input measurement *x*.

        Examples
        --------
        >>> import numeric as nm
        >>> a = nm.Measurement(2.0, 0.1); b = nm.Measurement(3.0, 0.2)
        >>> round((a * b).derivative(a), 12)
        3.0
        """
        s = x.source
        cx = x._comps()[s]
        return self._comps().get(s, cx * 0) / cx

    # -- protocol hooks ----------------------------------------------------------
    def _nm_primal(self):
        return self.val

    def _nm_zero(self):
        return Measurement._new(self.val * 0, {})

    _nm_scalar_zero = _nm_zero

    def _nm_one(self):
        return Measurement._new(self.val * 0 + 1, {})

    def _nm_norm(self):
        """sqrt(value**2 + err**2): step control covers the uncertainty (as a dual's partials)."""
        from numeric.protocol import norm

        e = self.err
        v = norm(self.val)
        if e == 0:
            return v
        return math.hypot(v, e) if type(v) is float and type(e) is float else (v * v + e * e) ** 0.5

    def _nm_apply(self, name: str, args: tuple) -> Any:
        r = measurement_rule(name)
        if any(_needs_array(a) for a in args):
            return _array_module().apply_rule(r, args)
        return apply_scalar_rule(r, args)

    # -- conversions that would lose information ------------------------------------
    def __float__(self):
        raise TypeError(LOSS.format(what="float"))

    def __int__(self):
        raise TypeError(LOSS.format(what="int"))

    def __complex__(self):
        raise TypeError(LOSS.format(what="complex"))

    def __index__(self):
        raise TypeError(LOSS.format(what="index"))

    def __bool__(self):
        return bool(self.val)

    # -- presentation ------------------------------------------------------------------
    def __format__(self, spec: str) -> str:
        from numeric.measurement.formatting import format_spec

        return format_spec(self.val, self.err, spec)

    def __str__(self):
        return self.__format__("")

    __repr__ = __str__

    def _repr_latex_(self):
        return "$" + self.__format__("L") + "$"

    def _repr_html_(self):
        return self.__format__("")

    # -- comparisons -------------------------------------------------------------------
    def __lt__(self, o):
        return self.val < _primal(o)

    def __le__(self, o):
        return self.val <= _primal(o)

    def __gt__(self, o):
        return self.val > _primal(o)

    def __ge__(self, o):
        return self.val >= _primal(o)

    def __eq__(self, o):
        if isinstance(o, Measurement):
            if not (self.val == o.val):
                return False
            a, b = self._comps(), o._comps()
            return all(a.get(k, 0) == b.get(k, 0) for k in set(a) | set(b))
        if isinstance(o, _PLAIN):
            return self.val == o and all(c == 0 for c in self._comps().values())
        if _needs_array(o):
            return _array_module().exact_equal(self, o)
        return NotImplemented

    def __ne__(self, o):
        r = self.__eq__(o)
        return r if r is NotImplemented else ~r if hasattr(r, "shape") else not r

    def __hash__(self):
        nz = frozenset((k, c) for k, c in self._comps().items() if c != 0)
        return hash(self.val) if not nz else hash((self.val, nz))

    # -- NumPy interoperability ------------------------------------------------------------
    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        if method != "__call__" or kwargs.get("out") is not None:
            return NotImplemented
        if any(isinstance(a, np.ndarray) and a.dtype == object for a in inputs):
            name = _UFUNC_NAMES.get(ufunc.__name__, ufunc.__name__)
            f = F.FUNCTIONS.get(name) or _OPERATORS.get(name)
            if f is None:
                return NotImplemented
            return np.frompyfunc(f, len(inputs), 1)(*[_boxed(a) for a in inputs])
        if any(_needs_array(a) for a in inputs):
            arr = _array_module()
            return arr.MeasurementArray.__array_ufunc__(
                arr.as_measurement_array(self), ufunc, method, *inputs, **kwargs)
        name = ufunc.__name__
        if name in _COMPARISONS:
            return _COMPARISONS[name](*inputs)
        rname = _UFUNC_NAMES.get(name, name)
        if rname not in RULES and rname not in ARITHMETIC:
            return NotImplemented
        return _dispatch(rname, inputs)


def _restore(val: Any, d: dict) -> Measurement:
    """Unpickle a measurement (its original source ids and components)."""
    return Measurement._new(val, dict(d))


def _array_function(self, func, types, args, kwargs):
    """NumPy functions of scalar measurements (``np.stack([x, y])``) give arrays."""
    arr = _array_module()
    impl = arr._HANDLED.get(func)
    if impl is not None:
        return impl(*args, **kwargs)
    return NotImplemented


Measurement.__array_function__ = _array_function


def _boxed(a: Any) -> Any:
    """*a* as an object array (a 0-d one for a scalar), so NumPy does not call back."""
    if isinstance(a, np.ndarray):
        return a
    box = np.empty((), dtype=object)
    box[()] = a
    return box


def _primal(o: Any) -> Any:
    return o.val if isinstance(o, Measurement) or type(o).__name__ == "MeasurementArray" else o


def _needs_array(a: Any) -> bool:
    return is_array(a) or isinstance(a, (list, tuple)) or type(a).__name__ == "MeasurementArray"


def _unit_source(like: Any) -> Measurement:
    """A fresh independent source 0 ± 1 in the real type underneath *like*."""
    from numeric.protocol import innermost

    v = innermost(like)
    zero = v * 0 if isinstance(v, (mpmath.mpf, np.floating)) else 0.0
    return Measurement._new(zero, {new_source(): zero + 1})


def apply_scalar_rule(rule, args: tuple) -> Measurement:
    """The chain rule for scalar arguments (measurements and plain numbers)."""
    vals = tuple(a.val if type(a) is Measurement else a for a in args)
    ans = rule.function(*vals)
    d: dict = {}
    for i, a in enumerate(args):
        if type(a) is Measurement:
            da = a._comps()
            if not da:
                continue
            partial = rule.partials[i]
            if partial is None:
                raise TypeError(f"nm.{rule.name}: argument {i} cannot carry an uncertainty "
                                "(it must be an exact number)")
            g = _local_derivative(partial, ans, vals, da)
            d = _combine(0, {}, g, da) if not d else _combine(1, d, g, da)
    return Measurement._new(ans, d)


def _local_derivative(partial, ans: Any, vals: tuple, comps: dict) -> Any:
    """partial(ans, *vals); 0 where it is singular but the linear part is exactly zero.

    ``sqrt(x - x)`` is ``0 ± 0``: a zero linear part times an infinite local
    derivative contributes nothing (the linear map is the zero map). A singular
    derivative meeting a non-zero component still raises or gives inf as before.
    """
    try:
        g = partial(ans, *vals)
    except SINGULAR:
        if all(c == 0 for c in comps.values()):
            return 0.0
        return _ieee_partial(partial, ans, vals)
    if type(g) is float and g - g != 0 and all(c == 0 for c in comps.values()):
        return 0.0
    return g


def _ieee_partial(partial, ans: Any, vals: tuple) -> Any:
    """The local derivative in NumPy float semantics (1/0 -> inf), as Dual and the arrays.

    A Python float raises ZeroDivisionError at a singular point where a float array gives
    inf; every type follows the arrays (docs/decisions.md, "Singular points"), so
    ``sqrt(x)`` at a nominal 0 with a non-zero uncertainty is ``0 ± inf`` for a scalar as
    for a MeasurementArray. Other real types (mpf) keep their own exception.
    """
    return ieee_call(partial, (ans,) + tuple(vals))


def _fresh(val: Any, d: dict) -> Measurement:
    """``Measurement._new`` without the classmethod call (the hot path of scalar code)."""
    m = _alloc(Measurement)
    m.val = val
    m._d = d
    m._sa = None
    m._ca = None
    return m


_alloc = object.__new__


def _make_unary(rule):
    f = rule.function
    d = rule.partials[0]
    const = constant_partial(d, 1)     # -1 for neg: no products

    def method(self):
        v = self.val
        ans = f(v)
        comps = self._d
        if comps is None:
            comps = self._comps()
        if not comps:
            return _fresh(ans, {})
        if const is not None:
            return _fresh(ans, _scaled(const, comps))
        return _fresh(ans, _scaled(_local_derivative(d, ans, (v,), comps), comps))

    method.__name__ = rule.name
    method.__doc__ = f"{rule.name} of the measurement (NumPy object arrays call this)."
    return method


def _make_binary(rule, reflected: bool):
    f = rule.function
    d0, d1 = rule.partials
    c0, c1 = constant_partial(d0, 2), constant_partial(d1, 2)   # +-1 for add and sub
    name = rule.name

    def op(self, o):
        to = type(o)
        if to is Measurement:
            x, y = (o, self) if reflected else (self, o)
            xv, yv = x.val, y.val
            try:
                ans = f(xv, yv)
            except SINGULAR:   # 1 / (0 ± s): inf, as a Dual
                ans = ieee_call(f, (xv, yv))
            dx, dy = x._d, y._d
            if dx is None:
                dx = x._comps()
            if dy is None:
                dy = y._comps()
            if not dy:
                if not dx:
                    return _fresh(ans, {})
                return _fresh(ans, _scaled(c0 if c0 is not None else
                                           _local_derivative(d0, ans, (xv, yv), dx), dx))
            if not dx:
                return _fresh(ans, _scaled(c1 if c1 is not None else
                                           _local_derivative(d1, ans, (xv, yv), dy), dy))
            return _fresh(ans, _combine(
                c0 if c0 is not None else _local_derivative(d0, ans, (xv, yv), dx), dx,
                c1 if c1 is not None else _local_derivative(d1, ans, (xv, yv), dy), dy))
        if to is float or to is int or isinstance(o, _PLAIN):
            v = self.val
            comps = self._d
            if comps is None:
                comps = self._comps()
            if reflected:
                try:
                    ans = f(o, v)
                except SINGULAR:
                    ans = ieee_call(f, (o, v))
                if not comps:
                    return _fresh(ans, {})
                g = c1 if c1 is not None else _local_derivative(d1, ans, (o, v), comps)
            else:
                try:
                    ans = f(v, o)
                except SINGULAR:
                    ans = ieee_call(f, (v, o))
                if not comps:
                    return _fresh(ans, {})
                g = c0 if c0 is not None else _local_derivative(d0, ans, (v, o), comps)
            return _fresh(ans, _scaled(g, comps))
        if isinstance(o, np.ndarray) and o.dtype == object:
            args = (o, _boxed(self)) if reflected else (_boxed(self), o)
            return np.frompyfunc(f, 2, 1)(*args)
        if _needs_array(o):
            args = (o, self) if reflected else (self, o)
            return _array_module().apply_rule(rule, args)
        if isinstance(o, (complex, mpmath.mpc)):
            raise TypeError("complex numbers do not mix with measurements: complex "
                            "measurements are not supported")
        return NotImplemented  # a dual or another outer type handles it by reflection

    op.__name__ = name
    return op


_OPERATORS = {"add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b,
              "truediv": lambda a, b: a / b, "neg": lambda a: -a}
_COMPARISONS = {
    "less": lambda a, b: _primal(a) < _primal(b),
    "less_equal": lambda a, b: _primal(a) <= _primal(b),
    "greater": lambda a, b: _primal(a) > _primal(b),
    "greater_equal": lambda a, b: _primal(a) >= _primal(b),
    "equal": lambda a, b: a == b if isinstance(a, Measurement) else b == a,
    "not_equal": lambda a, b: a != b if isinstance(a, Measurement) else b != a,
    "isfinite": lambda a: bool(np.isfinite(float(_primal(a)))),
}


for _name, _rule in OVERRIDES.items():       # before the table's generic methods
    setattr(Measurement, _name, _make_unary(_rule))
install_operators(Measurement, _make_unary, _make_binary)

# numbers.Real is not registered on purpose: a Measurement is not a plain real.
del numbers
