"""Shared utilities of the benchmark scripts: timing, peers, tables, header.

Every speed claim of metanum is a ratio against a named peer measured in the
same run (see ``BENCHMARKS.md`` of the project). This module gives each
``benchmarks/bench_*.py`` script the same four pieces:

* :func:`measure` times a zero-argument callable with ``time.perf_counter``:
  it calibrates a loop count so that one sample lasts about ``min_time``
  seconds (as ``timeit.Timer.autorange`` does), takes ``repeat`` samples and
  reports the best and the median time per call. Slow callables get fewer
  samples so that one measurement stays within ``budget`` seconds.
  :func:`measure_interleaved` does the same for several callables in
  alternating rounds, so that the load drifting on a shared machine hits
  all of them alike and their ratios hold.
* :func:`load_peer` imports a peer library and, when the import fails, keeps
  the error so that the table says ``not installed: <error>`` instead of
  silently dropping the row; :func:`attempt` does the same for a peer that
  imports but fails while running.
* :func:`print_table` prints an aligned plain-text (Markdown-compatible)
  table; :func:`format_time` and :func:`format_ratio` format its cells.
* :func:`header` lists the date, the machine and the versions of the
  packages that take part, printed at the top of every run.

Example
-------
>>> from _harness import measure, format_time
>>> t = measure(lambda: sum(range(100)), min_time=0.001, repeat=3)
>>> t.best > 0 and t.best <= t.median
True
>>> format_time(1.5e-6)
'1.50 us'
"""

from __future__ import annotations

import argparse
import datetime as _dt
import importlib
import importlib.metadata
import math
import os
import platform
import statistics
import sys
import time
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Sequence

__all__ = [
    "Timing", "measure", "measure_interleaved", "Peer", "load_peer", "Failed", "attempt",
    "format_time", "format_ratio", "print_table", "header", "parse_args", "Settings", "run_main",
]


@dataclass(frozen=True)
class Timing:
    """Seconds per call: the best, median and worst of ``repeats`` samples of ``loops`` calls."""

    best: float
    median: float
    loops: int
    repeats: int
    worst: float = math.nan


@dataclass(frozen=True)
class Settings:
    """Timing settings of one run: full measurements or the quick smoke mode."""

    quick: bool
    min_time: float
    repeat: int
    budget: float


def run_main(main: Callable[[], int]) -> None:
    """Run a benchmark's ``main()``, print its total wall time and exit with its code."""
    start = time.perf_counter()
    code = main()
    print(f"total {time.perf_counter() - start:.1f} s")
    sys.exit(code)


def parse_args(description: str, argv: Sequence[str] | None = None) -> Settings:
    """Parse the common command line of a benchmark script (``--quick``).

    ``--quick`` means tiny problem sizes, few repeats, no peers, and checks
    of our results against an independent reference; the test suite runs it.
    """
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--quick", action="store_true",
                        help="tiny sizes, few repeats, no peers; assert our results are correct")
    args = parser.parse_args(argv)
    if args.quick:
        return Settings(quick=True, min_time=0.002, repeat=3, budget=0.2)
    return Settings(quick=False, min_time=0.2, repeat=7, budget=4.0)


def _calibrate(fn: Callable[[], Any], min_time: float) -> tuple[int, float]:
    """Loops per sample so that one sample lasts >= min_time, and the seconds per call."""
    clock = time.perf_counter
    start = clock()
    fn()                                    # warm-up; also a first estimate
    single = clock() - start
    loops = 1
    if single < min_time:                   # calibrate like timeit.autorange
        while True:
            start = clock()
            for _ in range(loops):
                fn()
            elapsed = clock() - start
            if elapsed >= min_time or loops >= 10**7:
                break
            loops = max(loops * 2, int(loops * min_time / max(elapsed, 1e-9) * 1.1))
        single = elapsed / loops
    return loops, single


def _sample(fn: Callable[[], Any], loops: int) -> float:
    clock = time.perf_counter
    start = clock()
    for _ in range(loops):
        fn()
    return (clock() - start) / loops


def measure(fn: Callable[[], Any], *, min_time: float = 0.2, repeat: int = 7,
            budget: float = 4.0) -> Timing:
    """Time ``fn()``: best and median seconds per call over adaptive repeats.

    Parameters
    ----------
    fn : callable
        Called with no arguments; its result is discarded. Call it once
        yourself first if it has a first-call cost you do not want counted
        (this function also makes one untimed warm-up call).
    min_time : float
        Target duration of one sample; the loop count per sample is chosen
        so that a sample lasts at least this long.
    repeat : int
        Number of samples wanted (at least 1).
    budget : float
        Upper bound, in seconds, for all samples together: callables slower
        than ``budget / repeat`` get fewer samples (never fewer than one).

    Examples
    --------
    >>> t = measure(lambda: None, min_time=0.001, repeat=2)
    >>> t.repeats
    2
    """
    return measure_interleaved({"fn": fn}, min_time=min_time, repeat=repeat, budget=budget)["fn"]


