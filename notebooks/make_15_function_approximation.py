"""Builds notebooks/15_function_approximation.ipynb (run: python notebooks/make_15_function_approximation.py)."""

import pathlib

from _write_notebook import write_notebook

cells = [
    ("md", """# 15 · Neural networks are function approximation

The talk's first slide: a neural network is one more way of writing down a function with parameters,
next to polynomials, rational forms and Chebyshev series. Here $e^x$ on $[0, 1]$ four ways, all fitted
with the library (the code is `examples/function_approximation.py`):

1. a **polynomial** of degree $n$ by linear least squares (the exact minimiser);
2. the **nonlinear form** $1 + a_1 \\tanh(a_2 x) / (a_3 x - \\tanh(a_4 x))$, four parameters trained by
   BFGS with reverse-mode gradients from several random starts;
3. **Chebyshev `Fun`s**: the adaptive one (chopped at machine precision) and the interpolant in $n$ points;
4. a **small network** $1 \\to w \\to 1$ with $\\tanh$, trained with Adam and then BFGS.

Set `METANUM_QUICK=1` for the short setting the test suite runs (fewer iterations and starts)."""),
    ("code", """import os
import pathlib
import sys
import numpy as np
%matplotlib inline
import matplotlib.pyplot as plt
import numeric as nm
sys.path.insert(0, str(pathlib.Path(nm.__file__).resolve().parents[1] / "examples"))  # the repository's examples/
from function_approximation import (INTERVAL, approximate_all, chebyshev_points, error_grid, fit_form,
                                    fit_network, tanh_form, tanh_form_shifted)
QUICK = os.environ.get("METANUM_QUICK") == "1"  # the test suite's short setting
opts = dict(adam_iters=50, bfgs_iters=20, starts=3) if QUICK else dict(adam_iters=1000, bfgs_iters=500, starts=20)
print("quick setting" if QUICK else "full setting", opts)"""),
    ("md", """## All four, fitted on 64 Chebyshev points

The training points are Chebyshev points of the first kind: they avoid the endpoints, so the nonlinear
forms' removable $0/0$ at $x = 0$ is never evaluated. The error is measured on 1001 points inside the
interval."""),
    ("code", """approximants = approximate_all(**opts)
for a in approximants:
    print(f"{a.name:42s} {a.nparams:4d} parameters   max |error| = {a.max_error:.2e}")"""),
    ("code", """x = error_grid()
fig, ax = plt.subplots(1, 2, figsize=(12, 4))
for a in approximants:
    ax[0].semilogy(x, np.abs(np.asarray(a.f(x), dtype=float) - np.exp(x)) + 1e-17, label=f"{a.name} ({a.nparams})")
ax[0].set(xlabel="x", ylabel="|approximation - exp(x)|", title="pointwise error on [0, 1]", ylim=(1e-17, 1))
ax[0].legend(fontsize=7, loc="lower right")
ax[1].bar(range(len(approximants)), [max(a.max_error, 1e-17) for a in approximants], color=[f"C{i}" for i in range(len(approximants))])
ax[1].set_yscale("log"); ax[1].set_xticks(range(len(approximants)))
short = ["polynomial", "polynomial", "tanh form, a3 x", "tanh form, a3", "Fun, n points", "Fun, adaptive", "network"]
ax[1].set_xticklabels([f"{s} ({a.nparams})" for s, a in zip(short, approximants)], rotation=45, ha="right", fontsize=8)
ax[1].set(ylabel="max error", title="max error (parameter count)")
fig.tight_layout()"""),
    ("md", """## Why the four-parameter form stalls, and the one that is exact

In $1 + a_1\\tanh(a_2 x)/(a_3 x - \\tanh(a_4 x))$ numerator and denominator are odd functions of $x$, so the
fraction is **even**: on a symmetric interval it cannot produce the odd part $\\sinh x$ of $e^x$ at all,
and on $[0, 1]$ it reaches a few $10^{-3}$ only. Move the $x$: $1 + a_1 \\tanh(a_2 x)/(a_3 - \\tanh(a_4 x))$
contains $e^x$ exactly, since $e^x = (1 + \\tanh(x/2))/(1 - \\tanh(x/2)) = 1 + 2\\tanh(x/2)/(1 - \\tanh(x/2))$,
i.e. $a = (2, 1/2, 1, 1/2)$; BFGS from random starts finds it. A model with the right structure needs four
numbers; the network needs about fifty for $10^{-5}$ -- function approximation is about the right basis."""),
    ("code", """xs = chebyshev_points(64)
a = fit_form(tanh_form_shifted, xs, np.exp(xs), starts=opts["starts"])
print("fitted a =", np.round(a, 8), " (the half-angle identity: a = (2, 1/2, 1, 1/2), or a point giving the same",
      "function by tanh's oddness: (-a1, -a2, a3, a4) and (a1, -a2, -a3, -a4))")
xm = np.linspace(-1, 1, 64)[np.linspace(-1, 1, 64) != 0]
b = fit_form(tanh_form, xm, np.exp(xm), starts=opts["starts"])
print("on [-1, 1] the even form's best max error:", float(np.max(np.abs(tanh_form(xm, b) - np.exp(xm)))),
      " >= its lower bound max |sinh x| =", float(np.sinh(1)))"""),
    ("md", """## The network's training, and its error against its size

Adam (lr 0.01) and then BFGS on the mean squared error; the gradient of the loss in the network's
parameters comes from reverse mode. With the same training budget, widening the network helps up to
a point, and then the optimiser, not the network, is the limit (the widest one below ends worse); each
digit costs many parameters, where the Chebyshev series gains about a digit per coefficient (the
coefficients of $e^x$ on an interval of length 1 decay like $I_k(1/2)$)."""),
    ("code", """widths = (2, 4, 8) if QUICK else (2, 4, 8, 16, 32)
ys = np.exp(xs)
fig, ax = plt.subplots(1, 2, figsize=(11, 3.8))
sizes, errs = [], []
for w in widths:
    predict, theta, hist = fit_network(xs, ys, width=w, adam_iters=opts["adam_iters"], bfgs_iters=opts["bfgs_iters"])
    ax[0].semilogy(hist, label=f"width {w}")
    sizes.append(theta.size); errs.append(float(np.max(np.abs(predict(x) - np.exp(x)))))
ax[0].axvline(opts["adam_iters"], color="k", lw=0.5)
ax[0].set(xlabel="iteration (Adam, then BFGS)", ylabel="mean squared error", title="training")
ax[0].legend(fontsize=8)
fun_err = [float(np.max(np.abs(np.asarray(nm.Fun(np.exp, nm.Chebyshev(*INTERVAL), n=n)(x)) - np.exp(x)))) for n in range(2, 15)]
ax[1].loglog(sizes, errs, "o-", label="network 1-w-1 (tanh)")
ax[1].loglog(range(2, 15), np.maximum(fun_err, 1e-17), "s-", label="Chebyshev interpolant, n points")
ax[1].set(xlabel="parameters", ylabel="max error", title="error against size")
ax[1].legend(fontsize=8)
fig.tight_layout()
print("network sizes", sizes, "max errors", ["%.1e" % e for e in errs])"""),
]

write_notebook(cells, pathlib.Path(__file__).with_name("15_function_approximation.ipynb"))
