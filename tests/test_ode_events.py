"""Callbacks: event location, order of several events, termination, derivatives through events."""

from __future__ import annotations

import math

import numpy as np
import pytest

import numeric as nm
from solvers import ContinuousCallback, DiscreteCallback, CallbackSet, ODEProblem, ReturnCode, Tsit5, DP5, solve

G = 9.81


def fall(u, p, t):
    return np.array([u[1], -G + 0.0 * u[1]])


def test_ground_hit_time_and_termination():
    hit = ContinuousCallback(lambda u, t, i: u[0], lambda i: i.terminate(), direction="down")
    sol = solve(ODEProblem(fall, np.array([10.0, 0.0]), (0.0, 5.0)), Tsit5(), callback=hit)
    assert sol.retcode is ReturnCode.Terminated and sol.success
    assert abs(sol.t[-1] - math.sqrt(2 * 10.0 / G)) < 1e-12
    assert abs(sol.u[-1][0]) < 1e-12


@pytest.mark.parametrize("direction", [0, "down"])
def test_bouncing_ball_no_double_detection(direction):
    def bounce(integ):
        u = integ.u.copy()
        u[1] = -0.9 * u[1]
        integ.u = u

    cb = ContinuousCallback(lambda u, t, i: u[0], bounce, direction=direction)
    sol = solve(ODEProblem(fall, np.array([10.0, 0.0]), (0.0, 10.0)), Tsit5(), callback=cb, rtol=1e-9, atol=1e-12)
    t1 = math.sqrt(2 * 10.0 / G)
    v, expected = G * t1, [t1]
    while True:
        v *= 0.9
        nxt = expected[-1] + 2 * v / G
        if nxt > 10.0:
            break
        expected.append(nxt)
    assert sol.stats.nevents == len(expected) == 4
    got = sorted({round(float(t), 9) for t, u in zip(sol.t, sol.u) if abs(u[0]) < 1e-9})
    assert np.allclose(got, expected, atol=1e-8)


def test_several_events_in_one_step_in_order():
    times = []
    cb = ContinuousCallback(lambda u, t, i: np.sin(20 * t), lambda i: times.append(i.t))
    sol = solve(ODEProblem(lambda u, p, t: 1.0, 0.0, (0.0, 1.0)), Tsit5(), callback=cb)
    # the solution is linear, so without events the solver would take very few steps
    assert np.allclose(times, np.arange(1, 7) * np.pi / 20, atol=1e-9)
    assert sol.stats.nevents == 6


def test_direction_filters_crossings():
    ups, downs = [], []
    cb_up = ContinuousCallback(lambda u, t, i: np.sin(t), lambda i: ups.append(i.t), direction="up")
    cb_down = ContinuousCallback(lambda u, t, i: np.sin(t), lambda i: downs.append(i.t), direction=-1)
    solve(ODEProblem(lambda u, p, t: 1.0, 0.0, (0.5, 13.0)), Tsit5(), callback=CallbackSet(cb_up, cb_down))
    assert np.allclose(ups, [2 * np.pi, 4 * np.pi])
    assert np.allclose(downs, [np.pi, 3 * np.pi])


def test_discrete_callback_and_saveat_across_event():
    seen = []
    dc = DiscreteCallback(lambda u, t, i: t > 0.5, lambda i: seen.append(i.t))
    halve = ContinuousCallback(lambda u, t, i: t - 1.0, lambda i: setattr(i, "u", i.u / 2))
    sol = solve(ODEProblem(lambda u, p, t: -u, 1.0, (0.0, 2.0)), Tsit5(), callback=[dc, halve],
                saveat=[0.5, 1.5, 2.0], rtol=1e-10, atol=1e-12)  # fmt: skip
    assert seen and all(t > 0.5 for t in seen)
    assert abs(sol.u[0] - math.exp(-0.5)) < 1e-9
    assert abs(sol.u[1] - math.exp(-1.5) / 2) < 1e-9
    assert abs(sol.u[2] - math.exp(-2.0) / 2) < 1e-9


def test_terminate_from_discrete_callback():
    stop = DiscreteCallback(lambda u, t, i: u < 0.5, lambda i: i.terminate())
    sol = solve(ODEProblem(lambda u, p, t: -u, 1.0, (0.0, 10.0)), DP5(), callback=stop)
    assert sol.retcode is ReturnCode.Terminated and sol.u[-1] < 0.5


def test_event_time_carries_dual_derivative_scalar():
    # u' = -k u from 1: hits 1/2 at tau = ln 2 / k, dtau/dk = -ln 2 / k^2
    def tau(k):
        cb = ContinuousCallback(lambda u, t, i: u - 0.5, lambda i: i.terminate())
        sol = solve(ODEProblem(lambda u, p, t: -p * u, 1.0, (0.0, 10.0), k), Tsit5(), callback=cb,
                    rtol=1e-10, atol=1e-12)  # fmt: skip
        return sol.t[-1]

    assert abs(nm.derivative(tau, 2.0) + math.log(2) / 4) < 1e-8


def test_projectile_range_derivative_through_ground_hit():
    v = 20.0

    def projectile(u, p, t):
        return np.array([u[2], u[3], 0.0 * u[2], -G + 0.0 * u[3]])

    def distance(theta):
        u0 = np.array([0.0 * theta, 0.0 * theta, v * nm.cos(theta), v * nm.sin(theta)], dtype=object)
        hit = ContinuousCallback(lambda u, t, i: u[1], lambda i: i.terminate(), direction="down")
        sol = solve(ODEProblem(projectile, u0, (0.0, 100.0)), Tsit5(), callback=hit, rtol=1e-10, atol=1e-12)
        return sol.u[-1][0]

    theta = 0.6
    assert abs(nm.value(distance(theta)) - v * v * math.sin(2 * theta) / G) < 1e-9
    d = nm.derivative(distance, theta)
    assert abs(nm.value(d) - 2 * v * v * math.cos(2 * theta) / G) < 1e-7
