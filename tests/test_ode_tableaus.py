"""Order conditions and measured convergence order of every Runge–Kutta tableau."""

from __future__ import annotations

import math

import mpmath
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
    # Tsit5's published interpolant is given to ~17 digits only, Verner's to 40.
    tol = {"Tsit5": 1e-15, "Vern7": 1e-35, "Vern9": 1e-35}.get(tab.name, 1e-30)
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

    The error is the maximum over the steps (an endpoint alone can sit near
    an accidental cancellation). Methods of order 7 and 9 run in mpmath at 30
    digits, where their errors stay far above round-off at asymptotic step sizes.
    """
    from solvers import ODEProblem, solve

    p = alg.tableau.order
    if p >= 7:
        mpmath.mp.dps = 30  # restored by the conftest fixture
        h, tf, u0, t0 = mpmath.mpf("0.2"), mpmath.mpf(4), mpmath.mpf(1), mpmath.mpf(0)
        f, exact, frac = (lambda u, p, t: u * mpmath.cos(t)), (lambda t: mpmath.exp(mpmath.sin(t))), mpmath.mpf("0.37")
        first = lambda u: u  # noqa: E731
    else:
        h, tf, u0, t0 = 0.05, 8.0, np.array([1.0]), 0.0
        f, exact, frac = _f, _exact, 0.37
        first = lambda u: u[0]  # noqa: E731
    prob = ODEProblem(f, u0, (t0, tf))
    errs, derrs = [], []
    for dt in (h, h / 2):
        sol = solve(prob, alg(), dt=dt, adaptive=False)
        errs.append(max(abs(first(u) - exact(t)) for t, u in zip(sol.t, sol.u)))
        ts = [k * dt + frac * dt for k in range(int(tf / dt) - 1)]  # inside the steps
        derrs.append(max(abs(first(sol(t)) - exact(t)) for t in ts))
    observed = math.log2(float(errs[0] / errs[1]))
    assert abs(observed - p) < 0.35, f"{alg.__name__}: observed order {observed:.2f}, expected {p}"
    q = min(p, alg.tableau.dense_order + 1)
    dense_observed = math.log2(float(derrs[0] / derrs[1]))
    assert dense_observed > q - 0.4, f"{alg.__name__}: dense order {dense_observed:.2f} < {q}"


def test_vern7_interpolant_order_seven_defect_is_small():
    """Verner's published Vern7 interpolant: exact to order 6, order 7 up to ~3e-7 (see VERN7)."""
    from solvers.ode.tableaus_verner import VERN7

    assert max(abs(r) for r in dense_residuals(VERN7, 6)) < 1e-35
    worst = max(abs(r) for r in dense_residuals(VERN7, 7))
    assert 1e-8 < worst < 1e-6


def test_verner_nodes_match_row_sums_to_40_digits():
    """The row-sum check at construction is loose (1e-14); the Verner data hold to 1e-38."""
    from solvers.ode.tableaus_verner import VERN7, VERN9

    for tab in (VERN7, VERN9):
        for row, c in zip(tab.a + tab.extra_a, tab.c + tab.extra_c):
            assert abs(sum(row) - c) < 1e-38, tab.name
