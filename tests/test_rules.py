"""Every rule of numeric.rules, property-tested at float64, float32 and mpf.

First and second derivatives from forward mode (``Dual`` for scalars,
``DualArray`` for the multi-argument rules) are compared with independent
references: mpmath central differences at 40+ digits and the complex step
(``check_derivatives``), and at mpf precision with ``mpmath.diff``.
The documented conventions at non-differentiable points are checked last.
"""

import math

import mpmath
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import numeric as nm
from numeric.functions import FUNCTIONS
from numeric.rules import ARITHMETIC, RULES
from numeric.strategies import expressions, points
from numeric.testing import check_derivatives

RULE_NAMES = sorted(RULES)


def _as_function(rule, args):
    """(f, x): f of the differentiable arguments only, x their values."""
    if rule.name == "polygamma":
        n = args[0]
        return (lambda x: nm.polygamma(n, x)), float(args[1])
    if rule.nargs == 1:
        return rule.function, float(args[0])

    def f(v):
        return rule.function(*[v[i] for i in range(rule.nargs)])

    f.__name__ = rule.name
    return f, np.array(args, dtype=float)


def _complex_step(rule):
    # analytic rules must pass the complex step; the others cannot take it
    return True if rule.holomorphic else False


# -- structure of the table ------------------------------------------------------------


def test_every_function_has_exactly_one_rule():
    assert set(FUNCTIONS) == set(RULES)
    for name, rule in RULES.items():
        assert rule.name == name
        assert rule.function is FUNCTIONS[name]
        assert len(rule.partials) == rule.nargs
        assert len(rule.domain) == rule.nargs
        for intervals in rule.domain:
            assert all(lo < hi for lo, hi in intervals), name


def test_arithmetic_rules_cover_the_operators():
    assert set(ARITHMETIC) == {"add", "sub", "mul", "truediv", "neg"}
    for rule in ARITHMETIC.values():
        assert len(rule.partials) == rule.nargs


# -- float64: first and second derivatives against mpmath and complex step ------------


@pytest.mark.parametrize("name", RULE_NAMES)
@settings(max_examples=12)
@given(data=st.data())
def test_rule_derivatives_float64(name, data):
    rule = RULES[name]
    f, x = _as_function(rule, data.draw(points(rule), label="args"))
    check_derivatives(f, x, order=1, complex_step=_complex_step(rule))
    check_derivatives(f, x, order=2, complex_step=_complex_step(rule), rtol=1e-7)


# -- float32: looser tolerance, dtype preserved -------------------------------------------


@pytest.mark.parametrize("name", RULE_NAMES)
@settings(max_examples=6)
@given(data=st.data())
def test_rule_derivatives_float32(name, data):
    rule = RULES[name]
    f, x = _as_function(rule, data.draw(points(rule), label="args"))
    if np.ndim(x) == 0:
        x32 = np.float32(x)
        d1 = nm.derivative(f, x32)
        d2 = nm.hessian(f, x32)
        assert type(d1) is np.float32 and type(d2) is np.float32
    else:
        x32 = x.astype(np.float32)
        d1 = nm.gradient(f, x32)
        d2 = nm.hessian(f, x32)
        assert d1.dtype == np.float32 and d2.dtype == np.float32
    # the reference is taken at the float32-rounded point, exactly
    check_derivatives(f, x32, order=1, rtol=2e-3, complex_step=False)
    check_derivatives(f, x32, order=2, rtol=5e-3, complex_step=False)


# -- mpf at 30 digits: tight agreement with mpmath.diff -------------------------------------