def measure_interleaved(fns: dict[str, Callable[[], Any]], *, min_time: float = 0.2,
                        repeat: int = 7, budget: float = 4.0) -> dict[str, Timing]:
    """Time several callables in alternating rounds; a :class:`Timing` for each.

    On a shared machine the load drifts during a run; taking the samples of
    the callables in turn (round 1: a, b, c; round 2: a, b, c; ...) exposes
    them to the same drift, so the ratios of their times hold better than
    when each is measured in one block. Loop counts and sample counts are
    chosen per callable as in :func:`measure`.

    Examples
    --------
    >>> t = measure_interleaved({"a": lambda: None, "b": lambda: sum(range(50))},
    ...                         min_time=0.001, repeat=3)
    >>> sorted(t), t["a"].repeats
    (['a', 'b'], 3)
    """
    if repeat < 1:
        raise ValueError(f"repeat must be at least 1, got {repeat}")
    plan = {}
    for name, fn in fns.items():
        loops, single = _calibrate(fn, min_time)
        plan[name] = (loops, max(1, min(repeat, int(budget / max(single * loops, 1e-12)))))
    samples: dict[str, list[float]] = {name: [] for name in fns}
    for round_ in range(max(r for _, r in plan.values()) if plan else 0):
        for name, fn in fns.items():
            loops, repeats = plan[name]
            if round_ < repeats:
                samples[name].append(_sample(fn, loops))
    return {name: Timing(best=min(s), median=statistics.median(s), loops=plan[name][0],
                         repeats=len(s), worst=max(s)) for name, s in samples.items()}


@dataclass(frozen=True)
class Failed:
    """A peer that could not take part, and why (shown in the table)."""

    reason: str

    def __str__(self) -> str:
        return self.reason


@dataclass(frozen=True)
class Peer:
    """A peer library: its module, or the reason it is unavailable."""

    name: str
    module: Any = None
    error: str | None = None

    @property
    def available(self) -> bool:
        return self.error is None


def _describe_error(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}".strip()
    first = text.splitlines()[0] if text else type(exc).__name__
    return first if len(first) <= 120 else first[:117] + "..."


def load_peer(name: str, loader: Callable[[], Any] | None = None) -> Peer:
    """Import a peer; on failure keep ``"not installed: <error>"`` as its reason.

    Parameters
    ----------
    name : str
        Module name (imported with ``importlib.import_module`` unless
        *loader* is given).
    loader : callable, optional
        Imports and configures the peer, returning the module.

    Examples
    --------
    >>> load_peer("no_such_module_xyz").error
    "not installed: ModuleNotFoundError: No module named 'no_such_module_xyz'"
    """
    try:
        module = loader() if loader is not None else importlib.import_module(name)
    except Exception as exc:  # any import failure is reported, never hidden
        return Peer(name, None, f"not installed: {_describe_error(exc)}")
    return Peer(name, module, None)


def attempt(fn: Callable[[], Any]) -> Any:
    """Run ``fn()``; on an exception return :class:`Failed` naming the error.

    Examples
    --------
    >>> str(attempt(lambda: 1 / 0))
    'failed: ZeroDivisionError: division by zero'
    """
    try:
        return fn()
    except Exception as exc:
        return Failed(f"failed: {_describe_error(exc)}")


def format_time(seconds: float | None) -> str:
    """Seconds in a readable unit: ``'12.3 us'``, ``'4.56 ms'``, ``'1.20 s'``.

    Examples
    --------
    >>> format_time(0.0123)
    '12.3 ms'
    """
    if seconds is None or not math.isfinite(seconds):
        return "-"
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("us", 1e-6), ("ns", 1e-9)):
        if seconds >= scale or unit == "ns":
            value = seconds / scale
            digits = 2 if value < 10 else 1 if value < 100 else 0
            return f"{value:.{digits}f} {unit}"
    raise AssertionError("unreachable")


def format_ratio(ratio: float | None) -> str:
    """A ratio with three significant figures, ``'-'`` when absent.

    Examples
    --------
    >>> format_ratio(2.3456), format_ratio(123.4), format_ratio(None)
    ('2.35x', '123x', '-')
    """
    if ratio is None or not math.isfinite(ratio):
        return "-"
    return f"{ratio:.3g}x" if ratio < 1000 else f"{ratio:.0f}x"


def print_table(title: str, columns: Sequence[str], rows: Iterable[Sequence[Any]],
                file=None) -> None:
    """Print a Markdown table with aligned columns under a ``### title`` line.

    Examples
    --------
    >>> print_table("t", ["a", "bb"], [[1, "x"]])
    ### t
    <BLANKLINE>
    | a | bb |
    |---|----|
    | 1 | x  |
    <BLANKLINE>
    """
    out = file or sys.stdout
    cells = [[str(c) for c in row] for row in rows]
    widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(columns)]
    print(f"### {title}\n", file=out)
    print("| " + " | ".join(h.ljust(w) for h, w in zip(columns, widths)) + " |", file=out)
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|", file=out)
    for r in cells:
        print("| " + " | ".join(c.ljust(w) for c, w in zip(r, widths)) + " |", file=out)
    print(file=out, flush=True)


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _version(distribution: str) -> str:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def _revision() -> str:
    """The git commit of the working tree, and whether it has uncommitted changes."""
    import subprocess

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root, text=True,
                                capture_output=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                               cwd=root, text=True, capture_output=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown (git not available)"
    if not commit:
        return "unknown (not a git checkout)"
    return commit + (" with uncommitted changes" if dirty else "")


def header(distributions: Sequence[str]) -> str:
    """Date, machine and package versions, one ``key: value`` per line.

    Examples
    --------
    >>> "python" in header(["numpy"])
    True
    """
    cores = os.cpu_count()
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = cores
    lines = [
        f"date: {_dt.datetime.now(_dt.timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}",
        f"machine: {_cpu_model()}, {usable} usable cores ({cores} present), "
        f"{platform.system()} {platform.release()}",
        f"python: {platform.python_version()} ({sys.executable})",
        f"source: metanum commit {_revision()}",
        "packages: " + ", ".join(f"{d} {_version(d)}" for d in distributions),
    ]
    if hasattr(os, "getloadavg"):   # shared machines: say how busy it was
        lines.append("load average (1, 5, 15 min) at start: "
                     + ", ".join(f"{x:.2f}" for x in os.getloadavg()))
    return "\n".join(lines)
