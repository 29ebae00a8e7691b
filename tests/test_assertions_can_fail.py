"""Every assertion in tests/ must be able to fail (issue 10).

An AST scan of each test module for assertions that pass whatever the code under test does:

* ``assert (cond, "message")`` (a non-empty tuple is true) and ``assert <truthy constant>``;
* ``... or True`` (any truthy constant operand of an ``or``);
* ``np.allclose(a, a)`` and the other array comparisons of an expression with itself, and
  ``x is x``, also through a plain alias (``b = a`` then ``a is b``); expressions with a call
  are exempt (two calls make two objects), as is code expected to raise. ``x == x`` is not
  flagged: metanum overloads ``==`` (a Measurement's is identity of the linear form, a nan
  is not equal to itself), so reflexivity is a real property to test;
* ``isinstance(x, object)``, ``len(x) >= 0``;
* an assertion (or one ``and`` operand of it) that reads nothing but literals and the standard
  library (``math.fsum([1.0, 2.0]) == 3.0``: it tests Python, not metanum);
* tolerances so loose nothing can fail (a literal ``rtol``/``rel`` >= 0.5 or ``atol``/``abs``
  >= 1 in a comparison), and ``pytest.raises(Exception)`` (it passes on any mistake).

The last test checks that the scan reports each pattern, so the checker itself can fail.
Found by the audit and fixed: the uncertainties port's ``math.fsum([1.0, 2.0]) == 3.0``
(tests/peers/test_uncertainties.py), and two guards on the output under test
(``if np.all(np.isfinite(fw)): assert ...`` in test_reverse_edges.py, ``and
math.isfinite(iout)`` in test_functions.py) which skipped the assertion exactly when the
result was wrong; such guards are beyond this scan (see the audit report).
"""

import ast
import pathlib

import pytest

TESTS = pathlib.Path(__file__).resolve().parent

COMPARE_CALLS = {"assert_allclose", "allclose", "isclose", "assert_array_equal", "array_equal",
                 "assert_equal", "assert_array_almost_equal", "assert_almost_equal"}
TOLERANCE_CALLS = COMPARE_CALLS | {"approx"}
# names an assertion may read and still test nothing of ours
STDLIB_ONLY = {"math", "cmath", "operator", "len", "abs", "float", "int", "str", "sum", "max",
               "min", "range", "list", "tuple", "sorted", "round", "bool", "True", "False", "None"}


def _name(func: ast.expr) -> str:
    return getattr(func, "attr", getattr(func, "id", ""))


def _has_call(node: ast.AST) -> bool:
    return any(isinstance(n, ast.Call) for n in ast.walk(node))


def _in_raises_block(node: ast.AST, parents: dict) -> bool:
    while node in parents:
        node = parents[node]
        if isinstance(node, ast.With) and any(
                isinstance(i.context_expr, ast.Call) and _name(i.context_expr.func) == "raises"
                for i in node.items):
            return True
    return False


def _operands(test: ast.expr) -> list:
    if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.And):
        return [o for v in test.values for o in _operands(v)]
    return [test]


def _reads_only_stdlib(expr: ast.expr) -> bool:
    names = {n.id for n in ast.walk(expr) if isinstance(n, ast.Name)}
    return names <= STDLIB_ONLY and any(isinstance(n, ast.Call) for n in ast.walk(expr))


def _same(a: ast.expr, b: ast.expr, aliases: dict) -> bool:
    if _has_call(a) or _has_call(b):
        return False
    if ast.dump(a) == ast.dump(b):
        return True
    if isinstance(a, ast.Name) and isinstance(b, ast.Name):
        return aliases.get(a.id) == b.id or aliases.get(b.id) == a.id
    return False


