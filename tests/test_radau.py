"""RadauIIA5: coefficients against the collocation conditions at 30 digits, fixed-step order 5,
ROBER (ODE and DAE), dense output, Dual sensitivities."""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest

import numeric as nm
import solvers
from solvers import ODEProblem, RadauIIA5, solve
from solvers.ode.stiff.radau import radau_coefficients
from tests.test_bdf import HW40, U0, relerr, rober, rober_dae


def test_coefficients_satisfy_the_collocation_conditions_at_30_digits():
    with mpmath.workdps(30):
        co = radau_coefficients(mpmath.mpf(1))
        A, c = co["A"], co["c"]
        for i in range(3):  # C(3): sum_j a_ij c_j^(k-1) = c_i^k / k
            for k in range(1, 4):
                assert abs(sum(A[i][j] * c[j] ** (k - 1) for j in range(3)) - c[i] ** k / k) < mpmath.mpf("1e-28")
        # B(5) through the last row (stiffly accurate: b = A[2]): sum_j b_j c_j^(k-1) = 1/k
        for k in range(1, 6):
            assert abs(sum(A[2][j] * c[j] ** (k - 1) for j in range(3)) - mpmath.mpf(1) / k) < mpmath.mpf("1e-28")
        # gamma is the real eigenvalue of A^-1
        Am = mpmath.matrix(A)
        assert abs(mpmath.det(mpmath.inverse(Am) - co["gamma"] * mpmath.eye(3))) < mpmath.mpf("1e-25")


def _osc(u, p, t):
    return np.array([u[1], -u[0]])


def test_fixed_step_order_five():
    errs = []
    for n in (10, 20, 40):
        s = solve(ODEProblem(_osc, np.array([1.0, 0.0]), (0.0, 5.0)), RadauIIA5(), dt=5.0 / n, adaptive=False)
        errs.append(np.max(np.abs(s.u[-1] - [math.cos(5.0), -math.sin(5.0)])))
    slopes = [math.log2(errs[i] / errs[i + 1]) for i in range(2)]
    assert all(4.6 < q < 5.4 for q in slopes), (slopes, errs)


@pytest.mark.parametrize("rtol,bound", [(1e-6, 1e-6), (1e-9, 1e-9)])
def test_rober_t40_against_hairer_wanner(rtol, bound):
    s = solve(ODEProblem(rober, U0, (0.0, 40.0)), RadauIIA5(), rtol=rtol, atol=rtol * 1e-6)
    assert s.retcode == solvers.ReturnCode.Success
    assert relerr(s.u[-1], HW40) < bound
    assert s.stats.njac < s.stats.naccept  # the Jacobian is kept while Newton converges fast


def test_rober_dae_with_singular_mass_matrix():
    prob = ODEProblem(rober_dae, np.array([1.0, 0.0, 0.0]), (0.0, 40.0), mass_matrix=np.diag([1.0, 1.0, 0.0]))
    s = solve(prob, RadauIIA5(), rtol=1e-8, atol=1e-12)
    assert relerr(s.u[-1], HW40) < 1e-7
    assert abs(s.u[-1].sum() - 1.0) < 1e-12


def test_dense_output_from_the_collocation_polynomial():
    s = solve(ODEProblem(_osc, np.array([1.0, 0.0]), (0.0, 4.0)), RadauIIA5(), rtol=1e-9, atol=1e-12, dense=True)
    ts = np.linspace(0.01, 3.99, 41)
    err = max(np.max(np.abs(s(t) - [math.cos(t), -math.sin(t)])) for t in ts)
    assert err < 1e-7


def test_dual_parameter_sensitivity_matches_central_differences():
    def final(k1):
        return solve(ODEProblem(rober, U0, (0.0, 1.0), (k1, 3e7, 1e4)), RadauIIA5(), rtol=1e-10, atol=1e-14).u[-1]

    d = nm.derivative(lambda k: final(k)[2], 0.04)
    e = 1e-4
    fd = (final(0.04 * (1 + e))[2] - final(0.04 * (1 - e))[2]) / (0.08 * e)
    assert abs(d - fd) < 1e-4 * abs(fd)


def test_one_dimensional_state_required():
    with pytest.raises(TypeError, match="1-D state"):
        solve(ODEProblem(lambda u, p, t: -u, np.ones((2, 2)), (0.0, 1.0)), RadauIIA5())


def test_mpf_state_fixed_steps_beyond_double_precision():
    # R(z) - e^z ~ z^6 / 7200 per step: 500 steps of 0.002 leave ~5e-18, below float64's 4e-17 at e^-1
    with mpmath.workdps(30):
        u0 = np.array([mpmath.mpf(1)], dtype=object)
        s = solve(ODEProblem(lambda u, p, t: -u, u0, (mpmath.mpf(0), mpmath.mpf(1))), RadauIIA5(),
                  dt=mpmath.mpf(1) / 500, adaptive=False)
        err = abs(s.u[-1][0] - mpmath.exp(-1))
        assert isinstance(s.u[-1][0], mpmath.mpf)
        assert mpmath.mpf("1e-19") < err < mpmath.mpf("2e-17")


def test_rober_t1e5_against_tight_independent_radau():
    import scipy.integrate

    ref = scipy.integrate.solve_ivp(lambda t, y: rober(y, None, t), (0, 1e5), U0, method="Radau",
                                    rtol=1e-12, atol=1e-16).y[:, -1]
    s = solve(ODEProblem(rober, U0, (0.0, 1e5)), RadauIIA5(), rtol=1e-7, atol=1e-13)
    assert relerr(s.u[-1], ref) < 1e-7


def test_eigen_decomposed_newton_equals_the_3n_system():
    # the float path's real/complex split (HW IV.8) against the plain 3n x 3n simplified-Newton sweep
    from solvers import init

    rng = np.random.default_rng(3)
    Q = np.linalg.qr(rng.standard_normal((12, 12)))[0]
    A = Q @ np.diag(-np.logspace(0, 4, 12)) @ Q.T
    M = np.eye(12) + np.diag(rng.uniform(0, 0.5, 12))
    prob = ODEProblem(lambda u, p, t: A @ u + np.sin(t), rng.standard_normal(12), (0.0, 1.0), mass_matrix=M)
    st = init(prob, RadauIIA5()).stepper
    u, h = prob.u0, 0.01
    Z = [rng.standard_normal(12) * 1e-3 for _ in range(3)]
    st._matrices(0.0, u, h)
    assert st.eig
    fast = st._solve(st._residual(0.0, u, h, Z))
    st.W, st.plain = None, False
    st._matrices(0.0, u, h)
    assert not st.eig
    full = st._solve(st._residual(0.0, u, h, Z))
    for a, b in zip(fast, full):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)


def test_stiff_linear_system_with_a_complex_spectrum_against_expm():
    import scipy.linalg

    rng = np.random.default_rng(5)
    Q = np.linalg.qr(rng.standard_normal((20, 20)))[0]
    B = np.kron(np.eye(10), np.array([[-1.0, 30.0], [-30.0, -1.0]]))  # eigenvalues -1 +- 30i
    A = Q @ (B - np.diag(np.logspace(0, 3, 20))) @ Q.T
    u0 = rng.standard_normal(20)
    s = solve(ODEProblem(lambda u, p, t: A @ u, u0, (0.0, 2.0)), RadauIIA5(), rtol=1e-9, atol=1e-11)
    exact = scipy.linalg.expm(2.0 * A) @ u0
    assert np.max(np.abs(s.u[-1] - exact)) < 1e-7
