"""Tour part: measurements (linear uncertainty with exact correlations).

The same solver that integrates floats integrates ``Measurement`` s: the
small-angle pendulum with g = 9.79 ± 0.02, L = 1.00 ± 0.01 and an uncertain
initial angular velocity gives theta(6.3) with its uncertainty in one solve,
compared here with the analytic solution's linear uncertainty. The decay row
is the published example of the Measurements.jl documentation.
"""

from __future__ import annotations

import math

import numpy as np

import numeric as nm


def _analytic_theta(t: float):
    """theta(t) = (w0/W) sin(W t), W = sqrt(g/L), as a measurement (formula, not the solver)."""
    g, L, w0 = nm.Measurement(9.79, 0.02), nm.Measurement(1.00, 0.01), nm.Measurement(
        math.pi / 60, 0.01)
    W = nm.sqrt(g / L)
    return w0 / W * nm.sin(W * t)


def run() -> None:
    from solvers import ODEProblem, Tsit5, solve

    print("Measurements: linear error propagation that keeps correlations")
    print(f"{'computation':<44}{'result':<22}{'check':<30}")
    x, y = nm.Measurement(1.0, 0.1), nm.Measurement(2.0, 0.2)
    rows = [
        ("x - x, x = 1.0 ± 0.1", x - x, "exactly 0 ± 0"),
        ("(x + y) - y, y = 2.0 ± 0.2", (x + y) - y, "the uncertainty of x"),
        ("x * x", x * x, "2|x| sigma = 0.2"),
    ]
    T = nm.Measurement("5730 ± 40")
    rows.append(("C-14 left after 5207.54 y, T = 5730 ± 40", nm.exp(-5207.54 * nm.log(2) / T),
                 "published 0.5326 ± 0.0023"))
    g, L = nm.Measurement(9.79, 0.02), nm.Measurement(1.00, 0.01)
    u0 = nm.measurements([0.0, nm.Measurement(math.pi / 60, 0.01)])
    sol = solve(ODEProblem(lambda u, p, t: np.stack([u[1], -(p[0] / p[1]) * u[0]]), u0,
                           (0.0, 6.3), (g, L)), Tsit5(), rtol=1e-6, atol=1e-9)
    exact = _analytic_theta(6.3)
    rows.append(("pendulum theta(6.3), Tsit5, one solve", sol.u[-1][0],
                 f"analytic {exact}"))
    for label, value, check in rows:
        print(f"{label:<44}{str(value):<22}{check:<30}")
