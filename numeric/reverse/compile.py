"""Compiled tapes: a recorded scalar program turned into numba code.

The code is generated from the same rules table as everything else: each
rule's function and partials are evaluated once on *symbols* (:class:`Sym`,
a number type whose operations build source text), which turns
``lambda a, x: F.cos(x)`` into ``math.cos(x)``. Two back ends:

``method="straight"``
    Straight-line Python for the forward sweep (values and local partials,
    with the guards as early returns) and the backward sweep (adjoint
    accumulations in reverse order), compiled with ``numba.njit``. Best for
    small tapes (an ODE right-hand side); compile time grows with the tape.
``method="loop"``
    The tape as arrays (opcode, argument nodes, constants) run by a numba
    loop with one branch per operation the tape uses. Its compile time does
    not grow with the tape (the source is cached on disk per set of
    operations), so it suits long scalar programs (a fixed-step solve).
``method="auto"``
    ``straight`` up to 300 nodes, ``loop`` above (numba's compile time for
    straight-line code grows quickly: about a minute at 3,000 nodes here).

Only scalar programs compile: the input is a scalar or a 1-D float array
read element by element, the output a scalar, and every operation a rule of
:mod:`numeric.rules`. Guards are compiled too: a compiled tape replayed at an
input that takes another branch raises :class:`GuardError`.

Examples
--------
>>> import numeric as nm, numeric.reverse as rv
>>> fast = rv.record(lambda x: nm.sin(x) * x, 1.0).compile()
>>> bool(abs(fast.gradient(0.5) - (nm.cos(0.5) * 0.5 + nm.sin(0.5))) < 1e-15)
True
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import sys
import tempfile
from typing import Any

import numpy as np

from numeric.reverse.tracked import GuardError, Ref
from numeric.rules import lookup

__all__ = ["compile_tape", "CompiledTape", "Sym", "ScalarProgram", "SlotRef", "rule_code", "load_source",
           "const_code", "HELPERS", "COMPARE_OPS"]

_NUMBA_NAMES = {
    "exp": "math.exp", "expm1": "math.expm1", "log": "math.log", "log1p": "math.log1p",
    "log2": "math.log2", "log10": "math.log10", "sqrt": "math.sqrt", "cbrt": "_cbrt",
    "sin": "math.sin", "cos": "math.cos", "tan": "math.tan", "arcsin": "math.asin",
    "arccos": "math.acos", "arctan": "math.atan", "sinh": "math.sinh", "cosh": "math.cosh",
    "tanh": "math.tanh", "arcsinh": "math.asinh", "arccosh": "math.acosh",
    "arctanh": "math.atanh", "abs": "abs", "sign": "_sign", "erf": "math.erf",
    "erfc": "math.erfc", "gamma": "math.gamma", "lgamma": "math.lgamma", "digamma": "_digamma",
    "polygamma": "_polygamma", "arctan2": "math.atan2", "hypot": "math.hypot",
    "maximum": "_max", "minimum": "_min", "clip": "_clip",
}  # fmt: skip
_OPERATORS = {"add": "+", "sub": "-", "mul": "*", "truediv": "/", "power": "**"}
COMPARE_OPS = {"lt": "<", "le": "<=", "gt": ">", "ge": ">=", "eq": "==", "ne": "!="}

HELPERS = """
import math
import numba
from numeric.reverse._numba_helpers import _cbrt, _clip, _digamma, _max, _min, _polygamma, _sign
"""


class Sym:
    """A symbolic number: operations on it build numba source text.

    Evaluating a rule's partials on symbols gives their code, so compiled
    tapes use the rules table, not a hand-written copy.

    Examples
    --------
    >>> from numeric.rules import RULES
    >>> RULES["tanh"].partials[0](Sym("a"), Sym("x")).code
    '((1 / math.cosh(x)) * (1 / math.cosh(x)))'
    """

    __slots__ = ("code",)
    _nm_order = 1 << 62

    def __init__(self, code: str):
        self.code = code

    def __repr__(self):
        return f"Sym({self.code})"

    def _nm_apply(self, name: str, args: tuple) -> "Sym":
        if name in _OPERATORS or name == "neg":
            if name == "neg":
                return Sym(f"(-{const_code(args[0])})")
            return Sym(f"({const_code(args[0])} {_OPERATORS[name]} {const_code(args[1])})")
        if name not in _NUMBA_NAMES:
            raise NotImplementedError(f"compile: no numba implementation of {name!r}")
        return Sym(f"{_NUMBA_NAMES[name]}({', '.join(const_code(a) for a in args)})")

    def astype(self, dtype) -> "Sym":
        return Sym(f"(1.0 if {self.code} else 0.0)")

    def __bool__(self):
        raise NotImplementedError("compile: a rule branches on a value in Python")

    def __array_function__(self, func, types, args, kwargs):
        if func is np.where:
            c, x, y = args
            return Sym(f"({const_code(x)} if {const_code(c)} else {const_code(y)})")
        return NotImplemented

    def __and__(self, o):
        return Sym(f"({const_code(self)} and {const_code(o)})")

    __rand__ = __and__


def const_code(a: Any) -> str:
    if isinstance(a, Sym):
        return a.code
    if isinstance(a, (bool, np.bool_)):
        return "1.0" if a else "0.0"
    if isinstance(a, (int, np.integer)):
        return repr(int(a))
    return repr(float(a))





def _sym_binop(name):
    def op(self, o):
        return self._nm_apply(name, (self, o))

    def rop(self, o):
        return self._nm_apply(name, (o, self))

    return op, rop


for _py, _r in [("add", "add"), ("sub", "sub"), ("mul", "mul"), ("truediv", "truediv"),
                ("pow", "power")]:
    _o, _ro = _sym_binop(_r)
    setattr(Sym, f"__{_py}__", _o)
    setattr(Sym, f"__r{_py}__", _ro)
Sym.__neg__ = lambda self: Sym(f"(-{self.code})")
for _n, _s in COMPARE_OPS.items():
    setattr(Sym, f"__{_n}__", (lambda s: lambda self, o: Sym(f"({const_code(self)} {s} {const_code(o)})"))(_s))


def _rule(name):
    return lookup(name)


def rule_code(name: str, args: list, ans: str) -> tuple[str, list]:
    """Source of the value and of each partial of rule *name* at symbolic/constant *args*."""
    rule = _rule(name)
    syms = [Sym(a) if isinstance(a, str) else a for a in args]
    value = rule.function(*syms) if name not in _OPERATORS and name != "neg" else \
        Sym("x")._nm_apply(name, tuple(syms))
    if not isinstance(value, Sym):
        value = Sym(const_code(value))
    partials = []
    for i, p in enumerate(rule.partials):
        if not isinstance(args[i], str):
            partials.append(None)
        elif p is None:
            raise NotImplementedError(f"compile: {name} is not differentiable in argument {i}")
        else:
            d = p(Sym(ans), *syms)
            partials.append(d.code if isinstance(d, Sym) else const_code(d))
    return value.code, partials


class SlotRef(int):
    """A slot number (as opposed to an integer constant) in a lowered program."""

    @property
    def s(self):
        return int(self)


class ScalarProgram:
    """The recorded program lowered to scalar slots: inputs, constants, rules, guards.

    ``out`` is the slot of a scalar output; with ``vector_output=True`` the output may be an
    array and ``outputs`` lists, per element, its slot (:class:`SlotRef`) or constant.
    """

    def __init__(self, rec, vector_output: bool = False):
        self.rec = rec
        self.slots: dict[int, int] = {}     # recorded node -> slot
        self.items: list = []               # ("input", slot, i) | ("const", slot, v) |
        #                                      ("rule", slot, name, [slot or const]) | ("guard", ...)
        self.nslots = 0
        self.vectors: dict[int, list] = {}  # recorded node of np.stack(scalars) -> its elements
        self.array_input = rec._input_shape is not None
        if self.array_input and len(rec._input_shape) != 1:
            raise NotImplementedError("compile: the input must be a scalar or a 1-D array")
        if not self.array_input:
            self._slot(rec.input_index)
            self.items.append(("input", self.slots[rec.input_index], 0))
        for e in rec.program:
            self._lower(e)
        out = rec.output
        if vector_output:
            if isinstance(out, Ref) and out.k in self.vectors:
                out = self.vectors[out.k]
                self.outputs = list(out)
                return
            self.outputs = [self._arg(o) for o in np.asarray(out, dtype=object).reshape(-1)]
            return
        if isinstance(out, np.ndarray) and out.dtype == object and out.size == 1:
            out = out.reshape(-1)[0]
        if not isinstance(out, Ref) or out.k not in self.slots:
            raise NotImplementedError("compile: the function must return a tracked scalar")
        self.out = self.slots[out.k]

    def _slot(self, k):
        self.slots[k] = self.nslots
        self.nslots += 1
        return self.slots[k]

    def _arg(self, r):
        if isinstance(r, Ref):
            if r.k not in self.slots:
                raise NotImplementedError("compile: the program reads a whole array; only "
                                          "element reads x[i] of a 1-D input compile")
            return SlotRef(self.slots[r.k])
        if isinstance(r, (bool, np.bool_)):
            return float(r)
        if isinstance(r, (int, np.integer)):
            return int(r)
        if isinstance(r, (float, np.floating)):
            return float(r)
        raise NotImplementedError(f"compile: constant of type {type(r).__name__}")

    def _lower(self, e):
        kind = e[0]
        if kind == "rule":
            args = [self._arg(r) for r in e[3]]
            self.items.append(("rule", self._slot(e[1]), e[2], args))
        elif kind == "const":
            self.items.append(("const", self._slot(e[1]), float(e[2])))
        elif kind == "guard":
            args = [self._arg(r) for r in e[3]]
            self.items.append(("guard", None, e[2], args, e[4]))
        elif kind == "op" and e[2] == "getitem" and isinstance(e[3][0], Ref) and \
                e[3][0].k == self.rec.input_index and isinstance(e[4]["index"], (int, np.integer)):
            self.items.append(("input", self._slot(e[1]), int(e[4]["index"])))
        elif kind == "op" and e[2] == "stack" and e[4] in ({}, {"axis": 0}):
            self.vectors[e[1]] = [self._arg(r) for r in e[3]]   # a 1-D array of scalars: no code
        elif kind == "op" and e[2] == "getitem" and isinstance(e[3][0], Ref) and e[3][0].k in self.vectors \
                and _int_index(e[4]["index"], len(self.vectors[e[3][0].k])) is not None:
            elem = self.vectors[e[3][0].k][_int_index(e[4]["index"], len(self.vectors[e[3][0].k]))]
            if isinstance(elem, SlotRef):
                self.slots[e[1]] = int(elem)          # an alias of the stacked scalar's slot
            else:
                self.items.append(("const", self._slot(e[1]), float(elem)))
        else:
            name = e[2] if kind in ("op", "compare") else kind
            raise NotImplementedError(f"compile: only scalar programs compile; this tape uses the "
                                      f"array operation {name!r} (use replay: tape.gradient)")


def _int_index(index: Any, size: int) -> int | None:
    """*index* (an int or a 1-tuple of one) as a position in a vector of *size*, else None."""
    if isinstance(index, tuple) and len(index) == 1:
        index = index[0]
    if isinstance(index, (int, np.integer)) and -size <= index < size:
        return int(index) % size
    return None


# -- straight-line code ----------------------------------------------------------------------------

def _straight_source(p: ScalarProgram) -> str:
    fwd, partial_of = [], {}
    guard_no = 0
    for it in p.items:
        kind = it[0]
        if kind == "input":
            fwd.append(f"    v{it[1]} = x[{it[2]}]")
        elif kind == "const":
            fwd.append(f"    v{it[1]} = {it[2]!r}")
        elif kind == "rule":
            s, name, args = it[1], it[2], it[3]
            names = [f"v{int(a)}" if isinstance(a, SlotRef) else a for a in args]
            val, parts = rule_code(name, names, f"v{s}")
            fwd.append(f"    v{s} = {val}")
            ps = []
            for i, (a, d) in enumerate(zip(args, parts)):
                if d is not None:
                    fwd.append(f"    d{s}_{i} = {d}")
                    ps.append((int(a), f"d{s}_{i}"))
            partial_of[s] = ps
        elif kind == "guard":
            name, args, outcome = it[2], it[3], it[4]
            a = f"v{int(args[0])}" if isinstance(args[0], SlotRef) else const_code(args[0])
            if name == "truth":
                cond = f"({a} != 0.0)"
            else:
                b = f"v{int(args[1])}" if isinstance(args[1], SlotRef) else const_code(args[1])
                cond = f"({a} {COMPARE_OPS[name]} {b})"
            guard_no += 1
            fwd.append(f"    if {cond} != {bool(outcome)}:")
            fwd.append(f"        return 0.0, {guard_no}")
    bwd = [f"    a{p.out} = 1.0"]
    assigned = {p.out}
    for it in reversed(p.items):
        if it[0] != "rule" or it[1] not in assigned:
            continue
        s = it[1]
        for a, d in partial_of[s]:
            # NaN-safe, as the interpreted tape: a zero cotangent contributes exactly 0
            term = f"(a{s} * {d} if a{s} != 0.0 else 0.0)"
            if a in assigned:
                bwd.append(f"    a{a} += {term}")
            else:
                bwd.append(f"    a{a} = {term}")
                assigned.add(a)
    for it in p.items:
        if it[0] == "input":
            s = it[1]
            bwd.append(f"    grad[{it[2]}] += a{s}" if s in assigned else "")
    body = "\n".join(line for line in fwd + bwd if line)
    return (HELPERS + "\n\n@numba.njit(cache=False, error_model='numpy')\n"
            "def run(x, grad):\n" + body + f"\n    return v{p.out}, 0\n")


# -- the loop interpreter --------------------------------------------------------------------------

def loop_dispatch(names: list[tuple[str, int]]) -> list[str]:
    """The interpreter's per-opcode lines (value into ``vals[k]``, partials into ``d0..d2[k]``)
    for the rules in *names*, indented for the body of ``for k in range(n)``."""
    fwd = []
    for code, (name, nargs) in enumerate(names):
        args = [f"vals[a{i}[k]]" for i in range(nargs)]
        val, parts = rule_code(name, [f"x{i}" for i in range(nargs)], "ans")
        kw = "if" if code == 0 else "elif"
        fwd.append(f"        {kw} op == {code}:")
        for i in range(nargs):
            fwd.append(f"            x{i} = {args[i]}")
        fwd.append(f"            ans = {val}")
        fwd.append("            vals[k] = ans")
        for i, d in enumerate(parts):
            fwd.append(f"            d{i}[k] = {d if d is not None else '0.0'}")
    return fwd


def loop_forward(names: list[tuple[str, int]], guard_return: str) -> str:
    """The interpreter's forward sweep over rows ``k`` (inputs from ``x``, constants, guards,
    rules): body lines of a numba function; a failed guard runs *guard_return* (``k`` is its row)."""
    return _LOOP_FORWARD.replace("GUARD_RETURN", guard_return) + "\n".join(loop_dispatch(names)) + "\n"


_LOOP_FORWARD = '''    n = ops.shape[0]
    for k in range(n):
        t = kind[k]
        if t == 1:              # input element
            vals[k] = x[a0[k]]
            continue
        if t == 2:              # constant
            vals[k] = cvals[k]
            continue
        if t >= 3:              # guard: 3 + comparison code; cvals holds the outcome
            u = vals[a0[k]]
            w = vals[a1[k]]
            c = t - 3
            if c == 0:
                r = u < w
            elif c == 1:
                r = u <= w
            elif c == 2:
                r = u > w
            elif c == 3:
                r = u >= w
            elif c == 4:
                r = u == w
            elif c == 5:
                r = u != w
            else:
                r = u != 0.0
            if r != (cvals[k] != 0.0):
                GUARD_RETURN
            continue
        op = ops[k]
'''


def _loop_source(names: list[tuple[str, int]]) -> str:
    """A numba interpreter for the (rule, constant-pattern) opcodes in *names*."""
    src = HELPERS + '''

@numba.njit(cache=True, error_model='numpy')
def run(x, ops, a0, a1, a2, nargs, kind, cvals, vals, d0, d1, d2, adj, out, grad):
''' + loop_forward(names, "return vals[out], k + 1") + '''    for k in range(n):
        adj[k] = 0.0
    adj[out] = 1.0
''' + loop_backward("out", "grad[a0[k]] += adj[k]") + '''    return vals[out], 0
'''
    return src


def loop_backward(top: str, input_line: str) -> str:
    """The interpreter's backward sweep from row *top* down (``adj`` seeded): body lines; at an
    input row ``k`` (element ``a0[k]`` of ``x``) it runs *input_line*."""
    return _LOOP_BACKWARD.replace("TOP", top).replace("INPUT_LINE", input_line)


_LOOP_BACKWARD = '''    for k in range(TOP, -1, -1):
        if kind[k] != 0:
            if kind[k] == 1:
                INPUT_LINE
            continue
        g = adj[k]
        if g == 0.0:
            continue
        m = nargs[k]
        adj[a0[k]] += g * d0[k]
        if m > 1:
            adj[a1[k]] += g * d1[k]
        if m > 2:
            adj[a2[k]] += g * d2[k]
'''


_CMP_CODE = {"lt": 0, "le": 1, "gt": 2, "ge": 3, "eq": 4, "ne": 5, "truth": 6}


# -- the compiled object -----------------------------------------------------------------------------

def _cache_dir() -> str:
    d = os.environ.get("METANUM_CACHE_DIR") or os.path.join(tempfile.gettempdir(),
                                                            "metanum_tapes")
    os.makedirs(d, exist_ok=True)
    return d


def load_source(source: str, cache: bool, name: str = "run", env: dict | None = None):
    """Function *name* of the generated module *source*; with *cache* the module is a file of the
    tape cache directory (one per source digest), so numba's ``cache=True`` works across processes.
    *env*: globals set in the module before it runs (objects its source names but cannot import,
    such as a user's function; the source must then carry a key of them, as its digest names the
    file)."""
    digest = hashlib.sha1(source.encode()).hexdigest()[:16]
    if cache:
        path = os.path.join(_cache_dir(), f"tape_{digest}.py")
        if not os.path.exists(path):
            tmp = path + f".{os.getpid()}.tmp"
            with open(tmp, "w") as fh:
                fh.write(source)
            os.replace(tmp, path)
        modname = f"metanum_tape_{digest}"
        if modname in sys.modules:
            return getattr(sys.modules[modname], name)
        spec = importlib.util.spec_from_file_location(modname, path)
        mod = importlib.util.module_from_spec(spec)
        mod.__dict__.update(env or {})
        sys.modules[modname] = mod
        spec.loader.exec_module(mod)
        return getattr(mod, name)
    ns: dict = dict(env or {})
    exec(compile(source, f"<metanum tape {digest}>", "exec"), ns)
    return ns[name]


class CompiledTape:
    """A compiled recorded tape: ``value(x)``, ``gradient(x)``, ``value_and_gradient(x)``."""

    def __init__(self, rec, method: str):
        self.recorded = rec
        self.method = method
        p = ScalarProgram(rec)
        self._array_input = p.array_input
        self._n_inputs = rec._input_shape[0] if p.array_input else 1
        self._guards = [it for it in p.items if it[0] == "guard"]
        if method == "straight":
            self.source = _straight_source(p)
            self._run = load_source(self.source, cache=False)
        else:
            rows, out = _lower_loop_rows(p)
            names, self._ops, self._a, self._nargs, self._kind, self._cvals = loop_arrays(rows)
            self._bufs = [np.zeros(len(rows)) for _ in range(5)]
            self._out = out
            self.source = _loop_source(names)
            self._run = load_source(self.source, cache=True)
            self._guard_rows = {k: r for k, r in enumerate(rows) if r[0] >= 3}

    def __len__(self):
        return len(self.recorded)

    def __repr__(self):
        return f"CompiledTape({len(self)} recorded nodes, method={self.method!r})"

    def _call(self, x):
        if self._array_input:
            x = np.ascontiguousarray(x, dtype=np.float64)
            if x.shape != (self._n_inputs,):
                raise ValueError(f"this tape takes an input of shape ({self._n_inputs},), got "
                                 f"{x.shape}")
        else:
            x = np.array([x], dtype=np.float64)
        grad = np.zeros(self._n_inputs)
        if self.method == "straight":
            val, status = self._run(x, grad)
        else:
            vals, d0, d1, d2, adj = self._bufs
            val, status = self._run(x, self._ops, self._a[0], self._a[1], self._a[2], self._nargs,
                                    self._kind, self._cvals, vals, d0, d1, d2, adj, self._out,
                                    grad)
        if status:
            raise GuardError("compiled tape run at an input that takes another branch than the "
                             f"recording (guard {status} failed); record a new tape at this "
                             "input or use nm.gradient(f, x, mode='reverse')")
        return val, (grad if self._array_input else grad[0])

    def value_and_gradient(self, x: Any) -> tuple:
        return self._call(x)

    def gradient(self, x: Any) -> Any:
        return self._call(x)[1]

    def value(self, x: Any) -> float:
        return self._call(x)[0]


def loop_arrays(rows: list) -> tuple:
    """``(names, ops, a (3 x rows), nargs, kind, cvals)``: the rows as the interpreter's arrays."""
    names = sorted({r[1] for r in rows if r[0] == 0})
    code = {nm: i for i, nm in enumerate(names)}
    n = len(rows)
    ops = np.array([code[r[1]] if r[0] == 0 else -1 for r in rows], dtype=np.int64)
    a = np.full((3, n), -1, dtype=np.int64)
    for k, r in enumerate(rows):
        for i, s in enumerate(r[2]):
            a[i, k] = s
    nargs = np.array([len(r[2]) for r in rows], dtype=np.int64)
    kind = np.array([r[0] for r in rows], dtype=np.int64)
    cvals = np.array([r[3] for r in rows], dtype=np.float64)
    return names, ops, a, nargs, kind, cvals


