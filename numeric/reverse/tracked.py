"""Tracked numbers: a scalar (:class:`Tracked`) and an array (:class:`TrackedArray`).

A tracked number is a primal value, the tape it lives on and the index of
its node there. Every operation on it evaluates the operation on the
values and appends a node with the local derivatives:

* scalar rules and arithmetic come from :mod:`numeric.rules` (the same
  table the duals use). For ``y = f(x1, ..., xn)`` the node keeps
  ``rule.partials[i](y, x1, ..., xn)`` for every tracked argument, so the
  backward pass computes the vector-Jacobian product ``g * partial_i``;
* elementwise rules on arrays keep the partial arrays and reduce ``g *
  partial_i`` back to the argument's shape (undoing broadcasting). When the
  arrays are plain float ``ndarray`` s (the common case) the operation takes
  a short path: the NumPy function is called directly and one ELEMENTWISE
  node is appended (see :mod:`numeric.reverse.tape`), with no generic
  dispatch; constant partials (+-1 of add, sub, neg, read off the table by
  :func:`numeric.rules.constant_partial`) are not multiplied at all;
* array operations (matmul, sum, indexing, ...) come from the small table
  of :mod:`numeric.reverse.arrayops`.

Nesting. A tape has an order (:func:`numeric.protocol.new_order`) shared
with the dual tags; when numbers of several tapes or tags meet, the newest
handles the operation and the older ones are constants inside it (their
values may themselves be tracked numbers or duals). So reverse over forward
(a dual whose value is tracked), forward over reverse and reverse over
reverse all work by composition.

Branches. Comparisons use primal values, as for duals. On a tape that
records its program (:func:`numeric.reverse.api.record`) each comparison is
also stored as a *guard*, checked when the tape is replayed.

Examples
--------
>>> import numeric as nm
>>> from numeric.reverse.tape import Tape
>>> from numeric.reverse.tracked import Tracked
>>> t = Tape(); x = Tracked(0.5, t)
>>> y = nm.sin(x) * x
>>> t.backward([(y.index, 1.0)])[x.index] == nm.cos(0.5) * 0.5 + nm.sin(0.5)
True
"""

from __future__ import annotations

import operator
import weakref
from typing import Any

import mpmath
import numpy as np

from numeric import arrayrules, complex_forms
from numeric.arraybase import ArrayAttributes
from numeric import functions as F
from numeric.backend import device_of, is_array, is_foreign, namespace, primal_ufunc
from numeric.protocol import UFUNC_RULE_NAMES as _UFUNC_NAMES
from numeric.protocol import dispatch as _dispatch
from numeric.protocol import norm, norm_length, one, zero
from numeric.reverse.tape import (ELEMENTWISE, GENERAL, MINUS_ONE, ONE, BasicIndexVJP, Tape,
                                  nan_safe)
from numeric.rules import (ARITHMETIC, RULES, SINGULAR, constant_partial, ieee_call, install_operators,
                           lookup)

__all__ = ["Tracked", "TrackedArray", "Ref", "apply_rule", "apply_op", "is_tracked",
           "unbroadcast", "GuardError"]

_LOSS = (
    "{what}() of a {kind} would drop its derivative. Use nm.value(x) to take the primal "
    "value on purpose, or keep the computation in metanum functions (nm.exp, np.sum, ...)"
)
_SCALARS = (int, float, complex, bool, np.generic, mpmath.mpf, mpmath.mpc)
HANDLED: dict = {}   # NumPy function -> implementation (filled by arrayops)
OPS: dict = {}       # array operation name -> ArrayOp (filled by arrayops)


class GuardError(RuntimeError):
    """A recorded tape was replayed at an input that takes another branch."""


class Ref:
    """A reference to node *k* in a recorded program (an argument that is tracked)."""

    __slots__ = ("k",)

    def __init__(self, k: int):
        self.k = k

    def __repr__(self):
        return f"%{self.k}"


def is_tracked(x: Any) -> bool:
    t = type(x)
    return t is Tracked or t is TrackedArray


def _is_arrayish(v: Any) -> bool:
    return is_array(v) or hasattr(type(v), "_nm_array")


def shape_of(v: Any) -> tuple:
    s = getattr(v, "shape", None)
    return tuple(s) if s is not None else ()


def _wrap(ans: Any, tape: Tape, k: int) -> Any:
    t = type(ans)
    if t is np.ndarray:
        return _result(ans, tape, k)
    if t is np.float64 or t is float or t is np.float32:
        return Tracked._new(ans, tape, k)
    if _is_arrayish(ans):
        if getattr(ans, "ndim", 1) == 0 and is_array(ans):
            return Tracked._new(ans[()], tape, k)
        return TrackedArray._new(ans, tape, k)
    return Tracked._new(ans, tape, k)


