"""ForwardDiffSensitivity: the generic and the compiled forward-mode paths (issue 12, part 1).

Derivatives are checked against the hand-written forward sensitivity equations
solved by scipy DOP853 at rtol 1e-13 (tests/_sensitivity_refs.py) and against central
differences; the compiled path is checked against the generic one (same steps, same
numbers to rounding), for every kind of input it takes, and falls back with a reason
for every kind it does not.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import numeric as nm
from solvers import DP5, ODEProblem, Rodas5P, Tsit5, Vern9, solve
from solvers.ode import ErrorNorm
from solvers.ode.sensitivity import ForwardDiffSensitivity as FDS
from solvers.ode.sensitivity.forward_compiled import COMPILED_KERNELS
from tests._sensitivity_refs import P0, SAVE, U0, lotka, lotka_reference, loss_gradient_reference

RTOL, ATOL = 1e-8, 1e-10


def lv_solve(p, sensealg, alg=None, u0=np.array(U0), **kw):
    opts = dict(rtol=RTOL, atol=ATOL, saveat=SAVE)
    opts.update(kw)
    return solve(ODEProblem(lotka, u0, (0.0, 10.0), p), alg or Tsit5(), sensealg=sensealg, **opts)


def loss_partials(sol) -> np.ndarray:
    return sum(np.asarray(u.partials).sum(axis=0) for u in sol.u)


@pytest.fixture(scope="module")
def ref_grad():
    return loss_gradient_reference()


def dual_p():
    return nm.DualArray(np.array(P0), np.eye(4))


@pytest.mark.parametrize("norm_partials", [True, False])
@pytest.mark.parametrize("compile", [False, None])
def test_loss_gradient_matches_sensitivity_equations(ref_grad, norm_partials, compile):
    sol = lv_solve(dual_p(), FDS(norm_partials=norm_partials, compile=compile))
    assert sol.retcode.value == "Success"
    assert sol.compiled is (compile is None)
    g = loss_partials(sol)
    # L sums 22 states; each carries a global error of a few rtol (|dL/dθ| up to 37)
    assert np.abs(g - ref_grad).max() < 100 * RTOL * np.abs(ref_grad).max(), (g, ref_grad)


def test_central_differences_agree(ref_grad):
    # a second, cruder reference: central differences of a tight float solve of ours
    def loss(p):
        s = solve(ODEProblem(lotka, np.array(U0), (0.0, 10.0), tuple(p)), Vern9(), rtol=1e-13, atol=1e-14,
                  saveat=SAVE)
        return float(np.sum(s.u))

    h = 1e-5
    cd = np.array([(loss(np.add(P0, h * e)) - loss(np.subtract(P0, h * e))) / (2 * h) for e in np.eye(4)])
    assert np.abs(cd - ref_grad).max() < 1e-6 * np.abs(ref_grad).max()


def test_norm_partials_changes_only_the_steps():
    with_p = lv_solve(dual_p(), FDS(compile=False))
    without = lv_solve(dual_p(), FDS(norm_partials=False, compile=False))
    floats = lv_solve(P0, None)
    assert without.stats.naccept == floats.stats.naccept < with_p.stats.naccept
    assert np.allclose([nm.value(u) for u in without.u], floats.u, rtol=1e-13, atol=0)


@pytest.mark.parametrize("norm_partials", [True, False])
@pytest.mark.parametrize("alg", [Tsit5, DP5, Vern9])
def test_compiled_equals_generic(norm_partials, alg):
    p = dual_p()
    gen = lv_solve(p, FDS(norm_partials=norm_partials, compile=False), alg())
    com = lv_solve(p, FDS(norm_partials=norm_partials), alg())
    assert com.compiled and "compiled forward mode" in com.compile_message
    assert com.stats.naccept == gen.stats.naccept and com.stats.nreject == gen.stats.nreject
    for a, b in zip(gen.u, com.u):
        assert type(a) is type(b) and a.tag == b.tag
        assert np.allclose(a.value, b.value, rtol=1e-11, atol=1e-13)
        assert np.allclose(a.partials, b.partials, rtol=1e-9, atol=1e-11)


def test_dense_output_rebuilt():
    ref_u, ref_S = lotka_reference(t_eval=np.array([0.0, 2.5, 7.25]))
    u0 = nm.DualArray(np.array(U0), np.eye(2))
    sol = solve(ODEProblem(lotka, u0, (0.0, 10.0), P0), Tsit5(), rtol=1e-10, atol=1e-12, sensealg=FDS())
    assert sol.compiled and sol.dense
    for i, t in enumerate([2.5, 7.25]):
        y = sol(t)
        assert np.allclose(y.value, ref_u[i + 1], rtol=1e-7)
        assert np.allclose(y.partials, ref_S[i + 1][:, 4:], rtol=1e-6, atol=1e-8)
    ys = sol([2.5, 7.25])
    assert len(ys) == 2 and np.allclose(ys[1].partials, sol(7.25).partials)
    dy = sol.derivative(2.5)
    assert np.allclose(dy.value, lotka(ref_u[1], P0, 2.5), rtol=1e-6)


def test_tuple_of_duals_and_plain_floats():
    a = nm.Dual(1.5, [1.0, 0.0])
    b = nm.Dual(1.0, [0.0, 1.0], tag=a.tag)
    gen = lv_solve((a, b, 3.0, 1.0), FDS(compile=False))
    com = lv_solve((a, b, 3.0, 1.0), FDS())
    assert com.compiled
    _, S = lotka_reference()
    assert np.allclose(com.u[-1].partials, S[-1][:, :2], rtol=1e-6)
    assert np.allclose(com.u[-1].partials, gen.u[-1].partials, rtol=1e-9)


def test_u0_and_p_share_one_perturbation():
    # the Jacobian of u(10) wrt (a, b, c, d, x0, y0): u0 and p seeded with one tag, 6 partials
    seeds = np.eye(6)
    p = nm.DualArray(np.array(P0), seeds[:4])
    u0 = nm.DualArray(np.array(U0), seeds[4:], tag=p.tag)
    sol = lv_solve(p, FDS(), u0=u0)
    _, S = lotka_reference()
    assert sol.compiled
    assert np.allclose(sol.u[-1].partials, S[-1], rtol=1e-6, atol=1e-8)


def test_scalar_state():
    prob = ODEProblem(lambda u, p, t: -p * u, 1.0, (0.0, 1.0), nm.Dual(2.0, 1.0))
    sol = solve(prob, Tsit5(), rtol=1e-10, atol=1e-12, sensealg=FDS())
    assert sol.compiled and isinstance(sol.u[-1], nm.Dual)
    assert abs(sol.u[-1].partials[0] - (-np.exp(-2.0))) < 1e-9


def test_scalar_dual_state_steps_as_the_compiled_and_the_array_state():
    # a scalar Dual state's norm is the RMS over its value and partials, as the length-1 DualArray
    # and the augmented float state [u, du/dθ_1, du/dθ_2] (divided by 1 + k = 3): same steps
    p = nm.DualArray(np.array([2.0, 0.5]), np.eye(2))

    def f(u, p, t):
        return -p[0] * u + p[1] * nm.sin(t)

    kw = dict(rtol=1e-7, atol=1e-9)
    gen = solve(ODEProblem(f, 1.0, (0.0, 3.0), p), Tsit5(), sensealg=FDS(compile=False), **kw)
    arr = solve(ODEProblem(f, np.array([1.0]), (0.0, 3.0), p), Tsit5(), sensealg=FDS(compile=False), **kw)
    com = solve(ODEProblem(f, 1.0, (0.0, 3.0), p), Tsit5(), sensealg=FDS(), **kw)
    assert isinstance(gen.u[-1], nm.Dual) and com.compiled
    assert gen.stats.naccept == arr.stats.naccept == com.stats.naccept
    assert gen.stats.nreject == arr.stats.nreject == com.stats.nreject
    assert np.allclose(com.u[-1].partials, gen.u[-1].partials, rtol=1e-10)


def test_measurement_parameters_propagate_the_same_uncertainty():
    pm = nm.measurements(np.array(P0), np.array([0.01, 0.01, 0.0, 0.0]))
    gen = lv_solve(pm, None, saveat=None)
    com = lv_solve(pm, FDS(), saveat=None)
    assert com.compiled and type(com.u[-1]) is type(gen.u[-1])
    assert com.stats.naccept == gen.stats.naccept
    assert np.allclose(nm.uncertainty(com.u[-1]), nm.uncertainty(gen.u[-1]), rtol=1e-8)
    # the propagated uncertainty equals the linear propagation of the reference sensitivities
    _, S = lotka_reference(t_eval=np.array([0.0, 10.0]))
    sd = np.sqrt((S[-1][:, :2] ** 2 * 0.01**2).sum(axis=1))
    assert np.allclose(nm.uncertainty(com.u[-1]), sd, rtol=1e-5)


def switching(u, p, t):
    # the branch on u[0] changes during the solve (x oscillates around 1.5 here)
    a, b, c, d = p
    x, y = u[0], u[1]
    g = a if x < 1.5 else a * 1.0
    return np.array([g * x - b * x * y, -c * y + d * x * y])


def test_guard_failure_falls_back_to_the_generic_path():
    prob = ODEProblem(switching, np.array(U0), (0.0, 10.0), dual_p())
    sol = solve(prob, Tsit5(), rtol=RTOL, atol=ATOL, sensealg=FDS())
    assert not sol.compiled and "guard" in sol.compile_message
    gen = solve(prob, Tsit5(), rtol=RTOL, atol=ATOL, sensealg=FDS(compile=False))
    assert np.allclose(sol.u[-1].partials, gen.u[-1].partials, rtol=1e-12)
    with pytest.raises(ValueError, match="guard"):
        solve(prob, Tsit5(), rtol=RTOL, atol=ATOL, sensealg=FDS(compile=True))


def test_branch_that_holds_compiles():
    def rhs(u, p, t):
        k = p[0] if t >= 0.0 else -p[0]   # true on the whole span
        return np.array([-k * u[0]])

    prob = ODEProblem(rhs, np.array([1.0]), (0.0, 1.0), nm.DualArray(np.array([2.0]), np.ones((1, 1))))
    sol = solve(prob, Tsit5(), rtol=1e-10, atol=1e-12, sensealg=FDS())
    assert sol.compiled and abs(sol.u[-1].partials[0, 0] + np.exp(-2.0)) < 1e-9


@pytest.mark.parametrize("case, reason", [
    (dict(alg=Rodas5P()), "no compiled loop"),
    (dict(p=(nm.Dual(nm.Dual(1.5, 1.0), 1.0), 1.0, 3.0, 1.0)), "nested duals"),
    (dict(p=P0), "no input carries forward partials"),
    (dict(f=lambda u, p, t: np.array([float(nm.value(u[0])) * 0 - u[0], -u[1]]) * p[0]), "record"),
])
def test_unsupported_problems_fall_back_with_a_reason(case, reason):
    f = case.get("f", lotka)
    p = case.get("p", dual_p())
    prob = ODEProblem(f, np.array(U0), (0.0, 1.0), p)
    sol = solve(prob, case.get("alg", Tsit5()), rtol=1e-6, sensealg=FDS())
    assert not sol.compiled and reason in sol.compile_message, sol.compile_message
    with pytest.raises(ValueError, match="compile=True"):
        solve(prob, case.get("alg", Tsit5()), rtol=1e-6, sensealg=FDS(compile=True))


def test_kernel_is_reused_and_new_constants_get_a_new_kernel():
    lv_solve(dual_p(), FDS())
    n = len(COMPILED_KERNELS)
    lv_solve(nm.DualArray(np.array([1.4, 1.0, 3.0, 1.0]), np.eye(4)), FDS())
    assert len(COMPILED_KERNELS) == n   # other parameter values: the same kernel
    scale = 2.0

    def scaled(u, p, t):
        return scale * lotka(u, p, t)

    first = lv_solve(dual_p(), FDS(), saveat=[1.0])
    a = solve(ODEProblem(scaled, np.array(U0), (0.0, 1.0), dual_p()), Tsit5(), rtol=1e-8, sensealg=FDS())
    scale = 3.0
    b = solve(ODEProblem(scaled, np.array(U0), (0.0, 1.0), dual_p()), Tsit5(), rtol=1e-8, sensealg=FDS())
    assert len(COMPILED_KERNELS) == n + 2 and first.compiled
    assert not np.allclose(a.u[-1].value, b.u[-1].value)


def test_bad_arguments_are_refused():
    with pytest.raises(TypeError, match="norm_partials"):
        FDS(norm_partials="no")
    with pytest.raises(TypeError, match="compile"):
        FDS(compile="yes")
    with pytest.raises(ValueError, match="drop errornorm"):
        lv_solve(dual_p(), FDS(), errornorm=ErrorNorm(partials=False))
    with pytest.raises(TypeError, match="errornorm must be"):
        lv_solve(P0, None, errornorm="rms")
    with pytest.raises(ValueError, match="rows"):
        ErrorNorm(rows=0)
    with pytest.raises(ValueError, match="mean must be one of"):
        ErrorNorm(rows=2, mean="rms")


def test_errornorm_rows_matches_the_dual_norm():
    # an augmented float state with ErrorNorm(rows=1+k) steps exactly as the DualArray state
    from solvers.ode.sensitivity.forward_compiled import augmented_problem
    from numeric.tangents import split_tangents

    prob = ODEProblem(lotka, np.array(U0), (0.0, 10.0), dual_p())
    aug, pp, kernel = augmented_problem(prob, split_tangents(prob.u0, prob.p), True)
    gen = solve(prob, Tsit5(), rtol=RTOL, atol=ATOL)
    flt = solve(aug.remake(f=kernel.rhs.py_func), Tsit5(), rtol=RTOL, atol=ATOL, errornorm=ErrorNorm(rows=5))
    assert not flt.compiled and flt.stats.naccept == gen.stats.naccept
    assert np.allclose(flt.u[-1][2:].reshape(4, 2).T, gen.u[-1].partials, rtol=1e-9)


@settings(max_examples=8, deadline=None)
@given(st.floats(0.2, 2.0), st.floats(0.2, 2.0), st.booleans())
def test_compiled_equals_generic_property(a, b, norm_partials):
    def rhs(u, p, t):
        return np.array([-p[0] * u[0] + nm.sin(p[1] * u[1]), -p[1] * u[1] * u[0]])

    p = nm.DualArray(np.array([a, b]), np.eye(2))
    prob = ODEProblem(rhs, np.array([1.0, 0.5]), (0.0, 2.0), p)
    kw = dict(rtol=1e-9, atol=1e-11, sensealg=None)
    gen = solve(prob, Tsit5(), **dict(kw, sensealg=FDS(norm_partials, compile=False)))
    com = solve(prob, Tsit5(), **dict(kw, sensealg=FDS(norm_partials)))
    assert com.compiled and com.stats.naccept == gen.stats.naccept
    assert np.allclose(com.u[-1].partials, gen.u[-1].partials, rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize("module", ["numeric.tangents", "numeric.reverse.compile_jvp", "solvers.ode.errornorm",
                                    "solvers.ode.sensitivity.forward",
                                    "solvers.ode.sensitivity.forward_equations"])
def test_doctests(module):
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(module),
                             optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0
