"""Issue 10's coverage list: each NumPy function works in forward, reverse and Measurement form.

Every case is checked against central differences of the plain-float function (forward and
reverse Jacobians; a Measurement's uncertainty against linear propagation with that
Jacobian), or, where metanum has no rule, must refuse with an UnsupportedArrayFunction that
names the function and points to nm.custom_rule. The list is the "Coverage" paragraph of
issue 10 (the functions of HIPS/autograd tests/test_numpy.py and test_systematic.py that it
names).
"""

import numpy as np
import pytest

import numeric as nm
from numeric.arrayrules import UnsupportedArrayFunction
from tests._central import central_jacobian as _central

rng = np.random.default_rng(0)
V5 = rng.normal(size=5)
M33 = rng.normal(size=(3, 3))
SPD = M33 @ M33.T + 3 * np.eye(3)
X34 = rng.normal(size=(3, 4))

CASES = {
    "std": (lambda x: np.std(x, axis=0), M33),
    "var": (lambda x: np.var(x, ddof=1), V5),
    "sort": (lambda x: np.sort(x), V5),
    "argsort-take": (lambda x: np.take(x, np.argsort(x)), V5),
    "argsort-index": (lambda x: x[np.argsort(x)], V5),
    "diag": (lambda x: np.diag(x), V5),
    "diagonal": (lambda x: np.diagonal(x), M33),
    "tile": (lambda x: np.tile(x, 2), V5),
    "repeat": (lambda x: np.repeat(x, 2), V5),
    "outer": (lambda x: np.outer(x, x), V5),
    "kron": (lambda x: np.kron(x, x), V5[:3]),
    "cross": (lambda x: np.cross(x[:3], x[2:]), V5),
    "tensordot": (lambda x: np.tensordot(x, x, axes=2), M33),
    "einsum": (lambda x: np.einsum("ij,jk->ik", x, x), M33),
    "einsum-one-operand": (lambda x: np.einsum("ij->j", x), M33),
    "einsum-ellipsis": (lambda x: np.einsum("...i,...i->...", x, x), M33),
    "einsum-implicit-ellipsis": (lambda x: np.einsum("...ij,jk", x, x), M33),
    "pad": (lambda x: np.pad(x, 2), V5),
    "take": (lambda x: np.take(x, [0, 2, 2]), V5),
    "gradient": (lambda x: np.gradient(x), V5),
    "gradient-2d": (lambda x: np.gradient(x, 0.5, axis=1, edge_order=2), X34),
    "gradient-all-axes": (lambda x: np.stack(np.gradient(x, 0.5, 2.0)), X34),
    "trapezoid": (lambda x: np.trapezoid(x, dx=0.3), V5),
    "interp": (lambda x: np.interp(np.array([0.5, 1.5, 3.2]), np.arange(5.0), x), V5),
    "logaddexp": (lambda x: np.logaddexp(x, 2 * x), V5),
    "exp2": (lambda x: np.exp2(x), V5),
    "sinc": (lambda x: np.sinc(x), V5),
    "heaviside": (lambda x: np.heaviside(x, 0.5) * x, V5),
    "mod": (lambda x: np.mod(x, 0.7) + x, V5),
    "floor_divide": (lambda x: np.floor_divide(x, 0.7) + x, V5),
    "square": (lambda x: np.square(x), V5),
    "reciprocal": (lambda x: np.reciprocal(x), V5),
    "fft": (lambda x: np.real(np.fft.fft(x)) + np.imag(np.fft.fft(x)), V5),
    "ifft": (lambda x: np.imag(np.fft.ifft(x, n=7)), V5),
    "rfft": (lambda x: np.real(np.fft.rfft(x)) - 2 * np.imag(np.fft.rfft(x)), V5),
    "irfft": (lambda x: np.fft.irfft(x), V5),
    "rfft-irfft-filter": (lambda x: np.fft.irfft(np.fft.rfft(x) * np.array([1, 0.5, 0.1])), V5),
    "inv": (lambda x: np.linalg.inv(x), SPD),
    "det": (lambda x: np.linalg.det(x), SPD),
    "slogdet": (lambda x: np.linalg.slogdet(x)[1], SPD),
    "cholesky": (lambda x: np.linalg.cholesky(x), SPD),
    "eigh": (lambda x: np.linalg.eigh(x)[0], SPD),
    "qr": (lambda x: np.linalg.qr(x)[1], SPD),
    "svd": (lambda x: np.linalg.svd(x, compute_uv=False), M33),
    **{f"matrix-norm-{o}": ((lambda o: lambda x: np.linalg.norm(x, ord=o))(o), M33)
       for o in (None, "fro", "nuc", 1, -1, 2, -2, np.inf, -np.inf)},
    **{f"vector-norm-{o}": ((lambda o: lambda x: np.linalg.norm(x, ord=o))(o), V5)
       for o in (None, 1, 2, 3, np.inf, -np.inf)},
    "max-axis-keepdims": (lambda x: np.max(x, axis=1, keepdims=True), M33),
    "min-axis": (lambda x: np.min(x, axis=0), M33),
    "argmax": (lambda x: x[np.argmax(x)], V5),
    "astype-method": (lambda x: x.astype(np.float64) * x, V5),
    "np.astype": (lambda x: np.astype(x, np.float64) * x, V5),
    # the compositions of numeric/arrayrules_composed.py
    "partition": (lambda x: np.partition(x, 2), V5),
    "partition-axis0": (lambda x: np.partition(x, 1, axis=0), M33),
    "partition-axis-none": (lambda x: np.partition(x, [1, 5], axis=None), X34),
    "argpartition-index": (lambda x: x[np.argpartition(x, 3)], V5),
    "split": (lambda x: np.split(x, 3, axis=1)[2], M33),
    "split-indices": (lambda x: np.concatenate(np.split(x, [1, 3])[::-1]), V5),
    "array_split": (lambda x: np.array_split(x, 2)[1], V5),
    "hsplit": (lambda x: np.hsplit(x, 2)[1], X34),
    "vsplit": (lambda x: np.vsplit(x, [1])[1], X34),
    "dsplit": (lambda x: np.dsplit(np.reshape(x, (3, 2, 2)), 2)[0], X34),
    "angle-real": (lambda x: np.angle(x) + x, V5),
    "angle-complex": (lambda x: np.angle(x[:2] + 1j * x[2:4], deg=True), V5),
    "real_if_close": (lambda x: np.real_if_close(np.fft.ifft(np.fft.fft(x))), V5),
    "all-any": (lambda x: x * float(np.all(x)) + 2 * x * float(np.any(x > 10)), V5),
}

