"""The high-order, Stratonovich, commuting-noise and stiff SDE methods, and adaptive steps.

Strong orders are measured against exact solutions on the same Brownian path
(GBM: X = exp((mu - sigma^2/2) t + sigma W) for Itô, exp(mu t + sigma W) for
Stratonovich); weak orders from the *exact* expectation of the scheme: on GBM
one step multiplies the state by a polynomial R(dW, H) of the Gaussian
increments, so E[X_N] = E[R]^N and E[X_N^2] = E[R^2]^N, and Gauss–Hermite
quadrature computes E[R], E[R^2] exactly (no Monte Carlo noise in the slope).
"""

import math

import numpy as np
import pytest
from numpy.polynomial.hermite_e import hermegauss

import numeric as nm
from solvers.sde import (SOSRA, SOSRA2, SRA1, SRIW1, BrownianPath, EulerMaruyama, ImplicitEM, Milstein,
                         SDEProblem, StochasticHeun, solve)
from solvers.sde.rswm import BrownianMemory, join
from solvers.ode.solution import SolverWarning

MU, SIGMA = 1.0, 0.5


def gbm(interpretation="ito", mu=MU, sigma=SIGMA, u0=1.0):
    return SDEProblem(lambda u, p, t: p[0] * u, lambda u, p, t: p[1] * u, u0, (0.0, 1.0),
                      (mu, sigma), interpretation=interpretation)


def slope(hs, errs):
    return np.polyfit(np.log(hs), np.log(errs), 1)[0]


def strong_errors(prob, alg, exact, paths=400, steps=(8, 16, 32, 64, 128), shape=None, seed=11):
    path = BrownianPath((0.0, 1.0), shape=(paths,) if shape is None else shape, seed=seed, n=8)
    hs, errs = [], []
    for n in steps:
        sol = solve(prob, alg, path=path, dt=1.0 / n, batch=paths, save="final")
        w_end = path.increments(n)[0].sum(axis=0)
        hs.append(1.0 / n)
        errs.append(np.mean(np.abs(np.reshape(sol.u[-1], (paths, -1))[:, 0] - exact(w_end))))
    return hs, errs


@pytest.mark.parametrize("alg, interp, drift, order", [
    (SRIW1(), "ito", MU - SIGMA**2 / 2, 1.5),
    (StochasticHeun(), "stratonovich", MU, 1.0),
    (ImplicitEM(), "ito", MU - SIGMA**2 / 2, 0.5),
    (ImplicitEM(theta=0.5), "ito", MU - SIGMA**2 / 2, 0.5),
], ids=["SRIW1", "Heun", "ImplicitEM", "ImplicitEM-trapezoidal"])
def test_strong_order_on_gbm(alg, interp, drift, order):
    hs, errs = strong_errors(gbm(interp), alg, lambda w: np.exp(drift + SIGMA * w))
    assert abs(slope(hs, errs) - order) < 0.2, (slope(hs, errs), errs)


def test_sriw1_beats_milstein_and_em_at_equal_steps():
    exact = lambda w: np.exp(MU - SIGMA**2 / 2 + SIGMA * w)  # noqa: E731
    err = {type(a).__name__: strong_errors(gbm(), a, exact, steps=(64,))[1][0]
           for a in (EulerMaruyama(), Milstein(), SRIW1())}
    assert err["SRI"] < err["Milstein"] / 5 < err["EulerMaruyama"] / 5


def test_milstein_strong_order_one_for_commuting_matrix_noise():
    # du = mu u dt + s1 u dW1 + s2 u dW2: L^1 g_2 = s1 s2 u = L^2 g_1 (commuting);
    # u(1) = exp(mu - (s1^2 + s2^2)/2 + s1 W1 + s2 W2)
    s1, s2 = 0.3, 0.4
    prob = SDEProblem(lambda u, p, t: MU * u, lambda u, p, t: np.stack([s1 * u, s2 * u], axis=-1),
                      np.array([1.0]), (0.0, 1.0), noise_dim=2)
    exact = lambda w: np.exp(MU - (s1**2 + s2**2) / 2 + s1 * w[:, 0] + s2 * w[:, 1])  # noqa: E731
    hs, errs = strong_errors(prob, Milstein(), exact, shape=(400, 2), seed=3)
    assert abs(slope(hs, errs) - 1.0) < 0.15
    _, em = strong_errors(prob, EulerMaruyama(), exact, shape=(400, 2), seed=3, steps=(128,))
    assert errs[-1] < em[0] / 2


