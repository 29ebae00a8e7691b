"""Builds notebooks/09_delay_dae_hybrid.ipynb (run: python notebooks/make_09_delay_dae_hybrid.py)."""

import pathlib

from _write_notebook import write_notebook

cells = [
    ("md", """# 09 · Delay equations, fully implicit DAEs (and hybrid jump/SDE models)

1. Delay differential equations: `DDEProblem` and `MethodOfSteps(alg)` over any ODE method; the
   discontinuities a delay propagates, as planned tstops (constant lags) and as located crossings
   (state-dependent lags); Mackey–Glass; a Dual sensitivity through the delay.
2. Fully implicit DAEs `F(du, u, p, t) = 0`: `DFBDF` (variable-order BDF) and `DRadauIIA5`,
   consistent initialisation, ROBER against the mass-matrix form, the pendulum in index-1 form.
3. Jumps coupled to ODEs and adaptive SDE methods: in the companion notebook
   `09b_jumps_sde.ipynb`.

`METANUM_QUICK=0` runs the longer spans (the default, quick, runs in seconds)."""),
    ("code", """import os
import numpy as np
%matplotlib inline
import matplotlib.pyplot as plt
import numeric as nm
from solvers import (DDEProblem, MethodOfSteps, DAEProblem, DFBDF, DRadauIIA5, ODEProblem, FBDF,
                     Tsit5, Vern9, solve)
QUICK = os.environ.get("METANUM_QUICK", "1") != "0\""""),
    ("md", """## 1. Delay equations

### The method of steps, and why discontinuities matter

$u'(t) = -u(t - 1)$ with $u = 1$ for $t \\le 0$: on $[k-1, k]$ the solution is a polynomial of degree
$k$ (integrate the previous piece), so $u$ is $C^{k-1}$ but not $C^k$ at $t = k$. A Runge–Kutta step
across $t = k$ loses order; `MethodOfSteps` makes every $t = k$ (up to the method's order) a step end."""),
    ("code", """prob = DDEProblem(lambda u, h, p, t: -h(p, t - 1.0), 1.0, lambda p, t: 1.0, (0.0, 6.0), constant_lags=[1.0])
def exact(t):  # the pieces, built by exact integration (tests/test_dde.py does it in rationals)
    pieces = [np.polynomial.Polynomial([1.0, -1.0])]
    for k in range(1, 7):
        prev = pieces[-1]
        g = -prev(np.polynomial.Polynomial([-1.0, 1.0]))       # -P_{k-1}(t - 1)
        P = g.integ()
        pieces.append(P + (prev(k) - P(k)))
    k = np.minimum(np.floor(t).astype(int), 6)
    return np.array([pieces[i](x) for i, x in zip(k, t)])
ts = np.linspace(0, 6, 400)
for label, alg in (("tracked (levels up to the order)", MethodOfSteps(Tsit5())),
                   ("not tracked (max_level=0)", MethodOfSteps(Tsit5(), max_level=0))):
    sol = solve(prob, alg, rtol=1e-6, atol=1e-9)
    err = np.abs(np.array([sol(t) for t in ts]) - exact(ts))
    plt.semilogy(ts, err + 1e-17, label=f"{label}: {sol.stats.naccept} steps, max error {err.max():.1e}")
plt.xlabel("t"); plt.ylabel("|u - exact|"); plt.legend(); plt.title("u' = -u(t-1), Tsit5, rtol 1e-6"); plt.show()"""),
    ("md", """### Mackey–Glass (DDE test set, problem A1)

$u' = 0.2\\,z/(1 + z^{10}) - 0.1\\,u$, $z = u(t - 14)$, history $0.5$: a chaotic blood-cell model
(Mackey & Glass 1977). The Dual number gives $\\partial u(T)/\\partial\\beta$ through the delay
(checked against a central difference)."""),
    ("code", """def mg(u, h, p, t):
    z = h(p, t - 14.0)
    return p * z / (1 + z ** 10) - 0.1 * u
T = 300.0 if QUICK else 1000.0
mgp = DDEProblem(mg, 0.5, lambda p, t: 0.5 * nm.one(p), (0.0, T), 0.2, constant_lags=[14.0])
sol = solve(mgp, MethodOfSteps(Vern9()), rtol=1e-8, atol=1e-10)
tt = np.linspace(14, T, 3000)
u = np.array([sol(t) for t in tt]); ud = np.array([sol(t - 14) for t in tt])
fig, ax = plt.subplots(1, 2, figsize=(11, 3.3))
ax[0].plot(tt, u); ax[0].set_xlabel("t"); ax[0].set_title("Mackey-Glass u(t)")
ax[1].plot(ud, u, lw=0.5); ax[1].set_xlabel("u(t - 14)"); ax[1].set_ylabel("u(t)"); plt.show()
final = lambda beta: solve(mgp.remake(p=beta, tspan=(0.0, 60.0)), MethodOfSteps(Vern9()), rtol=1e-11, atol=1e-13).u[-1]
d = nm.derivative(final, 0.2)
print("du(60)/dbeta, Dual:", nm.value(d), "central difference:", (final(0.2 + 1e-5) - final(0.2 - 1e-5)) / 2e-5)"""),
    ("md", """### A state-dependent lag (DDE test set, problem D1)

$y_1' = y_2$, $y_2' = -y_2(e^{1 - y_2})\\,y_2^2 e^{1 - y_2}$ on $[0.1, 5]$, exact solution $y_1 = \\log t$,
$y_2 = 1/t$. The delayed time $e^{1 - y_2(t)}$ reaches $t$ at $t = 1$ (a vanishing lag): steps longer
than the lag are iterated to a fixed point, and the discontinuities $\\xi_{k+1} = 1/(1 - \\log\\xi_k)$
(from the exact solution) are found by root finding on the step interpolants."""),
    ("code", """def d1(u, h, p, t):
    return np.array([u[1], -h(p, np.exp(1 - u[1]))[1] * u[1] ** 2 * np.exp(1 - u[1])])
hist = lambda p, t: np.array([np.log(t), 1 / t])
sol = solve(DDEProblem(d1, None, hist, (0.1, 5.0), dependent_lags=[lambda u, p, t: t - np.exp(1 - u[1])]),
            MethodOfSteps(Vern9()), rtol=1e-8, atol=1e-10)
xi = [0.1]
for _ in range(len(sol.discontinuities) - 1):
    xi.append(1 / (1 - np.log(xi[-1])))
for (t, lv), x in zip(sol.discontinuities, xi):
    print(f"level {lv}: found t = {t:.10f}   exact {x:.10f}")
print("max error of y over [0.1, 5]:", max(np.max(np.abs(sol(t) - hist(None, t))) for t in np.linspace(0.1, 5, 200)))"""),
    ("md", """### Neutral delays

`h(p, s, deriv=1)` gives $u'(s)$, so neutral equations can be written (`DDEProblem(..., neutral=True)`);
their discontinuities do not smooth out as they propagate, so every propagated point of a constant
lag up to $t_f$ is a stop; state-dependent crossings are followed for `max_level` levels (see
`solvers/dde/__init__.py`). Here $u' = -u - 0.2\\,u'(t - 1)$ with the history $e^{\\lambda t}$,
$\\lambda(1 + 0.2 e^{-\\lambda}) = -1$, whose solution is $e^{\\lambda t}$ exactly."""),
    ("code", """import scipy.optimize
lam = scipy.optimize.brentq(lambda x: x + 1 + 0.2 * x * np.exp(-x), -0.8, -0.7)
hn = lambda p, t, deriv=0: np.exp(lam * t) * (lam if deriv else 1.0)
sn = solve(DDEProblem(lambda u, h, p, t: -u - 0.2 * h(p, t - 1.0, deriv=1), 1.0, hn, (0.0, 5.0), constant_lags=[1.0],
                      neutral=True), MethodOfSteps(Vern9()), rtol=1e-10, atol=1e-12)
print("stops:", [t for t, _ in sn.discontinuities], " |u(5) - exact| =", abs(sn.u[-1] - np.exp(5 * lam)))"""),
    ("md", """## 2. Fully implicit DAEs

### ROBER with its conservation law

$y_1' = -0.04 y_1 + 10^4 y_2 y_3$, $y_2' = 0.04 y_1 - 10^4 y_2 y_3 - 3\\cdot 10^7 y_2^2$,
$0 = y_1 + y_2 + y_3 - 1$, written as $F(u', u) = 0$. The initial $y_3$ is deliberately wrong: the
Brown–Hindmarsh–Petzold initialisation keeps $y_1, y_2$ and solves for $y_1', y_2'$ and $y_3$."""),
    ("code", """def rober_F(du, u, p, t):
    y1, y2, y3 = u
    return np.array([du[0] + 0.04 * y1 - 1e4 * y2 * y3, du[1] - 0.04 * y1 + 3e7 * y2 ** 2 + 1e4 * y2 * y3,
                     y1 + y2 + y3 - 1.0])
def rober_M(u, p, t):
    y1, y2, y3 = u
    return np.array([-0.04 * y1 + 1e4 * y2 * y3, 0.04 * y1 - 1e4 * y2 * y3 - 3e7 * y2 ** 2, y1 + y2 + y3 - 1.0])
HW = np.array([0.7158270687193148, 9.185534764557128e-6, 0.2841637457458775])  # Hairer-Wanner II, IV.10, t = 40
Tend = 40.0 if QUICK else 4e5
dae = DAEProblem(rober_F, np.zeros(3), np.array([1.0, 0.0, 0.3]), (0.0, Tend))
for alg in (DFBDF(), DRadauIIA5()):
    s = solve(dae, alg, rtol=1e-8, atol=1e-12)
    print(f"{alg.name:11s} start {s.u[0]}, {s.stats.naccept} steps, u(T) = {s.u[-1]}")
mm = solve(ODEProblem(rober_M, np.array([1.0, 0.0, 0.0]), (0.0, Tend), mass_matrix=np.diag([1.0, 1.0, 0.0])), FBDF(),
           rtol=1e-8, atol=1e-12)
print("mass-matrix FBDF  u(T) =", mm.u[-1])
if Tend == 40.0:
    print("max relative difference to HW's reference:", np.max(np.abs(s.u[-1] - HW) / HW))"""),
    ("md", """### The pendulum in index-1 form

$x' = v_x$, $y' = v_y$, $v_x' = -\\lambda x$, $v_y' = -\\lambda y - g$ with the position constraint
$x^2 + y^2 = 1$ differentiated twice: $v_x^2 + v_y^2 - \\lambda(x^2 + y^2) - g y = 0$ (index 1:
$\\lambda$ is algebraic and determined by it). Against the angle ODE $\\theta'' = -g \\sin\\theta$;
the position constraint is not enforced, only its second derivative, so it drifts slowly."""),
    ("code", """g = 9.81
def pend(du, u, p, t):
    x, y, vx, vy, lam = u
    return np.array([du[0] - vx, du[1] - vy, du[2] + lam * x, du[3] + lam * y + p,
                     vx ** 2 + vy ** 2 - lam * (x * x + y * y) - p * y])
th0, Tp = 0.5, (10.0 if QUICK else 100.0)
pp = DAEProblem(pend, np.zeros(5), np.array([np.sin(th0), -np.cos(th0), 0, 0, 0.0]), (0.0, Tp), g,
                differential_vars=[True] * 4 + [False])
s = solve(pp, DFBDF(), rtol=1e-9, atol=1e-11)
ode = solve(ODEProblem(lambda z, p, t: np.array([z[1], -p * np.sin(z[0])]), np.array([th0, 0.0]), (0.0, Tp), g),
            Vern9(), rtol=1e-12, atol=1e-14)
tt = np.linspace(0, Tp, 500)
ex = np.array([[np.sin(ode(t)[0]), -np.cos(ode(t)[0])] for t in tt])
xy = np.array([s(t)[:2] for t in tt])
fig, ax = plt.subplots(1, 2, figsize=(11, 3.3))
ax[0].semilogy(tt, np.abs(xy - ex).max(axis=1) + 1e-17); ax[0].set_title("|position - angle ODE|")
ax[1].semilogy(tt, np.abs((xy ** 2).sum(axis=1) - 1) + 1e-17); ax[1].set_title("|x^2 + y^2 - 1| (drift)")
for a in ax: a.set_xlabel("t")
plt.show()
x1 = lambda gg: solve(pp.remake(p=gg, tspan=(0.0, 1.0)), DFBDF(), rtol=1e-10, atol=1e-12).u[-1][0]
print("dx(1)/dg, Dual:", nm.value(nm.derivative(x1, g)), "  central difference:", (x1(g + 1e-4) - x1(g - 1e-4)) / 2e-4)"""),
    ("md", """## 3. Jumps coupled to ODEs, adaptive SDE methods

The hybrid half of this chapter is its companion notebook, `09b_jumps_sde.ipynb`: variable-rate
jumps over an `ODEProblem` (`JumpODEProblem`), gene expression against its Poisson law, a
piecewise-deterministic clock against its exact Rayleigh law, Rößler's SRIW1 with adaptive steps
by rejection sampling with memory, stochastic Heun for Stratonovich problems and the
drift-implicit `ImplicitEM`."""),
]

write_notebook(cells, pathlib.Path(__file__).with_name("09_delay_dae_hybrid.ipynb"))
