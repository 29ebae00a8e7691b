"""Rößler's SRI methods for diagonal Itô noise: strong order 3/2, with an embedded error estimate.

The scheme (A. Rößler, "Runge–Kutta methods for the strong approximation of
solutions of stochastic differential equations", SIAM J. Numer. Anal. 48
(2010) 922, eq. (5.1) with diagonal noise):

.. math::

    H^{(0)}_i &= u + \\sum_j A^{(0)}_{ij} f(H^{(0)}_j) h + \\sum_j B^{(0)}_{ij} g(H^{(1)}_j) \\frac{I_{(1,0)}}{h} \\\\
    H^{(1)}_i &= u + \\sum_j A^{(1)}_{ij} f(H^{(0)}_j) h + \\sum_j B^{(1)}_{ij} g(H^{(1)}_j) \\sqrt{h} \\\\
    u_{n+1} &= u + h \\sum_i \\alpha_i f(H^{(0)}_i)
       + \\sum_i \\Big(\\beta^{(1)}_i I_{(1)} + \\beta^{(2)}_i \\frac{I_{(1,1)}}{\\sqrt h}
       + \\beta^{(3)}_i \\frac{I_{(1,0)}}{h} + \\beta^{(4)}_i \\frac{I_{(1,1,1)}}{h}\\Big) g(H^{(1)}_i)

with ``f`` at ``t + c0_i h`` and ``g`` at ``t + c1_i h``, and the iterated
integrals ``I_(1) = dW``, ``I_(1,1) = (dW^2 - h)/2``, ``I_(1,1,1) = (dW^3 -
3 h dW)/6`` and ``I_(1,0) = h (H + dW/2)`` from the space-time Lévy area
``H`` (:mod:`solvers.sde.brownian`).

The error estimate for adaptive steps follows Rackauckas & Nie (2017,
Discrete Contin. Dyn. Syst. B 22, 2731, section 3): ``E = delta E_D + E_N``
with ``E_N`` the ``beta3``/``beta4`` part of the step (the terms that lift
the method from order 1 to 3/2) and the drift part taken here as
``E_D = h (f(H0_2) - f(H0_1))``, the difference of the two drift stages;
``delta = 1/6`` by default.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from fractions import Fraction as Fr

__all__ = ["SRIW1", "SRI", "SRIW1_TABLEAU"]

_0, _1 = Fr(0), Fr(1)


def _tab(rows):
    return tuple(tuple(Fr(x) for x in row) for row in rows)


@dataclass(frozen=True)
class SRI:
    """A Rößler SRI tableau (data) and its step; see the module doc.

    Examples
    --------
    >>> import numpy as np
    >>> from solvers.sde import SDEProblem
    >>> prob = SDEProblem(lambda u, p, t: u, lambda u, p, t: 0.5 * u, 1.0, (0.0, 1.0))
    >>> u, err = SRIW1().step_error(prob, 1.0, 0.0, 0.01, 0.1, 0.0, False)
    >>> bool(abs(u - np.exp(0.875 * 0.01 + 0.5 * 0.1)) < 1e-4)   # the exact GBM step
    True
    """

    c0: tuple
    c1: tuple
    a0: tuple
    a1: tuple
    b0: tuple
    b1: tuple
    alpha: tuple
    beta1: tuple
    beta2: tuple
    beta3: tuple
    beta4: tuple
    delta: float = 1 / 6
    name: str = "SRI"
    strong_order = 1.5
    weak_order = 2.0
    needs_area = True
    interpretation = "ito"
    adaptive = True

    def step(self, prob, u, t, h, dw, area, general):
        return self.step_error(prob, u, t, h, dw, area, general)[0]

    def step_error(self, prob, u, t, h, dw, area, general):
        """One step and its error estimate ``delta E_D + E_N`` (arrays of the state's kind)."""
        if general:
            raise ValueError(f"{self.name} is for diagonal noise (g of the state's shape); for "
                             "general (matrix) noise use EulerMaruyama() or Milstein() "
                             "(commuting noise), or SRA1() when the noise is additive")
        p, f, g = prob.p, prob.f, prob.g
        sq = math.sqrt(h)
        chi1 = (dw * dw - h) / (2 * sq)             # I_(1,1) / sqrt(h)
        chi2 = area + 0.5 * dw                      # I_(1,0) / h
        chi3 = (dw * dw * dw - 3 * h * dw) / (6 * h)  # I_(1,1,1) / h
        fs, gs = [], []
        for i in range(len(self.alpha)):
            h0, h1 = u, u
            for j in range(i):
                h0 = _add(_add(h0, self.a0[i][j] * h, fs[j]), self.b0[i][j], gs[j] * chi2)
                h1 = _add(_add(h1, self.a1[i][j] * h, fs[j]), self.b1[i][j] * sq, gs[j])
            fs.append(f(h0, p, t + float(self.c0[i]) * h))
            gs.append(g(h1, p, t + float(self.c1[i]) * h))
        out, e_n = u, 0 * u
        for i in range(len(self.alpha)):
            out = _add(out, self.alpha[i] * h, fs[i])
            weight = float(self.beta1[i]) * dw + float(self.beta2[i]) * chi1
            out = out + weight * gs[i]
            e_n = e_n + (float(self.beta3[i]) * chi2 + float(self.beta4[i]) * chi3) * gs[i]
        e_d = (fs[1] - fs[0]) * h
        return out + e_n, e_d * self.delta + e_n


def _add(x, c, y):
    """``x + c y`` skipping zero coefficients (*c* a Fraction times a float, or a float)."""
    return x + float(c) * y if c else x


# Rößler (2010), table 5.2 (SRI1W1; "SRIW1" in Rackauckas & Nie 2017 and StochasticDiffEq.jl)
SRIW1_TABLEAU = SRI(
    c0=(_0, Fr(3, 4), _0, _0),
    c1=(_0, Fr(1, 4), _1, Fr(1, 4)),
    a0=_tab([[0, 0, 0, 0], [Fr(3, 4), 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]]),
    a1=_tab([[0, 0, 0, 0], [Fr(1, 4), 0, 0, 0], [1, 0, 0, 0], [0, 0, Fr(1, 4), 0]]),
    b0=_tab([[0, 0, 0, 0], [Fr(3, 2), 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]]),
    b1=_tab([[0, 0, 0, 0], [Fr(1, 2), 0, 0, 0], [-1, 0, 0, 0], [-5, 3, Fr(1, 2), 0]]),
    alpha=(Fr(1, 3), Fr(2, 3), _0, _0),
    beta1=(Fr(-1), Fr(4, 3), Fr(2, 3), _0),
    beta2=(Fr(-1), Fr(4, 3), Fr(-1, 3), _0),
    beta3=(Fr(2), Fr(-4, 3), Fr(-2, 3), _0),
    beta4=(Fr(-2), Fr(5, 3), Fr(-2, 3), _1),
    name="SRIW1",
)


def SRIW1(delta: float = 1 / 6) -> SRI:  # noqa: N802 (a method name, like the other classes)
    """Rößler's SRIW1 (strong order 3/2, diagonal Itô noise); *delta* weighs the drift error.

    Examples
    --------
    >>> SRIW1().name, SRIW1().strong_order
    ('SRIW1', 1.5)
    """
    return replace(SRIW1_TABLEAU, delta=float(delta))
