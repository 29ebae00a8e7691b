"""Gillespie SSA: exact distributions, compiled == pure Python, errors.

Statistical checks use 5-sigma bounds (or chi-square p-values below 1e-6)
computed from the number of trajectories, so a failure means a real bias,
not bad luck (about one false alarm in 10^6 runs per check).
"""

import math

import numpy as np
import pytest
from scipy import stats

from solvers.ensemble import EnsembleProblem, solve_ensemble
from solvers.ssa import Direct, JumpProblem, SortingDirect, TauLeaping, run, solve


def birth_death(k=10.0, gamma=1.0, x0=10, tf=20.0):
    return JumpProblem.mass_action([x0], [({}, {"X": 1}, k), ({"X": 1}, {}, gamma)], ["X"],
                                   (0.0, tf))


def sir(n=1000, i0=10, beta=1e-4, gamma=0.05, tf=100.0):
    return JumpProblem.mass_action([n - i0, i0, 0], [({"S": 1, "I": 1}, {"I": 2}, beta),
                                                     ({"I": 1}, {"R": 1}, gamma)],
                                   ["S", "I", "R"], (0.0, tf))


def final_counts(prob, alg, n, seed, column=0):
    ens = EnsembleProblem(prob, output_func=lambda sol, i: int(sol.u[-1, column]))
    return np.array(solve_ensemble(ens, alg, trajectories=n, seed=seed, save="final").u)


# --------------------------------------------------------------------- exactness
@pytest.mark.parametrize("alg", [Direct(), SortingDirect()], ids=["direct", "sorting"])
def test_birth_death_stationary_law_is_poisson(alg):
    # birth k, death gamma x: stationary law Poisson(k / gamma); relaxation time 1/gamma = 1
    n, lam = 4000, 10.0
    x = final_counts(birth_death(), alg, n, seed=2024)
    assert abs(x.mean() - lam) < 5 * math.sqrt(lam / n)
    # Var(sample variance) = (mu4 - sigma^4) / n with mu4 = lam (1 + 3 lam) for Poisson
    assert abs(x.var(ddof=1) - lam) < 5 * math.sqrt((lam + 2 * lam**2) / n)
    edges = np.arange(4, 18)                       # bins {<=4}, 5, ..., 17, {>=18}
    observed = np.array([np.sum(x <= 4)] + [np.sum(x == v) for v in edges[1:]]
                        + [np.sum(x >= 18)])
    probs = np.concatenate([[stats.poisson.cdf(4, lam)], stats.poisson.pmf(edges[1:], lam),
                            [stats.poisson.sf(17, lam)]])
    assert stats.chisquare(observed, n * probs).pvalue > 1e-6


@pytest.mark.parametrize("alg", [Direct(), SortingDirect()], ids=["direct", "sorting"])
def test_many_reactions_independent_birth_death_species(alg):
    # 35 species, 70 reactions (above codegen.MAX_REACTIONS: the generic compiled loop runs):
    # species i is born at rate k_i and dies at rate x_i, stationary law Poisson(k_i)
    m, n = 35, 600
    k = 1.0 + np.arange(m) / 7.0
    names = [f"X{i}" for i in range(m)]
    reactions = [r for i in range(m) for r in (({}, {names[i]: 1}, k[i]), ({names[i]: 1}, {}, 1.0))]
    prob = JumpProblem.mass_action([0] * m, reactions, names, (0.0, 12.0))
    ens = EnsembleProblem(prob, output_func=lambda sol, i: sol.u[-1].copy())
    x = np.array(solve_ensemble(ens, alg, trajectories=n, seed=17, save="final").u)
    # mean at t = 12 is k (1 - e^-12) ~ k; 5-sigma bound per species (35 checks)
    assert np.all(np.abs(x.mean(axis=0) - k) < 5 * np.sqrt(k / n))


def sir_final_size_law(n, i0, beta, gamma):
    """Exact law of the final number of susceptibles (embedded jump chain, dynamic programming)."""
    prob = np.zeros((n + 1, n + 1))                # prob[s, i] of visiting state (s, i)
    prob[n - i0, i0] = 1.0
    final = np.zeros(n + 1)
    for total in range(n, -1, -1):                 # s + i decreases by recoveries only
        for s in range(n, -1, -1):
            for i in range(n + 1 - s):
                if s + i != total or prob[s, i] == 0.0:
                    continue
                if i == 0:
                    final[s] += prob[s, i]
                    continue
                infect = beta * s * i
                recover = gamma * i
                p_inf = infect / (infect + recover)
                if s > 0:
                    prob[s - 1, i + 1] += prob[s, i] * p_inf
                prob[s, i - 1] += prob[s, i] * (1 - p_inf)
    return final


