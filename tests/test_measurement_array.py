"""MeasurementArray: vectorised propagation agrees with scalar measurements.

The reference for every array result is the same computation done element by
element with scalar ``Measurement`` s (dictionary propagation, a separate
code path), or a closed form; linear solves are checked against central
finite differences of the float solve.
"""

from __future__ import annotations

import numpy as np
import pytest

import numeric as nm
from numeric.measurement.array import MeasurementArray, dense_parts
from solvers.linalg import solve as generic_solve

M = nm.Measurement


def _scalars(values, errors):
    return [M(float(v), float(e)) for v, e in zip(values, errors)]


def _assert_same(arr, scalars):
    """Values, errors and the full covariance of *arr* equal those of *scalars*."""
    flat = np.asarray(scalars, dtype=object).reshape(-1)
    np.testing.assert_allclose(nm.value(arr).reshape(-1), nm.value(flat), rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(nm.uncertainty(arr).reshape(-1), nm.uncertainty(flat),
                               rtol=1e-13, atol=1e-16)
    np.testing.assert_allclose(nm.cov(arr), nm.cov(list(flat)), rtol=1e-12, atol=1e-16)


def test_elementwise_program_matches_scalars():
    v, e = np.linspace(0.2, 1.5, 7), np.linspace(0.01, 0.07, 7)
    x = nm.measurements(v, e)
    xs = _scalars(v, e)
    c = M(0.5, 0.05)                              # a shared, correlated parameter

    def f(a, b):
        return nm.sin(a) * nm.exp(a / 2) + a**2 / (1 + b) - nm.sqrt(a) * b

    y = f(x, c)
    _assert_same(y, [f(a, c) for a in xs])
    assert not y.diag and y.sources.size == 8
    z = nm.tanh(x) * 3 - x            # one source per element: stays in the one-source form
    assert z.diag
    _assert_same(z, [nm.tanh(a) * 3 - a for a in xs])


def test_reductions_and_block_covariance():
    n = 1000
    x = nm.measurements(1 + np.arange(n) / n, 0.01)
    y = np.sum(nm.sin(x) * nm.exp(x / 2))
    xv = 1 + np.arange(n) / n
    dy = np.cos(xv) * np.exp(xv / 2) + np.sin(xv) * np.exp(xv / 2) / 2
    assert y.val == pytest.approx(np.sum(np.sin(xv) * np.exp(xv / 2)), rel=1e-14)
    assert y.err == pytest.approx(0.01 * np.linalg.norm(dy), rel=1e-13)
    blocks = x.reshape(10, 100).sum(axis=1)
    np.testing.assert_allclose(nm.cov(blocks), np.eye(10) * 100 * 1e-4, rtol=1e-13, atol=1e-18)
    mean = np.mean(x.reshape(10, 100), axis=0)
    np.testing.assert_allclose(nm.uncertainty(mean), np.full(100, 0.01 / np.sqrt(10)), rtol=1e-13)


def test_sum_of_repeated_sources_and_exact_elements():
    a = M(2.0, 0.1)
    x = nm.measurements([1.0, 2.0], 0.2)
    arr = np.concatenate([x, np.array([5.0]), x[:1]])           # x[0] appears twice
    s = np.sum(arr * a)
    ref = (x[0] * a + x[1] * a + 5.0 * a + x[0] * a)
    assert s.val == pytest.approx(ref.val) and s.err == pytest.approx(ref.err, rel=1e-14)


def test_structural_functions_keep_correlations():
    x = nm.measurements(np.arange(1.0, 7.0).reshape(2, 3), 0.1)
    xf = x.reshape(-1)
    for r in (x.T, np.transpose(x), x.reshape(3, 2), np.flip(x, 0), np.roll(x, 1),
              np.concatenate([x, x]), np.stack([x, x + 10]), x[:, ::-1], x[..., None],
              np.moveaxis(x, 0, 1), np.squeeze(x[None]), np.broadcast_to(x, (2, 2, 3))):
        flat = np.ravel(r)
        vals = nm.value(flat)
        assert flat.size == vals.size and nm.uncertainty(flat).max() == pytest.approx(0.1)
        # every element is exactly the input element it came from (no new sources)
        for k in range(flat.size):
            v = int(round(vals[k]))
            ref = xf[v - 1] if v <= 6 else xf[v - 11] + 10
            assert (flat[k] - ref).err == 0.0


def test_matmul_and_solve_against_finite_differences():
    rng = np.random.default_rng(3)
    A0 = np.array([[4.0, 1.0, 0.5], [1.0, 3.0, 0.2], [0.5, 0.2, 2.0]])
    b0 = np.array([1.0, 2.0, 3.0])
    sA, sb = 0.01 * rng.random((3, 3)), 0.02 * rng.random(3)
    A, b = nm.measurements(A0, sA), nm.measurements(b0, sb)
    x = np.linalg.solve(A, b)
    # finite-difference Jacobian of the float solve with respect to (A, b)
    p0 = np.concatenate([A0.ravel(), b0])
    h = 1e-6
    Jfd = np.empty((3, 12))
    for k in range(12):
        dp = np.zeros(12)
        dp[k] = h
        f = lambda p: np.linalg.solve(p[:9].reshape(3, 3), p[9:])  # noqa: E731
        Jfd[:, k] = (f(p0 + dp) - f(p0 - dp)) / (2 * h)
    S = np.diag(np.concatenate([sA.ravel(), sb]) ** 2)
    np.testing.assert_allclose(nm.value(x), np.linalg.solve(A0, b0), rtol=1e-14)
    np.testing.assert_allclose(nm.cov(x), Jfd @ S @ Jfd.T, rtol=1e-6, atol=1e-14)
    # the generic LU of solvers/linalg.py on object arrays of scalar measurements agrees
    Aobj = np.array([[A[i, j] for j in range(3)] for i in range(3)], dtype=object)
    bobj = np.array([b[i] for i in range(3)], dtype=object)
    xg = generic_solve(Aobj, bobj)
    np.testing.assert_allclose(nm.cov(list(xg)), nm.cov(x), rtol=1e-12, atol=1e-18)
    # and solvers.linalg.solve passes a MeasurementArray to its own np.linalg.solve
    np.testing.assert_allclose(nm.cov(generic_solve(A, b)), nm.cov(x), rtol=1e-14)
    y = A @ b
    np.testing.assert_allclose(nm.cov(y), nm.cov(list(Aobj @ bobj)), rtol=1e-12)


def test_scalar_and_array_mixing_and_indexing():
    x = nm.measurements([1.0, 2.0, 3.0], [0.1, 0.2, 0.3])
    assert isinstance(x[1], M) and x[1].err == pytest.approx(0.2)
    assert (x[1] - x[1]).err == 0.0 and (x - x[0])[0].err == 0.0
    y = np.stack([x[0], x[2]])
    assert isinstance(y, MeasurementArray) and nm.cov(y)[0, 1] == 0.0
    z = x.copy()
    z[0] = x[1] * 2                 # correlated assignment
    assert (z[0] - 2 * x[1]).err < 1e-16 and x[0].err == pytest.approx(0.1)
    z[1] = 7.0
    assert z[1].err == 0.0 and z[1].val == 7.0
    w = nm.where(nm.value(x) > 1.5, x, -x)
    np.testing.assert_allclose(nm.value(w), [-1.0, 2.0, 3.0])
    assert (w[0] + x[0]).err == 0.0


def test_packing_and_equality_policy():
    a, b = M(1.0, 0.1), M(2.0, 0.2)
    u = nm.measurements([a + b, a - b, 3.0])
    np.testing.assert_allclose(nm.cov(u)[:2, :2], [[0.05, -0.03], [-0.03, 0.05]], rtol=1e-14)
    np.testing.assert_array_equal(u == u * 1.0, [True, True, True])   # a new array, the same components
    np.testing.assert_array_equal(u == nm.measurements([1.0, 1.0, 1.0], 0.1), [False] * 3)
    np.testing.assert_array_equal(u < 2.5, [False, True, False])


def test_float_conversion_raises_and_norm_includes_the_uncertainty():
    x = nm.measurements([3.0, 4.0], 1.0)
    with pytest.raises(TypeError, match="nm.value"):
        np.asarray(x, dtype=float)
    with pytest.raises(TypeError, match="nm.value"):
        float(x[0])
    assert nm.norm(x) == pytest.approx(np.sqrt((9 + 1 + 16 + 1) / 2))   # RMS of hypot(v, err)
    with pytest.raises(TypeError, match="uncertaint"):
        np.allclose(x, x * 1.0)


def test_float32_arrays_and_mpf_arrays(mp30):
    import mpmath

    x = nm.measurements(np.array([1.0, 2.0], dtype=np.float32), 0.1)
    y = nm.exp(x) * 2
    assert y.val.dtype == np.float32 and y.err.dtype == np.float32
    v = np.array([mpmath.mpf(1), mpmath.mpf(2)], dtype=object)
    z = nm.sqrt(nm.measurements(v, mpmath.mpf("0.1")))
    assert isinstance(z.err[1], mpmath.mpf)
    assert abs(z.err[1] - mpmath.mpf("0.1") / (2 * mpmath.sqrt(2))) < mpmath.mpf(10) ** -28
    s = np.sum(z)
    assert abs(s.err - mpmath.mpf("0.1") * mpmath.sqrt(mpmath.mpf(1) / 4 + mpmath.mpf(1) / 8)) \
        < mpmath.mpf(10) ** -28


def test_dense_constructor_validates():
    with pytest.raises(ValueError, match="shape"):
        MeasurementArray(np.zeros(3), np.zeros((3, 2)), [1])
    with pytest.raises(ValueError, match="distinct"):
        MeasurementArray(np.zeros(2), np.zeros((2, 2)), [5, 5])
    m = MeasurementArray(np.zeros(2), np.array([[1.0, 0.0], [0.0, 2.0]]), [9, 4])
    _, J, src = dense_parts(m)
    np.testing.assert_array_equal(src, [4, 9]) and np.testing.assert_array_equal(J[1], [2.0, 0])
    with pytest.raises(ValueError, match="errors"):
        nm.measurements([1.0, 2.0], [-0.1, 0.1])
