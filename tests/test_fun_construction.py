"""Adaptive construction of Funs: lengths, accuracy, number types, error paths."""

import warnings

import mpmath
import numpy as np
import pytest
from scipy.special import iv

import numeric as nm
from numeric.fun import Chebyshev, Fourier, Fun, FunConstructionError, FunConstructionWarning
from numeric.fun import chebyshev as ch
from numeric.fun.chop import standard_chop

S = Chebyshev(-1, 1)

# name, function, Chebfun-algorithm length on [-1, 1]. The reference lengths were
# measured with chebpy 0.11 (PyPI `chebfun`, a port of Chebfun's standardChop
# construction); the live comparison below re-measures them when chebpy is present.
STANDARD = [
    ("exp", np.exp, 15),
    ("runge", lambda x: 1 / (1 + 25 * x**2), 185),
    ("sin20", lambda x: np.sin(20 * x), 50),
    ("pb_fun_c1", lambda x: np.exp(np.sin(np.pi * x)) + 1 / (1 + 25 * x**2), 177),
    ("near_pole", lambda x: 1 / (1.05 - x), None),
    ("tanh_front", lambda x: np.tanh(20 * x), None),
    ("cos_cheb", lambda x: np.cos(100 * np.arccos(np.clip(x, -1, 1))), None),
]


@pytest.mark.parametrize("name,f,ref", STANDARD, ids=[s[0] for s in STANDARD])
def test_standard_functions_are_resolved_to_machine_precision(name, f, ref):
    fun = Fun(f, S)
    x = np.linspace(-1, 1, 2001)
    exact = f(x)
    scale = np.max(np.abs(exact))
    # cos(100 arccos x) is itself evaluated with error ~ |f'| eps = 1e4 eps near x = +-1
    atol = (1e-12 if name == "cos_cheb" else 1e-14) * scale
    assert np.max(np.abs(fun(x) - exact)) < atol
    if ref is not None:
        assert abs(len(fun) - ref) <= max(4, 0.05 * ref), (len(fun), ref)


def test_lengths_match_chebpy_live():
    chebpy = pytest.importorskip("chebpy", reason="chebpy (PyPI package chebfun) not installed")
    for name, f, _ in STANDARD:
        if name == "cos_cheb":  # chebpy has no sample test: T_100 aliases to T_4 on 17 points
            continue
        theirs = sum(p.size for p in chebpy.chebfun(f, [-1, 1]).funs)
        ours = len(Fun(f, S))
        assert abs(ours - theirs) <= max(4, 0.05 * theirs), (name, ours, theirs)


def test_near_singularity_needs_more_coefficients_as_pole_approaches():
    lengths = [len(Fun(lambda x, d=d: 1 / (1 + d - x), S)) for d in (1.0, 0.1, 0.01)]
    assert lengths[0] < lengths[1] < lengths[2]
    # Chebyshev coefficients of 1/(1 + d - x) decay like rho^-k with rho = 1 + d + sqrt(d^2 + 2d):
    # the length is about log(1/eps) / log(rho)
    rho = 1.01 + np.sqrt(0.01**2 + 0.02)
    predicted = np.log(1 / np.finfo(float).eps) / np.log(rho)
    assert 0.8 * predicted < lengths[2] < 1.3 * predicted


def test_polynomials_are_exact_and_short():
    f = Fun(lambda x: 3 * x**3 - x + 2, S)
    assert len(f) == 4
    np.testing.assert_allclose(f.coeffs, [2, 1.25, 0, 0.75], atol=1e-14)  # 3x^3 = (9 T1 + 3 T3)/4


def test_constant_and_scalar_returning_callables():
    f = Fun(lambda x: 2.5, S)
    assert len(f) == 1 and f(0.3) == 2.5


def test_fixed_length_construction():
    f = Fun(np.exp, Chebyshev(0, 1), 8)
    assert len(f) == 8
    assert 1e-9 < abs(f(0.3) - np.exp(0.3)) < 1e-5  # degree 7: not machine precision
    with pytest.raises(ValueError, match="odd"):
        Fun(np.cos, Fourier(0, 2 * np.pi), 8)


def test_coefficient_construction_and_from_values():
    f = Fun([1.0, 0.0, 2.0], S)   # 1 + 2 T_2 = 4x^2 - 1
    assert f(0.5) == pytest.approx(0.0, abs=1e-15)
    g = Fun.from_values(S.points(5) ** 2, S)
    assert g(0.3) == pytest.approx(0.09, abs=1e-15)
    with pytest.raises(ValueError, match="odd length"):
        Fun([1.0, 2.0], Fourier(0, 1))


# -- Fourier ---------------------------------------------------------------------------------


def test_fourier_exact_trigonometric_polynomial():
    f = Fun(lambda x: np.cos(3 * x) - 2 * np.sin(x), Fourier(0, 2 * np.pi))
    assert len(f) == 7
    np.testing.assert_allclose(f.coeffs, [0, 0, -2, 0, 0, 1, 0], atol=1e-14)


def test_fourier_coefficients_of_exp_cos_are_bessel_values():
    f = Fun(lambda x: np.exp(np.cos(x)), Fourier(0, 2 * np.pi))
    m = (len(f) - 1) // 2
    assert f.coeffs[0] == pytest.approx(iv(0, 1.0), rel=1e-14)
    np.testing.assert_allclose(f.coeffs[1::2], 2 * iv(np.arange(1, m + 1), 1.0), atol=2e-16)
    np.testing.assert_allclose(f.coeffs[2::2], 0, atol=1e-15)
    # I_k(1) ~ 1/(2^k k!) reaches 1e-16 near k = 14: about 2 * 14 + 1 coefficients
    assert 25 <= len(f) <= 33


