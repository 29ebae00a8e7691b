"""The nonlinear and bilinear array-rule tables (numeric.arrayrules_nonlinear).

Every entry is tested from its declared samples: forward and reverse
Jacobians against central differences, reverse against forward, Measurement
uncertainties against linear propagation with the forward Jacobian, and the
reverse-mode transpose against the adjoint identity <u, J v> = <J^T u, v>.
"""

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import numeric as nm
from numeric import arrayrules_nonlinear as nl


def _cases(table):
    out = []
    for func, rule in table.items():
        for k, (shapes, kw) in enumerate(rule.samples):
            shapes = shapes if isinstance(shapes[0], tuple) else (shapes,)
            out.append(pytest.param(rule, shapes, kw, id=f"{func.__name__}-{k}"))
    return out


CASES = _cases(nl.NONLINEAR) + _cases(nl.BILINEAR)


def _operands(rule, shapes, kw, seed=0):
    rng = np.random.default_rng(seed + 11 * sum(map(sum, shapes)))
    xs = tuple(rng.normal(size=s) for s in shapes)
    kw = dict(kw)
    if rule.make is not None:
        made = rule.make(xs)
        if isinstance(made[-1], dict):
            kw.update(made[-1])
            made = made[:-1]
        xs = tuple(made)
    return xs, kw


def _flat_fn(rule, xs, kw):
    """f(z) with z the concatenation of every operand; the output flattened (all components)."""
    sizes = [x.size for x in xs]

    def split(z):
        parts, k = [], 0
        for x, n in zip(xs, sizes):
            parts.append(np.reshape(z[k:k + n], x.shape))
            k += n
        return parts

    def f(z):
        r = rule.call(tuple(split(z)), kw) if rule.func not in nl.BILINEAR else \
            rule.func(*split(z), **kw)
        comps = r if isinstance(r, tuple) else (r,)
        return np.concatenate([np.reshape(c, (-1,)) for c in comps
                               if np.asarray(nm.value(c)).dtype.kind == "f" or
                               not isinstance(c, np.ndarray)])
    z0 = np.concatenate([x.ravel() for x in xs])
    return f, z0


def _drop_sign(rule, f):
    if rule.func is np.linalg.slogdet:                 # the sign has no derivative
        return lambda z: f(z)[-np.size(f.__self__) if False else 1:]
    return f


def _central(f, z, h=1e-6):
    cols = []
    for j in range(z.size):
        e = np.zeros(z.size)
        e[j] = h
        cols.append((f(z + e) - f(z - e)) / (2 * h))
    return np.stack(cols, axis=-1)


