"""PB-ODE O2: forward sensitivities of Lotka–Volterra, ours against diffrax + JAX and finite differences.

Run ``python benchmarks/bench_sensitivity.py`` for the full table (peers included)
or ``--quick`` for the smoke mode the test suite runs (few repeats, no peers, our
gradients checked against the reference).

The problem (docs/benchmarks.md, O2): the gradient of L = sum over t = 0, 1, ..., 10
of x(t) + y(t) for ``u' = [a x - b x y, -c y + d x y]``, (a, b, c, d) = (1.5, 1, 3, 1),
u0 = (1, 1), Tsit5, rtol 1e-8, atol 1e-10, with respect to (a, b, c, d). The error of
each gradient is its max-norm distance to the gradient of the hand-written sensitivity
equations solved by scipy DOP853 at rtol 1e-13 (tests/_sensitivity_refs.py).

Rows. Ours: the float solve of L alone (generic: a Python ``f``; compiled: the same
``f`` under ``numba.njit``), the baselines of the target; ``ForwardDiffSensitivity``
(DualArray parameters; generic and compiled, partials in and out of the error norm);
``ForwardSensitivity`` (the sensitivity equations, compiled JVP kernel). Peers: central
differences around scipy DOP853 (8 solves at rtol 1e-10); diffrax Tsit5 with the same
PID tolerances under ``jax.jit(jax.jacfwd(loss))`` with ``adjoint=diffrax.ForwardMode()``
(diffrax's advice for forward mode) and ``jax.jit(jax.grad(loss))`` with the default
``RecursiveCheckpointAdjoint``, float64 (``jax_enable_x64``). All timed rows are measured
in interleaved rounds (min / median / max of the samples).

J (issue 12 item 3): forward mode through the 1,082-parameter universal ODE of
``bench_learning.py`` L2 (3,201 recorded operations, more than ``MAX_NODES``: the JVP kernel is
the tape interpreter of ``numeric/reverse/jvp_loop.py``), ``p`` a DualArray with k random
directions, Tsit5 at 1e-6 over T = 2.5: ``ForwardDiffSensitivity()`` (compiled) against
``ForwardDiffSensitivity(compile=False)`` (DualArrays through f), interleaved; both take the
same steps and their partials are compared.

``--sections O2,J`` runs some of the tables (default both).

Compile times. Ours, three cases: nothing cached (a new process with empty numba and kernel
caches: the shared loop, compiled once per installation, and the kernel); a right-hand side
not seen before (this process, a fresh ``METANUM_CACHE_DIR``: its JVP kernel is compiled, the
loop comes from numba's cache); the same right-hand side in a new process (kernel and loop
from disk). diffrax: the first call of the jitted function (JAX's persistent compilation
cache is off, its default). The amortised table divides compile + N warm calls by N.
"""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys
import tempfile
import time
from typing import Any

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
sys.path.insert(0, str(ROOT))
if __name__ == "__main__" and "METANUM_CACHE_DIR" not in os.environ:
    os.environ["METANUM_CACHE_DIR"] = tempfile.mkdtemp(prefix="metanum_bench_kernels_")

from _harness import (Failed, format_ratio, format_time, header, load_peer,  # noqa: E402
                      measure_interleaved, parse_args, print_table, run_main)
import numeric as nm  # noqa: E402
from solvers import ODEProblem, Tsit5, solve  # noqa: E402
from solvers.ode.sensitivity import ForwardDiffSensitivity, ForwardSensitivity  # noqa: E402
from tests._sensitivity_refs import P0, SAVE, U0, lotka, loss_gradient_reference  # noqa: E402

PACKAGES = ["numpy", "scipy", "numba", "jax", "diffrax"]
RTOL, ATOL = 1e-8, 1e-10
T_END = 10.0


