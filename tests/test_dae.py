"""Fully implicit DAEs F(du, u, p, t) = 0: consistent initialisation, ROBER against the
mass-matrix form and Hairer-Wanner's reference, the pendulum in index-1 form against the
pendulum ODE, Duals against central differences, mpf and Measurements (issue 16)."""

from __future__ import annotations

import mpmath
import numpy as np
import pytest

import numeric as nm
from solvers import DAEProblem, DFBDF, DRadauIIA5, FBDF, ODEProblem, Vern9, solve
from solvers.dae.initialization import consistent_initial_values, differential_components

# Hairer & Wanner, Solving ODEs II, section IV.10: ROBER at t = 40 (also tests/test_stiff.py)
ROBER_40 = np.array([0.7158270687193148, 9.185534764557128e-6, 0.2841637457458775])


def rober_F(du, u, p, t):
    k1, k2, k3 = p
    y1, y2, y3 = u
    return np.array([du[0] + k1 * y1 - k3 * y2 * y3,
                     du[1] - k1 * y1 + k2 * y2 * y2 + k3 * y2 * y3,
                     y1 + y2 + y3 - 1.0])


def rober_mass(u, p, t):
    k1, k2, k3 = p
    y1, y2, y3 = u
    return np.array([-k1 * y1 + k3 * y2 * y3, k1 * y1 - k2 * y2 * y2 - k3 * y2 * y3, y1 + y2 + y3 - 1.0])


K = (0.04, 3e7, 1e4)


METHODS = [DFBDF(), DRadauIIA5()]
IDS = ["DFBDF", "DRadauIIA5"]


@pytest.mark.parametrize("alg", METHODS, ids=IDS)
def test_rober_as_a_fully_implicit_dae_matches_the_reference_and_the_mass_matrix_form(alg):
    prob = DAEProblem(rober_F, np.zeros(3), np.array([1.0, 0.0, 0.5]), (0.0, 40.0), K)  # y3(0) inconsistent
    sol = solve(prob, alg, rtol=1e-8, atol=1e-12)
    assert sol.retcode
    assert abs(sol.u[0][2]) < 1e-14  # made consistent: y3 = 1 - y1 - y2
    assert np.max(np.abs(sol.u[-1] - ROBER_40) / ROBER_40) < 1e-6
    mm = solve(ODEProblem(rober_mass, np.array([1.0, 0.0, 0.0]), (0.0, 40.0), K, mass_matrix=np.diag([1.0, 1.0, 0.0])),
               FBDF(), rtol=1e-8, atol=1e-12)
    assert np.max(np.abs(sol.u[-1] - mm.u[-1]) / ROBER_40) < 1e-6
    assert abs(sol.u[-1].sum() - 1) < 1e-13


def test_differential_components_are_read_off_dF_ddu():
    dv = differential_components(rober_F, np.zeros(3), np.array([1.0, 0.0, 0.0]), K, 0.0)
    assert dv.tolist() == [True, True, False]


G = 9.81


def pendulum_F(du, u, p, t):
    """The pendulum (length 1) in index-1 form: the position constraint differentiated twice,
    x u' + y v' + u^2 + v^2 = 0 with the dynamics, gives lambda = u^2 + v^2 - g y."""
    x, y, vx, vy, lam = u
    g = p
    return np.array([du[0] - vx, du[1] - vy, du[2] + lam * x, du[3] + lam * y + g,
                     vx * vx + vy * vy - lam * (x * x + y * y) - g * y])