@pytest.mark.parametrize("rule, shapes, kw", CASES)
def test_forward_and_reverse_match_central_differences(rule, shapes, kw):
    xs, kw = _operands(rule, shapes, kw)
    f, z0 = _flat_fn(rule, xs, kw)
    ref = _central(f, z0)
    Jf = np.asarray(nm.jacobian(f, z0))
    Jr = np.asarray(nm.jacobian(f, z0, mode="reverse"))
    np.testing.assert_allclose(Jf, ref, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(Jr, Jf, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(nm.value(f(nm.dual(z0) if False else z0)), f(z0))


@pytest.mark.parametrize("rule, shapes, kw", CASES)
def test_measurement_uncertainty_is_linear_propagation(rule, shapes, kw):
    xs, kw = _operands(rule, shapes, kw)
    f, z0 = _flat_fn(rule, xs, kw)
    sig = 0.01 + np.abs(np.random.default_rng(3).normal(size=z0.size)) / 100
    J = np.asarray(nm.jacobian(f, z0))
    out = f(nm.measurements(z0, sig))
    np.testing.assert_allclose(nm.uncertainty(out), np.sqrt((J ** 2) @ sig ** 2),
                               rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(nm.value(out), f(z0), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("rule, shapes, kw", CASES)
def test_reverse_transpose_satisfies_adjoint_identity(rule, shapes, kw):
    from numeric import reverse as rv
    xs, kw = _operands(rule, shapes, kw)
    f, z0 = _flat_fn(rule, xs, kw)
    rng = np.random.default_rng(5)
    v = rng.normal(size=z0.size)
    u = rng.normal(size=f(z0).size)
    Jv = np.asarray(nm.jacobian(f, z0)) @ v                  # forward: J v
    JTu = np.asarray(rv.vjp(f, z0, u))                      # reverse: J^T u
    assert np.vdot(u, Jv) == pytest.approx(np.vdot(JTu, v), rel=1e-9, abs=1e-9)


HESS = [c for c in CASES if c.id.split("-")[0] in
        ("inv", "det", "slogdet", "solve", "var", "std", "cholesky", "eigh", "outer", "kron",
         "cross", "tensordot", "norm")][::2]


@pytest.mark.parametrize("rule, shapes, kw", HESS)
@pytest.mark.parametrize("mode", ["forward", "reverse"])
def test_hessian_of_a_scalar_through_the_entry(rule, shapes, kw, mode):
    xs, kw = _operands(rule, shapes, kw)
    f, z0 = _flat_fn(rule, xs, kw)
    w = np.random.default_rng(9).normal(size=f(z0).size)
    g = lambda z: np.sum(w * f(z) ** 2)  # noqa: E731
    H = np.asarray(nm.hessian(g, z0, mode=mode) if mode == "reverse" else nm.hessian(g, z0))
    ref = _central(lambda z: np.asarray(nm.gradient(g, z)), z0, h=1e-5)
    np.testing.assert_allclose(H, ref, rtol=1e-4, atol=1e-5)


@settings(max_examples=15, deadline=None)
@given(st.integers(2, 5), st.integers(0, 10 ** 6))
def test_sort_and_argsort_take_agree_with_numpy(n, seed):
    x = np.random.default_rng(seed).normal(size=n)
    J = np.asarray(nm.jacobian(lambda y: np.sort(y), x))
    P = np.eye(n)[np.argsort(x)]
    np.testing.assert_array_equal(J, P)
    Jt = np.asarray(nm.jacobian(lambda y: y[np.argsort(y)], x, mode="reverse"))
    np.testing.assert_array_equal(Jt, P)


@settings(max_examples=15, deadline=None)
@given(st.integers(0, 10 ** 6))
def test_einsum_reverse_matches_forward(seed):
    rng = np.random.default_rng(seed)
    a, b = rng.normal(size=(2, 3)), rng.normal(size=(3, 4))
    for subs in ("ij,jk->ik", "ij,jk->ki", "ij,jk->i", "ij,kl->ijkl"):
        f = lambda z: np.einsum(subs, z[:6].reshape(2, 3), z[6:].reshape(3, 4))  # noqa: E731
        z = np.concatenate([a.ravel(), b.ravel()])
        np.testing.assert_allclose(np.asarray(nm.jacobian(f, z, mode="reverse")),
                                   np.asarray(nm.jacobian(f, z)), rtol=1e-12, atol=1e-12)


def test_plain_arrays_give_numpy_results():
    for func, rule in {**nl.NONLINEAR, **nl.BILINEAR}.items():
        for shapes, kw in rule.samples:
            shapes = shapes if isinstance(shapes[0], tuple) else (shapes,)
            xs, kw2 = _operands(rule, shapes, kw)
            if func in nl.BILINEAR:
                got = rule.linearize(*xs, **kw2)
                np.testing.assert_allclose(got, func(*xs, **kw2), rtol=1e-13, atol=1e-13)


def test_constants_with_derivatives_are_refused():
    with pytest.raises(nm.UnsupportedArrayFunction if hasattr(nm, "UnsupportedArrayFunction")
                       else TypeError, match="xp"):
        nm.gradient(lambda t: np.sum(np.interp(np.array([0.5]), t, np.arange(3.0))),
                    np.array([0.0, 1.0, 2.0]))
