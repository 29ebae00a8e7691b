"""Write notebooks/05_spectral_pde.ipynb with nbformat (run: python notebooks/make_05_spectral_pde.py; it executes the notebook and stores its outputs)."""
import pathlib

from _write_notebook import write_notebook

cells = []
md = lambda s: cells.append(("md", s))   # noqa: E731
code = lambda s: cells.append(("code", s))     # noqa: E731

md("""# Functions as numbers: adaptive `Fun`s and spectral PDEs

A `Fun` is a smooth function on an interval stored as Chebyshev coefficients
(`nm.Chebyshev(a, b)`) or trigonometric coefficients (`nm.Fourier(a, b)`,
periodic). Construction samples on grids of doubling size and chops the
coefficients where they reach machine precision (Aurentz & Trefethen's
*standardChop*, as in Chebfun). A `Fun` is a number of the metanum protocol:
arithmetic, `nm.exp`, `nm.norm`, `nm.zero` work on it, and so the **unchanged
ODE solver**, given a `Fun` state and a right-hand side such as `u.diff(2)`,
becomes an adaptive-in-space, adaptive-in-time spectral PDE solver.""")

code("""import numpy as np
%matplotlib inline
import matplotlib.pyplot as plt
from scipy.special import iv

import numeric as nm
from numeric.fun import dirichlet_projection
from solvers import ODEProblem, solve, Tsit5""")

md("""## Building Funs: the length follows the function""")

code("""S = nm.Chebyshev(-1, 1)
f = nm.Fun(lambda x: np.exp(np.sin(np.pi * x)) + 1 / (1 + 25 * x**2), S)
for name, g in [("exp(x)", nm.Fun(np.exp, S)), ("1/(1+25x^2)", nm.Fun(lambda x: 1 / (1 + 25 * x**2), S)),
                ("sin(20x)", nm.Fun(lambda x: np.sin(20 * x), S)), ("f", f)]:
    print(f"{name:<14} length {len(g):4d}")
print("f(0.3) =", f(0.3), " exact:", np.exp(np.sin(0.3 * np.pi)) + 1 / (1 + 25 * 0.09))
print("integral =", f.sum(), "  max =", f.max(), "at x =", f.argmax(), "  norm (RMS) =", nm.norm(f))
fig, ax = plt.subplots(1, 2, figsize=(10, 3.2))
f.plot(ax=ax[0]); ax[0].set_title("f")
ax[0].set_xlabel("x"); ax[0].set_ylabel("f(x)")
ax[1].semilogy(np.abs(f.coeffs) + 1e-300, ".", ms=3); ax[1].set_title("Chebyshev coefficients, chopped at eps")
ax[1].set_xlabel("k (degree of T_k)"); ax[1].set_ylabel("|c_k|")
plt.tight_layout(); plt.show()""")

md("""## Arithmetic re-approximates adaptively

Sums and products are exact on the coefficients and then chopped; quotients and
elementary functions are rebuilt adaptively from values. Non-smooth results are
an error that names the cause, never a silently inaccurate function.""")

code("""g = nm.exp(f) * f.diff() - 3 * f
s = nm.Fun(lambda x: np.sin(3 * x), S); c = nm.Fun(lambda x: np.cos(3 * x), S)
print("len(exp(f) f' - 3 f) =", len(g))
print("len(sin^2 + cos^2) =", len(s * s + c * c), " value:", (s * s + c * c)(0.2))
print("roots of sin(20x):", nm.Fun(lambda x: np.sin(20 * x), S).roots().round(4))
try:
    nm.Fun(lambda x: np.abs(x - 0.1), S)
except nm.fun.FunConstructionError as e:
    print("error:", e)""")

md("""Coefficients can carry derivatives: a `Dual` meeting a `Fun` becomes part of its
coefficients (a `DualArray`), so a functional of a function-valued computation
differentiates. Here $\\frac{d}{da}\\int_0^1 e^{ax}\\,dx$ at $a = 1$ is $\\int_0^1 x e^x dx = 1$.""")

