"""The tangent kernel of long right-hand sides: the tape-interpreter JVP kernel (numeric.reverse.jvp_loop)
against the straight-line kernel and against the generic forward mode (DualArray through f)."""

import numpy as np
import pytest

pytest.importorskip("numba", reason="the compiled kernels need numba")

import numeric as nm  # noqa: E402
import numeric.reverse.compile_jvp as cj  # noqa: E402
from numeric.reverse.compile import ScalarProgram, load_source  # noqa: E402
from numeric.reverse.jvp_loop import jvp_loop_source  # noqa: E402
from solvers import ODEProblem, Tsit5, solve  # noqa: E402
from solvers.nn import Chain, Dense  # noqa: E402
from solvers.ode.sensitivity import ForwardDiffSensitivity as FDS  # noqa: E402

NET = Chain(Dense(2, 5, "tanh"), Dense(5, 2))
THETA = NET.init(1)
BIG = Chain(Dense(2, 30, "tanh"), Dense(30, 30, "tanh"), Dense(30, 2))   # 1,082 parameters
BIG_THETA = BIG.init(0)


def ude(u, p, t):
    x, y = u[0], u[1]
    return np.stack([1.5 * x - x * y, -3.0 * y + x * y]) + 0.1 * NET(u, p) * nm.cos(t)


def big_ude(u, p, t):
    x, y = u[0], u[1]
    return np.stack([1.5 * x - x * y, -3.0 * y + x * y]) + 0.1 * BIG(u, p)


def _generic_jvp(f, u, S, p, P):
    """``[f, f_u S_l + f_p P_l]`` by the generic forward mode: f on DualArray arguments."""
    du = nm.DualArray(u, S)
    dp = nm.DualArray(p, P, tag=du.tag)
    y = f(du, dp, 0.3)
    return np.concatenate([y.value, y.partials.T.ravel()])


def _inputs(seed, n, m, k, mask):
    rng = np.random.default_rng(seed)
    u, S, P = rng.standard_normal(n), rng.standard_normal((n, k)), rng.standard_normal((m, k))
    P[~mask] = 0.0
    z = np.concatenate([u, S.T.ravel()])
    return u, S, P, z


