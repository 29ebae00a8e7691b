"""The module source of a generated kernel, split into chunk functions when it is long.

The JVP and VJP kernels (:mod:`numeric.reverse.compile_jvp`, :mod:`numeric.reverse.compile_vjp`)
are straight-line code: one statement per value, partial, tangent or adjoint. numba's (LLVM's)
compile time of one function grows faster than linearly with its length (about a minute for a
3,000-node tape as one function, :mod:`numeric.reverse.compile`), so a long body is cut into
consecutive chunks of at most :data:`CHUNK_LINES` statements, each its own numba function
``c_i(z, pp, t, out, w) -> failed``, called in order by ``run``. A name assigned in one chunk and
read in another lives in the scratch vector ``w`` (``w[j]``); names used within one chunk stay
local variables (registers). A guard's early ``return out`` becomes ``return True`` in a chunk,
and ``run`` returns ``out`` (already NaN) when a chunk reports it. The arithmetic is the same,
statement for statement, so a chunked kernel returns the same bits as the single function.

Examples
--------
>>> body = ["    out = np.empty(1)", "    v0 = z[0]", "    v1 = v0 * v0", "    out[0] = v1",
...         "    return out"]
>>> src = kernel_module(body, "float64[::1](float64[::1], float64[::1], float64)", chunk_lines=2)
>>> print(src.split("def c0")[1].splitlines()[2])   # v1 is read in the next chunk: a slot of w
    w[0] = v0 * v0
>>> print(src.split("def c1")[1].splitlines()[1])
    out[0] = w[0]
"""

from __future__ import annotations

import re

from numeric.reverse.compile import HELPERS

__all__ = ["kernel_module", "CHUNK_LINES"]

CHUNK_LINES = 300  # statements per chunk function
CHUNK_SIGNATURE = "boolean(float64[::1], float64[::1], float64, float64[::1], float64[::1])"
_NAME = re.compile(r"(?<![\w.])([vdta]\d+(?:_\d+)?)\b")
_DECORATOR = "@numba.njit({sig!r}, cache=True, error_model='numpy')\n"


def _statements(body: list[str]) -> list[list[str]]:
    """The body's lines grouped into statements (a guard's ``if`` with its indented block)."""
    out: list[list[str]] = []
    for line in body:
        if line.startswith("        ") and out:
            out[-1].append(line)
        else:
            out.append([line])
    return out


def _chunks(stmts: list[list[str]], size: int) -> list[list[list[str]]]:
    return [stmts[i:i + size] for i in range(0, len(stmts), size)]


def _shared_names(chunks: list) -> dict[str, int]:
    """Names used in more than one chunk -> their slot in ``w``."""
    where: dict[str, set] = {}
    for c, chunk in enumerate(chunks):
        for stmt in chunk:
            for line in stmt:
                for name in _NAME.findall(line):
                    where.setdefault(name, set()).add(c)
    shared = sorted((n for n, cs in where.items() if len(cs) > 1), key=lambda n: (n[0], n))
    return {n: j for j, n in enumerate(shared)}


def _chunk_function(i: int, chunk: list, slots: dict[str, int]) -> str:
    def rename(line: str) -> str:
        line = _NAME.sub(lambda m: f"w[{slots[m.group(1)]}]" if m.group(1) in slots else m.group(1), line)
        return "        return True" if line == "        return out" else line

    lines = [rename(line) for stmt in chunk for line in stmt]
    return (_DECORATOR.format(sig=CHUNK_SIGNATURE) + f"def c{i}(z, pp, t, out, w):\n"
            + "\n".join(lines) + "\n    return False\n")


def kernel_module(body: list[str], signature: str, chunk_lines: int = CHUNK_LINES) -> str:
    """The module source of ``run(z, pp, t)`` with *body* (its indented lines, the first one
    allocating ``out``, the last ``return out``), chunked when longer than *chunk_lines*."""
    head = HELPERS + "import numpy as np\n\n\n"
    if len(body) <= chunk_lines + 2:
        return head + _DECORATOR.format(sig=signature) + "def run(z, pp, t):\n" + "\n".join(body) + "\n"
    first, middle, last = body[0], body[1:-1], body[-1]
    if not (first.startswith("    out = np.") and last == "    return out"):
        raise ValueError("kernel_module: the body must start by allocating out and end with 'return out'")
    chunks = _chunks(_statements(middle), chunk_lines)
    slots = _shared_names(chunks)
    funcs = [_chunk_function(i, c, slots) for i, c in enumerate(chunks)]
    calls = [f"    if c{i}(z, pp, t, out, w):\n        return out" for i in range(len(chunks))]
    run = (_DECORATOR.format(sig=signature) + "def run(z, pp, t):\n" + first + "\n"
           + f"    w = np.empty({max(len(slots), 1)})\n" + "\n".join(calls) + "\n    return out\n")
    return head + "\n\n".join(funcs) + "\n\n" + run
