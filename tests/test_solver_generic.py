"""One solver test suite, written once, run over number types x methods (chebpy's tests/generic pattern).

The problem is written once and knows no number type: u' = -k u on [0, 1], u(0) = u0, with
u(t) = u0 exp(-k t). Each number type is an adapter that builds the inputs from floats, runs the
solve through the unchanged solver, and checks what the type carries against the closed form:
the value (all types), d u(1)/dk = -u0 exp(-k) (Dual, DualArray, Tracked), the propagated
uncertainty sigma_k |d u(1)/dk| (Measurement, MeasurementArray), the digits (mpf) and the dtype
(float32). Which combinations do not apply is said in one place, :func:`applies`.
"""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest

import numeric as nm
import solvers
from solvers import FBDF, GBS, RK4, TRBDF2, KenCarp4, Kvaerno5, ODEProblem, RadauIIA5, Rodas4, Rodas5P, Rosenbrock23, solve
from solvers.ode.stiff.auto import AutoTsit5
from solvers import BS3, DP5, Tsit5, Vern7, Vern9

K, U0, SIGMA = 0.7, 1.3, 0.01


def decay(u, k, t):
    return -k * u


def final(k, u0, alg, **opts):
    """u(1) through the unchanged solver; time and state types follow k and u0."""
    opts = {"rtol": 1e-10, "atol": 1e-12, **opts}
    if not alg.adaptive if hasattr(alg, "adaptive") else False:
        opts = {"dt": 1e-3, "adaptive": False}
    sol = solve(ODEProblem(decay, u0, (0.0, 1.0), k), alg, **opts)
    assert sol.retcode == solvers.ReturnCode.Success, sol.message
    return sol.u[-1]


EXACT = U0 * math.exp(-K)
DEXACT = -U0 * math.exp(-K)


def check_float64(alg):
    u = final(K, U0, alg)
    assert type(u) is float and abs(u - EXACT) < 1e-7


def check_float32(alg):
    u = final(np.float32(K), np.float32(U0), alg, rtol=1e-5, atol=1e-6)
    assert np.asarray(u).dtype == np.float32 and abs(float(u) - EXACT) < 1e-4


def check_mpf(alg):
    with mpmath.workdps(30):
        u = final(mpmath.mpf(K), mpmath.mpf(U0), alg, rtol=mpmath.mpf("1e-26"), atol=mpmath.mpf("1e-28"))
        assert isinstance(u, mpmath.mpf)
        assert abs(u - mpmath.mpf(U0) * mpmath.exp(-mpmath.mpf(K))) < mpmath.mpf("1e-22")


def check_dual(alg):
    d = nm.derivative(lambda k: final(k, U0, alg), K)
    assert abs(d - DEXACT) < 1e-6


def check_dualarray(alg):
    # a 2-state problem with the parameter in both rates: gradient of the sum of the final state
    g = nm.gradient(lambda k: np.sum(final(k[0], np.array([U0, 2 * U0]), alg)), np.array([K]))
    assert abs(g[0] - 3 * DEXACT) < 1e-6


def check_measurement(alg):
    u = final(nm.Measurement(K, SIGMA), U0, alg)
    assert abs(nm.value(u) - EXACT) < 1e-7
    assert abs(nm.uncertainty(u) - SIGMA * abs(DEXACT)) < 1e-8


def check_measurementarray(alg):
    u0 = nm.measurements(np.array([U0, 2 * U0]), np.array([SIGMA, SIGMA]))
    u = final(K, u0, alg)
    np.testing.assert_allclose(nm.value(u), [EXACT, 2 * EXACT], atol=1e-7)
    # u(1) = u0 exp(-k): the uncertainty of each element is sigma exp(-k)
    np.testing.assert_allclose(nm.uncertainty(u), SIGMA * math.exp(-K) * np.ones(2), rtol=1e-6)


def check_tracked(alg):
    g = nm.gradient(lambda k: final(k[0], U0, alg), np.array([K]), mode="reverse")
    assert abs(g[0] - DEXACT) < 1e-6


TYPES = {"float64": check_float64, "float32": check_float32, "mpf": check_mpf, "Dual": check_dual,
         "DualArray": check_dualarray, "Measurement": check_measurement,
         "MeasurementArray": check_measurementarray, "Tracked": check_tracked}
