"""Every array rule on a device: the linear table and the functions ported from NumPy-written rules.

Each function runs on ``array_api_strict`` arrays on a non-CPU device (which refuses any conversion
to NumPy) as a DualArray (forward mode), a TrackedArray (reverse mode, a vector-Jacobian product)
and a MeasurementArray, and must give what the same call gives on NumPy arrays: the namespace must
not change the arithmetic, and the NumPy rules are themselves checked against finite differences
and closed forms in tests/test_arrayrules*.py. Before the port (docs/array_namespace_audit.md),
82 of the linear table's 103 samples failed here in at least one of the three kinds (NumPy's
conversion error, or the refusal by name of 29 functions, and of np.flip in reverse mode).
"""

import numpy as np
import pytest

xs = pytest.importorskip("array_api_strict", reason="needs array-api-strict (the test extra)")

import numeric as nm  # noqa: E402
from numeric import xpcompat  # noqa: E402
from numeric.arrayrules import LINEAR  # noqa: E402

DEV = xs.Device("device1")
CPU = xs.Device("CPU_DEVICE")
ArrayType = type(xs.asarray(0.0))


def dev(values):
    v = np.asarray(values)
    dt = xs.complex128 if v.dtype.kind == "c" else xs.float64
    return xs.asarray(v.tolist(), dtype=dt, device=DEV)


def host(a):
    """*a* as a NumPy array, after checking it stayed on the device."""
    assert type(a) is ArrayType, f"expected an array_api_strict array, got {type(a).__name__}"
    assert a.device == DEV
    return np.asarray(a.to_device(CPU))


def _close(a, b, rtol=1e-13):
    np.testing.assert_allclose(a, b, rtol=rtol, atol=1e-13)


SAMPLES = [(func, shape, kw) for func, rule in LINEAR.items() for shape, kw in rule.samples]


def _ids(case):
    func, shape, kw = case
    return f"{func.__name__}-{shape}-{sorted(kw)}"


@pytest.mark.parametrize("case", SAMPLES, ids=[_ids(c) for c in SAMPLES])
@pytest.mark.parametrize("kind", ["forward", "reverse", "measurement"])
def test_every_linear_table_entry_on_the_device_matches_numpy(case, kind):
    func, shape, kw = case
    rule = LINEAR[func]
    rng = np.random.default_rng(abs(hash((func.__name__, shape))) % 2**32)
    v = rng.standard_normal(shape)
    f = lambda u: rule.call(u, **dict(kw))          # noqa: E731
    if kind == "forward":
        P = rng.standard_normal(shape + (3,))
        a, b = f(nm.DualArray(dev(v), dev(P))), f(nm.DualArray(v, P))
        _close(host(a.value), b.value)
        _close(host(a.partials), b.partials)
    elif kind == "reverse":
        out = f(v)
        w = rng.standard_normal(np.shape(out)) + (1j * rng.standard_normal(np.shape(out))
                                                  if np.iscomplexobj(out) else 0)
        _close(host(nm.vjp(f, dev(v), dev(w))), nm.vjp(f, v, w))
    else:
        e = 0.1 * np.abs(rng.standard_normal(shape))
        a, b = f(nm.measurements(dev(v), dev(e))), f(nm.measurements(v, e))
        _close(host(nm.value(a)), np.asarray(nm.value(b)))
        _close(host(nm.uncertainty(a)), np.asarray(nm.uncertainty(b), dtype=host(nm.uncertainty(a)).dtype),
               rtol=1e-12)


# The functions whose rules were refused by name on a device before the port (arrayrules.NOT_ON_DEVICE),
# and the three the audit left open (irfft, gradient; partition is refused below), on a 2 x 2 input.
PORTED = [np.flipud, np.fliplr, np.rot90, np.triu, np.tril, np.roll, np.diff, np.cumsum, np.trace, np.pad,
          np.trapezoid, np.prod, np.max, np.min, np.amax, np.amin, np.hstack, np.vstack, np.atleast_2d,
          np.atleast_3d, np.take, np.real_if_close, np.angle, np.zeros_like, np.ones_like, np.real,
          np.diagonal, np.tile, np.repeat, np.flip, np.fft.irfft, np.gradient]
EXTRA = {np.roll: (1,), np.take: ([0, 3, 3],), np.tile: (2,), np.repeat: (2,), np.pad: (1,)}
V = np.array([[1.0, -2.0], [3.0, 4.0]])


