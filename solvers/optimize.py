"""Minimisers: gradient descent, Adam, AdamW, BFGS and L-BFGS, with one result type.

Every minimiser takes ``fun(x) -> scalar`` and a start ``x0``; the gradient
comes from the library by default (``jac=None``: ``nm.value_and_grad(fun,
mode=mode)``, one call giving both), or from the user (``jac=callable``, or
``jac=True`` when ``fun`` returns ``(value, gradient)``, scipy's convention).

First-order methods are update rules as data plus a pure step function
(:class:`GradientDescent`, :class:`Adam`, :class:`AdamW`), driven by one loop
(:func:`minimize_first_order`). Adam: Kingma & Ba (2015), Algorithm 1; AdamW:
the decoupled weight decay of Loshchilov & Hutter (2019), Algorithm 2
(``x -= lr * (m_hat / (sqrt(v_hat) + eps) + weight_decay * x)``, PyTorch's
form).

Quasi-Newton methods share one loop too: BFGS keeps the dense inverse Hessian
(Nocedal & Wright, *Numerical Optimization*, 2nd ed., Algorithm 6.1, with the
first-step scaling (6.20)); L-BFGS the last ``m`` pairs and the two-loop
recursion (Algorithm 7.4). Both step with a line search satisfying the strong
Wolfe conditions (Algorithms 3.5 and 3.6 with cubic interpolation, c1 = 1e-4,
c2 = 0.9).

Stopping: ``maxiter``, ``gtol`` (infinity norm of the gradient), ``ftol``
(relative decrease of the loss between iterations), ``patience`` (iterations
without a new best loss), a callback returning True, or a non-finite loss or
gradient (``success=False`` with a message). ``progress=True`` shows a tqdm
bar with the loss.

Examples
--------
>>> import numpy as np
>>> rosen = lambda x: (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2
>>> res = lbfgs(rosen, np.array([-1.2, 1.0]))
>>> res.success, np.round(res.x, 6)
(True, array([1., 1.]))
>>> adam(lambda x: np.sum((x - 3) ** 2), np.zeros(2), lr=0.1, maxiter=500).x.round(3)
array([3., 3.])
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

import numeric as nm
from numeric.backend import copy, float_dtype, is_foreign, namespace, to_host_float

__all__ = ["OptimizeResult", "Iterate", "GradientDescent", "Adam", "AdamW", "adam", "adamw",
           "gradient_descent", "bfgs", "lbfgs", "minimize_first_order", "wolfe_line_search"]


@dataclass
class OptimizeResult:
    """What every minimiser returns; ``x``/``fun`` are the best point seen."""

    x: Any
    fun: Any
    grad: Any
    nit: int
    nfev: int
    success: bool
    message: str
    history: list = field(default_factory=list)


@dataclass(frozen=True)
class Iterate:
    """What a callback sees after each iteration (return True to stop)."""

    nit: int
    x: Any
    fun: Any
    grad: Any


def _objective(fun: Callable, jac: Any, mode: str) -> Callable:
    if not callable(fun):
        raise TypeError(f"fun must be a function of x returning a scalar, got {type(fun).__name__}")
    if jac is None:
        return nm.value_and_grad(fun, mode=mode)
    if jac is True:
        return fun
    if callable(jac):
        return lambda x: (fun(x), jac(x))
    raise TypeError("jac must be None (gradients by metanum), True (fun returns (value, gradient)) "
                    f"or a function of x, got {jac!r}")


def _float_array(x: Any, copy: bool = False) -> Any:
    """*x* as a float array of its own namespace (a device array stays there), copied on request."""
    if is_foreign(x):
        return namespace(x).asarray(x, dtype=float_dtype(x), copy=copy or None)
    return np.array(x, dtype=float) if copy else np.asarray(x, dtype=float)


def _max_abs(g: Any) -> float:
    """``max |g|`` as a host float (nan when an entry is nan): one transfer for a device *g*."""
    if is_foreign(g):
        xp = namespace(g)
        return to_host_float(xp.max(xp.abs(g))) if g.size else 0.0
    a = np.abs(np.asarray(g, dtype=float))
    return float(np.max(a)) if a.size else 0.0


class _Monitor:
    """The shared bookkeeping: history, best point, stopping tests, callback, progress bar."""

    def __init__(self, maxiter, gtol, ftol, patience, callback, progress, name):
        self.maxiter, self.gtol, self.ftol, self.patience = maxiter, gtol, ftol, patience
        self.callback, self.history, self.nfev = callback, [], 0
        self.best = (np.inf, None, None)
        self.since_best = 0
        self.bar = _progress_bar(maxiter, name) if progress else None

    def record(self, k: int, x, f, g) -> str | None:
        """Record iteration *k* at (x, f, g); a message when the run must stop."""
        fv = float(nm.value(f))
        self.history.append(fv)
        if self.bar is not None:
            self.bar.update(1)
            self.bar.set_postfix(loss=f"{fv:.4g}")
        gmax = _max_abs(nm.value(g))    # nan or inf when an entry is: one host read per iteration
        if not (np.isfinite(fv) and np.isfinite(gmax)):
            return "the loss or its gradient is not finite"
        prev = self.history[-2] if len(self.history) > 1 else None
        if fv < self.best[0]:
            self.best, self.since_best = (fv, copy(x), g), 0
        else:
            self.since_best += 1
        if self.callback is not None and self.callback(Iterate(k, x, f, g)):
            return "stopped by the callback"
        if self.gtol is not None and gmax <= self.gtol:
            return f"converged: gradient norm <= gtol = {self.gtol}"
        if self.ftol is not None and prev is not None and \
                abs(prev - fv) <= self.ftol * max(abs(prev), abs(fv), 1e-300):
            return f"converged: relative change of the loss <= ftol = {self.ftol}"
        if self.patience is not None and self.since_best >= self.patience:
            return f"stopped early: no new best loss in {self.patience} iterations (patience)"
        return None

    def result(self, message: str | None, nit: int) -> OptimizeResult:
        if self.bar is not None:
            self.bar.close()
        fbest, xbest, gbest = self.best
        failed = message is not None and "not finite" in message
        if message is None:
            message = f"reached maxiter = {self.maxiter}"
        ok = not failed and (message.startswith(("converged", "stopped")) or "maxiter" in message)
        return OptimizeResult(xbest, fbest, gbest, nit, self.nfev, ok, message, self.history)


def _progress_bar(total: int, name: str):
    try:
        from tqdm.auto import tqdm
    except ImportError as e:  # pragma: no cover - tqdm is in the test dependencies
        raise ImportError("progress=True needs tqdm: pip install tqdm (or metanum[ensemble])") from e
    return tqdm(total=total, desc=name)


# -- first-order methods: an update rule is data plus a pure step -----------------------------


@dataclass(frozen=True)
class GradientDescent:
    """``x -= lr * g`` (with optional heavy-ball ``momentum``)."""

    lr: float = 1e-2
    momentum: float = 0.0

    def init(self, x):
        return namespace(x).zeros_like(x)

    def step(self, x, g, state, k):
        v = self.momentum * state + g
        return x - self.lr * v, v


@dataclass(frozen=True)
class Adam:
    """Adam (Kingma & Ba 2015, Algorithm 1); ``weight_decay`` decoupled as AdamW."""

    lr: float = 1e-3
    beta1: float = 0.9
    beta2: float = 0.999
    eps: float = 1e-8
    weight_decay: float = 0.0

    def init(self, x):
        xp = namespace(x)
        return xp.zeros_like(x), xp.zeros_like(x)

    def step(self, x, g, state, k):
        m, v = state
        m = self.beta1 * m + (1 - self.beta1) * g
        v = self.beta2 * v + (1 - self.beta2) * (g * g)
        mhat = m / (1 - self.beta1 ** (k + 1))
        vhat = v / (1 - self.beta2 ** (k + 1))
        return x - self.lr * (mhat / (namespace(vhat).sqrt(vhat) + self.eps) + self.weight_decay * x), (m, v)


def AdamW(lr: float = 1e-3, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8,
          weight_decay: float = 1e-2) -> Adam:
    """Adam with decoupled weight decay (Loshchilov & Hutter 2019; PyTorch's default 1e-2)."""
    return Adam(lr, beta1, beta2, eps, weight_decay)


def minimize_first_order(rule: Any, fun: Callable, x0: Any, *, jac: Any = None,
                         mode: str = "auto", maxiter: int = 1000, gtol: float | None = None,
                         ftol: float | None = None, patience: int | None = None,
                         callback: Callable | None = None, progress: bool = False
                         ) -> OptimizeResult:
    """Minimise *fun* from *x0* with an update *rule* (:class:`Adam`, :class:`GradientDescent`).

    Each iteration evaluates the loss and gradient at ``x_k`` and steps to
    ``x_{k+1}``; the result holds the best evaluated point.

    *jac* ``None`` (default) takes the gradient from metanum, ``nm.value_and_grad(fun, mode=mode)``:
    *mode* ``"auto"`` is forward mode for a few variables and reverse mode beyond
    (``numeric.transforms.AUTO_FORWARD_MAX``), ``"forward"``/``"reverse"`` force one. ``jac=True``:
    *fun* returns ``(value, gradient)``; a callable: the gradient function (*mode* is then unused).

    Examples
    --------
    >>> import numpy as np
    >>> r = minimize_first_order(GradientDescent(lr=0.5), lambda x: np.sum(x ** 2), np.ones(2),
    ...                          gtol=1e-8)
    >>> r.success, r.nit, r.message
    (True, 2, 'converged: gradient norm <= gtol = 1e-08')
    """
    vg = _objective(fun, jac, mode)
    mon = _Monitor(maxiter, gtol, ftol, patience, callback, progress, type(rule).__name__)
    x = _float_array(x0, copy=True)
    state = rule.init(x)
    message, k = None, 0
    for k in range(maxiter):
        f, g = vg(x)
        mon.nfev += 1
        message = mon.record(k, x, f, g)
        if message is not None:
            break
        x, state = rule.step(x, _float_array(g), state, k)
    return mon.result(message, k + 1 if maxiter else 0)


def adam(fun: Callable, x0: Any, *, lr: float = 1e-3, beta1: float = 0.9, beta2: float = 0.999,
         eps: float = 1e-8, **options: Any) -> OptimizeResult:
    """Adam; *options* as :func:`minimize_first_order` (jac, mode, maxiter, gtol, ...)."""
    return minimize_first_order(Adam(lr, beta1, beta2, eps), fun, x0, **options)


def adamw(fun: Callable, x0: Any, *, lr: float = 1e-3, weight_decay: float = 1e-2,
          **options: Any) -> OptimizeResult:
    """AdamW (decoupled weight decay); *options* as :func:`minimize_first_order`."""
    return minimize_first_order(AdamW(lr, weight_decay=weight_decay), fun, x0, **options)


def gradient_descent(fun: Callable, x0: Any, *, lr: float = 1e-2, momentum: float = 0.0,
                     **options: Any) -> OptimizeResult:
    """Gradient descent; *options* as :func:`minimize_first_order`."""
    return minimize_first_order(GradientDescent(lr, momentum), fun, x0, **options)


# -- line search and quasi-Newton ---------------------------------------------------------------


def _cubic_min(a, fa, ga, b, fb, gb):
    """Minimiser of the cubic through (a, fa, ga), (b, fb, gb) (N&W (3.59)); bisection if none."""
    d1 = ga + gb - 3 * (fa - fb) / (a - b)
    disc = d1 * d1 - ga * gb
    lo, hi = min(a, b), max(a, b)
    if disc >= 0:
        d2 = np.sign(b - a) * np.sqrt(disc)
        t = b - (b - a) * (gb + d2 - d1) / (gb - ga + 2 * d2)
        if lo + 0.1 * (hi - lo) <= t <= hi - 0.1 * (hi - lo):
            return t
    return 0.5 * (a + b)


def wolfe_line_search(phi: Callable, f0: float, g0: float, alpha: float = 1.0, c1: float = 1e-4,
                      c2: float = 0.9, maxiter: int = 30) -> tuple:
    """A step satisfying the strong Wolfe conditions (N&W Algorithms 3.5 and 3.6).

    ``phi(a) -> (f, dphi, payload)`` evaluates the loss along the search
    direction and its slope. Returns ``(alpha, f, payload, nfev)`` or
    ``(None, ...)`` when no such step was found (``g0 >= 0``: not a descent
    direction, or ``maxiter`` trials).

    Examples
    --------
    >>> phi = lambda a: ((a - 2.0) ** 2, 2 * (a - 2.0), None)
    >>> a, f, _, n = wolfe_line_search(phi, 4.0, -4.0)
    >>> f <= 4.0 - 1e-4 * a * 4.0 and abs(2 * (a - 2.0)) <= 0.9 * 4.0
    True
    """
    if not g0 < 0:
        return None, f0, None, 0
    a_prev, f_prev, g_prev, n = 0.0, f0, g0, 0
    a = alpha
    for i in range(maxiter):
        fa, ga, pay = phi(a)
        n += 1
        if not np.isfinite(fa) or fa > f0 + c1 * a * g0 or (i > 0 and fa >= f_prev):
            return _zoom(phi, f0, g0, a_prev, f_prev, g_prev, a, fa, ga, c1, c2, maxiter, n)
        if abs(ga) <= -c2 * g0:
            return a, fa, pay, n
        if ga >= 0:
            return _zoom(phi, f0, g0, a, fa, ga, a_prev, f_prev, g_prev, c1, c2, maxiter, n)
        a_prev, f_prev, g_prev, a = a, fa, ga, 2.0 * a
    return None, f0, None, n


def _zoom(phi, f0, g0, lo, flo, glo, hi, fhi, ghi, c1, c2, maxiter, n):
    for _ in range(maxiter):
        a = _cubic_min(lo, flo, glo, hi, fhi, ghi) if np.isfinite(fhi) else 0.5 * (lo + hi)
        fa, ga, pay = phi(a)
        n += 1
        if not np.isfinite(fa) or fa > f0 + c1 * a * g0 or fa >= flo:
            hi, fhi, ghi = a, fa, ga
        else:
            if abs(ga) <= -c2 * g0:
                return a, fa, pay, n
            if ga * (hi - lo) >= 0:
                hi, fhi, ghi = lo, flo, glo
            lo, flo, glo = a, fa, ga
        if abs(hi - lo) <= 1e-16 * max(1.0, abs(lo)):
            break
    return None, f0, None, n


class _DenseInverse:
    """BFGS's inverse Hessian approximation H (N&W (6.17))."""

    def __init__(self, n):
        self.H = None
        self.n = n

    def direction(self, g):
        return -g if self.H is None else -(self.H @ g)

    def update(self, s, y):
        sy = s @ y
        if sy <= 1e-12 * np.linalg.norm(s) * np.linalg.norm(y):
            return                                  # curvature condition failed: keep H
        if self.H is None:
            self.H = np.eye(self.n) * (sy / (y @ y))  # (6.20)
        rho = 1.0 / sy
        Hy = self.H @ y
        self.H = self.H - rho * (np.outer(s, Hy) + np.outer(Hy, s)) + \
            (rho * rho * (y @ Hy) + rho) * np.outer(s, s)


class _LimitedInverse:
    """L-BFGS: the last *m* pairs and the two-loop recursion (N&W Algorithm 7.4)."""

    def __init__(self, m):
        self.m, self.pairs = m, []

    def direction(self, g):
        q = g.copy()
        alphas = []
        for s, y, rho in reversed(self.pairs):
            a = rho * (s @ q)
            alphas.append(a)
            q -= a * y
        if self.pairs:
            s, y, _ = self.pairs[-1]
            q *= (s @ y) / (y @ y)
        for (s, y, rho), a in zip(self.pairs, reversed(alphas)):
            q += (a - rho * (y @ q)) * s
        return -q

    def update(self, s, y):
        sy = s @ y
        if sy > 1e-12 * np.linalg.norm(s) * np.linalg.norm(y):
            self.pairs = (self.pairs + [(s, y, 1.0 / sy)])[-self.m:]


def _quasi_newton(inverse, name, fun, x0, jac, mode, maxiter, gtol, ftol, callback, progress):
    if is_foreign(x0):
        raise TypeError(f"{name} runs on the host (its line search reads scalars at every trial step): give a "
                        "NumPy x0 (numeric.backend.to_host) or use adam / gradient_descent, which keep a device x0 there")
    vg = _objective(fun, jac, mode)
    mon = _Monitor(maxiter, gtol, ftol, None, callback, progress, name)
    x = np.array(x0, dtype=float)
    f, g = vg(x)
    f, g = float(nm.value(f)), np.asarray(g, dtype=float)
    mon.nfev += 1
    message = mon.record(0, x, f, g)
    k = 0
    while message is None and k < maxiter:
        k += 1
        p = inverse.direction(g)
        alpha0 = 1.0 if k > 1 else min(1.0, 1.0 / max(np.max(np.abs(g)), 1e-300))

        def phi(a):
            fa, ga = vg(x + a * p)
            ga = np.asarray(ga, dtype=float)
            return float(nm.value(fa)), float(ga @ p), ga

        a, f_new, g_new, n = wolfe_line_search(phi, f, float(g @ p), alpha0)
        mon.nfev += n
        if a is None:
            message = "line search found no step satisfying the Wolfe conditions"
            break
        s = a * p
        inverse.update(s, g_new - g)
        x, f, g = x + s, f_new, g_new
        message = mon.record(k, x, f, g)
    res = mon.result(message, k)
    if message is None or message.startswith("line search"):
        res.success = False          # maxiter or a failed line search: not converged (as scipy)
    return res


def bfgs(fun: Callable, x0: Any, *, jac: Any = None, mode: str = "auto", maxiter: int = 1000,
         gtol: float = 1e-5, ftol: float | None = None, callback: Callable | None = None,
         progress: bool = False) -> OptimizeResult:
    """BFGS with a strong Wolfe line search (N&W Algorithm 6.1).

    *jac* ``None`` (default) takes the gradient from metanum, ``nm.value_and_grad(fun, mode=mode)``:
    *mode* ``"auto"`` is forward mode for a few variables and reverse mode beyond
    (``numeric.transforms.AUTO_FORWARD_MAX``), ``"forward"``/``"reverse"`` force one. ``jac=True``:
    *fun* returns ``(value, gradient)``; a callable: the gradient function (*mode* is then unused).

    Examples
    --------
    >>> import numpy as np
    >>> r = bfgs(lambda x: np.sum((x - 1.0) ** 2) + x[0] * x[1], np.zeros(2))
    >>> r.success, np.round(r.x, 6)
    (True, array([0.666667, 0.666667]))
    """
    return _quasi_newton(_DenseInverse(int(np.size(x0))), "BFGS", fun, x0, jac, mode, maxiter,
                         gtol, ftol, callback, progress)


def lbfgs(fun: Callable, x0: Any, *, m: int = 10, jac: Any = None, mode: str = "auto",
          maxiter: int = 1000, gtol: float = 1e-5, ftol: float | None = None,
          callback: Callable | None = None, progress: bool = False) -> OptimizeResult:
    """L-BFGS keeping *m* pairs, with a strong Wolfe line search (N&W Algorithm 7.5).

    *jac* ``None`` (default) takes the gradient from metanum, ``nm.value_and_grad(fun, mode=mode)``:
    *mode* ``"auto"`` is forward mode for a few variables and reverse mode beyond
    (``numeric.transforms.AUTO_FORWARD_MAX``), ``"forward"``/``"reverse"`` force one. ``jac=True``:
    *fun* returns ``(value, gradient)``; a callable: the gradient function (*mode* is then unused).
    """
    return _quasi_newton(_LimitedInverse(int(m)), "L-BFGS", fun, x0, jac, mode, maxiter, gtol,
                         ftol, callback, progress)
