"""The tape: a flat record of a program's operations, and the backward pass.

Each operation on a tracked number appends one *node* to four flat columns

    p1[k], p2[k]   the parents (-1: none) or a negative code for the node kind
    d1[k], d2[k]   local partial derivatives d node_k / d parent, or the
                   node's record

Kinds (read off ``p1[k]``):

``p1[k] >= 0``  a scalar rule with at most two parents (every scalar rule of
    :mod:`numeric.rules` but ``clip``): the backward pass adds ``g * d1[k]``
    to the adjoint of ``p1[k]`` and ``g * d2[k]`` to that of ``p2[k]``, so a
    10^6-node scalar tape costs a few tens of bytes per node;
``ELEMENTWISE``  an elementwise rule on arrays with at most two parents:
    ``d1[k] = (pa, da, sa, pb, db, sb)`` with parent, partial and the
    parent's shape when broadcasting changed it (``None`` otherwise). A
    partial ``ONE`` / ``MINUS_ONE`` (add, sub, neg: read off the rules table
    by :func:`numeric.rules.constant_partial`) skips the multiplication;
``GENERAL``  any other node (array operations, three-argument rules,
    custom rules): ``d1[k] = (parents, vjp)``, where ``vjp(g)`` returns one
    contribution per parent (``None`` for none);
``LEAF``  an input or a constant.

The backward pass is a loop from the last node to the first, never a
recursion, so its depth is not bounded by Python's recursion limit. It only
uses ``+``, ``-`` and ``*`` on the adjoints, so when the local partials are
themselves tracked numbers of an older tape (reverse over reverse) or duals
(forward over reverse) the backward pass is itself differentiated.

Adjoint arrays that the pass created itself (products, sums, scatter
accumulators) are *owned*: they are updated in place (``+=``, ``*=``)
instead of allocating a new array per contribution. An adjoint shared with
another node (``g`` passed on unchanged by an addition) is never written to.

Tapes are created per differentiation call; a tracked number holds its own
tape, so two threads (or two nested calls) never write to the same tape.

Examples
--------
>>> from numeric.reverse.tape import Tape
>>> t = Tape()
>>> x = t.leaf(); y = t.push2(x, x, 3.0, 3.0)      # y = x * x at x = 3
>>> t.backward([(y, 1.0)])[x]
6.0
"""

from __future__ import annotations

import math
from typing import Any, Callable, Iterable

import numpy as np

from numeric.protocol import new_order

__all__ = ["Tape", "GENERAL", "ELEMENTWISE", "LEAF", "ONE", "MINUS_ONE", "backward", "BasicIndexVJP"]

LEAF = -1
GENERAL = -2
ELEMENTWISE = -3


class _Sign:
    """A constant partial derivative +1 or -1 of an elementwise node."""

    __slots__ = ("sign",)

    def __init__(self, sign: int):
        self.sign = sign

    def __repr__(self):
        return "ONE" if self.sign > 0 else "MINUS_ONE"


ONE = _Sign(1)
MINUS_ONE = _Sign(-1)


