"""Rejection sampling with memory (RSwM): the Brownian path an adaptive SDE solve walks along.

An adaptive step from ``t`` tries the increments ``(W, H)`` over ``[t, t + h]``
(``W`` the Brownian increment, ``H`` the space-time Lévy area, as in
:mod:`solvers.sde.brownian`). When the step is rejected, those increments are
*not* thrown away -- drawing new ones would bias the path towards the
increments that pass the error test (Rackauckas & Nie, "Adaptive methods for
stochastic differential equations via natural embeddings and rejection
sampling with memory", Discrete Contin. Dyn. Syst. B 22 (2017) 2731). They go
back on a stack of future pieces; the next, shorter try takes the first part
of that piece, sampled conditionally on the whole (a Brownian bridge for
``W``, extended to ``H``), and the rest stays on the stack. Every piece ever
handed out is therefore a piece of one Brownian motion, whatever the step
sizes chosen.

The bridge of ``(W, H)`` over a split at fraction ``q``: with independent
``X = (W1, W2, H1, H2)`` of variances ``d (q, 1-q, q/12, (1-q)/12)``,

    W = W1 + W2,   H = q H1 + (1-q) H2 + (1-q) W1 / 2 - q W2 / 2

(integrate ``W(u) - W(t)`` over the two parts), so ``X | (W, H)`` is Gaussian
with mean ``K (W, H)`` and covariance ``d C`` computed below from these two
lines (the case ``q = 1/2`` is :class:`~solvers.sde.brownian.BrownianPath`'s
refinement). :func:`join` is the same two lines read forwards.

Examples
--------
>>> import numpy as np
>>> mem = BrownianMemory(shape=(4,), seed=1)
>>> w, a = mem.take(0.5)
>>> mem.reject(0.5, w, a)              # step rejected: keep the piece
>>> w1, a1 = mem.take(0.2)             # first 0.2 of it, by the bridge
>>> w2, a2 = mem.take(0.3)             # the remaining 0.3, from the stack
>>> bool(np.allclose(join(0.2, w1, a1, 0.3, w2, a2)[0], w))
True
"""

from __future__ import annotations

from collections import deque
from functools import lru_cache
from typing import Any

import numpy as np

from solvers.ssa.streams import as_generator

__all__ = ["BrownianMemory", "join", "split_coefficients"]

_REL = 1e-12  # pieces within this relative length of the request are taken whole


@lru_cache(maxsize=256)
def split_coefficients(q: float) -> tuple[np.ndarray, np.ndarray]:
    """Gain ``K`` (4x2) and factor ``L`` (4x2) of ``(W1, W2, H1, H2) | (W, H)`` for a unit piece split at *q*."""
    sigma_x = np.diag([q, 1 - q, q / 12, (1 - q) / 12])
    a = np.array([[1.0, 1.0, 0.0, 0.0], [(1 - q) / 2, -q / 2, q, 1 - q]])
    gain = sigma_x @ a.T @ np.linalg.inv(a @ sigma_x @ a.T)
    cond = sigma_x - gain @ a @ sigma_x
    vals, vecs = np.linalg.eigh((cond + cond.T) / 2)
    keep = vals > 1e-14 * max(1.0, float(vals.max()))
    return gain, vecs[:, keep] * np.sqrt(vals[keep])


def join(d1: float, w1: Any, a1: Any, d2: float, w2: Any, a2: Any) -> tuple:
    """``(W, H)`` of two adjacent pieces of lengths *d1*, *d2* (exact).

    Examples
    --------
    >>> join(1.0, 1.0, 0.0, 1.0, 1.0, 0.0)      # a straight line has no area
    (2.0, 0.0)
    """
    q = d1 / (d1 + d2)
    return w1 + w2, q * a1 + (1 - q) * a2 + (1 - q) / 2 * w1 - q / 2 * w2


class BrownianMemory:
    """Brownian increments handed out piece by piece, with rejected pieces remembered.

    Parameters
    ----------
    shape : tuple
        Shape of one increment (the noise shape, batch axis included).
    seed : int, SeedSequence, Generator or None
    dtype : numpy dtype, optional
        float32 noise for float32 states (default float64).
    """

    def __init__(self, shape: tuple = (), seed: Any = None, dtype: Any = None) -> None:
        self.shape = tuple(shape)
        self.rng = as_generator(seed)
        self.dtype = dtype
        self.stack: deque = deque()           # future pieces (length, W, H), nearest first
        self.W = np.zeros(self.shape)         # W(t) - W(t0) at the accepted time

    def _fresh(self, d: float) -> tuple:
        w = self.rng.standard_normal(self.shape) * np.sqrt(d)
        a = self.rng.standard_normal(self.shape) * np.sqrt(d / 12)
        return w, a

    def _split(self, d: float, w: Any, a: Any, q: float) -> tuple:
        gain, factor = split_coefficients(float(q))
        y = np.stack([np.asarray(w), np.asarray(a)])
        z = self.rng.standard_normal((factor.shape[1],) + self.shape)
        x = np.tensordot(gain, y, axes=1) + np.sqrt(d) * np.tensordot(factor, z, axes=1)
        return (x[0], x[2]), (x[1], x[3])

    def take(self, h: float) -> tuple:
        """``(W, H)`` over the next *h* of time (from the stack first, fresh beyond it)."""
        got, remaining = None, float(h)
        while remaining > 0:
            if self.stack:
                d, w, a = self.stack.popleft()
                if d > remaining * (1 + _REL):
                    first, rest = self._split(d, w, a, remaining / d)
                    self.stack.appendleft((d - remaining, *rest))
                    d, (w, a) = remaining, first
            else:
                d, (w, a) = remaining, self._fresh(remaining)
            got = (d, w, a) if got is None else (got[0] + d, *join(got[0], got[1], got[2], d, w, a))
            remaining -= d
            if remaining <= float(h) * _REL:
                break
        w, a = got[1], got[2]
        if self.dtype is not None:
            w, a = np.asarray(w).astype(self.dtype), np.asarray(a).astype(self.dtype)
        return w, a

    def reject(self, h: float, w: Any, a: Any) -> None:
        """Put the piece of a rejected step back in front of the stack."""
        self.stack.appendleft((float(h), np.asarray(w, dtype=float), np.asarray(a, dtype=float)))

    def accept(self, w: Any) -> None:
        """Record an accepted increment (``self.W`` follows the path)."""
        self.W = self.W + np.asarray(w, dtype=float)
