"""The elementary functions nm.* on every plain number type.

Values are compared with mpmath at 40 digits; types are checked: Python
scalars give Python floats, NumPy float32 stays float32 (scalars and arrays),
mpf gives mpf, object arrays stay object arrays. Domain errors on Python
floats give nan or inf as NumPy does, never an exception.
"""

import cmath
import math
import warnings

import mpmath
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import numeric as nm
from numeric.rules import RULES
from numeric.strategies import points

NAMES = sorted(RULES)

# Independent references (mpmath); lgamma is log|Gamma|, cbrt the real cube root.
_MP = {
    "exp": mpmath.exp, "expm1": mpmath.expm1, "log": mpmath.log, "log1p": mpmath.log1p,
    "log2": lambda x: mpmath.log(x, 2), "log10": mpmath.log10, "sqrt": mpmath.sqrt,
    "cbrt": lambda x: mpmath.sign(x) * mpmath.cbrt(abs(x)),
    "sin": mpmath.sin, "cos": mpmath.cos, "tan": mpmath.tan, "arcsin": mpmath.asin,
    "arccos": mpmath.acos, "arctan": mpmath.atan, "sinh": mpmath.sinh, "cosh": mpmath.cosh,
    "tanh": mpmath.tanh, "arcsinh": mpmath.asinh, "arccosh": mpmath.acosh,
    "arctanh": mpmath.atanh, "abs": mpmath.fabs, "sign": mpmath.sign, "erf": mpmath.erf,
    "erfc": mpmath.erfc, "gamma": mpmath.gamma,
    "lgamma": lambda x: mpmath.log(abs(mpmath.gamma(x))),
    "digamma": lambda x: mpmath.psi(0, x), "polygamma": lambda n, x: mpmath.psi(int(n), x),
    "arctan2": mpmath.atan2, "hypot": mpmath.hypot, "power": mpmath.power,
    "maximum": max, "minimum": min, "clip": lambda x, lo, hi: min(max(x, lo), hi),
    "exp2": lambda x: mpmath.power(2, x),
    "logaddexp": lambda x, y: mpmath.log(mpmath.exp(x) + mpmath.exp(y)),
    "logaddexp2": lambda x, y: mpmath.log(mpmath.power(2, x) + mpmath.power(2, y), 2),
    "sinc": mpmath.sincpi,
    "heaviside": lambda x, h: mpmath.mpf(0) if x < 0 else (mpmath.mpf(1) if x > 0 else h),
    "deg2rad": mpmath.radians, "radians": mpmath.radians,
    "rad2deg": mpmath.degrees, "degrees": mpmath.degrees,
    "remainder": lambda x, y: x - y * mpmath.floor(x / y),
    "fmod": lambda x, y: x - y * (mpmath.floor(x / y) if x / y >= 0 else mpmath.ceil(x / y)),
    "floor_divide": lambda x, y: mpmath.floor(x / y),
    "floor": mpmath.floor, "ceil": mpmath.ceil,
    "trunc": lambda x: mpmath.floor(x) if x >= 0 else mpmath.ceil(x), "rint": mpmath.nint,
    "copysign": lambda x, y: abs(x) if y >= 0 else -abs(x),
    # for mpf: one ulp of the working precision towards y, below every tolerance here
    "nextafter": lambda x, y: x,
    "square": lambda x: x * x, "reciprocal": lambda x: 1 / x, "positive": lambda x: +x,
    "expit": lambda x: 1 / (1 + mpmath.exp(-x)), "softplus": lambda x: mpmath.log(1 + mpmath.exp(x)),
}  # fmt: skip


def _reference(name, args):
    with mpmath.workdps(40):
        return _MP[name](*[a if isinstance(a, int) and name == "polygamma" else mpmath.mpf(float(a))
                           for a in args])


def _close(got, ref, rtol, scale=None, atol=0.0):
    """|got - ref| <= rtol * max(|ref|, scale) + atol: scale carries the conditioning,
    atol the spacing of subnormal results (which have fewer significant bits)."""
    ref = mpmath.mpf(ref)
    scale = abs(ref) if scale is None else max(abs(ref), scale)
    return abs(mpmath.mpf(float(got)) - ref) <= rtol * max(scale, mpmath.mpf(1e-300)) + atol


def _condition_scale(name, args):
    """sum_i |x_i df/dx_i|: what rounding the inputs costs a backward-stable implementation.

    Near a zero of f (lgamma at 1 and 2, digamma at 1.46) the relative error
    of any float implementation is large; its error relative to this scale is not.
    """
    with mpmath.workdps(40):
        xs = [mpmath.mpf(float(a)) for a in args]
        f = _MP[name]
        if name == "polygamma":
            return abs(xs[1] * mpmath.diff(lambda t: f(int(args[0]), t), xs[1]))
        total = mpmath.mpf(0)
        for i in range(len(xs)):
            order = tuple(int(i == j) for j in range(len(xs)))
            total += abs(xs[i] * mpmath.diff(f, xs, order)) if len(xs) > 1 else \
                abs(xs[0] * mpmath.diff(f, xs[0]))
        return total


