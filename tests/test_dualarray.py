"""DualArray: ufuncs and every __array_function__ of numeric/dualarray.py.

Each operation is differentiated through ``nm.jacobian`` (DualArray seeds)
and compared with independent references: mpmath central differences on
object arrays of ``mpf`` and the complex step (``check_derivatives``), and
with the same function run on NumPy object arrays of scalar ``Dual`` s
(a separate code path: ``dual.py`` instead of ``dualarray.py``). Order 2
checks run the operation on nested DualArrays (DualArray of DualArray).
"""

import mpmath
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import numeric as nm
from numeric.rules import RULES
from numeric.strategies import expressions, points
from numeric.testing import check_derivatives

RNG = np.random.default_rng(7)


def jacobian_by_scalar_duals(f, x):
    """Jacobian of f at x using an object array of scalar Duals (one tag, n partials)."""
    n = x.size
    tag = nm.Dual(0.0).tag
    xs = np.empty(x.shape, dtype=object)
    for i in range(n):
        xs.flat[i] = nm.Dual(x.flat[i], np.eye(n)[i], tag=tag)
    y = f(xs)
    ys = np.asarray(y, dtype=object)
    out = np.zeros(ys.shape + (n,))
    for i, e in enumerate(ys.flat):
        out.reshape(-1, n)[i] = e.partials if isinstance(e, nm.Dual) else 0.0
    return out.reshape(ys.shape + x.shape)


def both_ways(f, x, order=2, complex_step=None, scalar_duals=True, rtol=None):
    """f's Jacobian (and second derivatives) against mpmath, complex step and scalar duals."""
    check_derivatives(f, x, order=1, complex_step=complex_step, rtol=rtol)
    if order == 2:
        # the mpmath second-difference reference costs 16 n**2 evaluations:
        # for larger analytic problems the complex step (n evaluations) suffices
        cheap = x.size <= 4 or complex_step is False
        check_derivatives(f, x, order=2, complex_step=complex_step, rtol=rtol or 1e-7,
                          mpmath_reference=cheap)
    if scalar_duals:
        np.testing.assert_allclose(nm.jacobian(f, x), jacobian_by_scalar_duals(f, x),
                                   rtol=1e-13, atol=1e-13)


# -- construction --------------------------------------------------------------------------------


def test_construction_checks_shapes():
    d = nm.DualArray(np.zeros(3), np.zeros((3, 2)))
    assert d.shape == (3,) and d.npartials == 2 and d.ndim == 1 and d.size == 3 and len(d) == 3
    with pytest.raises(ValueError, match=r"partials must have shape value.shape \+ \(k,\)"):
        nm.DualArray(np.zeros(3), np.zeros((2, 2)))


# -- ufuncs of every rule -------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(RULES))
@settings(max_examples=8)
@given(data=st.data())
def test_every_rule_on_dualarrays_matches_scalar_duals(name, data):
    rule = RULES[name]
    args = [data.draw(points(rule), label=f"args{i}") for i in range(3)]
    if name == "polygamma":
        n = args[0][0]
        x = np.array([a[1] for a in args])
        f = lambda v: nm.polygamma(n, v)  # noqa: E731
    else:
        cols = [np.array([a[i] for a in args]) for i in range(rule.nargs)]
        x = np.concatenate(cols)
        m = len(args)

        def f(v):
            return rule.function(*[v[i * m:(i + 1) * m] for i in range(rule.nargs)])

    J = nm.jacobian(f, x)
    np.testing.assert_allclose(J, jacobian_by_scalar_duals(f, x), rtol=1e-14, atol=1e-15)
    check_derivatives(f, x, order=1, complex_step=False)
    x32 = x.astype(np.float32)
    y32 = f(nm.DualArray(x32, np.eye(x.size, dtype=np.float32)))
    assert y32.value.dtype == np.float32 and y32.partials.dtype == np.float32


