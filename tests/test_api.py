"""The differentiation API: derivative, gradient, jacobian, hessian, jvp.

Chunk sizes 1, 2 and the default on float64, float32 (dtype preserved),
object arrays of mpf and scalars, all checked against mpmath references;
consistency identities between the entry points (jvp == J @ v, gradient ==
jacobian of a scalar function, hessian == jacobian of gradient, symmetric).
"""

import math

import mpmath
import numpy as np
import pytest
from hypothesis import given, settings

import numeric as nm
from numeric.strategies import expressions
from numeric.testing import check_derivatives, reference_derivative

CHUNKS = [1, 2, None]


def rosenbrock(x):
    return np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def vector_field(x):
    # R^4 -> R^3, mixing every kind of operation
    return np.stack([nm.exp(x[0]) * nm.sin(x[1]), x[2] * x[3] / (1 + x[0] ** 2),
                     np.sum(nm.log1p(x * x)) + nm.arctan2(x[1], x[3])])


X4 = np.array([0.3, -0.8, 1.2, 0.6])


def _ref(f, x, order=1):
    return reference_derivative(f, x, order=order).astype(float)


# -- scalars ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("x, kind", [(0.7, float), (2, float), (np.float64(0.7), np.float64),
                                     (np.float32(0.7), np.float32)])
def test_derivative_and_second_derivative_of_scalars(x, kind):
    f = lambda t: nm.exp(t) * nm.sin(t) / (1 + t * t)  # noqa: E731
    d, h = nm.derivative(f, x), nm.hessian(f, x)
    assert type(d) is kind and type(h) is kind
    rtol = 1e-6 if kind is np.float32 else 1e-14
    assert math.isclose(d, float(reference_derivative(f, float(x))), rel_tol=rtol)
    assert math.isclose(h, float(reference_derivative(f, float(x), order=2)), rel_tol=rtol)


def test_scalar_mpf():
    with mpmath.workdps(30):
        x = mpmath.mpf("0.7")
        f = lambda t: nm.exp(t) * nm.erf(t)  # noqa: E731
        d, h = nm.derivative(f, x), nm.hessian(f, x)
        assert isinstance(d, mpmath.mpf) and isinstance(h, mpmath.mpf)
        assert abs(d - mpmath.diff(f, x)) < mpmath.mpf(10) ** -27
        assert abs(h - mpmath.diff(f, x, 2)) < mpmath.mpf(10) ** -26


def test_derivative_of_array_valued_function():
    d = nm.derivative(lambda t: np.array([1.0, 2.0, 3.0]) * t**2, 1.5)
    np.testing.assert_array_equal(d, [3.0, 6.0, 9.0])
    d32 = nm.derivative(lambda t: np.array([1.0, 2.0], dtype=np.float32) * t, np.float32(2.0))
    assert d32.dtype == np.float32


def test_derivative_of_a_constant_is_zero_of_the_right_type():
    assert nm.derivative(lambda t: 3.0, 1.0) == 0.0
    np.testing.assert_array_equal(nm.derivative(lambda t: np.ones(2), 1.0), [0.0, 0.0])
    z = nm.derivative(lambda t: np.ones(2, dtype=np.float32), np.float32(1.0))
    assert z.dtype == np.float32


def test_gradient_and_jacobian_of_scalar_input_fall_back_to_derivative():
    assert nm.gradient(lambda t: t**3, 2.0) == 12.0
    assert nm.jacobian(lambda t: t**3, 2.0) == 12.0
    assert nm.jvp(lambda t: t**3, 2.0, 0.5) == 6.0


# -- arrays, chunked -------------------------------------------------------------------------------


@pytest.mark.parametrize("chunk", CHUNKS)
def test_gradient_float64(chunk):
    x = np.array([-1.2, 1.0, 0.5, 0.8, 1.5])
    g = nm.gradient(rosenbrock, x, chunk=chunk)
    assert g.shape == x.shape and g.dtype == np.float64
    np.testing.assert_allclose(g, _ref(rosenbrock, x), rtol=1e-13)


