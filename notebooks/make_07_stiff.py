"""Builds notebooks/07_stiff.ipynb from the cells below (run: python notebooks/make_07_stiff.py)."""

import pathlib

from _write_notebook import write_notebook

cells = [
    ("md", """# 07 · Stiff problems: Rosenbrock methods, sparse Jacobians, Newton–Krylov

1. Why explicit methods fail on stiff problems: stability regions, and Tsit5's step count on ROBER.
2. The 2-D Brusselator (2,048 states): its Jacobian's sparsity pattern, traced automatically, and its
   colouring -- 12 colours, so one forward-mode pass carrying 12 partials gives the whole Jacobian.
3. A short work-precision diagram (ours vs scipy BDF, Radau, LSODA; diffrax when installed).
4. The same stiff solver with `Dual` (sensitivities), `mpf` and `Measurement` numbers."""),
    ("code", """import time
import numpy as np
%matplotlib inline
import matplotlib.pyplot as plt
import mpmath
import scipy.integrate as si
import numeric as nm
from solvers import ODEProblem, solve, Rodas4, Tsit5, FBDF, RadauIIA5
FULL = False  # True: the full-size Brusselator (N = 32 on [0, 11.5]) and more tolerances (minutes)
from solvers.ode.tableaus import TSIT5
from solvers.ode.stiff.problems import rober, rober_jac, brusselator_2d
from solvers.ode.stiff.jacobian import make_jacobian"""),
    ("md", """## 1. Stability regions

For $u' = \\lambda u$ one step maps $u$ to $R(z) u$, $z = h\\lambda$. An explicit Runge–Kutta method
has a polynomial $R(z) = 1 + z b^T (I - zA)^{-1} \\mathbb 1$, bounded region $|R| \\le 1$; the
Rosenbrock23 step (formulas in `solvers/ode/stiff/rosenbrock.py`, applied to $f = z u$, $h = 1$) is
L-stable: $|R| \\le 1$ on the whole left half plane and $R(-\\infty) = 0$; so is RadauIIA5, and BDF2
(the root condition of the multistep recurrence) is A-stable; FBDF's higher orders are $A(\\alpha)$-stable."""),
    ("code", """x, y = np.meshgrid(np.linspace(-8, 3, 300), np.linspace(-5, 5, 300))
Z = x + 1j * y
A = np.array([[float(q) for q in row] + [0.0] * (len(TSIT5.b) - len(row)) for row in TSIT5.a], dtype=float)
b = np.array([float(q) for q in TSIT5.b])
def R_erk(z):
    k = np.zeros((len(b),) + z.shape, complex)
    for i in range(len(b)):
        k[i] = z * (1 + np.tensordot(A[i, :i], k[:i], 1))
    return 1 + np.tensordot(b, k, 1)
d = 1 / (2 + np.sqrt(2))
def R_ros23(z):
    W = 1 - d * z
    k1 = z / W
    k2 = (z * (1 + k1 / 2) - k1) / W + k1
    return 1 + k2
def R_radau(z):  # RadauIIA5: the (2, 3) Pade approximant of e^z (Hairer-Wanner II, IV.3)
    return (1 + 2 * z / 5 + z ** 2 / 20) / (1 - 3 * z / 5 + 3 * z ** 2 / 20 - z ** 3 / 60)
def R_bdf2(z):  # BDF2: largest root modulus of (3/2 - z) r^2 - 2 r + 1/2 = 0 (stable where <= 1)
    a = 1.5 - z
    disc = np.sqrt(4 - 2 * a + 0j)
    return np.maximum(np.abs((2 + disc) / (2 * a)), np.abs((2 - disc) / (2 * a)))
fig, ax = plt.subplots(1, 4, figsize=(13, 3.3))
for a, R, name in ((ax[0], R_erk, "Tsit5 (explicit)"), (ax[1], R_ros23, "Rosenbrock23"),
                   (ax[2], R_radau, "RadauIIA5"), (ax[3], R_bdf2, "BDF2")):
    a.contourf(x, y, (np.abs(R(Z)) <= 1).astype(float), levels=[0.5, 1.5], colors=["C0"], alpha=0.5)
    a.axhline(0, color="k", lw=0.5); a.axvline(0, color="k", lw=0.5); a.set_title(name + ": |R(z)| <= 1")
    a.set_xlabel("Re z"); a.set_ylabel("Im z")
plt.tight_layout(); plt.show()
zz = np.array(-1e6 + 0j)
print("|R(-1e6)|: Tsit5", abs(R_erk(zz)), " Rosenbrock23", abs(R_ros23(zz)), " RadauIIA5", abs(R_radau(zz)), " BDF2", float(R_bdf2(zz)))"""),
    ("md", """ROBER's Jacobian has eigenvalues near $-10^4$ once the fast transient is over, so an explicit
method must keep $h \\lesssim 3/10^4$ although the solution hardly changes: its step count grows
linearly with the span, while a stiff method's stays small."""),
    ("code", """U0 = np.array([1.0, 0.0, 0.0])
for T in ((1.0, 10.0, 40.0) if FULL else (1.0, 10.0)):
    t0 = time.perf_counter(); a = solve(ODEProblem(rober, U0, (0.0, T)), Tsit5(), rtol=1e-6, atol=1e-10, save_everystep=False); ta = time.perf_counter() - t0
    t0 = time.perf_counter(); b_ = solve(ODEProblem(rober, U0, (0.0, T)), Rodas4(), rtol=1e-6, atol=1e-10, save_everystep=False); tb = time.perf_counter() - t0
    print(f"T = {T:5g}: Tsit5 {a.stats.naccept + a.stats.nreject:6d} steps ({ta:.2f} s)   Rodas4 {b_.stats.naccept + b_.stats.nreject:4d} steps ({tb:.3f} s)")"""),
    ("md", """## 2. The 2-D Brusselator and its sparse Jacobian

DifferentialEquations.jl's stiff tutorial problem (definition and citation in
`solvers/ode/stiff/problems.py`): $N = 32$, two species, periodic 5-point Laplacian, so each row of
$J$ has 6 nonzeros out of 2,048. The stiff methods trace the pattern once per solve
(`nm.jacobian_sparsity`), colour its columns (`nm.color_columns`) and evaluate $J$ compressed; this
is automatic from 500 states on (or with `sparse=True` / `jac_prototype=`)."""),
    ("code", """f, u0, tspan, p = brusselator_2d(32)
jac = make_jacobian(f, {})
J = jac(u0, p, 0.0)
print(type(J).__name__, J.shape, "nnz", J.nnz, "colours", jac.ncolors)
fig, ax = plt.subplots(1, 2, figsize=(9, 4.2))
ax[0].spy(J, markersize=0.3); ax[0].set_title("sparsity of J (2048 x 2048)")
ax[1].spy(J[:128, :128], markersize=2); ax[1].set_title("top-left 128 x 128")
plt.tight_layout(); plt.show()
Jd = nm.jacobian(lambda y: f(y, p, 0.0), u0)
print("compressed J == dense forward-mode J:", np.allclose(J.toarray(), Jd, rtol=1e-14, atol=1e-12))"""),
    ("md", """**Colouring.** Two columns may share a colour when no row has a nonzero in both; then one
directional derivative along the sum of their unit vectors recovers both columns. The greedy
distance-1 colouring of this pattern needs 12 colours: the $u$ and $v$ unknowns of a grid point and
its 4 neighbours must all differ. Below: the colour of each $u$ column (left) and $v$ column (right)
on the $32 \\times 32$ grid, and the compressed Jacobian ($2048 \\times 12$) that one forward pass returns."""),
    ("code", """colors = jac.colors
fig, ax = plt.subplots(1, 3, figsize=(11, 3.3))
ax[0].imshow(colors[:1024].reshape(32, 32).T, origin="lower", cmap="tab20"); ax[0].set_title("colour of u columns")
ax[1].imshow(colors[1024:].reshape(32, 32).T, origin="lower", cmap="tab20"); ax[1].set_title("colour of v columns")
S = np.zeros((2048, jac.ncolors)); S[np.arange(2048), colors] = 1.0
B = J @ S  # the compressed Jacobian: column c is J times the seed of colour c
ax[2].imshow(np.abs(B[:96]) > 0, aspect="auto", cmap="Greys"); ax[2].set_title("compressed J (first 96 rows)")
plt.tight_layout(); plt.show()
P = J.astype(bool)
print("no two columns of one colour share a row:", all((P[:, colors == c].sum(axis=1) <= 1).all() for c in range(jac.ncolors)))"""),
    ("code", """Nb = 32 if FULL else 12
f, u0, _, p = brusselator_2d(Nb)
t0 = time.perf_counter()
sol = solve(ODEProblem(f, u0, (0.0, 11.5), p), FBDF(), rtol=1e-4, atol=1e-6, sparse=True)
print(f"FBDF, N = {Nb}, sparse J, on [0, 11.5]: {time.perf_counter() - t0:.1f} s, {sol.stats.naccept} steps")
fig, ax = plt.subplots(1, 3, figsize=(10, 3))
for a, tt in zip(ax, (0.0, 1.5, 11.5)):
    im = a.imshow(sol(tt)[:Nb * Nb].reshape(Nb, Nb).T, origin="lower", extent=(0, 1, 0, 1)); a.set_title(f"u at t = {tt}")
    plt.colorbar(im, ax=a)
plt.tight_layout(); plt.show()"""),
    ("md", """## 3. Work-precision (a short run; `benchmarks/bench_stiff.py` does the full one, see benchmarks/RESULTS.md)

ROBER on $[0, 40]$, atol = rtol $\\cdot 10^{-4}$: max relative error at $t = 40$ against scipy Radau at
rtol $10^{-12}$, versus wall time (one run per point, so noisy), one curve per solver. Ours with
the analytic `jac=`; scipy BDF, Radau, LSODA with the same Jacobian. diffrax's Kvaerno5 is drawn when
jax and diffrax are importable (warm: compiled before timing). With `FULL = True` a Brusselator
($N = 16$, sparse J) diagram follows."""),
    ("code", """Ta = 40.0
ref = si.solve_ivp(lambda t, y: rober(y, None, t), (0, Ta), U0, method="Radau", rtol=1e-12, atol=1e-16,
                   jac=lambda t, y: rober_jac(y, None, t)).y[:, -1]
ours = {n: (lambda r, a=a: solve(ODEProblem(rober, U0, (0.0, Ta), jac=rober_jac), a, rtol=r, atol=r * 1e-4,
                                 save_everystep=False).u[-1])
        for n, a in (("Rodas4", Rodas4()), ("FBDF", FBDF()), ("RadauIIA5", RadauIIA5()))}
scip = {f"scipy {m}": (lambda r, m=m: si.solve_ivp(lambda t, y: rober(y, None, t), (0, Ta), U0, method=m, rtol=r,
                                                 atol=r * 1e-4, jac=lambda t, y: rober_jac(y, None, t)).y[:, -1])
        for m in ("BDF", "Radau", "LSODA")}
runs = {**ours, **scip}
try:
    import jax; jax.config.update("jax_enable_x64", True)
    import diffrax, jax.numpy as jnp
    def vf(t, y, args):
        return jnp.stack([-0.04 * y[0] + 1e4 * y[1] * y[2], 0.04 * y[0] - 1e4 * y[1] * y[2] - 3e7 * y[1] ** 2, 3e7 * y[1] ** 2])
    def dfx(r):
        run = jax.jit(lambda y0: diffrax.diffeqsolve(diffrax.ODETerm(vf), diffrax.Kvaerno5(), 0.0, Ta, 1e-6, y0,
              stepsize_controller=diffrax.PIDController(rtol=r, atol=r * 1e-4), saveat=diffrax.SaveAt(t1=True)).ys[-1])
        run(jnp.asarray(U0)).block_until_ready()
        return lambda: np.asarray(run(jnp.asarray(U0)))
    runs["diffrax Kvaerno5 (warm)"] = dfx
except ImportError as exc:
    print("diffrax not importable here, its curve is omitted:", exc)
tols = (1e-4, 1e-6, 1e-8) if FULL else (1e-5, 1e-7)
plt.figure(figsize=(5.5, 3.8))
for name, run in runs.items():
    pts = []
    for r in tols:
        call = run(r) if name.startswith("diffrax") else (lambda run=run, r=r: run(r))
        t0 = time.perf_counter(); y_ = call(); pts.append((time.perf_counter() - t0, np.abs(y_ - ref).max() / np.abs(ref).max()))
    plt.loglog([q[1] for q in pts], [q[0] for q in pts], "o-" if name in ours else "s--", label=name)
plt.xlabel("max rel. error at t = 40"); plt.ylabel("time (s)"); plt.legend(fontsize=7); plt.tight_layout(); plt.show()"""),
    ("code", """# optional figure: drawn only with FULL = True
if FULL:  # Brusselator N = 16 (512 states, past the automatic-sparsity threshold) on [0, 1.5]
    f, u0, _, p = brusselator_2d(16)
    P = nm.jacobian_sparsity(lambda y: f(y, p, 0.0), u0)
    ref = si.solve_ivp(lambda t, y: f(y, p, t), (0.0, 1.5), u0, method="Radau", rtol=1e-9, atol=1e-11, jac_sparsity=P).y[:, -1]
    runs = {"FBDF (sparse LU)": lambda r: solve(ODEProblem(f, u0, (0.0, 1.5), p), FBDF(), rtol=r, atol=r * 1e-2, save_everystep=False).u[-1],
            "Rodas4 (sparse LU)": lambda r: solve(ODEProblem(f, u0, (0.0, 1.5), p), Rodas4(), rtol=r, atol=r * 1e-2, save_everystep=False).u[-1],
            "Rodas4 (GMRES + ILU)": lambda r: solve(ODEProblem(f, u0, (0.0, 1.5), p), Rodas4(), rtol=r, atol=r * 1e-2, save_everystep=False, linsolve="gmres", precond="ilu").u[-1],
            "scipy BDF (jac_sparsity)": lambda r: si.solve_ivp(lambda t, y: f(y, p, t), (0.0, 1.5), u0, method="BDF", rtol=r, atol=r * 1e-2, jac_sparsity=P).y[:, -1]}
    plt.figure(figsize=(5, 3.6))
    for name, run in runs.items():
        pts = []
        for r in (1e-3, 1e-5):
            t0 = time.perf_counter(); y_ = run(r); pts.append((time.perf_counter() - t0, np.abs(y_ - ref).max() / np.abs(ref).max()))
        plt.loglog([q[1] for q in pts], [q[0] for q in pts], "o-", label=name)
    plt.xlabel("max rel. error at t = 1.5"); plt.ylabel("time (s)"); plt.legend(fontsize=8); plt.tight_layout(); plt.show()"""),
    ("md", """## 4. Any number type through the stiff solver

A `Dual` parameter gives sensitivities (checked by a central difference), `mpf` runs RadauIIA5
(coefficients evaluated at 30 digits) past double precision, and a `Measurement` rate constant
propagates its uncertainty through FBDF, checked against linear propagation with the Dual derivative.
(Rosenbrock methods with a Measurement parameter and a nonlinear f take many more steps: their
Jacobian is taken at the primal values, which costs a Rosenbrock method its order in the uncertainty
part; Newton-based FBDF and RadauIIA5 are unaffected.)"""),
    ("code", """def rober_k(u, k, t):
    y1, y2, y3 = u
    return np.array([-k * y1 + 1e4 * y2 * y3, k * y1 - 1e4 * y2 * y3 - 3e7 * y2 * y2, 3e7 * y2 * y2])
final = lambda k: solve(ODEProblem(rober_k, U0, (0.0, 40.0), k), Rodas4(), rtol=1e-7, atol=1e-11, save_everystep=False).u[-1]
d = nm.derivative(final, 0.04)
fd = (final(0.04 * (1 + 1e-6)) - final(0.04 * (1 - 1e-6))) / (0.08e-6)
print("d u(40) / dk, Dual:", d, "\\n             central difference:", fd)"""),
    ("code", """mpmath.mp.dps = 30  # u0' = -1000 u0 + u1, u1' = -u1: stiff, linear, exact solution known
lin = lambda u, p, t: np.array([-1000 * u[0] + u[1], -u[1]], dtype=object)
u0m = np.array([mpmath.mpf(1), mpmath.mpf(1)], dtype=object)
s = solve(ODEProblem(lin, u0m, (mpmath.mpf(0), mpmath.mpf(1))), RadauIIA5(), dt=mpmath.mpf(1) / 1000, adaptive=False,
          save_everystep=False)
e = mpmath.exp
exact0 = e(-1000) * (1 - mpmath.mpf(1) / 999) + e(-1) / 999
print("mpf u0(1):", mpmath.nstr(s.u[-1][0], 25), "\\nexact:   ", mpmath.nstr(exact0, 25))
print("relative error:", mpmath.nstr(abs(s.u[-1][0] - exact0) / exact0, 3), "(double precision: 1.1e-16)")
mpmath.mp.dps = 15"""),
    ("code", """k = nm.Measurement(0.04, 0.002)
um = solve(ODEProblem(rober_k, U0, (0.0, 40.0), k), FBDF(), rtol=1e-8, atol=1e-12, save_everystep=False).u[-1]
print("u(40) with k = 0.04 ± 0.002:", um)
print("linear propagation with the Dual derivative: std =", np.abs(np.asarray(nm.value(d), float)) * 0.002)
print("uncertainty / linear:", nm.uncertainty(um) / (np.abs(np.asarray(nm.value(d), float)) * 0.002))"""),
]

write_notebook(cells, pathlib.Path(__file__).with_name("07_stiff.ipynb"))
