"""The number protocol helpers: value, innermost, zero, one, eps, norm, promote, new_order.

Each helper is checked on float, float32, int, complex, mpf, NumPy arrays,
object arrays, Dual (also nested) and DualArray.
"""

import math

import mpmath
import numpy as np
import pytest

import numeric as nm
from numeric.protocol import innermost, new_order


def test_new_order_is_strictly_increasing():
    a, b, c = new_order(), new_order(), new_order()
    assert a < b < c


# -- value / innermost -----------------------------------------------------------------------------


def test_value_of_plain_numbers_is_themselves():
    for x in (2.5, 3, 1 + 2j, np.float32(0.5), mpmath.mpf("0.1")):
        v = nm.value(x)
        assert v == x and type(v) is type(x)
    a = np.array([1.0, 2.0], dtype=np.float32)
    assert nm.value(a) is a


def test_value_peels_every_layer():
    inner = nm.Dual(2.0, 1.0)
    outer = nm.Dual(inner, nm.Dual(3.0, 0.0, tag=inner.tag))
    assert nm.value(outer) == 2.0 and type(nm.value(outer)) is float
    assert innermost(outer) == 2.0
    d = nm.DualArray(np.array([1.0, 2.0], dtype=np.float32), np.eye(2, dtype=np.float32))
    v = nm.value(d)
    assert isinstance(v, np.ndarray) and v.dtype == np.float32
    np.testing.assert_array_equal(v, [1.0, 2.0])


def test_value_of_object_arrays():
    tag = nm.Dual(0.0).tag
    duals = np.array([nm.Dual(1.0, 1.0, tag=tag), nm.Dual(np.float32(2.0), 1.0, tag=tag)],
                     dtype=object)
    v = nm.value(duals)
    assert v.dtype != object
    np.testing.assert_array_equal(v, [1.0, 2.0])
    mp = np.array([nm.Dual(mpmath.mpf(1), 1.0, tag=tag), mpmath.mpf(2)], dtype=object)
    v = nm.value(mp)
    assert v.dtype == object and all(isinstance(e, mpmath.mpf) for e in v)
    assert nm.value([nm.Dual(1.0, 1.0, tag=tag), 2.0]).tolist() == [1.0, 2.0]


# -- zero / one ------------------------------------------------------------------------------------


@pytest.mark.parametrize("x", [2.5, 3, np.float32(1.5), np.float64(1.5), mpmath.mpf("0.3"),
                               mpmath.mpc(1, 2), 1 + 1j])
def test_zero_and_one_keep_the_type(x):
    z, o = nm.zero(x), nm.one(x)
    assert type(z) is type(x) and type(o) is type(x)
    assert z == 0 and o == 1


def test_zero_and_one_of_arrays_keep_shape_and_dtype():
    a = np.ones((2, 3), dtype=np.float32)
    for f, v in ((nm.zero, 0.0), (nm.one, 1.0)):
        out = f(a)
        assert out.shape == (2, 3) and out.dtype == np.float32 and (out == v).all()


def test_zero_and_one_of_duals_keep_the_tag():
    d = nm.Dual(2.0, [1.0, 3.0])
    z, o = nm.zero(d), nm.one(d)
    assert isinstance(z, nm.Dual) and z.tag == d.tag and z.value == 0
    assert isinstance(o, nm.Dual) and o.tag == d.tag and o.value == 1
    np.testing.assert_array_equal(z.partials, [0.0, 0.0])
    np.testing.assert_array_equal(o.partials, [0.0, 0.0])
    da = nm.DualArray(np.array([1.0, 2.0]), np.ones((2, 3)))
    zz, oo = nm.zero(da), nm.one(da)
    assert zz.tag == da.tag and zz.shape == (2,)
    assert (zz.value == 0).all() and (zz.partials == 0).all()
    assert (oo.value == 1).all() and (oo.partials == 0).all()


# -- eps -------------------------------------------------------------------------------------------


def test_eps_of_the_real_type_underneath():
    assert nm.eps(1.0) == np.finfo(np.float64).eps
    assert nm.eps(np.float32(1.0)) == np.finfo(np.float32).eps
    assert nm.eps(np.ones(3, dtype=np.float32)) == np.finfo(np.float32).eps
    assert nm.eps(nm.Dual(np.float32(1.0), 1.0)) == np.finfo(np.float32).eps
    assert nm.eps(nm.DualArray(np.ones(2, np.float32), np.eye(2, dtype=np.float32))) == \
        np.finfo(np.float32).eps
    with mpmath.workdps(50):
        e = nm.eps(mpmath.mpf(1))
        assert isinstance(e, mpmath.mpf) and e == mpmath.eps and e < mpmath.mpf(10) ** -49
        obj = np.array([mpmath.mpf(1)], dtype=object)
        assert nm.eps(obj) == mpmath.eps


# -- norm ------------------------------------------------------------------------------------------


def test_norm_of_scalars_and_arrays():
    assert nm.norm(-3.0) == 3.0
    assert nm.norm(3 + 4j) == 5.0
    assert nm.norm(np.array([3.0, 4.0])) == pytest.approx(math.sqrt(12.5), rel=1e-15)  # RMS
    assert isinstance(nm.norm(np.array([3.0, 4.0])), float)
    assert nm.norm(np.zeros(3)) == 0.0
    big = np.array([1e200, 1e200])
    assert nm.norm(big) == pytest.approx(1e200, rel=1e-15)  # no overflow
    with mpmath.workdps(30):
        n = nm.norm(mpmath.mpf(-2))
        assert isinstance(n, mpmath.mpf) and n == 2