_NUMPY_UFUNCS = {
    "exp": np.exp, "expm1": np.expm1, "log": np.log, "log1p": np.log1p, "log2": np.log2,
    "log10": np.log10, "sqrt": np.sqrt, "cbrt": np.cbrt, "sin": np.sin, "cos": np.cos,
    "tan": np.tan, "arcsin": np.arcsin, "arccos": np.arccos, "arctan": np.arctan,
    "sinh": np.sinh, "cosh": np.cosh, "tanh": np.tanh, "arcsinh": np.arcsinh,
    "arccosh": np.arccosh, "arctanh": np.arctanh, "abs": np.abs, "sign": np.sign,
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(_NUMPY_UFUNCS))
def test_numpy_ufuncs_dispatch_to_the_rules(name):
    lo, hi = RULES[name].domain[0][0]
    x = np.linspace(lo + 0.05, hi - 0.05, 4)
    d = nm.DualArray(x, np.eye(4))
    y = _NUMPY_UFUNCS[name](d)
    z = nm.FUNCTIONS[name](d)
    np.testing.assert_array_equal(y.value, z.value)
    np.testing.assert_array_equal(y.partials, z.partials)
    scalar = [nm.derivative(nm.FUNCTIONS[name], e) for e in x]
    np.testing.assert_allclose(np.diag(y.partials), scalar, rtol=1e-15)


def test_binary_and_helper_ufuncs():
    x = np.array([0.7, 1.3, 2.1])
    # (NumPy spelling on DualArrays, generic spelling that also runs on mpf object arrays)
    pairs = [
        (lambda v: np.arctan2(v, v[::-1]), lambda v: nm.arctan2(v, v[::-1])),
        (lambda v: np.hypot(v, 2.0), lambda v: nm.hypot(v, 2.0)),
        (lambda v: np.power(v, v[::-1]), lambda v: nm.power(v, v[::-1])),
        (lambda v: np.float_power(v, 2.5), lambda v: nm.power(v, 2.5)),
        (lambda v: np.maximum(v, 1.0), lambda v: nm.maximum(v, 1.0)),
        (lambda v: np.minimum(v, v[::-1] + 0.1), lambda v: nm.minimum(v, v[::-1] + 0.1)),
        (lambda v: np.square(v), lambda v: v * v),
        (lambda v: np.reciprocal(v), lambda v: 1 / v),
        (lambda v: np.fabs(-v), lambda v: nm.abs(-v)),
        (lambda v: +np.conjugate(v) * 2, lambda v: v * 2),
        (lambda v: np.subtract(1.0, v) / np.add(v, 2.0) * np.negative(v),
         lambda v: (1.0 - v) / (v + 2.0) * -v),
        (lambda v: np.true_divide(v, 3.0) - np.multiply(v, v), lambda v: v / 3.0 - v * v),
    ]
    for np_f, nm_f in pairs:
        np.testing.assert_allclose(nm.jacobian(np_f, x), nm.jacobian(nm_f, x), rtol=1e-15)
        np.testing.assert_allclose(nm.hessian(lambda v: np.sum(np_f(v)), x),
                                   nm.hessian(lambda v: np.sum(nm_f(v)), x), rtol=1e-15)
        both_ways(nm_f, x, complex_step=False)


def test_comparisons_and_constant_ufuncs():
    d = nm.DualArray(np.array([0.5, 1.5, -2.5]), np.eye(3))
    np.testing.assert_array_equal(d > 1.0, [False, True, False])
    np.testing.assert_array_equal(np.isfinite(d), [True, True, True])
    fl = np.floor(d)
    np.testing.assert_array_equal(fl.value, [0.0, 1.0, -3.0])
    np.testing.assert_array_equal(fl.partials, np.zeros((3, 3)))
    assert (d == d.value).all()


# -- reductions ------------------------------------------------------------------------------------


X2 = RNG.uniform(0.5, 2.0, (3, 4))


@pytest.mark.parametrize("axis", [None, 0, 1, -1, (0, 1)])
@pytest.mark.parametrize("keepdims", [False, True])
def test_sum_and_mean(axis, keepdims):
    for red in (np.sum, np.mean):
        f = lambda v: red(nm.sin(v) * v, axis=axis, keepdims=keepdims)  # noqa: E731
        both_ways(f, X2, order=1)
    both_ways(lambda v: (v * v).sum(axis=axis, keepdims=keepdims), X2, order=1)