def _call(func):
    if func in (np.hstack, np.vstack):
        return lambda u: func([u, 2.0 * u]) * 1.0
    if func is np.gradient:
        return lambda u: func(u)[0] * 1.0
    return lambda u: func(u, *EXTRA.get(func, ())) * 1.0


@pytest.mark.parametrize("mode", ["forward", "reverse"])
@pytest.mark.parametrize("func", PORTED, ids=lambda f: f.__name__)
def test_a_formerly_refused_rule_differentiates_on_the_device_as_on_numpy(func, mode):
    f = _call(func)
    J = nm.jacobian(f, dev(V), mode=mode)
    _close(host(J), np.asarray(nm.jacobian(f, V, mode=mode)))


@pytest.mark.parametrize("func", PORTED, ids=lambda f: f.__name__)
def test_a_formerly_refused_rule_propagates_device_measurements_as_on_numpy(func):
    f, e = _call(func), np.full((2, 2), 0.1)
    a, b = f(nm.measurements(dev(V), dev(e))), f(nm.measurements(V, e))
    _close(host(nm.value(a)), np.asarray(nm.value(b)))
    _close(host(nm.uncertainty(a)), np.asarray(nm.uncertainty(b)))


def test_max_and_min_over_axes_with_ties_pick_the_first_element_on_the_device():
    # ties: the derivative follows the element np.argmax / np.argmin returns, on the device too
    v = np.array([[3.0, 1.0, 3.0], [2.0, 2.0, -1.0]])
    for func in (np.max, np.min):
        for axis in (None, 0, 1, (0, 1)):
            for mode in ("forward", "reverse"):
                f = lambda u: func(u, axis=axis) * 1.0          # noqa: E731
                _close(host(nm.jacobian(f, dev(v), mode=mode)), np.asarray(nm.jacobian(f, v, mode=mode)))


def test_partition_is_refused_on_the_device_with_the_reason_and_runs_on_numpy():
    with pytest.raises(TypeError, match="numpy.partition of arrays of array_api_strict.*argpartition"):
        nm.jacobian(lambda u: np.partition(u, 1), dev([3.0, 1.0, 2.0]))
    J = nm.jacobian(lambda u: np.partition(u, 1), np.array([3.0, 1.0, 2.0]))
    np.testing.assert_array_equal(np.asarray(J), [[0, 1, 0], [0, 0, 1], [1, 0, 0]])


# ------------------------------------------------------------------ the gather / scatter-add mechanism

@pytest.mark.parametrize("func, kw", [(np.repeat, {"repeats": [3, 1, 2]}), (np.tile, {"reps": (2, 3)}),
                                      (np.take, {"indices": [2, 0, 2, 2, 1]}), (np.pad, {"pad_width": 2})])
def test_scatter_add_on_the_device_equals_numpy_bincount_to_the_last_bit(func, kw):
    # the transpose of an element copy: a sum of gathers in bincount's order, so bitwise equal
    shape = (3,)
    idx = xpcompat.index_map(func, shape, kw)
    ct = np.random.default_rng(3).standard_normal(idx.shape) * 10.0 ** np.arange(idx.size).reshape(idx.shape)
    flat = idx.ravel()
    ref = np.bincount(flat[flat > 0] - 1, weights=ct.ravel()[flat > 0], minlength=3)
    np.testing.assert_array_equal(host(xpcompat.scatter_add(dev(ct), idx, shape)), ref)


def test_index_maps_are_computed_once_per_call_signature():
    a = xpcompat.index_map(np.rot90, (3, 4), {"k": 1})
    assert xpcompat.index_map(np.rot90, (3, 4), {"k": 1}) is a
    assert not a.flags.writeable
    np.testing.assert_array_equal(a, np.rot90(np.arange(1, 13).reshape(3, 4)))


def test_einsum_on_a_namespace_without_einsum_is_refused_with_the_reason():
    # the array API has no einsum (CuPy has): before, NumPy's einsum failed on the conversion
    with pytest.raises(TypeError, match="numpy.einsum on arrays of array_api_strict: the array API has no einsum"):
        nm.jacobian(lambda u: np.einsum("i,i->", u, u), dev([1.0, 2.0]))
    g = nm.gradient(lambda u: np.einsum("i,i->", u, u), np.array([1.0, 2.0]))
    np.testing.assert_array_equal(np.asarray(g), [2.0, 4.0])
