"""Stiff test problems shared by the tests, benchmarks and notebook 07.

``brusselator_2d(N)``: the 2-D Brusselator reaction-diffusion system of
DifferentialEquations.jl's stiff tutorial ("Solving Large Stiff Equations")
and SciMLBenchmarks' Bruss: on the unit square, periodic boundaries,
``xyd = linspace(0, 1, N)``, ``dx = 1 / (N - 1)``, ``p = (A, B, alpha) = (3.4, 1, 10)``::

    u' = alpha/dx^2 lap(u) + B + u^2 v - (A + 1) u + f(x, y, t)
    v' = alpha/dx^2 lap(v) + A u - u^2 v
    f  = 5 where (x - 0.3)^2 + (y - 0.6)^2 <= 0.1^2 and t >= 1.1, else 0
    u(x, y, 0) = 22 (y (1 - y))^(3/2),  v(x, y, 0) = 27 (x (1 - x))^(3/2)

on ``t in [0, 11.5]`` (the definition as in SparseConnectivityTracer.jl's
test/brusselator.jl, after Gowda et al., "Sparsity Programming", 2019).
The state is ``concatenate([u.ravel(), v.ravel()])`` with ``u[i, j]`` at
``(x_i, y_j)``: ``2 N^2`` entries (2,048 for N = 32).

Examples
--------
>>> rhs, u0, tspan, p = brusselator_2d(4)
>>> u0.shape, tspan
((32,), (0.0, 11.5))
"""

from __future__ import annotations

from typing import Callable

import numpy as np

__all__ = ["brusselator_2d", "rober", "rober_jac"]


def brusselator_2d(N: int = 32) -> tuple[Callable, np.ndarray, tuple, tuple]:
    """``(f, u0, tspan, p)`` of the 2-D Brusselator on an N x N grid (module docstring)."""
    xyd = np.linspace(0.0, 1.0, N)
    dx = xyd[1] - xyd[0]
    X, Y = np.meshgrid(xyd, xyd, indexing="ij")
    spot = ((X - 0.3) ** 2 + (Y - 0.6) ** 2 <= 0.1 ** 2) * 5.0
    n2 = N * N

    def lap(w):
        return np.roll(w, 1, 0) + np.roll(w, -1, 0) + np.roll(w, 1, 1) + np.roll(w, -1, 1) - w * 4.0

    def f(state, p, t):
        A, B, alpha = p
        a = alpha / dx ** 2
        u, v = state[:n2].reshape(N, N), state[n2:].reshape(N, N)
        forcing = spot * 1.0 if t >= 1.1 else spot * 0.0
        uuv = u * u * v
        du = lap(u) * a + uuv - u * (A + 1) + B + forcing
        dv = lap(v) * a + u * A - uuv
        return np.concatenate([du.reshape(-1), dv.reshape(-1)])

    u0 = np.concatenate([(22.0 * (Y * (1 - Y)) ** 1.5).ravel(), (27.0 * (X * (1 - X)) ** 1.5).ravel()])
    return f, u0, (0.0, 11.5), (3.4, 1.0, 10.0)


def rober(u, p, t):
    """Robertson's chemical kinetics (Hairer & Wanner II, IV.1)."""
    y1, y2, y3 = u
    return np.array([-0.04 * y1 + 1e4 * y2 * y3, 0.04 * y1 - 1e4 * y2 * y3 - 3e7 * y2 * y2, 3e7 * y2 * y2])


def rober_jac(u, p, t):
    """The analytic Jacobian of :func:`rober`."""
    y1, y2, y3 = u
    return np.array([[-0.04, 1e4 * y3, 1e4 * y2],
                     [0.04, -1e4 * y3 - 6e7 * y2, -1e4 * y2],
                     [0.0, 6e7 * y2, 0.0]])
