"""Builds notebooks/10_metaprogram.ipynb from the cells below (run: python notebooks/make_10_metaprogram.py)."""

import pathlib

from _write_notebook import write_notebook

cells = [
    ("md", """# 10 · The metaprogram: one program, many arithmetics

A numerical program written once against a number protocol is a *metaprogram*: it does not say what
its numbers are, so each kind of number "recompiles" it into a different computation.

1. `A(x, y) = 2x + y^2` compiled by numba for `float32` and for `float64`: the LLVM IR side by side.
2. The same Python `A`, unchanged, with `Dual` numbers (its derivatives), `mpmath.mpf` at 50 digits,
   and `Measurement`s (propagated uncertainty).
3. The same idea one level up: SINDy identifies the Lorenz equations from data, and the identified
   model -- itself just a function `f(u, p, t)` -- is simulated with the unchanged ODE solver."""),
    ("code", """import html
import re
import numpy as np
%matplotlib inline
import matplotlib.pyplot as plt
import mpmath
import numba
from IPython.display import HTML, display
import numeric as nm
from solvers import ODEProblem, solve, Vern9
from solvers.sindy import fit, PolynomialLibrary, STLSQ

def A(x, y):
    return 2 * x + y ** 2"""),
    ("md", """## 1. Compiled for two float types

`numba.njit` with two signatures compiles `A` twice. `inspect_llvm()` returns the whole LLVM module
of each; below is only the function itself (the `define ... { ... }` of `A`, without numba's
Python wrappers)."""),
    ("code", """A_compiled = numba.njit([numba.float32(numba.float32, numba.float32),
                          numba.float64(numba.float64, numba.float64)])(A)

def function_body(module_ir):
    # the first 'define' of the module (the compiled A) up to its closing brace; the long
    # mangled header is shortened to the arguments (the result is stored through %retptr)
    lines = module_ir.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("define"))
    end = next(i for i in range(start, len(lines)) if lines[i].startswith("}"))
    args = ", ".join(" ".join(a) for a in re.findall(r"(float|double) (%arg\\.\\w+)", lines[start]))
    return [f"define @A({args}) {{  ; result stored to %retptr"] + lines[start + 1:end + 1]

bodies = {str(sig): function_body(ir) for sig, ir in A_compiled.inspect_llvm().items()}
cells_html = "".join(f"<td style='vertical-align:top'><b>{html.escape(sig)}</b><pre>{html.escape(chr(10).join(b))}</pre></td>"
                     for sig, b in bodies.items())
display(HTML(f"<table><tr>{cells_html}</tr></table>"))
print("A(1.5, 3.0) as float32:", A_compiled(np.float32(1.5), np.float32(3.0)),
      " as float64:", A_compiled(1.5, 3.0))"""),
    ("md", """The float64 body is the program itself: `fmul` for `y*y`, `fmul` by 2.0, `fadd`. The float32 body
is not a float32 program: numba types the literal `2` as an `int64`, and NumPy's classic promotion
rule makes `int64 * float32` a `float64`, so `x` is widened (`fpext`), the sum is done in double and
narrowed back (`fptrunc`) for the declared `float32` result. metanum's number types take the other
convention (docs/decisions.md, "Results keep the input's precision"): Python scalars are weak, so a
float32 input stays float32."""),
    ("md", """## 2. The same `A` with new arithmetic

No recompilation by hand: the Python function `A` is called with other numbers, and the operations
`*`, `+`, `**` of each number type give a different program."""),
    ("code", """# Dual numbers: the derivative comes out of the same program
print("dA/dx at (1.5, 3):", nm.derivative(lambda x: A(x, 3.0), 1.5))
print("grad A at (1.5, 3):", nm.gradient(lambda v: A(v[0], v[1]), np.array([1.5, 3.0])))

# mpmath at 50 digits: A(1/3, sqrt(2)) = 2/3 + 2 = 8/3
mpmath.mp.dps = 50
a50 = A(mpmath.mpf(1) / 3, mpmath.sqrt(2))
print("A(1/3, sqrt 2) at 50 digits:", a50, "  error vs 8/3:", mpmath.nstr(abs(a50 - mpmath.mpf(8) / 3), 3))
mpmath.mp.dps = 15

# measurements: linear propagation with correlations
x, y = nm.Measurement(1.5, 0.1), nm.Measurement(3.0, 0.2)
r = A(x, y)
print("A(1.5 ± 0.1, 3.0 ± 0.2) =", r, "  by hand: sqrt((2*0.1)^2 + (2*3*0.2)^2) =", np.hypot(2 * 0.1, 6 * 0.2))
# correlations are kept: A(x, x) = 2x + x^2 has d/dx = 2 + 2x = 5, so its error is 5 * 0.1 = 0.5,
# not the sqrt(0.2^2 + 0.3^2) = 0.36 that treating the two x's as independent would give
print("A(x, x) =", A(x, x), "  error:", nm.uncertainty(A(x, x)), "  by hand: (2 + 2 * 1.5) * 0.1 =", 0.5)"""),
    ("md", """## 3. One level up: a program that writes a program

SINDy (Brunton, Proctor & Kutz, PNAS 2016) finds a sparse combination of candidate terms that
reproduces measured derivatives. Data: Lorenz ($\\sigma = 10$, $\\rho = 28$, $\\beta = 8/3$,
$x_0 = (-8, 8, 27)$) sampled every 0.001 on $t \\in [0, 10)$; derivatives estimated by finite
differences; a degree-5 polynomial library (56 terms); STLSQ with threshold 0.025."""),
    ("code", """def lorenz(u, p, t):
    return np.stack([10 * (u[1] - u[0]), u[0] * (28 - u[2]) - u[1], u[0] * u[1] - 8 / 3 * u[2]])

x0 = np.array([-8.0, 8.0, 27.0])
t = 0.001 * np.arange(10_000)
data = np.array(solve(ODEProblem(lorenz, x0, (0.0, t[-1])), Vern9(), rtol=1e-12, atol=1e-12, saveat=t).u)
model = fit(data, t, PolynomialLibrary(5), STLSQ(0.025))        # derivatives: finite differences
print(model)
display(model)
print("nonzero coefficients:", np.count_nonzero(model.coefficients), "of", model.coefficients.size)"""),
    ("md", """The identified model is a right-hand side `f(u, p, t)`; the unchanged ODE solver runs it past
the end of the data (to $t = 20$). Lorenz is chaotic: the tiny coefficient errors of finite
differences grow like $e^{0.9 t}$, so the two trajectories agree for a while and then separate, while
the recovered attractor stays the same."""),
    ("code", """T = 20.0
ts = np.linspace(0, T, 4001)
truth = np.array(solve(ODEProblem(lorenz, x0, (0.0, T)), Vern9(), rtol=1e-10, atol=1e-10, saveat=ts).u)
found = np.array(model.simulate(x0, (0.0, T), Vern9(), rtol=1e-10, atol=1e-10, saveat=ts).u)
sep = np.linalg.norm(found - truth, axis=1)
print("first time the trajectories differ by more than 1:", ts[np.argmax(sep > 1)])
fig, ax = plt.subplots(1, 2, figsize=(13, 3.8))
ax[0].plot(ts, truth[:, 0], label="truth"); ax[0].plot(ts, found[:, 0], "--", label="identified model")
ax[0].axvspan(0, 10, color="0.9", label="training data"); ax[0].set_xlabel("t"); ax[0].set_ylabel("x"); ax[0].legend()
ax[1].plot(truth[:, 0], truth[:, 2], lw=0.6, label="truth"); ax[1].plot(found[:, 0], found[:, 2], lw=0.6, label="identified")
ax[1].set_xlabel("x"); ax[1].set_ylabel("z"); ax[1].legend(); plt.tight_layout(); plt.show()"""),
    ("md", """And the identified model is generic too: a `Measurement` initial state propagates through it
(linear uncertainty of $x(0.5)$ from $\\pm 0.01$ in each initial coordinate)."""),
    ("code", """u = model.simulate(nm.measurements(x0, [0.01, 0.01, 0.01]), (0.0, 0.5), rtol=1e-10, atol=1e-10,
                   save_everystep=False).u[-1]
print("x(0.5), y(0.5), z(0.5) =", u)"""),
]

write_notebook(cells, pathlib.Path(__file__).with_name("10_metaprogram.ipynb"))
