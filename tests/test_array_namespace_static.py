"""A static check that keeps solvers/ free of unreviewed NumPy conversions of data.

Every function in solvers/ that calls ``np.asarray(`` or ``np.array(`` must have a row in the
table of docs/array_namespace_audit.md (file and function, or the file with function ``*`` for a
NumPy-only module), classified (a) host by design or (b) capability-chosen NumPy path, with its
reason; a function whose row says "c, open" (a device input reaches it) fails the check. So a new
``np.asarray`` in a solver is a deliberate decision recorded with its reason, and a row whose
function no longer exists fails too (the table stays true). The scan is by AST, by function
(not by line number), so moving code inside a function does not break it.
"""

import ast
import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parents[1]
TABLE = ROOT / "docs" / "array_namespace_audit.md"
ROW = re.compile(r"^\| `(?P<file>[^`]+)` \| `(?P<func>[^`]+)` \| [^|]* \| (?P<cls>[^|]+?) \| [^|]* \| (?P<why>.*) \|$")


def _rows() -> dict:
    rows = {}
    for line in TABLE.read_text().splitlines():
        m = ROW.match(line)
        if m:
            rows[(m["file"], m["func"])] = (m["cls"].strip(), m["why"].strip())
    return rows


def _functions(path: pathlib.Path) -> dict:
    """``{qualified function name: [line numbers of np.asarray / np.array calls]}`` of one module."""
    found: dict = {}

    def visit(node, name):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                qual = f"{name}.{child.name}" if name else child.name
                if not isinstance(child, ast.ClassDef):
                    found.setdefault(qual, [])
                visit(child, qual)
                continue
            f = getattr(child, "func", None)
            if (isinstance(child, ast.Call) and isinstance(f, ast.Attribute) and f.attr in ("asarray", "array")
                    and isinstance(f.value, ast.Name) and f.value.id == "np"):
                found.setdefault(name or "<module>", []).append(child.lineno)
            visit(child, name)

    visit(ast.parse(path.read_text()), "")
    return found


def _scan() -> dict:
    return {str(p.relative_to(ROOT)): _functions(p) for p in sorted((ROOT / "solvers").rglob("*.py"))}


def test_the_table_parses_and_every_row_has_a_class_and_a_reason():
    rows = _rows()
    assert len(rows) > 100, "docs/array_namespace_audit.md: the table did not parse"
    for key, (cls, why) in rows.items():
        assert cls in ("a", "b", "c, fixed here", "c, open"), (key, cls)
        assert len(why) > 10, key


def test_every_numpy_conversion_in_solvers_is_classified():
    rows, missing, open_ = _rows(), [], []
    for path, funcs in _scan().items():
        for func, lines in funcs.items():
            if not lines:
                continue
            row = rows.get((path, func)) or rows.get((path, "*"))
            if row is None:
                missing.append(f"{path}::{func} (lines {lines})")
            elif row[0] == "c, open":
                open_.append(f"{path}::{func}: {row[1]}")
    assert not missing, ("np.asarray / np.array in solvers/ without a row in docs/array_namespace_audit.md; "
                         "use the input's namespace (numeric.backend), or add a row saying why NumPy is right "
                         "here (host bookkeeping, a capability path): " + "; ".join(missing))
    assert not open_, "a device input reaches these NumPy conversions: " + "; ".join(open_)


def test_every_solvers_row_names_an_existing_function():
    scan, stale = _scan(), []
    for (path, func), _ in _rows().items():
        if not path.startswith("solvers/") or func == "*":
            continue
        if path not in scan or (func not in scan[path] and func != "<module>"):
            stale.append(f"{path}::{func}")
    assert not stale, "rows of docs/array_namespace_audit.md whose function no longer exists: " + "; ".join(stale)


def test_the_check_catches_an_unlisted_conversion(tmp_path):
    # the scan itself: a module with one np.asarray in a method is found, by qualified name
    p = tmp_path / "m.py"
    p.write_text("import numpy as np\nclass A:\n    def f(self, x):\n        def g(y):\n"
                 "            return np.asarray(y)\n        return g(x)\n")
    assert _functions(p) == {"A.f": [], "A.f.g": [5]}
