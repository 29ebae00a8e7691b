"""e^x four ways (examples/function_approximation.py): each approximant's error is what its
mathematics says, and (slow) the full setting's network accuracy."""

import doctest
import importlib.util
import pathlib
import sys

import numpy as np
import pytest

import numeric as nm

PATH = pathlib.Path(__file__).resolve().parents[1] / "examples" / "function_approximation.py"
spec = importlib.util.spec_from_file_location("function_approximation", PATH)
fa = importlib.util.module_from_spec(spec)
sys.modules[spec.name] = fa
spec.loader.exec_module(fa)

X = fa.chebyshev_points(64)
GRID = fa.error_grid()


def _max_err(f):
    return float(np.max(np.abs(np.asarray(f(GRID), dtype=float) - np.exp(GRID))))


def test_training_points_avoid_the_removable_singularity():
    assert X.min() > 0 and X.max() < 1 and np.all(np.diff(X) > 0)


def test_polynomial_least_squares_error_decreases_like_the_taylor_remainder():
    # near-minimax error of degree n on [0, 1] is about e / (2^(2n+1) (n+1)!) (Chebyshev bound)
    for n in (3, 5, 7):
        err = _max_err(fa.fit_polynomial(n, X, np.exp(X)))
        bound = np.e / (2 ** (2 * n + 1) * np.prod(np.arange(1, n + 2)))
        assert bound / 10 < err < 2 * bound, (n, err, bound)


def test_adaptive_fun_is_at_machine_precision_and_interpolant_converges():
    fun, fun4 = fa.fun_approximations(n=4)
    assert _max_err(fun) < 5e-15 and len(fun) < 20
    assert _max_err(fun4) > 100 * _max_err(fa.fun_approximations(n=8)[1])


def test_even_form_cannot_fit_the_odd_part_on_a_symmetric_interval():
    a = np.array([0.7, 1.3, -0.4, 2.1])
    z = np.linspace(0.1, 1.0, 7)
    assert np.allclose(fa.tanh_form(z, a), fa.tanh_form(-z, a), rtol=1e-13)
    xm = np.linspace(-1, 1, 40)
    b = fa.fit_form(fa.tanh_form, xm, np.exp(xm), starts=4)
    assert np.max(np.abs(fa.tanh_form(xm, b) - np.exp(xm))) > 0.5   # >= about sinh(1) / 2


def test_shifted_form_training_finds_the_half_angle_identity():
    a = fa.fit_form(fa.tanh_form_shifted, X, np.exp(X), starts=4)
    assert _max_err(lambda z: fa.tanh_form_shifted(z, a)) < 1e-10
    exact = np.array([2.0, 0.5, 1.0, 0.5])
    assert _max_err(lambda z: fa.tanh_form_shifted(z, exact)) < 1e-15


def test_network_loss_gradient_against_central_differences():
    net = fa.Chain(fa.Dense(1, 5, "tanh"), fa.Dense(5, 1))
    th = net.init(0)

    def loss(t):
        r = net(X[:, None], t) - np.exp(X)[:, None]
        return np.mean(r * r)

    _, g = nm.value_and_grad(loss, mode="reverse")(th)
    e = np.zeros_like(th)
    e[2] = 1e-6
    assert abs(g[2] - (loss(th + e) - loss(th - e)) / 2e-6) < 1e-8


def test_short_network_training_reduces_the_loss():
    _, _, hist = fa.fit_network(X, np.exp(X), width=4, adam_iters=30, bfgs_iters=10)
    assert hist[-1] < 0.01 * hist[0]


@pytest.mark.slow
def test_full_setting_errors():
    out = {a.name: a.max_error for a in fa.approximate_all()}
    assert out["network 1-16-1 (tanh)"] < 1e-4, out
    assert out["1 + a1 tanh(a2 x)/(a3 - tanh(a4 x))"] < 1e-10, out
    assert 1e-3 < out["1 + a1 tanh(a2 x)/(a3 x - tanh(a4 x))"] < 1e-2, out


def test_docstring_examples():
    result = doctest.testmod(fa, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0 and result.attempted > 0, result
