"""Sensitivity algorithms for ``solve(prob, alg, sensealg=...)``; see :mod:`solvers.ode.sensitivity.base`."""

from solvers.ode.sensitivity.base import SensitivityAlgorithm, check_sensealg
from solvers.ode.sensitivity.forward import ForwardDiffSensitivity
from solvers.ode.sensitivity.forward_equations import ForwardSensitivity

__all__ = ["SensitivityAlgorithm", "check_sensealg"]
__all__ += ["ForwardDiffSensitivity", "ForwardSensitivity"]
