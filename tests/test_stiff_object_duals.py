"""Derivatives through the stiff methods when a dual's values are objects (mpf, a tape's numbers).

Before, a dual parameter of an mpf solve through Rodas5P, KenCarp4 or Rosenbrock23 and a
reverse-over-forward Hessian (``nm.hessian(..., mode="reverse")``) through any stiff method ended
in NumPy's "Cannot cast ufunc 'solve1' input 0 from dtype('O')": the iteration matrix was a
DualArray of objects, which NumPy's solve does not take. Its value is now factorised by the
generic LU (solvers/ode/stiff/linsolve.py, "object-linear"), an object right-hand side is split
by the matrix's type first (otherwise a state of the same tag nested inside itself), and an
array number meeting an object matrix is solved element by element.
"""

import mpmath
import numpy as np
import pytest

import numeric as nm
import solvers

STIFF = ["Rodas5P", "Rosenbrock23", "KenCarp4", "FBDF", "RadauIIA5"]


def mpf_decay_end(k, name):
    """u(1) of u' = -k u, u(0) = 1 in 30-digit numbers: exp(-k)."""
    prob = solvers.ODEProblem(lambda u, p, t: -p * u, np.array([mpmath.mpf(1)], dtype=object),
                              (mpmath.mpf(0), mpmath.mpf(1)), k)
    return solvers.solve(prob, getattr(solvers, name)(), rtol=mpmath.mpf("1e-12"),
                         atol=mpmath.mpf("1e-14")).u[-1][0]


@pytest.mark.parametrize("name", STIFF)
def test_derivative_of_an_mpf_solve(name, mp30):
    # d/dk exp(-k) = -exp(-k); the result is an mpf, no perturbation left in it
    d = nm.derivative(lambda k: mpf_decay_end(k, name), mpmath.mpf("0.5"))
    assert isinstance(d, mpmath.mpf)
    tol = 1e-6 if name == "Rosenbrock23" else 1e-9      # a third-order method at rtol 1e-12
    assert abs(d + mpmath.exp(-0.5)) < tol * mpmath.exp(-0.5)


@pytest.mark.parametrize("name", ["Rodas5P", "KenCarp4"])
def test_second_derivative_of_an_mpf_solve(name, mp30):
    # a dual of a dual of mpf: the iteration matrix's value is factorised innermost, layer by layer
    d2 = nm.derivative(lambda q: nm.derivative(lambda k: mpf_decay_end(k, name), q), mpmath.mpf("0.5"))
    assert isinstance(d2, mpmath.mpf)
    assert abs(d2 - mpmath.exp(-0.5)) < 1e-9 * mpmath.exp(-0.5)


@pytest.mark.parametrize("name", STIFF)
def test_reverse_over_forward_hessian_through_a_stiff_solve(name):
    # u(T) = exp(-a b T): the Hessian in (a, b) in closed form
    T, x = 1.5, np.array([0.7, 1.3])

    def end(k):
        prob = solvers.ODEProblem(lambda u, p, t: -p[0] * u * p[1], np.array([1.0]), (0.0, T), k)
        return solvers.solve(prob, getattr(solvers, name)(), rtol=1e-10, atol=1e-12).u[-1][0]

    a, b = x
    e = np.exp(-a * b * T)
    cross = (a * b * T * T - T) * e
    exact = np.array([[(b * T) ** 2 * e, cross], [cross, (a * T) ** 2 * e]])
    H = nm.hessian(end, x, mode="reverse")
    np.testing.assert_allclose(H, exact, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(H, nm.hessian(end, x), rtol=1e-6, atol=1e-9)


N12 = 12
_X = np.linspace(0.0, 1.0, N12 + 2)[1:-1]
_A = (np.diag(-2 * np.ones(N12)) + np.diag(np.ones(N12 - 1), 1) + np.diag(np.ones(N12 - 1), -1)) / (_X[1] - _X[0]) ** 2


@pytest.mark.parametrize("name", ["Rodas5P", "Rodas4", "RadauIIA5"])
@pytest.mark.parametrize("coupling", ["mean", "max"])
def test_reverse_mode_through_a_tape_valued_iteration_matrix_equals_forward_mode(name, coupling):
    # f couples the state through np.mean / np.max: the reverse tape's Jacobian is an object array of
    # tracked scalars, and its solve met the tape's array right-hand side: "np.asarray() of a
    # TrackedArray would drop its derivative" (Rodas5P, Rodas4). The modes take different steps (a
    # dual's error norm includes its partials), so they agree to the solves' accuracy, not rounding.
    g = {"mean": np.mean, "max": np.max}[coupling]

    def loss(D):
        prob = solvers.ODEProblem(lambda u, p, t: p * (_A @ u) - 0.1 * g(u) * u, np.sin(np.pi * _X), (0.0, 0.1), D[0])
        return np.sum(solvers.solve(prob, getattr(solvers, name)(), rtol=1e-9, atol=1e-11).u[-1])

    D = np.array([0.05])
    np.testing.assert_allclose(nm.gradient(loss, D, mode="reverse"), nm.gradient(loss, D), rtol=1e-9)
