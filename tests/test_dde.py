"""Delay differential equations: MethodOfSteps against exact solutions, independent references
and finite differences, with floats, Duals, mpf and Measurements (issue 16)."""

from __future__ import annotations

from fractions import Fraction
from math import comb

import mpmath
import numpy as np
import pytest
import scipy.integrate
import scipy.optimize
import scipy.special

import numeric as nm
from solvers import (BS3, GBS, ContinuousCallback, DDEProblem, FBDF, KenCarp4, MethodOfSteps, Rodas5P, Tsit5,
                     Vern9, solve)
from solvers.dde.discontinuities import constant_lag_discontinuities


# ---------------------------------------------------------------- exact method of steps
def _poly_eval(c, t):
    return sum(ci * t ** i for i, ci in enumerate(c))


def _shift(c, d):
    """Coefficients of p(t - d) from those of p(t) (exact, Fractions)."""
    out = [Fraction(0)] * len(c)
    for i, ci in enumerate(c):
        for j in range(i + 1):
            out[j] += ci * comb(i, j) * (-d) ** (i - j)
    return out


def exact_pieces(n):
    """u' = -u(t - 1), u = 1 for t <= 0: the polynomial of u on [k - 1, k], k = 1..n, by the
    method of steps in exact rational arithmetic (an independent construction of the solution)."""
    pieces, prev = [], [Fraction(1)]
    for k in range(1, n + 1):
        g = [-x for x in _shift(prev, 1)]  # u'(t) = -P_{k-1}(t - 1)
        integ = [Fraction(0)] + [gi / (i + 1) for i, gi in enumerate(g)]  # antiderivative
        start = _poly_eval(prev, Fraction(k - 1)) if k > 1 else Fraction(1)
        integ[0] = start - _poly_eval(integ, Fraction(k - 1))
        pieces.append(integ)
        prev = integ
    return pieces


def exact(t, pieces=exact_pieces(6)):
    k = min(int(np.floor(float(t))), len(pieces) - 1)
    return _poly_eval(pieces[k], t)


def test_exact_pieces_are_the_known_polynomials():
    p = exact_pieces(3)  # 1 - t;  (t^2 - 4t + 3)/2 + ... checked against the ODE itself
    assert p[0] == [1, -1]
    for k in range(1, 3):  # continuity and the equation at a sample point
        assert _poly_eval(p[k], Fraction(k)) == _poly_eval(p[k - 1], Fraction(k))
        d = [i * c for i, c in enumerate(p[k])][1:]
        x = Fraction(2 * k + 1, 2)
        assert _poly_eval(d, x) == -_poly_eval(p[k - 1], x - 1)


LINEAR = DDEProblem(lambda u, h, p, t: -h(p, t - 1.0), 1.0, lambda p, t: 1.0, (0.0, 5.0), constant_lags=[1.0])
LINEAR_V = DDEProblem(lambda u, h, p, t: -h(p, t - 1.0), np.array([1.0]), lambda p, t: np.array([1.0]),
                      (0.0, 5.0), constant_lags=[1.0])


@pytest.mark.parametrize("alg,prob,tol", [(Tsit5(), LINEAR, 1e-8), (Vern9(), LINEAR, 1e-9), (BS3(), LINEAR, 1e-7),
                                          (Rodas5P(), LINEAR_V, 1e-6), (FBDF(), LINEAR_V, 1e-5)])
def test_single_constant_lag_against_the_exact_piecewise_polynomial(alg, prob, tol):
    sol = solve(prob, MethodOfSteps(alg), rtol=1e-9, atol=1e-11)
    assert sol.retcode
    ts = np.linspace(0, 5, 101)
    err = max(abs(float(np.ravel(sol(t))[0]) - float(exact(Fraction(t).limit_denominator(10**6)))) for t in ts)
    assert err < tol
    # the propagated discontinuities t = 1, 2, ... (up to the order) are step ends
    for k in range(1, min(alg.order, 4) + 1):
        assert np.min(np.abs(sol.t - k)) < 1e-14


