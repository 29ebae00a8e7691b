"""Builds notebooks/08_neural_ode.ipynb from the cells below (run: python notebooks/make_08_neural_ode.py).

The notebook runs its quick setting unless ``METANUM_QUICK=0`` is set (the slow test
tests/test_ude_lotka_volterra.py::test_notebook_full_setting runs it that way); this
script executes it with the environment it is given.
"""

import pathlib

from _write_notebook import write_notebook

cells = [
    ("md", """# 08 · Neural and universal differential equations

A network inside a differential equation, trained through the unchanged solver, then read back
as equations.

1. **The spiral neural ODE** of torchdiffeq's `ode_demo` and DiffEqFlux's tutorial: `u' = NN(u)`
   trained on 30 points of `u' = u^3 A`.
2. **The universal ODE Lotka–Volterra** of Rackauckas et al. (2020, arXiv:2001.04385, §2.1): the
   known linear parts plus a 2-5-5-5-2 RBF network for the interaction terms, trained on 31 noisy
   points; then sparse regression (SINDy) on the network's output reads back `-0.9 x y` and
   `0.8 x y`, and the recovered equations extrapolate to `t = 50` where a pure neural ODE that fits
   the same data does not.

Gradients come from metanum through the solver (`examples/neural_ode_spiral.py`,
`examples/ude_lotka_volterra.py` hold the code); training is Adam then BFGS
(`solvers.optimize`), with progress bars. **Quick setting** (the default, a few iterations so the
notebook runs in the test suite): set the environment variable `METANUM_QUICK=0` before starting
the kernel for the full setting (tens of minutes on a loaded 2-core machine)."""),
    ("code", """import os, sys, pathlib, time
import numpy as np
%matplotlib inline
import matplotlib.pyplot as plt
import numeric as nm
import solvers
sys.path.insert(0, str(pathlib.Path(solvers.__file__).resolve().parents[1] / "examples"))
import neural_ode_spiral as spiral
import ude_lotka_volterra as ude
QUICK = os.environ.get("METANUM_QUICK", "1") != "0"
print("setting:", "quick" if QUICK else "full")"""),
    ("md", """## 1. The spiral neural ODE

`u' = NN(u)` with DiffEqFlux's `Chain(x -> x.^3, Dense(2, 50, tanh), Dense(50, 2))` (252
parameters), Tsit5 at `rtol = 1e-6`, loss `sum((u - data)^2)` over the 30 save points, Adam
(lr 0.05) then BFGS. Published level: after 500 Adam steps the benchmark of torchdiffeq against
DiffEqFlux (C. Rackauckas, "torchdiffeq vs Julia DiffEqFlux Neural ODE Training Benchmark",
gist 4a4d526c15cc4170ce37da837bfc32c4) reports final losses 0.0490 and 0.0276 (DiffEqFlux,
default and optimised sensitivities) and 0.0596 (torchdiffeq)."""),
    ("code", """iters = (20, 5) if QUICK else (300, 100)
t0 = time.perf_counter()
sp = spiral.train(*iters, progress=True)
print(f"loss: initial {sp['initial_loss']:.4g} -> after Adam {sp['adam'].fun:.4g} -> after BFGS {sp['loss']:.4g}"
      f"  ({time.perf_counter() - t0:.0f} s; published 0.028-0.060 after 500 Adam steps)")
fig, (a, b) = plt.subplots(1, 2, figsize=(11, 4))
hist = sp["adam"].history + sp["bfgs"].history
a.semilogy(hist); a.axvline(len(sp["adam"].history), color="k", lw=0.5)
a.set(xlabel="iteration (Adam | BFGS)", ylabel="loss", title="spiral: training loss")
pred = np.asarray(nm.value(np.array(spiral.predict(sp["theta"]))), dtype=float)
b.plot(*sp["data"].T, "o", label="data"); b.plot(*pred.T, "-", label="neural ODE")
b.set(xlabel="u1", ylabel="u2", title="spiral: fit"); b.legend()
plt.tight_layout(); plt.show()"""),
    ("md", """## 2. The universal ODE Lotka–Volterra

Truth: `x' = 1.3 x - 0.9 x y`, `y' = 0.8 x y - 1.8 y`, `u0 = (0.44249296, 4.6280594)`, observed at
`t = 0, 0.1, ..., 3` with Gaussian noise of 5% of each state's mean. The model keeps what is known
and learns the rest:

$$x' = 1.3\\,x + NN_1(x, y), \\qquad y' = -1.8\\,y + NN_2(x, y),$$

`NN` = Dense(2, 5, rbf) → Dense(5, 5, rbf) → Dense(5, 5, rbf) → Dense(5, 2) with
`rbf(x) = exp(-x^2)` (87 parameters), solved by Vern7 at `1e-6`. Beside it, a pure neural ODE
(`u' = NN(u)`, 2-32-32-2 tanh) trained on the same data."""),
    ("code", """print(ude.SETTINGS["quick" if QUICK else "full"])
result = ude.run("quick" if QUICK else "full", progress=True)   # data, both trainings, SINDy
data, u_fit, n_fit = result["data"], result["ude"], result["neural"]
t_fine = np.linspace(0, 3, 301)
truth_fine = ude.truth(t_fine)
print(f"UDE loss {u_fit.loss:.4g} ({u_fit.seconds:.0f} s), neural ODE loss {n_fit.loss:.4g} ({n_fit.seconds:.0f} s); "
      f"the noise alone gives {np.sum((ude.truth() - data) ** 2):.4g}")
fig, (a, b) = plt.subplots(1, 2, figsize=(11, 4))
a.semilogy(u_fit.history, label="universal ODE"); a.semilogy(n_fit.history, label="neural ODE")
a.set(xlabel="iteration (Adam, then BFGS)", ylabel="loss", title="training loss"); a.legend()
for k, name in enumerate("xy"):
    b.plot(ude.T_SAVE, data[:, k], "o", ms=3, color=f"C{k}", label=f"{name} data")
    b.plot(t_fine, truth_fine[:, k], "-", color=f"C{k}", lw=0.8, label=f"{name} truth")
fit_u = np.asarray(nm.value(np.array(ude.predict(ude.ude_rhs, u_fit.theta, t_save=t_fine))), dtype=float)
b.plot(t_fine, fit_u, "k--", lw=1, label="UDE")
b.set(xlabel="t", title="fit on [0, 3]"); b.legend(fontsize=7)
plt.tight_layout(); plt.show()"""),
    ("md", """### Reading the network back as equations

Along the fitted trajectory the network's output should be the missing terms, `(-0.9 x y, 0.8 x y)`.
STLSQ (`solvers.sindy`, threshold 0.1) over the monomials of `x` and `y` up to degree 2, fitted to
`NN(u)` at 61 points (step 0.05, the paper's grid) of the UDE's trajectory on `[0, 3]` (`ude.identify`),
keeps the terms it needs. In the full setting, the candidate structures of a threshold sweep are then
refit to the data through the ODE solve and chosen by AICc (`ude.select_structure`).
Along one trajectory the candidates are nearly collinear (the condition number of the library
matrix is in the hundreds), so errors of a few percent in the learned network can turn into
spurious terms: whether the exact pair comes back is the test of how well the network learned."""),
    ("code", """model, terms = result["model"], result["terms"]
print(model)
print("kept exactly the two interaction terms:", terms["exact_terms"])
print("x y coefficients", np.round(terms["coefficients"], 4), "(true -0.9, 0.8); relative errors",
      np.round(100 * terms["relative_error"], 2), "%")
model"""),
    ("md", """### Extrapolation to t = 50

The recovered model (known parts + identified terms) against the truth, and the pure neural ODE:
both fit `[0, 3]`; only the equations carry the mechanism past the data."""),
    ("code", """t_true, u_true = ude.extrapolate(ude.lotka_volterra, ude.P_TRUE)
t_rec, u_rec = ude.extrapolate(ude.recovered_rhs(model), None)
t_nn, u_nn = ude.extrapolate(ude.neural_rhs, n_fit.theta)
fig, ax = plt.subplots(2, 1, figsize=(11, 6), sharex=True)
for k, name in enumerate("xy"):
    ax[k].plot(t_true, u_true[:, k], "k-", lw=1, label="truth")
    ax[k].plot(t_rec, u_rec[:, k], "C1--", label="recovered equations (UDE + SINDy)")
    ax[k].plot(t_nn, u_nn[:, k], "C2:", label="pure neural ODE")
    ax[k].axvspan(0, 3, color="0.9", label="training data"); ax[k].set_ylabel(name)
    ax[k].set_ylim(-0.5, 1.5 * u_true[:, k].max())
ax[0].legend(fontsize=8, loc="upper right"); ax[1].set_xlabel("t")
plt.tight_layout(); plt.show()
n = min(len(t_rec), len(t_true))
print(f"max |recovered - truth| on [0, 50]: {np.abs(u_rec[:n] - u_true[:n]).max():.3g}"
      + ("" if len(t_rec) == len(t_true) else f" (the recovered solve stopped at t = {t_rec[-1]:.3g})"))
n = min(len(t_nn), len(t_true))
print(f"max |neural ODE - truth| on [0, {t_nn[n - 1]:.3g}]: {np.abs(u_nn[:n] - u_true[:n]).max():.3g}")"""),
]

if __name__ == "__main__":
    write_notebook(cells, pathlib.Path(__file__).with_name("08_neural_ode.ipynb"))
