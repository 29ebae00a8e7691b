"""PB-ODE O4 stiff: ROBER with our Rosenbrock methods against scipy's stiff solvers.

Run ``python benchmarks/bench_stiff.py`` for the full table (ROBER on
[0, 1e5] at rtol 1e-6, atol 1e-10 as BENCHMARKS.md O4 asks, plus a small
work-precision sweep on [0, 40]) or ``python benchmarks/bench_stiff.py
--quick`` for the smoke mode the test suite runs: a short span, no peer
timings, and a check of our answers against a tight scipy Radau reference.

Every row reports its relative error against the reference, so the times
compare work at a stated accuracy: a faster row with a larger error is not a
win. Rows are timed in interleaved rounds (``measure_interleaved``); the
table gives the best and the median over the repeats.
Peers: scipy ``solve_ivp`` BDF, Radau and LSODA, given the analytic Jacobian
as their documentation advises for stiff problems. diffrax and numbalsoda
rows are not measured here yet (say so rather than omit them silently).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _harness import format_ratio, format_time, header, measure_interleaved, parse_args, print_table  # noqa: E402

from solvers import FBDF, ODEProblem, RadauIIA5, Rodas4, Rosenbrock23, solve  # noqa: E402

PACKAGES = ["numpy", "scipy", "numba", "metanum"]
U0 = np.array([1.0, 0.0, 0.0])


def rober(u, p, t):
    """Robertson's chemical kinetics (Hairer & Wanner II, IV.1)."""
    y1, y2, y3 = u
    return np.array([-0.04 * y1 + 1e4 * y2 * y3, 0.04 * y1 - 1e4 * y2 * y3 - 3e7 * y2 * y2, 3e7 * y2 * y2])


def rober_jac(u, p, t):
    y1, y2, y3 = u
    return np.array([[-0.04, 1e4 * y3, 1e4 * y2],
                     [0.04, -1e4 * y3 - 6e7 * y2, -1e4 * y2],
                     [0.0, 6e7 * y2, 0.0]])


def reference(T: float) -> np.ndarray:
    import scipy.integrate as si

    s = si.solve_ivp(lambda t, y: rober(y, None, t), (0.0, T), U0, method="Radau", rtol=1e-12,
                     atol=1e-16, jac=lambda t, y: rober_jac(y, None, t))
    return s.y[:, -1]


def ours(alg, T, rtol, atol, jac=None):
    prob = ODEProblem(rober, U0.copy(), (0.0, T), jac=jac)
    return lambda: solve(prob, alg, rtol=rtol, atol=atol, save_everystep=False).u[-1]


def scipy_row(method, T, rtol, atol):
    import scipy.integrate as si

    return lambda: si.solve_ivp(lambda t, y: rober(y, None, t), (0.0, T), U0, method=method, rtol=rtol,
                                atol=atol, jac=lambda t, y: rober_jac(y, None, t)).y[:, -1]


def rows_for(T, rtol, atol, with_peers):
    rows = {"Rodas4 (forward-mode J)": ours(Rodas4(), T, rtol, atol),
            "Rodas4 (jac=)": ours(Rodas4(), T, rtol, atol, jac=rober_jac),
            "Rosenbrock23 (jac=)": ours(Rosenbrock23(), T, rtol, atol, jac=rober_jac),
            "FBDF (jac=)": ours(FBDF(), T, rtol, atol, jac=rober_jac),
            "RadauIIA5 (jac=)": ours(RadauIIA5(), T, rtol, atol, jac=rober_jac)}
    if with_peers:
        rows.update({f"scipy {m} (jac)": scipy_row(m, T, rtol, atol) for m in ("BDF", "Radau", "LSODA")})
    return rows


def run(settings, T, rtol, atol, with_peers, title):
    ref = reference(T)
    fns = rows_for(T, rtol, atol, with_peers)
    errs = {k: float(np.max(np.abs(fn() - ref) / np.abs(ref))) for k, fn in fns.items()}
    times = measure_interleaved(fns, min_time=settings.min_time, repeat=settings.repeat,
                                budget=settings.budget)
    base = times["Rodas4 (jac=)"].best
    table = [[k, format_time(t.best), format_time(t.median), f"{errs[k]:.1e}", format_ratio(t.best / base)]
             for k, t in times.items()]
    print_table(title, ["method", "best", "median", "max rel. error", "time / Rodas4 (jac=)"], table)
    return errs


def main(argv=None) -> int:
    settings = parse_args(__doc__.splitlines()[0], argv)
    print("# PB-ODE O4 stiff" + (" (--quick: short span, no peers)" if settings.quick else ""))
    print()
    print(header(PACKAGES))
    print("ratios use the best times; 'time / Rodas4 (jac=)' below 1x means that row is faster")
    print("not measured here: diffrax Kvaerno5 and numbalsoda lsoda (not installed by this script)")
    print()
    if settings.quick:
        errs = run(settings, 40.0, 1e-6, 1e-10, False, "ROBER on [0, 40], rtol 1e-6, atol 1e-10")
        bad = {k: e for k, e in errs.items() if not e < 1e-3}
        if bad:
            raise SystemExit(f"stiff solves disagree with the Radau reference: {bad}")
        return 0
    run(settings, 1e5, 1e-6, 1e-10, True, "O4: ROBER on [0, 1e5], rtol 1e-6, atol 1e-10")
    for rtol in (1e-4, 1e-6, 1e-8):
        run(settings, 40.0, rtol, rtol * 1e-4, True, f"work-precision: ROBER on [0, 40], rtol {rtol:g}, "
            f"atol {rtol * 1e-4:g}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
