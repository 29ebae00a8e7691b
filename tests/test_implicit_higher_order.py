"""Higher derivatives of roots and event times (solvers.roots.chord_polish).

A root found on primal values and polished by one chord step carries exact first derivatives
only: before chord_polish, the second derivative of a cube root through find_root was 0.0 and
that of an event time 0.2187 instead of 0.6310, silently. Each chord step makes one more
order exact, and the polish takes one step per derivative layer. References are closed forms.
"""

import math

import numpy as np
import pytest

import numeric as nm
from solvers import ContinuousCallback, ODEProblem, Rodas4, Tsit5, solve
from solvers.roots import find_root, newton

A = 2.0
CBRT = [A ** (1 / 3), 1 / (3 * A ** (2 / 3)), -2 / (9 * A ** (5 / 3)), 10 / (27 * A ** (8 / 3))]


def nested(f, x, order, mode="forward"):
    g = f
    for _ in range(order):
        g = (lambda h: lambda y: nm.derivative(h, y, mode=mode))(g)
    return g(x)


ROOTS = {
    "illinois": lambda a: find_root(lambda x: x ** 3 - a, (0.0, 3.0)),
    "brent": lambda a: find_root(lambda x: x ** 3 - a, (0.0, 3.0), method="brent"),
    "bisection": lambda a: find_root(lambda x: x ** 3 - a, (0.0, 3.0), method="bisection"),
    "newton": lambda a: newton(lambda x: x ** 3 - a, 1.0),
}


@pytest.mark.parametrize("name", ROOTS)
@pytest.mark.parametrize("order", [1, 2, 3])
def test_root_derivatives_to_third_order(name, order):
    d = nested(ROOTS[name], A, order)
    assert d == pytest.approx(CBRT[order], rel=1e-10)


def test_root_second_derivative_forward_over_reverse():
    d = nm.derivative(lambda a: nm.derivative(ROOTS["illinois"], a, mode="reverse"), A)
    assert d == pytest.approx(CBRT[2], rel=1e-10)


def test_root_of_measurement_is_first_order():
    r = find_root(lambda x: x ** 3 - nm.Measurement(A, 0.1), (0.0, 3.0))
    assert nm.uncertainty(r) == pytest.approx(0.1 * CBRT[1], rel=1e-12)


def _event_time(k, alg):
    hit = ContinuousCallback(lambda u, t, i: u[0] - 0.5, lambda i: i.terminate())
    prob = ODEProblem(lambda u, p, t: -p[0] * u, np.array([1.0]), (0.0, 5.0), np.array([k]))
    return solve(prob, alg, callback=hit, rtol=1e-11, atol=1e-13).t[-1]


@pytest.mark.parametrize("alg", [Tsit5(), Rodas4()], ids=["Tsit5", "Rodas4"])
def test_event_time_second_derivative(alg):
    # u = exp(-k t) hits 1/2 at tau = ln 2 / k: tau'' = 2 ln 2 / k^3
    k = 1.3
    d2 = nm.derivative(lambda q: nm.derivative(lambda r: _event_time(r, alg), q), k)
    assert d2 == pytest.approx(2 * math.log(2) / k ** 3, rel=1e-6)
    d1 = nm.derivative(lambda r: _event_time(r, alg), k)
    assert d1 == pytest.approx(-math.log(2) / k ** 2, rel=1e-8)


def _shifted_square(p):
    return nm.Fun(lambda x: x ** 2, nm.Chebyshev(0, 2)) - p


def _tilted_parabola(p):
    # -(x - 1)^2 + p x: maximiser 1 + p/2, maximum p + p^2 / 4
    return nm.Fun(lambda x: -(x - 1) ** 2, nm.Chebyshev(0, 2)) + p * nm.Fun(lambda x: x, nm.Chebyshev(0, 2))


def test_fun_root_second_derivative():
    # root sqrt(p): r'' = -p^(-3/2) / 4 (was 0.0 before the chord steps)
    d2 = nm.derivative(lambda q: nm.derivative(lambda r: _shifted_square(r).roots()[0], q), 2.0)
    assert d2 == pytest.approx(-0.25 * 2.0 ** -1.5, rel=1e-10)


def test_fun_argmax_and_max_carry_derivatives():
    p = 0.3
    assert nm.derivative(lambda q: _tilted_parabola(q).argmax(), p) == pytest.approx(0.5, rel=1e-10)
    assert nm.derivative(lambda q: _tilted_parabola(q).max(), p) == pytest.approx(1 + p / 2, rel=1e-12)
    d2 = nm.derivative(lambda q: nm.derivative(lambda r: _tilted_parabola(r).max(), q), p)
    assert d2 == pytest.approx(0.5, rel=1e-9)
    m = _tilted_parabola(nm.Measurement(p, 0.1)).argmax()
    assert nm.uncertainty(m) == pytest.approx(0.05, rel=1e-10)
