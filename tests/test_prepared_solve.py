"""The prepared solve (solvers/ode/prepared.py): ``prepare(prob, alg, **options).solve(u0=, p=)`` is
``solve(prob.remake(u0=, p=), alg, **options)`` to the bit, on the explicit and the stiff compiled
kernels; wrong shapes are refused with a message; values of another type take the ordinary solve.

Independent checks of the answers: u' = -k u (u = u0 exp(-k t)) and its derivative in k through a
dual parameter (d/dk = -t u0 exp(-k t)).
"""

from __future__ import annotations

import doctest
import warnings

import numpy as np
import pytest

numba = pytest.importorskip("numba")

import numeric as nm  # noqa: E402
import solvers.ode.prepared as prepared_module  # noqa: E402
from solvers import (FBDF, ContinuousCallback, ODEProblem, RadauIIA5, Rodas5P, ReturnCode, Tsit5,  # noqa: E402
                     Vern9, prepare, solve)
from solvers.ensemble import EnsembleProblem, solve_ensemble  # noqa: E402
from solvers.ode.solution import SolverWarning  # noqa: E402


def lotka_py(u, p, t):
    a, b, c, d = p
    return np.array([a * u[0] - b * u[0] * u[1], -c * u[1] + d * u[0] * u[1]])


lotka = numba.njit(lotka_py)


@numba.njit
def decay(u, p, t):
    return -p[0] * u


@numba.njit
def vdp(u, p, t):
    return np.array([u[1], p[0] * (1.0 - u[0] * u[0]) * u[1] - u[0]])


@numba.njit
def vdp_jac(u, p, t):
    return np.array([[0.0, 1.0], [-2.0 * p[0] * u[0] * u[1] - 1.0, p[0] * (1.0 - u[0] * u[0])]])


@numba.njit
def relax_dae(u, p, t):  # u0' = -u0 + u1, 0 = u1 - p u0 (M = diag(1, 0)): u0 = u0(0) exp((p - 1) t)
    return np.array([-u[0] + u[1], u[1] - p[0] * u[0]])


LV = ODEProblem(lotka, np.array([1.0, 1.0]), (0.0, 10.0), (1.5, 1.0, 3.0, 1.0))
VDP = ODEProblem(vdp, np.array([2.0, 0.0]), (0.0, 2.0), np.array([50.0]))


def assert_same(a, b):
    """Two solutions equal to the bit: times, states, dense output, counters, return code, path."""
    assert a.retcode is b.retcode and a.message == b.message
    assert (a.compiled, a.compile_message) == (b.compiled, b.compile_message)
    assert np.array_equal(np.asarray(a.t, dtype=float), np.asarray(b.t, dtype=float))
    assert len(a.u) == len(b.u) and all(np.array_equal(x, y) for x, y in zip(a.u, b.u))
    assert vars(a.stats) == vars(b.stats)
    assert a.dense == b.dense
    if a.dense and len(a.t) > 1:
        ts = np.linspace(float(a.t[0]), float(a.t[-1]), 13)
        assert np.array_equal(a(ts), b(ts))


EXPLICIT = [
    ("default", {}),
    ("saveat list", dict(saveat=[0.0, 0.5, 3.3, 7.0, 10.0])),
    ("saveat step", dict(saveat=1.0)),
    ("ends only", dict(saveat=np.array([0.0, 10.0]), dense=False)),
    ("saveat inside only", dict(saveat=[2.5, 5.0])),
    ("no saves between", dict(save_everystep=False)),
    ("tstops", dict(tstops=[1.234, 5.5])),
    ("vector tolerances", dict(rtol=np.array([1e-6, 1e-8]), atol=np.array([1e-9, 1e-10]))),
    ("dt and dtmax", dict(dt=0.01, dtmax=0.3)),
    ("fixed steps", dict(dt=0.05, adaptive=False)),
]