def test_sir_final_size_matches_the_exact_law():
    # order of visits: infections keep s + i, so sweep s downward within each total
    n, i0, beta, gamma = 30, 1, 2.0 / 30 * 0.05, 0.05     # R0 = 2
    law = sir_final_size_law(n, i0, beta, gamma)
    assert abs(law.sum() - 1) < 1e-12
    trials = 4000
    s_final = final_counts(sir(n, i0, beta, gamma, tf=1e6), Direct(), trials, seed=7)
    observed = np.bincount(s_final, minlength=n + 1)
    expected = trials * law
    assert observed[law == 0].sum() == 0                  # impossible outcomes never occur
    big = expected >= 5                                   # pool the rare (possible) outcomes
    rare = ~big & (law > 0)
    obs, exp = observed[big], expected[big]
    if rare.any():
        obs, exp = np.append(obs, observed[rare].sum()), np.append(exp, expected[rare].sum())
    assert stats.chisquare(obs, exp).pvalue > 1e-6
    # the outbreak dies out at once (s = n - 1) with probability gamma / (beta (n-1) + gamma)
    p0 = gamma / (beta * (n - 1) + gamma)
    assert abs(law[n - 1] - p0) < 1e-12


def test_sir_mean_follows_the_ode_for_a_large_population():
    n, i0, beta, gamma, tf = 10_000, 500, 0.1 / 10_000, 0.05, 60.0
    times = np.array([20.0, 40.0, 60.0])
    ens = EnsembleProblem(sir(n, i0, beta, gamma, tf),
                          output_func=lambda sol, i: sol.u[:, :2] / n)
    out = np.array(solve_ensemble(ens, Direct(), trajectories=100, seed=5, saveat=times).u)
    mean, se = out.mean(axis=0), out.std(axis=0, ddof=1) / math.sqrt(out.shape[0])

    def rhs(u):
        s, i = u
        return np.array([-beta * n * s * i, beta * n * s * i - gamma * i])

    u, h, ode = np.array([(n - i0) / n, i0 / n]), 0.01, []
    for k in range(int(tf / h)):                    # RK4; its error (1e-10) is negligible
        k1 = rhs(u); k2 = rhs(u + h / 2 * k1); k3 = rhs(u + h / 2 * k2); k4 = rhs(u + h * k3)
        u = u + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
        if np.any(np.isclose((k + 1) * h, times)):
            ode.append(u.copy())
    # 5 standard errors plus the O(1/N) bias of the mean of a density-dependent process
    assert np.all(np.abs(mean - np.array(ode)) < 5 * se + 2.0 / n)


def test_tau_leaping_keeps_the_exact_stationary_mean_of_a_linear_system():
    # linear propensities: the tau-leap mean obeys m <- m + (k - gamma m) tau, fixed point k/gamma
    n, lam = 3000, 10.0
    x = final_counts(birth_death(), TauLeaping(0.05), n, seed=99)
    assert abs(x.mean() - lam) < 5 * math.sqrt(1.2 * lam / n)


# ------------------------------------------------------- compiled == pure Python
@pytest.mark.parametrize("alg", [Direct(), SortingDirect(), TauLeaping(0.5)],
                         ids=["direct", "sorting", "tau"])
@pytest.mark.parametrize("save", [{"save": "events"}, {"save": "final"},
                                  {"saveat": np.linspace(0.0, 100.0, 11)}],
                         ids=["events", "final", "saveat"])
def test_compiled_and_pure_python_give_identical_trajectories(alg, save):
    prob = sir(n=300, i0=5, beta=5e-4, gamma=0.05)
    fast = run(prob, alg, seed=31, **save)
    slow = run(prob, alg, seed=31, compiled=False, **save)
    assert fast.stats["compiled"] and not slow.stats["compiled"]
    assert fast.stats["events"] == slow.stats["events"] > 10
    assert np.array_equal(fast.t, slow.t) and np.array_equal(fast.u, slow.u)


def sir_propensity(x, p, t):
    return np.array([p[0] * x[0] * x[1], p[1] * x[1]])