class Tape:
    """A list of nodes with local partials, and a backward sweep over it.

    Parameters
    ----------
    record : bool
        Also keep the *program* (operation names, arguments, guards), so
        that the tape can be replayed at new inputs (:mod:`numeric.reverse.record`).
    """

    __slots__ = ("order", "p1", "p2", "d1", "d2", "program", "derived", "unguarded")

    def __init__(self, record: bool = False):
        self.order = new_order()
        self.p1: list = []
        self.p2: list = []
        self.d1: list = []
        self.d2: list = []
        self.program: list | None = [] if record else None
        self.derived: dict | None = {} if record else None
        # the first value taken out of a tracked number without a guard while recording
        # (nm.value, a test of a comparison mask): such a recording replays only at its input
        self.unguarded: str | None = None

    def __len__(self) -> int:
        return len(self.d1)

    def __repr__(self) -> str:
        return f"Tape({len(self)} nodes, order={self.order})"

    # -- appending nodes -------------------------------------------------------
    def leaf(self) -> int:
        """Append an input node; return its index."""
        k = len(self.d1)
        self.p1.append(LEAF)
        self.p2.append(LEAF)
        self.d1.append(None)
        self.d2.append(None)
        return k

    def push1(self, a: int, da: Any) -> int:
        k = len(self.d1)
        self.p1.append(a)
        self.p2.append(LEAF)
        self.d1.append(da)
        self.d2.append(None)
        return k

    def push2(self, a: int, b: int, da: Any, db: Any) -> int:
        k = len(self.d1)
        self.p1.append(a)
        self.p2.append(b)
        self.d1.append(da)
        self.d2.append(db)
        return k

    def push_elementwise(self, record: tuple) -> int:
        """An elementwise array node; *record* is ``(pa, da, sa, pb, db, sb)``.

        A local derivative with a non-finite entry is wrapped in
        :class:`NaNSafe`, so a zero cotangent times it contributes exactly 0.
        """
        da = record[1]
        if type(da) is np.ndarray:
            if not (da.dtype.kind == "f" and da.size < 4096 and _isfinite(_add_reduce(da, None))) \
                    and not _finite(da):
                record = (record[0], NaNSafe(da)) + record[2:]
        db = record[4]
        if type(db) is np.ndarray:
            if not (db.dtype.kind == "f" and db.size < 4096 and _isfinite(_add_reduce(db, None))) \
                    and not _finite(db):
                record = record[:4] + (NaNSafe(db), record[5])
        k = len(self.d1)
        self.p1.append(ELEMENTWISE)
        self.p2.append(LEAF)
        self.d1.append(record)
        self.d2.append(None)
        return k

    def push_general(self, parents: tuple, vjp: Callable[[Any], Iterable]) -> int:
        k = len(self.d1)
        self.p1.append(GENERAL)
        self.p2.append(LEAF)
        self.d1.append((parents, vjp))
        self.d2.append(None)
        return k

    # -- the backward pass -------------------------------------------------------
    def backward(self, seeds: Iterable[tuple[int, Any]]) -> list:
        """Adjoints of every leaf for the given output adjoints.

        Parameters
        ----------
        seeds : iterable of (node index, adjoint)
            The adjoint of each output (a seed given twice is summed).

        Returns
        -------
        list
            ``adj[k]`` for every leaf k (``None`` where the outputs do not
            depend on it). Adjoints of inner nodes are dropped as soon as
            they have been propagated.
        """
        return [a.data if type(a) is _OwnedArray else a for a in self.sweep(seeds)]

    def sweep(self, seeds: Iterable[tuple[int, Any]], last: bool = False) -> list:
        """:meth:`backward` without unwrapping: read an entry with :func:`finish`.

        ``last=True``: this is the tape's last sweep, so the records of array
        nodes are dropped as soon as they are used (their memory is reused by
        the rest of the sweep instead of fresh pages).
        """
        return backward(self.p1, self.p2, self.d1, self.d2, seeds, last)


# scalar cotangent products checked for the NaN-safe rule: Python floats and the NumPy
# scalars an index into a float array gives (np.float64 * inf is an np.float64, not a float)
_FLOATS = frozenset((float, np.float64, np.float32, np.float16, np.longdouble))


