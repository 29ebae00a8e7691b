"""PB-ODE O4-O6 stiff: work-precision of our stiff methods against scipy, diffrax and numbalsoda.

Run ``python benchmarks/bench_stiff.py`` for the full run (ROBER on [0, 1e5]
at several tolerances; the 2-D Brusselator, N = 32, 2,048 states, on [0, 1.5]
with an automatically detected sparse Jacobian) or ``--quick`` for the smoke
mode the test suite runs (short spans, a small Brusselator, no peers, answers
checked against tight scipy references).

Work-precision: for each problem, one curve per solver (a row per
tolerance), error against a tight reference (ROBER: scipy Radau rtol 1e-12;
Brusselator: the cached Radau rtol 1e-10 solve of tests/data/brusselator_ref.npz)
versus time, with min / median / max over the repeats. Repeats are
interleaved (round 1 runs every row once, round 2 again, ...) so load drift
on a shared machine hits every row alike. Our methods are taken from
``METHODS`` by name with ``getattr(solvers, name, None)``: methods merged
later appear automatically. Peers: scipy ``solve_ivp`` BDF, Radau, LSODA
(analytic Jacobian on ROBER, ``jac_sparsity`` on the Brusselator), diffrax
Kvaerno5 (jit-compiled; "warm" rows time a compiled solve, the "with compile"
row times a first call including tracing and XLA compilation), numbalsoda
lsoda (a numba cfunc right-hand side, called with ``data=`` as its README
advises; ROBER and Van der Pol; numbalsoda takes no Jacobian, so LSODA forms
its own by differences); a peer that cannot be imported gives a "not installed" row.

Compiled rows ("compiled"): Rodas4, Rodas5P, RadauIIA5 and FBDF on the numba kernels of
solvers/ode/compiled_stiff.py, with the right-hand side given as a
``numba.njit`` function, with ``jac=`` (a numba analytic Jacobian, as scipy gets
one) and without (finite differences inside the kernel). Their timings are
warm: the first call, which compiles the kernel for that right-hand side, is
timed once and reported in its own "compile" table; the kernel is cached on disk
(solvers/ode/kernel_cache.py), and a "fresh process" table times the first solve of a new
process with an empty and with a warm cache (``fresh_process_table``). The O4 tables also hold
Van der Pol (Hairer–Wanner's scaled form, eps = 1e-6, i.e. mu = 1e3, on
[0, 2], against the IVP Test Set reference of solvers/ode/stiff/testset.py).
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _harness import format_time, header, load_peer, parse_args, print_table  # noqa: E402

import solvers  # noqa: E402
from solvers import ODEProblem, solve  # noqa: E402
from solvers.ode.stiff.problems import brusselator_2d, rober, rober_jac  # noqa: E402
from solvers.ode.stiff.testset import VDP, vdp_scaled  # noqa: E402

COMPILED = ["Rodas4", "Rodas5P", "RadauIIA5", "FBDF"]  # the methods with a compiled kernel (solvers/ode/compiled_stiff.py)
METHODS = ["Rodas4", "Rosenbrock23", "Rodas5", "Rodas5P", "TRBDF2", "KenCarp4", "Kvaerno5", "ESDIRK", "FBDF",
           "RadauIIA5", "AutoTsit5Rosenbrock23"]
BRUSS_METHODS = ["FBDF", "Rodas5P", "KenCarp4", "Rodas4"]  # the 2,048-state rows (each costs seconds)
PACKAGES = ["numpy", "scipy", "metanum", "jax", "diffrax", "numbalsoda"]
U0 = np.array([1.0, 0.0, 0.0])
ROOT = Path(__file__).resolve().parent.parent


def our_methods(names=METHODS):
    return [(n, getattr(solvers, n)) for n in names if getattr(solvers, n, None) is not None]


def sample(fns: dict, repeat: int, budget: float) -> dict:
    """``{name: [seconds, ...]}``: single calls, interleaved rounds, each row capped by *budget*."""
    out = {k: [] for k in fns}
    spent = dict.fromkeys(fns, 0.0)
    for _ in range(repeat):
        for k, fn in fns.items():
            if out[k] and spent[k] > budget:
                continue
            t = time.perf_counter()
            fn()
            out[k].append(time.perf_counter() - t)
            spent[k] += out[k][-1]
    return out


def table(title, rows, errs, times, extra=None):
    body = []
    for k in rows:
        if k in errs and isinstance(errs[k], str):
            body.append([k, errs[k], "", "", "", ""])
            continue
        s = times[k]
        body.append([k, format_time(min(s)), format_time(statistics.median(s)), format_time(max(s)),
                     str(len(s)), f"{errs[k]:.1e}"])
    for k, v in (extra or {}).items():
        body.append([k] + v)
    print_table(title, ["solver @ rtol", "min", "median", "max", "n", "max rel. error"], body)


def err_of(fn, ref):
    try:
        y = np.asarray(fn())
    except Exception as exc:  # a method that cannot solve this problem is reported, not hidden
        return f"failed: {type(exc).__name__}: {str(exc)[:80]}"
    return float(np.max(np.abs(y - ref)) / np.max(np.abs(ref)))


# ---------------------------------------------------------------- ROBER
def rober_reference(T):
    import scipy.integrate as si

    s = si.solve_ivp(lambda t, y: rober(y, None, t), (0.0, T), U0, method="Radau", rtol=1e-12,
                     atol=1e-16, jac=lambda t, y: rober_jac(y, None, t))
    return s.y[:, -1]


def _numba_problems():
    """Numba versions of ROBER and Van der Pol and their Jacobians (the same formulas as the Python ones)."""
    import numba

    @numba.njit
    def rober_nb(u, p, t):
        return np.array([-0.04 * u[0] + 1e4 * u[1] * u[2], 0.04 * u[0] - 1e4 * u[1] * u[2] - 3e7 * u[1] * u[1],
                         3e7 * u[1] * u[1]])

    @numba.njit
    def rober_jac_nb(u, p, t):
        return np.array([[-0.04, 1e4 * u[2], 1e4 * u[1]], [0.04, -1e4 * u[2] - 6e7 * u[1], -1e4 * u[1]],
                         [0.0, 6e7 * u[1], 0.0]])

    @numba.njit
    def vdp_nb(u, p, t):
        return np.array([u[1], ((1 - u[0] * u[0]) * u[1] - u[0]) / 1e-6])

    @numba.njit
    def vdp_jac_nb(u, p, t):
        return np.array([[0.0, 1.0], [(-2.0 * u[0] * u[1] - 1.0) / 1e-6, (1.0 - u[0] * u[0]) / 1e-6]])

    return {"rober": (rober_nb, rober_jac_nb), "vdp": (vdp_nb, vdp_jac_nb)}


COMPILE_TIMES: dict = {}  # "row": seconds of the first (compiling) call, reported apart


def compiled_rows(key, u0, T, rtol, atol, names=COMPILED, jacs=(True, False)):
    """Warm compiled-kernel rows; the compiling first call of each is timed into COMPILE_TIMES."""
    f, jac = _numba_problems_cached()[key]
    rows = {}
    for name in names:
        for with_jac in jacs:
            prob = ODEProblem(f, u0.copy(), (0.0, T), jac=jac if with_jac else None)
            label = f"{name} compiled{' (jac=)' if with_jac else ' (FD J)'} @ {rtol:g}"

            def run(c=getattr(solvers, name), pr=prob, r=rtol, a=atol):
                sol = solve(pr, c(), rtol=r, atol=a, save_everystep=False)
                assert sol.compiled, sol.compile_message
                return sol.u[-1]

            t = time.perf_counter()
            run()
            COMPILE_TIMES.setdefault(f"{name} compiled{' (jac=)' if with_jac else ' (FD J)'} [{key}]",
                                     time.perf_counter() - t)
            rows[label] = run
    return rows


_NB: dict = {}


def _numba_problems_cached():
    if not _NB:
        _NB.update(_numba_problems())
    return _NB


def rober_rows(T, tols, peers, compiled=COMPILED, jacs=(True, False)):
    rows = {}
    for rtol in tols:
        atol = rtol * 1e-4
        rows.update(compiled_rows("rober", U0, T, rtol, atol, compiled, jacs))
        for name, cls in our_methods():
            prob = ODEProblem(rober, U0.copy(), (0.0, T))
            rows[f"{name} @ {rtol:g}"] = (lambda c=cls, pr=prob, r=rtol, a=atol:
                                          solve(pr, c(), rtol=r, atol=a, save_everystep=False).u[-1])
        prob = ODEProblem(rober, U0.copy(), (0.0, T), jac=rober_jac)
        rows[f"Rodas4 (jac=) @ {rtol:g}"] = (lambda pr=prob, r=rtol, a=atol:
                                             solve(pr, solvers.Rodas4(), rtol=r, atol=a,
                                                   save_everystep=False).u[-1])
        if peers:
            import scipy.integrate as si

            for m in ("BDF", "Radau", "LSODA"):
                rows[f"scipy {m} @ {rtol:g}"] = (lambda m=m, r=rtol, a=atol: si.solve_ivp(
                    lambda t, y: rober(y, None, t), (0.0, T), U0, method=m, rtol=r, atol=a,
                    jac=lambda t, y: rober_jac(y, None, t)).y[:, -1])
            rows.update(diffrax_rows(T, rtol, atol))
            rows.update(numbalsoda_rows(T, rtol, atol))
    return rows


def vdp_jac(u, p, t):
    return np.array([[0.0, 1.0], [(-2.0 * u[0] * u[1] - 1.0) / 1e-6, (1.0 - u[0] * u[0]) / 1e-6]])


def vdp_rows(tols, peers):
    """Van der Pol (eps = 1e-6) on [0, 2]: compiled rows, generic Rodas5P/FBDF, scipy with jac."""
    import scipy.integrate as si

    rows = {}
    T = VDP.tspan[1]
    for rtol in tols:
        atol = rtol
        rows.update(compiled_rows("vdp", VDP.u0, T, rtol, atol))
        for name in ("Rodas5P", "FBDF"):
            prob = ODEProblem(vdp_scaled, VDP.u0.copy(), VDP.tspan)
            rows[f"{name} @ {rtol:g}"] = (lambda c=getattr(solvers, name), pr=prob, r=rtol, a=atol:
                                          solve(pr, c(), rtol=r, atol=a, save_everystep=False).u[-1])
        if peers:
            for m in ("BDF", "Radau", "LSODA"):
                rows[f"scipy {m} @ {rtol:g}"] = (lambda m=m, r=rtol, a=atol: si.solve_ivp(
                    lambda t, y: vdp_scaled(y, None, t), VDP.tspan, VDP.u0, method=m, rtol=r, atol=a,
                    jac=lambda t, y: vdp_jac(y, None, t)).y[:, -1])
    return rows


def compile_table():
    body = [[k, format_time(v)] for k, v in COMPILE_TIMES.items()]
    print_table("compile: the first call of each compiled row (the kernel is compiled per kernel, f and jac, or loaded "
                "from the disk cache of solvers/ode/kernel_cache.py when an earlier process compiled it)",
                ["row [problem]", "first call"], body)


_FRESH = """
import time
t0 = time.perf_counter()
import numba, numpy as np
from solvers import ODEProblem, METHOD, solve
@numba.njit
def rober(u, p, t):
    return np.array([-0.04 * u[0] + 1e4 * u[1] * u[2], 0.04 * u[0] - 1e4 * u[1] * u[2] - 3e7 * u[1] * u[1],
                     3e7 * u[1] * u[1]])
