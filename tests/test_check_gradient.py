"""nm.testing.check_gradient / check_jacobian (hand-written derivatives against forward mode,
reverse mode and 40-digit mpmath differences), and check_derivatives on non-analytic code."""

import numpy as np
import pytest

import numeric as nm
from numeric import testing


def f_scalar(x):
    return np.sum(x ** 2 * nm.sin(x)) + x[0] * x[1]


def grad_right(x):
    g = 2 * x * np.sin(x) + x ** 2 * np.cos(x)
    g[0] += x[1]
    g[1] += x[0]
    return g


def test_correct_gradient_passes_against_three_references():
    x = np.array([0.3, 1.2, -2.0])
    r = testing.check_gradient(f_scalar, grad_right, x)
    assert sorted(r.references) == ["forward", "mpmath", "reverse"]
    assert max(r.errors.values()) < 1e-14


def test_gradient_off_in_one_entry_is_named():
    def grad_wrong(x):
        g = grad_right(x)
        g[2] *= 1 + 1e-6                 # a subtle error in one entry
        return g

    with pytest.raises(AssertionError) as e:
        testing.check_gradient(f_scalar, grad_wrong, np.array([0.3, 1.2, -2.0]))
    text = str(e.value)
    assert "check_gradient: first derivatives of f_scalar" in text
    assert "yours" in text and "reverse" in text and "mpmath" in text
    assert "[2]" in text and "[0]" not in text.split("failed", 1)[1]


def test_jacobian_of_a_non_square_map():
    f = lambda x: np.array([x[0] * x[1], nm.exp(x[0]), nm.sin(x[1])])   # noqa: E731
    J = lambda x: np.array([[x[1], x[0]], [np.exp(x[0]), 0.0], [0.0, np.cos(x[1])]])  # noqa: E731
    assert testing.check_jacobian(f, J, np.array([0.5, 2.0])).errors["reverse"] < 1e-15
    with pytest.raises(AssertionError, match=r"shape \(2, 2\).*shape \(3, 2\)"):
        testing.check_jacobian(f, lambda x: J(x)[:2], np.array([0.5, 2.0]))


def test_without_mpmath_for_code_that_cannot_take_mpf():
    f = lambda x: np.sum(np.tanh(x))      # noqa: E731  (NumPy ufunc: no mpf object arrays)
    r = testing.check_gradient(f, lambda x: 1 - np.tanh(x) ** 2, np.array([0.1, 0.7]),
                               mpmath_reference=False)
    assert "mpmath" in r.skipped and sorted(r.references) == ["forward", "reverse"]


@pytest.mark.parametrize("f", [
    lambda x: x + nm.abs(x),
    lambda x: (x + nm.abs(x)) / 2 + nm.log1p(nm.exp(-nm.abs(x))),     # stable softplus
], ids=["x_plus_abs", "stable_softplus"])
def test_non_analytic_code_is_not_a_false_alarm(f):
    r = testing.check_derivatives(f, -0.8)
    assert "complex_step" in r.skipped and "not be complex-analytic" in r.skipped["complex_step"]
    assert r.errors["mpmath"] < 1e-14
    with pytest.raises(AssertionError, match="complex_step"):
        testing.check_derivatives(f, -0.8, complex_step=True)


def test_wrong_derivative_still_fails_when_complex_step_also_disagrees():
    def wrong(x):
        return x + nm.abs(x) + 1e-4 * (x - nm.value(x))

    with pytest.raises(AssertionError, match="mpmath"):
        testing.check_derivatives(wrong, -0.8)


def test_long_check_warns_with_the_estimate(monkeypatch):
    monkeypatch.setattr(testing, "LONG_CHECK_SECONDS", 1e-9)
    with pytest.warns(UserWarning, match=r"needs 256 evaluations .*mpmath_reference=False"):
        testing.check_derivatives(lambda x: np.sum(x ** 3), np.arange(1.0, 5.0), order=2)


def test_arrays_for_respects_shape_bounds_and_avoided_points():
    from hypothesis import given, settings

    from numeric.strategies import arrays_for

    seen = []

    @settings(max_examples=40, deadline=None)
    @given(arrays_for(low=-1.0, high=1.0, avoid=[0.0, 0.5], margin=0.1, max_dims=3, max_side=3))
    def draw(x):
        seen.append(x.shape)
        assert x.dtype == np.float64 and 1 <= x.ndim <= 3 and max(x.shape) <= 3
        assert np.all(np.abs(x) <= 1.0) and np.all(np.abs(x) >= 0.1)
        assert np.all(np.abs(x - 0.5) >= 0.1)

    draw()
    assert len(set(seen)) > 1                  # shapes are drawn, not fixed
    with pytest.raises(ValueError, match="low < high"):
        arrays_for(low=1.0, high=0.0)
