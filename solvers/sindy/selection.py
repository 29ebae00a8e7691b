"""Choosing a sparse structure by refitting each candidate to the data.

A threshold sweep of sparse regression proposes candidate structures (which
library terms each equation keeps, a boolean *support*); the regression's
coefficients fit a derivative estimate (or a network's output), not the data.
The step here, as the universal differential equation pipeline of Rackauckas
et al. (arXiv:2001.04385, §2.1: the identified model's parameters are
re-estimated) and the model selection of Mangan, Kutz, Brunton & Proctor
(Proc. R. Soc. A 473 (2017) 20170009, refit then score by AICc), is:

1. :func:`candidate_supports` -- the distinct supports a threshold sweep visits;
2. :func:`refit_support` -- for one support, minimise a user loss ``rss(C, support)``
   of the coefficient matrix ``C`` (zero off the support) over the coefficients on
   the support, by BFGS with the library's gradients. The loss is typically the
   residual sum of squares of an ODE solve against the data, so the gradient
   goes through ``solve`` (forward mode by default: a candidate has few
   coefficients);
3. :func:`select_by_criterion` -- refit every candidate and pick the smallest
   AICc (or AIC/BIC, :func:`~solvers.sindy.optimizers.criterion_from_rss`) with
   ``n`` the number of data values and ``k`` the size of the support.

Parameters every candidate shares and that are not library coefficients -- the
initial state of a noisy trajectory is the usual one -- are refit too when
``extra0`` is given: the loss is then ``rss(C, support, extra)`` and ``k``
counts them.

Examples
--------
A decay ``x' = -2 x`` observed exactly: the candidates are ``{x}`` and ``{1, x}``;
refitting through the exact solution recovers -2 and AICc prefers one term.

>>> import numpy as np
>>> t = np.linspace(0.0, 1.0, 11); data = np.exp(-2.0 * t)
>>> def rss(c, support):   # c: (1, 2) coefficients of 1, x; exact solution of x' = c0 + c1 x
...     a, b = c[0][0], c[0][1]
...     x = (1.0 + a / b) * np.exp(b * t) - a / b
...     return np.sum((x - data) ** 2)
>>> supports = [np.array([[True, True]]), np.array([[False, True]])]
>>> init = np.array([[0.1, -1.5]])
>>> best = select_by_criterion(rss, supports, init, n=t.size).best
>>> best.support.tolist(), np.round(best.coefficients, 6).tolist()
([[False, True]], [[0.0, -2.0]])
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Sequence

import numpy as np

import numeric as nm
from solvers.optimize import bfgs
from solvers.sindy.optimizers import _check_data, criterion_from_rss, stlsq

__all__ = ["candidate_supports", "refit_support", "select_by_criterion", "Refit", "Selection",
           "place_coefficients"]


def candidate_supports(theta: np.ndarray, targets: np.ndarray, thresholds: Sequence[float], *,
                       optimizer: Callable | None = None) -> list[np.ndarray]:
    """The distinct non-empty supports (n_equations, n_features) of a threshold sweep.

    *optimizer* ``(theta, targets, threshold) -> SparseFit`` (default :func:`stlsq`);
    the supports come in the order of *thresholds*, each once.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.linspace(-1, 1, 50); theta = np.column_stack([np.ones(50), x, x**2])
    >>> [s.astype(int).tolist() for s in candidate_supports(theta, 3 * x + 0.1 * x**2, [0.01, 1.0])]
    [[[0, 1, 1]], [[0, 1, 0]]]
    """
    theta, y = _check_data(theta, targets)
    optimizer = optimizer or stlsq
    seen, out = set(), []
    for threshold in np.atleast_1d(thresholds):
        support = optimizer(theta, y, float(threshold)).coefficients != 0
        key = support.tobytes()
        if support.any() and key not in seen:
            seen.add(key)
            out.append(support)
    return out


def place_coefficients(values: Any, support: np.ndarray) -> np.ndarray:
    """The coefficient matrix with *values* (any number type) on *support*, 0.0 elsewhere.

    Examples
    --------
    >>> import numpy as np
    >>> place_coefficients([2.0, 3.0], np.array([[True, False], [False, True]])).tolist()
    [[2.0, 0.0], [0.0, 3.0]]
    """
    out = np.empty(support.shape, dtype=object)
    out[...] = 0.0
    for (i, j), v in zip(np.argwhere(support), values):
        out[i, j] = v
    return out


@dataclass(frozen=True)
class Refit:
    """One candidate refit: support, coefficients, loss, score and how BFGS ended."""

    support: np.ndarray
    coefficients: np.ndarray
    rss: float
    score: float
    nit: int
    success: bool
    message: str = ""
    extra: np.ndarray | None = None

    @property
    def k(self) -> int:
        """The number of fitted parameters: the support's size plus the extra parameters."""
        return int(np.count_nonzero(self.support)) + (0 if self.extra is None else self.extra.size)


