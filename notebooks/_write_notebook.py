"""Write a notebook from ``(kind, source)`` cells, executed so that its outputs (figures included)
are stored for readers; shared by the make_*.py generators."""

import pathlib

import nbformat as nbf


def write_notebook(cells: list[tuple[str, str]], path: pathlib.Path) -> None:
    """Build the notebook of *cells* ("md" or "code"), execute it where nbclient is present, write *path*."""
    nb = nbf.v4.new_notebook()
    nb.cells = [nbf.v4.new_markdown_cell(s) if k == "md" else nbf.v4.new_code_cell(s) for k, s in cells]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    try:
        from nbclient import NotebookClient
        NotebookClient(nb, timeout=600, kernel_name="python3",
                       resources={"metadata": {"path": str(path.parent)}}).execute()
    except Exception as exc:  # still write the notebook; tests/test_notebooks.py executes it
        print("could not execute the notebook:", exc)
    nbf.write(nb, path)
    print("wrote", path)
