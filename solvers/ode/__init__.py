"""Generic ODE solvers: explicit Runge–Kutta methods for any number type.

See :func:`solvers.solve` for the options and :mod:`solvers.ode.integrator`
for how types flow through a solve.
"""

from solvers.ode.algorithms import BS3, DP5, RK4, Euler, ExplicitRK, Midpoint, Tsit5, Vern7, Vern9
from solvers.ode.callbacks import CallbackSet, ContinuousCallback, DiscreteCallback
from solvers.ode.extrapolation import GBS
from solvers.ode.integrator import ODEIntegrator
from solvers.ode.loop import init
from solvers.ode.prepared import PreparedSolve, prepare
from solvers.ode.problem import ODEProblem
from solvers.ode.solution import ODESolution, ReturnCode, Stats
from solvers.ode.stiff import Rodas4, Rosenbrock23
from solvers.ode.stiff import Rodas5, Rodas5P
from solvers.ode.stiff import TRBDF2, KenCarp4, Kvaerno5

__all__ = [
    "ODEProblem", "ODESolution", "ODEIntegrator", "ReturnCode", "Stats",
    "ExplicitRK", "Euler", "Midpoint", "RK4", "BS3", "DP5", "Tsit5", "Vern7", "Vern9", "GBS",
    "ContinuousCallback", "DiscreteCallback", "CallbackSet",
]  # fmt: skip
__all__ += ["Rosenbrock23", "Rodas4", "init"]
__all__ += ["Rodas5P", "Rodas5"]
__all__ += ["TRBDF2", "KenCarp4", "Kvaerno5"]
from solvers.ode.errornorm import ErrorNorm  # noqa: E402

__all__ += ["ErrorNorm", "prepare", "PreparedSolve"]
