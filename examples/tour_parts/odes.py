"""Tour part: one ODE solver, many number types.

u' = -2 u + sin(t), u(0) = 1 on [0, 1] with Tsit5 (Vern9 for 40 digits);
exact solution u = (6/5) e^{-2t} + (2 sin t - cos t) / 5.
"""

from __future__ import annotations

import math

import mpmath
import numpy as np

import numeric as nm
from solvers import ODEProblem, Tsit5, Vern9, solve


def _f(u, p, t):
    return -p * u + nm.sin(t)


def _exact(t, k=2.0):
    return (1 + 1 / (k * k + 1)) * math.exp(-k * t) + (k * math.sin(t) - math.cos(t)) / (k * k + 1)


def run() -> None:
    rows = []
    ex = _exact(1.0)
    sol = solve(ODEProblem(_f, np.array([1.0]), (0.0, 1.0), 2.0), Tsit5(), rtol=1e-10, atol=1e-12)
    rows.append(("float64 array", str(sol.u[-1].dtype), f"{abs(sol.u[-1][0] - ex):.1e}", sol.stats.naccept))
    sol = solve(ODEProblem(_f, np.array([1.0], dtype=np.float32), (0.0, 1.0), np.float32(2.0)), Tsit5(),
                rtol=1e-5, atol=1e-6)  # fmt: skip
    rows.append(("float32 array", str(sol.u[-1].dtype), f"{abs(float(sol.u[-1][0]) - ex):.1e}", sol.stats.naccept))
    with mpmath.workdps(40):
        k = mpmath.mpf(2)
        exm = (1 + 1 / (k * k + 1)) * mpmath.exp(-k) + (k * mpmath.sin(1) - mpmath.cos(1)) / (k * k + 1)
        sol = solve(ODEProblem(lambda u, p, t: -p * u + mpmath.sin(t), mpmath.mpf(1), (mpmath.mpf(0), mpmath.mpf(1)),
                               k), Vern9(), rtol=mpmath.mpf("1e-26"), atol=mpmath.mpf("1e-28"))  # fmt: skip
        rows.append(("mpf, 40 digits (Vern9)", "mpf", mpmath.nstr(abs(sol.u[-1] - exm), 2), sol.stats.naccept))
    d = nm.derivative(lambda k: solve(ODEProblem(_f, 1.0, (0.0, 1.0), k), Tsit5(), rtol=1e-10, atol=1e-12).u[-1], 2.0)
    h = 1e-6
    fd = (_exact(1.0, 2.0 + h) - _exact(1.0, 2.0 - h)) / (2 * h)
    rows.append(("Dual (d u(1) / d k)", "Dual", f"{abs(nm.value(d) - fd):.1e}", "-"))
    print("ODE solver, u' = -k u + sin t, u(1), k = 2:")
    print(f"  {'number type':26} {'state type':10} {'error':>9} {'steps':>6}")
    for r in rows:
        print(f"  {r[0]:26} {r[1]:10} {r[2]:>9} {r[3]!s:>6}")


if __name__ == "__main__":
    run()
