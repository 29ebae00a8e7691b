"""examples/fisher_kpp.py: the data against scipy, gradients through the universal PDE, the
recovered quantities, and (slow) the full training against the published recovery."""

import importlib.util
import pathlib

import numpy as np
import pytest

import numeric as nm

PATH = pathlib.Path(__file__).resolve().parents[1] / "examples" / "fisher_kpp.py"
spec = importlib.util.spec_from_file_location("fisher_kpp", PATH)
fk = importlib.util.module_from_spec(spec)
spec.loader.exec_module(fk)


def test_data_match_scipy_on_the_same_semi_discretisation():
    from scipy.integrate import solve_ivp
    n = fk.X.size
    lap = (np.diag(-2.0 * np.ones(n)) + np.diag(np.ones(n - 1), 1) + np.diag(np.ones(n - 1), -1))
    lap[0, -1] = lap[-1, 0] = 1.0                       # periodic, as the paper's script
    lap /= fk.DX ** 2
    ref = solve_ivp(lambda t, u: fk.D_TRUE * lap @ u + fk.R_TRUE * u * (1 - u), (0, fk.T_END),
                    fk.RHO0, method="DOP853", t_eval=fk.T_SAVE, rtol=1e-12, atol=1e-12).y.T
    data = fk.kpp_data()
    assert data.shape == (11, 26)
    np.testing.assert_allclose(data, ref, atol=1e-8)


def test_model_with_the_true_stencil_and_no_network_is_pure_diffusion():
    theta = np.concatenate([np.zeros(fk.N_NET), fk.STENCIL, [fk.D_TRUE / fk.DX ** 2]])
    u = np.sin(2 * np.pi * fk.X)
    lap = (np.roll(u, 1) - 2 * u + np.roll(u, -1)) / fk.DX ** 2
    np.testing.assert_allclose(fk.upde_rhs(u, theta, 0.0), fk.D_TRUE * lap, rtol=1e-12, atol=1e-12)


def test_gradient_through_the_solver_matches_central_differences():
    data = fk.kpp_data()
    theta = fk.initial_theta(3)
    f = lambda th: fk.loss(th, data, rtol=1e-6)  # noqa: E731
    g = nm.grad(f, mode="reverse")(theta)
    v = np.random.default_rng(0).normal(size=theta.size)
    h = 1e-6
    assert g @ v == pytest.approx((f(theta + h * v) - f(theta - h * v)) / (2 * h), rel=1e-5)


def test_smoothed_penalty_is_within_eps_of_the_papers_and_smooth_at_zero():
    data = fk.kpp_data()
    theta = fk.initial_theta(1)                      # w sums to -0.4: far from the kink
    exact = fk.loss(theta, data, eps=0.0)
    assert abs(fk.loss(theta, data) - exact) <= fk.PENALTY * fk.PENALTY_EPS
    s = np.array([-1e-3, -1e-6, 0.0, 1e-6, 1e-3])
    np.testing.assert_allclose(fk.smooth_abs(s, 0.0), np.abs(s))
    assert np.all(np.abs(fk.smooth_abs(s) - np.abs(s)) <= fk.PENALTY_EPS)
    slope = nm.grad(lambda v: fk.smooth_abs(v[0]), mode="forward")(np.array([0.0]))
    assert slope[0] == 0.0                           # differentiable at 0, where |s| is not


def test_recovered_reads_the_stencil_and_the_reaction():
    c = 6.0
    theta = np.concatenate([np.zeros(fk.N_NET), c * fk.STENCIL / 2, [2.0]])
    rec = fk.recovered(theta)
    assert rec["D_eff"] == pytest.approx(c * fk.DX ** 2)     # D0 w = c [1, -2, 1]
    assert rec["sum_w"] == pytest.approx(0.0, abs=1e-15) and rec["w1_over_w3"] == 1.0
    assert rec["r_eff"] == 0.0                               # a zero network: no reaction


@pytest.fixture(scope="module")
def trained():
    r = fk.train()
    print(fk.summary(r))
    return r


@pytest.mark.slow
def test_full_training_recovers_the_stencil_shape_and_r(trained):
    assert trained["sum_over_w2"] < 0.01 and abs(trained["w1_over_w3"] - 1) < 0.05
    assert trained["r_error"] < 0.05


@pytest.mark.slow
def test_full_training_recovers_d_within_five_percent(trained):
    # 2026-12-07: D_eff 0.01003 (0.28%), r_eff 1.0044 after 200 Adam + 300 BFGS (224 s)
    assert trained["D_error"] < 0.05
