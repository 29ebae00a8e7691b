"""PB-SSA and PB-SDE: Gillespie SSA, ensembles by backend, Euler–Maruyama batches.

S1  Frost's SIR benchmark (Gillespie.jl): x0 = (9999, 1, 0), infection beta S I
    with beta = 0.1/10000, recovery gamma I with gamma = 0.05, tf = 1000, every
    event recorded; milliseconds per simulation over many simulations.
    Ours: ``solve(JumpProblem.mass_action(...), Direct(), seed=i)`` (the general
    mass-action interface, numba-compiled). Peers in the same run: a pure-Python
    direct method, the same library loop run as pure Python, GillesPy2's NumPy
    and C solvers (they save on a time grid of 1001 points, not every event), and
    a hand-written numba loop for this one model (the practical limit, drawing
    from the same NumPy Generator). Published figures (not measured here):
    Gillespie.jl paper (Frost 2016): R 894 ms, Rcpp 1.31 ms, Gillespie.jl 3.99 /
    1.78 ms, hand-written Julia 1.20 ms; 2020 re-run: hand-written Julia 0.49 ms,
    DifferentialEquations.jl 0.72 ms.
S2  10^4 SIR trajectories (final state only): throughput by ensemble backend.
S3  Geometric Brownian motion du = mu u dt + sigma u dW, 10^4 paths as one
    batch, Euler–Maruyama, dt = 1e-3 on [0, 1]. Peers: a hand-written
    vectorised NumPy loop (the limit) and diffrax (warm, and its compile time).

``--quick`` runs tiny sizes without peers and checks our results (the test
suite runs it). Full runs print the tables that benchmarks/RESULTS.md records.
"""

from __future__ import annotations

import math
import os
import pathlib
import random
import sys
import time

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from _harness import (attempt, format_ratio, format_time, header, load_peer, measure,  # noqa: E402
                      parse_args, print_table)

from solvers.ensemble import EnsembleProblem, solve_ensemble  # noqa: E402
from solvers.sde import EulerMaruyama, SDEProblem, solve as sde_solve  # noqa: E402
from solvers.ssa import Direct, JumpProblem, solve as ssa_solve  # noqa: E402

BETA, GAMMA, X0, TF = 0.1 / 10000, 0.05, (9999, 1, 0), 1000.0


def frost_sir() -> JumpProblem:
    return JumpProblem.mass_action(list(X0), [({"S": 1, "I": 1}, {"I": 2}, BETA),
                                              ({"I": 1}, {"R": 1}, GAMMA)],
                                   ["S", "I", "R"], (0.0, TF))


def pure_python_sir(seed: int):
    """A straightforward pure-Python direct method for this model, every event recorded."""
    rnd = random.Random(seed)
    s, i, r = X0
    t, ts, xs = 0.0, [0.0], [(s, i, r)]
    while True:
        a1, a2 = BETA * s * i, GAMMA * i
        a0 = a1 + a2
        if a0 <= 0.0:
            break
        t -= math.log(1.0 - rnd.random()) / a0
        if t > TF:
            break
        if rnd.random() * a0 < a1:
            s, i = s - 1, i + 1
        else:
            i, r = i - 1, r + 1
        ts.append(t)
        xs.append((s, i, r))
    return ts, xs


def hand_numba():
    import numba

    @numba.njit(nogil=True)
    def sir(rng, beta, gamma, s, i, r, tf):
        cap, n, t = 1024, 1, 0.0
        ts = np.empty(cap)
        xs = np.empty((cap, 3), np.int64)
        ts[0], xs[0, 0], xs[0, 1], xs[0, 2] = t, s, i, r
        while True:
            a1 = beta * s * i
            a0 = a1 + gamma * i
            if a0 <= 0.0:
                break
            t -= math.log1p(-rng.random()) / a0
            if t > tf:
                break
            if rng.random() * a0 < a1:
                s -= 1
                i += 1
            else:
                i -= 1
                r += 1
            if n == cap:
                cap *= 2
                ts2 = np.empty(cap)
                xs2 = np.empty((cap, 3), np.int64)
                for k in range(n):
                    ts2[k] = ts[k]
                    for c in range(3):
                        xs2[k, c] = xs[k, c]
                ts, xs = ts2, xs2
            ts[n], xs[n, 0], xs[n, 1], xs[n, 2] = t, s, i, r
            n += 1
        return ts[:n], xs[:n]

    return sir


