"""SDE solvers: convergence orders on GBM against the exact solution on the same path,
weak expectations of the scheme, the refinable Brownian path, pathwise derivatives, errors."""

import math

import numpy as np
import pytest

import numeric as nm
from solvers.sde import SRA1, BrownianPath, EulerMaruyama, Milstein, SDEProblem, solve

MU, SIGMA = 1.0, 0.5


def gbm(mu=MU, sigma=SIGMA, u0=1.0):
    return SDEProblem(lambda u, p, t: p[0] * u, lambda u, p, t: p[1] * u, u0, (0.0, 1.0),
                      (mu, sigma))


def slope(hs, errs):
    return np.polyfit(np.log(hs), np.log(errs), 1)[0]


@pytest.mark.parametrize("alg, order", [(EulerMaruyama(), 0.5), (Milstein(), 1.0)],
                         ids=["EM", "Milstein"])
def test_strong_order_on_gbm_against_the_exact_solution_on_the_same_path(alg, order):
    paths = 800
    path = BrownianPath((0.0, 1.0), shape=(paths,), seed=11, n=8)
    hs, errs = [], []
    for steps in (8, 16, 32, 64, 128, 256):
        sol = solve(gbm(), alg, path=path, dt=1.0 / steps, batch=paths, save="final")
        w_end = path.increments(steps)[0].sum(axis=0)
        exact = np.exp((MU - SIGMA**2 / 2) + SIGMA * w_end)
        hs.append(1.0 / steps)
        errs.append(np.mean(np.abs(sol.u[-1] - exact)))
    assert abs(slope(hs, errs) - order) < 0.15
    assert errs[-1] < errs[0] / 2 ** (order * 5) * 2


def test_sra1_strong_order_three_halves_on_additive_noise():
    paths = 400
    prob = SDEProblem(lambda u, p, t: -np.sin(u) + 0.5 * t, lambda u, p, t: 0.4 + 0 * u, 1.0,
                      (0.0, 1.0))
    path = BrownianPath((0.0, 1.0), shape=(paths,), seed=3, n=4)
    ref = solve(prob, SRA1(), path=path, dt=2.0**-11, batch=paths, save="final").u[-1]
    hs, errs = [], []
    for steps in (4, 8, 16, 32, 64):
        sol = solve(prob, SRA1(), path=path, dt=1.0 / steps, batch=paths, save="final")
        hs.append(1.0 / steps)
        errs.append(np.mean(np.abs(sol.u[-1] - ref)))
    assert slope(hs, errs) > 1.4
    em = solve(prob, EulerMaruyama(), path=path, dt=1.0 / 64, batch=paths, save="final").u[-1]
    assert errs[-1] < np.mean(np.abs(em - ref)) / 10


def test_euler_maruyama_weak_expectations_and_weak_order_one():
    # EM on GBM: X_N = X0 prod(1 + mu h + sigma dW_k), so E[X_N] = (1 + mu h)^N exactly and
    # E[X_N^2] = ((1 + mu h)^2 + sigma^2 h)^N. The MC means must match those within 5 sigma;
    # the weak error against E[X(1)] = e^mu must shrink like h.
    paths = 200_000
    hs, errs = [], []
    for steps in (2, 4, 8, 16):
        h = 1.0 / steps
        x = solve(gbm(), EulerMaruyama(), dt=h, batch=paths, seed=steps, save="final").u[-1]
        se = x.std(ddof=1) / math.sqrt(paths)
        assert abs(x.mean() - (1 + MU * h) ** steps) < 5 * se
        m2 = ((1 + MU * h) ** 2 + SIGMA**2 * h) ** steps
        assert abs(np.mean(x**2) - m2) < 5 * np.std(x**2, ddof=1) / math.sqrt(paths)
        hs.append(h)
        errs.append(abs(x.mean() - math.exp(MU)))
    assert abs(slope(hs, errs) - 1.0) < 0.15


