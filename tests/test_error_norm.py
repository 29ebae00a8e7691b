"""``error_norm="primal"``: a Measurement parameter through Rodas methods.

The Rodas methods (not W-methods) took the Jacobian at the primal (a MeasurementArray cannot be
seeded by forward mode), so W lacked dJ/dp and dJ/du times the sensitivities; the propagated
components were integrated at reduced order and the full error norm (which includes them) cut
the steps: 3147 Rodas5P steps here against 400. Their Jacobian is now taken per element and
carries the components (solvers.ode.stiff.jacobian._forward), so the full norm costs about the
float solve's steps. The option still leaves the components out of step control; the uncertainty
is checked against finite-difference linear propagation of a tight float solve.
"""

import numpy as np
import pytest

import numeric as nm
from solvers import ODEProblem, ReturnCode, Vern9, solve
from solvers.ode.stiff import KenCarp4, Rodas4, Rodas5P

MU, SIGMA, T = 10.0, 0.1, 6.0


def vdp(u, p, t):
    return np.array([u[1], p * ((1 - u[0] * u[0]) * u[1] - u[0])])


def problem(p):
    return ODEProblem(vdp, np.array([2.0, 0.0]), (0.0, T), p)


def fd_uncertainty(alg):
    d = 1e-5
    hi, lo = (solve(problem(MU + s * d), alg, rtol=1e-11, atol=1e-13).u[-1] for s in (1, -1))
    return np.abs((hi - lo) / (2 * d)) * SIGMA


@pytest.mark.parametrize("alg", [Rodas5P(), Rodas4()], ids=["Rodas5P", "Rodas4"])
def test_full_norm_takes_about_the_float_steps_and_primal_norm_the_same(alg):
    ref = fd_uncertainty(alg)
    flt = solve(problem(MU), alg, rtol=1e-6, atol=1e-8)
    full = solve(problem(nm.Measurement(MU, SIGMA)), alg, rtol=1e-6, atol=1e-8)
    primal = solve(problem(nm.Measurement(MU, SIGMA)), alg, rtol=1e-6, atol=1e-8, error_norm="primal")
    for sol in (flt, full, primal):
        assert sol.retcode == ReturnCode.Success
    # before the Jacobian carried the components: 3147 / 12464 steps against 400 / 784
    assert full.stats.naccept <= 1.3 * flt.stats.naccept
    assert primal.stats.naccept <= 1.2 * flt.stats.naccept
    np.testing.assert_allclose(nm.uncertainty(full.u[-1]), ref, rtol=1e-4)
    np.testing.assert_allclose(nm.uncertainty(primal.u[-1]), ref, rtol=2e-3)
    np.testing.assert_allclose(nm.value(primal.u[-1]), flt.u[-1], rtol=1e-12)


@pytest.mark.parametrize("alg", [Rodas5P(), Rodas4()], ids=["Rodas5P", "Rodas4"])
def test_uncertain_decay_rate_closed_form_at_the_float_step_count(alg):
    # u' = -p u, p = 1.5 +- 0.1: sigma(u(T)) = T exp(-p T) 0.1; Rodas4 took 9633 steps for it
    decay = lambda p: ODEProblem(lambda u, p, t: -p * u, np.array([1.0]), (0.0, 2.0), p)
    flt = solve(decay(1.5), alg, rtol=1e-8, atol=1e-10)
    sol = solve(decay(nm.Measurement(1.5, 0.1)), alg, rtol=1e-8, atol=1e-10)
    assert sol.stats.naccept <= 1.2 * flt.stats.naccept
    assert nm.uncertainty(sol.u[-1][0]) == pytest.approx(2.0 * np.exp(-3.0) * 0.1, rel=1e-8)


def test_esdirk_newton_is_not_affected():
    # the ESDIRK Newton iterates the components to convergence: no step penalty to remove
    alg = KenCarp4()
    flt = solve(problem(MU), alg, rtol=1e-6, atol=1e-8)
    full = solve(problem(nm.Measurement(MU, SIGMA)), alg, rtol=1e-6, atol=1e-8)
    assert full.stats.naccept <= 1.2 * flt.stats.naccept


def test_primal_norm_on_a_float_problem_changes_nothing():
    a = solve(problem(MU), Rodas5P(), rtol=1e-6, atol=1e-8)
    b = solve(problem(MU), Rodas5P(), rtol=1e-6, atol=1e-8, error_norm="primal")
    assert a.stats.naccept == b.stats.naccept and np.array_equal(a.u[-1], b.u[-1])


def test_error_norm_bad_value():
    with pytest.raises(ValueError, match="'full' or 'primal'"):
        solve(problem(MU), Rodas5P(), error_norm="values")


def test_a_rhs_that_refuses_object_arrays_falls_back_to_the_primal_jacobian():
    # np.linalg.solve takes no object array of measurements: the per-element Jacobian raised
    # NumPy's UFuncTypeError; the solve now takes the primal Jacobian (the penalty above) instead
    A = np.array([[-4.0, 0.5], [0.2, -5.0]])
    prob = ODEProblem(lambda u, p, t: np.linalg.solve(A, u) * p, np.array([1.0, 0.5]), (0.0, 1.0),
                      nm.Measurement(1.5, 0.1))
    rodas = solve(prob, Rodas5P(), rtol=1e-8, atol=1e-10)
    ref = solve(prob, Vern9(), rtol=1e-10, atol=1e-12)
    assert rodas.retcode == ReturnCode.Success
    np.testing.assert_allclose(nm.uncertainty(rodas.u[-1]), nm.uncertainty(ref.u[-1]), rtol=1e-5)