def _call(name, args):
    return nm.FUNCTIONS[name](*args)


def test_reference_table_is_complete():
    assert set(_MP) == set(RULES)


@pytest.mark.parametrize("name", NAMES)
@settings(max_examples=8)
@given(data=st.data())
def test_python_float_and_int(name, data):
    args = data.draw(points(name), label="args")
    ref = _reference(name, args)
    out = _call(name, tuple(float(a) if not isinstance(a, int) or name != "polygamma" else a
                            for a in args))
    assert type(out) is float
    assert _close(out, ref, 1e-13, _condition_scale(name, args)), (out, ref)
    # integers are accepted and give floats
    if name not in ("polygamma",):
        ints = tuple(round(a) for a in args)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            iout = _call(name, ints)
        assert type(iout) is float
        try:
            iref = _reference(name, ints)
        except (ValueError, ZeroDivisionError):
            # a pole (gamma at a non-positive integer): nan or inf, no exception
            assert not math.isfinite(iout)
            return
        if mpmath.isfinite(iref):          # (not guarded by the output under test)
            assert _close(iout, iref, 1e-13, _condition_scale(name, ints)), (ints, iout, iref)


@pytest.mark.parametrize("name", NAMES)
@settings(max_examples=3)
@given(data=st.data())
def test_numpy_scalars_and_arrays_keep_their_dtype(name, data):
    args = data.draw(points(name), label="args")
    for dtype, rtol in ((np.float64, 1e-13), (np.float32, 2e-6)):
        cast = tuple(a if isinstance(a, int) and name == "polygamma" else dtype(a) for a in args)
        plain = [a if isinstance(a, int) else float(a) for a in cast]
        ref_t, scale = _reference(name, plain), _condition_scale(name, plain)
        out = _call(name, cast)
        assert type(out) is dtype, (dtype, type(out))
        # float32 inputs: relative to the function at the float32-rounded point
        # a subnormal result is exact only to the subnormal spacing of its dtype
        subnormal = float(np.finfo(dtype).smallest_subnormal)
        assert _close(out, ref_t, rtol, scale, subnormal), (dtype, out, ref_t)
        arrays = tuple(a if isinstance(a, int) else np.full(3, a, dtype=dtype) for a in cast)
        arr = _call(name, arrays)
        assert isinstance(arr, np.ndarray) and arr.dtype == dtype and arr.shape == (3,)
        assert all(_close(e, ref_t, rtol, scale, subnormal) for e in arr)


@pytest.mark.parametrize("name", NAMES)
@settings(max_examples=3)
@given(data=st.data())
def test_mpf_and_object_arrays(name, data):
    args = data.draw(points(name), label="args")
    with mpmath.workdps(30):
        margs = tuple(a if isinstance(a, int) and name == "polygamma" else mpmath.mpf(a)
                      for a in args)
        out = _call(name, margs)
        assert isinstance(out, mpmath.mpf)
        ref = _reference(name, args)
        assert abs(out - ref) <= mpmath.mpf(10) ** -28 * max(1, abs(ref))
        objs = []
        for a in margs:
            if isinstance(a, int):
                objs.append(a)
            else:
                o = np.empty(2, dtype=object)
                o[:] = [a, a]
                objs.append(o)
        arr = _call(name, tuple(objs))
        assert arr.dtype == object and all(isinstance(e, mpmath.mpf) and e == out for e in arr)


_COMPLEX = ["exp", "expm1", "log", "log1p", "log2", "log10", "sqrt", "sin", "cos", "tan",
            "arcsin", "arccos", "arctan", "sinh", "cosh", "tanh", "arcsinh", "arccosh", "arctanh",
            "erf", "erfc", "gamma", "digamma"]
_MPC = {"arcsin": mpmath.asin, "arccos": mpmath.acos, "arctan": mpmath.atan,
        "arcsinh": mpmath.asinh, "arccosh": mpmath.acosh, "arctanh": mpmath.atanh,
        "digamma": mpmath.digamma, "log2": lambda z: mpmath.log(z, 2)}


@pytest.mark.parametrize("name", _COMPLEX)
@pytest.mark.parametrize("z", [0.3 + 0.4j, -0.7 + 0.2j, 1.5 - 0.5j])
def test_python_complex(name, z):
    out = _call(name, (z,))
    assert type(out) is complex
    with mpmath.workdps(40):
        ref = (_MPC.get(name) or getattr(mpmath, name))(mpmath.mpc(z))
    assert abs(out - complex(ref)) <= 1e-13 * abs(complex(ref))
    with mpmath.workdps(30):
        mz = mpmath.mpc(z)
        mout = _call(name, (mz,))
        assert isinstance(mout, mpmath.mpc)
        assert abs(mout - ref) <= mpmath.mpf(10) ** -27 * abs(ref)


