"""The adjoint kernel of a long right-hand side as a numba loop over the tape (not straight-line code).

:mod:`numeric.reverse.compile_vjp` generates one statement per value, partial and adjoint;
numba compiles such code at several milliseconds a statement and faster than linearly in the
length of a function, so a network of a thousand parameters (3,000+ recorded operations, 12,000+
statements) would take minutes. Here the recorded program is lowered to the rows of the tape
interpreter of :mod:`numeric.reverse.compile` (``method="loop"``: opcode, argument rows, constant;
:func:`~numeric.reverse.compile.loop_rows`) and the kernel

    rhs(z, pp, t) -> [f(u, p, t), -lambda^T f_u, -lambda^T f_p]

runs that interpreter's forward sweep (values and local partials from the rules table) and a
backward sweep seeded by ``lambda`` at the output rows. The rows are frozen into the module as
constant arrays (exact bits; the tables and the forward sweep are shared with the tangent kernel,
:mod:`numeric.reverse.loop_kernel`), so the kernel keeps the one signature
:data:`~numeric.reverse.compile_jvp.SIGNATURE` and runs by function pointer in the compiled
Runge-Kutta loop. Compile time does not grow with the tape (one interpreter per set of rules);
a call costs a few nanoseconds per row, several times the straight-line code's.

A zero adjoint contributes exactly zero (the backward sweep skips it), as in the interpreted
tape; a failed guard writes its row + 1 into ``pp[m]`` and returns NaNs.

Examples
--------
>>> import numpy as np
>>> from numeric.reverse.compile import ScalarProgram, load_source
>>> from numeric.reverse.compile_jvp import _record, object_leaves
>>> rec = _record(lambda u, p, t: np.array([-p[0] * u[0] * u[0]]), np.array([2.0]), object_leaves,
...               np.array([0.5]), 0.0, False)
>>> rhs = load_source(vjp_loop_source(ScalarProgram(rec, vector_output=True), 1, 1), cache=True)
>>> rhs(np.array([2.0, 3.0, 0.0]), np.array([0.5, 0.0]), 0.0)   # [-p u^2, 2 p u lam, u^2 lam]
array([-2.,  6., 12.])
"""

from __future__ import annotations

from numeric.reverse.compile import ScalarProgram, loop_backward
from numeric.reverse.loop_kernel import frozen_tables, kernel_head

__all__ = ["vjp_loop_source"]


def vjp_loop_source(prog: ScalarProgram, n: int, m: int) -> str:
    """The numba source of the adjoint kernel ``rhs(z, pp, t)`` (module docstring) for a lowered
    program of inputs ``[u (n), p (m), t]``."""
    tables = frozen_tables(prog)
    return (kernel_head(tables, n, m, m, 2 * n + m)
            + f"    adj = np.zeros({len(tables.rows)})\n"
            "    top = -1\n"
            f"    for j in range({len(prog.outputs)}):\n"
            "        r = OUT_ROWS[j]\n"
            "        if r >= 0:\n"
            f"            adj[r] += z[{n} + j]\n"
            "            top = max(top, r)\n"
            "            out[j] = vals[r]\n"
            "        else:\n"
            "            out[j] = OUT_CONST[j]\n"
            + loop_backward("top", f"if a0[k] < {n + m}: out[{n} + a0[k]] -= adj[k]")
            + "    return out\n")
