"""Dense output of every stiff method between the steps, and what uses it (saveat, events), and
fixed-step implicit solves (a failed step is a return code, never accepted unchanged).

Interior order: fixed steps h = 1/N on a nonlinear non-autonomous problem with the exact solution
``(sin t, 0)``, the interpolant evaluated at ``t_i + 0.37 h`` in every step. Its error there is
``O(h^p)`` (the step values) plus the interpolant's own local error: the cubic Hermite interpolant
of the ESDIRKs is locally ``O(h^4)``, so KenCarp4 (p = 4) and Kvaerno5 (p = 5) show order 4 and
TRBDF2 order 2 at the interior points; FBDF with fixed steps is backward Euler (order 1), the
Rosenbrock and Radau interpolants keep their orders (measured slopes, N = 16..128: KenCarp4 3.98,
Kvaerno5 4.01, TRBDF2 2.00, FBDF 1.01, RadauIIA5 3.83, Rodas5P 4.98, Rodas4 3.84,
Rosenbrock23 1.99).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import solvers
from solvers import ContinuousCallback, ODEProblem, ReturnCode, solve

INTERIOR_ORDER = {"KenCarp4": 4, "Kvaerno5": 4, "TRBDF2": 2, "FBDF": 1, "RadauIIA5": 4, "Rodas5P": 5,
                  "Rodas4": 4, "Rosenbrock23": 2}
ESDIRKS = ["KenCarp4", "Kvaerno5", "TRBDF2"]


def prothero(u, p, t):
    # u1 = sin t attracts at rate 5, u2 = 0 is driven by u1^2 - sin^2 t (nonlinear, non-autonomous)
    return np.array([-5.0 * (u[0] - np.sin(t)) + np.cos(t), -u[1] + u[0] * u[0] - np.sin(t) ** 2])


def exact(t):
    return np.array([math.sin(t), 0.0])


@pytest.mark.parametrize("name", list(INTERIOR_ORDER))
def test_interpolant_order_at_interior_points_against_the_exact_solution(name):
    ns, errs = [16, 32, 64], []
    for n in ns:
        s = solve(ODEProblem(prothero, np.array([0.0, 0.0]), (0.0, 1.0)), getattr(solvers, name)(), dt=1.0 / n,
                  adaptive=False, dense=True, rtol=1e-13, atol=1e-13)
        assert s.retcode == ReturnCode.Success, s.message
        ts = (np.arange(n) + 0.37) / n
        errs.append(max(float(np.max(np.abs(s(t) - exact(t)))) for t in ts))
    slope = -np.polyfit(np.log(ns), np.log(errs), 1)[0]
    assert slope > INTERIOR_ORDER[name] - 0.3, (name, slope, errs)


def stiff_cos(u, p, t):
    return -50.0 * (u - np.cos(t))


def stiff_cos_exact(t):
    return 2500 / 2501 * (math.cos(t) + math.sin(t) / 50 - math.exp(-50 * t))


@pytest.mark.parametrize("name", ESDIRKS)
def test_saveat_values_come_from_the_interpolant(name):
    ts = np.linspace(0.05, 1.95, 11)
    s = solve(ODEProblem(stiff_cos, np.array([0.0]), (0.0, 2.0)), getattr(solvers, name)(), rtol=1e-8,
              atol=1e-10, saveat=ts)
    assert s.retcode == ReturnCode.Success
    np.testing.assert_allclose(np.asarray(s.t, dtype=float), ts)
    err = max(abs(float(u[0]) - stiff_cos_exact(t)) for t, u in zip(s.t, s.u))
    # measured 3.7e-9 (KenCarp4), 3.6e-9 (Kvaerno5), 4.2e-7 (TRBDF2, order 2)
    assert err < (2e-6 if name == "TRBDF2" else 2e-8), err


@pytest.mark.parametrize("name", ESDIRKS)
def test_event_located_inside_a_step_of_an_implicit_method(name):
    # u crosses 0 where cos t + sin t / 50 = 0 (the transient e^{-50 t} is ~1e-35 there)
    t_star = math.pi - math.atan(50.0)
    cb = ContinuousCallback(lambda u, t, i: u[0], lambda i: i.terminate(), direction="down")
    s = solve(ODEProblem(stiff_cos, np.array([0.0]), (0.0, 3.0)), getattr(solvers, name)(), rtol=1e-8,
              atol=1e-10, callback=cb)
    assert s.retcode == ReturnCode.Terminated
    # the event time is as good as the interpolant (|u'| ~ 1 there); measured errors 1.6e-10
    # (KenCarp4), 7.5e-11 (Kvaerno5), 2.1e-9 (TRBDF2)
    assert abs(float(s.t[-1]) - t_star) < (2e-8 if name == "TRBDF2" else 2e-9), float(s.t[-1]) - t_star


@pytest.mark.parametrize("name", ESDIRKS + ["FBDF", "RadauIIA5"])
def test_fixed_steps_at_default_tolerances_take_every_step(name):
    # before: a stage Newton whose two first corrections fixed different components looked divergent
    # (theta ~ 1) and the failed step was accepted with u unchanged (Success, wrong answer)
    s = solve(ODEProblem(prothero, np.array([0.0, 0.0]), (0.0, 1.0)), getattr(solvers, name)(), dt=1 / 8,
              adaptive=False, dense=True)
    assert s.retcode == ReturnCode.Success, s.message
    assert all(seg is not None for _, _, seg in s._segments)
    assert np.max(np.abs(s.u[-1] - exact(1.0))) < 0.05  # order 1 to 5 at h = 1/8


def cubic_decay(u, p, t):
    return -u ** 3


def test_a_fixed_step_that_cannot_converge_is_a_failure_not_a_silent_acceptance():
    prob = ODEProblem(cubic_decay, np.array([10.0]), (0.0, 2.0))
    s = solve(prob, solvers.KenCarp4(newton_maxiter=1), dt=0.5, adaptive=False, verbose=False)
    assert s.retcode == ReturnCode.Failure
    assert "adaptive=False" in s.message and "smaller dt" in s.message
    assert float(s.t[-1]) == 0.0  # nothing after the failed step was accepted
    # the problem itself is fine for adaptive steps: u(2) = 10 / sqrt(1 + 400)
    s = solve(prob, solvers.KenCarp4(), rtol=1e-8, atol=1e-10)
    assert s.retcode == ReturnCode.Success
    assert abs(float(s.u[-1][0]) - 10 / math.sqrt(401.0)) < 1e-6
