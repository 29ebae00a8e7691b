"""Calculus, arithmetic and the number protocol on Funs (float, float32, mpf, dual coefficients)."""

import math

import mpmath
import numpy as np
import pytest
from scipy.integrate import quad

import numeric as nm
from numeric import functions as F
from numeric.fun import Chebyshev, Fourier, Fun, FunConstructionError
from numeric.rules import RULES

S = Chebyshev(-1, 1)
P = Fourier(0, 2 * np.pi)
X = np.linspace(-1, 1, 101)


# -- calculus ------------------------------------------------------------------------------------


def test_sum_diff_cumsum_exact_values():
    f = Fun(np.exp, Chebyshev(0, 2))
    assert f.sum() == pytest.approx(np.e**2 - 1, rel=1e-15)
    x = np.linspace(0, 2, 9)
    np.testing.assert_allclose(f.diff()(x), np.exp(x), rtol=1e-13)
    np.testing.assert_allclose(f.diff(3)(x), np.exp(x), rtol=1e-9)  # ~ n^6 eps
    F_ = f.cumsum()
    np.testing.assert_allclose(F_(x), np.exp(x) - 1, atol=1e-14)
    np.testing.assert_allclose(F_.diff()(x), f(x), rtol=1e-13)


def test_fourier_calculus():
    f = Fun(lambda x: np.exp(np.sin(x)), P)
    x = np.linspace(0, 2 * np.pi, 17)
    np.testing.assert_allclose(f.diff()(x), np.cos(x) * np.exp(np.sin(x)), atol=1e-13)
    np.testing.assert_allclose(f.diff(2)(x), (np.cos(x) ** 2 - np.sin(x)) * np.exp(np.sin(x)),
                               atol=1e-12)
    assert f.sum() == pytest.approx(quad(lambda t: np.exp(np.sin(t)), 0, 2 * np.pi)[0], rel=1e-14)
    g = Fun(np.cos, P)
    np.testing.assert_allclose(g.cumsum()(x), np.sin(x), atol=1e-15)
    with pytest.raises(ValueError, match="not periodic"):
        f.cumsum()


def test_roots_short_and_long_series():
    f = Fun(lambda x: np.sin(20 * x), S)
    np.testing.assert_allclose(f.roots(), np.arange(-6, 7) * np.pi / 20, atol=1e-14)
    # T_150 has 150 roots cos((2k - 1) pi / 300): recursive subdivision of a 151-term series
    t150 = Fun(np.eye(151)[150], S)
    exact = np.sort(np.cos((2 * np.arange(1, 151) - 1) * np.pi / 300))
    np.testing.assert_allclose(t150.roots(), exact, atol=1e-13)
    g = Fun(lambda x: np.cos(x) - 0.5, Fourier(0, 2 * np.pi))
    np.testing.assert_allclose(g.roots(), [np.pi / 3, 5 * np.pi / 3], atol=1e-13)


def test_max_min_and_locations():
    f = Fun(lambda x: 1 - (x - 0.3) ** 2 + 0.1 * x**3, S)
    # f' = 0.3 x^2 - 2 x + 0.6 = 0 at x* = (2 - sqrt(4 - 0.72)) / 0.6
    xstar = (2 - math.sqrt(4 - 0.72)) / 0.6
    assert f.argmax() == pytest.approx(xstar, abs=1e-8)
    assert f.max() == pytest.approx(1 - (xstar - 0.3) ** 2 + 0.1 * xstar**3, abs=1e-15)
    assert f.min() == pytest.approx(1 - 1.3**2 - 0.1, abs=1e-14)
    assert f.argmin() == -1.0
    g = Fun(np.cos, P)
    assert g.min() == pytest.approx(-1, abs=1e-15) and g.argmin() == pytest.approx(np.pi, abs=1e-7)


