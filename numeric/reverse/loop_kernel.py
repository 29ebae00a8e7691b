"""What the tape-interpreter kernels of a long right-hand side share: frozen tables and the forward sweep.

A right-hand side recorded into more operations than straight-line numba code compiles in
reasonable time (``MAX_NODES`` of :mod:`numeric.reverse.compile_jvp` and
:mod:`numeric.reverse.compile_vjp`) is compiled as the tape interpreter of
:mod:`numeric.reverse.compile` (``method="loop"``) with its rows (opcode, argument rows,
constant; :func:`~numeric.reverse.compile.loop_rows`) frozen into the module as constant arrays
(exact bits). Both the adjoint kernel (:mod:`numeric.reverse.vjp_loop`) and the tangent kernel
(:mod:`numeric.reverse.jvp_loop`) are ``run(z, pp, t)`` of the one signature
:data:`~numeric.reverse.compile_jvp.SIGNATURE`, so they run by function pointer in the compiled
loops; they differ only in the sweep after the forward one. This module builds the tables
(:func:`frozen_tables`) and the common head of ``run`` (:func:`kernel_head`: the inputs
``x = [u (n), p (m), t]``, the forward sweep with values and local partials from the rules
table, a failed guard writing its row + 1 into ``pp[flag]`` and returning NaNs).

Examples
--------
>>> import numpy as np
>>> from numeric.reverse.compile import ScalarProgram
>>> from numeric.reverse.compile_jvp import _record, object_leaves
>>> rec = _record(lambda u, p, t: np.array([-p[0] * u[0]]), np.array([2.0]), object_leaves, np.array([0.5]), 0.0, False)
>>> tables = frozen_tables(ScalarProgram(rec, vector_output=True))
>>> [r[0] for r in tables.rows], tables.out_rows.tolist()   # inputs u, p, t; rules neg, mul
([1, 1, 1, 0, 0], [4])
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from numeric.reverse.compile import HELPERS, ScalarProgram, SlotRef, loop_arrays, loop_forward, loop_rows
from numeric.reverse.compile_jvp import SIGNATURE

__all__ = ["LoopTables", "frozen_tables", "frozen", "kernel_head"]


@dataclass
class LoopTables:
    """A lowered program as the interpreter's rows: ``rows`` (kind, opcode key, argument rows,
    constant), ``names`` (the opcodes' rules), ``out_rows`` (the row of each output, -1 for a
    constant output, whose value is in ``out_const``) and ``consts`` (the module lines defining
    the frozen arrays OPS, A0, A1, A2, NARGS, KIND, CVALS, OUT_ROWS, OUT_CONST)."""

    rows: list
    names: list
    out_rows: np.ndarray
    out_const: np.ndarray
    consts: str


def frozen(name: str, arr: np.ndarray) -> str:
    """Module line defining *arr* exactly (its bytes in hex)."""
    a = np.ascontiguousarray(arr)
    return f"{name} = np.frombuffer(bytes.fromhex({a.tobytes().hex()!r}), dtype=np.{a.dtype}).copy()"


def frozen_tables(prog: ScalarProgram) -> LoopTables:
    """The interpreter's tables of *prog* (a program lowered with ``vector_output=True``)."""
    rows, slot_row = loop_rows(prog)
    names, ops, a, nargs, kind, cvals = loop_arrays(rows)
    out_rows = np.array([slot_row[int(o)] if isinstance(o, SlotRef) else -1 for o in prog.outputs], dtype=np.int64)
    out_const = np.array([0.0 if isinstance(o, SlotRef) else float(o) for o in prog.outputs])
    consts = "\n".join(frozen(k, v) for k, v in [("OPS", ops), ("A0", a[0]), ("A1", a[1]), ("A2", a[2]),
                                                 ("NARGS", nargs), ("KIND", kind), ("CVALS", cvals),
                                                 ("OUT_ROWS", out_rows), ("OUT_CONST", out_const)])
    return LoopTables(rows, names, out_rows, out_const, consts)


def kernel_head(tables: LoopTables, n: int, m: int, flag: int, size: int, extra: str = "") -> str:
    """The module source up to the end of the forward sweep of ``run(z, pp, t)``: *extra* module
    lines (more frozen arrays), ``out = np.zeros(size)``, the inputs ``x`` from ``z[:n]``,
    ``pp[:m]`` and ``t``, the arrays ``vals, d0, d1, d2`` filled row by row; a failed guard sets
    ``pp[flag]`` to its row + 1 and returns NaNs."""
    nrow = len(tables.rows)
    guard = f"pp[{flag}] = k + 1.0; out[:] = np.nan; return out"
    return (HELPERS + "import numpy as np\n\n" + tables.consts + ("\n" + extra if extra else "") + "\n\n\n"
            f"@numba.njit({SIGNATURE!r}, cache=True, error_model='numpy')\n"
            "def run(z, pp, t):\n"
            "    ops, a0, a1, a2, nargs, kind, cvals = OPS, A0, A1, A2, NARGS, KIND, CVALS\n"
            f"    out = np.zeros({size})\n"
            f"    x = np.empty({n + m + 1})\n"
            f"    x[:{n}] = z[:{n}]\n"
            f"    x[{n}:{n + m}] = pp[:{m}]\n"
            f"    x[{n + m}] = t\n"
            f"    vals = np.empty({nrow})\n    d0 = np.empty({nrow})\n"
            f"    d1 = np.empty({nrow})\n    d2 = np.empty({nrow})\n"
            + loop_forward(tables.names, guard))
