"""float32 and complex states through the stiff methods: the dtype is kept, values and derivatives
are right.

float32: the problem u0' = -p u0 + u1, u1' = -p u1 / 2, u(0) = (1, 1/2), whose solution is
u0(t) = (1 - 1/p) e^{-p t} + e^{-p t / 2} / p (variation of constants); its p-derivative is
taken by a central difference of the closed form (step 1e-6, truncation ~1e-12).
complex: u' = i w u, u(0) = 1, so u(T) = e^{i w T} and d u(T)/dw = i T e^{i w T}.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import numeric as nm
import solvers
from solvers import ODEProblem, ReturnCode, solve

STIFF = ["Rosenbrock23", "Rodas4", "Rodas5P", "FBDF", "RadauIIA5", "KenCarp4", "Kvaerno5", "TRBDF2"]
T, P = 1.5, 1.3


def rhs(u, p, t):
    return np.stack([-p * u[0] + u[1], -u[1] * p * 0.5])


def exact(p: float) -> float:
    return (1 - 1 / p) * math.exp(-p * T) + math.exp(-p * T / 2) / p


def final(p, name):
    u0 = np.array([1.0, 0.5], dtype=np.float32)
    sol = solve(ODEProblem(rhs, u0, (0.0, T), p), getattr(solvers, name)(), rtol=1e-5, atol=1e-6)
    assert sol.retcode == ReturnCode.Success, sol.message
    return sol


@pytest.mark.parametrize("name", STIFF)
def test_float32_state_stays_float32(name):
    sol = final(np.float32(P), name)
    assert all(u.dtype == np.float32 for u in sol.u), [u.dtype for u in sol.u]
    assert sol(0.7).dtype == np.float32
    assert abs(float(sol.u[-1][0]) - exact(P)) < 1e-4


@pytest.mark.parametrize("name", ["Rodas5P", "FBDF", "RadauIIA5", "KenCarp4"])
def test_float32_state_with_a_sparse_jacobian(name):
    # nm.sparse_jacobian built float64 entries: the state became float64, and RadauIIA5 took its
    # float64 eigen-split path for a float32 state ("'str' object has no attribute 'solve'")
    u0 = np.array([1.0, 0.5], dtype=np.float32)
    sol = solve(ODEProblem(rhs, u0, (0.0, T), np.float32(P)), getattr(solvers, name)(), rtol=1e-5, atol=1e-6,
                sparse=True)
    assert sol.retcode == ReturnCode.Success, sol.message
    assert all(u.dtype == np.float32 for u in sol.u)
    assert abs(float(sol.u[-1][0]) - exact(P)) < 1e-4
    assert nm.sparse_jacobian(lambda x: x * 2, u0).dtype == np.float32


@pytest.mark.parametrize("name", STIFF)
def test_float32_state_with_a_float64_user_jacobian(name):
    # RadauIIA5 chose its eigen-split solve from the float64 Jacobian, then refused the float32 stage
    # residuals in it ("'str' object has no attribute 'solve'"). (A float64 Jacobian may lift the
    # state to float64, as a float64 f does: only the value is checked.)
    jac = lambda u, p, t: np.array([[-p, 1.0], [0.0, -p / 2]])  # noqa: E731
    sol = solve(ODEProblem(rhs, np.array([1.0, 0.5], dtype=np.float32), (0.0, T), P, jac=jac),
                getattr(solvers, name)(), rtol=1e-5, atol=1e-6)
    assert sol.retcode == ReturnCode.Success, sol.message
    assert abs(float(sol.u[-1][0]) - exact(P)) < 1e-4


@pytest.mark.parametrize("name", STIFF)
def test_dual_parameter_with_a_float32_state(name):
    d = nm.derivative(lambda p: final(p, name).u[-1][0], np.float32(P))
    ref = (exact(P + 1e-6) - exact(P - 1e-6)) / 2e-6
    assert np.asarray(d).dtype == np.float32, type(d)
    assert abs(float(d) - ref) < 1e-4 * abs(ref) + 1e-4, (d, ref)


W = 2.3
COMPLEX_TOL = {"Rosenbrock23": 1e-5, "TRBDF2": 1e-5, "FBDF": 1e-6}   # 2nd order; variable order; the others 1e-7


@pytest.mark.parametrize("name", STIFF)
def test_complex_state_without_complex_warnings(name):
    def end(w):
        sol = solve(ODEProblem(lambda u, p, t: 1j * p * u, np.array([1.0 + 0j]), (0.0, T), w),
                    getattr(solvers, name)(), rtol=1e-8, atol=1e-10)
        assert sol.retcode == ReturnCode.Success, sol.message
        return sol.u[-1]

    with warnings.catch_warnings():
        # a complex "one" made the real step-size ratios complex: float() of them warned every step
        warnings.simplefilter("error", np.exceptions.ComplexWarning)
        u = end(W)
        d = nm.derivative(lambda w: end(w)[0], W)
    tol = COMPLEX_TOL.get(name, 1e-7)
    assert u.dtype == np.complex128 and abs(u[0] - np.exp(1j * W * T)) < tol
    assert abs(complex(d) - 1j * T * np.exp(1j * W * T)) < 10 * tol


@pytest.mark.parametrize("name", ["Rodas5P", "Rodas4", "Rosenbrock23", "FBDF", "KenCarp4", "RadauIIA5"])
def test_a_float32_state_with_a_measurement_parameter_stays_float32(name):
    # the time derivative (float64 zeros of a float time) and the identity of W (float64 for a
    # metanum Jacobian) lifted it to float64 at the first step; u(1) = u0 e^-p, sigma = u0 e^-p s_p
    import numeric as nm
    import solvers

    u0 = np.array([1.0, 2.0], dtype=np.float32)
    s = solvers.solve(solvers.ODEProblem(lambda u, p, t: -p * u, u0, (0.0, 1.0), nm.Measurement(1.5, 0.1)),
                      getattr(solvers, name)(), rtol=1e-5, atol=1e-7)
    assert nm.value(s.u[-1]).dtype == np.float32
    np.testing.assert_allclose(nm.value(s.u[-1]), u0 * np.exp(-1.5), rtol=3e-4)
    np.testing.assert_allclose(nm.uncertainty(s.u[-1]), u0 * np.exp(-1.5) * 0.1, rtol=3e-4)
