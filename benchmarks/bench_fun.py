"""PB-FUN function-valued numbers: C1 construction, C2 evaluation, C3 heat equation.

Run ``python benchmarks/bench_fun.py`` for the full tables (peers included)
or ``python benchmarks/bench_fun.py --quick`` for the smoke mode the test
suite runs: small sizes, no peers, and assertions that our results are right.

C1 adaptive construction
    ``f(x) = exp(sin(pi x)) + 1 / (1 + 25 x^2)`` on [-1, 1] to machine
    precision: ``nm.Fun(f, nm.Chebyshev(-1, 1))`` against chebpy
    (``chebfun(f, [-1, 1])``), numpy's ``Chebyshev.interpolate`` with a
    doubling degree and the same chop (standardChop), and a scipy.fft DCT-I
    on second-kind points with a plain tail test (the limit: no sample
    test, no plateau search). Length, max error on 2001 points, time.
C2 evaluation at 10^6 points
    That Fun at 10^6 points in [-1, 1] against numpy ``chebval`` on the same
    coefficients, chebpy's ``__call__``, and the function itself.
C3 heat equation
    ``u_t = u_xx`` on [0, 2 pi) periodic, ``u0 = exp(cos x)``, to t = 0.5,
    error against the exact Fourier solution
    ``I0(1) + 2 sum I_k(1) exp(-k^2 t) cos(k x)``. Ours: a Fourier Fun state
    and the unchanged ODE solver (Tsit5). Peer: second-order central
    differences on N points and scipy ``solve_ivp`` (BDF with the sparse
    tridiagonal Jacobian; the problem is stiff, an explicit method needs
    ~10^6 steps), with N and tolerances chosen so that both errors are
    about 1e-8. Time to solution and error.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numeric as nm  # noqa: E402
from _harness import (format_ratio, format_time, header, load_peer, measure,  # noqa: E402
                      parse_args, print_table)
from numeric.fun.chop import standard_chop  # noqa: E402

PACKAGES = ["metanum", "numpy", "scipy", "numba", "chebfun"]
EPS = np.finfo(float).eps


def c1_function(x):
    return np.exp(np.sin(np.pi * x)) + 1 / (1 + 25 * x**2)


def numpy_interpolate_doubling(f):
    """numpy's Chebyshev.interpolate at degree 16, 32, ... chopped by standardChop."""
    from numpy.polynomial import Chebyshev as NpCheb

    deg = 16
    while deg <= 2**16:
        c = NpCheb.interpolate(f, deg).coef
        keep = standard_chop(np.abs(c), EPS)
        if keep < c.size:
            return c[:keep]
        deg *= 2
    return c


def dct_tail_test(f):
    """DCT-I of samples at 2^k + 1 second-kind points; stop when the last 8 coefficients
    are below 1e-15 of the largest, then drop the trailing ones below eps * max (the limit)."""
    from scipy.fft import dct

    n = 17
    while n <= 2**16 + 1:
        x = -np.cos(np.pi * np.arange(n) / (n - 1))
        c = dct(f(x)[::-1], type=1) / (n - 1)
        c[0] /= 2
        c[-1] /= 2
        scale = np.max(np.abs(c))
        if np.max(np.abs(c[-8:])) < 1e-15 * scale:
            big = np.flatnonzero(np.abs(c) > EPS * scale)
            return c[: big[-1] + 1]
        n = 2 * n - 1
    return c


def max_error(values, exact):
    return float(np.max(np.abs(values - exact)))


