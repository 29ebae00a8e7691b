"""The PINN (examples/pinn.py): nested derivatives inside the loss checked against differences and
the other AD mode; (slow) the full setting's accuracy against sin(pi x)."""

import doctest
import importlib.util
import pathlib
import sys

import numpy as np
import pytest

import numeric as nm

PATH = pathlib.Path(__file__).resolve().parents[1] / "examples" / "pinn.py"
spec = importlib.util.spec_from_file_location("pinn", PATH)
pinn = importlib.util.module_from_spec(spec)
sys.modules[spec.name] = pinn
spec.loader.exec_module(pinn)

NET = pinn.make_net(8)
THETA = NET.init(3)
X = pinn.collocation_points(12)


def test_u_xx_by_nested_duals_against_a_fourth_order_difference():
    h = 1e-3
    uu = [pinn.u(NET, X + k * h, THETA) for k in (-2, -1, 0, 1, 2)]
    fd = (-uu[0] + 16 * uu[1] - 30 * uu[2] + 16 * uu[3] - uu[4]) / (12 * h * h)
    assert np.allclose(pinn.u_xx(NET, X, THETA), fd, atol=1e-6, rtol=0)


def test_u_xx_of_a_known_function():
    # one tanh unit, u = w2 tanh(w1 x + b1) + b2: u'' = -2 w2 w1^2 tanh(s) (1 - tanh(s)^2)
    net = pinn.Chain(pinn.Dense(1, 1, "tanh"), pinn.Dense(1, 1))
    th = np.array([1.7, 0.3, -0.8, 0.1])
    x = np.linspace(0.05, 0.95, 5)[:, None]
    t = np.tanh(1.7 * x[:, 0] + 0.3)
    assert np.allclose(pinn.u_xx(net, x, th), -2 * (-0.8) * 1.7 ** 2 * t * (1 - t * t), rtol=1e-13)


def test_loss_gradient_reverse_equals_forward_and_differences():
    def loss(th):
        return pinn.pinn_loss(th, NET, X)

    v_r, g_r = nm.value_and_grad(loss, mode="reverse")(THETA)
    v_f, g_f = nm.value_and_grad(loss, mode="forward")(THETA)
    assert v_r == v_f
    assert np.allclose(g_r, g_f, rtol=1e-12, atol=1e-12 * np.max(np.abs(g_r)))
    for i in (0, 20, THETA.size - 1):
        e = np.zeros_like(THETA)
        e[i] = 1e-6
        fd = (loss(THETA + e) - loss(THETA - e)) / 2e-6
        assert abs(g_r[i] - fd) < 1e-6 * max(1.0, abs(fd)), (i, g_r[i], fd)


def test_short_training_reduces_the_loss():
    r = pinn.train(width=8, points=16, adam_iters=60, bfgs_iters=10)
    assert r["history"][-1] < 0.05 * r["history"][0]


def test_forward_over_reverse_second_derivative():
    def du(x):
        return nm.grad(lambda xx: np.sum(NET(xx, THETA)), mode="reverse")(x)
    uxx = nm.derivative(lambda s: du(X + s), 0.0)[:, 0]
    assert np.allclose(uxx, pinn.u_xx(NET, X, THETA), rtol=1e-12)


@pytest.mark.slow
def test_full_setting_accuracy():
    r = pinn.train()
    assert r["max_error"] < 1e-5, r["max_error"]
    assert r["rel_l2_error"] < 1e-5, r["rel_l2_error"]


def test_docstring_examples():
    result = doctest.testmod(pinn, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0 and result.attempted > 0, result
