"""Adjoint sensitivities (solvers/ode/sensitivity/adjoint*.py) against each other and finite differences.

References are central differences around solves at rtol 1e-12 (independent of
every adjoint) and the discretise-then-optimise gradient (ReverseDiffAdjoint,
the tape through the solver's arithmetic). Tolerances follow the solver
tolerance of the adjoint solves.
"""

import tracemalloc

import numpy as np
import pytest

import numeric as nm
from solvers import FBDF, ODEProblem, Rodas5P, Tsit5, Vern9, solve
from solvers.ode.callbacks import DiscreteCallback
from solvers.ode.sensitivity import (
    BacksolveAdjoint, GaussAdjoint, InterpolatingAdjoint, QuadratureAdjoint, ReverseDiffAdjoint,
)
from solvers.ode.sensitivity.adjoint_rhs import RhsVJP

ADJOINTS = [InterpolatingAdjoint(), InterpolatingAdjoint(checkpointing=True), BacksolveAdjoint(),
            QuadratureAdjoint(), GaussAdjoint()]
IDS = ["interp", "interp-checkpoint", "backsolve", "quadrature", "gauss"]
# the adaptive quadrature costs seconds per gradient: in the slow run only
ADJOINT_PARAMS = [pytest.param(a, id=i, marks=[pytest.mark.slow] if i == "quadrature" else [])
                  for a, i in zip(ADJOINTS, IDS)]


def central_gradient(loss, x, h):
    g = np.zeros_like(x)
    for i in range(x.size):
        e = np.zeros_like(x)
        e[i] = h
        g[i] = (loss(x + e) - loss(x - e)) / (2 * h)
    return g


# -- Lotka-Volterra, p = (a, b, c, d) ------------------------------------------------------------
def lotka_volterra(u, p, t):
    x, y = u[0], u[1]
    return np.stack([p[0] * x - p[1] * x * y, -p[2] * y + p[3] * x * y])


P_LV = np.array([1.5, 1.0, 3.0, 1.0])
U0_LV = np.array([1.0, 1.0])


def lv_saveat_loss(p, sensealg=None, rtol=1e-10):
    prob = ODEProblem(lotka_volterra, U0_LV, (0.0, 10.0), p)
    sol = solve(prob, Tsit5(), rtol=rtol, atol=rtol, saveat=np.arange(0.0, 11.0), sensealg=sensealg)
    return sum(np.sum(u) for u in sol.u)


def lv_final_loss(p, sensealg=None, rtol=1e-10):
    prob = ODEProblem(lotka_volterra, U0_LV, (0.0, 10.0), p)
    u = solve(prob, Tsit5(), rtol=rtol, atol=rtol, sensealg=sensealg)[-1]
    return u[0] ** 2 + 3.0 * u[1]


@pytest.fixture(scope="module")
def lv_references():
    return {name: central_gradient(lambda p: loss(p, rtol=1e-12), P_LV, 1e-6)
            for name, loss in (("saveat", lv_saveat_loss), ("final", lv_final_loss))}


@pytest.mark.parametrize("sensealg", ADJOINT_PARAMS)
@pytest.mark.parametrize("which", ["saveat", "final"])
def test_lotka_volterra_gradient_matches_finite_differences(sensealg, which, lv_references):
    loss = {"saveat": lv_saveat_loss, "final": lv_final_loss}[which]
    g = nm.gradient(lambda p: loss(p, sensealg), P_LV, mode="reverse")
    np.testing.assert_allclose(g, lv_references[which], rtol=1e-6, atol=1e-6)


@pytest.mark.slow
def test_lotka_volterra_adjoints_agree_with_the_taped_solver():
    g_tape = nm.gradient(lambda p: lv_saveat_loss(p, ReverseDiffAdjoint()), P_LV, mode="reverse")
    for sensealg in ADJOINTS:
        g = nm.gradient(lambda p: lv_saveat_loss(p, sensealg), P_LV, mode="reverse")
        np.testing.assert_allclose(g, g_tape, rtol=1e-7, err_msg=repr(sensealg))