def test_fourier_on_a_shifted_period():
    f = Fun(lambda x: np.sin(2 * np.pi * x), Fourier(1, 2))
    x = np.linspace(1, 2, 11)
    np.testing.assert_allclose(f(x), np.sin(2 * np.pi * x), atol=1e-14)
    assert f(2.25) == pytest.approx(1.0)  # periodic evaluation


# -- number types ----------------------------------------------------------------------------------


def test_float32_construction_stays_float32_and_is_shorter():
    f32 = Fun(np.exp, Chebyshev(0, 1), dtype=np.float32)
    f64 = Fun(np.exp, Chebyshev(0, 1))
    assert f32.coeffs.dtype == np.float32 and len(f32) < len(f64)
    assert (f32 * f32 + 1).coeffs.dtype == np.float32
    assert nm.eps(f32) == np.finfo(np.float32).eps
    assert abs(float(f32.sum()) - (np.e - 1)) < 1e-6


def test_mpf_construction_at_30_digits():
    with mpmath.workdps(30):
        f = Fun(lambda x: nm.exp(x), Chebyshev(mpmath.mpf(0), mpmath.mpf(1)))
        assert f.coeffs.dtype == object and isinstance(f.coeffs[0], mpmath.mpf)
        assert abs(f.sum() - (mpmath.e - 1)) < mpmath.mpf(10) ** -28
        assert abs(f(mpmath.mpf("0.3")) - mpmath.exp(mpmath.mpf("0.3"))) < mpmath.mpf(10) ** -28
        assert len(f) > len(Fun(np.exp, Chebyshev(0, 1)))


def test_mpf_fourier_matches_bessel():
    with mpmath.workdps(25):
        f = Fun(lambda x: nm.exp(nm.cos(x)), Fourier(0, 2 * mpmath.pi))
        assert abs(f.coeffs[0] - mpmath.besseli(0, 1)) < mpmath.mpf(10) ** -23
        assert abs(f.coeffs[3] - 2 * mpmath.besseli(2, 1)) < mpmath.mpf(10) ** -23


# -- error paths ------------------------------------------------------------------------


@pytest.mark.parametrize("f,cause", [
    (lambda x: np.abs(x - 0.1), "kink"),
    (lambda x: np.sign(x - 0.1), "jump"),
    (lambda x: np.random.default_rng(0).standard_normal(x.shape), "do not decay"),
])
def test_non_smooth_input_raises_with_the_cause(f, cause):
    with pytest.raises(FunConstructionError, match=cause):
        Fun(f, S, maxlength=2**12 + 1)


def test_nan_producing_input_raises():
    with np.errstate(invalid="ignore"):
        with pytest.raises(FunConstructionError, match="non-finite"):
            Fun(lambda x: np.sqrt(x), S)


def test_maxlength_reached_raises_or_warns():
    with pytest.raises(FunConstructionError, match="maximum length 257"):
        Fun(lambda x: np.sin(500 * x), S, maxlength=257)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        f = Fun(lambda x: np.sin(500 * x), S, maxlength=257, on_unresolved="warn")
    assert len(f) == 257 and any(issubclass(e.category, FunConstructionWarning) for e in w)


def test_bad_arguments_have_clear_errors():
    with pytest.raises(TypeError, match="Chebyshev"):
        Fun(np.exp, (-1, 1))
    with pytest.raises(ValueError, match="a < b"):
        Chebyshev(1, 0)
    with pytest.raises(ValueError, match="elementwise"):
        Fun(lambda x: np.ones(3), S)


# -- standard_chop --------------------------------------------------------------------------------


def test_standard_chop_basic_cases():
    assert standard_chop(np.ones(10), 1e-16) == 10            # too short to judge
    assert standard_chop(np.zeros(30), 1e-16) == 1            # zero function
    assert standard_chop(np.ones(100), 1e-16) == 100          # no decay: not resolved
    c = 10.0 ** -np.arange(40.0)
    k = standard_chop(c, 1e-16)
    assert 15 <= k <= 20 and c[k - 1] >= 1e-20


def test_standard_chop_agrees_with_chebpy():
    chebpy_alg = pytest.importorskip("chebpy.algorithms",
                                     reason="chebpy (PyPI package chebfun) not installed")
    rng = np.random.default_rng(3)
    agree = 0
    trials = 300
    for t in range(trials):
        n = int(rng.integers(17, 300))
        c = rng.standard_normal(n) * 10.0 ** (-rng.uniform(5, 25) * np.arange(n) / n)
        tol = (2.2e-16, 1e-10, 1e-6)[t % 3]
        agree += standard_chop(np.abs(c), tol) == chebpy_alg.standard_chop(c.copy(), tol)
    # chebpy rounds 1.25 j + 5 half-to-even, the paper (MATLAB) half-up: rare differences
    assert agree >= 0.98 * trials


def test_transforms_round_trip_against_numpy_chebyshev():
    from numpy.polynomial import chebyshev as C

    c = np.random.default_rng(0).standard_normal(33)
    x = ch.points(33)
    np.testing.assert_allclose(ch.coeffs2vals(c), C.chebval(x, c), atol=1e-13)
    np.testing.assert_allclose(ch.vals2coeffs(ch.coeffs2vals(c)), c, atol=1e-14)
