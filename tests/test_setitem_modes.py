"""``x[index] = value`` agrees across forward mode, reverse mode and measurements (issue 10).

The three types write differently on purpose (docs/decisions.md, "setitem stays per type":
DualArray in place, the tape a functional update, MeasurementArray keeping its one-source
form), so this checks their *results* against each other and against NumPy: the value
against plain floats, each mode's Jacobian against central differences, and the
uncertainty of a measurement input against linear propagation of that Jacobian. Indices
are drawn by hypothesis: integers, negative integers, slices with steps, tuples, boolean
masks, integer arrays without repeats; values are scalars, broadcast rows or arrays that
depend on the input (a write of a function of x into x itself included).
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import numeric as nm
from tests._central import central_jacobian as _central

SHAPE = (4, 3)
X0 = np.array([[0.3, -1.2, 0.8], [1.5, 0.25, -0.7], [2.0, -0.4, 1.1], [0.6, 0.9, -1.6]])


@st.composite
def indices(draw):
    kind = draw(st.sampled_from(["int", "slice", "tuple", "mask", "fancy", "row-slice"]))
    if kind == "int":
        return draw(st.integers(-4, 3))
    if kind == "slice":
        start = draw(st.one_of(st.none(), st.integers(-4, 3)))
        stop = draw(st.one_of(st.none(), st.integers(-4, 4)))
        return slice(start, stop, draw(st.sampled_from([None, 1, 2, -1])))
    if kind == "tuple":
        return (draw(st.integers(-4, 3)), draw(st.integers(-3, 2)))
    if kind == "row-slice":
        return (slice(None), draw(st.integers(-3, 2)))
    if kind == "mask":
        bits = draw(st.lists(st.booleans(), min_size=12, max_size=12))
        return np.array(bits).reshape(SHAPE)
    rows = draw(st.lists(st.integers(0, 3), min_size=1, max_size=4, unique=True))
    return np.array(rows)


def _value(kind, x, shape):
    """The written value: a constant, or a function of the input x, of the target's shape."""
    if kind == "scalar":
        return 2.5
    if kind == "function-scalar":
        return np.sin(x[0, 0]) * x[1, 1]
    n = int(np.prod(shape))
    src = np.ravel(x)[:n] if n else np.ravel(x)[:0]
    return np.reshape(np.exp(src) * 0.5, shape)


def _program(index, kind, in_place):
    def f(x):
        y = x if in_place else x * 1.0
        target = np.shape(np.empty(SHAPE)[index])
        y[index] = _value(kind, x if not in_place else x * 1.0, target)
        return y * x
    return f


@settings(max_examples=60, deadline=None)
@given(index=indices(), kind=st.sampled_from(["scalar", "function-scalar", "array"]),
       in_place=st.booleans())
def test_setitem_agrees_across_modes(index, kind, in_place):
    f = _program(index, kind, in_place)
    ref = f(X0.copy())
    J_ref = _central(lambda z: f(z.copy()), X0)
    Jf = np.asarray(nm.jacobian(f, X0.copy(), mode="forward")).reshape(-1, X0.size)
    Jr = np.asarray(nm.jacobian(f, X0.copy(), mode="reverse")).reshape(-1, X0.size)
    np.testing.assert_allclose(Jf, J_ref, rtol=1e-7, atol=1e-7)
    np.testing.assert_array_equal(Jf, Jr)      # the two AD modes agree exactly
    sig = 0.01 * (1.0 + np.arange(X0.size)).reshape(SHAPE)
    m = f(nm.measurements(X0.copy(), sig))
    np.testing.assert_allclose(nm.value(m), ref, rtol=1e-15, atol=0)
    np.testing.assert_allclose(np.ravel(nm.uncertainty(m)), np.sqrt(Jf ** 2 @ np.ravel(sig) ** 2),
                               rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("mode", ["forward", "reverse"])
def test_setitem_leaves_the_callers_array_alone(mode):
    x = X0.copy()
    nm.jacobian(_program((1, 2), "function-scalar", True), x, mode=mode)
    np.testing.assert_array_equal(x, X0)
