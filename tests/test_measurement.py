"""Scalar measurements: exact correlations, rules, statistics, printing, composition.

Derivatives are checked against mpmath's numerical differentiation of
mpmath's own functions at 30 digits (independent of ``numeric.rules``), and
propagated variances against the gradient formula computed with ``Dual``.
"""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import numeric as nm
from numeric import functions as F
from numeric.rules import RULES

M = nm.Measurement


# -- exact functional correlation ------------------------------------------------------------


def test_x_minus_x_is_exactly_zero():
    x = M(1.0, 0.1)
    d = x - x
    assert d.val == 0.0 and d.err == 0.0
    assert str(d) == "0.0 ± 0.0"
    assert (x / x).err == 0.0
    assert (nm.sin(x) ** 2 + nm.cos(x) ** 2 - 1).err < 1e-16


def test_sum_minus_part_keeps_the_other_uncertainty():
    x, y = M(1.0, 0.1), M(2.0, 0.3)
    r = (x + y) - y
    assert r.val == 1.0 and r.err == pytest.approx(0.1, rel=1e-15)


def test_square_differs_from_product_of_independent_equals():
    x, y = M(1.0, 0.1), M(1.0, 0.1)
    assert (x * x).err == pytest.approx(0.2, rel=1e-15)               # 2 |x| sigma
    assert (x * y).err == pytest.approx(math.sqrt(2) * 0.1, rel=1e-15)
    assert x != y and x * 1.0 == x and (x - x) == 0     # x * 1.0: a new object, the same components


def test_radioactive_decay_published_value():
    # Measurements.jl documentation: half-life 5730 ± 40 years, t = 5207.54 -> 0.5326 ± 0.0023
    T = M(5730, 40)
    r = nm.exp(-5207.54 * nm.log(2) / T)
    assert abs(r.val - 0.5326) < 5e-5 and abs(r.err - 0.0023) < 5e-5
    assert str(r) == "0.5326 ± 0.0023"
    # independent: the closed-form derivative d/dT 2**(-t/T) = ln2 t / T**2 * 2**(-t/T)
    exact = math.log(2) * 5207.54 / 5730**2 * 2 ** (-5207.54 / 5730) * 40
    assert r.err == pytest.approx(exact, rel=1e-13)


# -- every rule of the table against mpmath ---------------------------------------------------

_MP = {name: impl[4] for name, impl in F._IMPLS.items()}
_UNARY = [n for n, r in RULES.items() if r.nargs == 1 and n not in ("sign",)]


def _point(domain):
    lo, hi = domain[-1]
    return lo + 0.37 * (hi - lo)


@pytest.mark.parametrize("name", _UNARY)
def test_unary_rule_uncertainty_against_mpmath(name, mp30):
    x0 = _point(RULES[name].domain[0])
    sigma = 0.01
    y = getattr(nm, name)(M(x0, sigma))
    slope = mpmath.diff(_MP[name], mpmath.mpf(x0))
    assert y.val == pytest.approx(float(_MP[name](mpmath.mpf(x0))), rel=1e-13, abs=1e-15)
    assert y.err == pytest.approx(abs(float(slope)) * sigma, rel=1e-12, abs=1e-16)


@pytest.mark.parametrize("name", ["arctan2", "hypot", "power", "maximum", "minimum"])
def test_binary_rule_uncertainty_against_mpmath(name, mp30):
    x0, y0, sx, sy = 1.3, 0.7, 0.01, 0.02
    z = getattr(nm, name)(M(x0, sx), M(y0, sy))
    f = _MP[name]
    gx = mpmath.diff(lambda t: f(t, mpmath.mpf(y0)), mpmath.mpf(x0))
    gy = mpmath.diff(lambda t: f(mpmath.mpf(x0), t), mpmath.mpf(y0))
    assert z.err == pytest.approx(float(mpmath.sqrt((gx * sx) ** 2 + (gy * sy) ** 2)), rel=1e-12)


def test_mixed_arithmetic_with_plain_numbers():
    x = M(2.0, 0.1)
    for other in (3, 3.0, np.float64(3.0), np.int64(3), mpmath.mpf(3)):
        assert float((x * other).err) == pytest.approx(0.3)
        assert float((other / x).err) == pytest.approx(3 / 4 * 0.1)
        assert float((other - x).val) == pytest.approx(1.0)
        assert float((x ** other).err) == pytest.approx(3 * 4 * 0.1)
        assert float((other ** x).err) == pytest.approx(9 * math.log(3) * 0.1)


def test_mpf_measurements_keep_precision(mp30):
    x = M(mpmath.mpf(2), mpmath.mpf("0.1"))
    y = nm.sqrt(x)
    assert isinstance(y.val, mpmath.mpf) and isinstance(y.err, mpmath.mpf)
    assert abs(y.err - mpmath.mpf("0.1") / (2 * mpmath.sqrt(2))) < mpmath.mpf(10) ** -28


