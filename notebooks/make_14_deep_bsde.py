"""Builds notebooks/14_deep_bsde.ipynb from the cells below (run: python notebooks/make_14_deep_bsde.py)."""

import pathlib

from _write_notebook import write_notebook

cells = [
    ("md", """# 14 · Deep BSDE in 100 dimensions, as a universal SDE

Han, Jentzen & E (PNAS 115 (2018) 8505) solve semilinear parabolic PDEs in 100 dimensions,

$$u_t + \\tfrac{\\sigma^2}{2}\\Delta u + f(t, x, u, \\sigma\\nabla u) = 0, \\qquad u(T, x) = g(x),$$

through the backward SDE that $Y_t = u(t, X_t)$, $Z_t = \\sigma \\nabla u(t, X_t)$ satisfy along
$X_t = x_0 + \\sigma W_t$:

$$dY_t = -f(t, X_t, Y_t, Z_t)\\,dt + Z_t \\cdot dW_t .$$

$Y_0$ becomes a parameter, $Z = \\mathrm{net}(t, X)$ a network, the SDE is solved forward, and training
minimises $E|Y_T - g(X_T)|^2$; at the optimum $Y_0 = u(0, x_0)$. Written this way it is a **universal
SDE**: an `SDEProblem` whose coefficients contain a network, solved by the library's SDE solvers,
differentiated by reverse mode through the solver. Both solves -- $X$ (Euler–Maruyama, exact for
$dX = \\sigma dW$) and $Y$ -- read one `BrownianPath`, so $Z(t, X_t)$ is a known coefficient along it.
The code is `examples/deep_bsde.py`; set `METANUM_QUICK=1` for the short setting (a few iterations of a
small network: its numbers are *not* converged)."""),
    ("code", """import os
import pathlib
import sys
import numpy as np
%matplotlib inline
import matplotlib.pyplot as plt
import numeric as nm
from solvers.sde import EulerMaruyama
sys.path.insert(0, str(pathlib.Path(nm.__file__).resolve().parents[1] / "examples"))  # the repository's examples/
import deep_bsde as db
QUICK = os.environ.get("METANUM_QUICK") == "1"  # the test suite's short setting
print("quick setting" if QUICK else "full setting")"""),
    ("md", """## The HJB reference by Cole–Hopf, and the generator's factor 1/2

$u_t + \\Delta u - \\lambda|\\nabla u|^2 = 0$, $g(x) = \\ln\\frac{1 + |x|^2}{2}$, $T = 1$, $d = 100$: here
$\\sigma = \\sqrt2$, so $Z = \\sqrt2\\nabla u$ and $\\lambda|\\nabla u|^2 = \\lambda|Z|^2/2$ -- the generator is
$f = -\\lambda |z|^2 / 2$. (The 2018 code and SciML's HighDimPDE write $-\\lambda|z|^2$, which is the
$\\lambda = 2$ problem.) With $v = e^{-\\lambda u}$ the PDE becomes the heat equation, so

$$u(0, x) = -\\frac1\\lambda \\ln E\\left[e^{-\\lambda g(x + \\sqrt2 W_T)}\\right];$$

at $x = 0$, $|\\sqrt 2 W_T|^2 = 2T\\,Q$ with $Q \\sim \\chi^2_{100}$: a one-dimensional quadrature (mpmath,
30 digits). A Monte Carlo estimate of the same expectation with 100-dimensional Brownian motions checks it."""),
    ("code", """ref1, ref2 = db.hjb_reference(1.0), db.hjb_reference(2.0)
print(f"u(0, 0), lambda = 1: {ref1:.10f}   (the paper's 4.5901)")
print(f"u(0, 0), lambda = 2: {ref2:.10f}   (what the generator -lambda |z|^2 with lambda = 1 solves)")
rng = np.random.default_rng(1)
n_mc = 20_000 if QUICK else 400_000
vals = np.concatenate([np.exp(-db.HJB.terminal(np.sqrt(2.0) * rng.standard_normal((20_000, 100))))
                       for _ in range(n_mc // 20_000)])
mc, se = -np.log(vals.mean()), vals.std() / vals.mean() / np.sqrt(vals.size)
print(f"Monte Carlo, {vals.size} paths: {mc:.6f} +- {se:.1e}; quadrature - MC = {ref1 - mc:.1e}")"""),
    ("md", """## Training, HJB (N = 20 steps, batch 64, Adam, 2000 iterations as the paper; lr 1e-2, then 1e-3 from iteration 1500)

The network is one $(t, x) \\mapsto z$ network for all times, $101 \\to 110 \\to 110 \\to 100$ with ReLU
(the paper uses one network per time step with batch normalisation; SciML's `NNPDENS` one network of
$(t, x)$, as here), output divided by $d$ as in the paper's code. $Y_0$ starts uniform in $[0, 1]$."""),
    ("code", """settings = {k: dict(db.QUICK_SETTINGS) for k in db.CASES} if QUICK else db.FULL_SETTINGS
results = {}
def run(key):
    case = db.CASES[key]
    r = db.train(case, EulerMaruyama(), seed=0, **settings[key])
    results[key] = r
    print(f"{case.name}: Y0 = {r.y0:.6f}, reference {case.reference:.6f}, relative error {100 * r.rel_error:.3f}%",
          f"(published {100 * case.published_rel_error:.2f}%); {r.iterations} iterations in {r.seconds:.0f} s",
          f"({r.seconds / r.iterations * 1e3:.0f} ms per iteration on this machine, shared and loaded)")
run("hjb")"""),
    ("md", """## Allen–Cahn ($T = 0.3$, $f = y - y^3$, $g = 1/(2 + 0.4|x|^2)$; reference 0.052802 from the paper)

Trained in the same loop above; $Y_0$ starts uniform in $[0.3, 0.6]$ as in the paper. The learning rate
drops in steps (see `db.FULL_SETTINGS`). Below: $Y_0$ during training against the reference, and the loss."""),
    ("code", """run("allen_cahn")"""),
    ("code", """fig, ax = plt.subplots(1, 3, figsize=(15, 3.8))
for a, key in zip(ax[:2], ("hjb", "allen_cahn")):
    r, case = results[key], db.CASES[key]
    a.plot(r.y0_history, label="Y0 during training")
    a.axhline(case.reference, color="k", ls="--", label=f"reference {case.reference:.5f}")
    a.set(xlabel="iteration", ylabel="Y0", title=f"{case.name}: Y0 = {r.y0:.5f} ({100 * r.rel_error:.2f}% off)")
    a.legend(fontsize=8)
for key in ("hjb", "allen_cahn"):
    ax[2].semilogy(results[key].loss_history, label=db.CASES[key].name)
ax[2].set(xlabel="iteration", ylabel="mean |Y_T - g(X_T)|^2", title="loss"); ax[2].legend(fontsize=8)
fig.tight_layout()"""),
    ("md", """## The seed's point: the solver is a choice, and a better one needs fewer network evaluations

Because the network lives inside an `SDEProblem`, the SDE method is an argument. For Allen–Cahn the drift
$-(Y - Y^3)$ makes $Y$ decay by $e^{-T}$ roughly, and Euler–Maruyama's $(1 - h)^N$ is off by
$T h / 2$ relative -- a bias in $Y_0$ that no amount of training removes. `DriftHeun` (trapezoidal drift,
Itô noise: the $\\alpha = 1/2$ predictor–corrector of Kloeden & Platen §15.5) has an $O(h^2)$ bias here,
because the noise coefficient $Z(t, X_t)$ does not depend on $Y$. Its drift does not call the network,
so it costs the same network evaluations per step. Same network, same seed, same iterations (600); only
the method and $N$ change. Expected biases: Euler $Th/2$ = 1.1% at $N = 4$, 0.28% at $N = 16$ (0.23% at
the paper's $N = 20$, nearly all of the Allen–Cahn error above); DriftHeun $Th^2/6$ = 0.11% at $N = 2$,
0.03% at $N = 4$."""),
    ("code", """if QUICK:
    steps, opts = {"EulerMaruyama": (2, 4), "DriftHeun": (2,)}, dict(iters=5, batch=16, hidden=32)
else:
    steps, opts = db.COMPARE_STEPS, {}
batch = opts.get("batch", 64)
rows = []
def compare(name, which=slice(None)):
    for n in steps[name][which]:
        r = db.compare_methods(db.ALLEN_CAHN, {name: (n,)}, **opts)[0]
        rows.append(r)
        print(f"{r.method:14s} N = {r.steps:2d}: Y0 = {r.y0:.6f}, relative error {100 * r.rel_error:6.3f}%,",
              f"{r.evaluations / (r.iterations * batch):.0f} network evaluations per path, {r.seconds:.0f} s")
compare("EulerMaruyama", slice(0, -1))"""),
    ("code", """compare("EulerMaruyama", slice(-1, None))"""),
    ("code", """compare("DriftHeun")
fig, ax = plt.subplots(figsize=(6, 4))
for name, marker in (("EulerMaruyama", "o-"), ("DriftHeun", "s-")):
    sel = [r for r in rows if r.method == name]
    cost = [r.evaluations / (r.iterations * batch) for r in sel]
    ax.loglog(cost, [max(r.rel_error, 1e-5) for r in sel], marker, label=name)
    for r, c in zip(sel, cost):
        ax.annotate(f"N={r.steps}", (c, max(r.rel_error, 1e-5)), fontsize=7)
ax.set(xlabel="network evaluations per path and iteration", ylabel="relative error of Y0",
       title="Allen-Cahn, d = 100: error against cost")
ax.legend();"""),
]

write_notebook(cells, pathlib.Path(__file__).with_name("14_deep_bsde.ipynb"))
