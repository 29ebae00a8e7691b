"""nm.derivative(f, x, mode="reverse") of array-valued f (issue 10; DiffTests num2arr_1).

Forward mode returns the array of derivatives; reverse mode now does too (one sweep per
output element on one tape) instead of refusing. Checked against forward mode and against
the closed-form derivative.
"""

import numpy as np
import pytest

import numeric as nm


def f(t):
    return np.array([[np.sin(t), t * t], [np.exp(-t), 1.0 + 0 * t]])


def df(t):
    return np.array([[np.cos(t), 2 * t], [-np.exp(-t), 0.0]])


@pytest.mark.parametrize("t", [0.0, 0.3, -2.5])
def test_array_valued_derivative_in_reverse_matches_forward_and_closed_form(t):
    rev = nm.derivative(f, t, mode="reverse")
    assert rev.shape == (2, 2)
    np.testing.assert_allclose(rev, df(t), rtol=1e-15, atol=1e-16)
    np.testing.assert_allclose(rev, nm.derivative(f, t), rtol=1e-15, atol=1e-16)


def test_scalar_output_and_nesting_still_work():
    assert nm.derivative(lambda t: t**3, 2.0, mode="reverse") == pytest.approx(12.0, rel=1e-15)
    # d/da of d/dt (a t^2) at t = 1 is 2: forward over reverse
    d2 = nm.derivative(lambda a: nm.derivative(lambda t: a * t * t, 1.0, mode="reverse"), 2.0)
    assert float(d2) == pytest.approx(2.0, rel=1e-15)


def test_array_input_is_refused_with_a_pointer_to_gradient():
    with pytest.raises(TypeError, match="nm.gradient or nm.jacobian"):
        nm.derivative(lambda x: x * 2, np.array([1.0, 2.0]), mode="reverse")