def test_order_zero_jump_at_t0():
    """History 0 but u(0) = 1 (DelayDiffEq's prob_dde_constant_1delay): u = 1, 2 - t, (t^2 - 6t + 8)/2,
    (51 - 45t + 12t^2 - t^3)/6 on [0, 1], [1, 2], [2, 3], [3, 4] (method of steps by hand)."""
    pieces = [lambda t: 1.0, lambda t: 2 - t, lambda t: (8 - 6 * t + t * t) / 2,
              lambda t: (51 - 45 * t + 12 * t ** 2 - t ** 3) / 6]
    prob = DDEProblem(lambda u, h, p, t: -h(p, t - 1.0), 1.0, lambda p, t: 0.0, (0.0, 4.0), constant_lags=[1.0])
    for alg in (Tsit5(), Vern9()):
        sol = solve(prob, MethodOfSteps(alg), rtol=1e-9, atol=1e-11)
        err = max(abs(float(sol(t)) - pieces[min(int(t), 3)](t)) for t in np.linspace(0, 4, 81))
        assert err < 1e-10
        # the step ending at t = 1 sees the left limit h(0) = 0, the next starts from u0 = 1: no
        # rejections (with the right limit in the last stage the error estimate fails near t = 1)
        assert sol.stats.nreject <= 2


def test_discontinuity_tracking_matters():
    """Without the tstops an RK step straddles t = 1, 2 where u'' jumps: larger error."""
    sol = solve(LINEAR, MethodOfSteps(Tsit5(), max_level=0), rtol=1e-6, atol=1e-8)
    tracked = solve(LINEAR, MethodOfSteps(Tsit5()), rtol=1e-6, atol=1e-8)
    e = lambda s: max(abs(float(s(t)) - float(exact(Fraction(t)))) for t in np.linspace(0, 5, 51))
    assert e(tracked) < e(sol)
    assert constant_lag_discontinuities(0.0, [1.0], 3, 5.0) == [(1.0, 1), (2.0, 2), (3.0, 3)]


def test_short_lag_fixed_point_iteration_on_an_exact_exponential():
    """u' = a u(t - tau) with history e^{lam t}, lam = W(a tau)/tau: the solution is e^{lam t}
    exactly; tau = 0.01 is far shorter than the steps (the step iterates on its own interpolant)."""
    a, tau = -1.0, 0.01
    lam = float(np.real(scipy.special.lambertw(a * tau))) / tau
    prob = DDEProblem(lambda u, h, p, t: a * h(p, t - tau), 1.0, lambda p, t: np.exp(lam * t), (0.0, 10.0),
                      constant_lags=[tau])
    sol = solve(prob, MethodOfSteps(Tsit5(), max_level=0), rtol=1e-9, atol=1e-12)
    assert sol.retcode
    assert np.max(np.diff(sol.t)) > 10 * tau  # steps much longer than the lag
    for t in (1.0, 5.0, 10.0):
        assert abs(float(sol(t)) - np.exp(lam * t)) < 1e-8 * np.exp(lam * t)


@pytest.mark.parametrize("alg,tol", [(Tsit5(), 1e-11), (Vern9(), 1e-11), (GBS(), 1e-11), (KenCarp4(), 1e-8),
                                     (Rodas5P(), 1e-9)], ids=["Tsit5", "Vern9", "GBS", "KenCarp4", "Rodas5P"])
def test_two_constant_lags_on_an_exact_exponential(alg, tol):
    """u' = a u(t - t1) + b u(t - t2) with history e^{lam t}, lam = a e^{-lam t1} + b e^{-lam t2}: the
    solution is e^{lam t}; every kind of inner method (explicit, extrapolation with its own step
    control, ESDIRK, Rosenbrock), with the tstops of both lags."""
    a, b, t1, t2 = -1.0, -0.5, 0.1, 0.2
    lam = scipy.optimize.brentq(lambda x: x - a * np.exp(-x * t1) - b * np.exp(-x * t2), -2.5, -1.5)
    prob = DDEProblem(lambda u, h, p, t: a * h(p, t - t1) + b * h(p, t - t2), np.array([1.0]),
                      lambda p, t: np.array([np.exp(lam * t)]), (0.0, 5.0), constant_lags=[t1, t2])
    sol = solve(prob, MethodOfSteps(alg), rtol=1e-10 if tol < 1e-10 else 1e-8, atol=1e-12 if tol < 1e-10 else 1e-10)
    assert sol.retcode
    assert abs(sol.u[-1][0] - np.exp(lam * 5)) < tol
    assert any(abs(t - 0.3) < 1e-12 for t, _ in sol.discontinuities)  # t1 + t2


