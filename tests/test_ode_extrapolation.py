"""GBS extrapolation (solvers.ode.extrapolation): accuracy, types, dense output, failures."""

from __future__ import annotations

import math
import time
from fractions import Fraction

import mpmath
import numpy as np
import pytest

import numeric as nm
from solvers import GBS, ContinuousCallback, ODEProblem, ReturnCode, Vern9, solve
from solvers.ode.extrapolation import aitken_neville_row, midpoint_derivatives, step_numbers


def decay(u, p, t):
    return -u


def oscillator(u, p, t):
    return np.array([u[1], -u[0]])


def lotka(u, p, t):
    a, b, c, d = p
    return np.array([a * u[0] - b * u[0] * u[1], -c * u[1] + d * u[0] * u[1]])


def osc_exact(t):
    return np.array([math.cos(t), -math.sin(t)])


# ------------------------------------------------------------------ building blocks


def test_step_number_sequences_and_bad_name():
    assert step_numbers("harmonic", 4) == (2, 4, 6, 8)
    assert step_numbers("bulirsch", 8) == (2, 4, 6, 8, 12, 16, 24, 32)
    assert step_numbers("odex-dense", 3) == (2, 6, 10)
    with pytest.raises(ValueError, match="unknown step-number sequence"):
        GBS(sequence="fibonacci")


def test_aitken_neville_cancels_h2_terms_exactly():
    # T(h) = 1 + h^2 + h^4 sampled at h = 1/2, 1/4: one extrapolation step leaves 1 + O(h^4),
    # two (with h = 1/6) give exactly 1 for this degree-4 even polynomial.
    ns = (2, 4, 6)
    vals = [1 + Fraction(1, n) ** 2 + Fraction(1, n) ** 4 for n in ns]
    row1 = [vals[0]]
    row2 = aitken_neville_row([vals[1]], row1, [1 / (Fraction(4, 2) ** 2 - 1)])
    facs = [1 / (Fraction(6, 4) ** 2 - 1), 1 / (Fraction(6, 2) ** 2 - 1)]
    row3 = aitken_neville_row([vals[2]], row2, facs)
    assert row3[-1] == 1
    assert row2[-1] != 1


@pytest.mark.parametrize("bad", [3, 5, 2, 7.5])
def test_bad_orders_are_explained(bad):
    with pytest.raises(ValueError, match="even integer >= 4"):
        GBS(max_order=bad)


# ------------------------------------------------------------------ accuracy


@pytest.mark.parametrize("rtol", [1e-6, 1e-9, 1e-12])
def test_decay_meets_tolerance(rtol):
    sol = solve(ODEProblem(decay, np.array([1.0, 2.0]), (0.0, 3.0)), GBS(), rtol=rtol, atol=rtol * 1e-2)
    assert sol.retcode is ReturnCode.Success
    err = np.abs(sol.u[-1] - np.exp(-3.0) * np.array([1.0, 2.0])).max()
    assert err < 30 * rtol
    assert sol.stats.nf > 0 and sol.stats.naccept > 0


def test_error_falls_with_tolerance_on_oscillator():
    errs = []
    for rtol in (1e-5, 1e-8, 1e-11):
        sol = solve(ODEProblem(oscillator, np.array([1.0, 0.0]), (0.0, 10.0)), GBS(), rtol=rtol, atol=rtol)
        errs.append(np.abs(sol.u[-1] - osc_exact(10.0)).max())
    assert errs[0] > errs[1] > errs[2]
    assert errs[2] < 1e-10


def test_fixed_step_fixed_order_converges_at_its_order():
    # order 2k = 6 with fixed steps: halving dt divides the error by about 2^6
    errs = []
    for dt in (0.5, 0.25):
        sol = solve(ODEProblem(oscillator, np.array([1.0, 0.0]), (0.0, 2.0)), GBS(order=6), adaptive=False, dt=dt)
        errs.append(np.abs(sol.u[-1] - osc_exact(2.0)).max())
    rate = math.log2(errs[0] / errs[1])
    assert 5.3 < rate < 7.5, (errs, rate)