def _exact_moments(alg, prob, h):
    """E[R], E[R^2] of one step on GBM by tensor Gauss–Hermite quadrature (exact for polynomials)."""
    x, w = hermegauss(10)
    w = w / w.sum()
    z1, z2 = np.meshgrid(x, x, indexing="ij")
    r = alg.step(prob, np.ones_like(z1), 0.0, h, math.sqrt(h) * z1, math.sqrt(h / 12) * z2, False)
    weights = np.outer(w, w)
    return np.sum(weights * r), np.sum(weights * r * r)


@pytest.mark.parametrize("alg, interp, order", [
    (SRIW1(), "ito", 2.0), (EulerMaruyama(), "ito", 1.0), (StochasticHeun(), "stratonovich", 1.0),
], ids=["SRIW1", "EM", "Heun"])
def test_weak_order_from_exact_scheme_expectations(alg, interp, order):
    prob = gbm(interp)
    m1 = MU + (SIGMA**2 / 2 if interp == "stratonovich" else 0.0)      # log E[X(1)]
    m2 = 2 * m1 + SIGMA**2                                              # log E[X(1)^2]
    hs, e1, e2 = [], [], []
    for n in (8, 16, 32, 64, 128):
        er, er2 = _exact_moments(alg, prob, 1.0 / n)
        hs.append(1.0 / n)
        e1.append(abs(er**n - math.exp(m1)))
        e2.append(abs(er2**n - math.exp(m2)))
    assert abs(slope(hs, e1) - order) < 0.15 and abs(slope(hs, e2) - order) < 0.2, (e1, e2)


@pytest.mark.parametrize("alg, order", [(SRA1(), 2.0), (SOSRA(), 2.0), (SOSRA2(), 2.0), (SRIW1(), 2.0),
                                        (EulerMaruyama(), 1.0)],
                         ids=["SRA1", "SOSRA", "SOSRA2", "SRIW1", "EM"])
def test_weak_order_on_the_linear_additive_ou_process(alg, order):
    # du = -lam u dt + s dW: one step is u -> a u + b(dW, H) with a deterministic, so the scheme's
    # first two moments follow m1 <- a m1 + E b, m2 <- a^2 m2 + 2 a m1 E b + E b^2 exactly
    # (E b, E b^2 by Gauss–Hermite); exact: E u(1) = e^-lam, Var u(1) = s^2 (1 - e^-2lam) / (2 lam)
    lam, s = 2.0, 0.8
    prob = SDEProblem(lambda u, p, t: -lam * u, lambda u, p, t: s + 0 * u, 1.0, (0.0, 1.0))
    x, w = hermegauss(8)
    z1, z2 = np.meshgrid(x, x, indexing="ij")
    weights = np.outer(w, w) / w.sum() ** 2
    ex1 = math.exp(-lam)
    ex2 = ex1**2 + s**2 * (1 - math.exp(-2 * lam)) / (2 * lam)
    hs, e1, e2 = [], [], []
    for n in (8, 16, 32, 64, 128):
        h = 1.0 / n
        dw, area = math.sqrt(h) * z1, math.sqrt(h / 12) * z2
        b = alg.step(prob, np.zeros_like(z1), 0.0, h, dw, area, False)
        a = alg.step(prob, np.ones_like(z1), 0.0, h, dw, area, False) - b
        assert np.ptp(a) < 1e-12                     # the scheme is affine in u, as claimed
        a, eb, eb2 = a.flat[0], np.sum(weights * b), np.sum(weights * b * b)
        m1, m2 = 1.0, 1.0
        for _ in range(n):
            m1, m2 = a * m1 + eb, a * a * m2 + 2 * a * m1 * eb + eb2
        hs.append(h)
        e1.append(abs(m1 - ex1))
        e2.append(abs(m2 - ex2))
    assert abs(slope(hs, e1) - order) < 0.15 and abs(slope(hs, e2) - order) < 0.15, (e1, e2)


