"""Funs whose coefficients are a MeasurementArray: the uncertainty of a spectral solution (issue 10).

A Fun takes coefficients of any "value + linear part" array number through the protocol
(``numeric.protocol.linear_parts``). The reference for every uncertainty is linear
propagation with the derivative from the DualArray-coefficient version of the same
computation: ``u(g(p)) = |dg/dp| * sigma_p``, and for two results from the same parameter
``cov(g, h) = g'(p) h'(p) sigma_p^2``. PDE cases are checked against exact solutions.
"""

import numpy as np
import pytest

import numeric as nm
from numeric.fun import Chebyshev, Fourier, Fun, dirichlet_projection
from solvers import ODEProblem, ReturnCode, Tsit5, solve

P0, SIG = 0.7, 0.05
S01 = Chebyshev(0, 1)


def family(p):
    return Fun(lambda x: np.exp(p * x) * np.sin(3 * x), S01)


FUNCTIONALS = {
    "eval": lambda f: f(0.3),
    "sum": lambda f: f.sum(),
    "mean": lambda f: f.mean(),
    "max": lambda f: f.max(),
    "diff": lambda f: f.diff()(0.5),
    "diff2": lambda f: f.diff(2)(0.2),
    "cumsum": lambda f: f.cumsum()(0.8),
    "product": lambda f: (f * f).sum(),
    "inner": lambda f: f.inner(f),
    "exp": lambda f: nm.exp(f)(0.9),
    "quotient": lambda f: (f / (2 + f))(0.6),
    "linear": lambda f: (3 * f - f.diff() + 1.5)(0.4),
    "restrict": lambda f: f.restrict(0.25, 0.75).sum(),
}


def _dual_value_and_derivative(functional):
    d = functional(family(nm.Dual(P0, 1.0)))
    return float(nm.value(d)), float(np.asarray(d.partials).reshape(-1)[0])


@pytest.mark.parametrize("name", sorted(FUNCTIONALS))
def test_uncertainty_is_linear_propagation_of_the_dual_derivative(name):
    functional = FUNCTIONALS[name]
    m = functional(family(nm.Measurement(P0, SIG)))
    assert isinstance(m, nm.Measurement), type(m)
    v, d = _dual_value_and_derivative(functional)
    assert float(nm.value(m)) == pytest.approx(v, rel=1e-12, abs=1e-14)
    assert float(nm.uncertainty(m)) == pytest.approx(abs(d) * SIG, rel=1e-9)
    # and the dual derivative itself is right (central differences on plain floats)
    h = 1e-6
    fd = (float(functional(family(P0 + h))) - float(functional(family(P0 - h)))) / (2 * h)
    assert d == pytest.approx(fd, rel=1e-6, abs=1e-9)


def test_two_results_from_the_same_parameter_are_correlated():
    f = family(nm.Measurement(P0, SIG))
    a, b = f.sum(), f.diff()(0.5)
    (_, da), (_, db) = (_dual_value_and_derivative(FUNCTIONALS[k]) for k in ("sum", "diff"))
    C = nm.cov([a, b])
    np.testing.assert_allclose(C, SIG**2 * np.outer([da, db], [da, db]), rtol=1e-9)
    assert np.sign(C[0, 1]) == np.sign(da * db) != 0
    # a result minus its own linearisation is exact: the correlation is not lost
    assert float(nm.uncertainty(a - a)) == 0.0


def test_chopping_looks_at_the_uncertainty_part():
    # the value (1) needs one coefficient, the uncertainty part exp(sin 5x) many: the Fun
    # must be as long as the dual version, whose chopping includes the partials
    g = lambda x: np.exp(np.sin(5 * x))  # noqa: E731
    fm = Fun(lambda x: 1 + nm.Measurement(0.0, 1.0) * g(x), S01)
    fd = Fun(lambda x: 1 + nm.Dual(0.0, 1.0) * g(x), S01)
    assert len(fm) == len(fd) > 20
    x = np.linspace(0, 1, 57)
    um = fm(x)
    np.testing.assert_allclose(nm.value(um), 1.0, atol=1e-14)
    np.testing.assert_allclose(nm.uncertainty(um), g(x), rtol=1e-13)