def test_restrict_inner_and_mean():
    f = Fun(np.sin, Chebyshev(0, np.pi))
    assert f.inner(f) == pytest.approx(np.pi / 2, rel=1e-14)
    assert f.mean() == pytest.approx(2 / np.pi, rel=1e-14)
    r = f.restrict(0, np.pi / 2)
    assert r.domain == (0.0, np.pi / 2) and r.sum() == pytest.approx(1.0, rel=1e-14)
    p = Fun(np.cos, P).restrict(0, np.pi)
    assert isinstance(p.space, Chebyshev) and p.sum() == pytest.approx(0.0, abs=1e-15)
    with pytest.raises(ValueError, match="restrict"):
        f.restrict(-1, 1)


# -- arithmetic ------------------------------------------------------------------------------------


def test_issue_example_arithmetic_reapproximates():
    def h(x):
        return np.exp(np.sin(np.pi * x)) + 1 / (1 + 25 * x**2)

    f = Fun(h, S)
    g = nm.exp(f) * f.diff() - 3 * f
    fx = h(X)
    dfx = np.pi * np.cos(np.pi * X) * np.exp(np.sin(np.pi * X)) - 50 * X / (1 + 25 * X**2) ** 2
    np.testing.assert_allclose(g(X), np.exp(fx) * dfx - 3 * fx, atol=1e-11 * np.max(np.abs(dfx)))
    assert len(g) < 2 * len(f) + len(f.diff())


def test_lengths_follow_the_function():
    f = Fun(lambda x: np.sin(3 * x), S)
    assert len(f - f) == 1 and nm.norm(f - f) == 0.0
    prod = f * f
    assert len(prod) <= 2 * len(f) - 1
    np.testing.assert_allclose(prod(X), np.sin(3 * X) ** 2, atol=1e-15)
    # sin^2 + cos^2 = 1: the sum chops back to a constant
    c = Fun(lambda x: np.cos(3 * x), S)
    one = f * f + c * c
    assert len(one) == 1 and one(0.2) == pytest.approx(1.0, abs=1e-15)
    q = (f + 2) / (c + 2)
    np.testing.assert_allclose(q(X), (np.sin(3 * X) + 2) / (np.cos(3 * X) + 2), atol=1e-15)
    assert (f ** 3)(0.4) == pytest.approx(np.sin(1.2) ** 3, abs=1e-15)
    assert (2 ** f)(0.4) == pytest.approx(2 ** np.sin(1.2), abs=1e-15)


UNARY = [name for name, r in RULES.items() if r.nargs == 1]


@pytest.mark.parametrize("name", UNARY)
def test_every_elementary_function_applies(name):
    lo, hi = RULES[name].domain[0][0]
    space = Chebyshev(lo, hi)
    x = Fun(lambda t: t, space)
    f = getattr(nm, name)(x)
    pts = np.linspace(lo, hi, 33)
    exact = F.FUNCTIONS[name](pts)
    assert isinstance(f, Fun)
    np.testing.assert_allclose(f(pts), exact, atol=1e-12 * max(1.0, np.max(np.abs(exact))))


def test_numpy_ufuncs_and_object_arrays():
    f = Fun(lambda x: x, Chebyshev(0, 1))
    assert np.sin(f)(0.5) == pytest.approx(np.sin(0.5), abs=1e-15)
    arr = np.array([f, 2 * f], dtype=object)
    out = np.exp(arr)
    assert out[1](0.5) == pytest.approx(np.e, abs=1e-14)
    assert nm.arctan2(f + 1, 2.0)(0.5) == pytest.approx(np.arctan2(1.5, 2.0), abs=1e-15)


def test_abs_and_sign_need_a_constant_sign():
    f = Fun(lambda x: np.cos(x) + 2, S)
    assert abs(-f)(0.1) == pytest.approx(np.cos(0.1) + 2)
    assert nm.sign(-f)(0.3) == -1.0
    with pytest.raises(FunConstructionError, match="changes sign"):
        abs(Fun(np.sin, S))


# -- protocol ---------------------------------------------------------------------------


def test_norm_is_the_rms_over_the_interval_and_length_independent():
    f = Fun(lambda x: np.exp(x) * np.sin(5 * x), Chebyshev(0, 2))
    rms = math.sqrt(quad(lambda t: (np.exp(t) * np.sin(5 * t)) ** 2, 0, 2, epsabs=1e-14)[0] / 2)
    assert nm.norm(f) == pytest.approx(rms, rel=1e-13)
    padded = Fun(np.concatenate([f.coeffs, np.zeros(40)]), f.space)
    assert nm.norm(padded) == pytest.approx(nm.norm(f), rel=1e-14)
    g = Fun(lambda x: 3 + np.sin(x), P)
    assert nm.norm(g) == pytest.approx(math.sqrt(9 + 0.5), rel=1e-15)  # Parseval


