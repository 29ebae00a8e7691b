"""Jump diffusions (JumpSDEProblem) against exact laws.

* additive noise + compound Poisson jumps: Y(T) = a T + b W(T) + c N(T), N ~ Poisson(lambda T),
  so E Y = (a + c lambda) T and Var Y = (b^2 + c^2 lambda) T exactly (Euler–Maruyama is exact
  in law for constant coefficients, whatever dt);
* a variable-rate jump with intensity W(t)^2: the first jump time tau has
  P(tau > s) = E exp(-int_0^s W^2) = cosh(sqrt(2) s)^(-1/2) (Cameron & Martin 1945; e.g.
  Borodin & Salminen, Handbook of Brownian Motion, 1.9.7);
* geometric Brownian motion with multiplicative jumps (Merton 1976): E X(T) = X0 exp((mu + lambda J) T);
* the derivative of a path with respect to a drift parameter through the jumps (Dual numbers).
"""

import math

import numpy as np
import pytest

import numeric as nm
from solvers import ODEProblem
from solvers.jumps import ConstantRateJump, JumpSDEProblem, VariableRateJump
from solvers.sde import SRIW1, EulerMaruyama, SDEProblem


def _additive(a=1.0, b=0.5, c=1.0, lam=2.0, T=1.0):
    prob = SDEProblem(lambda u, p, t: 0 * u + p, lambda u, p, t: 0 * u + b, np.array([0.0]),
                      (0.0, T), a)
    return JumpSDEProblem(prob, [ConstantRateJump(lambda u, p, t: lam, lambda u, p, t: u + c)])


def test_compound_poisson_jump_diffusion_has_the_exact_mean_and_variance():
    a, b, c, lam, T, n = 1.0, 0.5, 1.0, 2.0, 1.0, 1000
    jp = _additive(a, b, c, lam, T)
    rng = np.random.default_rng(11)
    sols = [jp.solve(EulerMaruyama(), dt=0.05, seed=rng) for _ in range(n)]
    assert all(s.success for s in sols)
    y = np.array([s.u[-1][0] for s in sols])
    counts = np.array([len(s.jumps) for s in sols])
    mean, var = (a + c * lam) * T, (b * b + c * c * lam) * T
    assert abs(y.mean() - mean) < 4 * math.sqrt(var / n)
    # Var of the sample variance: (m4 - var^2) / n, m4 of a normal plus a Poisson part
    m4 = 3 * (b * b * T) ** 2 + 6 * b * b * T * c * c * lam * T + c ** 4 * (lam * T + 3 * (lam * T) ** 2)
    assert abs(y.var() - var) < 4 * math.sqrt((m4 - var * var) / n)
    assert abs(counts.mean() - lam * T) < 4 * math.sqrt(lam * T / n)
    # the path is continuous between jumps and jumps by exactly c at each logged jump time
    s = next(s for s in sols if len(s.jumps) >= 2)
    for tj, kind, _, _ in s.jumps:
        k = int(np.flatnonzero(np.asarray(s.t) == tj)[0])
        assert kind == "constant" and s.u[k + 1][0] - s.u[k][0] == pytest.approx(c, abs=1e-12)


def test_variable_rate_first_jump_time_follows_the_cameron_martin_law():
    # u = (W, fired); the rate W^2 while not yet fired, then 0
    prob = SDEProblem(lambda u, p, t: 0 * u, lambda u, p, t: np.array([1.0, 0.0]) + 0 * u,
                      np.array([0.0, 0.0]), (0.0, 2.0))
    first = VariableRateJump(lambda u, p, t: u[0] * u[0] * (1 - u[1]),
                             lambda u, p, t: u + np.array([0.0, 1.0]))
    jp = JumpSDEProblem(prob, [first])
    rng = np.random.default_rng(5)
    n = 400
    taus = []
    for _ in range(n):
        s = jp.solve(EulerMaruyama(), dt=0.01, seed=rng)
        assert s.success and len(s.jumps) <= 1
        taus.append(s.jumps[0][0] if s.jumps else math.inf)
    taus = np.sort(np.array(taus))
    grid = np.linspace(0.0, 2.0, 201)
    exact = 1 - np.cosh(math.sqrt(2) * grid) ** -0.5
    empirical = np.searchsorted(taus, grid, side="right") / n
    # Kolmogorov–Smirnov bound at the 1% level (1.63 / sqrt n); the step-resolved jump time
    # (dt = 0.01) moves the law by less than 0.005
    assert np.max(np.abs(empirical - exact)) < 1.63 / math.sqrt(n)