def test_brownian_path_refinement_has_the_right_law_and_exact_coarse_views():
    path = BrownianPath((0.0, 2.0), shape=(50_000,), seed=5, n=1)
    w1, h1 = path.increments(1)
    w4, h4 = path.increments(4)                         # two refinements
    n = 50_000
    assert np.allclose(w4.sum(axis=0), w1[0], atol=1e-12)
    # refined increments: independent N(0, h) and areas N(0, h / 12), h = 0.5
    for k in range(4):
        assert abs(w4[k].var() - 0.5) < 5 * 0.5 * math.sqrt(2 / n)
        assert abs(h4[k].var() - 0.5 / 12) < 5 * (0.5 / 12) * math.sqrt(2 / n)
        assert abs(np.mean(w4[k] * h4[k])) < 5 * math.sqrt(0.5 * 0.5 / 12 / n)
    assert abs(np.mean(w4[0] * w4[1])) < 5 * 0.5 / math.sqrt(n)
    # the whole-interval area is recovered exactly from the halves
    w2, h2 = path.increments(2)
    assert np.allclose((h2[0] + h2[1]) / 2 + (w2[0] - w2[1]) / 4, h1[0], atol=1e-12)
    assert np.allclose(path.W(2.0), w1[0])
    with pytest.raises(ValueError, match=r"n \* 2\*\*j"):
        path.increments(3)


def test_pathwise_derivative_with_a_dual_parameter():
    # EM on GBM along a fixed path: X_N = prod(1 + mu h + sigma dW_k), so
    # dX_N/dmu = X_N sum(h / (1 + mu h + sigma dW_k)); checked also against central differences
    steps = 64
    path = BrownianPath((0.0, 1.0), shape=(), seed=9, n=steps)
    dw = path.increments(steps)[0]
    h = 1.0 / steps

    def x_end(mu):
        return solve(gbm(mu=mu), EulerMaruyama(), path=path, save="final").u[-1]

    factors = 1 + MU * h + SIGMA * dw
    exact = np.prod(factors) * np.sum(h / factors)
    d = nm.derivative(x_end, MU)
    assert abs(d - exact) < 1e-12 * abs(exact)
    e = 1e-6
    assert abs(d - (x_end(MU + e) - x_end(MU - e)) / (2 * e)) < 1e-6 * abs(exact)


def test_pathwise_derivative_through_a_batch_and_milstein():
    paths = 5
    path = BrownianPath((0.0, 1.0), shape=(paths,), seed=2, n=32)

    def x_end(sigma):
        return solve(gbm(sigma=sigma), Milstein(), path=path, batch=paths, save="final").u[-1]

    d = nm.derivative(x_end, SIGMA)
    e = 1e-6
    fd = (x_end(SIGMA + e) - x_end(SIGMA - e)) / (2 * e)
    assert d.shape == (paths,) and np.allclose(d, fd, rtol=1e-6, atol=1e-9)


def test_general_noise_is_exact_for_constant_diffusion():
    # du = G dW with a constant 2x3 matrix: u(T) = u0 + G W(T) for every step size
    g_mat = np.array([[1.0, 0.5, 0.0], [0.0, -0.3, 2.0]])
    prob = SDEProblem(lambda u, p, t: 0 * u, lambda u, p, t: g_mat + 0 * u[..., None],
                      np.array([1.0, 2.0]), (0.0, 1.0), noise_dim=3)
    path = BrownianPath((0.0, 1.0), shape=(4, 3), seed=1, n=16)
    w_end = path.increments(16)[0].sum(axis=0)
    for alg in (EulerMaruyama(), SRA1()):
        sol = solve(prob, alg, path=path, batch=4, save="final")
        assert np.allclose(sol.u[-1], np.array([1.0, 2.0]) + w_end @ g_mat.T, atol=1e-12)


def test_batch_saving_and_interpolation():
    prob = gbm()
    sol = solve(prob, EulerMaruyama(), dt=0.1, seed=3, batch=7)
    assert len(sol.t) == 11 and sol.u[0].shape == (7,) and np.allclose(sol.t[-1], 1.0)
    mid = sol(0.05)
    assert np.allclose(mid, (sol.u[0] + sol.u[1]) / 2)
    at = solve(prob, EulerMaruyama(), dt=0.1, seed=3, batch=7, saveat=[0.5, 1.0])
    assert np.array_equal(at.u[0], sol.u[5]) and np.array_equal(at.u[1], sol.u[10])