def test_norm_of_duals_includes_the_partials():
    # the RMS over value and partials: DiffEqBase's sse / totallength (src/forwarddiff.jl)
    d = nm.Dual(3.0, [4.0, 0.0])
    assert nm.norm(d) == pytest.approx(math.sqrt(25.0 / 3.0), rel=1e-15)
    assert not isinstance(nm.norm(d), nm.Dual) and nm.norm_length(d) == 3
    da = nm.DualArray(np.array([3.0, 0.0]), np.array([[4.0], [0.0]]))
    n = nm.norm(da)
    assert not isinstance(n, (nm.Dual, nm.DualArray))
    assert n == pytest.approx(math.sqrt(25.0 / 4.0), rel=1e-15) and nm.norm_length(da) == 4


def test_norm_of_object_array_of_duals_is_a_real_number():
    tag = nm.Dual(0.0).tag
    arr = np.array([nm.Dual(3.0, 0.0, tag=tag), nm.Dual(4.0, 0.0, tag=tag)], dtype=object)
    n = nm.norm(arr)
    assert not isinstance(n, nm.Dual)
    assert float(n) == pytest.approx(math.sqrt(25.0 / 4.0), rel=1e-15)  # 2 values, 2 partials


@pytest.mark.parametrize("k", [1, 3])
def test_dual_norm_is_the_rms_over_every_component_whatever_the_container(k):
    rng = np.random.default_rng(k)
    v, P = rng.normal(size=4), rng.normal(size=(4, k))
    expected = math.sqrt((np.sum(v**2) + np.sum(P**2)) / (4 * (1 + k)))  # all 4 (1 + k) components
    da = nm.DualArray(v, P)
    obj = np.array([nm.Dual(v[i], P[i], tag=da.tag) for i in range(4)], dtype=object)
    assert nm.norm(da) == pytest.approx(expected, rel=1e-14)
    assert float(nm.norm(obj)) == pytest.approx(expected, rel=1e-14)
    # one element: a scalar dual takes the steps of the length-1 array
    assert nm.norm(nm.Dual(v[0], P[0])) == pytest.approx(float(nm.norm(da[:1])), rel=1e-14)
    with mpmath.workdps(30):
        mp = nm.Dual(mpmath.mpf(3), [mpmath.mpf(4)] * k)
        assert nm.norm(mp) == mpmath.sqrt((9 + 16 * mpmath.mpf(k)) / (1 + k))


def test_norm_of_nested_duals_counts_every_real_component():
    inner = nm.Dual(1.0, [1.0])
    outer = nm.Dual(inner, [nm.Dual(2.0, [0.0], tag=inner.tag)])  # components 1, 1, 2, 0
    assert nm.norm_length(outer) == 4
    assert nm.norm(outer) == pytest.approx(math.sqrt(6.0 / 4.0), rel=1e-15)


def test_measurement_norm_counts_one_uncertainty_per_element():
    # the components w.r.t. sources make up one error per element: splitting a source in two
    # (same total uncertainty) must not change the norm, so the divisor is n, not n (1 + k)
    one = nm.measurements(np.array([3.0, 0.0]), np.array([4.0, 0.0]))
    a, b = nm.Measurement(0.0, 4.0 / math.sqrt(2)), nm.Measurement(0.0, 4.0 / math.sqrt(2))
    two = np.array([1.0, 0.0]) * (3.0 + a + b)  # 3 ± 4 from two sources
    assert isinstance(two, nm.MeasurementArray) and nm.norm_length(one) == nm.norm_length(two) == 2
    assert nm.norm(one) == pytest.approx(math.sqrt(25.0 / 2.0), rel=1e-15)
    assert nm.norm(two) == pytest.approx(nm.norm(one), rel=1e-14)


# -- promote ---------------------------------------------------------------------------------------


def test_promote_float_and_mpf():
    u, p = nm.promote(1.0, mpmath.mpf(2))
    assert isinstance(u, mpmath.mpf) and isinstance(p, mpmath.mpf) and u == 1


def test_promote_float32_and_float64():
    a, b = nm.promote(np.ones(2, dtype=np.float32), 1.5)
    assert a.dtype == np.float32 or a.dtype == np.float64  # a Python float is weak ...
    a, b = nm.promote(np.ones(2, dtype=np.float32), np.float64(1.5))
    assert a.dtype == np.float64  # ... a NumPy float64 is not


def test_promote_state_and_dual_parameter():
    d = nm.Dual(2.0, [1.0, 0.0])
    u, p = nm.promote(np.array([1.0, 2.0]), d)
    assert p is d or (p.value == 2.0 and p.tag == d.tag)
    assert getattr(u, "tag", None) == d.tag
    np.testing.assert_array_equal(nm.value(u), [1.0, 2.0])
    x, y = nm.promote(3, d)
    assert isinstance(x, nm.Dual) and x.value == 3.0 and x.tag == d.tag
    np.testing.assert_array_equal(x.partials, [0.0, 0.0])


def test_promote_int_becomes_float():
    (x,) = nm.promote(3)
    assert type(x) is float and x == 3.0


# -- the runnable examples in the docstrings of the foundation modules -----------------------------


@pytest.mark.parametrize("module", ["protocol", "functions", "rules", "dual", "dualarray", "api",
                                    "backend", "testing", "strategies"])
def test_docstring_examples_run(module):
    import doctest
    import importlib
    import warnings

    mod = importlib.import_module(f"numeric.{module}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # hypothesis warns about .example() outside tests
        result = doctest.testmod(mod, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0, f"numeric.{module} has no runnable example"
    assert result.failed == 0
