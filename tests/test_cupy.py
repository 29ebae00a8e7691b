"""DualArray and nm.* on CuPy arrays: the computation stays on the GPU.

Skipped where CuPy (and so a CUDA GPU) is not available; run on the device
machine with ``pytest tests/test_cupy.py``.
"""

import numpy as np
import pytest

cp = pytest.importorskip("cupy", reason="needs CuPy and a CUDA GPU")

import numeric as nm  # noqa: E402


def brusselator(u, n):
    x, y = u[:n], u[n:]
    lap = lambda z: (np.roll(z, 1) - 2 * z + np.roll(z, -1)) * (0.02 * n * n)  # noqa: E731
    return np.concatenate([1 + x * x * y - 4 * x + lap(x), 3 * x - x * x * y + lap(y)])


def test_functions_keep_cupy_arrays_on_the_device():
    x = cp.linspace(0.1, 2.0, 7)
    for name in ("exp", "log", "sin", "tanh", "erf", "gamma"):
        y = getattr(nm, name)(x)
        assert isinstance(y, cp.ndarray)
        ref = getattr(nm, name)(cp.asnumpy(x))
        np.testing.assert_allclose(cp.asnumpy(y), ref, rtol=1e-12)


def test_jacobian_on_cupy_matches_numpy():
    n = 16
    u = np.random.default_rng(0).random(2 * n)
    J_gpu = nm.jacobian(lambda v: brusselator(v, n), cp.asarray(u))
    J_cpu = nm.jacobian(lambda v: brusselator(v, n), u)
    assert isinstance(J_gpu, cp.ndarray)
    np.testing.assert_allclose(cp.asnumpy(J_gpu), J_cpu, rtol=1e-12, atol=1e-12)


# ------------------------------------------------------------- the solver paths on the GPU
# The same paths as tests/test_array_api_strict.py (the CPU guard), on CuPy arrays.

import math  # noqa: E402

import mpmath  # noqa: E402

from solvers import ODEProblem, Rodas4, Tsit5, Vern7, init, solve  # noqa: E402
from solvers.ensemble import EnsembleProblem, ensemble_summary  # noqa: E402
from solvers.ensemble_batched import solve_batched  # noqa: E402
from solvers.ode.array_stepper import NamespaceArrayStepper  # noqa: E402
from solvers.sde import EulerMaruyama, SDEProblem, SRA1  # noqa: E402


def on_gpu(a):
    assert isinstance(a, cp.ndarray), f"expected a CuPy array, got {type(a).__name__}"
    return cp.asnumpy(a)


@pytest.mark.parametrize("alg", [Tsit5, Vern7])
def test_rk_on_cupy_matches_the_exact_solution(alg):
    rates, u0 = np.array([1.0, 2.0, 0.5]), np.array([1.0, 2.0, -1.0])
    prob = ODEProblem(lambda u, p, t: -p * u, cp.asarray(u0), (0.0, 1.5), cp.asarray(rates))
    integ = init(prob, alg(), rtol=1e-9, atol=1e-12)
    assert isinstance(integ.stepper.inner, NamespaceArrayStepper)
    sol = integ.solve()
    np.testing.assert_allclose(on_gpu(sol.u[-1]), u0 * np.exp(-rates * 1.5), rtol=2e-7)
    np.testing.assert_allclose(on_gpu(sol(0.7)), u0 * np.exp(-rates * 0.7), rtol=1e-5)


def test_heat_equation_with_tsit5_on_cupy_matches_numpy():
    n = 256
    x = np.linspace(0, 1, n + 2)[1:-1]
    c = 0.1 * (n + 1) ** 2

    def heat(u, p, t):
        xp = cp if isinstance(u, cp.ndarray) else np
        up = xp.concatenate([u[1:], xp.zeros(1)])
        um = xp.concatenate([xp.zeros(1), u[:-1]])
        return c * (up - 2 * u + um)

    u0 = np.sin(np.pi * x)
    gpu = solve(ODEProblem(heat, cp.asarray(u0), (0.0, 0.1)), Tsit5(), rtol=1e-6, save_everystep=False)
    cpu = solve(ODEProblem(heat, u0, (0.0, 0.1)), Tsit5(), rtol=1e-6, save_everystep=False)
    np.testing.assert_allclose(on_gpu(gpu.u[-1]), cpu.u[-1], rtol=1e-9, atol=1e-12)


