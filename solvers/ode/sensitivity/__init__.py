"""Sensitivity algorithms for ``solve(prob, alg, sensealg=...)``; see :mod:`solvers.ode.sensitivity.base`."""

from solvers.ode.sensitivity.adjoint import (
    BacksolveAdjoint, GaussAdjoint, InterpolatingAdjoint, QuadratureAdjoint, ReverseDiffAdjoint,
)
from solvers.ode.sensitivity.base import SensitivityAlgorithm, check_sensealg
from solvers.ode.sensitivity.forward import ForwardDiffSensitivity
from solvers.ode.sensitivity.forward_equations import ForwardSensitivity

__all__ = ["SensitivityAlgorithm", "check_sensealg", "ForwardDiffSensitivity", "ForwardSensitivity",
           "BacksolveAdjoint", "GaussAdjoint", "InterpolatingAdjoint", "QuadratureAdjoint",
           "ReverseDiffAdjoint"]