def test_complex_power_sign_abs_cbrt():
    assert nm.power(1j, 2) == pytest.approx(-1)
    assert nm.abs(3 + 4j) == 5.0
    assert nm.sign(3 + 4j) == pytest.approx(0.6 + 0.8j)
    assert nm.sign(0j) == 0
    assert nm.cbrt(-8 + 0j) == pytest.approx(-2)
    assert cmath.isclose(nm.cbrt(-8 + 1e-3j) ** 3, -8 + 1e-3j, rel_tol=1e-14)


def test_numpy_complex_arrays():
    z = np.array([0.3 + 0.4j, -1 + 2j])
    np.testing.assert_allclose(nm.exp(z), np.exp(z), rtol=1e-15)
    assert nm.sin(z.astype(np.complex64)).dtype == np.complex64


def test_complex_for_non_analytic_functions_is_an_error():
    with pytest.raises(TypeError, match="nm.maximum is not defined for complex"):
        nm.maximum(1j, 2.0)


def test_lists_behave_like_arrays():
    out = nm.sin([0.0, 1.0])
    assert isinstance(out, np.ndarray)
    np.testing.assert_allclose(out, np.sin([0.0, 1.0]), rtol=0)
    np.testing.assert_allclose(nm.hypot([3.0], (4.0,)), [5.0])


def test_bool_and_mixed_python_scalars():
    assert nm.exp(True) == math.e
    assert nm.power(2, 10) == 1024.0 and type(nm.power(2, 10)) is float
    assert nm.maximum(1, 2.5) == 2.5


def test_float32_meets_python_float_stays_float32():
    x = np.float32(0.5)
    for name in ("arctan2", "hypot", "power", "maximum", "minimum"):
        assert type(nm.FUNCTIONS[name](x, 0.75)) is np.float32, name
    assert type(nm.clip(x, -1.0, 1.0)) is np.float32
    assert nm.polygamma(2, np.float32(1.5)).dtype == np.float32


# -- domain errors give nan/inf like NumPy, never an exception --------------------------


@pytest.mark.parametrize("name, args, expected", [
    ("log", (-1.0,), "nan"), ("log", (0.0,), "-inf"), ("sqrt", (-1.0,), "nan"),
    ("arcsin", (2.0,), "nan"), ("arccos", (-1.5,), "nan"), ("arccosh", (0.5,), "nan"),
    ("arctanh", (1.0,), "inf"), ("arctanh", (2.0,), "nan"), ("log10", (-2.0,), "nan"),
    ("log2", (0.0,), "-inf"), ("log1p", (-1.0,), "-inf"), ("log1p", (-2.0,), "nan"),
    ("exp", (1000.0,), "inf"), ("cosh", (1000.0,), "inf"), ("gamma", (-1.0,), "nan"),
    ("gamma", (200.0,), "inf"), ("lgamma", (0.0,), "inf"), ("power", (-8.0, 1 / 3), "nan"),
    ("power", (0.0, -1.0), "inf"), ("digamma", (0.0,), "nan"), ("polygamma", (1, -2.0), "nan"),
    ("tan", (math.inf,), "nan"), ("sin", (math.inf,), "nan"), ("sqrt", (math.nan,), "nan"),
    ("maximum", (math.nan, 1.0), "nan"), ("maximum", (1.0, math.nan), "nan"),
    ("minimum", (math.nan, 1.0), "nan"), ("minimum", (1.0, math.nan), "nan"),
])
def test_domain_errors_follow_numpy(name, args, expected):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        out = nm.FUNCTIONS[name](*args)
        ref = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}[expected]
        assert type(out) is float
        if expected == "nan":
            assert math.isnan(out)
        else:
            assert out == ref
        # and NumPy agrees (for the functions NumPy has)
        np_f = getattr(np, name, None)
        if np_f is not None and name != "polygamma":
            np_out = np_f(*[np.float64(a) for a in args])
            assert (math.isnan(out) and np.isnan(np_out)) or out == np_out


def test_domain_errors_on_float32_arrays():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        out = nm.log(np.array([-1.0, 0.0, 1.0], dtype=np.float32))
    assert out.dtype == np.float32
    assert np.isnan(out[0]) and out[1] == -np.inf and out[2] == 0


def test_sign_and_abs_special_values():
    assert nm.sign(0.0) == 0 and nm.sign(-3.0) == -1 and nm.sign(2.0) == 1
    assert math.isnan(nm.sign(math.nan))
    assert nm.abs(-0.0) == 0.0 and nm.abs(-2) == 2


def test_polygamma_order_is_validated():
    with pytest.raises(ValueError, match="non-negative integer"):
        nm.polygamma(-1, 1.0)
    assert nm.polygamma(0, 2.5) == nm.digamma(2.5)


def test_where_selects_without_differentiating_the_condition():
    assert nm.where(True, 1.0, 2.0) == 1.0
    np.testing.assert_array_equal(nm.where(np.array([True, False]), 1.0, 2.0), [1.0, 2.0])


def test_unknown_argument_type_names_the_type():
    with pytest.raises(TypeError, match=r"nm\.sin got arguments of type \(str\)"):
        nm.sin("0.5")
    with pytest.raises(TypeError, match=r"nm\.hypot got arguments of type \(NoneType, float\)"):
        nm.hypot(None, 1.0)
