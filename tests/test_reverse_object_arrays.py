"""Reverse mode through object arrays of tracked numbers (issue 10).

An event's dense-output interpolation multiplies the stage values (an object
array of ``Tracked`` numbers when the state came from scalars) by a tracked
scalar weight; that product had no rule, so reverse mode through a
``ContinuousCallback`` failed (the trebuchet case worked around it with forward
mode inside ``nm.custom_vjp``).  Object arrays now follow NumPy's object
semantics: the ufunc on each element, each differentiated by its scalar rule.
"""

import numpy as np
import pytest

import numeric as nm
from solvers import ContinuousCallback, ODEProblem, Tsit5, solve

GROUND = ContinuousCallback(lambda u, t, integ: u[0], lambda integ: integ.terminate(),
                            direction="down")


def _fall(u, g, t):
    return np.array([u[1], -g + 0.0 * u[0]])


def landing_time(z):
    """Time a ball dropped from height z[0] under gravity z[1] hits the ground (an event)."""
    h, g = z[0], z[1]
    u0 = np.array([h, 0.0 * h])            # an object array of tracked numbers in reverse mode
    sol = solve(ODEProblem(_fall, u0, (0.0, 10.0), g), Tsit5(), callback=GROUND,
                rtol=1e-11, atol=1e-11)
    assert sol.retcode.value == "Terminated", sol.message
    return sol.t[-1]


def _exact(z):
    return np.sqrt(2.0 * z[0] / z[1])


@pytest.mark.parametrize("mode", ["reverse", "forward"])
@pytest.mark.parametrize("z", [(2.0, 9.81), (0.3, 1.62), (45.0, 24.79)])
def test_gradient_of_an_event_time_against_the_exact_solution(mode, z):
    z = np.array(z)
    t, g = nm.value_and_grad(landing_time, mode=mode)(z)
    assert abs(t - _exact(z)) < 1e-9 * _exact(z)
    # central differences of the exact t* = sqrt(2 h / g), and its closed-form gradient
    h = 1e-6 * z
    fd = np.array([(_exact(z + e) - _exact(z - e)) / (2 * e[i]) for i, e in enumerate(np.diag(h))])
    closed = _exact(z) * np.array([0.5 / z[0], -0.5 / z[1]])
    assert np.allclose(fd, closed, rtol=1e-8)
    assert np.allclose(g, closed, rtol=1e-7), (g, closed)


def test_reverse_and_forward_agree_through_the_event():
    z = np.array([2.0, 9.81])
    gr = nm.grad(landing_time, mode="reverse")(z)
    gf = nm.grad(landing_time, mode="forward")(z)
    # not to rounding: forward mode's step-size norm includes the partials (Dual's norm),
    # so its steps differ from the reverse (value-only) run; both are within tolerance
    assert np.allclose(gr, gf, rtol=1e-8, atol=0)


def _mixed(x):
    a = np.array([x[0], x[1] * x[0], 2.0], dtype=object)     # tracked and constant elements
    terms = [a * x[1], x[2] / a, a * x, x - a, (a * a + 1) ** x[1], np.multiply(x[0], a), -a, abs(a)]
    return sum(np.sum(t) for t in terms)


@pytest.mark.parametrize("x", [[0.7, 1.3, 0.4], [-1.1, 0.2, 2.5], [3.0, -0.6, -0.9]])
def test_object_array_with_tracked_scalars_and_arrays(x):
    x = np.array(x)
    gr = nm.grad(_mixed, mode="reverse")(x)
    gf = nm.grad(_mixed, mode="forward")(x)
    h = 1e-6
    fd = np.array([(_mixed(x + h * e) - _mixed(x - h * e)) / (2 * h) for e in np.eye(3)])
    assert np.allclose(gr, gf, rtol=1e-13, atol=1e-13)
    assert np.allclose(gr, fd, rtol=1e-7, atol=1e-7), (gr, fd)


def test_object_array_result_keeps_numpy_semantics():
    def f(x):
        a = np.array([x[0], x[1]], dtype=object)
        out = a * x[0]
        assert isinstance(out, np.ndarray) and out.dtype == object and out.shape == (2,)
        return out[0] + 3 * out[1]
    x = np.array([1.5, -2.0])
    assert np.allclose(nm.grad(f, mode="reverse")(x), [2 * x[0] + 3 * x[1], 3 * x[0]], rtol=1e-15)
