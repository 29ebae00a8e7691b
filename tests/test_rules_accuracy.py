"""Scalar rule accuracy against mpmath over wide domains, and forward-mode edge cases.

Each partial of numeric/rules.py is compared with the derivative mpmath computes
at 50 digits (mpmath.diff of the mpmath function), in units of the last place.
"""

import math

import mpmath
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import numeric as nm

mpmath.mp.dps = 50

# name -> (numpy function, mpmath derivative, domain (lo, hi), ulps)
CASES = {
    "tanh": (np.tanh, lambda x: mpmath.sech(x) ** 2, (-350.0, 350.0), 8),
    "expm1": (np.expm1, mpmath.exp, (-700.0, 700.0), 4),
    "exp": (np.exp, mpmath.exp, (-700.0, 700.0), 4),
    "sinh": (np.sinh, mpmath.cosh, (-700.0, 700.0), 4),
    "cosh": (np.cosh, mpmath.sinh, (-700.0, 700.0), 4),
    "log": (np.log, lambda x: 1 / x, (1e-300, 1e300), 2),
    "log1p": (np.log1p, lambda x: 1 / (1 + x), (-0.999, 1e300), 2),
    "arcsinh": (np.arcsinh, lambda x: 1 / mpmath.sqrt(1 + x * x), (-1e150, 1e150), 4),
    "arctanh": (np.arctanh, lambda x: 1 / (1 - x * x), (-0.999999999, 0.999999999), 4),
    "arcsin": (np.arcsin, lambda x: 1 / mpmath.sqrt(1 - x * x), (-0.999999999, 0.999999999), 4),
    "arccos": (np.arccos, lambda x: -1 / mpmath.sqrt(1 - x * x), (-0.999999999, 0.999999999), 4),
    "arccosh": (np.arccosh, lambda x: 1 / mpmath.sqrt(x * x - 1), (1.000000001, 1e150), 4),
    "arctan": (np.arctan, lambda x: 1 / (1 + x * x), (-1e150, 1e150), 4),
    # exp(-x*x) with x = hi + lo split (was ~100 ulps off at |x| ~ 20).
    "erf": (nm.erf, lambda x: 2 / mpmath.sqrt(mpmath.pi) * mpmath.exp(-x * x), (-26.0, 26.0), 4),
    "erfc": (nm.erfc, lambda x: -2 / mpmath.sqrt(mpmath.pi) * mpmath.exp(-x * x),
             (-26.0, 26.0), 4),
}


def ulps(got: float, want) -> float:
    want = float(want)
    if got == want:
        return 0.0
    return abs(got - want) / math.ulp(want)


@pytest.mark.parametrize("name", sorted(CASES))
def test_partial_within_a_few_ulps_of_mpmath(name):
    f, d, (lo, hi), tol = CASES[name]

    @settings(max_examples=60, deadline=None)
    @given(st.floats(lo, hi, allow_nan=False, allow_infinity=False))
    def check(x):
        got = nm.derivative(f, x)
        want = d(mpmath.mpf(x))
        assert ulps(float(got), want) <= tol, (name, x, got, want)

    check()


@pytest.mark.parametrize("x", [20.0, 40.0, -30.0, 300.0])
def test_tanh_partial_in_the_tails(x):
    # Regression: 1 - tanh(x)**2 gave exactly 0 for |x| > 19.
    assert ulps(nm.derivative(np.tanh, x), mpmath.sech(x) ** 2) <= 8


def test_expm1_partial_far_left():
    # Regression: expm1(x) + 1 gave exactly 0 at x = -40.
    assert ulps(nm.derivative(np.expm1, -40.0), mpmath.exp(-40)) <= 2


# -- power at zero ------------------------------------------------------------------


@pytest.mark.parametrize("n, want", [(0, 0.0), (1, 1.0), (2, 0.0), (3, 0.0)])
def test_integer_power_at_zero_scalar(n, want):
    assert nm.derivative(lambda x: x**n, 0.0) == want