t1 = time.perf_counter()
sol = solve(ODEProblem(rober, np.array([1.0, 0.0, 0.0]), (0.0, 40.0)), METHOD(), rtol=1e-6, atol=1e-10)
assert sol.compiled, sol.compile_message
print(time.perf_counter() - t1, t1 - t0)
"""


def fresh_process_table(repeat, method="Rodas5P"):
    """The first compiled *method* solve (FD Jacobian) of ROBER in a new process, with an empty disk
    cache (what every process paid before the kernel was cached) and with the cache the previous
    process left (solvers/ode/kernel_cache.py); rounds interleaved, each in its own cache folder."""
    import os
    import subprocess
    import tempfile

    times: dict = {"cold disk cache": [], "warm disk cache": []}
    for _ in range(repeat):
        with tempfile.TemporaryDirectory() as d:
            env = dict(os.environ, METANUM_CACHE_DIR=d, PYTHONPATH=str(ROOT))
            for label in times:
                out = subprocess.run([sys.executable, "-c", _FRESH.replace("METHOD", method)], env=env, capture_output=True, text=True,
                                     check=True).stdout.split()
                times[label].append(float(out[0]))
    body = [[k, *(format_time(f(v)) for f in (min, statistics.median, max))] for k, v in times.items()]
    print_table(f"first call in a fresh process: compiled {method} (FD J) on ROBER [0, 40], {repeat} rounds "
                "(the solve call only; imports excluded)", ["disk cache", "min", "median", "max"], body)


def diffrax_rows(T, rtol, atol):
    peer = load_peer("diffrax")
    if not peer.available:
        return {f"diffrax Kvaerno5 @ {rtol:g}": peer.error}
    import jax

    jax.config.update("jax_enable_x64", True)
    import diffrax
    import jax.numpy as jnp

    def vf(t, y, args):
        y1, y2, y3 = y[0], y[1], y[2]
        return jnp.stack([-0.04 * y1 + 1e4 * y2 * y3, 0.04 * y1 - 1e4 * y2 * y3 - 3e7 * y2 * y2, 3e7 * y2 * y2])

    def make():
        @jax.jit
        def run(y0):
            sol = diffrax.diffeqsolve(diffrax.ODETerm(vf), diffrax.Kvaerno5(), 0.0, T, 1e-6, y0,
                                      stepsize_controller=diffrax.PIDController(rtol=rtol, atol=atol),
                                      saveat=diffrax.SaveAt(t1=True), max_steps=200000)
            return sol.ys[-1]
        return run

    warm = make()
    y0 = jnp.asarray(U0)
    warm(y0).block_until_ready()
    cold = {"n": 0}

    def with_compile():
        cold["n"] += 1
        return np.asarray(make()(y0 + 0.0 * cold["n"]).block_until_ready())

    return {f"diffrax Kvaerno5 warm @ {rtol:g}": lambda: np.asarray(warm(y0).block_until_ready()),
            f"diffrax Kvaerno5 with compile @ {rtol:g}": with_compile}


def _numbalsoda_rhs(key):
    """numbalsoda's cfunc right-hand side of ROBER or Van der Pol (eps = 1e-6), the same formulas."""
    import numba as nb
    from numbalsoda import lsoda_sig

    if key == "rober":
        @nb.cfunc(lsoda_sig)
        def rhs(t, u, du, p):
            du[0] = -0.04 * u[0] + 1e4 * u[1] * u[2]
            du[1] = 0.04 * u[0] - 1e4 * u[1] * u[2] - 3e7 * u[1] * u[1]
            du[2] = 3e7 * u[1] * u[1]
    else:
        @nb.cfunc(lsoda_sig)
        def rhs(t, u, du, p):
            du[0] = u[1]
            du[1] = ((1 - u[0] * u[0]) * u[1] - u[0]) / 1e-6
    return rhs