def test_neutral_delay_through_the_derivative_of_the_history():
    """u' = -u - 0.2 u'(t - 1) with history e^{lam t}, lam (1 + 0.2 e^{-lam}) = -1: exact e^{lam t};
    h(p, s, deriv=1) is the derivative of the history / of the continuous extension."""
    lam = scipy.optimize.brentq(lambda x: x + 1 + 0.2 * x * np.exp(-x), -0.8, -0.7)

    def hist(p, t, deriv=0):
        return np.exp(lam * t) * (lam if deriv else 1.0)

    prob = DDEProblem(lambda u, h, p, t: -u - 0.2 * h(p, t - 1.0, deriv=1), 1.0, hist, (0.0, 5.0),
                      constant_lags=[1.0], neutral=True)
    for alg in (Tsit5(), Vern9()):
        sol = solve(prob, MethodOfSteps(alg), rtol=1e-10, atol=1e-12)
        assert sol.retcode and abs(float(sol.u[-1]) - np.exp(lam * 5)) < 1e-11
        assert [t for t, _ in sol.discontinuities] == [0.0, 1.0, 2.0, 3.0, 4.0]  # neutral: no smoothing


def test_neutral_jump_keeps_every_propagated_point_as_a_stop():
    """u' = u'(t - 1), h = 0 (h' = 0), u(0) = 1: u' = 0 everywhere, so u = 1; the derivative's jumps
    never smooth out, and with neutral=True all of t = 1..9 are stops even for BS3 (order 3)."""
    def hist(p, t, deriv=0):
        return 0.0
    prob = DDEProblem(lambda u, h, p, t: h(p, t - 1.0, deriv=1), 1.0, hist, (0.0, 10.0), constant_lags=[1.0],
                      neutral=True)
    sol = solve(prob, MethodOfSteps(BS3()), rtol=1e-8, atol=1e-10)
    assert [t for t, _ in sol.discontinuities][1:] == [float(k) for k in range(1, 10)]
    assert all(np.min(np.abs(sol.t - k)) == 0 for k in range(1, 10))
    assert abs(float(sol.u[-1]) - 1.0) < 1e-12


# ---------------------------------------------------------------- Mackey-Glass (DDETST A1)
def mackey_glass_reference(T, tau=14.0, rtol=1e-12):
    """Independent reference: scipy's DOP853 interval by interval (method of steps), the delayed
    value from the previous intervals' dense output."""
    pieces = []

    def delayed(s):
        if s <= 0:
            return 0.5
        for a, b, d in pieces:
            if a <= s <= b:
                return d(s)[0]
        raise AssertionError(s)

    u, a = 0.5, 0.0
    while a < T:
        b = min(a + tau, T)
        r = scipy.integrate.solve_ivp(lambda t, y: [0.2 * delayed(t - tau) / (1 + delayed(t - tau) ** 10) - 0.1 * y[0]],
                                      (a, b), [u], method="DOP853", rtol=rtol, atol=1e-14, dense_output=True)
        pieces.append((a, b, r.sol))
        u, a = r.y[0, -1], b
    return u


def mackey_glass(beta=0.2):
    def f(u, h, p, t):
        z = h(p, t - 14.0)
        return p * z / (1 + z ** 10) - 0.1 * u
    return DDEProblem(f, 0.5, lambda p, t: 0.5 * nm.one(p), (0.0, 60.0), beta, constant_lags=[14.0])


def test_mackey_glass_DDETST_A1_against_an_independent_reference():
    """Problem A1 of the DDE test set (Enright & Hayashi; Mackey & Glass 1977): u' = 0.2 z/(1 + z^10)
    - 0.1 u, z = u(t - 14), history 0.5."""
    ref = mackey_glass_reference(60.0)
    for alg in (Tsit5(), Vern9()):
        sol = solve(mackey_glass(), MethodOfSteps(alg), rtol=1e-10, atol=1e-12)
        assert sol.retcode
        assert abs(sol.u[-1] - ref) < 1e-8


