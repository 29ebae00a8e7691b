"""The compiled stiff paths (solvers/ode/compiled_stiff.py: Rosenbrock, RadauIIA5, FBDF) give the
generic path's answers.

References: ROBER at t = 40 (Hairer & Wanner II, section IV.10) and t = 1e5, Van der Pol with
eps = 1e-6 (mu = 1e3; IVP Test Set ``vdpol``), all from solvers/ode/stiff/testset.py. The
right-hand sides below are the test set's, written with float arrays so numba compiles them.
"""

from __future__ import annotations

import numpy as np
import pytest

numba = pytest.importorskip("numba")

import solvers  # noqa: E402
from solvers import ODEProblem, ReturnCode, solve  # noqa: E402
from solvers.ode.stiff.testset import ROBER1E5, ROBER40, VDP, relative_error  # noqa: E402


@numba.njit
def rober(u, p, t):
    return np.array([-0.04 * u[0] + 1e4 * u[1] * u[2], 0.04 * u[0] - 1e4 * u[1] * u[2] - 3e7 * u[1] * u[1],
                     3e7 * u[1] * u[1]])


@numba.njit
def rober_jac(u, p, t):
    return np.array([[-0.04, 1e4 * u[2], 1e4 * u[1]], [0.04, -1e4 * u[2] - 6e7 * u[1], -1e4 * u[1]],
                     [0.0, 6e7 * u[1], 0.0]])


@numba.njit
def vdp(u, p, t):
    return np.array([u[1], ((1 - u[0] * u[0]) * u[1] - u[0]) / 1e-6])


@numba.njit
def rober_dae(u, p, t):  # ROBER with its conservation law as the algebraic equation (M = diag(1, 1, 0))
    return np.array([-0.04 * u[0] + 1e4 * u[1] * u[2], 0.04 * u[0] - 1e4 * u[1] * u[2] - 3e7 * u[1] * u[1],
                     u[0] + u[1] + u[2] - 1.0])


@numba.njit
def rober_dae_jac(u, p, t):
    return np.array([[-0.04, 1e4 * u[2], 1e4 * u[1]], [0.04, -1e4 * u[2] - 6e7 * u[1], -1e4 * u[1]],
                     [1.0, 1.0, 1.0]])


@numba.njit
def blowup(u, p, t):  # u' = u^2, u(0) = 1: u = 1 / (1 - t) leaves every float before t = 1
    return u * u


def _pair(f, jac, pr, method, rtol, atol, **kw):
    """(compiled, generic) solves of one problem; the generic one runs the Python functions."""
    fast = solve(ODEProblem(f, pr.u0, pr.tspan, jac=jac), method(), rtol=rtol, atol=atol, **kw)
    slow = solve(ODEProblem(f.py_func, pr.u0, pr.tspan, jac=None if jac is None else jac.py_func), method(),
                 rtol=rtol, atol=atol, compile=False, **kw)
    assert fast.compiled and not slow.compiled, fast.compile_message
    return fast, slow


KERNELS = [solvers.Rodas4, solvers.Rodas5P, solvers.RadauIIA5, solvers.FBDF]
REUSING = (solvers.RadauIIA5, solvers.FBDF)  # Jacobian/factorisation reuse and Newton: the generic decisions


@pytest.mark.parametrize("method", KERNELS, ids=lambda m: m.__name__)
@pytest.mark.parametrize("pr", [ROBER40, ROBER1E5], ids=lambda p: p.name)
def test_rober_with_jac_takes_the_generic_paths_steps(method, pr):
    fast, slow = _pair(rober, rober_jac, pr, method, 1e-6, 1e-10)
    assert fast.retcode is ReturnCode.Success
    # the same Jacobian and tableau: the same steps, states equal to rounding (RadauIIA5: also the
    # same Jacobian refreshes, factorisations and Newton iterations; FBDF: also the same orders)
    assert (fast.stats.naccept, fast.stats.nreject) == (slow.stats.naccept, slow.stats.nreject)
    if method in REUSING:
        assert (fast.stats.njac, fast.stats.nfactor, fast.stats.nnewton) == (
            slow.stats.njac, slow.stats.nfactor, slow.stats.nnewton)
    np.testing.assert_allclose(fast.u[-1], slow.u[-1], rtol=1e-9, atol=1e-14)
    assert relative_error(fast.u[-1], pr.ref) < 1e-4


