"""Compiled NumPy ufuncs for the special functions NumPy lacks.

``erf``, ``erfc``, ``gamma``, ``lgamma`` wrap the C library through numba's
``math`` support; ``digamma`` and ``polygamma`` are computed here:

* shift upward with the recurrence  psi^(n)(x) = psi^(n)(x+1) - (-1)^n n! / x^(n+1)
  until x >= 20 + n,
* then the asymptotic series (Abramowitz & Stegun 6.3.18 and 6.4.11)
  psi(x)     ~ ln x - 1/(2x) - sum_k B_2k / (2k x^2k)
  psi^(n)(x) ~ (-1)^(n+1) [ (n-1)!/x^n + n!/(2 x^(n+1))
                            + sum_k B_2k (2k+n-1)! / ((2k)! x^(2k+n)) ],
* and for digamma at negative x the reflection psi(1-x) - psi(x) = pi cot(pi x).
* Near the positive root x0 = 1.46163214496836234126... of digamma (|x - x0| < 0.95) the
  recurrence-plus-series cancels (psi ~ 0 from terms ~ 3): there the Taylor series
  psi(x) = sum_k psi^(k)(x0) / k! (x - x0)^k (coefficients from mpmath at 40 digits,
  x0 in double-double so that x - x0 keeps relative accuracy), reached from any
  0 < x < 10 by the recurrence; it was 6e3 ulps off at x0 + 2e-3 (27 at 2.08) and is
  now within 2.5 ulps on (0, 10) (20,000 uniform draws and a grid of [0.4, 2.6]; 4.5 near 2
  before the root series was widened to radius 0.95), 2.7 on [10, 40], 1.9 on [40, 700].

The ufuncs are built lazily (first use) and cached on disk by numba, so
importing metanum does not pay for their compilation.
"""

from __future__ import annotations

import math

import numba
import numpy as np

# Bernoulli numbers B_2, B_4, ..., B_16 (A&S table 23.2).
_BERNOULLI_2K = np.array(
    [1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6, -3617 / 510]
)

# digamma's positive root in double-double, and psi^(k)(x0) / k!, k = 1..96 (mpmath, 40 digits,
# at import): the series converges like (|x - x0| / x0)^k (pole at 0), so 96 terms give
# < 1e-18 relative on |x - x0| < 0.95, i.e. on [0.512, 2.412]; 0 < x < 10 is brought there by
# the recurrence (psi(x) = psi(x - 1) + 1/(x - 1), x - 1 exact; psi(x) = psi(x + 1) - 1/x).
# The radius is that wide so that the recurrence never cancels: with 0.5 (44 terms),
# psi(2 - 1e-7) = psi(1 - 1e-7) + 1/(1 - 1e-7) summed -0.58 + 1.0 and lost 4.5 ulps; at the
# edges of [0.512, 2.412] the recurrence now adds terms of psi's sign or psi(x -+ 1) ~ 0.
_ROOT_RADIUS = 0.95


def _root_taylor(nterms: int = 96) -> tuple:
    import mpmath

    with mpmath.workdps(40):
        x0 = mpmath.findroot(mpmath.digamma, 1.4616)
        hi = float(x0)
        coefs = [float(mpmath.psi(k, x0) / mpmath.factorial(k)) for k in range(1, nterms + 1)]
        return hi, float(x0 - hi), np.array(coefs)


_X0_HI, _X0_LO, _ROOT_TAYLOR = _root_taylor()


@numba.njit(cache=True)
def _digamma_near_root(x: float) -> float:
    dx = (x - _X0_HI) - _X0_LO
    acc = 0.0
    for k in range(_ROOT_TAYLOR.size - 1, -1, -1):
        acc = acc * dx + _ROOT_TAYLOR[k]
    return acc * dx


@numba.njit(cache=True)
def _digamma_small(x: float) -> float:
    # 0 < x < 10: the recurrence and the series at the root (the asymptotic route cancels here:
    # psi(2.08) = 0.46 from ~3.5 - 3.0 lost ~27 ulps)
    acc = 0.0
    if x < _X0_HI - _ROOT_RADIUS:
        acc = -1.0 / x
        x = x + 1.0
    while x > _X0_HI + _ROOT_RADIUS:
        x = x - 1.0
        acc += 1.0 / x
    return _digamma_near_root(x) + acc