def _lower_loop_rows(p: ScalarProgram):
    """Rows (kind, opname key, arg slots, constant) for the loop back end, and the output's row."""
    rows, slot_map = loop_rows(p)
    return rows, slot_map[p.out]


def loop_rows(p: ScalarProgram) -> tuple[list, dict]:
    """Rows (kind, opname key, arg slots, constant) for the loop back end; slot -> row."""
    rows = []
    slot_map = {}

    def add(row):
        rows.append(row)
        return len(rows) - 1

    for it in p.items:
        kind = it[0]
        if kind == "input":
            slot_map[it[1]] = add((1, None, (it[2],), 0.0))
        elif kind == "const":
            slot_map[it[1]] = add((2, None, (), it[2]))
        else:
            args = []
            for a in it[3]:
                if isinstance(a, SlotRef):
                    args.append(slot_map[a.s])
                else:
                    args.append(add((2, None, (), float(a))))
            if kind == "rule":
                if it[2] == "polygamma":
                    raise NotImplementedError("compile(method='loop'): polygamma; use 'straight'")
                slot_map[it[1]] = add((0, (it[2], len(args)), tuple(args), 0.0))
            else:
                if len(args) == 1:
                    args.append(args[0])
                add((3 + _CMP_CODE[it[2]], None, tuple(args), 1.0 if it[4] else 0.0))
    return rows, slot_map


def compile_tape(rec, method: str = "auto") -> CompiledTape:
    """Compile a :class:`~numeric.reverse.record.RecordedTape` (see the module docstring)."""
    if method not in ("auto", "straight", "loop"):
        raise ValueError(f"method must be 'auto', 'straight' or 'loop', got {method!r}")
    if method == "auto":
        method = "straight" if len(rec) <= 300 else "loop"
    return CompiledTape(rec, method)
