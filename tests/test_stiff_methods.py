"""Rodas5P/Rodas5, the ESDIRKs (KenCarp4, Kvaerno5), TRBDF2 and the shared Newton iteration.

Orders are measured with fixed steps; derivatives are checked against central differences,
uncertainties against the closed form, mpf runs against exact solutions.
"""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import numeric as nm
import solvers
from solvers import ODEProblem, ReturnCode, solve
from solvers.ode.solution import Stats
from solvers.ode.stiff.auto import AutoTsit5
from solvers.ode.stiff.newton import NewtonRate, newton
from solvers.ode.stiff.testset import ROBER40, rober

NEW = ["Rodas5P", "Rodas5", "KenCarp4", "Kvaerno5", "TRBDF2"]
# the default run keeps one Rosenbrock and one ESDIRK for the costly checks; the rest is -m slow
FEW = [n if n in ("Rodas5P", "KenCarp4") else pytest.param(n, marks=pytest.mark.slow) for n in NEW]
IMPLICIT = ["KenCarp4", "Kvaerno5", "TRBDF2"]
NOMINAL = {"Rodas5P": 5, "Rodas5": 5, "Rodas4": 4, "Rosenbrock23": 2, "KenCarp4": 4, "Kvaerno5": 5, "TRBDF2": 2}
U0 = np.array([1.0, 0.0, 0.0])


def alg(name, **kw):
    return getattr(solvers, name)(**kw)


def prothero(u, p, t):
    # u1 = sin t attracts at rate 5, u2 = 0 is driven by u1^2 - sin^2 t (nonlinear, non-autonomous)
    return np.array([-5.0 * (u[0] - np.sin(t)) + np.cos(t), -u[1] + u[0] * u[0] - np.sin(t) ** 2])


@pytest.mark.parametrize("name", list(NOMINAL))
def test_fixed_step_order_of_convergence(name):
    ns = [16, 32, 64]
    errs = []
    for n in ns:
        s = solve(ODEProblem(prothero, np.array([0.0, 0.0]), (0.0, 1.0)), alg(name), dt=1.0 / n, adaptive=False,
                  rtol=1e-13, atol=1e-13)
        errs.append(np.max(np.abs(s.u[-1] - [math.sin(1.0), 0.0])))
    slope = np.polyfit(np.log(1.0 / np.array(ns)), np.log(errs), 1)[0]
    assert abs(slope - NOMINAL[name]) < 0.3, (name, slope, errs)


@pytest.mark.parametrize("name", NEW)
def test_rober_t40_and_error_proportional_to_tolerance(name):
    errs = []
    for rtol in (1e-5, 1e-8):
        s = solve(ODEProblem(rober, U0, (0.0, 40.0)), alg(name), rtol=rtol, atol=rtol * 1e-4)
        assert s.retcode == ReturnCode.Success
        errs.append(np.max(np.abs(s.u[-1] - ROBER40.ref) / (rtol * 1e-4 + rtol * ROBER40.ref)))
    # the error follows the tolerance over three decades (TRBDF2, order 2: global error ~ tol^(2/3))
    assert max(errs) < (150 if name == "TRBDF2" else 30), errs
    assert s.u[-1].sum() == pytest.approx(1.0, abs=1e-12)  # ROBER conserves the total


@pytest.mark.parametrize("name", IMPLICIT)
def test_jacobian_and_lu_are_reused_across_steps(name):
    s = solve(ODEProblem(rober, U0, (0.0, 40.0)), alg(name), rtol=1e-6, atol=1e-10)
    st_ = s.stats
    steps = st_.naccept + st_.nreject
    assert st_.njac < steps / 3  # HW's strategy: J only after slow or failed Newton
    assert st_.nfactor < steps  # W kept while h gamma moved by less than 20 %
    assert st_.nnewton >= (len(s.t) - 1) and st_.nsolve >= st_.nnewton