@pytest.mark.parametrize("alg", METHODS, ids=IDS)
def test_pendulum_index1_against_the_pendulum_ode(alg):
    th0 = 0.5
    u0 = np.array([np.sin(th0), -np.cos(th0), 0.0, 0.0, 0.0])  # lambda(0) = 0 is inconsistent: found by BHP
    prob = DAEProblem(pendulum_F, np.zeros(5), u0, (0.0, 3.0), G, differential_vars=[True] * 4 + [False])
    sol = solve(prob, alg, rtol=1e-9, atol=1e-11)
    assert sol.retcode
    assert abs(sol.u[0][4] - G * np.cos(th0)) < 1e-12  # lambda = u^2 + v^2 - g y at rest
    ode = solve(ODEProblem(lambda z, p, t: np.array([z[1], -p * np.sin(z[0])]), np.array([th0, 0.0]), (0.0, 3.0), G),
                Vern9(), rtol=1e-12, atol=1e-14)
    for t in (1.0, 2.0, 3.0):
        th = ode(t)[0]
        assert np.allclose(sol(t)[:2], [np.sin(th), -np.cos(th)], atol=2e-6)
    x, y = sol.u[-1][:2]
    assert abs(x * x + y * y - 1) < 1e-5  # index-1 form: the position constraint drifts only slowly


@pytest.mark.parametrize("alg", METHODS, ids=IDS)
def test_dual_parameter_through_the_dae_matches_central_differences(alg):
    def final(k1):
        prob = DAEProblem(rober_F, np.zeros(3), np.array([1.0, 0.0, 0.0]), (0.0, 1.0), (k1, 3e7, 1e4))
        return solve(prob, alg, rtol=1e-10, atol=1e-14).u[-1]

    d = np.asarray(nm.derivative(final, 0.04), dtype=float)
    h = 1e-6
    fd = (final(0.04 + h) - final(0.04 - h)) / (2 * h)
    assert np.allclose(d, fd, rtol=1e-4, atol=1e-9)


def linear_F(du, u, p, t):
    return np.array([du[0] + u[0], u[1] - 2 * u[0]])  # u0 = c e^{-t}, u1 = 2 u0


@pytest.mark.parametrize("alg", METHODS, ids=IDS)
def test_mpf_through_consistent_initialisation_and_the_dae_solve(alg):
    with mpmath.workdps(30):
        one = mpmath.mpf(1)
        u0 = np.array([one, 0 * one], dtype=object)
        du0 = np.array([0 * one, 0 * one], dtype=object)
        du, u = consistent_initial_values(linear_F, du0, u0, None, 0 * one, np.array([True, False]))
        assert abs(u[1] - 2) < mpmath.mpf(10) ** -28 and abs(du[0] + 1) < mpmath.mpf(10) ** -28
        sol = solve(DAEProblem(linear_F, du0, u0, (0 * one, one)), alg, rtol=mpmath.mpf(10) ** -12,
                    atol=mpmath.mpf(10) ** -14)
        assert sol.retcode and isinstance(sol.u[-1][0], mpmath.mpf)
        assert abs(sol.u[-1][0] - mpmath.exp(-1)) < mpmath.mpf(10) ** -9
        assert abs(sol.u[-1][1] - 2 * sol.u[-1][0]) < mpmath.mpf(10) ** -25  # the constraint to 30 digits


@pytest.mark.parametrize("alg", METHODS, ids=IDS)
def test_measurement_through_the_dae_is_linear_propagation(alg):
    u0 = nm.measurements([1.0, 0.0], [0.1, 0.0])
    du0 = np.zeros(2) * u0
    sol = solve(DAEProblem(linear_F, du0, u0, (0.0, 1.0)), alg, rtol=1e-10, atol=1e-12)
    e = np.exp(-1.0)
    assert np.allclose(nm.value(sol.u[-1]), [e, 2 * e], rtol=1e-7)
    assert np.allclose(nm.uncertainty(sol.u[-1]), [0.1 * e, 0.2 * e], rtol=1e-6)
    assert abs(nm.cor(sol.u[-1])[0, 1] - 1) < 1e-9  # the algebraic component is 2 u0: fully correlated


def test_bad_dae_input_is_refused_clearly():
    with pytest.raises(ValueError, match="differential_vars"):
        DAEProblem(linear_F, np.zeros(2), np.ones(2), (0.0, 1.0), differential_vars=[1, 0])
    with pytest.raises(ValueError, match="one shape"):
        DAEProblem(linear_F, np.zeros(3), np.ones(2), (0.0, 1.0))
    with pytest.raises(TypeError, match="fully implicit DAE method"):
        solve(DAEProblem(linear_F, np.zeros(2), np.ones(2), (0.0, 1.0)), FBDF())
    # an index-2 system (the algebraic variable does not appear in the constraint): singular Jacobian
    F2 = lambda du, u, p, t: np.array([du[0] - u[1], u[0] - np.sin(t)])
    with pytest.raises(ValueError, match="index"):
        solve(DAEProblem(F2, np.zeros(2), np.zeros(2), (0.0, 1.0)), DFBDF())