def backward(p1: list, p2: list, d1: list, d2: list, seeds: Iterable[tuple[int, Any]],
             last: bool = False) -> list:
    """The backward sweep over tape columns (see the module docstring); a loop, no recursion.

    Entries of the result may be owned accumulators: read them with :func:`finish`.
    ``last``: drop each array node's record once used (the columns are not swept again).
    """
    n = len(d1)
    adj: list = [None] * n
    top = -1
    for i, g in seeds:
        adj[i] = g if adj[i] is None else adj[i] + g
        top = max(top, i)
    for k in range(top, -1, -1):
        g = adj[k]
        if g is None:
            continue
        a = p1[k]
        if a >= 0:
            adj[k] = None
            c = g * d1[k]
            if type(c) in _FLOATS and c != c and g == 0.0:
                c = 0.0                     # zero cotangent x inf/nan partial: exactly zero
            adj[a] = c if adj[a] is None else adj[a] + c
            b = p2[k]
            if b >= 0:
                c = g * d2[k]
                if type(c) in _FLOATS and c != c and g == 0.0:
                    c = 0.0
                adj[b] = c if adj[b] is None else adj[b] + c
        elif a == ELEMENTWISE:
            adj[k] = None
            pa, da, sa, pb, db, sb = d1[k]
            if last:
                d1[k] = None
            owned = type(g) is _OwnedArray
            if owned:
                g = g.data
            if pb >= 0:
                cb, ob = _contribution(g, db, sb, False)
                # g may be overwritten for the first parent only if the second does not alias it
                if owned and (cb is g or (type(cb) is np.ndarray and cb.base is not None)):
                    owned = False
                _accumulate(adj, pb, cb, ob)
            if sa is None and da is ONE:
                _accumulate(adj, pa, g, owned)
            elif sa is None and not owned and type(da) is np.ndarray and type(g) is np.ndarray:
                c = g * da                  # the common product: a fresh array
                _accumulate(adj, pa, c, type(c) is np.ndarray)
            else:
                ca, oa = _contribution(g, da, sa, owned)
                _accumulate(adj, pa, ca, oa)
        elif a == GENERAL:
            adj[k] = None
            if type(g) is _OwnedArray:
                g = g.data
            parents, vjp = d1[k]
            if last:
                d1[k] = None
            for p, c in zip(parents, vjp(g)):
                if c is None:
                    continue
                if type(c) is _ScatterAdd:
                    adj[p] = c.into(adj[p])
                else:
                    _accumulate(adj, p, c, False)
    return adj


_add_reduce = np.add.reduce
_isfinite = math.isfinite


def _finite(d: np.ndarray) -> bool:
    """No inf/nan in *d* (a false alarm from an overflowing sum only costs a wrapper)."""
    kind = d.dtype.kind
    if kind == "f" and d.size < 4096:
        return math.isfinite(_add_reduce(d, None))   # one pass, no temporary
    return kind not in "fc" or bool(np.isfinite(d).all())


class NaNSafe:
    """A local derivative with non-finite entries: ``g * d`` is 0 wherever ``g == 0``.

    ForwardDiff's NaN-safe convention in reverse mode: a structurally zero
    cotangent (``np.where`` masking a singular branch, say) contributes
    exactly zero instead of ``0 * inf = nan``.
    """

    __slots__ = ("d",)
    __array_ufunc__ = None          # ndarray * NaNSafe -> NaNSafe.__rmul__

    def __init__(self, d):
        self.d = d

    def __rmul__(self, g):
        c = g * self.d
        zero = g == 0
        if np.any(zero):
            c = np.where(zero, np.zeros((), dtype=np.result_type(c)), c)
        return c

    __mul__ = __rmul__


def nan_safe(d: Any) -> Any:
    """*d* wrapped in :class:`NaNSafe` when it is a float array with a non-finite entry."""
    if type(d) is np.ndarray and not _finite(d):
        return NaNSafe(d)
    return d


def _fresh(c: Any, g: Any) -> bool:
    """*c* is a NumPy array that this pass just created (no other reference to its memory)."""
    return type(c) is np.ndarray and c is not g and c.base is None


def _contribution(g: Any, d: Any, shape: Any, reuse: bool) -> tuple:
    """``(unbroadcast(g * d, shape), owned)``; *reuse*: g is owned and may be overwritten."""
    if d is ONE:
        c = g
    elif d is MINUS_ONE:
        if reuse:
            c = np.negative(g, out=g)
        else:
            c = -g
    elif reuse and (type(d) is float or type(d) is int or (
            type(d) is np.ndarray and d.dtype == g.dtype and d.shape == g.shape)):
        c = np.multiply(g, d, out=g)
    else:
        c = g * d
    if shape is not None:
        from numeric.reverse.tracked import unbroadcast

        c2 = unbroadcast(c, shape)
        if c2 is not c:
            return c2, _fresh(c2, g)
    return c, (reuse if c is g else _fresh(c, g))


