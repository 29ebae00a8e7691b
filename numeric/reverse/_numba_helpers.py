"""Scalar helpers that compiled tapes call (numba, cached on disk)."""


import numba

from numeric._special import polygamma_scalar


@numba.njit(cache=True)
def _sign(x):
    return 1.0 if x > 0 else (-1.0 if x < 0 else (0.0 if x == 0 else x))


@numba.njit(cache=True)
def _cbrt(x):
    return -((-x) ** (1.0 / 3.0)) if x < 0 else x ** (1.0 / 3.0)


@numba.njit(cache=True)
def _max(x, y):
    return x if (x >= y or x != x) else y


@numba.njit(cache=True)
def _min(x, y):
    return x if (x <= y or x != x) else y


@numba.njit(cache=True)
def _clip(x, lo, hi):
    return _min(_max(x, lo), hi)


@numba.njit(cache=True)
def _digamma(x):
    return polygamma_scalar(0, x)


@numba.njit(cache=True)
def _polygamma(n, x):
    return polygamma_scalar(int(n), x)
