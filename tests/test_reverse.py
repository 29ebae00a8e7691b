"""Reverse mode against forward mode, mpmath differences and exact identities."""

import sys
import threading

import mpmath
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import numeric as nm
import numeric.reverse as rv
from numeric.rules import RULES, unregister

SMOOTH = ["exp", "sin", "cos", "tanh", "arctan", "sinh", "erf", "log1p", "sqrt", "cbrt"]


def _apply(ops, x):
    """A random expression: a chain of unary rules and binary mixes with the input."""
    y = x
    for kind, name, c in ops:
        if kind == "unary":
            arg = y * 0.3 + 1.5 if name in ("sqrt", "log1p", "cbrt") else y * 0.3
            y = getattr(nm, name)(arg)
        elif kind == "mul":
            y = y * x + c
        elif kind == "div":
            y = y / (x * x + 1.0) - c
        else:
            y = (y - c) ** 2
    return y


ops_strategy = st.lists(st.tuples(st.sampled_from(["unary", "mul", "div", "pow"]),
                                  st.sampled_from(SMOOTH),
                                  st.floats(-1.0, 1.0)), min_size=1, max_size=8)


@settings(max_examples=40, deadline=None)
@given(ops_strategy, st.floats(-1.0, 1.0))
def test_scalar_expression_trees_match_forward_and_mpmath(ops, x0):
    g_rev = rv.gradient(lambda x: _apply(ops, x), x0)
    g_fwd = nm.derivative(lambda x: _apply(ops, x), x0)
    assert g_rev == pytest.approx(g_fwd, rel=1e-12, abs=1e-12)
    with mpmath.workdps(40):
        g_mp = mpmath.diff(lambda t: _apply(ops, t), mpmath.mpf(x0))
    assert g_rev == pytest.approx(float(g_mp), rel=1e-9, abs=1e-9)


def _array_program(x, w, b):
    h = np.tanh(x[:, None] * w + b)          # broadcasting (n,1)*(m,) + (m,)
    return np.sum(h ** 2) + np.mean(np.exp(-x)) * np.prod(nm.cos(x[:3]))


@settings(max_examples=25, deadline=None)
@given(st.integers(3, 7), st.integers(1, 4), st.sampled_from([np.float32, np.float64]),
       st.integers(0, 10**6))
def test_array_programs_match_forward(n, m, dtype, seed):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, n).astype(dtype)
    w = rng.uniform(-1, 1, m).astype(dtype)
    b = rng.uniform(-1, 1, m).astype(dtype)
    g_rev = rv.gradient(lambda z: _array_program(z, w, b), x)
    g_fwd = nm.gradient(lambda z: _array_program(z, w, b), x)
    assert g_rev.dtype == dtype and g_rev.shape == x.shape
    tol = 1e-4 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(g_rev, g_fwd, rtol=tol, atol=tol)


ARRAY_FUNCTIONS = {
    "matmul": lambda x: np.sum((x.reshape(2, 3) @ x.reshape(3, 2)) ** 2),
    "matvec": lambda x: np.sum(np.tanh(x.reshape(2, 3) @ x[:3])),
    "vecmat": lambda x: np.sum(x[:2] @ x.reshape(2, 3)),
    "dot": lambda x: np.dot(x, x[::-1]),
    "getitem_fancy": lambda x: np.sum(x[[0, 0, 5]] * x[np.array([1, 2, 3])]),
    "bool_mask": lambda x: np.sum(x[x > 0] ** 3),
    "concatenate": lambda x: np.sum(np.concatenate([x[:2], nm.sin(x[2:])]) * np.arange(6.0)),
    "stack": lambda x: np.sum(np.stack([x, x ** 2], axis=1)[:, 1] * x),
    "transpose": lambda x: np.sum(x.reshape(2, 3).T[0] * np.arange(2.0)),
    "cumsum": lambda x: np.sum(np.cumsum(x) ** 2),
    "prod": lambda x: np.prod(x) + np.sum(np.prod(x.reshape(2, 3), axis=0)),
    "max": lambda x: np.max(x * x) + np.sum(np.min(x.reshape(3, 2), axis=1)),
    "where": lambda x: np.sum(np.where(x > 0, x ** 2, nm.sin(x))),
    "maximum": lambda x: np.sum(np.maximum(x, 0.1) + nm.clip(x, -0.2, 0.3)),
    "diff_flip_roll": lambda x: np.sum(np.diff(x) ** 2) + np.sum(np.flip(x) * np.roll(x, 2)),
    "norm": lambda x: np.linalg.norm(x) * nm.arctan2(x[0], x[1]),
    "solve": lambda x: np.sum(np.linalg.solve(np.eye(3) * (x[:3] + 3.0) + 0.1, x[3:])),
    "scalars_stacked": lambda x: np.sum(np.stack([x[0] * x[1], nm.exp(x[2])]) ** 2),
    "expand_squeeze": lambda x: np.sum(np.squeeze(np.expand_dims(x, 0)) * x[None, :]),
}


