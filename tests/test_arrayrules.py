"""Array functions shared by every array number type (numeric/arrayrules.py).

Regression tests for silent wrong answers of issue 10: ``np.dot`` above 2-D,
``np.inner`` with a scalar or 2-D operands, reverse ``np.max``/``np.min`` with
``keepdims``, ``np.swapaxes`` keywords and the reverse-over-forward Hessian of
``np.prod``.  Derivatives are checked against central differences and against
the other AD mode.
"""

import numpy as np
import pytest

import numeric as nm
from numeric.measurement import measurements, uncertainty

RNG = np.random.default_rng(7)
A3 = RNG.normal(size=(2, 3, 4))
B3 = RNG.normal(size=(5, 4, 2))


def _fd_grad(f, x, h=1e-6):
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[i] = h
        g[i] = (f(x + e) - f(x - e)) / (2 * h)
    return g


def _check_grad(f, x, rtol=1e-6):
    ref = _fd_grad(f, x)
    for mode in ("forward", "reverse"):
        g = nm.gradient(f, x, mode=mode)
        np.testing.assert_allclose(g, ref, rtol=rtol, atol=1e-7, err_msg=mode)


CASES = {
    "dot3d_a": lambda a: np.sum(np.sin(np.dot(a, B3))),
    "dot3d_b": lambda b: np.sum(np.sin(np.dot(A3, b))),
    "dot_vec_nd": lambda b: np.sum(np.sin(np.dot(A3[0, 0], b))),
    "inner2d": lambda a: np.sum(np.sin(np.inner(a, A3[0]))),
    "inner3d": lambda a: np.sum(np.sin(np.inner(a, A3))),
}
INPUTS = {"dot3d_a": A3, "dot3d_b": B3, "dot_vec_nd": B3, "inner2d": A3[1], "inner3d": A3}


@pytest.mark.parametrize("name", sorted(CASES))
def test_dot_inner_value_and_gradient(name):
    f, x = CASES[name], INPUTS[name]
    m = measurements(x, 1e-3 * np.ones(x.shape))
    np.testing.assert_allclose(nm.value(f(m)), f(x), rtol=1e-13)
    # first-order uncertainty of independent sources: sqrt(sum (df/dx_i * s_i)^2)
    np.testing.assert_allclose(uncertainty(f(m)), 1e-3 * np.linalg.norm(_fd_grad(f, x)), rtol=1e-6)
    _check_grad(f, x)


def test_dot_above_2d_has_numpy_shape_for_every_type():
    ref = np.dot(A3, B3)
    assert ref.shape == (2, 3, 5, 2)
    grad_shape = nm.jacobian(lambda a: np.dot(a, B3), A3).shape
    assert grad_shape == ref.shape + A3.shape
    m = measurements(A3, 0.1 * np.ones(A3.shape))
    y = np.dot(m, B3)
    np.testing.assert_allclose(nm.value(y), ref)
    # uncertainty: independent sources, y linear in a -> std^2 = sum_k (0.1 * B3[..])^2
    sd = 0.1 * np.sqrt(np.sum(B3 ** 2, axis=1))          # (5, 2), same for every (i, j)
    np.testing.assert_allclose(uncertainty(y), np.broadcast_to(sd, ref.shape), rtol=1e-12)


def test_inner_with_scalar_operand_multiplies():
    v = np.array([1.0, 2.0, 3.0])
    assert np.inner(2, v).tolist() == [2.0, 4.0, 6.0]
    for mode in ("forward", "reverse"):
        d = nm.derivative(lambda s: np.sum(np.inner(s, v) ** 2), 2.0, mode=mode) if mode == \
            "forward" else nm.gradient(lambda s: np.sum(np.inner(s[0], v) ** 2), np.array([2.0]),
                                       mode=mode)[0]
        assert np.isclose(d, 2 * 2.0 * np.sum(v ** 2)), mode     # d/ds sum (s v)^2 = 2 s |v|^2
    j = nm.jacobian(lambda x: np.inner(2.0, x), v, mode="reverse")
    np.testing.assert_allclose(j, 2 * np.eye(3))


@pytest.mark.parametrize("func", [np.max, np.min])
def test_reverse_extreme_keepdims_puts_gradient_on_the_extreme(func):
    x = RNG.normal(size=(3, 4))
    f = lambda z: np.sum(func(z, axis=1, keepdims=True) * np.array([[1.0], [2.0], [3.0]]))
    ref = np.zeros_like(x)
    idx = np.argmax(x, axis=1) if func is np.max else np.argmin(x, axis=1)
    ref[np.arange(3), idx] = [1.0, 2.0, 3.0]
    for mode in ("forward", "reverse"):
        np.testing.assert_allclose(nm.gradient(f, x, mode=mode), ref, err_msg=mode)


def test_swapaxes_keywords():
    x = RNG.normal(size=(2, 3, 4))
    f = lambda z: np.sum(np.swapaxes(z, axis1=0, axis2=-1) * np.arange(24.0).reshape(4, 3, 2))
    ref = np.swapaxes(np.arange(24.0).reshape(4, 3, 2), 0, -1)
    for mode in ("forward", "reverse"):
        np.testing.assert_allclose(nm.gradient(f, x, mode=mode), ref, err_msg=mode)
    m = measurements(x, np.ones(x.shape))
    assert np.swapaxes(m, axis1=0, axis2=2).shape == (4, 3, 2)


def test_swapaxes_bad_axis_is_a_clear_error():
    with pytest.raises(np.exceptions.AxisError, match="out of bounds"):
        nm.gradient(lambda z: np.sum(np.swapaxes(z, 0, 5)), np.ones((2, 2)), mode="reverse")


@pytest.mark.parametrize("mode", ["forward", "reverse"])
def test_prod_hessian(mode):
    x = np.array([1.5, -0.7, 2.0, 0.3])
    H = nm.hessian(lambda z: np.prod(z), x, mode=mode)
    ref = np.empty((4, 4))
    for i in range(4):
        for j in range(4):
            ref[i, j] = 0.0 if i == j else np.prod(np.delete(x, [i, j]))
    np.testing.assert_allclose(H, ref, rtol=1e-12, atol=1e-14)
    # includes a zero entry: the exclusive product must not divide by x_i
    x0 = np.array([0.0, 2.0, 3.0])
    H0 = nm.hessian(lambda z: np.prod(z), x0, mode=mode)
    np.testing.assert_allclose(H0, [[0, 3, 2], [3, 0, 0], [2, 0, 0]], atol=1e-14)


def test_function_without_rule_refuses_naming_it_and_custom_rule():
    from numeric.arrayrules import UnsupportedArrayFunction
    x = np.array([0.1, 3.0, 6.5])
    with pytest.raises(UnsupportedArrayFunction, match=r"numpy\.unwrap.*nm\.custom_rule"):
        nm.gradient(lambda z: np.sum(np.unwrap(z)), x, mode="forward")
    with pytest.raises(UnsupportedArrayFunction, match=r"numpy\.unwrap.*nm\.custom_rule"):
        nm.gradient(lambda z: np.sum(np.unwrap(z)), x, mode="reverse")
    with pytest.raises(UnsupportedArrayFunction, match=r"unwrap.*MeasurementArray"):
        np.unwrap(measurements(x, 0.1 * np.ones(3)))
