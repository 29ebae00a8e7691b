"""The shared table of linear array primitives (numeric.arrayrules.LINEAR).

Every entry is tested from its declared samples, so adding an entry adds its
tests: forward and reverse Jacobians and MeasurementArray uncertainties
against central differences, and the transpose against the adjoint identity.
"""

from pathlib import Path

import numpy as np
import pytest

import numeric as nm
from numeric import arrayrules

CASES = [pytest.param(rule, shape, kw, id=f"{func.__name__}-{k}")
         for func, rule in list(arrayrules.LINEAR.items()) + [(arrayrules.GETITEM.func,
                                                              arrayrules.GETITEM)]
         for k, (shape, kw) in enumerate(rule.samples)]     # x[index] too (every __getitem__)
N_LINEAR = len(CASES) - len(arrayrules.GETITEM.samples)


def _x(shape):
    return np.random.default_rng(sum(shape) + len(shape)).normal(size=shape)


def _real_view(rule, kw):
    """The entry as a real map: complex outputs (FFTs) seen as real + 0.5 imag, which runs the
    table's np.real and np.imag entries too."""
    def f(y):
        z = rule.call(y, **kw)
        if np.iscomplexobj(nm.value(z)):
            return np.real(z) + 0.5 * np.imag(z)
        return z
    return f


def _pair(u, t):
    """The real pairing Re(sum(u * t)) the transposes are declared for (JAX's convention)."""
    return float(np.real(np.sum(np.asarray(u) * np.asarray(t))))


def _central_jacobian(f, x, h=1e-3):
    cols = []
    for j in range(x.size):
        e = np.zeros(x.size)
        e[j] = h
        cols.append((np.asarray(f(x + e.reshape(x.shape)))
                     - np.asarray(f(x - e.reshape(x.shape)))).ravel() / (2 * h))
    return np.stack(cols, axis=-1)          # (out size, in size)


@pytest.mark.parametrize("rule, shape, kw", CASES)
@pytest.mark.parametrize("mode", ["forward", "reverse"])
def test_jacobian_matches_central_differences(rule, shape, kw, mode):
    x = _x(shape)
    f = _real_view(rule, kw)
    J = np.asarray(nm.jacobian(f, x, mode=mode) if mode == "reverse" else nm.jacobian(f, x))
    ref = _central_jacobian(f, x)
    assert J.shape == np.shape(f(x)) + shape
    np.testing.assert_allclose(J.reshape(ref.shape), ref, rtol=1e-9, atol=1e-9)
    np.testing.assert_array_equal(nm.value(f(x)), f(x))


