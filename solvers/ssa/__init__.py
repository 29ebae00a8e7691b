"""Stochastic simulation of jump processes (Gillespie SSA) at compiled speed.

>>> from solvers.ssa import JumpProblem, Direct, solve
>>> sir = JumpProblem.mass_action(x0=[990, 10, 0],
...     reactions=[({"S": 1, "I": 1}, {"I": 2}, 1e-4), ({"I": 1}, {"R": 1}, 0.05)],
...     species=["S", "I", "R"], tspan=(0.0, 100.0))
>>> sol = solve(sir, Direct(), seed=1234)
>>> int(sol(100.0).sum())             # the population is conserved
1000

Modules: :mod:`~solvers.ssa.problem` (JumpProblem), :mod:`~solvers.ssa.kernels`
(the loops, one source for numba and pure Python),
:mod:`~solvers.ssa.algorithms` (Direct, SortingDirect, TauLeaping, run),
:mod:`~solvers.ssa.solution`, :mod:`~solvers.ssa.streams` (seeds).
"""

from solvers.ssa.algorithms import Direct, SortingDirect, TauLeaping, run
from solvers.ssa.problem import JumpProblem
from solvers.ssa.solution import JumpSolution

__all__ = ["JumpProblem", "JumpSolution", "Direct", "SortingDirect", "TauLeaping", "run", "solve"]


def solve(problem, algorithm=None, **options):
    """Solve a stochastic problem through its ``_solve`` hook (as ``solvers.solve`` will)."""
    hook = getattr(problem, "_solve", None)
    if hook is None:
        raise TypeError(f"{type(problem).__name__} is not a stochastic problem with a _solve hook")
    return hook(algorithm, **options)
