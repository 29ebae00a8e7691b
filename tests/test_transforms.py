"""nm.grad / nm.value_and_grad: functions returned, modes agree, scipy accepts them, they nest."""

import doctest

import mpmath
import numpy as np
import pytest
import scipy.optimize as so
from hypothesis import given, settings
from hypothesis import strategies as st

import numeric as nm
import numeric.transforms as transforms


def rosen(x):
    return np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2)


def rosen_grad_exact(x):          # the closed form scipy ships (scipy.optimize.rosen_der)
    return so.rosen_der(x)


@pytest.mark.parametrize("mode", ["auto", "forward", "reverse"])
@pytest.mark.parametrize("n", [2, 40])
def test_grad_matches_closed_form(mode, n):
    x = np.linspace(-1.0, 1.5, n)
    np.testing.assert_allclose(nm.grad(rosen, mode=mode)(x), rosen_grad_exact(x), rtol=1e-13,
                               atol=1e-12)
    v, g = nm.value_and_grad(rosen, mode=mode)(x)
    assert v == pytest.approx(so.rosen(x), rel=1e-14)
    np.testing.assert_allclose(g, rosen_grad_exact(x), rtol=1e-13, atol=1e-12)


def test_auto_picks_forward_for_small_and_reverse_for_large_inputs():
    seen = []

    def f(x):
        seen.append(type(x).__name__)
        return np.sum(x * x)

    nm.grad(f)(np.ones(transforms.AUTO_FORWARD_MAX))
    nm.grad(f)(np.ones(transforms.AUTO_FORWARD_MAX + 1))
    assert seen == ["DualArray", "TrackedArray"]


@pytest.mark.parametrize("mode", ["forward", "reverse"])
def test_scipy_minimize_with_our_jac(mode):
    x0 = np.array([-1.2, 1.0, 0.5, -0.3])
    ours = so.minimize(rosen, x0, jac=nm.grad(rosen, mode=mode), method="BFGS", tol=1e-10)
    ref = so.minimize(rosen, x0, jac=so.rosen_der, method="BFGS", tol=1e-10)
    assert ours.success and ref.success
    np.testing.assert_allclose(ours.x, np.ones(4), atol=1e-6)
    assert abs(ours.nit - ref.nit) <= 2        # the same gradients: the same path


def test_extra_arguments_pass_through_as_constants():
    f = lambda x, a, *, b=0.0: a * np.sum(x ** 3) + b  # noqa: E731
    x = np.array([1.0, 2.0])
    for mode in ("forward", "reverse"):
        np.testing.assert_allclose(nm.grad(f, mode=mode)(x, 2.0, b=5.0), 6.0 * x ** 2)
        assert nm.value_and_grad(f, mode=mode)(x, 2.0, b=5.0)[0] == pytest.approx(23.0)
    res = so.minimize(lambda x, c: np.sum((x - c) ** 2), np.zeros(2), args=(np.array([1.0, -2.0]),),
                      jac=nm.grad(lambda x, c: np.sum((x - c) ** 2)))
    np.testing.assert_allclose(res.x, [1.0, -2.0], atol=1e-7)


def test_scalar_input_and_mpf_precision():
    assert nm.grad(lambda t: t ** 3)(2.0) == pytest.approx(12.0)
    with mpmath.workdps(30):
        x = np.array([mpmath.mpf(1) / 3, mpmath.mpf(2)], dtype=object)
        for mode in ("forward", "reverse"):
            v, g = nm.value_and_grad(lambda z: np.sum(nm.exp(z)), mode=mode)(x)
            assert isinstance(g[0], mpmath.mpf)
            assert abs(g[0] - mpmath.exp(mpmath.mpf(1) / 3)) < mpmath.mpf(10) ** -28
            assert abs(v - mpmath.exp(mpmath.mpf(1) / 3) - mpmath.exp(2)) < mpmath.mpf(10) ** -27


# (reverse over a forward nm.grad is not offered: nm.gradient refuses a TrackedArray input;
# nm.hessian(mode="reverse") is the reverse-over-forward Hessian)
@pytest.mark.parametrize("outer,inner", [("forward", "forward"), ("forward", "reverse"),
                                         ("reverse", "reverse")])
def test_nesting_gives_the_hessian(outer, inner):
    f = lambda x: x[0] ** 2 * x[1] + nm.sin(x[1])  # noqa: E731
    x = np.array([1.0, 3.0])
    H = nm.jacobian(nm.grad(f, mode=inner), x, mode=outer)
    np.testing.assert_allclose(H, [[2 * 3.0, 2 * 1.0], [2 * 1.0, -np.sin(3.0)]], rtol=1e-13)


def test_value_of_an_inner_call_keeps_outer_derivatives():
    # d/da of the *value* returned by value_and_grad(f)(x, a) must be df/da
    def value_at(a):
        return nm.value_and_grad(lambda x, a: a * np.sum(x ** 2), mode="forward")(
            np.array([1.0, 2.0]), a)[0]
    assert nm.derivative(value_at, 3.0) == pytest.approx(5.0)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.floats(-2, 2), min_size=1, max_size=25))
def test_forward_and_reverse_agree(xs):
    x = np.array(xs)
    f = lambda z: np.sum(nm.tanh(z) * z) + np.sum(z) ** 2  # noqa: E731
    np.testing.assert_allclose(nm.grad(f, mode="forward")(x), nm.grad(f, mode="reverse")(x),
                               rtol=1e-12, atol=1e-12)


def test_bad_arguments_are_explained():
    with pytest.raises(ValueError, match="mode must be one of"):
        nm.grad(rosen, mode="backward")
    with pytest.raises(TypeError, match="takes a function"):
        nm.value_and_grad(np.ones(3))
    with pytest.raises(TypeError, match="scalar-valued"):
        nm.grad(lambda x: x ** 2, mode="reverse")(np.ones(3))


def test_docstring_examples_run():
    result = doctest.testmod(transforms, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0