@pytest.mark.parametrize("rule, shape, kw", CASES)
def test_measurement_uncertainty_is_linear_propagation(rule, shape, kw):
    x = _x(shape)
    sig = 0.1 + np.abs(_x(shape)) / 10
    f = _real_view(rule, kw)
    out = f(nm.measurements(x, sig))
    ref = _central_jacobian(f, x)
    expected = np.sqrt((ref ** 2) @ (sig.ravel() ** 2)).reshape(np.shape(f(x)))
    np.testing.assert_allclose(nm.uncertainty(out), expected, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(nm.value(out), f(x), rtol=0, atol=0)


# complex operands too where the function takes them (FFTs of complex arrays, real/imag)
FIELDS = [pytest.param(*c.values, "real", id=c.id + "-real") for c in CASES] + [
    pytest.param(*c.values, "complex", id=c.id + "-complex") for c in CASES
    if c.values[0].complex_valued and c.values[0].func is not np.fft.rfft]


@pytest.mark.parametrize("rule, shape, kw, field", FIELDS)
def test_transpose_satisfies_adjoint_identity(rule, shape, kw, field):
    # <u, J v> = <J^T u, v> for the real pairing Re(sum(u * t))
    rng = np.random.default_rng(7)
    v = rng.normal(size=shape) + (1j * rng.normal(size=shape) if field == "complex" else 0)
    Jv = np.asarray(rule.call(v, **kw))
    u = rng.normal(size=Jv.shape) + (1j * rng.normal(size=Jv.shape) if np.iscomplexobj(Jv) else 0)
    JTu = np.asarray(rule.transpose(u, shape, **kw))
    assert JTu.shape == shape
    assert _pair(u, Jv) == pytest.approx(_pair(JTu, v), rel=1e-12, abs=1e-12)


@pytest.mark.parametrize("rule, shape, kw", CASES)
def test_reverse_vjp_is_the_transpose_of_the_forward_jvp(rule, shape, kw):
    # across modes: <u, jvp(v)> (forward mode) = <vjp(u), v> (the tape's generated VJP)
    rng = np.random.default_rng(11)
    f = _real_view(rule, kw)
    x, v = _x(shape), rng.normal(size=shape)
    Jv = np.asarray(nm.jvp(f, x, v))
    u = rng.normal(size=np.shape(Jv))
    JTu = np.asarray(nm.vjp(f, x, u))
    assert _pair(u, Jv) == pytest.approx(_pair(JTu, v), rel=1e-12, abs=1e-12)


@pytest.mark.parametrize("rule, shape, kw", CASES[:4] + CASES[N_LINEAR - 2:N_LINEAR] + CASES[-2:])
def test_second_order_reverse_uses_the_transposed_op(rule, shape, kw):
    # f(x) = sum(g(x)**2) with g linear: Hessian 2 J^T J; the reverse-over-reverse
    # path applies the transpose as a tape op whose own VJP is the function again.
    x = _x(shape)
    f = _real_view(rule, kw)
    J = _central_jacobian(f, x)
    H = nm.hessian(lambda y: np.sum(f(y) ** 2), x, mode="reverse")
    np.testing.assert_allclose(np.asarray(H).reshape(J.shape[1], J.shape[1]), 2 * J.T @ J,
                               rtol=1e-8, atol=1e-8)


def test_pad_refuses_nonzero_constants_and_other_modes():
    x = nm.DualArray(np.ones(3), np.eye(3))
    with pytest.raises(arrayrules.UnsupportedArrayFunction, match="constant_values=0"):
        np.pad(x, 1, constant_values=2.0)
    with pytest.raises(arrayrules.UnsupportedArrayFunction, match="mode='constant'"):
        np.pad(x, 1, mode="edge")


@pytest.mark.parametrize("mode", ["forward", "reverse"])
def test_derivative_in_a_parameter_is_refused_not_dropped(mode):
    # the grid x of np.trapezoid is not a linear argument: refuse, never drop its derivative
    with pytest.raises(arrayrules.UnsupportedArrayFunction, match="first argument"):
        nm.jacobian(lambda t: np.trapezoid(np.ones(4) * t[0], x=t), np.arange(4.0), mode=mode)


def test_supported_numpy_doc_is_current():
    doc = Path(__file__).resolve().parents[1] / "docs" / "supported_numpy.md"
    assert doc.read_text() == arrayrules.supported_table(), (
        "regenerate: python -c \"from numeric import arrayrules; "
        "open('docs/supported_numpy.md','w').write(arrayrules.supported_table())\"")


@pytest.mark.parametrize("rule, shape, kw", [c for c in CASES if c.values[0].batched is not None])
def test_batched_fast_path_equals_the_function_on_each_column(rule, shape, kw):
    # the JVP fast path applies the function to all partial columns at once
    P = np.random.default_rng(3).normal(size=shape + (3,))
    cols = np.stack([np.asarray(rule.call(P[..., j], **kw)) for j in range(3)], axis=-1)
    np.testing.assert_allclose(rule.batched(P, len(shape), **kw), cols, rtol=1e-14, atol=1e-15)


@pytest.mark.parametrize("call", [lambda x: np.flip(x, axes=0), lambda x: np.roll(x, 1, 0, 3),
                                  lambda x: np.roll(x, 1, shift=2)])
def test_bad_arguments_raise_type_error_through_the_fast_bind(call):
    # the binding fast path must not accept what NumPy's signature rejects
    with pytest.raises(TypeError):
        call(nm.DualArray(np.ones(3), np.eye(3)))


@pytest.mark.parametrize("mode", ["forward", "reverse", "measurement"])
def test_diff_with_prepend_is_refused_not_silently_ignored(mode):
    # regression: the types' private np.diff dropped prepend/append (wrong value, no error)
    x = np.arange(4.0) ** 2
    if mode == "measurement":
        with pytest.raises(arrayrules.UnsupportedArrayFunction, match="prepend/append"):
            np.diff(nm.measurements(x, 0.1), prepend=0.0)
        return
    with pytest.raises(arrayrules.UnsupportedArrayFunction, match="prepend/append"):
        nm.jacobian(lambda y: np.diff(y, append=1.0), x, mode=mode)


@pytest.mark.parametrize("mode", ["forward", "reverse", "measurement"])
def test_squeeze_method_keeps_the_derivative(mode):
    # regression: DualArray/TrackedArray had no .squeeze() method (AttributeError)
    x = np.arange(1.0, 4.0).reshape(1, 3, 1)
    f = lambda y: (y * y).squeeze(axis=2)  # noqa: E731
    if mode == "measurement":
        out = f(nm.measurements(x, 0.1))
        np.testing.assert_allclose(nm.uncertainty(out), 0.2 * x[:, :, 0], rtol=1e-12)
        return
    J = np.asarray(nm.jacobian(f, x, mode=mode))
    np.testing.assert_allclose(J.reshape(3, 3), _central_jacobian(f, x).reshape(3, 3), rtol=1e-8)


@pytest.mark.parametrize("rule, shape, kw", [c for c in CASES if c.values[0].moves])
def test_selections_keep_independent_inputs_in_the_one_source_form(rule, shape, kw):
    # an entry that only moves elements keeps MeasurementArray's O(n) one-source form
    m = rule.call(nm.measurements(_x(shape), 0.1), **kw)
    if np.ndim(nm.value(m)):
        assert m.diag
    np.testing.assert_allclose(nm.uncertainty(m), 0.1 + 0 * np.asarray(nm.value(m)), rtol=1e-15)


# -- joins (np.concatenate, np.stack): linear in all arrays jointly -----------------------------

JOINS = [pytest.param(rule, shapes, kw, id=f"{func.__name__}-{k}")
         for func, rule in arrayrules.JOIN.items() for k, (shapes, kw) in enumerate(rule.samples)]


def _split_call(rule, shapes, kw):
    """The join as a function of one flat vector (its arrays, one after the other)."""
    sizes = [int(np.prod(s)) for s in shapes]

    def f(v):
        parts, start = [], 0
        for s, n in zip(shapes, sizes):
            parts.append(np.reshape(v[start:start + n], s))
            start += n
        return rule.func(parts, **kw)
    return f, sum(sizes)


@pytest.mark.parametrize("rule, shapes, kw", JOINS)
@pytest.mark.parametrize("mode", ["forward", "reverse", "measurement"])
def test_join_matches_central_differences(rule, shapes, kw, mode):
    f, n = _split_call(rule, shapes, kw)
    x = _x((n,))
    ref = _central_jacobian(f, x)
    if mode == "measurement":
        out = f(nm.measurements(x, 0.1))
        np.testing.assert_allclose(nm.uncertainty(out), np.sqrt((ref ** 2).sum(-1) * 0.01).reshape(
            np.shape(f(x))), rtol=1e-9)
        return
    J = np.asarray(nm.jacobian(f, x, mode=mode))
    np.testing.assert_allclose(J.reshape(ref.shape), ref, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("rule, shapes, kw", JOINS)
def test_join_transpose_satisfies_adjoint_identity(rule, shapes, kw):
    rng = np.random.default_rng(5)
    vs = [rng.normal(size=s) for s in shapes]
    Jv = np.asarray(rule.func(vs, **kw))
    u = rng.normal(size=Jv.shape)
    ax = kw.get("axis", 0)
    if ax is None:       # axis=None joins the flattened arrays
        vs, shapes, kw = [v.ravel() for v in vs], [(int(np.prod(s)),) for s in shapes], {"axis": 0}
    lhs = np.vdot(u, Jv)
    rhs = sum(np.vdot(rule.transpose(u, list(shapes), i, **kw), v) for i, v in enumerate(vs))
    assert lhs == pytest.approx(rhs, rel=1e-12, abs=1e-12)


@pytest.mark.parametrize("mode", ["forward", "reverse", "measurement"])
def test_join_refuses_out(mode):
    x = np.arange(3.0)
    buf = np.empty(6)
    with pytest.raises(arrayrules.UnsupportedArrayFunction, match="out"):
        if mode == "measurement":
            np.concatenate([nm.measurements(x, 0.1), x], out=buf)
        else:
            nm.jacobian(lambda y: np.concatenate([y, x], out=buf), x, mode=mode)