def test_dual_parameter_sensitivity_through_the_delay_matches_central_differences():
    def final(beta):
        return solve(mackey_glass().remake(p=beta), MethodOfSteps(Vern9()), rtol=1e-11, atol=1e-13).u[-1]

    d = nm.derivative(final, 0.2)
    step = 1e-5
    fd = (final(0.2 + step) - final(0.2 - step)) / (2 * step)
    assert abs(float(d) - fd) < 1e-6 * max(1.0, abs(fd))


def test_measurement_parameter_through_the_delay_matches_the_dual_derivative():
    """beta = 0.2 +- 0.001 in Mackey-Glass: the propagated uncertainty is |du/dbeta| * 0.001."""
    run = lambda b: solve(mackey_glass().remake(p=b, tspan=(0.0, 60.0)), MethodOfSteps(Vern9()), rtol=1e-10,
                          atol=1e-12).u[-1]
    um = run(nm.Measurement(0.2, 0.001))
    d = nm.derivative(run, 0.2)
    assert abs(nm.uncertainty(um) - abs(float(nm.value(d))) * 0.001) < 1e-9


def test_saveat_and_callbacks_in_a_dde_solve():
    base = solve(mackey_glass().remake(tspan=(0.0, 60.0)), MethodOfSteps(Tsit5()), rtol=1e-8, atol=1e-10)
    saved = solve(mackey_glass().remake(tspan=(0.0, 60.0)), MethodOfSteps(Tsit5()), rtol=1e-8, atol=1e-10,
                  saveat=[10.0, 30.0, 60.0])
    assert list(saved.t) == [10.0, 30.0, 60.0]
    assert abs(saved.u[-1] - base.u[-1]) < 1e-9
    # an event that cuts steps (and changes nothing) leaves the history, hence the solution, as it was
    hits = []
    cb = ContinuousCallback(lambda u, t, integ: u - 1.0, lambda integ: hits.append(integ.t))
    cut = solve(mackey_glass().remake(tspan=(0.0, 60.0)), MethodOfSteps(Tsit5()), rtol=1e-8, atol=1e-10, callback=cb)
    assert len(hits) >= 2 and abs(cut.u[-1] - base.u[-1]) < 1e-9
    stop = ContinuousCallback(lambda u, t, integ: u - 1.0, lambda integ: integ.terminate())
    ended = solve(mackey_glass(), MethodOfSteps(Tsit5()), rtol=1e-8, atol=1e-10, callback=stop, verbose=False)
    assert ended.retcode.name == "Terminated" and abs(ended.u[-1] - 1.0) < 1e-9
    assert abs(ended.t[-1] - hits[0]) < 1e-6


# ---------------------------------------------------------------- state-dependent lags (DDETST D1)
def d1():
    """Problem D1 of the DDE test set (Paul 1994): y1' = y2, y2' = -y2(e^{1 - y2}) y2^2 e^{1 - y2};
    exact solution y1 = log t, y2 = 1/t; the lag t - e^{1 - y2} vanishes at t = 1."""
    def f(u, h, p, t):
        s = nm.exp(1 - u[1])
        return np.array([u[1], -h(p, s)[1] * u[1] ** 2 * nm.exp(1 - u[1])])
    hist = lambda p, t: np.array([nm.log(t), 1 / t])
    return DDEProblem(f, None, hist, (0.1, 5.0), dependent_lags=[lambda u, p, t: t - np.exp(1 - u[1])]), hist


@pytest.mark.parametrize("alg,tol", [(Tsit5(), 1e-7), (Vern9(), 1e-8)])
def test_state_dependent_lag_D1_against_its_exact_solution(alg, tol):
    prob, hist = d1()
    sol = solve(prob, MethodOfSteps(alg), rtol=1e-8, atol=1e-10)
    assert sol.retcode
    err = max(np.max(np.abs(sol(t) - hist(None, t))) for t in np.linspace(0.1, 5.0, 60))
    assert err < tol
    # the located discontinuities follow xi_{k+1} = 1 / (1 - log xi_k) from xi_0 = 0.1 (exact solution)
    xi, found = 0.1, [t for t, _ in sol.discontinuities]
    for _ in range(4):
        xi = 1 / (1 - np.log(xi))
        assert min(abs(x - xi) for x in found) < 1e-7


