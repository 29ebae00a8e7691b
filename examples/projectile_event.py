"""Projectile range against launch angle, differentiated through a ground-hit event.

A projectile leaves the ground at speed v and angle theta (no drag). The
solver integrates (x, y, vx, vy) until a ContinuousCallback finds y = 0 on
the way down and terminates the solve. With theta a Dual number, the event
time carries the implicit-function derivative, and the range x(tau) its
derivative d range / d theta, which we check against the analytic value

    range = v^2 sin(2 theta) / g,   d range / d theta = 2 v^2 cos(2 theta) / g.

Run: ``python examples/projectile_event.py``
"""

from __future__ import annotations

import math

import numpy as np

import numeric as nm
from solvers import ContinuousCallback, ODEProblem, Tsit5, solve

G = 9.81
V = 20.0


def projectile(u, p, t):
    """(x, y, vx, vy)' = (vx, vy, 0, -g)."""
    return np.array([u[2], u[3], 0.0 * u[2], -G + 0.0 * u[3]])


def flight_range(theta):
    u0 = np.array([0.0 * theta, 0.0 * theta, V * nm.cos(theta), V * nm.sin(theta)], dtype=object)
    ground = ContinuousCallback(lambda u, t, integ: u[1], lambda integ: integ.terminate(), direction="down")
    sol = solve(ODEProblem(projectile, u0, (0.0, 100.0)), Tsit5(), callback=ground, rtol=1e-10, atol=1e-12)
    return sol.u[-1][0]


def main() -> list:
    rows = []
    print(f"{'theta':>7} {'range':>12} {'d range/d theta':>16} {'analytic':>12} {'|diff|':>9}")
    for theta in (0.3, 0.6, math.pi / 4, 1.0):
        d = nm.derivative(flight_range, theta)
        r = nm.value(flight_range(theta))
        exact = 2 * V * V * math.cos(2 * theta) / G
        diff = abs(nm.value(d) - exact)
        rows.append((theta, r, nm.value(d), exact, diff))
        print(f"{theta:7.4f} {r:12.8f} {nm.value(d):16.10f} {exact:12.8f} {diff:9.1e}")
        assert abs(r - V * V * math.sin(2 * theta) / G) < 1e-8
        assert diff < 1e-6
    return rows


if __name__ == "__main__":
    main()
