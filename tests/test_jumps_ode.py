"""Jumps coupled to ODEs: stationary laws of gene-expression models, a piecewise-deterministic
process against its exact law, derivatives and other number types through the jump-ODE solve.

Fixed seeds throughout; the statistical tolerances (p-values > 1e-3, 5 standard errors) make a
false failure rare and a wrong jump mechanism (a missed event, a biased threshold, the wrong
intensity) fail.
"""

import math

import numpy as np
import pytest
from scipy import stats

import numeric as nm
from solvers import ODEProblem
from solvers.jumps import ConstantRateJump, JumpODEProblem, ReactionJumps, VariableRateJump
from solvers.ssa import JumpProblem

K, GAMMA, BETA, DELTA = 10.0, 1.0, 2.0, 0.5


def gene_expression(tf):
    """mRNA m: made at rate K, degraded at rate GAMMA m (the SSA's reactions, constant-rate jumps);
    protein P' = BETA m - DELTA P. Stationary law: m ~ Poisson(K / GAMMA), E[P] = BETA K / (GAMMA
    DELTA), Var P = BETA^2 (K / GAMMA) / (DELTA (GAMMA + DELTA)) (linear moment equations)."""
    ssa = JumpProblem.mass_action([0], [({}, {"m": 1}, K), ({"m": 1}, {}, GAMMA)], ["m"], (0.0, 1.0))
    ode = ODEProblem(lambda u, p, t: np.array([0.0 * u[0], BETA * u[0] - DELTA * u[1]]),
                     np.array([10.0, 40.0]), (0.0, tf))
    return JumpODEProblem(ode, [ReactionJumps.from_ssa(ssa, index=[0])])


def test_gene_expression_mrna_is_poisson_and_protein_has_the_stationary_moments():
    lag, n = 3.0, 150                    # samples of one long path, lag 3/GAMMA apart (corr e^-3)
    times = lag * np.arange(1, n + 1)
    sol = gene_expression(times[-1]).solve(seed=2024, rtol=1e-6, atol=1e-8, saveat=times)
    assert sol.success and np.allclose(sol.t, times)
    m = np.array([u[0] for u in sol.u])
    P = np.array([u[1] for u in sol.u])
    assert np.all(m == np.rint(m)) and m.min() >= 0
    lam = K / GAMMA
    edges = [0, 6, 8, 9, 10, 11, 12, 14, 1000]          # expected counts >= 10 per bin
    observed = np.histogram(m, bins=edges)[0]
    expected = n * np.diff(stats.poisson(lam).cdf(np.array(edges) - 1))
    assert stats.chisquare(observed, expected * observed.sum() / expected.sum()).pvalue > 1e-3
    mean_p, var_p = BETA * lam / DELTA, BETA**2 * lam / (DELTA * (GAMMA + DELTA))
    rho = math.exp(-DELTA * lag)                          # protein's lag correlation
    se = math.sqrt(var_p / n * (1 + rho) / (1 - rho))
    assert abs(P.mean() - mean_p) < 5 * se
    assert abs(P.var() / var_p - 1) < 0.4


def test_telegraph_gene_switching_protein_has_the_beta_stationary_law():
    # gene g switches on at rate KON (1 - g), off at rate KOFF g; P' = B g - D P. The stationary
    # law of D P / B is Beta(KON / D, KOFF / D) (Peccoud & Ycart, Theor. Pop. Biol. 48 (1995) 222)
    kon, koff, b, d = 1.0, 1.5, 1.0, 1.0
    ode = ODEProblem(lambda u, p, t: np.array([0 * u[0], b * u[0] - d * u[1]]), np.array([0.0, 0.0]),
                     (0.0, 12.0))
    on = ConstantRateJump(lambda u, p, t: kon * (1 - u[0]), lambda u, p, t: u + np.array([1.0, 0.0]))
    off = ConstantRateJump(lambda u, p, t: koff * u[0], lambda u, p, t: u - np.array([1.0, 0.0]))
    prob = JumpODEProblem(ode, [on, off])
    xs = [prob.solve(seed=s, rtol=1e-6, atol=1e-8, save_everystep=False).u[-1][1] * d / b
          for s in range(150)]
    assert stats.kstest(xs, stats.beta(kon / d, koff / d).cdf).pvalue > 1e-3


def clock(tf, rate=lambda u, p, t: u[0]):
    """A PDMP: x' = 1, reset to 0 at rate x. The times between resets have hazard s, so
    P(gap > s) = exp(-s^2 / 2) (a Rayleigh law) exactly."""
    ode = ODEProblem(lambda u, p, t: 0 * u + 1.0, np.array([0.0]), (0.0, tf), 1.0)
    return JumpODEProblem(ode, [VariableRateJump(rate, lambda u, p, t: 0 * u)])


