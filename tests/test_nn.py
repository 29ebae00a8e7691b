"""solvers/nn.py: layouts, initialisation, batching, and every number type through a network."""

import doctest

import mpmath
import numpy as np
import pytest

import numeric as nm
import solvers.nn as nn
from solvers.nn import Chain, Dense

ACTS = sorted(nn.ACTIVATIONS)


def small_net(act="tanh"):
    return Chain(lambda u: u ** 3, Dense(2, 5, act), Dense(5, 2))


def loss(theta, net, X, Y):
    r = net(X, theta) - Y
    return np.sum(r * r)


def data(n=4):
    rng = np.random.default_rng(1)
    return rng.normal(size=(n, 2)), rng.normal(size=(n, 2))


def test_layout_views_and_init():
    net = Chain(Dense(2, 50, "tanh"), Dense(50, 2))
    theta = net.init(3)
    assert theta.shape == (252,) and net.nparams == 252
    views = net.unflatten(theta)
    assert views["0.W"].shape == (2, 50) and views["1.b"].shape == (2,)
    assert np.shares_memory(views["0.W"], theta)          # views, not copies
    np.testing.assert_array_equal(theta, net.init(3))     # reproducible from the seed
    a = np.sqrt(6 / 52)
    assert np.all(np.abs(views["0.W"]) <= a) and np.all(views["0.b"] == 0)
    assert np.abs(views["0.W"]).max() > 0.8 * a           # uniform on (-a, a), not narrower
    he = Dense(400, 300, init="he").init(0)[:120000]
    assert np.std(he) == pytest.approx(np.sqrt(2 / 400), rel=0.02)


def test_batch_is_rowwise():
    net = small_net()
    theta = net.init(0)
    X = np.random.default_rng(0).normal(size=(6, 2))
    np.testing.assert_allclose(net(X, theta), np.stack([net(x, theta) for x in X]), rtol=1e-15)


@pytest.mark.parametrize("act", ACTS)
def test_activations_forward_reverse_and_finite_differences(act):
    net = small_net(act)
    X, Y = data()
    theta = net.init(2) + 0.1          # biases off zero: relu's kink is not sampled
    f = lambda t: loss(t, net, X, Y)   # noqa: E731
    gf = nm.grad(f, mode="forward")(theta)
    gr = nm.grad(f, mode="reverse")(theta)
    np.testing.assert_allclose(gf, gr, rtol=1e-12, atol=1e-12)
    h = 1e-6
    fd = np.array([(f(theta + h * e) - f(theta - h * e)) / (2 * h) for e in np.eye(theta.size)])
    np.testing.assert_allclose(gr, fd, rtol=1e-6, atol=1e-6)


def test_complex_step_gradient():
    net = small_net("tanh")
    X, Y = data()
    theta = net.init(4)
    g = nm.grad(lambda t: loss(t, net, X, Y), mode="reverse")(theta)
    cs = np.array([np.imag(loss(theta + 1e-30j * e, net, X, Y)) / 1e-30
                   for e in np.eye(theta.size)])
    np.testing.assert_allclose(g, cs, rtol=1e-13, atol=1e-13)


def test_hessian_and_hvp_vs_differences_of_the_gradient():
    # nm.hessian: forward over forward, and (mode="reverse") reverse over forward; nm.hvp is
    # reverse over forward. (Forward over a reverse gradient, nm.jacobian(nm.grad(f, mode=
    # "reverse")), does not run: the tape records a DualArray input as one scalar node.)
    net = small_net("softplus")
    X, Y = data()
    theta = net.init(5)
    f = lambda t: loss(t, net, X, Y)   # noqa: E731
    grad = nm.grad(f, mode="reverse")
    H = nm.hessian(f, theta)
    h = 1e-5
    fd = np.stack([(grad(theta + h * e) - grad(theta - h * e)) / (2 * h)
                   for e in np.eye(theta.size)], axis=1)
    np.testing.assert_allclose(H, fd, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(nm.hessian(f, theta, mode="reverse"), H, rtol=1e-10, atol=1e-10)
    v = np.random.default_rng(0).normal(size=theta.size)
    np.testing.assert_allclose(nm.hvp(f, theta, v), H @ v, rtol=1e-10, atol=1e-10)


def test_mpf_network_at_30_digits():
    net = small_net("tanh")
    theta64 = net.init(6)
    x64 = np.array([0.3, -0.7])
    with mpmath.workdps(30):
        theta = np.array([mpmath.mpf(v) for v in theta64], dtype=object)
        x = np.array([mpmath.mpf(3) / 10, mpmath.mpf(-7) / 10], dtype=object)
        y = net(x, theta)
        assert all(isinstance(e, mpmath.mpf) for e in y)
        # an independent evaluation with mpmath matrices
        p = net.unflatten(theta)
        h = [mpmath.tanh(sum(x[i] ** 3 * p["1.W"][i, j] for i in range(2)) + p["1.b"][j])
             for j in range(5)]
        ref = [sum(h[i] * p["2.W"][i, j] for i in range(5)) + p["2.b"][j] for j in range(2)]
        assert max(abs(a - b) for a, b in zip(y, ref)) < mpmath.mpf(10) ** -28
        y64 = net(x64, theta64)
        assert max(abs(float(a) - b) for a, b in zip(y, y64)) < 1e-14   # float agrees to 1e-14


def test_measurement_input_propagates_the_linear_formula():
    net = small_net("sigmoid")
    theta = net.init(7)
    x0, sx = np.array([0.4, -0.2]), np.array([0.01, 0.03])
    y = net(nm.measurements(x0, sx), theta)
    J = nm.jacobian(lambda x: net(x, theta), x0)
    expected = np.sqrt((J ** 2) @ sx ** 2)
    np.testing.assert_allclose(nm.uncertainty(y), expected, rtol=1e-12)
    np.testing.assert_allclose(nm.value(y), net(x0, theta), rtol=1e-15)


def test_dual_input_gives_the_input_jacobian():
    net = small_net("rbf")
    theta = net.init(8)
    x0 = np.array([0.5, 0.1])
    J = nm.jacobian(lambda x: net(x, theta), x0)
    h = 1e-6
    fd = np.stack([(net(x0 + h * e, theta) - net(x0 - h * e, theta)) / (2 * h)
                   for e in np.eye(2)], axis=1)
    np.testing.assert_allclose(J, fd, rtol=1e-7, atol=1e-9)


def test_bad_input_is_explained():
    net = small_net()
    with pytest.raises(ValueError, match="flat parameter vector of length 27"):
        net(np.zeros(2), np.zeros(26))
    with pytest.raises(ValueError, match="expected 2 features"):
        net(np.zeros(3), net.init(0))
    with pytest.raises(ValueError, match="unknown activation"):
        Dense(2, 2, "swish")
    with pytest.raises(ValueError, match=r"shape \(n_in,\) or \(batch, n_in\)"):
        net(np.zeros((1, 1, 2)), net.init(0))


def test_docstring_examples_run():
    result = doctest.testmod(nn, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0