def test_lotka_volterra_against_vern9():
    prob = ODEProblem(lotka, np.array([1.0, 1.0]), (0.0, 10.0), (1.5, 1.0, 3.0, 1.0))
    ref = solve(prob, Vern9(), rtol=1e-14, atol=1e-16, save_everystep=False).u[-1]
    sol = solve(prob, GBS(), rtol=1e-12, atol=1e-14)
    assert sol.retcode is ReturnCode.Success
    assert np.abs(sol.u[-1] - ref).max() < 1e-9


def test_backward_in_time_and_python_float_state():
    sol = solve(ODEProblem(lambda u, p, t: -p * u, 1.0, (2.0, 0.0), 1.5), GBS(), rtol=1e-11, atol=1e-13)
    assert isinstance(sol.u[-1], float)
    assert abs(sol.u[-1] - math.exp(3.0)) < 1e-8 * math.exp(3.0)


# ------------------------------------------------------------------ high precision


def test_forty_digits_beats_the_benchmark_target():
    with mpmath.workdps(40):
        prob = ODEProblem(decay, mpmath.mpf(1), (mpmath.mpf(0), mpmath.mpf(1)))
        start = time.perf_counter()
        sol = solve(prob, GBS(), rtol=mpmath.mpf("1e-35"), atol=mpmath.mpf("1e-37"), save_everystep=False)
        elapsed = time.perf_counter() - start
        assert sol.retcode is ReturnCode.Success
        assert isinstance(sol.u[-1], mpmath.mpf)
        assert abs(sol.u[-1] - mpmath.exp(-1)) < mpmath.mpf("1e-35")
        # the order follows the precision: a handful of steps, not Vern9's hundreds
        assert sol.stats.naccept <= 12, sol.stats
    assert elapsed < 1.0, elapsed


def test_order_rises_with_precision():
    steps = {}
    for dps in (15, 40):
        with mpmath.workdps(dps):
            tol = mpmath.mpf(10) ** (3 - dps)
            sol = solve(ODEProblem(decay, mpmath.mpf(1), (0, 1)), GBS(), rtol=tol, atol=tol, save_everystep=False)
            assert abs(sol.u[-1] - mpmath.exp(-1)) < 100 * tol
            steps[dps] = sol.stats.naccept
    # 25 more digits cost at most a few more steps: the order, not the step count, grows
    assert steps[40] <= steps[15] + 4, steps


def test_mpf_object_array_oscillator_to_30_digits():
    with mpmath.workdps(30):
        u0 = np.array([mpmath.mpf(1), mpmath.mpf(0)], dtype=object)
        sol = solve(ODEProblem(oscillator, u0, (0, 1)), GBS(), rtol=mpmath.mpf("1e-28"), atol=mpmath.mpf("1e-30"))
        assert sol.u[-1].dtype == object and isinstance(sol.u[-1][0], mpmath.mpf)
        assert abs(sol.u[-1][0] - mpmath.cos(1)) < mpmath.mpf("1e-27")
        assert abs(sol.u[-1][1] + mpmath.sin(1)) < mpmath.mpf("1e-27")
        mid = sol(mpmath.mpf("0.37"))
        assert abs(mid[0] - mpmath.cos(mpmath.mpf("0.37"))) < mpmath.mpf("1e-24")


# ------------------------------------------------------------------ types


def test_float32_stays_float32():
    u0 = np.array([1.0, 0.0], dtype=np.float32)
    sol = solve(ODEProblem(oscillator, u0, (0.0, 1.0)), GBS(), rtol=1e-5, atol=1e-6)
    assert all(u.dtype == np.float32 for u in sol.u)
    assert sol(0.5).dtype == np.float32
    assert np.abs(sol.u[-1] - osc_exact(1.0)).max() < 1e-4


def test_dual_parameter_derivative_is_analytic():
    def end(a):
        return solve(ODEProblem(lambda u, p, t: -p * u, 1.0, (0.0, 2.0), a), GBS(), rtol=1e-11, atol=1e-13).u[-1]

    d = nm.derivative(end, 1.5)
    assert abs(d - (-2.0 * math.exp(-3.0))) < 1e-9


