"""Rodas4: the stiffly accurate, L-stable 6-stage Rosenbrock method of order 4(3).

Source: E. Hairer and G. Wanner, *Solving Ordinary Differential Equations II*,
2nd ed., section IV.7 and their code ``rodas.f`` (coefficient set 1, with
the dense output of section IV.7); the decimal coefficients are copied from
OrdinaryDiffEq.jl's ``Rodas4Tableau`` (src/tableaus/rosenbrock_tableaus.jl),
which uses the same "W-transformed" form: with ``W = M / (gamma h) - J`` and
``T = df/dt``::

    k_i = W \\ ( f(t + c_i h, u + sum_j a_ij k_j) + d_i h T + M sum_j (C_ij / h) k_j )
    u_new = u + sum_j a_6j k_j + k_5 + k_6   (stiffly accurate: stages 5, 6 end at t + h)
    err = k_6
    u(t + s h) = (1 - s) u + s (u_new + (1 - s) (K1 + s K2)),  K_r = sum_j h_rj k_j

The coefficients are 16-digit decimals (read exactly as fractions): an ``mpf``
solve with Rodas4 is therefore accurate only to about 1e-16 relative per step,
not to the working precision; use Rosenbrock23 (exact coefficients) for that.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np

from numeric.backend import matmul
from solvers._nm import is_finite_real, nm
from solvers.ode.stiff.method import StiffMethod, StiffStepper
from solvers.ode.stiff.jacobian import time_derivative
from solvers.ode.stiff.linsolve import iteration_matrix

__all__ = ["Rodas4", "RosenbrockTableau", "RosenbrockSegment", "RODAS4"]


@dataclass(frozen=True)
class RosenbrockTableau:
    """A Rosenbrock method in W-transformed form, coefficients as exact fractions."""

    name: str
    gamma: Fraction
    a: tuple  # a[i] = row of stage i (i >= 1), entries for j < i
    C: tuple  # C[i] = row of stage i (i >= 1)
    c: tuple  # nodes c_0 .. c_{s-1}
    d: tuple  # d_0 .. d_{s-1}
    H: tuple  # dense-output rows
    order: int


def _fr(*xs: str) -> tuple:
    return tuple(Fraction(x) for x in xs)


RODAS4 = RosenbrockTableau(
    name="Rodas4",
    gamma=Fraction(1, 4),
    a=((), _fr("1.544"), _fr("0.9466785280815826", "0.2557011698983284"),
       _fr("3.314825187068521", "2.896124015972201", "0.9986419139977817"),
       _fr("1.221224509226641", "6.019134481288629", "12.53708332932087", "-0.6878860361058950"),
       _fr("1.221224509226641", "6.019134481288629", "12.53708332932087", "-0.6878860361058950", "1")),
    C=((), _fr("-5.6688"), _fr("-2.430093356833875", "-0.2063599157091915"),
       _fr("-0.1073529058151375", "-9.594562251023355", "-20.47028614809616"),
       _fr("7.496443313967647", "-10.24680431464352", "-33.99990352819905", "11.70890893206160"),
       _fr("8.083246795921522", "-7.981132988064893", "-31.52159432874371", "16.31930543123136",
           "-6.058818238834054")),
    c=_fr("0", "0.386", "0.21", "0.63", "1", "1"),
    d=_fr("0.25", "-0.1043", "0.1035", "-0.03620000000000023", "0", "0"),
    H=(_fr("10.12623508344586", "-7.487995877610167", "-34.80091861555747", "-7.992771707568823",
           "1.025137723295662"),
       _fr("-0.6762803392801253", "6.087714651680015", "16.43084320892478", "24.76722511418386",
           "-6.594389125716872")),
    order=4,
)  # fmt: skip


def _conv(one: Any):
    if isinstance(one, float):
        return float
    return lambda q: (one * q.numerator) / (one * q.denominator)


@dataclass
class Rodas4(StiffMethod):
    """Hairer–Wanner's Rodas4 (L-stable, stiffly accurate, order 4, 3rd-order dense output).

    Examples
    --------
    >>> from solvers.ode.stiff import Rodas4
    >>> Rodas4().order
    4
    """

    name: str = field(default="Rodas4", init=False)
    order: int = field(default=4, init=False)
    error_order: int = field(default=4, init=False)
    exact_jacobian: bool = field(default=True, init=False)
    tableau = RODAS4

    def make_stepper(self, ctx: Any) -> "RosenbrockStepper":
        self.check_state(ctx.u0)
        return RosenbrockStepper(self, ctx)


class RosenbrockSegment:
    """``u(t + s h) = (1 - s) u + s (u1 + (1 - s) (K1 + s (K2 + s (K3 + ...))))`` (Hairer–Wanner's
    Rodas dense output; Rodas5/Rodas5P carry three ``K``)."""

    def __init__(self, t, h, u, u1, *K):
        self.t, self.h, self.u, self.u1, self.K = t, h, u, u1, K

    def theta(self, t_abs: Any) -> Any:
        return (t_abs - self.t) / self.h

    def _poly(self, s: Any) -> tuple:
        """``P(s) = K1 + s (K2 + ...)`` and ``P'(s)`` by Horner's rule."""
        P, dP = self.K[-1], self.K[-1] * 0
        for Kr in reversed(self.K[:-1]):
            dP = dP * s + P
            P = P * s + Kr
        return P, dP

    def __call__(self, s: Any) -> Any:
        P, _ = self._poly(s)
        return self.u * (1 - s) + (self.u1 + P * (1 - s)) * s

    def derivative(self, s: Any) -> Any:
        # d/ds of the interpolant, divided by h
        P, dP = self._poly(s)
        ds = self.u1 - self.u + P * (1 - 2 * s) + dP * (s - s * s)
        return ds / self.h


class RosenbrockStepper(StiffStepper):
    """Stepper for a W-transformed Rosenbrock tableau (stepper protocol)."""

    fsal = False

    def __init__(self, alg: Any, ctx: Any):
        super().__init__(alg, ctx)
        one = self.one
        cv = _conv(one * 1.0 if isinstance(one, int) else one)
        tab = alg.tableau
        self.gamma = cv(tab.gamma)
        self.a = [[cv(q) for q in row] for row in tab.a]
        self.C = [[cv(q) for q in row] for row in tab.C]
        self.c = [cv(q) for q in tab.c]
        self.d = [cv(q) for q in tab.d]
        self.H = [[cv(q) for q in row] for row in tab.H]

    def step(self, t: Any, u: Any, f0: Any, h: Any) -> tuple:
        f, p, M = self.f, self.p, self.M
        J = self.jac(u, p, t)
        T = time_derivative(f, u, p, t)
        self._count("njac")
        self._count("nf", 1 + (f0 is None) + len(self.c) - 1)
        try:
            W = iteration_matrix(M, J, 1 / (self.gamma * h), 1, self.stats)
        except np.linalg.LinAlgError:
            return u, float("inf"), None, None
        ks: list = []
        for i in range(len(self.c)):
            ui = u
            for j, aij in enumerate(self.a[i]):
                ui = ui + ks[j] * aij
            fi = (f0 if f0 is not None else f(u, p, t)) if i == 0 else f(ui, p, t + self.c[i] * h)
            rhs = fi if self.d[i] == 0 else fi + T * (self.d[i] * h)
            if i > 0:
                acc = ks[0] * (self.C[i][0] / h)
                for j in range(1, i):
                    acc = acc + ks[j] * (self.C[i][j] / h)
                rhs = rhs + (acc if M is None else matmul(M, acc))
            ks.append(W.solve(rhs))
        u1 = u
        for j, aij in enumerate(self.a[-1]):
            u1 = u1 + ks[j] * aij
        u1 = u1 + ks[-1]
        E = self.norm(ks[-1], u, u1)
        if not is_finite_real(nm.value(E)):
            E = float("inf")
        K = [sum((ks[j] * hj for j, hj in enumerate(row[1:], 1)), ks[0] * row[0]) for row in self.H]
        return u1, E, None, RosenbrockSegment(t, h, u, u1, *K)