@pytest.mark.parametrize("name", sorted(ARRAY_FUNCTIONS))
def test_array_operations_match_forward(name):
    f = ARRAY_FUNCTIONS[name]
    x = np.array([0.3, -0.7, 1.1, 0.4, -0.2, 0.9])
    np.testing.assert_allclose(rv.gradient(f, x), nm.gradient(f, x), rtol=1e-12, atol=1e-12)


def test_setitem_is_a_functional_update():
    def f(x):
        y = x * 1.0
        y[1:3] = x[:2] ** 2
        return np.sum(y * np.arange(1.0, 5.0))
    x = np.array([1.0, 2.0, 3.0, 4.0])
    # y = [x0, x0^2, x1^2, x3] weighted by 1..4 -> grad = [1 + 4 x0, 6 x1, 0, 4]
    np.testing.assert_allclose(rv.gradient(f, x), [5.0, 12.0, 0.0, 4.0])


@settings(max_examples=20, deadline=None)
@given(st.integers(0, 10**6))
def test_dot_product_identity(seed):
    rng = np.random.default_rng(seed)
    A = rng.normal(size=(4, 3))

    def f(x):
        return nm.sin(A @ x) * np.sum(x ** 2) + np.concatenate([x[:1], x[:3]]) * 0.5

    x, u, v = rng.normal(size=3), rng.normal(size=4), rng.normal(size=3)
    lhs = u @ nm.jvp(f, x, v)
    rhs = rv.vjp(f, x, u) @ v
    assert lhs == pytest.approx(rhs, rel=1e-12, abs=1e-12)


def test_jacobian_modes_agree():
    f = lambda x: np.stack([x[0] * x[1], nm.exp(x[2]), np.sum(x ** 2)])   # noqa: E731
    x = np.array([0.5, -1.0, 2.0, 0.1])
    J = nm.jacobian(f, x)
    np.testing.assert_allclose(nm.jacobian(f, x, mode="reverse"), J, rtol=1e-14)
    np.testing.assert_allclose(nm.jacobian(f, x, mode="auto"), J, rtol=1e-14)
    g = lambda x: x ** 2 * x[0]   # noqa: E731  (more outputs than inputs: auto picks forward)
    np.testing.assert_allclose(nm.jacobian(g, x[:2], mode="auto"), nm.jacobian(g, x[:2]))


def rosenbrock(x):
    return np.sum(100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2)


def test_second_derivatives_all_nestings():
    x = np.linspace(-1, 1, 5)
    H = nm.hessian(rosenbrock, x)
    np.testing.assert_allclose(nm.hessian(rosenbrock, x, mode="reverse-over-forward"), H)
    v = np.arange(5.0)
    np.testing.assert_allclose(nm.hvp(rosenbrock, x, v), H @ v)
    # forward over reverse and reverse over reverse
    np.testing.assert_allclose(nm.jacobian(lambda z: rv.gradient(rosenbrock, z), x), H)
    np.testing.assert_allclose(rv.jacobian_rows(lambda z: rv.gradient(rosenbrock, z), x), H)
    # no perturbation confusion between nested tapes: d/dx [x * d/dy (x + y)] = 1
    assert rv.gradient(lambda x: x * rv.gradient(lambda y: x + y, 1.0), 1.0) == 1.0
    assert rv.gradient(lambda x: rv.gradient(lambda y: y ** 3 * x, x), 2.0) == pytest.approx(36.0)


def test_mpmath_inputs_keep_precision():
    with mpmath.workdps(30):
        g = rv.gradient(lambda x: nm.exp(x) * nm.sin(x), mpmath.mpf(1) / 3)
        exact = mpmath.exp(mpmath.mpf(1) / 3) * (mpmath.sin(mpmath.mpf(1) / 3) +
                                                 mpmath.cos(mpmath.mpf(1) / 3))
        assert isinstance(g, mpmath.mpf) and abs(g - exact) < mpmath.mpf(10) ** -28


def test_million_operation_tape_is_iterative():
    def f(x):
        for _ in range(250_000):          # 4 operations per iteration: 10^6 nodes
            x = x * 0.9999999 + 1e-7
            x = x - 1e-8 * x
        return x
    limit = sys.getrecursionlimit()
    g = rv.gradient(f, 1.0)
    assert sys.getrecursionlimit() == limit
    assert g == pytest.approx(((0.9999999) * (1 - 1e-8)) ** 250_000, rel=1e-9)