def test_loosening_the_adjoint_tolerance_moves_the_gradient_by_about_that_much(lv_references):
    ref = lv_references["saveat"]
    loose = InterpolatingAdjoint(reltol=1e-4, abstol=1e-4)
    g = nm.gradient(lambda p: lv_saveat_loss(p, loose), P_LV, mode="reverse")
    err = np.max(np.abs(g - ref) / np.abs(ref))
    assert 1e-9 < err < 1e-2
    other = InterpolatingAdjoint(adjoint_alg=Vern9())
    g9 = nm.gradient(lambda p: lv_saveat_loss(p, other), P_LV, mode="reverse")
    np.testing.assert_allclose(g9, ref, rtol=1e-6)


# -- a saveat loss on u0 and p together ----------------------------------------------------------
def test_saveat_loss_gradient_in_u0_and_p(lv_references):
    times = np.array([0.5, 2.0, 3.7, 6.0])
    weights = np.array([[1.0, -2.0], [0.5, 0.25], [3.0, 1.0], [-1.0, 2.0]])

    def loss(z, sensealg=None, rtol=1e-10):
        prob = ODEProblem(lotka_volterra, z[:2], (0.0, 6.0), z[2:])
        sol = solve(prob, Tsit5(), rtol=rtol, atol=rtol, saveat=times, sensealg=sensealg)
        return sum(np.sum(w * u ** 2) for w, u in zip(weights, sol.u))

    z0 = np.r_[U0_LV, P_LV]
    ref = central_gradient(lambda z: loss(z, rtol=1e-12), z0, 1e-6)
    for sensealg in (InterpolatingAdjoint(), BacksolveAdjoint(), GaussAdjoint()):
        g = nm.gradient(lambda z: loss(z, sensealg), z0, mode="reverse")
        np.testing.assert_allclose(g, ref, rtol=1e-6, atol=1e-6, err_msg=repr(sensealg))


# -- ROBER in log parameters, stiff methods ------------------------------------------------------
def rober_log(u, lp, t):
    k = nm.exp(lp)
    y1, y2, y3 = u[0], u[1], u[2]
    return np.stack([-k[0] * y1 + k[2] * y2 * y3, k[0] * y1 - k[1] * y2 * y2 - k[2] * y2 * y3,
                     k[1] * y2 * y2])


LP_ROBER = np.log(np.array([0.04, 3e7, 1e4]))


def rober_loss(lp, sensealg=None, alg=None, rtol=1e-8):
    prob = ODEProblem(rober_log, np.array([1.0, 0.0, 0.0]), (0.0, 40.0), lp)
    sol = solve(prob, alg or Rodas5P(), rtol=rtol, atol=1e-12, saveat=[1.0, 40.0], sensealg=sensealg)
    return sol[-1][0] + 1e4 * sol[-1][1] + sol[0][2]


@pytest.fixture(scope="module")
def rober_reference():
    return central_gradient(lambda lp: rober_loss(lp, rtol=1e-12), LP_ROBER, 1e-5)


@pytest.mark.parametrize("sensealg", [InterpolatingAdjoint(), GaussAdjoint(),
                                      InterpolatingAdjoint(checkpointing=True)],
                         ids=["interp", "gauss", "interp-checkpoint"])
def test_rober_log_parameters_with_rodas5p(sensealg, rober_reference):
    g = nm.gradient(lambda lp: rober_loss(lp, sensealg), LP_ROBER, mode="reverse")
    np.testing.assert_allclose(g, rober_reference, rtol=1e-5, atol=1e-9)


@pytest.mark.slow
@pytest.mark.parametrize("alg", [Rodas5P(), FBDF()], ids=["rodas5p", "fbdf"])
@pytest.mark.parametrize("sensealg", [InterpolatingAdjoint(), QuadratureAdjoint(), GaussAdjoint()],
                         ids=["interp", "quadrature", "gauss"])
def test_rober_every_interpolating_adjoint_with_both_stiff_methods(alg, sensealg, rober_reference):
    g = nm.gradient(lambda lp: rober_loss(lp, sensealg, alg), LP_ROBER, mode="reverse")
    np.testing.assert_allclose(g, rober_reference, rtol=1e-5, atol=1e-9)


# -- a 100-parameter neural ODE (tanh MLP 2 -> 20 -> 2, no output bias) ---------------------------
def mlp_rhs(u, p, t):
    W1, b1, W2 = p[:40].reshape(20, 2), p[40:60], p[60:100].reshape(2, 20)
    return W2 @ nm.tanh(W1 @ u + b1)


