"""TRBDF2: the trapezoidal rule followed by BDF2, an L-stable one-step method of order 2.

Sources: R. E. Bank, W. M. Coughran, W. Fichtner, E. H. Grosse, D. J. Rose and R. K. Smith,
"Transient simulation of silicon devices and circuits", IEEE Trans. CAD 4 (1985) 436-451;
M. E. Hosea and L. F. Shampine, "Analysis and implementation of TR-BDF2", Appl. Numer. Math. 20
(1996) 21-37 (the ESDIRK form, the embedded third-order estimate and its ``W^-1`` filter).

With ``gamma = 2 - sqrt 2`` (the intermediate point ``t + gamma h``), ``d = gamma / 2`` and
``w = sqrt 2 / 4`` TR-BDF2 is the 3-stage ESDIRK (explicit first stage, diagonal ``d``)::

    c = (0, gamma, 1),  A = [[0], [d, d], [w, w, d]],  b = (w, w, d)
    b_hat = ((1 - w) / 3, (3 w + 1) / 3, d / 3),  btilde = ((1 - sqrt 2) / 3, 1 / 3, (sqrt 2 - 2) / 3)

It runs on the ESDIRK stepper of :mod:`solvers.ode.stiff.sdirk` (stage Newton with the shared
iteration, Jacobian and LU reuse, mass matrices, Hermite dense output). ``sqrt 2`` is computed
once per real type with ``nm.sqrt`` so an ``mpf`` state runs at its working precision.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from solvers._nm import nm
from solvers.ode.stiff.sdirk import ESDIRKMethod

__all__ = ["TRBDF2", "trbdf2_coefficients"]


def trbdf2_coefficients(one: Any) -> dict:
    """``gamma`` (the diagonal ``d``), stage rows ``A``, nodes ``c`` and ``btilde`` in the real type of *one*."""
    s2 = nm.sqrt(2 * one)
    g = 2 - s2
    d, w = g / 2, s2 / 4
    return {"gamma": d, "A": [[], [d], [w, w]], "c": [one * 0, g, one],
            "btilde": [(1 - s2) / 3, one / 3, (s2 - 2) / 3]}


@dataclass
class TRBDF2(ESDIRKMethod):
    """TR-BDF2 (order 2, embedded order 3, L-stable; Hosea–Shampine's error estimate).

    Examples
    --------
    >>> import numpy as np
    >>> from solvers import ODEProblem, solve
    >>> sol = solve(ODEProblem(lambda u, p, t: -50 * (u - np.cos(t)), np.array([0.0]), (0.0, 1.0)),
    ...             TRBDF2(), rtol=1e-8, atol=1e-10)
    >>> exact = 2500 / 2501 * (np.cos(1) + np.sin(1) / 50 - np.exp(-50))
    >>> bool(abs(sol.u[-1][0] - exact) < 1e-6)
    True
    """

    name: str = field(default="TRBDF2", init=False)
    order: int = field(default=2, init=False)
    error_order: int = field(default=2, init=False)

    def coefficients(self, one: Any) -> dict:
        return trbdf2_coefficients(one)
