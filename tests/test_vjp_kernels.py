"""The adjoint kernels of long right-hand sides: the tape-interpreter kernel (numeric.reverse.vjp_loop)
and np.stack of scalars in a recorded program."""

import numpy as np
import pytest

pytest.importorskip("numba", reason="the compiled kernels need numba")

import numeric as nm  # noqa: E402
import numeric.reverse.compile_vjp as cv  # noqa: E402
from numeric.reverse.compile import ScalarProgram, load_source  # noqa: E402
from numeric.reverse.compile_jvp import _record, jvp_rhs  # noqa: E402
from numeric.reverse.vjp_loop import vjp_loop_source  # noqa: E402
from solvers.nn import Chain, Dense  # noqa: E402

NET = Chain(Dense(2, 5, "tanh"), Dense(5, 2))
THETA = NET.init(1)


def ude(u, p, t):
    # known part by np.stack (an array operation of scalars), plus a network
    x, y = u[0], u[1]
    return np.stack([1.5 * x - x * y, -3.0 * y + x * y]) + 0.1 * NET(u, p)


def _leaves(v):
    out = np.empty(len(v), dtype=object)
    out[:] = v
    return out


def _program(f, u, p):
    return ScalarProgram(_record(f, u, _leaves, p, 0.0, False), vector_output=True)


def _reverse_vjp(f, u, p, lam):
    """``[f, -lam^T f_u, -lam^T f_p]`` by reverse mode through f on tracked arrays (the tape)."""
    n = u.size
    g = nm.grad(lambda v: np.sum(lam * f(v[:n], v[n:], 0.0)), mode="reverse")(np.concatenate([u, p]))
    return np.concatenate([np.asarray(f(u, p, 0.0), dtype=float), -np.asarray(g)])


@pytest.mark.parametrize("seed", [0, 1])
def test_loop_kernel_matches_reverse_mode_and_the_straight_kernel(seed):
    rng = np.random.default_rng(seed)
    u, lam = rng.standard_normal(2), rng.standard_normal(2)
    prog = _program(ude, np.array([1.0, 1.0]), THETA)
    loop = load_source(vjp_loop_source(prog, 2, THETA.size), cache=True)
    straight = load_source(cv.vjp_source(prog, 2, THETA.size), cache=True)
    z, pp = np.concatenate([u, lam, np.zeros(THETA.size)]), np.concatenate([THETA, [0.0]])
    a, b = loop(z, pp, 0.0), straight(z, pp, 0.0)
    np.testing.assert_allclose(a, _reverse_vjp(ude, u, THETA, lam), rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(a, b, rtol=1e-13, atol=1e-15)
    assert pp[-1] == 0.0


def test_loop_kernel_flags_a_failed_guard_and_returns_nans():
    def branching(u, p, t):
        return np.array([-p[0] * u[0] if u[0] > 0.0 else p[0] * u[0] * u[0]])

    prog = _program(branching, np.array([1.0]), np.array([2.0]))
    rhs = load_source(vjp_loop_source(prog, 1, 1), cache=True)
    pp = np.array([2.0, 0.0])
    np.testing.assert_allclose(rhs(np.array([0.5, 3.0, 0.0]), pp, 0.0), [-1.0, 6.0, 1.5])
    out = rhs(np.array([-0.5, 3.0, 0.0]), pp, 0.0)     # u < 0: the other branch
    assert np.isnan(out).all() and pp[-1] != 0.0


def test_vjp_rhs_compiles_a_program_above_max_nodes_as_the_loop(monkeypatch):
    monkeypatch.setattr(cv, "MAX_NODES", 10)
    cv._SOURCES.clear()
    k = cv.vjp_rhs(ude, np.array([1.0, 1.0]), THETA, 0.0)
    assert k.nodes > 10 and "OPS = np.frombuffer" in k.source
    u, lam = np.array([0.7, -0.2]), np.array([1.0, 2.0])
    out = k.rhs(np.concatenate([u, lam, np.zeros(THETA.size)]), np.concatenate([THETA, [0.0]]), 0.0)
    np.testing.assert_allclose(out, _reverse_vjp(ude, u, THETA, lam), rtol=1e-13, atol=1e-15)
    cv._SOURCES.clear()


def test_np_stack_of_scalars_records_for_the_jvp_kernel():
    k = jvp_rhs(ude, np.array([1.0, 1.0]), THETA, 0.0, np.ones(THETA.size, dtype=bool), 1)
    # direction: the first parameter; compare with the central difference of f in it
    u = np.array([0.4, 1.1])
    pp = np.concatenate([THETA, np.eye(THETA.size)[0], [0.0]])
    out = k.rhs(np.concatenate([u, [0.0, 0.0]]), pp, 0.0)
    h = 1e-6
    e = np.eye(THETA.size)[0]
    fd = (ude(u, THETA + h * e, 0.0) - ude(u, THETA - h * e, 0.0)) / (2 * h)
    np.testing.assert_allclose(out[:2], ude(u, THETA, 0.0), rtol=1e-15)
    np.testing.assert_allclose(out[2:], fd, rtol=1e-7, atol=1e-10)
