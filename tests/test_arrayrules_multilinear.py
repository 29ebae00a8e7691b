"""The batched entries of the array table: numeric.arrayrules_multilinear (where, einsum,
matmul) and numeric.arrayrules_reductions (prod, max/min: nonlinear, same form).

Every entry is tested from its declared samples in forward, reverse and Measurement form:
the Jacobian in all differentiable operands against central differences, the declared
transpose against the adjoint identity <u, J v> = <J^T u, v>, and second-order reverse.
"""

import numpy as np
import pytest

import numeric as nm
from numeric.arrayrules_multilinear import MULTILINEAR, linear_operands
from numeric.arrayrules_reductions import REDUCTIONS

TABLE = {**MULTILINEAR, **REDUCTIONS}
CASES = [pytest.param(rule, shapes, kw, id=f"{func.__name__}-{k}")
         for func, rule in TABLE.items() for k, (shapes, kw) in enumerate(rule.samples)]


def _call_args(ops, kw):
    """(positional arguments, keyword arguments) of the NumPy call for a sample."""
    pos = ((kw["subscripts"],) if "subscripts" in kw else ()) + tuple(ops)
    return pos, {k: v for k, v in kw.items() if k != "subscripts"}


def _setup(rule, shapes, kw):
    """(f of the flat differentiable operands, base point, operands at the base point)."""
    rng = np.random.default_rng(len(shapes) + sum(map(len, shapes)))
    ops = rule.make(tuple(rng.normal(size=s) for s in shapes))
    lin = linear_operands(rule, ops)
    sizes = [int(np.prod(np.shape(ops[i]))) for i in lin]

    def f(z):
        full, at = list(ops), 0
        for i, n in zip(lin, sizes):
            full[i] = np.reshape(z[at:at + n], np.shape(ops[i]))
            at += n
        args, extra = _call_args(full, kw)
        return rule.func(*args, **extra)
    z0 = np.concatenate([np.ravel(ops[i]) for i in lin])
    return f, z0, ops


def _central(f, z, h=1e-3):
    cols = []
    for j in range(z.size):
        e = np.zeros(z.size)
        e[j] = h
        cols.append((np.asarray(f(z + e)) - np.asarray(f(z - e))).ravel() / (2 * h))
    return np.stack(cols, axis=-1)


@pytest.mark.parametrize("rule, shapes, kw", CASES)
@pytest.mark.parametrize("mode", ["forward", "reverse"])
def test_jacobian_matches_central_differences(rule, shapes, kw, mode):
    f, z, _ = _setup(rule, shapes, kw)
    J = np.asarray(nm.jacobian(f, z, mode=mode))
    ref = _central(f, z)
    np.testing.assert_allclose(J.reshape(ref.shape), ref, rtol=1e-9, atol=1e-9)
    np.testing.assert_array_equal(nm.value(nm.jacobian(f, z, mode=mode)).shape,
                                  np.shape(f(z)) + z.shape)


@pytest.mark.parametrize("rule, shapes, kw", CASES)
def test_measurement_uncertainty_is_linear_propagation(rule, shapes, kw):
    f, z, _ = _setup(rule, shapes, kw)
    sig = 0.1 + np.abs(np.sin(np.arange(z.size)))
    out = f(nm.measurements(z, sig))
    ref = _central(f, z)
    expected = np.sqrt((ref ** 2) @ (sig ** 2)).reshape(np.shape(f(z)))
    np.testing.assert_allclose(nm.uncertainty(out), expected, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(nm.value(out), f(z), rtol=1e-14, atol=0)


@pytest.mark.parametrize("rule, shapes, kw", CASES)
def test_transpose_satisfies_adjoint_identity(rule, shapes, kw):
    _, _, ops = _setup(rule, shapes, kw)
    rng = np.random.default_rng(7)
    ops, kw = rule.split(*_call_args(ops, kw))
    lin = linear_operands(rule, ops)
    out = rule.apply(*ops, **kw)
    u = rng.normal(size=np.shape(out))
    for i in lin:
        v = rng.normal(size=np.shape(ops[i]) + (1,))
        ts = [v if j == i else None for j in range(len(ops))]
        Jv = rule.jvp(ops, ts, **kw)[..., 0]
        JTu = rule.transpose(u, ops, i, **kw)
        assert np.shape(JTu) == np.shape(ops[i])
        np.testing.assert_allclose(np.sum(u * Jv), np.sum(JTu * v[..., 0]), rtol=1e-12)


@pytest.mark.parametrize("rule, shapes, kw", CASES)
def test_second_order_reverse_matches_forward_over_reverse(rule, shapes, kw):
    # the 0-d operand case once lost its second derivative: a Dual scalar whose value is a
    # tracked number became a 0-d object array, a constant to the tape (dualarray._parts)
    f, z, _ = _setup(rule, shapes, kw)
    def loss(y):
        return np.sum(f(y) * f(y))
    H_rr = np.asarray(nm.hessian(loss, z, mode="reverse"))
    H_ff = np.asarray(nm.hessian(loss, z))
    np.testing.assert_allclose(H_rr, H_ff, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("mode", ["forward", "reverse"])
def test_where_with_a_masked_branch_keeps_the_other_branchs_derivative(mode):
    x = np.array([0.0, 2.0])
    g = nm.gradient(lambda v: np.sum(np.where(v > 1, v ** 3, 5.0)), x, mode=mode)
    np.testing.assert_array_equal(np.asarray(g), [0.0, 12.0])


def test_einsum_refuses_the_sublist_form_and_keywords():
    x = nm.DualArray(np.ones(3), np.eye(3))
    with pytest.raises(TypeError, match="einsum.*custom_rule"):
        np.einsum(x, [0], [])
    with pytest.raises(TypeError, match="einsum.*optimize.*custom_rule"):
        np.einsum("i->", x, optimize=True)


def test_reverse_over_forward_hessian_with_a_scalar_branch():
    c = np.array([True, False, True])

    def loss(v):
        return np.sum(np.where(c, v[:3], v[3]) ** 2 * v[0])

    z = np.array([0.3, -0.7, 1.1, 0.5])
    H = np.asarray(nm.hessian(loss, z, mode="reverse"))
    # exact: L = v0 (v0^2 + v2^2) + v0 v3^2
    exact = np.array([[6 * z[0], 0, 2 * z[2], 2 * z[3]], [0, 0, 0, 0],
                      [2 * z[2], 0, 2 * z[0], 0], [2 * z[3], 0, 0, 2 * z[0]]])
    np.testing.assert_allclose(H, exact, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(np.asarray(nm.hessian(loss, z)), exact, rtol=1e-13, atol=1e-15)
