"""Replaying a recorded program on plain values, straight from the tape columns.

A :class:`~numeric.reverse.record.RecordedTape` keeps the program of a
recording (one entry per node: the rule or array operation and the nodes it
read) and the tape's parent columns ``p1``/``p2``. :class:`Replay` turns the
program once into a list of *steps* with everything that does not depend on
the input resolved: the rule's function and partials, which arguments are
nodes and which constants, the partials that are constants (+-1 of add,
sub, neg, read off the rules table by :func:`numeric.rules.constant_partial`)
written into a template column.

A replay is then two loops and no tracked numbers:

1. the **forward sweep** runs the steps on plain values (floats, float
   arrays): each node's value, and its local partials
   ``rule.partials[i](ans, *args)`` into the columns ``d1``/``d2`` (scalar
   rules), an ELEMENTWISE record (array rules) or a VJP closure (array
   operations, from :mod:`numeric.reverse.arrayops`), checking every guard;
2. the **backward sweep** is :func:`numeric.reverse.tape.backward` over the
   recorded parent columns and the fresh partial columns.

Only inputs of the recorded kind replay this way (a float or a float array);
any other input (an mpf, a dual, a tracked number of an outer call) replays
by re-running the program on tracked numbers, which is slower but as general
as tracing.

Examples
--------
>>> import numeric as nm, numeric.reverse as rv
>>> tape = rv.record(lambda x: nm.sin(x) * x, 1.0)
>>> bool(abs(tape.gradient(0.5) - (nm.cos(0.5) * 0.5 + nm.sin(0.5))) < 1e-15)
True
"""

from __future__ import annotations

import operator
from typing import Any

import numpy as np

from numeric.reverse.tape import ELEMENTWISE, GENERAL, LEAF, backward
from numeric.reverse.tracked import (GuardError, OPS, Ref, elementwise_record, op_vjp,
                                     params_have_refs, resolve_params)
from numeric.rules import SINGULAR, constant_partial, ieee_call, lookup

__all__ = ["Replay", "COMPARE"]

COMPARE = {"lt": operator.lt, "le": operator.le, "gt": operator.gt, "ge": operator.ge,
           "eq": operator.eq, "ne": operator.ne, "truth": lambda a, b: bool(a)}

# step codes
_UNARY, _BINARY, _RULE, _OP, _CONST, _COMPARE, _GUARD = range(7)
_PLAIN_TYPES = (bool, int, float, complex, str, slice, type(None), type(Ellipsis), np.generic,
                np.dtype)


class NotPlain(Exception):
    """The program holds a constant that is not a plain value (replay it on tracked numbers)."""


def _constant(c: Any) -> Any:
    if isinstance(c, Ref):
        return c
    if isinstance(c, _PLAIN_TYPES) or type(c).__module__.startswith("mpmath"):
        return c
    if isinstance(c, np.ndarray) and c.dtype != object:
        return c
    if isinstance(c, (tuple, list)):
        for e in c:
            _constant(e)
        return c
    raise NotPlain(type(c).__name__)


def _arg(r: Any) -> tuple:
    """(node index or -1, constant)."""
    if type(r) is Ref:
        return r.k, None
    return -1, _constant(r)


