"""Stability-optimised SRA methods for pathwise stiff additive-noise SDEs: SOSRA and SOSRA2.

Three-stage SRA tableaus (strong order 3/2, weak order 2 for additive noise)
whose free coefficients were chosen by Rackauckas & Nie to enlarge the
stability region, so that adaptive steps on a stiff drift stay far longer
than SRA1's (C. Rackauckas and Q. Nie, "Stability-optimized high order
methods and stiffness detection for pathwise stiff stochastic differential
equations", arXiv:1804.04344, 2018). The coefficients are those of the
paper as tabulated in StochasticDiffEq.jl (``constructSOSRA``,
``constructSOSRA2`` in src/tableaus.jl); tests/test_sde_sra_tableaus.py
checks Rößler's order conditions on them.

Measured here (tests/test_sde_sra_tableaus.py): on u' = z u the drift part is
stable on [-5, 0] against SRA1's [-2, 0], so at a fixed step with h lambda = 4
a stiff Ornstein–Uhlenbeck process stays bounded where SRA1 overflows. With
the adaptive error estimate of this package (the stage-difference estimate of
:class:`~solvers.sde.algorithms.SRA`) the gain does not show as fewer steps:
on that process with lambda = 1e3 at rtol = atol = 1e-2, SRA1 took 481 steps,
SOSRA 724 and SOSRA2 394 (seed 1): the estimate, not
stability, limits the steps there. The paper's own error estimator is not
reproduced.

Examples
--------
>>> import numpy as np
>>> from solvers.sde import SDEProblem, solve
>>> ou = SDEProblem(lambda u, p, t: -1000.0 * (u - 1.0), lambda u, p, t: 0.5 + 0 * u, 0.0, (0.0, 1.0))
>>> sol = solve(ou, SOSRA(), rtol=1e-2, atol=1e-2, seed=1)
>>> sol.retcode, bool(abs(sol.u[-1] - 1.0) < 0.1)
('Success', True)
"""

from __future__ import annotations

from solvers.sde.algorithms import SRA

__all__ = ["SOSRA", "SOSRA2"]


class SOSRA(SRA):
    """Rackauckas & Nie's stability-optimised SRA (three stages)."""

    c0 = (0.0, 0.6923962376159507, 1.0)
    c1 = (0.0, 0.041248171110700504, 1.0)
    a0 = ((0.0, 0.0, 0.0), (0.6923962376159507, 0.0, 0.0),
          (-3.1609142252828395, 4.1609142252828395, 0.0))
    b0 = ((0.0, 0.0, 0.0), (1.3371632704399763, 0.0, 0.0),
          (1.442371048468624, 1.8632741501139225, 0.0))
    alpha = (0.2889874966892885, 0.6859880440839937, 0.025024459226717772)
    beta1 = (-16.792534242221663, 17.514995785380226, 0.27753845684143835)
    beta2 = (0.4237535769069274, 0.6010381474428539, -1.0247917243497813)


class SOSRA2(SRA):
    """Rackauckas & Nie's second stability-optimised SRA (three stages, c0 = c1 = (0, 1, 1))."""

    c0 = (0.0, 1.0, 1.0)
    c1 = (0.0, 1.0, 1.0)
    a0 = ((0.0, 0.0, 0.0), (1.0, 0.0, 0.0), (0.9511849235504364, 0.04881507644956362, 0.0))
    b0 = ((0.0, 0.0, 0.0), (0.7686101171003622, 0.0, 0.0),
          (0.43886792994934987, 0.7490415909204886, 0.0))
    alpha = (0.4999999999999998, -0.9683897375354181, 1.4683897375354185)
    beta1 = (0.0, 0.92438032145683, 0.07561967854316998)
    beta2 = (1.0, -0.8169981105823436, -0.18300188941765633)
