"""Stiff methods: Rosenbrock23 through a private step loop (tests/_stiff_driver.py)."""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest
import scipy.integrate

import numeric as nm
from solvers.ode.stiff.testset import HIRES, VDP, hires, vdp_scaled
from solvers.ode.stiff import Rodas4, Rosenbrock23
from tests._stiff_driver import drive


def rober(u, p, t):
    k1, k2, k3 = (0.04, 3e7, 1e4) if p is None else p
    y1, y2, y3 = u[0], u[1], u[2]
    return np.array([-k1 * y1 + k3 * y2 * y3, k1 * y1 - k2 * y2 * y2 - k3 * y2 * y3, k2 * y2 * y2]) \
        if isinstance(u, np.ndarray) and u.dtype != object and not hasattr(k1, "partials") else _stack(
        [-k1 * y1 + k3 * y2 * y3, k1 * y1 - k2 * y2 * y2 - k3 * y2 * y3, k2 * y2 * y2])


def _stack(xs):
    return np.stack(xs) if hasattr(xs[0], "__array_ufunc__") and not isinstance(xs[0], np.ndarray) else np.array(xs, dtype=object)


@pytest.fixture(scope="module")
def rober_ref40():
    s = scipy.integrate.solve_ivp(lambda t, y: rober(y, None, t), (0, 40), [1.0, 0, 0], method="Radau",
                                  rtol=1e-12, atol=1e-16)
    return s.y[:, -1]


def test_rober_reference_matches_hairer_wanner(rober_ref40):
    # Hairer & Wanner, Solving ODEs II, section IV.10 (ROBER at t = 40)
    hw = np.array([0.7158270687193148, 9.185534764557128e-6, 0.2841637457458775])
    assert np.allclose(rober_ref40, hw, rtol=1e-7)


@pytest.mark.parametrize("autodiff", ["forward", "finite"])
def test_rosenbrock23_rober_t40(rober_ref40, autodiff):
    sol = drive(Rosenbrock23(autodiff=autodiff), rober, np.array([1.0, 0.0, 0.0]), (0.0, 40.0),
                rtol=1e-6, atol=1e-10)
    rel = np.abs(sol.u - rober_ref40) / np.maximum(np.abs(rober_ref40), 1e-10)
    assert rel.max() < 2e-4
    assert sol.stats.naccept < 2000
    assert sol.stats.nfactor == sol.stats.naccept + sol.stats.nreject


def test_rosenbrock23_user_jacobian_same_as_forward():
    def jac(u, p, t):
        y1, y2, y3 = u
        return np.array([[-0.04, 1e4 * y3, 1e4 * y2], [0.04, -6e7 * y2 - 1e4 * y3, -1e4 * y2], [0, 6e7 * y2, 0]])

    u0 = np.array([1.0, 0.0, 0.0])
    a = drive(Rosenbrock23(), rober, u0, (0.0, 1.0), rtol=1e-5, jac=jac)
    b = drive(Rosenbrock23(), rober, u0, (0.0, 1.0), rtol=1e-5)
    assert a.stats.naccept == b.stats.naccept
    assert np.allclose(a.u, b.u, rtol=1e-10, atol=1e-14)


def _linear(lam):
    A = np.array([[-1.0, 1.0], [0.0, lam]])
    return A, (lambda u, p, t: A @ u)


def test_rosenbrock23_order_two_on_smooth_problem():
    def f(u, p, t):
        return np.array([-u[1] + np.cos(t) * 0.0, u[0]]) * 1.0 + np.array([0.0, -u[1] * 0.5])

    u0 = np.array([1.0, 0.0])
    A = np.array([[0.0, -1.0], [1.0, -0.5]])
    import scipy.linalg as sl
    exact = sl.expm(A * 2.0) @ u0
    errs = []
    for n in (20, 40, 80, 160):
        s = drive(Rosenbrock23(), f, u0, (0.0, 2.0), dt=2.0 / n, adaptive=False)
        errs.append(np.abs(s.u - exact).max())
    orders = [math.log2(errs[i] / errs[i + 1]) for i in range(3)]
    assert all(1.85 < o < 2.3 for o in orders), orders


