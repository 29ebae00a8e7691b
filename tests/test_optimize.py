"""solvers/optimize.py against scipy.optimize and closed forms; stopping rules; bad input."""

import doctest

import numpy as np
import pytest
import scipy.optimize as so

import solvers.optimize as opt

X0_ROSEN = np.array([-1.2, 1.0, -0.5, 0.8])


def rosen(x):      # scipy's so.rosen, written without np.asarray so that duals pass through
    return np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2)


def quadratic(n=6, seed=0):
    rng = np.random.default_rng(seed)
    M = rng.normal(size=(n, n))
    A = M @ M.T + n * np.eye(n)
    b = rng.normal(size=n)
    return (lambda x: 0.5 * x @ A @ x - b @ x), np.linalg.solve(A, b)


@pytest.mark.parametrize("method", [opt.bfgs, opt.lbfgs])
def test_rosenbrock_matches_scipy(method):
    ours = method(rosen, X0_ROSEN, gtol=1e-8)
    ref = so.minimize(so.rosen, X0_ROSEN, jac=so.rosen_der,
                      method="BFGS" if method is opt.bfgs else "L-BFGS-B", tol=1e-12)
    assert ours.success, ours.message
    np.testing.assert_allclose(ours.x, ref.x, atol=1e-6)
    np.testing.assert_allclose(ours.x, np.ones(4), atol=1e-7)
    assert ours.nit < 3 * ref.nit + 10          # a comparable number of iterations
    assert ours.history[-1] == ours.fun and ours.fun < 1e-14


@pytest.mark.parametrize("method", [opt.bfgs, opt.lbfgs])
def test_quadratic_exact_minimiser(method):
    f, xstar = quadratic()
    r = method(f, np.zeros(6), gtol=1e-8)   # (below ~1e-9 the loss changes under its roundoff)
    assert r.success, r.message
    np.testing.assert_allclose(r.x, xstar, rtol=0, atol=1e-8 / 6 * 2)  # |g| <= gtol, eig(A) >= 6
    ref = so.minimize(f, np.zeros(6), method="BFGS", jac=lambda x: so.approx_fprime(x, f))
    np.testing.assert_allclose(r.x, ref.x, atol=1e-5)


def test_line_search_satisfies_strong_wolfe():
    x, p = np.array([-1.2, 1.0]), -so.rosen_der(np.array([-1.2, 1.0]))
    phi = lambda a: (so.rosen(x + a * p), so.rosen_der(x + a * p) @ p, None)  # noqa: E731
    f0, g0 = so.rosen(x), so.rosen_der(x) @ p
    for a0 in (1.0, 1e-3, 10.0):
        a, fa, _, _ = opt.wolfe_line_search(phi, f0, g0, a0)
        assert fa <= f0 + 1e-4 * a * g0
        assert abs(phi(a)[1]) <= 0.9 * abs(g0)
    assert opt.wolfe_line_search(phi, f0, -g0)[0] is None      # ascent direction refused


@pytest.mark.parametrize("rule", [opt.Adam(lr=0.05), opt.GradientDescent(lr=0.05, momentum=0.5)])
def test_first_order_rules_reach_the_quadratic_minimiser(rule):
    f, xstar = quadratic()
    r = opt.minimize_first_order(rule, f, np.zeros(6), maxiter=3000, gtol=1e-8)
    assert r.success and r.message.startswith("converged")
    np.testing.assert_allclose(r.x, xstar, atol=1e-6)


def test_adam_matches_a_hand_written_first_step_and_torch_formula():
    # Kingma & Ba: the first step is -lr * sign(g) (m_hat = g, v_hat = g^2)
    g0 = np.array([3.0, -0.5])
    seen = []
    opt.adam(lambda x: g0 @ x, np.zeros(2), lr=0.1, maxiter=2,
             callback=lambda it: seen.append(it.x.copy()))
    np.testing.assert_allclose(seen[1], -0.1 * np.sign(g0) * (1 / (1 + 1e-8 / np.abs(g0))))


def test_adamw_decays_weights_decoupled():
    # zero gradient: AdamW shrinks x by (1 - lr * wd) per step, Adam leaves it
    r = opt.adamw(lambda x: 0.0 * np.sum(x), np.ones(3), lr=0.1, weight_decay=0.5, maxiter=3,
                  callback=lambda it: None)
    assert r.history == [0.0, 0.0, 0.0]
    seen = []
    opt.adamw(lambda x: 0.0 * np.sum(x), np.ones(3), lr=0.1, weight_decay=0.5, maxiter=3,
              callback=lambda it: seen.append(it.x[0]))
    np.testing.assert_allclose(seen, [1.0, 0.95, 0.95 ** 2])


def test_user_gradients_jac_true_and_callable():
    f, xstar = quadratic()
    g = lambda x: so.approx_fprime(x, f, 1e-7)  # noqa: E731
    r1 = opt.bfgs(f, np.zeros(6), jac=g, gtol=1e-5)
    r2 = opt.lbfgs(lambda x: (f(x), g(x)), np.zeros(6), jac=True, gtol=1e-5)
    for r in (r1, r2):
        np.testing.assert_allclose(r.x, xstar, atol=1e-5)
    with pytest.raises(TypeError, match="jac must be None"):
        opt.bfgs(f, np.zeros(6), jac="yes")


def test_stopping_rules():
    f = lambda x: np.sum(x ** 2)  # noqa: E731
    r = opt.adam(f, np.ones(2), lr=0.1, maxiter=50)
    assert r.nit == 50 and r.message == "reached maxiter = 50" and len(r.history) == 50
    r = opt.adam(lambda x: np.sum(np.abs(x)) + 1.0, np.ones(2), lr=1.5, maxiter=500, patience=5)
    assert r.message.startswith("stopped early") and r.nit < 500
    assert r.fun == min(r.history)                  # the best point is returned
    r = opt.gradient_descent(f, np.ones(2), lr=0.01, maxiter=10_000, ftol=0.05)
    assert r.message.startswith("converged: relative change") and r.nit < 10_000
    r = opt.adam(f, np.ones(2), callback=lambda it: it.nit == 3)
    assert r.message == "stopped by the callback" and r.nit == 4
    r = opt.bfgs(rosen, X0_ROSEN, maxiter=3)
    assert not r.success and "maxiter" in r.message


def test_non_finite_loss_fails_with_a_message():
    r = opt.adam(lambda x: np.log(x[0]), np.array([0.05]), lr=1.0, maxiter=100)
    assert not r.success and "not finite" in r.message
    r = opt.bfgs(lambda x: np.sum(x) * np.nan, np.ones(2))
    assert not r.success and "not finite" in r.message


def test_progress_bar_reports_the_loss(capsys):
    pytest.importorskip("tqdm", reason="tqdm (test dependency) is not installed")
    opt.adam(lambda x: np.sum(x ** 2), np.ones(2), maxiter=5, progress=True)
    err = capsys.readouterr().err
    assert "Adam" in err and "loss=" in err and "5/5" in err


def test_docstring_examples_run():
    result = doctest.testmod(opt, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0