def test_clear_errors():
    with pytest.raises(ValueError, match="g\\(u, p, t\\) returned shape \\(3,\\); diagonal"):
        solve(SDEProblem(lambda u, p, t: u, lambda u, p, t: np.ones(3), np.ones(2), (0, 1)),
              EulerMaruyama(), dt=0.1, seed=1)
    with pytest.raises(ValueError, match="noise_dim=2: g must return shape"):
        solve(SDEProblem(lambda u, p, t: u, lambda u, p, t: np.ones((2, 3)), np.ones(2), (0, 1),
                         noise_dim=2), EulerMaruyama(), dt=0.1, seed=1)
    with pytest.raises(ValueError, match="f\\(u, p, t\\) returned shape"):
        solve(SDEProblem(lambda u, p, t: np.ones(3), lambda u, p, t: u, np.ones(2), (0, 1)),
              EulerMaruyama(), dt=0.1, seed=1)
    # g = [[u1, 0], [0, u0]]: L^1 g_2 = (0, u1) but L^2 g_1 = (u0, 0), not commutative
    noncommuting = SDEProblem(lambda u, p, t: u, lambda u, p, t: np.array([[u[1], 0 * u[0]],
                                                                           [0 * u[0], u[0]]]),
                              np.ones(2), (0, 1), noise_dim=2)
    with pytest.raises(ValueError, match="needs commutative noise"):
        solve(noncommuting, Milstein(), dt=0.1, seed=1)
    with pytest.raises(ValueError, match="the noise needs"):
        solve(gbm(), EulerMaruyama(), path=BrownianPath((0.0, 1.0), (3,), seed=1), batch=2)
    with pytest.raises(ValueError, match="give a step dt"):
        solve(gbm(), EulerMaruyama(), seed=1)


def test_other_number_types_run_unchanged():
    import mpmath
    path = BrownianPath((0.0, 1.0), shape=(), seed=4, n=32)
    ref = solve(gbm(), Milstein(), path=path, save="final").u[-1]
    f32 = solve(gbm(u0=np.float32(1.0)), Milstein(), path=path, save="final").u[-1]
    assert f32.dtype == np.float32 and abs(f32 - ref) < 1e-5 * abs(ref)
    with mpmath.workdps(30):
        mp = solve(gbm(u0=mpmath.mpf(1)), Milstein(), path=path, save="final").u[-1]
        assert isinstance(mp, mpmath.mpf) and abs(mp - ref) < 1e-12 * abs(ref)


def test_solvers_solve_delegates_to_the_problem():
    from solvers import solve as generic_solve
    a = generic_solve(gbm(), EulerMaruyama(), dt=0.1, seed=3, save="final").u[-1]
    b = solve(gbm(), EulerMaruyama(), dt=0.1, seed=3, save="final").u[-1]
    assert a == b


@pytest.mark.parametrize("module", ["problem", "algorithms", "solution", "brownian", "__init__"])
def test_docstring_examples_run(module):
    import doctest
    import importlib
    name = "solvers.sde" if module == "__init__" else f"solvers.sde.{module}"
    mod = importlib.import_module(name)
    result = doctest.testmod(mod, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0


def test_a_failed_sde_solve_warns_as_an_ode_solve_does():
    # an SDE solve that blew up returned retcode "Unstable" without a word (ODE, DDE and DAE solves
    # warn); and an adaptive float32 solve at rtol 1e-10 ran into MaxIters silently
    import warnings

    from solvers import SRIW1, solve
    from solvers.ode.solution import SolverWarning
    blow = SDEProblem(lambda u, p, t: u * u, lambda u, p, t: 0.1 * u, 1.0, (0.0, 2.0))
    with np.errstate(over="ignore", invalid="ignore"):
        with pytest.warns(SolverWarning, match=r"SDE solve ended with retcode Unstable at t = 1\.1"):
            assert solve(blow, EulerMaruyama(), dt=1e-3, seed=1).retcode == "Unstable"
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            solve(blow, EulerMaruyama(), dt=1e-3, seed=1, verbose=False)
    f32 = SDEProblem(lambda u, p, t: -u, lambda u, p, t: 0.1 * u, np.array([1.0], dtype=np.float32), (0.0, 1.0))
    with pytest.warns(SolverWarning, match="retcode MaxIters"):
        solve(f32, SRIW1(), seed=1, rtol=1e-10, atol=1e-12, maxiters=2000)
    with pytest.warns(SolverWarning, match=r"rtol = 1e-10 is below 10 eps of the state's type"):
        solve(f32.remake(u0=np.array([1.0], dtype=np.float32)), SRIW1(), seed=1, rtol=1e-10, atol=1.0)
