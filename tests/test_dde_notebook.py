"""Notebook 09 (delays, DAEs) in its full setting (METANUM_QUICK=0); the quick setting runs in
tests/test_notebooks.py with every notebook."""

import os
import pathlib

import nbformat
import pytest
from nbclient import NotebookClient

PATH = pathlib.Path(__file__).resolve().parents[1] / "notebooks" / "09_delay_dae_hybrid.ipynb"


@pytest.mark.slow
def test_notebook_09_full_setting_executes(tmp_path, monkeypatch):
    monkeypatch.setenv("METANUM_QUICK", "0")
    nb = nbformat.read(PATH, as_version=4)
    NotebookClient(nb, timeout=900, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
              if o.get("output_type") == "error"]
    assert not errors, errors
    assert os.environ["METANUM_QUICK"] == "0"
