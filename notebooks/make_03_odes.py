"""Builds notebooks/03_odes_with_any_number.ipynb from the cells below.

Run: ``python notebooks/make_03_odes.py`` (then the notebook test executes it).
"""

import pathlib

import nbformat as nbf

cells = [
    ("md", """# 03 · One ODE solver, any number

The solver in `solvers/ode` is written once against metanum's number protocol. Here the same call
solves the damped, forced oscillator

$$x'' + 2\\zeta x' + x = \\cos(\\omega t), \\qquad x(0) = 1,\\ x'(0) = 0,$$

with **float32**, **float64**, **40-digit mpmath** and **Dual** numbers; the Dual run gives the
sensitivities $\\partial x(t) / \\partial \\zeta$ and $\\partial x(t) / \\partial \\omega$ along the trajectory."""),
    ("code", """import time
import numpy as np, mpmath
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numeric as nm
from solvers import ODEProblem, solve, Tsit5, Vern9

def oscillator(u, p, t):
    zeta, omega = p
    x, v = u[0], u[1]
    return np.array([v, -2 * zeta * v - x + nm.cos(omega * t)])

T = 20.0
ts = np.linspace(0.0, T, 401)"""),
    ("md", """## float64 and float32

The state's type decides the arithmetic: a float32 initial state stays float32 (the tableau's
coefficients are converted once), so its error floor is float32's."""),
    ("code", """p64 = (0.1, 1.3)
sol64 = solve(ODEProblem(oscillator, np.array([1.0, 0.0]), (0.0, T), p64), Tsit5(), rtol=1e-10, atol=1e-12)
sol32 = solve(ODEProblem(oscillator, np.array([1.0, 0.0], dtype=np.float32), (0.0, T),
                         (np.float32(0.1), np.float32(1.3))), Tsit5(), rtol=1e-5, atol=1e-6)
print(sol64.retcode, sol64.stats, sol64.u[-1].dtype)
print(sol32.retcode, sol32.stats, sol32.u[-1].dtype)
x64, x32 = sol64(ts)[:, 0], sol32(ts)[:, 0]
print("max |x32 - x64| =", np.abs(x32.astype(float) - x64).max())"""),
    ("md", """## 40 digits with Vern9

With an `mpf` state (here a NumPy object array of `mpf`) the same solver runs in mpmath arithmetic;
Verner's 9th-order pair makes tight tolerances affordable. We compare $x(T)$ with the float64
result and with a tighter mpf solve."""),
    ("code", """def mp_solve(rtol):
    with mpmath.workdps(40):
        u0 = np.array([mpmath.mpf(1), mpmath.mpf(0)], dtype=object)
        p = (mpmath.mpf(1) / 10, mpmath.mpf(13) / 10)
        s = solve(ODEProblem(lambda u, p, t: np.array([u[1], -2 * p[0] * u[1] - u[0] + mpmath.cos(p[1] * t)]),
                             u0, (mpmath.mpf(0), mpmath.mpf(T)), p), Vern9(), rtol=mpmath.mpf(rtol),
                  atol=mpmath.mpf(rtol) / 100, save_everystep=False)
        return s
start = time.perf_counter()
mp_a, mp_b = mp_solve("1e-18"), mp_solve("1e-21")
print(f"two 40-digit solves in {time.perf_counter() - start:.1f} s")
with mpmath.workdps(40):
    print("x(T), 40 digits :", mpmath.nstr(mp_b.u[-1][0], 35))
    print("self-consistency:", mpmath.nstr(abs(mp_a.u[-1][0] - mp_b.u[-1][0]), 3))
    print("float64 error   :", mpmath.nstr(abs(sol64.u[-1][0] - mp_b.u[-1][0]), 3))"""),
    ("md", """## Dual: sensitivities along the trajectory

`nm.jacobian` of the saved trajectory with respect to $(\\zeta, \\omega)$ pushes a `DualArray` of
parameters through the unchanged solver. We check it against central differences of float solves."""),
    ("code", """save = np.linspace(0.0, T, 81)
def trajectory(p):
    s = solve(ODEProblem(oscillator, np.array([1.0, 0.0]), (0.0, T), p), Tsit5(), rtol=1e-10, atol=1e-12,
              saveat=save)
    return np.stack(s.u)[:, 0]   # a DualArray when p carries duals, a float array otherwise
J = np.asarray(nm.jacobian(trajectory, np.array(p64)), dtype=float)
h = 1e-6
fd = np.stack([(trajectory(np.array(p64) + h * e) - trajectory(np.array(p64) - h * e)) / (2 * h)
               for e in np.eye(2)], axis=1)
print("max |Dual - central difference| =", np.abs(J - fd).max())"""),
    ("code", """fig, ax = plt.subplots(1, 2, figsize=(11, 3.8))
ax[0].plot(ts, x64, label="float64")
ax[0].plot(ts, x32, "--", label="float32")
ax[0].set_xlabel("t"); ax[0].set_ylabel("x(t)"); ax[0].legend(); ax[0].set_title("solutions")
ax[1].plot(save, J[:, 0], label="dx/dzeta (Dual)")
ax[1].plot(save, J[:, 1], label="dx/domega (Dual)")
ax[1].plot(save, fd[:, 0], "k:", lw=1, label="central differences")
ax[1].plot(save, fd[:, 1], "k:", lw=1)
ax[1].set_xlabel("t"); ax[1].legend(); ax[1].set_title("sensitivities")
fig.tight_layout()"""),
]

nb = nbf.v4.new_notebook()
nb.cells = [nbf.v4.new_markdown_cell(s) if k == "md" else nbf.v4.new_code_cell(s) for k, s in cells]
nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
out = pathlib.Path(__file__).with_name("03_odes_with_any_number.ipynb")
nbf.write(nb, out)
print("wrote", out)
