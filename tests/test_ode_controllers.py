"""Step-size controllers as separate objects (solve(..., controller=...))."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from solvers import ODEProblem, Tsit5, solve
from solvers.ode import GBS, Vern7
from solvers.ode.controllers import IController, PIController, PIDController

A = np.array([[-1.0, 2.0], [-2.0, -1.0]])   # u' = A u: u(t) = e^{-t} R(2t) u0
U0 = np.array([1.0, 0.0])


def exact(t):
    return np.exp(-t) * np.array([np.cos(2 * t), -np.sin(2 * t)])


PROB = ODEProblem(lambda u, p, t: A @ u, U0, (0.0, 3.0))


@pytest.mark.parametrize("ctrl", [IController(), PIController(), PIDController()], ids=["I", "PI", "PID"])
@pytest.mark.parametrize("alg", [Tsit5(), Vern7()], ids=["Tsit5", "Vern7"])
def test_every_controller_reaches_the_tolerance(ctrl, alg):
    errs = []
    for tol in (1e-6, 1e-9):
        sol = solve(PROB, alg, rtol=tol, atol=tol, controller=ctrl)
        assert sol.retcode.value == "Success"
        errs.append(np.max(np.abs(sol.u[-1] - exact(3.0))))
        assert errs[-1] < 200 * tol
    assert errs[1] < errs[0]


def test_default_pi_controller_reproduces_the_built_in_numbers():
    a = solve(PROB, Tsit5(), rtol=1e-8, atol=1e-10, compile=False)
    b = solve(PROB, Tsit5(), rtol=1e-8, atol=1e-10, controller=PIController())
    assert a.stats.naccept == b.stats.naccept and np.array_equal(a.u[-1], b.u[-1])
    assert not b.compiled and "controller" in b.compile_message


def test_controller_options_are_checked():
    with pytest.raises(ValueError, match="qmin"):
        PIController(qmin=2.0)
    with pytest.raises(ValueError, match="three entries"):
        PIDController(beta=(0.5, 0.5))
    with pytest.raises(ValueError, match="chooses its own step sizes"):
        solve(PROB, GBS(), controller=PIController())


@settings(max_examples=60, deadline=None)
@given(E=st.floats(1e-12, 1e6), h=st.floats(1e-6, 1.0))
def test_proposals_stay_within_the_ratio_bounds(E, h):
    for ctrl in (IController(), PIController(), PIDController()):
        c = ctrl.bind(5)
        ok, h_next = c.propose(h, E)
        assert ok == (E <= 1)
        assert 0.2 * h * (1 - 1e-12) <= h_next <= 10 * h * (1 + 1e-12)
        if not ok:
            assert h_next < h
            # after a rejection the next accepted step may not grow
            ok2, h2 = c.propose(h_next, 0.01)
            assert ok2 and h2 <= h_next


def test_i_controller_formula():
    c = IController(safety=0.8).bind(4)
    assert c.propose(1.0, 0.0625) == (True, pytest.approx(0.8 * 2.0))
