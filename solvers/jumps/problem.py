"""``JumpODEProblem``: an :class:`~solvers.ode.problem.ODEProblem` with jumps.

The name ``JumpProblem`` is the pure jump process of :mod:`solvers.ssa` (Gillespie
simulation on counts); a jump problem *over an ODE* is this class.

Examples
--------
>>> import numpy as np
>>> from solvers import ODEProblem, Tsit5
>>> from solvers.jumps import ConstantRateJump
>>> # mRNA m (jumps: made at rate 5, degraded at rate m) and protein P' = 2 m - P
>>> ode = ODEProblem(lambda u, p, t: np.array([0.0 * u[0], 2 * u[0] - u[1]]), np.array([0.0, 0.0]),
...                  (0.0, 10.0))
>>> make = ConstantRateJump(lambda u, p, t: 5.0, lambda u, p, t: u + np.array([1.0, 0.0]))
>>> decay = ConstantRateJump(lambda u, p, t: u[0], lambda u, p, t: u - np.array([1.0, 0.0]))
>>> sol = JumpODEProblem(ode, [make, decay]).solve(Tsit5(), seed=1)
>>> sol.retcode, len(sol.jumps) > 10, float(sol.u[-1][0]) == int(sol.u[-1][0])
('Success', True, True)
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from solvers._nm import nm
from solvers.jumps.coupling import JumpCoupling, JumpODESolution, split_jumps
from solvers.ssa.streams import as_generator

__all__ = ["JumpODEProblem", "JumpsOver"]


class JumpsOver:
    """The shared part of a continuous problem with jumps: the checks, ``remake``, the repr.

    A subclass names what it wraps (``wraps``: the problem class's name, ``needs``: attributes
    that problem has, ``hint``: a pointer for the wrong kind) and defines ``solve``.
    """

    wraps, needs, hint = "ODEProblem", ("f", "u0"), ""

    def __init__(self, prob: Any, jumps: Sequence) -> None:
        me = type(self).__name__
        if not all(hasattr(prob, a) for a in self.needs):
            raise TypeError(f"{me} needs an {self.wraps}, got {type(prob).__name__}{self.hint}")
        if np.ndim(prob.u0) != 1:
            raise ValueError(f"{me} needs a 1-D state u0 (counts and continuous components in "
                             f"one array), got shape {np.shape(prob.u0)}")
        self.prob = prob
        self.constant, self.variable = split_jumps(list(jumps))
        if not (self.constant or self.variable):
            raise ValueError(f"{me} needs at least one jump")

    def remake(self, **changes: Any):
        """A copy with fields of the continuous problem replaced (``u0``, ``p``, ``tspan``...)."""
        return type(self)(self.prob.remake(**changes), self.constant + self.variable)

    def _solve(self, algorithm: Any = None, **options: Any) -> JumpODESolution:
        return self.solve(algorithm, **options)

    def __repr__(self) -> str:
        return (f"{type(self).__name__}({len(self.constant)} constant-rate, {len(self.variable)} "
                f"variable-rate jump groups, u0 of size {np.shape(self.prob.u0)[0]}, "
                f"tspan={tuple(nm.value(t) for t in self.prob.tspan)})")


class JumpODEProblem(JumpsOver):
    """An ODE ``u' = f(u, p, t)`` whose state also jumps (constant- or variable-rate jumps).

    Parameters
    ----------
    prob : ODEProblem
        The continuous part; ``u0`` a 1-D array (counts and continuous components together).
    jumps : sequence
        :class:`ConstantRateJump`, :class:`VariableRateJump`, :class:`ReactionJumps`.
    """

    def solve(self, alg: Any = None, *, seed: Any = None, **options: Any) -> JumpODESolution:
        """One trajectory: the ODE solve with the jump callbacks (options go to ``solve``)."""
        from solvers.common import solve as ode_solve
        from solvers.ode import Tsit5

        prob = self.prob
        n = int(np.shape(prob.u0)[0])
        coupling = JumpCoupling(self.constant, self.variable, n, prob.p, as_generator(seed))
        coupling.threshold = coupling.rng.exponential()
        u0 = prob.u0
        if self.variable:
            u0 = np.concatenate([u0, 0 * u0[:1]])
        coupling.schedule(u0[:n] if self.variable else u0, prob.tspan[0])
        extra = options.pop("callback", None)
        aug = prob.remake(f=coupling.rhs(prob.f), u0=u0)
        sol = ode_solve(aug, Tsit5() if alg is None else alg,
                        callback=[coupling.callbacks(), extra], **options)
        us = [u[:n] for u in sol.u] if self.variable else list(sol.u)
        return JumpODESolution(sol.t, us, coupling.log, getattr(sol.retcode, "value", sol.retcode), sol)
