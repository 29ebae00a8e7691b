"""Generic restarted GMRES and Jacobian-free Newton–Krylov (solvers/krylov.py)."""

import mpmath
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import numeric as nm
from solvers.krylov import gmres, newton_krylov


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 30), st.integers(0, 2 ** 32 - 1), st.integers(2, 40))
def test_gmres_matches_numpy_solve(n, seed, restart):
    rng = np.random.default_rng(seed)
    A = np.eye(n) * 4 + rng.normal(size=(n, n)) / np.sqrt(n)  # well conditioned
    b = rng.normal(size=n)
    x, info = gmres(A, b, rtol=1e-12, restart=restart, maxiter=50 * n)
    assert info.converged, info.message
    np.testing.assert_allclose(x, np.linalg.solve(A, b), rtol=1e-9, atol=1e-10)
    assert np.linalg.norm(b - A @ x) <= 1e-12 * np.linalg.norm(b) * 1.0001


def test_gmres_restart_small_and_preconditioner():
    rng = np.random.default_rng(5)
    n = 60
    d = np.linspace(1, 100, n)
    A = np.diag(d) + 0.1 * rng.normal(size=(n, n))
    b = rng.normal(size=n)
    _, plain = gmres(A, b, rtol=1e-10, restart=5, maxiter=3000)
    x, pre = gmres(A, b, rtol=1e-10, restart=5, maxiter=3000, M=lambda v: v / d)
    assert pre.converged
    np.testing.assert_allclose(x, np.linalg.solve(A, b), rtol=1e-7)
    assert pre.iterations < plain.iterations


def test_gmres_never_loops_forever():
    A = np.array([[0.0, 1.0], [-1.0, 0.0]])  # rotation: GMRES(1) stagnates
    x, info = gmres(A, np.array([1.0, 0.0]), restart=1, maxiter=100)
    assert not info.converged and info.iterations <= 100
    assert "not converged" in info.message


def test_gmres_mpf_30_digits():
    with mpmath.workdps(30):
        n = 6
        A = np.empty((n, n), dtype=object)
        for i in range(n):
            for j in range(n):
                A[i, j] = mpmath.mpf(1) / (i + j + 1) + (3 if i == j else 0)
        xs = np.array([mpmath.mpf(k + 1) / 7 for k in range(n)], dtype=object)
        b = A @ xs
        x, info = gmres(lambda v: A @ v, b, rtol=mpmath.mpf(10) ** -29)
        assert info.converged
        assert all(isinstance(e, mpmath.mpf) for e in x)
        assert max(abs(x - xs)) < mpmath.mpf(10) ** -27


def fun_inner(p, q):
    return (p * q).sum()


def test_gmres_on_periodic_funs_known_solution():
    # (I - a d^2/dx^2) u = f, periodic on [-pi, pi] (invertible: eigenvalues 1 + a k^2),
    # u = exp(sin x); GMRES in the space of Funs with their inner product
    a = 0.3
    space = nm.Fourier(-np.pi, np.pi)
    u_exact = nm.Fun(lambda x: np.exp(np.sin(x)), space)
    f = u_exact - a * u_exact.diff(2)
    u, info = gmres(lambda v: v - a * v.diff(2), f, rtol=1e-13, restart=40, inner=fun_inner)
    assert info.converged, info.message
    xs = np.linspace(-np.pi, np.pi, 41)
    np.testing.assert_allclose(u(xs), np.exp(np.sin(xs)), atol=1e-11)


def test_gmres_on_chebyshev_funs_residual():
    # On [-1, 1] without boundary conditions I - a D^2 has the near-kernel cosh(x / sqrt a),
    # so only the residual is determined: GMRES must drive it to the tolerance.
    a = 0.05
    space = nm.Chebyshev(-1, 1)
    u_exact = nm.Fun(lambda x: np.exp(x) * np.sin(2 * x), space)
    f = u_exact - a * u_exact.diff(2)
    u, info = gmres(lambda v: v - a * v.diff(2), f, rtol=1e-12, restart=40, inner=fun_inner)
    assert info.converged, info.message
    r = f - (u - a * u.diff(2))
    assert np.sqrt(fun_inner(r, r)) <= 1e-12 * np.sqrt(fun_inner(f, f)) * 1.01