def test_float32_stays_float32():
    x = M(np.float32(2.0), 0.1)
    y = nm.sin(x) * np.float32(2)
    assert isinstance(y.val, np.float32) and isinstance(y.err, np.float32)


# -- hypothesis: propagated variance equals the gradient formula with Dual ------------------

_OPS = ["add", "sub", "mul", "div", "sin", "exp", "sqrtsq", "tanh", "log1psq"]


def _program(ops, xs):
    """A generic expression over three inputs driven by a list of (op, i, j)."""
    v = list(xs)
    for op, i, j in ops:
        a, b = v[i % len(v)], v[j % len(v)]
        if op == "add":
            r = a + b
        elif op == "sub":
            r = a - 2.5 * b
        elif op == "mul":
            r = a * b
        elif op == "div":
            r = a / (2 + b * b)
        elif op == "sin":
            r = nm.sin(a)
        elif op == "exp":
            r = nm.exp(0.3 * a)
        elif op == "sqrtsq":
            r = nm.sqrt(1 + a * a)
        elif op == "tanh":
            r = nm.tanh(a + b)
        else:
            r = nm.log1p(a * a)
        v.append(r)
    return v[-1] + 0.5 * v[-2]


@given(ops=st.lists(st.tuples(st.sampled_from(_OPS), st.integers(0, 20), st.integers(0, 20)),
                    min_size=1, max_size=12),
       x0=st.lists(st.floats(-2, 2), min_size=3, max_size=3),
       sig=st.lists(st.floats(1e-3, 0.5), min_size=3, max_size=3),
       rho=st.floats(-0.9, 0.9))
def test_propagated_variance_equals_gradient_formula(ops, x0, sig, rho):
    # correlated inputs: x0 and x1 correlated with coefficient rho, x2 independent
    C = np.diag(np.square(sig))
    C[0, 1] = C[1, 0] = rho * sig[0] * sig[1]
    xs = nm.correlated_values(x0, C)
    y = _program(ops, [xs[0], xs[1], xs[2]])
    grad = nm.gradient(lambda v: _program(ops, [v[0], v[1], v[2]]), np.array(x0))
    var = grad @ C @ grad
    y_err = y.err if isinstance(y, M) else 0.0
    assert y_err**2 == pytest.approx(var, rel=1e-9, abs=1e-13 * (1 + np.abs(grad).max() ** 2))
    assert nm.value(y) == pytest.approx(_program(ops, list(x0)), rel=1e-12, abs=1e-12)


# -- statistics --------------------------------------------------------------------------------


def test_cov_and_cor_of_sum_and_difference():
    x, g = M(1.0, 0.1), M(9.79, 0.02)
    C = nm.cov([x + g, x - g])
    expect = np.array([[0.01 + 0.0004, 0.01 - 0.0004], [0.01 - 0.0004, 0.01 + 0.0004]])
    np.testing.assert_allclose(C, expect, rtol=1e-14)
    R = nm.cor([x + g, x - g, M(3.0)])
    assert R[0, 1] == pytest.approx(0.0096 / 0.0104, rel=1e-14)
    assert np.isnan(R[2, 0]) and np.isnan(R[2, 2]) and R[1, 1] == 1.0


def test_uncertainty_components_of_pendulum_period():
    g, L = M(9.79, 0.02), M(1.00, 0.01)
    T = 2 * np.pi * nm.sqrt(L / g)
    comps = nm.uncertainty_components(T, [g, L])
    # dT/dg = -T / (2 g), dT/dL = T / (2 L)
    np.testing.assert_allclose(comps, [T.val / (2 * 9.79) * 0.02, T.val / 2 * 0.01], rtol=1e-14)
    assert math.hypot(*comps) == pytest.approx(T.err, rel=1e-15)
    d = nm.uncertainty_components(T)          # keyed by the inputs, as uncertainties does
    assert set(map(id, d)) == {id(g), id(L)}
    assert d[g] == pytest.approx(comps[0]) and d[L] == pytest.approx(comps[1])
    assert T.derivative(g) == pytest.approx(-T.val / (2 * 9.79), rel=1e-14)


def test_correlated_values_reproduce_the_covariance():
    C = np.array([[0.04, 0.01, 0.0], [0.01, 0.09, 0.03], [0.0, 0.03, 0.16]])
    x = nm.correlated_values([1.0, 2.0, 3.0], C)
    np.testing.assert_allclose(nm.cov(x), C, atol=1e-16)
    s = x[0] + x[1] - x[2]
    w = np.array([1.0, 1.0, -1.0])
    assert s.err**2 == pytest.approx(w @ C @ w, rel=1e-13)
    singular = nm.correlated_values([0.0, 0.0], [[1.0, 1.0], [1.0, 1.0]])   # rank 1
    assert (singular[0] - singular[1]).err < 1e-15
    with pytest.raises(ValueError, match="positive semi-definite"):
        nm.correlated_values([0.0, 0.0], [[1.0, 2.0], [2.0, 1.0]])