def _dosed_dae(alg, dose, p=1.3, q=0.4, tau=0.8, T=1.5, rtol=1e-10):
    # u0' = -p u0 + u1, 0 = u1 - q u0, dosed u0 += dose at tau: the callback leaves u1 inconsistent, the
    # solve re-solves it (u1 = q u0); u(T) = (e^{(q-p) T} + dose e^{(q-p)(T - tau)}) (1, q)
    from solvers import DiscreteCallback

    def F(du, u, pp, t):
        return np.stack([du[0] + p * u[0] - u[1], u[1] - q * u[0]])

    def give(i):
        i.u = i.u + np.array([1.0, 0.0]) * dose

    cb = DiscreteCallback(lambda u, t, i: t == tau, give)
    return solve(DAEProblem(F, np.zeros(2), np.array([1.0, 0.0]), (0.0, T)), alg, callback=cb, tstops=[tau],
                 rtol=rtol, atol=rtol * 1e-2, verbose=False)


@pytest.mark.parametrize("alg", [DFBDF, DRadauIIA5], ids=lambda a: a.__name__)
def test_callback_jump_reinitializes_the_algebraic_variables(alg):
    p, q, tau, T, dose = 1.3, 0.4, 0.8, 1.5, 0.5
    sol = _dosed_dae(alg(), dose)
    assert sol.retcode.name == "Success", sol.message   # DFBDF stopped at tau (DtLessThanMin) before
    g = np.exp((q - p) * (T - tau))
    exact = (np.exp((q - p) * T) + dose * g) * np.array([1.0, q])
    assert np.allclose(sol.u[-1], exact, rtol=1e-7, atol=0)
    i = max(k for k, t in enumerate(sol.t) if t == tau)         # the point saved after the jump
    assert abs(sol.u[i][1] - q * sol.u[i][0]) < 1e-12          # consistent there too
    d = nm.derivative(lambda x: _dosed_dae(alg(), x).u[-1], dose)  # the dose as a dual (a new number type)
    assert np.allclose(np.asarray(d, dtype=float), g * np.array([1.0, q]), rtol=1e-6, atol=0)


@pytest.mark.parametrize("alg", [DFBDF, DRadauIIA5], ids=lambda a: a.__name__)
def test_complex_dae_with_an_imaginary_derivative_coefficient(alg):
    # i u0' + w u0 = 0, u1 = (1 + i) u0: u0 = e^{i w t}. The float view of dF/d(du) read the purely
    # imaginary coefficient as 0: both components "algebraic", u = 0 and retcode Success, silently
    import warnings

    F = lambda du, u, w, t: np.stack([1j * du[0] + w * u[0] + 0 * du[1], u[1] - (1 + 1j) * u[0]])  # noqa: E731
    end = lambda w: solve(DAEProblem(F, np.zeros(2, dtype=complex), np.array([1.0 + 0j, 0.0]), (0.0, 1.0), w),  # noqa: E731
                          alg(), rtol=1e-9, atol=1e-11).u[-1]
    w = 2.0
    with warnings.catch_warnings():
        warnings.simplefilter("error", np.exceptions.ComplexWarning)
        u = end(w)
        d = nm.derivative(end, w)
    v = np.array([1.0, 1.0 + 1j])
    assert u.dtype == np.complex128
    assert np.allclose(u, np.exp(1j * w) * v, rtol=0, atol=1e-7)
    assert np.allclose(np.asarray(d), 1j * np.exp(1j * w) * v, rtol=0, atol=1e-6)


