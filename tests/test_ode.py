"""The generic ODE solver, run once per number type where it applies."""

from __future__ import annotations

import math
import pathlib
import re

import mpmath
import numpy as np
import pytest

import numeric as nm
from solvers import (
    BS3,
    DP5,
    RK4,
    Euler,
    ODEProblem,
    ReturnCode,
    Tsit5,
    Vern7,
    Vern9,
    solve,
)


# ---------------------------------------------------------------- number types


class Kind:
    """How to build a state of one number type, and what a solve must keep."""

    def __init__(self, name, make, check_type, tol, rtol, atol):
        self.name, self.make, self.check_type = name, make, check_type
        self.tol, self.rtol, self.atol = tol, rtol, atol

    def __repr__(self):
        return self.name


def _mpf_array(xs):
    out = np.empty(len(xs), dtype=object)
    out[:] = [mpmath.mpf(x) for x in xs]
    return out


KINDS = [
    Kind("float64", lambda xs: np.array(xs, dtype=np.float64),
         lambda u: u.dtype == np.float64, 1e-8, 1e-10, 1e-12),
    Kind("float32", lambda xs: np.array(xs, dtype=np.float32),
         lambda u: u.dtype == np.float32, 1e-5, 1e-5, 1e-6),
    Kind("mpf", _mpf_array,
         lambda u: u.dtype == object and all(isinstance(e, mpmath.mpf) for e in u), 1e-12, 1e-14, 1e-16),
    Kind("pyfloat", lambda xs: float(xs[0]), lambda u: isinstance(u, float), 1e-8, 1e-10, 1e-12),
]  # fmt: skip
KINDS.append(
    Kind("dual", lambda xs: nm.Dual(float(xs[0]), 1.0), lambda u: nm.value(u) is not u, 1e-8, 1e-10, 1e-12)
)


@pytest.fixture(params=KINDS, ids=repr)
def kind(request):
    return request.param


def _first(u):
    return u[0] if hasattr(u, "__getitem__") and not isinstance(u, float) else u


@pytest.mark.parametrize("alg", [BS3, DP5, Tsit5, Vern9], ids=lambda a: a.__name__)
def test_decay_every_type(kind, alg):
    u0 = kind.make([1.0])
    rtol = max(kind.rtol, 1e-7) if alg is BS3 else kind.rtol
    sol = solve(ODEProblem(lambda u, p, t: -u, u0, (0.0, 1.0)), alg(), rtol=rtol, atol=kind.atol)
    assert sol.retcode is ReturnCode.Success
    u1 = sol.u[-1]
    assert kind.check_type(u1), f"state type changed: {type(u1)} {getattr(u1, 'dtype', '')}"
    tol = max(kind.tol, 1e-5) if alg is BS3 else kind.tol
    assert abs(float(nm.value(_first(u1))) - math.exp(-1.0)) < tol
    # dense output keeps the type too
    mid = sol(0.5)
    assert kind.check_type(mid)
    assert abs(float(nm.value(_first(mid))) - math.exp(-0.5)) < 10 * tol
    if kind.name == "dual":  # u(1) = x e^{-1}: derivative e^{-1}
        assert abs(u1.partials[0] - math.exp(-1.0)) < 1e-7


def test_float32_stays_float32_everywhere():
    u0 = np.array([1.0, 0.5], dtype=np.float32)
    sol = solve(ODEProblem(lambda u, p, t: -u * np.float32(2), u0, (0.0, 1.0)), Tsit5(), rtol=1e-4, atol=1e-6)
    assert all(u.dtype == np.float32 for u in sol.u)
    assert sol(np.array([0.25, 0.75])).dtype == np.float32
    assert abs(float(sol.u[-1][0]) - math.exp(-2.0)) < 1e-4


def test_scalar_python_float_and_backward_in_time():
    sol = solve(ODEProblem(lambda u, p, t: p * u, 1.0, (1.0, 0.0), 2.0), Tsit5(), rtol=1e-10, atol=1e-12)
    assert sol.retcode is ReturnCode.Success
    assert abs(sol.u[-1] - math.exp(-2.0)) < 1e-9
    assert abs(sol(0.5) - math.exp(-1.0)) < 1e-8
    assert sol.t[0] == 1.0 and sol.t[-1] == 0.0


# ---------------------------------------------------------------- Lotka–Volterra


def lotka(u, p, t):
    a, b, c, d = p
    return np.array([a * u[0] - b * u[0] * u[1], -c * u[1] + d * u[0] * u[1]])


LV_P = (1.5, 1.0, 3.0, 1.0)