def test_implicit_em_moments_on_a_stiff_linear_sde_and_em_instability():
    # du = lam u dt + mu u dW, lam = -50, h = 0.1 (|1 + lam h| = 4: EM explodes).
    # Drift-implicit EM: u_{n+1} = (u_n + mu u_n dW) / (1 - lam h), so exactly
    # E[u_N] = (1 - lam h)^-N and E[u_N^2] = ((1 + mu^2 h) / (1 - lam h)^2)^N.
    lam, mu, h, n, paths = -50.0, 0.5, 0.1, 10, 100_000
    prob = SDEProblem(lambda u, p, t: lam * u, lambda u, p, t: mu * u, 1.0, (0.0, n * h))
    x = solve(prob, ImplicitEM(), dt=h, batch=paths, seed=5, save="final").u[-1]
    m1, m2 = (1 - lam * h) ** -n, ((1 + mu**2 * h) / (1 - lam * h) ** 2) ** n
    assert abs(x.mean() - m1) < 5 * x.std(ddof=1) / math.sqrt(paths)
    assert abs(np.mean(x * x) - m2) < 5 * np.std(x * x, ddof=1) / math.sqrt(paths)
    with np.errstate(over="ignore", invalid="ignore"), pytest.warns(SolverWarning, match="retcode Unstable"):
        em = solve(prob.remake(tspan=(0.0, 60.0)), EulerMaruyama(), dt=h, seed=5, batch=10)
    assert em.retcode == "Unstable"


def test_implicit_em_on_a_nonlinear_stiff_system_matches_the_batched_path():
    # the unbatched (make_jacobian + iteration_matrix) and batched (per-path blocks) Newton
    # solves give the same steps on the same noise
    def f(u, p, t):
        return np.stack([-1000.0 * (u[..., 0] - np.cos(t)) + u[..., 1] ** 2, -u[..., 1]], axis=-1)

    prob = SDEProblem(f, lambda u, p, t: 0.1 * u, np.array([1.0, 1.0]), (0.0, 1.0))
    rng = np.random.default_rng(2)
    u = np.array([[1.0, 1.0], [0.5, 2.0], [1.5, 0.1]])
    alg = ImplicitEM()
    for k in range(20):
        dw = rng.standard_normal((3, 2)) * math.sqrt(0.05)
        batch = alg.step(prob, u, 0.05 * k, 0.05, dw, None, False)
        for i in range(3):
            single = alg.step(prob, u[i], 0.05 * k, 0.05, dw[i], None, False)
            assert np.allclose(single, batch[i], rtol=1e-9, atol=1e-12)
        u = batch
    assert np.all(np.abs(u[:, 0] - math.cos(1.0) - u[:, 1] ** 2 / 1000) < 0.01)


def test_the_interpretation_is_checked():
    with pytest.raises(ValueError, match="solves stratonovich SDEs but the problem is ito"):
        solve(gbm(), StochasticHeun(), dt=0.1, seed=1)
    with pytest.raises(ValueError, match="solves ito SDEs but the problem is stratonovich"):
        solve(gbm("stratonovich"), SRIW1(), dt=0.1, seed=1)
    with pytest.raises(ValueError, match="interpretation must be"):
        gbm("ito-ish")
    additive = SDEProblem(lambda u, p, t: -u, lambda u, p, t: 0.3 + 0 * u, 1.0, (0.0, 1.0),
                          interpretation="stratonovich")
    assert solve(additive, SRA1(), dt=0.1, seed=1).success            # additive: both agree
    with pytest.raises(ValueError, match="diagonal noise"):
        solve(SDEProblem(lambda u, p, t: u, lambda u, p, t: np.ones((2, 2)), np.ones(2), (0, 1),
                         noise_dim=2), SRIW1(), dt=0.1, seed=1)
    with pytest.raises(ValueError, match="no error estimate for adaptive steps"):
        solve(gbm(), EulerMaruyama(), adaptive=True, seed=1)
    with pytest.raises(ValueError, match="0 <= theta <= 1"):
        ImplicitEM(theta=2.0)


