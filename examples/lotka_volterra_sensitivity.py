"""Sensitivity of the Lotka–Volterra populations to their four parameters.

``u' = [a x - b x y, -c y + d x y]`` with (a, b, c, d) = (1.5, 1, 3, 1),
u0 = (1, 1). ``nm.jacobian`` of the final state u(10) with respect to
(a, b, c, d) pushes a DualArray of parameters through the unchanged ODE
solver: one solve gives all four sensitivities. They are checked against
central differences of float solves.

Run: ``python examples/lotka_volterra_sensitivity.py``
"""

from __future__ import annotations

import numpy as np

import numeric as nm
from solvers import ODEProblem, Tsit5, solve

P0 = np.array([1.5, 1.0, 3.0, 1.0])


def lotka(u, p, t):
    a, b, c, d = p
    x, y = u[0], u[1]
    return np.array([a * x - b * x * y, -c * y + d * x * y])


def final_state(p):
    sol = solve(ODEProblem(lotka, np.array([1.0, 1.0]), (0.0, 10.0), p), Tsit5(), rtol=1e-10, atol=1e-12)
    return sol.u[-1]


def main() -> np.ndarray:
    J = np.asarray(nm.jacobian(final_state, P0), dtype=float)
    h = 1e-6
    fd = np.empty((2, 4))
    for j in range(4):
        e = np.zeros(4)
        e[j] = h
        fd[:, j] = (final_state(P0 + e) - final_state(P0 - e)) / (2 * h)
    print("d u(10) / d (a, b, c, d), by Dual through the solver:")
    for name, row in zip(("x", "y"), J):
        print(f"  {name}: " + "  ".join(f"{v:12.6f}" for v in row))
    print(f"max |Dual - central difference| = {np.abs(J - fd).max():.2e}")
    assert np.abs(J - fd).max() < 1e-4 * max(1.0, np.abs(fd).max())
    return J


if __name__ == "__main__":
    main()
