"""Compiled JVPs of an ODE right-hand side: ``f(u, p, t)`` and its derivative in k directions.

:func:`jvp_rhs` records ``f`` once on a tape (:mod:`numeric.reverse.record`, at the
values of ``u0``, ``p`` and ``t0``; every comparison becomes a guard) and generates
a numba function

    rhs(z, pp, t) -> dz

on the augmented float state of a forward sensitivity solve,
``z = [u, S_1, ..., S_k]`` (each block of length n, ``S_l = du/dθ_l``), with
the parameters' values and tangents in ``pp = [p (m), P (m x k, row-major), flag]``:

    dz = [f(u, p, t),  f_u S_l + f_p P_l  (l = 1..k)].

The code is generated from the rules table exactly as :mod:`numeric.reverse.compile`
does for gradients: each rule's value and local partials come from evaluating the rule
on symbols (:class:`~numeric.reverse.compile.Sym`), and the tangent of a node is
``sum_i d_i * tangent(arg_i)`` (NaN-safe: a zero tangent contributes exactly zero, as
in ``Dual``, except for ``+ - *`` whose partials are finite wherever the values are). Tangents are propagated only where they can be non-zero (parameters
without partials and ``t`` carry none).

Guards. When a recorded comparison comes out differently at the point ``rhs`` is
called, ``rhs`` writes the guard's number into ``pp[-1]`` and returns NaNs: the step
is rejected, the solve fails, and the caller sees the flag and takes a generic path.
It never returns the derivative of the other branch.

Long right-hand sides. Above ``MAX_NODES`` recorded operations (or ``MAX_TANGENT_LINES``
tangents) the kernel is the tape interpreter of :mod:`numeric.reverse.jvp_loop` with the
same signature and layout (``method=`` chooses).

The generated source is written to the tape cache directory and imported with
``numba.njit(SIGNATURE, cache=True)`` (:func:`~numeric.reverse.compile.load_source`), so a
later process reuses the machine code; the source is keyed by the recorded program, so a
right-hand side whose constants changed gets a new kernel. Every kernel has the one
signature :data:`SIGNATURE` (contiguous float64 vectors), so a solver loop can take it as a
function pointer and be compiled once for all kernels.

Examples
--------
>>> import numpy as np
>>> def decay(u, p, t):
...     return np.array([-p[0] * u[0]])
>>> k = jvp_rhs(decay, np.array([2.0]), np.array([0.5]), 0.0, m_tangent=np.array([True]), k=1)
>>> k.rhs(np.array([2.0, 0.0]), np.array([0.5, 1.0, 0.0]), 0.0)   # [-p u, -p S - u]
array([-1., -2.])
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from numeric.reverse.compile import HELPERS, ScalarProgram, SlotRef, const_code, load_source, rule_code, \
    COMPARE_OPS
from numeric.reverse.record import record

__all__ = ["jvp_rhs", "JVPKernel", "jvp_source"]

SIGNATURE = "float64[::1](float64[::1], float64[::1], float64)"  # of every kernel: compiled eagerly
MAX_NODES = 2000  # straight-line code; numba's compile time grows quickly beyond this: above, the loop
MAX_LOOP_NODES = 1_000_000  # the tape interpreter (numeric.reverse.jvp_loop): recording and lowering
# rows x directions of the loop kernel in "auto": its tangent sweep is scalar code, the generic
# DualArray path multiplies the partials as matrices (BLAS). A Tsit5 solve of the 1,082-parameter
# UDE (3,201 operations, T = 2.5) took 0.11 / 0.22 / 0.69 / 2.85 s compiled against 0.27 / 0.29 /
# 0.74 / 1.97 s generic for k = 16 / 128 / 384 / 1,082 (load 7 on 2 cores): above about a million
# the generic path is as fast or faster, so "auto" leaves it to that path
MAX_LOOP_TANGENTS = 1_000_000
# recorded operations x directions: the kernel has a line per tangent of every node, so a
# 500-node network with 252 partials (126,000 lines) would keep numba busy for many minutes
MAX_TANGENT_LINES = 40_000
# rules whose local partials are constants or operands, finite wherever the values are: their
# tangent terms need no NaN-safe branch (which doubles numba's compile time of a kernel)
_FINITE_PARTIALS = frozenset({"add", "sub", "neg", "mul"})
_SOURCES: dict = {}  # (recorded program, output, n, m, k, tangent mask) -> kernel source
_LOADED: dict = {}  # kernel source -> its compiled run


@dataclass
class JVPKernel:
    """A compiled ``rhs(z, pp, t)`` (module docstring), its source and what it cost."""

    rhs: Callable
    source: str
    n: int
    m: int
    k: int
    nodes: int
    record_seconds: float
    load_seconds: float
    method: str = "straight"  # or "loop": the tape interpreter of numeric.reverse.jvp_loop


def program_key(rec: Any) -> tuple:
    """What identifies a recording's kernel: its program and output (the text of their entries;
    an array output as the list of its elements and its shape, cheaper to print than the array)."""
    out = rec.output
    if isinstance(out, np.ndarray):
        out = (out.shape, list(out.reshape(-1)))
    return repr(rec.program), repr(out)


def loaded(source: str) -> Callable:
    """The kernel ``run`` of *source*, loaded once per process (:func:`load_source`, disk-cached)."""
    rhs = _LOADED.get(source)
    if rhs is None:
        rhs = _LOADED[source] = load_source(source, cache=True)
    return rhs


def object_leaves(leaves: list) -> np.ndarray:
    """The recorded parameter scalars as a 1-D object array: the default ``p`` of a recording."""
    out = np.empty(len(leaves), dtype=object)
    out[:] = leaves
    return out


def _record(f: Callable, u0: np.ndarray, p_struct: Callable, p0: np.ndarray, t0: float, scalar_u: bool):
    n, m = u0.size, p0.size

    def program(z):
        zs = [z[i] for i in range(n + m + 1)]
        if scalar_u:
            u = zs[0]
        else:
            u = np.empty(n, dtype=object)
            u[:] = zs[:n]
        return f(u, p_struct(zs[n:n + m]), zs[n + m])

    return record(program, np.concatenate([u0, p0, [float(t0)]]))


def kernel_module(body: list[str]) -> str:
    """The module source of ``run(z, pp, t)`` (signature :data:`SIGNATURE`) with *body*, its
    indented statements. One straight-line function: numba compiles it at about 5 ms a statement
    (the 708-operation spiral network's adjoint, 2,680 statements: 12.8 s; cut into functions of
    300 statements it took 36 s), hence ``MAX_NODES`` and the loop kernel above it."""
    return (HELPERS + "import numpy as np\n\n\n"
            f"@numba.njit({SIGNATURE!r}, cache=True, error_model='numpy')\n"
            "def run(z, pp, t):\n" + "\n".join(body) + "\n")


def jvp_source(prog: ScalarProgram, n: int, m: int, k: int, m_tangent: np.ndarray) -> str:
    """The numba source of ``rhs(z, pp, t)`` for a lowered program of inputs ``[u, p, t]``."""
    lines = [f"    out = np.empty({n * (1 + k)})"]
    tan: set = set()  # slots whose tangent may be non-zero
    guard_no = 0

    def v(a):
        return f"v{int(a)}" if isinstance(a, SlotRef) else const_code(a)

    for it in prog.items:
        kind, s = it[0], it[1]
        if kind == "input":
            i = it[2]
            if i < n:
                lines.append(f"    v{s} = z[{i}]")
                lines += [f"    t{s}_{l} = z[{n + l * n + i}]" for l in range(k)]
                tan.add(s)
            elif i < n + m:
                lines.append(f"    v{s} = pp[{i - n}]")
                if m_tangent[i - n]:
                    lines += [f"    t{s}_{l} = pp[{m + (i - n) * k + l}]" for l in range(k)]
                    tan.add(s)
            else:
                lines.append(f"    v{s} = t")
        elif kind == "const":
            lines.append(f"    v{s} = {it[2]!r}")
        elif kind == "rule":
            args = it[3]
            val, parts = rule_code(it[2], [v(a) if isinstance(a, SlotRef) else a for a in args], f"v{s}")
            lines.append(f"    v{s} = {val}")
            live = [(int(a), d) for a, d in zip(args, parts) if isinstance(a, SlotRef) and int(a) in tan]
            if live:
                tan.add(s)
                for j, (_, d) in enumerate(live):
                    lines.append(f"    d{s}_{j} = {d}")
                safe = it[2] not in _FINITE_PARTIALS
                for l in range(k):
                    terms = " + ".join(f"(d{s}_{j} * t{a}_{l} if t{a}_{l} != 0.0 else 0.0)" if safe else
                                       f"d{s}_{j} * t{a}_{l}" for j, (a, _) in enumerate(live))
                    lines.append(f"    t{s}_{l} = {terms}")
        elif kind == "guard":
            name, args, outcome = it[2], it[3], it[4]
            cond = f"({v(args[0])} != 0.0)" if name == "truth" else \
                f"({v(args[0])} {COMPARE_OPS[name]} {v(args[1])})"
            guard_no += 1
            lines += [f"    if {cond} != {bool(outcome)}:", f"        pp[{m + m * k}] = {float(guard_no)}",
                      "        out[:] = np.nan", "        return out"]
    for j, o in enumerate(prog.outputs):
        lines.append(f"    out[{j}] = {v(o)}")
        for l in range(k):
            has = isinstance(o, SlotRef) and int(o) in tan
            lines.append(f"    out[{n + l * n + j}] = {f't{int(o)}_{l}' if has else '0.0'}")
    lines.append("    return out")
    return kernel_module(lines)


def jvp_rhs(f: Callable, u0: Any, p0: np.ndarray, t0: float, m_tangent: np.ndarray, k: int,
            p_struct: Callable | None = None, method: str = "auto") -> JVPKernel:
    """Record *f* at ``(u0, p, t0)`` and compile its JVP kernel (module docstring).

    Parameters
    ----------
    f : callable ``f(u, p, t)`` returning an array like ``u`` (or a scalar for a scalar ``u``)
    u0 : float or 1-D float64 array, the state's values (n)
    p0 : 1-D float64 array, the parameters' flat values (m)
    t0 : float
    m_tangent : bool array (m,), which parameters carry partials
    k : number of directions
    p_struct : callable turning the m recorded scalars into the ``p`` that *f* expects
        (default: a 1-D object array of them)
    method : ``"straight"`` (one statement per value and tangent), ``"loop"`` (the tape
        interpreter of :mod:`numeric.reverse.jvp_loop`: compiles in seconds whatever the
        length, slower per call) or ``"auto"`` (default): straight-line code up to
        ``MAX_NODES`` operations and ``MAX_TANGENT_LINES`` tangents, the loop above, up to
        ``MAX_LOOP_TANGENTS`` operations x directions (beyond, NotImplementedError: the
        generic forward mode is faster).

    Raises NotImplementedError (with the reason) when *f* does not record as a scalar
    program (of at most ``MAX_LOOP_NODES`` operations), and
    :class:`~numeric.reverse.tracked.GuardError` when it reads a value without a guard.
    """
    if method not in ("auto", "straight", "loop"):
        raise ValueError(f"jvp_rhs: method must be 'auto', 'straight' or 'loop', got {method!r}")
    scalar_u = np.ndim(u0) == 0
    u = np.atleast_1d(np.asarray(u0, dtype=np.float64))
    start = time.perf_counter()
    rec = _record(f, u, p_struct or object_leaves, np.asarray(p0, dtype=np.float64), t0, scalar_u)
    if rec.unguarded is not None:
        raise NotImplementedError(f"f read a value without a guard while recording ({rec.unguarded})")
    if len(rec) > MAX_LOOP_NODES:
        raise NotImplementedError(f"f records {len(rec)} scalar operations (more than {MAX_LOOP_NODES})")
    if method == "auto":
        method = "straight" if len(rec) <= MAX_NODES and len(rec) * max(k, 1) <= MAX_TANGENT_LINES else "loop"
        if method == "loop" and len(rec) * max(k, 1) > MAX_LOOP_TANGENTS:
            raise NotImplementedError(f"f records {len(rec)} scalar operations x {k} directions (more than "
                                      f"{MAX_LOOP_TANGENTS:,}: the generic path's matrix products are faster "
                                      "than the tape-interpreter kernel there)")
    mask = np.asarray(m_tangent, dtype=bool)
    key = (program_key(rec), u.size, np.size(p0), k, mask.tobytes(), method)
    source = _SOURCES.get(key)
    if source is None:
        prog = ScalarProgram(rec, vector_output=True)
        if len(prog.outputs) != u.size:
            raise NotImplementedError(f"f returned {len(prog.outputs)} values for a state of {u.size}")
        if method == "loop":
            from numeric.reverse.jvp_loop import jvp_loop_source

            source = jvp_loop_source(prog, u.size, np.size(p0), k, mask)
        else:
            source = jvp_source(prog, u.size, np.size(p0), k, mask)
        _SOURCES[key] = source
    recorded = time.perf_counter() - start
    start = time.perf_counter()
    rhs = loaded(source)
    return JVPKernel(rhs, source, u.size, np.size(p0), k, len(rec), recorded, time.perf_counter() - start,
                     method)
