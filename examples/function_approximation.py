"""Neural networks are function approximation: e^x on an interval four ways.

1. **Polynomial** of degree n by linear least squares (Chebyshev basis) -- the exact minimiser.
2. **The nonlinear form** ``1 + a1 tanh(a2 x) / (a3 x - tanh(a4 x))`` (four parameters) trained
   with the library's BFGS from several starts. Numerator and denominator are odd, so the
   fraction is even: on a symmetric interval it cannot represent ``sinh``; on ``[0, 1]`` it fits
   to about 3e-3. The variant ``1 + a1 tanh(a2 x) / (a3 - tanh(a4 x))`` is exact at
   ``a = (2, 1/2, 1, 1/2)`` (``e^x = (1 + tanh(x/2)) / (1 - tanh(x/2))``): training finds it.
3. **Chebyshev Funs**: ``nm.Fun(np.exp, nm.Chebyshev(a, b))`` (adaptive, to machine precision)
   and the degree-n interpolant at Chebyshev points (``n=``).
4. **A small network** ``Chain(Dense(1, w, tanh), Dense(w, 1))`` trained with Adam then BFGS.

Training data: ``m`` Chebyshev points of the first kind (they avoid the endpoints, so the
forms' removable 0/0 at x = 0 is never evaluated). Errors: max |approximation - e^x| on a fine
grid inside the interval.

Run: ``python examples/function_approximation.py [--quick]``
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

import numeric as nm
from solvers.nn import Chain, Dense
from solvers.optimize import adam, bfgs

__all__ = ["INTERVAL", "chebyshev_points", "fit_polynomial", "tanh_form", "tanh_form_shifted",
           "fit_form", "fit_network", "fun_approximations", "Approximant", "approximate_all",
           "error_grid", "main"]

INTERVAL = (0.0, 1.0)


def chebyshev_points(m: int, interval: tuple = INTERVAL) -> np.ndarray:
    """``m`` Chebyshev points of the first kind mapped to *interval* (endpoints excluded)."""
    lo, hi = interval
    return lo + (hi - lo) * (1 + np.cos(np.pi * (np.arange(m)[::-1] + 0.5) / m)) / 2


def error_grid(interval: tuple = INTERVAL, n: int = 1001) -> np.ndarray:
    """A fine grid strictly inside *interval* for measuring errors."""
    lo, hi = interval
    return np.linspace(lo, hi, n + 2)[1:-1]


def fit_polynomial(degree: int, x: np.ndarray, y: np.ndarray, interval: tuple = INTERVAL
                   ) -> Callable:
    """The least-squares polynomial of *degree* (Chebyshev basis on *interval*).

    Examples
    --------
    >>> x = chebyshev_points(20); p = fit_polynomial(3, x, np.exp(x))
    >>> bool(abs(p(0.5) - np.exp(0.5)) < 1e-3)
    True
    """
    return np.polynomial.Chebyshev.fit(x, y, degree, domain=list(interval))


def tanh_form(x: Any, a: Any) -> Any:
    """``1 + a1 tanh(a2 x) / (a3 x - tanh(a4 x))`` (an even function of x plus one)."""
    return 1 + a[0] * nm.tanh(a[1] * x) / (a[2] * x - nm.tanh(a[3] * x))


def tanh_form_shifted(x: Any, a: Any) -> Any:
    """``1 + a1 tanh(a2 x) / (a3 - tanh(a4 x))``: exact for e^x at ``a = (2, 1/2, 1, 1/2)``."""
    return 1 + a[0] * nm.tanh(a[1] * x) / (a[2] - nm.tanh(a[3] * x))


def _mse(model: Callable, x: np.ndarray, y: np.ndarray) -> Callable:
    def loss(a):
        r = model(x, a) - y
        return np.mean(r * r)
    return loss


def fit_form(form: Callable, x: np.ndarray, y: np.ndarray, *, starts: int = 20, seed: int = 0,
             maxiter: int = 500) -> np.ndarray:
    """Four parameters of *form* by BFGS (reverse-mode gradients) from random starts; the best.

    Examples
    --------
    >>> x = chebyshev_points(32)
    >>> a = fit_form(tanh_form_shifted, x, np.exp(x), starts=3)
    >>> bool(np.max(np.abs(tanh_form_shifted(x, a) - np.exp(x))) < 1e-6)
    True
    """
    loss = _mse(form, x, y)
    rng = np.random.default_rng(seed)
    best = None
    # a random start can overflow tanh's derivative (cosh) or divide by a vanishing denominator;
    # such runs end with a non-finite loss and are discarded below, so their warnings are muted
    with np.errstate(all="ignore"):
        for _ in range(starts):
            r = bfgs(loss, rng.normal(0.0, 1.0, 4), maxiter=maxiter, gtol=1e-14, mode="reverse")
            if np.isfinite(r.fun) and (best is None or r.fun < best.fun):
                best = r
    if best is None:
        raise RuntimeError(f"no start of {starts} gave a finite loss for {form.__name__}")
    return best.x


def fit_network(x: np.ndarray, y: np.ndarray, *, width: int = 16, adam_iters: int = 1000,
                bfgs_iters: int = 500, seed: int = 0) -> tuple:
    """``Chain(Dense(1, width, tanh), Dense(width, 1))`` fitted by Adam (lr 0.01) then BFGS.

    Returns ``(predict, theta, loss history)``.
    """
    net = Chain(Dense(1, width, "tanh"), Dense(width, 1))
    xs, ys = x[:, None], y[:, None]
    loss = _mse(lambda xx, th: net(xx, th), xs, ys)
    stage1 = adam(loss, net.init(seed), lr=1e-2, maxiter=adam_iters, mode="reverse")
    stage2 = bfgs(loss, stage1.x, maxiter=bfgs_iters, gtol=1e-12, mode="reverse") \
        if bfgs_iters else stage1
    theta = stage2.x

    def predict(z):
        return np.asarray(net(np.asarray(z, dtype=float)[:, None], theta))[:, 0]
    history = stage1.history + (stage2.history if stage2 is not stage1 else [])
    return predict, theta, history


def fun_approximations(interval: tuple = INTERVAL, n: int = 6) -> tuple:
    """The adaptive Chebyshev Fun of e^x and its degree ``n - 1`` interpolant (``n`` points)."""
    space = nm.Chebyshev(*interval)
    return nm.Fun(np.exp, space), nm.Fun(np.exp, space, n=n)


@dataclass
class Approximant:
    """One approximation of e^x: a name, its parameter count, a callable and its max error."""

    name: str
    nparams: int
    f: Callable
    max_error: float = float("nan")


def approximate_all(interval: tuple = INTERVAL, *, m: int = 64, degree: int = 3,
                    width: int = 16, adam_iters: int = 1000, bfgs_iters: int = 500,
                    starts: int = 20) -> list:
    """Every approximant of the module, fitted on ``m`` Chebyshev points, with its max error.

    Examples
    --------
    >>> out = approximate_all(m=16, adam_iters=5, bfgs_iters=5, starts=2, width=4)
    >>> [a.name for a in out][:2]
    ['polynomial, degree 3', 'polynomial, degree 5']
    """
    x = chebyshev_points(m, interval)
    y = np.exp(x)
    fun, fun_n = fun_approximations(interval, degree + 1)
    a_form = fit_form(tanh_form, x, y, starts=starts)
    a_shift = fit_form(tanh_form_shifted, x, y, starts=starts)
    predict, theta, _ = fit_network(x, y, width=width, adam_iters=adam_iters,
                                    bfgs_iters=bfgs_iters)
    out = [Approximant(f"polynomial, degree {degree}", degree + 1,
                       fit_polynomial(degree, x, y, interval)),
           Approximant("polynomial, degree 5", 6, fit_polynomial(5, x, y, interval)),
           Approximant("1 + a1 tanh(a2 x)/(a3 x - tanh(a4 x))", 4, lambda z: tanh_form(z, a_form)),
           Approximant("1 + a1 tanh(a2 x)/(a3 - tanh(a4 x))", 4,
                       lambda z: tanh_form_shifted(z, a_shift)),
           Approximant(f"Chebyshev Fun, n = {degree + 1}", degree + 1, fun_n),
           Approximant("Chebyshev Fun, adaptive", len(fun), fun),
           Approximant(f"network 1-{width}-1 (tanh)", theta.size, predict)]
    grid = error_grid(interval)
    exact = np.exp(grid)
    for a in out:
        a.max_error = float(np.max(np.abs(np.asarray(a.f(grid), dtype=float) - exact)))
    return out


def main(argv: list[str] | None = None) -> list:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="few iterations and starts")
    args = ap.parse_args(argv)
    opts = dict(adam_iters=50, bfgs_iters=20, starts=3) if args.quick else {}
    out = approximate_all(**opts)
    for a in out:
        print(f"{a.name:42s} {a.nparams:4d} parameters   max error {a.max_error:.2e}")
    return out


if __name__ == "__main__":
    main()
