"""The network as one reverse-mode node (solvers/nn_vjp.py) against forward mode and the taped path."""

import numpy as np
import pytest

import numeric as nm
from solvers.nn import ACTIVATIONS, Chain, Dense


def _loss(net, x):
    return lambda th: np.sum(np.sin(net(x, th)))


@pytest.mark.parametrize("act", sorted(ACTIVATIONS))
@pytest.mark.parametrize("batch", [False, True])
def test_gradient_matches_forward_mode(act, batch):
    net = Chain(lambda u: u ** 3, Dense(2, 6, act), Dense(6, 3, act), Dense(3, 2))
    theta = net.init(3) + 0.1          # nonzero biases: relu sees both signs
    x = np.array([[0.3, -0.7], [1.1, 0.4], [-0.5, 0.9]]) if batch else np.array([0.3, -0.7])
    g_rev = nm.gradient(_loss(net, x), theta, mode="reverse")
    g_fwd = nm.gradient(_loss(net, x), theta, mode="forward")     # DualArray: the generic path
    np.testing.assert_allclose(g_rev, g_fwd, rtol=1e-12, atol=1e-13)


def test_gradient_wrt_input_and_one_node():
    net = Chain(Dense(2, 5, "rbf"), Dense(5, 2))
    theta = net.init(0)
    x = np.array([0.2, -0.4])
    gx = nm.gradient(lambda u: np.sum(net(u, theta) ** 2), x, mode="reverse")
    gx_fwd = nm.gradient(lambda u: np.sum(net(u, theta) ** 2), x, mode="forward")
    np.testing.assert_allclose(gx, gx_fwd, rtol=1e-12)
    assert net.primitive is not None


def test_custom_activation_function_is_differentiated_by_vjp():
    def cube(z):
        return z * z * z

    net = Chain(Dense(2, 3, cube), Dense(3, 1))
    theta = net.init(1)
    x = np.array([[0.5, 0.25]])
    np.testing.assert_allclose(nm.gradient(_loss(net, x), theta, mode="reverse"),
                               nm.gradient(_loss(net, x), theta, mode="forward"), rtol=1e-12)


def test_hessian_keeps_the_generic_path_exact():
    # nested differentiation must not go through the first-order primitive
    net = Chain(Dense(2, 3, "tanh"), Dense(3, 1))
    theta = net.init(2)
    x = np.array([0.3, 0.6])
    f = _loss(net, x)
    v = np.random.default_rng(0).normal(size=theta.size)
    hv = nm.hvp(f, theta, v)
    h = 1e-5
    fd = (nm.gradient(f, theta + h * v, mode="forward") - nm.gradient(f, theta - h * v, mode="forward")) / (2 * h)
    np.testing.assert_allclose(hv, fd, rtol=1e-5, atol=1e-8)


def test_wrong_input_width_is_reported():
    net = Chain(Dense(3, 2))
    with pytest.raises(ValueError, match="expected 3 features"):
        nm.gradient(lambda th: np.sum(net(np.ones(2), th)), net.init(0), mode="reverse")