def test_threads_get_independent_tapes():
    results, errors = {}, []

    def work(i):
        try:
            a = 1.0 + i
            out = [rv.gradient(lambda x: nm.sin(a * x) * x ** i, 0.7) for _ in range(200)]
            results[i] = out
        except Exception as e:  # collected and asserted below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    for i, out in results.items():
        expected = nm.derivative(lambda x: nm.sin((1.0 + i) * x) * x ** i, 0.7)
        assert all(g == pytest.approx(expected, rel=1e-14) for g in out)


def test_guards_fire_on_another_branch():
    def f(x):
        return x[0] * x[1] if x[0] > x[1] else nm.sin(x[0])
    tape = nm.record(f, np.array([2.0, 1.0]))
    assert len(tape.guards) == 1
    np.testing.assert_allclose(tape.gradient(np.array([3.0, 0.5])), [0.5, 3.0])
    with pytest.raises(rv.GuardError, match="another branch"):
        tape.gradient(np.array([0.0, 1.0]))


def test_replayed_array_comparisons_are_recomputed():
    f = lambda x: np.sum(np.where(x > 0, x ** 2, -x))   # noqa: E731
    tape = nm.record(f, np.array([1.0, -1.0, 2.0]))
    x1 = np.array([-1.0, 1.0, 2.0])
    np.testing.assert_allclose(tape.gradient(x1), rv.gradient(f, x1))
    assert tape.value(x1) == pytest.approx(1.0 + 1.0 + 4.0)


def lotka_volterra_rk4(p, steps=50):
    a, b, c, d = p[0], p[1], p[2], p[3]
    x, y, h = 1.0, 1.0, 0.01

    def rhs(x, y):
        return a * x - b * x * y, -c * y + d * x * y

    for _ in range(steps):
        k1 = rhs(x, y)
        k2 = rhs(x + h / 2 * k1[0], y + h / 2 * k1[1])
        k3 = rhs(x + h / 2 * k2[0], y + h / 2 * k2[1])
        k4 = rhs(x + h * k3[0], y + h * k3[1])
        x = x + h / 6 * (k1[0] + 2 * k2[0] + 2 * k3[0] + k4[0])
        y = y + h / 6 * (k1[1] + 2 * k2[1] + 2 * k3[1] + k4[1])
    return x


@pytest.mark.parametrize("method", ["straight", "loop"])
def test_compiled_tape_matches_replay_and_guards(method):
    p0 = np.array([1.5, 1.0, 3.0, 1.0])
    steps = 3 if method == "straight" else 50      # numba compiles long straight code slowly
    lv = lambda p: lotka_volterra_rk4(p, steps)   # noqa: E731
    tape = nm.record(lv, p0)
    fast = tape.compile(method)
    p1 = np.array([1.4, 1.1, 2.9, 0.9])
    np.testing.assert_allclose(fast.gradient(p1), nm.gradient(lv, p1), rtol=1e-12)
    assert fast.value(p1) == pytest.approx(lv(p1), rel=1e-14)

    def branchy(x):
        y = nm.exp(x[0]) * x[1]
        return y * y if y > 1.0 else -y
    fb = nm.record(branchy, np.array([1.0, 1.0])).compile(method)
    assert fb.gradient(np.array([0.5, 2.0])) == pytest.approx(
        nm.gradient(branchy, np.array([0.5, 2.0])))
    with pytest.raises(rv.GuardError):
        fb.gradient(np.array([0.0, 0.5]))


def test_compile_refuses_array_programs_clearly():
    tape = nm.record(lambda x: np.sum(x ** 2), np.ones(3))
    with pytest.raises(NotImplementedError, match="compile"):
        tape.compile()


def test_custom_rule_used_by_both_modes():
    calls = []

    @nm.custom_rule(lambda ans, x: 1 / (1 + nm.exp(-x)), name="test_softplus")
    def softplus(x):
        calls.append(1)
        return nm.log1p(nm.exp(x))

    try:
        x = np.array([-1.0, 0.0, 2.0])
        expected = 1 / (1 + np.exp(-x))
        np.testing.assert_allclose(nm.gradient(lambda z: np.sum(softplus(z)), x), expected)
        np.testing.assert_allclose(rv.gradient(lambda z: np.sum(softplus(z)), x), expected)
        # second derivative through the declared partial: sigma (1 - sigma)
        assert rv.hvp(lambda z: softplus(z), 0.3, 1.0) == pytest.approx(
            float(mpmath.diff(lambda t: mpmath.log1p(mpmath.exp(t)), 0.3, 2)), rel=1e-12)
    finally:
        unregister("test_softplus")
    with pytest.raises(ValueError, match="built-in"):
        nm.custom_rule(lambda a, x: 1, name="exp")(lambda x: x)


