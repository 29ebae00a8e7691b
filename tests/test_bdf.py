"""FBDF (variable-order variable-step BDF) through solve: ROBER against Hairer-Wanner and a tight
independent reference, tolerance proportionality, sensitivities, DAE, number types, hooks."""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest
import scipy.integrate

import numeric as nm
import solvers
from solvers import FBDF, ODEProblem, ReturnCode, init, solve

HW40 = np.array([0.7158270687193148, 9.185534764557128e-6, 0.2841637457458775])  # HW II, IV.10


def rober(u, p, t):
    k1, k2, k3 = (0.04, 3e7, 1e4) if p is None else p
    return np.stack([-k1 * u[0] + k3 * u[1] * u[2], k1 * u[0] - k2 * u[1] ** 2 - k3 * u[1] * u[2],
                     k2 * u[1] ** 2]) if not isinstance(u, np.ndarray) else np.array(
        [-k1 * u[0] + k3 * u[1] * u[2], k1 * u[0] - k2 * u[1] ** 2 - k3 * u[1] * u[2], k2 * u[1] ** 2])


def rober_dae(u, p, t):
    return np.array([-0.04 * u[0] + 1e4 * u[1] * u[2], 0.04 * u[0] - 3e7 * u[1] ** 2 - 1e4 * u[1] * u[2],
                     u[0] + u[1] + u[2] - 1.0])


def relerr(u, ref):
    return float(np.max(np.abs(u - ref) / np.abs(ref)))


U0 = np.array([1.0, 0.0, 0.0])


@pytest.mark.parametrize("rtol,bound", [(1e-6, 1e-5), (1e-9, 1e-8)])
def test_rober_t40_against_hairer_wanner(rtol, bound):
    s = solve(ODEProblem(rober, U0, (0.0, 40.0)), FBDF(), rtol=rtol, atol=rtol * 1e-6)
    assert s.retcode == solvers.ReturnCode.Success
    assert relerr(s.u[-1], HW40) < bound
    # the iteration matrix is reused: far fewer Jacobians and factorisations than steps
    assert s.stats.njac < s.stats.naccept / 3 and s.stats.nfactor < s.stats.naccept / 2


def test_rober_t1e5_against_tight_independent_radau():
    ref = scipy.integrate.solve_ivp(lambda t, y: rober(y, None, t), (0, 1e5), U0, method="Radau",
                                    rtol=1e-12, atol=1e-16).y[:, -1]
    s = solve(ODEProblem(rober, U0, (0.0, 1e5)), FBDF(), rtol=1e-8, atol=1e-14)
    assert relerr(s.u[-1], ref) < 1e-6


def test_error_is_proportional_to_the_tolerance():
    # a smooth stiff-ish linear problem with exact solution; variable-order BDF is tolerance
    # proportional: log(err) vs log(rtol) has slope about 1 (measured ~0.9-1.1)
    A = np.array([[-2.0, 1.0], [1.0, -20.0]])
    lam, V = np.linalg.eigh(A)
    u0 = np.array([1.0, 1.0])
    exact = V @ (np.exp(lam * 3.0) * np.linalg.solve(V, u0))
    tols = [1e-5, 1e-7, 1e-9, 1e-11]
    errs = [np.max(np.abs(solve(ODEProblem(lambda u, p, t: A @ u, u0, (0.0, 3.0)), FBDF(),
                                rtol=r, atol=r).u[-1] - exact)) for r in tols]
    slope = np.polyfit(np.log10(tols), np.log10(errs), 1)[0]
    assert 0.75 < slope < 1.3, (slope, errs)
    assert all(e < 100 * r for e, r in zip(errs, tols))


def test_order_rises_to_five_on_a_smooth_problem_and_steps_grow():
    integ = init(ODEProblem(lambda u, p, t: -u, np.array([1.0]), (0.0, 20.0)), FBDF(), rtol=1e-10, atol=1e-12)
    orders = []
    for _ in integ:
        orders.append(integ.stepper.order)
    assert max(orders) == 5
    assert abs(integ.sol.u[-1][0] - math.exp(-20.0)) < 1e-11
    # max_order caps it
    integ = init(ODEProblem(lambda u, p, t: -u, np.array([1.0]), (0.0, 5.0)), FBDF(max_order=2), rtol=1e-8)
    assert max(integ.stepper.order for _ in integ) == 2


def test_rober_dae_with_singular_mass_matrix():
    prob = ODEProblem(rober_dae, np.array([1.0, 0.0, 0.3]), (0.0, 40.0), mass_matrix=np.diag([1.0, 1.0, 0.0]))
    s = solve(prob, FBDF(), rtol=1e-8, atol=1e-12)
    assert relerr(s.u[-1], HW40) < 1e-6
    assert abs(s.u[-1].sum() - 1.0) < 1e-12  # the algebraic equation holds (start made consistent)


def test_dual_parameter_sensitivity_matches_central_differences():
    def final(k3):
        return solve(ODEProblem(rober, U0, (0.0, 1.0), (0.04, 3e7, k3)), FBDF(), rtol=1e-10, atol=1e-14).u[-1]

    d = nm.derivative(lambda k: final(k)[0], 1e4)
    e = 1e-4
    fd = (final(1e4 * (1 + e))[0] - final(1e4 * (1 - e))[0]) / (2e4 * e)
    assert abs(d - fd) < 1e-3 * abs(fd)
    # the tolerance-independent part: the derivative of the solver's own map agrees with FD of that map
    assert np.sign(d) == np.sign(fd) and d != 0


