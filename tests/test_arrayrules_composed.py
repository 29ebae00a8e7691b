"""Edges of issue 10's coverage: np.array of AD numbers, np.r_ / np.c_, split errors, np.all.

The derivative checks of split / partition / angle / real_if_close / all / any in forward,
reverse and Measurement form are rows of tests/test_arrayrules_coverage.py; this file checks
what a table row cannot: refusals with their fix, NumPy's errors, and replay safety.
"""

import numpy as np
import pytest

import numeric as nm
import numeric.reverse as rv
from numeric.reverse.tracked import GuardError

X = np.array([0.3, -1.2, 2.0])


def _jac_or_meas(f, mode):
    if mode == "measurement":
        return f(nm.measurements(X, 0.1))
    return nm.jacobian(f, X, mode=mode)


def _central(f, x, h=1e-6):
    return np.stack([(np.asarray(f(x + h * e)) - np.asarray(f(x - h * e))) / (2 * h)
                     for e in np.eye(x.size)], axis=-1)


@pytest.mark.parametrize("mode", ["forward", "reverse", "measurement"])
@pytest.mark.parametrize("call", [
    lambda x: np.array([x, 2 * x]),
    lambda x: np.asarray(x),
    lambda x: np.r_[x, x[:2]],
    lambda x: np.c_[x, x],
], ids=["np.array-of-arrays", "np.asarray", "np.r_", "np.c_"])
def test_array_of_array_numbers_refuses_and_names_the_joins(call, mode):
    with pytest.raises(TypeError, match=r"np\.asarray\(\) of a \w+Array would drop its") as e:
        _jac_or_meas(call, mode)
    assert "np.stack([x, y])" in str(e.value) and "np.concatenate" in str(e.value)


@pytest.mark.parametrize("mode", ["forward", "reverse"])
def test_the_joins_the_refusal_names_give_what_np_array_would(mode):
    for f in (lambda x: np.stack([x, 2 * x]), lambda x: np.concatenate([x, x[:2]]),
              lambda x: np.stack([x, x * x], axis=-1)):
        J = np.asarray(nm.jacobian(f, X, mode=mode))
        np.testing.assert_allclose(J, _central(f, X), rtol=1e-7, atol=1e-8)


@pytest.mark.parametrize("mode", ["forward", "reverse"])
def test_np_array_of_ad_scalars_stacks(mode):
    def f(x):
        return np.array([x[0] * x[1], np.sin(x[2]), x[0]])
    J = np.asarray(nm.jacobian(f, X, mode=mode), dtype=float)
    np.testing.assert_allclose(J, _central(f, X), rtol=1e-7, atol=1e-8)


def test_np_array_of_measurement_scalars_stacks_with_correlations():
    m = nm.measurements(X, 0.1)
    a = np.array([m[0] * m[1], m[0]])
    # var(x0 x1) = (x1 s)^2 + (x0 s)^2 and cov(x0 x1, x0) = x1 s^2
    assert np.allclose(nm.value(a), [X[0] * X[1], X[0]], rtol=1e-15)
    s = 0.1
    assert abs(float(nm.uncertainty(a[0])) - s * np.hypot(X[0], X[1])) < 1e-15
    assert abs(float(nm.uncertainty(a[0] - X[1] * a[1])) - s * abs(X[0])) < 1e-15


@pytest.mark.parametrize("mode", ["forward", "reverse", "measurement"])
def test_split_keeps_numpys_errors(mode):
    with pytest.raises(ValueError, match="equal division"):
        _jac_or_meas(lambda x: np.split(x, 2)[0], mode)
    with pytest.raises(ValueError, match="vsplit only works on arrays of 2 or more"):
        _jac_or_meas(lambda x: np.vsplit(x, 3)[0], mode)
    with pytest.raises(ValueError, match="number sections must be larger than 0"):
        _jac_or_meas(lambda x: np.array_split(x, 0)[0], mode)


def test_split_returns_numpys_pieces():
    for call in (lambda a: np.array_split(a, 4), lambda a: np.split(a, [2, 2, 9]),
                 lambda a: np.hsplit(a, [1])):
        pieces = call(nm.measurements(np.arange(5.0), 0.1))
        want = call(np.arange(5.0))
        assert [p.shape for p in pieces] == [w.shape for w in want]
        assert all(np.array_equal(nm.value(p), w) for p, w in zip(pieces, want))


def test_a_recorded_np_all_branch_never_replays_wrongly():
    def f(x):
        return np.sum(x ** 2) if np.all(x) else np.sum(x ** 3)
    tape = rv.record(f, np.array([1.0, 2.0]))
    with pytest.raises(GuardError):
        tape.gradient(np.array([0.0, 3.0]))


@pytest.mark.parametrize("mode", ["forward", "reverse", "measurement"])
def test_all_and_any_read_the_values(mode):
    got = {}

    def f(x):
        got["v"] = (bool(np.all(x)), bool(np.any(x)), bool(x.all()), bool(x[:1].any()),
                    np.all(x, axis=0).tolist())
        return x
    x = np.array([0.0, np.nan, 2.0])
    (nm.jacobian(f, x, mode=mode) if mode != "measurement" else f(nm.measurements(x, 0.1)))
    v = np.array(x)
    assert got["v"] == (bool(np.all(v)), bool(np.any(v)), bool(v.all()), bool(v[:1].any()),
                        np.all(v, axis=0).tolist())


W2 = np.array([1.0, 2.0, 0.5])


@pytest.mark.parametrize("mode", ["forward", "reverse"])
@pytest.mark.parametrize("call", [
    lambda x: np.average(x * x, weights=W2),
    lambda x: np.average(np.outer(x, x), axis=1, weights=W2),
    lambda x: np.average(np.outer(x, W2), axis=0, weights=x * x + 1.0),
    lambda x: np.average(x, returned=True)[0] * np.average(x, weights=W2, returned=True)[1],
], ids=["weights", "axis-1d-weights", "derivative-weights", "returned"])
def test_average_with_weights_differentiates(call, mode):
    J = nm.jacobian(call, X, mode=mode)
    np.testing.assert_allclose(J, _central(call, X), rtol=1e-7, atol=1e-8)


def test_average_refuses_ambiguous_weights_as_numpy_does():
    with pytest.raises(TypeError, match="axis must be specified"):
        nm.gradient(lambda x: np.average(np.outer(x, x), weights=W2), X)


def test_unsupported_function_with_an_ndarray_operand_names_the_fix():
    # NumPy's anonymous "no implementation found" before: the ndarray's turn returned NotImplemented
    with pytest.raises(nm.arrayrules.UnsupportedArrayFunction, match="lstsq has no derivative rule for "
                       "DualArray.*nm.custom_rule"):
        nm.gradient(lambda x: np.sum(np.linalg.lstsq(np.eye(3), x, rcond=None)[0]), X)