@pytest.mark.parametrize("method", KERNELS, ids=lambda m: m.__name__)
def test_finite_difference_jacobian_reaches_the_references(method):
    for f, pr, atol in ((rober, ROBER1E5, 1e-10), (vdp, VDP, 1e-6)):
        fast, slow = _pair(f, None, pr, method, 1e-6, atol)
        assert fast.retcode is ReturnCode.Success
        # error against the reference within the bound tests/test_stiff_reference.py sets (30 x tol)
        scaled = np.max(np.abs(fast.u[-1] - pr.ref) / (atol + 1e-6 * np.abs(pr.ref)))
        assert scaled < 30, (pr.name, scaled)
        # finite differences change the steps only a little (measured: ROBER 269 vs 261 for Rodas4)
        assert abs(fast.stats.naccept - slow.stats.naccept) <= 0.15 * slow.stats.naccept + 5


@pytest.mark.parametrize("method", [solvers.Rodas5P, solvers.RadauIIA5, solvers.FBDF], ids=lambda m: m.__name__)
def test_dense_output_and_saveat_match_the_generic_interpolant(method):
    fast, slow = _pair(rober, rober_jac, ROBER40, method, 1e-7, 1e-11)
    ts = np.array([1e-4, 0.3, 2.0, 17.0, 39.9])
    np.testing.assert_allclose(np.array([fast(t) for t in ts]), np.array([slow(t) for t in ts]), rtol=1e-8,
                               atol=1e-14)
    a, b = _pair(rober, rober_jac, ROBER40, method, 1e-7, 1e-11, saveat=[0.5, 5.0, 40.0])
    assert list(a.t) == list(b.t) == [0.5, 5.0, 40.0]
    np.testing.assert_allclose(np.array(a.u), np.array(b.u), rtol=1e-8, atol=1e-14)


@pytest.mark.parametrize("method", [solvers.Rodas5P, solvers.RadauIIA5, solvers.FBDF], ids=lambda m: m.__name__)
def test_return_codes_and_messages_match_the_generic_path(method):
    pr = ROBER1E5
    fast, slow = _pair(rober, rober_jac, pr, method, 1e-6, 1e-10, maxiters=20, verbose=False)
    assert fast.retcode is slow.retcode is ReturnCode.MaxIters
    assert fast.message.split(" at t")[0] == slow.message.split(" at t")[0]
    assert fast.stats.naccept + fast.stats.nreject == 20
    up = ODEProblem(blowup, np.array([1.0]), (0.0, 2.0))
    fast = solve(up, method(), verbose=False)
    slow = solve(up.remake(f=blowup.py_func), method(), compile=False, verbose=False)
    assert fast.compiled
    assert fast.retcode is slow.retcode is ReturnCode.DtLessThanMin
    assert fast.t[-1] == pytest.approx(slow.t[-1], rel=1e-6)  # both stop just past the pole at t = 1


def test_the_path_is_chosen_by_capability_and_says_why():
    pr = ODEProblem(rober.py_func, ROBER40.u0, ROBER40.tspan)
    s = solve(pr, solvers.Rodas5P())
    assert not s.compiled and "Python function" in s.compile_message
    s = solve(ODEProblem(rober, ROBER40.u0, ROBER40.tspan, jac=rober_jac.py_func), solvers.Rodas5P())
    assert s.compiled  # a numba f: its Python jac is compiled too
    s = solve(pr, solvers.Rodas5P(compile=True))
    assert s.compiled and s.retcode is ReturnCode.Success
    with pytest.raises(ValueError, match="compile=True: numba could not compile f"):
        opaque = object()  # numba cannot type a closure over a plain object
        solve(ODEProblem(lambda u, p, t: -u if opaque else u, ROBER40.u0, ROBER40.tspan), solvers.Rodas5P(),
              compile=True)
    import scipy.sparse

    with pytest.raises(ValueError, match="mass matrix that is not a dense"):
        solve(ODEProblem(rober, ROBER40.u0, ROBER40.tspan, mass_matrix=scipy.sparse.eye(3)), solvers.Rodas5P(),
              compile=True)
    with pytest.raises(ValueError, match="no compiled loop"):
        solve(pr, solvers.TRBDF2(), compile=True)
    s = solve(pr, solvers.FBDF(compile=True))  # the method's own compile= option, as for Rodas5P
    assert s.compiled and s.retcode is ReturnCode.Success
    with pytest.raises(ValueError, match="compile=True: fixed steps"):
        solve(pr, solvers.FBDF(compile=True), adaptive=False, dt=0.1)


