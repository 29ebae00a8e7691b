"""Builds notebooks/01_dual_numbers.ipynb from the cells below (run: python notebooks/make_01_dual_numbers.py)."""

import pathlib

from _write_notebook import write_notebook

cells = [
    ("md", """# 01 · Dual numbers: differentiate a program by changing its arithmetic

This notebook goes from the **complex-step trick** to **dual numbers** to the idea behind metanum:
*recompile the program with new arithmetic*. The same Python function runs at float32, float64,
50-digit mpmath and with duals, and the duals give exact derivatives."""),
    ("code", """import math, cmath
import numpy as np, mpmath
%matplotlib inline
import matplotlib.pyplot as plt
import numeric as nm"""),
    ("md", """## 1. Finite differences lose half the digits

A forward difference $(f(x+h)-f(x))/h$ has truncation error $O(h)$ and rounding error $O(\\epsilon/h)$:
the best you can do is about $\\sqrt{\\epsilon} \\approx 10^{-8}$."""),
    ("code", """f = lambda x: math.exp(x) * math.sin(x)
fprime = lambda x: math.exp(x) * (math.sin(x) + math.cos(x))
x0 = 0.5
hs = np.logspace(-16, -1, 60)
fd_err = [abs((f(x0 + h) - f(x0)) / h - fprime(x0)) / abs(fprime(x0)) for h in hs]
print("best forward-difference relative error:", min(fd_err))"""),
    ("md", """## 2. The complex step has no cancellation

For a real-analytic $f$, $f(x + ih) = f(x) + ih f'(x) - h^2 f''(x)/2 + \\dots$, so
$f'(x) \\approx \\operatorname{Im} f(x+ih)/h$ with no subtraction: $h = 10^{-200}$ is fine."""),
    ("code", """fc = lambda z: cmath.exp(z) * cmath.sin(z)
cs_err = [abs((fc(complex(x0, h))).imag / h - fprime(x0)) / abs(fprime(x0)) for h in hs]
print("complex step relative error at h=1e-16:", cs_err[0])"""),
    ("md", """## 3. Dual numbers: the complex step with $\\varepsilon^2 = 0$

Replace $i$ (with $i^2=-1$) by $\\varepsilon$ with $\\varepsilon^2 = 0$. Then
$f(x + \\varepsilon) = f(x) + f'(x)\\,\\varepsilon$ *exactly*: no step size at all.
Every operation on a `Dual` applies the chain rule from one table of derivatives (`numeric/rules.py`)."""),
    ("code", """x = nm.Dual(x0, 1.0)
y = nm.exp(x) * nm.sin(x)
print(y)
print("dual relative error:", abs(y.partials[0] - fprime(x0)) / abs(fprime(x0)))"""),
    ("code", """plt.figure(figsize=(6, 3.5))
plt.loglog(hs, np.maximum(fd_err, 1e-17), label="forward difference")
plt.loglog(hs, np.maximum(cs_err, 1e-17), label="complex step")
plt.axhline(max(abs(y.partials[0] - fprime(x0)) / abs(fprime(x0)), 1e-17), color="k", ls="--", label="dual number")
plt.xlabel("step h"); plt.ylabel("relative error"); plt.legend(); plt.tight_layout()
plt.show()"""),
    ("md", """## 4. Recompile the program with new arithmetic

Here is a program that knows nothing about derivatives: a damped oscillator stepped by RK4.
It uses only `+ - * /` and `nm.one`. We run it with four kinds of number."""),
    ("code", """def oscillator(zeta, steps=200, T=5.0):
    one = nm.one(zeta)
    x, v = one, 0 * one
    h = one * T / steps
    rhs = lambda x, v: (v, -2 * zeta * v - x)
    for _ in range(steps):
        k1 = rhs(x, v)
        k2 = rhs(x + h / 2 * k1[0], v + h / 2 * k1[1])
        k3 = rhs(x + h / 2 * k2[0], v + h / 2 * k2[1])
        k4 = rhs(x + h * k3[0], v + h * k3[1])
        x = x + h / 6 * (k1[0] + 2 * k2[0] + 2 * k3[0] + k4[0])
        v = v + h / 6 * (k1[1] + 2 * k2[1] + 2 * k3[1] + k4[1])
    return x

mpmath.mp.dps = 50
for label, z in [("float64", 0.1), ("float32", np.float32(0.1)), ("mpf, 50 digits", mpmath.mpf(1) / 10),
                 ("Dual", nm.Dual(0.1, 1.0))]:
    r = oscillator(z)
    print(f"{label:16s} {type(r).__name__:8s} {r}")"""),
    ("md", """The Dual run gives $x(5)$ *and* $\\partial x(5)/\\partial\\zeta$. `nm.derivative` does the seeding
for you, and duals of mpf give the derivative to 50 digits:"""),
    ("code", """d64 = nm.derivative(oscillator, 0.1)
dmp = nm.derivative(oscillator, mpmath.mpf(1) / 10)
h = mpmath.mpf(10) ** -15
cd = (oscillator(mpmath.mpf(1) / 10 + h) - oscillator(mpmath.mpf(1) / 10 - h)) / (2 * h)
print("float64 dual :", d64)
print("mpf dual     :", mpmath.nstr(dmp, 30))
print("mpf central  :", mpmath.nstr(cd, 30))
assert abs(dmp - cd) < mpmath.mpf(10) ** -25"""),
    ("code", """zetas = np.linspace(0.02, 0.9, 40)
xs = [oscillator(z) for z in zetas]
ds = [nm.derivative(oscillator, z) for z in zetas]
fig, ax = plt.subplots(1, 2, figsize=(9, 3.2))
ax[0].plot(zetas, xs); ax[0].set_xlabel("zeta"); ax[0].set_title("x(5)")
ax[1].plot(zetas, ds, label="Dual"); ax[1].plot(zetas[1:-1], np.gradient(xs, zetas)[1:-1], "--", label="np.gradient")
ax[1].set_xlabel("zeta"); ax[1].set_title("dx(5)/dzeta"); ax[1].legend(); plt.tight_layout(); plt.show()"""),
    ("md", """## 5. No perturbation confusion, and higher derivatives by nesting

Every `nm.derivative` call gets its own *tag*. The classic trap
$\\frac{d}{dx}\\left(x \\cdot \\frac{d}{dy}(x + y)\\right) = 1$ comes out right, and a derivative of a
derivative is a dual of a dual."""),
    ("code", """print(nm.derivative(lambda x: x * nm.derivative(lambda y: x + y, 1.0), 1.0))
print(nm.derivative(lambda x: nm.derivative(nm.sin, x), 0.3), -math.sin(0.3))
print(nm.hessian(lambda v: v[0] ** 2 * v[1] + nm.exp(v[1]), np.array([1.0, 0.0])))"""),
    ("md", """## 6. Derivatives you never silently lose

Converting a dual to a float would drop its derivative, so metanum refuses and says what to do:"""),
    ("code", """try:
    float(nm.Dual(1.0, 1.0))
except TypeError as e:
    print("TypeError:", e)"""),
]

write_notebook(cells, pathlib.Path(__file__).with_name("01_dual_numbers.ipynb"))
