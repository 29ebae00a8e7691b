"""``nm.custom_rule`` in every mode: forward, reverse, nested, Measurement (issue 10).

The decorated function is Lambert's W on x >= 0, computed by a Newton iteration: a body
that is not differentiable code (its result does not depend on the iterates' derivatives),
so every derivative below comes from the declared rule ``W' = W / (x (1 + W))``. The
oracle is mpmath's ``lambertw`` and its high-precision derivatives (``mpmath.diff``), an
independent computation.
"""

import mpmath
import numpy as np
import pytest

import numeric as nm
from numeric.rules import unregister

BODY_CALLS = []


def _newton_lambertw(x):
    """W(x) for x >= 0 on floats or float arrays (never sees a metanum number)."""
    BODY_CALLS.append(type(x))
    w = np.log1p(x)
    for _ in range(60):
        ew = np.exp(w)
        w = w - (w * ew - x) / (ew * (w + 1))
    return w


@pytest.fixture(scope="module")
def lambertw():
    f = nm.custom_rule(lambda ans, x: ans / (x * (1 + ans)), name="test_custom.lambertw")(
        _newton_lambertw)
    yield f
    unregister("test_custom.lambertw")


def _w(x):
    return mpmath.lambertw(mpmath.mpf(x)).real


def _dw(x, k=1):
    with mpmath.workdps(40):
        return float(mpmath.diff(_w, mpmath.mpf(x), k))


X = [0.3, 1.0, 4.5]


def test_plain_call_runs_the_body(lambertw):
    BODY_CALLS.clear()
    assert lambertw(1.0) == pytest.approx(float(_w(1.0)), rel=1e-15)
    assert BODY_CALLS == [float]


@pytest.mark.parametrize("x", X)
def test_forward_and_reverse_use_the_rule(lambertw, x):
    BODY_CALLS.clear()
    assert nm.derivative(lambertw, x) == pytest.approx(_dw(x), rel=1e-14)
    assert nm.derivative(lambertw, x, mode="reverse") == pytest.approx(_dw(x), rel=1e-14)
    # the body only ever saw primal values: the derivative came from the declared rule
    assert set(BODY_CALLS) <= {float, np.float64}


def test_arrays_forward_and_reverse(lambertw):
    x = np.array(X)
    want = np.array([_dw(e) for e in X])
    np.testing.assert_allclose(nm.gradient(lambda z: np.sum(lambertw(z)), x), want, rtol=1e-14)
    np.testing.assert_allclose(nm.gradient(lambda z: np.sum(lambertw(z)), x, mode="reverse"),
                               want, rtol=1e-14)
    np.testing.assert_allclose(nm.jacobian(lambertw, x), np.diag(want), rtol=1e-14)


@pytest.mark.parametrize("x", X)
def test_nested_second_derivative(lambertw, x):
    # the partial is written with metanum arithmetic, so nesting differentiates it again
    want = _dw(x, 2)
    assert nm.derivative(lambda t: nm.derivative(lambertw, t), x) == pytest.approx(want, rel=1e-12)
    assert nm.hessian(lambda z: lambertw(z[0]), np.array([x]), mode="reverse")[0, 0] \
        == pytest.approx(want, rel=1e-12)
    third = nm.derivative(lambda a: nm.derivative(lambda b: nm.derivative(lambertw, b), a), x)
    assert third == pytest.approx(_dw(x, 3), rel=1e-10)


def test_perturbations_of_two_calls_stay_apart(lambertw):
    # d/dx [x * d/dy W(x + y)]_{y=0} = W'(x) + x W''(x), tags keep the two calls apart
    x = 1.0
    got = nm.derivative(lambda a: a * nm.derivative(lambda b: lambertw(a + b), 0.0), x)
    assert got == pytest.approx(_dw(x) + x * _dw(x, 2), rel=1e-12)


def test_measurement_propagates_through_the_rule(lambertw):
    m = nm.Measurement(1.0, 0.01)
    w = lambertw(m)
    assert nm.value(w) == pytest.approx(float(_w(1.0)), rel=1e-15)
    assert nm.uncertainty(w) == pytest.approx(0.01 * _dw(1.0), rel=1e-13)
    # correlations survive: W(m) - W(m) is exactly 0 +- 0, W(m) - m has error |W' - 1| s
    assert nm.uncertainty(w - w) == 0.0
    assert nm.uncertainty(w - m) == pytest.approx(0.01 * abs(_dw(1.0) - 1), rel=1e-13)


def test_measurement_array_and_dual_of_measurement(lambertw):
    ms = nm.measurements(np.array(X), np.array([0.1, 0.2, 0.3]))
    w = lambertw(ms)
    np.testing.assert_allclose(nm.uncertainty(w), [s * _dw(e) for s, e in zip([0.1, 0.2, 0.3], X)],
                               rtol=1e-13)
    # derivative of an uncertain input: the Dual wraps the Measurement
    m = nm.Measurement(1.0, 0.01)
    d = nm.derivative(lambda t: lambertw(t * m), 1.0)   # d/dt W(t m) = m W'(t m)
    assert nm.value(d) == pytest.approx(_dw(1.0), rel=1e-13)


def test_a_builtin_name_is_refused():
    with pytest.raises(ValueError, match="built-in"):
        nm.custom_rule(lambda a, x: 1, name="exp")(lambda x: x)


def test_fun_composes_the_custom_function(lambertw):
    # a Fun applies the rule's function pointwise (re-approximated adaptively)
    f = lambertw(nm.Fun(lambda t: t, nm.Chebyshev(0.0, 2.0)))
    for t in (0.0, 0.7, 2.0):
        assert f(t) == pytest.approx(float(_w(t)), abs=1e-14)