def loss_and_grad(p: Any, sensealg: Any = None, f: Any = lotka) -> tuple:
    """(L, dL/dp or None) from one solve; *p* a float tuple or a DualArray."""
    sol = solve(ODEProblem(f, np.array(U0), (0.0, T_END), p), Tsit5(), rtol=RTOL, atol=ATOL, saveat=SAVE,
                sensealg=sensealg)
    if not sol.retcode:
        raise RuntimeError(sol.message)
    total = sol.u[0].sum()
    for u in sol.u[1:]:
        total = total + u.sum()
    return (total, None) if isinstance(total, float) else (nm.value(total), total.partials)


def dual_p() -> Any:
    return nm.DualArray(np.array(P0), np.eye(4))


def ours(jitted_lotka: Any) -> dict:
    """name -> (callable returning the gradient or None, note)."""
    fds = ForwardDiffSensitivity
    return {
        "ours float solve, generic (L only)": (lambda: loss_and_grad(P0)[1], "baseline"),
        "ours float solve, compiled f (L only)": (lambda: loss_and_grad(P0, f=jitted_lotka)[1], "baseline"),
        "ForwardDiffSensitivity generic": (lambda: loss_and_grad(dual_p(), fds(compile=False))[1], ""),
        "ForwardDiffSensitivity generic, norm_partials=False":
            (lambda: loss_and_grad(dual_p(), fds(norm_partials=False, compile=False))[1], ""),
        "ForwardDiffSensitivity compiled": (lambda: loss_and_grad(dual_p(), fds())[1], "target <= 2.5x"),
        "ForwardDiffSensitivity compiled, norm_partials=False":
            (lambda: loss_and_grad(dual_p(), fds(norm_partials=False))[1], ""),
        "ForwardSensitivity (sensitivity equations, compiled JVP)":
            (lambda: loss_and_grad(dual_p(), ForwardSensitivity())[1], ""),
    }


def central_differences(rtol: float = 1e-10, h: float = 1e-5) -> np.ndarray:
    from scipy.integrate import solve_ivp

    def loss(p):
        def f(t, u):
            return lotka(u, p, t)

        return float(solve_ivp(f, (0.0, T_END), U0, method="DOP853", rtol=rtol, atol=rtol * 1e-2,
                               t_eval=SAVE).y.sum())

    return np.array([(loss(np.add(P0, h * e)) - loss(np.subtract(P0, h * e))) / (2 * h) for e in np.eye(4)])


def diffrax_gradients(diffrax: Any) -> dict:  # pragma: no cover - peer not installed in the test venv
    """name -> jitted gradient function of the diffrax loss (first call compiles)."""
    import jax
    import jax.numpy as jnp

    jax.config.update("jax_enable_x64", True)

    def vf(t, y, args):
        a, b, c, d = args
        return jnp.stack([a * y[0] - b * y[0] * y[1], -c * y[1] + d * y[0] * y[1]])

    def loss(args, adjoint):
        sol = diffrax.diffeqsolve(diffrax.ODETerm(vf), diffrax.Tsit5(), 0.0, T_END, None, jnp.array(U0), args,
                                  saveat=diffrax.SaveAt(ts=jnp.array(SAVE)),
                                  stepsize_controller=diffrax.PIDController(rtol=RTOL, atol=ATOL),
                                  adjoint=adjoint, max_steps=100_000)
        return jnp.sum(sol.ys)

    return {"diffrax Tsit5 + jax.jacfwd (ForwardMode)":
            jax.jit(jax.jacfwd(lambda a: loss(a, diffrax.ForwardMode()))),
            "diffrax Tsit5 + jax.grad (RecursiveCheckpointAdjoint)":
            jax.jit(jax.grad(lambda a: loss(a, diffrax.RecursiveCheckpointAdjoint())))}


def _first_call(fn: Any) -> tuple[float, Any]:
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


_FIRST_SOLVE = ("import time, sys; sys.path.insert(0, 'benchmarks'); import bench_sensitivity as b; "
                "t = time.perf_counter(); b.loss_and_grad(b.dual_p(), b.ForwardDiffSensitivity()); "
                "print(time.perf_counter() - t)")


