"""Equation families of issue 16: delay equations (vs jitcdde, ddeint) and fully implicit DAEs.

Run ``python benchmarks/bench_families.py`` for the full tables (peers that import) or
``--quick`` for the smoke mode the test suite runs (short spans, no peers, our results
checked against independent references). The peers live in their own environment:
``/work/venvs/dde`` has jitcdde 1.8 and ddeint 0.3 (``pip install jitcdde ddeint numba``);
scikits.odes (SUNDIALS IDA) is not installed (it needs the SUNDIALS C library), so the DAE
rows compare against scipy's stiff solvers on the ODE form of the same problem.

DDE problem: Mackey-Glass, DDE test set problem A1 (Enright & Hayashi 1997; Mackey & Glass
1977): ``u' = 0.2 z / (1 + z^10) - 0.1 u``, ``z = u(t - 14)``, history 0.5, on [0, T]
(T = 300; quick: 60). Error: |u(T) - reference|, the reference by scipy DOP853 at rtol 1e-12
interval by interval (method of steps). Ours: MethodOfSteps(Tsit5 / Vern9) at rtol = 1e-6,
atol = 1e-9. jitcdde: compiled C (the compile is done once, before timing, and loaded per call
with ``module_location``), Bogacki-Shampine 3(2) adaptive, same rtol/atol,
``step_on_discontinuities``. ddeint: scipy ``odeint`` on a fixed output grid of 3000 points
with linear interpolation of the past (its only mode).

DAE problem: ROBER as ``F(du, u) = 0`` with the conservation law as the algebraic equation,
t in [0, 40] (HW II, IV.10 reference), rtol 1e-8, atol 1e-12. Peers: scipy ``solve_ivp`` BDF
and Radau on the ODE form of ROBER (three differential equations: not a DAE solver; the closest
SUNDIALS-free peer available here).

Timing: interleaved rounds (``measure_interleaved``), best/median/worst per whole solve. The
machine is shared by several jobs: ratios, not absolute times, are the result.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import numpy as np
import scipy.integrate

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository's packages

from _harness import (Settings, format_ratio, format_time, header, load_peer,  # noqa: E402
                      measure_interleaved, parse_args, print_table, run_main)
from solvers import (DAEProblem, DDEProblem, DFBDF, DRadauIIA5, MethodOfSteps, Tsit5, Vern9,  # noqa: E402
                     solve)

PACKAGES = ["metanum", "numpy", "scipy", "jitcdde", "ddeint", "scikits.odes"]
TAU, RTOL, ATOL = 14.0, 1e-6, 1e-9
ROBER_40 = np.array([0.7158270687193148, 9.185534764557128e-6, 0.2841637457458775])  # HW II, IV.10


# ----------------------------------------------------------------- delay: Mackey-Glass (A1)
def mg_rhs(u, h, p, t):
    z = h(p, t - TAU)
    return 0.2 * z / (1 + z ** 10) - 0.1 * u


def mg_ours(T, alg):
    prob = DDEProblem(mg_rhs, 0.5, lambda p, t: 0.5, (0.0, T), constant_lags=[TAU])
    sol = solve(prob, MethodOfSteps(alg), rtol=RTOL, atol=ATOL, dense=False)
    assert sol.retcode, sol.message
    return float(sol.u[-1])


def mg_reference(T):
    """scipy DOP853 (rtol 1e-12) on [k tau, (k+1) tau], the delayed value from the earlier pieces."""
    pieces = []

    def delayed(s):
        if s <= 0:
            return 0.5
        k = min(int(s // TAU), len(pieces) - 1)
        return float(pieces[k](s)[0])

    u, a = 0.5, 0.0
    while a < T:
        b = min(a + TAU, T)
        r = scipy.integrate.solve_ivp(lambda t, y: [0.2 * delayed(t - TAU) / (1 + delayed(t - TAU) ** 10) - 0.1 * y[0]],
                                      (a, b), [u], method="DOP853", rtol=1e-12, atol=1e-14, dense_output=True)
        pieces.append(r.sol)
        u, a = r.y[0, -1], b
    return u


def jitcdde_runner(jd, T, workdir):
    f = [0.2 * jd.y(0, jd.t - TAU) / (1 + jd.y(0, jd.t - TAU) ** 10) - 0.1 * jd.y(0)]
    dde = jd.jitcdde(f, verbose=False)
    dde.compile_C(verbose=False)
    path = dde.save_compiled(str(Path(workdir) / "mg_jitcdde.so"), overwrite=True)

    def run():
        d = jd.jitcdde(f, module_location=path, verbose=False)
        d.constant_past([0.5])
        d.set_integration_parameters(rtol=RTOL, atol=ATOL)
        d.step_on_discontinuities()
        return float(d.integrate(T)[0])

    return run


def ddeint_runner(dd, T):
    tt = np.linspace(0.0, T, 3000)

    def run():
        return float(np.ravel(dd.ddeint(lambda Y, t: 0.2 * Y(t - TAU) / (1 + Y(t - TAU) ** 10) - 0.1 * Y(t),
                                        lambda t: 0.5, tt))[-1])

    return run


def dde_table(settings: Settings, peers: dict) -> None:
    T = 60.0 if settings.quick else 300.0
    ref = mg_reference(T)
    fns = {"MethodOfSteps(Tsit5)": lambda: mg_ours(T, Tsit5()), "MethodOfSteps(Vern9)": lambda: mg_ours(T, Vern9())}
    for name, fn in fns.items():
        err = abs(fn() - ref)
        assert err < 1e-4, f"{name}: |u(T) - ref| = {err:.1e}"
    skipped = []
    with tempfile.TemporaryDirectory() as work:
        for name, make in (("jitcdde", lambda m: jitcdde_runner(m, T, work)), ("ddeint", lambda m: ddeint_runner(m, T))):
            peer = peers.get(name)
            if peer is None:
                continue
            if not peer.available:
                skipped.append([name, peer.error, "", "", "", ""])
                continue
            fns[name] = make(peer.module)
        errors = {name: abs(fn() - ref) for name, fn in fns.items()}
        timings = measure_interleaved(fns, min_time=settings.min_time, repeat=settings.repeat, budget=settings.budget)
    base = timings["MethodOfSteps(Tsit5)"].best
    rows = [[name, format_time(t.best), format_time(t.median), format_time(t.worst), f"{errors[name]:.1e}",
             format_ratio(t.best / base)] for name, t in timings.items()]
    print_table(f"Mackey-Glass (DDE test set A1), t in [0, {T:g}], rtol {RTOL:g}, atol {ATOL:g}; reference u(T) = {ref:.12f}",
                ["solver", "best", "median", "worst", "|u(T) - ref|", "time / ours (Tsit5)"], rows + skipped)


# ----------------------------------------------------------------- DAE: ROBER
def rober_F(du, u, p, t):
    y1, y2, y3 = u
    return np.array([du[0] + 0.04 * y1 - 1e4 * y2 * y3, du[1] - 0.04 * y1 + 3e7 * y2 * y2 + 1e4 * y2 * y3,
                     y1 + y2 + y3 - 1.0])


def rober_ode(t, y):
    y1, y2, y3 = y
    return [-0.04 * y1 + 1e4 * y2 * y3, 0.04 * y1 - 1e4 * y2 * y3 - 3e7 * y2 * y2, 3e7 * y2 * y2]


def rober_jac(t, y):
    y1, y2, y3 = y
    return [[-0.04, 1e4 * y3, 1e4 * y2], [0.04, -1e4 * y3 - 6e7 * y2, -1e4 * y2], [0.0, 6e7 * y2, 0.0]]


def rober_ours(alg, T=40.0):
    sol = solve(DAEProblem(rober_F, np.zeros(3), np.array([1.0, 0.0, 0.0]), (0.0, T)), alg, rtol=1e-8, atol=1e-12,
                dense=False)
    assert sol.retcode, sol.message
    return sol.u[-1]


def rober_scipy(method):
    def run():
        r = scipy.integrate.solve_ivp(rober_ode, (0.0, 40.0), [1.0, 0.0, 0.0], method=method, rtol=1e-8, atol=1e-12,
                                      jac=rober_jac)
        return r.y[:, -1]
    return run


def dae_table(settings: Settings) -> None:
    fns = {"DFBDF (ours, F(du,u)=0)": lambda: rober_ours(DFBDF()),
           "DRadauIIA5 (ours, F(du,u)=0)": lambda: rober_ours(DRadauIIA5())}
    if not settings.quick:
        fns["scipy BDF (ODE form, analytic J)"] = rober_scipy("BDF")
        fns["scipy Radau (ODE form, analytic J)"] = rober_scipy("Radau")
    errors = {}
    for name, fn in fns.items():
        errors[name] = float(np.max(np.abs(fn() - ROBER_40) / ROBER_40))
        if "ours" in name:
            assert errors[name] < 1e-5, f"{name}: relative error {errors[name]:.1e}"
    timings = measure_interleaved(fns, min_time=settings.min_time, repeat=settings.repeat, budget=settings.budget)
    base = timings["DFBDF (ours, F(du,u)=0)"].best
    rows = [[name, format_time(t.best), format_time(t.median), format_time(t.worst), f"{errors[name]:.1e}",
             format_ratio(t.best / base)] for name, t in timings.items()]
    rows.append(["scikits.odes IDA", load_peer("scikits.odes").error or "importable (not wired)", "", "", "", ""])
    print_table("ROBER, t in [0, 40], rtol 1e-8, atol 1e-12 (relative error vs Hairer-Wanner's reference)",
                ["solver", "best", "median", "worst", "max rel. error", "time / DFBDF"], rows)


def main(argv=None) -> int:
    settings = parse_args(__doc__.splitlines()[0], argv)
    print("# Equation families: delays and fully implicit DAEs" + (" (--quick: short spans, no peers)"
                                                                     if settings.quick else ""))
    print()
    print(header(PACKAGES))
    peers = {} if settings.quick else {name: load_peer(name) for name in ("jitcdde", "ddeint")}
    for name, peer in peers.items():
        print(f"peers: {name}: {'ok' if peer.available else peer.error}")
    print("'time / ours' is the ratio of best times; above 1x means ours is faster")
    print()
    dde_table(settings, peers)
    print()
    dae_table(settings)
    # (jumps coupled to ODEs and adaptive SDE rows: added by the jumps/SDE part of issue 16)
    return 0


if __name__ == "__main__":
    run_main(main)