def test_state_dependent_lag_with_a_stiff_method():
    prob, hist = d1()
    sol = solve(prob, MethodOfSteps(FBDF()), rtol=1e-6, atol=1e-9)
    assert sol.retcode
    assert max(np.max(np.abs(sol(t) - hist(None, t))) for t in np.linspace(0.1, 5.0, 30)) < 1e-5


def test_dual_through_a_state_dependent_delay_matches_central_differences():
    """DDE test set C1 (Paul 1994) with its coefficient as parameter: u' = -p u(t - 1 - |u|)(1 - u^2),
    history 0.5. The delayed time depends on the state, so the Dual flows through the delayed argument."""
    def final(p):
        prob = DDEProblem(lambda u, h, p, t: -p * h(p, t - 1 - abs(u)) * (1 - u * u), 0.5, lambda p, t: 0.5,
                          (0.0, 6.0), p, dependent_lags=[lambda u, p, t: 1 + abs(u)])
        sol = solve(prob, MethodOfSteps(Tsit5()), rtol=1e-10, atol=1e-12)
        assert sol.retcode and len(sol.discontinuities) >= 3
        return sol.u[-1]

    d = float(nm.value(nm.derivative(final, 2.0)))
    step = 1e-3  # smaller steps see the adaptive mesh's jitter (tolerance / step)
    fd = (final(2.0 + step) - final(2.0 - step)) / (2 * step)
    assert abs(d - fd) < 1e-5 * max(1.0, abs(fd))


# ---------------------------------------------------------------- other number types
def test_mpf_through_a_dde_solve_at_30_digits():
    with mpmath.workdps(30):
        one = mpmath.mpf(1)
        prob = DDEProblem(lambda u, h, p, t: -h(p, t - 1), np.array([one], dtype=object),
                          lambda p, t: np.array([one], dtype=object), (mpmath.mpf(0), mpmath.mpf(3)),
                          constant_lags=[mpmath.mpf(1)])
        sol = solve(prob, MethodOfSteps(Vern9()), rtol=mpmath.mpf(10) ** -22, atol=mpmath.mpf(10) ** -24)
        assert sol.retcode and isinstance(sol.u[-1][0], mpmath.mpf)
        ref = _poly_eval(exact_pieces(3)[2], Fraction(3))
        assert abs(sol.u[-1][0] - mpmath.mpf(ref.numerator) / ref.denominator) < mpmath.mpf(10) ** -18


def test_measurement_through_a_dde_solve_is_linear_propagation():
    """u0 = h = 1 +- 0.1 (one source): the solution is u0 P(t), so its uncertainty is 0.1 |P(t)|."""
    x = nm.Measurement(1.0, 0.1)
    prob = DDEProblem(lambda u, h, p, t: -h(p, t - 1.0), x, lambda p, t: x, (0.0, 3.5), constant_lags=[1.0])
    sol = solve(prob, MethodOfSteps(Tsit5()), rtol=1e-9, atol=1e-11)
    P = float(exact(Fraction(7, 2)))
    assert abs(nm.value(sol.u[-1]) - P) < 1e-8
    assert abs(nm.uncertainty(sol.u[-1]) - 0.1 * abs(P)) < 1e-8


# ---------------------------------------------------------------- bad input
def test_bad_problems_are_refused_with_a_clear_message():
    f = lambda u, h, p, t: -h(p, t - 1)
    with pytest.raises(ValueError, match="positive"):
        DDEProblem(f, 1.0, lambda p, t: 1.0, (0.0, 1.0), constant_lags=[-1.0])
    with pytest.raises(TypeError, match="callable"):
        DDEProblem(f, 1.0, 1.0, (0.0, 1.0))
    with pytest.raises(TypeError, match="dependent_lags"):
        DDEProblem(f, 1.0, lambda p, t: 1.0, (0.0, 1.0), dependent_lags=[1.0])
    with pytest.raises(ValueError, match="forward"):
        DDEProblem(f, 1.0, lambda p, t: 1.0, (1.0, 0.0))
    with pytest.raises(TypeError, match="ODE method"):
        MethodOfSteps("Tsit5")
