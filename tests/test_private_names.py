"""No number type imports another number type's private names (issue 10).

What number types share lives in shared modules (numeric/protocol.py: ``dispatch``,
``ufunc_rule_name``, ``linear_parts``; numeric/rules.py; numeric/arrayrules*.py). A number
type is a *family* of modules: dual.py + dualarray.py (forward mode), numeric/measurement/,
numeric/fun/, numeric/reverse/, tracer.py, and api.py (the forward-mode drivers, which seed
duals). This test parses every import (module level and
inside functions) of those modules with ast and fails on

* ``from <another family's module> import _private`` (the imported name, not the alias);
* an import of another family's number class (Dual, DualArray, Measurement,
  MeasurementArray, Tracked, TrackedArray, Fun, Tracer) unless it is listed in
  ``JUSTIFIED`` below with the reason the protocol does not do;
* a private attribute of such an imported class (``DualArray._new``; the protocol's
  ``_nm_*`` hooks are public by definition) and the private slots of a type listed in
  ``PRIVATE_SLOTS`` (``x._p`` of a Dual) used outside its family.
"""

import ast
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1] / "numeric"

FAMILIES = {
    "forward": ["dual.py", "dualarray.py"],
    "measurement": ["measurement"],
    "fun": ["fun"],
    "reverse": ["reverse"],
    "tracer": ["tracer.py"],
    "api": ["api.py"],
}

CLASSES = {"Dual", "DualArray", "Measurement", "MeasurementArray", "Tracked", "TrackedArray",
           "Fun", "Tracer"}

# (importing family, imported module, name) -> why the protocol does not do
JUSTIFIED = {
    ("measurement", "numeric.dual", "Dual"):
        "stats.uncertainty/cov of a Dual of a Measurement (derivative of an uncertainty) "
        "splits the Dual layer",
    ("reverse", "numeric.dual", "Dual"):
        "forward-over-reverse (hvp, nm.hessian): the reverse API seeds its inputs with Duals "
        "of a fresh tag and reads their partials",
    ("reverse", "numeric.dualarray", "DualArray"):
        "forward-over-reverse: the array form of the Dual seeds above",
    ("api", "numeric.dual", "Dual"):
        "the forward-mode drivers (nm.derivative, ...) seed a scalar input with a Dual of a fresh "
        "tag and read the result's partials (from_parts / raw_partials)",
    ("api", "numeric.dualarray", "DualArray"):
        "nm.gradient / jacobian / jvp seed an array input with a DualArray of a fresh tag",
}


# private instance attributes of a family's number types, never read outside the family
PRIVATE_SLOTS = {"forward": {"_p"}}


def _family(path: pathlib.Path):
    rel = path.relative_to(ROOT).parts
    for fam, members in FAMILIES.items():
        if rel[0] in members:
            return fam
    return None


def _module_family(module: str):
    parts = module.split(".")
    if parts[0] != "numeric" or len(parts) < 2:
        return None
    head = parts[1]
    for fam, members in FAMILIES.items():
        if head in members or head + ".py" in members:
            return fam
    return None


def _files():
    out = []
    for fam, members in FAMILIES.items():
        for m in members:
            p = ROOT / m
            out += sorted(p.rglob("*.py")) if p.is_dir() else [p]
    return out


def _resolve(node: ast.ImportFrom, path: pathlib.Path) -> str:
    if node.level == 0:
        return node.module or ""
    pkg = list(path.relative_to(ROOT.parent).with_suffix("").parts[:-1])
    base = pkg[: len(pkg) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def cross_family_imports(path: pathlib.Path) -> list:
    """(family, module, name) of each import of another family's name in *path*."""
    fam = _family(path)
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom):
            module = _resolve(node, path)
            other = _module_family(module)
            if other is not None and other != fam:
                found += [(fam, module, a.name) for a in node.names]
        elif isinstance(node, ast.Import):
            for a in node.names:
                other = _module_family(a.name)
                if other is not None and other != fam:
                    found.append((fam, a.name, "*module*"))
    return found


def private_attribute_uses(path: pathlib.Path) -> list:
    """``Name._attr`` on a class imported from another family, and other families' slots."""
    fam = _family(path)
    tree = ast.parse(path.read_text(), str(path))
    foreign = {a.asname or a.name for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
               and _module_family(_resolve(node, path)) not in (None, fam) for a in node.names}
    slots = set().union(*(v for k, v in PRIVATE_SLOTS.items() if k != fam))
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Attribute) or not node.attr.startswith("_"):
            continue
        if node.attr.startswith("_nm_") or node.attr.startswith("__"):
            continue
        if node.attr in slots:
            found.append(f"line {node.lineno}: .{node.attr} is private to another number type")
        elif isinstance(node.value, ast.Name) and node.value.id in foreign:
            found.append(f"line {node.lineno}: {node.value.id}.{node.attr} is private")
    return found


@pytest.mark.parametrize("path", _files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_private_attributes_of_other_number_types(path):
    bad = private_attribute_uses(path)
    assert not bad, "\n".join(bad) + "\n(use the public from_parts / raw_partials / protocol)"


@pytest.mark.parametrize("path", _files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_private_or_class_imports_across_number_types(path):
    bad = []
    for fam, module, name in cross_family_imports(path):
        if name.startswith("_"):
            bad.append(f"{module}.{name} is private to another number type: move it to "
                       "numeric/protocol.py (or rules/arrayrules) and import it from there")
        elif (name in CLASSES or name == "*module*") and (fam, module, name) not in JUSTIFIED:
            bad.append(f"{module}.{name}: go through the protocol (nm.value, "
                       "numeric.protocol.linear_parts, duck typing) or justify it in JUSTIFIED")
    assert not bad, "\n".join(bad)


def test_every_justified_exception_is_still_used():
    used = {t for p in _files() for t in cross_family_imports(p)}
    stale = set(JUSTIFIED) - used
    assert not stale, f"remove stale exceptions: {sorted(stale)}"


def test_checker_catches_a_private_import(tmp_path, monkeypatch):
    # the checker itself can fail: a fun module importing dualarray's _wrap is reported
    pkg = tmp_path / "numeric" / "fun"
    pkg.mkdir(parents=True)
    f = pkg / "bad.py"
    f.write_text("def g():\n    from numeric.dualarray import _wrap, DualArray\n"
                 "from ..dual import _dispatch\n")
    monkeypatch.setattr(__import__(__name__), "ROOT", tmp_path / "numeric")
    assert sorted(cross_family_imports(f)) == [("fun", "numeric.dual", "_dispatch"),
                                               ("fun", "numeric.dualarray", "DualArray"),
                                               ("fun", "numeric.dualarray", "_wrap")]
    f.write_text("from numeric.dualarray import DualArray\n"
                 "def g(x, d):\n    return DualArray._new(x, x, 0), d._p, d._nm_order\n")
    assert [m.split(":")[0] for m in private_attribute_uses(f)] == ["line 3", "line 3"]
