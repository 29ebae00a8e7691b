"""PB-ODE O1 per-step overhead: the cost of one step of the loop, small and large states.

Run ``python benchmarks/bench_ode_steps.py [--quick] [--n N]`` (with /work/benchvenv's python
for the diffrax rows). Rows:

* n = 2: Lotka-Volterra of O1 (rtol 1e-8), Tsit5; time per step = solve time / (accepted +
  rejected steps); diffrax Tsit5 jit warm on the same problem, per its ``num_steps``.
* n = N (default 10^5): ``u' = -u`` on N states, Tsit5, rtol 1e-6, ``save_everystep=False``
  (only the ends are kept, no dense output), t in [0, 1]; diffrax alike (``SaveAt(t1=True)``).
* the numba whole-solve kernel on the large problem: per step, and the bytes of stage arrays it
  returns (``sol.stats`` plus the kernel's stage record, 0 when nothing asks for dense output).
* the numba kernel's start in a fresh process (compile or load from numba's disk cache), twice.
"""

from __future__ import annotations

import pathlib
import subprocess
import sys

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

from _harness import format_time, header, load_peer, measure, parse_args, print_table, run_main  # noqa: E402
from solvers import ODEProblem, Tsit5, solve  # noqa: E402

P0 = (1.5, 1.0, 3.0, 1.0)


def lotka(u, p, t):
    a, b, c, d = p
    x, y = u[0], u[1]
    return np.array([a * x - b * x * y, -c * y + d * x * y])


def decay(u, p, t):
    return -u


def _per_step(fn, kw) -> tuple:
    sol = fn()
    steps = sol.stats.naccept + sol.stats.nreject
    t = measure(fn, **kw).best
    return t / steps, steps


def ours_rows(n: int, kw) -> list:
    small = ODEProblem(lotka, np.array([1.0, 1.0]), (0.0, 10.0), P0)
    big = ODEProblem(decay, np.linspace(1.0, 2.0, n), (0.0, 1.0))
    rows = []
    per, steps = _per_step(lambda: solve(small, Tsit5(), rtol=1e-8, atol=1e-10), kw)
    rows.append(["ours Tsit5 generic, n = 2", format_time(per), str(steps), ""])
    per, steps = _per_step(lambda: solve(big, Tsit5(), rtol=1e-6, atol=1e-9, save_everystep=False), kw)
    rows.append([f"ours Tsit5 generic, n = {n}", format_time(per), str(steps), "save_everystep=False"])
    return rows


def numba_rows(n: int, kw) -> list:
    import numba

    fj = numba.njit(decay)
    big = ODEProblem(fj, np.linspace(1.0, 2.0, n), (0.0, 1.0))
    run = lambda: solve(big, Tsit5(), rtol=1e-6, atol=1e-9, save_everystep=False)  # noqa: E731
    sol = run()
    assert sol.compiled, sol.compile_message
    per, steps = _per_step(run, kw)
    kept = getattr(sol, "stage_bytes", None)
    return [[f"ours Tsit5 numba kernel, n = {n}", format_time(per), str(steps),
             f"stage arrays kept: {kept} bytes" if kept is not None else ""]]


_CHILD = """
import time, numpy as np, numba
t0 = time.perf_counter()
from solvers import ODEProblem, Tsit5, solve
from benchmarks.bench_ode_steps import decay
s = solve(ODEProblem(numba.njit(decay), np.ones(4), (0.0, 1.0)), Tsit5())
assert s.compiled
print(time.perf_counter() - t0)
"""


def start_rows() -> list:
    root = pathlib.Path(__file__).resolve().parents[1]
    out = []
    for k in (1, 2):
        r = subprocess.run([sys.executable, "-c", _CHILD], capture_output=True, text=True, cwd=root,
                           env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"})
        val = r.stdout.strip().splitlines()[-1] if r.returncode == 0 else r.stderr.strip()[-200:]
        out.append([f"numba kernel: import + first solve, process {k}", f"{val} s", "-", "fresh process"])
    return out


def diffrax_rows(n: int, kw) -> list:  # pragma: no cover - peer not in the test venv
    import diffrax
    import jax
    import jax.numpy as jnp

    jax.config.update("jax_enable_x64", True)

    def vf_small(t, y, args):
        a, b, c, d = args
        return jnp.stack([a * y[0] - b * y[0] * y[1], -c * y[1] + d * y[0] * y[1]])

    def make(vf, y0, t1, rtol, atol):
        @jax.jit
        def run(y0):
            return diffrax.diffeqsolve(diffrax.ODETerm(vf), diffrax.Tsit5(), 0.0, t1, None, y0, jnp.array(P0),
                                       saveat=diffrax.SaveAt(t1=True), max_steps=100_000,
                                       stepsize_controller=diffrax.PIDController(rtol=rtol, atol=atol))
        return run

    rows = []
    for name, vf, y0, t1, rt, at in (("n = 2", vf_small, jnp.array([1.0, 1.0]), 10.0, 1e-8, 1e-10),
                                      (f"n = {n}", lambda t, y, a: -y, jnp.linspace(1.0, 2.0, n), 1.0, 1e-6, 1e-9)):
        run = make(vf, y0, t1, rt, at)
        sol = run(y0)
        sol.ys.block_until_ready()
        steps = int(sol.stats["num_steps"])
        t = measure(lambda: run(y0).ys.block_until_ready(), **kw).best
        rows.append([f"diffrax Tsit5 jit warm, {name}", format_time(t / steps), str(steps), ""])
    return rows


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    n = 100_000
    if "--n" in argv:
        i = argv.index("--n")
        n = int(argv[i + 1])
        del argv[i:i + 2]
    settings = parse_args(__doc__.splitlines()[0], argv)
    kw = dict(min_time=settings.min_time, repeat=settings.repeat, budget=settings.budget)
    print(header(["numpy", "numba", "jax", "diffrax"]))
    rows = ours_rows(n, kw)
    if not settings.quick:
        if load_peer("numba").available:
            rows += numba_rows(n, kw) + start_rows()
        dfx = load_peer("diffrax")
        rows += diffrax_rows(n, kw) if dfx.available else [["diffrax", dfx.error, "-", ""]]
    print_table(f"O1 per step (Tsit5), n = 2 and n = {n}", ["case", "per step", "steps", "note"], rows)
    return 0


if __name__ == "__main__":
    run_main(main)