def test_nested_power_at_zero():
    # d2/dx2 x**2 = 2 and d2/dx2 x**3 = 0 at 0 (was ZeroDivisionError).
    assert nm.derivative(lambda x: nm.derivative(lambda y: y**2, x), 0.0) == 2.0
    assert nm.derivative(lambda x: nm.derivative(lambda y: y**3, x), 0.0) == 0.0


def test_polynomial_gradient_at_root_array():
    g = nm.gradient(lambda x: np.sum(x**0 + x**1 + 3 * x**2), np.zeros(3))
    np.testing.assert_array_equal(g, np.ones(3))


def test_fractional_power_of_negative_is_real_nan():
    with np.errstate(invalid="ignore"):
        d = nm.derivative(lambda x: x ** (1 / 3), -8.0)
    assert isinstance(d, float) and math.isnan(d)


# -- forward mode must not write into the caller's array --------------------------------


def _writes_into_input(z):
    z[0] = 3.0
    return z[0] * z[1] + z[1] * z[2]


@pytest.mark.parametrize("chunk", [None, 1])
def test_gradient_of_function_that_writes_into_input(chunk):
    x = np.array([1.0, 2.0, 5.0])
    g = nm.gradient(_writes_into_input, x, chunk=chunk)
    np.testing.assert_array_equal(x, [1.0, 2.0, 5.0])
    np.testing.assert_allclose(g, [0.0, 3.0 + 5.0, 2.0])


# -- singular points: IEEE values in every type (docs/decisions.md) ---------------------

SINGULAR = [
    (nm.sqrt, 0.0, math.inf, -math.inf),
    (nm.log, 0.0, math.inf, -math.inf),
    (lambda x: 1 / x, 0.0, -math.inf, math.inf),
    (nm.arccos, 1.0, -math.inf, -math.inf),
    (lambda x: x**0.5, 0.0, math.inf, -math.inf),
]


@pytest.mark.parametrize("f, x, d1, d2", SINGULAR)
@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_singular_points_give_ieee_values_in_every_type(f, x, d1, d2):
    # Was a bare ZeroDivisionError on Dual scalars while DualArray gave inf.
    scalar = nm.derivative(f, x)
    array = nm.gradient(lambda z: np.sum(f(z)), np.array([x]))[0]
    nested = nm.derivative(lambda y: nm.derivative(f, y), x)
    assert type(scalar) is float
    assert scalar == array == d1
    assert nested == d2


# -- scalar Dual supports the ufuncs DualArray supports ---------------------------------

UFUNCS = [np.isnan, np.isfinite, np.isinf, np.floor, np.ceil, np.square, np.reciprocal,
          np.sign, np.abs, np.trunc, np.rint, np.signbit]


@pytest.mark.parametrize("ufunc", UFUNCS, ids=lambda u: u.__name__)
@pytest.mark.parametrize("x", [2.5, -0.7])
def test_scalar_dual_ufunc_agrees_with_dualarray(ufunc, x):
    # Was KeyError "no derivative rule named ..." on a scalar Dual.
    from numeric.dual import Dual
    from numeric.protocol import new_order

    d = Dual._new(x, 1.0, new_order())
    out = ufunc(d)
    arr = nm.jacobian(lambda z: ufunc(z) * 1.0, np.array([x]))
    if isinstance(out, (bool, np.bool_)):
        assert out == ufunc(x)
    else:
        assert out.value == ufunc(x)
        assert type(out.value) is float
        assert out._p == arr[0, 0]


@pytest.mark.parametrize("ufunc, dfdx", [(np.square, lambda x: 2 * x),
                                          (np.reciprocal, lambda x: -1 / x**2)])
def test_scalar_dual_square_reciprocal_derivatives(ufunc, dfdx):
    for x in (0.3, -2.0, 7.5):
        assert nm.derivative(ufunc, x) == pytest.approx(dfdx(x), rel=1e-15)


def test_np_sum_of_scalar_dual_keeps_derivative():
    assert nm.derivative(lambda t: np.sum(t) * 3.0, 2.0) == 3.0
    assert nm.derivative(lambda t: np.prod(t) ** 2, 2.0) == 4.0


