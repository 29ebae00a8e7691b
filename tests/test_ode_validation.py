"""Bad solve inputs are clear errors or return codes, never silent wrong answers (issue 11, section 1)."""

import warnings

import mpmath
import numpy as np
import pytest

import numeric as nm
from solvers import EnsembleProblem, ODEProblem, Tsit5, solve
from solvers.ode import GBS
from solvers.ode.solution import SolverWarning
from solvers.sde import EulerMaruyama, SDEProblem


def decay2(u, p, t):
    return -u


U2 = np.array([1.0, 2.0])


def test_rhs_of_the_wrong_shape_is_refused():
    # before: -u[:1] broadcast silently over both states and returned Success
    prob = ODEProblem(lambda u, p, t: -u[:1], U2, (0.0, 1.0))
    with pytest.raises(ValueError, match=r"shape \(1,\) but the state has shape \(2,\)"):
        solve(prob, Tsit5())


def test_complex_rhs_on_a_real_state_is_refused():
    prob = ODEProblem(lambda u, p, t: 1j * u, U2, (0.0, 1.0))
    with pytest.raises(TypeError, match="imaginary part would be dropped"):
        solve(prob, Tsit5())
    # a complex state works: u' = i u -> u(1) = e^i u0
    sol = solve(ODEProblem(lambda u, p, t: 1j * u, U2.astype(complex), (0.0, 1.0)), Tsit5(),
                rtol=1e-10, atol=1e-12)
    assert np.allclose(sol.u[-1], np.exp(1j) * U2, atol=1e-8)


def test_rhs_returning_a_list_is_a_clear_error():
    prob = ODEProblem(lambda u, p, t: [-u[0], -u[1]], U2, (0.0, 1.0))
    with pytest.raises(TypeError, match="returned a list"):
        solve(prob, Tsit5())


def test_zero_length_tspan_is_a_trivial_success():
    sol = solve(ODEProblem(decay2, U2, (1.0, 1.0)), Tsit5())   # ZeroDivisionError before
    assert sol.retcode.value == "Success"
    assert list(sol.t) == [1.0] and np.array_equal(sol.u[-1], U2)


@pytest.mark.parametrize("tspan", [(0.0, float("nan")), (float("nan"), 1.0), (0.0, float("inf"))])
def test_non_finite_tspan_is_refused(tspan):
    with pytest.raises(ValueError, match="not a finite number"):
        solve(ODEProblem(decay2, U2, tspan), Tsit5())


@pytest.mark.parametrize("kw, msg", [
    (dict(rtol=0.0), "rtol must be positive"),
    (dict(rtol=-1e-6), "rtol must be positive"),
    (dict(rtol=float("nan")), "rtol must be positive"),
    (dict(atol=-1e-9), "atol must be non-negative"),
    (dict(atol=float("nan")), "atol must be non-negative"),
    (dict(atol=np.array([1e-8, 1e-8, 1e-8])), r"atol has shape \(3,\)"),
    (dict(rtol=np.array([1e-6, 0.0])), "rtol must be positive"),
])
def test_bad_tolerances_are_refused(kw, msg):
    with pytest.raises(ValueError, match=msg):
        solve(ODEProblem(decay2, U2, (0.0, 1.0)), Tsit5(), **kw)


def test_tolerances_of_the_state_shape_are_accepted():
    sol = solve(ODEProblem(decay2, U2, (0.0, 1.0)), Tsit5(), atol=np.array([1e-10, 1e-10]), rtol=1e-8)
    assert np.allclose(sol.u[-1], U2 * np.exp(-1), rtol=1e-6)


@pytest.mark.parametrize("saveat", [[0.5, 2.0], [-0.1, 0.5]])
def test_saveat_outside_tspan_is_refused(saveat):
    with pytest.raises(ValueError, match="outside tspan"):
        solve(ODEProblem(decay2, U2, (0.0, 1.0)), Tsit5(), saveat=saveat)


def test_backward_saveat_inside_tspan_is_accepted():
    sol = solve(ODEProblem(decay2, U2, (1.0, 0.0)), Tsit5(), saveat=[0.5, 0.25], rtol=1e-8, atol=1e-10)
    assert np.allclose(sol.u[0], U2 * np.exp(0.5), rtol=1e-6)


def test_mpf_state_with_a_float64_rhs_names_the_precision_loss():
    u0 = np.array([mpmath.mpf(1), mpmath.mpf(2)], dtype=object)
    prob = ODEProblem(lambda u, p, t: -np.asarray(u, dtype=float), u0, (0.0, 1.0))
    with mpmath.workdps(30):
        with pytest.raises(TypeError, match="precision loss"):
            solve(prob, Tsit5())


def test_float32_state_with_float64_parameters_is_not_refused():
    u0 = np.array([1.0, 2.0], dtype=np.float32)
    sol = solve(ODEProblem(lambda u, p, t: -u, u0, (0.0, 1.0)), Tsit5())
    assert sol.u[-1].dtype == np.float32 and sol.retcode.value == "Success"


@pytest.mark.parametrize("alg", [Tsit5(), GBS()], ids=["Tsit5", "GBS"])
def test_explicit_methods_refuse_a_mass_matrix(alg):
    prob = ODEProblem(decay2, U2, (0.0, 1.0), mass_matrix=np.diag([1.0, 0.0]))
    with pytest.raises(ValueError, match="explicit method.*mass_matrix"):
        solve(prob, alg)
    # the identity is fine
    ident = prob.remake(mass_matrix=np.eye(2))
    assert solve(ident, alg).retcode.value == "Success"


