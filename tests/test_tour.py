"""``make demo`` runs examples/tour.py; it must run and print what it promises."""

import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]


def test_tour_runs_and_reports_every_number_type():
    out = subprocess.run([sys.executable, str(ROOT / "examples" / "tour.py")], capture_output=True,
                         text=True, timeout=600, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    for label in ("float64", "float32", "mpf", "Dual"):
        assert label in out.stdout
