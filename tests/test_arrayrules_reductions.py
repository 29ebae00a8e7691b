"""prod and max/min from the shared table (numeric/arrayrules_reductions.py), in every mode.

Regressions of issue 10's last structure items: an axis tuple for ``np.prod`` raised in all
three types; ``initial=`` / ``where=`` were silently ignored by forward and reverse mode
(``np.prod(x, initial=2)`` gave half NumPy's value, ``np.max(x, initial=100)`` 12 instead of
100); ``DualArray.dot`` used matmul semantics above 2-D; ``np.broadcast_to`` of a scalar
Dual gave an object array. The generic entry checks (central differences, adjoint identity,
second order) are in tests/test_arrayrules_multilinear.py.
"""

import numpy as np
import pytest

import numeric as nm
import numeric.reverse as rv
from numeric.arrayrules import UnsupportedArrayFunction
from tests._central import central_jacobian as _central

X = np.array([[[1.5, -2.0], [0.5, 3.0], [2.5, 1.0]], [[-1.0, 0.25], [4.0, -0.5], [1.25, 2.0]]])


CASES = [("prod", lambda v: np.prod(v, axis=(2, 0))), ("prod", lambda v: np.prod(v, axis=(0, 1))),
         ("prod", lambda v: np.prod(v, axis=(1,), keepdims=True)),
         ("max", lambda v: np.max(v, axis=(2, 0))), ("min", lambda v: np.min(v, axis=(0, 1, 2))),
         ("amax", lambda v: np.amax(v, axis=-1, keepdims=True))]


@pytest.mark.parametrize("mode", ["forward", "reverse"])
@pytest.mark.parametrize("name, f", CASES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(CASES)])
def test_axis_tuples_match_central_differences(name, f, mode):
    J = np.asarray(nm.jacobian(f, X, mode=mode)).reshape(-1, X.size)
    np.testing.assert_allclose(J, _central(f, X), rtol=1e-8, atol=1e-8)


@pytest.mark.parametrize("name, f", CASES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(CASES)])
def test_axis_tuples_propagate_uncertainty(name, f):
    sig = 0.01 * (1 + np.arange(X.size)).reshape(X.shape)
    out = f(nm.measurements(X, sig))
    ref = _central(f, X)
    np.testing.assert_allclose(np.ravel(nm.value(out)), np.ravel(f(X)), rtol=1e-15)
    np.testing.assert_allclose(np.ravel(nm.uncertainty(out)),
                               np.sqrt(ref ** 2 @ np.ravel(sig) ** 2), rtol=1e-8)


REFUSED = [lambda v: np.prod(v, initial=2.0), lambda v: np.max(v, initial=100.0),
           lambda v: np.prod(v, where=np.ones(X.shape, bool)), lambda v: np.min(v, out=np.empty(()))]


@pytest.mark.parametrize("k", range(len(REFUSED)))
@pytest.mark.parametrize("kind", ["dual", "tracked", "measurement"])
def test_unsupported_arguments_are_refused_not_ignored(k, kind):
    f = REFUSED[k]
    if kind == "dual":
        call = lambda: f(nm.DualArray(X, np.ones(X.shape + (1,))))  # noqa: E731
    elif kind == "tracked":
        call = lambda: rv.gradient(lambda v: np.sum(f(v)), X)  # noqa: E731
    else:
        call = lambda: f(nm.measurements(X, 0.1 * np.ones(X.shape)))  # noqa: E731
    with pytest.raises(UnsupportedArrayFunction, match=r"numpy\.(prod|max|min) with \w+= has no"):
        call()


def test_zero_factor_keeps_exact_partials_in_every_mode():
    x = np.array([[2.0, 0.0, 5.0], [0.0, 0.0, 3.0]])
    exact = np.array([[0.0, 10.0, 0.0], [0.0, 0.0, 0.0]])
    for mode in ("forward", "reverse"):
        g = nm.gradient(lambda v: np.sum(np.prod(v, axis=1)), x, mode=mode)
        np.testing.assert_array_equal(np.asarray(g), exact)
    H = nm.hessian(lambda v: np.prod(v), np.array([0.0, 2.0, 3.0]), mode="reverse")
    np.testing.assert_array_equal(np.asarray(H), [[0, 3, 2], [3, 0, 0], [2, 0, 0]])


def test_dualarray_dot_method_has_numpy_dot_semantics_above_2d():
    a = np.arange(24.0).reshape(2, 3, 4)
    b = np.arange(20.0).reshape(5, 4, 1)
    d = nm.DualArray(a, np.ones(a.shape + (1,))).dot(b)
    np.testing.assert_array_equal(nm.value(d), np.dot(a, b))
    np.testing.assert_array_equal(d.partials[..., 0], np.dot(np.ones(a.shape), b))


def test_broadcast_of_a_scalar_gives_the_array_type():
    d = np.broadcast_to(nm.Dual(2.0, 1.0), (3,))
    assert type(d) is nm.DualArray
    np.testing.assert_array_equal(nm.value(d), [2.0, 2.0, 2.0])
    np.testing.assert_array_equal(d.partials, np.ones((3, 1)))
    assert type(np.atleast_1d(nm.Dual(2.0, 1.0))) is nm.DualArray
    assert nm.derivative(lambda s: np.sum(np.broadcast_to(s, (2, 3)) ** 2), 1.5) == 18.0
    m = np.broadcast_to(nm.Measurement(2.0, 0.5), (3,))
    assert type(m).__name__ == "MeasurementArray"
    np.testing.assert_array_equal(nm.uncertainty(np.sum(m)), 1.5)   # fully correlated

    def f(v):
        b = np.broadcast_to(v[0], (3,))
        assert type(b).__name__ == "TrackedArray"
        return np.sum(b * v[1])
    np.testing.assert_array_equal(rv.gradient(f, np.array([1.0, 2.0])), [6.0, 3.0])


def test_joining_a_scalar_dual_with_a_dualarray_keeps_both():
    # np.hstack([scalar Dual, DualArray]) calls np.atleast_1d(d, da): the scalar Dual's
    # __array_function__ must leave it to DualArray's (it raised "np.asarray() of a DualArray")
    v = np.array([0.3, -1.2, 0.7, 1.9])
    f = lambda v: np.sum(np.hstack([v[0] * v[2], v[1:]]) ** 3)  # noqa: E731
    H = nm.hessian(f, v)
    exact = np.diag([6 * v[0] * v[2] ** 3, 6 * v[1], 6 * v[0] ** 3 * v[2] + 6 * v[2], 6 * v[3]])
    exact[0, 2] = exact[2, 0] = 9 * v[0] ** 2 * v[2] ** 2
    np.testing.assert_allclose(H, exact, rtol=1e-13, atol=1e-13)
    g = nm.gradient(lambda v: np.sum(np.concatenate([np.atleast_1d(v[0] * v[1]), v]) ** 2), v)
    np.testing.assert_allclose(g, 2 * v + 2 * v[0] * v[1] * np.array([v[1], v[0], 0, 0]), rtol=1e-14)
