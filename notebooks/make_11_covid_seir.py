"""Builds notebooks/11_covid_seir.ipynb from the cells below (run: python notebooks/make_11_covid_seir.py)."""

import pathlib

from _write_notebook import write_notebook

cells = [
    ("md", """# 11 · COVID-19 SEIR: neural ODE, universal ODE, and the equation inside the network

The universal differential equations paper's repository (Rackauckas et al. 2020, arXiv:2001.04385;
`ChrisRackauckas/universal_differential_equations`, `SEIR_exposure/seir_exposure.jl`) fits the
seven-state COVID-19 model of Lin et al. (2020) to 21 days of data twice: with a **neural ODE**
(a network is the whole right-hand side) and with a **universal ODE** (only the exposure term
$\\beta(t) S I / N$ is a network, the rest is the known model), then reads an equation back from
the second network by sparse regression (SINDy). It draws three extrapolation figures, each of
E, I and R over days 0 to 60 with the end of the training data (day 21) marked, and no number:

| claim (the script's figure) | what is plotted | ours, full setting (max relative error of E, I, R on days 22-60) | reproduces? |
|---|---|---|---|
| the neural ODE does not extrapolate (`neuralode_extrapolation`) | the trained neural ODE solved to day 60 | 46.2% (fit on days 0-21: 0.80%) | **yes** |
| the universal ODE extrapolates (`universalode_extrapolation`, "Universal ODE Extrapolation") | the trained universal ODE itself solved to day 60 | 76.2% (fit: 0.01%), worse than the neural ODE | **no** |
| SINDy recovers the exposure and that model extrapolates (`universalodesindy_extrapolation`) | the SINDy-recovered model solved to day 60 | term `0.3077 I` (the data-identifiable 0.3082 I); 11.3% | **yes** |

So the comparable published result for the recovered model is our 11.3% (the exact term
0.3082 I gives 12.5%: the $(1 - D/N)^\\kappa$ factor, 0.95 by day 60, is invisible in 21 days);
the claim that the trained universal ODE *itself* extrapolates does not reproduce here, and
neither did two changes a user might make (below). The numbers and commands are in
benchmarks/RESULTS.md; the slow test `tests/test_case_covid_seir.py` asserts the first and
third claims and marks the second `xfail` with the measured numbers.

The model, parameters and initial state are those of the script; all code is in
`examples/covid_seir.py`. `METANUM_QUICK=1` (the default, used by the test suite) trains tiny
networks for a few iterations, so its curves and numbers mean nothing; `METANUM_QUICK=0`
runs the full setting (the 64-wide networks and the training schedule of the script)."""),
    ("code", """import os, pathlib, sys
import numpy as np
%matplotlib inline
import matplotlib.pyplot as plt
import numeric
sys.path.insert(0, str(pathlib.Path(numeric.__file__).resolve().parents[1] / "examples"))
import covid_seir as cv
QUICK = os.environ.get("METANUM_QUICK", "1") != "0"
print("quick setting" if QUICK else "full setting")"""),
    ("md", """## The data

$S' = -\\beta_0 S F/N - \\beta(t) S I/N - \\mu S$, $E' = \\beta_0 S F/N + \\beta(t) S I/N - (\\sigma+\\mu)E$,
$I' = \\sigma E - (\\gamma+\\mu) I$, $R' = \\gamma I - \\mu R$, $N' = -\\mu N$, $D' = d\\gamma I - \\lambda D$,
$C' = \\sigma E$, with $\\beta(t) = \\beta_0 (1-\\alpha)(1 - D/N)^\\kappa$ and
$p = (F, \\beta_0, \\alpha, \\kappa, \\mu, \\sigma, \\gamma, d, \\lambda) = (10, 0.5944, 0.4239, 1117.3, 0.02, 1/3, 1/5, 0.2, 1/11.2)$.
Training data: days 0 to 21 (Vern7 at $10^{-10}$, plus $10^{-5}$ noise as in the script); the loss compares E, I, R."""),
    ("code", """noisy, truth = cv.seir_data()
fig, ax = plt.subplots(figsize=(6, 3.5))
for k, name in zip(cv.FITTED, ("E", "I", "R")):
    ax.plot(cv.DAYS_EXTRAP, truth[:, k], label=f"true {name}")
    ax.plot(cv.DAYS, noisy[:, k], "k.", ms=3)
ax.axvline(cv.T_TRAIN, color="k", lw=0.5); ax.set(xlabel="day", ylabel="people", title="data (dots) and truth to day 60")
ax.legend(); plt.show()"""),
    ("md", """## Training both models and extrapolating to day 60

`cv.run` trains the neural ODE (7-64-64-64-5) and the universal ODE (3-64-64-1 for the exposure) as
the script does, 500 Adam iterations (lr 0.01) then BFGS (ours capped at 500 iterations, 100 for the
neural ODE), gradients by reverse mode through the Vern7 solver, and extrapolates each to day 60."""),
    ("code", """out = cv.run(3, 2, width=8, forms=tuple(cv.UNIVERSAL_FORMS)) if QUICK else cv.run()
print(cv.summary(out))"""),
    ("code", """fig, ax = plt.subplots(1, 3, figsize=(14, 3.6), sharey=True)
curves = [("neural ODE", out["neural"]["extrapolation"]), ("universal ODE", out["universal"]["extrapolation"]),
          ("universal ODE + SINDy", out["sindy"])]
for a, (title, pred) in zip(ax, curves):
    for k, name in zip(cv.FITTED, ("E", "I", "R")):
        a.plot(cv.DAYS_EXTRAP, truth[:, k], "o", ms=2, color=f"C{k}", label=f"true {name}")
        if pred is not None:
            a.plot(cv.DAYS_EXTRAP, np.clip(pred[:, k], -1e4, 1e4), color=f"C{k}", label=f"model {name}")
    a.axvline(cv.T_TRAIN, color="k", lw=0.5); a.set(title=title, xlabel="day"); a.set_ylim(-50, 1.2 * truth[:, cv.FITTED].max())
ax[0].set_ylabel("people"); ax[0].legend(fontsize=7); plt.tight_layout(); plt.show()"""),
    ("md", """## The equation inside the universal ODE's network

The network's output on the training days against the true exposure, then STLSQ on the monomials of
$(I, 10^6 D/N)$. Over these 21 days $S/N = 0.9000$ to four digits and $D/N < 2\\cdot 10^{-6}$, so the
data can identify $\\beta S I/N \\approx c\\, I$ with $c = \\beta_0 (1-\\alpha) S/N = 0.3082$, no more:
$\\kappa$'s effect, $(1 - D/N)^\\kappa > 0.998$, is invisible in the data, and it is what makes the
recovered model drift from the truth late in the extrapolation."""),
    ("code", """S, I, N, D = truth[:, 0], truth[:, 2], truth[:, 4], truth[:, 5]
true_exposure = cv.beta(D, N) * S * I / N
fig, ax = plt.subplots(figsize=(6, 3.5))
ax.plot(cv.DAYS[1:], true_exposure[1:len(cv.DAYS)], "o", label="true beta S I / N")
ax.plot(cv.DAYS[1:], out["learned_exposure"], label="network")
ax.set(xlabel="day", ylabel="new exposures per day"); ax.legend(); plt.show()
print("identified:", out["exposure"])
print("identified from the true exposure:", cv.identify(truth[1:len(cv.DAYS)], true_exposure[1:len(cv.DAYS)]))"""),
    ("md", """## Why the universal ODE alone does not extrapolate

The same curves along the true trajectory to day 60, against the number infected: the network
is trained where $I \\le I(21)$ (the vertical line) and, a sum of bounded tanh units, flattens
beyond it (full setting: 45.2, 60.0, 61.7, 58.4 on days 30, 40, 50, 60 against the true 47.4,
80.7, 127.0, 186.5); the identified term $c\\, I$ keeps growing with $I$, as the true exposure does.

Saturation is not the whole story. Two changes a user following the paper might make, each
from knowledge the modeller has rather than from the test days (`cv.UNIVERSAL_FORMS`):

* `"rate"`: exposure $= I \\cdot \\mathrm{net}(S/N, I, D/N)$. Mass action: with no infected there are
  no new exposures, and the term can no longer flatten in $I$. Full setting: fit 0.00%, but
  **426.8%** on days 22-60: the learned rate drifts up once $I$ leaves its training range
  (1.38 per day on day 60 against the true 0.29).
* `"rate_S_D"`: exposure $= I \\cdot \\mathrm{net}(S/N, D/N)$, linear in $I$ as in every SEIR model.
  Fit 0.00%, **92.4%** on days 22-60: now $D/N$ is the input that leaves its training range
  (23 times its day-21 value by day 60), and the learned rate turns negative.

Both networks still hold the exposure on the training days: SINDy reads `+0.3077 I` from
each, and those recovered models extrapolate with 11.3% and 11.4%. A network is constrained
only on the inputs it was trained on; what carries the model past day 21 is the sparse,
structured term SINDy extracts, which is the repository's third figure. (In the quick setting
the cell above trained all three forms for a few iterations; the full setting trains the
script's form only, the others by `python examples/covid_seir.py --no-neural --forms rate rate_S_D`.)"""),
    ("code", """fig, ax = plt.subplots(figsize=(6, 3.5))
ax.plot(truth[:, 2], true_exposure, "o", ms=3, label="true beta S I / N")
for form, r in out["universal_forms"].items():
    ax.plot(truth[:, 2], r["model"].exposure(truth, r["theta"]), label=f"network ({form})")
ax.plot(truth[:, 2], out["exposure"](truth), "--", label="SINDy's term (script's form)")
ax.axvline(truth[len(cv.DAYS) - 1, 2], color="k", lw=0.5)
ax.set(xlabel="I (days 0 to 60)", ylabel="new exposures per day",
       ylim=(-0.4 * true_exposure.max(), 1.3 * true_exposure.max()))
ax.legend(fontsize=7); plt.show()"""),
]

if __name__ == "__main__":
    write_notebook(cells, pathlib.Path(__file__).resolve().parent / "11_covid_seir.ipynb")