@pytest.fixture(scope="module")
def lv_reference():
    scipy_integrate = pytest.importorskip("scipy.integrate")
    ref = scipy_integrate.solve_ivp(
        lambda t, u: lotka(u, LV_P, t), (0.0, 10.0), [1.0, 1.0], method="DOP853",
        rtol=1e-13, atol=1e-14, dense_output=True,
    )  # fmt: skip
    return ref


@pytest.mark.parametrize("alg,rtol,tol", [(BS3, 1e-7, 1e-4), (DP5, 1e-8, 1e-6), (Tsit5, 1e-8, 1e-6),
                                          (Vern7, 1e-10, 1e-8), (Vern9, 1e-12, 1e-10)],
                         ids=["BS3", "DP5", "Tsit5", "Vern7", "Vern9"])  # fmt: skip
def test_lotka_volterra_against_reference(lv_reference, alg, rtol, tol):
    prob = ODEProblem(lotka, np.array([1.0, 1.0]), (0.0, 10.0), LV_P)
    sol = solve(prob, alg(), rtol=rtol, atol=rtol * 1e-2)
    assert sol.retcode is ReturnCode.Success
    assert np.abs(sol.u[-1] - lv_reference.y[:, -1]).max() < tol
    ts = np.linspace(0.0, 10.0, 57)
    assert np.abs(sol(ts) - lv_reference.sol(ts).T).max() < 10 * tol
    assert sol.stats.nf > 0 and sol.stats.naccept == len(sol.t) - 1


def test_saveat_tstops_and_dense_flags(lv_reference):
    prob = ODEProblem(lotka, np.array([1.0, 1.0]), (0.0, 10.0), LV_P)
    sol = solve(prob, Tsit5(), rtol=1e-8, atol=1e-10, saveat=[0.0, 2.5, 5.0, 10.0])
    assert list(sol.t) == [0.0, 2.5, 5.0, 10.0]
    assert np.abs(np.array(sol.u) - lv_reference.sol(sol.t).T).max() < 1e-6
    assert not sol.dense
    with pytest.raises(ValueError, match="dense"):
        sol(1.0)
    assert np.allclose(sol(2.5), sol.u[1])  # saved points are still available
    sol = solve(prob, Tsit5(), saveat=0.5)
    assert len(sol.t) == 21 and sol.t[-1] == 10.0
    sol = solve(prob, Tsit5(), tstops=[np.pi, 7.0])
    assert np.pi in list(sol.t) and 7.0 in list(sol.t)
    sol = solve(prob, RK4(), dt=0.1, save_everystep=False)
    assert list(sol.t) == [0.0, 10.0]


def test_fixed_step_needs_dt():
    prob = ODEProblem(lambda u, p, t: -u, 1.0, (0.0, 1.0))
    with pytest.raises(ValueError, match="dt"):
        solve(prob, RK4())
    sol = solve(prob, RK4(), dt=0.3)  # last step shortened to land on t = 1
    assert sol.t[-1] == 1.0 and len(sol.t) == 5
    sol = solve(prob, Tsit5(), dt=0.1, adaptive=False)
    assert len(sol.t) == 11


def test_mpf_precision_is_real():
    """At 30 digits the solve is much more accurate than a float64 one can be."""
    with mpmath.workdps(30):
        u0 = mpmath.mpf(1)
        sol = solve(ODEProblem(lambda u, p, t: -u, u0, (0, 1)), RK4(), dt=mpmath.mpf(1) / 400)
        err = abs(sol.u[-1] - mpmath.exp(-1))
        assert isinstance(sol.u[-1], mpmath.mpf) and isinstance(sol.t[-1], mpmath.mpf)
        # RK4 error constant ~ h^4 / 120: ~1e-13, but far below float64 round-off per step sums
        assert err < 1e-12
        sol2 = solve(ODEProblem(lambda u, p, t: -u, u0, (0, 1)), RK4(), dt=mpmath.mpf(1) / 800)
        err2 = abs(sol2.u[-1] - mpmath.exp(-1))
        assert 14 < err / err2 < 18  # clean fourth order, no float64 floor


def test_vern9_forty_digits():
    """u' = -u to t = 1 at 40 digits: error below 1e-35 against mpmath.exp(-1), in a few seconds."""
    import time

    with mpmath.workdps(40):
        start = time.perf_counter()
        prob = ODEProblem(lambda u, p, t: -u, mpmath.mpf(1), (mpmath.mpf(0), mpmath.mpf(1)))
        sol = solve(prob, Vern9(), rtol=mpmath.mpf("1e-32"), atol=mpmath.mpf("1e-34"), save_everystep=False)
        elapsed = time.perf_counter() - start
        assert sol.retcode is ReturnCode.Success
        assert isinstance(sol.u[-1], mpmath.mpf)
        err = abs(sol.u[-1] - mpmath.exp(-1))
        assert err < mpmath.mpf("1e-35"), mpmath.nstr(err, 5)
        # a float64 solve cannot do better than ~1e-17: the digits are real
        assert err < mpmath.mpf("1e-30")
    assert elapsed < 15.0  # ~1 s on an idle 2-core machine; generous for a loaded one


