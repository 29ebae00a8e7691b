"""Sparse iteration matrices and Jacobian-free GMRES in the stiff methods (issue 11, 2-3)."""

from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings, strategies as st

import numeric as nm
from solvers import FBDF, ODEProblem, RadauIIA5, Rodas4, Rosenbrock23, solve
from solvers.ode.stiff.jacobian import SPARSE_THRESHOLD, SparseForward, make_jacobian
from solvers.ode.stiff.linsolve import iteration_matrix
from solvers.ode.stiff.problems import brusselator_2d

REF = Path(__file__).parent / "data" / "brusselator_ref.npz"


def heat(n):
    """Stiff 1-D heat equation with a reaction term; tridiagonal Jacobian."""
    def f(u, p, t):
        lap = np.concatenate([u[1:2] - 2 * u[:1], u[2:] - 2 * u[1:-1] + u[:-2], u[-2:-1] - 2 * u[-1:]])
        return lap * (n * n * p) - u * u * u
    return f, np.sin(np.linspace(0, np.pi, n)) + 1.0


def test_brusselator_32_sparse_matches_radau_reference():
    f, u0, _, p = brusselator_2d(32)
    jac = make_jacobian(f, {})
    J = jac(u0, p, 0.0)
    assert sp.issparse(J) and u0.size == 2048 >= SPARSE_THRESHOLD  # chosen automatically
    assert jac.ncolors <= 12 and J.nnz == 6 * 2048
    ref = np.load(REF)
    sol = solve(ODEProblem(f, u0, (0.0, float(ref["t"])), p), Rodas4(), rtol=1e-7, atol=1e-9,
                save_everystep=False)
    err = np.max(np.abs(sol.u[-1] - ref["u"])) / np.max(np.abs(ref["u"]))
    assert sol.retcode.value == "Success" and err < 1e-6, err


def test_sparse_jacobian_equals_dense_forward_mode():
    f, u0, _, p = brusselator_2d(6)
    Js = SparseForward(f, forced=True)(u0 * 1.1, p, 2.0)
    Jd = nm.jacobian(lambda y: f(y, p, 2.0), u0 * 1.1)
    np.testing.assert_allclose(Js.toarray(), Jd, rtol=1e-14, atol=1e-12)


@pytest.mark.parametrize("alg", [Rodas4(), Rosenbrock23(), FBDF(), RadauIIA5()], ids=lambda a: type(a).__name__)
@pytest.mark.parametrize("opts", [dict(sparse=True), dict(linsolve="sparse"), dict(linsolve="gmres"),
                                  dict(linsolve="gmres", precond="ilu")])
def test_sparse_and_krylov_agree_with_dense(alg, opts):
    f, u0 = heat(40)
    if isinstance(alg, RadauIIA5) and opts.get("linsolve") == "gmres":
        with pytest.raises(ValueError, match="linsolve='gmres' does not apply"):
            solve(ODEProblem(f, u0, (0.0, 0.1), 1.0), alg, save_everystep=False, **opts)
        return
    prob = ODEProblem(f, u0, (0.0, 0.1), 1.0)
    dense = solve(prob, alg, rtol=1e-8, atol=1e-10, sparse=False, save_everystep=False).u[-1]
    other = solve(prob, alg, rtol=1e-8, atol=1e-10, save_everystep=False, **opts)
    assert other.retcode.value == "Success"
    if opts.get("linsolve") == "gmres":
        assert getattr(other.stats, "nlinear", 0) > 0  # GMRES iterations really ran
    np.testing.assert_allclose(other.u[-1], dense, rtol=1e-5, atol=1e-8)


def test_jac_prototype_is_used_and_checked():
    f, u0 = heat(10)
    P = sp.diags([1, 1, 1], [-1, 0, 1], shape=(10, 10), dtype=float)
    jac = make_jacobian(f, {"jac_prototype": P})
    assert jac(u0, 1.0, 0.0).nnz == P.nnz and jac.ncolors == 3
    bad = make_jacobian(f, {"jac_prototype": sp.identity(9)})
    with pytest.raises(ValueError, match="jac_prototype has shape"):
        bad(u0, 1.0, 0.0)