# cases metanum refuses (with a metanum error), per mode
REFUSED = {}


@pytest.mark.parametrize("mode", ["forward", "reverse", "measurement"])
@pytest.mark.parametrize("name", list(CASES))
def test_function_works_or_refuses_with_a_metanum_error(name, mode):
    f, x = CASES[name]
    ref = _central(f, x)
    if (name, mode) in REFUSED:
        with pytest.raises(UnsupportedArrayFunction, match="custom_rule"):
            f(nm.measurements(x, 0.1)) if mode == "measurement" else nm.jacobian(f, x, mode=mode)
        return
    if mode == "measurement":
        sig = 0.01 + 0.01 * np.abs(x)
        out = f(nm.measurements(x, sig))
        np.testing.assert_allclose(np.asarray(nm.value(out)), f(x), rtol=1e-13, atol=1e-13)
        want = np.sqrt((ref ** 2) @ (sig.ravel() ** 2))
        np.testing.assert_allclose(np.ravel(nm.uncertainty(out)), want, rtol=1e-5, atol=1e-10)
        return
    J = np.asarray(nm.jacobian(f, x, mode=mode), dtype=float).reshape(ref.shape)
    np.testing.assert_allclose(J, ref, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("mode", ["forward", "reverse", "measurement"])
@pytest.mark.parametrize("call, name", [
    (lambda x: np.einsum(x, [0], x, [0], []), "numpy.einsum"),     # the sublist form
    (lambda x: np.gradient(x, np.array([0.0, 1.0, 3.0])), "numpy.gradient"),
    (lambda x: np.sum(x, where=np.array([True, False, True])), "numpy.sum"),
    (lambda x: np.unwrap(x), "numpy.unwrap"),
])
def test_unsupported_forms_refuse_naming_the_function_and_custom_rule(call, name, mode):
    x = np.array([0.3, 1.0, -2.0])
    with pytest.raises(UnsupportedArrayFunction, match=name.replace(".", r"\.")) as e:
        call(nm.measurements(x, 0.1)) if mode == "measurement" else nm.jacobian(call, x, mode=mode)
    assert "nm.custom_rule" in str(e.value)


@pytest.mark.parametrize("mode", ["forward", "reverse"])
def test_astype_float32_keeps_the_float_kind_and_the_derivative(mode):
    x = np.array([0.5, 1.5, -1.0])
    g = nm.gradient(lambda y: np.sum(np.astype(y, np.float32) ** 2), x, mode=mode)
    np.testing.assert_allclose(np.asarray(g, dtype=float), 2 * x, rtol=1e-6)
    with pytest.raises(UnsupportedArrayFunction, match="int64"):
        nm.gradient(lambda y: np.sum(np.astype(y, np.int64)), x, mode=mode)


@pytest.mark.parametrize("mode", ["forward", "reverse", "measurement"])
@pytest.mark.parametrize("func", [np.sum, np.mean])
def test_sum_and_mean_refuse_where_instead_of_ignoring_it(func, mode):
    # regression: MeasurementArray's np.sum (and every type's np.mean) silently ignored where=
    x, w = np.array([0.3, 1.0, -2.0]), np.array([True, False, True])
    with pytest.raises(UnsupportedArrayFunction, match="where="):
        if mode == "measurement":
            func(nm.measurements(x, 0.1), where=w)
        else:
            nm.gradient(lambda y: func(y, where=w), x, mode=mode)