@pytest.mark.parametrize("alg", [Tsit5, Vern9])
@pytest.mark.parametrize("label,opts", EXPLICIT, ids=[e[0] for e in EXPLICIT])
def test_explicit_prepared_equals_solve_to_the_bit(alg, label, opts):
    opts = dict(dict(rtol=1e-8, atol=1e-10), **opts)
    prepared = prepare(LV, alg(), **opts)
    assert prepared.compiled, prepared.compile_message
    assert_same(prepared.solve(), solve(LV, alg(), **opts))
    for u0, p in ((np.array([1.2, 0.7]), (1.4, 1.1, 2.9, 0.9)), (np.array([0.5, 2.0]), None)):
        new = LV.remake(u0=u0) if p is None else LV.remake(u0=u0, p=p)
        assert_same(prepared.solve(u0=u0, p=p), solve(new, alg(), **opts))


def test_backwards_in_time_and_maxiters():
    back = LV.remake(tspan=(10.0, 0.0))
    prepared = prepare(back, Vern9(), rtol=1e-7)
    assert_same(prepared.solve(u0=np.array([0.9, 1.1])), solve(back.remake(u0=np.array([0.9, 1.1])), Vern9(),
                                                                  rtol=1e-7))
    prepared = prepare(LV, Vern9(), rtol=1e-8, maxiters=20, verbose=False)
    sol = prepared.solve(u0=np.array([1.1, 1.0]))
    assert sol.retcode is ReturnCode.MaxIters and "maxiters = 20" in sol.message
    assert_same(sol, solve(LV.remake(u0=np.array([1.1, 1.0])), Vern9(), rtol=1e-8, maxiters=20, verbose=False))


def test_new_values_give_the_exact_solution():
    prob = ODEProblem(decay, np.array([1.0, -2.0]), (0.0, 2.0), np.array([1.0]))
    prepared = prepare(prob, Vern9(), rtol=1e-11, atol=1e-13, saveat=[0.0, 1.0, 2.0])
    for k, u0 in ((0.5, np.array([3.0, 1.0])), (2.0, np.array([-1.0, 4.0])), (1.0, [1, 2])):
        sol = prepared.solve(u0=u0, p=np.array([k]))
        exact = [np.asarray(u0, dtype=float) * np.exp(-k * t) for t in (0.0, 1.0, 2.0)]
        assert np.allclose(sol.u, exact, rtol=1e-9, atol=1e-12)
        assert sol.prob.p[0] == k and np.array_equal(sol.prob.u0, u0)  # the solution names its values


def test_a_python_f_with_compile_true():
    prob = LV.remake(f=lotka_py)
    prepared = prepare(prob, Vern9(), rtol=1e-8, compile=True)
    assert prepared.compiled
    u0 = np.array([1.3, 0.8])
    assert_same(prepared.solve(u0=u0), solve(prob.remake(u0=u0), Vern9(), rtol=1e-8, compile=True))


STIFF = [
    (Rodas5P, {}),
    (RadauIIA5, {}),
    (FBDF, {}),
    (Rodas5P, dict(saveat=[0.0, 0.7, 1.5, 2.0])),
    (RadauIIA5, dict(save_everystep=False)),
]


@pytest.mark.parametrize("alg,opts", STIFF, ids=[f"{a.__name__}-{sorted(o)}" for a, o in STIFF])
def test_stiff_prepared_equals_solve_to_the_bit(alg, opts):
    opts = dict(dict(rtol=1e-6, atol=1e-8), **opts)
    prepared = prepare(VDP, alg(), **opts)
    assert prepared.compiled, prepared.compile_message
    assert_same(prepared.solve(), solve(VDP, alg(), **opts))
    u0, p = np.array([1.5, 0.5]), np.array([80.0])
    assert_same(prepared.solve(u0=u0, p=p), solve(VDP.remake(u0=u0, p=p), alg(), **opts))


def test_stiff_with_a_jacobian_and_with_a_mass_matrix():
    prob = VDP.remake(jac=vdp_jac)
    prepared = prepare(prob, Rodas5P(), rtol=1e-6, atol=1e-8)
    p = np.array([20.0])
    assert_same(prepared.solve(p=p), solve(prob.remake(p=p), Rodas5P(), rtol=1e-6, atol=1e-8))
    # a DAE: the algebraic variable is made consistent from each new u0 (u1 = p u0 at t0)
    dae = ODEProblem(relax_dae, np.array([1.0, 0.5]), (0.0, 1.0), np.array([0.5]), mass_matrix=np.diag([1.0, 0.0]))
    prepared = prepare(dae, Rodas5P(), rtol=1e-8, atol=1e-10)
    u0, p = np.array([2.0, 0.0]), np.array([0.25])
    sol = prepared.solve(u0=u0, p=p)
    assert_same(sol, solve(dae.remake(u0=u0, p=p), Rodas5P(), rtol=1e-8, atol=1e-10))
    assert sol.compiled and abs(sol.u[-1][0] - 2.0 * np.exp(-0.75)) < 1e-6
    assert abs(sol.u[0][1] - 0.5) < 1e-12  # consistent: u1 = p u0 = 0.25 * 2


