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


@numba.njit(cache=True)
def polygamma_scalar(n: int, x: float) -> float:
    """psi^(n)(x) for a real float x and an integer order n >= 0."""
    if n < 0:
        return math.nan
    if x <= 0.0 and x == math.floor(x):
        return math.nan
    # Reflection psi(x) = psi(1 - x) - pi cot(pi x), done in place: numba's
    # on-disk cache segfaults when it reloads a self-recursive function.
    reflection = 0.0
    if n == 0 and x < 0.0:
        reflection = -math.pi / math.tan(math.pi * x)
        x = 1.0 - x
    nfact = math.gamma(n + 1.0)
    sign_n = 1.0 if n % 2 == 0 else -1.0
    acc = 0.0
    big = 20.0 + n
    while x < big:
        acc -= sign_n * nfact / x ** (n + 1)
        x += 1.0
    if n == 0:
        s = math.log(x) - 0.5 / x
        x2k = 1.0
        for k in range(1, 9):
            x2k *= x * x
            s -= _BERNOULLI_2K[k - 1] / (2.0 * k * x2k)
        return reflection + acc + s
    s = math.gamma(float(n)) / x**n + nfact / (2.0 * x ** (n + 1))
    for k in range(1, 9):
        coef = math.exp(math.lgamma(2.0 * k + n) - math.lgamma(2.0 * k + 1.0))
        s += _BERNOULLI_2K[k - 1] * coef / x ** (2 * k + n)
    return acc - sign_n * s


def _erf(x):
    return math.erf(x)


def _erfc(x):
    return math.erfc(x)


def _gamma(x):
    if x <= 0.0 and x == math.floor(x):
        return math.nan
    return math.gamma(x)


def _lgamma(x):
    if x <= 0.0 and x == math.floor(x):
        return math.inf
    return math.lgamma(x)


def _digamma(x):
    return polygamma_scalar(0, x)


def _polygamma(n, x):
    return polygamma_scalar(n, x)


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