@pytest.mark.parametrize("seed,k,masked", [(0, 1, False), (1, 3, True)])
def test_loop_kernel_matches_the_straight_kernel_and_generic_forward_mode(seed, k, masked):
    m = THETA.size
    mask = np.ones(m, dtype=bool)
    if masked:
        mask[::3] = False   # parameters without partials: their rows carry no tangent
    loop = cj.jvp_rhs(ude, np.array([1.0, 1.0]), THETA, 0.3, mask, k, method="loop")
    straight = cj.jvp_rhs(ude, np.array([1.0, 1.0]), THETA, 0.3, mask, k, method="straight")
    assert "LIVE = np.frombuffer" in loop.source and "LIVE" not in straight.source
    u, S, P, z = _inputs(seed, 2, m, k, mask)
    pp = np.concatenate([THETA, P.ravel(), [0.0]])
    a, b = loop.rhs(z, pp, 0.3), straight.rhs(z, pp, 0.3)
    np.testing.assert_allclose(a, b, rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(a, _generic_jvp(ude, u, S, THETA, P), rtol=1e-13, atol=1e-15)
    assert pp[-1] == 0.0


def test_loop_kernel_flags_a_failed_guard_and_returns_nans():
    def branching(u, p, t):
        return np.array([-p[0] * u[0] if u[0] > 0.0 else p[0] * u[0] * u[0]])

    def leaves(v):
        out = np.empty(len(v), dtype=object)
        out[:] = v
        return out

    prog = ScalarProgram(cj._record(branching, np.array([1.0]), leaves, np.array([2.0]), 0.0, False),
                         vector_output=True)
    rhs = load_source(jvp_loop_source(prog, 1, 1, 1, np.array([True])), cache=True)
    pp = np.array([2.0, 1.0, 0.0])
    np.testing.assert_allclose(rhs(np.array([0.5, 3.0]), pp, 0.0), [-1.0, -6.5])   # [-p u, -p S - u]
    out = rhs(np.array([-0.5, 3.0]), pp, 0.0)     # u < 0: the other branch
    assert np.isnan(out).all() and pp[-1] != 0.0


def test_bad_method_is_refused():
    with pytest.raises(ValueError, match="method must be"):
        cj.jvp_rhs(ude, np.array([1.0, 1.0]), THETA, 0.0, np.ones(THETA.size, dtype=bool), 1, method="fast")


def test_auto_leaves_very_many_directions_to_the_generic_path(monkeypatch):
    monkeypatch.setattr(cj, "MAX_NODES", 10)
    monkeypatch.setattr(cj, "MAX_LOOP_TANGENTS", 100)
    with pytest.raises(NotImplementedError, match="generic path's matrix products"):
        cj.jvp_rhs(ude, np.array([1.0, 1.0]), THETA, 0.0, np.ones(THETA.size, dtype=bool), 4)


def test_a_1000_parameter_network_gets_the_loop_kernel():
    # 3,000+ recorded operations: more than MAX_NODES, so "auto" takes the loop (it used to refuse)
    m, k = BIG_THETA.size, 4
    mask = np.ones(m, dtype=bool)
    kern = cj.jvp_rhs(big_ude, np.array([1.0, 1.0]), BIG_THETA, 0.0, mask, k)
    assert m > 1000 and kern.nodes > cj.MAX_NODES
    assert kern.method == "loop" and "LIVE = np.frombuffer" in kern.source
    u, S, P, z = _inputs(2, 2, m, k, mask)
    out = kern.rhs(z, np.concatenate([BIG_THETA, P.ravel(), [0.0]]), 0.3)
    np.testing.assert_allclose(out, _generic_jvp(big_ude, u, S, BIG_THETA, P), rtol=1e-12, atol=1e-14)


def test_compiled_forward_solve_of_a_1000_parameter_network_equals_the_generic():
    # partials along 3 directions of the 1,082 parameters: the compiled loop (kernel by pointer)
    # takes the generic DualArray solve's steps and gives its derivatives
    rng = np.random.default_rng(3)
    p = nm.DualArray(BIG_THETA, rng.standard_normal((BIG_THETA.size, 3)) * 0.1)
    prob = ODEProblem(big_ude, np.array([1.0, 1.0]), (0.0, 0.5), p)
    kw = dict(rtol=1e-7, atol=1e-9)
    com = solve(prob, Tsit5(), sensealg=FDS(), **kw)
    gen = solve(prob, Tsit5(), sensealg=FDS(compile=False), **kw)
    assert com.compiled and "tape-interpreter kernel" in com.compile_message, com.compile_message
    assert com.stats.naccept == gen.stats.naccept and com.stats.nreject == gen.stats.nreject
    np.testing.assert_allclose(com.u[-1].value, gen.u[-1].value, rtol=1e-12)
    np.testing.assert_allclose(com.u[-1].partials, gen.u[-1].partials, rtol=1e-10, atol=1e-13)


def test_a_zero_tangent_contributes_zero_where_the_local_partial_is_infinite():
    # d sqrt(y) / dy is inf at y = 0; with S_y = 0 the tangent is finite (as a Dual's), not nan
    def f(u, p, t):
        return np.array([p[0] * u[0] * nm.sqrt(u[1]), -u[1]])

    mask = np.array([True])
    z = np.array([2.0, 0.0, 1.0, 0.0])               # u = (2, 0), S = (1, 0)
    pp = np.array([3.0, 0.5, 0.0])
    outs = [cj.jvp_rhs(f, np.array([2.0, 1.0]), np.array([3.0]), 0.0, mask, 1, method=m).rhs(z, pp, 0.0)
            for m in ("loop", "straight")]
    du = nm.DualArray(z[:2], z[2:].reshape(2, 1))
    d = f(du, nm.DualArray(pp[:1], pp[1:2].reshape(1, 1), tag=du.tag), 0.0)   # generic forward mode
    expected = np.array([nm.value(e) for e in d] + [float(np.ravel(e.partials)[0]) for e in d])
    assert np.isfinite(expected).all()
    np.testing.assert_array_equal(outs[0], expected)
    np.testing.assert_array_equal(outs[1], expected)


@pytest.mark.parametrize("module", ["numeric.reverse.jvp_loop", "numeric.reverse.loop_kernel",
                                    "numeric.reverse.vjp_loop"])
def test_doctests(module):
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(module),
                             optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0
