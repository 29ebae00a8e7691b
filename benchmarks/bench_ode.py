"""PB-ODE benchmarks: O1 Lotka–Volterra, O2 parameter gradient, O3 40 digits.

Run ``python benchmarks/bench_ode.py`` for the full tables (peers included)
or ``python benchmarks/bench_ode.py --quick`` for the smoke mode the test
suite runs: few repeats, no peers, and assertions that our answers are right.

O1 Lotka–Volterra
    ``u' = [a x - b x y, -c y + d x y]``, a = 1.5, b = 1, c = 3, d = 1,
    u0 = [1, 1], t in [0, 10], rtol = 1e-8, atol = 1e-10. The error is the
    max-norm distance of u(10) to a reference from scipy DOP853 at
    rtol = 1e-13, atol = 1e-14. Ours: the generic float64 path (Tsit5, DP5,
    Vern7, Vern9) and the numba fast path (``compile=True``; warm time, and
    the first call's compilation beside it). Peers: scipy ``solve_ivp``
    RK45 and DOP853 at the same tolerances and, to match errors, RK45 at the
    loosest tolerance whose error is no larger than our Tsit5's; scipy
    ``odeint`` (LSODA); numbalsoda and diffrax when installed (rows say why
    not otherwise).
O1 numba path against numbalsoda
    The same problem, our compiled path (``f`` a ``numba.njit`` function) against numbalsoda's
    lsoda and dop853 (C callbacks, parameters passed with ``data=``), measured interleaved
    (min / median / max). numbalsoda returns the states at ``t_eval = [0, 10]`` only, so ours
    runs with ``saveat=[0, 10], dense=False`` for like saving; our default (every step saved,
    dense output) beside it, the prepared solve (``solvers.prepare``: validated and bound once,
    ``prepared.solve(u0=..., p=...)`` per call, the same solution to the bit), and each peer at the
    loosest tolerance whose error is no larger than our Vern9's. ``--quick`` runs our rows only; ``--o1-compiled`` prints this table alone.
O2 sensitivities
    Gradient of L = sum over t = 0, 1, ..., 10 of u1(t) + u2(t) with respect
    to (a, b, c, d). Ours: ``nm.gradient`` pushes a DualArray parameter
    through the unchanged solver (Tsit5, rtol 1e-8). Baseline: our own float
    solve with the same saveat. Peers: central differences around scipy
    DOP853 (8 solves, rtol 1e-10); diffrax + JAX when installed. Reference
    gradient: central differences around DOP853 at rtol 1e-13 (h = 1e-5).
O3 high precision
    u' = -u, u(0) = 1 to t = 1 at mpmath dps = 40: Vern9 and GBS
    extrapolation (``GBS()``, order chosen from the precision) against
    ``mpmath.odefun`` (Taylor series), error against ``mpmath.exp(-1)``.
    GBS runs at rtol 1e-35 (the target error) and at 1e-38 (error near the
    working precision, matching odefun's); the ratio is measured in the same
    run, interleaved with the peer.
"""

from __future__ import annotations

import pathlib
import sys
import time
from typing import Any

import mpmath
import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

from _harness import (Failed, format_ratio, format_time, header, load_peer,  # noqa: E402
                      measure, measure_interleaved, parse_args, print_table, run_main)
import numeric as nm  # noqa: E402
from solvers import DP5, GBS, ODEProblem, Tsit5, Vern7, Vern9, prepare, solve  # noqa: E402

PACKAGES = ["numpy", "scipy", "numba", "mpmath", "jax", "diffrax", "numbalsoda"]
P0 = (1.5, 1.0, 3.0, 1.0)
U0 = np.array([1.0, 1.0])
T_END = 10.0
RTOL, ATOL = 1e-8, 1e-10
SAVE = np.arange(0.0, 11.0)


def lotka(u, p, t):
    a, b, c, d = p
    x, y = u[0], u[1]
    return np.array([a * x - b * x * y, -c * y + d * x * y])


def lotka_scipy(t, u, a=1.5, b=1.0, c=3.0, d=1.0):
    x, y = u
    return [a * x - b * x * y, -c * y + d * x * y]


def reference_end() -> np.ndarray:
    from scipy.integrate import solve_ivp

    return solve_ivp(lotka_scipy, (0.0, T_END), U0, method="DOP853", rtol=1e-13, atol=1e-14).y[:, -1]