@pytest.mark.parametrize("x", [
    np.array([1.5, 2.0, -0.5, 3.0]),
    np.array([1.5, 0.0, -0.5, 3.0]),          # one zero: d/dx_i prod = prod of the others
    np.array([0.0, 2.0, 0.0, 3.0]),           # two zeros: the whole gradient is zero
    np.array([0.0]),
])
def test_prod_with_zeros(x):
    both_ways(lambda v: np.prod(v), x, complex_step=True)
    g = nm.gradient(lambda v: np.prod(v), x)
    expected = [np.prod(np.delete(x, i)) for i in range(x.size)]
    np.testing.assert_array_equal(g, expected)


@pytest.mark.parametrize("axis", [None, 0, 1])
def test_prod_along_axes_with_zeros(axis):
    x = X2.copy()
    x[1, 2] = 0.0
    x[0, 0] = 0.0
    both_ways(lambda v: np.prod(v, axis=axis), x, complex_step=True)
    both_ways(lambda v: v.prod(axis=axis, keepdims=True), x, order=1)


@pytest.mark.parametrize("red", [np.max, np.min, np.amax, np.amin])
@pytest.mark.parametrize("axis", [None, 0, 1])
def test_max_min(red, axis):
    x = np.array([[0.3, 2.0, -1.0, 0.7], [1.1, -0.4, 0.5, 3.0], [0.2, 0.9, 1.7, -2.0]])
    both_ways(lambda v: red(v * v + v, axis=axis), x, complex_step=False)
    both_ways(lambda v: red(v, axis=axis, keepdims=True), x, order=1, complex_step=False)


def test_cumsum_and_diff():
    x = np.array([[0.3, 2.0, -1.0], [1.1, -0.4, 0.5]])
    for f in (lambda v: np.cumsum(v * v), lambda v: np.cumsum(nm.exp(v), axis=0),
              lambda v: v.cumsum(axis=1), lambda v: np.diff(v**3), lambda v: np.diff(v, axis=0),
              lambda v: np.diff(nm.sin(v), n=2, axis=1)):
        both_ways(f, x)


# -- products --------------------------------------------------------------------------------------


A = RNG.normal(size=(3, 3))
B = RNG.normal(size=(3, 2))
u = RNG.normal(size=3)


@pytest.mark.parametrize("case", [
    "vec@vec", "mat@vec", "vec@mat", "mat@mat", "const_mat@vec", "vec@const_mat",
    "dot_vec", "dot_mat", "method_dot", "batch", "inner", "outer", "einsum", "trace",
    "mat@batch", "batch@mat", "vec@batch", "batch@vec", "batch@batch",
])
def test_dot_matmul_combinations(case):
    x = np.concatenate([u, A.ravel()])

    def split(v):
        return v[:3], v[3:].reshape(3, 3)

    f = {
        "vec@vec": lambda v: split(v)[0] @ split(v)[0],
        "mat@vec": lambda v: split(v)[1] @ split(v)[0],
        "vec@mat": lambda v: split(v)[0] @ split(v)[1],
        "mat@mat": lambda v: split(v)[1] @ split(v)[1].T,
        "const_mat@vec": lambda v: A @ split(v)[0],
        "vec@const_mat": lambda v: split(v)[0] @ B,
        "dot_vec": lambda v: np.dot(split(v)[0], u),
        "dot_mat": lambda v: np.dot(split(v)[1], B),
        "method_dot": lambda v: split(v)[1].dot(split(v)[0]),
        "batch": lambda v: np.matmul(np.stack([split(v)[1], 2 * split(v)[1]]), split(v)[0]),
        "inner": lambda v: np.inner(split(v)[0], u),
        "outer": lambda v: np.outer(split(v)[0], u[:2]),
        "einsum": lambda v: np.einsum("ij,j->i", split(v)[1], split(v)[0]),
        "trace": lambda v: np.trace(split(v)[1] @ split(v)[1]),
        # batch axes on one side only (matmul broadcasting)
        "mat@batch": lambda v: split(v)[1] @ np.stack([split(v)[1], split(v)[1] ** 2]),
        "batch@mat": lambda v: np.stack([split(v)[1], nm.sin(split(v)[1])]) @ split(v)[1],
        "vec@batch": lambda v: split(v)[0] @ np.stack([split(v)[1], split(v)[1].T]),
        "batch@vec": lambda v: np.stack([split(v)[1], 2 * split(v)[1]]) @ (split(v)[0] ** 2),
        "batch@batch": lambda v: np.stack([split(v)[1]] * 2) @ np.stack([split(v)[1].T, B @ B.T]),
    }[case]
    both_ways(f, x, scalar_duals=case not in ("batch",))


