"""Builds notebooks/09b_jumps_sde.ipynb from the cells below (run: python notebooks/make_09b_jumps_sde.py)."""

import pathlib

from _write_notebook import write_notebook

cells = [
    ("md", """# 09b · Adaptive high-order SDE methods and jumps coupled to ODEs

1. Rößler's SRIW1 (strong order 3/2) against Euler–Maruyama and Milstein on the same Brownian paths.
2. Adaptive SRIW1 with rejection sampling with memory: error against tolerance, and the Brownian
   law kept intact through rejections.
3. Stratonovich (stochastic Heun) and a stiff SDE (drift-implicit Euler–Maruyama).
4. Jumps coupled to an ODE: mRNA bursts driving a protein ODE (Poisson stationary law), and a
   piecewise-deterministic process with state-dependent jump rates.
5. Jump diffusions (jumps on an SDE), adaptive Euler–Maruyama, and a stability-optimised SRA.
6. Dual and Measurement numbers through both.

`METANUM_QUICK=1` (the default, used by the tests) runs small sizes; `METANUM_QUICK=0` the full ones."""),
    ("code", """import os
import numpy as np
%matplotlib inline
import matplotlib.pyplot as plt
from scipy import stats
import numeric as nm
from solvers import ODEProblem
from solvers.sde import (SDEProblem, BrownianPath, EulerMaruyama, Milstein, SRIW1, StochasticHeun,
                         ImplicitEM, LambaEM, SRA1, SOSRA, solve)
from solvers.jumps import (JumpODEProblem, JumpSDEProblem, ConstantRateJump, VariableRateJump,
                           ReactionJumps)
from solvers.ssa import JumpProblem
QUICK = os.environ.get("METANUM_QUICK", "1") == "1"
PATHS = 200 if QUICK else 2000
mu, sigma = 1.0, 0.5
gbm = SDEProblem(lambda u, p, t: p[0] * u, lambda u, p, t: p[1] * u, 1.0, (0.0, 1.0), (mu, sigma))"""),
    ("md", """## 1. Strong order on the same Brownian paths

GBM's exact solution is $X(1) = e^{\\mu - \\sigma^2/2 + \\sigma W(1)}$; a refinable `BrownianPath`
gives every step size the same path, so the mean error at $T = 1$ measures strong convergence."""),
    ("code", """path = BrownianPath((0.0, 1.0), shape=(PATHS,), seed=11, n=8)
steps = [8, 16, 32, 64, 128]
fig = plt.figure(figsize=(4.8, 3.4))
for alg in (EulerMaruyama(), Milstein(), SRIW1()):
    errs = []
    for n in steps:
        x = solve(gbm, alg, path=path, dt=1 / n, batch=PATHS, save="final").u[-1]
        exact = np.exp(mu - sigma**2 / 2 + sigma * path.increments(n)[0].sum(axis=0))
        errs.append(np.mean(np.abs(x - exact)))
    order = np.polyfit(np.log(1 / np.array(steps)), np.log(errs), 1)[0]
    name = getattr(alg, "name", type(alg).__name__)
    plt.loglog(1 / np.array(steps), errs, "o-", label=f"{name}: order {order:.2f}")
plt.xlabel("h"); plt.ylabel("E|X_h(1) - X(1)|"); plt.legend(fontsize=8); plt.tight_layout(); plt.show()"""),
    ("md", """## 2. Adaptive steps with rejection sampling with memory

A rejected step keeps its Brownian increments: the shorter retry takes the first part by the
Brownian bridge (for $W$ and the space-time area $H$), the rest waits on a stack. `sol.stats["W"]` is
the path's $W(1)$, so each adaptive solve can be compared with the exact solution on its own path."""),
    ("code", """for tol in (1e-2, 1e-3, 1e-4):
    sol = solve(gbm, SRIW1(), rtol=tol, atol=tol, batch=PATHS, seed=21, save="final")
    exact = np.exp(mu - sigma**2 / 2 + sigma * sol.stats["W"])
    print(f"tol {tol:.0e}: {sol.stats['steps']:4d} steps, {sol.stats['rejects']:3d} rejected, "
          f"mean error {np.mean(np.abs(sol.u[-1] - exact)):.2e}")
runs = 100 if QUICK else 1000
ws, rejected = [], 0
for seed in range(runs):
    sol = solve(gbm.remake(p=(mu, 1.5)), SRIW1(), rtol=1e-2, atol=1e-2, seed=seed, save="final")
    ws.append(float(sol.stats["W"])); rejected += sol.stats["rejects"]
print(f"{runs} single-path solves, {rejected} rejected steps; W(1): mean {np.mean(ws):.3f}, "
      f"var {np.var(ws):.3f}, KS p-value against N(0,1) {stats.kstest(ws, 'norm').pvalue:.2f}")"""),
    ("md", """## 3. Stratonovich and stiff SDEs

With `interpretation="stratonovich"` GBM's solution is $e^{\\mu t + \\sigma W}$; stochastic Heun
converges to it with strong order 1. For a stiff drift, Euler–Maruyama at $h = 0.1$ explodes while
the drift-implicit method (Newton on the stiff solvers' linear algebra) stays stable."""),
    ("code", """strat = gbm.remake(interpretation="stratonovich")
x = solve(strat, StochasticHeun(), path=path, dt=1 / 128, batch=PATHS, save="final").u[-1]
print("Heun, h = 1/128: mean error", np.mean(np.abs(x - np.exp(mu + sigma * path.W(1.0)))))
stiff = SDEProblem(lambda u, p, t: -50.0 * u, lambda u, p, t: 0.5 * u, 1.0, (0.0, 5.0))
with np.errstate(over="ignore", invalid="ignore"):
    print("EM:", solve(stiff, EulerMaruyama(), dt=0.1, seed=1, batch=10).retcode)
imp = solve(stiff, ImplicitEM(), dt=0.1, seed=1, batch=10)
print("ImplicitEM:", imp.retcode, "max |u(5)| =", float(np.abs(imp.u[-1]).max()))"""),
    ("md", """## 4. Jumps coupled to an ODE

mRNA $m$ is made at rate $k$ and degraded at rate $\\gamma m$ -- the SSA's mass-action reactions, as
constant-rate jumps on `u[0]` -- and drives a protein $P' = \\beta m - \\delta P$. In the stationary
regime $m \\sim$ Poisson$(k/\\gamma)$ and $E[P] = \\beta k / (\\gamma\\delta)$."""),
    ("code", """k, gam, beta, delta = 10.0, 1.0, 2.0, 0.5
ssa = JumpProblem.mass_action([0], [({}, {"m": 1}, k), ({"m": 1}, {}, gam)], ["m"], (0.0, 1.0))
n_samples = 100 if QUICK else 1000
times = 3.0 * np.arange(1, n_samples + 1)
ode = ODEProblem(lambda u, p, t: np.array([0.0 * u[0], beta * u[0] - delta * u[1]]),
                 np.array([10.0, 40.0]), (0.0, times[-1]))
gene = JumpODEProblem(ode, [ReactionJumps.from_ssa(ssa, index=[0])])
sol = gene.solve(seed=2024, rtol=1e-6, atol=1e-8, saveat=times)
m = np.array([u[0] for u in sol.u]); P = np.array([u[1] for u in sol.u])
print(f"{len(sol.jumps)} jumps; mean m {m.mean():.2f} (Poisson mean {k / gam}), var m {m.var():.2f}; "
      f"mean P {P.mean():.1f} (exact {beta * k / gam / delta})")
short = gene.remake(tspan=(0.0, 20.0)).solve(seed=1, rtol=1e-6, atol=1e-8)
fig, ax = plt.subplots(1, 2, figsize=(10, 3.2))
ax[0].step(short.t, [u[0] for u in short.u], where="post", label="mRNA m (jumps)")
ax[0].plot(short.t, [u[1] / 4 for u in short.u], label="protein P / 4 (ODE)"); ax[0].legend(fontsize=8)
vals = np.arange(0, 25)
ax[1].hist(m, bins=np.arange(-0.5, 25), density=True, alpha=0.6, label="samples")
ax[1].plot(vals, stats.poisson(k / gam).pmf(vals), "k.-", label="Poisson(k/γ)"); ax[1].legend(fontsize=8)
plt.tight_layout(); plt.show()"""),
    ("md", """A variable-rate jump: a clock $x' = 1$ is reset at rate $x$ (its intensity is integrated along the
ODE solve and the reset fires when the integral reaches an Exp(1) threshold). The times between
resets then have $P(T > s) = e^{-s^2/2}$ exactly."""),
    ("code", """clock = JumpODEProblem(ODEProblem(lambda u, p, t: 0 * u + 1.0, np.array([0.0]), (0.0, 60.0 if QUICK else 600.0)),
                       [VariableRateJump(lambda u, p, t: u[0], lambda u, p, t: 0 * u)])
gaps = []
for seed in range(4):
    s = clock.solve(seed=seed, rtol=1e-8, atol=1e-10, save_everystep=False)
    gaps += list(np.diff(np.concatenate([[0.0], s.jump_times])))
print(len(gaps), "gaps; KS p-value against the Rayleigh law:",
      round(stats.kstest(gaps, lambda x: 1 - np.exp(-np.asarray(x)**2 / 2)).pvalue, 3))"""),
    ("md", """## 5. Jumps on an SDE, adaptive Euler–Maruyama, stability-optimised SRA

Merton's jump diffusion: geometric Brownian motion $dX = \\mu X dt + \\sigma X dW$ whose price also jumps
by a factor $1 + J$ at rate $\\lambda$. Then $E X(T) = X_0 e^{(\\mu + \\lambda J) T}$ exactly. The SDE
pieces between jumps are solved by `LambaEM`, Euler–Maruyama with an error estimate (adaptive; its
estimate depends on the state only, so the step selection does not bias the Itô limit)."""),
    ("code", """lam, J = 3.0, -0.1
merton = JumpSDEProblem(SDEProblem(lambda u, p, t: mu * u, lambda u, p, t: sigma * u, np.array([1.0]),
                                   (0.0, 1.0)),
                        [ConstantRateJump(lambda u, p, t: lam, lambda u, p, t: u * (1 + J))])
rng = np.random.default_rng(7)
paths = [merton.solve(LambaEM(), seed=rng, rtol=1e-2, atol=1e-2) for _ in range(PATHS)]
xT = np.array([s.u[-1][0] for s in paths])
print(f"E X(1): {xT.mean():.3f} ± {xT.std() / np.sqrt(len(xT)):.3f} (exact {np.exp(mu + lam * J):.3f}); "
      f"{np.mean([len(s.jumps) for s in paths]):.2f} jumps per path (exact {lam})")
fig, ax = plt.subplots(1, 2, figsize=(10, 3.2))
for s in paths[:5]:
    ax[0].plot(s.t, [u[0] for u in s.u], lw=0.8)
ax[0].set_xlabel("t"); ax[0].set_ylabel("X(t)"); ax[0].set_title("Merton paths (jumps by ×0.9)")
# SRA1 is stable on [-2, 0] of h*lambda, SOSRA on [-5, 0]: a stiff OU process at h*lambda = 4
ou = SDEProblem(lambda u, p, t: -400.0 * (u - 1.0), lambda u, p, t: 0.5 + 0 * u, 0.0, (0.0, 1.0))
with np.errstate(over="ignore", invalid="ignore"):
    for alg in (SRA1(), SOSRA()):
        sol = solve(ou, alg, dt=0.01, seed=3, adaptive=False)
        ax[1].semilogy(sol.t, np.abs(np.asarray(sol.u, dtype=float) - 1.0) + 1e-6, label=repr(alg))
ax[1].set_xlabel("t"); ax[1].set_ylabel("|u - 1|"); ax[1].set_title("stiff OU, fixed h = 0.01")
ax[1].legend(fontsize=8); plt.tight_layout(); plt.show()"""),
    ("md", """## 6. Other numbers through the same solves

A `Dual` parameter gives pathwise derivatives (the jump times carry $d\\tau/dp$ through the event
root finding); a `Measurement` parameter propagates its uncertainty linearly."""),
    ("code", """rate_p = lambda u, q, t: q * u[0]
def x_end(q):
    prob = JumpODEProblem(ODEProblem(lambda u, p, t: 0 * u + 1.0, np.array([0.0]), (0.0, 10.0), q),
                          [VariableRateJump(rate_p, lambda u, p, t: 0 * u)])
    return prob.solve(seed=5, rtol=1e-10, atol=1e-12, save_everystep=False)
tau = x_end(1.3).jump_times[-1]
print("dx(T)/dp by Dual:", nm.derivative(lambda q: x_end(q).u[-1][0], 1.3), " exact tau/(2p):", tau / 2.6)
one = BrownianPath((0.0, 1.0), shape=(), seed=4, n=32)
print("SRIW1 with mu = 1.00 ± 0.01:", solve(gbm.remake(p=(nm.Measurement(1.0, 0.01), sigma)), SRIW1(), path=one, save="final").u[-1])"""),
]

write_notebook(cells, pathlib.Path(__file__).with_name("09b_jumps_sde.ipynb"))
