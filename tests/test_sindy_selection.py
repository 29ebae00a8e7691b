"""Choosing a sparse structure by refitting candidates to data (solvers/sindy/selection.py).

The synthetic case has a known answer: Lotka–Volterra with known linear parts
(x' = 1.3 x + ?, y' = -1.8 y + ?), observed with 1% noise; the candidate
structures differ in the unknown part. Refitting through the ODE solve must
recover the true interaction coefficients (-0.9, 0.8) and AICc must prefer the
true structure to a superset and to a wrong one.
"""

from __future__ import annotations

import doctest

import numpy as np
import pytest

import numeric as nm
import solvers.sindy.selection as selection
from solvers import ODEProblem, Vern7, solve
from solvers.sindy import PolynomialLibrary, SINDyModel
from solvers.sindy.selection import (candidate_supports, place_coefficients, refit_support,
                                     select_by_criterion)

LIB = PolynomialLibrary(2)          # 1, x, y, x^2, x y, y^2
NAMES = LIB.names(("x", "y"))
XY = NAMES.index("x y")
U0 = np.array([0.44249296, 4.6280594])
T = np.linspace(0.0, 3.0, 31)
KNOWN = np.array([1.3, -1.8])


def _support(*rows):
    s = np.zeros((2, len(NAMES)), dtype=bool)
    for i, terms in enumerate(rows):
        for name in terms:
            s[i, NAMES.index(name)] = True
    return s


def _solve(coefficients, support, t=T):
    model = SINDyModel(LIB, ("x", "y"), support.astype(float))

    def rhs(u, p, t):
        return KNOWN * u + model(u, p)

    sol = solve(ODEProblem(rhs, U0, (0.0, float(t[-1])), coefficients), Vern7(), rtol=1e-8,
                atol=1e-8, saveat=t)
    if not sol.success:
        raise RuntimeError(sol.message)
    return sol.u


def _exact():
    true = _support(["x y"], ["x y"])
    return np.asarray(_solve(place_coefficients([-0.9, 0.8], true).astype(float), true))


@pytest.fixture(scope="module")
def data():
    exact = _exact()
    rng = np.random.default_rng(7)
    return exact + 0.01 * exact.mean(axis=0) * rng.standard_normal(exact.shape)


def _rss_for(data, support):
    def rss(c, _support=None):
        total = 0.0
        for u, d in zip(_solve(c, support), data):
            r = u - d
            total = total + np.sum(r * r)
        return total
    return rss


def test_doctests():
    assert doctest.testmod(selection).failed == 0


def test_refit_recovers_the_true_coefficients_from_exact_data():
    true = _support(["x y"], ["x y"])
    init = place_coefficients([-0.7, 1.0], true).astype(float)      # 20-25% off, as a network
    fit = refit_support(_rss_for(_exact(), true), true, init, n=62)
    assert fit.success, fit.message
    np.testing.assert_allclose(fit.coefficients[:, XY], [-0.9, 0.8], rtol=1e-5)
    assert fit.coefficients[~true].tolist() == [0.0] * int((~true).sum())
    assert fit.rss < 1e-10


def test_refit_reaches_the_optimum_on_noisy_data(data):
    true = _support(["x y"], ["x y"])
    init = place_coefficients([-0.7, 1.0], true).astype(float)
    fit = refit_support(_rss_for(data, true), true, init, n=data.size)
    assert fit.success, fit.message
    np.testing.assert_allclose(fit.coefficients[:, XY], [-0.9, 0.8], rtol=0.02)   # 1% noise
    # the optimum: the gradient of the loss there is ~0 (checked with central differences)
    rss = _rss_for(data, true)
    c = fit.coefficients[true]
    for k in range(2):
        e = np.zeros(2)
        e[k] = 1e-5
        d = (rss(place_coefficients(c + e, true)) - rss(place_coefficients(c - e, true))) / 2e-5
        assert abs(d) < 1e-3


