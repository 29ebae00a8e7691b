"""Write a notebook from ``(kind, source)`` cells, execute it and store its outputs (figures included),
so that it reads on a code host without running; shared by every ``make_NN_*.py`` generator.

The rules every notebook in this folder keeps (``tests/test_notebooks.py`` checks them on every
``*.ipynb``, through :func:`problems`, and so does :func:`write_notebook` right after executing):

1. **Every cell that draws shows its figure.** A code cell *draws* when it calls a pyplot function
   (``plt.subplots(``, ``plt.plot(``, ...; not ``plt.show``/``plt.close``/``plt.rcParams``) or a
   ``.plot(`` method; such a cell must emit an ``image/png`` output, unless it draws only in
   some setting and says so with the comment ``# optional figure`` on a line. Never call
   ``matplotlib.use("Agg")``: in Jupyter it hides every figure. ``%matplotlib inline`` is fine.
2. **No cell writes to stderr**: a warning printed in a teaching notebook is a bug to fix (or, when
   it is expected and explained, to silence with ``warnings.catch_warnings()`` and a comment).
3. **No cell raises.**
4. **A quick setting.** A notebook whose full run takes more than a few seconds reads
   ``QUICK = os.environ.get("METANUM_QUICK") == "1"`` and shrinks its sizes when it is set. The
   default test suite executes every notebook with ``METANUM_QUICK=1`` (well under a minute each);
   ``pytest -m slow tests/test_notebooks.py`` runs the full setting, which is also what the
   generators execute and store.
5. **Committed with outputs**: run ``make notebooks`` (or ``python notebooks/make_NN_*.py``) after
   editing a generator, and commit the ``.ipynb`` it wrote. Figures are PNG at 80 dpi (set by
   :data:`FIGURE_SETUP`, which :func:`write_notebook` runs before the first cell without storing it),
   so a notebook stays a few hundred kB.

Examples
--------
>>> from _write_notebook import draws
>>> draws("fig, ax = plt.subplots()"), draws("sol.plot()"), draws("plt.show()"), draws("x = 1")
(True, True, False, False)
"""

from __future__ import annotations

import os
import pathlib
import re
import sys

import nbformat as nbf

# A pyplot call other than the ones that only configure or flush, or any ``.plot(`` method.
_DRAW = re.compile(r"\bplt\.(?!show\b|close\b|rcParams\b|rc\b|style\b|ioff\b|ion\b|switch_backend\b)"
                   r"\w+\s*\(|\.plot\s*\(")

#: Run in the kernel before the first cell (not stored): modest PNGs, one format.
FIGURE_SETUP = ("%matplotlib inline\n"
                "%config InlineBackend.figure_formats = ['png']\n"
                "import matplotlib as _mpl\n"
                "_mpl.rcParams['figure.dpi'] = 80\n"
                "del _mpl")


def draws(source: str) -> bool:
    """Whether a code cell's *source* draws a figure (rule 1 of the module docstring)."""
    return bool(_DRAW.search(source))


def problems(nb: nbf.NotebookNode, *, executed: bool = True) -> list[str]:
    """What breaks the rules of this module in the executed notebook *nb* (empty: none).

    With ``executed=False`` only the source is checked (no ``matplotlib.use``); otherwise also every
    code cell's outputs: an image where the cell draws, nothing on stderr, no error, an execution count.
    """
    found = []
    for k, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        src, outs = cell.source, cell.get("outputs", [])
        where = f"cell {k} ({src.strip().splitlines()[0][:50] if src.strip() else 'empty'!r})"
        if re.search(r"matplotlib\.use\(", src):
            found.append(f"{where} calls matplotlib.use(...), which hides figures in Jupyter")
        if not executed:
            continue
        if cell.get("execution_count") is None and src.strip():
            found.append(f"{where} was not executed: run the make_*.py generator")
        shown = any("image/png" in o.get("data", {}) for o in outs)
        if draws(src) and "# optional figure" not in src and not shown:
            found.append(f"{where} draws but shows no image (end it with plt.show())")
        for o in outs:
            if o.get("output_type") == "stream" and o.get("name") == "stderr":
                found.append(f"{where} wrote to stderr: {o.get('text', '')[:300]!r}")
            if o.get("output_type") == "error":
                found.append(f"{where} raised {o.get('ename')}: {o.get('evalue', '')[:300]}")
    return found


def execute(nb: nbf.NotebookNode, cwd: pathlib.Path, *, quick: bool = False, timeout: int = 900) -> None:
    """Execute *nb* in place in a fresh kernel started in *cwd* (METANUM_QUICK=1 when *quick*)."""
    from nbclient import NotebookClient

    env_before = os.environ.get("METANUM_QUICK")
    os.environ["METANUM_QUICK"] = "1" if quick else "0"   # the kernel inherits this environment
    try:
        client = NotebookClient(nb, timeout=timeout, kernel_name="python3", startup_timeout=300,
                                resources={"metadata": {"path": str(cwd)}})   # loaded machines start kernels slowly
        with client.setup_kernel():
            client.execute_cell(nbf.v4.new_code_cell(FIGURE_SETUP), 0)
            for index, cell in enumerate(nb.cells):
                client.execute_cell(cell, index)
        count = 0   # number the stored cells from 1, as if the setup cell had not run
        for cell in nb.cells:
            if cell.cell_type == "code" and cell.get("execution_count") is not None:
                count += 1
                cell.execution_count = count
                for o in cell.outputs:
                    if o.get("output_type") == "execute_result":
                        o["execution_count"] = count
    finally:
        if env_before is None:
            os.environ.pop("METANUM_QUICK", None)
        else:
            os.environ["METANUM_QUICK"] = env_before


def write_notebook(cells: list[tuple[str, str]], path: pathlib.Path) -> None:
    """Build the notebook of *cells* ("md" or "code"), execute it, write *path*.

    The full setting, unless the generator runs with ``METANUM_QUICK=1`` (for a notebook whose
    full setting takes too long to store; the stored outputs then say "quick" where the
    notebook prints its setting).

    The notebook is written even when a cell fails, so that the error can be read in it; the
    generator then exits with status 1, as it does when :func:`problems` finds a broken rule.
    """
    nb = nbf.v4.new_notebook()
    nb.cells = [nbf.v4.new_markdown_cell(s) if k == "md" else nbf.v4.new_code_cell(s) for k, s in cells]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    failure = None
    try:
        execute(nb, path.parent, quick=os.environ.get("METANUM_QUICK") == "1")
    except Exception as exc:  # noqa: BLE001 - reported below, after the notebook is written
        failure = exc
    nbf.write(nb, path)
    print("wrote", path)
    found = problems(nb)
    if failure is not None:
        found.append(f"execution stopped: {type(failure).__name__}: {str(failure)[:500]}")
    if found:
        print("\n".join(found), file=sys.stderr)
        sys.exit(1)
