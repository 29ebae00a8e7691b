"""solvers/nn.Conv1D: the stencil against scipy, batching, gradients in both modes, refusals."""

import numpy as np
import pytest
from scipy.ndimage import correlate1d

import numeric as nm
from solvers.nn import Chain, Conv1D, Dense


def test_circular_stencil_matches_scipy_wrap_correlation():
    rng = np.random.default_rng(0)
    x, w = rng.normal(size=11), rng.normal(size=5)
    np.testing.assert_allclose(Conv1D(5)(x, w), correlate1d(x, w, mode="wrap"), rtol=1e-13)
    X = rng.normal(size=(3, 11))                              # a batch: the last axis is space
    np.testing.assert_allclose(Conv1D(5)(X, w), correlate1d(X, w, axis=-1, mode="wrap"), rtol=1e-13)


def test_valid_stencil_matches_numpy_correlate():
    rng = np.random.default_rng(1)
    x, w = rng.normal(size=9), rng.normal(size=4)
    np.testing.assert_allclose(Conv1D(4, padding="valid")(x, w), np.correlate(x, w, mode="valid"),
                               rtol=1e-13)


def test_second_difference_of_a_periodic_sine():
    n = 64
    x = 2 * np.pi * np.arange(n) / n
    h = x[1]
    y = Conv1D(3)(np.sin(x), np.array([1.0, -2.0, 1.0]) / h ** 2)
    # the exact symbol of the 3-point Laplacian on sin: -(2 - 2 cos h) / h^2
    np.testing.assert_allclose(y, -(2 - 2 * np.cos(h)) / h ** 2 * np.sin(x), atol=1e-11)


def test_gradients_forward_reverse_and_differences_through_a_chain():
    net = Chain(Conv1D(3, activation="tanh"), Conv1D(3))
    rng = np.random.default_rng(2)
    X, Y = rng.normal(size=(2, 8)), rng.normal(size=(2, 8))
    f = lambda th: np.sum((net(X, th) - Y) ** 2)  # noqa: E731
    th = net.init(0)
    gr, gf = nm.grad(f, mode="reverse")(th), nm.grad(f, mode="forward")(th)
    np.testing.assert_allclose(gr, gf, rtol=1e-12)
    h = 1e-6
    fd = [(f(th + h * e) - f(th - h * e)) / (2 * h) for e in np.eye(th.size)]
    np.testing.assert_allclose(gr, fd, rtol=1e-6)


def test_in_a_chain_with_dense_layers():
    net = Chain(Conv1D(3), Dense(6, 2))
    assert net.nparams == 3 + 6 * 2 + 2
    assert net(np.ones((5, 6)), net.init(0)).shape == (5, 2)


@pytest.mark.parametrize("args, match", [((0,), "kernel_size"), ((2.5,), "kernel_size"),
                                         ((4,), "odd"), ((3, "same"), "padding")])
def test_bad_settings_are_refused(args, match):
    with pytest.raises(ValueError, match=match):
        Conv1D(*args)


def test_a_grid_shorter_than_the_stencil_is_refused():
    with pytest.raises(ValueError, match="fewer than the stencil"):
        Conv1D(5)(np.ones(3), np.ones(5))
