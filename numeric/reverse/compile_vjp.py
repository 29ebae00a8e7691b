"""Compiled VJPs of an ODE right-hand side: the adjoint system of ``f(u, p, t)`` as one numba kernel.

:func:`vjp_rhs` records ``f`` once on a tape (:mod:`numeric.reverse.record`, at the
values of ``u``, ``p`` and ``t``; every comparison becomes a guard) and generates a
numba function

    rhs(z, pp, t) -> dz

on the augmented float state of a continuous adjoint, ``z = [u (n), lambda (n), mu (m)]``,
with the parameters' values in ``pp = [p (m), flag]``:

    dz = [f(u, p, t),  -lambda^T f_u,  -lambda^T f_p].

That is the right-hand side of the backsolve adjoint as it stands, and the adjoint
part alone (``u`` read from the forward solution) of the interpolating and
quadrature adjoints. ``mu`` is not read (the adjoint does not depend on it).

The code is generated from the rules table exactly as :mod:`numeric.reverse.compile_jvp`
generates a JVP: the forward sweep computes each node's value and the local partials
of its arguments that depend on ``u`` or ``p`` (``rule_code`` on symbols), the backward
sweep accumulates the adjoints in reverse order, seeded by ``lambda`` at the outputs.
It is NaN-safe as the interpreted tape: a zero adjoint contributes exactly zero (except
for ``+ - *``, whose partials are finite wherever the values are).

Guards. When a recorded comparison comes out differently at the point ``rhs`` is
called, ``rhs`` writes the guard's number into ``pp[-1]`` and returns NaNs; the
caller sees the flag and takes the generic path. It never returns the derivative
of the other branch.

Every kernel has the signature :data:`~numeric.reverse.compile_jvp.SIGNATURE`, so the
compiled explicit Runge-Kutta loop runs it by function pointer (compiled once for
all kernels); the source is cached on disk by :func:`~numeric.reverse.compile.load_source`.

Examples
--------
>>> import numpy as np
>>> def decay(u, p, t):
...     return np.array([-p[0] * u[0] * u[0]])
>>> k = vjp_rhs(decay, np.array([2.0]), np.array([0.5]), 0.0)
>>> k.rhs(np.array([2.0, 3.0, 0.0]), np.array([0.5, 0.0]), 0.0)   # [-p u^2, 2 p u lam, u^2 lam]
array([-2.,  6., 12.])
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from numeric.reverse.compile import ScalarProgram, SlotRef, const_code, rule_code, \
    COMPARE_OPS
from numeric.reverse.compile_jvp import MAX_NODES, _FINITE_PARTIALS, _record, object_leaves, kernel_module, loaded, \
    program_key
from numeric.reverse.vjp_loop import vjp_loop_source

__all__ = ["vjp_rhs", "VJPKernel", "vjp_source"]

_SOURCES: dict = {}  # (recorded program, output, n, m) -> kernel source
# above MAX_NODES operations the kernel is the tape interpreter (numeric.reverse.vjp_loop): its
# compile time does not grow with the tape, only the recording's and the lowering's
MAX_LOOP_NODES = 1_000_000


@dataclass
class VJPKernel:
    """A compiled ``rhs(z, pp, t)`` (module docstring), its source and what it cost."""

    rhs: Callable
    source: str
    n: int
    m: int
    nodes: int
    record_seconds: float
    load_seconds: float


def _forward_lines(prog: ScalarProgram, n: int, m: int) -> tuple[list, dict, set]:
    """Forward sweep: values, live partials ``(arg slot, code name)`` per rule slot, live slots."""
    lines, partials, live = [], {}, set()
    guard_no = 0

    def v(a):
        return f"v{int(a)}" if isinstance(a, SlotRef) else const_code(a)

    for it in prog.items:
        kind, s = it[0], it[1]
        if kind == "input":
            i = it[2]
            lines.append(f"    v{s} = z[{i}]" if i < n else f"    v{s} = pp[{i - n}]" if i < n + m
                         else f"    v{s} = t")
            if i < n + m:
                live.add(s)
        elif kind == "const":
            lines.append(f"    v{s} = {it[2]!r}")
        elif kind == "rule":
            args = it[3]
            val, parts = rule_code(it[2], [v(a) if isinstance(a, SlotRef) else a for a in args], f"v{s}")
            lines.append(f"    v{s} = {val}")
            ps = []
            for j, (a, d) in enumerate(zip(args, parts)):
                if isinstance(a, SlotRef) and int(a) in live:
                    lines.append(f"    d{s}_{j} = {d}")
                    ps.append((int(a), f"d{s}_{j}"))
            if ps:
                live.add(s)
                partials[s] = (it[2], ps)
        elif kind == "guard":
            name, args, outcome = it[2], it[3], it[4]
            cond = f"({v(args[0])} != 0.0)" if name == "truth" else \
                f"({v(args[0])} {COMPARE_OPS[name]} {v(args[1])})"
            guard_no += 1
            lines += [f"    if {cond} != {bool(outcome)}:", f"        pp[{m}] = {float(guard_no)}",
                      "        out[:] = np.nan", "        return out"]
    return lines, partials, live


def vjp_source(prog: ScalarProgram, n: int, m: int) -> str:
    """The numba source of ``rhs(z, pp, t)`` for a lowered program of inputs ``[u, p, t]``."""
    return kernel_module(vjp_lines(prog, n, m))


def vjp_lines(prog: ScalarProgram, n: int, m: int) -> list[str]:
    """The body of ``rhs(z, pp, t)`` as straight-line statements (:func:`vjp_source`)."""
    lines = [f"    out = np.zeros({2 * n + m})"]
    fwd, partials, live = _forward_lines(prog, n, m)
    lines += fwd
    for j, o in enumerate(prog.outputs):
        lines.append(f"    out[{j}] = {f'v{int(o)}' if isinstance(o, SlotRef) else const_code(o)}")
    assigned: set = set()

    def add(slot: int, term: str) -> None:
        lines.append(f"    a{slot} {'+=' if slot in assigned else '='} {term}")
        assigned.add(slot)

    for j, o in enumerate(prog.outputs):            # the seed: lambda at the outputs
        if isinstance(o, SlotRef) and int(o) in live:
            add(int(o), f"z[{n + j}]")
    for it in reversed(prog.items):
        s = it[1]
        if it[0] != "rule" or s not in assigned or s not in partials:
            continue
        name, ps = partials[s]
        for a, d in ps:
            add(a, f"a{s} * {d}" if name in _FINITE_PARTIALS else f"(a{s} * {d} if a{s} != 0.0 else 0.0)")
    for it in prog.items:
        if it[0] == "input" and it[2] < n + m and it[1] in assigned:
            lines.append(f"    out[{n + it[2]}] -= a{it[1]}")   # u_i -> n + i, p_i -> 2n + i
    lines.append("    return out")
    return lines


def vjp_rhs(f: Callable, u0: Any, p0: np.ndarray, t0: float, p_struct: Callable | None = None) -> VJPKernel:
    """Record *f* at ``(u0, p0, t0)`` and compile its adjoint kernel (module docstring).

    Parameters
    ----------
    f : callable ``f(u, p, t)`` returning an array like ``u`` (or a scalar for a scalar ``u``)
    u0 : float or 1-D float64 array, the state's values (n)
    p0 : 1-D float64 array, the differentiated parameters' flat values (m, may be 0)
    t0 : float
    p_struct : callable turning the m recorded scalars into the ``p`` that *f* expects
        (default: a 1-D object array of them)

    Up to ``MAX_NODES`` recorded operations the kernel is straight-line code; above, the tape
    interpreter of :mod:`numeric.reverse.vjp_loop` (same results up to the order of the adjoint
    sums, faster to compile, slower per call).

    Raises NotImplementedError (with the reason) when *f* does not record as a scalar
    program of at most ``MAX_LOOP_NODES`` operations, and
    :class:`~numeric.reverse.tracked.GuardError` when it reads a value without a guard.
    """
    scalar_u = np.ndim(u0) == 0
    u = np.atleast_1d(np.asarray(u0, dtype=np.float64))
    p0 = np.atleast_1d(np.asarray(p0, dtype=np.float64)).reshape(-1)
    start = time.perf_counter()
    rec = _record(f, u, p_struct or object_leaves, p0, t0, scalar_u)
    if rec.unguarded is not None:
        raise NotImplementedError(f"f read a value without a guard while recording ({rec.unguarded})")
    if len(rec) > MAX_LOOP_NODES:
        raise NotImplementedError(f"f records {len(rec)} scalar operations (more than {MAX_LOOP_NODES})")
    key = (program_key(rec), u.size, p0.size)
    source = _SOURCES.get(key)
    if source is None:
        prog = ScalarProgram(rec, vector_output=True)
        if len(prog.outputs) != u.size:
            raise NotImplementedError(f"f returned {len(prog.outputs)} values for a state of {u.size}")
        make = vjp_source if len(rec) <= MAX_NODES else vjp_loop_source   # straight-line code or the loop
        source = _SOURCES[key] = make(prog, u.size, p0.size)
    recorded = time.perf_counter() - start
    start = time.perf_counter()
    rhs = loaded(source)
    return VJPKernel(rhs, source, u.size, p0.size, len(rec), recorded, time.perf_counter() - start)
