"""Nested modes over array functions (issue 10): forward over reverse and reverse over forward.

Regression for the PINN case: reverse mode over a DualArray input (a TrackedArray whose value
is a DualArray) returned scalar ``Tracked`` numbers from indexing, reshape, transpose, ufuncs
and matmul, so a network layer saw shape ``()`` and forward-over-reverse ``u_xx`` failed.
Every Hessian here is checked against its exact closed form and against the other nestings.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import numeric as nm
import numeric.reverse as rv
from numeric.reverse.api import argument, lift
from numeric.reverse.tape import Tape
from numeric.reverse.tracked import TrackedArray


def _tanh2(z):
    t = np.tanh(z)
    return -2.0 * t * (1.0 - t * t)            # tanh''


# (function of x with shape (m, k), its exact Hessian of shape (m, k, m, k)); B (k, c), W (m, c)
def _net(x, B, W):
    return np.sum(W * np.tanh(x @ B))


def _net_hessian(x, B, W):
    m, k = x.shape
    d2 = W * _tanh2(x @ B)
    H = np.zeros((m, k, m, k))
    for i in range(m):                          # z_ic = sum_a x_ia B_ac only couples row i
        H[i, :, i, :] = (B * d2[i]) @ B.T
    return H


def _index(x, B, W):
    return np.sum(x[0] ** 3) + np.sum(np.reshape(x, (-1,))[::2] ** 2) + np.sum(np.exp(x.T) * W[:, :1].T)


def _index_hessian(x, B, W):
    m, k = x.shape
    H = np.zeros((m, k, m, k))
    H[0, :, 0, :] += np.diag(6.0 * x[0])
    flat = H.reshape(m * k, m * k)
    flat[np.arange(0, m * k, 2), np.arange(0, m * k, 2)] += 2.0
    e = np.exp(x) * W[:, :1]
    flat[np.arange(m * k), np.arange(m * k)] += e.reshape(-1)
    return H


def _prod(x, B, W):
    return np.sum(np.prod(x, axis=0) * W[0, 0])


def _prod_hessian(x, B, W):
    # d2/dx_aj dx_bj prod_i x_ij = prod over i not in {a, b} (a != b); 0 on the diagonal
    m, k = x.shape
    H = np.zeros((m, k, m, k))
    for j in range(k):
        for a in range(m):
            for b in range(m):
                if a != b:
                    rest = [x[i, j] for i in range(m) if i not in (a, b)]
                    H[a, j, b, j] = W[0, 0] * np.prod(rest)
    return H


CASES = {"net": (_net, _net_hessian), "index": (_index, _index_hessian),
         "prod": (_prod, _prod_hessian)}


def _hessians(f, x):
    """The Hessian by every nesting of the two modes."""
    return {
        "forward over reverse": nm.jacobian(nm.grad(f, mode="reverse"), x, mode="forward"),
        "reverse over forward (rv.hessian)": rv.hessian(f, x),
        "reverse over forward (jacobian of grad)": nm.jacobian(nm.grad(f, mode="forward"), x,
                                                               mode="reverse"),
        "forward over forward": nm.jacobian(nm.grad(f, mode="forward"), x, mode="forward"),
    }


@st.composite
def problems(draw):
    m, k, c = draw(st.integers(1, 4)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
    el = st.floats(-1.5, 1.5, allow_nan=False, width=64)
    x = draw(hnp.arrays(np.float64, (m, k), elements=el))
    B = draw(hnp.arrays(np.float64, (k, c), elements=el))
    W = draw(hnp.arrays(np.float64, (m, c), elements=el))
    return x, B, W


@settings(max_examples=15)
@given(problems(), st.sampled_from(sorted(CASES)))
def test_every_nesting_gives_the_exact_hessian(prob, name):
    x, B, W = prob
    f, exact = CASES[name]
    H = exact(x, B, W)
    scale = max(1.0, float(np.max(np.abs(H))))
    for how, Hm in _hessians(lambda y: f(y, B, W), x).items():
        assert np.shape(Hm) == H.shape, (how, np.shape(Hm))
        assert np.allclose(Hm, H, rtol=0, atol=1e-13 * scale), (how, np.max(np.abs(Hm - H)))


@settings(max_examples=10)
@given(problems())
def test_directional_forward_over_reverse_is_h_times_v(prob):
    # the PINN pattern: d/ds grad f(x + s v) at s = 0 is H v
    x, B, W = prob
    v = np.cos(np.arange(x.size, dtype=float)).reshape(x.shape)
    Hv = nm.derivative(lambda s: rv.gradient(lambda y: _net(y, B, W), x + s * v), 0.0)
    H = _net_hessian(x, B, W).reshape(x.size, x.size)
    assert np.shape(Hv) == x.shape
    assert np.allclose(np.reshape(Hv, -1), H @ v.reshape(-1), rtol=0, atol=1e-13 * max(1.0, np.max(np.abs(H))))


@pytest.mark.parametrize("op, shape", [
    (lambda a: a[0], (3,)), (lambda a: a[1:], (1, 3)), (lambda a: a.reshape(-1), (6,)),
    (lambda a: a.T, (3, 2)), (lambda a: np.sin(a), (2, 3)), (lambda a: a @ np.ones((3, 4)), (2, 4)),
    (lambda a: np.sum(a, axis=0), (3,)), (lambda a: a[:, None, :], (2, 1, 3)),
])
def test_a_tracked_array_of_duals_keeps_its_shape(op, shape):
    # the failing mechanism itself: results whose value is a DualArray stay TrackedArrays
    x = np.arange(6.0).reshape(2, 3)

    def check(s):
        xt = argument(lift(x + s, Tape()))
        y = op(xt)
        assert type(y) is TrackedArray and y.shape == shape, (type(y).__name__, np.shape(y))
        return s

    nm.derivative(check, 0.0)



def _decay_end(k, alg):
    import solvers
    prob = solvers.ODEProblem(lambda u, p, t: -p[0] * u, np.array([1.0]), (0.0, 1.0), np.array([k]))
    return solvers.solve(prob, alg, rtol=1e-10, atol=1e-12).u[-1][0]


@pytest.mark.parametrize("inner", ["forward", "reverse"])
@pytest.mark.parametrize("name", ["Rodas5P", "KenCarp4"])
def test_second_derivative_through_stiff_solves(name, inner):
    # forward over reverse ended in a RecursionError: a DualArray @ TrackedArray in the stiff
    # methods' linear algebra treated the tracked array as a constant and called @ again
    import solvers
    alg = getattr(solvers, name)()
    d2 = nm.derivative(lambda q: nm.derivative(lambda r: _decay_end(r, alg), q, mode=inner), 0.7)
    assert abs(d2 - np.exp(-0.7)) < 1e-8 * np.exp(-0.7)   # d2/dk2 exp(-k)


def test_dualarray_matmul_defers_to_a_newer_tracked_array():
    A = np.array([[1.0, 2.0], [3.0, 4.0]])

    def inner(v, k):
        M = A * k                          # a DualArray (k is the outer dual)
        return np.sum(M @ (v * v))         # meets a tracked array of the inner reverse tape

    H = nm.derivative(lambda k: nm.gradient(lambda v: inner(v, k), np.array([0.5, -1.0]), mode="reverse"), 2.0)
    np.testing.assert_allclose(H, (A.T @ np.ones(2)) * 2 * np.array([0.5, -1.0]), rtol=1e-14)