def numbalsoda_rows(T, rtol, atol, key="rober", u0=U0):
    peer = load_peer("numbalsoda")
    if not peer.available:
        return {f"numbalsoda lsoda @ {rtol:g}": f"not installed: {peer.error}"}
    from numbalsoda import lsoda

    addr, data = _numbalsoda_rhs(key).address, np.zeros(1)

    def run(r=rtol, a=atol):
        usol, ok = lsoda(addr, np.array(u0, dtype=np.float64), np.array([0.0, T]), data=data, rtol=r, atol=a,
                         mxstep=500000)
        assert ok, "numbalsoda lsoda failed"
        return usol[-1]

    return {f"numbalsoda lsoda @ {rtol:g}": run}


# ---------------------------------------------------------- Brusselator
def bruss_rows(N, T, tols, peers, sparse_opt):
    import scipy.integrate as si

    import numeric as nm

    f, u0, _, p = brusselator_2d(N)
    P = nm.jacobian_sparsity(lambda y: f(y, p, 0.0), u0, mode="global")
    rows = {}
    for rtol in tols:
        atol = rtol * 1e-2
        for name, cls in our_methods(BRUSS_METHODS):
            prob = ODEProblem(f, u0, (0.0, T), p)
            rows[f"{name} (sparse J) @ {rtol:g}"] = (
                lambda c=cls, pr=prob, r=rtol, a=atol: solve(pr, c(), rtol=r, atol=a, save_everystep=False,
                                                            **sparse_opt).u[-1])
        if peers:
            rows[f"scipy BDF (jac_sparsity) @ {rtol:g}"] = (lambda r=rtol, a=atol: si.solve_ivp(
                lambda t, y: f(y, p, t), (0.0, T), u0, method="BDF", rtol=r, atol=a, jac_sparsity=P).y[:, -1])
    return rows, f, u0, p, P