P_NN = np.random.default_rng(7).normal(scale=0.5, size=100)


def nn_loss(p, sensealg=None, rtol=1e-9):
    prob = ODEProblem(mlp_rhs, np.array([1.0, -0.5]), (0.0, 2.0), p)
    sol = solve(prob, Tsit5(), rtol=rtol, atol=rtol, saveat=[1.0, 2.0], sensealg=sensealg)
    return np.sum(sol[-1] ** 2) + np.sum(sol[0])


def test_neural_ode_100_parameters():
    g_tape = nm.gradient(lambda p: nn_loss(p, ReverseDiffAdjoint()), P_NN, mode="reverse")
    rng = np.random.default_rng(3)
    for sensealg in (InterpolatingAdjoint(), BacksolveAdjoint(), GaussAdjoint()):
        g = nm.gradient(lambda p: nn_loss(p, sensealg), P_NN, mode="reverse")
        np.testing.assert_allclose(g, g_tape, rtol=1e-5, atol=1e-7, err_msg=repr(sensealg))
    for _ in range(3):            # directional central differences at rtol 1e-12
        v = rng.normal(size=100)
        h = 1e-6
        fd = (nn_loss(P_NN + h * v, rtol=1e-12) - nn_loss(P_NN - h * v, rtol=1e-12)) / (2 * h)
        assert abs(g @ v - fd) < 1e-6 * max(1.0, abs(fd))


# -- memory against the number of steps ------------------------------------------------------------
def oscillator(u, p, t):
    return np.stack([u[1], -p[0] * p[0] * u[0]])


def peak_bytes(sensealg, tf):
    def loss(p):
        prob = ODEProblem(oscillator, np.array([1.0, 0.0]), (0.0, tf), p)
        return solve(prob, Tsit5(), rtol=1e-8, atol=1e-8, saveat=[tf], sensealg=sensealg)[-1][0]

    loss(np.array([2.0]))
    tracemalloc.start()
    nm.gradient(loss, np.array([2.0]), mode="reverse")
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


def test_backsolve_memory_does_not_grow_with_the_steps():
    short, long = peak_bytes(BacksolveAdjoint(), 4.0), peak_bytes(BacksolveAdjoint(), 16.0)
    assert long < 1.3 * short + 20_000
    interp = peak_bytes(InterpolatingAdjoint(), 16.0) - peak_bytes(InterpolatingAdjoint(), 4.0)
    assert interp > 3 * max(long - short, 20_000)      # the dense output grows with the steps


@pytest.mark.slow
def test_taped_solver_memory_grows_with_the_steps():
    short, long = peak_bytes(ReverseDiffAdjoint(), 5.0), peak_bytes(ReverseDiffAdjoint(), 40.0)
    assert long > 4 * short


# -- plumbing: pass-through, refusals, failure, the recorded VJP ------------------------------------
def test_without_tracked_inputs_the_problem_is_solved_as_usual():
    prob = ODEProblem(lotka_volterra, U0_LV, (0.0, 2.0), P_LV)
    sol = solve(prob, Tsit5(), rtol=1e-8, sensealg=InterpolatingAdjoint())
    ref = solve(prob, Tsit5(), rtol=1e-8)
    np.testing.assert_array_equal(sol(1.3), ref(1.3))


def test_tracked_solution_refuses_dense_output_between_saved_points():
    def loss(p):
        sol = solve(ODEProblem(lotka_volterra, U0_LV, (0.0, 2.0), p), Tsit5(), saveat=[1.0, 2.0],
                    sensealg=InterpolatingAdjoint())
        return sol(1.5)[0]

    with pytest.raises(ValueError, match="no dense output"):
        nm.gradient(loss, P_LV, mode="reverse")


@pytest.mark.parametrize("sensealg", ADJOINTS, ids=IDS)
def test_callbacks_and_mass_matrices_are_refused_naming_reverse_diff_adjoint(sensealg):
    cb = DiscreteCallback(lambda u, t, integ: False, lambda integ: None)
    prob = ODEProblem(lotka_volterra, U0_LV, (0.0, 1.0), P_LV)
    with pytest.raises(NotImplementedError, match="ReverseDiffAdjoint"):
        nm.gradient(lambda p: solve(prob.remake(p=p), Tsit5(), callback=cb,
                                    sensealg=sensealg)[-1][0], P_LV, mode="reverse")
    with pytest.raises(NotImplementedError, match="mass matrices"):
        nm.gradient(lambda p: solve(prob.remake(p=p, mass_matrix=np.eye(2)), Rodas5P(),
                                    sensealg=sensealg)[-1][0], P_LV, mode="reverse")


