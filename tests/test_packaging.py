"""What a user depending on metanum meets first: a light import, and the packaging metadata
(licence, extras, install line) that pip and a reader of the README rely on."""

import pathlib
import re
import subprocess
import sys
import tomllib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())


@pytest.mark.parametrize("package", ["numeric", "solvers"])
def test_import_does_not_load_numba(package):
    """numba (about half of the import time) loads only when a compiled path is first used."""
    code = f"import sys, {package}; print('numba' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                         check=True)
    assert out.stdout.strip() == "False", f"import {package} imported numba: find who with " \
        f"`python -X importtime -c 'import {package}' 2>&1 | grep -B5 numba`"


def test_ssa_solve_still_loads_numba_on_first_use():
    """The SSA kernels import numba when the first compiled jump simulation runs."""
    code = ("import sys, solvers; from solvers.ssa import JumpProblem, Direct, solve; "
            "p = JumpProblem.mass_action(x0=[5, 0], reactions=[({'A': 1}, {'B': 1}, 1.0)], "
            "species=['A', 'B'], tspan=(0.0, 100.0)); s = solve(p, Direct(), seed=1); "
            "print(int(s(100.0)[1]), 'numba' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                         check=True)
    assert out.stdout.split() == ["5", "True"], out.stdout


def test_compiled_path_still_loads_numba_on_first_use():
    """The laziness does not lose the compiled path: building a Fun compiles standardChop."""
    code = ("import sys, numeric as nm, numpy as np; f = nm.Fun(np.exp, nm.Chebyshev(-1, 1)); "
            "print(len(f), 'numba' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                         check=True)
    assert out.stdout.split() == ["15", "True"], out.stdout


def test_license_is_spdx_and_file_present():
    assert PYPROJECT["project"]["license"] == "MIT"   # the SPDX string form (PEP 639)
    assert "MIT License" in (ROOT / "LICENSE").read_text()
    build = " ".join(PYPROJECT["build-system"]["requires"])
    assert re.search(r"setuptools>=(\d+)", build) and int(re.search(r"setuptools>=(\d+)", build)[1]) >= 77, \
        "the SPDX license string needs setuptools>=77"


def test_extras_the_readme_documents_exist():
    extras = PYPROJECT["project"]["optional-dependencies"]
    readme = (ROOT / "README.md").read_text()
    for name in ("ensemble", "notebooks", "docs", "bench", "gpu"):
        assert name in extras, f"extra {name!r} missing from pyproject.toml"
        assert f"`{name}`" in readme, f"README's extras table does not list {name!r}"
    assert "pip install" in readme.split("\n## ")[0], "the install line belongs at the top of README"


def test_readme_and_docs_stay_inside_the_repository():
    """No link to ../shared or shared/: the architecture and benchmark spec live in docs/."""
    texts = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
    offenders = [str(p.relative_to(ROOT)) for p in texts if re.search(r"(\.\./)?\bshared/", p.read_text())]
    assert not offenders, offenders


def test_citation_and_changelog_present():
    cff = (ROOT / "CITATION.cff").read_text()
    assert "cff-version:" in cff and f'version: "{PYPROJECT["project"]["version"]}"' in cff
    assert f"## [{PYPROJECT['project']['version']}]" in (ROOT / "CHANGELOG.md").read_text()
