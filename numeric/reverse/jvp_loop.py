"""The tangent (JVP) kernel of a long right-hand side as a numba loop over the tape.

:mod:`numeric.reverse.compile_jvp` writes one statement per value, local partial and tangent
(``k`` per node), which numba compiles at several milliseconds a statement: a network of a
thousand parameters (3,000+ recorded operations) would take minutes, so straight-line code stops
at ``MAX_NODES`` operations and ``MAX_TANGENT_LINES`` tangents. Above, the kernel

    rhs(z, pp, t) -> [f(u, p, t),  f_u S_l + f_p P_l  (l = 1..k)]

(the layout of :mod:`numeric.reverse.compile_jvp`: ``z = [u, S_1, ..., S_k]``,
``pp = [p (m), P (m x k, row-major), flag]``) runs the tape interpreter's forward sweep
(values and local partials from the rules table; tables and sweep shared with the adjoint kernel,
:mod:`numeric.reverse.loop_kernel`) and then a tangent sweep in row order,
``T[r, l] = sum_i d_i[r] T[arg_i(r), l]``, over the rows whose tangent can be non-zero (those
depending on ``u`` or on a parameter with partials: the frozen ``LIVE`` array, decided when the
source is written). A zero tangent contributes exactly zero (NaN-safe, as ``Dual``). Compile time
does not grow with the tape nor with k; a call costs about ``rows x k`` multiply-adds.

A failed guard writes its row + 1 into ``pp[m + m k]`` and returns NaNs, as the straight-line
kernel does with its guard number.

Examples
--------
>>> import numpy as np
>>> from numeric.reverse.compile import ScalarProgram, load_source
>>> from numeric.reverse.compile_jvp import _record, object_leaves
>>> rec = _record(lambda u, p, t: np.array([-p[0] * u[0] * u[0]]), np.array([2.0]), object_leaves,
...               np.array([0.5]), 0.0, False)
>>> prog = ScalarProgram(rec, vector_output=True)
>>> rhs = load_source(jvp_loop_source(prog, 1, 1, 1, np.array([True])), cache=True)
>>> rhs(np.array([2.0, 3.0]), np.array([0.5, 1.0, 0.0]), 0.0)   # [-p u^2, -2 p u S - u^2]
array([ -2., -10.])
"""

from __future__ import annotations

import numpy as np

from numeric.reverse.compile import ScalarProgram
from numeric.reverse.loop_kernel import LoopTables, frozen, frozen_tables, kernel_head

__all__ = ["jvp_loop_source", "live_rows"]


def live_rows(tables: LoopTables, n: int, m: int, m_tangent: np.ndarray) -> np.ndarray:
    """1 for the rows whose tangent may be non-zero: inputs of ``u``, of parameters with partials
    (*m_tangent*), and rules with such an argument; 0 elsewhere (``t``, constants, guards)."""
    live = np.zeros(len(tables.rows), dtype=np.int64)
    for r, (kind, _, args, _) in enumerate(tables.rows):
        if kind == 1:
            i = args[0]
            live[r] = i < n or (i < n + m and bool(m_tangent[i - n]))
        elif kind == 0:
            live[r] = any(live[a] for a in args)
    return live


_TANGENT_SWEEP = '''    tan = np.empty(({nrow}, {k}))
    for r in range({nrow}):
        if LIVE[r] == 0:
            continue
        if kind[r] == 1:
            i = a0[r]
            if i < {n}:
                for l in range({k}):
                    tan[r, l] = z[{n} + l * {n} + i]
            else:
                for l in range({k}):
                    tan[r, l] = pp[{m} + (i - {n}) * {k} + l]
            continue
        for l in range({k}):
            tan[r, l] = 0.0
        for j in range(nargs[r]):
            a = a0[r] if j == 0 else (a1[r] if j == 1 else a2[r])
            if LIVE[a] == 0:
                continue
            d = d0[r] if j == 0 else (d1[r] if j == 1 else d2[r])
            for l in range({k}):
                ta = tan[a, l]
                if ta != 0.0:
                    tan[r, l] += d * ta
    for j in range({nout}):
        r = OUT_ROWS[j]
        if r < 0:
            out[j] = OUT_CONST[j]
            continue
        out[j] = vals[r]
        if LIVE[r] != 0:
            for l in range({k}):
                out[{n} + l * {n} + j] = tan[r, l]
    return out
'''


def jvp_loop_source(prog: ScalarProgram, n: int, m: int, k: int, m_tangent: np.ndarray) -> str:
    """The numba source of the tangent kernel ``rhs(z, pp, t)`` (module docstring) for a lowered
    program of inputs ``[u (n), p (m), t]`` with k directions; *m_tangent* (m bools) says which
    parameters carry partials."""
    tables = frozen_tables(prog)
    live = live_rows(tables, n, m, np.asarray(m_tangent, dtype=bool))
    sweep = _TANGENT_SWEEP.format(nrow=len(tables.rows), nout=len(prog.outputs), k=k, n=n, m=m)
    return kernel_head(tables, n, m, m + m * k, n * (1 + k), frozen("LIVE", live)) + sweep