METHODS = {"RK4": RK4(), "BS3": BS3(), "DP5": DP5(), "Tsit5": Tsit5(), "Vern7": Vern7(), "Vern9": Vern9(),
           "GBS": GBS(), "Rosenbrock23": Rosenbrock23(), "Rodas4": Rodas4(), "FBDF": FBDF(),
           "RadauIIA5": RadauIIA5(), "AutoTsit5(Rodas4)": AutoTsit5(Rodas4()), "Rodas5P": Rodas5P(),
           "KenCarp4": KenCarp4(), "Kvaerno5": Kvaerno5(), "TRBDF2": TRBDF2(),
           "AutoTsit5(Rodas5P)": AutoTsit5(Rodas5P())}
# the default run keeps one method per type (and every method with float64); the rest is slow
DEFAULT = {("float64", m) for m in METHODS} | {(t, "Tsit5") for t in TYPES} | {
    ("mpf", "GBS"), ("Dual", "Rodas4"), ("MeasurementArray", "Rodas4"), ("DualArray", "FBDF"),
    ("MeasurementArray", "RadauIIA5"), ("DualArray", "AutoTsit5(Rodas4)"), ("DualArray", "Rodas5P"),
    ("MeasurementArray", "KenCarp4"), ("DualArray", "Kvaerno5"), ("DualArray", "TRBDF2")}


STIFF = ("Rosenbrock23", "Rodas4", "FBDF", "RadauIIA5", "AutoTsit5(Rodas4)", "Rodas5P", "KenCarp4", "Kvaerno5",
         "TRBDF2", "AutoTsit5(Rodas5P)")


def applies(type_name: str, method_name: str) -> str | None:
    """None when the combination runs; otherwise the reason it does not."""
    if type_name == "mpf" and method_name in STIFF:
        return "the mpf case here is a scalar state, which stiff methods refuse (mpf arrays: test_bdf, test_radau)"
    if type_name == "mpf" and method_name in ("RK4", "BS3", "DP5", "Tsit5", "Vern7", "Rosenbrock23", "Rodas4"):
        return "30 digits need a high-order method (Vern9, GBS); Rodas4's tableau is 16-digit decimals"
    if type_name == "float32" and method_name == "GBS":
        return "GBS picks its order from the precision; float32 tolerances are below what it targets"
    if type_name in ("Measurement", "MeasurementArray", "Tracked") and method_name == "GBS":
        return "GBS's own step control compares the error estimate as a float; not checked for this type"
    if type_name in ("float64", "float32", "Dual", "Measurement", "Tracked") and method_name in STIFF:
        return "the stiff methods need an array state (a scalar u0 is refused clearly: see below)"
    if type_name == "Tracked" and method_name in STIFF:
        return "the stiff methods take the state's Jacobian by forward mode; reverse over it is untested"
    return None


def _cases():
    for t in TYPES:
        for m in METHODS:
            why = applies(t, m)
            if why is not None:
                continue
            marks = () if (t, m) in DEFAULT else (pytest.mark.slow,)
            yield pytest.param(t, m, id=f"{t}-{m}", marks=marks)


@pytest.mark.parametrize("type_name, method_name", list(_cases()))
def test_decay_through_every_method(type_name, method_name):
    TYPES[type_name](METHODS[method_name])


def test_every_method_and_type_is_named_once():
    # the exclusions are reasons, not silence: each excluded pair has a sentence
    excluded = [(t, m) for t in TYPES for m in METHODS if applies(t, m) is not None]
    assert all(len(applies(t, m)) > 20 for t, m in excluded)
    # no method and no type is excluded wholesale: each method runs for two or more types, each type
    # for two or more methods (the stiff methods need array states, so a count over pairs would not do)
    assert all(sum(applies(t, m) is None for t in TYPES) >= 2 for m in METHODS)
    assert all(sum(applies(t, m) is None for m in METHODS) >= 2 for t in TYPES)


@pytest.mark.parametrize("alg", [METHODS[m] for m in STIFF], ids=STIFF)
def test_stiff_methods_refuse_a_scalar_state_clearly(alg):
    with pytest.raises(TypeError, match="needs an array state"):
        solve(ODEProblem(decay, U0, (0.0, 1.0), K), alg)


@pytest.mark.parametrize("alg", [METHODS[m] for m in STIFF], ids=STIFF)
def test_stiff_methods_with_an_array_state_and_number_parameters(alg):
    # the array-state forms of the scalar checks above: Dual and Measurement parameters
    run = lambda k: solve(ODEProblem(decay, np.array([U0]), (0.0, 1.0), k), alg,  # noqa: E731
                          rtol=1e-10, atol=1e-12).u[-1][0]
    assert abs(nm.derivative(run, K) - DEXACT) < 1e-6
    u = run(nm.Measurement(K, SIGMA))
    assert abs(nm.value(u) - EXACT) < 1e-7
    assert abs(nm.uncertainty(u) - SIGMA * abs(DEXACT)) < 1e-6
