"""autograd's cases (HIPS/autograd tests/test_systematic.py; ids "numpy-*": tests/test_numpy.py), forward, reverse, MeasurementArray.

Each case f(x) is scalarised as sum(w * f(x)) with fixed random weights w and its gradient, from
nm.gradient in forward and in reverse mode, is compared with a five-point central difference;
in MeasurementArray form (unit independent errors) the propagated uncertainty must equal the
norm of the central-difference gradient.
"""

import numpy as np
import pytest

from numeric.arrayrules import UnsupportedArrayFunction
from tests.peers import _autograd_cases as C
from tests.peers._check import central

import numeric as nm

_U = UnsupportedArrayFunction
_NI = "NumPy TypeError 'operand type(s) all returned NotImplemented': no rule for ufunc "
_NF = "NumPy TypeError 'no implementation found': the array type returns NotImplemented for "
# Cases that fail today: (case id prefix, mode or None for both) -> (exception type, reason).
# An id containing "-()-" has a Python-float differentiated argument.
KNOWN = {
    # HIPS/autograd tests/test_numpy.py
    # np.array / np.r_ / np.c_ have no NumPy dispatch: each array number goes through __array__,
    # which refuses and names the joins that keep the derivative (np.stack / np.concatenate)
    ("numpy-array_from_arrays", None): (TypeError, "np.array([x, x]) of AD arrays refuses, "
                                                   "naming np.stack"),
    ("numpy-r_double", None): (TypeError, "np.r_[x, x] of AD arrays refuses, naming np.concatenate"),
    ("numpy-c_", None): (TypeError, "np.c_[x, c, x] of AD arrays refuses, naming np.stack"),
}
# Array-argument forms only (the Python-float argument, id "-()-", works):
KNOWN_ARRAY_ONLY: dict = {}


def scalarised(f, x):
    """(g, v): g(v) = sum(w * f(x(v))) on the flat float vector v."""
    x = np.asarray(x, dtype=float)
    shape = x.shape
    w = np.random.default_rng(1).standard_normal(np.shape(f(x.copy() if shape else float(x))))

    def g(v):
        xv = v[0] if shape == () else v.reshape(shape)
        return np.sum(w * f(xv))
    return g, x.ravel().copy()


def check(f, x, mode):
    g, v = scalarised(f, x)
    if mode == "measurement":  # unit independent errors: linear propagation gives |grad g|
        y = g(nm.measurements(v, 1.0))
        np.testing.assert_allclose(nm.value(y), g(v), rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(nm.uncertainty(y), np.linalg.norm(central(g, v)), rtol=1e-7,
                                   atol=1e-8)
        return
    got = np.asarray(nm.gradient(g, v, mode=mode), dtype=float)
    np.testing.assert_allclose(got, central(g, v), rtol=1e-7, atol=1e-8, equal_nan=False)


def _known(cid, mode):
    if mode == "measurement":
        return _known_measurement(cid)
    for (prefix, m), spec in KNOWN.items():
        if (cid + "-").startswith(prefix) and m in (None, mode):
            return spec
    for (prefix, m), spec in KNOWN_ARRAY_ONLY.items():
        if cid.startswith(prefix) and m == mode and "-()-" not in cid:
            return spec
    return None


def _known_measurement(cid):
    """MeasurementArray fails where DualArray does (the same tables give both their rules)."""
    spec = _known(cid, "forward")
    return None if spec is None else (spec[0], spec[1] + " (MeasurementArray: same gap)")


def _params():
    out = []
    for cid, f, x in C.cases():
        for mode in ("forward", "reverse", "measurement"):
            spec = _known(cid, mode)
            marks = [] if spec is None else [
                pytest.mark.xfail(strict=True, raises=spec[0], reason="issue 10: " + spec[1])]
            out.append(pytest.param(f, x, mode, marks=marks, id=f"{cid}-{mode}"))
    return out


@pytest.mark.parametrize("f, x, mode", _params())
def test_autograd_systematic(f, x, mode):
    """Source: HIPS/autograd tests/test_systematic.py, the test named in the id."""
    check(f, x, mode)

