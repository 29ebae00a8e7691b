"""Jumps as data: a rate and an affect, constant between jumps or varying with the solution.

* :class:`ConstantRateJump` -- ``rate(u, p, t)`` may depend only on what jumps change
  (counts), so it is constant between jumps; the next firing time is drawn
  directly (Gillespie's direct method).
* :class:`VariableRateJump` -- ``rate(u, p, t)`` may depend on the continuous
  state and on time; its intensity is integrated along the ODE solve and the jump
  fires when the integral reaches an Exp(1) threshold.
* :class:`ReactionJumps` -- the reactions of an SSA
  :class:`~solvers.ssa.problem.JumpProblem` (mass action or a propensity
  function) acting on chosen components of the ODE state: constant-rate jumps.

``affect(u, p, t) -> u`` returns the state after the jump (a pure function).

Examples
--------
>>> import numpy as np
>>> birth = ConstantRateJump(lambda u, p, t: 2.0, lambda u, p, t: u + np.array([1.0, 0.0]))
>>> birth.rates(np.zeros(2), None, 0.0)
[2.0]
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Sequence

import numpy as np

__all__ = ["ConstantRateJump", "VariableRateJump", "ReactionJumps"]


def _check_callables(kind: str, rate: Any, affect: Any) -> None:
    if not callable(rate) or not callable(affect):
        raise TypeError(f"{kind} needs callables rate(u, p, t) -> number and "
                        f"affect(u, p, t) -> new u")


@dataclass(frozen=True)
class ConstantRateJump:
    """A jump whose rate changes only when a jump happens."""

    rate: Callable
    affect: Callable
    name: str = ""

    def __post_init__(self) -> None:
        _check_callables("ConstantRateJump", self.rate, self.affect)

    def rates(self, u: Any, p: Any, t: Any) -> list:
        return [self.rate(u, p, t)]

    def fire(self, j: int, u: Any, p: Any, t: Any) -> Any:
        return self.affect(u, p, t)

    @property
    def size(self) -> int:
        return 1


@dataclass(frozen=True)
class VariableRateJump(ConstantRateJump):
    """A jump whose rate depends on the continuous state or on time (integrated along the solve).

    Examples
    --------
    >>> clock_reset = VariableRateJump(lambda u, p, t: u[0], lambda u, p, t: 0 * u)
    >>> clock_reset.size
    1
    """

    def __post_init__(self) -> None:
        _check_callables("VariableRateJump", self.rate, self.affect)


@dataclass(frozen=True)
class ReactionJumps:
    """SSA reactions on the components *index* of the ODE state (constant-rate jumps).

    Parameters
    ----------
    stoich : array (n_reactions, n_species)
        Net change of each species when each reaction fires.
    propensity : callable
        ``propensity(x, p, t)`` -> the ``n_reactions`` rates, with ``x`` the
        species counts ``u[index]``.
    index : sequence of int
        Where the species live in the ODE state.

    Examples
    --------
    >>> from solvers.ssa import JumpProblem
    >>> bd = JumpProblem.mass_action([0], [({}, {"m": 1}, 10.0), ({"m": 1}, {}, 1.0)], ["m"],
    ...                              (0.0, 1.0))
    >>> rj = ReactionJumps.from_ssa(bd, index=[0])
    >>> [float(r) for r in rj.rates(np.array([3.0, 0.5]), None, 0.0)]
    [10.0, 3.0]
    """

    stoich: Any
    propensity: Callable
    index: Sequence[int]
    p: Any = None

    def __post_init__(self) -> None:
        stoich = np.asarray(self.stoich)
        if stoich.ndim != 2 or stoich.shape[1] != len(self.index):
            raise ValueError(f"stoich must have shape (n_reactions, {len(self.index)}) for "
                             f"index={list(self.index)}, got {stoich.shape}")
        object.__setattr__(self, "stoich", stoich.astype(float))
        object.__setattr__(self, "index", [int(i) for i in self.index])

    @classmethod
    def from_ssa(cls, problem: Any, index: Sequence[int]) -> "ReactionJumps":
        """The reactions of an SSA ``JumpProblem`` acting on ``u[index]``."""
        ma = problem.mass_action_data
        if ma is None:
            return cls(problem.stoich, problem.propensity, index, problem.p)
        from solvers.ssa.kernels import mass_action_one

        def propensity(x, p, t):
            counts = np.rint(np.asarray(x, dtype=float)).astype(np.int64)
            return [mass_action_one(j, counts, ma.rates, ma.ptr, ma.species, ma.order)
                    for j in range(ma.rates.size)]

        return cls(problem.stoich, propensity, index, None)

    @property
    def size(self) -> int:
        return int(self.stoich.shape[0])

    def counts(self, u: Any) -> np.ndarray:
        """The species counts ``u[index]`` as integers-valued floats (the interpolated state
        between jumps may carry rounding of order 1e-26)."""
        from solvers._nm import nm
        return np.rint(np.asarray(nm.value(u), dtype=float)[self.index])

    def rates(self, u: Any, p: Any, t: Any) -> list:
        return list(self.propensity(self.counts(u), self.p if self.p is not None else p, t))

    def fire(self, j: int, u: Any, p: Any, t: Any) -> Any:
        change = np.zeros(np.shape(u))
        change[self.index] = self.stoich[j]
        return u + change