def loss_scipy(p, rtol) -> float:
    from scipy.integrate import solve_ivp

    sol = solve_ivp(lotka_scipy, (0.0, T_END), U0, method="DOP853", rtol=rtol, atol=rtol * 1e-2,
                    t_eval=SAVE, args=tuple(p))  # fmt: skip
    return float(sol.y.sum())


def central_gradient(p, rtol, h=1e-5) -> np.ndarray:
    g = np.empty(4)
    for i in range(4):
        e = np.zeros(4)
        e[i] = h
        g[i] = (loss_scipy(np.add(p, e), rtol) - loss_scipy(np.subtract(p, e), rtol)) / (2 * h)
    return g


def loss_ours(p) -> Any:
    sol = solve(ODEProblem(lotka, U0, (0.0, T_END), p), Tsit5(), rtol=RTOL, atol=ATOL, saveat=SAVE)
    total = sol.u[0].sum()
    for u in sol.u[1:]:
        total = total + u.sum()
    return total


def _err(u, ref) -> float:
    return float(np.abs(np.asarray(u, dtype=float) - ref).max())


def _row(name: str, timing, err, note: str = "", base=None) -> list:
    if isinstance(timing, Failed):
        return [name, str(timing), "-", "-", note]
    t = timing.best
    return [name, format_time(t), f"{err:.1e}" if err is not None else "-",
            format_ratio(t / base) if base else "-", note]  # fmt: skip


# ------------------------------------------------------------------------------------------- O1


def bench_o1(settings, kw) -> list:
    ref = reference_end()
    prob = ODEProblem(lotka, U0, (0.0, T_END), P0)
    rows = []
    ours = {}
    for alg in (Tsit5, DP5, Vern7, Vern9):
        sol = solve(prob, alg(), rtol=RTOL, atol=ATOL)
        err = _err(sol.u[-1], ref)
        assert sol.retcode.value == "Success" and err < 1e-6, (alg.__name__, err)
        ours[alg.__name__] = (measure(lambda a=alg: solve(prob, a(), rtol=RTOL, atol=ATOL), **kw), err)
    base = ours["Tsit5"][0].best
    for name, (t, err) in ours.items():
        rows.append(_row(f"ours {name} (generic float64)", t, err, "", base))

    if settings.quick:  # the numba path has its own test (tests/test_ode_compiled.py)
        return rows
    # numba fast path: first call compiles f and specialises the loop on it
    import numba

    fj = numba.njit(lotka)
    start = time.perf_counter()
    s = solve(prob.remake(f=fj), Tsit5(), rtol=RTOL, atol=ATOL)
    compile_s = time.perf_counter() - start
    assert s.compiled, s.compile_message
    for alg in (Tsit5, Vern9):
        s = solve(prob.remake(f=fj), alg(), rtol=RTOL, atol=ATOL)
        err = _err(s.u[-1], ref)
        assert err < 1e-6
        t = measure(lambda a=alg: solve(prob.remake(f=fj), a(), rtol=RTOL, atol=ATOL), **kw)
        rows.append(_row(f"ours {alg.__name__} numba fast path", t, err,
                         f"first call {compile_s:.1f} s (compile)" if alg is Tsit5 else "", base))  # fmt: skip

    from scipy.integrate import odeint, solve_ivp

    for method in ("RK45", "DOP853"):
        s = solve_ivp(lotka_scipy, (0.0, T_END), U0, method=method, rtol=RTOL, atol=ATOL)
        t = measure(lambda m=method: solve_ivp(lotka_scipy, (0.0, T_END), U0, method=m, rtol=RTOL, atol=ATOL), **kw)
        rows.append(_row(f"scipy solve_ivp {method}", t, _err(s.y[:, -1], ref), f"nfev {s.nfev}", base))
    target = ours["Tsit5"][1]
    for rt in (1e-8, 5e-9, 2e-9, 1e-9, 5e-10, 2e-10, 1e-10, 5e-11, 2e-11, 1e-11):
        s = solve_ivp(lotka_scipy, (0.0, T_END), U0, method="RK45", rtol=rt, atol=rt * 1e-2)
        if _err(s.y[:, -1], ref) <= target:
            t = measure(lambda r=rt: solve_ivp(lotka_scipy, (0.0, T_END), U0, method="RK45", rtol=r,
                                               atol=r * 1e-2), **kw)  # fmt: skip
            rows.append(_row(f"scipy RK45 at matched error (rtol {rt:g})", t, _err(s.y[:, -1], ref),
                             "error <= ours Tsit5", base))  # fmt: skip
            break
    y = odeint(lambda u, t: lotka_scipy(t, u), U0, [0.0, T_END], rtol=RTOL, atol=ATOL)
    t = measure(lambda: odeint(lambda u, t: lotka_scipy(t, u), U0, [0.0, T_END], rtol=RTOL, atol=ATOL), **kw)
    rows.append(_row("scipy odeint (LSODA)", t, _err(y[-1], ref), "", base))

    nb = load_peer("numbalsoda")
    if not nb.available:
        rows.append(["numbalsoda lsoda / dop853", nb.error + " (needs gfortran to build)", "-", "-", ""])
    else:
        rows.extend(_numbalsoda_rows(nb.module, ref, kw, base))
    dfx = load_peer("diffrax")
    if not dfx.available:
        rows.append(["diffrax Tsit5 (jit)", dfx.error, "-", "-", ""])
    else:  # pragma: no cover - not installable here
        rows.extend(_diffrax_o1_rows(dfx.module, ref, kw, base))
    return rows