def test_rosenbrock23_non_autonomous_order_two():
    # u' = -50 (u - cos t): stiff, the time derivative T enters the method
    def f(u, p, t):
        return (u - np.cos(t)) * -50.0

    def exact(t):
        c = 50.0 / (1 + 2500.0)
        return np.cos(t) * 2500 / 2501 + np.sin(t) * c + (1.0 - 2500 / 2501) * np.exp(-50 * t)

    errs = []
    for n in (40, 80, 160, 320):
        s = drive(Rosenbrock23(), f, np.array([1.0]), (0.0, 1.0), dt=1.0 / n, adaptive=False)
        errs.append(abs(s.u[0] - exact(1.0)))
    orders = [math.log2(errs[i] / errs[i + 1]) for i in range(3)]
    assert all(1.8 < o < 2.4 for o in orders), orders


def test_rosenbrock23_stable_far_beyond_explicit_limit():
    A, f = _linear(-1e6)
    s = drive(Rosenbrock23(), f, np.array([1.0, 1.0]), (0.0, 1.0), rtol=1e-5, atol=1e-8)
    import scipy.linalg as sl
    exact = sl.expm(A) @ np.array([1.0, 1.0])
    assert np.allclose(s.u, exact, rtol=1e-3, atol=1e-7)
    assert s.stats.naccept < 300  # an explicit method needs > 1e6 steps


def test_rosenbrock23_dual_parameter_sensitivity_matches_finite_differences():
    u0 = np.array([1.0, 0.0, 0.0])

    def final(k1):
        return drive(Rosenbrock23(), rober, u0, (0.0, 1.0), p=(k1, 3e7, 1e4), rtol=1e-7, atol=1e-11, dt=1e-6).u

    d = nm.derivative(lambda k: final(k), 0.04)
    dv = np.asarray(nm.value(d), dtype=float) if not isinstance(d, np.ndarray) else d.astype(float)
    hstep = 1e-6
    fd = (final(0.04 + hstep) - final(0.04 - hstep)) / (2 * hstep)
    assert np.allclose(dv, fd, rtol=2e-3, atol=1e-8)


def test_rosenbrock23_mpf_runs_at_full_precision():
    mpmath.mp.dps = 30
    try:
        lam = mpmath.mpf(-1000)

        def f(u, p, t):
            return np.array([lam * u[0]], dtype=object)

        u0 = np.array([mpmath.mpf(1)], dtype=object)
        n = 400
        s = drive(Rosenbrock23(), f, u0, (mpmath.mpf(0), mpmath.mpf("0.01")), dt=mpmath.mpf("0.01") / n,
                  adaptive=False)
        # exact one-step amplification of the W-method on the linear problem, at 30 digits
        z = lam * mpmath.mpf("0.01") / n
        d = 1 / (2 + mpmath.sqrt(2))
        k1 = 1 / (1 - z * d)
        k2 = (1 + z / 2 * k1 - k1) / (1 - z * d) + k1
        R = 1 + z * k2
        assert isinstance(s.u[0], mpmath.mpf)
        assert abs(s.u[0] - R ** n) < mpmath.mpf(10) ** -27 * abs(R ** n) + mpmath.mpf(10) ** -40
    finally:
        mpmath.mp.dps = 15


def rober_dae(u, p, t):
    y1, y2, y3 = u
    return np.array([-0.04 * y1 + 1e4 * y2 * y3, 0.04 * y1 - 3e7 * y2 * y2 - 1e4 * y2 * y3, y1 + y2 + y3 - 1.0])


def test_rosenbrock23_rober_as_dae_with_singular_mass_matrix(rober_ref40):
    M = np.diag([1.0, 1.0, 0.0])
    sol = drive(Rosenbrock23(), rober_dae, np.array([1.0, 0.0, 0.0]), (0.0, 40.0), rtol=1e-6, atol=1e-10,
                mass_matrix=M)
    rel = np.abs(sol.u - rober_ref40) / np.maximum(np.abs(rober_ref40), 1e-10)
    assert rel.max() < 2e-4
    assert abs(sol.u.sum() - 1.0) < 1e-12  # the algebraic equation holds to rounding