def unbroadcast(c: Any, shape: tuple) -> Any:
    """Sum *c* over the axes that broadcasting added to an argument of *shape*."""
    cshape = shape_of(c)
    if cshape == tuple(shape):
        return c
    nd = len(cshape) - len(shape)
    axes = tuple(range(nd)) + tuple(nd + i for i, s in enumerate(shape)
                                    if s == 1 and cshape[nd + i] != 1)
    xp = namespace(c) if is_foreign(c) else np      # a device adjoint: its namespace's sum
    if axes:
        c = xp.sum(c, axis=axes) if not is_tracked(c) else apply_op(
            "sum", (c,), {"axis": axes, "keepdims": False})
    if tuple(shape) and shape_of(c) != tuple(shape):
        c = xp.reshape(c, tuple(shape)) if not is_tracked(c) else apply_op("reshape", (c,),
                                                                            {"shape": tuple(shape)})
    return c


def _record(tape: Tape, entry: tuple) -> None:
    tape.program.append(entry)


def _lift_objects(a: Any) -> Any:
    """An object array or a list holding tracked numbers (``np.array([x[0] * x[1], x[2]])``) as one
    TrackedArray (``np.stack`` of its elements); as an ndarray it would be a constant to the tape."""
    if isinstance(a, (list, tuple)):
        return np.stack(a) if any(is_tracked(e) for e in a) else a
    if type(a) is not np.ndarray or a.dtype != object:
        return a
    flat = a.ravel().tolist()
    if not any(is_tracked(e) for e in flat):
        return a
    return np.reshape(np.stack(flat), a.shape)


def _split(args: tuple):
    """(order, tape, values, positions of tracked arguments) for an operation."""
    order = -1
    for a in args:
        o = getattr(a, "_nm_order", -1)
        if o > order:
            order = o
    tape = None
    vals = []
    pos = []
    for i, a in enumerate(args):
        if is_tracked(a) and a._nm_order == order:
            tape = a.tape
            vals.append(a.value)
            pos.append(i)
        else:
            if isinstance(a, (list, tuple)):
                a = np.asarray(a)
            elif type(a) is _Mask:               # a recorded mask: a node, read on replay
                a = a.view(np.ndarray)
            vals.append(a)
    return tape, vals, pos


def _refs(args: tuple, tape: Tape) -> tuple:
    out = []
    for a in args:
        if is_tracked(a) and a.tape is tape:
            out.append(Ref(a.index))
        else:
            out.append(_const_ref(a, tape))
    return tuple(out)


def _const_ref(a: Any, tape: Tape) -> Any:
    """A constant argument; a bool array derived from tracked values is a node."""
    hit = tape.derived.get(id(a))
    if hit is not None and hit[0] is a:
        return Ref(hit[1])
    return a


# How a rule is evaluated on plain float arrays (what nm.<name> computes for them):
# the operator for arithmetic (so ``x ** 2`` takes NumPy's fast square), else the ufunc.
_ARRAY_FUNCTION = {name: getattr(np, name) for name in RULES
                   if isinstance(getattr(np, name, None), np.ufunc)}
_ARRAY_FUNCTION.update({"add": operator.add, "sub": operator.sub, "mul": operator.mul,
                        "truediv": operator.truediv, "neg": operator.neg, "power": operator.pow})
_PLAIN_CONSTANTS = (float, int, np.float64, np.float32)
_MARKS: dict = {}
_object_new = object.__new__


def elementwise_record(rule, ans: Any, vals: list, pos: tuple, parents: list) -> tuple:
    """``(kind, record)`` of the node of *rule* at plain values (used by replay).

    An ELEMENTWISE record when the rule has at most two arguments and works
    on arrays, else a GENERAL record ``(parents, vjp)``; partials come from
    ``rule.partials`` (constants +-1 read off by ``constant_partial``).
    """
    marks = _marks(rule)
    ds = []
    for i in pos:
        d = marks[i]
        if d is None:
            p = rule.partials[i]
            if p is None:
                raise _not_differentiable(rule, i)
            try:
                d = p(ans, *vals)
            except SINGULAR:
                d = ieee_call(p, (ans, *vals))
        ds.append(d)
    arrays = _is_arrayish(ans) or any(_is_arrayish(v) for v in vals)
    if arrays and len(vals) <= 2:
        shape = shape_of(ans)
        rec = []
        for parent, d, i in zip(parents, ds, pos):
            s = shape_of(vals[i])
            rec += [parent, nan_safe(d), None if s == shape else s]
        rec += [-1, None, None] * (2 - len(pos))
        return ELEMENTWISE, tuple(rec)
    ds = [1 if d is ONE else -1 if d is MINUS_ONE else d for d in ds]
    if arrays:
        shapes = [shape_of(vals[i]) for i in pos]

        ds = [nan_safe(d) for d in ds]

        def vjp(g):
            return tuple(unbroadcast(g * d, s) for d, s in zip(ds, shapes))
    else:
        def vjp(g):
            return tuple(g * d for d in ds)
    return GENERAL, (tuple(parents), vjp)


def _marks(rule) -> tuple:
    """Per argument: ONE / MINUS_ONE where the rule's partial is that constant, else None."""
    hit = _MARKS.get(id(rule))
    if hit is not None and hit[0] is rule:
        return hit[1]
    m = tuple({1: ONE, -1: MINUS_ONE}.get(constant_partial(p, rule.nargs)) for p in rule.partials)
    _MARKS[id(rule)] = (rule, m)
    return m


def _plain_float(v: Any) -> bool:
    return type(v) is np.ndarray and v.dtype.kind == "f"