def numbalsoda_rhs(numbalsoda):
    """Lotka-Volterra as numbalsoda's C callback ``rhs(t, u, du, p)``, parameters from ``data=``."""
    from numba import cfunc

    @cfunc(numbalsoda.lsoda_sig)
    def rhs(t, u, du, p):
        du[0] = p[0] * u[0] - p[1] * u[0] * u[1]
        du[1] = -p[2] * u[1] + p[3] * u[0] * u[1]

    return rhs


def _numbalsoda_rows(numbalsoda, ref, kw, base):
    addr = numbalsoda_rhs(numbalsoda).address
    data = np.array(P0)
    rows = []
    teval = np.array([0.0, T_END])
    for name, fn in (("lsoda", numbalsoda.lsoda), ("dop853", numbalsoda.dop853)):
        usol, ok = fn(addr, U0, teval, data=data, rtol=RTOL, atol=ATOL)
        assert ok, name
        t = measure(lambda f=fn: f(addr, U0, teval, data=data, rtol=RTOL, atol=ATOL), **kw)
        rows.append(_row(f"numbalsoda {name}", t, _err(usol[-1], ref), "data=, t_eval [0, 10]", base))
    return rows


def bench_o1_compiled(settings, kw) -> list:
    """Our numba path against numbalsoda, interleaved (min / median / max), with like saving:
    numbalsoda returns the states at t_eval only, ours with ``saveat`` and ``dense=False``; our
    default (every step saved, dense output) beside it."""
    import numba

    ref = reference_end()
    prob = ODEProblem(numba.njit(lotka), U0, (0.0, T_END), P0)
    ends = np.array([0.0, T_END])
    fns, errs, notes = {}, {}, {}
    for alg in (Tsit5, Vern9):
        for label, opts in (("saveat [0, 10], dense=False", dict(saveat=ends, dense=False)),
                            ("default: every step, dense", {})):
            name = f"ours {alg.__name__} compiled, {label}"
            sol = solve(prob, alg(), rtol=RTOL, atol=ATOL, **opts)
            assert sol.compiled and sol.retcode.value == "Success", sol.compile_message
            errs[name], notes[name] = _err(sol.u[-1], ref), f"{sol.stats.naccept} steps"
            fns[name] = lambda a=alg, o=opts: solve(prob, a(), rtol=RTOL, atol=ATOL, **o)
        # the prepared solve (solvers.prepare): validated and bound once, each call a new u0 and p
        opts = dict(saveat=ends, dense=False)
        prepared = prepare(prob, alg(), rtol=RTOL, atol=ATOL, **opts)
        u0, p = U0.copy(), tuple(P0)
        sol = prepared.solve(u0=u0, p=p)
        plain = solve(prob, alg(), rtol=RTOL, atol=ATOL, **opts)
        assert prepared.compiled and np.array_equal(sol.u[-1], plain.u[-1]), prepared.compile_message
        name = f"ours {alg.__name__} prepared, saveat [0, 10], dense=False"
        errs[name], notes[name] = _err(sol.u[-1], ref), "prepared.solve(u0=, p=), = solve to the bit"
        fns[name] = lambda pr=prepared, u=u0, q=p: pr.solve(u0=u, p=q)
    nb = load_peer("numbalsoda")
    peers = []
    if settings.quick or not nb.available:
        reason = "quick mode" if settings.quick else nb.error
    else:
        addr, data = numbalsoda_rhs(nb.module).address, np.array(P0)
        target = errs["ours Vern9 compiled, saveat [0, 10], dense=False"]
        for pname, fn in (("lsoda", nb.module.lsoda), ("dop853", nb.module.dop853)):
            name = f"numbalsoda {pname}, t_eval [0, 10], data="
            usol, ok = fn(addr, U0, ends, data=data, rtol=RTOL, atol=ATOL)
            assert ok, pname
            errs[name], notes[name] = _err(usol[-1], ref), ""
            fns[name] = lambda f=fn: f(addr, U0, ends, data=data, rtol=RTOL, atol=ATOL)
            peers.append(name)
            for rt in (5e-9, 2e-9, 1e-9, 5e-10, 2e-10, 1e-10, 5e-11, 2e-11, 1e-11):  # matched error
                usol, ok = fn(addr, U0, ends, data=data, rtol=rt, atol=rt * 1e-2)
                if ok and _err(usol[-1], ref) <= target:
                    name = f"numbalsoda {pname} at ours Vern9's error (rtol {rt:g})"
                    errs[name], notes[name] = _err(usol[-1], ref), "error <= ours Vern9"
                    fns[name] = lambda f=fn, r=rt: f(addr, U0, ends, data=data, rtol=r, atol=r * 1e-2)
                    break
    timings = measure_interleaved(fns, **kw)
    rows = []
    for name, t in timings.items():
        vs = [format_ratio(t.best / timings[p].best) for p in peers] or ["-", "-"]
        rows.append([name, format_time(t.best), format_time(t.median), format_time(t.worst), f"{errs[name]:.1e}",
                     *vs, notes[name]])
    if not peers:
        rows.append(["numbalsoda lsoda / dop853", reason, "-", "-", "-", "-", "-", ""])
    return rows


