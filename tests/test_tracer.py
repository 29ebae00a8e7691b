"""Sparsity tracer, column colouring and compressed sparse Jacobians."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import numeric as nm
from numeric.rules import RULES
from numeric.tracer import STRUCTURAL, GlobalModeError, Tracer, TracerArray


def perturbation_pattern(f, x, h=1e-3):
    """Independent pattern: which outputs change when each input is perturbed (floats only)."""
    y0 = np.ravel(f(x))
    rows, cols = [], []
    for j in range(x.size):
        x2 = x.copy()
        x2.flat[j] += h
        changed = np.nonzero(np.ravel(f(x2)) != y0)[0]
        rows.extend(changed)
        cols.extend([j] * len(changed))
    P = np.zeros((y0.size, x.size), dtype=bool)
    P[rows, cols] = True
    return P


def stencil(x):
    return np.concatenate([x[:1], x[:-2] - 2 * x[1:-1] + x[2:], x[-1:]]) + np.sin(x) ** 2


def brusselator(N):
    xs = np.linspace(0, 1, N)
    X, Y = np.meshgrid(xs, xs, indexing="ij")
    forcing = 5.0 * (((X - 0.3) ** 2 + (Y - 0.6) ** 2) <= 0.1 ** 2)
    alpha = 10.0 * (N - 1) ** 2

    def f(u):
        u = u.reshape(N, N, 2)
        U, V = u[:, :, 0], u[:, :, 1]

        def lap(w):
            return (np.roll(w, 1, 0) + np.roll(w, -1, 0) + np.roll(w, 1, 1) + np.roll(w, -1, 1)
                    - 4 * w)

        du = 1.0 + U * U * V - 4.4 * U + alpha * lap(U) + forcing
        dv = 3.4 * U - U * U * V + alpha * lap(V)
        return np.stack([du, dv], axis=-1).ravel()

    return f


def test_tridiagonal_pattern_and_three_colours():
    x = np.random.default_rng(0).uniform(1, 2, 12)
    P = nm.jacobian_sparsity(stencil, x)
    assert P.shape == (12, 12)
    np.testing.assert_array_equal(P.toarray(), perturbation_pattern(stencil, x))
    colors = nm.color_columns(P)
    assert colors.max() + 1 == 3


def test_brusselator_pattern_matches_perturbation():
    N = 32
    f = brusselator(N)
    x = np.random.default_rng(1).uniform(0.5, 1.5, 2 * N * N)
    P = nm.jacobian_sparsity(f, x)
    assert P.shape == (2048, 2048)
    np.testing.assert_array_equal(np.diff(P.indptr), 6)  # 5-point stencil + the other species
    np.testing.assert_array_equal(P.toarray(), perturbation_pattern(f, x))


def test_brusselator_sparse_jacobian_equals_dense():
    N = 8
    f = brusselator(N)
    x = np.random.default_rng(2).uniform(0.5, 1.5, 2 * N * N)
    J = nm.sparse_jacobian(f, x)
    np.testing.assert_allclose(J.toarray(), nm.jacobian(f, x), rtol=1e-13, atol=1e-10)


def assert_valid_colouring(P, colors):
    P = P.tocsr()
    for i in range(P.shape[0]):
        cs = colors[P.indices[P.indptr[i]:P.indptr[i + 1]]]
        assert len(set(cs.tolist())) == len(cs), f"row {i}: two columns of one colour"


@st.composite
def sparse_functions(draw):
    n = draw(st.integers(1, 9))
    m = draw(st.integers(1, 9))
    seed = draw(st.integers(0, 2 ** 32 - 1))
    rng = np.random.default_rng(seed)
    mask = rng.random((m, n)) < draw(st.floats(0.05, 0.6))
    W = np.where(mask, rng.normal(size=(m, n)), 0.0)
    perm = rng.integers(0, n, m)

    def f(x):
        return np.tanh(W @ x) + x[perm] ** 2 * np.exp(W @ np.cos(x))

    return f, rng.normal(size=n), W, perm


@settings(max_examples=40, deadline=None)
@given(sparse_functions())
def test_sparse_jacobian_equals_dense_jacobian(case):
    f, x, W, perm = case
    P = nm.jacobian_sparsity(f, x)
    expected = (W != 0).copy()
    expected[np.arange(len(perm)), perm] = True
    np.testing.assert_array_equal(P.toarray(), expected)
    colors = nm.color_columns(P)
    assert_valid_colouring(P, colors)
    J = nm.sparse_jacobian(f, x, sparsity=P, colors=colors)
    np.testing.assert_allclose(J.toarray(), nm.jacobian(f, x), rtol=1e-12, atol=1e-12)


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2 ** 32 - 1), st.floats(0.02, 0.5))
def test_colouring_valid_on_random_patterns(seed, density):
    import scipy.sparse as sp

    P = sp.random(30, 25, density=density, random_state=seed, format="csr") != 0
    colors = nm.color_columns(P)
    assert colors.shape == (25,) and colors.min() >= 0
    assert_valid_colouring(P, colors)


def _args_for(rule):
    ts = [Tracer(0.6 * dom[-1][0] + 0.4 * dom[-1][1], {i}) if dom else 1  # polygamma's order
          for i, dom in enumerate(rule.domain)]
    if rule.name == "clip":
        ts = [Tracer(0.1, {0}), Tracer(-1.0, {1}), Tracer(1.0, {2})]
    return ts


@pytest.mark.parametrize("name", sorted(RULES))
def test_every_rule_traces(name):
    rule = RULES[name]
    args = _args_for(rule)
    out = rule.function(*args)
    assert isinstance(out, Tracer)
    expected = {i for i, nz in enumerate(STRUCTURAL[name]) if nz and isinstance(args[i], Tracer)}
    assert out.deps == frozenset(expected)
    primal = rule.function(*[a.value if isinstance(a, Tracer) else a for a in args])
    np.testing.assert_allclose(out.value, primal)
    if rule.nargs == 1:  # the generated method (x.exp()) agrees with the function
        assert getattr(args[0], name)().deps == out.deps
    # and the same rule on a tracer array
    arrs = [TracerArray.seed(np.full(3, a.value)) if isinstance(a, Tracer) else a
            for a in args]
    y = rule.function(*arrs)
    assert isinstance(y, TracerArray) and y.shape == (3,)


def test_structural_zeros_agree_with_derivatives():
    # sign, floor, ... have zero derivative; everything else in the table depends on its argument
    from numeric.rules import ZERO_DERIVATIVE

    assert STRUCTURAL["sign"] == (False,)
    assert STRUCTURAL["polygamma"] == (False, True)
    assert nm.derivative(nm.sign, 0.7) == 0.0
    for name, rule in RULES.items():
        if name in ZERO_DERIVATIVE:
            assert not any(STRUCTURAL[name]), name
        elif rule.nargs == 1:
            assert STRUCTURAL[name] == (True,), name


def test_floor_and_comparisons_contribute_nothing():
    P = nm.jacobian_sparsity(lambda x: np.floor(x) + (x > 0) * x[::-1], np.array([1.0, -1.0]))
    # the mask (x > 0) is a constant; a product with a constant 0 still counts (structural)
    np.testing.assert_array_equal(P.toarray(), [[0, 1], [1, 0]])


def test_local_mode_follows_the_branch_global_mode_refuses():
    def f(x):
        return x[:1] * 2 if x[0] > 0 else x[1:] * 2

    np.testing.assert_array_equal(nm.jacobian_sparsity(f, np.array([1.0, 1.0])).toarray(),
                                  [[1, 0]])
    np.testing.assert_array_equal(nm.jacobian_sparsity(f, np.array([-1.0, 1.0])).toarray(),
                                  [[0, 1]])
    with pytest.raises(GlobalModeError, match="global mode"):
        nm.jacobian_sparsity(f, np.array([1.0, 1.0]), mode="global")
    P = nm.jacobian_sparsity(lambda x: x * x[0], np.ones(3), mode="global")
    np.testing.assert_array_equal(P.toarray(), [[1, 0, 0], [1, 1, 0], [1, 0, 1]])


def test_array_functions():
    A = np.array([[1.0, 0.0, 2.0], [0.0, 0.0, 3.0]])
    cases = [
        (lambda x: A @ x, 3),
        (lambda x: x @ A.T, 3),
        (lambda x: np.diff(x, 2), 5),
        (lambda x: np.sum(x.reshape(2, 3) ** 2, axis=0), 6),
        (lambda x: np.concatenate([x[1:], x[:1] * x[2]]), 4),
        (lambda x: np.stack([x, np.roll(x, 1)], axis=1).ravel(), 4),
        (lambda x: np.array([x[0] * x[1], nm.sin(x[2]), 1.0]), 3),
        (lambda x: np.where(x > 0, x, -x[0]), 3),
        (lambda x: x.reshape(2, 2).T @ x.reshape(2, 2), 4),
        (lambda x: np.mean(x) + x, 3),
    ]
    rng = np.random.default_rng(3)
    for f, n in cases:
        x = rng.uniform(-1, 1, n)
        P = nm.jacobian_sparsity(f, x).toarray()
        np.testing.assert_array_equal(P, perturbation_pattern(f, x), err_msg=str(f))


def test_tracer_refuses_to_drop_dependencies():
    t = TracerArray.seed(np.ones(2))
    with pytest.raises(TypeError, match="nm.value"):
        float(t[0])
    with pytest.raises(TypeError, match="nm.value"):
        np.asarray(t, dtype=float)
    assert nm.value(t[0]) == 1.0


def test_bad_sparsity_and_colours_are_refused():
    import scipy.sparse as sp

    x = np.ones(4)
    with pytest.raises(ValueError, match="columns"):
        nm.sparse_jacobian(lambda x: x, x, sparsity=sp.identity(3))
    with pytest.raises(ValueError, match="not a valid column colouring"):
        nm.sparse_jacobian(lambda x: np.sum(x) * x, x, colors=np.zeros(4, int))
    with pytest.raises(ValueError, match="outputs"):
        nm.sparse_jacobian(lambda x: x[:2], x, sparsity=sp.identity(4))
