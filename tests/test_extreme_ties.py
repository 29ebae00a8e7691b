"""np.max / np.min at ties: forward mode, reverse mode and measurements agree (issue 10).

Before: forward mode differentiated through the first maximal element (np.argmax), reverse
mode shared the adjoint among tied elements, so the two modes gave different gradients of
the same function. Now every type uses the first element among ties (numeric.arrayrules.
extreme_indicator); tuple axes work in forward mode too (they raised a TypeError).
"""

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import numeric as nm

AXES = [None, 0, 1, -1, (0, 1), (1, 0), (0, 2)]


def _reference_jacobian(x, axis, keepdims, which):
    """d out / d x: 1 at the first (C order) extreme element of each reduced slice."""
    nd = x.ndim
    axes = tuple(range(nd)) if axis is None else tuple(
        a % nd for a in (axis if isinstance(axis, tuple) else (axis,)))
    out = (np.max if which == "max" else np.min)(x, axis=axis, keepdims=True)
    J = np.zeros(out.shape + x.shape)
    for o in itertools.product(*[range(s) for s in out.shape]):
        cands = [i for i in itertools.product(*[range(s) for s in x.shape])
                 if all(i[a] == o[a] for a in range(nd) if a not in axes) and x[i] == out[o]]
        J[o + cands[0]] = 1.0
    return J.reshape(((np.max(x, axis=axis, keepdims=keepdims)).shape) + x.shape)


@settings(max_examples=20)
@given(hnp.arrays(np.float64, (2, 3, 2), elements=st.integers(-2, 2).map(float)),
       st.sampled_from(AXES), st.booleans(), st.sampled_from(["max", "min"]))
def test_ties_agree_in_every_mode(x, axis, keepdims, which):
    fn = np.max if which == "max" else np.min

    def f(y):
        return fn(y, axis=axis, keepdims=keepdims)
    want = _reference_jacobian(x, axis, keepdims, which)
    for mode in ("forward", "reverse"):
        J = np.asarray(nm.jacobian(f, x, mode=mode))
        assert np.array_equal(J, want), (mode, J, want)
    # measurement: independent unit errors, so the propagated spread is the row norm (= 1)
    m = f(nm.measurements(x, 1.0))
    assert np.array_equal(np.asarray(nm.value(m)), f(x))
    assert np.allclose(np.asarray(nm.uncertainty(m)), 1.0, rtol=1e-15)


@pytest.mark.parametrize("axis", AXES)
def test_without_ties_against_central_differences(axis):
    x = np.random.default_rng(3).normal(size=(2, 3, 2))

    def f(y):
        return np.max(y, axis=axis) - 2 * np.min(y, axis=axis)
    h = 1e-6
    fd = np.stack([(f(x + h * e.reshape(x.shape)) - f(x - h * e.reshape(x.shape))) / (2 * h)
                   for e in np.eye(x.size)], axis=-1).reshape(np.shape(f(x)) + x.shape)
    for mode in ("forward", "reverse"):
        assert np.allclose(nm.jacobian(f, x, mode=mode), fd, atol=1e-8)


@pytest.mark.parametrize("mode", ["forward", "reverse", "measurement"])
def test_unsorted_axis_tuple_takes_the_first_extreme_in_c_order(mode):
    # found by hypothesis: axis=(1, 0) flattened the reduced axes in the given order, so the
    # "first" maximum was (1, 1, 0) instead of NumPy's C-order first (0, 2, 0)
    x = np.zeros((2, 3, 2))
    x[0, 2, 0] = x[1, 1, 0] = 1.0
    def f(y):
        return np.max(y, axis=(1, 0))
    want = _reference_jacobian(x, (1, 0), False, "max")
    if mode == "measurement":
        m = f(nm.measurements(x, np.arange(1.0, 13.0).reshape(x.shape)))
        np.testing.assert_array_equal(nm.uncertainty(m), [5.0, 2.0])   # sigma at (0,2,0), (0,0,1)
        return
    np.testing.assert_array_equal(np.asarray(nm.jacobian(f, x, mode=mode)), want)
