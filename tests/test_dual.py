"""The scalar Dual: several partials, mixed arithmetic, tags and nesting,
comparisons and the ==/hash policy, NumPy object arrays of duals.

Derivatives are checked against mpmath (check_derivatives) or closed forms
derived by hand in the comments.
"""

import math

import mpmath
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import numeric as nm
from numeric.strategies import expressions
from numeric.testing import check_derivatives, reference_derivative


def _pair(x, y):
    """Two duals of one tag seeded with the two unit vectors."""
    tag = nm.Dual(0.0).tag
    return nm.Dual(x, [1.0, 0.0], tag=tag), nm.Dual(y, [0.0, 1.0], tag=tag)


# -- construction and accessors -----------------------------------------------------------


def test_construction_and_accessors():
    d = nm.Dual(2.0, [1.0, 0.0, 3.0])
    assert d.value == 2.0 and d.npartials == 3
    np.testing.assert_array_equal(d.partials, [1.0, 0.0, 3.0])
    one = nm.Dual(2.0)
    assert one.npartials == 1 and one.partials.shape == (1,) and one.partials[0] == 1.0
    older, newer = nm.Dual(1.0), nm.Dual(1.0)
    assert older.tag < newer.tag  # tags are fresh and increasing
    assert "Dual(2.0, [1.0, 0.0, 3.0]" in repr(d)


def test_value_must_have_an_older_tag():
    outer = nm.Dual(1.0)
    with pytest.raises(ValueError, match="older tag"):
        nm.Dual(outer, 1.0, tag=outer.tag)


# -- several partials ------------------------------------------------------------------------


@given(x=st.floats(0.2, 3), y=st.floats(-2, 2))
def test_several_partials_give_the_gradient(x, y):
    dx, dy = _pair(x, y)
    out = nm.exp(dx * dy) / (1 + dx * dx) + nm.arctan2(dy, dx) - dx**dy
    ref = reference_derivative(
        lambda v: nm.exp(v[0] * v[1]) / (1 + v[0] * v[0]) + nm.arctan2(v[1], v[0]) - v[0] ** v[1],
        np.array([x, y]))
    np.testing.assert_allclose(out.partials, [float(r) for r in ref], rtol=1e-10, atol=1e-12)


def test_partials_of_mpf_duals_are_mpf():
    with mpmath.workdps(30):
        tag = nm.Dual(0.0).tag
        x = nm.Dual(mpmath.mpf("0.5"), np.array([mpmath.mpf(1), mpmath.mpf(0)], dtype=object),
                    tag=tag)
        y = nm.sin(x) * x
        assert isinstance(y.value, mpmath.mpf)
        assert all(isinstance(p, mpmath.mpf) for p in y.partials)
        ref = mpmath.diff(lambda t: mpmath.sin(t) * t, mpmath.mpf("0.5"))
        assert abs(y.partials[0] - ref) < mpmath.mpf(10) ** -28


# -- mixed arithmetic with plain numbers ---------------------------------------------------------


@pytest.mark.parametrize("c", [2, 2.0, np.float64(2.0), mpmath.mpf(2), True])
def test_mixed_arithmetic_with_real_scalars(c):
    x = nm.Dual(3.0, 1.0)
    c = 2 if c is True else c  # bool: 1 + 1
    for expr, value, deriv in [
        (lambda: x + c, 5.0, 1.0), (lambda: c + x, 5.0, 1.0), (lambda: x - c, 1.0, 1.0),
        (lambda: c - x, -1.0, -1.0), (lambda: x * c, 6.0, 2.0), (lambda: c * x, 6.0, 2.0),
        (lambda: x / c, 1.5, 0.5), (lambda: c / x, 2 / 3, -2 / 9), (lambda: x**c, 9.0, 6.0),
        (lambda: c**x, 8.0, 8 * math.log(2)),
    ]:
        y = expr()
        assert isinstance(y, nm.Dual)
        assert math.isclose(float(nm.value(y)), value, rel_tol=1e-15)
        assert math.isclose(float(y.partials[0]), deriv, rel_tol=1e-15)


def test_bool_arithmetic():
    x = nm.Dual(3.0, 1.0)
    y = x * True + False
    assert y.value == 3.0 and y.partials[0] == 1.0