@pytest.mark.parametrize("alg", [Rosenbrock23(), Rodas4()], ids=["Rosenbrock23", "Rodas4"])
def test_solve_runs_the_stiff_methods_through_the_protocol_loop(alg, rober_ref40):
    import solvers

    prob = solvers.ODEProblem(rober, np.array([1.0, 0.0, 0.0]), (0.0, 40.0))
    sol = solvers.solve(prob, alg, rtol=1e-6, atol=1e-10)
    assert sol.retcode == solvers.ReturnCode.Success
    rel = np.abs(sol.u[-1] - rober_ref40) / np.abs(rober_ref40)
    assert rel.max() < 2e-4
    # the same problem as a DAE, with an inconsistent y3(0): solve makes it consistent first
    dae = solvers.ODEProblem(rober_dae, np.array([1.0, 0.0, 0.5]), (0.0, 40.0),
                             mass_matrix=np.diag([1.0, 1.0, 0.0]))
    sol = solvers.solve(dae, alg, rtol=1e-6, atol=1e-10)
    assert sol.retcode == solvers.ReturnCode.Success
    assert abs(sol.u[0][2]) < 1e-14
    rel = np.abs(sol.u[-1] - rober_ref40) / np.maximum(np.abs(rober_ref40), 1e-10)
    assert rel.max() < 2e-4


def test_rosenbrock23_dae_inconsistent_start_is_made_consistent(rober_ref40):
    M = np.diag([1.0, 1.0, 0.0])
    sol = drive(Rosenbrock23(), rober_dae, np.array([1.0, 0.0, 0.5]), (0.0, 40.0), rtol=1e-6, atol=1e-10,
                mass_matrix=M)
    assert abs(sol.u0[2]) < 1e-14  # y3(0) = 1 - y1 - y2 = 0, found by Newton
    rel = np.abs(sol.u - rober_ref40) / np.maximum(np.abs(rober_ref40), 1e-10)
    assert rel.max() < 2e-4


def test_consistent_init_refuses_non_semi_explicit_mass_matrix():
    from solvers.ode.stiff.dae import consistent_initial_state

    M = np.array([[1.0, 0.0], [1.0, 0.0]])  # no zero row, one zero column
    with pytest.raises(ValueError, match="semi-explicit"):
        consistent_initial_state(lambda u, p, t: u, lambda u, p, t: np.eye(2), np.zeros(2), None, 0.0, M)


# ---------------------------------------------------------------- Rodas4

def _orders(errs):
    return [math.log2(errs[i] / errs[i + 1]) for i in range(len(errs) - 1)]


def test_rodas4_order_four_autonomous_and_non_autonomous():
    import scipy.linalg as sl

    from solvers.ode.stiff import Rodas4

    A = np.array([[0.0, -1.0], [1.0, -0.5]])
    u0 = np.array([1.0, 0.0])
    ex = sl.expm(2 * A) @ u0
    errs = [np.abs(drive(Rodas4(), lambda u, p, t: A @ u, u0, (0.0, 2.0), dt=2.0 / n, adaptive=False).u - ex).max()
            for n in (10, 20, 40, 80)]
    assert all(3.8 < o < 4.3 for o in _orders(errs)), errs

    def g(u, p, t):  # u' = -2 (u - sin t): exercises the time derivative T
        return (u - np.sin(t)) * -2.0

    def exact(t):
        return (4 * np.sin(t) - 2 * np.cos(t)) / 5 + 1.4 * np.exp(-2 * t)

    errs = [abs(drive(Rodas4(), g, np.array([1.0]), (0.0, 1.0), dt=1.0 / n, adaptive=False).u[0] - exact(1.0))
            for n in (5, 10, 20, 40)]
    assert all(3.6 < o < 4.5 for o in _orders(errs)), errs


@pytest.mark.parametrize("dae", [False, True])
def test_rodas4_rober_t40(rober_ref40, dae):
    from solvers.ode.stiff import Rodas4

    opts = {"mass_matrix": np.diag([1.0, 1.0, 0.0])} if dae else {}
    sol = drive(Rodas4(), rober_dae if dae else rober, np.array([1.0, 0.0, 0.0]), (0.0, 40.0), rtol=1e-8,
                atol=1e-12, **opts)
    rel = np.abs(sol.u - rober_ref40) / np.maximum(np.abs(rober_ref40), 1e-10)
    assert rel.max() < 1e-5
    assert sol.stats.naccept < 600


def test_rodas4_dense_output_third_order_inside_the_step():
    from solvers.ode.stiff import Rodas4
    from solvers.ode.stiff.rodas import RosenbrockStepper
    from solvers.ode.steppers import ScaledNorm
    from solvers.ode.solution import Stats
    from types import SimpleNamespace

    A = np.array([[0.0, -1.0], [1.0, -0.5]])
    import scipy.linalg as sl

    errs = []
    for h in (0.2, 0.1, 0.05):
        ctx = SimpleNamespace(f=lambda u, p, t: A @ u, p=None, u0=np.array([1.0, 0.0]), norm=ScaledNorm(1e-8, 1e-8),
                              stats=Stats(), options={})
        st = RosenbrockStepper(Rodas4(), ctx)
        _, _, _, seg = st.step(0.0, ctx.u0, None, h)
        errs.append(np.abs(seg(0.5) - sl.expm(0.5 * h * A) @ ctx.u0).max())
        d_err = np.abs(seg.derivative(0.5) - A @ (sl.expm(0.5 * h * A) @ ctx.u0)).max()
        assert d_err < 10 * h ** 3
    assert all(o > 3.5 for o in _orders(errs)), errs  # local error O(h^4) of a 3rd-order interpolant