def test_root_uncertainty_by_the_implicit_function_theorem():
    # cos(p x) = 0 at x = pi / (2 p): u(x) = pi / (2 p^2) * sigma
    p = nm.Measurement(1.0, 0.01)
    r = Fun(lambda x: np.cos(p * x), Chebyshev(0, 3)).roots()
    assert len(r) == 1
    assert float(nm.value(r[0])) == pytest.approx(np.pi / 2, rel=1e-14)
    assert float(nm.uncertainty(r[0])) == pytest.approx(np.pi / 2 * 0.01, rel=1e-10)


def test_coefficients_given_as_a_measurement_array():
    c = nm.measurements([1.0, 2.0], [0.1, 0.2])
    f = Fun(c, Chebyshev(-1, 1))            # 1 + 2 x
    assert "MeasurementArray" in repr(f)
    y = f(1.0)
    assert float(nm.value(y)) == 3.0
    assert float(nm.uncertainty(y)) == pytest.approx(np.hypot(0.1, 0.2), rel=1e-15)
    assert float(nm.uncertainty(f(0.0))) == pytest.approx(0.1, rel=1e-15)


def test_heat_equation_with_an_uncertain_diffusivity():
    # u_t = a u_xx, u0 = cos x on a period: u(x, T) = exp(-a T) cos x
    T, a0, sa = 0.3, 0.8, 0.01
    sol = solve(ODEProblem(lambda u, p, t: p * u.diff(2), Fun(np.cos, Fourier(0, 2 * np.pi)),
                           (0.0, T), nm.Measurement(a0, sa)), Tsit5(), rtol=1e-10, atol=1e-12)
    assert sol.retcode == ReturnCode.Success
    uT = sol.u[-1]
    v, w = uT(0.0), uT(1.0)
    amp, damp = np.exp(-a0 * T), T * np.exp(-a0 * T) * sa
    assert float(nm.value(v)) == pytest.approx(amp, rel=1e-9)
    assert float(nm.uncertainty(v)) == pytest.approx(damp, rel=1e-7)
    # both values come from the one parameter: covariance damp^2 cos(1), correlation 1
    assert nm.cov([v, w])[0, 1] == pytest.approx(damp**2 * np.cos(1.0), rel=1e-6)


def test_dirichlet_heat_equation_with_uncertain_initial_data():
    # u0 = sin(pi (x+1)) + b sin(pi (x+1) / 2): each mode decays exactly; u(0, T) has
    # uncertainty sigma_b * exp(-pi^2 T / 4)
    S, T = Chebyshev(-1, 1), 0.1
    b = nm.Measurement(0.5, 0.02)
    u0 = Fun(lambda x: np.sin(np.pi * (x + 1)) + b * np.sin(np.pi * (x + 1) / 2), S)
    sol = solve(ODEProblem(lambda u, p, t: dirichlet_projection(u.diff(2), len(u)), u0,
                           (0.0, T)), Tsit5(), rtol=1e-8, atol=1e-10)
    assert sol.retcode == ReturnCode.Success
    y = sol.u[-1](0.0)
    assert float(nm.value(y)) == pytest.approx(0.5 * np.exp(-np.pi**2 * T / 4), rel=1e-6)
    assert float(nm.uncertainty(y)) == pytest.approx(0.02 * np.exp(-np.pi**2 * T / 4), rel=1e-6)


def test_a_measurement_added_to_its_own_fun_stays_correlated():
    # (f + p)(x) with f = exp(p x): d/dp = x exp(p x) + 1, one source, so the parts add
    p = nm.Measurement(P0, SIG)
    y = (Fun(lambda x: np.exp(p * x), S01) + p)(0.4)
    assert float(nm.value(y)) == pytest.approx(np.exp(P0 * 0.4) + P0, rel=1e-14)
    assert float(nm.uncertainty(y)) == pytest.approx((0.4 * np.exp(P0 * 0.4) + 1) * SIG, rel=1e-12)


def test_object_array_of_measurements_is_refused_with_a_clear_error():
    # a Dual of a Measurement times a float array is an object array of Measurements, which
    # is not a coefficient type: a TypeError naming the array types, not an mpmath error
    p = nm.Measurement(P0, SIG)
    with pytest.raises(TypeError, match="MeasurementArray"):
        nm.derivative(lambda a: Fun(lambda x: np.exp(a * p * x), S01).sum(), 1.0)