def test_verner_dense_output_between_steps(lv_reference):
    prob = ODEProblem(lotka, np.array([1.0, 1.0]), (0.0, 10.0), LV_P)
    for alg in (Vern7, Vern9):
        sol = solve(prob, alg(), rtol=1e-12, atol=1e-14)
        ts = np.linspace(0.05, 9.95, 41)
        assert np.abs(sol(ts) - lv_reference.sol(ts).T).max() < 1e-9, alg.__name__
        # the lazily computed extra stages are counted
        assert sol.stats.nf > (alg.tableau.stages - 1) * sol.stats.naccept


# ---------------------------------------------------------------- failure modes


def test_stiff_problem_hits_maxiters_with_hint():
    prob = ODEProblem(lambda u, p, t: -1e6 * (u - np.cos(t)), np.array([0.0]), (0.0, 100.0))
    sol = solve(prob, Tsit5(), maxiters=300)
    assert sol.retcode is ReturnCode.MaxIters
    assert not sol.success
    assert "stiff" in sol.message and "MaxIters" in repr(sol)


def test_blow_up_is_reported():
    prob = ODEProblem(lambda u, p, t: u * u, 1.0, (0.0, 2.0))  # u = 1 / (1 - t)
    sol = solve(prob, Tsit5())
    assert sol.retcode in (ReturnCode.DtLessThanMin, ReturnCode.MaxIters, ReturnCode.Unstable)
    assert sol.message
    assert 0.99 < sol.t[-1] <= 1.0
    with np.errstate(over="ignore", invalid="ignore"):
        sol = solve(ODEProblem(lambda u, p, t: u**3, np.array([1.0]), (0.0, 10.0)), Euler(), dt=0.5)
    assert sol.retcode is ReturnCode.Unstable and "non-finite" in sol.message
    sol = solve(prob, Tsit5(), dtmin=1e-3)
    assert sol.retcode is ReturnCode.DtLessThanMin


def test_non_finite_initial_derivative():
    sol = solve(ODEProblem(lambda u, p, t: u * np.nan, 1.0, (0.0, 1.0)), Tsit5())
    assert sol.retcode is ReturnCode.InitialFailure and not sol.retcode


def test_dtmax_is_respected():
    sol = solve(ODEProblem(lambda u, p, t: 0.0 * u, 1.0, (0.0, 1.0)), Tsit5(), dtmax=0.1)
    assert np.diff(sol.t).max() <= 0.1 + 1e-15


# ---------------------------------------------------------------- derivatives through solve


def test_lotka_volterra_parameter_derivative_matches_finite_differences():
    def x_final(a):
        prob = ODEProblem(lotka, np.array([1.0, 1.0]), (0.0, 10.0), (a, 1.0, 3.0, 1.0))
        return solve(prob, Tsit5(), rtol=1e-10, atol=1e-12).u[-1][0]

    d = nm.derivative(x_final, 1.5)
    h = 1e-5
    fd = (x_final(1.5 + h) - x_final(1.5 - h)) / (2 * h)
    assert abs(nm.value(d) - fd) < 1e-5 * max(1.0, abs(fd))


def test_derivative_wrt_final_time_and_closure_parameter():
    # d/dT u(T) for u' = -u is -exp(-T); the final time is a dual
    g = lambda T: solve(ODEProblem(lambda u, p, t: -u, 1.0, (0.0, T)), Tsit5(), rtol=1e-11, atol=1e-13).u[-1]  # noqa: E731
    assert abs(nm.derivative(g, 2.0) + math.exp(-2.0)) < 1e-9
    # a parameter captured by a closure, not passed as p: d/da exp(-a) = -exp(-a)
    h = lambda a: solve(ODEProblem(lambda u, p, t: -a * u, np.array([1.0]), (0.0, 1.0)), Tsit5(),  # noqa: E731
                        rtol=1e-11, atol=1e-13).u[-1][0]  # fmt: skip
    assert abs(nm.derivative(h, 2.0) + math.exp(-2.0)) < 1e-9


def test_solvers_never_name_a_number_type():
    root = pathlib.Path(__file__).resolve().parents[1] / "solvers"
    bad = re.compile(r"isinstance\([^)]*\b(Dual|DualArray|Measurement|Fun)\b|numeric\.(dual|dualarray|measurement)|from numeric\.(dual|dualarray)")
    offenders = [str(p) for p in root.rglob("*.py") if bad.search(p.read_text())]
    assert not offenders, offenders