class Replay:
    """The steps of a recorded program, ready to run on plain values.

    Parameters
    ----------
    program : list
        The recorded program (see :class:`~numeric.reverse.record.RecordedTape`).
    p1, p2 : list
        The parent columns of the recording tape.
    input_index : int
        The node of the input.

    Raises
    ------
    NotPlain
        When a constant of the program is not a plain value.
    """

    def __init__(self, program: list, p1: list, p2: list, input_index: int):
        n = len(p1)
        self.n = n
        self.input_index = input_index
        self.p1 = list(p1)
        self.p2 = list(p2)
        self.d1 = [None] * n          # templates: constant partials filled in once
        self.d2 = [None] * n
        steps = []
        for e in program:
            kind = e[0]
            if kind == "rule":
                steps.append(self._rule_step(e[1], lookup(e[2]), e[3]))
            elif kind == "op":
                args = [_arg(r) for r in e[3]]
                pos = tuple(i for i, r in enumerate(e[3]) if type(r) is Ref)
                parents = tuple(e[3][i].k for i in pos)
                for v in e[4].values():
                    _constant(v)
                steps.append((_OP, e[1], OPS[e[2]], args, pos, parents, e[4],
                              params_have_refs(e[4])))
            elif kind == "const":
                steps.append((_CONST, e[1], _constant(e[2])))
            elif kind == "compare":
                steps.append((_COMPARE, e[1], COMPARE[e[2]], [_arg(r) for r in e[3]]))
            elif kind == "guard":
                steps.append((_GUARD, e, COMPARE[e[2]], [_arg(r) for r in e[3]], e[4]))
            else:
                raise ValueError(f"unknown program entry {kind!r}")
        self.steps = steps

    def _rule_step(self, k: int, rule, refs: tuple) -> tuple:
        args = [_arg(r) for r in refs]
        pos = [i for i, (j, _) in enumerate(args) if j >= 0]
        if self.p1[k] >= 0 and len(refs) <= 2:
            # a scalar node: parents fixed by the recording, partials into d1 (first tracked
            # argument) and d2 (second); constant partials are written once into the template
            fns = []
            for col, i in zip((self.d1, self.d2), pos):
                p = rule.partials[i]
                c = constant_partial(p, rule.nargs)
                if c is not None:
                    col[k] = c
                    fns.append(None)
                else:
                    fns.append(p)
            fns += [None] * (2 - len(fns))
            if len(refs) == 1:
                return (_UNARY, k, rule.function, args[0][0], fns[0])
            (ia, ca), (ib, cb) = args
            return (_BINARY, k, rule.function, ia, ca, ib, cb, fns[0], fns[1])
        return (_RULE, k, rule, args, tuple(pos))

    def run(self, x: Any) -> tuple:
        """The forward sweep at input *x*: (values, p1, d1, d2) (raises GuardError)."""
        vals: list = [None] * self.n
        vals[self.input_index] = x
        p1 = self.p1
        d1 = self.d1.copy()
        d2 = self.d2.copy()
        changed_p1 = None
        for st in self.steps:
            code = st[0]
            if code == _BINARY:
                _, k, f, ia, ca, ib, cb, q1, q2 = st
                a = vals[ia] if ia >= 0 else ca
                b = vals[ib] if ib >= 0 else cb
                try:
                    ans = vals[k] = f(a, b)
                    if q1 is not None:
                        d1[k] = q1(ans, a, b)
                    if q2 is not None:
                        d2[k] = q2(ans, a, b)
                except SINGULAR:          # a singular point: IEEE values, as when recorded
                    ans = vals[k] = ieee_call(f, (a, b))
                    if q1 is not None:
                        d1[k] = ieee_call(q1, (ans, a, b))
                    if q2 is not None:
                        d2[k] = ieee_call(q2, (ans, a, b))
            elif code == _UNARY:
                _, k, f, ia, q1 = st
                a = vals[ia]
                try:
                    ans = vals[k] = f(a)
                    if q1 is not None:
                        d1[k] = q1(ans, a)
                except SINGULAR:
                    ans = vals[k] = ieee_call(f, (a,))
                    if q1 is not None:
                        d1[k] = ieee_call(q1, (ans, a))
            elif code == _RULE:
                _, k, rule, args, pos = st
                v = [vals[j] if j >= 0 else c for j, c in args]
                try:
                    ans = vals[k] = rule.function(*v)
                except SINGULAR:
                    ans = vals[k] = ieee_call(rule.function, tuple(v))
                kind, rec = elementwise_record(rule, ans, v, pos, [args[i][0] for i in pos])
                if kind != p1[k]:
                    if changed_p1 is None:
                        changed_p1 = p1 = p1.copy()
                    p1[k] = kind
                d1[k] = rec
            elif code == _OP:
                _, k, op, args, pos, parents, params, refs = st
                if refs:
                    params = resolve_params(params, vals)
                v = tuple([vals[j] if j >= 0 else c for j, c in args])
                ans = vals[k] = op.forward(*v, **params)
                d1[k] = (parents, op_vjp(op, ans, v, pos, params))
            elif code == _CONST:
                vals[st[1]] = st[2]
            elif code == _COMPARE:
                _, k, f, args = st
                vals[k] = f(*[vals[j] if j >= 0 else c for j, c in args])
            else:
                _, e, f, args, outcome = st
                got = bool(f(*[vals[j] if j >= 0 else c for j, c in args]))
                if got != outcome:
                    from numeric.reverse.record import _guard_message

                    raise GuardError(_guard_message(e, got))
        return vals, p1, d1, d2

    def gradient_sweep(self, p1: list, d1: list, d2: list, out: int, seed: Any) -> Any:
        """The adjoint of the input for output node *out* seeded with *seed*."""
        adj = backward(p1, self.p2, d1, d2, [(out, seed)], last=True)
        return adj[self.input_index]


_ = (ELEMENTWISE, GENERAL, LEAF)