def _accumulate(adj: list, p: int, c: Any, owned: bool) -> None:
    """``adj[p] += c``, in place when the accumulator (or *c*) is owned by this pass."""
    cur = adj[p]
    if cur is None:
        adj[p] = _OwnedArray(c) if owned else c
        return
    tc = type(c)
    if tc is _OwnedArray:
        c, owned, tc = c.data, True, np.ndarray
    if type(cur) is _OwnedArray:
        acc = cur.data
        if tc is np.ndarray and c.shape == acc.shape and c.dtype == acc.dtype:
            acc += c
            return
        cur = acc
    elif owned and type(cur) is np.ndarray and cur.shape == c.shape and cur.dtype == c.dtype:
        c += cur
        adj[p] = _OwnedArray(c)
        return
    new = cur + c
    adj[p] = _OwnedArray(new) if type(new) is np.ndarray else new


class _ScatterAdd:
    """A sparse contribution: *g* added at *index* of an array of *shape*.

    Used by indexing, so that reading n single elements (or slices) of an
    array costs O(n) (the slice sizes) in the backward pass, not O(n *
    size). The accumulator array is created by the pass itself and so may
    be updated in place.
    """

    __slots__ = ("index", "g", "shape", "dtype")

    def __init__(self, index, g, shape, dtype):
        self.index, self.g, self.shape, self.dtype = index, g, shape, dtype

    def into(self, acc):
        shape = tuple(self.shape)
        if acc is None:
            acc = _OwnedArray(np.zeros(shape, dtype=self.dtype))
        elif type(acc) is not _OwnedArray or acc.data.dtype != self.dtype or \
                acc.data.shape != shape:
            base = finish(acc)
            if not (type(base) is np.ndarray or isinstance(base, (float, int, np.generic))):
                dense = np.zeros(shape, dtype=self.dtype)    # a tracked or dual accumulator
                dense[self.index] += self.g
                return base + dense
            new = np.zeros(shape, dtype=np.result_type(self.dtype, base))
            new += base
            acc = _OwnedArray(new)
        acc.data[self.index] += self.g
        return acc


class BasicIndexVJP:
    """The VJP of ``x[index]`` for an int or slice *index* of a float array *x*.

    A small object instead of a closure per node: for a float cotangent it gives the
    sparse :class:`_ScatterAdd` directly (each element is selected at most once); any
    other cotangent (tracked, dual) goes through the generic rule of
    :mod:`numeric.reverse.arrayops`.
    """

    __slots__ = ("index", "shape", "dtype")

    def __init__(self, index, shape, dtype):
        self.index, self.shape, self.dtype = index, shape, dtype

    def __call__(self, g):
        if (type(g) is np.ndarray and g.dtype == self.dtype) or type(g) in _FLOATS:
            return (_ScatterAdd(self.index, g, self.shape, self.dtype),)
        from numeric.reverse.arrayops import scatter_adjoint

        return (scatter_adjoint(g, None, self.index, self.shape, self.dtype),)


class _OwnedArray:
    """An adjoint accumulator owned by one backward pass (safe to update in place)."""

    __slots__ = ("data",)
    __array_ufunc__ = None     # ndarray + owned defers to __radd__

    def __init__(self, data):
        self.data = data

    def __add__(self, other):
        if type(other) is _OwnedArray:
            other = other.data
        data = self.data
        if type(other) is np.ndarray and other.shape == data.shape and other.dtype == data.dtype:
            data += other
            return self
        if isinstance(other, (float, int)) or (isinstance(other, np.generic) and np.result_type(
                data.dtype, other) == data.dtype):
            data += other
            return self
        new = data + other
        return _OwnedArray(new) if type(new) is np.ndarray else new

    __radd__ = __add__


def finish(adjoint: Any) -> Any:
    """The plain adjoint (an owned accumulator unwrapped)."""
    return adjoint.data if type(adjoint) is _OwnedArray else adjoint
