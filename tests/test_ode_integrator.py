"""The step-by-step integrator (solvers.init -> ProtocolIntegrator) for stepper-protocol methods."""

import math

import mpmath
import numpy as np
import pytest

from numeric import Dual
from solvers import ODEProblem, ReturnCode, Tsit5, init, solve
from solvers.ode.extrapolation import GBS


from tests._protocol_heun import HeunEuler as Heun


def decay(u, p, t):
    return -p * u


def prob(tspan=(0.0, 2.0), p=1.0, u0=None):
    return ODEProblem(decay, np.array([1.0]) if u0 is None else u0, tspan, p)


OPTS = dict(rtol=1e-8, atol=1e-10)


def test_solve_through_the_object_matches_solve():
    a = solve(prob(), Heun(), **OPTS)
    b = init(prob(), Heun(), **OPTS).solve()
    assert a.retcode == b.retcode == ReturnCode.Success
    assert len(a.t) == len(b.t)
    np.testing.assert_array_equal(np.asarray(a.t, float), np.asarray(b.t, float))
    np.testing.assert_array_equal(np.asarray(a.u, float), np.asarray(b.u, float))


def test_step_by_step_tracks_the_exact_solution():
    integ = init(prob(), Heun(), **OPTS)
    ts = []
    while integ.retcode is None:
        assert integ.step() is integ
        ts.append(integ.t)
        assert abs(integ.u[0] - math.exp(-integ.t)) < 1e-6
    assert integ.retcode == ReturnCode.Success
    assert all(b > a for a, b in zip(ts, ts[1:]))
    assert ts[-1] == 2.0
    with pytest.raises(RuntimeError, match="has ended"):
        integ.step()


def test_iteration_yields_after_each_accepted_step():
    integ = init(prob(), Heun(), **OPTS)
    seen = [(i.tprev, i.t) for i in integ]
    assert len(seen) == integ.sol.stats.naccept > 3
    assert all(a < b for a, b in seen)
    assert seen[-1][1] == 2.0


def test_call_interpolates_inside_the_last_step_only():
    integ = init(prob(), Heun(), **OPTS)
    for _ in range(3):
        integ.step()
    tm = 0.5 * (integ.tprev + integ.t)
    assert abs(integ(tm)[0] - math.exp(-tm)) < 1e-6
    assert integ(integ.tprev)[0] == pytest.approx(integ.uprev[0], rel=1e-14)
    with pytest.raises(ValueError, match="only inside the last step"):
        integ(integ.t + 1.0)


def test_add_tstop_lands_exactly():
    integ = init(prob(), Heun(), **OPTS)
    integ.add_tstop(0.123456789)
    with pytest.raises(ValueError, match="add_tstop"):
        integ.add_tstop(5.0)
    ts = [i.t for i in integ]
    assert 0.123456789 in ts


def test_set_dt_sets_the_next_try():
    integ = init(prob(), Heun(), adaptive=False, dt=0.1)
    integ.set_dt(0.25)
    integ.step()
    assert integ.t == pytest.approx(0.25, abs=1e-15)
    with pytest.raises(ValueError, match="positive"):
        integ.set_dt(-1.0)


def test_terminate_gives_terminated():
    integ = init(prob(), Heun(), **OPTS)
    integ.step()
    integ.terminate()
    integ.step()
    assert integ.retcode == ReturnCode.Terminated
    assert integ.sol.retcode == ReturnCode.Terminated


def test_reinit_restarts_and_calls_the_hook():
    integ = init(prob(), Heun(), **OPTS)
    while integ.t < 1.0:
        integ.step()
    t1 = integ.t
    integ.reinit(np.array([3.0]))
    assert integ.stepper.reinits == [(t1, integ.u)]
    integ.solve()
    assert integ.retcode == ReturnCode.Success
    assert abs(integ.u[0] - 3.0 * math.exp(-(2.0 - t1))) < 1e-6


def test_reinit_to_an_earlier_time_is_refused():
    # it was accepted, and the solution's saved times then ran backwards (sol.t not monotonic)
    integ = init(prob(), Heun(), **OPTS)
    while integ.t < 1.0:
        integ.step()
    with pytest.raises(ValueError, match="lies before the current t.*solvers.init"):
        integ.reinit(np.array([3.0]), t0=0.0)
    integ.reinit(np.array([3.0]), t0=integ.t + 0.1)      # forward: a jump in t and u
    assert np.all(np.diff(integ.solve().t) > 0)


def test_dual_parameter_through_init_and_step():
    k = Dual(0.7, 1.0)
    integ = init(ODEProblem(decay, np.array([1.0]), (0.0, 1.0), k), Heun(), **OPTS)
    integ.solve()
    u = integ.u[0]
    assert abs(u.value - math.exp(-0.7)) < 1e-6
    assert abs(float(u.partials[0]) - (-math.exp(-0.7))) < 1e-5   # d/dk exp(-k t) at t = 1


def test_mpf_state():
    with mpmath.workdps(30):
        u0 = np.array([mpmath.mpf(1)], dtype=object)
        integ = init(ODEProblem(decay, u0, (mpmath.mpf(0), mpmath.mpf(1)), mpmath.mpf(1)), Heun(),
                     rtol=1e-5, atol=1e-7)
        integ.solve()
        assert isinstance(integ.u[0], mpmath.mpf)
        assert abs(integ.u[0] - mpmath.exp(-1)) < 1e-4


@pytest.mark.parametrize("method", [Tsit5, GBS])
def test_init_steps_explicit_and_extrapolation_methods_like_solve(method):
    # init used to refuse these (NotImplementedError); stepping must reproduce solve's numbers
    sol = solve(prob(), method(), rtol=1e-8, atol=1e-10)
    integ = init(prob(), method(), rtol=1e-8, atol=1e-10)
    n = 0
    for _ in integ:
        n += 1
    assert integ.retcode is ReturnCode.Success and n == sol.stats.naccept
    np.testing.assert_array_equal(integ.sol.u[-1], sol.u[-1])


def test_init_refuses_compile():
    with pytest.raises(ValueError, match="compile"):
        init(prob(), Tsit5(), compile=True)


@pytest.mark.parametrize("method", ["Tsit5", "FBDF", "RadauIIA5"])
def test_dual_tstop_added_and_a_dual_reinit_carry_their_derivatives(method):
    # u' = -p u; dose d at a stop tau added on the way: u(T) = e^{-p T} + d e^{-p (T - tau)}.
    # add_tstop(dual) used to leave a float state for the dual step (TypeError, or RadauIIA5's
    # AttributeError "'str' object has no attribute 'solve'")
    import numeric as nm
    import solvers

    p, T = 1.1, 2.0

    def end(tau, d):
        integ = solvers.init(ODEProblem(lambda u, q, t: -q * u, np.array([1.0]), (0.0, T), p),
                             getattr(solvers, method)(), rtol=1e-10, atol=1e-12)
        integ.add_tstop(tau)
        while nm.value(integ.t) < nm.value(tau):
            integ.step()
        integ.reinit(integ.u + d)
        return integ.solve().u[-1][0]

    tau, d = 0.8, 0.7
    g = math.exp(-p * (T - tau))
    assert abs(nm.derivative(lambda x: end(x, d), tau) - d * p * g) < 1e-7
    assert abs(nm.derivative(lambda x: end(tau, x), d) - g) < 1e-7
