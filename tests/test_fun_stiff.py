"""A Fun state through the implicit ODE methods: Newton–Krylov with ``J v`` a dual directional
derivative at a Fun (``nm.jvp``) and GMRES in the L2 inner product of Funs (``nm.inner``).

The heat equation u_t = u_xx on a Fourier Fun has the exact solution mode by mode; the forced
one keeps its high modes for all time, so an explicit method stays at its stability limit while
the L-stable ESDIRKs step at the accuracy the tolerance asks for.
"""

import numpy as np
import pytest
from scipy.special import iv

import numeric as nm
from numeric.fun import Chebyshev, Fourier, Fun
from solvers import ODEProblem, ReturnCode, Tsit5, solve
from solvers.ode.stiff import FBDF, KenCarp4, Kvaerno5, RadauIIA5, Rodas5P, TRBDF2

P = Fourier(0, 2 * np.pi)
X = np.linspace(0, 2 * np.pi, 101)
W = Fun(lambda x: np.exp(np.cos(x)), P)  # exp(cos x) = I0(1) + 2 sum_k I_k(1) cos(k x)


def heat_exact(T, x=X):
    return iv(0, 1.0) + sum(2 * iv(k, 1.0) * np.exp(-k * k * T) * np.cos(k * x) for k in range(1, 40))


def test_jvp_at_a_fun_is_the_directional_derivative():
    u, v = W, Fun(lambda x: np.sin(x), P)
    d = nm.jvp(lambda y: y ** 3 + y.diff(2) + nm.exp(y) * y.diff(), u, v)
    exact = 3 * u * u * v + v.diff(2) + nm.exp(u) * (v * u.diff() + v.diff())
    assert isinstance(d, Fun)
    assert nm.norm(d - exact) < 1e-13 * nm.norm(exact)
    # independent check: a central difference of the same map
    F = lambda y: y ** 3 + y.diff(2)  # noqa: E731
    s = 1e-5
    fd = (F(u + v * s) - F(u - v * s)) * (1 / (2 * s))
    assert nm.norm(nm.jvp(F, u, v) - fd) < 1e-8 * nm.norm(fd)
    assert nm.norm(nm.jvp(lambda y: u * 3, u, v)) == 0  # f not depending on its input


def test_inner_product_of_funs_is_the_l2_integral():
    f = Fun(lambda x: x, Chebyshev(-1, 1))
    assert float(nm.inner(f, f)) == pytest.approx(2 / 3, abs=1e-15)
    assert float(nm.inner(W, Fun(lambda x: np.cos(x), P))) == pytest.approx(2 * np.pi * iv(1, 1.0), rel=1e-14)
    assert nm.is_vector_state(f) and not nm.is_vector_state(np.ones(2)) and not nm.is_vector_state(1.0)


@pytest.mark.parametrize("alg, tol", [(KenCarp4(), 2e-6), (Kvaerno5(), 2e-6), (TRBDF2(), 5e-5)])
def test_heat_equation_through_esdirk_newton_krylov_matches_the_exact_solution(alg, tol):
    T = 0.5
    sol = solve(ODEProblem(lambda u, p, t: u.diff(2), W, (0.0, T)), alg, rtol=1e-6, atol=1e-8,
                linsolve="gmres")
    assert sol.retcode == ReturnCode.Success
    uT = sol.u[-1]
    assert isinstance(uT, Fun)
    assert np.max(np.abs(uT(X) - heat_exact(T))) < tol
    assert sol.stats.nlinear > 0 and sol.stats.njac >= 1  # GMRES did the linear algebra


def test_forced_heat_equation_implicit_needs_far_fewer_steps_than_explicit():
    # u_t = u_xx - w'' with u(0) = 0: u = sum_k 2 I_k(1) (1 - exp(-k^2 t)) cos(k x) keeps ~18 modes,
    # so Tsit5 is held at h ~ 3 / 18^2 while KenCarp4 follows the slow transient
    s = -W.diff(2)
    T = 10.0
    prob = ODEProblem(lambda u, p, t: u.diff(2) + s, Fun(lambda x: 0 * x, P), (0.0, T))
    exact = sum(2 * iv(k, 1.0) * (1 - np.exp(-k * k * T)) * np.cos(k * X) for k in range(1, 40))
    imp = solve(prob, KenCarp4(), rtol=1e-6, atol=1e-8, linsolve="gmres")
    exp_ = solve(prob, Tsit5(), rtol=1e-6, atol=1e-8)
    for sol in (imp, exp_):
        assert sol.retcode == ReturnCode.Success
        assert np.max(np.abs(sol.u[-1](X) - exact)) < 2e-6
    assert exp_.stats.naccept > 8 * imp.stats.naccept, (exp_.stats.naccept, imp.stats.naccept)


def test_fun_state_needs_gmres_and_an_esdirk():
    prob = ODEProblem(lambda u, p, t: u.diff(2), W, (0.0, 0.1))
    with pytest.raises(TypeError, match="linsolve='gmres'"):
        solve(prob, KenCarp4())
    for alg in (Rodas5P(), FBDF(), RadauIIA5()):
        with pytest.raises(TypeError, match="KenCarp4, Kvaerno5 or TRBDF2"):
            solve(prob, alg, linsolve="gmres")
