"""Generic algorithms written once against the number protocol of :mod:`numeric`.

Nothing in this package names a number type: the same ODE solve, root find
or linear solve runs on floats, float32, mpmath ``mpf``, duals and any other
type that honours the protocol.
"""

from solvers.common import solve
from solvers.ode import (
    BS3,
    DP5,
    RK4,
    CallbackSet,
    ContinuousCallback,
    DiscreteCallback,
    Euler,
    GBS,
    ExplicitRK,
    Midpoint,
    ODEIntegrator,
    ODEProblem,
    ODESolution,
    ReturnCode,
    Stats,
    Tsit5,
    Vern7,
    Vern9,
    init,
    prepare,
)

from solvers.ssa import Direct, JumpProblem, JumpSolution, SortingDirect, TauLeaping
from solvers.sde import SRA1, BrownianPath, EulerMaruyama, Milstein, SDEProblem, SDESolution
from solvers.sde import SOSRA, SOSRA2, SRIW1, ImplicitEM, LambaEM, LambaEulerHeun, StochasticHeun
from solvers.jumps import (ConstantRateJump, JumpODEProblem, JumpSDEProblem, ReactionJumps,
                           VariableRateJump)
from solvers.ensemble import EnsembleProblem, EnsembleSolution, ensemble_summary
from solvers.ode.stiff import Rodas4, Rosenbrock23
from solvers.ode.stiff import FBDF, RadauIIA5
from solvers.ode.stiff import Rodas5, Rodas5P
from solvers.ode.stiff import TRBDF2, KenCarp4, Kvaerno5
from solvers.dde import DDEProblem, MethodOfSteps
from solvers.dae import DAEProblem, DFBDF, DRadauIIA5
from solvers.unstable import norm_exceeds

__all__ = [
    "solve", "init", "ODEProblem", "ODESolution", "ODEIntegrator", "ReturnCode", "Stats",
    "ExplicitRK", "Euler", "Midpoint", "RK4", "BS3", "DP5", "Tsit5", "Vern7", "Vern9", "GBS",
    "ContinuousCallback", "DiscreteCallback", "CallbackSet",
    "JumpProblem", "JumpSolution", "Direct", "SortingDirect", "TauLeaping",
    "SDEProblem", "SDESolution", "EulerMaruyama", "Milstein", "SRA1", "BrownianPath",
    "EnsembleProblem", "EnsembleSolution", "ensemble_summary",
]  # fmt: skip
__all__ += ["Rosenbrock23", "Rodas4"]
__all__ += ["FBDF", "RadauIIA5"]
__all__ += ["Rodas5P", "Rodas5"]
__all__ += ["TRBDF2", "KenCarp4", "Kvaerno5"]
__all__ += ["DDEProblem", "MethodOfSteps"]
__all__ += ["DAEProblem", "DFBDF", "DRadauIIA5"]
__all__ += ["SOSRA", "SOSRA2", "SRIW1", "StochasticHeun", "ImplicitEM", "LambaEM", "LambaEulerHeun"]
__all__ += ["JumpODEProblem", "JumpSDEProblem", "ConstantRateJump", "VariableRateJump", "ReactionJumps"]
__all__ += ["norm_exceeds", "prepare"]