def test_mixed_arithmetic_keeps_float32():
    x = nm.Dual(np.float32(0.5), np.float32(1.0))
    for y in (x + 1.0, 2.0 * x, x / 3, x**2, nm.exp(x), nm.erf(x), np.sin(x), 1.0 - x):
        assert type(y.value) is np.float32, y
        assert y.partials.dtype == np.float32, y


def test_mixed_arithmetic_with_mpf_gives_mpf():
    with mpmath.workdps(30):
        x = nm.Dual(0.5, 1.0)
        y = x * mpmath.mpf(3) + mpmath.pi
        assert isinstance(y.value, mpmath.mpf) and isinstance(y.partials[0], mpmath.mpf)
        assert y.partials[0] == 3


def test_complex_duals():
    # holomorphic: d/dz exp(z) sin(z) at a complex point
    z = 0.3 + 0.7j
    d = nm.derivative(lambda t: nm.exp(t) * nm.sin(t), z)
    ref = complex(mpmath.diff(lambda t: mpmath.exp(t) * mpmath.sin(t), mpmath.mpc(z)))
    assert abs(d - ref) < 1e-14 * abs(ref)
    x = nm.Dual(1.0, 1.0)
    y = x * (2 + 1j)
    assert y.value == 2 + 1j and y.partials[0] == 2 + 1j


def test_unsupported_operand_gives_type_error():
    x = nm.Dual(1.0)
    with pytest.raises(TypeError):
        x + "a"
    with pytest.raises(TypeError):
        x * None


# -- comparisons on the primal value and the ==/hash policy ----------------------------------------


def test_comparisons_use_the_primal_value():
    a, b = nm.Dual(1.0, 5.0), nm.Dual(2.0, -3.0)
    assert a < b and a <= b and b > a and b >= a and a != b
    assert a < 1.5 and 1.5 > a and a == 1.0 and 1.0 == a
    # branch on a dual: the branch taken is the float one, and it is not differentiated
    f = lambda x: x * x if x > 0 else -x  # noqa: E731
    assert nm.derivative(f, 3.0) == 6.0 and nm.derivative(f, -3.0) == -1.0


def test_equal_duals_with_different_partials_compare_equal():
    # documented policy: == compares primal values only ...
    assert nm.Dual(1.0, 1.0) == nm.Dual(1.0, 2.0)
    assert bool(nm.Dual(0.0, 1.0)) is False and bool(nm.Dual(2.0, 0.0)) is True


def test_duals_are_unhashable():
    # ... so a dual cannot be a dict key or a set member; nm.value(d) can
    with pytest.raises(TypeError, match="unhashable"):
        hash(nm.Dual(1.0))
    with pytest.raises(TypeError):
        {nm.Dual(1.0): 1}
    assert {nm.value(nm.Dual(1.0)): 1} == {1.0: 1}


# -- nesting: tags ordered, no perturbation confusion ----------------------------------------------


def test_siskind_pearlmutter_perturbation_confusion():
    # Siskind & Pearlmutter (2005): d/dx [x * (d/dy (x + y))] at x = 1 is 1, not 2
    assert nm.derivative(lambda x: x * nm.derivative(lambda y: x + y, 1.0), 1.0) == 1.0


def test_nested_product_example():
    # d/dx [x * d/dy (x y)] = d/dx x**2 = 2x
    assert nm.derivative(lambda x: x * nm.derivative(lambda y: x * y, 2.0), 3.0) == 6.0


def test_triple_nesting_of_closures():
    # d/dx d/dy d/dz (x y z) = 1, and
    # d/dx [x d/dy (y d/dz (x y z))] = d/dx [x * 2 x y z] at y = z = 1, which is 4 x
    f = nm.derivative(lambda x: nm.derivative(lambda y: nm.derivative(
        lambda z: x * y * z, 1.0), 1.0), 1.0)
    assert f == 1.0
    g = nm.derivative(lambda x: x * nm.derivative(lambda y: y * nm.derivative(
        lambda z: x * y * z, 1.0), 1.0), 1.5)
    assert g == pytest.approx(6.0, rel=1e-15)


def test_derivative_of_a_closure_returned_by_a_derivative():
    # g(x) = d/dy sin(x y) at y = 1 = x cos x, so g'(x) = cos x - x sin x
    def g(x):
        return nm.derivative(lambda y: nm.sin(x * y), 1.0)

    x = 0.7
    assert nm.derivative(g, x) == pytest.approx(math.cos(x) - x * math.sin(x), rel=1e-14)
    check_derivatives(g, x, order=2)