def test_dualarray_gradient_matches_vern9():
    p0 = np.array([1.5, 1.0, 3.0, 1.0])

    def x_end(alg, rtol):
        return lambda p: solve(ODEProblem(lotka, np.array([1.0, 1.0]), (0.0, 5.0), p), alg, rtol=rtol,
                               atol=rtol * 1e-2, save_everystep=False).u[-1][0]  # fmt: skip

    g = np.asarray(nm.value(nm.gradient(x_end(GBS(), 1e-10), p0)), dtype=float)
    ref = np.asarray(nm.value(nm.gradient(x_end(Vern9(), 1e-13), p0)), dtype=float)
    assert np.abs(g - ref).max() < 1e-6 * max(1.0, np.abs(ref).max())


# ------------------------------------------------------------------ dense output, saveat, events


def test_dense_output_is_as_accurate_as_the_steps():
    sol = solve(ODEProblem(oscillator, np.array([1.0, 0.0]), (0.0, 10.0)), GBS(), rtol=1e-12, atol=1e-12)
    ts = np.linspace(0.0, 10.0, 301)
    dense_err = max(np.abs(sol(t) - osc_exact(t)).max() for t in ts)
    assert dense_err < 1e-10, dense_err
    deriv_err = max(np.abs(sol.derivative(t) - np.array([-math.sin(t), -math.cos(t)])).max() for t in ts[::10])
    assert deriv_err < 1e-8, deriv_err
    # steps are long: the interpolant really spans them (degree well above the cubic)
    assert max(float(s[1] - s[0]) for s in sol._segments) > 1.0


def test_midpoint_derivatives_of_one_step():
    sol = solve(ODEProblem(oscillator, np.array([1.0, 0.0]), (0.0, 1.0)), GBS(order=12, sequence="odex-dense"),
                adaptive=False, dt=1.0)  # fmt: skip
    D = midpoint_derivatives(sol._segments[0][2]._mids, 1.0, float)
    assert len(D) >= 8
    for lam, d in enumerate(D[:6]):
        exact = np.array([math.cos(0.5 + lam * math.pi / 2), -math.sin(0.5 + lam * math.pi / 2)])
        assert np.abs(d - exact).max() < 1e-9, (lam, d - exact)


def test_saveat_tstops_and_event():
    prob = ODEProblem(oscillator, np.array([1.0, 0.0]), (0.0, 10.0))
    sol = solve(prob, GBS(), rtol=1e-11, atol=1e-12, saveat=[1.0, 2.5, 7.0])
    assert list(sol.t) == [1.0, 2.5, 7.0]
    assert max(np.abs(u - osc_exact(t)).max() for t, u in zip(sol.t, sol.u)) < 1e-9
    sol = solve(prob, GBS(), rtol=1e-11, atol=1e-12, tstops=[2.5])
    assert 2.5 in list(sol.t)
    hit = ContinuousCallback(lambda u, t, integ: u[0], lambda integ: integ.terminate())
    sol = solve(prob, GBS(), rtol=1e-11, atol=1e-12, callback=hit)
    assert sol.retcode is ReturnCode.Terminated
    assert abs(sol.t[-1] - math.pi / 2) < 1e-9


# ------------------------------------------------------------------ failures


def test_blow_up_is_a_return_code():
    # u' = u^2, u(0) = 1 blows up at t = 1
    sol = solve(ODEProblem(lambda u, p, t: u * u, 1.0, (0.0, 2.0)), GBS(), rtol=1e-8, atol=1e-10)
    assert sol.retcode in (ReturnCode.DtLessThanMin, ReturnCode.Unstable, ReturnCode.MaxIters)
    assert not sol.success
    assert 0.9 < float(sol.t[-1]) < 1.0 + 1e-6  # stops at the singularity t = 1


def test_maxiters_and_compile_request_are_explained():
    sol = solve(ODEProblem(oscillator, np.array([1.0, 0.0]), (0.0, 100.0)), GBS(), rtol=1e-10, maxiters=3)
    assert sol.retcode is ReturnCode.MaxIters and "maxiters" in sol.message
    with pytest.raises(ValueError, match="no compiled loop"):
        solve(ODEProblem(oscillator, np.array([1.0, 0.0]), (0.0, 1.0)), GBS(), compile=True)
    sol = solve(ODEProblem(decay, float("nan"), (0.0, 1.0)), GBS())
    assert sol.retcode is ReturnCode.InitialFailure
