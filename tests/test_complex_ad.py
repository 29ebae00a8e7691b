"""Derivatives through complex intermediates, in forward and reverse mode (numeric.complex_forms).

Before complex_forms, ``abs``, ``conj`` and ``sign`` of a complex dual used the real rules
(``d|z| = sign(z) dz``, ``conj = identity``) and reverse mode returned complex gradients for
real inputs: ``sum(abs(fft(x))**2)`` had a wrong gradient in both modes, silently. Every
reference here is an exact formula.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import numeric as nm

MODES = ("forward", "reverse")


def z_of(x):
    return x[0] + 1j * x[1]


def grad(f, x, mode):
    return np.asarray(nm.gradient(f, np.asarray(x, dtype=float), mode=mode))


@pytest.mark.parametrize("mode", MODES)
def test_abs_of_complex_gradient_and_hessian(mode):
    x, y = 0.7, -1.3
    r = np.hypot(x, y)
    g = grad(lambda v: abs(z_of(v)), [x, y], mode)
    assert not np.iscomplexobj(g)
    np.testing.assert_allclose(g, [x / r, y / r], rtol=1e-14)
    g2 = grad(lambda v: np.abs(z_of(v)), [x, y], mode)
    np.testing.assert_allclose(g2, g, rtol=1e-14)
    H = np.asarray(nm.hessian(lambda v: abs(z_of(v)), np.array([x, y]), mode=mode))
    np.testing.assert_allclose(H, np.array([[y * y, -x * y], [-x * y, x * x]]) / r ** 3, rtol=1e-12)


@pytest.mark.parametrize("mode", MODES)
def test_angle_conj_sign_real_imag(mode):
    x = np.array([0.7, -1.3, 0.4, 0.9])
    r2 = x[0] ** 2 + x[1] ** 2
    np.testing.assert_allclose(grad(lambda v: np.angle(z_of(v)), x[:2], mode),
                               [-x[1] / r2, x[0] / r2], rtol=1e-14)
    # Re(conj(a) b) = a_re b_re + a_im b_im
    f = lambda v: np.real(np.conj(v[0] + 1j * v[1]) * (v[2] + 1j * v[3]))  # noqa: E731
    np.testing.assert_allclose(grad(f, x, mode), [x[2], x[3], x[0], x[1]], rtol=1e-14)
    f = lambda v: (v[0] + 1j * v[1]).conj().real * v[2]  # noqa: E731
    np.testing.assert_allclose(grad(f, x[:3], mode), [x[2], 0.0, x[0]], atol=1e-15)
    r = np.sqrt(r2)      # Re(sign(z)) = x / r
    np.testing.assert_allclose(grad(lambda v: np.real(np.sign(z_of(v))), x[:2], mode),
                               [x[1] ** 2 / r ** 3, -x[0] * x[1] / r ** 3], rtol=1e-13)
    # Im(z^2) = 2 x y: the imaginary part's derivative, not a complex number
    np.testing.assert_allclose(grad(lambda v: np.imag(z_of(v) ** 2), x[:2], mode),
                               [2 * x[1], 2 * x[0]], rtol=1e-14)


@pytest.mark.parametrize("mode", MODES)
def test_parseval_gradient_through_fft(mode):
    # sum |fft(x)|^2 = N sum x^2, so the gradient is 2 N x (the case that was wrong in both modes)
    x = np.random.default_rng(0).normal(size=6)
    g = grad(lambda v: np.sum(np.abs(np.fft.fft(v)) ** 2), x, mode)
    np.testing.assert_allclose(g, 12 * x, rtol=1e-12)
    g = grad(lambda v: np.sum(np.real(np.fft.fft(v) * np.conj(np.fft.fft(v)))), x, mode)
    np.testing.assert_allclose(g, 12 * x, rtol=1e-12)


@pytest.mark.parametrize("mode", MODES)
def test_abs_and_sign_at_zero_have_derivative_zero(mode):
    g = grad(lambda v: abs(v[0] * (1 + 1j) - v[1]) + np.abs(np.sign(v[0] * 1j)), [0.0, 0.0], mode)
    np.testing.assert_array_equal(g, [0.0, 0.0])
    g = grad(lambda v: np.sum(np.abs(v * (1 - 2j))), [0.0, 3.0], mode)
    np.testing.assert_allclose(g, [0.0, np.sqrt(5.0)], rtol=1e-14)


def test_complex_outputs_agree_between_modes():
    x = np.array([0.3, -0.7, 1.1])
    for f, exact in ((lambda v: np.exp(1j * v), np.diag(1j * np.exp(1j * x))),
                     (lambda v: np.fft.fft(v ** 2), np.fft.fft(np.eye(3), axis=0) * 2 * x)):
        for mode in MODES:
            J = np.asarray(nm.jacobian(f, x, mode=mode))
            np.testing.assert_allclose(J, exact, rtol=1e-13, atol=1e-15)
    d = nm.derivative(lambda t: np.exp(1j * t) * t, 0.3, mode="reverse")
    assert abs(d - (1j * 0.3 + 1) * np.exp(0.3j)) < 1e-15
    # a complex input is differentiated along its real direction, in both modes (z^2 -> 2z)
    z0 = np.array([0.3 + 0.2j])
    for mode in MODES:
        np.testing.assert_allclose(nm.jacobian(lambda z: z ** 2, z0, mode=mode), [[0.6 + 0.4j]])


def test_reverse_vjp_with_complex_cotangent():
    from numeric import reverse as rv
    x = np.array([0.3, -0.7, 1.1])
    w = np.array([1.0 + 0.5j, -2.0, 0.25j])
    f = lambda v: np.fft.fft(v ** 2)  # noqa: E731
    np.testing.assert_allclose(rv.vjp(f, x, w), w @ (np.fft.fft(np.eye(3), axis=0) * 2 * x),
                               rtol=1e-13, atol=1e-15)


def test_non_holomorphic_rules_refuse_complex_values():
    with pytest.raises(TypeError, match="maximum of a complex number.*np.real"):
        nm.gradient(lambda v: np.sum(np.real(np.maximum(v + 1j * v, 0.5))), np.ones(2))
    with pytest.raises(TypeError, match="floor of a complex number"):
        nm.gradient(lambda v: np.real(nm.floor(v[0] + 1j)), np.ones(1))


def test_real_imag_conj_attributes():
    d = nm.Dual(1.0 + 2.0j, np.array([1j, 2.0]))
    assert d.real.value == 1.0 and list(d.real.partials) == [0.0, 2.0]
    assert d.imag.value == 2.0 and list(d.imag.partials) == [1.0, 0.0]
    assert d.conj().value == 1 - 2j and list(d.conj().partials) == [-1j, 2.0]
    r = nm.Dual(1.5, np.array([1.0]))
    assert r.real is r and r.imag.value == 0.0 and r.conjugate() is r
    a = nm.DualArray(np.array([1 + 1j, 2j]), np.array([[1.0], [1j]]))
    np.testing.assert_array_equal(np.conj(a).partials, [[1.0], [-1j]])


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(-3, 3, allow_nan=False), min_size=4, max_size=4))
def test_squared_modulus_gradient_property(v):
    # |z w|^2 = (x^2 + y^2)(u^2 + s^2): its gradient in closed form, in both modes
    x, y, u, s = v
    f = lambda p: np.abs((p[0] + 1j * p[1]) * (p[2] + 1j * p[3])) ** 2  # noqa: E731
    a, b = x * x + y * y, u * u + s * s
    exact = np.array([2 * x * b, 2 * y * b, 2 * u * a, 2 * s * a])
    for mode in MODES:
        np.testing.assert_allclose(grad(f, v, mode), exact, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("mode", MODES)
def test_mpf_through_complex_intermediates_keeps_30_digits(mode):
    import mpmath
    with mpmath.workdps(30):
        x = np.array([mpmath.mpf("0.7"), mpmath.mpf("-1.3")], dtype=object)
        g = nm.gradient(lambda v: abs(v[0] + 1j * v[1]), x, mode=mode)
        r = mpmath.sqrt(x[0] ** 2 + x[1] ** 2)
        assert all(isinstance(e, mpmath.mpf) for e in g)
        assert max(abs(g[0] - x[0] / r), abs(g[1] - x[1] / r)) < mpmath.mpf(10) ** -28
        g = nm.gradient(lambda v: np.imag((v[0] + 1j * v[1]) ** 2), x, mode=mode)
        assert max(abs(g[0] - 2 * x[1]), abs(g[1] - 2 * x[0])) < mpmath.mpf(10) ** -28


def test_jacobian_of_a_complex_valued_function_is_a_complex_array():
    # np.stack of complex dual scalars: the Jacobian came back as an object array (a DAE's Newton
    # matrices then took the generic object LU and its state became an object array)
    f = lambda y: np.stack([1j * y[0] + 2 * y[1], y[1] - (1 + 1j) * y[0]])  # noqa: E731
    J = nm.jacobian(f, np.array([1.0 + 0j, 2.0]))
    assert J.dtype == np.complex128
    assert np.array_equal(J, np.array([[1j, 2], [-(1 + 1j), 1]]))
    J32 = nm.jacobian(lambda y: np.stack([y[0] * 1j, y[1]]), np.array([1, 2], dtype=np.float32))
    assert J32.dtype == np.complex64