# ------------------------------------------------------------ rejection sampling with memory
def test_brownian_bridge_split_has_the_right_law_and_rejoins_exactly():
    n, q, d = 200_000, 0.3, 2.0
    mem = BrownianMemory(shape=(n,), seed=8)
    w, a = mem.take(d)
    mem.reject(d, w, a)
    w1, a1 = mem.take(q * d)
    w2, a2 = mem.take((1 - q) * d)
    assert not mem.stack
    wj, aj = join(q * d, w1, a1, (1 - q) * d, w2, a2)
    assert np.allclose(wj, w, atol=1e-12) and np.allclose(aj, a, atol=1e-12)
    # the parts are independent pieces of a Brownian motion: N(0, qd), N(0, qd/12), ...
    for x, var in ((w1, q * d), (w2, (1 - q) * d), (a1, q * d / 12), (a2, (1 - q) * d / 12)):
        assert abs(x.var() - var) < 5 * var * math.sqrt(2 / n)
    for x, y, vx, vy in ((w1, w2, q, 1 - q), (w1, a1, q, q / 12), (a1, a2, q / 12, (1 - q) / 12)):
        assert abs(np.mean(x * y)) < 5 * d * math.sqrt(vx * vy / n)


def test_adaptive_sriw1_error_falls_with_the_tolerance_on_the_same_path():
    paths = 200
    errs, steps = [], []
    for tol in (1e-2, 1e-3, 1e-4):
        sol = solve(gbm(), SRIW1(), rtol=tol, atol=tol, batch=paths, seed=21, save="final")
        assert sol.success
        exact = np.exp(MU - SIGMA**2 / 2 + SIGMA * sol.stats["W"])
        errs.append(np.mean(np.abs(sol.u[-1] - exact)))
        steps.append(sol.stats["steps"])
    assert errs[0] > 5 * errs[1] > 25 * errs[2], errs
    assert steps[0] < steps[1] < steps[2]


def test_rejection_sampling_with_memory_keeps_the_brownian_law():
    # single-path adaptive solves with many rejections: W(1) must stay N(0, 1). (Redrawing the
    # increments of rejected steps instead would favour small |dW| and shrink the variance.)
    from scipy import stats

    ws, rejects = [], 0
    for seed in range(300):
        sol = solve(gbm(sigma=1.5), SRIW1(), rtol=1e-2, atol=1e-2, seed=seed, save="final")
        ws.append(float(sol.stats["W"]))
        rejects += sol.stats["rejects"]
    assert rejects > 300
    assert stats.kstest(ws, "norm").pvalue > 0.01
    assert abs(np.var(ws) - 1.0) < 5 * math.sqrt(2 / len(ws))


def test_adaptive_saveat_lands_on_the_times():
    sol = solve(gbm(), SRIW1(), rtol=1e-2, atol=1e-2, seed=2, saveat=[0.0, 0.25, 0.5, 1.0])
    assert np.allclose(sol.t, [0.0, 0.25, 0.5, 1.0]) and len(sol.u) == 4
    sra = solve(SDEProblem(lambda u, p, t: -u, lambda u, p, t: 0.2 + 0 * u, 1.0, (0.0, 2.0)),
                SRA1(), rtol=1e-3, atol=1e-3, seed=1)
    assert sra.success and sra.t[-1] == 2.0 and sra.stats["steps"] > 5


# ------------------------------------------------------------ number types
def test_dual_parameter_through_sriw1_and_heun_against_central_differences():
    path = BrownianPath((0.0, 1.0), shape=(), seed=9, n=64)
    for alg, interp in ((SRIW1(), "ito"), (StochasticHeun(), "stratonovich"), (ImplicitEM(), "ito")):
        def x_end(mu, alg=alg, interp=interp):
            return solve(gbm(interp, mu=mu), alg, path=path, save="final").u[-1]

        d = nm.derivative(x_end, MU)
        e = 1e-6
        fd = (x_end(MU + e) - x_end(MU - e)) / (2 * e)
        assert abs(d - fd) < 1e-6 * abs(fd), type(alg).__name__