def _plain_constant(c: Any) -> bool:
    """A constant argument of the fast path: a Python/NumPy real or a real/int/bool array."""
    return type(c) in _PLAIN_CONSTANTS or (type(c) is np.ndarray and c.dtype.kind in "fiub")


def _not_differentiable(rule, i):
    return TypeError(f"{rule.name} is not differentiable with respect to argument {i}; "
                     "pass it as a plain number")


def _result(ans: Any, tape: Tape, k: int) -> Any:
    if type(ans) is np.ndarray and ans.ndim:
        t = _object_new(TrackedArray)
        t.value = ans
        t.tape = tape
        t.index = k
        t._nm_order = tape.order
        return t
    return Tracked._new(ans[()] if type(ans) is np.ndarray else ans, tape, k)


def _ew_unary(rule, fn, mark, x: "TrackedArray") -> Any:
    """ELEMENTWISE node of a one-argument rule on a tracked plain float array."""
    tape = x.tape
    v = x.value
    ans = fn(v)
    d = mark
    if d is None:
        p = rule.partials[0]
        if p is None:
            raise _not_differentiable(rule, 0)
        d = p(ans, v)
    k = tape.push_elementwise((x.index, d, None, -1, None, None))
    if tape.program is not None:
        _record(tape, ("rule", k, rule.name, (Ref(x.index),)))
    return _result(ans, tape, k)


def _ew_binary(rule, fn, marks, tape, a, b, av, bv, ia, ib) -> Any:
    """ELEMENTWISE node of a two-argument rule; ia / ib: node of a tracked argument or -1.

    The node keeps ``rule.partials[i](ans, a, b)`` per tracked argument (a
    constant +-1 is kept as ONE / MINUS_ONE, so the backward pass skips the
    product) and the argument's shape only where broadcasting changed it.
    """
    ans = fn(av, bv)
    shape = ans.shape
    if ia >= 0:
        da = marks[0]
        if da is None:
            p = rule.partials[0]
            if p is None:
                raise _not_differentiable(rule, 0)
            da = p(ans, av, bv)
        s = av.shape
        sa = None if s == shape else s
        if ib >= 0:
            db = marks[1]
            if db is None:
                p = rule.partials[1]
                if p is None:
                    raise _not_differentiable(rule, 1)
                db = p(ans, av, bv)
            s = bv.shape
            rec = (ia, da, sa, ib, db, None if s == shape else s)
        else:
            rec = (ia, da, sa, -1, None, None)
    else:
        db = marks[1]
        if db is None:
            p = rule.partials[1]
            if p is None:
                raise _not_differentiable(rule, 1)
            db = p(ans, av, bv)
        s = bv.shape
        rec = (ib, db, None if s == shape else s, -1, None, None)
    k = tape.push_elementwise(rec)
    if tape.program is not None:
        _record(tape, ("rule", k, rule.name, _refs((a, b), tape)))
    if type(ans) is np.ndarray and ans.ndim:
        t = _object_new(TrackedArray)
        t.value = ans
        t.tape = tape
        t.index = k
        t._nm_order = tape.order
        return t
    return _result(ans, tape, k)


def _elementwise(rule, args: tuple) -> Any:
    """*rule* on tracked arrays holding plain float arrays: one ELEMENTWISE node, or None.

    The fast path of :func:`apply_rule`: all tracked arguments are
    ``TrackedArray`` s of one tape whose values are float ``ndarray`` s, the
    others plain float constants; at most two arguments.
    """
    n = len(args)
    if n == 1:
        x = args[0]
        if type(x) is TrackedArray and _plain_float(x.value):
            return _ew_unary(rule, _ARRAY_FUNCTION.get(rule.name, rule.function),
                             _marks(rule)[0], x)
        return None
    if n != 2:
        return None
    a, b = args
    tape = None
    if type(a) is TrackedArray:
        av = a.value
        if not _plain_float(av):
            return None
        tape, ia = a.tape, a.index
    elif _plain_constant(a):
        av, ia = a, -1
    else:
        return None
    if type(b) is TrackedArray:
        bv = b.value
        if not _plain_float(bv) or (tape is not None and b.tape is not tape):
            return None
        tape, ib = b.tape, b.index
    elif _plain_constant(b):
        bv, ib = b, -1
    else:
        return None
    if tape is None:
        return None
    return _ew_binary(rule, _ARRAY_FUNCTION.get(rule.name, rule.function), _marks(rule), tape,
                      a, b, av, bv, ia, ib)