@dataclass(frozen=True)
class Selection:
    """The best refit (smallest score) and every candidate's, in the order given."""

    best: Refit
    candidates: tuple
    criterion: str

    def table(self, names: Sequence[str] | None = None) -> str:
        """One line per candidate: score, loss, k and the kept terms."""
        lines = []
        for c in self.candidates:
            kept = [[(names[j] if names else str(j)) for j in np.flatnonzero(row)]
                    for row in c.support]
            mark = "*" if c is self.best else " "
            lines.append(f"{mark} {self.criterion} {c.score:10.3f}  rss {c.rss:.5g}  k {c.k:2d}  "
                         f"{kept}{'' if c.success else '  (' + c.message + ')'}")
        return "\n".join(lines)


def _loss(rss: Callable, support: np.ndarray, n_extra: int | None) -> Callable:
    """The loss of the free vector (support coefficients, then the extra parameters)."""
    m = int(support.sum())

    def loss(v):
        try:
            c = place_coefficients([v[i] for i in range(m)], support)
            if n_extra is None:
                return rss(c, support)
            return rss(c, support, v[m:])
        except RuntimeError:
            return np.inf
    return loss


def _start(init: Any, support: np.ndarray) -> np.ndarray:
    start = init(support) if callable(init) else init
    start = np.asarray(start, dtype=float)
    if start.shape != support.shape:
        raise ValueError(f"init must give a coefficient matrix of shape {support.shape} (equations "
                         f"x library terms), got shape {start.shape}")
    return start[support]


def refit_support(rss: Callable, support: np.ndarray, init: Any, *, n: int,
                  extra0: Any = None, criterion: str = "aicc", maxiter: int = 200,
                  gtol: float = 1e-8, mode: str = "forward") -> Refit:
    """Minimise ``rss(C, support)`` over the coefficients on *support* (BFGS from *init*).

    Parameters
    ----------
    rss : callable
        ``(C, support) -> residual sum of squares`` for a coefficient matrix ``C`` of
        the support's shape, zero off it (an object array; entries may be any number type, so the
        gradient comes from ``nm.value_and_grad``). It may return ``inf`` (or
        raise ``RuntimeError``, for example a failed solve) where the model is not
        defined; a non-finite start gives ``success=False`` and an infinite score.
    support : bool array (n_equations, n_features)
    init : array (n_equations, n_features) or callable ``support -> array``
        Starting coefficients (read on the support only).
    n : int
        Number of data values behind ``rss`` (for the criterion).
    extra0 : array, optional
        Start of further free parameters (for example an initial state); then the
        loss is called ``rss(C, support, extra)`` and ``k`` counts them too. The
        refit values are ``Refit.extra``.
    criterion : ``"aicc"`` (default), ``"aic"`` or ``"bic"``.
    maxiter, gtol, mode : passed to :func:`solvers.optimize.bfgs`.

    Returns
    -------
    Refit
    """
    support = np.asarray(support, dtype=bool)
    extra = None if extra0 is None else np.atleast_1d(np.asarray(extra0, dtype=float))
    m = int(support.sum())
    x0 = np.concatenate([_start(init, support), [] if extra is None else extra])
    loss = _loss(rss, support, None if extra is None else extra.size)

    def failed(message):
        return Refit(support, place_coefficients(x0[:m], support).astype(float), np.inf, np.inf,
                     0, False, message, extra)

    if not np.isfinite(float(nm.value(loss(x0)))):
        return failed("the loss at the start is not finite")
    try:
        res = bfgs(loss, x0, mode=mode, maxiter=maxiter, gtol=gtol)
    except (RuntimeError, FloatingPointError, ValueError) as err:
        return failed(f"refit failed: {err}")
    value = float(res.fun)
    score = criterion_from_rss(value, n, x0.size, criterion) if np.isfinite(value) else np.inf
    return Refit(support, place_coefficients(res.x[:m], support).astype(float), value, score,
                 res.nit, bool(res.success and np.isfinite(value)), res.message or "",
                 None if extra is None else np.asarray(res.x[m:], dtype=float))


def select_by_criterion(rss: Callable, supports: Sequence[np.ndarray], init: Any, *, n: int,
                        extra0: Any = None, criterion: str = "aicc", maxiter: int = 200,
                        gtol: float = 1e-8, mode: str = "forward") -> Selection:
    """Refit every candidate support to the data (:func:`refit_support`) and keep the best score.

    Raises ``ValueError`` when *supports* is empty or no candidate has a finite score.

    Parameters
    ----------
    rss, init, n, extra0, criterion : as for :func:`refit_support`.
    supports : sequence of ndarray
        The candidate supports (boolean masks of the coefficient array), e.g. from
        :func:`candidate_supports`.
    maxiter, gtol, mode : passed to :func:`solvers.optimize.bfgs` (``mode`` is the AD mode of the
        loss gradient, ``"forward"`` or ``"reverse"``).
    """
    criterion_from_rss(1.0, max(n, 3), 0, criterion)          # validates the name early
    if not len(supports):
        raise ValueError("select_by_criterion: give at least one candidate support")
    fits = tuple(refit_support(rss, s, init, n=n, extra0=extra0, criterion=criterion,
                               maxiter=maxiter, gtol=gtol, mode=mode) for s in supports)
    scores = [f.score for f in fits]
    if not np.isfinite(np.min(scores)):
        raise ValueError("select_by_criterion: no candidate gave a finite loss: "
                         + "; ".join(f.message for f in fits))
    return Selection(fits[int(np.argmin(scores))], fits, criterion)
