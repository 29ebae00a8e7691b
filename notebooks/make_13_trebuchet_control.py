"""Builds notebooks/13_trebuchet_control.ipynb from the cells below (run: python notebooks/make_13_trebuchet_control.py)."""

import pathlib

from _write_notebook import write_notebook

cells = [
    ("md", """# 13 · Aiming through an event: a neural controller for a projectile

A projectile with quadratic drag in a horizontal wind; where it lands is an **event** ($y = 0$ on the
way down) found by root finding inside the ODE solver (`ContinuousCallback`). A network maps the
target distance and the wind to the launch angle and speed (the FluxML trebuchet idea), and is
trained end to end: each shot's landing distance is differentiated through the event by forward
mode, the network by reverse mode, joined by `nm.custom_vjp`. Then held-out targets are hit with one
network evaluation each, against direct optimisation of the shot for each target.
Code: `examples/trebuchet.py`. `METANUM_QUICK=1` (default; the test suite) trains a few iterations
on four targets; `METANUM_QUICK=0` runs the full setting."""),
    ("code", """import os, pathlib, sys
import numpy as np
%matplotlib inline
import matplotlib.pyplot as plt
import numeric
import numeric as nm
sys.path.insert(0, str(pathlib.Path(numeric.__file__).resolve().parents[1] / "examples"))
import trebuchet as tb
QUICK = os.environ.get("METANUM_QUICK", "1") != "0"
print("quick setting" if QUICK else "full setting")"""),
    ("md", """## The derivative through the landing event

The event time $\\tau$ solves $y(\\tau; p) = 0$; the solver's Newton polish on the generic state gives
$d\\tau/dp = -(\\partial y/\\partial p)/\\dot y$, so the landing distance $x(\\tau)$ carries
$dx/d\\theta$ and $dx/dv$. Checked here against central differences of float solves."""),
    ("code", """z = np.array([0.7, 30.0]); wind = 2.0
f = lambda z: tb.landing(z[0], z[1], wind)
g = nm.grad(f, mode="forward")(z)
h = 1e-5
fd = np.array([(f(z + h * e) - f(z - h * e)) / (2 * h) for e in np.eye(2)])
print(f"landing at {f(z):.4f} m; d/d(theta, v) through the event {g}, central differences {fd}")"""),
    ("md", """## Training the controller"""),
    ("code", """if QUICK:
    result = tb.train(3, 2, targets=tb.training_targets(2, 2)); held = tb.held_out_targets(2)
else:
    result = tb.train(); held = tb.held_out_targets()
ev = tb.evaluate(result["theta"], held)
print(tb.summary(result, ev))"""),
    ("code", """theta, v = tb.aim(result["theta"], held)
fig, ax = plt.subplots(1, 2, figsize=(13, 3.6))
from solvers import ODEProblem, Tsit5, solve
for a_, b_, (d, w) in zip(theta, v, held):
    u0 = b_ * (np.cos(a_) * tb.E_VX + np.sin(a_) * tb.E_VY)
    sol = solve(ODEProblem(tb.flight, u0, (0.0, 60.0), w), Tsit5(), callback=tb.GROUND, rtol=1e-7, atol=1e-7)
    path = np.array(sol.u)
    line, = ax[0].plot(path[:, 0], path[:, 1], lw=0.8)
    ax[0].plot([d], [0], "v", color=line.get_color())
ax[0].set(xlabel="x (m)", ylabel="y (m)", title="held-out shots (triangles: targets)")
hist = result["adam"].history + (result["bfgs"].history if result["bfgs"] is not result["adam"] else [])
ax[1].semilogy(hist); ax[1].set(xlabel="iteration (Adam, then BFGS)", ylabel="mean squared relative miss")
plt.tight_layout(); plt.show()
print(f"per target: controller {1e3 * ev['controller_seconds']:.3f} ms, direct BFGS {1e3 * ev['direct_seconds']:.0f} ms; "
      f"training cost {result['seconds']:.0f} s = direct aiming of {result['seconds'] / ev['direct_seconds']:.0f} targets")"""),
]

if __name__ == "__main__":
    write_notebook(cells, pathlib.Path(__file__).resolve().parent / "13_trebuchet_control.ipynb")