def run_c1(settings, chebpy):
    xs = np.linspace(-1, 1, 2001)
    exact = c1_function(xs)
    S = nm.Chebyshev(-1, 1)
    ours = nm.Fun(c1_function, S)
    err = max_error(ours(xs), exact)
    assert err < 1e-14 and 150 <= len(ours) <= 200, (err, len(ours))
    t_ours = measure(lambda: nm.Fun(c1_function, S), min_time=settings.min_time,
                     repeat=settings.repeat, budget=settings.budget)
    rows = [["metanum Fun (ours)", len(ours), f"{err:.1e}", format_time(t_ours.best),
             format_time(t_ours.median), "1x"]]
    if not settings.quick:
        from numpy.polynomial.chebyshev import chebval

        c_np = numpy_interpolate_doubling(c1_function)
        t = measure(lambda: numpy_interpolate_doubling(c1_function), min_time=settings.min_time,
                    repeat=settings.repeat, budget=settings.budget)
        rows.append(["numpy Chebyshev.interpolate, doubling + standardChop", len(c_np),
                     f"{max_error(chebval(xs, c_np), exact):.1e}", format_time(t.best),
                     format_time(t.median), format_ratio(t.best / t_ours.best)])
        c_dct = dct_tail_test(c1_function)
        t = measure(lambda: dct_tail_test(c1_function), min_time=settings.min_time,
                    repeat=settings.repeat, budget=settings.budget)
        rows.append(["scipy.fft DCT + tail test (the limit)", len(c_dct),
                     f"{max_error(chebval(xs, c_dct), exact):.1e}", format_time(t.best),
                     format_time(t.median), format_ratio(t.best / t_ours.best)])
        if chebpy is None:
            rows.append(["chebpy (PyPI chebfun)", "-", "-", "not installed", "-", "-"])
        else:
            g = chebpy.chebfun(c1_function, [-1, 1])
            t = measure(lambda: chebpy.chebfun(c1_function, [-1, 1]), min_time=settings.min_time,
                        repeat=settings.repeat, budget=settings.budget)
            rows.append(["chebpy (PyPI chebfun)", sum(p.size for p in g.funs),
                         f"{max_error(g(xs), exact):.1e}", format_time(t.best),
                         format_time(t.median), format_ratio(t.best / t_ours.best)])
    print_table("C1 adaptive construction of exp(sin(pi x)) + 1/(1 + 25 x^2) on [-1, 1]",
                ["method", "length", "max error", "best", "median", "time / ours"], rows)
    print()
    return ours


def run_c2(settings, fun, chebpy):
    from numpy.polynomial.chebyshev import chebval

    m = 10**4 if settings.quick else 10**6
    x = np.random.default_rng(0).uniform(-1, 1, m)
    ours = fun(x)
    ref = chebval(x, fun.coeffs)
    diff = max_error(ours, ref)
    assert diff < 1e-13, diff
    assert max_error(ours, c1_function(x)) < 1e-14
    kw = dict(min_time=settings.min_time, repeat=settings.repeat, budget=settings.budget)
    t_ours = measure(lambda: fun(x), **kw)
    rows = [["metanum Fun.__call__ (ours)", "0", format_time(t_ours.best),
             format_time(t_ours.median), "1x"]]
    if not settings.quick:
        t = measure(lambda: chebval(x, fun.coeffs), **kw)
        rows.append(["numpy chebval (same coefficients)", f"{diff:.1e}", format_time(t.best),
                     format_time(t.median), format_ratio(t.best / t_ours.best)])
        if chebpy is None:
            rows.append(["chebpy __call__", "-", "not installed", "-", "-"])
        else:
            g = chebpy.chebfun(c1_function, [-1, 1])
            t = measure(lambda: g(x), **kw)
            rows.append(["chebpy __call__", f"{max_error(g(x), ours):.1e}", format_time(t.best),
                         format_time(t.median), format_ratio(t.best / t_ours.best)])
        t = measure(lambda: c1_function(x), **kw)
        rows.append(["the function itself (NumPy)", f"{max_error(c1_function(x), ours):.1e}",
                     format_time(t.best), format_time(t.median),
                     format_ratio(t.best / t_ours.best)])
    print_table(f"C2 evaluation of the C1 Fun (length {len(fun)}) at {m:,} points",
                ["method", "max diff vs ours", "best", "median", "time / ours"], rows)
    print()


