"""Callbacks on the protocol loop: the stiff methods locate events like the explicit ones.

References are exact: free fall hits the ground at sqrt(2 h / g); decay u' = -u crosses 1/2 at ln 2.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import numeric as nm
from solvers import (FBDF, ContinuousCallback, DiscreteCallback, KenCarp4, ODEProblem, RadauIIA5, ReturnCode, Rodas4,
                     Rosenbrock23, Tsit5, init, solve)

G = 9.81
STIFF = [Rodas4, Rosenbrock23]
# Rosenbrock23 interpolates with a 2nd-order Hermite segment: events are located to ~1e-7 at rtol 1e-8
EVENT_TOL = {Rodas4: 1e-8, Rosenbrock23: 1e-6}


def fall(u, p, t):
    return np.array([u[1], -G + 0.0 * u[1]])


def decay(u, p, t):
    return -p * u


@pytest.mark.parametrize("method", STIFF)
def test_ground_hit_time_matches_exact_and_tsit5(method):
    hit = ContinuousCallback(lambda u, t, i: u[0], lambda i: i.terminate(), direction="down")
    prob = ODEProblem(fall, np.array([10.0, 0.0]), (0.0, 5.0))
    sol = solve(prob, method(), callback=hit, rtol=1e-8, atol=1e-10)
    ref = solve(prob, Tsit5(), callback=hit, rtol=1e-8, atol=1e-10)
    assert sol.retcode is ReturnCode.Terminated and sol.stats.nevents == 1
    assert abs(sol.t[-1] - math.sqrt(2 * 10.0 / G)) < 1e-9
    assert abs(sol.t[-1] - ref.t[-1]) < 1e-9
    assert abs(sol.u[-1][0]) < 1e-9


@pytest.mark.parametrize("method", STIFF)
def test_bouncing_ball_event_times(method):
    times = []

    def bounce(integ):
        times.append(integ.t)
        u = integ.u.copy()
        u[1] = -0.9 * u[1]
        integ.u = u

    cb = ContinuousCallback(lambda u, t, i: u[0], bounce, direction="down")
    sol = solve(ODEProblem(fall, np.array([10.0, 0.0]), (0.0, 8.0)), method(), callback=cb, rtol=1e-9, atol=1e-12)
    t1 = math.sqrt(2 * 10.0 / G)
    v, expected = G * t1, [t1]
    while True:
        v *= 0.9
        nxt = expected[-1] + 2 * v / G
        if nxt > 8.0:
            break
        expected.append(nxt)
    assert sol.retcode is ReturnCode.Success
    assert len(times) == len(expected) == sol.stats.nevents
    np.testing.assert_allclose(times, expected, atol=1e-7)
    # after the last bounce the ball is in free flight from the ground with speed v_k
    tk, vk = expected[-1], G * t1 * 0.9 ** len(expected)
    assert abs(sol.u[-1][0] - (vk * (8.0 - tk) - G / 2 * (8.0 - tk) ** 2)) < 1e-6


@pytest.mark.parametrize("method", STIFF)
def test_threshold_crossing_with_saveat(method):
    seen = []

    def stop(integ):
        seen.append(integ.t)
        integ.terminate()

    hit = ContinuousCallback(lambda u, t, i: u[0] - 0.5, stop)
    prob = ODEProblem(decay, np.array([1.0]), (0.0, 2.0), 1.0)
    sol = solve(prob, method(), callback=hit, rtol=1e-8, atol=1e-10, saveat=0.1)
    ref = solve(prob, Tsit5(), callback=hit, rtol=1e-8, atol=1e-10, saveat=0.1)
    assert sol.retcode is ReturnCode.Terminated
    assert abs(seen[0] - math.log(2)) < EVENT_TOL[method] and abs(seen[0] - seen[1]) < EVENT_TOL[method]
    np.testing.assert_allclose(sol.t, ref.t)  # 0.0, 0.1, ..., 0.6: nothing past the event
    assert len(sol.t) == 7
    np.testing.assert_allclose([u[0] for u in sol.u], np.exp(-np.asarray(sol.t)), rtol=1e-6)


@pytest.mark.parametrize("method", STIFF)
def test_discrete_callback_changes_p_and_stepper_follows(method):
    def switch(integ):
        integ.p = 3.0

    cb = DiscreteCallback(lambda u, t, i: t == 1.0, switch)
    sol = solve(ODEProblem(decay, np.array([1.0]), (0.0, 2.0), 1.0), method(), callback=cb, tstops=[1.0],
                rtol=1e-9, atol=1e-12)
    assert sol.retcode is ReturnCode.Success and sol.stats.nevents == 1
    assert abs(sol.u[-1][0] - math.exp(-1.0 - 3.0)) < 1e-7


@pytest.mark.parametrize("method", STIFF)
def test_continuous_callback_modifies_u(method):
    def reset(integ):
        integ.u = np.array([1.0])

    cb = ContinuousCallback(lambda u, t, i: u[0] - 0.5, reset, direction="down")
    sol = solve(ODEProblem(decay, np.array([1.0]), (0.0, 2.0), 1.0), method(), callback=cb, rtol=1e-9,
                atol=1e-12)
    # every ln 2 the state drops to 1/2 and is put back to 1: two resets before t = 2
    assert sol.stats.nevents == 2
    assert abs(sol.u[-1][0] - math.exp(-(2.0 - 2 * math.log(2)))) < 1e-6


def test_init_takes_callbacks_for_protocol_methods():
    hit = ContinuousCallback(lambda u, t, i: u[0] - 0.5, lambda i: i.terminate())
    integ = init(ODEProblem(decay, np.array([1.0]), (0.0, 2.0), 1.0), Rodas4(), callback=hit, rtol=1e-8,
                 atol=1e-10)
    sol = integ.solve()
    assert integ.retcode is ReturnCode.Terminated
    assert abs(sol.t[-1] - math.log(2)) < 1e-6


@pytest.mark.parametrize("method", STIFF)
def test_event_time_carries_derivative_through_stiff_methods(method):
    # u' = -k u from 1 hits 1/2 at tau = ln 2 / k: dtau/dk = -ln 2 / k^2
    def tau(k):
        cb = ContinuousCallback(lambda u, t, i: u[0] - 0.5, lambda i: i.terminate())
        sol = solve(ODEProblem(decay, np.array([1.0]), (0.0, 10.0), k), method(), callback=cb,
                    rtol=1e-10, atol=1e-12)
        return sol.t[-1]

    assert abs(nm.value(tau(2.0)) - math.log(2) / 2) < EVENT_TOL[method]
    assert abs(nm.derivative(tau, 2.0) + math.log(2) / 4) < 1e-6


# A dose d at t = tau into u' = -p u, u(0) = 1: u(T) = e^{-p T} + d e^{-p (T - tau)}, so
# d u(T) / d tau = d p e^{-p (T - tau)} and d u(T) / d d = e^{-p (T - tau)}. The dual enters through the
# stop, the event time or the assigned state only (not p, u0 or tspan): the state changes number type
# mid-solve, and the method's stepper (float buffers) has to follow.
P, D, TAU, T_END = 1.1, 0.7, 0.8, 2.0
DOSE_METHODS = [Tsit5, Rodas4, FBDF, RadauIIA5, KenCarp4]


def _dosed(method, tau=TAU, d=D, kind="discrete"):
    def dose(i):
        i.u = i.u + d

    if kind == "discrete":
        cb, stops = DiscreteCallback(lambda u, t, i: t == tau, dose), [tau]
    else:
        cb, stops = ContinuousCallback(lambda u, t, i: t - tau, dose), None
    sol = solve(ODEProblem(decay, np.array([1.0]), (0.0, T_END), P), method(), callback=cb, tstops=stops,
                rtol=1e-10, atol=1e-12)
    assert sol.retcode is ReturnCode.Success, sol.message
    return sol.u[-1][0]


@pytest.mark.parametrize("kind", ["discrete", "continuous"])
@pytest.mark.parametrize("method", DOSE_METHODS, ids=lambda m: m.__name__)
def test_derivative_in_the_dosing_time(method, kind):
    d = nm.derivative(lambda tau: _dosed(method, tau=tau, kind=kind), TAU)
    ref = D * P * math.exp(-P * (T_END - TAU))
    assert abs(d - ref) < 1e-7 * ref, (d, ref)


@pytest.mark.parametrize("method", DOSE_METHODS, ids=lambda m: m.__name__)
def test_derivative_in_a_dose_the_callback_brings(method):
    d = nm.derivative(lambda dose: _dosed(method, d=dose), D)
    ref = math.exp(-P * (T_END - TAU))
    assert abs(d - ref) < 1e-7 * ref, (d, ref)


def test_dual_stop_without_callback_lifts_the_state():
    # the step ending on a dual stop carries its perturbation; u(T) does not depend on the stop
    sol = solve(ODEProblem(decay, np.array([1.0]), (0.0, T_END), P), Tsit5(), tstops=[nm.Dual(TAU, 1.0)],
                rtol=1e-10, atol=1e-12)
    assert sol.retcode is ReturnCode.Success
    assert abs(nm.value(sol.u[-1][0]) - math.exp(-P * T_END)) < 1e-10
    assert abs(float(nm.derivative(lambda s: solve(ODEProblem(decay, np.array([1.0]), (0.0, T_END), P), Tsit5(),
                                                   tstops=[s], rtol=1e-10, atol=1e-12).u[-1][0], TAU))) < 1e-9


@pytest.mark.parametrize("method", DOSE_METHODS, ids=lambda m: m.__name__)
def test_derivative_in_a_parameter_the_callback_switches_to(method):
    # p switches from P to k at TAU: u(T) = e^{-P TAU} e^{-k (T - TAU)}, d u(T)/dk = -(T - TAU) u(T)
    def end(k):
        def switch(i):
            i.p = k

        cb = DiscreteCallback(lambda u, t, i: t == TAU, switch)
        return solve(ODEProblem(decay, np.array([1.0]), (0.0, T_END), P), method(), callback=cb, tstops=[TAU],
                     rtol=1e-10, atol=1e-12).u[-1][0]

    k = 0.5
    ref = -(T_END - TAU) * math.exp(-P * TAU - k * (T_END - TAU))
    assert abs(nm.derivative(end, k) - ref) < 1e-7 * abs(ref)
