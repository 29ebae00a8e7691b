"""Builds notebooks/06_stochastic.ipynb from the cells below (run: python notebooks/make_06_stochastic.py)."""

import pathlib

from _write_notebook import write_notebook

cells = [
    ("md", """# 06 · Stochastic simulation: Gillespie SSA at compiled speed, SDEs, ensembles

Three tools, each checked against something exact:

1. **Jump processes** (`solvers.ssa`): the SIR epidemic by Gillespie's direct method. The loop is
   written once in plain Python; numba compiles it, and the very same function runs as pure Python
   when numba cannot compile a user's propensity -- with the *same trajectory for the same seed*.
2. **Ensembles** (`solvers.ensemble`): many trajectories on one core, threads, processes or a Dask
   cluster, bit-identical on every backend.
3. **SDEs** (`solvers.sde`): Euler–Maruyama, Milstein and Rößler's SRA1, with convergence orders
   measured against the exact solution *on the same Brownian path* (a path that can be refined)."""),
    ("code", """import math, os, time
import numpy as np
%matplotlib inline
import matplotlib.pyplot as plt
import numeric as nm
from solvers.ssa import JumpProblem, Direct, solve as ssa_solve
from solvers.ensemble import EnsembleProblem, solve_ensemble
from solvers.sde import SDEProblem, EulerMaruyama, Milstein, SRA1, BrownianPath, solve as sde_solve
from solvers import ODEProblem, solve, Tsit5
QUICK = os.environ.get("METANUM_QUICK") == "1"  # the test suite's short setting"""),
    ("md", """## 1. The SIR model by SSA, against its ODE limit

Infection $S + I \\to 2I$ at rate $\\beta S I$, recovery $I \\to R$ at rate $\\gamma I$. For a large
population $N$ the fractions follow the ODE $s' = -\\beta N s i$, $i' = \\beta N s i - \\gamma i$
(Kurtz's law of large numbers); fluctuations are $O(N^{-1/2})$. We start with 50 infected so that
early extinction is negligible, and plot the 5–95 % band of 200 trajectories."""),
    ("code", """N, I0, beta, gamma, tf = 2000, 50, 0.1 / 2000, 0.05, 150.0
sir = JumpProblem.mass_action([N - I0, I0, 0], [({"S": 1, "I": 1}, {"I": 2}, beta),
                                                ({"I": 1}, {"R": 1}, gamma)],
                              ["S", "I", "R"], (0.0, tf))
times = np.linspace(0.0, tf, 151)
ens = solve_ensemble(EnsembleProblem(sir), Direct(), trajectories=200, seed=1, saveat=times)
summary = ens.summary(t=times, quantiles=(0.05, 0.95))

# The ODE limit, by the same ODE solver as everywhere else (fractions s, i; r = 1 - s - i)
kurtz = lambda u, p, t: np.array([-beta * N * u[0] * u[1], beta * N * u[0] * u[1] - gamma * u[1]])
ode = np.stack(solve(ODEProblem(kurtz, np.array([(N - I0) / N, I0 / N]), (0.0, tf)), Tsit5(),
                     rtol=1e-8, atol=1e-10, saveat=times).u)

fig, ax = plt.subplots(figsize=(7, 3.5))
for c, name, col in ((0, "S", "C0"), (1, "I", "C3")):
    ax.fill_between(times, summary.quantiles[0.05][:, c] / N, summary.quantiles[0.95][:, c] / N,
                    color=col, alpha=0.25, label=f"{name}: SSA 5-95 %")
    ax.plot(times, summary.mean[:, c] / N, color=col, label=f"{name}: SSA mean")
    ax.plot(times, ode[:, c], "k--", lw=1, label="ODE limit (solve, Tsit5)" if c == 0 else None)
ax.set_xlabel("t"); ax.set_ylabel("fraction"); ax.legend(ncol=2, fontsize=8); plt.tight_layout(); plt.show()
print("largest |SSA mean - ODE| (fractions):", np.abs(summary.mean[:, :2] / N - ode).max())"""),
    ("md", """## 2. Time per simulation: compiled against pure Python

Frost's SIR benchmark (the Gillespie.jl paper): $x_0 = (9999, 1, 0)$, $\\beta = 0.1/10^4$,
$\\gamma = 0.05$, $t_f = 1000$, every event recorded. The full comparison, with GillesPy2 and a
hand-written numba loop, is `benchmarks/bench_stochastic.py`; here a few runs suffice to see the
scale, and that the compiled and pure-Python paths give the identical trajectory."""),
    ("code", """frost = JumpProblem.mass_action([9999, 1, 0], [({"S": 1, "I": 1}, {"I": 2}, 0.1 / 10000),
                                                ({"I": 1}, {"R": 1}, 0.05)],
                                 ["S", "I", "R"], (0.0, 1000.0))
ssa_solve(frost, Direct(), seed=0)                     # compile once (cached on disk)

def per_sim(compiled, sims):
    start = time.perf_counter()
    events = sum(ssa_solve(frost, Direct(), seed=k, compiled=compiled).stats["events"] for k in range(sims))
    return (time.perf_counter() - start) / sims, events / sims

fast, ev_fast = per_sim(True, 200)
slow, ev_slow = per_sim(False, 3)
a = ssa_solve(frost, Direct(), seed=7); b = ssa_solve(frost, Direct(), seed=7, compiled=False)
print(f"{'path':<22}{'ms / simulation':>16}{'events / simulation':>22}")
print(f"{'compiled (numba)':<22}{fast * 1e3:>16.3f}{ev_fast:>22.0f}")
print(f"{'pure Python':<22}{slow * 1e3:>16.1f}{ev_slow:>22.0f}")
print(f"speed-up {slow / fast:.0f}x; identical trajectory for seed 7:",
      np.array_equal(a.t, b.t) and np.array_equal(a.u, b.u))"""),
    ("md", """## 3. Strong convergence on geometric Brownian motion, on the same path

$dX = \\mu X dt + \\sigma X dW$ has the exact solution $X(t) = X_0 e^{(\\mu - \\sigma^2/2)t + \\sigma W(t)}$.
A `BrownianPath` stores increments (and space-time Lévy areas) and refines itself by Brownian-bridge
sampling, so each step size sees the *same* Brownian motion and the error against the exact solution
is a pathwise (strong) error. Expected slopes: 1/2 for Euler–Maruyama, 1 for Milstein."""),
    ("code", """mu, sigma, paths = 1.0, 0.5, 1000
gbm = SDEProblem(lambda u, p, t: p[0] * u, lambda u, p, t: p[1] * u, 1.0, (0.0, 1.0), (mu, sigma))
path = BrownianPath((0.0, 1.0), shape=(paths,), seed=11, n=8)
steps = np.array([8, 16, 32, 64, 128, 256, 512])
strong = {}
for alg in (EulerMaruyama(), Milstein()):
    errs = []
    for n in steps:
        end = sde_solve(gbm, alg, path=path, dt=1 / n, batch=paths, save="final").u[-1]
        exact = np.exp(mu - sigma**2 / 2 + sigma * path.increments(n)[0].sum(axis=0))
        errs.append(np.mean(np.abs(end - exact)))
    strong[type(alg).__name__] = np.array(errs)
    print(type(alg).__name__, "fitted strong order:", round(np.polyfit(np.log(1 / steps), np.log(errs), 1)[0], 3))"""),
    ("md", """SRA1 (Rößler 2010) is strong order 3/2 for **additive** noise. On
$dX = (-\\sin X + t/2)\\,dt + 0.4\\,dW$ we measure it against a reference with $2^{-13}$ steps on
the same path (the path also carries the space-time Lévy area that SRA1 needs). Two slopes to expect:

* **Euler–Maruyama, slope 1** (not 1/2): with additive noise the diffusion does not depend on $X$, so
  Milstein's correction term $\\tfrac12 g g' (\\Delta W^2 - h)$ vanishes and Euler–Maruyama *is*
  Milstein's method, strong order 1.
* **SRA1, slope 3/2 asymptotically, steeper before.** The terms SRA1 misses are of two kinds:
  deterministic ones of order $h^2$ and stochastic ones of order $h^{3/2}$ whose size carries the
  noise intensity ($\\sigma^2 = 0.16$ here). At coarse steps the $h^2$ terms dominate and the fitted
  slope is near 2; the local slopes printed below fall towards 3/2 as $h$ shrinks."""),
    ("code", """add = SDEProblem(lambda u, p, t: -np.sin(u) + 0.5 * t, lambda u, p, t: 0.4 + 0 * u, 1.0, (0.0, 1.0))
path_a = BrownianPath((0.0, 1.0), shape=(400,), seed=3, n=8)
ref = sde_solve(add, SRA1(), path=path_a, dt=2.0**-13, batch=400, save="final").u[-1]
add_steps = np.array([8, 16, 32, 64, 128] if QUICK else [8, 16, 32, 64, 128, 256, 512])
for alg in (EulerMaruyama(), SRA1()):
    name = "additive " + type(alg).__name__
    strong[name] = np.array(
        [np.mean(np.abs(sde_solve(add, alg, path=path_a, dt=1 / n, batch=400, save="final").u[-1] - ref))
         for n in add_steps])
    local = np.log2(strong[name][:-1] / strong[name][1:])
    print(f"{type(alg).__name__:>13s} on additive noise: fitted order "
          f"{np.polyfit(np.log(1 / add_steps), np.log(strong[name]), 1)[0]:.2f}; local slopes h -> h/2:",
          np.round(local, 2))

fig, ax = plt.subplots(1, 2, figsize=(10, 3.6))
for name in ("EulerMaruyama", "Milstein"):
    ax[0].loglog(1 / steps, strong[name], "o-", label=name)
ax[0].loglog(1 / steps, 1.2 * (1 / steps) ** 0.5, "k:", label="slope 1/2")
ax[0].loglog(1 / steps, 0.8 / steps, "k--", label="slope 1")
ax[0].set_title("GBM: strong error vs exact solution"); ax[0].set_xlabel("step h")
ax[0].set_ylabel("mean |X_N - X(1)|"); ax[0].legend(fontsize=8)
h = 1 / add_steps
for name in ("additive EulerMaruyama", "additive SRA1"):
    ax[1].loglog(h, strong[name], "o-", label=name.replace("additive ", ""))
ax[1].loglog(h, strong["additive EulerMaruyama"][0] * (h / h[0]), "k--", label="slope 1")
ax[1].loglog(h, strong["additive SRA1"][-1] * (h / h[-1]) ** 1.5, "k:", label="slope 3/2")
ax[1].set_title("additive noise: strong error vs fine solve"); ax[1].set_xlabel("step h")
ax[1].set_ylabel("mean |X_N - reference|"); ax[1].legend(fontsize=8)
plt.tight_layout(); plt.show()"""),
    ("md", """## 4. Weak convergence of Euler–Maruyama

For GBM, Euler–Maruyama's own expectation is known exactly: $E[X_N] = X_0(1 + \\mu h)^N$, so the Monte
Carlo mean can be checked against it within its standard error, and the weak error
$|E[X_N] - X_0 e^{\\mu}|$ falls like $h$ (weak order 1)."""),
    ("code", """weak_steps = np.array([2, 4, 8, 16, 32])
weak, scheme, se = [], [], []
for n in weak_steps:
    x = sde_solve(gbm, EulerMaruyama(), dt=1 / n, batch=200_000, seed=int(n), save="final").u[-1]
    weak.append(abs(x.mean() - math.exp(mu))); scheme.append((1 + mu / n) ** n); se.append(x.std() / math.sqrt(x.size))
    print(f"h = 1/{n:<3d} MC mean {x.mean():.4f} ± {se[-1]:.4f}   scheme's exact mean {scheme[-1]:.4f}")
print("fitted weak order:", round(np.polyfit(np.log(1 / weak_steps), np.log(weak), 1)[0], 3))
fig, ax = plt.subplots(figsize=(5, 3.4))
ax.loglog(1 / weak_steps, weak, "o-", label="|MC mean - e^mu|")
ax.loglog(1 / weak_steps, np.abs(np.array(scheme) - math.exp(mu)), "k--", label="exact bias of the scheme")
ax.set_xticks(1 / weak_steps, [f"1/{n}" for n in weak_steps])   # one label per step size, no overlap
ax.xaxis.set_minor_formatter(plt.NullFormatter())
ax.set_xlabel("step h"); ax.set_ylabel("weak error |E[X_N] - E[X(1)]|")
ax.legend(fontsize=8); plt.tight_layout(); plt.show()"""),
    ("md", """## 5. Pathwise derivatives for free

Nothing in `solvers/` names a number type, so a `Dual` drift parameter gives $dX(1)/d\\mu$ along the
path. For Euler–Maruyama on GBM, $X_N = \\prod_k (1 + \\mu h + \\sigma \\Delta W_k)$, hence
$dX_N/d\\mu = X_N \\sum_k h / (1 + \\mu h + \\sigma \\Delta W_k)$."""),
    ("code", """one = BrownianPath((0.0, 1.0), shape=(), seed=9, n=128)
d = nm.derivative(lambda m: sde_solve(gbm.remake(p=(m, sigma)), EulerMaruyama(), path=one, save="final").u[-1], mu)
dw = one.increments(128)[0]; fac = 1 + mu / 128 + sigma * dw
print("Dual:", d, "  formula:", np.prod(fac) * np.sum((1 / 128) / fac))"""),
]

write_notebook(cells, pathlib.Path(__file__).with_name("06_stochastic.ipynb"))
