"""Stratonovich SDEs ``du = f dt + g ∘ dW``: the stochastic Heun method.

:class:`StochasticHeun` is the trapezoidal predictor-corrector

.. math::  \\bar u = u + f(u) h + g(u) \\Delta W, \\qquad
           u_{n+1} = u + \\tfrac12 (f(u) + f(\\bar u)) h + \\tfrac12 (g(u) + g(\\bar u)) \\Delta W ,

which converges to the *Stratonovich* solution: strong order 1 for
commutative noise (diagonal, scalar, or commuting matrix noise), weak order 1
(Kloeden & Platen, *Numerical Solution of SDEs*, 1992, §11.1 and §15.1; Rümelin,
SIAM J. Numer. Anal. 19 (1982) 604). Give the problem as
``SDEProblem(..., interpretation="stratonovich")``; an Itô problem is refused
(its solution differs by the drift correction ``(1/2) g g'``).
"""

from __future__ import annotations

from dataclasses import dataclass

from solvers.sde.algorithms import _noise

__all__ = ["StochasticHeun"]


@dataclass(frozen=True)
class StochasticHeun:
    """Stochastic Heun (Stratonovich): strong order 1 for commutative noise.

    Examples
    --------
    >>> from solvers.sde import SDEProblem, solve
    >>> gbm = SDEProblem(lambda u, p, t: u, lambda u, p, t: 0.5 * u, 1.0, (0.0, 1.0),
    ...                  interpretation="stratonovich")
    >>> sol = solve(gbm, StochasticHeun(), dt=0.01, seed=1)
    >>> sol.retcode
    'Success'
    """

    strong_order = 1.0
    weak_order = 1.0
    needs_area = False
    interpretation = "stratonovich"
    adaptive = False

    def step(self, prob, u, t, h, dw, area, general):
        p, f, g = prob.p, prob.f, prob.g
        f0, g0 = f(u, p, t), g(u, p, t)
        pred = u + f0 * h + _noise(g0, dw, general)
        return u + (f0 + f(pred, p, t + h)) * (h / 2) + _noise(g0 + g(pred, p, t + h), dw, general) * 0.5