def test_wrong_shapes_are_refused_with_a_message():
    prepared = prepare(LV, Vern9(), rtol=1e-8)
    with pytest.raises(ValueError, match=r"u0 has shape \(3,\) but the solve was prepared for a state of shape"):
        prepared.solve(u0=np.ones(3))
    with pytest.raises(ValueError, match="p is a tuple of length 3"):
        prepared.solve(p=(1.0, 2.0, 3.0))
    arr = prepare(ODEProblem(decay, np.array([1.0]), (0.0, 1.0), np.array([1.0])), Vern9())
    with pytest.raises(ValueError, match=r"p is an array of shape \(2,\) but the solve was prepared for an "
                                         r"array of shape \(1,\)"):
        arr.solve(p=np.array([1.0, 2.0]))
    assert not arr.fits(p=np.array([1.0, 2.0])) and arr.fits(u0=np.array([2.0]), p=np.array([3.0]))
    with pytest.raises(TypeError, match="prepare: takes an ODEProblem"):
        prepare(EnsembleProblem(LV), Vern9())


def decay_py(u, p, t):
    return -p[0] * u


def test_values_of_another_type_take_the_ordinary_solve():
    prob = ODEProblem(decay_py, np.array([1.0]), (0.0, 1.0), (1.0,))
    prepared = prepare(prob, Vern9(), rtol=1e-10, atol=1e-12, compile=True)
    assert prepared.compiled
    # a dual rate through the prepared solve: the derivative is carried (the generic path), never dropped
    with pytest.warns(SolverWarning, match="compile=True was asked for, but the generic loop ran"):
        d = nm.derivative(lambda k: prepared.solve(p=(k,)).u[-1][0], 1.5)
    assert abs(float(d) + np.exp(-1.5)) < 1e-8  # d/dk exp(-k) at t = 1
    k = nm.Dual(1.5, 1.0)
    with pytest.warns(SolverWarning, match="compile=True was asked for"):
        a, b = prepared.solve(p=(k,)), solve(prob.remake(p=(k,)), Vern9(), rtol=1e-10, atol=1e-12, compile=True)
    assert not a.compiled and nm.value(a.u[-1][0]) == nm.value(b.u[-1][0])
    # a float32 state: the generic float32 solve, as solve gives it
    u32 = np.array([1.0], dtype=np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SolverWarning)  # rtol 1e-10 is below float32's precision
        a = prepared.solve(u0=u32)
        b = solve(prob.remake(u0=u32), Vern9(), rtol=1e-10, atol=1e-12, compile=True)
    assert a.u[-1].dtype == np.float32 and not a.compiled
    assert_same(a, b)


def test_events_need_the_generic_loop_clearly():
    stop = ContinuousCallback(lambda u, t, integ: u[0] - 2.0, lambda integ: integ.terminate())
    with pytest.raises(ValueError, match="the compiled loop has no callbacks"):
        prepare(LV, Vern9(), callback=stop, compile=True)
    prepared = prepare(LV, Vern9(), rtol=1e-8, callback=stop)
    assert not prepared.compiled and prepared.compile_message == "callbacks need the generic loop"
    u0 = np.array([1.0, 0.9])
    sol = prepared.solve(u0=u0)
    assert sol.retcode is ReturnCode.Terminated and abs(sol.u[-1][0] - 2.0) < 1e-9
    assert_same(sol, solve(LV.remake(u0=u0), Vern9(), rtol=1e-8, callback=stop))