def _diffrax_o1_rows(diffrax, ref, kw, base):  # pragma: no cover - peer not installed here
    import jax
    import jax.numpy as jnp

    jax.config.update("jax_enable_x64", True)

    def vf(t, y, args):
        a, b, c, d = args
        return jnp.stack([a * y[0] - b * y[0] * y[1], -c * y[1] + d * y[0] * y[1]])

    @jax.jit
    def run(args):
        sol = diffrax.diffeqsolve(diffrax.ODETerm(vf), diffrax.Tsit5(), 0.0, T_END, None, jnp.array(U0), args,
                                  stepsize_controller=diffrax.PIDController(rtol=RTOL, atol=ATOL),
                                  max_steps=100_000)  # fmt: skip
        return sol.ys[-1]

    args = jnp.array(P0)
    start = time.perf_counter()
    y = run(args).block_until_ready()
    first = time.perf_counter() - start
    t = measure(lambda: run(args).block_until_ready(), **kw)
    return [_row("diffrax Tsit5 (jit warm)", t, _err(np.asarray(y), ref), f"compile {first:.2f} s", base)]


# ------------------------------------------------------------------------------------------- O2


def bench_o2(settings, kw) -> list:
    ref_grad = central_gradient(P0, 1e-13)
    ours = nm.gradient(loss_ours, np.array(P0))
    ours_v = np.asarray(nm.value(ours), dtype=float)
    err = float(np.abs(ours_v - ref_grad).max())
    assert err < 1e-4 * max(1.0, np.abs(ref_grad).max()), (ours_v, ref_grad)
    float_t = measure(lambda: loss_ours(P0), **kw)
    grad_t = measure(lambda: nm.gradient(loss_ours, np.array(P0)), **kw)
    base = float_t.best
    rows = [_row("ours float solve (baseline)", float_t, None, "L only", base),
            _row("ours nm.gradient (DualArray through Tsit5)", grad_t, err, "target <= 2.5x", base)]  # fmt: skip
    if settings.quick:
        return rows
    cd = central_gradient(P0, 1e-10)
    t = measure(lambda: central_gradient(P0, 1e-10), **kw)
    rows.append(_row("central differences, scipy DOP853 (8 solves)", t, float(np.abs(cd - ref_grad).max()), "",
                     base))  # fmt: skip
    dfx = load_peer("diffrax")
    if not dfx.available:
        rows.append(["diffrax + jax.grad / jacfwd", dfx.error, "-", "-", ""])
    return rows