code("""nm.derivative(lambda a: nm.Fun(lambda x: np.exp(a * x), nm.Chebyshev(0, 1)).sum(), 1.0)""")

md("""## The heat equation: nobody wrote a PDE solver

$u_t = u_{xx}$ on $[0, 2\\pi)$, $u_0 = e^{\\cos x}$. Exactly,
$u = I_0(1) + 2\\sum_k I_k(1) e^{-k^2 t}\\cos kx$. The state is a Fourier `Fun`;
the right-hand side is `u.diff(2)`; `solve` is the ordinary ODE solver with its
usual error control (`nm.norm` of a Fun is its RMS over the period).""")

code("""u0 = nm.Fun(lambda x: np.exp(np.cos(x)), nm.Fourier(0, 2 * np.pi))
sol = solve(ODEProblem(lambda u, p, t: u.diff(2), u0, (0.0, 2.0)), Tsit5(), rtol=1e-10, atol=1e-12)
x = np.linspace(0, 2 * np.pi, 400)
exact = lambda x, t: iv(0, 1) + sum(2 * iv(k, 1) * np.exp(-k * k * t) * np.cos(k * x) for k in range(1, 40))
print(sol.retcode, len(sol.t) - 1, "steps; max error at t = 2:", np.max(np.abs(sol.u[-1](x) - exact(x, 2.0))))
fig, ax = plt.subplots(1, 2, figsize=(10, 3.2))
for t in (0.0, 0.1, 0.5, 2.0):
    ax[0].plot(x, sol(t)(x), label=f"t = {t}")
ax[0].legend(); ax[0].set_title("u(x, t)"); ax[0].set_xlabel("x"); ax[0].set_ylabel("u")
ax[1].step(sol.t, [len(u) for u in sol.u], where="post"); ax[1].set_xlabel("t"); ax[1].set_ylabel("coefficients")
ax[1].set_title("length of the state Fun")
plt.tight_layout(); plt.show()""")

md("""## Variable coefficients (the ApproxFun/DiffEqApproxFun example)

$u_t = u_{xx} + (\\cos x + 1) u_x$, $u_0 = \\cos(\\cos(x - 0.1)) - \\cos(\\cos(-0.1))$.""")

code("""P = nm.Fourier(0, 2 * np.pi)
cfun = nm.Fun(lambda x: np.cos(x) + 1, P)
u0 = nm.Fun(lambda x: np.cos(np.cos(x - 0.1)) - np.cos(np.cos(0 - 0.1)), P)
sol = solve(ODEProblem(lambda u, p, t: u.diff(2) + cfun * u.diff(), u0, (0.0, 1.0)), Tsit5(), rtol=1e-10, atol=1e-12)
print(sol.retcode, "lengths:", [len(u) for u in sol.u][::10])""")

md("""## Viscous Burgers: the length grows with the front

$u_t = \\nu u_{xx} - u u_x$, $\\nu = 0.1$, $u_0 = \\sin x + 1/2$. The product `u * u.diff()`
is exact on the coefficients and then chopped, so the state is as long as the steepening front
needs: on $[0, 0.7]$ the largest slope $|u_x|$ doubles and the length grows from 3 to about 160.""")

code("""nu = 0.1
burgers = lambda u, p, t: nu * u.diff(2) - u * u.diff()
u0 = nm.Fun(lambda x: np.sin(x) + 0.5, P)
sol = solve(ODEProblem(burgers, u0, (0.0, 0.7)), Tsit5(), rtol=1e-9, atol=1e-11)
lengths = np.array([len(u) for u in sol.u])
slopes = [np.max(np.abs(u.diff()(x))) for u in sol.u]
fig, ax = plt.subplots(1, 3, figsize=(13, 3.2))
for t in (0.0, 0.3, 0.5, 0.7):
    ax[0].plot(x, sol(t)(x), label=f"t = {t}")
ax[0].legend(); ax[0].set_title("Burgers, nu = 0.1"); ax[0].set_xlabel("x"); ax[0].set_ylabel("u")
ax[1].step(sol.t, lengths, where="post"); ax[1].set_xlabel("t"); ax[1].set_ylabel("coefficients")
ax[1].set_title("length of the state Fun")
ax[2].plot(sol.t, slopes, ".-"); ax[2].set_xlabel("t"); ax[2].set_ylabel("max |u_x|"); ax[2].set_title("steepness of the front")
plt.tight_layout(); plt.show()""")

