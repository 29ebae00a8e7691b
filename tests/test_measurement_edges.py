"""Measurement edge cases of issue 10, each checked against an independent reference.

References: the matrix exponential (exact linear propagation of a linear ODE),
closed forms, the documented behaviour of the ``uncertainties`` package and
Measurements.jl (abs at 0, parsing), and pickling across spawned processes.
"""

from __future__ import annotations

import copy
import math
import multiprocessing as mp
import pickle

import numpy as np
import pytest
import scipy.linalg as sl
from hypothesis import given, settings
from hypothesis import strategies as st

import numeric as nm
from solvers import ODEProblem, Tsit5, solve

M = nm.Measurement


# -- 1. step control includes the uncertainty components ------------------------------------
def _diffusion(n):
    h = 1.0 / (n + 1)
    x = np.linspace(h, 1 - h, n)
    L = (np.diag(-2 * np.ones(n)) + np.diag(np.ones(n - 1), 1)
         + np.diag(np.ones(n - 1), -1)) / h**2

    def f(u, p, t):                 # u' = p u_xx, Dirichlet 0 at both ends
        pad = np.concatenate([u[:1] * 0, u, u[:1] * 0])
        return p * (pad[2:] - 2 * pad[1:-1] + pad[:-2]) / h**2

    return x, L, f


def _diffusion_check(n, T, rtol):
    """An uncertain initial condition (independent ± 0.01 per cell): the values stay smooth
    while the components start as grid-scale spikes, so a values-only step control lets the
    components go unstable. Truth: u(T) = expm(T L) u0, so cov = 0.01**2 E E^T."""
    x, L, f = _diffusion(n)
    u0 = nm.measurements(np.sin(np.pi * x), 0.01)
    sol = solve(ODEProblem(f, u0, (0.0, T), 1.0), Tsit5(), rtol=rtol, atol=1e-6,
                save_everystep=False)
    E = sl.expm(T * L)
    truth = 0.01 * np.sqrt((E**2).sum(axis=1))
    assert sol.retcode == "Success" or str(sol.retcode).endswith("Success")
    np.testing.assert_allclose(nm.value(sol.u[-1]), E @ np.sin(np.pi * x), rtol=2e-2, atol=1e-4)
    np.testing.assert_allclose(nm.uncertainty(sol.u[-1]), truth, rtol=3e-2)


def test_diffusion_uncertainty_is_controlled_small_grid():
    _diffusion_check(40, 0.05, 1e-3)        # before the fix: errors of order 1e2 and more


@pytest.mark.slow
def test_diffusion_uncertainty_is_controlled_200_cells():
    _diffusion_check(200, 0.05, 1e-3)       # before the fix: ±1e10 against a truth of ±6e-4


def test_diffusion_uncertain_coefficient_matches_linear_propagation():
    x, L, f = _diffusion(30)
    T, D, sD = 0.2, 0.1, 0.01
    u0 = np.sin(np.pi * x) + 0.5 * np.sin(3 * np.pi * x)
    sol = solve(ODEProblem(f, u0, (0.0, T), M(D, sD)), Tsit5(), rtol=1e-8, atol=1e-10,
                save_everystep=False)
    E = sl.expm(T * D * L)
    dudD = T * L @ E @ u0                           # d/dD expm(T D L) u0
    np.testing.assert_allclose(nm.uncertainty(sol.u[-1]), np.abs(dudD) * sD, rtol=1e-5)


def test_norm_includes_components_like_dual_partials():
    x = M(-3.0, 0.5)
    assert nm.norm(x) == pytest.approx(math.hypot(3.0, 0.5), rel=1e-15)
    a = nm.measurements([3.0, 4.0], [1.0, 2.0])
    d = nm.DualArray(np.array([3.0, 4.0]), np.array([[1.0, 0.0], [0.0, 2.0]]))
    # both count every component's square; a measurement divides by its n elements (one
    # uncertainty each), a dual by its n (1 + k) values and partials (DiffEqBase's totallength)
    assert nm.norm(a) == pytest.approx(math.sqrt((9 + 1 + 16 + 4) / 2), rel=1e-15)
    assert nm.norm(a * 1.0) == pytest.approx(math.sqrt((9 + 1 + 16 + 4) / 2), rel=1e-15)
    assert nm.norm(d) == pytest.approx(math.sqrt((9 + 1 + 16 + 4) / 6), rel=1e-15)


# -- 2. correlated_values across wide scales ----------------------------------------------------
@pytest.mark.parametrize("variances", [(1e-70, 1e-70, 1e10), (1e-300, 1.0, 1e300),
                                       (4.0, 1e-20, 9e20)])