def test_rodas4_dual_parameter_sensitivity_matches_finite_differences():
    from solvers.ode.stiff import Rodas4

    u0 = np.array([1.0, 0.0, 0.0])

    def final(k3):
        return drive(Rodas4(), rober, u0, (0.0, 1.0), p=(0.04, 3e7, k3), rtol=1e-9, atol=1e-13, dt=1e-6).u

    d = nm.derivative(final, 1e4)
    dv = np.asarray(d, dtype=float)
    step = 1.0
    fd = (final(1e4 + step) - final(1e4 - step)) / (2 * step)
    assert np.allclose(dv, fd, rtol=1e-3, atol=1e-12)


@pytest.mark.parametrize("name", ["Rosenbrock23", "Rodas4"])
def test_measurement_array_state_through_a_stiff_solve_matches_linear_propagation(name):
    import scipy.linalg as sl

    import solvers.ode.stiff as stiff

    A = np.array([[-1.0, 1.0], [0.0, -1e3]])
    u0 = nm.measurements([1.0, 2.0], [0.1, 0.2])
    T = 0.005
    rtol, tol = (1e-7, 1e-4) if name == "Rosenbrock23" else (1e-9, 1e-6)  # order 2 vs order 4
    s = drive(getattr(stiff, name)(), lambda u, p, t: A @ u, u0, (0.0, T), rtol=rtol, atol=1e-12)
    E = sl.expm(A * T)
    assert type(s.u).__name__ == "MeasurementArray"
    assert np.allclose(nm.value(s.u), E @ [1.0, 2.0], rtol=tol)
    assert np.allclose(nm.cov(s.u), E @ np.diag([0.01, 0.04]) @ E.T, rtol=2 * tol, atol=1e-12)


# ------------------------------------------------ standard stiff test problems

# Van der Pol (scaled, eps = 1e-6) and HIRES with their IVP Test Set references (Mazzia & Magherini,
# release 2.4, problems "vdpol" and "hires"): one definition, in solvers/ode/stiff/testset.py
VDP_REF, HIRES_REF = VDP.ref, HIRES.ref


@pytest.mark.parametrize("name,tol,bound", [("Rodas4", 1e-7, 1e-5), ("Rosenbrock23", 1e-5, 3e-3)])
def test_van_der_pol_stiff_against_the_test_set_reference(name, tol, bound):
    import solvers.ode.stiff as stiff

    s = drive(getattr(stiff, name)(), vdp_scaled, np.array([2.0, 0.0]), (0.0, 2.0), rtol=tol, atol=tol)
    assert np.abs(s.u - VDP_REF).max() / np.abs(VDP_REF).max() < bound


@pytest.mark.slow
def test_rodas4_rober_t1e5_against_tight_radau():
    from solvers.ode.stiff import Rodas4

    ref = scipy.integrate.solve_ivp(lambda t, y: rober(y, None, t), (0, 1e5), [1.0, 0, 0], method="Radau",
                                    rtol=1e-12, atol=1e-16).y[:, -1]
    s = drive(Rodas4(), rober, np.array([1.0, 0.0, 0.0]), (0.0, 1e5), rtol=1e-8, atol=1e-14)
    assert np.all(np.abs(s.u - ref) <= 1e-6 * np.abs(ref))


@pytest.mark.parametrize("name,tol,bound", [("Rodas4", 1e-8, 1e-5), ("Rosenbrock23", 1e-6, 1e-3)])
def test_hires_against_the_test_set_reference(name, tol, bound):
    import solvers.ode.stiff as stiff

    y0 = np.array([1.0, 0, 0, 0, 0, 0, 0, 0.0057])
    s = drive(getattr(stiff, name)(), hires, y0, (0.0, 321.8122), rtol=tol, atol=tol * 1e-2)
    rel = np.abs(s.u - HIRES_REF) / np.abs(HIRES_REF)
    assert rel.max() < bound, rel
