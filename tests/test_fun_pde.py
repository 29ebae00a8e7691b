"""Spectral PDEs by composition: a Fun state given to the unchanged ODE solver.

No PDE code exists anywhere: the right-hand sides below are one-line
functions of a Fun, and ``solvers.ode`` (written for arrays and scalars)
integrates them with its usual adaptive error control.
"""

import numpy as np
import pytest
from scipy.integrate import solve_ivp
from scipy.special import iv

import numeric as nm
from numeric.fun import Chebyshev, Fourier, Fun, dirichlet_projection
from solvers import ODEProblem, ReturnCode, Tsit5, solve

P = Fourier(0, 2 * np.pi)


def pseudo_spectral_reference(rhs, u0, T, N):
    """A fine fixed-grid Fourier collocation solution (method of lines, DOP853 at 1e-13)."""
    x = 2 * np.pi * np.arange(N) / N
    k = np.fft.rfftfreq(N, 1.0 / N)

    def D(v, m):
        return np.fft.irfft((1j * k) ** m * np.fft.rfft(v), N)

    s = solve_ivp(lambda t, v: rhs(v, x, D), (0, T), u0(x), method="DOP853", rtol=1e-13,
                  atol=1e-13)
    assert s.success
    return x, s.y[:, -1]


def lengths(sol):
    return [len(u) for u in sol.u]


def test_heat_equation_matches_the_exact_solution_mode_by_mode():
    # u0 = exp(cos x) = I0(1) + 2 sum I_k(1) cos(k x); mode k decays like exp(-k^2 t)
    u0 = Fun(lambda x: np.exp(np.cos(x)), P)
    T = 0.5
    sol = solve(ODEProblem(lambda u, p, t: u.diff(2), u0, (0.0, T)), Tsit5(), rtol=1e-10,
                atol=1e-12)
    assert sol.retcode == ReturnCode.Success
    uT = sol.u[-1]
    assert isinstance(uT, Fun)
    m = (len(uT) - 1) // 2
    k = np.arange(1, m + 1)
    assert uT.coeffs[0] == pytest.approx(iv(0, 1.0), abs=1e-11)
    np.testing.assert_allclose(uT.coeffs[1::2], 2 * iv(k, 1.0) * np.exp(-k**2 * T), atol=1e-10)
    np.testing.assert_allclose(uT.coeffs[2::2], 0, atol=1e-12)
    x = np.linspace(0, 2 * np.pi, 101)
    exact = iv(0, 1.0) + sum(2 * iv(j, 1.0) * np.exp(-j * j * T) * np.cos(j * x)
                             for j in range(1, 40))
    assert np.max(np.abs(uT(x) - exact)) < 1e-9
    # the length shrinks as the solution smooths
    ls = lengths(sol)
    assert ls[-1] < ls[0] and all(b <= a for a, b in zip(ls, ls[1:]))


def test_diffeqapproxfun_example_against_a_fine_grid():
    # u_t = u_xx + (cos x + 1) u_x, u0 = cos(cos(x - 0.1)) - cos(cos(0 - 0.1)) (ApproxFun docs)
    def u0f(x):
        return np.cos(np.cos(x - 0.1)) - np.cos(np.cos(0 - 0.1))

    c = Fun(lambda x: np.cos(x) + 1, P)
    T = 1.0
    sol = solve(ODEProblem(lambda u, p, t: u.diff(2) + c * u.diff(), Fun(u0f, P), (0.0, T)),
                Tsit5(), rtol=1e-10, atol=1e-12)
    x, ref = pseudo_spectral_reference(lambda v, x, D: D(v, 2) + (np.cos(x) + 1) * D(v, 1),
                                       u0f, T, 64)
    assert np.max(np.abs(sol.u[-1](x) - ref)) < 1e-9
    assert max(lengths(sol)) < 64


def test_viscous_burgers_against_a_fine_grid_and_lengths_grow_with_the_front():
    nu, T = 0.1, 0.6

    def u0f(x):
        return np.sin(x) + 0.5

    sol = solve(ODEProblem(lambda u, p, t: nu * u.diff(2) - u * u.diff(), Fun(u0f, P), (0.0, T)),
                Tsit5(), rtol=1e-9, atol=1e-11)
    x, ref = pseudo_spectral_reference(lambda v, x, D: nu * D(v, 2) - v * D(v, 1), u0f, T, 256)
    assert np.max(np.abs(sol.u[-1](x) - ref)) < 1e-8
    ls = lengths(sol)
    assert ls[0] == 3 and ls[-1] > 30  # sin x + 1/2 steepens into a front that needs more modes
    assert max(ls) < 256


def test_heat_equation_with_dirichlet_conditions_on_a_chebyshev_space():
    S = Chebyshev(-1, 1)

    def exact(x, t):
        return (np.exp(-np.pi**2 * t) * np.sin(np.pi * (x + 1))
                + 0.5 * np.exp(-np.pi**2 * t / 4) * np.sin(np.pi * (x + 1) / 2))

    u0 = Fun(lambda x: exact(x, 0.0), S)

    def rhs(u, p, t):
        return dirichlet_projection(u.diff(2), len(u))

    T = 0.1
    sol = solve(ODEProblem(rhs, u0, (0.0, T)), Tsit5(), rtol=1e-8, atol=1e-10)
    assert sol.retcode == ReturnCode.Success
    x = np.linspace(-1, 1, 101)
    uT = sol.u[-1]
    assert np.max(np.abs(uT(x) - exact(x, T))) < 1e-7
    assert abs(uT(-1.0)) < 1e-14 and abs(uT(1.0)) < 1e-14
    assert nm.norm(uT) < nm.norm(u0)


def test_parameter_derivative_through_the_pde_solve():
    # u_t = a u_xx with u0 = cos x: u(0, T) = exp(-a T), d/da = -T exp(-a T)
    T, a0 = 0.3, 0.8

    def final_value(a):
        u0 = Fun(np.cos, P)
        sol = solve(ODEProblem(lambda u, p, t: p * u.diff(2), u0, (0.0, T), a), Tsit5(),
                    rtol=1e-10, atol=1e-12)
        return sol.u[-1](0.0)

    d = nm.derivative(final_value, a0)
    assert float(d) == pytest.approx(-T * np.exp(-a0 * T), rel=1e-7)