@pytest.mark.parametrize("sensealg", ADJOINTS, ids=IDS)
def test_complex_states_are_refused_by_the_continuous_adjoints(sensealg):
    # u' = (i w - k) u: the backward pass cast the complex adjoint to real (a ComplexWarning) and
    # returned dL/dw = 0 for L = Re u(T), silently; ReverseDiffAdjoint differentiates it correctly
    f = lambda u, p, t: (1j * p[0] - p[1]) * u  # noqa: E731
    T, P = 1.5, np.array([2.3, 0.4])

    def loss(p, sa):
        u0 = np.array([1.0 + 0.5j])
        return np.real(solve(ODEProblem(f, u0, (0.0, T), p), Tsit5(), rtol=1e-10, atol=1e-12, sensealg=sa).u[-1][0])

    with pytest.raises(NotImplementedError, match="complex states .*ReverseDiffAdjoint"):
        nm.gradient(lambda p: loss(p, sensealg), P, mode="reverse")
    g = nm.gradient(lambda p: loss(p, ReverseDiffAdjoint()), P, mode="reverse")
    z = (1.0 + 0.5j) * np.exp((1j * P[0] - P[1]) * T)      # u(T); d/dw = i T u(T), d/dk = -T u(T)
    assert np.allclose(g, [np.real(1j * T * z), np.real(-T * z)], rtol=1e-8, atol=0)


def test_tracked_numbers_inside_a_tuple_parameter_are_refused():
    prob = ODEProblem(lambda u, p, t: -p[0] * u, np.array([1.0]), (0.0, 1.0), None)
    with pytest.raises(TypeError, match="container"):
        nm.gradient(lambda p: solve(prob.remake(p=(p[0], 1.0)), Tsit5(),
                                    sensealg=InterpolatingAdjoint())[-1][0],
                    np.array([1.0]), mode="reverse")


def test_a_failed_forward_solve_gives_no_gradient_rather_than_a_wrong_one():
    def loss(p):
        prob = ODEProblem(lotka_volterra, U0_LV, (0.0, 10.0), p)
        sol = solve(prob, Tsit5(), maxiters=5, verbose=False, sensealg=InterpolatingAdjoint())
        assert not sol.success
        return sol[-1][0]

    with pytest.raises(RuntimeError, match="forward solve failed"):
        nm.gradient(loss, P_LV, mode="reverse")


def _branching(u, p, t):
    return -p * u if t < 1.0 else p * u * u


def test_rhs_vjp_replays_its_recording_and_retapes_when_a_guard_fails():
    f = _branching
    v = RhsVJP(f, (2,), np.array([2.0, 3.0]), True, compile=False)
    lam = np.array([1.0, 10.0])
    u = np.array([0.5, 2.0])
    for t in (0.1, 0.5, 0.9):
        gu, gp = v(u, t, lam)
        np.testing.assert_allclose(gu, -lam * np.array([2.0, 3.0]))
        np.testing.assert_allclose(gp, -lam * u)
    assert (v.retapes, v.replays) == (1, 2)
    gu, gp = v(u, 1.5, lam)              # the other branch: a guard fails, f is taped again
    np.testing.assert_allclose(gu, lam * 2 * np.array([2.0, 3.0]) * u)
    np.testing.assert_allclose(gp, lam * u * u)
    assert v.retapes == 2