def test_kernel_linear_algebra_against_numpy():
    from solvers.ode.compiled_stiff_loop import fd_jacobian, lu_factor, lu_solve

    rng = np.random.default_rng(3)
    A = rng.standard_normal((7, 7))
    b = rng.standard_normal(7)
    LU, piv = A.copy(), np.empty(7, dtype=np.int64)
    assert lu_factor(LU, piv)
    np.testing.assert_allclose(lu_solve(LU, piv, b.copy()), np.linalg.solve(A, b), rtol=1e-12)
    assert not lu_factor(np.zeros((2, 2)), np.empty(2, dtype=np.int64))
    u = np.array([0.9, 2e-6, 0.1])
    f0 = rober(u, None, 0.0)
    J, T, nfe = fd_jacobian(rober, u, None, 0.0, f0)
    assert nfe == 4 and np.all(T == 0.0)  # autonomous: the time difference is exactly zero
    # truncation error f'' delta / 2: 3e7 * 4.7e-11 = 1.4e-3 on the entry 120 (relative 1.2e-5)
    np.testing.assert_allclose(J, rober_jac(u, None, 0.0), rtol=3e-5, atol=1e-6)


@pytest.mark.parametrize("method", KERNELS, ids=lambda m: m.__name__)
def test_rober_as_an_index_1_dae_with_a_mass_matrix(method):
    """M u' = f with M = diag(1, 1, 0): the kernel takes the generic path's steps and reaches
    Hairer & Wanner's ROBER reference at t = 40 (the DAE's solution is the ODE's); an inconsistent
    u0 (y3 = 0.5) is corrected to y3 = 1 - y1 - y2 = 0 first, on both paths."""
    M = np.diag([1.0, 1.0, 0.0])
    u0 = np.array([1.0, 0.0, 0.5])
    for jac in (rober_dae_jac, None):
        fast = solve(ODEProblem(rober_dae, u0, ROBER40.tspan, mass_matrix=M, jac=jac), method(), rtol=1e-6,
                     atol=1e-10)
        slow = solve(ODEProblem(rober_dae.py_func, u0, ROBER40.tspan, mass_matrix=M,
                                jac=None if jac is None else jac.py_func), method(), rtol=1e-6, atol=1e-10,
                     compile=False)
        assert fast.compiled and fast.retcode is ReturnCode.Success, fast.compile_message
        np.testing.assert_allclose(fast.u[0], [1.0, 0.0, 0.0], atol=1e-15)
        np.testing.assert_allclose(fast.u[0], slow.u[0], atol=1e-15)
        assert relative_error(fast.u[-1], ROBER40.ref) < 1e-4
        assert abs(fast.u[-1].sum() - 1.0) < 1e-12  # the algebraic equation holds at the end
        if jac is not None and method is solvers.FBDF:
            # FBDF's error estimate d = u_new - u_pred is a small difference: on the DAE a rounding
            # difference of 1e-12 in the states (LU, M (psi + d)) moves the step sizes by 1e-6
            # relative from step 16 on (measured), so the steps are close, not the same
            assert abs(fast.stats.naccept - slow.stats.naccept) <= 3
            np.testing.assert_allclose(fast.u[-1], slow.u[-1], rtol=1e-7, atol=1e-13)
        elif jac is not None:  # the same Jacobian: the same steps, states equal to rounding
            assert (fast.stats.naccept, fast.stats.nreject) == (slow.stats.naccept, slow.stats.nreject)
            np.testing.assert_allclose(fast.u[-1], slow.u[-1], rtol=1e-9, atol=1e-14)
        else:  # forward differences against the generic path's forward-mode Jacobian
            assert abs(fast.stats.naccept - slow.stats.naccept) <= 0.15 * slow.stats.naccept + 5


