"""solvers.nn.BatchNorm: batch statistics against a direct NumPy formula, its hand-written VJP
(the network as one reverse-mode node) against forward mode and central differences."""

import numpy as np
import pytest

import numeric as nm
from solvers.nn import BatchNorm, Chain, Dense


def test_normalises_each_feature_over_the_batch_then_scales_and_shifts():
    bn = BatchNorm(3)
    x = np.random.default_rng(0).normal(2.0, 5.0, size=(8, 3))
    gamma, beta = np.array([0.5, 2.0, -1.0]), np.array([0.1, 0.0, 3.0])
    y = bn(x, np.concatenate([gamma, beta]))
    ref = gamma * (x - x.mean(axis=0)) / np.sqrt(x.var(axis=0) + bn.eps) + beta
    np.testing.assert_allclose(y, ref, rtol=1e-13)
    np.testing.assert_allclose(bn(x, bn.init(0)).mean(axis=0), 0.0, atol=1e-14)


def _net():
    return Chain(BatchNorm(3), Dense(3, 5), BatchNorm(5, "relu", gamma_init=(0.1, 0.5),
                                                     beta_std=0.1), Dense(5, 2), BatchNorm(2))


def test_one_reverse_node_matches_forward_mode_and_differences():
    net = _net()
    assert net.primitive is not None                 # Dense + BatchNorm: one tape node
    theta = net.init(1)
    x = np.random.default_rng(2).normal(size=(7, 3))
    c = np.random.default_rng(3).normal(size=(7, 2))

    def f(th):
        return np.sum(np.sin(net(x, th)) * c)
    g_rev = nm.grad(f, mode="reverse")(theta)
    g_fwd = nm.grad(f, mode="forward")(theta)        # DualArray: the generic (taped) path
    np.testing.assert_allclose(g_rev, g_fwd, rtol=1e-10, atol=1e-12)
    v = np.random.default_rng(4).normal(size=theta.size)
    h = 1e-6
    assert g_rev @ v == pytest.approx((f(theta + h * v) - f(theta - h * v)) / (2 * h), rel=1e-6)
    gx = nm.grad(lambda u: np.sum(np.sin(net(u, theta)) * c), mode="reverse")(x)
    gx_fwd = nm.grad(lambda u: np.sum(np.sin(net(u, theta)) * c), mode="forward")(x)
    np.testing.assert_allclose(gx, gx_fwd, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("shape", [(4,), (1, 4), (5, 3)])
def test_input_without_a_batch_to_normalise_over_is_refused(shape):
    bn = BatchNorm(4)
    with pytest.raises(ValueError, match="batch >= 2"):
        bn(np.ones(shape), bn.init(0))
