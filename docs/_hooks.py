"""mkdocs hooks: the API reference pages and the gallery, generated so that neither goes stale.

* ``api/numeric.md``, ``api/solvers.md``: one entry per public name of the package (its ``__all__``,
  or every name not starting with ``_`` that is not a module), grouped by the module that defines it;
  ``api/modules.md``: the submodules users import by name (:data:`SUBMODULES`). A name another
  contributor adds to ``numeric`` or ``solvers`` appears on the next build with its docstring.
* The "Gallery" section of the navigation: every ``notebooks/NN_*.ipynb`` (``docs/gallery`` is a
  link to ``notebooks/``), by glob, rendered from its stored outputs by mkdocs-jupyter.

Examples
--------
>>> import numeric
>>> "derivative" in public_names(numeric)
True
"""

from __future__ import annotations

import importlib
import inspect
import json
import pathlib
import types

ROOT = pathlib.Path(__file__).resolve().parents[1]

#: Submodules documented as a whole (their ``__all__``), for the names that are not re-exported at
#: the top level. One that fails to import stops the build (keep this list current).
SUBMODULES = ["numeric.reverse", "numeric.measurement", "numeric.fun", "numeric.testing",
              "numeric.protocol", "solvers.ode", "solvers.ode.stiff", "solvers.sde", "solvers.ssa",
              "solvers.ensemble", "solvers.roots", "solvers.linalg", "solvers.krylov",
              "solvers.optimize", "solvers.nn", "solvers.ode.sensitivity", "solvers.sindy"]


def public_names(module: types.ModuleType) -> list[str]:
    """The module's ``__all__``, else its attributes without a leading ``_`` that are not modules."""
    names = getattr(module, "__all__", None)
    if names is None:
        names = [n for n in vars(module) if not n.startswith("_")
                 and not isinstance(getattr(module, n), types.ModuleType)]
    return list(dict.fromkeys(names))


def _summary(module_name: str) -> str:
    doc = inspect.getdoc(importlib.import_module(module_name)) or ""
    return doc.strip().split("\n\n")[0].replace("\n", " ")


def _package_page(package: str) -> str:
    module = importlib.import_module(package)
    groups: dict[str, list[str]] = {}
    for name in public_names(module):
        obj = getattr(module, name)
        home = getattr(obj, "__module__", None) if callable(obj) else None
        groups.setdefault(home if isinstance(home, str) and home.startswith(package) else package,
                          []).append(name)
    lines = [f"# `{package}`", "", _summary(package), "",
             f"Every public name of `{package}` ({sum(map(len, groups.values()))} names), grouped by the "
             "module that defines it. Generated from the docstrings at each build.", ""]
    for home in sorted(groups):
        lines += [f"## `{home}`", "", _summary(home), ""]
        lines += [f"::: {package}.{name}\n" for name in groups[home]]
    return "\n".join(lines)


def _modules_page() -> str:
    lines = ["# Submodules", "", "Modules imported by name, for what the top-level packages do not "
             "re-export. Each lists its public names (`__all__`).", ""]
    for name in SUBMODULES:
        module = importlib.import_module(name)
        lines += [f"## `{name}`", "", f"::: {name}", "    options:", "      show_root_heading: false",
                  f"      members: {json.dumps(public_names(module))}", ""]
    return "\n".join(lines)


def on_files(files, config):
    """Add the generated API pages."""
    from mkdocs.structure.files import File   # here, so that public_names imports without mkdocs

    pages = {"api/numeric.md": _package_page("numeric"), "api/solvers.md": _package_page("solvers"),
             "api/modules.md": _modules_page()}
    for uri, content in pages.items():
        files.append(File.generated(config, uri, content=content))
    return files


def on_config(config):
    """Fill the "Gallery" navigation entry with every executed notebook, by glob."""
    notebooks = sorted((ROOT / "notebooks").glob("[0-9]*.ipynb"))
    for entry in config["nav"]:
        if isinstance(entry, dict) and "Gallery" in entry:
            entry["Gallery"] = [{_title(p): f"gallery/{p.name}"} for p in notebooks]
    return config


def _title(path: pathlib.Path) -> str:
    """The notebook's first heading, else its file name."""
    for cell in json.loads(path.read_text()).get("cells", []):
        if cell.get("cell_type") == "markdown":
            first = "".join(cell.get("source", "")).strip().splitlines()
            if first and first[0].startswith("#"):
                return first[0].lstrip("#").strip()
    return path.stem