@pytest.mark.parametrize("name", IMPLICIT)
def test_reused_jacobian_gives_the_fresh_jacobian_answer(name, monkeypatch):
    import solvers.ode.stiff.sdirk as sdirk

    prob = ODEProblem(rober, U0, (0.0, 40.0))
    reuse = solve(prob, alg(name), rtol=1e-8, atol=1e-12)
    monkeypatch.setattr(sdirk, "THETA_JAC", -1.0)  # a fresh J after every step
    fresh = solve(prob, alg(name), rtol=1e-8, atol=1e-12)
    assert fresh.stats.njac > 3 * reuse.stats.njac
    np.testing.assert_allclose(reuse.u[-1], fresh.u[-1], rtol=1e-5, atol=1e-12)


def test_newton_failure_with_a_stale_jacobian_refreshes_it():
    # Van der Pol's relaxation jumps make an old J useless: the stepper must recover by a fresh J
    from solvers.ode.stiff.testset import VDP

    s = solve(ODEProblem(VDP.f, VDP.u0, VDP.tspan), alg("KenCarp4"), rtol=1e-6, atol=1e-6)
    assert s.retcode == ReturnCode.Success
    assert np.max(np.abs(s.u[-1] - VDP.ref)) < 1e-3
    assert 1 < s.stats.njac < s.stats.naccept


@pytest.mark.parametrize("name", FEW)
@pytest.mark.parametrize("opts", [dict(sparse=True), dict(linsolve="gmres")], ids=["sparse", "gmres"])
def test_sparse_and_krylov_iteration_matrices(name, opts):
    n = 30

    def heat(u, p, t):
        lap = np.concatenate([u[1:2] - 2 * u[:1], u[2:] - 2 * u[1:-1] + u[:-2], u[-2:-1] - 2 * u[-1:]])
        return lap * (n * n * p) - u * u * u

    prob = ODEProblem(heat, np.sin(np.linspace(0, np.pi, n)) + 1.0, (0.0, 0.05), 1.0)
    dense = solve(prob, alg(name), rtol=1e-8, atol=1e-10, sparse=False, save_everystep=False)
    other = solve(prob, alg(name), rtol=1e-8, atol=1e-10, save_everystep=False, **opts)
    assert other.retcode == ReturnCode.Success
    if opts.get("linsolve") == "gmres":
        assert getattr(other.stats, "nlinear", 0) > 0
    np.testing.assert_allclose(other.u[-1], dense.u[-1], rtol=1e-5, atol=1e-8)


def rober_dae(u, p, t):
    return np.array([-0.04 * u[0] + 1e4 * u[1] * u[2], 0.04 * u[0] - 3e7 * u[1] ** 2 - 1e4 * u[1] * u[2],
                     u[0] + u[1] + u[2] - 1.0])


@pytest.mark.parametrize("name", NEW)
def test_rober_dae_with_singular_mass_matrix(name):
    prob = ODEProblem(rober_dae, np.array([1.0, 0.0, 0.3]), (0.0, 40.0), mass_matrix=np.diag([1.0, 1.0, 0.0]))
    s = solve(prob, alg(name), rtol=1e-7, atol=1e-11)
    assert s.retcode == ReturnCode.Success
    assert np.max(np.abs(s.u[-1] - ROBER40.ref) / ROBER40.ref) < (1e-3 if name == "TRBDF2" else 2e-5)
    assert abs(s.u[-1].sum() - 1.0) < 1e-10  # the algebraic equation holds


@pytest.mark.parametrize("name", FEW)
def test_dual_parameter_sensitivity_matches_central_differences(name):
    def final(k3):
        rates = (0.04, 3e7, k3)
        f = lambda u, p, t: np.array([-p[0] * u[0] + p[2] * u[1] * u[2],  # noqa: E731
                                      p[0] * u[0] - p[1] * u[1] ** 2 - p[2] * u[1] * u[2], p[1] * u[1] ** 2])
        return solve(ODEProblem(f, U0, (0.0, 1.0), rates), alg(name), rtol=1e-10, atol=1e-14).u[-1]

    d = nm.derivative(lambda k: final(k)[0], 1e4)
    e = 1e-3
    fd = (final(1e4 * (1 + e))[0] - final(1e4 * (1 - e))[0]) / (2e4 * e)
    assert abs(d - fd) < 2e-3 * abs(fd), (d, fd)