def apply_rule(rule, args: tuple) -> Any:
    """Apply the rule (of :mod:`numeric.rules`) to *args*, the newest of which is tracked."""
    if len(args) <= 2:
        out = _elementwise(rule, args)
        if out is not None:
            return out
    tape, vals, pos = _split(args)
    partials = rule.partials
    for i in pos:
        if partials[i] is None:
            raise TypeError(f"{rule.name} is not differentiable with respect to argument {i}; "
                            "pass it as a plain number")
    try:
        ans = rule.function(*vals)
        ds = [partials[i](ans, *vals) for i in pos]
    except SINGULAR:
        ans = ieee_call(rule.function, vals)
        ds = [ieee_call(partials[i], (ans,) + tuple(vals)) for i in pos]
    parents = tuple(args[i].index for i in pos)
    if _is_arrayish(ans) or any(_is_arrayish(v) for v in vals):
        shapes = [shape_of(vals[i]) for i in pos]
        ds = [nan_safe(d) for d in ds]      # zero cotangent x inf/nan partial: exactly 0

        def vjp(g, ds=ds, shapes=shapes):
            return tuple(unbroadcast(g * d, s) for d, s in zip(ds, shapes))

        k = tape.push_general(parents, vjp)
    elif len(pos) == 1:
        k = tape.push1(parents[0], ds[0])
    elif len(pos) == 2:
        k = tape.push2(parents[0], parents[1], ds[0], ds[1])
    else:
        k = tape.push_general(parents, lambda g, ds=ds: tuple(g * d for d in ds))
    if tape.program is not None:
        _record(tape, ("rule", k, rule.name, _refs(args, tape)))
    return _wrap(ans, tape, k)


def apply_op(name: str, args: tuple, params: dict) -> Any:
    """Apply array operation *name* of :mod:`numeric.reverse.arrayops` to *args*."""
    op = OPS[name]
    if len(args) == 1 and type(args[0]) is TrackedArray:     # the common case, quickly
        x = args[0]
        tape, vals, pos, parents = x.tape, (x.value,), (0,), (x.index,)
    else:
        if any((type(a) is np.ndarray and a.dtype == object) or isinstance(a, (list, tuple)) for a in args):
            args = tuple(_lift_objects(a) for a in args)
        tape, vals, pos = _split(args)
        if tape is None:
            return op.forward(*vals, **params)
        parents = tuple([args[i].index for i in pos])
    ans = op.forward(*vals, **params)
    k = tape.push_general(parents, op_vjp(op, ans, vals, pos, params))
    if tape.program is not None:
        _record(tape, ("op", k, name, _refs(args, tape), _param_refs(params, tape)))
    return _wrap(ans, tape, k)


def _param_refs(params: dict, tape: Tape) -> dict:
    """Parameters as recorded: an index array derived from tracked values (a mask) is a node."""
    out = {}
    for key, v in params.items():
        if isinstance(v, tuple):
            v = tuple(_const_ref(e, tape) if isinstance(e, np.ndarray) else e for e in v)
        elif isinstance(v, np.ndarray):
            v = _const_ref(v, tape)
        out[key] = v
    return out


def resolve_params(params: dict, vals: list) -> dict:
    """The parameters of a recorded operation with their node references read from *vals*."""
    out = {}
    for key, v in params.items():
        if isinstance(v, tuple):
            v = tuple(vals[e.k] if type(e) is Ref else e for e in v)
        elif type(v) is Ref:
            v = vals[v.k]
        out[key] = v
    return out


def params_have_refs(params: dict) -> bool:
    return any(type(v) is Ref or (isinstance(v, tuple) and any(type(e) is Ref for e in v))
               for v in params.values())


def op_vjp(op, ans: Any, vals: tuple, pos: tuple, params: dict):
    """The VJP closure of array operation *op* at values *vals* (arguments *pos* tracked)."""
    vjps = op.vjps
    if len(pos) == 1:
        i = pos[0]
        rule_i = vjps[min(i, len(vjps) - 1)]

        def vjp(g):
            return (rule_i(g, ans, i, *vals, **params),)
        return vjp

    def vjp_n(g):
        return tuple([vjps[min(i, len(vjps) - 1)](g, ans, i, *vals, **params) for i in pos])
    return vjp_n


def _guard(name: str, a: Any, b: Any, result: Any) -> None:
    done = None
    for x in (a, b):
        if is_tracked(x) and x.tape.program is not None and x.tape is not done:
            tape = done = x.tape
            _record(tape, ("guard", len(tape), name, _refs((a, b), tape), bool(result)))


def _primal(o: Any) -> Any:
    return o.value if is_tracked(o) else o


def _supported(o: Any) -> bool:
    return isinstance(o, _SCALARS) or hasattr(type(o), "_nm_apply") or is_array(o)


_NO_PICKLE = ("a tracked (reverse-mode) number cannot be pickled: its tape lives in this "
              "process only; take nm.value(x) first to send the primal value")