def test_closure_captures_an_outer_dual_used_after_the_inner_call():
    # the inner call must not differentiate with respect to the outer variable
    def f(x):
        inner = nm.derivative(lambda y: x * x * y * y, 1.0)  # 2 x**2
        return inner + x  # 2 x**2 + x

    assert nm.derivative(f, 2.0) == 9.0  # 4 x + 1
    assert nm.hessian(f, 2.0) == 4.0


def test_gradient_inside_derivative():
    # d/da sum(d/dv sum(a v**2)) = d/da sum(2 a v) = 2 * sum(v) = 6 for v = ones(3)
    out = nm.derivative(lambda a: np.sum(nm.gradient(lambda v: np.sum(a * v**2), np.ones(3))), 2.0)
    assert out == 6.0


def test_duals_of_duals_give_higher_derivatives():
    x = 0.4
    d3 = nm.derivative(lambda a: nm.derivative(lambda b: nm.derivative(nm.tan, b), a), x)
    # tan''' = 2 sec^2 (1 + 3 tan^2)... compare with mpmath
    ref = mpmath.diff(mpmath.tan, x, 3)
    assert d3 == pytest.approx(float(ref), rel=1e-13)


def test_mixing_an_older_dual_as_constant():
    outer = nm.Dual(2.0, 1.0)
    inner = nm.Dual(3.0, 1.0)  # newer tag: the outer dual is a constant inside it
    y = outer * inner
    assert y.tag == inner.tag
    assert isinstance(y.value, nm.Dual) and y.value.value == 6.0
    assert y.partials[0].value == 2.0  # d/d inner = outer, itself a dual of the older tag
    assert y.partials[0].partials[0] == 1.0


# -- NumPy object arrays of duals ------------------------------------------------------------------


def test_numpy_object_arrays_of_duals_use_the_methods():
    tag = nm.Dual(0.0).tag
    xs = np.array([nm.Dual(0.5, 1.0, tag=tag), nm.Dual(1.5, 1.0, tag=tag)], dtype=object)
    for ufunc, name in [(np.exp, "exp"), (np.sin, "sin"), (np.sqrt, "sqrt"), (np.tanh, "tanh"),
                        (np.arctan, "arctan"), (np.log1p, "log1p"), (np.absolute, "abs")]:
        ys = ufunc(xs)
        for x, y in zip(xs, ys):
            assert isinstance(y, nm.Dual)
            assert y.value == pytest.approx(float(nm.FUNCTIONS[name](x.value)), rel=1e-15)
            d = nm.derivative(nm.FUNCTIONS[name], x.value)
            assert y.partials[0] == pytest.approx(d, rel=1e-15)
    s = np.sum(xs * xs)
    assert s.value == 0.25 + 2.25 and s.partials[0] == 1.0 + 3.0


def test_dual_meets_object_array():
    x = nm.Dual(2.0, 1.0)
    arr = np.array([1.0, 2.0], dtype=object)
    for out in (x * arr, arr * x, np.multiply(arr, x), np.arctan2(arr, x)):
        assert out.dtype == object and all(isinstance(e, nm.Dual) for e in out)
    np.testing.assert_array_equal([e.partials[0] for e in arr * x], [1.0, 2.0])


def test_dual_meets_float_array_gives_dualarray():
    x = nm.Dual(2.0, 1.0)
    out = x * np.array([1.0, 3.0])
    assert isinstance(out, nm.DualArray)
    np.testing.assert_array_equal(out.value, [2.0, 6.0])
    np.testing.assert_array_equal(out.partials[:, 0], [1.0, 3.0])
    out = np.hypot(x, np.array([1.5, 0.0]))
    assert isinstance(out, nm.DualArray)
    np.testing.assert_allclose(out.partials[:, 0], [2.0 / 2.5, 1.0])


# -- random expressions on Dual against mpmath -----------------------------------------------------


@given(expressions(nvars=1, max_depth=4))
def test_random_expressions_second_derivative(e):
    check_derivatives(e, e.point[0], order=1, complex_step=e.complex_step)
    check_derivatives(e, e.point[0], order=2, rtol=1e-7, complex_step=e.complex_step)
