"""PB-FAM-SDE: adaptive SDE solves against diffrax, a jump-coupled ODE against GillesPy2's hybrid solver.

F1  The additive-noise test problem of Rackauckas & Nie (2017, eq. (4.1); DiffEqProblemLibrary's
    ``prob_sde_additive``): du = (b / sqrt(1+t) - u / (2 (1+t))) dt + a b / sqrt(1+t) dW, u0 = 1,
    a = 0.1, b = 0.05, on [0, 1], exact u(1) = (u0 + b (1 + a W(1))) / sqrt(2). 1,000 paths.
    Ours: SRA1 and SRIW1 with adaptive steps and rejection sampling with memory, the paths as one
    batch (one step sequence for the batch, error as the RMS over all paths). Peer: diffrax ShARK
    (its recommended additive-noise solver) with a PIDController and a VirtualBrownianTree
    (space-time Lévy area), jax.vmap over per-path keys + jit (each path its own steps), warm
    times, compile time separately. The mean error against the exact solution is printed for
    every row (each on its own Brownian paths), so rows of equal error can be compared.
F2  Gene expression with jumps coupled to an ODE: mRNA m made at rate 10, degraded at rate m
    (exact SSA jumps), protein P' = 2 m - 0.5 P (ODE), from (10, 40) on [0, 20]. Ours:
    JumpODEProblem with the SSA reactions (ReactionJumps) and Tsit5 at rtol 1e-6. Peer:
    GillesPy2's TauHybridSolver with m discrete and P continuous (a rate rule), saving on a grid of
    201 points; it tau-leaps the discrete species when it can, so it is not an exact SSA.
    Time per trajectory, and the ensemble means of m(20), P(20) (stationary values 10 and 40).

``--quick`` runs tiny sizes without peers and checks our results against the exact values.
The machine is shared and loaded: timings vary between runs; ratios are from one run.
"""

from __future__ import annotations

import math
import os
import pathlib
import sys
import time

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from _harness import (attempt, format_ratio, format_time, header, load_peer,  # noqa: E402
                      measure_interleaved, parse_args, print_table, run_main)

from solvers import ODEProblem  # noqa: E402
from solvers.jumps import JumpODEProblem, ReactionJumps  # noqa: E402
from solvers.sde import SRA1, SRIW1, SDEProblem, solve as sde_solve  # noqa: E402
from solvers.ssa import JumpProblem  # noqa: E402

A, B = 0.1, 0.05
K, GAMMA, BETA, DELTA = 10.0, 1.0, 2.0, 0.5


def additive_problem() -> SDEProblem:
    return SDEProblem(lambda u, p, t: B / np.sqrt(1 + t) - u / (2 * (1 + t)),
                      lambda u, p, t: A * B / np.sqrt(1 + t) + 0 * u, 1.0, (0.0, 1.0))


def additive_exact(w1):
    return (1.0 + B * (1 + A * w1)) / math.sqrt(2.0)


def ours_additive(alg, tol, paths, seed=1):
    sol = sde_solve(additive_problem(), alg, rtol=tol, atol=tol, batch=paths, seed=seed,
                    save="final")
    err = float(np.mean(np.abs(sol.u[-1] - additive_exact(sol.stats["W"]))))
    return sol, err


def diffrax_additive(diffrax, tol, paths):
    import jax
    import jax.numpy as jnp
    jax.config.update("jax_enable_x64", True)

    def one(key):
        bm = diffrax.VirtualBrownianTree(0.0, 1.0, tol=1e-6, shape=(), key=key,
                                         levy_area=diffrax.SpaceTimeLevyArea)
        terms = diffrax.MultiTerm(diffrax.ODETerm(lambda t, y, a: B / jnp.sqrt(1 + t) - y / (2 * (1 + t))),
                                  diffrax.ControlTerm(lambda t, y, a: A * B / jnp.sqrt(1 + t), bm))
        sol = diffrax.diffeqsolve(terms, diffrax.ShARK(), 0.0, 1.0, 0.01, jnp.asarray(1.0),
                                  stepsize_controller=diffrax.PIDController(rtol=tol, atol=tol),
                                  saveat=diffrax.SaveAt(t1=True), max_steps=100_000)
        return sol.ys[-1], bm.evaluate(0.0, 1.0), sol.stats["num_accepted_steps"]

    run = jax.jit(jax.vmap(one))
    keys = jax.random.split(jax.random.PRNGKey(0), paths)
    start = time.perf_counter()
    y, w, steps = jax.block_until_ready(run(keys))
    compile_time = time.perf_counter() - start
    err = float(np.mean(np.abs(np.asarray(y) - additive_exact(np.asarray(w)))))
    return (lambda: jax.block_until_ready(run(keys))), compile_time, err, float(np.mean(steps))