def test_dual_parameter_through_an_adaptive_solve_keeps_the_float_steps():
    # Step control reads primal values only, so a Dual solve takes the float solve's steps on the
    # same noise and its derivative is the pathwise one at that fixed Brownian path. (Central
    # differences at a fixed seed are no check here: the step sizes, hence the sampled path,
    # move with the parameter.) It must match the exact pathwise derivative
    # d/dsigma exp(mu - s^2/2 + s W(1)) = (W(1) - s) X(1) to the accuracy of the solve.
    for seed in (3, 4, 5):
        def run(sigma, seed=seed):
            return solve(gbm(sigma=sigma), SRIW1(), rtol=1e-4, atol=1e-4, seed=seed)

        plain, dual = run(SIGMA), run(nm.Dual(SIGMA, 1.0))
        assert np.array_equal(np.asarray(dual.t, dtype=float), plain.t)
        assert abs(nm.value(dual.u[-1]) - plain.u[-1]) < 1e-12 * abs(plain.u[-1])
        d = nm.derivative(lambda s: run(s).u[-1], SIGMA)
        w = float(plain.stats["W"])
        exact = (w - SIGMA) * math.exp(MU - SIGMA**2 / 2 + SIGMA * w)
        assert abs(d - exact) < 0.02 * abs(exact), (seed, d, exact)


def test_mpf_and_measurement_through_the_new_methods():
    import mpmath
    path = BrownianPath((0.0, 1.0), shape=(), seed=4, n=32)
    for alg, interp in ((SRIW1(), "ito"), (StochasticHeun(), "stratonovich"), (ImplicitEM(), "ito")):
        ref = solve(gbm(interp), alg, path=path, save="final").u[-1]
        with mpmath.workdps(30):
            mp = solve(gbm(interp, u0=mpmath.mpf(1)), alg, path=path, save="final").u[-1]
            assert isinstance(mp, mpmath.mpf) and abs(mp - ref) < 1e-8 * abs(ref)
        # an uncertain mu: first-order propagation equals |dX/dmu| * sd(mu)
        m = solve(gbm(interp, mu=nm.Measurement(MU, 0.01)), alg, path=path, save="final").u[-1]
        d = nm.derivative(lambda mu: solve(gbm(interp, mu=mu), alg, path=path, save="final").u[-1], MU)
        assert abs(nm.value(m) - ref) < 1e-12 * abs(ref)
        assert abs(m.err - abs(d) * 0.01) < 1e-9 * abs(d)


def test_mpf_and_measurement_states_take_the_float_steps_in_adaptive_solves():
    import mpmath
    ref = solve(gbm(), SRIW1(), rtol=1e-3, atol=1e-3, seed=2)
    with mpmath.workdps(30):
        mp = solve(gbm(u0=mpmath.mpf(1)), SRIW1(), rtol=1e-3, atol=1e-3, seed=2)
    assert np.allclose(mp.t, ref.t, rtol=1e-12, atol=0) and isinstance(mp.u[-1], mpmath.mpf)
    assert abs(mp.u[-1] - ref.u[-1]) < 1e-12 * abs(ref.u[-1])
    m = solve(gbm(mu=nm.Measurement(MU, 0.01)), SRIW1(), rtol=1e-3, atol=1e-3, seed=2)
    d = nm.derivative(lambda mu: solve(gbm(mu=mu), SRIW1(), rtol=1e-3, atol=1e-3, seed=2).u[-1], MU)
    assert np.array_equal(m.t, ref.t) and abs(nm.value(m.u[-1]) - ref.u[-1]) < 1e-12
    assert abs(m.u[-1].err - abs(d) * 0.01) < 1e-9


@pytest.mark.parametrize("module", ["sri", "stratonovich", "implicit", "adaptive", "rswm"])
def test_docstring_examples_run(module):
    import doctest
    import importlib
    mod = importlib.import_module(f"solvers.sde.{module}")
    result = doctest.testmod(mod, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0
