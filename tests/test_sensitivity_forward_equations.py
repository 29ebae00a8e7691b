"""ForwardSensitivity: the continuous forward sensitivity equations solved with the values (issue 12).

Checked against the hand-written sensitivity equations solved by scipy at tight
tolerances (tests/_sensitivity_refs.py), against ForwardDiffSensitivity, and (slow)
the references themselves against central differences, on Lotka–Volterra
(explicit methods, u0 and parameter sensitivities) and on ROBER (stiff, log rate
constants; Rosenbrock, BDF and ESDIRK methods).
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.integrate import solve_ivp

import numeric as nm
from solvers import FBDF, KenCarp4, ODEProblem, Rodas5P, Tsit5, Vern9, solve
from solvers.ode.sensitivity import ForwardDiffSensitivity, ForwardSensitivity
from tests._sensitivity_refs import (LOGK, P0, ROBER_U0, SAVE, U0, lotka, lotka_reference, rober,
                                     rober_reference)

ROBER_T = np.array([0.0, 1.0, 40.0])


def lv_jacobian_problem():
    seeds = np.eye(6)
    p = nm.DualArray(np.array(P0), seeds[:4])
    u0 = nm.DualArray(np.array(U0), seeds[4:], tag=p.tag)
    return ODEProblem(lotka, u0, (0.0, 10.0), p)


@pytest.mark.parametrize("alg", [Tsit5, Vern9])
@pytest.mark.parametrize("compile", [None, False])
def test_lotka_volterra_against_the_sensitivity_equations(alg, compile):
    _, S = lotka_reference()
    sol = solve(lv_jacobian_problem(), alg(), rtol=1e-9, atol=1e-11, saveat=SAVE,
                sensealg=ForwardSensitivity(compile=compile))
    assert sol.retcode.value == "Success"
    assert ("compiled" if compile is None else "dual evaluation") in sol.compile_message
    got = np.array([u.partials for u in sol.u])
    assert np.abs(got - S).max() < 100 * 1e-9 * np.abs(S).max()


def test_lotka_volterra_agrees_with_forward_diff():
    prob = lv_jacobian_problem()
    a = solve(prob, Tsit5(), rtol=1e-9, atol=1e-11, saveat=SAVE, sensealg=ForwardSensitivity())
    b = solve(prob, Tsit5(), rtol=1e-9, atol=1e-11, saveat=SAVE, sensealg=ForwardDiffSensitivity())
    for x, y in zip(a.u, b.u):
        assert x.tag == y.tag
        assert np.allclose(x.partials, y.partials, rtol=1e-6, atol=1e-8)


@pytest.fixture(scope="module")
def rober_ref():
    return rober_reference(ROBER_T)


@pytest.mark.parametrize("alg", [Rodas5P, FBDF, KenCarp4])
def test_rober_log_parameters(rober_ref, alg):
    _, S = rober_ref
    q = nm.DualArray(np.array(LOGK), np.eye(3))
    prob = ODEProblem(rober, np.array(ROBER_U0), (0.0, 40.0), q)
    kw = dict(rtol=1e-8, atol=1e-12, saveat=ROBER_T)
    sol = solve(prob, alg(), sensealg=ForwardSensitivity(), **kw)
    fwd = solve(prob, alg(), sensealg=ForwardDiffSensitivity(), **kw)
    assert sol.retcode.value == "Success" and fwd.retcode.value == "Success"
    scale = np.abs(S[-1]).max()
    for got in (sol.u[-1].partials, fwd.u[-1].partials):
        assert np.abs(got - S[-1]).max() < 100 * 1e-8 * scale
    # the y2 row (1e-6 against 0.1 for the others) is resolved as well, relative to itself
    assert np.allclose(sol.u[-1].partials[1], S[-1][1], rtol=1e-4)


def test_scalar_state_and_tuple_parameters():
    a = nm.Dual(0.5, [1.0, 0.0])
    b = nm.Dual(2.0, [0.0, 1.0], tag=a.tag)
    prob = ODEProblem(lambda u, p, t: -p[0] * u + p[1], 1.0, (0.0, 2.0), (a, b))
    sol = solve(prob, Rodas5P(), rtol=1e-10, atol=1e-12, sensealg=ForwardSensitivity())
    # u = b/a + (1 - b/a) exp(-a t): du/da, du/db at t = 2 by hand
    t, e = 2.0, np.exp(-1.0)
    dua = -2.0 / 0.25 + (2.0 / 0.25) * e + (1 - 4.0) * (-t) * e
    dub = 1 / 0.5 - e / 0.5
    assert isinstance(sol.u[-1], nm.Dual)
    assert np.allclose(sol.u[-1].partials, [dua, dub], rtol=1e-7)


def test_refusals():
    prob = ODEProblem(lotka, np.array(U0), (0.0, 1.0), P0)
    with pytest.raises(ValueError, match="no input carries forward partials"):
        solve(prob, Tsit5(), sensealg=ForwardSensitivity())
    with pytest.raises(TypeError, match="compile"):
        ForwardSensitivity(compile=1)
    q = nm.DualArray(np.array(LOGK), np.eye(3))
    with pytest.raises(ValueError, match="compile=True"):
        solve(ODEProblem(rober, np.array(ROBER_U0), (0.0, 1.0), q), Rodas5P(),
              sensealg=ForwardSensitivity(compile=True))


@pytest.mark.slow
def test_references_agree_with_central_differences(rober_ref):
    # the hand-written sensitivity equations against central differences of tight scipy solves
    _, S = rober_ref
    h = 1e-4
    cols = []
    for e in np.eye(3):
        def end(q):
            def f(t, u):
                return rober(u, q, t)
            return solve_ivp(f, (0.0, 40.0), ROBER_U0, method="Radau", rtol=1e-13, atol=1e-18).y[:, -1]
        cols.append((end(np.add(LOGK, h * e)) - end(np.subtract(LOGK, h * e))) / (2 * h))
    assert np.allclose(np.array(cols).T, S[-1], rtol=1e-5, atol=1e-9 * np.abs(S[-1]).max())