class Batch:
    """Runs ``fn(k)`` for k = 0.. sims-1 per call; seconds per simulation = time / sims."""

    def __init__(self, fn, sims):
        self.fn, self.sims, self.k = fn, sims, 0

    def __call__(self):
        for _ in range(self.sims):
            self.fn(self.k)
            self.k += 1


def interleaved(fns: dict, sims: int, rounds: int) -> dict:
    """Mean seconds per simulation of each ``fn(k)``, timing blocks of *sims* in turn.

    Alternating the contenders round by round exposes them to the same load
    on a shared machine, so their ratio holds even when absolute times drift;
    the mean over all ``sims * rounds`` simulations averages out the spread of
    event counts between trajectories (about half of them die out early).
    """
    total = {name: 0.0 for name in fns}
    for r in range(rounds):
        for name, fn in fns.items():
            start = time.perf_counter()
            for k in range(r * sims, (r + 1) * sims):
                fn(k)
            total[name] += time.perf_counter() - start
    return {name: t / (sims * rounds) for name, t in total.items()}


def best_alternating(fns: dict, rounds: int) -> dict:
    """Best seconds per call of each zero-argument ``fn``, the contenders timed in turn."""
    best = {name: math.inf for name in fns}
    for _ in range(rounds):
        for name, fn in fns.items():
            start = time.perf_counter()
            fn()
            best[name] = min(best[name], time.perf_counter() - start)
    return best


def per_sim(fn, sims, settings, repeat=None):
    t = measure(Batch(fn, sims), min_time=settings.min_time, repeat=repeat or settings.repeat,
                budget=settings.budget)
    return t.best / sims


def gillespy2_model(gillespy2):
    model = gillespy2.Model(name="FrostSIR")
    beta = gillespy2.Parameter(name="beta", expression=BETA)
    gamma = gillespy2.Parameter(name="gamma", expression=GAMMA)
    model.add_parameter([beta, gamma])
    s = gillespy2.Species(name="S", initial_value=X0[0], mode="discrete")
    i = gillespy2.Species(name="I", initial_value=X0[1], mode="discrete")
    r = gillespy2.Species(name="R", initial_value=X0[2], mode="discrete")
    model.add_species([s, i, r])
    model.add_reaction([
        gillespy2.Reaction(name="infection", reactants={s: 1, i: 1}, products={i: 2}, rate=beta),
        gillespy2.Reaction(name="recovery", reactants={i: 1}, products={r: 1}, rate=gamma)])
    model.timespan(np.linspace(0.0, TF, 1001))
    return model