def test_brentq_with_a_dual_parameter_is_honest():
    import scipy.optimize as so

    # brentq converts f's value to a C double: with a Dual parameter that would drop the
    # derivative, so it must fail and the failure must say why (scipy wraps our TypeError).
    with pytest.raises((TypeError, SystemError)) as info:
        nm.derivative(lambda a: so.brentq(lambda x: x * x - a, 0.0, 10.0), 2.0)
    e, messages = info.value, []
    while e is not None:
        messages.append(str(e))
        e = e.__cause__ or e.__context__
    assert any("nm.value" in m for m in messages)
    # On purpose through nm.value: the root is right (a float, no derivative claimed).
    root = so.brentq(lambda x: np.square(x) - 2.0 if np.isfinite(x) else np.nan, 0.0, 10.0)
    assert root == pytest.approx(math.sqrt(2.0), rel=1e-12)


# -- NaN-safe forward mode: structurally zero seeds contribute exactly zero ----------------

NAN_SAFE = [
    (lambda x: x[0] * x[0] + x[1] * x[1], [np.nan, 1.0], [np.nan, 2.0]),
    (lambda x: np.sum(x * x), [np.nan, 1.0], [np.nan, 2.0]),
    (lambda x: np.sqrt(x[0]) + x[1] * x[1], [0.0, 1.0], [np.inf, 2.0]),
    (lambda x: np.sum(np.sqrt(x)), [0.0, 1.0], [np.inf, 0.5]),
    (lambda x: np.log(x[0]) + 3 * x[1], [0.0, 2.0], [np.inf, 3.0]),
]


@pytest.mark.parametrize("f, x, want", NAN_SAFE)
@pytest.mark.parametrize("chunk", [None, 1])
@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_forward_mode_is_nan_safe(f, x, want, chunk):
    # Was [nan, nan] (a nan/inf local derivative times a zero seed).
    g = nm.gradient(f, np.array(x), chunk=chunk)
    np.testing.assert_array_equal(g, want)


@pytest.mark.parametrize("f, x, want", NAN_SAFE[:3])
@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_forward_and_reverse_agree_when_nan_safe(f, x, want):
    fwd = nm.gradient(f, np.array(x))
    rev = nm.gradient(f, np.array(x), mode="reverse")
    np.testing.assert_array_equal(fwd, rev)


# Singular cases where forward and reverse must give the same Jacobian: structurally
# zero seeds (forward) and cotangents (reverse) contribute exactly zero.
SINGULAR_JACOBIANS = [
    # Row 1 of d(log(x) * x1): [0, 1]; was [0, nan] in reverse (an array rule's
    # general VJP multiplied the zero cotangent of row 0 by log(0) = -inf).
    (lambda x: np.log(x) * x[1], [0.0, 1.0], [[np.inf, -np.inf], [0.0, 1.0]]),
    (lambda x: np.sqrt(x) * x[1], [0.0, 1.0], [[np.inf, 0.0], [0.0, 1.5]]),
    (lambda x: np.log(x) + x[1], [0.0, 2.0], [[np.inf, 1.0], [0.0, 1.5]]),
]


@pytest.mark.parametrize("f, x, want", SINGULAR_JACOBIANS)
@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_forward_and_reverse_jacobians_agree_at_singular_points(f, x, want):
    fwd = nm.jacobian(f, np.array(x))
    rev = nm.jacobian(f, np.array(x), mode="reverse")
    np.testing.assert_array_equal(fwd, want)
    np.testing.assert_array_equal(rev, want)


@pytest.mark.parametrize("x", [20.0, -25.0, 26.5])
def test_erf_partial_at_large_x(x):
    # Regression: 2/sqrt(pi)*exp(-x*x) was ~100 ulps off (x*x rounded before exp).
    want = 2 / mpmath.sqrt(mpmath.pi) * mpmath.exp(-mpmath.mpf(x) ** 2)
    assert ulps(nm.derivative(nm.erf, x), want) <= 4