def test_matmul_with_float32_keeps_float32():
    x = u.astype(np.float32)
    J = nm.jacobian(lambda v: A.astype(np.float32) @ v, x)
    assert J.dtype == np.float32
    np.testing.assert_allclose(J, A, rtol=1e-6)


# -- shape manipulation ----------------------------------------------------------------------------


def test_concatenate_stack_hstack_vstack():
    x = np.array([0.3, 2.0, -1.0, 0.7])
    for f in (lambda v: np.concatenate([v, v * v, np.array([1.0])]),
              lambda v: np.concatenate([v[:2, None], v[2:, None]], axis=1),
              lambda v: np.concatenate([v, v], axis=None),
              lambda v: np.stack([v, nm.sin(v)]), lambda v: np.stack([v, 2 * v], axis=-1),
              lambda v: np.stack([v[0], v[1] * v[2], 3.0]),
              lambda v: np.hstack([v, v**2]), lambda v: np.vstack([v, v**2])):
        both_ways(f, x, order=1)


def test_reshape_transpose_and_friends():
    x = X2.copy()
    for f in (lambda v: np.reshape(v, (2, 6)) ** 2, lambda v: v.reshape(4, 3) @ np.ones(3),
              lambda v: v.reshape((-1,)) * 2, lambda v: np.transpose(v) * v.T,
              lambda v: v.transpose(1, 0)[0], lambda v: np.ravel(v) ** 3, lambda v: v.ravel(),
              lambda v: np.moveaxis(v[None], 0, -1), lambda v: np.swapaxes(v, 0, 1),
              lambda v: np.squeeze(v[:1]), lambda v: np.expand_dims(v, 1) * 2,
              lambda v: np.flip(v, axis=1), lambda v: np.roll(v, 2),
              lambda v: np.roll(v, 1, axis=0)):
        both_ways(f, x, order=1)


def test_broadcasting():
    x = np.array([0.5, 1.5, 2.5])
    for f in (lambda v: v[:, None] * v[None, :], lambda v: np.broadcast_to(v, (2, 3)) * 1.0,
              lambda v: v + np.ones((2, 3)), lambda v: nm.hypot(v[:, None], v),
              lambda v: np.where(np.ones((2, 1), bool), v, 0.0)):
        both_ways(f, x, scalar_duals=False)
    J = nm.jacobian(lambda v: np.broadcast_to(v, (2, 3)), x)
    np.testing.assert_array_equal(J, np.broadcast_to(np.eye(3), (2, 3, 3)))


def test_where_and_clip():
    x = np.array([-1.5, -0.2, 0.4, 1.7])
    for f in (lambda v: np.where(v > 0, v**2, nm.sin(v)), lambda v: np.where(v > 0, v, 0.0),
              lambda v: np.where(v > 0, 1.0, v * 3), lambda v: nm.where(v < 0, v, v * v),
              lambda v: np.clip(v, -1.0, 1.0), lambda v: np.clip(v, None, 0.5),
              lambda v: np.clip(v, -0.5, None), lambda v: nm.clip(v * 2, -1.0, 1.0)):
        both_ways(f, x, complex_step=False)


def test_indexing_get():
    x = X2.copy()
    for f in (lambda v: v[1], lambda v: v[:, 2] * v[0, 0], lambda v: v[1:, ::2] ** 2,
              lambda v: v[np.array([0, 2]), np.array([1, 3])], lambda v: v[v > 1.0],
              lambda v: v[..., 1], lambda v: v[None, 0], lambda v: v[-1, -1] * v[0]):
        both_ways(f, x, order=1)
    d = nm.DualArray(x, np.ones(x.shape + (2,)))
    assert isinstance(d[0, 0], nm.Dual) and d[0, 0].npartials == 2


def test_indexing_set():
    x = np.array([0.5, 1.5, 2.5])

    def f(v):
        out = v * 2.0
        out[0] = v[1] * v[2]       # a dual of the same tag
        out[2] = 7.0               # a constant: zero partials
        out[1:2] = nm.sin(v[:1])   # a slice
        return out

    both_ways(f, x, order=1, scalar_duals=False)
    J = nm.jacobian(f, x)
    np.testing.assert_array_equal(J[2], [0.0, 0.0, 0.0])
    np.testing.assert_allclose(J[0], [0.0, 2.5, 1.5])
    np.testing.assert_allclose(J[1], [np.cos(0.5), 0.0, 0.0])


