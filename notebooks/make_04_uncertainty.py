"""Write notebooks/04_uncertainty.ipynb with nbformat (run: python notebooks/make_04_uncertainty.py; it executes the notebook and stores its outputs)."""
import pathlib
from _write_notebook import write_notebook

cells = []
md = lambda s: cells.append(("md", s))   # noqa: E731
code = lambda s: cells.append(("code", s))     # noqa: E731

md("""# Uncertainty propagation with `Measurement`

A `Measurement` is a value with a standard uncertainty that remembers *where the
uncertainty came from*: it carries its partial derivatives with respect to the
independent sources it depends on (linear error propagation). Correlations are
therefore exact, and the same number type goes through the unchanged ODE solver,
so the uncertainty of a whole trajectory comes out of **one** solve.""")

code("""import numpy as np
%matplotlib inline
import matplotlib.pyplot as plt

import numeric as nm
from solvers import ODEProblem, solve, Tsit5""")

md("""## Correlation: why `x - x` is exactly `0 ± 0`

Naive error propagation adds uncertainties in quadrature at every operation and
would give `x - x = 0 ± 0.14`. A measurement knows that both operands are the same
random variable.""")

code("""x = nm.Measurement(1.0, 0.1)
y = nm.Measurement(1.0, 0.1)          # independent, same value and error
print("x - x     =", x - x)
print("x - y     =", x - y)
print("x * x     =", x * x, "   x * y =", x * y)
print("(x + y) - y =", (x + y) - y)
print("sin(x)^2 + cos(x)^2 =", nm.sin(x) ** 2 + nm.cos(x) ** 2)""")

code("""g = nm.Measurement(9.79, 0.02)
print("cov(x + g, x - g) =\\n", nm.cov([x + g, x - g]))
print("cor =\\n", nm.cor([x + g, x - g]))""")

md("""A published check (Measurements.jl documentation): carbon-14 with half-life
5730 ± 40 years, the fraction left after 5207.54 years is 0.5326 ± 0.0023.""")

code("""T_half = nm.Measurement("5730 ± 40")
print(nm.exp(-5207.54 * nm.log(2) / T_half))""")

md("""## The pendulum: uncertainty of a trajectory in one solve

Small-angle pendulum $\\theta'' = -(g/L)\\,\\theta$ with $g = 9.79 \\pm 0.02$,
$L = 1.00 \\pm 0.01$, $\\theta(0) = 0$ and $\\theta'(0) = \\pi/60 \\pm 0.01$.
The state is a `MeasurementArray` (values plus a Jacobian with respect to the
three sources); the solver does not know.""")

code("""g, L = nm.Measurement(9.79, 0.02), nm.Measurement(1.00, 0.01)
u0 = nm.measurements([0.0, nm.Measurement(np.pi / 60, 0.01)])

def pendulum(u, p, t):
    g, L = p
    return np.stack([u[1], -(g / L) * u[0]])

ts = np.linspace(0, 6.3, 200)
sol = solve(ODEProblem(pendulum, u0, (0.0, 6.3), (g, L)), Tsit5(), rtol=1e-6, saveat=ts)
theta = [u[0] for u in sol.u]
print("theta(6.3) =", sol.u[-1][0], " omega(6.3) =", sol.u[-1][1])
print("contributions of g, L, omega0:", nm.uncertainty_components(sol.u[-1][0], [g, L, u0[1]]))""")

md("""The same model by Monte Carlo: 10⁴ samples of $(g, L, \\omega_0)$, all solved at once
as float arrays of shape (2, 10⁴) by the same solver.""")

code("""rng = np.random.default_rng(0)
N = 10_000
gs = 9.79 + 0.02 * rng.standard_normal(N)
Ls = 1.00 + 0.01 * rng.standard_normal(N)
ws = np.pi / 60 + 0.01 * rng.standard_normal(N)
mc = solve(ODEProblem(pendulum, np.stack([np.zeros(N), ws]), (0.0, 6.3), (gs, Ls)), Tsit5(),
           rtol=1e-6, saveat=ts)
th_mc = np.array([u[0] for u in mc.u])          # (200, N)
mean_mc, std_mc = th_mc.mean(axis=1), th_mc.std(axis=1)
val, err = nm.value(np.array(theta, dtype=object)), nm.uncertainty(np.array(theta, dtype=object))
print(f"at t = 6.3: linear {val[-1]:.5f} ± {err[-1]:.5f}, Monte Carlo {mean_mc[-1]:.5f} ± {std_mc[-1]:.5f}")""")

code("""fig, ax = plt.subplots(figsize=(8, 4))
ax.fill_between(ts, mean_mc - std_mc, mean_mc + std_mc, color="tab:orange", alpha=0.35,
                label="Monte Carlo, 10$^4$ samples (mean ± std)")
ax.plot(ts, val, color="tab:blue", label="Measurement solve (value)")
ax.plot(ts, val - err, "--", color="tab:blue", lw=1, label="Measurement solve (± uncertainty)")
ax.plot(ts, val + err, "--", color="tab:blue", lw=1)
ax.set_xlabel("t"); ax.set_ylabel(r"$\\theta$")
ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.18), ncol=3, fontsize=8)   # below the axes, off the band
ax.set_title("Small-angle pendulum: linear propagation vs Monte Carlo")
fig.tight_layout(); plt.show()
print("max relative difference of the bands:", float(np.max(np.abs(err - std_mc)) / np.max(std_mc)))""")

md("""The bands agree to within the Monte Carlo sampling error (about 1/√(2N) = 0.7 %)
plus the small nonlinearity of the model in g and L, which linear propagation
ignores by design. The Monte Carlo needed 10⁴ trajectories; the measurement
solve needed one.

## Derivatives of uncertainties

Measurements nest with duals: the derivative of an uncertainty with respect to a
design parameter is one `nm.derivative` call. How does the uncertainty of
θ(6.3) change with the nominal length?""")

code("""def theta_err(Lnominal):
    Lc = Lnominal + nm.Measurement(0.0, 0.01)
    f = lambda u, p, t: np.array([u[1], -(p[0] / p[1]) * u[0]], dtype=object)
    s = solve(ODEProblem(f, np.array([0.0, u0[1]], dtype=object), (0.0, 6.3), (g, Lc)),
              Tsit5(), rtol=1e-8)
    return nm.uncertainty(s.u[-1][0])

print("d sigma(theta(6.3)) / dL =", nm.derivative(theta_err, 1.0))""")

write_notebook(cells, pathlib.Path(__file__).with_name("04_uncertainty.ipynb"))
