"""A method written against the stepper protocol (solvers/ode/stepper.py) runs through solve."""

import numpy as np
import pytest

from solvers import ODEProblem, solve
from solvers.ode.controllers import IController


class HermiteSegment:
    """Cubic Hermite interpolant over [t, t + h]."""

    def __init__(self, t, h, u0, u1, f0, f1):
        self.t, self.h, self.u0, self.u1, self.f0, self.f1 = t, h, u0, u1, f0, f1

    def theta(self, t_abs):
        return (t_abs - self.t) / self.h

    def __call__(self, th):
        h00, h10 = (1 + 2 * th) * (1 - th) ** 2, th * (1 - th) ** 2
        h01, h11 = th * th * (3 - 2 * th), th * th * (th - 1)
        return h00 * self.u0 + h10 * self.h * self.f0 + h01 * self.u1 + h11 * self.h * self.f1


class HeunEuler:
    """Heun's method (order 2) with the Euler step as embedded estimate."""

    name, order, adaptive, needs_jacobian, own_controller = "HeunEuler", 2, True, False, False

    def __init__(self, own=False):
        self.own_controller = own
        self.seen_options = None

    def make_stepper(self, ctx):
        self.seen_options = ctx.options
        return _HeunStepper(ctx, self.own_controller)


class _HeunStepper:
    fsal = True

    def __init__(self, ctx, own):
        self.f, self.p, self.norm, self.own = ctx.f, ctx.p, ctx.norm, own
        self.accepted = 0

    def step(self, t, u, f0, h):
        k1 = self.f(u, self.p, t) if f0 is None else f0
        k2 = self.f(u + h * k1, self.p, t + h)
        u_new = u + h / 2 * (k1 + k2)
        E = self.norm(h / 2 * (k2 - k1), u, u_new)
        f_new = self.f(u_new, self.p, t + h)
        return u_new, E, f_new, HermiteSegment(t, h, u, u_new, k1, f_new)

    def accept(self, t_new, u_new, h):
        self.accepted += 1

    def propose_dt(self, h, E, accepted):   # own_controller: a plain I controller
        return h * min(5.0, max(0.2, 0.9 * max(float(E), 1e-10) ** -0.5))


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

    cb = DiscreteCallback(lambda u, t, integ: True, lambda integ: None)
    with pytest.raises(ValueError, match="callbacks are not yet supported"):
        solve(PROB, HeunEuler(), callback=cb)