def test_dense_output_from_the_interpolating_polynomial():
    lam = -3.0
    s = solve(ODEProblem(lambda u, p, t: lam * u, np.array([1.0]), (0.0, 2.0)), FBDF(), rtol=1e-9, atol=1e-12,
              dense=True)
    ts = np.linspace(0.013, 1.99, 37)
    err = max(abs(s(t)[0] - math.exp(lam * t)) for t in ts)
    assert err < 1e-7


def test_mpf_state_beyond_double_precision():
    with mpmath.workdps(30):
        f = lambda u, p, t: np.array([-u[0] + mpmath.sin(t)], dtype=object)  # noqa: E731
        u0 = np.array([mpmath.mpf(1)], dtype=object)
        s = solve(ODEProblem(f, u0, (mpmath.mpf(0), mpmath.mpf(1))), FBDF(), rtol=mpmath.mpf("1e-19"),
                  atol=mpmath.mpf("1e-21"))
        t = mpmath.mpf(1)
        exact = mpmath.mpf(3) / 2 * mpmath.exp(-t) + (mpmath.sin(t) - mpmath.cos(t)) / 2
        assert isinstance(s.u[-1][0], mpmath.mpf)
        # below what float64 can represent (eps * 0.70 = 1.6e-16); measured 1.3e-17
        assert abs(s.u[-1][0] - exact) < mpmath.mpf("5e-17")


def test_measurement_array_state_propagates_linearly():
    u0 = nm.measurements(np.array([1.0, 2.0]), np.array([0.01, 0.02]))
    s = solve(ODEProblem(lambda u, p, t: -np.array([1.0, 30.0]) * u, u0, (0.0, 1.0)), FBDF(), rtol=1e-9, atol=1e-12)
    # the fast mode ends at 1.9e-13, below atol = 1e-12: its value (and so its uncertainty) is only
    # good to atol (times sigma / u0 = 0.01 for the uncertainty)
    np.testing.assert_allclose(nm.uncertainty(s.u[-1]), [0.01 * math.exp(-1), 0.02 * math.exp(-30)], rtol=1e-5,
                               atol=0.01 * 1e-12)
    # the numerical map u0 -> u(1) is linear (the steps follow the values alone), so the propagated
    # uncertainty is sigma_i / u0_i times the computed value, to rounding
    np.testing.assert_allclose(nm.uncertainty(s.u[-1]) / nm.value(s.u[-1]), [0.01, 0.01], rtol=1e-9)


def test_reinit_restarts_the_history():
    integ = init(ODEProblem(lambda u, p, t: -u, np.array([1.0]), (0.0, 2.0)), FBDF(), rtol=1e-9, atol=1e-12)
    while nm.value(integ.t) < 1.0:
        integ.step()
    t1 = integ.t
    integ.reinit(np.array([5.0]))
    assert integ.stepper.order == 1 and integ.stepper.D is None
    sol = integ.solve()
    assert abs(sol.u[-1][0] - 5.0 * math.exp(-(2.0 - t1))) < 1e-7


def test_bad_input_is_refused_clearly():
    with pytest.raises(ValueError, match="max_order"):
        FBDF(max_order=7)
    with pytest.raises(TypeError, match="array state"):
        solve(ODEProblem(lambda u, p, t: -u, 1.0, (0.0, 1.0)), FBDF())


@pytest.mark.parametrize("name,tol,bound", [("FBDF", 1e-8, 1e-5), ("RadauIIA5", 1e-8, 1e-7)])
def test_hires_and_van_der_pol_against_the_test_set(name, tol, bound):
    from tests.test_stiff import HIRES_REF, VDP_REF, hires, vdp_scaled

    alg = getattr(solvers, name)()
    y0 = np.array([1.0, 0, 0, 0, 0, 0, 0, 0.0057])
    s = solve(ODEProblem(hires, y0, (0.0, 321.8122)), alg, rtol=tol, atol=tol * 1e-2)
    assert relerr(s.u[-1], HIRES_REF) < bound
    s = solve(ODEProblem(vdp_scaled, np.array([2.0, 0.0]), (0.0, 2.0)), alg, rtol=tol, atol=tol)
    assert np.max(np.abs(s.u[-1] - VDP_REF)) < 10 * bound


@pytest.mark.parametrize("k", [1, 2, 3, 4, 5])
def test_order_of_convergence_of_each_fixed_maximum_order(k):
    # adaptive steps with error-per-step control: the global error falls as N^-k in the number of
    # steps N for order k (measured slopes on [0, 10], rtol 1e-3..1e-5 for k = 1, 1e-4..1e-8 for
    # k = 2, 1e-5..1e-10 above: 1.02, 2.09, 3.12, 4.69, 5.52; above k for k >= 4 because the
    # startup runs at the lower orders, a larger share of the steps at loose tolerances)
    def prothero(u, p, t):
        return np.array([-5.0 * (u[0] - np.sin(t)) + np.cos(t), -u[1] + u[0] * u[0] - np.sin(t) ** 2])

    errs, steps = [], []
    for tol in {1: np.logspace(-3, -5, 3), 2: np.logspace(-4, -8, 5)}.get(k, np.logspace(-5, -10, 6)):
        s = solve(ODEProblem(prothero, np.array([0.0, 0.0]), (0.0, 10.0)), FBDF(max_order=k), rtol=tol, atol=tol,
                  save_everystep=False)
        assert s.retcode == ReturnCode.Success
        errs.append(np.max(np.abs(s.u[-1] - [math.sin(10.0), 0.0])))
        steps.append(s.stats.naccept)
    slope = -np.polyfit(np.log(steps), np.log(errs), 1)[0]
    assert k - 0.3 < slope < k + 1.2, (k, slope, steps, errs)