def test_mpf_through_rodas5p_with_generic_lu():
    # 30-digit arithmetic and the generic LU throughout; the 16-digit tableau limits the accuracy
    # to about 1e-16 per unit time (stated in rodas5p.py), well below float32 and at float64 level
    with mpmath.workdps(30):
        # nm.sin / nm.cos: Rosenbrock methods differentiate f in t (a Dual of mpf time)
        f = lambda u, p, t: np.array([-u[0] + nm.sin(t), -20 * (u[1] - nm.cos(t))], dtype=object)  # noqa
        u0 = np.array([mpmath.mpf(1), mpmath.mpf(0)], dtype=object)
        s = solve(ODEProblem(f, u0, (mpmath.mpf(0), mpmath.mpf(1))), alg("Rodas5P"), rtol=mpmath.mpf("1e-14"),
                  atol=mpmath.mpf("1e-16"))
        t = mpmath.mpf(1)
        e1 = mpmath.mpf(3) / 2 * mpmath.exp(-t) + (mpmath.sin(t) - mpmath.cos(t)) / 2
        e2 = (400 * mpmath.cos(t) + 20 * mpmath.sin(t) - 400 * mpmath.exp(-20 * t)) / 401
        assert all(isinstance(x, mpmath.mpf) for x in s.u[-1])
        assert abs(s.u[-1][0] - e1) < mpmath.mpf("1e-13") and abs(s.u[-1][1] - e2) < mpmath.mpf("1e-13")


def test_mpf_beyond_double_precision_with_exact_coefficients():
    # KenCarp4's rational coefficients are exact: an mpf run goes below float64's resolution on a
    # short interval (measured: about 1e-19 at these tolerances)
    with mpmath.workdps(30):
        f = lambda u, p, t: np.array([-u[0] * 2], dtype=object)  # noqa: E731
        u0 = np.array([mpmath.mpf(1)], dtype=object)
        tf = mpmath.mpf("0.01")
        s = solve(ODEProblem(f, u0, (mpmath.mpf(0), tf)), alg("KenCarp4", newton_kappa=1e-4),
                  rtol=mpmath.mpf("1e-18"), atol=mpmath.mpf("1e-20"))
        assert isinstance(s.u[-1][0], mpmath.mpf)
        assert abs(s.u[-1][0] - mpmath.exp(-2 * tf)) < mpmath.mpf("1e-17")


def test_trbdf2_mpf_step_is_its_stability_function_to_working_precision():
    # u' = lam u, fixed steps: u_n = R(z)^n with TR-BDF2's R(z), z = h lam, evaluated in mpf
    # (d = gamma / 2 = 1 - sqrt2 / 2, w = sqrt2 / 4): checks sqrt 2 in mpf and the Newton solve
    with mpmath.workdps(30):
        lam, n = mpmath.mpf(-3), 10
        h = mpmath.mpf(1) / n
        s2 = mpmath.sqrt(2)
        d, w, z = 1 - s2 / 2, s2 / 4, h * lam
        y2 = (1 + z * d) / (1 - z * d)
        R = (1 + z * w * (1 + y2)) / (1 - z * d)
        f = lambda u, p, t: u * lam  # noqa: E731
        s = solve(ODEProblem(f, np.array([mpmath.mpf(1)], dtype=object), (mpmath.mpf(0), mpmath.mpf(1))),
                  alg("TRBDF2"), dt=h, adaptive=False, rtol=mpmath.mpf("1e-28"), atol=mpmath.mpf("1e-30"))
        assert abs(s.u[-1][0] - R ** n) < mpmath.mpf("1e-26")
        assert abs(R ** n - mpmath.exp(lam)) > mpmath.mpf("1e-4")  # a real method error, reproduced exactly


def test_measurement_array_state_through_rodas5p():
    u0 = nm.measurements(np.array([1.0, 2.0]), np.array([0.01, 0.02]))
    s = solve(ODEProblem(lambda u, p, t: -np.array([1.0, 30.0]) * u, u0, (0.0, 1.0)), alg("Rodas5P"), rtol=1e-9,
              atol=1e-12)
    np.testing.assert_allclose(nm.value(s.u[-1]), [math.exp(-1), 2 * math.exp(-30)], rtol=1e-7, atol=1e-13)
    np.testing.assert_allclose(nm.uncertainty(s.u[-1]), [0.01 * math.exp(-1), 0.02 * math.exp(-30)], rtol=1e-6,
                               atol=1e-15)