@numba.njit(cache=True)
def polygamma_scalar(n: int, x: float) -> float:
    """psi^(n)(x) for a real float x and an integer order n >= 0."""
    if n < 0:
        return math.nan
    if x <= 0.0 and x == math.floor(x):
        return math.nan
    if n == 0 and 0.0 < x < 10.0:
        return _digamma_small(x)
    # Reflection psi(x) = psi(1 - x) - pi cot(pi x), done in place: numba's
    # on-disk cache segfaults when it reloads a self-recursive function.
    reflection = 0.0
    if n == 0 and x < 0.0:
        reflection = -math.pi / math.tan(math.pi * x)
        x = 1.0 - x
    nfact = math.gamma(n + 1.0)
    sign_n = 1.0 if n % 2 == 0 else -1.0
    # shift to x + m >= 20 + n; x + k is rounded once (not m times by x += 1), and the
    # recurrence terms are summed from the smallest (k = m - 1) up, then the series added
    m = 0
    if x < 20.0 + n:
        m = int(math.ceil(20.0 + n - x))
    acc = 0.0
    for k in range(m - 1, -1, -1):
        acc -= sign_n * nfact / (x + k) ** (n + 1)
    x = x + m
    if n == 0:
        s = math.log(x) - 0.5 / x
        x2k = 1.0
        for k in range(1, 9):
            x2k *= x * x
            s -= _BERNOULLI_2K[k - 1] / (2.0 * k * x2k)
        return reflection + (acc + s)
    s = 0.0
    for k in range(8, 0, -1):  # smallest terms first
        coef = math.exp(math.lgamma(2.0 * k + n) - math.lgamma(2.0 * k + 1.0))
        s += _BERNOULLI_2K[k - 1] * coef / x ** (2 * k + n)
    s += nfact / (2.0 * x ** (n + 1))
    s += math.gamma(float(n)) / x**n
    return acc - sign_n * s


def _erf(x):
    return math.erf(x)


def _erfc(x):
    return math.erfc(x)


def _gamma(x):
    if x <= 0.0 and x == math.floor(x):
        return math.nan
    return math.gamma(x)


def _lgamma_taylor_coefficients(nterms: int = 40) -> np.ndarray:
    """c_k of log Gamma(1 + t) = sum_{k>=1} c_k t^k: c_1 = -euler_gamma, c_k = (-1)^k zeta(k)/k
    (A&S 6.1.33), from mpmath at import (40 terms: |t|^40 / 40 < 1e-22 for |t| <= 0.3)."""
    import mpmath

    with mpmath.workdps(30):
        return np.array([-float(mpmath.euler)] + [float((-1) ** k * mpmath.zeta(k) / k)
                                                    for k in range(2, nterms + 1)])


_LGAMMA_TAYLOR = _lgamma_taylor_coefficients()


@numba.njit(cache=True)
def _lgamma_near_1(t: float) -> float:
    acc = 0.0
    for k in range(_LGAMMA_TAYLOR.size - 1, -1, -1):
        acc = acc * t + _LGAMMA_TAYLOR[k]
    return acc * t


def _lgamma(x):
    # Near its zeros 1 and 2 the C library's lgamma is only absolutely accurate (66 ulps of
    # the value at x = 2.0316): there the Taylor series of log Gamma(1 + t), and
    # log Gamma(2 + t) = log Gamma(1 + t) + log1p(t); t = x - 1 or x - 2 is exact.
    if x <= 0.0 and x == math.floor(x):
        return math.inf
    if abs(x - 1.0) <= 0.3:
        return _lgamma_near_1(x - 1.0)
    if abs(x - 2.0) <= 0.3:
        t = x - 2.0
        return _lgamma_near_1(t) + math.log1p(t)
    return math.lgamma(x)


def _digamma(x):
    return polygamma_scalar(0, x)


def _polygamma(n, x):
    return polygamma_scalar(n, x)


_LGAMMA_SCALAR = []


def lgamma_scalar(x: float) -> float:
    """log|Gamma(x)| of a Python float through the compiled kernel (accurate near 1 and 2)."""
    if not _LGAMMA_SCALAR:
        _LGAMMA_SCALAR.append(numba.njit(cache=True)(_lgamma))
    return _LGAMMA_SCALAR[0](x)


_UNARY = {"erf": _erf, "erfc": _erfc, "gamma": _gamma, "lgamma": _lgamma, "digamma": _digamma}
_BUILT: dict = {}


def _build(name: str):
    if name == "polygamma":
        # float32 loops first: NumPy takes the first loop the inputs cast to safely.
        sigs = ["float32(int64, float32)", "float64(int64, float64)"]
        return numba.vectorize(sigs, cache=True)(_polygamma)
    body = numba.njit(cache=True)(_UNARY[name])

    def kernel(x):
        return body(x)

    kernel.__name__ = name
    return numba.vectorize(["float32(float32)", "float64(float64)"], cache=True)(kernel)


def __getattr__(name: str):
    if name in _UNARY or name == "polygamma":
        if name not in _BUILT:
            _BUILT[name] = _build(name)
        return _BUILT[name]
    raise AttributeError(name)
