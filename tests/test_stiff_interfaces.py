"""The stiff methods' documented extension points and what their dense output is worth.

* FBDF's subclass interface (``_residual``, ``_matrix``; FBDFStepper's docstring), used by DFBDF.
* RadauSegment, the one public RadauIIA5 interpolant that DRadauIIA5 shares.
* The ESDIRK interpolant (KenCarp4, Kvaerno5, TRBDF2): a cubic Hermite through ``u, u', u_new,
  u_new'``. Between the steps on ROBER it is 15-40 tolerances off (measured at rtol 1e-6): the
  same as a cubic Hermite through the *exact* solution at the same step ends, so that is the
  interpolant's order (3, on steps sized for order 4 or 5), not a bug; TRBDF2's mid-step error
  equals its error at the steps (its global error).
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.integrate as si

import solvers
from solvers import DAEProblem, DRadauIIA5, ODEProblem, ReturnCode, solve
from solvers.ode.stiff.bdf import FBDF, FBDFStepper
from solvers.ode.stiff.problems import rober, rober_jac
from solvers.ode.stiff.radau import RadauSegment
from solvers.ode.stiff.sdirk import HermiteSegment


def forcing(t):
    return np.array([np.cos(t), 0.0])


def linear(u, p, t):
    return np.array([-2.0 * u[0] + u[1], -50.0 * u[1]])


class ForcedStepper(FBDFStepper):
    """Adds a forcing g(t) to f through the residual hook (g does not depend on u: W is FBDF's)."""

    calls = 0

    def _residual(self, t_new, y_pred, psi, d, c):
        ForcedStepper.calls += 1
        return super()._residual(t_new, y_pred, psi, d, c) + forcing(t_new) * c


class ForcedFBDF(FBDF):
    def make_stepper(self, ctx):
        self.check_state(ctx.u0)
        return ForcedStepper(self, ctx)


def test_an_fbdf_subclass_overriding_the_residual_solves_its_equation():
    u0, span = np.array([1.0, 1.0]), (0.0, 3.0)
    hooked = solve(ODEProblem(linear, u0, span), ForcedFBDF(), rtol=1e-8, atol=1e-10)
    direct = solve(ODEProblem(lambda u, p, t: linear(u, p, t) + forcing(t), u0, span), FBDF(), rtol=1e-8,
                   atol=1e-10)
    assert hooked.retcode is ReturnCode.Success and ForcedStepper.calls > 0
    # exact solution: u2 = e^{-50 t}; u1' = -2 u1 + u2 + cos t
    t = span[1]
    u1 = (np.exp(-50 * t) / -48 + (2 * np.cos(t) + np.sin(t)) / 5
          + (1 + 1 / 48 - 2 / 5) * np.exp(-2 * t))
    assert abs(hooked.u[-1][0] - u1) < 1e-6 and abs(direct.u[-1][0] - u1) < 1e-6
    assert abs(hooked.u[-1][1] - np.exp(-50 * t)) < 1e-8


def test_dradau_shares_the_public_radau_segment():
    import solvers.dae.radau as dr
    import solvers.ode.stiff.radau as r

    assert dr.RadauSegment is RadauSegment and not hasattr(r, "_Segment")

    def F(du, u, p, t):  # u' = -u as a DAE
        return du + u

    sol = solve(DAEProblem(F, np.array([-1.0]), np.array([1.0]), (0.0, 1.0)), DRadauIIA5(), rtol=1e-8,
                atol=1e-10, dense=True)
    assert all(isinstance(seg, RadauSegment) for _, _, seg in sol._segments)
    assert abs(sol(0.37)[0] - np.exp(-0.37)) < 1e-7


def test_cubic_hermite_is_exact_for_cubics_and_fourth_order_accurate():
    p = np.polynomial.Polynomial([0.3, -1.0, 2.0, 0.7])
    seg = HermiteSegment(0.5, 2.0, p(0.5), p.deriv()(0.5), p(2.5), p.deriv()(2.5))
    assert abs(seg(seg.theta(1.3)) - p(1.3)) < 1e-13
    errs = []
    for h in (0.2, 0.1):
        seg = HermiteSegment(0.0, h, 1.0, 1.0, np.exp(h), np.exp(h))
        errs.append(abs(seg(0.5) - np.exp(h / 2)))
    assert 14 < errs[0] / errs[1] < 18  # h^4: the local interpolation error of a cubic


@pytest.mark.parametrize("name", ["KenCarp4", "Kvaerno5"])
def test_esdirk_mid_step_error_is_the_cubic_interpolants_own(name):
    U0, T, rtol, atol = np.array([1.0, 0.0, 0.0]), 40.0, 1e-6, 1e-10
    s = solve(ODEProblem(rober, U0, (0.0, T)), getattr(solvers, name)(), rtol=rtol, atol=atol, dense=True)
    ts = np.array(s.t)
    mids = (ts[:-1] + ts[1:]) / 2
    ref = si.solve_ivp(lambda t, y: rober(y, None, t), (0, T), U0, method="Radau", rtol=1e-12, atol=1e-18,
                       jac=lambda t, y: rober_jac(y, None, t), dense_output=True)

    def scaled(e, y):
        return float(np.max(np.abs(e) / (atol + rtol * np.abs(y))))

    nodes = max(scaled(np.asarray(u) - ref.sol(t), ref.sol(t)) for t, u in zip(ts, s.u))
    ours = max(scaled(s(m) - ref.sol(m), ref.sol(m)) for m in mids)
    exact_data = max(scaled(HermiteSegment(a, b - a, ref.sol(a), rober(ref.sol(a), None, a), ref.sol(b),
                                           rober(ref.sol(b), None, b))(0.5) - ref.sol(m), ref.sol(m))
                     for a, b, m in zip(ts[:-1], ts[1:], mids))
    assert nodes < 5  # at the steps the method meets its tolerance
    assert ours > 5  # between them it does not (measured 15 and 38): ...
    assert abs(ours - exact_data) < nodes + 0.1 * exact_data  # ... because the cubic itself does not