def test_correlated_values_recovers_wide_scale_variances(variances):
    C = np.diag(variances)
    x = nm.correlated_values(np.zeros(3), C)
    np.testing.assert_allclose(np.diag(nm.cov(x)), variances, rtol=1e-12)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.floats(-60, 60), min_size=2, max_size=5), st.integers(0, 2**32 - 1))
def test_correlated_values_scaled_correlated_matrix(log_s, seed):
    s = 10.0 ** np.array(log_s)
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((len(s), len(s) + 1))
    R = A @ A.T
    d = np.sqrt(np.diag(R))
    R = R / np.outer(d, d)
    C = R * np.outer(s, s)
    x = nm.correlated_values(np.zeros(len(s)), C)
    got = nm.cov(x)
    np.testing.assert_allclose(np.diag(got), np.diag(C), rtol=1e-12)
    np.testing.assert_allclose(got / np.outer(s, s), R, atol=1e-12)


def test_correlated_values_semidefinite_and_zero_variance():
    v = np.array([1.0, 2.0, 0.0])
    C = np.outer(v, v) * 1e-40                       # rank 1, one exact variable
    x = nm.correlated_values([0.0, 0.0, 5.0], C)
    assert x.jacobian.shape[-1] == 1
    np.testing.assert_allclose(nm.cov(x), C, rtol=1e-12, atol=0)
    assert nm.uncertainty(x[2]) == 0
    with pytest.raises(ValueError, match="semi-definite"):
        nm.correlated_values([0.0, 0.0], [[1.0, 2.0], [2.0, 1.0]])
    with pytest.raises(ValueError, match="semi-definite"):
        nm.correlated_values([0.0, 0.0], [[0.0, 1.0], [1.0, 1.0]])


# -- 3. abs at 0 keeps the spread (uncertainties and Measurements.jl) -----------------------------
def test_abs_of_zero_keeps_the_uncertainty():
    for y in (abs(M(0.0, 0.1)), nm.abs(M(0.0, 0.1)), np.abs(M(0.0, 0.1))):
        assert (y.val, y.err) == (0.0, pytest.approx(0.1, rel=1e-15))
    a = np.abs(nm.measurements([0.0, -2.0, 3.0], 0.1))
    np.testing.assert_allclose(nm.uncertainty(a), 0.1, rtol=1e-15)
    x = M(0.0, 0.1)
    assert abs(x).derivative(x) == 1.0               # copysign(1, +0.0)
    assert abs(-x).derivative(x) == 1.0              # -x has value -0.0: d|.|/d(-x) = -1
    # forward-mode AD keeps the table's convention abs'(0) = 0
    assert nm.derivative(abs, 0.0) == 0.0


# -- 4. formatting and parsing ------------------------------------------------------------------
def test_paren_form_with_a_common_exponent():
    x = M(1234567.89, 0.1)
    assert format(x, "S") == "1.23456789(10)e+06"
    assert format(M(6.02214e23, 0.011e23), "S") == "6.022(11)e+23"


@pytest.mark.parametrize("text", ["(2±1", "2±1)e2", "((2 ± 1)", "2 ± 1)"])
def test_parser_rejects_unbalanced_parentheses(text):
    with pytest.raises(ValueError, match="cannot read a measurement"):
        M(text)


@pytest.mark.parametrize("text, val, err", [("1 ± 1e-4", 1.0, 1e-4), ("1e3 +/- 2e1", 1e3, 20.0),
                                            ("(2 ± 1)e2", 200.0, 100.0),
                                            ("1.2345(67)e-3", 1.2345e-3, 6.7e-6)])
def test_parser_accepts_exponents(text, val, err):
    m = M(text)
    assert m.val == val and m.err == pytest.approx(err, rel=1e-15)


@settings(max_examples=200, deadline=None)
@given(st.floats(-1e12, 1e12), st.floats(1e-8, 1e8), st.sampled_from(["", "S", ".1", ".3S"]))
def test_format_then_parse_round_trips_to_the_printed_digits(v, e, spec):
    text = format(M(v, e), spec)
    back = M(text.replace(" ", "") if "S" in spec else text)
    digits = int(spec[1]) if spec.startswith(".") else 2
    unit = 10.0 ** (math.floor(math.log10(back.err) + 1e-12) - (digits - 1))
    assert abs(back.err - e) <= 0.5 * unit * (1 + 1e-9) + 1e-15 * e
    assert abs(back.val - v) <= 0.5 * unit * (1 + 1e-9) + 4e-16 * abs(v)
    assert format(back, spec) == text