def bench_f1(settings, tables) -> None:
    paths = 50 if settings.quick else 1000
    tols = (1e-2, 1e-3) if settings.quick else (1e-2, 1e-3, 1e-4)
    rows = []
    dfx = None if settings.quick else load_peer("diffrax")
    for tol in tols:
        fns, info = {}, {}
        for alg in (SRA1(), SRIW1()):
            name = f"metanum {getattr(alg, 'name', type(alg).__name__)} adaptive (batch)"
            sol, err = ours_additive(alg, tol, paths)
            if settings.quick:
                assert sol.success and err < 20 * tol, (name, tol, err)
            fns[name] = lambda alg=alg: ours_additive(alg, tol, paths)
            info[name] = (err, sol.stats["steps"], "-")
        if dfx is not None and dfx.available:
            res = attempt(lambda: diffrax_additive(dfx.module, tol, paths))
            if isinstance(res, tuple):
                fns["diffrax ShARK + PID, vmap + jit (warm)"] = res[0]
                info["diffrax ShARK + PID, vmap + jit (warm)"] = (res[2], res[3], format_time(res[1]))
            else:
                rows.append([f"diffrax ShARK, tol {tol:g}", str(res)] + ["-"] * 6)
        elif dfx is not None:
            rows.append(["diffrax", dfx.error] + ["-"] * 6)
        times = measure_interleaved(fns, min_time=settings.min_time, repeat=settings.repeat,
                                    budget=settings.budget)
        ref = times[next(iter(fns))].best
        for name, t in times.items():
            err, steps, comp = info[name]
            rows.append([f"{name}, tol {tol:g}", format_time(t.best), format_time(t.median),
                         format_time(t.worst), format_ratio(t.best / ref), f"{err:.2e}",
                         f"{steps:g}", comp])
    title = f"F1 additive-noise SDE (Rackauckas & Nie 2017), {paths:,} paths, adaptive, T = 1"
    cols = ["method", "best", "median", "worst", "time / SRA1", "mean |error|", "steps", "compile"]
    print_table(title, cols, rows)
    tables.append((title, cols, rows))


def gene_problem(tf: float) -> JumpODEProblem:
    ssa = JumpProblem.mass_action([0], [({}, {"m": 1}, K), ({"m": 1}, {}, GAMMA)], ["m"], (0.0, 1.0))
    ode = ODEProblem(lambda u, p, t: np.array([0.0 * u[0], BETA * u[0] - DELTA * u[1]]),
                     np.array([10.0, 40.0]), (0.0, tf))
    return JumpODEProblem(ode, [ReactionJumps.from_ssa(ssa, index=[0])])


def gillespy2_gene(gp, tf):
    model = gp.Model(name="gene")
    model.add_parameter([gp.Parameter(name=n, expression=v)
                         for n, v in (("k", K), ("g", GAMMA), ("b", BETA), ("d", DELTA))])
    m = gp.Species(name="m", initial_value=10, mode="discrete")
    P = gp.Species(name="P", initial_value=40, mode="continuous")
    model.add_species([m, P])
    model.add_reaction([gp.Reaction(name="tx", reactants={}, products={m: 1}, rate="k"),
                        gp.Reaction(name="deg", reactants={m: 1}, products={}, rate="g")])
    model.add_rate_rule(gp.RateRule(name="prot", variable=P, formula="b*m - d*P"))
    model.timespan(np.linspace(0, tf, 201))
    return model


def bench_f2(settings, tables) -> None:
    tf = 5.0 if settings.quick else 20.0
    runs, per_call = (10, 5) if settings.quick else (40, 10)
    prob = gene_problem(tf)
    opts = dict(rtol=1e-6, atol=1e-8, save_everystep=False)
    finals = [prob.solve(seed=s, **opts) for s in range(runs)]
    m_mean = np.mean([sol.u[-1][0] for sol in finals])
    p_mean = np.mean([sol.u[-1][1] for sol in finals])
    jumps = np.mean([len(sol.jumps) for sol in finals])
    if settings.quick:
        assert abs(m_mean - K / GAMMA) < 5 * math.sqrt(K / GAMMA / runs), m_mean
    fns = {"ours": lambda: [prob.solve(seed=s, **opts) for s in range(per_call)]}
    means = {"ours": (m_mean, p_mean)}
    gp = None if settings.quick else load_peer("gillespy2")
    if gp is not None and gp.available:
        os.environ["PATH"] = str(pathlib.Path(sys.executable).parent) + os.pathsep + \
            os.environ.get("PATH", "")
        model = gillespy2_gene(gp.module, tf)
        solver = gp.module.TauHybridSolver(model=model)
        res = attempt(lambda: model.run(solver=solver, number_of_trajectories=runs, seed=2))
        if isinstance(res, Exception) or not hasattr(res, "__iter__"):
            gp = None
        else:
            means["peer"] = (np.mean([r["m"][-1] for r in res]), np.mean([r["P"][-1] for r in res]))
            fns["peer"] = lambda: model.run(solver=solver, number_of_trajectories=per_call, seed=3)
    times = measure_interleaved(fns, min_time=settings.min_time, repeat=3 if not settings.quick
                                else 1, budget=60.0 if not settings.quick else 1.0)
    names = {"ours": f"metanum JumpODEProblem + Tsit5 (~{jumps:.0f} jumps per trajectory)",
             "peer": "GillesPy2 TauHybridSolver (grid of 201 points)"}
    rows = []
    for key, t in times.items():
        rows.append([names[key], format_time(t.best / per_call), format_time(t.median / per_call),
                     format_time(t.worst / per_call), format_ratio(t.best / times["ours"].best),
                     f"{means[key][0]:.2f}", f"{means[key][1]:.2f}"])
    if gp is not None and not gp.available:
        rows.append(["GillesPy2 TauHybridSolver", gp.error] + ["-"] * 5)
    title = (f"F2 gene expression, SSA jumps (m) coupled to an ODE (P), t in [0, {tf:g}]; "
             f"time per trajectory ({per_call} per call), means over {runs} trajectories")
    cols = ["method", "best", "median", "worst", "peer / ours", "mean m(T) (10)", "mean P(T) (40)"]
    print_table(title, cols, rows)
    tables.append((title, cols, rows))


def main(argv=None) -> int:
    settings = parse_args(__doc__.splitlines()[0], argv)
    print(header(["numpy", "scipy", "jax", "diffrax", "gillespy2"]) + "\n")
    tables: list = []
    bench_f1(settings, tables)
    bench_f2(settings, tables)
    return 0


if __name__ == "__main__":
    run_main(main)