def _assert_findings(node: ast.Assert, aliases: dict) -> list:
    t = node.test
    out = []
    if isinstance(t, ast.Tuple) and t.elts:
        out.append("asserts a non-empty tuple (always true): write `assert cond, msg`")
    if isinstance(t, ast.Constant) and t.value:
        out.append("asserts a truthy constant")
    for sub in ast.walk(t):
        if isinstance(sub, ast.BoolOp) and isinstance(sub.op, ast.Or) and any(
                isinstance(v, ast.Constant) and v.value for v in sub.values):
            out.append("`or` with a truthy constant")
        if isinstance(sub, ast.Call) and _name(sub.func) == "isinstance" and len(sub.args) == 2 \
                and isinstance(sub.args[1], ast.Name) and sub.args[1].id == "object":
            out.append("isinstance(x, object)")
        if isinstance(sub, ast.Compare) and len(sub.ops) == 1:
            a, b = sub.left, sub.comparators[0]
            if isinstance(sub.ops[0], ast.GtE) and isinstance(a, ast.Call) and _name(a.func) == "len" \
                    and isinstance(b, ast.Constant) and b.value == 0:
                out.append("len(x) >= 0")
            if isinstance(sub.ops[0], ast.Is) and _same(a, b, aliases):
                out.append(f"compares {ast.unparse(a)} with itself")
    for op in _operands(t):
        if _reads_only_stdlib(op):
            out.append(f"`{ast.unparse(op)[:60]}` reads only literals and the standard library")
    return out


def _call_findings(node: ast.Call, aliases: dict, parents: dict) -> list:
    out = []
    name = _name(node.func)
    if name in COMPARE_CALLS and len(node.args) >= 2 and _same(node.args[0], node.args[1], aliases) \
            and not _in_raises_block(node, parents):
        out.append(f"{name} of {ast.unparse(node.args[0])} with itself")
    if name in TOLERANCE_CALLS:
        for kw in node.keywords:
            v = kw.value.value if isinstance(kw.value, ast.Constant) else None
            if not isinstance(v, (int, float)) or isinstance(v, bool):
                continue
            if (kw.arg in ("rtol", "rel") and v >= 0.5) or (kw.arg in ("atol", "abs") and v >= 1):
                out.append(f"{name}(..., {kw.arg}={v}): a tolerance nothing fails")
    if name == "raises" and node.args and isinstance(node.args[0], ast.Name) \
            and node.args[0].id in ("Exception", "BaseException"):
        out.append("pytest.raises(Exception) passes on any mistake: name the exception")
    return out


def vacuous_assertions(path: pathlib.Path) -> list:
    """``line N: why`` for each assertion in *path* that cannot fail."""
    tree = ast.parse(path.read_text(), str(path))
    parents = {c: p for p in ast.walk(tree) for c in ast.iter_child_nodes(p)}
    aliases = {}
    for n in ast.walk(tree):
        if isinstance(n, ast.Assign) and len(n.targets) == 1 and isinstance(n.targets[0], ast.Name) \
                and isinstance(n.value, ast.Name):
            aliases[n.targets[0].id] = n.value.id
    found = []
    for n in ast.walk(tree):
        if isinstance(n, ast.Assert):
            found += [f"line {n.lineno}: {w}" for w in _assert_findings(n, aliases)]
        elif isinstance(n, ast.Call):
            found += [f"line {n.lineno}: {w}" for w in _call_findings(n, aliases, parents)]
    return found


FILES = sorted(p for p in TESTS.rglob("*.py") if p.name != pathlib.Path(__file__).name)


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(TESTS)))
def test_no_assertion_that_cannot_fail(path):
    bad = vacuous_assertions(path)
    assert not bad, "\n".join(bad)


def test_the_scan_reports_each_pattern(tmp_path):
    f = tmp_path / "test_bad.py"
    f.write_text(
        "import math, numpy as np, pytest\n"
        "def test_x(x, y):\n"
        "    assert (x == 1, 'msg')\n"                     # 3
        "    assert x > 0 or True\n"                       # 4
        "    assert x is x\n"                              # 5
        "    np.testing.assert_allclose(y, y)\n"           # 6
        "    z = x\n"
        "    assert x is z\n"                              # 8
        "    assert isinstance(x, object) and len(y) >= 0\n"   # 9 (two)
        "    assert math.fsum([1.0, 2.0]) == 3.0 and x\n"  # 10
        "    assert x == pytest.approx(2.0, rel=1.0)\n"    # 11
        "    with pytest.raises(Exception):\n"             # 12
        "        x()\n"
        "def test_fine(x):\n"
        "    assert x.tag() < x.tag() and x == x and x <= x\n"
        "    assert x == pytest.approx(2.0, rel=1e-12), ('context', x)\n"
        "    with pytest.raises(TypeError, match='uncertain'):\n"
        "        np.allclose(x, x)\n"
    )
    lines = [m.split(":")[0] for m in vacuous_assertions(f)]
    assert lines == ["line 3", "line 4", "line 5", "line 8", "line 9", "line 9", "line 10",
                     "line 6", "line 11", "line 12"], vacuous_assertions(f)
