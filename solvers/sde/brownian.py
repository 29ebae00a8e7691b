"""A Brownian path that can be refined: the same path seen at finer and finer steps.

A :class:`BrownianPath` on ``[t0, t1]`` stores, on a uniform grid of ``n``
steps, the Brownian increments ``W_k = W(t_{k+1}) - W(t_k)`` and the
space-time Lévy areas

.. math::  H_k = \\frac{1}{h}\\int_{t_k}^{t_{k+1}}
           \\Big(W(u) - W(t_k) - \\frac{u - t_k}{h} W_k\\Big)\\,du ,

which are independent with ``W_k ~ N(0, h)`` and ``H_k ~ N(0, h/12)``
(Foster, Lyons & Oberhauser, "An optimal polynomial approximation of
Brownian motion", SIAM J. Numer. Anal. 58 (2020) 1393). ``(W, H)`` is what
an order-1.5 method for additive noise needs: the iterated integral
``I_(1,0) = int (W(u) - W(t_k)) du = h (H_k + W_k / 2)``.

Refinement splits every step in two by sampling the halves *conditionally*
on the whole: with ``X = (W1, W2, H1, H2)`` independent Gaussians (variances
``h/2, h/2, h/24, h/24``) the whole-step values are linear in them,
``W = W1 + W2`` and ``H = (H1 + H2)/2 + (W1 - W2)/4`` (integrate the two
halves), so ``X | (W, H)`` is Gaussian with mean ``K (W, H)`` and covariance
``h C``; both ``K`` and ``C`` are computed below from these two lines. A
coarser view sums pairs back with the same two formulas, exactly. Every view
of the path is therefore the same Brownian motion, which is what strong
convergence tests need (the error at step ``h`` against the exact solution
on the same path).

Examples
--------
>>> import numpy as np
>>> path = BrownianPath((0.0, 1.0), shape=(3,), seed=1, n=4)
>>> w8, _ = path.increments(8)          # refine to 8 steps
>>> w4, _ = path.increments(4)          # the original 4 steps, summed back
>>> bool(np.allclose(w8[0::2] + w8[1::2], w4)), w8.shape
(True, (8, 3))
"""

from __future__ import annotations

from typing import Any

import numpy as np

from solvers.ssa.streams import as_generator

__all__ = ["BrownianPath"]


def _split_coefficients() -> tuple[np.ndarray, np.ndarray]:
    """Gain ``K`` (4x2) and factor ``L`` (4x2) of ``X | Y`` for a unit step (see module doc)."""
    sigma_x = np.diag([1 / 2, 1 / 2, 1 / 24, 1 / 24])
    a = np.array([[1.0, 1.0, 0.0, 0.0], [0.25, -0.25, 0.5, 0.5]])
    sigma_y = a @ sigma_x @ a.T                       # = diag(1, 1/12)
    gain = sigma_x @ a.T @ np.linalg.inv(sigma_y)
    cond = sigma_x - gain @ a @ sigma_x
    vals, vecs = np.linalg.eigh((cond + cond.T) / 2)
    keep = vals > 1e-12                               # rank 2: two free directions
    return gain, vecs[:, keep] * np.sqrt(vals[keep])


_GAIN, _FACTOR = _split_coefficients()


class BrownianPath:
    """A refinable Brownian path of any shape on ``tspan``.

    Parameters
    ----------
    tspan : (t0, t1)
    shape : tuple of int
        Shape of one value ``W(t)`` (``(B, m)`` for ``B`` paths of ``m``
        Wiener processes).
    seed : int, SeedSequence, Generator or None
    n : int
        Number of steps of the first grid; views have ``n * 2**j`` steps.

    Examples
    --------
    >>> p = BrownianPath((0.0, 2.0), shape=(), seed=3, n=2)
    >>> float(p.W(2.0)) == float(p.increments(2)[0].sum())
    True
    """

    def __init__(self, tspan: tuple, shape: Any = (), seed: Any = None, n: int = 1):
        self.t0, self.t1 = float(tspan[0]), float(tspan[1])
        if not self.t1 > self.t0:
            raise ValueError(f"BrownianPath needs t1 > t0, got {tspan!r}")
        if int(n) != n or n < 1:
            raise ValueError(f"n must be a positive integer number of steps, got {n!r}")
        self.shape = tuple(int(s) for s in np.atleast_1d(shape)) if shape != () else ()
        self.rng = as_generator(seed)
        self.n = int(n)
        h = (self.t1 - self.t0) / self.n
        self._w = self.rng.standard_normal((self.n,) + self.shape) * np.sqrt(h)
        self._h = self.rng.standard_normal((self.n,) + self.shape) * np.sqrt(h / 12)

    @property
    def steps(self) -> int:
        """Steps of the finest grid known so far."""
        return self._w.shape[0]

    def refine(self) -> None:
        """Halve every step, sampling the halves conditionally on the whole."""
        h = (self.t1 - self.t0) / self.steps
        z = self.rng.standard_normal((2,) + self._w.shape)
        y = np.stack([self._w, self._h])                      # (2, N, *shape)
        x = (np.tensordot(_GAIN, y, axes=1)
             + np.sqrt(h) * np.tensordot(_FACTOR, z, axes=1))  # (4, N, *shape)
        w = np.empty((2 * self.steps,) + self.shape)
        hh = np.empty_like(w)
        w[0::2], w[1::2], hh[0::2], hh[1::2] = x[0], x[1], x[2], x[3]
        self._w, self._h = w, hh

    def increments(self, steps: int) -> tuple[np.ndarray, np.ndarray]:
        """``(W_k, H_k)`` on a uniform grid of *steps* steps, each of shape ``(steps, *shape)``.

        *steps* must be ``n * 2**j`` for an integer ``j`` (negative ``j``
        when ``n`` is even); the path is refined as needed.
        """
        if int(steps) != steps or steps < 1:
            raise ValueError(f"steps must be a positive integer, got {steps!r}")
        steps = int(steps)
        ratio = steps / self.n
        j = np.log2(ratio) if ratio > 0 else -1
        if not float(j).is_integer():
            raise ValueError(f"this BrownianPath has {self.n} base steps; ask for n * 2**j steps "
                             f"(e.g. {self.n}, {2 * self.n}, {4 * self.n}), got {steps}")
        while self.steps < steps:
            self.refine()
        w, h = self._w, self._h
        while w.shape[0] > steps:                    # exact coarse view: sum pairs
            if w.shape[0] % 2:
                raise ValueError(f"cannot view {w.shape[0]} steps as {steps}")
            w1, w2, h1, h2 = w[0::2], w[1::2], h[0::2], h[1::2]
            w, h = w1 + w2, (h1 + h2) / 2 + (w1 - w2) / 4
        return w, h

    def W(self, t: float) -> np.ndarray:
        """``W(t) - W(t0)`` at a time *t* on the finest grid known so far."""
        h = (self.t1 - self.t0) / self.steps
        k = (t - self.t0) / h
        if abs(k - round(k)) > 1e-9 * max(1.0, abs(k)) or not 0 <= round(k) <= self.steps:
            raise ValueError(f"t = {t} is not a point of the current grid (step {h}); refine first")
        return self._w[: int(round(k))].sum(axis=0)