def test_information_is_never_dropped_silently():
    with pytest.raises(TypeError, match="nm.value"):
        rv.gradient(lambda x: float(x), 1.0)
    with pytest.raises(TypeError, match="nm.value"):
        rv.gradient(lambda x: np.asarray(x), np.ones(2))
    with pytest.raises(ValueError, match="mode must be one of"):
        nm.gradient(lambda x: x, 1.0, mode="sideways")
    with pytest.raises(TypeError, match="scalar-valued"):
        rv.gradient(lambda x: x * 2, np.ones(2))


def test_every_unary_rule_reverse_matches_forward():
    for name, rule in RULES.items():
        if rule.nargs != 1:
            continue
        lo, hi = rule.domain[0][0]
        x0 = lo + 0.37 * (hi - lo)
        f = getattr(nm, name)
        assert rv.gradient(f, x0) == pytest.approx(nm.derivative(f, x0), rel=1e-13), name


# -- the fast paths: elementwise nodes, owned adjoints, plain-value replay ------------------------

ALIASING = {
    # additions hand the same adjoint to both parents; none of them may be updated in place
    "add_chain": lambda x: np.sum((x + x) * (x - 2.0 * x) + (x + 1.0) ** 2),
    "shared_adjoint": lambda x: np.sum(((x + x[::-1]) + x) * 3.0 - (x - x)),
    "broadcast": lambda x: np.sum((x[:, None] - x[None, :]) ** 2 * x[None, :] + x[:, None] / 2),
    "slices": lambda x: np.sum(100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2),
    "neg_sub": lambda x: np.sum(-(x - nm.exp(x)) - (1.0 - x) * -x),
    "ufuncs": lambda x: np.sum(np.maximum(np.sin(x), 0.1) + np.multiply(x, x) / np.add(x, 3.0)),
}


@pytest.mark.parametrize("name", sorted(ALIASING))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_in_place_adjoints_match_forward(name, dtype):
    f = ALIASING[name]
    x = np.array([0.3, -0.7, 1.1, 0.4, -0.2], dtype=dtype)
    g = rv.gradient(f, x)
    assert g.dtype == dtype
    tol = 2e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(g, nm.gradient(f, x), rtol=tol, atol=tol)


def test_repeated_sweeps_of_one_tape_do_not_interfere():
    # jacobian_rows sweeps one tape once per output; an in-place update of a stored partial
    # or of a shared adjoint would spoil the later rows
    f = lambda x: (x + x) * (x - 1.0) + np.sum(x * x) - x[::-1]   # noqa: E731
    x = np.array([0.5, -1.0, 2.0])
    np.testing.assert_allclose(rv.jacobian_rows(f, x), nm.jacobian(f, x), rtol=1e-14)


def test_replay_runs_on_plain_values_and_matches_tracing():
    p0 = np.array([1.5, 1.0, 3.0, 1.0])
    lv = lambda p: lotka_volterra_rk4(p, 40)   # noqa: E731
    tape = nm.record(lv, p0)
    for p in (p0, np.array([1.4, 1.1, 2.9, 0.9])):
        v, g = tape.value_and_gradient(p)
        assert type(v) in (float, np.float64) and v == pytest.approx(lv(p), rel=1e-14)
        np.testing.assert_allclose(g, nm.gradient(lv, p), rtol=1e-12)
    assert tape._replay, "a float program must replay on plain values"


def test_replay_of_array_programs_with_value_dependent_shapes():
    def f(x):
        y = np.sum(x[x > 0] ** 3)                # the mask is recomputed on replay
        return y + np.sum(np.where(x > 0.5, nm.exp(x), x * x)) + np.sum(x[:, None] * x)
    tape = nm.record(f, np.array([1.0, -1.0, 2.0, 0.3]))
    for x1 in (np.array([-1.0, 1.0, 2.0, 0.7]), np.array([-1.0, -2.0, -0.1, 0.2])):
        np.testing.assert_allclose(tape.gradient(x1), nm.gradient(f, x1), rtol=1e-12)
        assert tape.value(x1) == pytest.approx(f(x1), rel=1e-14)


def test_replay_with_other_number_types_falls_back_to_tracing():
    tape = nm.record(lambda x: nm.sin(x) * x ** 2, 0.5)
    with mpmath.workdps(30):
        x = mpmath.mpf(1) / 3
        g = tape.gradient(x)
        exact = mpmath.cos(x) * x ** 2 + 2 * x * mpmath.sin(x)
        assert isinstance(g, mpmath.mpf) and abs(g - exact) < mpmath.mpf(10) ** -28
    # a dual input (forward over a replayed tape): the second derivative
    d2 = nm.derivative(lambda t: tape.gradient(t), 0.5)
    assert d2 == pytest.approx(nm.derivative(lambda t: nm.derivative(
        lambda s: nm.sin(s) * s ** 2, t), 0.5), rel=1e-12)
