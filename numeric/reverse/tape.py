"""The tape: a flat record of a program's operations, and the backward pass.

Each operation on a tracked number appends one *node*. A node with at most
two parents (every scalar rule of :mod:`numeric.rules` but ``clip``) is
stored in four flat columns

    p1[k], p2[k]   indices of the parents (-1: none)
    d1[k], d2[k]   local partial derivatives d node_k / d parent

so a 10^6-node scalar tape costs a few tens of bytes per node. Any other node
(array operations, three-argument rules, custom rules) has ``p1[k] == GENERAL``
and keeps ``(parents, vjp)`` in ``d1[k]``, where ``vjp(g)`` returns one
contribution per parent (``None`` for none).

The backward pass is a loop from the last node to the first, never a
recursion, so its depth is not bounded by Python's recursion limit. It only
uses ``+`` and ``*`` on the adjoints, so when the local partials are
themselves tracked numbers of an older tape (reverse over reverse) or duals
(forward over reverse) the backward pass is itself differentiated.

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

from array import array
from typing import Any, Callable, Iterable

from numeric.protocol import new_order

__all__ = ["Tape", "GENERAL", "LEAF"]

LEAF = -1
GENERAL = -2


class Tape:
    """A list of nodes with local partials, and a backward sweep over it.

    Parameters
    ----------
    record : bool
        Also keep the *program* (operation names, arguments, guards), so
        that the tape can be replayed at new inputs (:mod:`numeric.reverse.record`).
    """

    __slots__ = ("order", "p1", "p2", "d1", "d2", "program", "derived")

    def __init__(self, record: bool = False):
        self.order = new_order()
        self.p1 = array("q")
        self.p2 = array("q")
        self.d1: list = []
        self.d2: list = []
        self.program: list | None = [] if record else None
        self.derived: dict | None = {} if record else None

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
        n = len(self.d1)
        adj: list = [None] * n
        top = -1
        for i, g in seeds:
            adj[i] = g if adj[i] is None else adj[i] + g
            top = max(top, i)
        p1, p2, d1, d2 = self.p1, self.p2, self.d1, self.d2
        for k in range(top, -1, -1):
            g = adj[k]
            if g is None:
                continue
            a = p1[k]
            if a >= 0:
                adj[k] = None
                c = g * d1[k]
                adj[a] = c if adj[a] is None else adj[a] + c
                b = p2[k]
                if b >= 0:
                    c = g * d2[k]
                    adj[b] = c if adj[b] is None else adj[b] + c
            elif a == GENERAL:
                adj[k] = None
                if type(g) is _OwnedArray:
                    g = g.data
                parents, vjp = d1[k]
                for p, c in zip(parents, vjp(g)):
                    if c is None:
                        continue
                    if isinstance(c, _ScatterAdd):
                        adj[p] = c.into(adj[p])
                    else:
                        adj[p] = c if adj[p] is None else adj[p] + c
        return adj


class _ScatterAdd:
    """A sparse contribution: *g* added at *index* of an array of *shape*.

    Used by indexing with a scalar result, so that reading n single elements
    of an array costs O(n) in the backward pass, not O(n * size). The
    accumulator array is created by the pass itself and so may be updated
    in place.
    """

    __slots__ = ("index", "g", "shape", "dtype")

    def __init__(self, index, g, shape, dtype):
        self.index, self.g, self.shape, self.dtype = index, g, shape, dtype

    def into(self, acc):
        import numpy as np

        if acc is None:
            acc = _OwnedArray(np.zeros(self.shape, dtype=self.dtype))
        elif not isinstance(acc, _OwnedArray):
            acc = _OwnedArray(np.array(acc, dtype=self.dtype, copy=True))
        acc.data[self.index] += self.g
        return acc


class _OwnedArray:
    """An adjoint accumulator owned by one backward pass (safe to update in place)."""

    __slots__ = ("data",)

    def __init__(self, data):
        self.data = data

    def __add__(self, other):
        if isinstance(other, _OwnedArray):
            other = other.data
        self.data += other
        return self

    __radd__ = __add__


def finish(adjoint: Any) -> Any:
    """The plain adjoint (an owned accumulator unwrapped)."""
    return adjoint.data if isinstance(adjoint, _OwnedArray) else adjoint
