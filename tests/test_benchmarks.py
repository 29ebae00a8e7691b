"""Every benchmark script's ``--quick`` mode runs and passes its own checks.

The quick mode uses tiny sizes, no peers, and asserts that our results
match an independent reference, so a broken benchmark (or a wrong
derivative it measures) fails here. One test per ``benchmarks/bench_*.py``
script, found by glob, so new scripts are covered without editing this file.
The harness helpers are tested directly as well.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "benchmarks"
SCRIPTS = sorted(BENCH.glob("bench_*.py"))


def test_benchmark_scripts_exist():
    assert any(p.name == "bench_forward.py" for p in SCRIPTS), SCRIPTS


@pytest.mark.parametrize("script", SCRIPTS, ids=[p.stem for p in SCRIPTS])
def test_quick_mode_runs(script: Path):
    proc = subprocess.run([sys.executable, str(script), "--quick"], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, (
        f"{script.name} --quick exited {proc.returncode}\n--- stdout\n{proc.stdout[-3000:]}"
        f"\n--- stderr\n{proc.stderr[-3000:]}")
    assert "|" in proc.stdout, f"{script.name} --quick printed no table:\n{proc.stdout[-2000:]}"


@pytest.fixture(scope="module")
def harness():
    sys.path.insert(0, str(BENCH))
    try:
        import _harness
        yield _harness
    finally:
        sys.path.remove(str(BENCH))


def test_measure_times_a_known_sleep(harness):
    # sleep(2 ms) lasts at least 2 ms; the upper bound is loose for a loaded machine
    t = harness.measure(lambda: time.sleep(0.002), min_time=0.004, repeat=3, budget=1.0)
    assert 0.002 <= t.best <= t.median < 0.5
    assert t.repeats == 3


def test_measure_calibrates_loops_for_fast_calls(harness):
    calls = []
    t = harness.measure(lambda: calls.append(1), min_time=0.005, repeat=2, budget=1.0)
    assert t.loops > 10 and t.repeats == 2
    assert t.loops * t.best * t.repeats <= 1.0 + 1e-9
    assert len(calls) >= 1 + t.loops * t.repeats   # warm-up + calibration + samples


def test_measure_respects_budget_for_slow_calls(harness):
    t = harness.measure(lambda: time.sleep(0.02), min_time=0.001, repeat=50, budget=0.05)
    assert t.repeats in (1, 2, 3) and t.loops == 1   # 50 samples of 20 ms would blow the budget


def test_missing_peer_is_reported_not_dropped(harness):
    peer = harness.load_peer("metanum_no_such_peer")
    assert not peer.available
    assert peer.error.startswith("not installed: ModuleNotFoundError")
    failed = harness.attempt(lambda: 1 / 0)
    assert isinstance(failed, harness.Failed) and "ZeroDivisionError" in str(failed)


def test_format_and_table(harness, capsys):
    assert harness.format_time(2.5e-6) == "2.50 us"
    assert harness.format_time(0.25) == "250 ms"
    assert harness.format_ratio(12.345) == "12.3x"
    harness.print_table("T", ["method", "time"], [["ours", "1 us"], ["peer", "not installed: x"]])
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "### T"
    widths = {len(line) for line in lines[2:5]}
    assert len(widths) == 1, lines   # aligned columns


def test_run_all_rejects_unknown_script():
    proc = subprocess.run([sys.executable, str(BENCH / "run_all.py"), "--quick", "bench_nope"],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "no benchmark script named" in proc.stderr