def test_weighted_mean_independent_and_correlated():
    a, b = M(10.0, 1.0), M(12.0, 2.0)
    m = nm.weighted_mean([a, b])
    assert m.val == pytest.approx((10 + 12 / 4) / 1.25, rel=1e-14)
    assert m.err == pytest.approx(1 / math.sqrt(1.25), rel=1e-14)
    C = np.array([[1.0, 0.5], [0.5, 2.0]])
    x = nm.correlated_values([10.0, 12.0], C)
    m = nm.weighted_mean(x)
    Ci = np.linalg.inv(C)
    one = np.ones(2)
    assert m.val == pytest.approx(one @ Ci @ [10.0, 12.0] / (one @ Ci @ one), rel=1e-13)
    assert m.err == pytest.approx((one @ Ci @ one) ** -0.5, rel=1e-13)


def test_uncertainty_of_plain_numbers_and_object_arrays():
    x = M(1.0, 0.1)
    assert nm.uncertainty(3.0) == 0.0
    np.testing.assert_array_equal(nm.uncertainty(np.ones(3)), np.zeros(3))
    obj = np.array([x, 2 * x, 1.0], dtype=object)
    np.testing.assert_allclose(nm.uncertainty(obj), [0.1, 0.2, 0.0])
    np.testing.assert_allclose(nm.value(obj), [1.0, 2.0, 1.0])
    e = nm.exp(obj)
    assert e[0].err == pytest.approx(math.e * 0.1) and e[2] == math.e
    e = np.exp(obj[:2])                    # NumPy calls the elements' exp method
    assert e[1].err == pytest.approx(math.e**2 * 0.2)


# -- printing and parsing -------------------------------------------------------------------------

@pytest.mark.parametrize("val, err, spec, text", [
    (1.0234, 0.01234, "", "1.023 ± 0.012"),
    (1.0234, 0.01234, ".1", "1.02 ± 0.01"),
    (1.0234, 0.01234, ".3S", "1.0234(123)"),
    (1.0234, 0.01234, "L", "1.023 \\pm 0.012"),
    (0.0996, 0.0996, "", "0.10 ± 0.10"),
    (12345.6, 678.0, "", "12350 ± 680"),
    (6.0221e23, 1.1e21, "", "(6.022 ± 0.011)e+23"),
    (1e-7, 3e-9, "", "(1.000 ± 0.030)e-07"),
    (-2.5, 0.25, "", "-2.50 ± 0.25"),
    (3.0, 0.0, "", "3.0 ± 0.0"),
])  # fmt: skip
def test_format(val, err, spec, text):
    assert format(M(val, err), spec) == text


def test_repr_for_notebooks_and_bad_spec():
    x = M(1.0234, 0.01234)
    assert x._repr_latex_() == "$1.023 \\pm 0.012$"
    assert "±" in x._repr_html_()
    with pytest.raises(ValueError, match="format spec"):
        format(x, "q")


@pytest.mark.parametrize("text, val, err", [
    ("9.79 ± 0.02", 9.79, 0.02), ("9.79 +/- 0.02", 9.79, 0.02), ("9.79+-0.02", 9.79, 0.02),
    ("9.79(2)", 9.79, 0.02), ("1.2345(67)e-3", 1.2345e-3, 6.7e-6), ("1234(56)", 1234.0, 56.0),
    ("(6.022 ± 0.011)e23", 6.022e23, 0.011e23), ("-0.5(1)", -0.5, 0.1),
])  # fmt: skip
def test_parse(text, val, err):
    x = M(text)
    assert x.val == pytest.approx(val, rel=1e-15) and x.err == pytest.approx(err, rel=1e-12)


def test_parse_round_trip_and_errors():
    x = M(3.14159, 0.00271)
    y = M(str(x))
    assert str(y) == str(x)
    with pytest.raises(ValueError, match="cannot read a measurement"):
        M("nine ± one")


# -- comparisons, conversions, bad input ------------------------------------------------------


def test_comparisons_use_values_and_equality_is_exact():
    x, y = M(1.0, 0.1), M(2.0, 0.1)
    assert x < y and y >= x and x < 1.5 and not (x > 1.5)
    assert x + 0.0 == x and not (x == M(1.0, 0.1)) and (x + y - y) == x
    assert M(2.0) == 2.0 and not (x == 1.0)
    assert hash(x - x) == hash(0.0) and hash(x + 0) == hash(x)
    assert bool(M(0.0, 0.1)) is False and bool(x) is True


