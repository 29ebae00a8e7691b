"""Event-time derivatives to the accuracy of the solve, not of a finite difference.

The chord step that gives an event time its derivatives divided by the condition's slope along
the interpolant, taken by a central difference: its error, about eps^(2/3) relative, became the
derivatives' error whatever rtol was. A Vern9 bouncing ball's d h(T) / d h0 was 2.7e-7 off at
rtol 1e-10 (Tsit5 2e-9), and with mpf at 30 digits an event time's derivative had ~20 digits.
The slope is now taken by forward mode (solvers.roots.primal_slope).
"""

import mpmath
import numpy as np
import pytest

import numeric as nm
from solvers import ContinuousCallback, ODEProblem, Tsit5, Vern9, solve

G, E = 9.81, 0.9


def fall(u, p, t):
    return np.stack([u[1], u[0] * 0 - G])


def bounce_height(h0, alg, T=2.0):
    def affect(integ):
        integ.u = np.stack([integ.u[0] * 0, -E * integ.u[1]])
    cb = ContinuousCallback(lambda u, t, i: u[0], affect, direction="down")
    sol = solve(ODEProblem(fall, np.stack([h0, h0 * 0]), (0.0, T)), alg, callback=cb, rtol=1e-10, atol=1e-12)
    return sol.u[-1][0]


def exact_height(h0, T=2):
    """h(T) of the ball dropped from h0 (bounces with restitution E), in mpmath."""
    g, e = mpmath.mpf(G), mpmath.mpf(E)
    t = mpmath.sqrt(2 * h0 / g)
    v = e * g * t
    while t + 2 * v / g <= T:
        t, v = t + 2 * v / g, v * e
    s = T - t
    return v * s - g * s * s / 2


@pytest.mark.parametrize("alg", [Tsit5(), Vern9()], ids=["Tsit5", "Vern9"])
@pytest.mark.parametrize("h0", [1.0, 3.0])
def test_bouncing_ball_derivative_matches_the_closed_form(alg, h0):
    with mpmath.workdps(30):
        ref = float(mpmath.diff(exact_height, mpmath.mpf(h0)))
    assert nm.derivative(lambda h: bounce_height(h, alg), h0) == pytest.approx(ref, rel=1e-9, abs=1e-10)


@pytest.fixture
def dps30():
    with mpmath.workdps(30):
        yield


def test_event_time_derivative_with_mpf_has_the_working_precision(dps30):
    # t* = sqrt(2 h0 / g), dt*/dh0 = 1 / sqrt(2 g h0), solved with 30-digit numbers
    g, h0 = mpmath.mpf(G), mpmath.mpf(1)
    hit = ContinuousCallback(lambda u, t, i: u[0], lambda i: i.terminate(), direction="down")

    def t_hit(h):
        prob = ODEProblem(lambda u, p, t: np.stack([u[1], u[0] * 0 - g]), np.stack([h, h * 0]),
                          (mpmath.mpf(0), mpmath.mpf(2)))
        return solve(prob, Vern9(), callback=hit, rtol=mpmath.mpf("1e-25"), atol=mpmath.mpf("1e-27")).t[-1]

    d = nm.derivative(t_hit, h0)
    assert abs(d - 1 / mpmath.sqrt(2 * g * h0)) < mpmath.mpf("1e-24")