def test_rhs_vjp_compiled_kernel_leaves_for_the_tape_when_a_guard_fails():
    # -p * u on tracked arrays records array operations: write it with scalars so it compiles
    def f(u, p, t):
        return np.array([-p[0] * u[0], -p[1] * u[1]]) if t < 1.0 else \
            np.array([p[0] * u[0] * u[0], p[1] * u[1] * u[1]])

    v = RhsVJP(f, (2,), np.array([2.0, 3.0]), True)
    lam, u = np.array([1.0, 10.0]), np.array([0.5, 2.0])
    for t in (0.1, 0.5, 0.9):
        gu, gp = v(u, t, lam)
        np.testing.assert_allclose(gu, -lam * np.array([2.0, 3.0]), rtol=1e-15)
        np.testing.assert_allclose(gp, -lam * u, rtol=1e-15)
    assert v.kernel_calls == 3 and v.retapes == 0, v.kernel_message
    gu, gp = v(u, 1.5, lam)              # the other branch: the kernel's guard fails, f is taped
    np.testing.assert_allclose(gu, lam * 2 * np.array([2.0, 3.0]) * u)
    np.testing.assert_allclose(gp, lam * u * u)
    assert v.kernel_calls == 3 and v.retapes == 1 and "guard" in v.kernel_message


def test_rhs_vjp_kernel_matches_the_tape_on_a_network():
    # a small tanh network of scalars compiles; its VJP agrees with the tape's replay
    from solvers.nn import Chain, Dense

    net = Chain(lambda x: x ** 3, Dense(2, 6, "tanh"), Dense(6, 2))
    theta = net.init(3)
    rng = np.random.default_rng(0)
    fast = RhsVJP(lambda u, p, t: net(u, p), (2,), theta, True)
    slow = RhsVJP(lambda u, p, t: net(u, p), (2,), theta, True, compile=False)
    for _ in range(3):
        u, lam = rng.standard_normal(2), rng.standard_normal(2)
        for a, b in zip(fast(u, 0.0, lam), slow(u, 0.0, lam)):
            np.testing.assert_allclose(a, b, rtol=1e-13, atol=1e-15)
    assert fast.kernel_calls == 3, fast.kernel_message


def test_module_doctests():
    import doctest

    import solvers.ode.sensitivity.adjoint as adjoint
    import solvers.ode.sensitivity.adjoint_rhs as adjoint_rhs

    for mod in (adjoint, adjoint_rhs):
        result = doctest.testmod(mod, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
        assert result.attempted > 0 and result.failed == 0


def lotka_volterra_scalar(u, p, t):
    # np.array of scalars (not np.stack, an array operation): records as a scalar program
    x, y = u[0], u[1]
    return np.array([p[0] * x - p[1] * x * y, -p[2] * y + p[3] * x * y])


def _lv_saveat_stats(sensealg):
    """The saveat loss's gradient and the adjoint's statistics (solves, compiled solves, VJP path)."""
    seen = {}

    def loss(p):
        sol = solve(ODEProblem(lotka_volterra_scalar, U0_LV, (0.0, 10.0), p), Tsit5(), rtol=1e-10, atol=1e-10,
                    saveat=np.arange(0.0, 11.0), sensealg=sensealg)
        seen["sol"] = sol
        return sum(np.sum(u) for u in sol.u)

    g = nm.gradient(loss, P_LV, mode="reverse")
    return g, seen["sol"].adjoint_stats, seen["sol"].adjoint_vjp


def test_compiled_adjoints_take_the_fast_paths_and_agree_with_finite_differences(lv_references):
    # InterpolatingAdjoint: one adjoint solve through the 10 save times, f's VJP from the kernel
    g, stats, vjp = _lv_saveat_stats(InterpolatingAdjoint())
    np.testing.assert_allclose(g, lv_references["saveat"], rtol=1e-6, atol=1e-6)
    assert stats["adjoint_solves"] == 1 and vjp.kernel_calls > 0 and vjp.retapes == 0, \
        (stats, vjp.kernel_message)
    # BacksolveAdjoint: the [u, lambda, mu] system in the compiled loop, one solve per interval
    g, stats, vjp = _lv_saveat_stats(BacksolveAdjoint())
    np.testing.assert_allclose(g, lv_references["saveat"], rtol=1e-6, atol=1e-6)
    assert stats.get("compiled_solves", 0) == 10, (stats, vjp.kernel_message)
    # the replayed path (compile_vjp=False) gives the same gradient
    g_replay, stats, vjp = _lv_saveat_stats(BacksolveAdjoint(compile_vjp=False))
    assert vjp.kernel_calls == 0 and stats["adjoint_solves"] == 1
    np.testing.assert_allclose(g_replay, g, rtol=1e-7)
