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


@pytest.mark.parametrize("alg", [Tsit5, Vern9], ids=lambda a: a.__name__)
@pytest.mark.parametrize("saveat", [[0.0, 10.0], np.arange(0.0, 11.0), [2.5, 2.5, 7.25]],
                         ids=["ends", "every unit", "inside+duplicate"])
def test_saveat_keeps_stages_of_holding_steps_only(lotka_jit, alg, saveat):
    # saveat without dense output: the kernel keeps the stages only of the steps that hold a save
    # time strictly inside (a save at a step's end is its end state); the saved values must be
    # those of the dense solve (every step's stages kept) to the bit
    prob = ODEProblem(lotka_jit, np.array([1.0, 1.0]), (0.0, 10.0), P)
    sparse = solve(prob, alg(), rtol=1e-8, atol=1e-10, saveat=saveat, dense=False)
    full = solve(prob, alg(), rtol=1e-8, atol=1e-10, saveat=saveat, dense=True)
    assert sparse.compiled and full.compiled
    assert np.array_equal(sparse.t, full.t) and np.array_equal(np.array(sparse.u), np.array(full.u))
    assert sparse.stats.nf == full.stats.nf  # Vern9: the kernel evaluates the extra stages Python would
    inside = {float(x) for x in saveat if 0.0 < x < 10.0}
    tab = alg().tableau
    record = 2 * 8 * (tab.stages + len(tab.extra_a))  # one step's stages and extra stages, 2 float64 each
    assert sparse.stage_bytes <= len(inside) * record < full.stage_bytes
    if not inside:  # saves at t0 and tf only: no stage record at all
        assert sparse.stage_bytes == 0
    with pytest.raises(ValueError, match="no dense output"):
        sparse(3.3)


def test_lazy_segments_refuse_a_step_without_stages():
    from solvers.ode.solution import LazySegments

    ts, us = np.array([0.0, 1.0, 2.0]), np.zeros((3, 1))
    steps = LazySegments(ts, us, np.ones((1, 2, 1)), lambda t, h, u, u1, K: (t, h, K.sum()),
                         np.array([1]))  # fmt: skip
    assert len(steps) == 2 and steps[1] == (1.0, 2.0, (1.0, 1.0, 2.0))
    with pytest.raises(IndexError, match="step 0 kept no stages"):
        steps[0]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_extra_stages_from_the_record_match_the_term_by_term_sum(dtype):
    # Verner's extra interpolation stages from a float stage record (product + sequential
    # cumsum) against the term-by-term lincomb of the list-of-stages segment: same bits
    from solvers.ode.solution import Segment, Stats

    prob = ODEProblem(lotka, np.array([1.0, 1.0], dtype=dtype), (0.0, 10.0), P)
    sol = solve(prob, Vern9(), rtol=1e-6, atol=1e-8, compile=False)
    seg = sol._segments[len(sol._segments) // 2][2]
    assert seg.K is not None and seg.K.dtype == dtype and not seg._extra
    K = seg.K.copy()
    listed = Segment(seg.t0, seg.h, seg.u0, seg.u1, [k for k in K], None, seg.co, lotka, P, Stats())
    seg(0.5), listed(0.5)  # each computes its extra stages on first evaluation
    stages = np.stack([np.asarray(k).reshape(-1) for k in listed.ks])
    assert seg.K.shape == stages.shape and len(stages) == len(seg.co.dense) > len(K)
    assert seg.K.dtype == stages.dtype == dtype and np.array_equal(seg.K, stages)
    assert np.array_equal(seg.K[: len(K)], K)


def test_the_explicit_kernel_is_bound_once_and_cached(lotka_jit):
    import functools

    from solvers.ode.compiled import bound_loop
    from solvers.ode.kernel_cache import function_key

    prob = ODEProblem(lotka_jit, np.array([1.0, 1.0]), (0.0, 10.0), P)
    assert solve(prob, Tsit5(), rtol=1e-8, atol=1e-10).compiled
    run = bound_loop(lotka_jit)  # the loop with f a global of a disk-cached module (kernel_cache)
    assert run is bound_loop(lotka_jit) and not isinstance(run, functools.partial)
    # a right-hand side that names an object without a stable key gets the loop with f as argument
    ns = {"_box": type("Box", (), {})()}
    exec("def g(u, p, t):\n    _box\n    return -u\n", ns)
    assert function_key(ns["g"]) is None
    assert isinstance(bound_loop(numba.njit(ns["g"])), functools.partial)


@pytest.mark.parametrize("times", [[0.0, 0.5, 1.0], np.array([0.0, 0.5, 1.0]), [0.0, 1, np.float32(0.5)], []],
                         ids=["floats", "array", "mixed", "empty"])
def test_solution_times_become_a_float_array(times):
    # the saved times reach ODESolution as a list of floats (one NumPy call) or, from the
    # sensitivity wrappers, as an array: both give a new float64 array
    from solvers.ode.solution import ODESolution, ReturnCode, Stats

    sol = ODESolution(None, None, times, [None] * len(times), ReturnCode.Success, "", Stats(), [], False, 1)
    assert sol.t.dtype == np.float64 and sol.t.tolist() == [float(x) for x in times]
    if isinstance(times, np.ndarray):    # (a list can never be the array: only an array input can be shared)
        assert not np.shares_memory(sol.t, times)


@pytest.mark.parametrize("method", ["Tsit5", "Rodas5P", "FBDF", "KenCarp4"])
def test_numba_f_in_the_generic_loop_with_duals(lotka_jit, method):
    # the generic loop hands f duals (a dual parameter; a stiff method's Jacobian seeds even for float
    # inputs): a numba f raised numba's TypingError ("non-precise type pyobject"); it now runs as its
    # Python original there. Reference: the same solve with the Python f.
    import numeric as nm
    import solvers

    p, u0 = np.array([1.5, 1.0, 3.0, 1.0]), np.array([1.0, 1.0])

    def end(f, q, **kw):
        sol = solve(ODEProblem(f, u0, (0.0, 2.0), q), getattr(solvers, method)(), rtol=1e-8, atol=1e-10, **kw)
        assert sol.retcode == ReturnCode.Success, sol.message
        return sol.u[-1]

    assert np.allclose(end(lotka_jit, p, compile=False), end(lotka, p), rtol=1e-12, atol=0)
    d = nm.jacobian(lambda q: end(lotka_jit, q), p)
    assert np.allclose(d, nm.jacobian(lambda q: end(lotka, q), p), rtol=1e-10, atol=1e-12)


def test_compile_true_with_a_state_the_kernel_cannot_take_says_so():
    # the request was dropped without a word (probe8): sol.compile_message alone said why
    import warnings

    import numeric as nm
    from solvers.ode.solution import SolverWarning

    prob = ODEProblem(lambda u, p, t: -p * u, np.ones(2), (0.0, 1.0), nm.Dual(1.0, 1.0))
    with pytest.warns(SolverWarning, match="compile=True was asked for, but the generic loop ran: the state"):
        sol = solve(prob, Tsit5(), compile=True)
    assert not sol.compiled
    np.testing.assert_allclose(sol.u[-1].partials[:, 0], -np.exp(-1.0), rtol=1e-5)
    with warnings.catch_warnings():
        warnings.simplefilter("error", SolverWarning)
        assert solve(prob.remake(p=1.0), Tsit5(), compile=True).compiled     # a float solve: silent
        solve(prob, Tsit5(), compile=True, verbose=False)
