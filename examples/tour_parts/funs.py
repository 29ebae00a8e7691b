"""Tour part: functions as numbers, and the ODE solver as a spectral PDE solver.

Adaptive Chebyshev Funs (lengths chosen by standardChop), exact calculus,
a derivative of a function-valued computation, and the heat equation
u_t = u_xx on [0, 2 pi) solved by the unchanged ODE solver with a Fourier
Fun state, checked against the exact solution
I0(1) + 2 sum I_k(1) exp(-k^2 t) cos(k x).
"""

from __future__ import annotations

import math

import numpy as np

import numeric as nm


def _heat_exact(x: float, t: float) -> float:
    import mpmath

    return float(mpmath.besseli(0, 1) + 2 * sum(mpmath.besseli(k, 1) * mpmath.exp(-k * k * t)
                                                 * mpmath.cos(k * x) for k in range(1, 40)))


def run() -> None:
    from solvers import ODEProblem, Tsit5, solve

    print("Funs: functions as numbers (Chebyshev and Fourier series, chopped adaptively)")
    print(f"{'computation':<52}{'result':<26}{'check':<28}")
    S = nm.Chebyshev(-1, 1)
    f = nm.Fun(lambda x: np.exp(np.sin(np.pi * x)) + 1 / (1 + 25 * x**2), S)
    runge = nm.Fun(lambda x: 1 / (1 + 25 * x**2), S)
    s20 = nm.Fun(lambda x: np.sin(20 * x), S)
    g = nm.exp(f) * f.diff() - 3 * f
    d = nm.derivative(lambda a: nm.Fun(lambda x: np.exp(a * x), nm.Chebyshev(0, 1)).sum(), 1.0)
    rows = [
        ("length of exp(sin(pi x)) + 1/(1 + 25 x^2)", len(f), "chebpy: 177"),
        ("integral of 1/(1 + 25 x^2) over [-1, 1]", f"{float(runge.sum()):.15f}",
         f"2/5 atan 5 = {0.4 * math.atan(5):.15f}"),
        ("roots of sin(20 x) in [-1, 1]", len(s20.roots()), "13 (k pi / 20)"),
        ("length of exp(f) f' - 3 f (re-approximated)", len(g), "follows the function"),
        ("d/da int_0^1 exp(a x) dx at a = 1 (dual coeffs)", f"{float(d):.15f}",
         "int x e^x = 1"),
    ]
    u0 = nm.Fun(lambda x: np.exp(np.cos(x)), nm.Fourier(0, 2 * np.pi))
    sol = solve(ODEProblem(lambda u, p, t: u.diff(2), u0, (0.0, 0.5)), Tsit5(), rtol=1e-10,
                atol=1e-12)
    err = max(abs(float(sol.u[-1](x)) - _heat_exact(x, 0.5)) for x in (0.0, 1.0, 2.5, 4.0))
    rows.append(("heat eq. u_t = u_xx, Fourier Fun + Tsit5: error", f"{err:.1e}",
                 f"{len(sol.t) - 1} steps"))
    rows.append(("  length of the state at t = 0 -> t = 0.5",
                 f"{len(sol.u[0])} -> {len(sol.u[-1])}",
                 "shrinks as it smooths"))
    for label, value, check in rows:
        print(f"{label:<52}{str(value):<26}{check:<28}")


if __name__ == "__main__":
    run()