def test_variable_rate_jumps_of_a_pdmp_follow_the_exact_law():
    gaps = []
    for seed in range(6):
        sol = clock(60.0).solve(seed=seed, rtol=1e-8, atol=1e-10, save_everystep=False)
        gaps += list(np.diff(np.concatenate([[0.0], sol.jump_times])))
    assert len(gaps) > 200
    assert stats.kstest(gaps, lambda s: 1 - np.exp(-np.asarray(s) ** 2 / 2)).pvalue > 1e-3
    # a time-dependent rate a t: the number of jumps on [0, T] is Poisson(a T^2 / 2)
    a, tf = 0.5, 4.0
    counts = [len(clock(tf, lambda u, p, t: a * t).solve(seed=s, rtol=1e-8, atol=1e-10,
                                                         save_everystep=False).jumps)
              for s in range(200)]
    lam = a * tf**2 / 2
    assert abs(np.mean(counts) - lam) < 5 * math.sqrt(lam / len(counts))


def test_constant_and_variable_jumps_together_and_the_ssa_agree():
    # births at rate K (constant) and deaths at rate GAMMA m made variable-rate: the same process
    # as the pure SSA; means at T = 3 from m(0) = 0: K / GAMMA (1 - e^-3)
    ode = ODEProblem(lambda u, p, t: 0 * u, np.array([0.0]), (0.0, 3.0))
    birth = ConstantRateJump(lambda u, p, t: K, lambda u, p, t: u + 1.0)
    death = VariableRateJump(lambda u, p, t: GAMMA * u[0], lambda u, p, t: u - 1.0)
    prob = JumpODEProblem(ode, [birth, death])
    xs = [prob.solve(seed=s, save_everystep=False).u[-1][0] for s in range(80)]
    mean = K / GAMMA * (1 - math.exp(-3 * GAMMA))
    assert abs(np.mean(xs) - mean) < 5 * math.sqrt(mean / len(xs))


def test_pathwise_derivative_through_variable_rate_jump_times():
    # rate p x: each gap is sqrt(2 E_k / p), so with the thresholds fixed by the seed
    # x(T) = T - tau_last and dx(T)/dp = tau_last / (2 p)
    p0 = 1.3

    def x_end(p):
        prob = clock(10.0, lambda u, q, t: q * u[0]).remake(p=p)
        return prob.solve(seed=5, rtol=1e-10, atol=1e-12, save_everystep=False).u[-1][0]

    sol = clock(10.0, lambda u, q, t: q * u[0]).remake(p=p0).solve(seed=5, rtol=1e-10, atol=1e-12)
    tau = sol.jump_times[-1]
    d = nm.derivative(x_end, p0)
    assert abs(d - tau / (2 * p0)) < 1e-6 * tau


def telegraph_with(b, u0, tf=4.0):
    ode = ODEProblem(lambda u, p, t: np.array([0 * u[0], p * u[0] - u[1]]), u0, (0.0, tf), b)
    on = ConstantRateJump(lambda u, p, t: 2.0 * (1 - u[0]), lambda u, p, t: u + np.array([1.0, 0.0]))
    off = ConstantRateJump(lambda u, p, t: 1.0 * u[0], lambda u, p, t: u - np.array([1.0, 0.0]))
    return JumpODEProblem(ode, [on, off])


def test_dual_mpf_and_measurement_through_the_jump_ode_solve():
    import mpmath
    opts = dict(seed=7, rtol=1e-10, atol=1e-12, save_everystep=False)
    ref = telegraph_with(1.0, np.array([0.0, 0.0])).solve(**opts)
    assert len(ref.jumps) >= 2
    # switching does not depend on b and P is linear in b: dP(T)/db = P(T) / b
    d = nm.derivative(lambda b: telegraph_with(b, np.array([0.0, 0.0])).solve(**opts).u[-1][1], 1.0)
    assert abs(d - ref.u[-1][1]) < 1e-9
    with mpmath.workdps(30):
        u0 = np.array([mpmath.mpf(0), mpmath.mpf(0)], dtype=object)
        mp = telegraph_with(1.0, u0).solve(**opts)
        assert isinstance(mp.u[-1][1], mpmath.mpf)
        assert [j[1:] for j in mp.jumps] == [j[1:] for j in ref.jumps]
        assert abs(mp.u[-1][1] - ref.u[-1][1]) < 1e-8
    m = telegraph_with(nm.Measurement(1.0, 0.1), np.array([0.0, 0.0])).solve(**opts).u[-1][1]
    assert abs(nm.value(m) - ref.u[-1][1]) < 1e-9 and abs(m.err - 0.1 * ref.u[-1][1]) < 1e-9


