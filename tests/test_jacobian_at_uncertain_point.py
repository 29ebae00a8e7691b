"""Derivatives at a MeasurementArray: evaluated at the uncertain point, carrying its uncertainty.

``nm.jacobian`` / ``gradient`` / ``hessian`` at a measurement array give the derivative at the
value with its first-order uncertainty, as ``nm.derivative`` at a ``Measurement`` does (one
mechanism: the components ride as an outer dual's directions). The stiff Rodas methods take their
Jacobian this way at any size (stop 26 did it per element up to 64 states and at the primal above,
where the error norm answered with 10-300x the steps).

References: closed forms (a Jacobian whose entries are linear in the point carries exactly those
linear functions' covariance), the per-element computation over an object array of the scalar
measurements (a different mechanism), and finite-difference propagation of a solve.
"""

import numpy as np
import pytest

import numeric as nm
from solvers import ODEProblem, Rodas4, Rodas5P, solve


def _entries(J):
    return [J[i, j] for i in range(J.shape[0]) for j in range(J.shape[1])]


def test_a_jacobian_linear_in_the_point_carries_exactly_their_covariance():
    # f(y) = [y0 y1, y0^2 / 2, 3 y1]: J = [[y1, y0], [y0, 0], [0, 3]], entries linear in y
    a, b = nm.Measurement(1.2, 0.1), nm.Measurement(-0.7, 0.2)
    y = nm.measurements(np.array([1.0, 2.0]), np.array([0.05, 0.0])) + np.stack([a, a + b])
    J = nm.jacobian(lambda x: np.stack([x[0] * x[1], x[0] ** 2 / 2, 3.0 * x[1]]), y)
    ref = [y[1], y[0], y[0], 0.0 * y[0], 0.0 * y[0], 3.0 + 0.0 * y[0]]
    np.testing.assert_allclose(np.asarray(nm.value(J)).ravel(), [nm.value(r) for r in ref], rtol=1e-15)
    np.testing.assert_allclose(np.asarray(nm.cov(_entries(J)), float), np.asarray(nm.cov(ref), float),
                               rtol=1e-14, atol=1e-18)


P = nm.Measurement(10.0, 0.1)
FORMS = {
    "vectorised, closing over a measurement": lambda y: -P * y ** 3 + np.roll(y, 1) * y,
    "vectorised": lambda y: -1.5 * y ** 3 + np.roll(y, 1) * np.sin(y),
    "stacked scalars, closing over a measurement": lambda y: np.stack([y[1], P * ((1 - y[0] ** 2) * y[1]) - y[0],
                                                                       y[2] * y[0]]),
    "stacked scalars": lambda y: np.stack([y[1], np.exp(y[0]) * y[2], -y[2] ** 2]),
}


@pytest.mark.parametrize("name", sorted(FORMS))
def test_the_jacobian_equals_the_per_element_computation_with_all_correlations(name):
    f = FORMS[name]
    u = nm.measurements(np.array([2.0, 0.5, -1.0]), np.array([0.1, 0.2, 0.3])) + P * 0.01
    J = nm.jacobian(f, u)
    elements = np.empty(3, dtype=object)
    elements[:] = list(u)
    R = nm.jacobian(f, elements)                   # an object array of Measurement scalars
    assert type(J).__name__ == "MeasurementArray"
    np.testing.assert_allclose(np.asarray(nm.value(J), float), np.asarray(nm.value(R), float), rtol=1e-15)
    np.testing.assert_allclose(np.asarray(nm.cov(_entries(J)), float), np.asarray(nm.cov(list(R.ravel())), float),
                               rtol=1e-12, atol=1e-16)


def test_no_sources_yet_gives_the_derivative_at_the_value():
    u = nm.measurements(np.array([1.0, 2.0]), np.array([0.0, 0.0])) * 1.0
    J = nm.jacobian(lambda x: x ** 2, u)
    np.testing.assert_array_equal(np.asarray(nm.value(J)), np.diag([2.0, 4.0]))
    np.testing.assert_array_equal(np.asarray(nm.uncertainty(J)), np.zeros((2, 2)))


N = 70          # above stop 26's per-element limit of 64 states
X = np.linspace(0.0, 1.0, N + 2)[1:-1]
H = X[1] - X[0]


def _heat(u, D, t):
    return D * (np.roll(u, 1) - 2 * u + np.roll(u, -1)) / H ** 2 - u ** 3


@pytest.mark.parametrize("alg", [Rodas5P, Rodas4])
def test_a_large_measurement_state_through_rodas_takes_the_float_steps_and_the_right_uncertainty(alg):
    # np.roll of a measurement without sources yet failed (a reshape to (-1, 0)); past 64 states the
    # Jacobian was the primal one; the uncertainty against central finite differences in D
    u0, D, sD = np.sin(np.pi * X), 0.5, 0.01
    s = solve(ODEProblem(_heat, u0, (0.0, 0.05), nm.Measurement(D, sD)), alg(), rtol=1e-6, atol=1e-8)
    sf = solve(ODEProblem(_heat, u0, (0.0, 0.05), D), alg(), rtol=1e-6, atol=1e-8)
    assert s.retcode.name == "Success"
    assert len(s.t) <= 1.1 * len(sf.t)
    e = 1e-5
    up, um = (solve(ODEProblem(_heat, u0, (0.0, 0.05), D + d), alg(), rtol=1e-11, atol=1e-13).u[-1]
              for d in (e, -e))
    fd = np.abs(up - um) / (2 * e) * sD
    np.testing.assert_allclose(nm.uncertainty(s.u[-1]), fd, rtol=1e-5 if alg is Rodas5P else 1e-4)


def test_a_jacobian_too_large_to_carry_its_components_is_taken_at_the_primal_with_a_warning(monkeypatch):
    from solvers.ode.solution import SolverWarning
    from solvers.ode.stiff import jacobian

    monkeypatch.setattr(jacobian, "UNCERTAIN_JACOBIAN_MAX", 10)      # 70 * 70 * 1 sources > 10
    u0 = np.sin(np.pi * X)
    with pytest.warns(SolverWarning, match="taken at the primal"):
        s = solve(ODEProblem(_heat, u0, (0.0, 0.05), nm.Measurement(0.5, 0.01)), Rodas5P(), rtol=1e-6, atol=1e-8)
    assert s.retcode.name == "Success"