def run_rows(title, rows, ref, settings, repeat):
    errs = {k: (v if isinstance(v, str) else err_of(v, ref)) for k, v in rows.items()}
    fns = {k: v for k, v in rows.items() if not isinstance(errs[k], str)}
    times = sample(fns, repeat, settings.budget)
    table(title, rows, errs, times)
    return errs


def main(argv=None) -> int:
    settings = parse_args(__doc__.splitlines()[0], argv)
    print("# PB-ODE O4-O6 stiff" + (" (--quick: short spans, no peers)" if settings.quick else ""))
    print()
    print(header(PACKAGES))
    print("our methods found: " + ", ".join(n for n, _ in our_methods()))
    print()
    if settings.quick:
        errs = run_rows("ROBER on [0, 40]", rober_rows(40.0, (1e-6,), False, ["Rodas5P"], jacs=(True,)),
                        rober_reference(40.0),
                        settings, 2)
        compile_table()
        rows, f, u0, p, P = bruss_rows(8, 1.5, (1e-6,), False, {"sparse": True})
        import scipy.integrate as si

        ref = si.solve_ivp(lambda t, y: f(y, p, t), (0.0, 1.5), u0, method="Radau", rtol=1e-10, atol=1e-12,
                           jac_sparsity=P).y[:, -1]
        errs.update(run_rows("Brusselator N = 8 on [0, 1.5], sparse=True", rows, ref, settings, 2))
        bad = {k: e for k, e in errs.items() if isinstance(e, str) or not e < 1e-3}
        if bad:
            raise SystemExit(f"stiff solves disagree with the Radau references: {bad}")
        return 0
    run_o4(settings)
    fresh_process_table(3)
    run_o6(settings)
    return 0