def test_clear_errors():
    ode = ODEProblem(lambda u, p, t: 0 * u + 1.0, np.array([0.0]), (0.0, 5.0))
    with pytest.raises(ValueError, match="must be a VariableRateJump"):
        JumpODEProblem(ode, [ConstantRateJump(lambda u, p, t: 1.0 + u[0], lambda u, p, t: u)]).solve(
            seed=1)
    with pytest.raises(ValueError, match="at least one jump"):
        JumpODEProblem(ode, [])
    with pytest.raises(TypeError, match="not a jump"):
        JumpODEProblem(ode, [lambda u: u])
    with pytest.raises(ValueError, match="1-D state"):
        JumpODEProblem(ODEProblem(lambda u, p, t: u, 1.0, (0.0, 1.0)),
                       [ConstantRateJump(lambda u, p, t: 1.0, lambda u, p, t: u)])
    with pytest.raises(ValueError, match=">= 0"):
        JumpODEProblem(ode, [ConstantRateJump(lambda u, p, t: -1.0, lambda u, p, t: u)]).solve(seed=1)


@pytest.mark.slow
def test_notebook_09b_full_setting_executes(tmp_path, monkeypatch):
    import pathlib

    import nbformat
    from nbclient import NotebookClient

    monkeypatch.setenv("METANUM_QUICK", "0")
    path = pathlib.Path(__file__).resolve().parents[1] / "notebooks" / "09b_jumps_sde.ipynb"
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=1800, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
              if o.get("output_type") == "error"]
    assert not errors, errors


def test_solve_entry_point_and_ensembles_over_a_jump_ode_problem():
    from solvers import EnsembleProblem, Tsit5, solve
    from solvers.ensemble import solve_ensemble

    prob = telegraph_with(1.0, np.array([0.0, 0.0]))
    a = solve(prob, Tsit5(), seed=3, save_everystep=False)
    b = prob.solve(Tsit5(), seed=3, save_everystep=False)
    assert a.jumps == b.jumps and np.array_equal(a.u[-1], b.u[-1])
    ens = EnsembleProblem(prob, output_func=lambda sol, i: float(sol.u[-1][1]))
    serial = solve_ensemble(ens, Tsit5(), trajectories=6, seed=1, save_everystep=False)
    threads = solve_ensemble(ens, Tsit5(), trajectories=6, seed=1, save_everystep=False,
                             backend="threads")
    assert serial.u == threads.u and len(set(serial.u)) > 1


def test_jumps_over_a_stiff_ode_method():
    # a fast protein (rate 1000) follows the gene state; constant-rate jump times depend only on
    # the rates and the seed, so a stiff method and an explicit one see the same jumps
    from solvers import Rodas5, Tsit5

    ode = ODEProblem(lambda u, p, t: np.array([0 * u[0], 1000.0 * (u[0] - u[1])]),
                     np.array([0.0, 0.0]), (0.0, 5.0))
    on = ConstantRateJump(lambda u, p, t: 1.0 * (1 - u[0]), lambda u, p, t: u + np.array([1.0, 0.0]))
    off = ConstantRateJump(lambda u, p, t: 1.5 * u[0], lambda u, p, t: u - np.array([1.0, 0.0]))
    prob = JumpODEProblem(ode, [on, off])
    stiff = prob.solve(Rodas5(), seed=3, rtol=1e-6, atol=1e-8)
    explicit = prob.solve(Tsit5(), seed=3, rtol=1e-6, atol=1e-8)
    assert stiff.success and len(stiff.jumps) >= 4
    assert [j[1:] for j in stiff.jumps] == [j[1:] for j in explicit.jumps]
    assert np.allclose(stiff.jump_times, explicit.jump_times, rtol=1e-9)
    assert stiff.ode.stats.naccept < explicit.ode.stats.naccept / 3
    assert abs(stiff.u[-1][1] - stiff.u[-1][0]) < 1e-3


@pytest.mark.parametrize("module", ["jumps", "coupling", "problem", "__init__"])
def test_docstring_examples_run(module):
    import doctest
    import importlib
    mod = importlib.import_module("solvers.jumps" if module == "__init__" else f"solvers.jumps.{module}")
    result = doctest.testmod(mod, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0