def test_aicc_prefers_the_true_structure(data):
    true = _support(["x y"], ["x y"])
    superset = _support(["x y", "x^2"], ["x y", "y"])
    wrong = _support(["x y"], ["x"])
    supports = [superset, wrong, true]
    init = np.zeros((2, len(NAMES)))
    init[0, XY], init[1, XY] = -0.8, 0.9

    def rss(c, support):
        return _rss_for(data, support)(c)

    sel = select_by_criterion(rss, supports, init, n=data.size, criterion="aicc")
    assert sel.best.support.tolist() == true.tolist(), sel.table(NAMES)
    scores = {c.k: c.score for c in sel.candidates}
    assert scores[2] < scores[4]
    # the superset fits at least as well, but pays for its two extra terms
    assert sel.candidates[0].rss <= sel.candidates[2].rss * (1 + 1e-6)
    assert "x y" in sel.table(NAMES)


def test_candidate_supports_of_a_sweep_are_distinct_and_ordered():
    rng = np.random.default_rng(0)
    x = rng.uniform(0.2, 2.0, size=(80, 2))
    theta = LIB.matrix(x)
    y = np.column_stack([-0.9 * x[:, 0] * x[:, 1] + 0.05 * x[:, 0] ** 2,
                         0.8 * x[:, 0] * x[:, 1]])
    supports = candidate_supports(theta, y, [1e-6, 0.01, 0.1, 0.5, 0.5, 5.0])
    keys = [s.tobytes() for s in supports]
    assert len(keys) == len(set(keys))
    assert supports[-1].tolist() == _support(["x y"], ["x y"]).tolist()
    assert supports[-2].tolist() == _support(["x^2", "x y"], ["x y"]).tolist()
    assert all(s.sum() >= supports[-1].sum() for s in supports)


def test_a_failing_candidate_is_scored_infinite_not_chosen():
    s_ok = np.array([[True, False]])
    s_bad = np.array([[False, True]])

    def rss(c, support):
        if support[0, 1]:
            raise RuntimeError("the model solve failed")
        return (c[0][0] - 2.0) ** 2 + 1.0

    sel = select_by_criterion(rss, [s_bad, s_ok], np.array([[0.0, 1.0]]), n=10)
    assert sel.best.support.tolist() == s_ok.tolist()
    assert sel.candidates[0].score == np.inf and not sel.candidates[0].success
    assert sel.best.coefficients[0, 0] == pytest.approx(2.0, rel=1e-6)


def test_bad_input_says_what_is_wrong():
    s = np.array([[True, False]])
    with pytest.raises(ValueError, match="at least one candidate"):
        select_by_criterion(lambda c, s: 1.0, [], np.zeros((1, 2)), n=10)
    with pytest.raises(ValueError, match="criterion must be"):
        select_by_criterion(lambda c, s: 1.0, [s], np.zeros((1, 2)), n=10, criterion="cv")
    with pytest.raises(ValueError, match="shape"):
        refit_support(lambda c, s: 1.0, s, np.zeros(3), n=10)
    with pytest.raises(ValueError, match="no candidate gave a finite loss"):
        select_by_criterion(lambda c, s: np.inf, [s], np.zeros((1, 2)), n=10)


def test_place_coefficients_keeps_the_number_type():
    s = np.array([[True, False, True]])
    d = nm.grad(lambda c: place_coefficients(c, s)[0, 0] * place_coefficients(c, s)[0, 2],
                mode="forward")(np.array([2.0, 5.0]))
    np.testing.assert_allclose(d, [5.0, 2.0])


def test_extra_parameters_are_refit_and_counted():
    # the initial state as an extra parameter: from a perturbed start, the refit finds the
    # exact state and coefficients of noise-free data; k counts the two extra parameters
    true = _support(["x y"], ["x y"])
    exact = _exact()

    def rss(c, support, u0):
        model = SINDyModel(LIB, ("x", "y"), support.astype(float))
        sol = solve(ODEProblem(lambda u, p, t: KNOWN * u + model(u, p), u0, (0.0, 3.0), c),
                    Vern7(), rtol=1e-9, atol=1e-9, saveat=T)
        total = 0.0
        for u, d in zip(sol.u, exact):
            total = total + np.sum((u - d) ** 2)
        return total

    init = place_coefficients([-0.8, 0.9], true).astype(float)
    fit = refit_support(rss, true, init, n=exact.size, extra0=U0 * 1.05)
    assert fit.success, fit.message
    assert fit.k == 4
    np.testing.assert_allclose(fit.extra, U0, rtol=1e-5)
    np.testing.assert_allclose(fit.coefficients[:, XY], [-0.9, 0.8], rtol=1e-5)
