"""``error_norm="primal"``: a Measurement parameter through Rodas methods.

The Rodas methods take the Jacobian at the primal (a MeasurementArray cannot be seeded by forward
mode), so W lacks dJ/dp and dJ/du times the sensitivities; the propagated components are then
integrated at reduced order and the full error norm (which includes them) cuts the steps. The
option leaves the components out of step control; the uncertainty is checked against
finite-difference linear propagation of a tight float solve.
"""

import numpy as np
import pytest

import numeric as nm
from solvers import ODEProblem, ReturnCode, solve
from solvers.ode.stiff import KenCarp4, Rodas5P

MU, SIGMA, T = 10.0, 0.1, 6.0


def vdp(u, p, t):
    return np.array([u[1], p * ((1 - u[0] * u[0]) * u[1] - u[0])])


def problem(p):
    return ODEProblem(vdp, np.array([2.0, 0.0]), (0.0, T), p)


def fd_uncertainty(alg):
    d = 1e-5
    hi, lo = (solve(problem(MU + s * d), alg, rtol=1e-11, atol=1e-13).u[-1] for s in (1, -1))
    return np.abs((hi - lo) / (2 * d)) * SIGMA


@pytest.mark.slow  # about 8 s: the Measurement solve with the full norm takes 3147 steps
def test_full_norm_cuts_rodas5p_steps_and_primal_norm_restores_them():
    alg = Rodas5P()
    ref = fd_uncertainty(alg)
    flt = solve(problem(MU), alg, rtol=1e-6, atol=1e-8)
    full = solve(problem(nm.Measurement(MU, SIGMA)), alg, rtol=1e-6, atol=1e-8)
    primal = solve(problem(nm.Measurement(MU, SIGMA)), alg, rtol=1e-6, atol=1e-8, error_norm="primal")
    for sol in (flt, full, primal):
        assert sol.retcode == ReturnCode.Success
    assert full.stats.naccept > 4 * flt.stats.naccept  # the measured cause (issue 11)
    assert primal.stats.naccept <= 1.2 * flt.stats.naccept
    np.testing.assert_allclose(nm.uncertainty(full.u[-1]), ref, rtol=1e-4)
    np.testing.assert_allclose(nm.uncertainty(primal.u[-1]), ref, rtol=2e-3)
    np.testing.assert_allclose(nm.value(primal.u[-1]), flt.u[-1], rtol=1e-12)


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