def run_o4(settings) -> None:
    """The O4 rows alone: ``python -c "import bench_stiff as b; b.run_o4(b.parse_args('', []))"``."""
    run_rows("O4 work-precision: ROBER on [0, 1e5], atol = rtol * 1e-4",
             rober_rows(1e5, (1e-4, 1e-6, 1e-8), True), rober_reference(1e5), settings, settings.repeat)
    run_rows("O4 work-precision: Van der Pol eps = 1e-6 (mu = 1e3) on [0, 2], atol = rtol", vdp_rows(
        (1e-4, 1e-6, 1e-8), True), VDP.ref, settings, settings.repeat)
    compile_table()


def scipy_rows(key, T, u0, rtol, atol):
    """scipy solve_ivp BDF, Radau and LSODA with the analytic Jacobian (ROBER or Van der Pol)."""
    import scipy.integrate as si

    f, jac = (rober, rober_jac) if key == "rober" else (vdp_scaled, vdp_jac)
    return {f"scipy {m} @ {rtol:g}": (lambda m=m: si.solve_ivp(
        lambda t, y: f(y, None, t), (0.0, T), u0, method=m, rtol=rtol, atol=atol,
        jac=lambda t, y: jac(y, None, t)).y[:, -1]) for m in ("BDF", "Radau", "LSODA")}


