"""Every notebook in notebooks/ executes top to bottom, shows every figure it draws and prints no
warning, so none of them rots; and the committed file carries those outputs, so it reads on a code
host without running. The rules are in notebooks/_write_notebook.py's docstring; they apply to every
``*.ipynb`` found by glob, whoever wrote it."""

import pathlib
import sys

import nbformat
import pytest

NOTEBOOK_DIR = pathlib.Path(__file__).resolve().parents[1] / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("[0-9]*.ipynb"))
sys.path.insert(0, str(NOTEBOOK_DIR))
from _write_notebook import draws, execute, problems  # noqa: E402

IDS = [p.name for p in NOTEBOOKS]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_notebook_executes_quick(path, tmp_path):
    """The quick setting (METANUM_QUICK=1): runs, draws its figures, no stderr, no error."""
    nb = nbformat.read(path, as_version=4)
    execute(nb, tmp_path, quick=True, timeout=300)
    assert not problems(nb), "\n".join(problems(nb))


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_notebook_executes_full(path, tmp_path):
    """The full setting, the one the generators execute and store."""
    nb = nbformat.read(path, as_version=4)
    execute(nb, tmp_path, quick=False, timeout=3600)   # a cell: notebook 11 trains ~30 min under load
    assert not problems(nb), "\n".join(problems(nb))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_committed_notebook_has_its_outputs(path):
    """The .ipynb in the repository was executed by its generator: figures and printed results are
    stored (a reader on a code host sees them), and they obey the same rules."""
    nb = nbformat.read(path, as_version=4)
    assert not problems(nb), "\n".join(problems(nb)) + f"\nregenerate: python notebooks/make_{path.stem[:2]}_*.py"
    assert any(o.get("output_type") in ("stream", "execute_result", "display_data")
               for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])), path


def test_generator_for_every_notebook():
    """Each notebook has its make_NN_*.py generator, so its outputs can be reproduced."""
    missing = [p.name for p in NOTEBOOKS if not list(NOTEBOOK_DIR.glob(f"make_{p.stem[:2]}_*.py"))]
    assert not missing, f"notebooks without a generator: {missing}"


def test_rules_catch_what_they_claim():
    """The checks can fail: a drawing cell without an image, a stderr stream, matplotlib.use."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("import matplotlib\nmatplotlib.use('Agg')"),
                nbformat.v4.new_code_cell("fig, ax = plt.subplots()"),
                nbformat.v4.new_code_cell("import warnings; warnings.warn('x')")]
    for c in nb.cells:
        c.execution_count = 1
    nb.cells[2].outputs = [nbformat.v4.new_output("stream", name="stderr", text="UserWarning: x")]
    found = problems(nb)
    assert len(found) == 3 and "matplotlib.use" in found[0] and "no image" in found[1] \
        and "stderr" in found[2], found
    assert draws("ax[0].plot(x, y)") and not draws("plt.show()") and not draws("%matplotlib inline")
