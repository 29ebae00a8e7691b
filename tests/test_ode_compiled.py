"""The numba fast path gives the generic path's answers (and says which path ran)."""

from __future__ import annotations

import fractions

import numpy as np
import pytest

numba = pytest.importorskip("numba")

from solvers import DP5, ODEProblem, ReturnCode, Tsit5, Vern9, solve  # noqa: E402


def lotka(u, p, t):
    a, b, c, d = p
    x, y = u[0], u[1]
    return np.array([a * x - b * x * y, -c * y + d * x * y])


P = (1.5, 1.0, 3.0, 1.0)


@pytest.fixture(scope="module")
def lotka_jit():
    f = numba.njit(lotka)
    f(np.ones(2), P, 0.0)
    return f


@pytest.mark.parametrize("alg", [Tsit5, DP5, Vern9], ids=lambda a: a.__name__)
def test_compiled_matches_generic(lotka_jit, alg):
    prob = ODEProblem(lotka, np.array([1.0, 1.0]), (0.0, 10.0), P)
    generic = solve(prob, alg(), rtol=1e-8, atol=1e-10, compile=False)
    fast = solve(prob.remake(f=lotka_jit), alg(), rtol=1e-8, atol=1e-10)  # auto: f is already compiled
    assert fast.compiled and not generic.compiled
    assert fast.retcode is ReturnCode.Success
    # same steps; times and states agree to rounding (sums may be ordered differently)
    assert len(fast.t) == len(generic.t)
    assert fast.stats.naccept == generic.stats.naccept and fast.stats.nreject == generic.stats.nreject
    # the compiled kernel evaluates f once more after the last step of a non-FSAL tableau (Vern9);
    # the protocol loop evaluates f at a step's start only when a step follows
    fsal = alg().tableau.fsal
    assert fast.stats.nf == generic.stats.nf + (0 if fsal else 1)
    assert np.abs(fast.u[-1] - generic.u[-1]).max() < 1e-11
    ts = np.linspace(0.0, 10.0, 23)
    assert np.abs(fast(ts) - generic(ts)).max() < 1e-11
    # saveat through the compiled path
    sv = solve(prob.remake(f=lotka_jit), alg(), rtol=1e-8, atol=1e-10, saveat=[2.5, 5.0, 10.0])
    assert np.abs(np.array(sv.u) - generic([2.5, 5.0, 10.0])).max() < 1e-11


def test_python_f_stays_generic_unless_asked():
    prob = ODEProblem(lotka, np.array([1.0, 1.0]), (0.0, 1.0), P)
    sol = solve(prob, Tsit5())
    assert not sol.compiled and "compile=True" in sol.compile_message


def test_uncompilable_f_falls_back_or_explains():
    def f(u, p, t):
        return -float(fractions.Fraction(1, 2)) * u  # numba cannot type a Fraction

    prob = ODEProblem(f, np.array([1.0]), (0.0, 1.0))
    with pytest.raises(ValueError, match="compile=True: numba could not compile f"):
        solve(prob, Tsit5(), compile=True)
    sol = solve(prob, Tsit5(), compile=None)
    assert sol.retcode is ReturnCode.Success and not sol.compiled


@pytest.mark.parametrize("opts", [dict(save_everystep=False), dict(save_everystep=True, dense=False),
                                  dict(saveat=np.linspace(0.0, 10.0, 7)), dict()])
def test_compiled_keeps_stages_only_for_dense_output_or_saveat(lotka_jit, opts):
    # the kernel used to keep every stage of every step (2.7 GB at 1e6 states) even when
    # nothing asked for dense output; now it keeps them only for dense output or saveat
    prob = ODEProblem(lotka_jit, np.array([1.0, 1.0]), (0.0, 10.0), P)
    fast = solve(prob, Tsit5(), rtol=1e-8, atol=1e-10, **opts)
    generic = solve(prob, Tsit5(), rtol=1e-8, atol=1e-10, compile=False, **opts)
    assert fast.compiled and not generic.compiled
    assert len(fast.t) == len(generic.t) and fast.stats.naccept == generic.stats.naccept
    assert np.abs(fast.u[-1] - generic.u[-1]).max() < 1e-11
    needs_stages = "saveat" in opts or opts == {}
    assert (fast.stage_bytes > 0) == needs_stages
    if opts == {}:
        assert np.abs(fast(3.3) - generic(3.3)).max() < 1e-11