def test_rodas4_on_cupy_matches_the_matrix_exponential():
    import scipy.linalg

    A = np.array([[-100.0, 1.0], [1.0, -2.0]])
    At = cp.asarray(A.T)
    sol = solve(ODEProblem(lambda u, p, t: u @ At, cp.asarray([1.0, 1.0]), (0.0, 1.0)), Rodas4(),
                rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(on_gpu(sol.u[-1]), scipy.linalg.expm(A) @ np.ones(2), rtol=1e-6)


def test_sde_batches_on_cupy_have_the_exact_moments():
    mu, sigma, paths = 0.5, 0.3, 20000
    prob = SDEProblem(lambda u, p, t: mu * u, lambda u, p, t: sigma * u, cp.asarray([1.0]), (0.0, 1.0))
    x = on_gpu(solve(prob, EulerMaruyama(), dt=1 / 64, batch=paths, seed=3, save="final").u[-1])[:, 0]
    var = math.exp(2 * mu) * (math.exp(sigma**2) - 1)
    assert abs(x.mean() - math.exp(mu)) < 4 * math.sqrt(var / paths) + abs((1 + mu / 64) ** 64 - math.exp(mu))
    theta, s = 2.0, 0.5
    ou = SDEProblem(lambda u, p, t: -theta * u, lambda u, p, t: s + 0 * u, cp.asarray([0.0]), (0.0, 1.0))
    y = on_gpu(solve(ou, SRA1(), dt=1 / 32, batch=paths, seed=4, save="final").u[-1])[:, 0]
    v = s**2 / (2 * theta) * (1 - math.exp(-2 * theta))
    assert abs(y.var(ddof=1) - v) < 4 * v * math.sqrt(2 / (paths - 1))


def test_measurements_fun_and_summary_on_cupy():
    v = np.array([0.5, 1.0, 2.0])
    y = nm.exp(nm.measurements(cp.asarray(v), 0.1))
    np.testing.assert_allclose(on_gpu(nm.uncertainty(y)), 0.1 * np.exp(v), rtol=1e-13)
    space = nm.Chebyshev(-1, 1)
    f = nm.Fun.from_values(cp.exp(cp.asarray(space.points(20))), space)
    ref = [float(mpmath.besseli(k, 1)) * (1 if k == 0 else 2) for k in range(20)]  # A&S 9.6.34
    np.testing.assert_allclose(on_gpu(f.coeffs), ref, atol=5e-16)
    rows = np.random.default_rng(1).random((50, 3))
    s = ensemble_summary([cp.asarray(r) for r in rows])
    np.testing.assert_allclose(on_gpu(s.var), rows.var(axis=0, ddof=1), rtol=1e-13)
    np.testing.assert_allclose(on_gpu(s.quantiles[0.95]), np.quantile(rows, 0.95, axis=0), rtol=1e-13)


def test_batched_ensemble_on_cupy_matches_per_trajectory_solves():
    prob = ODEProblem(lambda u, p, t: -p[..., :1] * u, cp.asarray([1.0]), (0.0, 1.0), cp.asarray([1.0]))
    ens = EnsembleProblem(prob, prob_func=lambda pr, i: pr.remake(p=cp.asarray([1.0 + i])))
    batch = solve_batched(ens, Tsit5(), trajectories=64, rtol=1e-10, atol=1e-12)
    got = np.array([on_gpu(v.u[-1])[0] for v in batch.u])
    np.testing.assert_allclose(got, np.exp(-(1.0 + np.arange(64))), rtol=1e-7)


# ------------------------------------------------------- implicit methods, reverse mode, adjoints
# (written with the CPU guard's paths of h/xp4; not yet run on a GPU)

STIFF = np.array([[-100.0, 1.0], [1.0, -2.0]])


@pytest.mark.parametrize("name", ["FBDF", "RadauIIA5", "KenCarp4"])
def test_implicit_stiff_methods_on_cupy_match_numpy(name):
    import solvers

    At, u0 = cp.asarray(STIFF.T), np.array([1.0, 1.0])
    sol = solve(ODEProblem(lambda u, p, t: u @ At, cp.asarray(u0), (0.0, 1.0)), getattr(solvers, name)(),
                rtol=1e-6, atol=1e-8)
    ref = solve(ODEProblem(lambda u, p, t: u @ STIFF.T, u0, (0.0, 1.0)), getattr(solvers, name)(compile=False),
                rtol=1e-6, atol=1e-8)
    assert sol.retcode.name == "Success" and len(sol.t) == len(ref.t)
    np.testing.assert_allclose(on_gpu(sol.u[-1]), ref.u[-1], rtol=1e-9)


def test_reverse_mode_and_adjoint_on_cupy_match_numpy():
    import numeric.reverse as rv
    from solvers.ode.sensitivity import InterpolatingAdjoint

    v = np.array([0.5, 1.0, 2.0])
    g = rv.gradient(lambda u: (nm.sin(u) * u).sum() + u[1] * u[2], cp.asarray(v))
    np.testing.assert_allclose(on_gpu(g), np.sin(v) + v * np.cos(v) + [0, v[2], v[1]], rtol=1e-13)

    def loss(p, u0):
        prob = ODEProblem(lambda u, p, t: -p * u, u0, (0.0, 1.0), p)
        return solve(prob, Tsit5(), rtol=1e-8, atol=1e-10, sensealg=InterpolatingAdjoint())[-1].sum()

    k, u0 = np.array([2.0, 0.5]), np.array([1.0, 2.0])
    got = nm.gradient(lambda p: loss(p, cp.asarray(u0)), cp.asarray(k), mode="reverse")
    np.testing.assert_allclose(on_gpu(got), -u0 * np.exp(-k), rtol=1e-6)


def test_implicit_em_batch_on_cupy_matches_numpy():
    from solvers.sde import ImplicitEM

    f, g = (lambda u, p, t: -50.0 * (u - 1.0) - u * u * u), (lambda u, p, t: 0.3 + 0 * u)
    kw = dict(dt=0.05, seed=2, batch=64, save="final")
    sol = solve(SDEProblem(f, g, cp.asarray([1.0, 0.5]), (0.0, 1.0)), ImplicitEM(), **kw)
    ref = solve(SDEProblem(f, g, np.array([1.0, 0.5]), (0.0, 1.0)), ImplicitEM(), **kw)
    np.testing.assert_allclose(on_gpu(sol.u[-1]), ref.u[-1], rtol=1e-10)


# ------------------------------------------------------------- h/xp5: measurements, linalg, Milstein, auto

@pytest.mark.parametrize("alg_name", ["Tsit5", "FBDF", "KenCarp4"])
def test_measurement_state_solve_on_cupy_matches_numpy(alg_name):
    import solvers

    u0, s0, k = np.array([1.0, 2.0]), np.array([0.1, 0.2]), np.array([3.0, 0.5])
    p = nm.Measurement(1.5, 0.1)

    def run(put):
        prob = ODEProblem(lambda u, q, t: -(q[0] * u) * put(k), nm.measurements(put(u0), put(s0)), (0.0, 1.0), (p,))
        return solve(prob, getattr(solvers, alg_name)(), rtol=1e-8, atol=1e-10)

    a, b = run(cp.asarray), run(np.asarray)
    assert len(a.t) == len(b.t)
    np.testing.assert_allclose(on_gpu(nm.value(a.u[-1])), nm.value(b.u[-1]), rtol=1e-12)
    np.testing.assert_allclose(on_gpu(nm.uncertainty(a.u[-1])), nm.uncertainty(b.u[-1]), rtol=1e-12)
    np.testing.assert_allclose(on_gpu(nm.cov(a.u[-1])), nm.cov(b.u[-1]), rtol=1e-11, atol=1e-17)


@pytest.mark.parametrize("mode", ["forward", "reverse"])
def test_numpy_linalg_on_a_cupy_dualarray_matches_numpy(mode):
    A = np.array([[4.0, 1.0, 0.5], [0.3, 3.0, 0.2], [0.1, 0.4, 2.0]])

    def f(put):
        def g(u):
            M = u[:, None] * put(A) + put(np.eye(3)) * 3.0
            S = M + M.T + put(np.diag([10.0, 20.0, 30.0]))
            return (np.linalg.solve(M, u * u) + np.linalg.inv(M) @ u + np.linalg.det(M) * u
                    + np.linalg.norm(u) * u + np.linalg.slogdet(M)[1] * u + np.linalg.cholesky(S) @ u
                    + np.linalg.eigh(S)[0] * u)
        return g

    v = np.array([0.5, -1.0, 2.0])
    J = nm.jacobian(f(cp.asarray), cp.asarray(v), mode=mode)
    np.testing.assert_allclose(on_gpu(J), nm.jacobian(f(np.asarray), v), rtol=1e-12, atol=1e-13)


def test_milstein_general_noise_and_auto_switching_on_cupy_match_numpy():
    import solvers.sde as sde
    from solvers.ode.stiff.auto import AutoTsit5

    M = np.array([[0.3, 0.1], [0.2, 0.4]])

    def sprob(put):
        E = put(M)
        return SDEProblem(lambda u, p, t: -(u * 2.0), lambda u, p, t: u[:, None] * E, put([1.0, 0.5]), (0.0, 1.0),
                          noise_dim=2)

    a = sde.solve(sprob(cp.asarray), sde.Milstein(), dt=0.05, seed=1)
    b = sde.solve(sprob(np.asarray), sde.Milstein(), dt=0.05, seed=1)
    np.testing.assert_allclose(on_gpu(a.u[-1]), b.u[-1], rtol=1e-12)
    S = np.array([[-1000.0, 1.0], [1.0, -2.0]])
    St = cp.asarray(S.T)
    x = solve(ODEProblem(lambda u, p, t: u @ St, cp.asarray([1.0, 1.0]), (0.0, 2.0)), AutoTsit5(Rodas4()), rtol=1e-6)
    y = solve(ODEProblem(lambda u, p, t: u @ S.T, np.array([1.0, 1.0]), (0.0, 2.0)), AutoTsit5(Rodas4()), rtol=1e-6)
    assert x.stats.naccept == y.stats.naccept
    np.testing.assert_allclose(on_gpu(x.u[-1]), y.u[-1], rtol=1e-10)


# ------------------------------------------------------------- h/xp6b: Fun, correlated values, printing, SINDy, qr/svd/norms
# Counterparts of tests/test_array_api_strict_fun.py. cuSOLVER may choose other signs for
# eigen/singular vectors and QR factors than LAPACK: the linalg test compares sign-invariant
# quantities (singular values, norms, |R|).

def test_fun_construction_arithmetic_and_roots_on_cupy_match_numpy():
    like = cp.zeros(1)
    space = nm.Chebyshev(-1.0, 2.0)
    f = nm.Fun(lambda x: cp.exp(cp.sin(3 * x)) + x, space, like=like)
    g = nm.Fun(lambda x: np.exp(np.sin(3 * x)) + x, space)
    assert len(f) == len(g)
    np.testing.assert_allclose(on_gpu(f.coeffs), g.coeffs, atol=1e-14)
    for F, G in ((f * f, g * g), (f.diff(), g.diff()), (f.cumsum(), g.cumsum()), (nm.exp(f), nm.exp(g))):
        assert len(F) == len(G)
        np.testing.assert_allclose(on_gpu(F.coeffs), G.coeffs, atol=1e-13 * np.max(np.abs(G.coeffs)))
    assert float(on_gpu(f.sum())) == pytest.approx(float(g.sum()), rel=1e-14)
    r = nm.Fun(lambda x: cp.sin(7 * x), space, like=like).roots()
    np.testing.assert_allclose(on_gpu(r), np.arange(-2, 5) * math.pi / 7, atol=1e-14)
    periodic = nm.Fourier(0.0, 2 * math.pi)
    fp = nm.Fun(lambda x: cp.exp(cp.sin(x)), periodic, like=like)
    gp = nm.Fun(lambda x: np.exp(np.sin(x)), periodic)
    assert len(fp) == len(gp)
    np.testing.assert_allclose(on_gpu(fp.diff(2).coeffs), gp.diff(2).coeffs, atol=1e-13)


def test_correlated_values_and_printing_on_cupy():
    C = np.array([[0.04, 0.01], [0.01, 0.09]])
    x = nm.correlated_values(cp.asarray([1.0, 2.0]), cp.asarray(C))
    np.testing.assert_allclose(on_gpu(nm.cov(x)), C, rtol=1e-14, atol=1e-17)
    assert repr(x) == repr(nm.correlated_values(np.array([1.0, 2.0]), C))


def test_sindy_on_cupy_matches_numpy():
    from solvers.sindy import PolynomialLibrary, STLSQ, fit

    t = 0.002 * np.arange(2000)
    lorenz = lambda u, p=None, t=None: np.stack([10.0 * (u[1] - u[0]), u[0] * (28.0 - u[2]) - u[1],  # noqa: E731
                                                 u[0] * u[1] - 8.0 / 3.0 * u[2]])
    from solvers import Vern9
    x = np.array(solve(ODEProblem(lorenz, np.array([-8.0, 8.0, 27.0]), (0.0, t[-1])), Vern9(), rtol=1e-12,
                       atol=1e-12, saveat=t).u)
    dx = lorenz(x.T).T
    ref = fit(x, t, PolynomialLibrary(5), STLSQ(0.025), x_dot=dx)
    got = fit(cp.asarray(x), t, PolynomialLibrary(5), STLSQ(0.025), x_dot=cp.asarray(dx))
    np.testing.assert_array_equal(got.support, ref.support)
    np.testing.assert_allclose(got.coefficients, ref.coefficients, atol=1e-8)


@pytest.mark.parametrize("mode", ["forward", "reverse"])
def test_qr_svd_and_norms_on_a_cupy_dualarray_match_numpy(mode):
    A = np.random.default_rng(3).standard_normal((4, 3))

    def f(a):
        return (np.linalg.svd(a, compute_uv=False) + np.linalg.svd(a, full_matrices=False)[1]
                + np.abs(np.linalg.qr(a)[1])[0, :] + np.linalg.norm(a, ord="nuc") + np.linalg.norm(a, ord=2)
                + np.linalg.norm(a, ord=1) + np.linalg.norm(a, ord=np.inf) + np.linalg.norm(a, ord=np.inf, axis=0))

    J = nm.jacobian(f, cp.asarray(A), mode=mode)
    np.testing.assert_allclose(on_gpu(J), nm.jacobian(f, A), rtol=1e-11, atol=1e-12)

# ------------------------------------------------------------- DAEs, DDEs and the kept LU on CuPy
# The counterparts of tests/test_array_api_strict_dae.py. Written without a GPU: not yet run on hardware.

def _cat(parts):
    from numeric.arrayrules_structural import join_any

    return join_any(np.concatenate, parts)


def _rober_F(du, u, p, t):
    y1, y2, y3 = u[0:1], u[1:2], u[2:3]
    return _cat([du[0:1] + 0.04 * y1 - 1e4 * y2 * y3, du[1:2] - 0.04 * y1 + 1e4 * y2 * y3 + 3e7 * y2 * y2,
                 y1 + y2 + y3 - 1.0])


def _rober_mass(u, p, t):
    y1, y2, y3 = u[0:1], u[1:2], u[2:3]
    return _cat([-0.04 * y1 + 1e4 * y2 * y3, 0.04 * y1 - 1e4 * y2 * y3 - 3e7 * y2 * y2, y1 + y2 + y3 - 1.0])


@pytest.mark.parametrize("name", ["DFBDF", "DRadauIIA5"])
def test_rober_dae_on_cupy_takes_the_numpy_steps(name):
    import solvers
    from solvers import DAEProblem

    def run(put):
        return solve(DAEProblem(_rober_F, put([0.0, 0.0, 0.0]), put([1.0, 0.0, 0.2]), (0.0, 1.0)),
                     getattr(solvers, name)(), rtol=1e-6, atol=1e-8)

    a, b = run(cp.asarray), run(np.asarray)
    assert len(a.t) == len(b.t)
    np.testing.assert_allclose(on_gpu(a.u[-1]), b.u[-1], rtol=1e-10)
    assert abs(on_gpu(a.u[0])[2]) < 1e-15


@pytest.mark.parametrize("name", ["FBDF", "RadauIIA5", "Rodas4", "KenCarp4"])
def test_singular_mass_matrix_on_cupy_takes_the_numpy_steps(name):
    import solvers

    M = np.diag([1.0, 1.0, 0.0])

    def run(put, **kw):
        return solve(ODEProblem(_rober_mass, put([1.0, 0.0, 0.3]), (0.0, 1.0)), getattr(solvers, name)(**kw),
                     rtol=1e-6, atol=1e-8, mass_matrix=put(M))

    a, b = run(cp.asarray), run(np.asarray, compile=False)
    assert len(a.t) == len(b.t)
    np.testing.assert_allclose(on_gpu(a.u[0]), b.u[0], rtol=0, atol=1e-16)
    np.testing.assert_allclose(on_gpu(a.u[-1]), b.u[-1], rtol=1e-8)


@pytest.mark.parametrize("name", ["Tsit5", "Rodas5P"])
def test_constant_lag_dde_on_cupy_matches_the_exact_solution(name):
    import solvers
    from solvers import DDEProblem, MethodOfSteps

    c = np.array([1.0, 2.0])
    h0 = cp.asarray(c)
    prob = DDEProblem(lambda u, h, p, t: h(p, t - 1.0) * -1.0, cp.asarray(c), lambda p, t: h0, (0.0, 2.0),
                      constant_lags=[1.0])
    sol = solve(prob, MethodOfSteps(getattr(solvers, name)()), rtol=1e-8, atol=1e-10)
    # u' = -u(t - 1), u = c before 0: u(2) = c (1 - 2 + 1/2)
    np.testing.assert_allclose(on_gpu(sol.u[-1]), -0.5 * c, rtol=1e-6)


def test_the_stiff_methods_keep_cupys_lu():
    # capability: cupyx.scipy.linalg.lu_factor once per iteration matrix, lu_solve per Newton iteration
    import cupyx.scipy.linalg

    from numeric.backend import linear_solver, lu_module, namespace
    from solvers import FBDF
    from solvers.ode.stiff.linsolve import iteration_matrix

    A = np.array([[4.0, 1.0, 0.5], [0.3, 3.0, 0.2], [0.1, 0.4, 2.0]])
    assert lu_module(namespace(cp.asarray(A))) is cupyx.scipy.linalg
    s = linear_solver(cp.asarray(A))
    assert s.factored
    b = np.array([1.0, -2.0, 0.5])
    np.testing.assert_allclose(on_gpu(s(cp.asarray(b))), np.linalg.solve(A, b), rtol=1e-13)
    W = iteration_matrix(None, cp.asarray(A), 1.0, 0.5)
    assert W._solve.factored
    S = np.array([[-100.0, 1.0], [1.0, -2.0]])
    St = cp.asarray(S.T)
    x = solve(ODEProblem(lambda u, p, t: u @ St, cp.asarray([1.0, 1.0]), (0.0, 1.0)), FBDF(), rtol=1e-6, atol=1e-8)
    y = solve(ODEProblem(lambda u, p, t: u @ S.T, np.array([1.0, 1.0]), (0.0, 1.0)), FBDF(compile=False),
              rtol=1e-6, atol=1e-8)
    assert len(x.t) == len(y.t)
    np.testing.assert_allclose(on_gpu(x.u[-1]), y.u[-1], rtol=1e-11)
