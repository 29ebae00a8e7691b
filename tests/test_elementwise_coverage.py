"""Elementwise NumPy functions users call, through every type generated from numeric/rules.py.

For each function: scalar Dual (forward), DualArray (forward), scalar and array reverse mode,
Measurement and MeasurementArray (linear propagation: the error of f(x +- s) is |f'(x)| s),
all against a five-point central difference of the float function (or the documented
convention where the function is piecewise constant).
"""

import math

import numpy as np
import pytest
import scipy.special

import numeric as nm
from numeric.measurement import Measurement
from numeric.measurement.array import measurements


def central(f, x, h=1e-5):
    s = h * max(1.0, abs(x))
    return (-f(x + 2 * s) + 8 * f(x + s) - 8 * f(x - s) + f(x - 2 * s)) / (12 * s)


# name -> (function of one differentiated float, point); binary functions fix the other argument
CASES = {
    "exp2": (np.exp2, 0.7), "logaddexp-x": (lambda x: np.logaddexp(x, 0.4), 0.7),
    "logaddexp-y": (lambda y: np.logaddexp(-1.3, y), 0.2),
    "logaddexp2-x": (lambda x: np.logaddexp2(x, 3.0), -0.4),
    "logaddexp2-y": (lambda y: np.logaddexp2(2.0, y), 0.9),
    "deg2rad": (np.deg2rad, 30.0), "rad2deg": (np.rad2deg, 0.3), "radians": (np.radians, 45.0),
    "degrees": (np.degrees, 1.1),
    "mod-x": (lambda x: np.mod(x, 0.4), 0.7), "mod-y": (lambda y: np.mod(2.5, y), 0.7),
    "mod-neg-y": (lambda y: np.mod(2.5, y), -0.7), "op%-y": (lambda y: 2.5 % y, 0.7),
    "fmod-x": (lambda x: np.fmod(x, 0.4), -0.7), "fmod-y": (lambda y: np.fmod(-2.5, y), 0.7),
    "remainder-y": (lambda y: np.remainder(-2.5, y), 0.7),
    "floor_divide-x": (lambda x: np.floor_divide(x, 0.4), 0.7),
    "floor_divide-y": (lambda y: np.floor_divide(2.5, y), 0.7),
    "floor": (np.floor, 1.3), "ceil": (np.ceil, -1.3), "trunc": (np.trunc, -1.7),
    "rint": (np.rint, 2.2), "sign": (np.sign, -0.3), "fabs": (np.fabs, -0.3),
    "copysign-x": (lambda x: np.copysign(x, -2.0), 0.5),
    "copysign-x+": (lambda x: np.copysign(x, 2.0), -0.5),
    "copysign-y": (lambda y: np.copysign(0.5, y), -2.0),
    "heaviside-x": (lambda x: np.heaviside(x, 0.5), 0.3),
    "nextafter-x": (lambda x: np.nextafter(x, 2.0), 0.7),
    "float_power": (lambda x: np.float_power(x, 2.5), 1.3),
    "float_power-y": (lambda y: np.float_power(1.3, y), 2.5),
    "square": (np.square, -1.3), "reciprocal": (np.reciprocal, -1.3), "cbrt": (np.cbrt, -2.0),
    "positive": (np.positive, 0.4), "negative": (np.negative, 0.4),
    "expit (scipy ufunc)": (scipy.special.expit, -0.8), "softplus": (nm.softplus, 0.8),
    "clip": (lambda x: np.clip(x, -1.0, 1.0), 0.4), "clip-out": (lambda x: np.clip(x, -1.0, 1.0), 1.4),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_elementwise_function_in_every_type(name):
    f, x = CASES[name]
    want = central(lambda t: float(f(t)), x)
    assert nm.derivative(f, x) == pytest.approx(want, rel=1e-8, abs=1e-10)
    assert nm.derivative(f, x, mode="reverse") == pytest.approx(want, rel=1e-8, abs=1e-10)
    v = np.array([x, x])
    for mode in ("forward", "reverse"):
        J = nm.jacobian(lambda z: f(z), v, mode=mode)
        np.testing.assert_allclose(J, np.diag([want, want]), rtol=1e-8, atol=1e-10)
    m = f(Measurement(x, 0.01))
    assert m.val == pytest.approx(float(f(x)), rel=1e-15)
    assert m.err == pytest.approx(abs(want) * 0.01, rel=1e-8, abs=1e-12)
    ma = f(measurements(v, np.array([0.01, 0.02])))
    np.testing.assert_allclose([e.err for e in ma], np.abs(want) * np.array([0.01, 0.02]),
                               rtol=1e-8, atol=1e-12)


def test_mod_partial_in_the_divisor_is_minus_the_floor_quotient():
    # d(x mod y)/dy = -floor(x / y), d/dx = 1 (the jumps are not differentiated)
    for x, y in [(2.5, 0.7), (-2.5, 0.7), (2.5, -0.7), (7.0, 2.0)]:
        assert nm.derivative(lambda t: np.mod(x, t), y) == -math.floor(x / y)
        assert nm.derivative(lambda t: np.mod(t, y), x) == 1.0
        assert nm.derivative(lambda t: np.fmod(x, t), y) == -math.trunc(x / y)
        assert nm.gradient(lambda t: np.sum(t % y), np.array([x]), mode="reverse")[0] == 1.0


def test_heaviside_convention_at_zero():
    # zero derivative in x everywhere (also at 0); in h, 1 exactly where x == 0
    for mode in ("forward", "reverse"):
        assert nm.derivative(lambda x: np.heaviside(x, 0.5), 0.0, mode=mode) == 0.0
        g = nm.gradient(lambda h: np.sum(np.heaviside(np.array([-1.0, 0.0, 2.0]), h)),
                        np.array(0.5), mode=mode)
        assert float(g) == 1.0


@pytest.mark.parametrize("ufunc", [np.floor, np.ceil, np.trunc, np.rint, np.sign])
def test_piecewise_constant_in_reverse_mode(ufunc):
    # Was TypeError (NotImplemented) on TrackedArray; DualArray had zero derivatives.
    x = np.array([-1.7, 0.3, 2.5])
    g = nm.gradient(lambda z: np.sum(ufunc(z) * z), x, mode="reverse")
    np.testing.assert_array_equal(g, ufunc(x))
    np.testing.assert_array_equal(g, nm.gradient(lambda z: np.sum(ufunc(z) * z), x))


def test_logaddexp_far_apart_and_equal():
    for mode in ("forward", "reverse"):
        g = nm.gradient(lambda z: np.logaddexp(z[0], z[1]), np.array([800.0, -800.0]), mode=mode)
        assert g[0] == 1.0 and g[1] == 0.0  # exp(-1600) underflows: exactly 0, no nan
        g = nm.gradient(lambda z: np.logaddexp(z[0], z[1]), np.array([3.0, 3.0]), mode=mode)
        np.testing.assert_array_equal(g, [0.5, 0.5])


def test_sinc_derivative_at_zero_and_nested():
    # sinc'(0) = 0, sinc''(0) = -pi**2 / 3 (the series is used near 0, also when nested)
    assert nm.derivative(nm.sinc, 0.0) == 0.0
    assert nm.derivative(lambda t: nm.derivative(nm.sinc, t), 0.0) == pytest.approx(
        -math.pi**2 / 3, rel=1e-14)
    assert nm.derivative(nm.sinc, 0.5) == pytest.approx(central(np.sinc, 0.5), rel=1e-9)


def test_hypot_at_the_origin_is_nan_not_an_error():
    # Was a bare ZeroDivisionError for a scalar Measurement (0 ± 1, 0 ± 2); uncertainties gives
    # nan derivatives there (the direction is undefined).
    r = nm.hypot(Measurement(0.0, 1.0), Measurement(0.0, 2.0))
    assert r.val == 0.0 and math.isnan(r.err)


def test_expit_partial_far_right():
    # a * (1 - a) would be exactly 0 for x > 37; expit(x) expit(-x) keeps e**-x
    assert nm.derivative(scipy.special.expit, 40.0) == pytest.approx(math.exp(-40.0), rel=1e-14)
    assert nm.derivative(nm.softplus, -800.0) == 0.0 and nm.softplus(800.0) == 800.0