def bench_s1(settings, rows_out):
    prob = frost_sir()
    ours = lambda k: ssa_solve(prob, Direct(), seed=k)  # noqa: E731
    ours(0)
    sims = 20 if settings.quick else 200
    if settings.quick:
        t_ours = per_sim(ours, sims, settings)
    else:                                   # ours and the limit in alternating rounds
        rng = np.random.default_rng(1)
        hand = hand_numba()
        hand(rng, BETA, GAMMA, *X0, TF)
        times = interleaved({"ours": ours, "hand": lambda k: hand(rng, BETA, GAMMA, *X0, TF),
                             "hand_seeded": lambda k: hand(np.random.default_rng(k), BETA, GAMMA,
                                                           *X0, TF)},
                            sims, rounds=10)
        t_ours, t_hand, t_hand_seeded = times["ours"], times["hand"], times["hand_seeded"]
        same = all(np.array_equal(ssa_solve(prob, Direct(), seed=k).t[:-1],  # minus tf
                                  hand(np.random.default_rng(k), BETA, GAMMA, *X0, TF)[0])
                   for k in range(20))
        sims = f"{sims} x 10 rounds, alternating with the hand-written loop"
    events = np.mean([ssa_solve(prob, Direct(), seed=k).stats["events"] for k in range(200)])
    rows = [["metanum Direct (compiled, mass action)", format_time(t_ours), "1x"]]
    if settings.quick:
        a = ssa_solve(prob, Direct(), seed=5)
        b = ssa_solve(prob, Direct(), seed=5, compiled=False)
        assert np.array_equal(a.t, b.t) and np.array_equal(a.u, b.u)
        assert np.all(a.u.sum(axis=1) == sum(X0))
    else:
        t_py = per_sim(pure_python_sir, 20, settings, repeat=3)
        t_lib_py = per_sim(lambda k: ssa_solve(prob, Direct(), seed=k, compiled=False), 3,
                           settings, repeat=2)
        rows += [["hand-written numba loop (limit), one Generator for all runs",
                  format_time(t_hand), format_ratio(t_hand / t_ours)],
                 ["hand-written numba loop, a fresh Generator per run (as seed=k)"
                  + (": the same trajectories as ours" if same else ": TRAJECTORIES DIFFER"),
                  format_time(t_hand_seeded), format_ratio(t_hand_seeded / t_ours)],
                 ["pure-Python direct method", format_time(t_py), format_ratio(t_py / t_ours)],
                 ["metanum Direct, pure-Python path", format_time(t_lib_py),
                  format_ratio(t_lib_py / t_ours)]]
        gp = load_peer("gillespy2")
        if not gp.available:
            rows.append(["GillesPy2", gp.error, "-"])
        else:
            os.environ["PATH"] = str(pathlib.Path(sys.executable).parent) + os.pathsep + \
                os.environ.get("PATH", "")
            model = gillespy2_model(gp.module)
            for name, cls in (("NumPySSASolver", "NumPySSASolver"), ("SSACSolver", "SSACSolver")):
                def run_peer(n, cls=cls):
                    solver = getattr(gp.module, cls)(model=model)
                    solver_time = time.perf_counter()
                    model.run(solver=solver, number_of_trajectories=1, seed=1)   # build/warm
                    build = time.perf_counter() - solver_time
                    start = time.perf_counter()
                    model.run(solver=solver, number_of_trajectories=n, seed=2)
                    return (time.perf_counter() - start) / n, build
                n = 20 if cls == "NumPySSASolver" else 1000
                res = attempt(lambda: run_peer(n))
                if isinstance(res, tuple):
                    rows.append([f"GillesPy2 {name} ({n} trajectories per run, grid of 1001)",
                                 format_time(res[0]), format_ratio(res[0] / t_ours)])
                else:
                    rows.append([f"GillesPy2 {name}", str(res), "-"])
        rows += [["published: hand-written Julia 2016 / 2020", "1.20 ms / 0.49 ms", "-"],
                 ["published: DifferentialEquations.jl 2020", "0.72 ms", "-"],
                 ["published: Gillespie.jl 2016; R; Rcpp", "3.99 / 1.78 ms; 894 ms; 1.31 ms", "-"]]
    title = (f"S1 Frost SIR, every event recorded ({events:.0f} events per simulation on "
             f"average), time per simulation over {sims}")
    print_table(title, ["method", "time / simulation", "peer / ours"], rows)
    rows_out.append((title, ["method", "time / simulation", "peer / ours"], rows))


def _warm_worker() -> int:
    """Load (from numba's disk cache) the compiled loop in a worker, as S1 did here."""
    return ssa_solve(frost_sir(), Direct(), seed=0, save="final").stats["events"]


def bench_s2(settings, rows_out):
    n = 200 if settings.quick else 10_000
    ens = EnsembleProblem(frost_sir(), output_func=lambda sol, i: sol.u[-1].copy())
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    rows, ref, base = [], None, None

    def row(label, workers, make):
        nonlocal ref, base
        start = time.perf_counter()
        res = attempt(make)
        wall = time.perf_counter() - start
        if not hasattr(res, "u"):
            rows.append([label, str(res), "-", "-", "-"])
            return
        out = np.array(res.u)
        if ref is None:
            ref, base = out, wall
        identical = np.array_equal(out, ref)
        if settings.quick:
            assert identical, f"{label} differs from serial"
        rows.append([label, f"{n / wall:,.0f}", format_ratio(base / wall),
                     f"{100 * base / wall / workers:.0f}%", "yes" if identical else "NO"])

    def run(backend, **kw):
        return lambda: solve_ensemble(ens, Direct(), trajectories=n, seed=42, backend=backend,
                                      save="final", **kw)

    row("serial", 1, run("serial"))
    row(f"threads ({cores})", cores, run("threads"))
    row(f"processes ({cores}, pool start-up included)", cores, run("processes"))
    if settings.quick:
        row("dask LocalCluster(processes=False)", cores,
            run("dask", cluster_kwargs={"processes": False}))
    else:
        dask = load_peer("dask.distributed")
        if not dask.available:
            rows.append(["dask", dask.error, "-", "-", "-"])
        else:
            import logging
            logging.getLogger("distributed").setLevel(logging.ERROR)
            start = time.perf_counter()
            cluster = dask.module.LocalCluster(n_workers=cores, threads_per_worker=1,
                                               dashboard_address=":0",
                                               silence_logs=logging.ERROR)
            client = dask.module.Client(cluster)
            client.run(_warm_worker)                  # every worker loads the compiled loop
            startup = time.perf_counter() - start
            try:
                row(f"dask LocalCluster ({cores} worker processes, started: "
                    f"{startup:.1f} s before, warmed)", cores, run("dask", client=client))
            finally:
                client.close()
                cluster.close()
    title = f"S2 ensemble of {n:,} Frost SIR trajectories (final state), {cores} usable cores"
    cols = ["backend", "trajectories / s", "speed-up", "of ideal", "bit-identical"]
    print_table(title, cols, rows)
    rows_out.append((title, cols, rows))