def test_gmres_without_inner_for_an_unknown_type_explains():
    class Vec:  # + and scalar * but no inner product
        def __init__(self, a):
            self.a = a

        def __mul__(self, c):
            return Vec(self.a * c)

    with pytest.raises(TypeError, match="inner="):
        gmres(lambda v: v, Vec(1.0))


def test_gmres_on_funs_uses_the_protocol_inner_product_by_default():
    space = nm.Fourier(-np.pi, np.pi)
    u_exact = nm.Fun(lambda x: np.exp(np.sin(x)), space)
    f = u_exact - 0.3 * u_exact.diff(2)
    u, info = gmres(lambda v: v - 0.3 * v.diff(2), f, rtol=1e-13, restart=40)
    assert info.converged, info.message
    assert nm.norm(u - u_exact) < 1e-11


def test_newton_krylov_known_root():
    # F(u) = (u0^2 + u1^2 - 5, u0 u1 - 2): root (2, 1) from (2.5, 0.5)
    def F(u):
        return np.stack([u[0] ** 2 + u[1] ** 2 - 5.0, u[0] * u[1] - 2.0])

    u, info = newton_krylov(F, np.array([2.5, 0.5]))
    assert info.converged, info.message
    np.testing.assert_allclose(u, [2.0, 1.0], rtol=1e-12)


def test_newton_krylov_bratu_like_system():
    n = 40
    h = 1.0 / (n + 1)

    def F(u):
        lap = np.concatenate([u[1:2] * 0, u[:-1]]) - 2 * u + np.concatenate([u[1:], u[:1] * 0])
        return lap / h ** 2 + np.exp(u)

    u, info = newton_krylov(F, np.zeros(n), rtol=1e-12)
    assert info.converged, info.message
    assert np.max(np.abs(F(u))) < 1e-8
    # the lower Bratu branch at lambda = 1: max u about 0.1405 (continuum value 0.140499)
    assert abs(u.max() - 0.1405) < 2e-3


@pytest.mark.slow  # about 70 s: Fun arithmetic inside every GMRES iteration
def test_newton_krylov_on_funs():
    # u - 0.1 u'' + u^3 = g, with g built from the known solution u = cos(x)
    space = nm.Fourier(-np.pi, np.pi)
    ue = nm.Fun(lambda x: np.cos(x) + 0.3 * np.sin(2 * x), space)
    g = ue - 0.1 * ue.diff(2) + ue * ue * ue

    def F(u):
        return u - 0.1 * u.diff(2) + u * u * u - g

    def jvp(u, v):  # the hand-written J v; the default is nm.jvp at the Fun (a dual direction)
        return v - 0.1 * v.diff(2) + 3 * u * u * v

    u0 = nm.Fun(lambda x: 0 * x + 0.5, space)
    xs = np.linspace(-np.pi, np.pi, 21)
    for kw in ({"jvp": jvp}, {}):
        u, info = newton_krylov(F, u0, inner=fun_inner, rtol=1e-12, atol=1e-13, **kw)
        assert info.converged, info.message
        np.testing.assert_allclose(u(xs), np.cos(xs) + 0.3 * np.sin(2 * xs), atol=1e-9)


def test_solvers_krylov_names_no_number_type():
    import ast
    import inspect

    import solvers.krylov as K

    tree = ast.parse(inspect.getsource(K))
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            mod = getattr(node, "module", None) or node.names[0].name
            assert not mod.startswith(("numeric", "mpmath")), mod
        if isinstance(node, ast.Name):
            assert node.id not in ("isinstance", "Dual", "DualArray", "Fun", "Measurement"), node.id
