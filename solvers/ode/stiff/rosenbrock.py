"""Rosenbrock23: the L-stable (2,3) Rosenbrock–Wanner pair of MATLAB's ode23s.

Source: L. F. Shampine and M. W. Reichelt, "The MATLAB ODE Suite",
SIAM J. Sci. Comput. 18 (1997) 1-22, section 3.1 (formulas, error estimate
and dense output). With ``d = 1 / (2 + sqrt 2)``, ``e32 = 6 + sqrt 2`` and
``W = I - h d J`` (``J = df/du``, ``T = df/dt`` at ``(t, u)``)::

    F0 = f(t, u)
    k1 = W \\ (F0 + h d T)
    F1 = f(t + h/2, u + h/2 k1)
    k2 = W \\ (F1 - k1) + k1
    u1 = u + h k2
    F2 = f(t + h, u1)
    k3 = W \\ (F2 - e32 (k2 - F1) - 2 (k1 - F0) + h d T)
    err = h/6 (k1 - 2 k2 + k3)

With a mass matrix ``M`` (``M u' = f``, ``M`` may be singular: index-1 DAEs)
``W = M - h d J`` and ``k1, k2`` are multiplied by ``M`` where they enter the
right-hand sides (Hairer & Wanner, *Solving ODEs II*, section VI.4), as in
OrdinaryDiffEq.jl's Rosenbrock23. ``initialize(t0, u0)`` makes the initial state consistent (solvers/ode/stiff/dae.py).

and the dense output ``u(t + s h) = u + h (s(1-s) k1 + s(s-2d) k2) / (1 - 2d)``.
The propagated solution is second order (L-stable W-method), the error
estimate third order; F2 is f at the new point (FSAL). The coefficients hold
``sqrt 2``, computed once per real type with ``nm.sqrt`` so ``mpf`` runs at
its full precision.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from numeric.backend import matmul
from solvers._nm import is_finite_real, nm
from solvers.ode.stiff.method import StiffMethod, StiffStepper
from solvers.ode.stiff.jacobian import time_derivative
from solvers.ode.stiff.linsolve import iteration_matrix

__all__ = ["Rosenbrock23", "Rosenbrock23Stepper"]


def _coefficients(one: Any) -> tuple:
    s2 = nm.sqrt(2 * one)
    d = one / (2 * one + s2)
    return d, 6 * one + s2


def _times(M: Any, x: Any) -> Any:
    return x if M is None else matmul(M, x)


@dataclass
class Rosenbrock23(StiffMethod):
    """L-stable Rosenbrock method of order 2 (3rd-order error estimate), ode23s.

    Options read from the stepper context: ``jac`` (user Jacobian ``jac(u, p, t)``),
    ``autodiff`` (``"forward"`` or ``"finite"``), ``mass_matrix`` (``M u' = f``; the initial state must satisfy the algebraic equations).

    Examples
    --------
    >>> import numpy as np
    >>> from solvers.ode.stiff import Rosenbrock23
    >>> Rosenbrock23().order
    2
    """

    name: str = field(default="Rosenbrock23", init=False)
    order: int = field(default=2, init=False)
    error_order: int = field(default=3, init=False)

    def make_stepper(self, ctx: Any) -> "Rosenbrock23Stepper":
        self.check_state(ctx.u0)
        return Rosenbrock23Stepper(self, ctx)


class _Segment:
    """Shampine–Reichelt dense output on one step."""

    def __init__(self, t, h, u, k1, k2, d, f):
        self.t, self.h, self.u, self.k1, self.k2, self.d = t, h, u, k1, k2, d
        self._f = f

    def theta(self, t_abs: Any) -> Any:
        return (t_abs - self.t) / self.h

    def __call__(self, s: Any) -> Any:
        c = 1 / (1 - 2 * self.d)
        return self.u + self.k1 * (self.h * s * (1 - s) * c) + self.k2 * (self.h * s * (s - 2 * self.d) * c)

    def derivative(self, s: Any) -> Any:
        c = 1 / (1 - 2 * self.d)
        return self.k1 * ((1 - 2 * s) * c) + self.k2 * ((2 * s - 2 * self.d) * c)


class Rosenbrock23Stepper(StiffStepper):
    """One Rosenbrock23 step at a time (the stepper protocol of solvers/ode/stepper.py)."""

    fsal = True

    def __init__(self, alg: Rosenbrock23, ctx: Any):
        super().__init__(alg, ctx)
        self.d, self.e32 = _coefficients(self.one)

    def step(self, t: Any, u: Any, f0: Any, h: Any) -> tuple:
        f, p, d, e32 = self.f, self.p, self.d, self.e32
        if f0 is None:
            f0 = f(u, p, t)
            self._count("nf")
        J = self.jac(u, p, t)
        self._count("njac")
        T = time_derivative(f, u, p, t)
        self._count("nf")
        hd = h * d
        try:
            W = iteration_matrix(self.M, J, 1, hd, self.stats)
        except np.linalg.LinAlgError:
            return u, float("inf"), None, None
        k1 = W.solve(f0 + T * hd)
        f1 = f(u + k1 * (h / 2), p, t + h / 2)
        M = self.M
        k2 = W.solve(f1 - _times(M, k1)) + k1
        u1 = u + k2 * h
        f2 = f(u1, p, t + h)
        self._count("nf", 2)
        k3 = W.solve(f2 - (_times(M, k2) - f1) * e32 - (_times(M, k1) - f0) * 2 + T * hd)
        err = (k1 - k2 * 2 + k3) * (h / 6)
        E = self.norm(err, u, u1)
        if not is_finite_real(nm.value(E)):
            E = float("inf")  # a non-finite state or estimate: the loop shrinks h
        return u1, E, f2, _Segment(t, h, u, k1, k2, d, f)
