"""Generic dense linear solve: floats (LAPACK), mpf and duals (LU with partial pivoting)."""

from __future__ import annotations

import mpmath
import numpy as np
import pytest

import numeric as nm
from solvers.linalg import LinAlgError, lu_factor, lu_solve, solve


def _random(n, k=None, seed=0):
    rng = np.random.default_rng(seed)
    A = rng.normal(size=(n, n)) + n * np.eye(n) * 0.1
    b = rng.normal(size=(n,) if k is None else (n, k))
    return A, b


@pytest.mark.parametrize("k", [None, 3])
def test_float_and_object_paths_agree(k):
    A, b = _random(6, k)
    x = solve(A, b)
    assert np.allclose(A @ x, b)
    xo = solve(A.astype(object), b.astype(object))
    assert xo.dtype == object
    assert np.allclose(xo.astype(float), x, rtol=1e-12, atol=1e-12)


def test_pivoting_is_needed_and_done():
    A = np.array([[0.0, 1.0], [1.0, 1.0]], dtype=object)
    x = solve(A, np.array([1.0, 2.0], dtype=object))
    assert list(x) == [1.0, 1.0]


def test_mpf_hilbert_40_digits():
    with mpmath.workdps(40):
        n = 6
        A = np.array([[mpmath.mpf(1) / (i + j + 1) for j in range(n)] for i in range(n)], dtype=object)
        xtrue = np.array([mpmath.mpf(i + 1) for i in range(n)], dtype=object)
        x = solve(A, A @ xtrue)
        # cond(H6) ~ 1.5e7: 40 digits leave ~32 correct ones
        assert max(abs(e) for e in x - xtrue) < mpmath.mpf(10) ** -30


def test_singular_matrix_raises():
    with pytest.raises(LinAlgError, match="singular"):
        solve(np.array([[1, 2], [2, 4]], dtype=object), np.array([1, 1], dtype=object))
    with pytest.raises(LinAlgError):
        lu_factor(np.ones((2, 3), dtype=object))


def test_factor_once_solve_many():
    A, _ = _random(5)
    lu = lu_factor(A.astype(object))
    for seed in range(3):
        b = np.random.default_rng(seed).normal(size=5)
        assert np.allclose(lu_solve(lu, b.astype(object)).astype(float), np.linalg.solve(A, b))


def test_dual_entries_give_the_derivative_of_the_solution():
    # d/dp of A(p)^-1 b = -A^-1 (dA/dp) A^-1 b
    A0, b = _random(4, seed=3)
    E = np.zeros((4, 4))
    E[1, 2] = 1.0

    def x0(p):
        A = A0.astype(object)
        A[1, 2] = A[1, 2] + p
        return solve(A, b.astype(object))[0]

    d = nm.derivative(x0, 0.0)
    xs = np.linalg.solve(A0, b)
    expected = -np.linalg.solve(A0, E @ xs)[0]
    assert abs(nm.value(d) - expected) < 1e-12