def test_propensity_function_compiled_and_pure_python_agree_with_mass_action():
    beta, gamma = 5e-4, 0.05
    ma = sir(n=300, i0=5, beta=beta, gamma=gamma)
    fn = JumpProblem.from_propensity(sir_propensity, ma.stoich, ma.x0, ma.tspan, p=(beta, gamma))
    a = run(ma, Direct(), seed=4)
    b = run(fn, Direct(), seed=4)
    c = run(fn, Direct(), seed=4, compiled=False)
    assert b.stats["compiled"]
    for sol in (b, c):
        assert np.array_equal(a.t, sol.t) and np.array_equal(a.u, sol.u)
    # the same compiled loop reports a negative propensity (recovery rate < 0) clearly
    bad = JumpProblem.from_propensity(sir_propensity, ma.stoich, ma.x0, ma.tspan,
                                      p=(beta, -gamma))
    with pytest.raises(ValueError, match="propensity of reaction 1 is negative at t = 0.0"):
        run(bad, Direct(), seed=1)


class NotCompilable:
    """A propensity numba cannot compile (a Python object with a method)."""

    def __init__(self, k):
        self.k = k

    def __call__(self, x, p, t):
        return np.array([self.k, 1.0 * x[0]])


def test_uncompilable_propensity_falls_back_with_a_warning_and_same_trajectory():
    prob = JumpProblem.from_propensity(NotCompilable(5.0), [[1], [-1]], [0], (0.0, 10.0))
    with pytest.warns(RuntimeWarning, match="pure-Python"):
        auto = run(prob, Direct(), seed=8)
    slow = run(prob, Direct(), seed=8, compiled=False)
    assert not auto.stats["compiled"]
    assert np.array_equal(auto.t, slow.t) and np.array_equal(auto.u, slow.u)
    with pytest.raises(TypeError, match="numba could not compile"):
        run(JumpProblem.from_propensity(NotCompilable(2.0), [[1], [-1]], [0], (0.0, 1.0)),
            Direct(), seed=1, compiled=True)


# ------------------------------------------------------------- solution object
def test_every_event_is_recorded_and_the_step_function_is_right_continuous():
    prob = sir(n=200, i0=5, beta=5e-4, gamma=0.05, tf=200.0)
    sol = solve(prob, Direct(), seed=12)
    assert sol.t[0] == 0.0 and sol.t[-1] == 200.0
    assert np.all(np.diff(sol.t[:-1]) > 0)
    assert len(sol.t) == sol.stats["events"] + 2
    assert np.all(sol.u.sum(axis=1) == 200)               # population is conserved
    steps = np.abs(np.diff(sol.u[:-1], axis=0)).sum(axis=1)
    assert np.all(steps == 2)                              # one reaction per event
    k = 5
    assert np.array_equal(sol(sol.t[k]), sol.u[k])
    assert np.array_equal(sol((sol.t[k] + sol.t[k + 1]) / 2), sol.u[k])
    assert np.array_equal(sol["I"], sol.u[:, 1])
    grid = np.linspace(0, 200, 17)
    at = solve(prob, Direct(), seed=12, saveat=grid)      # same stream, same path
    assert np.array_equal(at.u, sol(grid)) and np.array_equal(at.t, grid)
    final = solve(prob, Direct(), seed=12, save="final")
    assert np.array_equal(final.u[-1], sol.u[-1])


def test_event_limit_gives_a_return_code():
    sol = solve(birth_death(), Direct(), seed=1, max_events=50)
    assert sol.retcode == "MaxIters" and sol.stats["events"] == 50 and not sol.success


def test_combinatorial_mass_action_for_a_dimerisation():
    # 2A -> B with rate k: propensity k A (A - 1) / 2; from A = 2 the only event happens at
    # rate k, so the event time is Exp(k): mean 1/k
    prob = JumpProblem.mass_action([2, 0], [({"A": 2}, {"B": 1}, 4.0)], ["A", "B"], (0.0, 50.0))
    times = []
    for i in range(2000):
        sol = run(prob, Direct(), seed=np.random.SeedSequence(3, spawn_key=(i,)))
        times.append(sol.t[1])
        assert np.array_equal(sol.u[-1], [0, 1])
    times = np.array(times)
    assert abs(times.mean() - 0.25) < 5 * 0.25 / math.sqrt(len(times))