def test_non_finite_start_and_warnings_as_solve():
    prepared = prepare(LV, Vern9(), rtol=1e-8)
    with pytest.warns(SolverWarning, match="InitialFailure"):
        sol = prepared.solve(u0=np.array([np.nan, 1.0]))
    assert sol.retcode is ReturnCode.InitialFailure
    with pytest.warns(SolverWarning, match="MaxIters"):
        prepare(LV, Vern9(), rtol=1e-8, maxiters=5).solve(u0=np.array([1.0, 2.0]))


def test_an_ensemble_of_an_ode_runs_its_members_through_one_prepared_solve(monkeypatch):
    calls = []
    real = prepared_module.PreparedSolve.solve
    monkeypatch.setattr(prepared_module.PreparedSolve, "solve", lambda self, **kw: calls.append(1) or real(self, **kw))

    def member(prob, i):
        return prob.remake(u0=np.array([1.0 + 0.1 * i, 1.0]), p=(1.5, 1.0, 3.0 - 0.05 * i, 1.0))

    ens = EnsembleProblem(LV, prob_func=member)
    out = solve_ensemble(ens, Vern9(), trajectories=6, seed=1, batch_size=3, rtol=1e-8, saveat=[0.0, 5.0, 10.0])
    assert len(calls) == 6
    for i, sol in enumerate(out.u):
        assert_same(sol, solve(member(LV, i), Vern9(), rtol=1e-8, saveat=[0.0, 5.0, 10.0]))
    # a member that changes more than u0 and p (here tspan) takes its own solve
    calls.clear()
    other = EnsembleProblem(LV, prob_func=lambda prob, i: prob.remake(tspan=(0.0, 5.0 + i)))
    out = solve_ensemble(other, Vern9(), trajectories=2, seed=1, rtol=1e-8)
    assert not calls and [float(s.t[-1]) for s in out.u] == [5.0, 6.0]


def test_docstring_examples_run():
    assert doctest.testmod(prepared_module, raise_on_error=False).failed == 0


@pytest.mark.parametrize("shape", [(0,), (2,), (3, 2), (70,), (9, 9)])
def test_the_initial_finiteness_check_is_the_norms(shape):
    """integrator._finite answers what ``is_finite_real(nm.norm(x))`` does, without the norm, for
    float arrays of any shape: huge (the sum of squares overflows), tiny, zero, inf and nan."""
    from solvers._nm import is_finite_real
    from solvers.ode.integrator import _finite

    rng = np.random.default_rng(3)
    with np.errstate(over="ignore", invalid="ignore"):  # the norm's scaled formula squares an inf
        _check_finiteness(rng, shape, _finite, is_finite_real)
    assert solve(ODEProblem(lambda u, p, t: -u, np.ones((2, 2)), (0.0, 1.0)), Tsit5()).retcode is ReturnCode.Success


def _check_finiteness(rng, shape, _finite, is_finite_real):
    for scale in (1.0, 1e200, 1e-200, 0.0):
        x = rng.standard_normal(shape) * scale
        assert _finite(x) == is_finite_real(nm.norm(x)) is True
        if x.size:
            for bad in (np.inf, -np.inf, np.nan):
                y = x.copy()
                y.flat[-1] = bad
                assert _finite(y) == is_finite_real(nm.norm(y)) is False


def test_a_threaded_ensemble_gives_the_serial_answers():
    """Threads share nothing mutable of a prepared solve: each member's state is its own."""
    def member(prob, i):
        return prob.remake(u0=np.array([1.0 + 0.05 * i, 1.0]), p=np.array([1.0 + 0.1 * i]))

    ens = EnsembleProblem(ODEProblem(decay, np.array([1.0, 1.0]), (0.0, 1.0), np.array([1.0])), prob_func=member,
                          output_func=lambda sol, i: sol.u[-1])
    kw = dict(rtol=1e-9, atol=1e-11, saveat=[0.0, 0.5, 1.0])
    serial = solve_ensemble(ens, Vern9(), trajectories=16, seed=2, **kw)
    threads = solve_ensemble(ens, Vern9(), trajectories=16, seed=2, backend="threads", workers=2, batch_size=2, **kw)
    assert all(np.array_equal(a, b) for a, b in zip(serial.u, threads.u))
    assert np.allclose(serial.u[3], np.array([1.15, 1.0]) * np.exp(-1.3), rtol=1e-8)
