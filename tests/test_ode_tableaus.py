"""Order conditions and measured convergence order of every Runge–Kutta tableau."""

from __future__ import annotations

import math

import numpy as np
import pytest

from solvers.ode import algorithms as algs
from solvers.ode.tableau import dense_residuals, order_residuals, rooted_trees

ALGS = [getattr(algs, name) for name in algs.__all__ if name != "ExplicitRK"]


def test_tree_counts():
    assert [len(rooted_trees(n)) for n in range(1, 10)] == [1, 1, 2, 4, 9, 20, 48, 115, 286]


@pytest.mark.parametrize("alg", ALGS, ids=lambda a: a.__name__)
def test_order_conditions(alg):
    tab = alg.tableau
    exact = max(abs(r) for r in order_residuals(tab, tab.order))
    assert exact < 1e-30, f"{tab.name} violates an order-{tab.order} condition by {exact}"
    # and not of higher order (the data are the method claimed)
    assert max(abs(r) for r in order_residuals(tab, tab.order + 1)) > 1e-8
    if tab.btilde is not None:
        bhat = [b - bt for b, bt in zip(tab.b, tab.btilde)]
        assert max(abs(r) for r in order_residuals(tab, tab.embedded_order, bhat)) < 1e-30
        assert max(abs(r) for r in order_residuals(tab, tab.embedded_order + 1, bhat)) > 1e-8


@pytest.mark.parametrize("alg", ALGS, ids=lambda a: a.__name__)
def test_dense_output_conditions(alg):
    tab = alg.tableau
    # Tsit5's published interpolant is given to ~17 digits only.
    tol = 1e-15 if tab.name == "Tsit5" else 1e-30
    assert max(abs(r) for r in dense_residuals(tab, tab.dense_order)) < tol
    # b_i(1) = b_i: the interpolant ends at the step's solution
    assert max(abs(r) for r in dense_residuals(tab, 1, thetas=(1.0,))) < tol


def _exact(t):
    return math.exp(math.sin(t))


def _f(u, p, t):
    return u * np.cos(t)


@pytest.mark.parametrize("alg", ALGS, ids=lambda a: a.__name__)
def test_measured_order(alg):
    """Fixed steps h and h/2 on u' = u cos t (u = exp(sin t)): error ratio ~ 2**p.

    The error is the maximum over the steps of [0, 8] (an endpoint alone can
    sit near an accidental cancellation).
    """
    from solvers import ODEProblem, solve

    p = alg.tableau.order
    h = {7: 0.4, 9: 0.8}.get(p, 0.05)
    prob = ODEProblem(_f, np.array([1.0]), (0.0, 8.0))
    errs, derrs = [], []
    for dt in (h, h / 2):
        sol = solve(prob, alg(), dt=dt, adaptive=False)
        errs.append(max(abs(u[0] - _exact(t)) for t, u in zip(sol.t, sol.u)))
        ts = np.arange(0.0, 8.0 - dt, dt) + 0.37 * dt  # inside the steps
        derrs.append(max(abs(sol(t)[0] - _exact(t)) for t in ts))
    observed = math.log2(errs[0] / errs[1])
    assert abs(observed - p) < 0.35, f"{alg.__name__}: observed order {observed:.2f}, expected {p}"
    q = min(p, alg.tableau.dense_order + 1)
    dense_observed = math.log2(derrs[0] / derrs[1])
    assert dense_observed > q - 0.4, f"{alg.__name__}: dense order {dense_observed:.2f} < {q}"