@pytest.mark.parametrize("conv", [float, int, complex])
def test_conversions_that_drop_uncertainty_raise(conv):
    with pytest.raises(TypeError, match="nm.value"):
        conv(M(1.0, 0.1))


def test_bad_input_errors():
    with pytest.raises(ValueError, match=">= 0"):
        M(1.0, -0.1)
    with pytest.raises(ValueError, match=">= 0"):
        M(1.0, float("nan"))
    with pytest.raises(TypeError, match="complex"):
        M(1j, 0.1)
    with pytest.raises(TypeError, match="nm.measurements"):
        M([1.0, 2.0], 0.1)
    with pytest.raises(TypeError, match="exact number|nm.value"):
        nm.polygamma(M(1.0, 0.1), 2.0)


def test_protocol_helpers():
    x = M(-3.0, 0.5)
    assert nm.value(x) == -3.0 and nm.norm(x) == math.hypot(3.0, 0.5)   # value and error
    assert nm.zero(x).val == 0.0 and nm.zero(x).err == 0.0 and nm.one(x).val == 1.0
    u, p = nm.promote(1.0, x)
    assert isinstance(u, M) and u.err == 0.0 and p is x or p == x


def test_added_systematic_uncertainty():
    x = M(1.0, 0.3)
    y = M(x, 0.4)                         # an extra independent error in quadrature
    assert y.err == pytest.approx(0.5) and nm.cov([x, y])[0, 1] == pytest.approx(0.09)


# -- composition with duals -----------------------------------------------------------------------


def test_derivative_of_an_uncertainty_measurement_of_dual():
    # Measurement(value, dual error): d/ds err(f(x0 ± s)) = |f'(x0)|
    d = nm.derivative(lambda s: nm.uncertainty(nm.sin(M(0.4, s))), 0.01)
    assert d == pytest.approx(math.cos(0.4), rel=1e-14)
    # Measurement(dual value, err): d/dx0 err(x**2) = 2 sigma sign(x0)
    d = nm.derivative(lambda x0: nm.uncertainty(M(x0, 0.1) ** 2), 1.5)
    assert d == pytest.approx(0.2, rel=1e-14)


def test_derivative_of_an_uncertainty_dual_of_measurement():
    g, L = M(9.79, 0.02), M(1.00, 0.01)

    def err_of(c):   # uncertainty of c * sqrt(L / g) + c**2 * g: a function of the exact c
        return nm.uncertainty(c * nm.sqrt(L / g) + c**2 * g)

    d = nm.derivative(err_of, 0.7)
    h = 1e-5
    fd = (err_of(0.7 + h) - err_of(0.7 - h)) / (2 * h)
    assert d == pytest.approx(fd, rel=1e-7)
    # the derivative of the value is a measurement: d/dc = sqrt(L/g) + 2 c g
    dv = nm.derivative(lambda c: c * nm.sqrt(L / g) + c**2 * g, 0.7)
    assert isinstance(dv, M)
    expect = nm.sqrt(L / g) + 1.4 * g
    assert dv.val == pytest.approx(expect.val) and dv.err == pytest.approx(expect.err, rel=1e-14)


def test_gradient_through_measurement_constants():
    x, y = M(1.0, 0.1), M(2.0, 0.2)
    gr = nm.gradient(lambda p: p[0] * x + p[1] ** 2 * y, np.array([1.0, 3.0]))
    np.testing.assert_allclose(nm.value(gr), [1.0, 12.0])
    np.testing.assert_allclose(nm.uncertainty(gr), [0.1, 1.2])


def test_uncertainty_components_keys_array_elements_and_forgotten_sources():
    x = nm.measurements([1.0, 2.0, 3.0], [0.1, 0.2, 0.3])
    y = x[0] * x[2] + x[1]
    d = nm.uncertainty_components(y)
    assert len(d) == 3
    assert d[x[0]] == pytest.approx(3.0 * 0.1) and d[x[2]] == pytest.approx(1.0 * 0.3)
    assert d[x[1]] == pytest.approx(0.2)
    z = M(4.0, 0.5) * 2.0            # the input is gone once only z refers to its source
    import gc
    gc.collect()
    (key, value), = nm.uncertainty_components(z).items()
    assert isinstance(key, int) and value == pytest.approx(1.0)


def test_uncertainties_attribute_names():
    x = M(2.5, 0.25)
    assert (x.n, x.s, x.nominal_value, x.std_dev) == (2.5, 0.25, 2.5, 0.25)
    a = nm.measurements([1.0, 2.0], [0.1, 0.2]) * 3.0
    np.testing.assert_allclose(a.n, [3.0, 6.0])
    np.testing.assert_allclose(a.std_dev, [0.3, 0.6])