@pytest.mark.parametrize("name", RULE_NAMES)
@settings(max_examples=4)
@given(data=st.data())
def test_rule_derivatives_mpf_against_mpmath_diff(name, data):
    rule = RULES[name]
    args = data.draw(points(rule), label="args")
    with mpmath.workdps(30):
        tol = mpmath.mpf(10) ** -25
        if rule.nargs == 1 or name == "polygamma":
            f, x = _as_function(rule, args)
            x = mpmath.mpf(x)
            d1, d2 = nm.derivative(f, x), nm.hessian(f, x)
            assert isinstance(d1, mpmath.mpf) and isinstance(d2, mpmath.mpf)
            r1, r2 = mpmath.diff(f, x, 1), mpmath.diff(f, x, 2)
            assert abs(d1 - r1) <= tol * max(1, abs(r1)), (d1, r1)
            assert abs(d2 - r2) <= tol * max(1, abs(r2)), (d2, r2)
            return
        xs = [mpmath.mpf(a) for a in args]
        x = np.array(xs, dtype=object)

        def g(v):
            return rule.function(*[v[i] for i in range(rule.nargs)])

        grad, hess = nm.gradient(g, x), nm.hessian(g, x)
        assert all(isinstance(e, mpmath.mpf) for e in grad.flat)
        assert all(isinstance(e, mpmath.mpf) for e in hess.flat)
        scale = max(1, max(abs(e) for e in grad))
        for i in range(rule.nargs):
            ei = tuple(int(i == j) for j in range(rule.nargs))
            ref = mpmath.diff(rule.function, xs, ei)
            assert abs(grad[i] - ref) <= tol * scale, (i, grad[i], ref)
            for j in range(rule.nargs):
                eij = tuple(int(i == k) + int(j == k) for k in range(rule.nargs))
                ref2 = mpmath.diff(rule.function, xs, eij)
                assert abs(hess[i, j] - ref2) <= tol * max(1, abs(ref2)), (i, j, hess[i, j], ref2)


# -- the arithmetic operators of Dual agree with the ARITHMETIC table -------------------


_OPS = {
    "add": lambda x, y: x + y, "sub": lambda x, y: x - y, "mul": lambda x, y: x * y,
    "truediv": lambda x, y: x / y,
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(_OPS))
@given(x=st.floats(-3, 3), y=st.floats(0.2, 3).flatmap(lambda a: st.sampled_from([a, -a])))
def test_operator_partials_match_the_table(name, x, y):
    rule = ARITHMETIC[name]
    op = _OPS[name]
    tag = nm.Dual(0.0, [0.0, 0.0]).tag
    dx, dy = nm.Dual(x, [1.0, 0.0], tag=tag), nm.Dual(y, [0.0, 1.0], tag=tag)
    out = op(dx, dy)
    ans = op(x, y)
    assert out.value == ans
    table = [rule.partials[0](ans, x, y), rule.partials[1](ans, x, y)]
    np.testing.assert_allclose(out.partials, table, rtol=1e-15)
    check_derivatives(lambda v: op(v[0], v[1]), np.array([x, y]), order=2, complex_step=True)


def test_negation_and_power_operator():
    check_derivatives(lambda x: -x, 0.3, order=2)
    check_derivatives(lambda v: v[0] ** v[1], np.array([1.7, -0.6]), order=2)
    check_derivatives(lambda x: 2.0 ** x, 0.4, order=2)
    check_derivatives(lambda x: x**3, -1.3, order=2)


# -- documented conventions at non-differentiable points -------------------------------------


@pytest.mark.parametrize("x0", [0.0, np.float32(0.0), mpmath.mpf(0)])
def test_abs_derivative_at_zero_is_zero(x0):
    assert nm.derivative(nm.abs, x0) == 0
    assert nm.derivative(abs, x0) == 0
    g = nm.gradient(lambda v: np.sum(np.abs(v)), np.array([0.0, -2.0, 3.0]))
    np.testing.assert_array_equal(g, [0.0, -1.0, 1.0])


def test_sign_derivative_is_zero_everywhere():
    for x in (-2.0, 0.0, 1.5):
        assert nm.derivative(nm.sign, x) == 0


@pytest.mark.parametrize("f", [nm.maximum, nm.minimum, np.maximum, np.minimum])
def test_maximum_minimum_tie_splits_half_and_half(f):
    g = nm.gradient(lambda v: f(v[0], v[1]), np.array([1.25, 1.25]))
    np.testing.assert_array_equal(g, [0.5, 0.5])
    # away from the tie the whole derivative goes to the selected argument
    g = nm.gradient(lambda v: f(v[0], v[1]), np.array([1.0, 2.0]))
    expected = [0.0, 1.0] if f in (nm.maximum, np.maximum) else [1.0, 0.0]
    np.testing.assert_array_equal(g, expected)