class _Common:
    """Comparisons, conversions and protocol hooks shared by both tracked types."""

    __slots__ = ()

    def __init__(self, value: Any, tape: Tape):
        self.value = value
        self.tape = tape
        self.index = tape.leaf()
        self._nm_order = tape.order

    @classmethod
    def _new(cls, value, tape, index):
        t = object.__new__(cls)
        t.value = value
        t.tape = tape
        t.index = index
        t._nm_order = tape.order
        return t

    @property
    def tag(self) -> int:
        return self._nm_order

    def _nm_primal(self):
        tape = self.tape
        if tape.program is not None and tape.unguarded is None:
            tape.unguarded = "nm.value of a tracked number (its primal value left the tape)"
        return self.value

    def _nm_norm(self):
        return norm(self.value)

    def _nm_length(self) -> int:
        return norm_length(self.value)

    def _nm_apply(self, name: str, args: tuple) -> Any:
        rule = lookup(name)
        return apply_rule(rule, args)

    def _constant(self, value):
        tape = self.tape
        k = tape.leaf()
        if tape.program is not None:
            _record(tape, ("const", k, value))
        return _wrap(value, tape, k)

    def _nm_zero(self):
        return self._constant(zero(self.value))

    def _nm_one(self):
        return self._constant(one(self.value))

    def _nm_scalar_zero(self):
        # nm.promote lifts a state with a *scalar* zero; an array's zero of its own shape
        # would broadcast a (2,) state against (252,) parameters and fail
        v = self.value
        if np.ndim(v) == 0:
            return self._nm_zero()
        return self._constant(zero(v.reshape(-1)[0]) if v.size else zero(v).sum())

    def __float__(self):
        raise TypeError(_LOSS.format(what="float", kind=type(self).__name__))

    def __int__(self):
        raise TypeError(_LOSS.format(what="int", kind=type(self).__name__))

    def __complex__(self):
        raise TypeError(_LOSS.format(what="complex", kind=type(self).__name__))

    def __index__(self):
        raise TypeError(_LOSS.format(what="index", kind=type(self).__name__))

    __hash__ = None  # compares by primal value, like Dual

    def __deepcopy__(self, memo):
        return self          # a scalar node is immutable: the same node keeps the tape link

    def __copy__(self):
        return self

    def __reduce__(self):
        raise TypeError(_NO_PICKLE)

    def __bool__(self):
        r = bool(self.value)
        _guard("truth", self, True, r)
        return r

    def __array_function__(self, func, types, args, kwargs):
        impl = HANDLED.get(func)
        if impl is None:
            return arrayrules.refuse(func, _Common, types)
        return impl(*args, **kwargs)


def _make_compare(name: str, pyop):
    def cmp(self, o):
        r = pyop(self.value, _primal(o))
        if self.tape.program is not None or (is_tracked(o) and o.tape.program is not None):
            if is_array(r) or hasattr(type(r), "_nm_array"):
                return _derived(name, self, o, r)
            _guard(name, self, o, r)
        return r

    cmp.__name__ = f"__{name}__"
    return cmp


def _derived(name, a, b, r):
    """An array comparison on a recording tape: a node recomputed on replay."""
    tape = a.tape if is_tracked(a) and a.tape.program is not None else b.tape
    k = tape.leaf()
    _record(tape, ("compare", k, name, _refs((a, b), tape)))
    if type(r) is np.ndarray:
        r = r.view(_Mask)
        r._nm_tape = tape
    tape.derived[id(r)] = (r, k)
    return r


def _taint(tape: Tape, what: str) -> None:
    if tape.unguarded is None:
        tape.unguarded = what


def _has_tracked(args) -> bool:
    for a in args:
        if is_tracked(a) or (isinstance(a, (tuple, list)) and _has_tracked(a)):
            return True
    return False


class _Mask(np.ndarray):
    """A comparison of tracked arrays made while recording.

    Handed to ``np.where`` or used as an index of a tracked array, it is a
    node that replay recomputes. Anything else that reads its values
    (``bool``, ``np.all``, ``.any()``, ``mask[0]``, ``np.count_nonzero``,
    ``.item()``, arithmetic on the mask) marks the recording as unguarded:
    it then refuses to replay at another input instead of silently taking
    the recorded branch.
    """

    def _read(self, what):
        tape = getattr(self, "_nm_tape", None)
        if tape is not None:
            _taint(tape, f"{what} of an array comparison")
        return self.view(np.ndarray)

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        if _has_tracked(inputs):
            return NotImplemented
        for a in inputs:
            if type(a) is _Mask:
                a._read(f"np.{ufunc.__name__}")
        plain = [a.view(np.ndarray) if type(a) is _Mask else a for a in inputs]
        out = kwargs.get("out")
        if out is not None:
            kwargs["out"] = tuple(o.view(np.ndarray) if type(o) is _Mask else o for o in out)
        return getattr(ufunc, method)(*plain, **kwargs)

    def __array_function__(self, func, types, args, kwargs):
        if _has_tracked(args) or _has_tracked(tuple(kwargs.values())):
            return NotImplemented
        self._read(f"np.{func.__name__}")
        args = tuple(a.view(np.ndarray) if type(a) is _Mask else a for a in args)
        return func(*args, **kwargs)

    def __bool__(self):
        return bool(self._read("bool"))

    def __getitem__(self, i):
        return self._read("indexing")[i]

    def __iter__(self):
        return iter(self._read("iteration"))

    def item(self, *a):
        return self._read(".item()").item(*a)

    def tolist(self):
        return self._read(".tolist()").tolist()

    def __int__(self):
        return int(self._read("int"))

    def __float__(self):
        return float(self._read("float"))

    def __index__(self):
        return self._read("index").__index__()


