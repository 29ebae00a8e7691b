"""Uncertainty through the unchanged ODE solver, in one solve.

The pendulum of the issue: g = 9.79 ± 0.02, L = 1.00 ± 0.01, theta(0) = 0,
omega(0) = pi/60 ± 0.01, t in [0, 6.3], Tsit5 with rtol = 1e-6.

* Small-angle model theta'' = -(g/L) theta against its analytic solution
  theta = (w0/W) sin(W t), omega = w0 cos(W t), W = sqrt(g/L), and the linear
  uncertainty of that formula from hand-written partial derivatives.
* The same model and the full pendulum theta'' = -(g/L) sin(theta) against
  a vectorised Monte Carlo of 10^4 samples (sampling error ~ 1/sqrt(2N) = 0.7%
  on a standard deviation).
* A dual of measurements through the solver: the derivative of the
  uncertainty with respect to the nominal length, against central differences.
"""

from __future__ import annotations

import numpy as np
import pytest

import numeric as nm
from solvers import ODEProblem, Tsit5, solve

M = nm.Measurement
T_END = 6.3
N_MC = 10_000
W0 = np.pi / 60


def linear_pendulum(u, p, t):
    g, L = p
    return np.stack([u[1], -(g / L) * u[0]])


def full_pendulum(u, p, t):
    g, L = p
    return np.stack([u[1], -(g / L) * nm.sin(u[0])])


def _inputs():
    return M(9.79, 0.02), M(1.00, 0.01), M(W0, 0.01)


def _analytic(g, L, w0, t):
    W = np.sqrt(g / L)
    return w0 / W * np.sin(W * t), w0 * np.cos(W * t)


def _analytic_uncertainty(t):
    """Linear uncertainty of the analytic solution from its partial derivatives."""
    g, L, w0, sg, sL, sw = 9.79, 1.0, W0, 0.02, 0.01, 0.01
    W = np.sqrt(g / L)
    dW = np.array([W / (2 * g), -W / (2 * L)])                 # dW/dg, dW/dL
    th_W = w0 * (t * np.cos(W * t) / W - np.sin(W * t) / W**2)
    om_W = -w0 * t * np.sin(W * t)
    grad_th = np.array([th_W * dW[0], th_W * dW[1], np.sin(W * t) / W])
    grad_om = np.array([om_W * dW[0], om_W * dW[1], np.cos(W * t)])
    s = np.array([sg, sL, sw])
    return np.linalg.norm(grad_th * s), np.linalg.norm(grad_om * s)


def _solve(f, u0, p, **kw):
    opts = dict(rtol=1e-6, atol=1e-9) | kw
    sol = solve(ODEProblem(f, u0, (0.0, T_END), p), Tsit5(), **opts)
    assert str(sol.retcode).endswith("Success"), sol.retcode
    return sol


@pytest.fixture(scope="module")
def mc_samples():
    rng = np.random.default_rng(20240605)
    return (9.79 + 0.02 * rng.standard_normal(N_MC), 1.00 + 0.01 * rng.standard_normal(N_MC),
            W0 + 0.01 * rng.standard_normal(N_MC))


@pytest.mark.parametrize("form", ["array", "object"])
def test_small_angle_pendulum_against_analytic(form):
    g, L, w = _inputs()
    if form == "array":
        u0 = nm.measurements([0.0, w])                      # one vectorised MeasurementArray
        f = linear_pendulum
    else:
        u0 = np.array([0.0, w], dtype=object)               # an object array of Measurements
        f = lambda u, p, t: np.array([u[1], -(p[0] / p[1]) * u[0]], dtype=object)  # noqa: E731
    sol = _solve(f, u0, (g, L))
    th, om = sol.u[-1][0], sol.u[-1][1]
    th_ex, om_ex = _analytic(9.79, 1.0, W0, T_END)
    s_th, s_om = _analytic_uncertainty(T_END)
    assert th.val == pytest.approx(th_ex, rel=1e-5) and om.val == pytest.approx(om_ex, rel=1e-5)
    assert th.err == pytest.approx(s_th, rel=1e-4) and om.err == pytest.approx(s_om, rel=1e-4)
    # the correlation between theta and omega, too: against the analytic formula's gradient
    if form == "array":
        assert nm.cov(sol.u[-1])[0, 1] == pytest.approx(
            nm.cov([_analytic_measurement(T_END, g, L, w)[k] for k in (0, 1)])[0, 1], rel=1e-4)


def _analytic_measurement(t, g, L, w):
    W = nm.sqrt(g / L)
    return w / W * nm.sin(W * t), w * nm.cos(W * t)


def test_small_angle_pendulum_against_monte_carlo(mc_samples):
    g, L, w = _inputs()
    sol = _solve(linear_pendulum, nm.measurements([0.0, w]), (g, L))
    th = sol.u[-1][0]
    th_mc = _analytic(*mc_samples, T_END)[0]                 # vectorised NumPy, 10^4 samples
    se = th_mc.std() / np.sqrt(N_MC)
    assert abs(th.val - th_mc.mean()) < 5 * se + abs(th.val) * 5e-3
    # sampling error of a standard deviation ~ 0.7%; the model is mildly nonlinear in g, L
    assert th.err == pytest.approx(th_mc.std(), rel=0.04)


def test_full_pendulum_against_monte_carlo_of_the_same_model(mc_samples):
    g, L, w = _inputs()
    sol = _solve(full_pendulum, nm.measurements([0.0, w]), (g, L))
    th = sol.u[-1][0]
    gs, Ls, ws = mc_samples
    # the same model for all samples at once: float arrays of shape (2, N) through the solver
    mc = _solve(full_pendulum, np.stack([np.zeros(N_MC), ws]), (gs, Ls)).u[-1][0]
    assert abs(th.val - mc.mean()) < 5 * mc.std() / np.sqrt(N_MC) + abs(th.val) * 5e-3
    assert th.err == pytest.approx(mc.std(), rel=0.04)
    # and the full pendulum is close to the small-angle one at this amplitude
    assert th.val == pytest.approx(_analytic(9.79, 1.0, W0, T_END)[0], rel=2e-3)


def test_derivative_of_an_uncertainty_through_the_solver():
    g, _, w = _inputs()

    def theta_err(c):
        Lc = c + M(0.0, 0.01)          # the nominal length c, differentiated; its error 0.01
        f = lambda u, p, t: np.array([u[1], -(p[0] / p[1]) * nm.sin(u[0])], dtype=object)  # noqa: E731
        sol = _solve(f, np.array([0.0, w], dtype=object), (g, Lc), rtol=1e-9, atol=1e-12)
        return nm.uncertainty(sol.u[-1][0])

    d = nm.derivative(theta_err, 1.0)
    h = 1e-4
    fd = (theta_err(1.0 + h) - theta_err(1.0 - h)) / (2 * h)
    assert d == pytest.approx(fd, rel=1e-5)
