"""Sensitivity algorithms for ``solve(prob, alg, sensealg=...)``; see :mod:`solvers.ode.sensitivity.base`."""

from solvers.ode.sensitivity.base import SensitivityAlgorithm, check_sensealg
from solvers.ode.sensitivity.adjoint import (
    BacksolveAdjoint, GaussAdjoint, InterpolatingAdjoint, QuadratureAdjoint, ReverseDiffAdjoint,
)

__all__ = ["SensitivityAlgorithm", "check_sensealg", "BacksolveAdjoint", "GaussAdjoint",
           "InterpolatingAdjoint", "QuadratureAdjoint", "ReverseDiffAdjoint"]
