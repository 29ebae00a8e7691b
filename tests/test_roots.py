"""Root finders: every method, every number type, errors, implicit derivatives."""

from __future__ import annotations

import math

import mpmath
import pytest

import numeric as nm
from solvers.roots import RootError, find_root, newton

METHODS = ["illinois", "bisection", "brent"]


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize(
    "f,bracket,root",
    [
        (lambda x: x * x - 2, (0.0, 2.0), math.sqrt(2)),
        (lambda x: nm.cos(x) - x, (0.0, 1.0), 0.7390851332151607),
        (lambda x: x**3, (-1.0, 0.5), 0.0),  # triple root: slow for false position
        (lambda x: nm.exp(x) - 10, (10.0, 0.0), math.log(10)),  # reversed bracket
    ],
)
def test_float_roots(method, f, bracket, root):
    x = find_root(f, bracket, method)
    assert abs(x - root) < 1e-12 * max(1.0, abs(root)) or (root == 0 and abs(x) < 1e-5)


@pytest.mark.parametrize("method", METHODS)
def test_mpf_roots_keep_their_digits(method):
    with mpmath.workdps(40):
        x = find_root(lambda x: x * x - 2, (mpmath.mpf(1), mpmath.mpf(2)), method)
        assert isinstance(x, mpmath.mpf)
        assert abs(x - mpmath.sqrt(2)) < mpmath.mpf(10) ** -38
        y = newton(lambda x: nm.cos(x) - x, mpmath.mpf(1))
        assert abs(y - mpmath.cos(y)) < mpmath.mpf(10) ** -38


def test_errors_are_clear():
    with pytest.raises(RootError, match="differ in sign"):
        find_root(lambda x: x * x + 1, (-1.0, 1.0))
    with pytest.raises(RootError, match="not finite"):
        find_root(lambda x: math.inf if x < 0 else x - 1, (-1.0, 2.0))
    with pytest.raises(ValueError, match="unknown method"):
        find_root(lambda x: x, (-1.0, 1.0), method="secant")
    with pytest.raises(RootError, match="derivative"):
        newton(lambda x: x * x + 1, 0.0, fprime=lambda x: 0.0)


def test_newton_with_and_without_derivative():
    assert abs(newton(lambda x: x**3 - 2 * x - 5, 2.0) - 2.0945514815423265) < 1e-14
    assert abs(newton(lambda x: x**3 - 2 * x - 5, 2.0, fprime=lambda x: 3 * x * x - 2) - 2.0945514815423265) < 1e-14


@pytest.mark.parametrize("method", METHODS + ["newton"])
def test_root_carries_implicit_derivative(method):
    # x(p) = sqrt(p) solves x^2 - p = 0; dx/dp = 1 / (2 sqrt p)
    def root(p):
        f = lambda x: x * x - p  # noqa: E731
        return newton(f, 1.0) if method == "newton" else find_root(f, (0.0, 3.0), method)

    d = nm.derivative(root, 2.0)
    assert abs(nm.value(d) - 0.5 / math.sqrt(2.0)) < 1e-12
