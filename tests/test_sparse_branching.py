"""A right-hand side that branches on the state, through the sparse Jacobian path.

Its pattern can only be traced locally (at one state); before the pattern was re-traced, the
one from u0 was used for the whole solve, and after the branch flipped the compressed Jacobian
put entries in the wrong places: Rodas5P took 33,837 steps instead of 175, silently.
"""

import numpy as np

import solvers
from solvers.ode.stiff.jacobian import SparseForward

N = 40


def flipping(u, p, t):
    du = -50.0 * u
    if u[-1] > 0.5:                    # a clock state: the coupling direction flips at t = 0.5
        du[1:-1] = du[1:-1] + 40.0 * u[:-2]
    else:
        du[1:-1] = du[1:-1] + 40.0 * u[2:]
    du[-1] = 1.0 + 0 * u[-1]
    return du


def _u0():
    u0 = np.linspace(1.0, 2.0, N)
    u0[-1] = 0.0
    return u0


def test_local_pattern_is_widened_when_the_branch_changes():
    jac = SparseForward(flipping, forced=True)
    before = _u0()
    np.testing.assert_array_equal(jac(before, None, 0.0).toarray(), _dense(before))
    assert jac.local
    after = before.copy()
    after[-1] = 0.9
    np.testing.assert_array_equal(jac(after, None, 0.9).toarray(), _dense(after))


def _dense(u):
    import numeric as nm
    return nm.jacobian(lambda y: flipping(y, None, 0.0), u)


def test_sparse_solve_takes_the_dense_steps():
    prob = solvers.ODEProblem(flipping, _u0(), (0.0, 1.0))
    ref = solvers.solve(prob, solvers.Vern9(), rtol=1e-12, atol=1e-14).u[-1]
    for alg in (solvers.Rodas5P(), solvers.FBDF()):
        dense = solvers.solve(prob, alg, rtol=1e-8, atol=1e-10)
        sparse = solvers.solve(prob, alg, rtol=1e-8, atol=1e-10, sparse=True)
        assert sparse.retcode.name == "Success"
        assert abs(sparse.stats.naccept - dense.stats.naccept) <= 2
        assert np.max(np.abs(sparse.u[-1] - ref)) < 1e-8