@pytest.mark.parametrize("chunk", CHUNKS)
def test_jacobian_float64(chunk):
    J = nm.jacobian(vector_field, X4, chunk=chunk)
    assert J.shape == (3, 4)
    np.testing.assert_allclose(J, _ref(vector_field, X4), rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("chunk", CHUNKS)
def test_hessian_float64(chunk):
    x = np.array([-1.2, 1.0, 0.5])
    H = nm.hessian(rosenbrock, x, chunk=chunk)
    np.testing.assert_allclose(H, _ref(rosenbrock, x, order=2), rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(H, H.T)


@pytest.mark.parametrize("chunk", CHUNKS)
def test_float32_is_preserved(chunk):
    x = X4.astype(np.float32)
    J = nm.jacobian(vector_field, x, chunk=chunk)
    g = nm.gradient(lambda v: np.sum(vector_field(v)), x, chunk=chunk)
    H = nm.hessian(lambda v: np.sum(vector_field(v)), x, chunk=chunk)
    v = nm.jvp(vector_field, x, np.ones(4, dtype=np.float32))
    assert J.dtype == g.dtype == H.dtype == v.dtype == np.float32
    check_derivatives(vector_field, x, rtol=1e-5, complex_step=False)
    np.testing.assert_allclose(H, _ref(lambda v: np.sum(vector_field(v)), x, order=2),
                               rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("chunk", CHUNKS)
def test_object_arrays_of_mpf(chunk):
    with mpmath.workdps(30):
        x = np.array([mpmath.mpf(str(e)) for e in X4], dtype=object)
        J = nm.jacobian(vector_field, x, chunk=chunk)
        assert J.shape == (3, 4) and all(isinstance(e, mpmath.mpf) for e in J.flat)
        ref = reference_derivative(vector_field, x)
        assert max(abs(a - b) for a, b in zip(J.flat, ref.flat)) < mpmath.mpf(10) ** -26
        f = lambda v: np.sum(vector_field(v))  # noqa: E731
        H = nm.hessian(f, x, chunk=chunk)
        assert all(isinstance(e, mpmath.mpf) for e in H.flat)
        ref2 = reference_derivative(f, x, order=2)
        assert max(abs(a - b) for a, b in zip(H.flat, ref2.flat)) < mpmath.mpf(10) ** -24


def test_matrix_input_and_output_shapes():
    X = np.arange(1.0, 7.0).reshape(2, 3)
    J = nm.jacobian(lambda A: A.T @ A, X, chunk=4)
    assert J.shape == (3, 3, 2, 3)
    np.testing.assert_allclose(J, _ref(lambda A: A.T @ A, X), rtol=1e-14, atol=1e-14)
    g = nm.gradient(lambda A: np.sum(A**3), X, chunk=5)
    np.testing.assert_allclose(g, 3 * X**2, rtol=1e-15)


def test_integer_and_list_inputs_become_float():
    g = nm.gradient(lambda v: np.sum(v * v), np.array([1, 2, 3]))
    assert g.dtype == np.float64
    np.testing.assert_array_equal(g, [2.0, 4.0, 6.0])
    np.testing.assert_array_equal(nm.gradient(lambda v: np.sum(v * v), [1.0, 2.0]), [2.0, 4.0])


def test_chunk_larger_than_input_and_empty_input():
    g = nm.gradient(rosenbrock, np.array([0.5, 0.5]), chunk=100)
    np.testing.assert_allclose(g, _ref(rosenbrock, np.array([0.5, 0.5])), rtol=1e-14)


# -- consistency identities ------------------------------------------------------------------------


@settings(max_examples=20)
@given(expressions(nvars=3, max_depth=3))
def test_jvp_equals_jacobian_times_v(e):
    x = np.array(e.point)

    def f(w):
        a = e(w[0], w[1], w[2])
        return np.stack([a, a * w[0], w[2] + 0 * a])

    J = nm.jacobian(f, x)
    for v in (np.array([1.0, 0.0, 0.0]), np.array([0.3, -1.2, 2.0])):
        np.testing.assert_allclose(nm.jvp(f, x, v), J @ v, rtol=1e-12, atol=1e-12)
    g = nm.gradient(lambda w: e(w[0], w[1], w[2]), x)
    np.testing.assert_allclose(g, J[0], rtol=1e-14, atol=1e-14)
    for c in (1, 2):
        np.testing.assert_allclose(nm.jacobian(f, x, chunk=c), J, rtol=1e-14, atol=1e-14)


@settings(max_examples=15)
@given(expressions(nvars=2, max_depth=3))
def test_hessian_is_jacobian_of_gradient_and_symmetric(e):
    x = np.array(e.point)
    f = lambda w: e(w[0], w[1])  # noqa: E731
    H = nm.hessian(f, x)
    JG = nm.jacobian(lambda w: nm.gradient(f, w), x)
    np.testing.assert_allclose(H, JG, rtol=1e-14, atol=1e-14)
    np.testing.assert_allclose(H, H.T, rtol=1e-10, atol=1e-10)
    check_derivatives(f, x, order=2, rtol=1e-7, complex_step=e.complex_step)


def test_directional_derivative_in_float32_and_mpf():
    v32 = nm.jvp(lambda w: nm.sin(w) * w, np.array([0.5, 1.0], np.float32), np.ones(2, np.float32))
    assert v32.dtype == np.float32
    with mpmath.workdps(30):
        x = np.array([mpmath.mpf("0.5"), mpmath.mpf(1)], dtype=object)
        v = np.array([mpmath.mpf(1), mpmath.mpf(2)], dtype=object)
        out = nm.jvp(lambda w: nm.sin(w) * w, x, v)
        ref = [(mpmath.sin(a) + a * mpmath.cos(a)) * b for a, b in zip(x, v)]
        assert all(abs(o - r) < mpmath.mpf(10) ** -28 for o, r in zip(out, ref))


def test_unknown_mode_is_an_error():
    for call in (lambda: nm.derivative(nm.sin, 1.0, mode="sideways"),
                 lambda: nm.gradient(rosenbrock, X4, mode="sideways"),
                 lambda: nm.jacobian(vector_field, X4, mode="sideways")):
        with pytest.raises(ValueError, match="mode must be one of"):
            call()


def test_reverse_over_forward_hessian_matches_forward_over_forward():
    # products of DualArrays whose partials are tracked arrays (reverse over forward)
    f = lambda x: np.sum(x**2 * np.sin(x)) + x[0] * x[1]  # noqa: E731
    x = np.array([0.3, 0.7, 1.1])
    H_fwd = nm.hessian(f, x)
    H_rev = nm.hessian(f, x, mode="reverse")
    exact = np.diag(2 * np.sin(x) + 4 * x * np.cos(x) - x**2 * np.sin(x))
    exact[0, 1] = exact[1, 0] = 1.0
    np.testing.assert_allclose(H_fwd, exact, rtol=1e-13, atol=1e-14)
    np.testing.assert_allclose(H_rev, exact, rtol=1e-13, atol=1e-14)
