"""Jumps coupled to ODEs (fired by callbacks of one ODE solve) and to SDEs (jump diffusions).

>>> import numpy as np
>>> from solvers import ODEProblem
>>> from solvers.jumps import JumpODEProblem, VariableRateJump
>>> # a clock x' = 1 reset to 0 at rate x: the times between resets have P(T > s) = exp(-s^2/2)
>>> clock = ODEProblem(lambda u, p, t: 0 * u + 1.0, np.array([0.0]), (0.0, 20.0))
>>> sol = JumpODEProblem(clock, [VariableRateJump(lambda u, p, t: u[0], lambda u, p, t: 0 * u)]
...                      ).solve(seed=3, rtol=1e-8, atol=1e-10)
>>> sol.retcode, len(sol.jumps) > 5
('Success', True)

Modules: :mod:`~solvers.jumps.jumps` (the jump types), :mod:`~solvers.jumps.problem`
(JumpODEProblem), :mod:`~solvers.jumps.sde` (JumpSDEProblem),
:mod:`~solvers.jumps.coupling` (the callbacks and the integrated intensity).
"""

from solvers.jumps.coupling import JumpODESolution
from solvers.jumps.jumps import ConstantRateJump, ReactionJumps, VariableRateJump
from solvers.jumps.problem import JumpODEProblem
from solvers.jumps.sde import JumpSDEProblem

__all__ = ["JumpODEProblem", "JumpSDEProblem", "JumpODESolution", "ConstantRateJump", "VariableRateJump",
           "ReactionJumps"]