def test_small_states_stay_dense_and_bad_options_are_refused():
    f, u0 = heat(10)
    assert isinstance(make_jacobian(f, {})(u0, 1.0, 0.0), np.ndarray)
    with pytest.raises(ValueError, match="linsolve must be"):
        make_jacobian(f, {"linsolve": "qr"})
    with pytest.raises(ValueError, match="forward mode"):
        make_jacobian(f, {"sparse": True, "autodiff": "finite"})
    with pytest.raises(ValueError, match="precond"):
        solve(ODEProblem(f, u0, (0.0, 0.01), 1.0), Rodas4(), linsolve="gmres", precond="jacobi")


def test_dual_parameter_sensitivity_with_sparse_request_matches_finite_difference():
    # a Dual parameter takes the dense path (sparse LU needs floats); the sensitivity must hold
    f, u0 = heat(12)

    def final(k):
        return solve(ODEProblem(f, u0, (0.0, 0.05), k), Rodas4(), rtol=1e-10, atol=1e-12, sparse=True,
                     save_everystep=False).u[-1]

    d = nm.derivative(final, 1.0)
    fd = (final(1.0 + 1e-6) - final(1.0 - 1e-6)) / 2e-6
    np.testing.assert_allclose(d, fd, rtol=1e-4, atol=1e-7)


@settings(max_examples=25, deadline=None)
@given(st.integers(2, 30), st.floats(0.01, 10.0), st.floats(0.1, 3.0))
def test_iteration_matrix_sparse_solves_like_dense(n, a, b):
    rng = np.random.default_rng(n)
    J = sp.random(n, n, density=0.3, random_state=rng, format="csr") - sp.identity(n) * 5
    rhs = rng.standard_normal(n)
    x = iteration_matrix(None, J, a, b).solve(rhs)
    np.testing.assert_allclose((a * np.eye(n) - b * J.toarray()) @ x, rhs, rtol=1e-9, atol=1e-9)


def test_sparse_iteration_matrix_is_ordered_for_low_fill():
    # regression (speed): with COLAMD the Brusselator's W filled ~2x more and factorised 1.6x slower
    import scipy.sparse.linalg as spla

    f, u0, _, p = brusselator_2d(16)
    J = make_jacobian(f, {})(u0, p, 0.0)
    W = iteration_matrix(None, J, 100.0, 1.0)
    colamd = spla.splu(W.W.tocsc(), permc_spec="COLAMD")
    assert W.kind == "sparse"
    assert W.lu.L.nnz + W.lu.U.nnz < 0.8 * (colamd.L.nnz + colamd.U.nnz)
    b = np.arange(u0.size, dtype=float)
    assert np.abs(W.W @ W.solve(b) - b).max() < 1e-10 * np.abs(b).max()


def test_a_sparse_request_the_state_cannot_take_is_reported_and_the_dense_result_kept():
    # a Dual parameter (or a measurement, mpf or device state) takes the dense path, as documented;
    # the request was dropped without a word before
    import warnings

    import numeric as nm
    from solvers import ODEProblem, Rodas5P, solve
    from solvers.ode.solution import SolverWarning

    def f(u, p, t):
        return -p * u + 0.1 * np.roll(u, 1)

    prob = ODEProblem(f, np.ones(6), (0.0, 1.0), nm.Dual(1.0, 1.0))
    with pytest.warns(SolverWarning, match="sparse Jacobian was asked for .* the state is DualArray"):
        a = solve(prob, Rodas5P(), sparse=True)
    b = solve(prob, Rodas5P(), linsolve="dense")
    np.testing.assert_array_equal(a.u[-1].partials, b.u[-1].partials)
    with warnings.catch_warnings():
        warnings.simplefilter("error", SolverWarning)          # a float state: sparse, no warning
        solve(ODEProblem(f, np.ones(6), (0.0, 1.0), 1.0), Rodas5P(), sparse=True)
