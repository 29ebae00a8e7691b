"""AutoSwitch (AutoTsit5(Rodas4()) ...): Van der Pol (mu = 1000 in Hairer-Wanner's scaling) switches
to the stiff method on the slow manifold and back for the fast jumps, against the IVP test-set value."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import solvers
from solvers import BS3, FBDF, ODEProblem, RadauIIA5, Rodas4, Tsit5, init, solve
from solvers.ode.stiff.auto import AutoSwitch, AutoTsit5, AutoVern7


def vdp(u, p, t):
    return np.array([u[1], ((1 - u[0] ** 2) * u[1] - u[0]) / 1e-6])


VDP_REF = np.array([0.1706167732170483e1, -0.8928097010247975e0])  # IVP test set "vdpol", t = 2
PROB = ODEProblem(vdp, np.array([2.0, 0.0]), (0.0, 2.0))


def test_van_der_pol_switches_to_stiff_and_back_and_beats_both_members():
    integ = init(PROB, AutoTsit5(Rodas4()), rtol=1e-6, atol=1e-6)
    sol = integ.solve()
    assert sol.retcode == solvers.ReturnCode.Success
    assert np.max(np.abs(sol.u[-1] - VDP_REF)) < 1e-4
    members = [m for _, m in integ.stepper.switches]
    assert members[0] == 1 and 0 in members and members.count(1) >= 2  # stiff, explicit, stiff again
    # the explicit member runs the fast jump only: it starts at the jump near t = 0.807
    back = [float(t) for t, m in integ.stepper.switches if m == 0]
    assert any(0.8 < t < 0.81 for t in back)
    rodas = solve(PROB, Rodas4(), rtol=1e-6, atol=1e-6)
    assert sol.stats.nf < rodas.stats.nf
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tsit = solve(PROB, Tsit5(), rtol=1e-6, atol=1e-6, maxiters=20000)
    assert tsit.retcode == solvers.ReturnCode.MaxIters


def test_with_fbdf_as_the_stiff_member():
    integ = init(PROB, AutoTsit5(FBDF()), rtol=1e-7, atol=1e-7)
    sol = integ.solve()
    assert sol.retcode == solvers.ReturnCode.Success
    assert np.max(np.abs(sol.u[-1] - VDP_REF)) < 1e-3
    assert len(integ.stepper.switches) >= 2


def test_a_non_stiff_problem_stays_explicit():
    integ = init(ODEProblem(lambda u, p, t: np.array([u[1], -u[0]]), np.array([1.0, 0.0]), (0.0, 10.0)),
                 AutoVern7(Rodas4()), rtol=1e-9, atol=1e-9)
    sol = integ.solve()
    assert integ.stepper.switches == []
    assert np.max(np.abs(sol.u[-1] - [math.cos(10.0), -math.sin(10.0)])) < 1e-7
    assert sol.stats.njac == 0


def test_dense_output_across_switches():
    sol = solve(PROB, AutoTsit5(Rodas4()), rtol=1e-7, atol=1e-7, saveat=[0.5, 1.5])
    ref = solve(PROB, RadauIIA5(), rtol=1e-9, atol=1e-9, saveat=[0.5, 1.5])
    assert np.max(np.abs(np.array(sol.u) - np.array(ref.u))) < 1e-3


def test_bad_input_is_refused_clearly():
    with pytest.raises(ValueError, match="stability_size"):
        AutoSwitch(BS3(), Rodas4())
    with pytest.raises(TypeError, match="stiff protocol method"):
        AutoSwitch(Tsit5(), Tsit5())
    dae = ODEProblem(lambda u, p, t: -u, np.array([1.0, 1.0]), (0.0, 1.0), mass_matrix=np.diag([1.0, 0.0]))
    with pytest.raises(ValueError, match="mass_matrix"):
        solve(dae, AutoTsit5(Rodas4()))