def _first_solve_in_new_process(**env: str) -> float | Failed:
    """Seconds of the first compiled forward solve of a new process run with *env* (cache dirs)."""
    proc = subprocess.run([sys.executable, "-c", _FIRST_SOLVE], cwd=ROOT, capture_output=True, text=True,
                          timeout=300, env=dict(os.environ, PYTHONPATH=str(ROOT), **env))
    if proc.returncode != 0:
        return Failed(f"subprocess failed: {proc.stderr.strip().splitlines()[-1][:120]}")
    return float(proc.stdout.split()[-1])


def _row(name, timing, err, base_c, base_g, note="") -> list:
    if isinstance(timing, Failed):
        return [name, str(timing), "-", "-", "-", "-", "-", note]
    t = timing
    return [name, format_time(t.best), format_time(t.median), format_time(t.worst),
            f"{err:.1e}" if err is not None else "-", format_ratio(t.best / base_c),
            format_ratio(t.best / base_g), note]


def bench_o2(settings: Any, kw: dict) -> tuple[list, list, list]:
    import numba

    ref = loss_gradient_reference()
    jitted = numba.njit(lotka)
    fns = ours(jitted)
    compile_s, errors = {}, {}
    for name, (fn, _) in fns.items():
        compile_s[name], g = _first_call(fn)
        errors[name] = None if g is None else float(np.abs(np.asarray(g) - ref).max())
        if g is not None:
            assert errors[name] < 1e-6 * np.abs(ref).max(), (name, g, ref)
    peers_first = {}
    if not settings.quick:
        cd = central_differences()
        errors["central differences, scipy DOP853 (8 solves)"] = float(np.abs(cd - ref).max())
        fns["central differences, scipy DOP853 (8 solves)"] = (central_differences, "")
        dfx = load_peer("diffrax")
        if dfx.available:
            for name, g in diffrax_gradients(dfx.module).items():
                import jax.numpy as jnp

                args = jnp.array(P0)
                peers_first[name], out = _first_call(lambda g=g: np.asarray(g(args).block_until_ready()))
                errors[name] = float(np.abs(out - ref).max())
                fns[name] = ((lambda g=g: g(args).block_until_ready()), f"compile {peers_first[name]:.2f} s")
        else:
            fns["diffrax + jax"] = (None, dfx.error)
    timed = {name: fn for name, (fn, _) in fns.items() if fn is not None}
    timings = measure_interleaved(timed, **kw)
    base_c = timings["ours float solve, compiled f (L only)"].best
    base_g = timings["ours float solve, generic (L only)"].best
    rows = [_row(name, timings[name], errors.get(name), base_c, base_g, note) if fn is not None else
            [name, note, "-", "-", "-", "-", "-", ""] for name, (fn, note) in fns.items()]
    ours_c = "ForwardDiffSensitivity compiled"
    skipped = Failed("not measured in --quick")
    cached = skipped if settings.quick else _first_solve_in_new_process()
    cold = skipped if settings.quick else _first_solve_in_new_process(
        NUMBA_CACHE_DIR=tempfile.mkdtemp(prefix="numba_cold_"), METANUM_CACHE_DIR=tempfile.mkdtemp(prefix="mn_cold_"))

    def secs(x):
        return f"{x:.2f} s" if isinstance(x, float) else str(x)

    compile_rows = [
        ["ours, nothing cached (new process, empty numba and kernel caches: loop + kernel)", secs(cold)],
        ["ours, a new right-hand side (its kernel compiled; the shared loop from numba's cache)",
         secs(compile_s[ours_c])],
        ["ours, this right-hand side again in a new process (kernel and loop from disk)", secs(cached)],
        ["ours float solve, compiled f (numba.njit(f) + the loop specialised on it)",
         secs(compile_s["ours float solve, compiled f (L only)"])]]
    compile_rows += [[name, f"{s:.2f} s"] for name, s in peers_first.items()]
    amortised = []
    firsts = [(ours_c + ", new right-hand side", ours_c, compile_s[ours_c])]
    if isinstance(cold, float):
        firsts.append((ours_c + ", nothing cached", ours_c, cold))
    for label, name, first in firsts + [(n, n, s) for n, s in peers_first.items()]:
        warm = timings[name].best
        amortised.append([label] + [format_time((first + n * warm) / n) for n in (1, 10, 100)])
    return rows, compile_rows, amortised