class Tracked(_Common):
    """A scalar on a reverse-mode tape.

    Parameters
    ----------
    value : number
        The primal value (float, float32, mpf, or a number of an older
        tape or dual tag).
    tape : Tape
        The tape to record on; the new number is an input (a leaf) of it.

    Examples
    --------
    >>> from numeric.reverse.tape import Tape
    >>> t = Tape(); x = Tracked(3.0, t)
    >>> y = x * x + 1
    >>> y.value, t.backward([(y.index, 1.0)])[x.index]
    (10.0, 6.0)
    """

    __slots__ = ("value", "index", "tape", "_nm_order")

    def __repr__(self):
        return f"Tracked({self.value!r}, node {self.index} of tape {self.tape.order})"

    __str__ = __repr__

    def conjugate(self):
        return complex_forms.conjugate(self)

    conj = conjugate

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        if method != "__call__" or kwargs.get("out") is not None:
            return NotImplemented
        return _ufunc(ufunc, inputs)


class TrackedArray(_Common, ArrayAttributes):
    """An array on a reverse-mode tape: one node per array operation.

    The value is an array of the input's namespace (NumPy, CuPy, an object
    array, or a ``DualArray``/``TrackedArray`` of an older tag). NumPy
    ufuncs and the functions of :mod:`numeric.reverse.arrayops` work on it.

    Examples
    --------
    >>> import numpy as np
    >>> from numeric.reverse.tape import Tape
    >>> t = Tape(); x = TrackedArray(np.array([1.0, 2.0]), t)
    >>> y = np.sum(x * x)
    >>> t.backward([(y.index, 1.0)])[x.index]
    array([2., 4.])
    """

    __slots__ = ("value", "index", "tape", "_nm_order", "_view_of", "_views", "_ragged",
                 "__weakref__")
    __array_priority__ = 200
    _nm_array = True

    def _nm_scalar_zero(self):
        """A scalar zero on this tape (``nm.promote`` lifts a state of another shape by it)."""
        v = self.value
        if is_foreign(v):   # a 0-d zero on the value's device (array-API arrays have no .reshape)
            return self._constant(namespace(v).zeros((), dtype=v.dtype, device=device_of(v)))
        return self._constant(zero(v.reshape(-1)[0]) if v.size else v.dtype.type(0))

    def __repr__(self):
        return f"TrackedArray({self.value!r}, node {self.index} of tape {self.tape.order})"

    # -- array attributes ------------------------------------------------------
    @property
    def T(self):
        return _as_view(self, apply_op("transpose", (self,), {"axes": None}))

    def __iter__(self):
        for i in range(len(self)):
            yield self[i]

    def __getitem__(self, index):
        if type(index) is slice or type(index) is int:
            v, tape = self.value, self.tape
            if tape.program is None and type(v) is np.ndarray and v.dtype.kind == "f":
                # the common slice x[1:]: one GENERAL node with a preallocated VJP object,
                # no generic apply_op dispatch (a recording keeps the generic op for replay)
                k = tape.push_general((self.index,), BasicIndexVJP(index, v.shape, v.dtype))
                return _as_view(self, _wrap(v[index], tape, k))
            return _as_view(self, apply_op("getitem", (self,), {"index": index}))
        index = _freeze_index(index)
        if _is_view_index(index):
            return _as_view(self, apply_op("reshape", (self,), {"shape": tuple(self.value[index].shape)}))
        out = apply_op("getitem", (self,), {"index": index})
        if _is_basic_index(index):
            return _as_view(self, out)
        if type(out) is TrackedArray and _has_mask(index):
            out._ragged = True                  # its length depends on the values
        return out

    def __len__(self) -> int:
        if getattr(self, "_ragged", False):
            _taint(self.tape, "len() of an array selected by a comparison mask")
        return len(self.value)

    def __setitem__(self, index, v):
        """Functional update recorded on the tape; this object then refers to the new node.

        NumPy's view semantics are not reproduced: writing through a view
        (``y = x[:]; y[0] = 0``) or into an array that a live view still
        shares (``y = x[1:]; x[1] = 0``) raises instead of silently giving
        an answer that differs from NumPy and forward mode.
        """
        _check_write(self)
        new = apply_op("setitem", (self, v), {"index": _freeze_index(index)})
        if not isinstance(new, TrackedArray):
            raise TypeError("setitem on a TrackedArray must keep it on the tape")
        self.value, self.index = new.value, new.index

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        if method != "__call__" or kwargs.get("out") is not None:
            return NotImplemented
        return _ufunc(ufunc, inputs)

    # -- methods NumPy users expect ---------------------------------------------
    def sum(self, axis=None, keepdims=False):
        return np.sum(self, axis=axis, keepdims=keepdims)

    def mean(self, axis=None, keepdims=False):
        return np.mean(self, axis=axis, keepdims=keepdims)

    def prod(self, axis=None, keepdims=False):
        return np.prod(self, axis=axis, keepdims=keepdims)

    def max(self, axis=None, keepdims=False):
        return np.max(self, axis=axis, keepdims=keepdims)

    def min(self, axis=None, keepdims=False):
        return np.min(self, axis=axis, keepdims=keepdims)

    def cumsum(self, axis=None):
        return np.cumsum(self, axis=axis)

    def reshape(self, *shape, order="C"):
        shape = shape[0] if len(shape) == 1 and isinstance(shape[0], (tuple, list)) else shape
        return _as_view(self, np.reshape(self, shape, order=order))

    def ravel(self):
        return _as_view(self, np.reshape(self, (-1,)))

    flatten = ravel

    def transpose(self, *axes):
        axes = axes[0] if len(axes) == 1 and isinstance(axes[0], (tuple, list)) else axes
        return _as_view(self, np.transpose(self, axes or None))

    def dot(self, o):
        return np.dot(self, o)

    def copy(self):
        """A new node with the same value (identity VJP), so writes to the copy never reach self."""
        return apply_op("reshape", (self,), {"shape": tuple(self.value.shape)})

    def __deepcopy__(self, memo):
        return self.copy()

    __copy__ = copy

    def astype(self, dtype, copy=True):
        if dtype is object or not np.issubdtype(np.dtype(dtype), np.inexact):
            raise TypeError(f"cannot cast a TrackedArray to {dtype}: it would drop the "
                            "derivatives; use nm.value(x) for the primal")
        return apply_op("astype", (self,), {"dtype": np.dtype(dtype)})


