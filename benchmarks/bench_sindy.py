"""PB-LEARN S-INDY fitting: SINDy on Lorenz data, ours (solvers.sindy) against pysindy.

Run ``python benchmarks/bench_sindy.py`` for the full table (pysindy
included) or ``python benchmarks/bench_sindy.py --quick`` for the smoke mode
the test suite runs: a short series, no peers, and a check that the seven
true Lorenz terms are recovered.

Problem (Brunton, Proctor & Kutz 2016, PNAS): Lorenz, sigma = 10, rho = 28,
beta = 8/3, x0 = (-8, 8, 27), samples t = 0, 0.001, ..., 99.999 (10^5
samples; quick: t < 2), computed by our Vern9 at rtol = atol = 1e-12.
Library: polynomials of degree 5 in (x, y, z) with the constant (56 terms),
the same matrix to the last bit in both (pysindy's ``PolynomialLibrary``).

Settings are equal in each row: pysindy's STLSQ defaults with threshold
0.025 (ridge alpha 0.05, at most 20 sweeps, unbias refit), ours
``STLSQ.pysindy_defaults(0.025)``; derivatives given exactly (the Lorenz
right-hand side at the samples), or by second-order finite differences
(pysindy's ``FiniteDifference()``, ours ``finite_difference``). Each timed
call is a whole ``fit`` from the data (library matrix, derivatives when
estimated, sparse regression). Before timing, the two coefficient matrices
must agree to 1e-10 (else the row says so and is not timed). Timing: the two
callables alternate in interleaved rounds (``measure_interleaved``); best,
median and worst per call. Both run in this process on the same NumPy/BLAS
(same threads).
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository's packages

from _harness import (Settings, format_ratio, format_time, header, load_peer,  # noqa: E402
                      measure_interleaved, parse_args, print_table)
from solvers import ODEProblem, Vern9, solve  # noqa: E402
from solvers.sindy import STLSQ, PolynomialLibrary, finite_difference, fit  # noqa: E402

PACKAGES = ["metanum", "numpy", "scipy", "pysindy", "scikit-learn"]
DT, T_FULL, T_QUICK = 0.001, 100.0, 2.0
THRESHOLD, DEGREE = 0.025, 5


def lorenz(u, p=None, t=None):
    return np.stack([10.0 * (u[1] - u[0]), u[0] * (28.0 - u[2]) - u[1],
                     u[0] * u[1] - 8.0 / 3.0 * u[2]])


def lorenz_samples(T):
    t = DT * np.arange(int(round(T / DT)))
    sol = solve(ODEProblem(lorenz, np.array([-8.0, 8.0, 27.0]), (0.0, t[-1])), Vern9(),
                rtol=1e-12, atol=1e-12, saveat=t)
    assert sol.retcode, sol.message
    x = np.array(sol.u)
    return t, x, lorenz(x.T).T


def true_support():
    names = PolynomialLibrary(DEGREE).names(("x", "y", "z"))
    support = np.zeros((3, len(names)), dtype=bool)
    for i, terms in enumerate((("x", "y"), ("x", "y", "x z"), ("z", "x y"))):
        support[i, [names.index(n) for n in terms]] = True
    return support


def ours(x, t, x_dot):
    kw = dict(x_dot=x_dot) if x_dot is not None else dict(derivative=finite_difference)
    return fit(x, t, PolynomialLibrary(DEGREE), STLSQ.pysindy_defaults(THRESHOLD),
               **kw).coefficients


def peer(ps, x, t, x_dot):
    model = ps.SINDy(optimizer=ps.STLSQ(threshold=THRESHOLD),
                     feature_library=ps.PolynomialLibrary(degree=DEGREE),
                     differentiation_method=ps.FiniteDifference())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")            # pysindy's LinAlgWarning on the Gram matrix
        model.fit(x, t=t, x_dot=x_dot)
    return model.coefficients()


def _row(label, timing, ratio):
    return [label, format_time(timing.best), format_time(timing.median),
            format_time(timing.worst), ratio]


def run(settings: Settings, ps) -> None:
    T = T_QUICK if settings.quick else T_FULL
    t, x, x_dot = lorenz_samples(T)
    support = true_support()
    # a fit of 10^5 samples takes 0.1-2 s: a larger budget than the harness's 4 s keeps 7 rounds
    kw = dict(min_time=settings.min_time, repeat=settings.repeat,
              budget=settings.budget if settings.quick else 40.0)
    for label, dx in (("exact derivatives given", x_dot), ("finite differences", None)):
        xi = ours(x, t, dx)
        assert np.array_equal(xi != 0, support), f"ours ({label}) missed the Lorenz terms:\n{xi}"
        fns = {"ours": lambda dx=dx: ours(x, t, dx)}
        rows, note = [], ""
        if ps is not None:
            diff = float(np.max(np.abs(xi - peer(ps, x, t, dx))))
            if diff <= 1e-10:
                fns["pysindy"] = lambda dx=dx: peer(ps, x, t, dx)
            note = f"; max |ours - pysindy| = {diff:.1e}"
            if diff > 1e-10:
                rows.append(["pysindy 2 (STLSQ defaults)", f"not timed: differs by {diff:.1e}",
                             "", "", ""])
        timings = measure_interleaved(fns, **kw)
        rows.insert(0, _row("metanum solvers.sindy (ours)", timings["ours"], "1x"))
        if "pysindy" in timings:
            rows.append(_row("pysindy (STLSQ defaults)", timings["pysindy"],
                             format_ratio(timings["pysindy"].best / timings["ours"].best)))
        print_table(f"S-INDY fit, Lorenz, {len(t):,} samples, degree-{DEGREE} library, "
                    f"threshold {THRESHOLD}, {label}{note}",
                    ["method", "best", "median", "worst", "time / ours"], rows)


def main(argv=None) -> int:
    settings = parse_args(__doc__.splitlines()[0], argv)
    print("# PB-LEARN S-INDY fitting" + (" (--quick: short series, no peers)"
                                         if settings.quick else ""))
    print()
    print(header(PACKAGES))
    ps = None
    if not settings.quick:
        loaded = load_peer("pysindy")
        print(f"peers: pysindy: {'ok' if loaded.available else loaded.error}")
        ps = loaded.module if loaded.available else None
    print(f"timing: interleaved rounds, up to {settings.repeat} samples each >= "
          f"{settings.min_time} s of repeated calls (time.perf_counter); best, median, worst")
    print("'time / ours' is the ratio of best times; above 1x means ours is faster")
    print()
    run(settings, ps)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