J_DIRECTIONS = (16, 64, 256)  # k x 3,201 operations <= MAX_LOOP_TANGENTS: the loop kernel


def bench_jvp_loop(settings: Any, kw: dict) -> list:
    """Rows of section J (module docstring): k, steps, compiled and generic times, ratio, check."""
    from bench_learning import L2_NET, L2_RTOL, l2_rhs

    theta = L2_NET.init(0)
    t_end, directions = (0.5, (2,)) if settings.quick else (2.5, J_DIRECTIONS)
    fds = ForwardDiffSensitivity
    rows = []
    for k in directions:
        tangents = np.random.default_rng(k).standard_normal((theta.size, k)) * 0.01
        prob = ODEProblem(l2_rhs, np.array(U0), (0.0, t_end), nm.DualArray(theta, tangents))

        def run(alg, prob=prob):
            return solve(prob, Tsit5(), rtol=L2_RTOL, atol=L2_RTOL, sensealg=alg)

        first, com = _first_call(lambda: run(fds()))
        gen = run(fds(compile=False))
        assert com.compiled and "tape-interpreter kernel" in com.compile_message, com.compile_message
        assert com.stats.naccept == gen.stats.naccept, (com.stats.naccept, gen.stats.naccept)
        a, b = com.u[-1].partials, gen.u[-1].partials
        err = float(np.abs(a - b).max() / np.abs(b).max())
        assert err < 1e-9, err
        t = measure_interleaved({"compiled": lambda: run(fds()), "generic": lambda: run(fds(compile=False))},
                                **kw)
        c, g = t["compiled"], t["generic"]
        rows.append([str(k), str(com.stats.naccept), format_time(c.best), format_time(c.median),
                     format_time(g.best), format_time(g.median), format_ratio(g.best / c.best), f"{err:.1e}",
                     f"{first:.2f} s"])
    return rows


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    sections = {"O2", "J"}
    if "--sections" in argv:       # --sections O2,J (default both)
        i = argv.index("--sections")
        sections = set(argv[i + 1].split(","))
        del argv[i:i + 2]
        if not sections <= {"O2", "J"}:
            raise SystemExit(f"--sections takes a comma-separated subset of O2,J, got {sections}")
    settings = parse_args(__doc__.splitlines()[0], argv)
    kw = dict(min_time=settings.min_time, repeat=settings.repeat, budget=settings.budget)
    print(header(PACKAGES))
    print(f"kernel cache: {os.environ.get('METANUM_CACHE_DIR', 'default')}")
    print()
    if "O2" in sections:
        rows, compile_rows, amortised = bench_o2(settings, kw)
        print_table("O2 gradient of L = sum u(t), t = 0..10, wrt (a, b, c, d); error vs sensitivity equations "
                    "at rtol 1e-13",
                    ["method", "min", "median", "max", "error", "vs compiled float", "vs generic float", "note"],
                    rows)
        print_table("O2 first-call (compile) times", ["what", "seconds"], compile_rows)
        print_table("O2 time per gradient with the compile counted, amortised over N calls in one process",
                    ["method", "N = 1", "N = 10", "N = 100"], amortised)
    if "J" in sections:
        print_table("J forward mode through the 1,082-parameter UDE (3,201 operations): the tape-interpreter "
                    "JVP kernel vs the generic DualArray solve (Tsit5 1e-6)",
                    ["k directions", "steps", "compiled min", "median", "generic min", "median",
                     "generic / compiled", "partials vs generic", "first compiled call"],
                    bench_jvp_loop(settings, kw))
    return 0


if __name__ == "__main__":
    run_main(main)