def bench_s3(settings, rows_out):
    paths = 1000 if settings.quick else 10_000
    dt = 1e-2 if settings.quick else 1e-3
    mu, sigma = 0.5, 0.2
    prob = SDEProblem(lambda u, p, t: p[0] * u, lambda u, p, t: p[1] * u, 1.0, (0.0, 1.0),
                      (mu, sigma))
    ours = lambda: sde_solve(prob, EulerMaruyama(), dt=dt, seed=1, batch=paths,  # noqa: E731
                             save="final")
    x = ours().u[-1]
    steps = round(1 / dt)
    exact_mean = (1 + mu * dt) ** steps                 # E[X_N] of the scheme itself
    assert abs(x.mean() - exact_mean) < 5 * x.std() / math.sqrt(paths)
    if settings.quick:
        t_ours = measure(ours, min_time=settings.min_time, repeat=settings.repeat,
                         budget=settings.budget).best
    rows = []
    if not settings.quick:
        def numpy_loop():
            rng = np.random.default_rng(1)
            u = np.ones(paths)
            sq = math.sqrt(dt)
            for _ in range(steps):
                u = u + mu * u * dt + sigma * u * (rng.standard_normal(paths) * sq)
            return u
        times = best_alternating({"ours": ours, "numpy": numpy_loop}, rounds=7)
        t_ours, t_np = times["ours"], times["numpy"]
        rows.append(["hand-written NumPy loop (limit; timed alternately with ours)",
                     format_time(t_np), format_ratio(t_np / t_ours), "-"])
        dfx = load_peer("diffrax")
        if not dfx.available:
            rows.append(["diffrax Euler (jit)", dfx.error, "-", "-"])
        else:
            res = attempt(lambda: diffrax_gbm(dfx.module, paths, dt, mu, sigma, settings))
            if isinstance(res, tuple):
                rows.append(["diffrax Euler, vmap + jit (warm)", format_time(res[0]),
                             format_ratio(res[0] / t_ours), format_time(res[1])])
            else:
                rows.append(["diffrax Euler (jit)", str(res), "-", "-"])
    rows.insert(0, ["metanum EulerMaruyama (batch)", format_time(t_ours), "1x", "-"])
    title = f"S3 GBM, {paths:,} paths as one batch, Euler–Maruyama, dt = {dt:g} on [0, 1]"
    cols = ["method", "time", "peer / ours", "compile"]
    print_table(title, cols, rows)
    rows_out.append((title, cols, rows))


def diffrax_gbm(diffrax, paths, dt, mu, sigma, settings):
    import jax
    import jax.numpy as jnp
    jax.config.update("jax_enable_x64", True)

    def one(key):
        # UnsafeBrownianPath: the fast Brownian motion diffrax documents for fixed-step
        # solvers (a VirtualBrownianTree, made for adaptive steps, is 100x slower here).
        bm = diffrax.UnsafeBrownianPath(shape=(), key=key)
        terms = diffrax.MultiTerm(diffrax.ODETerm(lambda t, y, a: mu * y),
                                  diffrax.ControlTerm(lambda t, y, a: sigma * y, bm))
        sol = diffrax.diffeqsolve(terms, diffrax.Euler(), 0.0, 1.0, dt, jnp.asarray(1.0),
                                  saveat=diffrax.SaveAt(t1=True),
                                  adjoint=diffrax.DirectAdjoint())  # required with UnsafeBrownianPath
        return sol.ys[-1]

    run = jax.jit(jax.vmap(one))
    keys = jax.random.split(jax.random.PRNGKey(0), paths)
    start = time.perf_counter()
    run(keys).block_until_ready()
    compile_time = time.perf_counter() - start
    warm = measure(lambda: run(keys).block_until_ready(), min_time=settings.min_time,
                   repeat=settings.repeat, budget=settings.budget).best
    return warm, compile_time


def main(argv=None) -> None:
    settings = parse_args(__doc__.splitlines()[0], argv)
    head = header(["numpy", "numba", "dask", "distributed", "gillespy2", "jax", "diffrax"])
    print(head + "\n")
    tables: list = []
    bench_s1(settings, tables)
    bench_s2(settings, tables)
    bench_s3(settings, tables)



if __name__ == "__main__":
    main()
