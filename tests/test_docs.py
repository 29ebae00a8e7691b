"""The documentation site builds with warnings as errors, documents every public name, and the code
in its guides runs: so it never rots. (`make docs` is the same build.)"""

import os
import pathlib
import re
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
PAGES = sorted((ROOT / "docs").glob("*.md")) + sorted((ROOT / "docs" / "guides").glob("*.md"))


@pytest.mark.parametrize("page", PAGES, ids=[str(p.relative_to(ROOT / "docs")) for p in PAGES])
def test_python_blocks_in_docs_run(page, monkeypatch, tmp_path):
    """Every ```python block of a page runs, in order, in one namespace (```text is shown only)."""
    blocks = re.findall(r"```python\n(.*?)```", page.read_text(), flags=re.S)
    monkeypatch.chdir(tmp_path)
    namespace: dict = {"__name__": "docs_example"}
    for k, block in enumerate(blocks):
        exec(compile(block, f"{page.name}, python block {k + 1}", "exec"), namespace)


def test_site_builds_strict_and_documents_every_public_name(tmp_path):
    pytest.importorskip("mkdocs", reason="mkdocs is not installed: pip install -e '.[docs]'")
    pytest.importorskip("mkdocstrings", reason="mkdocstrings is not installed: pip install -e '.[docs]'")
    pytest.importorskip("mkdocs_jupyter", reason="mkdocs-jupyter is not installed: pip install -e '.[docs]'")
    site = tmp_path / "site"
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1", PYTHONPATH=str(ROOT))
    run = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-6000:]
    sys.path.insert(0, str(ROOT / "docs"))
    try:
        from _hooks import public_names
    finally:
        sys.path.remove(str(ROOT / "docs"))
    import numeric
    import solvers
    for package in (numeric, solvers):
        page = (site / "api" / package.__name__ / "index.html").read_text()
        anchors = set(re.findall(r'id="([\w.]+)"', page))
        missing = [n for n in public_names(package) if f"{package.__name__}.{n}" not in anchors]
        assert not missing, f"public names of {package.__name__} without an API entry: {missing}"
    notebooks = sorted((ROOT / "notebooks").glob("[0-9]*.ipynb"))
    rendered = [p.stem for p in notebooks if (site / "gallery" / p.stem / "index.html").exists()]
    assert rendered == [p.stem for p in notebooks], "the gallery misses a notebook"


def _documented_objects():
    """(module, name, callable) for every public name of the API pages, methods of classes included."""
    import importlib
    import inspect

    sys.path.insert(0, str(ROOT / "docs"))
    try:
        from _hooks import SUBMODULES, public_names
    finally:
        sys.path.remove(str(ROOT / "docs"))
    for module_name in ["numeric", "solvers", *SUBMODULES]:
        module = importlib.import_module(module_name)
        for name in public_names(module):
            obj = getattr(module, name)
            yield module_name, name, obj
            if inspect.isclass(obj):
                for attr, member in vars(obj).items():
                    if not attr.startswith("_") and callable(member):
                        yield module_name, f"{name}.{attr}", member


def test_mode_and_chunk_documented_wherever_accepted():
    """A public function that takes ``mode=`` or ``chunk=`` says what they do in its docstring."""
    import inspect

    undocumented = []
    for module_name, name, obj in _documented_objects():
        try:
            params = inspect.signature(obj).parameters
        except (TypeError, ValueError):
            continue
        doc = inspect.getdoc(obj) or ""
        undocumented += [f"{module_name}.{name}: {p}" for p in ("mode", "chunk")
                         if p in params and not re.search(rf"\b{p}\b", doc)]
    assert not undocumented, undocumented