# ------------------------------------------------------------------------------------------- O3


def bench_o3(settings, kw) -> list:
    dps = 40
    rows = []
    with mpmath.workdps(dps):
        exact = mpmath.exp(-1)
        prob = ODEProblem(lambda u, p, t: -u, mpmath.mpf(1), (mpmath.mpf(0), mpmath.mpf(1)))

        def vern9():
            return solve(prob, Vern9(), rtol=mpmath.mpf("1e-32"), atol=mpmath.mpf("1e-34"), save_everystep=False)

        def gbs(rtol):
            return lambda: solve(prob, GBS(), rtol=mpmath.mpf(rtol), atol=mpmath.mpf(rtol) / 100,
                                 save_everystep=False)  # fmt: skip

        def peer():
            return mpmath.odefun(lambda x, y: -y, 0, 1)(1)

        one = dict(kw, repeat=min(kw["repeat"], 3))
        sol = vern9()
        err = abs(sol.u[-1] - exact)
        assert err < mpmath.mpf("1e-35"), err
        t = measure(vern9, **one)
        rows.append(_row(f"ours Vern9, mpf dps={dps} ({sol.stats.naccept} steps)", t, float(err), "", None))
        cases = {}
        for rtol in ("1e-35", "1e-38"):
            s = gbs(rtol)()
            e = abs(s.u[-1] - exact)
            assert s.retcode.value == "Success" and e < mpmath.mpf("1e-35"), (rtol, e)
            cases[rtol] = (gbs(rtol), s, e)
        if settings.quick:
            for rtol, (fn, s, e) in cases.items():
                rows.append(_row(f"ours GBS rtol {rtol} ({s.stats.naccept} steps, nf {s.stats.nf})",
                                 measure(fn, **one), float(e), "", None))  # fmt: skip
            return rows
        v = peer()
        fns = {rtol: fn for rtol, (fn, _, _) in cases.items()}
        fns["peer"] = peer
        timings = measure_interleaved(fns, **kw)
        tp = timings["peer"]
        for rtol, (fn, s, e) in cases.items():
            tg = timings[rtol]
            rows.append(_row(f"ours GBS rtol {rtol} ({s.stats.naccept} steps, nf {s.stats.nf})", tg, float(e),
                             f"ours / odefun = {format_ratio(tg.best / tp.best)}", None))  # fmt: skip
        rows.append(_row("mpmath.odefun (Taylor)", tp, float(abs(v - exact)),
                         f"Vern9 / odefun = {format_ratio(t.best / tp.best)}", None))  # fmt: skip
    return rows


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    only_compiled = "--o1-compiled" in argv  # the numba-vs-numbalsoda table alone
    if only_compiled:
        argv.remove("--o1-compiled")
    settings = parse_args(__doc__.splitlines()[0], argv)
    kw = dict(min_time=settings.min_time, repeat=settings.repeat, budget=settings.budget)
    print(header(PACKAGES))
    print()
    cols = ["method", "time", "error", "vs first row", "note"]
    if not only_compiled:
        print_table("O1 Lotka-Volterra, rtol 1e-8, atol 1e-10, error of u(10)", cols, bench_o1(settings, kw))
    print_table("O1 numba path against numbalsoda, like saving, interleaved", ["method", "min", "median", "max",
                "error", "vs lsoda", "vs dop853", "note"], bench_o1_compiled(settings, kw))  # fmt: skip
    if only_compiled:
        return 0
    print_table("O2 gradient of sum u(t), t = 0..10, wrt (a, b, c, d); error vs central differences at rtol 1e-13",
                cols, bench_o2(settings, kw))  # fmt: skip
    print_table("O3 u' = -u to t = 1 at 40 digits", cols, bench_o3(settings, kw))
    return 0


if __name__ == "__main__":
    run_main(main)