_VIEW_WRITE = ("writing into a TrackedArray {what}: NumPy would propagate the write through the "
               "shared memory, which reverse mode does not reproduce; take a copy first "
               "(y = x[...].copy()) or write into the original array before slicing it")


def _as_view(base: "TrackedArray", out: Any) -> Any:
    """Mark *out* as a NumPy view of *base*, so a later write through either one is refused."""
    if type(out) is not TrackedArray:
        return out
    root = getattr(base, "_view_of", None)
    root = base if root is None else root
    out._view_of = root
    views = getattr(root, "_views", None)
    if views is None:
        views = root._views = []
    elif len(views) > 8:                     # drop views that have died (slices in a loop)
        views[:] = [r for r in views if r() is not None]
    views.append(weakref.ref(out))
    return out


def _check_write(x: "TrackedArray") -> None:
    if getattr(x, "_view_of", None) is not None:
        raise ValueError(_VIEW_WRITE.format(what="that is a view of another (basic slice, "
                                            "reshape or transpose)"))
    views = getattr(x, "_views", None)
    if views and any(r() is not None for r in views):
        raise ValueError(_VIEW_WRITE.format(what="while a view of it (basic slice, reshape "
                                            "or transpose) is alive"))


def _has_mask(index) -> bool:
    parts = index if isinstance(index, tuple) else (index,)
    return any(type(p) is _Mask for p in parts)


def _is_basic_index(index) -> bool:
    parts = index if isinstance(index, tuple) else (index,)
    return all(p is None or p is Ellipsis or isinstance(p, (slice, int, np.integer)) for p in parts)


def _freeze_index(index):
    """Indices are stored in the program: lists become arrays; tracked indices are refused."""
    parts = index if isinstance(index, tuple) else (index,)
    out = []
    for p in parts:
        if is_tracked(p) or hasattr(type(p), "_nm_apply"):
            raise TypeError("an index must be a plain integer/slice/array, not a tracked number; "
                            "use nm.value(i) to index by a value on purpose")
        out.append(np.asarray(p) if isinstance(p, list) else p)
    return tuple(out) if isinstance(index, tuple) else out[0]


def _is_view_index(index) -> bool:
    """An index made only of ``None``, ``...`` and ``:`` is a reshape."""
    parts = index if isinstance(index, tuple) else (index,)
    return any(p is None for p in parts) and all(
        p is None or p is Ellipsis or (isinstance(p, slice) and p == slice(None)) for p in parts)


_PRIMAL_UFUNCS = {"isfinite", "isnan", "isinf", "signbit", "logical_and", "logical_or",
                  "logical_not"}
_COMPARE_UFUNCS = {"greater": "gt", "greater_equal": "ge", "less": "lt", "less_equal": "le",
                   "equal": "eq", "not_equal": "ne"}


def _ufunc(ufunc, inputs):
    name = ufunc.__name__
    if name in _COMPARE_UFUNCS:
        a, b = inputs
        if is_tracked(a):
            return getattr(a, f"__{_COMPARE_UFUNCS[name]}__")(b)
        return getattr(b, f"__{_REFLECT[_COMPARE_UFUNCS[name]]}__")(a)
    if name in _PRIMAL_UFUNCS:
        return primal_ufunc(ufunc, [_primal(a) for a in inputs])
    if name == "square":
        return inputs[0] * inputs[0]
    if name == "reciprocal":
        return 1 / inputs[0]
    if name == "positive":
        return inputs[0]
    if name == "conjugate":
        return complex_forms.conjugate(inputs[0])
    if name == "matmul":
        return apply_op("matmul", inputs, {})
    rname = _UFUNC_NAMES.get(name, name)
    if rname not in RULES and rname not in ARITHMETIC:
        return NotImplemented
    rule = RULES.get(rname) or ARITHMETIC[rname]
    if len(inputs) <= 2:
        out = _elementwise(rule, inputs)
        if out is not None:
            return out
    if any(isinstance(a, np.ndarray) and a.dtype == object for a in inputs):
        return _object_ufunc(ufunc, inputs)
    return _dispatch(rname, tuple(np.asarray(a) if isinstance(a, (list, tuple)) else a
                                  for a in inputs))