def test_time_derivatives_of_the_solution_through_dense_output_saveat_and_tspan():
    # u' = -u + sin t: d u/dt must be f(u(t), t) whatever way the time carries the dual; the reference
    # is f at a Vern9 solution (rtol 1e-12)
    f = lambda u, p, t: -u + nm.sin(t)  # noqa: E731
    prob = ODEProblem(f, np.array([1.0]), (0.0, 2.0))
    ref = solve(prob, Vern9(), rtol=1e-12, atol=1e-14)
    ts = 1.234
    dense = solve(prob, Tsit5(), rtol=1e-10, atol=1e-12)
    assert abs(nm.derivative(lambda t: dense(t), ts)[0] - f(ref(ts), None, ts)[0]) < 1e-8
    assert abs(dense.derivative(ts)[0] - f(ref(ts), None, ts)[0]) < 1e-8
    at = lambda t: solve(prob, Tsit5(), rtol=1e-10, atol=1e-12, saveat=[0.5, t]).u[1]  # noqa: E731
    assert abs(nm.derivative(at, ts)[0] - f(ref(ts), None, ts)[0]) < 1e-8
    end = lambda T: solve(prob.remake(tspan=(0.0, T)), Tsit5(), rtol=1e-10, atol=1e-12).u[-1]  # noqa: E731
    assert abs(nm.derivative(end, 2.0)[0] - f(ref.u[-1], None, 2.0)[0]) < 1e-8
    # no dense output: a dual time used to return the saved point, d u/dt = 0 silently
    saved = solve(prob, Tsit5(), saveat=[0.5, 1.0])
    with pytest.raises(ValueError, match="needs the dense output.*saveat="):
        nm.derivative(lambda t: saved(t), 1.0)
    assert saved(1.0) is saved.u[1]
    dual_saved = solve(prob, Tsit5(), saveat=[0.5, nm.Dual(1.0, 1.0)])
    assert dual_saved(dual_saved.t[1]) is dual_saved.u[1]
    # the dense derivative outside the interval used to extrapolate silently
    with pytest.raises(ValueError, match="outside the solved interval"):
        dense.derivative(5.0)


def test_dual_save_times_with_a_numba_f_and_a_dual_saveat_spacing():
    # a numba f took the compiled kernel, which converted the save times with float(): a dual save
    # time raised; now such a solve takes the generic loop (d u/dt = f at the save time)
    numba = pytest.importorskip("numba")
    fj = numba.njit(lambda u, p, t: -p[0] * u + np.sin(t))
    prob = ODEProblem(fj, np.array([1.0]), (0.0, 2.0), np.array([1.3]))
    at = lambda t: solve(prob, Tsit5(), rtol=1e-10, atol=1e-12, saveat=[0.5, t]).u[1][0]  # noqa: E731
    ts = 1.234
    u = solve(prob, Vern9(), rtol=1e-12, atol=1e-14, saveat=[ts], compile=False).u[0][0]
    assert abs(nm.derivative(at, ts) - (-1.3 * u + np.sin(ts))) < 1e-8
    # a dual spacing saveat=dt would give times k * value(dt): refused instead of dropping d/d(dt)
    with pytest.raises(ValueError, match="saveat: a spacing carrying derivatives"):
        nm.derivative(lambda dt: solve(prob, Tsit5(), saveat=dt).u[-1][0], 0.5)


@pytest.mark.parametrize("method", ["Tsit5", "Rodas5P", "FBDF", "RadauIIA5"])
def test_dual_save_time_on_t0_tf_or_a_stop_carries_du_dt(method):
    # a save time equal to t0, tf or a tstop took the step's end point (or u0) as it was: d u/dt
    # came out 0 silently; the reference is f at a Vern9 solution. d u/dt is the interpolant's: FBDF's
    # first step is implicit Euler, whose slope at t0 is f(u0) + O(h) (1e-6 here)
    import solvers

    tol = 1e-5 if method == "FBDF" else 1e-7

    f = lambda u, p, t: -u + nm.sin(t)  # noqa: E731
    prob = ODEProblem(f, np.array([1.0]), (0.0, 2.0))
    ref = solve(prob, Vern9(), rtol=1e-12, atol=1e-14)
    for ts in (0.0, 1.0, 2.0):
        g = lambda t: solve(prob, getattr(solvers, method)(), rtol=1e-10, atol=1e-12, saveat=[t],  # noqa: E731
                            tstops=[1.0]).u[0][0]
        assert abs(nm.derivative(g, ts) - f(ref(ts), None, ts)[0]) < tol, ts