def test_a_nonsingular_mass_matrix_is_the_ode_it_scales():
    """M u' = f with M = diag(2, 4): the solution of u' = M^-1 f (u' = -u / 2 and -u / 4)."""
    f = numba.njit(lambda u, p, t: -u)
    sol = solve(ODEProblem(f, np.array([1.0, 1.0]), (0.0, 2.0), mass_matrix=np.diag([2.0, 4.0])), solvers.Rodas5P(),
                rtol=1e-9, atol=1e-12)
    assert sol.compiled
    np.testing.assert_allclose(sol.u[-1], np.exp([-1.0, -0.5]), rtol=1e-7)


def test_fbdf_bad_input_is_refused_as_on_the_generic_path():
    """Checks that run before either path: a non-finite u0 ends InitialFailure, a wrong-shaped f
    or a negative tolerance raises; a jac of the wrong shape cannot run in the kernel and says so."""
    nan0 = np.array([1.0, np.nan, 0.0])
    fast = solve(ODEProblem(rober, nan0, ROBER40.tspan), solvers.FBDF(), verbose=False)
    slow = solve(ODEProblem(rober.py_func, nan0, ROBER40.tspan), solvers.FBDF(), compile=False, verbose=False)
    assert fast.retcode is slow.retcode is ReturnCode.InitialFailure
    short = numba.njit(lambda u, p, t: -u[:1])
    for compile_ in (None, False):
        with pytest.raises(ValueError, match="shape"):
            solve(ODEProblem(short, ROBER40.u0, ROBER40.tspan), solvers.FBDF(), compile=compile_)
    with pytest.raises(ValueError, match="rtol"):
        solve(ODEProblem(rober, ROBER40.u0, ROBER40.tspan), solvers.FBDF(), rtol=-1.0)
    bad_jac = numba.njit(lambda u, p, t: np.eye(2))
    with pytest.raises(ValueError, match=r"compile=True: the compiled jac does not return a float64 array of shape \(3, 3\)"):
        solve(ODEProblem(rober, ROBER40.u0, ROBER40.tspan, jac=bad_jac), solvers.FBDF(), compile=True)


def test_fbdf_max_order_and_tstops_take_the_generic_paths_steps():
    """``max_order`` (a run-time argument of the one kernel) and tstops the steps must land on: the
    same steps, Jacobians and Newton iterations as the generic FBDF, the stops in the saved times."""
    for alg, kw in ((lambda: solvers.FBDF(max_order=2), {}), (solvers.FBDF, {"tstops": [0.5, 7.0]})):
        fast = solve(ODEProblem(rober, ROBER40.u0, ROBER40.tspan, jac=rober_jac), alg(), rtol=1e-6, atol=1e-10, **kw)
        slow = solve(ODEProblem(rober.py_func, ROBER40.u0, ROBER40.tspan, jac=rober_jac.py_func), alg(), rtol=1e-6,
                     atol=1e-10, compile=False, **kw)
        assert fast.compiled and fast.retcode is ReturnCode.Success
        assert (fast.stats.naccept, fast.stats.nreject, fast.stats.njac, fast.stats.nnewton) == (
            slow.stats.naccept, slow.stats.nreject, slow.stats.njac, slow.stats.nnewton)
        np.testing.assert_allclose(fast.u[-1], slow.u[-1], rtol=1e-9, atol=1e-14)
        assert relative_error(fast.u[-1], ROBER40.ref) < 1e-4
        assert set(kw.get("tstops", [])) <= set(fast.t)


def test_fbdf_backwards_in_time_takes_the_generic_paths_steps():
    """From Hairer & Wanner's ROBER value at t = 40 back to t = 30 (tdir = -1; the same kernel)."""
    u40 = np.array(ROBER40.ref)
    fast = solve(ODEProblem(rober, u40, (40.0, 30.0), jac=rober_jac), solvers.FBDF(), rtol=1e-6, atol=1e-10)
    slow = solve(ODEProblem(rober.py_func, u40, (40.0, 30.0), jac=rober_jac.py_func), solvers.FBDF(), rtol=1e-6,
                 atol=1e-10, compile=False)
    assert fast.compiled and fast.retcode is slow.retcode is ReturnCode.Success
    assert (fast.stats.naccept, fast.stats.nnewton) == (slow.stats.naccept, slow.stats.nnewton)
    np.testing.assert_allclose(fast.u[-1], slow.u[-1], rtol=1e-9, atol=1e-14)
    np.testing.assert_allclose(fast(35.0), slow(35.0), rtol=1e-8, atol=1e-14)
