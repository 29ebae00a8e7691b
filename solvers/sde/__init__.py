"""Stochastic differential equations (Itô), written against the number protocol.

>>> import numpy as np
>>> from solvers.sde import SDEProblem, EulerMaruyama, solve
>>> gbm = SDEProblem(lambda u, p, t: p[0] * u, lambda u, p, t: p[1] * u, 1.0, (0.0, 1.0),
...                  (0.5, 0.2))
>>> sol = solve(gbm, EulerMaruyama(), dt=1e-3, seed=7, batch=1000, save="final")
>>> sol.u[-1].shape
(1000,)

Modules: :mod:`~solvers.sde.problem` (SDEProblem),
:mod:`~solvers.sde.algorithms` (EulerMaruyama, Milstein, SRA1, integrate),
:mod:`~solvers.sde.sri` (SRIW1), :mod:`~solvers.sde.sosra` (SOSRA, SOSRA2), :mod:`~solvers.sde.stratonovich` (StochasticHeun),
:mod:`~solvers.sde.implicit` (ImplicitEM),
:mod:`~solvers.sde.lamba` (LambaEM, LambaEulerHeun: adaptive low order), :mod:`~solvers.sde.adaptive` (adaptive steps),
:mod:`~solvers.sde.rswm` (rejection sampling with memory),
:mod:`~solvers.sde.brownian` (BrownianPath), :mod:`~solvers.sde.solution`.
"""

from solvers.sde.algorithms import SRA1, EulerMaruyama, Milstein, integrate
from solvers.sde.brownian import BrownianPath
from solvers.sde.implicit import ImplicitEM
from solvers.sde.lamba import LambaEM, LambaEulerHeun
from solvers.sde.problem import SDEProblem
from solvers.sde.solution import SDESolution
from solvers.sde.sosra import SOSRA, SOSRA2
from solvers.sde.sri import SRIW1
from solvers.sde.stratonovich import StochasticHeun

__all__ = ["SDEProblem", "SDESolution", "EulerMaruyama", "Milstein", "SRA1", "SOSRA", "SOSRA2",
           "SRIW1", "LambaEM", "LambaEulerHeun", "StochasticHeun", "ImplicitEM", "BrownianPath", "integrate", "solve"]


def solve(problem, algorithm=None, **options):
    """Solve through the problem's ``_solve`` hook (as ``solvers.solve`` will)."""
    hook = getattr(problem, "_solve", None)
    if hook is None:
        raise TypeError(f"{type(problem).__name__} is not a stochastic problem with a _solve hook")
    return hook(algorithm, **options)