def heat_exact(x, t):
    from scipy.special import iv

    return iv(0, 1.0) + sum(2 * iv(k, 1.0) * np.exp(-k * k * t) * np.cos(k * x)
                            for k in range(1, 40))


def heat_ours(rtol):
    from solvers import ODEProblem, Tsit5, solve

    u0 = nm.Fun(lambda x: np.exp(np.cos(x)), nm.Fourier(0, 2 * np.pi))
    return solve(ODEProblem(lambda u, p, t: u.diff(2), u0, (0.0, 0.5)), Tsit5(), rtol=rtol,
                 atol=rtol * 1e-2)


def heat_fd(n, rtol):
    import scipy.sparse as sp
    from scipy.integrate import solve_ivp

    h = 2 * np.pi / n
    x = h * np.arange(n)
    main = -2.0 * np.ones(n)
    off = np.ones(n - 1)
    A = sp.diags([main, off, off], [0, 1, -1], format="lil")
    A[0, n - 1] = A[n - 1, 0] = 1.0
    A = (A / h**2).tocsr()
    sol = solve_ivp(lambda t, u: A @ u, (0.0, 0.5), np.exp(np.cos(x)), method="BDF", jac=A,
                    rtol=rtol, atol=rtol * 1e-2)
    return x, sol.y[:, -1]


def run_c3(settings):
    xs = np.linspace(0, 2 * np.pi, 257)[:-1]
    exact = heat_exact(xs, 0.5)
    rtol = 1e-8
    sol = heat_ours(rtol)
    err = max_error(sol.u[-1](xs), exact)
    assert err < 3e-8, err
    lengths = [len(u) for u in sol.u]
    assert lengths[-1] < lengths[0]
    kw = dict(min_time=settings.min_time, repeat=max(3, settings.repeat // 2),
              budget=settings.budget)
    t_ours = measure(lambda: heat_ours(rtol), **kw)
    rows = [[f"metanum Fourier Fun + Tsit5, rtol {rtol:g} (ours)",
             f"{lengths[0]} -> {lengths[-1]} coeffs, {len(sol.t) - 1} steps", f"{err:.1e}",
             format_time(t_ours.best), format_time(t_ours.median), "1x"]]
    if not settings.quick:
        n, fd_rtol = 8192, 1e-10
        x, u = heat_fd(n, fd_rtol)
        fd_err = max_error(u, heat_exact(x, 0.5))
        t = measure(lambda: heat_fd(n, fd_rtol), **kw)
        rows.append([f"2nd-order FD + solve_ivp BDF (sparse Jacobian), rtol {fd_rtol:g}",
                     f"N = {n} points", f"{fd_err:.1e}", format_time(t.best),
                     format_time(t.median), format_ratio(t.best / t_ours.best)])
    print_table("C3 heat equation u_t = u_xx on [0, 2 pi), u0 = exp(cos x), t = 0.5",
                ["method", "size", "max error", "best", "median", "time / ours"], rows)
    print()


def main(argv=None) -> int:
    settings = parse_args(__doc__.splitlines()[0], argv)
    print("# PB-FUN function-valued numbers" + (" (--quick: small sizes, no peers)"
                                                 if settings.quick else ""))
    print()
    print(header(PACKAGES))
    chebpy = None
    if not settings.quick:
        peer = load_peer("chebpy")
        print(f"peers: chebpy: {'ok' if peer.available else peer.error}")
        chebpy = peer.module if peer.available else None
    print(f"timing: best and median of up to {settings.repeat} samples, each >= "
          f"{settings.min_time} s of repeated calls (time.perf_counter)")
    print("ratios use the best times; 'time / ours' above 1x means ours is faster")
    print()
    fun = run_c1(settings, chebpy)
    run_c2(settings, fun, chebpy)
    run_c3(settings)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