def test_zero_one_value_eps_promote():
    f = Fun(np.exp, S)
    z, o = nm.zero(f), nm.one(f)
    assert isinstance(z, Fun) and z(0.3) == 0.0 and o(0.3) == 1.0 and z.space == f.space
    assert nm.value(f) is f and nm.eps(f) == np.finfo(float).eps
    d = nm.Dual(2.0, 1.0)
    lifted, _ = nm.promote(f, d)
    assert isinstance(lifted.coeffs, nm.DualArray)
    assert nm.value(lifted)(0.3) == pytest.approx(np.exp(0.3))
    assert not isinstance(nm.value(lifted).coeffs, nm.DualArray)


def test_information_is_never_dropped_silently_and_bad_mixes_fail():
    f = Fun(np.exp, S)
    with pytest.raises(TypeError, match="function"):
        float(f)
    with pytest.raises(TypeError, match="ambiguous"):
        bool(f)
    with pytest.raises(TypeError):
        f + np.ones(3)
    with pytest.raises(ValueError, match="different spaces"):
        f + Fun(np.exp, Chebyshev(0, 1))
    with pytest.raises(ValueError, match="outside"):
        f(2.0)


# -- dual coefficients ----------------------------------------------------------------


def test_issue_derivative_example():
    d = nm.derivative(lambda a: Fun(lambda x: np.exp(a * x), Chebyshev(0, 1)).sum(), 1.0)
    assert float(d) == pytest.approx(1.0, abs=1e-14)  # int_0^1 x e^x dx


def _family(a):
    return Fun(lambda x: np.exp(a * x) * np.sin(3 * x), Chebyshev(0, 1))


def _central(g, a, h=1e-6):
    return (g(a + h) - g(a - h)) / (2 * h)


def test_derivatives_of_functionals_against_finite_differences():
    a0 = 0.7
    for functional in (lambda f: f(0.3), lambda f: f.sum(), lambda f: f.max(),
                       lambda f: f.diff()(0.5), lambda f: (f * f).sum(), lambda f: nm.exp(f)(0.9)):
        ad = nm.derivative(lambda a: functional(_family(a)), a0)
        fd = _central(lambda a: float(functional(_family(a))), a0)
        assert float(ad) == pytest.approx(fd, rel=1e-7, abs=1e-9)


def test_root_derivative_by_implicit_function_theorem():
    # cos(a x) = 0 at x = pi / (2 a): dx/da = -pi / (2 a^2)
    d = nm.derivative(lambda a: Fun(lambda x: np.cos(a * x), Chebyshev(0, 3)).roots()[0], 1.0)
    assert float(d) == pytest.approx(-np.pi / 2, rel=1e-12)


def test_dual_scalar_times_fun_and_norm_includes_partials():
    f = Fun(np.exp, Chebyshev(0, 1))
    d = nm.derivative(lambda a: (a * f + a**2).sum(), 2.0)
    assert float(d) == pytest.approx(np.e - 1 + 4, rel=1e-14)
    g = Fun(lambda x: nm.Dual(1.0, 1.0) * np.sin(x), Chebyshev(0, np.pi))
    assert nm.norm(g) == pytest.approx(math.sqrt(2) * nm.norm(g.primal()), rel=1e-14)


def test_mpf_roots_and_max_are_polished():
    with mpmath.workdps(30):
        f = Fun(lambda x: nm.cos(x), Chebyshev(mpmath.mpf(0), mpmath.mpf(3)))
        r = f.roots()
        assert abs(r[0] - mpmath.pi / 2) < mpmath.mpf(10) ** -27
        g = Fun(lambda x: nm.sin(x), Chebyshev(mpmath.mpf(0), mpmath.mpf(3)))
        assert abs(g.max() - 1) < mpmath.mpf(10) ** -27