def run_compiled_o4(settings, names=COMPILED) -> None:
    """The O4 compiled rows (*names*) against scipy BDF/Radau/LSODA and numbalsoda lsoda (no generic
    methods or diffrax): ``python -c "import bench_stiff as b; b.run_compiled_o4(b.parse_args('', []))"``."""
    for key, u0, T, ref, tols, ratio in (("rober", U0, 1e5, rober_reference(1e5), (1e-4, 1e-6, 1e-8), 1e-4),
                                         ("vdp", VDP.u0, VDP.tspan[1], VDP.ref, (1e-4, 1e-6, 1e-8), 1.0)):
        rows = {}
        for rtol in tols:
            rows.update(compiled_rows(key, u0, T, rtol, rtol * ratio, names))
            rows.update(scipy_rows(key, T, u0, rtol, rtol * ratio))
            rows.update(numbalsoda_rows(T, rtol, rtol * ratio, key, u0))
        run_rows(f"O4 compiled kernels vs scipy and numbalsoda: {key} on [0, {T:g}], atol = rtol * {ratio:g}", rows,
                 ref, settings, settings.repeat)
    compile_table()


def kernel_share_table(settings, names=COMPILED, tols=(1e-4, 1e-6, 1e-8)) -> None:
    """Where a compiled solve's time goes, against numbalsoda lsoda in the same rounds and with no
    scipy row between them (a sub-millisecond call right after a 50 ms scipy solve reads up to 2x
    slower on this loaded machine): ROBER on [0, 1e5] (FD Jacobian, atol = rtol * 1e-4), the whole
    ``solve`` call and the kernel call inside it (timed by wrapping the kernel
    :func:`solvers.ode.compiled_stiff._loop` returns), min and median over interleaved rounds:
    ``python -c "import bench_stiff as b; b.kernel_share_table(b.parse_args('', []))"``."""
    from solvers.ode import compiled_stiff

    inner: list = []
    original = compiled_stiff._loop

    def timed(*args):
        loop, bound = original(*args)

        def run(*a):
            t = time.perf_counter()
            out = loop(*a)
            inner.append(time.perf_counter() - t)
            return out
        return run, bound

    rows: dict = {}
    for rtol in tols:
        rows.update(compiled_rows("rober", U0, 1e5, rtol, rtol * 1e-4, names, jacs=(False,)))
        rows.update(numbalsoda_rows(1e5, rtol, rtol * 1e-4))
    fns = {k: v for k, v in rows.items() if not isinstance(v, str)}
    for fn in fns.values():  # warm: numbalsoda's lsoda is compiled at its first call
        fn()
    kernel: dict = {k: [] for k in fns}
    total: dict = {k: [] for k in fns}
    compiled_stiff._loop = timed
    try:
        for _ in range(5 * settings.repeat):
            for k, fn in fns.items():
                inner.clear()
                t = time.perf_counter()
                fn()
                total[k].append(time.perf_counter() - t)
                kernel[k].append(sum(inner))
    finally:
        compiled_stiff._loop = original
    body = []
    for k in fns:
        tot, ker = statistics.median(total[k]), statistics.median(kernel[k])
        body.append([k, format_time(min(total[k])), format_time(tot), format_time(max(total[k])),
                     format_time(ker) if ker else "-", format_time(tot - ker) if ker else "-"])
    print_table(f"where the time goes: ROBER on [0, 1e5], compiled rows and numbalsoda only ({5 * settings.repeat} "
                "interleaved rounds)", ["row", "solve min", "solve median", "solve max", "kernel median",
                                        "outside the kernel (median)"], body)


def run_o6(settings) -> None:
    """The O6 rows alone: ``python -c "import bench_stiff as b; b.run_o6(b.parse_args('', []))"``."""
    ref = np.load(ROOT / "tests" / "data" / "brusselator_ref.npz")
    rows, *_ = bruss_rows(32, float(ref["t"]), (1e-4, 1e-6), True, {})
    run_rows("O6 work-precision: 2-D Brusselator N = 32 (2,048 states) on [0, 1.5], atol = rtol * 1e-2",
             rows, ref["u"], settings, 3)


if __name__ == "__main__":
    raise SystemExit(main())