@pytest.mark.parametrize("alg", [DFBDF, DRadauIIA5], ids=lambda a: a.__name__)
def test_float32_dae_stays_float32(alg):
    # u0' = -p u0 + u1, 0 = u1 - q u0 from an inconsistent u1(0) = 0: u0 = e^{(q-p) t}, u1 = q u0. The
    # initialisation computed in float64 (and its 1e-12 Newton tolerance is below float32's resolution)
    def F(du, u, pq, t):
        return np.stack([du[0] + pq[0] * u[0] - u[1], u[1] - pq[1] * u[0]])

    def end(p):
        u0, du0 = np.array([1.0, 0.0], dtype=np.float32), np.zeros(2, dtype=np.float32)
        sol = solve(DAEProblem(F, du0, u0, (0.0, 1.5), (p, np.float32(0.4))), alg(), rtol=1e-5, atol=1e-7)
        assert sol.retcode.name == "Success", sol.message
        assert all(np.asarray(nm.value(u)).dtype == np.float32 for u in sol.u), [nm.value(u).dtype for u in sol.u]
        return sol.u[-1]

    p, q, T = 1.3, 0.4, 1.5
    g = np.exp((q - p) * T)
    assert np.allclose(end(np.float32(p)), g * np.array([1.0, q]), rtol=1e-4, atol=0)
    d = nm.derivative(end, np.float32(p))
    assert np.asarray(d).dtype == np.float32
    assert np.allclose(d, -T * g * np.array([1.0, q]), rtol=1e-3, atol=0)


@pytest.mark.parametrize("alg", [DFBDF, DRadauIIA5], ids=lambda a: a.__name__)
def test_numba_residual(alg):
    # the DAE Jacobians seed duals into F: a numba F raised numba's TypingError even for float inputs;
    # it now runs as its Python original there (the same answers as the Python F)
    numba = pytest.importorskip("numba")

    def F(du, u, p, t):
        return np.array([du[0] + p * u[0] - u[1], u[1] - 0.4 * u[0]])

    Fj = numba.njit(F)
    end = lambda G, p: solve(DAEProblem(G, np.zeros(2), np.array([1.0, 0.0]), (0.0, 1.0), p), alg(),  # noqa: E731
                             rtol=1e-8, atol=1e-10).u[-1]
    assert np.allclose(end(Fj, 1.3), end(F, 1.3), rtol=1e-12, atol=0)
    assert np.allclose(nm.derivative(lambda p: end(Fj, p), 1.3), nm.derivative(lambda p: end(F, p), 1.3),
                       rtol=1e-10, atol=0)


def test_a_semi_discretised_residual_with_an_algebraic_sum_and_a_dual_parameter():
    # np.roll stencil, an algebraic constraint z = sum(y); the derivative of the solve against
    # central finite differences of a tight float solve. (A Dual scalar does not take z[None] as a
    # NumPy scalar does: a __getitem__ would make NumPy treat it as a sequence; np.atleast_1d does it.)
    import numeric as nm
    from solvers.dae import DAEProblem, DFBDF

    n = 6
    x = np.linspace(0.0, 1.0, n + 2)[1:-1]
    h = x[1] - x[0]

    def F(du, u, p, t):
        y, z = u[:-1], u[-1]
        lap = (np.roll(y, 1) - 2 * y + np.roll(y, -1)) / h ** 2
        return np.concatenate([du[:-1] - (p * lap - 0.1 * z * y), np.atleast_1d(z - np.sum(y))])

    y0 = np.sin(np.pi * x)

    def end(D, alg=DFBDF, rtol=1e-10):
        prob = DAEProblem(F, np.zeros(n + 1), np.concatenate([y0, [np.sum(y0)]]), (0.0, 0.1), D)
        return solve(prob, alg(), rtol=rtol, atol=rtol * 1e-2).u[-1]

    e = 1e-4          # a tight Radau solve: step-choice noise ~ rtol / e = 1e-8, truncation e^2
    fd = (end(0.05 + e, DRadauIIA5, 1e-12) - end(0.05 - e, DRadauIIA5, 1e-12)) / (2 * e)
    np.testing.assert_allclose(end(nm.Dual(0.05, 1.0)).partials[:, 0], fd, rtol=1e-6, atol=1e-9)