def test_merton_jump_diffusion_mean_with_the_adaptive_sriw1():
    mu, sigma, lam, J, n = 0.1, 0.2, 3.0, 0.1, 300
    prob = SDEProblem(lambda u, p, t: mu * u, lambda u, p, t: sigma * u, np.array([1.0]),
                      (0.0, 1.0))
    jp = JumpSDEProblem(prob, [ConstantRateJump(lambda u, p, t: lam, lambda u, p, t: u * (1 + J))])
    rng = np.random.default_rng(2)
    x = np.array([jp.solve(SRIW1(), seed=rng, rtol=1e-3, atol=1e-3).u[-1][0] for _ in range(n)])
    mean = math.exp(mu + lam * J)
    second = math.exp(2 * mu + sigma ** 2 + lam * ((1 + J) ** 2 - 1))
    assert abs(x.mean() - mean) < 4 * math.sqrt((second - mean * mean) / n)


def test_dual_parameter_derivative_through_the_jumps():
    # Y(T) = a T + b W + c N: dY(T)/da = T on every path, jumps or not
    def final(a):
        jp = _additive(T=1.5).remake(p=a)
        sol = jp.solve(EulerMaruyama(), dt=0.1, seed=9)
        assert len(sol.jumps) > 0
        return sol.u[-1][0]

    assert nm.derivative(final, 1.0) == pytest.approx(1.5, abs=1e-12)


def test_bad_input_is_refused_with_the_fix():
    ode = ODEProblem(lambda u, p, t: -u, np.array([1.0]), (0.0, 1.0))
    jump = ConstantRateJump(lambda u, p, t: 1.0, lambda u, p, t: u + 1)
    with pytest.raises(TypeError, match="JumpODEProblem"):
        JumpSDEProblem(ode, [jump])
    sde = SDEProblem(lambda u, p, t: -u, lambda u, p, t: 0.1 * u, np.array([1.0]), (0.0, 1.0))
    with pytest.raises(ValueError, match="at least one jump"):
        JumpSDEProblem(sde, [])
    with pytest.raises(ValueError, match="one path at a time"):
        JumpSDEProblem(sde, [jump]).solve(dt=0.1, batch=10)
    # a "constant" rate that follows the continuous state is refused when it is caught changing
    drifting = ConstantRateJump(lambda u, p, t: 5 * abs(u[0]), lambda u, p, t: u * 0.5)
    with pytest.raises(ValueError, match="VariableRateJump"):
        JumpSDEProblem(sde, [drifting]).solve(dt=0.01, seed=1)


def test_many_paths_through_an_ensemble():
    from solvers.ensemble import EnsembleProblem, solve_ensemble

    jp = _additive()
    ens = solve_ensemble(EnsembleProblem(jp, output_func=lambda sol, i: sol.u[-1][0]),
                         EulerMaruyama(), trajectories=300, seed=4, dt=0.05)
    y = np.asarray(ens.u, dtype=float)
    assert y.shape == (300,) and abs(y.mean() - 3.0) < 4 * 1.5 / math.sqrt(300)


def test_measurement_and_mpf_numbers_through_the_jumps():
    import mpmath

    # a = 1.00 ± 0.10 in the drift: Y(T) = a T + b W + c N carries sigma(a) T, jumps or not
    sol = _additive(T=1.5).remake(p=nm.Measurement(1.0, 0.1)).solve(EulerMaruyama(), dt=0.1, seed=9)
    assert len(sol.jumps) > 0 and nm.uncertainty(sol.u[-1][0]) == pytest.approx(0.15, rel=1e-12)
    # an mpf state takes the same steps and jumps as the float one (the noise is drawn in float64)
    ref = _additive(T=1.5).solve(EulerMaruyama(), dt=0.1, seed=9)
    mp = _additive(T=1.5).remake(u0=np.array([mpmath.mpf(0)], dtype=object)).solve(
        EulerMaruyama(), dt=0.1, seed=9)
    assert isinstance(mp.u[-1][0], mpmath.mpf) and mp.jumps == ref.jumps
    assert abs(mp.u[-1][0] - ref.u[-1][0]) < 1e-12
