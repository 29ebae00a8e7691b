"""Fully implicit differential-algebraic equations ``F(du, u, p, t) = 0``.

:class:`DAEProblem` (IDA's problem form), :class:`DFBDF` (variable-order BDF, :mod:`solvers.dae.bdf`),
:class:`DRadauIIA5` (the 3-stage Radau IIA collocation method, :mod:`solvers.dae.radau`), consistent
initialisation by Brown-Hindmarsh-Petzold (:mod:`solvers.dae.initialization`). Index-1 systems
(semi-explicit, as ROBER with its conservation law, or fully implicit, as the pendulum written
in index-1 form) are the supported class; higher-index systems are not (index reduction is the
user's: differentiate the constraints).
"""

from solvers.dae.bdf import DFBDF
from solvers.dae.problem import DAEProblem
from solvers.dae.radau import DRadauIIA5

__all__ = ["DAEProblem", "DFBDF", "DRadauIIA5"]