def test_maximum_tie_with_scalar_duals():
    t = nm.Dual(0.0, [0.0, 0.0]).tag
    x, y = nm.Dual(2.0, [1.0, 0.0], tag=t), nm.Dual(2.0, [0.0, 1.0], tag=t)
    np.testing.assert_array_equal(nm.maximum(x, y).partials, [0.5, 0.5])
    np.testing.assert_array_equal(nm.minimum(x, y).partials, [0.5, 0.5])


@pytest.mark.parametrize("x, expected", [
    (-1.0, [1.0, 0.0, 0.0]),   # at lo: x is inside the closed interval [lo, hi]
    (2.0, [1.0, 0.0, 0.0]),    # at hi: likewise
    (-1.0 + 1e-9, [1.0, 0.0, 0.0]),
    (-1.5, [0.0, 1.0, 0.0]),   # below lo: the derivative goes to lo
    (3.0, [0.0, 0.0, 1.0]),    # above hi: to hi
    (0.5, [1.0, 0.0, 0.0]),
])
def test_clip_partials(x, expected):
    g = nm.gradient(lambda v: nm.clip(v[0], v[1], v[2]), np.array([x, -1.0, 2.0]))
    np.testing.assert_array_equal(g, expected)
    d = nm.derivative(lambda t: nm.clip(t, -1.0, 2.0), x)
    assert d == expected[0]


def test_clip_derivative_on_boundary_for_arrays():
    x = np.array([-1.0, 0.0, 2.0, 3.0])
    g = nm.jacobian(lambda v: np.clip(v, -1.0, 2.0), x)
    np.testing.assert_array_equal(np.diag(g), [1.0, 1.0, 1.0, 0.0])


def test_power_partial_in_exponent_at_zero_base():
    # d/dy x**y = x**y log x, taken as its limit 0 at x = 0 (for y > 0)
    g = nm.gradient(lambda v: nm.power(v[0], v[1]), np.array([0.0, 2.5]))
    assert g[1] == 0.0 and g[0] == 0.0
    t = nm.Dual(0.0, [0.0, 0.0]).tag
    p = nm.power(nm.Dual(0.0, [1.0, 0.0], tag=t), nm.Dual(3.0, [0.0, 1.0], tag=t))
    np.testing.assert_array_equal(p.partials, [0.0, 0.0])
    assert nm.derivative(lambda y: nm.power(0.0, y), 2.0) == 0.0
    assert nm.derivative(lambda y: nm.power(np.array([0.0, 2.0]), y), 2.0)[0] == 0.0
    assert math.isclose(nm.derivative(lambda y: nm.power(np.array([0.0, 2.0]), y), 2.0)[1],
                        4 * math.log(2.0), rel_tol=1e-15)


# -- random compositions of the rules at the three precisions --------------------------------------


@settings(max_examples=25)
@given(e=expressions(nvars=2, max_depth=4))
def test_random_expressions_float64(e):
    f = lambda v: e(*v)  # noqa: E731
    x = np.array(e.point)
    check_derivatives(f, x, order=1, complex_step=e.complex_step)
    check_derivatives(f, x, order=2, rtol=1e-7, complex_step=e.complex_step)


@settings(max_examples=15)
@given(e=expressions(nvars=2, max_depth=4))
def test_random_expressions_float32(e):
    f = lambda v: e(*v)  # noqa: E731
    x = np.array(e.point, dtype=np.float32)
    assert nm.jacobian(f, x).dtype == np.float32
    check_derivatives(f, x, order=1, rtol=2e-3, complex_step=False)
    check_derivatives(f, x, order=2, rtol=5e-3, complex_step=False)


@settings(max_examples=8)
@given(e=expressions(nvars=2, max_depth=3))
def test_random_expressions_mpf(e):
    f = lambda v: e(*v)  # noqa: E731
    with mpmath.workdps(30):
        x = np.array([mpmath.mpf(p) for p in e.point], dtype=object)
        r = check_derivatives(f, x, order=1, complex_step=e.holomorphic or False)
        assert all(isinstance(v, mpmath.mpf) for v in np.ravel(r.forward))
        check_derivatives(f, x, order=2, complex_step=e.holomorphic or False)


def test_strategies_are_reachable_from_numeric_testing():
    from numeric import strategies
    from numeric.testing import strategies as via_testing

    assert via_testing is strategies and via_testing.expressions is expressions
