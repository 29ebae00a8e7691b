"""PB-UQ measurements: U1 (1,000 inputs: sum and block covariance), U2 (uncertain ODE).

Run ``python benchmarks/bench_uq.py`` for the full tables (peers included)
or ``python benchmarks/bench_uq.py --quick`` for the smoke mode the test
suite runs: small sizes, no peers, and assertions against independent
references.

U1
    n = 1,000 independent inputs ``x_i = 1 + i/n ± 0.01``. (a) y = sum
    sin(x_i) exp(x_i / 2) and its standard deviation; (b) the covariance
    matrix of the 10 block sums of 100 inputs each. Every timing includes
    creating the uncertain inputs from the value array. Ours:
    ``nm.measurements`` (a vectorised ``MeasurementArray``). Peer: the
    ``uncertainties`` package (``unumpy.uarray``, ``covariance_matrix``).
    Limit: hand-written NumPy linear propagation (derivative by hand).
    Reference: the hand-written derivative; ours must agree to 1e-12.

U2
    Lotka–Volterra ``x' = a x - b x y, y' = -c y + d x y``, a = 1.5 ± 0.01,
    b = 1.0 ± 0.01, c = 3, d = 1, u0 = (1, 1): standard deviation of x(10).
    Ours: the unchanged ODE solver (Tsit5, rtol 1e-8, atol 1e-10) with
    measurement parameters, one solve; and a fixed-step RK4 loop (1,000
    steps) on a ``MeasurementArray`` state, the same algorithm the peer runs.
    Peers: ``uncertainties`` through that RK4 loop (its lazy linear forms are
    expanded every step by reading ``std_dev``, otherwise the cost grows
    exponentially); Monte Carlo with 2,000 samples through a vectorised
    NumPy RK4 (1,000 steps). Reference: central differences of a float
    DOP853 solve (scipy, rtol 1e-12) with respect to (a, b).
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository's packages

import numeric as nm
from _harness import Failed, Settings, attempt, format_ratio, format_time, header, load_peer, \
    measure, parse_args, print_table

PACKAGES = ["metanum", "numpy", "scipy", "uncertainties"]

U1_N, U1_QUICK_N = 1000, 100
U1_BLOCKS = 10
SIGMA = 0.01
LV = dict(a=1.5, b=1.0, c=3.0, d=1.0)
LV_ERR = 0.01
U2_T, U2_QUICK_T = 10.0, 2.0
RK4_STEPS_PER_UNIT = 100        # h = 0.01: 1,000 steps on [0, 10]
MC_SAMPLES = 2000


# -- U1 ------------------------------------------------------------------------------------------


def u1_values(n):
    return 1 + np.arange(n) / n


def u1_ours_sum(v):
    x = nm.measurements(v, SIGMA)
    y = np.sum(nm.sin(x) * nm.exp(x / 2))
    return y.val, y.err


def u1_numpy_sum(v):
    e = np.exp(v / 2)
    s, c = np.sin(v), np.cos(v)
    dy = c * e + 0.5 * s * e
    return float(np.sum(s * e)), float(np.sqrt(np.sum((dy * SIGMA) ** 2)))


def u1_ours_cov(v):
    x = nm.measurements(v, SIGMA)
    return nm.cov(x.reshape(U1_BLOCKS, -1).sum(axis=1))


def u1_numpy_cov(v):
    n = v.size
    J = np.zeros((U1_BLOCKS, n))
    J[np.repeat(np.arange(U1_BLOCKS), n // U1_BLOCKS), np.arange(n)] = SIGMA
    return J @ J.T


def u1_peer_thunks(unc, n):
    from uncertainties import covariance_matrix, unumpy

    v = u1_values(n)

    def total():
        x = unumpy.uarray(v, SIGMA)
        y = (unumpy.sin(x) * unumpy.exp(x / 2)).sum()
        return y.nominal_value, y.std_dev

    def blocks():
        x = unumpy.uarray(v, SIGMA)
        return np.asarray(covariance_matrix([b.sum() for b in x.reshape(U1_BLOCKS, -1)]))

    return total, blocks


def run_u1(settings: Settings, unc) -> None:
    kw = dict(min_time=settings.min_time, repeat=settings.repeat, budget=settings.budget)
    n = U1_QUICK_N if settings.quick else U1_N
    v = u1_values(n)
    ref_val, ref_err = u1_numpy_sum(v)
    val, err = u1_ours_sum(v)
    assert abs(val - ref_val) <= 1e-13 * abs(ref_val) and abs(err - ref_err) <= 1e-12 * ref_err, (
        f"U1: ours {val} ± {err}, hand-written {ref_val} ± {ref_err}")
    C_ref = u1_numpy_cov(v)
    C = u1_ours_cov(v)
    assert np.allclose(C, C_ref, rtol=1e-12, atol=1e-18), "U1: block covariance differs"
    peer_sum = peer_cov = None
    if unc is not None:
        peer_sum, peer_cov = u1_peer_thunks(unc, n)
    for title, ours_f, limit_f, peer_f, check in (
        (f"U1a sum of sin(x) exp(x/2) over n = {n} inputs ± {SIGMA}, with its standard deviation",
         lambda: u1_ours_sum(v), lambda: u1_numpy_sum(v), peer_sum,
         lambda r: abs(r[1] - ref_err) / ref_err),
        (f"U1b covariance matrix of {U1_BLOCKS} block sums of {n // U1_BLOCKS} inputs",
         lambda: u1_ours_cov(v), lambda: u1_numpy_cov(v), peer_cov,
         lambda r: float(np.max(np.abs(np.asarray(r) - C_ref)) / np.max(C_ref))),
    ):
        ours = measure(ours_f, **kw)
        limit = measure(limit_f, **kw)
        rows = [["hand-written NumPy propagation (the limit)", format_time(limit.best),
                 format_time(limit.median), "0", format_ratio(limit.best / ours.best)],
                ["metanum MeasurementArray (ours)", format_time(ours.best),
                 format_time(ours.median), f"{check(ours_f()):.1e}", "1x"]]
        if peer_f is not None:
            rows.append(_peer_row("uncertainties (unumpy)", peer_f, check, ours.best, kw))
        print_table(title, ["method", "best", "median", "rel. diff vs hand-written",
                            "time / ours"], rows)


def _peer_row(label, thunk, check, ours_best, kw, tol=1e-9):
    r = attempt(thunk)
    if isinstance(r, Failed):
        return [label, str(r), "", "", ""]
    diff = check(r)
    if not diff <= tol:
        return [label, f"not timed: answer differs (rel. {diff:.1e})", "", f"{diff:.1e}", ""]
    t = measure(thunk, **kw)
    return [label, format_time(t.best), format_time(t.median), f"{diff:.1e}",
            format_ratio(t.best / ours_best)]


# -- U2 ------------------------------------------------------------------------------------------


def lv_rhs(u, p, t):
    a, b, c, d = p
    x, y = u[0], u[1]
    return np.stack([a * x - b * x * y, -c * y + d * x * y])


def lv_params():
    return (nm.Measurement(LV["a"], LV_ERR), nm.Measurement(LV["b"], LV_ERR), LV["c"], LV["d"])


def u2_ours_solver(T):
    from solvers import ODEProblem, Tsit5, solve

    sol = solve(ODEProblem(lv_rhs, np.array([1.0, 1.0]), (0.0, T), lv_params()), Tsit5(),
                rtol=1e-8, atol=1e-10, save_everystep=False)
    return sol.u[-1][0]


def u2_float_solver(T):
    from solvers import ODEProblem, Tsit5, solve

    p = (LV["a"], LV["b"], LV["c"], LV["d"])
    sol = solve(ODEProblem(lv_rhs, np.array([1.0, 1.0]), (0.0, T), p), Tsit5(),
                rtol=1e-8, atol=1e-10, save_everystep=False)
    return sol.u[-1][0]


def rk4(f, u, p, T, steps):
    """The classical RK4 loop on any state type (the peer runs the same loop)."""
    h = T / steps
    for _ in range(steps):
        k1 = f(u, p, 0.0)
        k2 = f(u + (h / 2) * k1, p, 0.0)
        k3 = f(u + (h / 2) * k2, p, 0.0)
        k4 = f(u + h * k3, p, 0.0)
        u = u + (h / 6) * (k1 + 2 * k2 + 2 * k3 + k4)
    return u


def u2_ours_rk4(T):
    a, b, c, d = lv_params()
    u0 = nm.measurements([1.0 + 0 * a, 1.0 + 0 * b])
    return rk4(lv_rhs, u0, (a, b, c, d), T, int(RK4_STEPS_PER_UNIT * T))[0]


def u2_uncertainties_rk4(T, ufloat):
    a, b = ufloat(LV["a"], LV_ERR), ufloat(LV["b"], LV_ERR)
    c, d = LV["c"], LV["d"]
    steps = int(RK4_STEPS_PER_UNIT * T)
    h = T / steps
    x, y = 1.0 + 0 * a, 1.0 + 0 * b

    def f(x, y):
        return a * x - b * x * y, -c * y + d * x * y

    for _ in range(steps):
        k1 = f(x, y)
        k2 = f(x + h / 2 * k1[0], y + h / 2 * k1[1])
        k3 = f(x + h / 2 * k2[0], y + h / 2 * k2[1])
        k4 = f(x + h * k3[0], y + h * k3[1])
        x = x + h / 6 * (k1[0] + 2 * k2[0] + 2 * k3[0] + k4[0])
        y = y + h / 6 * (k1[1] + 2 * k2[1] + 2 * k3[1] + k4[1])
        x.std_dev, y.std_dev  # expand the lazy linear forms (see the module docstring)
    return x


def u2_monte_carlo(T, samples=MC_SAMPLES, seed=1):
    rng = np.random.default_rng(seed)
    a = LV["a"] + LV_ERR * rng.standard_normal(samples)
    b = LV["b"] + LV_ERR * rng.standard_normal(samples)
    u = rk4(lambda u, p, t: np.stack([p[0] * u[0] - p[1] * u[0] * u[1],
                                      -LV["c"] * u[1] + LV["d"] * u[0] * u[1]]),
            np.ones((2, samples)), (a, b), T, int(RK4_STEPS_PER_UNIT * T))
    return u[0].mean(), u[0].std(ddof=1)


def u2_reference(T):
    """sigma of x(T) from central differences of a tight float DOP853 solve."""
    from scipy.integrate import solve_ivp

    def x_of(a, b):
        f = lambda t, u: [a * u[0] - b * u[0] * u[1], -LV["c"] * u[1] + LV["d"] * u[0] * u[1]]  # noqa: E731
        return solve_ivp(f, (0, T), [1.0, 1.0], method="DOP853", rtol=1e-12, atol=1e-14).y[0, -1]

    h = 1e-5
    ga = (x_of(LV["a"] + h, LV["b"]) - x_of(LV["a"] - h, LV["b"])) / (2 * h)
    gb = (x_of(LV["a"], LV["b"] + h) - x_of(LV["a"], LV["b"] - h)) / (2 * h)
    return x_of(LV["a"], LV["b"]), LV_ERR * math.hypot(ga, gb)


def run_u2(settings: Settings, unc) -> None:
    kw = dict(min_time=settings.min_time, repeat=min(settings.repeat, 3), budget=settings.budget)
    T = U2_QUICK_T if settings.quick else U2_T
    ref_val, ref_err = u2_reference(T)
    rows = []
    for label, thunk, tol in (
        ("metanum: ODE solver (Tsit5, rtol 1e-8), measurement parameters, one solve (ours)",
         lambda: u2_ours_solver(T), 1e-5),
        (f"metanum: RK4 loop, {int(RK4_STEPS_PER_UNIT * T)} steps, MeasurementArray state (ours)",
         lambda: u2_ours_rk4(T), 1e-5),
    ):
        x = thunk()
        rel = abs(x.err - ref_err) / ref_err
        assert rel < tol and abs(x.val - ref_val) < 1e-5 * abs(ref_val), (
            f"U2 {label}: {x.val} ± {x.err}, reference {ref_val} ± {ref_err}")
        t = measure(thunk, **kw)
        rows.append([label, format_time(t.best), format_time(t.median), f"{x.err:.6g}",
                     f"{rel:.1e}", t.best])
    ours_best = rows[0][-1]
    # the baseline: the same solve on plain floats (no uncertainty), the same steps
    t = measure(lambda: u2_float_solver(T), **kw)
    rows.append(["baseline: the same ODE solve on floats (no uncertainty)", format_time(t.best),
                 format_time(t.median), "", "", t.best])
    if unc is not None:
        thunk = lambda: u2_uncertainties_rk4(T, unc.ufloat)  # noqa: E731
        x = attempt(thunk)
        if isinstance(x, Failed):
            rows.append(["uncertainties, RK4 loop", str(x), "", "", "", None])
        else:
            t = measure(thunk, **kw)
            rows.append([f"uncertainties: RK4 loop, {int(RK4_STEPS_PER_UNIT * T)} steps (peer)",
                         format_time(t.best),
                         format_time(t.median), f"{x.std_dev:.6g}",
                         f"{abs(x.std_dev - ref_err) / ref_err:.1e}", t.best])
    if not settings.quick:
        mean, std = u2_monte_carlo(T)
        t = measure(lambda: u2_monte_carlo(T), **kw)
        se = std / math.sqrt(2 * (MC_SAMPLES - 1))
        rows.append([f"Monte Carlo: {MC_SAMPLES} samples, vectorised NumPy RK4 (peer)",
                     format_time(t.best), format_time(t.median), f"{std:.6g} (± {se:.2g})",
                     f"{abs(std - ref_err) / ref_err:.1e}", t.best])
    table = [r[:5] + [format_ratio(r[5] / ours_best) if r[5] else ""] for r in rows]
    print_table(f"U2 Lotka–Volterra, a, b ± {LV_ERR}: sigma of x({T:g}); reference "
                f"{ref_val:.8g} ± {ref_err:.6g} (central differences of DOP853)",
                ["method", "best", "median", "sigma x(T)", "rel. diff vs reference",
                 "time / ours (solver)"], table)


def main(argv=None) -> int:
    settings = parse_args(__doc__.splitlines()[0], argv)
    print("# PB-UQ measurements" + (" (--quick: small sizes, no peers)" if settings.quick else ""))
    print()
    print(header(PACKAGES))
    unc = None
    if not settings.quick:
        peer = load_peer("uncertainties")
        print(f"peers: uncertainties: {'ok' if peer.available else peer.error}")
        unc = peer.module if peer.available else None
    print(f"timing: best and median of up to {settings.repeat} samples, each >= "
          f"{settings.min_time} s of repeated calls (time.perf_counter)")
    print("ratios use the best times; 'time / ours' above 1x means ours is faster")
    print()
    run_u1(settings, unc)
    run_u2(settings, unc)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