md("""**The one-step dips in the length.** The length follows the front, except at an occasional
step where it falls to about half and recovers at the next. This is the chopping rule, not the
physics (the front keeps steepening). While the front steepens, the coefficients' decay has a
*shoulder*: two or three magnitudes near $10^{-12}$ almost level before the decay resumes.
standardChop looks for the first plateau of the coefficient envelope, and at that step it takes the
shoulder for the noise floor and chops there. The state is then accurate to about $10^{-10}$ rather
than to machine precision -- still inside the requested `rtol=1e-9`, as the check below shows
against a solve at `rtol=1e-12`; the next step's product re-grows the coefficients the front needs.""")

code("""k = int(np.argmin(lengths[1:] / np.maximum.accumulate(lengths)[:-1])) + 1   # the deepest dip
ref = solve(ODEProblem(burgers, u0, (0.0, sol.t[k])), Tsit5(), rtol=1e-12, atol=1e-14).u[-1]
print(f"t = {sol.t[k]:.3f}: length {lengths[k]} (previous step {lengths[k - 1]}, next {lengths[k + 1] if k + 1 < len(lengths) else '-'})")
print("max |u - reference| at that step:", np.max(np.abs(sol.u[k](x) - ref(x))), " (rtol = 1e-9, max |u| =", np.max(np.abs(ref(x))), ")")""")

md("""## Dirichlet conditions on a Chebyshev space

Boundary conditions live in the right-hand side, so the solver stays unchanged:
`dirichlet_projection(L(u), len(u))` interpolates $L(u)$ at the Chebyshev points of
the state's length with the end values replaced by the boundary data's time
derivative (0 here). That is Chebyshev collocation with the boundary rows replaced,
as Chebfun's `pde15s` does. (Subtracting a linear function from $u_{xx}$ also keeps
the end values but on a polynomial space gives a truncated, non-normal evolution
that is *not* the Dirichlet problem.)""")

code("""S = nm.Chebyshev(-1, 1)
exact = lambda x, t: np.exp(-np.pi**2 * t) * np.sin(np.pi * (x + 1)) + 0.5 * np.exp(-np.pi**2 * t / 4) * np.sin(np.pi * (x + 1) / 2)
u0 = nm.Fun(lambda x: exact(x, 0.0), S)
sol = solve(ODEProblem(lambda u, p, t: dirichlet_projection(u.diff(2), len(u)), u0, (0.0, 0.1)),
            Tsit5(), rtol=1e-8, atol=1e-10)
xs = np.linspace(-1, 1, 201)
print(sol.retcode, "max error at t = 0.1:", np.max(np.abs(sol.u[-1](xs) - exact(xs, 0.1))),
      " u(-1), u(1) =", sol.u[-1](-1.0), sol.u[-1](1.0))""")

md("""## A derivative through the PDE solve

$u_t = a\\,u_{xx}$ with $u_0 = \\cos x$ gives $u(0, T) = e^{-aT}$; a `Dual` parameter goes
through the Fun state and the solver: $\\partial_a u(0, T) = -T e^{-aT}$.""")

code("""T = 0.3
val = lambda a: solve(ODEProblem(lambda u, p, t: p * u.diff(2), nm.Fun(np.cos, P), (0.0, T), a), Tsit5(),
                      rtol=1e-10, atol=1e-12).u[-1](0.0)
print(nm.derivative(val, 0.8), "exact:", -T * np.exp(-0.8 * T))""")

write_notebook(cells, pathlib.Path(__file__).with_name("05_spectral_pde.ipynb"))