def test_problem_carries_jacobian_fields_through_remake():
    jac = lambda u, p, t: -np.eye(2)  # noqa: E731
    prob = ODEProblem(decay2, U2, (0.0, 1.0), jac=jac, jac_prototype=np.eye(2))
    q = prob.remake(u0=2 * U2)
    assert q.jac is jac and np.array_equal(q.jac_prototype, np.eye(2)) and q.mass_matrix is None
    with pytest.raises(TypeError, match="jac must be callable"):
        ODEProblem(decay2, U2, (0.0, 1.0), jac=np.eye(2))


def test_method_options_are_accepted_and_typos_refused():
    prob = ODEProblem(decay2, U2, (0.0, 1.0))
    assert solve(prob, Tsit5(), linsolve="lu", autodiff="forward").retcode.value == "Success"
    with pytest.raises(TypeError, match="unknown option"):
        solve(prob, Tsit5(), rtoll=1e-3)


def test_method_options_merge_problem_and_solve():
    from solvers.ode.integrator import method_options

    jac = lambda u, p, t: -np.eye(2)  # noqa: E731
    prob = ODEProblem(decay2, U2, (0.0, 1.0), jac=jac)
    opts = method_options(prob, {"linsolve": "gmres", "jac": None})
    assert opts["jac"] is jac and opts["linsolve"] == "gmres" and opts["mass_matrix"] is None


def test_unsuccessful_solve_warns_unless_silenced():
    prob = ODEProblem(decay2, U2, (0.0, 100.0))
    with pytest.warns(SolverWarning, match="MaxIters"):
        sol = solve(prob, Tsit5(), maxiters=3)
    assert sol.retcode.value == "MaxIters"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert solve(prob, Tsit5(), maxiters=3, verbose=False).retcode.value == "MaxIters"
        assert solve(prob, Tsit5()).retcode.value == "Success"   # success: no warning


def test_sde_with_a_non_finite_state_is_unstable():
    prob = SDEProblem(lambda u, p, t: np.float64(u) ** 3, lambda u, p, t: 0.1 * u, 5.0, (0.0, 1.0))
    with np.errstate(over="ignore", invalid="ignore"):
        sol = solve(prob, EulerMaruyama(), dt=0.1, seed=1)
    assert sol.retcode == "Unstable" and not np.isfinite(sol.u[-1])
    ok = solve(SDEProblem(lambda u, p, t: -u, lambda u, p, t: 0.1 * u, 1.0, (0.0, 1.0)),
               EulerMaruyama(), dt=0.01, seed=1)
    assert ok.retcode == "Success"


def test_ensemble_parameter_sweep_of_an_ode():
    # before: ODEProblem._solve crashed on the ensemble's seed
    prob = ODEProblem(lambda u, p, t: -p * u, 1.0, (0.0, 1.0), 1.0)
    ens = EnsembleProblem(prob, prob_func=lambda pr, i: pr.remake(p=float(i)))
    sol = solve(ens, Tsit5(), trajectories=4, rtol=1e-10, atol=1e-12)
    finals = [s.u[-1] for s in sol]
    assert np.allclose(finals, np.exp(-np.arange(4.0)), rtol=1e-8)


def test_dual_parameter_is_not_mistaken_for_precision_loss():
    # a Dual parameter makes the state dual; d u(1)/dp at p = 1 is -exp(-1)
    def final(p):
        return solve(ODEProblem(lambda u, p, t: -p * u, 1.0, (0.0, 1.0), p), Tsit5(),
                     rtol=1e-10, atol=1e-12).u[-1]

    assert abs(nm.derivative(final, 1.0) + np.exp(-1)) < 1e-7


STIFF = ["Rodas5P", "FBDF", "KenCarp4", "RadauIIA5"]


@pytest.mark.parametrize("name", STIFF)
@pytest.mark.parametrize("rhs, err, msg", [
    (lambda u, p, t: -u[:1], ValueError, r"shape \(1,\) but the state has shape \(2,\)"),
    (lambda u, p, t: 1j * u, TypeError, "imaginary part would be dropped"),
    (lambda u, p, t: [-u[0], -u[1]], TypeError, "returned a list"),
], ids=["shape", "complex", "list"])
def test_stiff_methods_refuse_a_bad_rhs_like_the_explicit_ones(name, rhs, err, msg):
    import solvers

    with pytest.raises(err, match=msg):
        solve(ODEProblem(rhs, U2, (0.0, 1.0)), getattr(solvers, name)())


@pytest.mark.parametrize("name", STIFF)
def test_stiff_methods_refuse_bad_tolerances_saveat_and_mpf_precision_loss(name):
    import solvers

    alg = getattr(solvers, name)
    with pytest.raises(ValueError, match="rtol must be positive"):
        solve(ODEProblem(decay2, U2, (0.0, 1.0)), alg(), rtol=0.0)
    with pytest.raises(ValueError, match="outside tspan"):
        solve(ODEProblem(decay2, U2, (0.0, 1.0)), alg(), saveat=[0.5, 2.0])
    with pytest.raises(ValueError, match="not a finite number"):
        solve(ODEProblem(decay2, U2, (0.0, float("nan"))), alg())
    sol = solve(ODEProblem(decay2, U2, (1.0, 1.0)), alg())
    assert sol.retcode.value == "Success" and np.array_equal(sol.u[-1], U2)
    u0 = np.array([mpmath.mpf(1), mpmath.mpf(2)], dtype=object)
    with mpmath.workdps(30):
        with pytest.raises(TypeError, match="precision loss"):
            solve(ODEProblem(lambda u, p, t: -np.asarray(u, dtype=float), u0, (0.0, 1.0)), alg())
