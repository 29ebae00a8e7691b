"""Tour part: stochastic simulation (Gillespie SSA at compiled speed, SDEs, ensembles).

Three rows of evidence, each checked against something exact:

* the SIR model by the direct method, compiled loop against the same loop run
  as pure Python: identical trajectory for the same seed, and the time of each;
* a birth-death process: the ensemble mean and variance at stationarity
  against the exact Poisson(k / gamma) law (with its 5-sigma bound);
* geometric Brownian motion: strong error of Euler–Maruyama and Milstein
  against the exact solution on the same (refined) Brownian path, and the
  pathwise derivative d X(1) / d mu from a Dual parameter against the formula.
"""

from __future__ import annotations

import math
import time

import numpy as np

import numeric as nm


def _row(label: str, result: str, check: str) -> None:
    print(f"{label:<50}{result:<30}{check}")


def run() -> None:
    from solvers.ensemble import EnsembleProblem, solve_ensemble
    from solvers.sde import BrownianPath, EulerMaruyama, Milstein, SDEProblem, solve as sde_solve
    from solvers.ssa import Direct, JumpProblem, solve as ssa_solve

    print("Stochastic simulation: Gillespie SSA (numba), SDEs, ensembles")
    _row("computation", "result", "check")
    sir = JumpProblem.mass_action([990, 10, 0], [({"S": 1, "I": 1}, {"I": 2}, 3e-4),
                                                 ({"I": 1}, {"R": 1}, 0.05)],
                                  ["S", "I", "R"], (0.0, 200.0))
    ssa_solve(sir, Direct(), seed=1)                      # compile (or load the cache)
    start = time.perf_counter()
    fast = ssa_solve(sir, Direct(), seed=1)
    t_fast = time.perf_counter() - start
    start = time.perf_counter()
    slow = ssa_solve(sir, Direct(), seed=1, compiled=False)
    t_slow = time.perf_counter() - start
    same = np.array_equal(fast.t, slow.t) and np.array_equal(fast.u, slow.u)
    _row(f"SIR, {fast.stats['events']} events: compiled / pure Python",
         f"{t_fast * 1e3:.2f} ms / {t_slow * 1e3:.0f} ms",
         "identical trajectory" if same else "TRAJECTORIES DIFFER")

    n, lam = 2000, 10.0
    bd = JumpProblem.mass_action([0], [({}, {"X": 1}, 10.0), ({"X": 1}, {}, 1.0)], ["X"],
                                 (0.0, 15.0))
    ens = EnsembleProblem(bd, output_func=lambda sol, i: int(sol.u[-1, 0]))
    x = np.array(solve_ensemble(ens, Direct(), trajectories=n, seed=3, save="final").u)
    bound = 5 * math.sqrt(lam / n)
    _row("birth-death X(15), 2000 runs: mean, var", f"{x.mean():.3f}, {x.var(ddof=1):.3f}",
         f"Poisson(10): mean 10 ± {bound:.2f} (5 sigma)")

    mu, sigma, paths = 1.0, 0.5, 500
    gbm = SDEProblem(lambda u, p, t: p[0] * u, lambda u, p, t: p[1] * u, 1.0, (0.0, 1.0),
                     (mu, sigma))
    path = BrownianPath((0.0, 1.0), shape=(paths,), seed=5, n=16)
    for alg in (EulerMaruyama(), Milstein()):
        errs = []
        for steps in (16, 256):
            end = sde_solve(gbm, alg, path=path, dt=1 / steps, batch=paths, save="final").u[-1]
            exact = np.exp(mu - sigma**2 / 2 + sigma * path.increments(steps)[0].sum(axis=0))
            errs.append(np.mean(np.abs(end - exact)))
        order = math.log(errs[0] / errs[1]) / math.log(16)
        _row(f"GBM strong error h=1/16 -> 1/256, {type(alg).__name__}",
             f"{errs[0]:.2e} -> {errs[1]:.2e}", f"order {order:.2f} (theory {alg.strong_order})")
    one_path = BrownianPath((0.0, 1.0), shape=(), seed=9, n=64)
    d = nm.derivative(lambda m: sde_solve(gbm.remake(p=(m, sigma)), EulerMaruyama(),
                                          path=one_path, save="final").u[-1], mu)
    dw = one_path.increments(64)[0]
    fac = 1 + mu / 64 + sigma * dw
    exact_d = np.prod(fac) * np.sum((1 / 64) / fac)
    _row("pathwise dX(1)/dmu with a Dual mu (EM)", f"{d:.12f}", f"formula {exact_d:.12f}")


if __name__ == "__main__":
    run()
