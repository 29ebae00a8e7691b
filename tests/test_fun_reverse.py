"""Reverse mode through Fun: construction, calculus, roots, extrema and a spectral ODE solve.

Before, a tracked (reverse-mode) array as Fun coefficients failed inside construction
(``np.iscomplexobj`` had no rule, the chop sized coefficients with ``float``, the float fast
paths took the tape's array for a plain one) while forward mode worked. Each gradient is
checked against forward mode and against central differences.
"""

import numpy as np
import pytest

import numeric as nm
from solvers import ODEProblem, Tsit5, solve

S, P = nm.Chebyshev(0, 1), nm.Fourier(0, 2 * np.pi)

CASES = {
    "sum": lambda a: nm.Fun(lambda x: nm.exp(a[0] * x), S).sum() * a[1],
    "eval": lambda a: nm.Fun(lambda x: nm.sin(a[0] * x) * a[1], S)(0.3),
    "diff": lambda a: nm.Fun(lambda x: nm.exp(a[0] * x), S).diff()(0.7) * a[1],
    "product": lambda a: (nm.Fun(lambda x: nm.exp(a[0] * x), S) * nm.Fun(lambda x: a[1] * x, S)).sum(),
    "cumsum": lambda a: nm.Fun(lambda x: nm.cos(a[0] * x + a[1]), S).cumsum()(0.5),
    "root": lambda a: nm.Fun(lambda x: x**2 - a[0] * a[1], S).roots()[0],
    "max": lambda a: nm.Fun(lambda x: -(x - a[0]) ** 2 + a[1] * x, S).max(),
    "argmax": lambda a: nm.Fun(lambda x: -(x - a[0]) ** 2 + a[1] * x, S).argmax(),
    "fourier": lambda a: nm.Fun(lambda x: nm.exp(a[0] * nm.cos(x)) * a[1], P).diff()(1.0),
    "heat": lambda a: solve(ODEProblem(lambda u, p, t: p[0] * u.diff(2), nm.Fun(np.cos, P) * a[1],
                                       (0.0, 0.5), a), Tsit5(), rtol=1e-10, atol=1e-12).u[-1](0.0),
}


def central(f, x, h=1e-6):
    return np.array([(f(x + h * e) - f(x - h * e)) / (2 * h) for e in np.eye(x.size)])


@pytest.mark.parametrize("name", list(CASES))
def test_reverse_mode_through_fun_agrees_with_forward_mode_and_differences(name):
    f, x = CASES[name], np.array([0.4, 0.3])
    reverse = nm.gradient(f, x, mode="reverse")
    forward = nm.gradient(f, x)
    np.testing.assert_allclose(reverse, forward, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(reverse, central(f, x), rtol=1e-6, atol=1e-8)
    assert np.any(np.abs(reverse) > 1e-3)   # each case depends on a: a zero gradient would fail


def test_heat_equation_gradient_is_the_closed_form():
    # u = a1 exp(-a0 t) cos x at x = 0, t = 0.5: d/da0 = -0.5 a1 exp(-a0/2), d/da1 = exp(-a0/2)
    g = nm.gradient(CASES["heat"], np.array([0.4, 0.3]), mode="reverse")
    np.testing.assert_allclose(g, [-0.5 * 0.3 * np.exp(-0.2), np.exp(-0.2)], rtol=1e-8)
