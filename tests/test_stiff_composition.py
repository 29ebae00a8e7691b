"""Compositions of the stiff methods with number types, beyond tests/test_stiff.py and
tests/test_solver_generic.py (which cover linear problems and first derivatives):

* a MeasurementArray state with correlated components through FBDF and Rodas5P on a *nonlinear*
  stiff problem, against linear propagation with the forward-mode sensitivity (itself checked
  against central differences);
* mpf at 30 digits through RadauIIA5 (past double precision) and Rodas4 (the type is kept; its
  16-digit coefficients bound the accuracy) on a stiff linear system with an exact solution;
* nested Duals (a Dual of a Dual parameter outside, the Jacobian's duals inside: three tags)
  through FBDF and RadauIIA5, against a central difference of the first derivative.
"""

import mpmath
import numpy as np
import pytest

import numeric as nm
from solvers import FBDF, ODEProblem, RadauIIA5, Rodas4, Rodas5P, solve


def quadratic(u, p, t):
    return np.array([-10 * u[0] ** 2 + u[1], -100 * u[1] + u[0]])


@pytest.mark.parametrize("alg", [FBDF, Rodas5P], ids=["FBDF", "Rodas5P"])
def test_measurement_array_state_through_a_nonlinear_stiff_solve_is_linear_propagation(alg):
    # correlated inputs (u0 = x0 + L z, z independent): cov(u(1)) = S C0 S^T with the sensitivity
    # S = d u(1) / d u0 computed by Duals through the same method, itself checked against central
    # differences of tight float solves
    x0, sig = np.array([1.0, 0.5]), np.array([0.01, 0.02])
    L = np.array([[1.0, 0.0], [0.6, 0.8]])
    u0 = x0 + L @ nm.measurements(np.zeros(2), sig)
    C0 = L @ np.diag(sig ** 2) @ L.T
    np.testing.assert_allclose(nm.cov(u0), C0, rtol=1e-14)

    def run(x, rtol=1e-7):
        return solve(ODEProblem(quadratic, x, (0.0, 1.0)), alg(), rtol=rtol, atol=rtol * 1e-3,
                     save_everystep=False).u[-1]

    u = run(u0)
    assert type(u).__name__ == "MeasurementArray"
    S = nm.jacobian(run, x0)
    h = 1e-5
    fd = np.column_stack([(run(x0 + h * e, 1e-10) - run(x0 - h * e, 1e-10)) / (2 * h) for e in np.eye(2)])
    assert np.abs(S - fd).max() < 1e-4 * np.abs(S).max()
    C = S @ C0 @ S.T
    np.testing.assert_allclose(nm.value(u), run(x0), rtol=1e-5)  # steps differ (the norm sees the spread)
    # measured: FBDF 3.7e-6, Rodas5P 5.7e-5 (its W lacks dJ along the uncertainty directions, so the
    # components are integrated at reduced order: docs/decisions.md, "Measurement parameters ...")
    bound = 3e-5 if alg is FBDF else 3e-4
    assert np.abs(nm.cov(u) - C).max() < bound * np.abs(C).max()


def stiff_linear(u, p, t):
    return np.array([-1000 * u[0] + u[1], -u[1]], dtype=object)


def exact_stiff_linear():
    e = mpmath.exp
    return [e(-1000) * (1 - mpmath.mpf(1) / 999) + e(-1) / 999, e(-1)]


def test_mpf_30_digits_through_radau_beats_double_precision():
    # fixed h = 1e-3: the local error of the slow mode ~ (h)^6 / 7200 leaves ~1e-19 at t = 1
    with mpmath.workdps(30):
        u0 = np.array([mpmath.mpf(1), mpmath.mpf(1)], dtype=object)
        s = solve(ODEProblem(stiff_linear, u0, (mpmath.mpf(0), mpmath.mpf(1))), RadauIIA5(),
                  dt=mpmath.mpf(1) / 1000, adaptive=False, save_everystep=False)
        u = s.u[-1]
        assert all(isinstance(x, mpmath.mpf) for x in u)
        err = max(abs(a - b) / b for a, b in zip(u, exact_stiff_linear()))
        assert err < mpmath.mpf("1e-18")  # float64 could not do better than 1.1e-16


def test_mpf_through_rodas4_keeps_the_type_and_meets_the_tolerance():
    # Rodas4's coefficients are 16-digit decimals (rodas.py), so mpf cannot go past ~1e-16 here
    with mpmath.workdps(30):
        u0 = np.array([mpmath.mpf(1), mpmath.mpf(1)], dtype=object)
        s = solve(ODEProblem(stiff_linear, u0, (mpmath.mpf(0), mpmath.mpf(1))), Rodas4(),
                  rtol=mpmath.mpf("1e-9"), atol=mpmath.mpf("1e-13"), save_everystep=False)
        u = s.u[-1]
        assert all(isinstance(x, mpmath.mpf) for x in u)
        err = max(abs(a - b) / b for a, b in zip(u, exact_stiff_linear()))
        assert err < mpmath.mpf("1e-8")


def kinetics(u, k, t):
    return np.array([-k * u[0] ** 2 + 1e3 * u[1], -1e3 * u[1] + k * u[0]])


def final(alg, k, rtol=1e-10):
    return solve(ODEProblem(kinetics, np.array([1.0, 0.0]), (0.0, 1.0), k), alg, rtol=rtol,
                 atol=rtol * 1e-2, save_everystep=False).u[-1]


@pytest.fixture(scope="module")
def second_derivative_reference():
    # a central difference of the first (Dual) derivative of a tight RadauIIA5 solve
    e = 1e-4
    d1 = lambda k: np.asarray(nm.value(nm.derivative(lambda q: final(RadauIIA5(), q, 1e-12), k)),  # noqa: E731
                              dtype=float)
    return (d1(2.0 + e) - d1(2.0 - e)) / (2 * e)


@pytest.mark.parametrize("alg", [FBDF(), RadauIIA5()], ids=["FBDF", "RadauIIA5"])
def test_nested_duals_give_the_second_derivative(alg, second_derivative_reference):
    d2 = nm.derivative(lambda k: nm.derivative(lambda q: final(alg, q), k), 2.0)
    d2 = np.asarray(nm.value(d2), dtype=float)
    np.testing.assert_allclose(d2, second_derivative_reference, rtol=1e-3)
