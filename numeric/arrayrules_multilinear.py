"""Array functions linear in several operands, written once for every array number type.

A MULTILINEAR entry (issue 10, "one table") is a NumPy function whose operands
split into constants and differentiable operands, linear in each of the latter
given the rest:

* ``np.where(condition, x, y)``: linear in ``x`` and ``y`` together, the mask a
  constant (its tangent is ``where(condition, tx, ty)``);
* ``np.einsum(subscripts, *operands)``: multilinear, its tangent the sum over
  operands of einsum with that operand's tangent in its place;
* ``np.matmul(a, b)`` (and ``a @ b``): bilinear, JVP and transpose from
  :mod:`numeric.arrayrules_matmul`.

:mod:`numeric.arrayrules_reductions` declares ``prod`` and ``max``/``min`` in the same form
(a JVP on batched tangents, a transpose per operand), so the adapters below serve them too.

An entry declares its JVP on batched tangents (a trailing axis of k columns,
``None`` for an operand without derivative) and, per operand, its transpose.
From it ``DualArray`` and ``MeasurementArray`` get their rule (the JVP on
partials / on the components per source) and the reverse tape its op (the VJP
is the transpose; the transposes are written with NumPy functions, so reverse
over reverse works).

Examples
--------
>>> import numpy as np, numeric as nm
>>> a = np.array([1.0, 2.0]); b = np.array([3.0, 4.0])
>>> nm.gradient(lambda x: np.einsum("i,i->", x, b), a).tolist()
[3.0, 4.0]
>>> nm.gradient(lambda x: np.sum(np.where(x > 1.5, x ** 2, -x)), a).tolist()
[-1.0, 4.0]
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from numeric import arrayrules_matmul, xpcompat
from numeric.arrayrules import UnsupportedArrayFunction
from numeric.backend import is_foreign, like, namespace
from numeric.arrayrules_nonlinear import _primal, einsum_explicit, einsum_transpose
from numeric.arrayrules_structural import unbroadcast

__all__ = ["MultilinearRule", "MULTILINEAR", "dual_multilinear_impl", "tape_multilinear_ops"]


@dataclass(frozen=True)
class MultilinearRule:
    """A NumPy function linear in each of the operands ``linear`` (indices into ``split``'s).

    ``split(args, kwargs) -> (operands, params)``: the operands (differentiable ones and
    constants, in the tape's argument order) and the constant parameters.
    ``apply(*operands, **params)``: the function. ``jvp(operands, tangents, **params)``:
    the tangent of the output for batched tangents (trailing axis; ``None`` where an
    operand has none) -- operands are primal values. ``transpose(g, operands, i, **params)``:
    operand *i*'s cotangent for output cotangent *g*. ``samples``: ``(shapes, params)`` the
    generic test runs (``make`` builds operands from random arrays).
    """

    func: Callable
    key: str
    split: Callable
    apply: Callable
    linear: tuple
    jvp: Callable
    transpose: Callable
    samples: tuple = field(default=())
    make: Callable | None = None


MULTILINEAR: dict = {}


def _tracked(v: Any) -> bool:
    return hasattr(v, "partials") or hasattr(v, "tape") or hasattr(v, "_nm_order")


def _batched_to(t: Any, shape: tuple) -> Any:
    """A batched tangent (operand shape + (k,)) broadcast to *shape* + (k,)."""
    full = tuple(shape) + (np.shape(t)[-1],)
    if tuple(np.shape(t)) == full:
        return t
    return namespace(t).broadcast_to(t, full) if is_foreign(t) else np.broadcast_to(t, full)


# --------------------------------------------------------------------------------- where

def _where_split(args, kwargs):
    if kwargs or len(args) != 3:
        raise UnsupportedArrayFunction("numpy.where with one argument (np.nonzero) or keywords "
                                       "has no derivative rule; call np.where(condition, x, y)")
    cond, x, y = args
    if _tracked(cond):
        c = _primal(cond)                          # a mask of numbers: only its values matter
        cond = (c != 0) if is_foreign(c) else np.asarray(c) != 0
    return (cond, x, y), {}


def _where_values(cond, x, y):
    """``where`` in the operands' namespace (a device mask or branch: its namespace's ``where``)."""
    if any(is_foreign(o) for o in (cond, x, y)):
        xp = namespace(cond, x, y)
        return xp.where(cond if is_foreign(cond) else like(cond, _first_foreign(x, y), dtype=xp.bool), x, y)
    return np.where(cond, x, y)


def _first_foreign(*ops):
    return next(o for o in ops if is_foreign(o))


def _where_jvp(ops, ts):
    cond, x, y = ops
    tx, ty = ts[1], ts[2]
    shape = np.broadcast_shapes(np.shape(cond), np.shape(x), np.shape(y))
    c = cond[..., None] if is_foreign(cond) else np.asarray(cond)[..., None]
    tx = 0.0 if tx is None else _batched_to(tx, shape)
    ty = 0.0 if ty is None else _batched_to(ty, shape)
    return _where_values(c, tx, ty)


def _where_transpose(g, ops, i):
    cond, x, y = ops
    r = _where_values(cond, g, 0.0) if i == 1 else _where_values(cond, 0.0, g)
    return unbroadcast(r, np.shape(x if i == 1 else y))


def _where_make(xs):
    x, y = xs
    return (x > 0, x, y)                          # the mask from the data: both branches taken


MULTILINEAR[np.where] = MultilinearRule(
    np.where, "where", _where_split, _where_values, (1, 2), _where_jvp, _where_transpose,
    samples=((((4,), (4,)), {}), (((2, 3), (3,)), {}), (((3,), ()), {})), make=_where_make)


# -------------------------------------------------------------------------------- einsum

def _einsum_split(args, kwargs):
    subscripts, operands = args[0], tuple(args[1:])
    if not isinstance(subscripts, str):
        raise UnsupportedArrayFunction("numpy.einsum: the interleaved (operand, sublist) form "
                                       "has no derivative rule; pass a subscripts string")
    if kwargs:
        raise UnsupportedArrayFunction(f"numpy.einsum with keyword arguments {sorted(kwargs)} "
                                       "has no derivative rule; call it without them")
    return operands, {"subscripts": einsum_explicit(subscripts, operands)}


def _einsum_apply(*ops, subscripts):
    return xpcompat.einsum(subscripts, *ops)


def _einsum_jvp(ops, ts, subscripts):
    ins, out = subscripts.split("->")
    ins = ins.split(",")
    k = next(c for c in "zyxwvutsrqponmlkjihgfedcba" if c not in set("".join(ins)))
    p = None
    for i, t in enumerate(ts):
        if t is None:
            continue
        subs = ",".join(s + (k if j == i else "") for j, s in enumerate(ins)) + "->" + out + k
        term = xpcompat.einsum(subs, *[t if j == i else v for j, v in enumerate(ops)])
        p = term if p is None else p + term
    return p


def _einsum_transpose(g, ops, i, subscripts):
    return einsum_transpose(subscripts, g, ops, i, tuple(np.shape(ops[i])))


def _einsum_make(xs):
    return tuple(xs)


MULTILINEAR[np.einsum] = MultilinearRule(
    np.einsum, "einsum", _einsum_split, _einsum_apply, (), _einsum_jvp, _einsum_transpose,
    samples=((((2, 3), (3, 4)), {"subscripts": "ij,jk->ik"}),
             (((3,), (3,)), {"subscripts": "i,i"}),
             (((2, 3, 4), (4,)), {"subscripts": "...j,j->..."}),
             (((2, 3), (3,), (2,)), {"subscripts": "ij,j,i->"}),
             (((3, 4),), {"subscripts": "ij->j"})), make=_einsum_make)


# -------------------------------------------------------------------------------- matmul

def _matmul_split(args, kwargs):
    if kwargs or len(args) != 2:
        raise UnsupportedArrayFunction(f"numpy.matmul with {sorted(kwargs)} has no derivative "
                                       "rule; use a @ b")
    return tuple(args), {}


def _matmul_apply(a, b):
    return a @ b


def _matmul_jvp(ops, ts):
    return arrayrules_matmul.tangent(ops[0], ts[0], ops[1], ts[1])


def _matmul_transpose(g, ops, i):
    return arrayrules_matmul.transpose(g, ops[0], ops[1], i)


MULTILINEAR[np.matmul] = MultilinearRule(
    np.matmul, "matmul", _matmul_split, _matmul_apply, (), _matmul_jvp, _matmul_transpose,
    samples=((((2, 3), (3, 4)), {}), (((3,), (3, 2)), {}), (((2, 3), (3,)), {}),
             (((3,), (3,)), {}), (((2, 2, 3), (3, 2)), {}), (((4, 3), (2, 3, 1)), {})),
    make=_einsum_make)


def linear_operands(rule: MultilinearRule, ops: tuple) -> tuple:
    """Indices of the operands *rule* is linear in (``()`` in the rule: all of them)."""
    return rule.linear or tuple(range(len(ops)))


# ----------------------------------------------------------------------- the types' adapters

def dual_multilinear_impl(rule: MultilinearRule, wrap: Callable, parts: Callable,
                          tagof: Callable) -> Callable:
    """The JVP of *rule* for a "value + partials with a trailing axis" type.

    ``parts(x, tag)`` gives ``(value, partials or None)``, ``tagof(*xs)`` the outermost
    tag (negative: no derivative), ``wrap(value, partials, tag)`` builds the result.
    """
    def impl(*args, **kwargs):
        ops, kw = rule.split(args, kwargs)
        if len(ops) == 1:                        # one operand (prod, max/min): no lists
            tag = tagof(ops[0])
            if tag < 0:
                return rule.apply(*ops, **kw)
            v, p = parts(ops[0], tag)
            return wrap(rule.apply(v, **kw), rule.jvp((v,), (p,), **kw), tag)
        lin = linear_operands(rule, ops)
        tag = tagof(*[ops[i] for i in lin])
        if tag < 0:
            return rule.apply(*ops, **kw)
        vp = [parts(o, tag) if i in lin else (o, None) for i, o in enumerate(ops)]
        vals = tuple(v for v, _ in vp)
        return wrap(rule.apply(*vals, **kw), rule.jvp(vals, [p for _, p in vp], **kw), tag)
    return impl


def tape_multilinear_ops(apply_op: Callable, table: dict | None = None) -> list:
    """``(func, impl, key, forward, vjp)`` per entry of *table* (default: MULTILINEAR), for
    the reverse tape: the forward is the entry's function, the VJP its transpose."""
    res = []
    for func, rule in (MULTILINEAR if table is None else table).items():
        def impl(*args, _r=rule, **kwargs):
            ops, kw = _r.split(args, kwargs)
            return apply_op(_r.key, ops, kw)
        fwd = (lambda r: lambda *ops, **kw: r.apply(*ops, **kw))(rule)
        vjp = (lambda r: lambda g, ans, i, *ops, **kw: r.transpose(g, ops, i, **kw))(rule)
        res.append((func, impl, rule.key, fwd, vjp))
    return res
