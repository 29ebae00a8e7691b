"""Recorded tapes: trace a function once, replay it at new inputs.

``record(f, x0)`` runs *f* once on tracked inputs and keeps its *program*:
every operation (rule or array operation) with references to the nodes it
read, every constant, and every comparison the program made on a tracked
value. Replaying runs that program at a new input without calling *f*
(no Python of the user's function runs again), and a backward sweep gives
the gradient. For a float or float-array input the replay runs on plain
values straight from the tape's columns, with no tracked numbers
(:mod:`numeric.reverse.replay`): a scalar-heavy program replays several
times faster than it traces. Other inputs (mpf, duals, tracked numbers of
an outer call) replay by re-running the program on tracked numbers.

Guards. A recorded program is only valid for inputs that take the same
branches. Every comparison of a tracked scalar (``x > 0``, ``bool(x)``)
is stored with its outcome; replay re-evaluates it and raises
:class:`~numeric.reverse.tracked.GuardError` when the outcome differs,
instead of silently returning the derivative of the other branch (the
known failure of ReverseDiff's compiled tapes and ``jax.jit`` traces made
with concrete values). Array comparisons (``x > 0`` on a tracked array
feeding ``np.where``, or a mask ``x[x > 0]``) are recorded as nodes and
recomputed on replay, so they need no guard. Values taken out on purpose with ``nm.value`` are
constants of the recording.

Examples
--------
>>> import numeric as nm, numeric.reverse as rv
>>> def f(x):
...     return x * x if x > 0 else -x
>>> tape = rv.record(f, 2.0)
>>> tape.gradient(3.0)
6.0
>>> try:
...     tape.gradient(-1.0)
... except rv.GuardError as e:
...     print("guard")
guard
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from numeric.protocol import value as primal
from numeric.reverse.api import _as_input, _is_array_input, _leaf_adjoint, _seed_one, argument, \
    leaf_gradient, lift, output_nodes
from numeric.reverse.replay import COMPARE, NotPlain, Replay
from numeric.reverse.tape import Tape
from numeric.reverse.tracked import GuardError, Ref, apply_op, is_tracked, resolve_params
from numeric.rules import lookup

__all__ = ["record", "RecordedTape"]

_SYMBOL = {"lt": "<", "le": "<=", "gt": ">", "ge": ">=", "eq": "==", "ne": "!="}


def record(f: Callable, x0: Any) -> "RecordedTape":
    """Record *f* at *x0*; the result replays at new inputs (value, gradient, compile).

    Examples
    --------
    >>> import numpy as np, numeric.reverse as rv
    >>> t = rv.record(lambda x: np.sum(x ** 2), np.ones(3))
    >>> t.gradient(np.array([1.0, 2.0, 3.0]))
    array([2., 4., 6.])
    """
    x0 = _as_input(x0, "record")
    tape = Tape(record=True)
    xt = lift(x0, tape)
    y = output_nodes(f(argument(xt)), tape, "record")
    if isinstance(y, np.ndarray) and y.dtype == object:
        out = np.asarray([Ref(e.index) if is_tracked(e) and e.tape is tape else e
                          for e in y.flat], dtype=object).reshape(y.shape)
    elif is_tracked(y) and y.tape is tape:
        out = Ref(y.index)
    else:
        out = y
    rec = RecordedTape(tape.program, xt.index, out, x0, len(tape), tape.p1, tape.p2)
    rec.unguarded = tape.unguarded
    return rec


class RecordedTape:
    """A recorded program: replay it with :meth:`value`, :meth:`gradient`, :meth:`compile`.

    Attributes
    ----------
    program : list
        One entry per node (``("rule", k, name, args)``, ``("op", k, name,
        args, params)``, ``("const", k, value)``, ``("compare", k, ...)``)
        and per guard (``("guard", at, name, args, outcome)``).
    """

    def __init__(self, program: list, input_index: int, output: Any, x0: Any, nnodes: int,
                 p1: list | None = None, p2: list | None = None):
        self.program = program
        self.input_index = input_index
        self.output = output
        self.nnodes = nnodes
        self._input_shape = tuple(np.shape(x0)) if _is_array_input(x0) else None
        self._input_dtype = getattr(x0, "dtype", None)
        self._columns = (p1, p2)
        self._replay: Any = None       # the plain-value replay, built on first use
        self._x0 = np.array(x0, copy=True) if _is_array_input(x0) else x0
        # why this recording may replay only at x0 (a value read without a guard), or None
        self.unguarded: str | None = None

    def _plain_replay(self, x: Any):
        """The :class:`~numeric.reverse.replay.Replay` for input *x*, or None (tracked replay)."""
        t = type(x)
        if not (t is float or isinstance(x, np.floating) or (t is np.ndarray and x.dtype.kind == "f")):
            return None
        if self._replay is None:
            p1, p2 = self._columns
            try:
                self._replay = Replay(self.program, p1, p2, self.input_index) if p1 is not None \
                    else False
            except NotPlain:
                self._replay = False
        return self._replay or None

    def _output_node(self):
        """(node index or None, constant output) of the recorded output."""
        out = self.output
        if isinstance(out, np.ndarray) and out.dtype == object and out.size == 1:
            out = out.reshape(-1)[0]
        if type(out) is Ref:
            return out.k, None
        return None, out

    def __len__(self) -> int:
        return self.nnodes

    @property
    def guards(self) -> list:
        return [e for e in self.program if e[0] == "guard"]

    def __repr__(self):
        return (f"RecordedTape({self.nnodes} nodes, {len(self.guards)} guards, input shape "
                f"{self._input_shape if self._input_shape is not None else 'scalar'})")

    # -- replay -------------------------------------------------------------------------
    def _check_input(self, x):
        x = _as_input(x, "RecordedTape")
        shape = tuple(np.shape(x)) if _is_array_input(x) else None
        if shape != self._input_shape:
            raise ValueError(f"this tape was recorded for input shape {self._input_shape} "
                             f"(None: a scalar), got {shape}; record a new tape")
        if self.unguarded is not None and not _same_input(x, self._x0):
            raise GuardError(_unguarded_message(self.unguarded))
        return x

    def _run(self, x: Any, tape: Tape):
        env: list = [None] * self.nnodes
        xt = lift(x, tape)
        env[self.input_index] = xt

        def arg(r):
            return env[r.k] if type(r) is Ref else r

        for e in self.program:
            kind = e[0]
            if kind == "rule":
                refs = e[3]
                f = lookup(e[2]).function
                if len(refs) == 2:
                    a, b = refs
                    env[e[1]] = f(env[a.k] if type(a) is Ref else a, env[b.k] if type(b) is Ref else b)
                else:
                    env[e[1]] = f(*[arg(r) for r in refs])
            elif kind == "op":
                env[e[1]] = apply_op(e[2], tuple(arg(r) for r in e[3]), resolve_params(e[4], env))
            elif kind == "const":
                env[e[1]] = e[2]
            elif kind == "compare":
                a, b = (arg(r) for r in e[3])
                env[e[1]] = COMPARE[e[2]](primal(a), primal(b))
            elif kind == "guard":
                a, b = (arg(r) for r in e[3])
                got = bool(COMPARE[e[2]](primal(a), primal(b)))
                if got != e[4]:
                    raise GuardError(_guard_message(e, got))
        out = self.output
        if isinstance(out, Ref):
            y = env[out.k]
        elif isinstance(out, np.ndarray) and out.dtype == object:
            y = np.asarray([arg(r) for r in out.flat], dtype=object).reshape(out.shape)
        else:
            y = out
        return xt, y

    def value(self, x: Any) -> Any:
        """f(x) from the recorded program (no call of f)."""
        x = self._check_input(x)
        rep = self._plain_replay(x)
        if rep is not None:
            vals = rep.run(x)[0]
            out = self.output
            if type(out) is Ref:
                return vals[out.k]
            if isinstance(out, np.ndarray) and out.dtype == object:
                y = [vals[r.k] if type(r) is Ref else r for r in out.flat]
                return np.asarray(y).reshape(out.shape) if all(
                    isinstance(e, (float, int, np.generic)) for e in y) else np.asarray(
                    y, dtype=object).reshape(out.shape)
            return out
        _, y = self._run(x, Tape())
        return primal(y)

    def value_and_gradient(self, x: Any) -> tuple:
        """``(f(x), gradient)`` by replay and one backward sweep.

        For a float or float-array input the recorded program runs on plain
        values straight from the tape (:mod:`numeric.reverse.replay`); other
        inputs replay on tracked numbers.
        """
        x = self._check_input(x)
        rep = self._plain_replay(x)
        if rep is not None:
            node, const = self._output_node()
            vals, p1, d1, d2 = rep.run(x)
            v = vals[self.input_index]
            if node is None:
                return primal(const), leaf_gradient(None, v, x)
            y = vals[node]
            if np.ndim(y) != 0:
                raise TypeError("gradient needs a scalar-valued function; this tape has shape "
                                f"{np.shape(y)} outputs")
            return y, leaf_gradient(rep.gradient_sweep(p1, d1, d2, node, _seed_one(y)), v, x)
        tape = Tape()
        xt, y = self._run(x, tape)
        if isinstance(y, np.ndarray) and y.dtype == object and y.size == 1:
            y = y.reshape(-1)[0]
        if not (is_tracked(y) and y.tape is tape):
            return primal(y), _leaf_adjoint([None] * len(tape), xt, x)
        if np.ndim(y.value) != 0:
            raise TypeError("gradient needs a scalar-valued function; this tape has shape "
                            f"{np.shape(y.value)} outputs")
        return y.value, _leaf_adjoint(tape.sweep([(y.index, _seed_one(y.value))]), xt, x)

    def gradient(self, x: Any) -> Any:
        """The gradient at *x* by replay and one backward sweep."""
        return self.value_and_gradient(x)[1]

    def compile(self, method: str = "auto"):
        """Compile the recorded program with numba (scalar programs); see :mod:`.compile`."""
        from numeric.reverse.compile import compile_tape

        if self.unguarded is not None:
            raise GuardError(_unguarded_message(self.unguarded))
        return compile_tape(self, method=method)

    def table(self, limit: int = 30) -> str:
        """The program as a small text table (node, operation, arguments, value at x0)."""
        lines = [f"{'node':>5}  {'operation':<12} arguments"]
        for e in self.program[:limit]:
            if e[0] in ("rule", "op", "compare"):
                args = ", ".join(repr(r) if isinstance(r, Ref) else _short(r) for r in e[3])
                extra = "" if e[0] != "op" or not e[4] else "  " + _short(e[4])
                lines.append(f"{'%' + str(e[1]):>5}  {e[2]:<12} {args}{extra}")
            elif e[0] == "const":
                lines.append(f"{'%' + str(e[1]):>5}  {'const':<12} {_short(e[2])}")
            elif e[0] == "guard":
                a, b = e[3]
                lines.append(f"{'':>5}  {'guard':<12} {a!r} {_SYMBOL.get(e[2], e[2])} "
                             f"{_short(b)} is {e[4]}")
        if len(self.program) > limit:
            lines.append(f"  ... {len(self.program) - limit} more entries")
        return "\n".join(lines)


def _short(v: Any) -> str:
    s = repr(v)
    return s if len(s) <= 40 else s[:37] + "..."


def _same_input(x: Any, x0: Any) -> bool:
    try:
        return bool(np.array_equal(x, x0))
    except (TypeError, ValueError):
        return False


def _unguarded_message(why: str) -> str:
    return (f"this recording cannot be replayed at another input: while recording, the function "
            f"read a value without a guard ({why}), so a branch or step choice taken at the "
            f"recording input would be replayed silently; call the function directly (or "
            f"nm.gradient(..., mode='reverse')) at each input, or record again at this input")


def _guard_message(e, got) -> str:
    a, b = e[3]
    cond = f"{a!r} {_SYMBOL.get(e[2], e[2])} {_short(b)}" if e[2] != "truth" else f"bool({a!r})"
    return (f"recorded tape replayed at an input that takes another branch: the condition "
            f"{cond} was {e[4]} when the tape was recorded and is {got} now, so the recorded "
            "operations do not compute this function here. Record a new tape at this input "
            "(rv.record(f, x)) or use nm.gradient(f, x, mode='reverse'), which re-traces.")
