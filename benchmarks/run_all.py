"""Run every ``benchmarks/bench_*.py`` script, one subprocess each (``make bench``).

Each script is also runnable alone (``python benchmarks/bench_forward.py``);
this runner only finds them, runs them in turn with the same interpreter,
streams their tables and reports which ones failed. Options are passed on
to every script (``--quick`` for the smoke mode). Naming scripts runs only
those.

Example
-------
``python benchmarks/run_all.py --quick``  (every script, smoke mode)
``python benchmarks/run_all.py bench_forward``  (one script, full)
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def scripts() -> list[Path]:
    """The benchmark scripts, sorted by name."""
    return sorted(HERE.glob("bench_*.py"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="pass --quick to every script")
    parser.add_argument("names", nargs="*",
                        help="run only these scripts (e.g. bench_forward); default: all")
    args = parser.parse_args(argv)
    found = scripts()
    if args.names:
        wanted = {n.removesuffix(".py") for n in args.names}
        unknown = wanted - {p.stem for p in found}
        if unknown:
            parser.error(f"no benchmark script named {sorted(unknown)}; "
                         f"available: {[p.stem for p in found]}")
        found = [p for p in found if p.stem in wanted]
    failures = []
    for path in found:
        cmd = [sys.executable, str(path)] + (["--quick"] if args.quick else [])
        print(f"\n$ {' '.join([Path(sys.executable).name] + cmd[1:])}", flush=True)
        start = time.perf_counter()
        rc = subprocess.call(cmd, cwd=HERE.parent)
        print(f"[{path.name}: exit {rc}, {time.perf_counter() - start:.1f} s]", flush=True)
        if rc != 0:
            failures.append(path.name)
    if failures:
        print(f"\nFAILED: {', '.join(failures)}", file=sys.stderr)
        return 1
    print(f"\nall {len(found)} benchmark scripts finished")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
