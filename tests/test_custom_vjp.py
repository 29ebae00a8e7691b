"""numeric.reverse.primitive.custom_vjp: one tape node with a user VJP, checked against finite differences."""

import numpy as np
import pytest

import numeric as nm


def _fwd(a, b):
    """Outputs (sin(a) * b, sum(a ** 2)) of an array a and a scalar b, with their VJP."""
    def vjp(g):
        gy, gs = g
        return gy * np.cos(a) * b + gs * 2 * a, float(np.sum(gy * np.sin(a)))
    return (np.sin(a) * b, np.sum(a ** 2)), vjp


f = nm.custom_vjp(_fwd)


def _taped(a, b):
    return nm.sin(a) * b, np.sum(a ** 2)


def _central(fun, x, h=1e-6):
    g = np.zeros_like(x)
    for i in range(x.size):
        e = np.zeros_like(x)
        e[i] = h
        g[i] = (fun(x + e) - fun(x - e)) / (2 * h)
    return g


def _loss(prim):
    def loss(z):
        y, s = prim(z[:3], z[3])
        return np.sum(y * y) + 3.0 * s
    return loss


def test_gradient_matches_finite_differences_and_taped_code():
    z = np.array([0.3, -1.2, 2.0, 0.7])
    g = nm.gradient(_loss(f), z, mode="reverse")
    np.testing.assert_allclose(g, _central(_loss(_taped), z), rtol=1e-8, atol=1e-9)
    np.testing.assert_allclose(g, nm.gradient(_loss(_taped), z, mode="reverse"), rtol=1e-13)


def test_unused_output_gets_zero_cotangent_and_plain_inputs_pass_through():
    z = np.array([0.3, -1.2, 2.0, 0.7])
    g = nm.gradient(lambda x: f(x[:3], x[3])[1], z, mode="reverse")
    np.testing.assert_allclose(g, np.r_[2 * z[:3], 0.0])
    y, s = f(z[:3], 2.0)
    np.testing.assert_allclose(y, np.sin(z[:3]) * 2.0)


def test_nested_primitives_and_a_constant_input():
    a = np.array([0.5, 1.5, -0.5])

    def loss(x):
        y, _ = f(x, 2.0)               # b is a constant: its cotangent is dropped
        y2, s2 = f(y, x[0])            # the output of one primitive feeds another
        return np.sum(y2) + s2

    def taped(x):
        y, _ = _taped(x, 2.0)
        y2, s2 = _taped(y, x[0])
        return np.sum(y2) + s2

    g = nm.gradient(loss, a, mode="reverse")
    np.testing.assert_allclose(g, _central(taped, a), rtol=1e-7, atol=1e-9)


def test_inside_a_longer_taped_computation_many_times():
    x = np.array([0.1, 0.2, 0.3])

    def loss(v):
        s = 0.0
        for k in range(5):
            y, q = f(nm.tanh(v) * (k + 1), v[1])
            s = s + np.sum(y) * q
        return s

    def taped(v):
        s = 0.0
        for k in range(5):
            y, q = _taped(np.tanh(v) * (k + 1), v[1])
            s = s + np.sum(y) * q
        return s

    np.testing.assert_allclose(nm.gradient(loss, x, mode="reverse"), _central(taped, x),
                               rtol=1e-7, atol=1e-9)


def test_forward_over_reverse_is_refused_clearly():
    with pytest.raises(TypeError, match="forward mode"):
        nm.hvp(lambda x: f(x, 1.0)[1], np.array([1.0, 2.0, 3.0]), np.ones(3))


def test_module_doctest():
    import doctest

    import numeric.reverse.primitive as mod

    result = doctest.testmod(mod, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0