def test_indexing_set_into_a_float_buffer_via_zeros_like():
    x = np.array([0.5, 1.5])
    buf = np.zeros_like(nm.DualArray(x, np.eye(2)))
    assert isinstance(buf, np.ndarray) and buf.shape == (2,)  # primal-shaped float buffer
    assert np.ones_like(nm.DualArray(x, np.eye(2))).sum() == 2.0


def test_copy_and_astype():
    d = nm.DualArray(np.array([1.0, 2.0]), np.eye(2))
    c = np.copy(d)
    c[0] = 5.0
    assert d.value[0] == 1.0 and d.partials[0, 0] == 1.0
    f = d.astype(np.float32)
    assert f.dtype == np.float32 and f.partials.dtype == np.float32


# -- linear algebra --------------------------------------------------------------------------------


@pytest.mark.parametrize("rhs", ["vector", "matrix"])
@pytest.mark.parametrize("which", ["A", "b", "both"])
def test_linalg_solve(rhs, which):
    Am = A + 3 * np.eye(3)
    b = u if rhs == "vector" else B
    nb = b.size

    def f(v):
        AA = v[:9].reshape(3, 3) if which != "b" else Am
        bb = v[9:].reshape(b.shape) if which != "A" else b
        return np.linalg.solve(AA, bb)

    x = np.concatenate([Am.ravel(), b.ravel()])
    assert x.size == 9 + nb
    # NumPy's solve does not take object arrays of mpf, but it is complex-analytic
    check_derivatives(f, x, mpmath_reference=False, complex_step=True)
    # and dx = A^-1 (db - dA x) in closed form for the A-part
    J = nm.jacobian(f, x)
    sol = np.linalg.solve(Am, b)
    Ainv = np.linalg.inv(Am)
    if which != "b":
        for i in range(3):
            for j in range(3):
                dA = np.zeros((3, 3))
                dA[i, j] = 1.0
                np.testing.assert_allclose(J[..., 3 * i + j], -Ainv @ dA @ sol, atol=1e-12)


def test_linalg_norm():
    x = np.array([0.3, -1.2, 2.0])
    both_ways(lambda v: np.linalg.norm(v), x, complex_step=False, scalar_duals=False)
    both_ways(lambda v: np.linalg.norm(v.reshape(1, 3), axis=1), x, order=1, complex_step=False,
              scalar_duals=False)


# -- nested DualArrays and mpf partials ------------------------------------------------------------


def test_object_array_of_mpf_through_array_functions():
    with mpmath.workdps(30):
        x = np.array([mpmath.mpf("0.5"), mpmath.mpf("1.25"), mpmath.mpf(2)], dtype=object)

        def f(v):
            return np.sum(np.cumsum(nm.exp(v)) * np.concatenate([v[1:], v[:1]])) + np.prod(v)

        g = nm.gradient(f, x)
        assert all(isinstance(e, mpmath.mpf) for e in g)
        ref = [mpmath.diff(lambda t, i=i: f(np.array([t if j == i else x[j] for j in range(3)],
                                                     dtype=object)), x[i]) for i in range(3)]
        for a, b in zip(g, ref):
            assert abs(a - b) < mpmath.mpf(10) ** -25 * max(1, abs(b))


@given(expressions(nvars=3, max_depth=3))
def test_random_expressions_vectorised(e):
    # the same expression evaluated on a DualArray (elementwise over 4 points) and on scalars
    pts = np.array([e.point] * 4) * np.array([[1.0], [1.0 + 1e-9], [1.0 - 1e-9], [1.0]])

    def f(v):
        cols = v.reshape(4, 3)
        return e(*[cols[:, i] for i in range(3)])

    J = nm.jacobian(f, pts.ravel())
    for r in range(4):
        gr = nm.gradient(lambda w: e(*[w[i] for i in range(3)]), pts[r])
        np.testing.assert_allclose(J[r, 3 * r:3 * r + 3], gr, rtol=1e-12, atol=1e-12)