@pytest.mark.parametrize("name", NEW)
def test_dense_output_between_the_steps(name):
    lam = -3.0
    s = solve(ODEProblem(lambda u, p, t: lam * u, np.array([1.0]), (0.0, 2.0)), alg(name), rtol=1e-9, atol=1e-12,
              dense=True)
    ts = np.linspace(0.013, 1.99, 37)
    err = max(abs(s(t)[0] - math.exp(lam * t)) for t in ts)
    # Rodas: 4th-order interpolant; ESDIRKs: cubic Hermite (3rd order) of the step's end slopes
    assert err < (1e-7 if name.startswith("Rodas") else 2e-5), err


def test_autoswitch_with_rodas5p():
    from solvers.ode.stiff.testset import VDP

    s = solve(ODEProblem(VDP.f, VDP.u0, VDP.tspan), AutoTsit5(alg("Rodas5P")), rtol=1e-6, atol=1e-6)
    assert s.retcode == ReturnCode.Success
    assert np.max(np.abs(s.u[-1] - VDP.ref)) < 1e-3


def test_newton_counts_and_reports_divergence():
    stats = Stats()
    rate = NewtonRate()
    z, ok, it = newton(lambda z: 2.0 - z * z, np.array([1.4]), lambda r: r / 2.8, lambda d: abs(d[0]) / 1e-12,
                       1e-2, rate=rate, stats=stats)
    assert ok and abs(z[0] - math.sqrt(2)) < 1e-13 and stats.nnewton == it and rate.theta < 0.05
    # a wrong-signed "Jacobian" makes the iteration diverge: reported, not hidden
    z, ok, it = newton(lambda z: 2.0 - z * z, np.array([1.4]), lambda r: -r / 2.8, lambda d: abs(d[0]) / 1e-12,
                       1e-2)
    assert not ok and it < 10


@settings(max_examples=25, deadline=None)
@given(st.floats(0.5, 4.0), st.floats(-0.5, 0.5))
def test_newton_solves_a_linear_system_in_one_correction_with_the_exact_matrix(a, b):
    A = np.array([[a, b], [0.0, a + 1]])
    rhs = np.array([1.0, -2.0])
    z, ok, it = newton(lambda z: rhs - A @ z, np.zeros(2), lambda r: np.linalg.solve(A, r),
                       lambda d: float(np.max(np.abs(d))) / 1e-8, 1e-2)
    assert ok and it <= 2
    np.testing.assert_allclose(A @ z, rhs, atol=1e-12)


@pytest.mark.parametrize("name", NEW)
def test_scalar_state_is_refused_clearly(name):
    with pytest.raises(TypeError, match="needs an array state"):
        solve(ODEProblem(lambda u, p, t: -u, 1.0, (0.0, 1.0)), alg(name))


@pytest.mark.parametrize("name", IMPLICIT)
def test_reverse_mode_through_the_esdirks_matches_forward_mode(name):
    # the Newton residual of a reverse-mode (TrackedArray) state met the object LU of the tracked
    # Jacobian and raised "np.asarray() of a TrackedArray would drop its derivative"
    def loss(k):
        f = lambda u, p, t: np.stack([-p * u[0] + nm.sin(t) * u[1], u[0] - 0.5 * u[1] * t])  # noqa: E731
        return np.sum(solve(ODEProblem(f, np.array([1.0, 0.5]), (0.0, 1.0), k), alg(name),
                            rtol=1e-8, atol=1e-10).u[-1])

    rev, fwd = nm.derivative(loss, 1.3, mode="reverse"), nm.derivative(loss, 1.3)
    fd = (loss(1.3 + 1e-6) - loss(1.3 - 1e-6)) / 2e-6
    # the two modes step differently (forward mode's error norm counts the partials): they agree to the
    # discretisation error, ~1e-7 relative for the 2nd-order TRBDF2 at rtol 1e-8
    assert abs(rev - fwd) < 1e-6 * abs(fwd) and abs(fwd - fd) < 1e-5 * abs(fd), (rev, fwd, fd)