def _object_ufunc(ufunc, inputs):
    """A ufunc with an object-array operand: NumPy's object semantics, element by element.

    An object array of tracked numbers (an ODE solution's stage values, say) meeting a
    tracked scalar or array applies *ufunc* to each combination of elements, each of which
    is differentiated by its scalar rule; the result is an object array as NumPy gives.
    """
    def elements(a):
        if type(a) is Tracked:
            out = np.empty((), dtype=object)    # boxed: NumPy must not dispatch back to Tracked
            out[()] = a
            return out
        if type(a) is TrackedArray:
            out = np.empty(a.shape, dtype=object)
            for idx in np.ndindex(*a.shape):
                out[idx] = a[idx]
            return out
        return a
    return np.frompyfunc(ufunc, ufunc.nin, ufunc.nout)(*[elements(a) for a in inputs])


_REFLECT = {"gt": "lt", "ge": "le", "lt": "gt", "le": "ge", "eq": "eq", "ne": "ne"}

# -- operators from the rules table -------------------------------------------------------


def _make_binary(rule, reflected: bool):
    f = rule.function
    d0, d1 = rule.partials
    name = rule.name

    array_fn = _ARRAY_FUNCTION.get(name, f)
    marks = _marks(rule)

    def op(self, o):
        to = type(o)
        if type(self) is TrackedArray:
            v = self.value
            if type(v) is np.ndarray and v.dtype.kind == "f":
                t = self.tape
                if to is TrackedArray:
                    w = o.value
                    if o.tape is t and type(w) is np.ndarray and w.dtype.kind == "f":
                        if reflected:
                            return _ew_binary(rule, array_fn, marks, t, o, self, w, v, o.index,
                                              self.index)
                        return _ew_binary(rule, array_fn, marks, t, self, o, v, w, self.index,
                                          o.index)
                elif to is float or to is int or (to is np.ndarray and o.dtype.kind in "fiub"):
                    if reflected:
                        return _ew_binary(rule, array_fn, marks, t, o, self, o, v, -1, self.index)
                    return _ew_binary(rule, array_fn, marks, t, self, o, v, o, self.index, -1)
        elif to is Tracked and o.tape is self.tape:
            x, y = (o, self) if reflected else (self, o)
            xv, yv = x.value, y.value
            t = self.tape
            try:
                ans = f(xv, yv)
                g0, g1 = d0(ans, xv, yv), d1(ans, xv, yv)
            except SINGULAR:                    # 1/0: IEEE inf, as Dual (rules.ieee_call)
                ans = ieee_call(f, (xv, yv))
                g0, g1 = ieee_call(d0, (ans, xv, yv)), ieee_call(d1, (ans, xv, yv))
            k = t.push2(x.index, y.index, g0, g1)
            if t.program is not None:
                t.program.append(("rule", k, name, (Ref(x.index), Ref(y.index))))
            return Tracked._new(ans, t, k)
        if to is float or to is int:
            v = self.value
            t = self.tape
            if type(self) is Tracked:
                args, d, refs = ((o, v), d1, (o, Ref(self.index))) if reflected else \
                    ((v, o), d0, (Ref(self.index), o))
                try:
                    ans = f(*args)
                    g = d(ans, *args)
                except SINGULAR:
                    ans = ieee_call(f, args)
                    g = ieee_call(d, (ans,) + args)
                k = t.push1(self.index, g)
                if t.program is not None:
                    t.program.append(("rule", k, name, refs))
                return Tracked._new(ans, t, k)
        if isinstance(o, np.ndarray) and o.dtype == object:
            return NotImplemented
        if isinstance(o, (list, tuple)):
            o = np.asarray(o)
        if not _supported(o):
            return NotImplemented
        return _dispatch(name, (o, self) if reflected else (self, o))

    op.__name__ = name
    return op


def _make_unary(rule):
    name = rule.name
    if rule.nargs != 1:
        return None
    f = rule.function
    d = rule.partials[0]

    array_fn = _ARRAY_FUNCTION.get(name, f)
    mark = _marks(rule)[0]

    def method(self):
        if type(self) is TrackedArray:
            v = self.value
            if type(v) is np.ndarray and v.dtype.kind == "f":
                return _ew_unary(rule, array_fn, mark, self)
        elif type(self) is Tracked:
            v = self.value
            t = self.tape
            try:
                ans = f(v)
                g = d(ans, v)
            except SINGULAR:                    # sqrt'(0) = inf, as Dual (rules.ieee_call)
                ans = ieee_call(f, (v,))
                g = ieee_call(d, (ans, v))
            k = t.push1(self.index, g)
            if t.program is not None:
                t.program.append(("rule", k, name, (Ref(self.index),)))
            return Tracked._new(ans, t, k)
        return apply_rule(rule, (self,))

    method.__name__ = name
    return method


def _install() -> None:
    import operator

    for cls in (Tracked, TrackedArray):
        install_operators(cls, _make_unary, _make_binary)
        for name, pyop in [("lt", operator.lt), ("le", operator.le), ("gt", operator.gt),
                           ("ge", operator.ge), ("eq", operator.eq), ("ne", operator.ne)]:
            setattr(cls, f"__{name}__", _make_compare(name, pyop))
    TrackedArray.__matmul__ = lambda self, o: apply_op("matmul", (self, o), {})
    TrackedArray.__rmatmul__ = lambda self, o: apply_op("matmul", (o, self), {})


_install()
_ = F
