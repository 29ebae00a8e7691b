"""A method written against the stepper protocol (solvers/ode/stepper.py) runs through solve."""

import numpy as np
import pytest

from solvers import ODEProblem, solve
from solvers.ode.controllers import IController


from tests._protocol_heun import HeunEuler


A = np.array([[-1.0, 2.0], [-2.0, -1.0]])
PROB = ODEProblem(lambda u, p, t: A @ u, np.array([1.0, 0.0]), (0.0, 2.0), mass_matrix=None)


def exact(t):
    return np.exp(-t) * np.array([np.cos(2 * t), -np.sin(2 * t)])


@pytest.mark.parametrize("own", [False, True], ids=["loop-controller", "own-controller"])
def test_protocol_method_converges_saves_and_interpolates(own):
    errs = []
    for tol in (1e-4, 1e-7):
        sol = solve(PROB, HeunEuler(own), rtol=tol, atol=tol, tstops=[0.7])
        assert sol.retcode.value == "Success"
        assert any(t == 0.7 for t in sol.t)
        errs.append(np.max(np.abs(sol.u[-1] - exact(2.0))))
    assert errs[1] < errs[0] / 100 and errs[1] < 1e-4
    mid = sol(1.3)
    assert np.max(np.abs(mid - exact(1.3))) < 1e-4
    s2 = solve(PROB, HeunEuler(own), rtol=1e-7, atol=1e-7, saveat=[0.5, 1.5])
    assert list(s2.t) == [0.5, 1.5]
    assert np.max(np.abs(s2.u[1] - exact(1.5))) < 1e-4


def test_protocol_method_gets_options_and_a_controller():
    alg = HeunEuler()
    jac = lambda u, p, t: A  # noqa: E731
    sol = solve(PROB.remake(jac=jac), alg, linsolve="lu", controller=IController(), rtol=1e-6, atol=1e-6)
    assert sol.retcode.value == "Success"
    assert alg.seen_options["jac"] is jac and alg.seen_options["linsolve"] == "lu"


def test_protocol_method_maxiters_and_callbacks():
    sol = solve(PROB, HeunEuler(), rtol=1e-10, atol=1e-10, maxiters=5, verbose=False)
    assert sol.retcode.value == "MaxIters"
    from solvers import DiscreteCallback

    # callbacks run on the protocol loop (they were refused before the loop had a callback component)
    cb = DiscreteCallback(lambda u, t, integ: True, lambda integ: None)
    sol = solve(PROB, HeunEuler(), callback=cb)
    assert sol.retcode.value == "Success" and sol.stats.nevents == sol.stats.naccept > 0