# --------------------------------------------------------------------- errors
def test_clear_errors():
    with pytest.raises(ValueError, match="shape \\(n_reactions, n_species\\)"):
        JumpProblem.from_propensity(sir_propensity, [[-1, 1], [0, -1]], [9, 1, 0], (0, 1))
    with pytest.raises(ValueError, match="non-integer"):
        JumpProblem.from_propensity(sir_propensity, [[-1, 1, 0]], [9.5, 1, 0], (0, 1))
    with pytest.raises(ValueError, match="non-negative"):
        JumpProblem.from_propensity(sir_propensity, [[-1, 1, 0]], [-1, 1, 0], (0, 1))
    with pytest.raises(ValueError, match="unknown species"):
        JumpProblem.mass_action([1], [({"Y": 1}, {}, 1.0)], ["X"], (0, 1))
    with pytest.raises(ValueError, match="rate constant of reaction 0"):
        JumpProblem.mass_action([1], [({"X": 1}, {}, -1.0)], ["X"], (0, 1))
    bad = JumpProblem.from_propensity(sir_propensity, [[-1, 1, 0], [0, -1, 1]], [9, 1, 0],
                                      (0.0, 1.0), p=(5e-4, -0.05))
    with pytest.raises(ValueError, match="propensity of reaction 1 is negative"):
        run(bad, Direct(), seed=1, compiled=False)   # compiled: see the propensity test
    wrong_len = JumpProblem.from_propensity(lambda x, p, t: np.array([1.0]), [[1], [-1]], [3],
                                            (0.0, 1.0))
    with pytest.raises(ValueError, match="one rate per reaction"):
        run(wrong_len, Direct(), seed=1)
    with pytest.raises(ValueError, match="SortingDirect needs a mass-action"):
        run(bad, SortingDirect(), seed=1)
    with pytest.raises(ValueError, match="saveat times must lie in tspan"):
        run(birth_death(), Direct(), seed=1, saveat=[30.0])
    with pytest.raises(ValueError, match="tau > 0"):
        TauLeaping(0.0)


@pytest.mark.parametrize("module", ["problem", "algorithms", "solution", "streams", "codegen",
                                    "__init__"])
def test_docstring_examples_run(module):
    import doctest
    import importlib
    name = "solvers.ssa" if module == "__init__" else f"solvers.ssa.{module}"
    mod = importlib.import_module(name)
    result = doctest.testmod(mod, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0


def test_library_trajectory_equals_an_independent_hand_written_direct_method():
    # Gillespie's direct method for SIR written out by hand, drawing u1, u2 from the same stream
    beta, gamma, (s, i, r) = 5e-4, 0.05, (290, 10, 0)
    rng = np.random.default_rng(2718)
    t, ts, xs = 0.0, [0.0], [(s, i, r)]
    while True:
        a1, a2 = beta * s * i, gamma * i
        a0 = a1 + a2
        if a0 <= 0:
            break
        t -= math.log1p(-rng.random()) / a0
        if t > 100.0:
            break
        if rng.random() * a0 < a1:
            s, i = s - 1, i + 1
        else:
            i, r = i - 1, r + 1
        ts.append(t)
        xs.append((s, i, r))
    sol = solve(sir(300, 10, beta, gamma, 100.0), Direct(), seed=2718)
    assert np.array_equal(sol.t[:-1], ts) and np.array_equal(sol.u[:-1], xs)


@pytest.mark.parametrize("alg", [Direct(), SortingDirect(), TauLeaping(0.5)],
                         ids=["direct", "sorting", "tau"])
@pytest.mark.parametrize("compiled", [True, False], ids=["numba", "python"])
def test_counts_beyond_int64_stop_with_a_return_code_not_a_wrapped_count(alg, compiled):
    # issue 10: each event adds 2**62 copies; before the fix the third event wrapped the
    # count to a negative number and the run reported Success.
    prob = JumpProblem.mass_action(x0=[0], reactions=[({}, {"X": 2**62}, 1.0)],
                                   species=["X"], tspan=(0.0, 100.0))
    sol = solve(prob, alg, seed=3, compiled=compiled)
    assert sol.retcode == "Overflow" and not sol.success
    assert "int64" in sol.message and "'X'" in sol.message
    assert np.all(sol.u >= 0) and np.all(sol.u % 2**62 == 0)


@pytest.mark.parametrize("where", ["rate", "p"])
def test_a_dual_or_measurement_rate_is_refused_with_the_reason(where):
    # it was refused only by the kernels' float(): "float() of a Dual would drop its derivative"
    import numeric as nm
    from solvers.ssa import JumpProblem

    for number in (nm.Dual(10.0, 1.0), nm.Measurement(10.0, 1.0)):
        with pytest.raises(TypeError, match="piecewise constant in the rates.*nm.value"):
            if where == "rate":
                JumpProblem.mass_action(x0=[0], reactions=[({}, {"X": 1}, number), ({"X": 1}, {}, 1.0)],
                                        species=["X"], tspan=(0.0, 5.0))
            else:
                JumpProblem.from_propensity(lambda x, p, t: np.array([p[0], 1.0 * x[0]]), [[1], [-1]], [0],
                                            (0.0, 5.0), p=(number,))