# -- 5. pickling, copying, processes ------------------------------------------------------------
def test_pickle_and_copy_keep_the_identity():
    x = M(1.0, 0.1)
    y = x * M(2.0, 0.2)
    for z in (pickle.loads(pickle.dumps(x)), copy.copy(x), copy.deepcopy(x)):
        d = x - z
        assert d.val == 0 and d.err == 0
    yb = pickle.loads(pickle.dumps(y))
    assert (y - yb).err == 0 and yb.err == pytest.approx(y.err, rel=1e-15)
    a = nm.measurements([1.0, 2.0], [0.1, 0.2]) * x
    b = pickle.loads(pickle.dumps(a))
    np.testing.assert_array_equal(nm.uncertainty(a - b), 0.0)


def _fresh_sources(_):
    import numeric as nm2

    return [nm2.Measurement(1.0, 0.1) for _ in range(3)] + [nm2.measurements([1.0, 2.0], 0.1)]


def test_sources_from_two_spawned_processes_do_not_collide():
    with mp.get_context("spawn").Pool(2) as pool:
        a, b = pool.map(_fresh_sources, [0, 1])
    local = M(1.0, 0.1)
    for p, q in [(a[0], b[0]), (a[1], b[1]), (a[0], local), (b[2], local)]:
        assert (p - q).err == pytest.approx(math.sqrt(0.02), rel=1e-14)   # independent
    assert a[0].source != b[0].source
    assert not set(a[3].sources.tolist()) & set(b[3].sources.tolist())


def _decay(u, p, t):
    return -p * u


class _SeedlessODE:
    """An ODE problem for the ensemble runner, which passes a per-trajectory seed that
    ODE solves do not take (reported separately); the Measurement is in ``prob.p``."""

    def __init__(self, prob):
        self.prob = prob

    def _solve(self, alg, seed=None, **options):
        return solve(self.prob, alg, **options)


def test_processes_ensemble_with_a_measurement_parameter():
    from solvers.ensemble import EnsembleProblem, solve_ensemble   # noqa: PLC0415

    k = M(1.0, 0.1)
    prob = ODEProblem(_decay, 1.0, (0.0, 1.0), k)
    ens = solve_ensemble(EnsembleProblem(_SeedlessODE(prob)), Tsit5(), trajectories=2, backend="processes", workers=2,
                         rtol=1e-9, atol=1e-12, save_everystep=False)
    for sol in ens:
        u = sol.u[-1]
        assert u.val == pytest.approx(math.exp(-1.0), rel=1e-8)
        assert u.derivative(k) == pytest.approx(-math.exp(-1.0), rel=1e-6)  # d/dk e^{-k}
        assert (u - (-nm.value(u)) * (k - 1.0) - nm.value(u)).err == pytest.approx(0, abs=1e-7)


# -- 6. singular derivative times a zero linear part ----------------------------------------------
def test_sqrt_of_an_exact_zero_measurement():
    x = M(2.0, 0.1)
    for z in (nm.sqrt(x - x), (x - x).sqrt(), np.sqrt(x - x), (x - x) ** 0.5):
        assert z.val == 0 and z.err == 0
    a = nm.measurements([1.0, 2.0], 0.1)
    with np.errstate(divide="ignore"):
        r = nm.sqrt(a - a)
    np.testing.assert_array_equal(nm.uncertainty(r), 0.0)
    assert (nm.sqrt(x) - x ** 0.5).err == pytest.approx(0, abs=1e-15)   # rules agree


def test_derivatives_at_a_measurement_array_are_taken_at_the_uncertain_point():
    # regression: nm.jacobian once treated a MeasurementArray input as one scalar and returned the
    # directional derivative -0.7 (found by tests/test_solver_generic.py through the stiff methods);
    # stop 26 refused it; now, as nm.derivative at a Measurement, the derivative is evaluated at the
    # uncertain point and carries its uncertainty to first order (closed forms below)
    import numeric as nm

    v, s = np.array([1.3, 2.6]), np.array([0.01, 0.02])
    u = nm.measurements(v, s)
    J = nm.jacobian(lambda x: -0.7 * x, u)                       # linear: exact, no uncertainty
    np.testing.assert_array_equal(np.asarray(nm.value(J)), -0.7 * np.eye(2))
    np.testing.assert_array_equal(np.asarray(nm.uncertainty(J)), np.zeros((2, 2)))
    g = nm.gradient(lambda x: np.sum(x ** 3) / 3, u)              # x**2: 2 v s
    np.testing.assert_allclose(nm.value(g), v ** 2, rtol=1e-15)
    np.testing.assert_allclose(nm.uncertainty(g), 2 * v * s, rtol=1e-14)
    H = nm.hessian(lambda x: np.sum(x ** 3), u)                   # diag(6 x): 6 s
    np.testing.assert_allclose(np.diag(nm.value(H)), 6 * v, rtol=1e-15)
    np.testing.assert_allclose(np.diag(nm.uncertainty(H)), 6 * s, rtol=1e-14)
    assert nm.cov([g[0], g[1]])[0][1] == 0.0                     # independent sources stay independent