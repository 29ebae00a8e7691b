"""Jumps coupled to an ODE: one ODE solve whose callbacks fire the jumps (JumpProcesses' design).

Constant-rate jumps (total rate ``a0``, fixed between jumps): after every jump
the next firing time ``t + E / a0`` (``E ~ Exp(1)``) is drawn afresh (exact by
memorylessness) and a continuous callback on ``t - t_next`` stops the solve
there; the jump is chosen with probability ``a_j / a0`` (Gillespie 1977).

Variable-rate jumps (rates ``lambda_j(u, t)`` of the continuous state): the
ODE state is extended by ``L' = sum_j lambda_j(u, p, t)``; the first jump is
when ``L`` reaches an ``Exp(1)`` threshold ``E`` -- the random time change
that makes the jump times exact for any intensity (the "integrated intensity"
method of JumpProcesses.jl / Salis & Kaznessis). A continuous callback on
``L - E`` finds that time by root finding on the dense output; the jump is
chosen with probability ``lambda_j / sum lambda`` at that time, then ``L = 0``
and a new ``E`` is drawn.

Number types: rates are evaluated with the solve's numbers, so the event times
carry derivatives (the callback's Newton polish gives ``dtau/dp``); the random
choices use primal values.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from solvers._nm import nm
from solvers.jumps.jumps import VariableRateJump
from solvers.ode.callbacks import ContinuousCallback

__all__ = ["JumpCoupling", "JumpODESolution"]


def _primal(x: Any) -> float:
    return float(nm.value(x))


@dataclass
class JumpCoupling:
    """The state of the jump part of one solve: thresholds, the next constant-rate time, the log."""

    constant: list
    variable: list
    n: int
    p: Any
    rng: Any
    t_next: Any = math.inf
    threshold: float = 1.0
    a0_used: float = 0.0
    rates_used: list = field(default_factory=list)
    log: list = field(default_factory=list)

    # -- the ODE right-hand side ----------------------------------------------------------
    def rhs(self, f):
        if not self.variable:
            return f
        n = self.n

        def aug(v, p, t):
            u = v[:n]
            du = f(u, p, t)
            total = sum(r for jump in self.variable for r in jump.rates(u, p, t))
            return np.concatenate([du, 0 * du[:1] + total])

        return aug

    # -- constant-rate jumps ----------------------------------------------------------------
    def _all_rates(self, jumps, u, t):
        out = []
        for k, jump in enumerate(jumps):
            for j, r in enumerate(jump.rates(u, self.p, t)):
                out.append((k, j, r))
        return out

    def schedule(self, u: Any, t: Any) -> None:
        """Draw the next constant-rate firing time from the state *u* at *t*."""
        if not self.constant:
            return
        rates = self._all_rates(self.constant, u, t)
        a0 = sum(r for _, _, r in rates)
        self.rates_used = rates
        self.a0_used = _primal(a0)
        if self.a0_used < 0 or not math.isfinite(self.a0_used):
            raise ValueError(f"the constant-rate jumps' total rate is {self.a0_used} at t = "
                             f"{_primal(t)}: rates must be finite and >= 0")
        self.t_next = math.inf if self.a0_used == 0 else t + self.rng.exponential() / a0

    def _choose(self, rates) -> tuple:
        w = np.array([_primal(r) for _, _, r in rates])
        # rounding in the dense output can leave a count at -1e-26: such rates are zero
        w[(w < 0) & (w >= -1e-12 * max(1.0, float(np.abs(w).sum())))] = 0.0
        if np.any(w < 0) or not np.all(np.isfinite(w)):
            raise ValueError(f"jump rates must be finite and >= 0, got {w.tolist()}")
        i = int(np.searchsorted(np.cumsum(w), self.rng.random() * w.sum(), side="right"))
        k, j, _ = rates[min(i, len(rates) - 1)]
        return k, j

    def fire(self, u: Any, t: Any, kind: str) -> Any:
        """The state after a jump of *kind* ("constant" or "variable") from *u* at *t*.

        Chooses the jump, logs it, draws the next constant-rate time and, after a
        variable-rate jump, a new threshold. Shared by the ODE callbacks and the
        jump-diffusion loop of :mod:`solvers.jumps.sde`.
        """
        jumps = self.constant if kind == "constant" else self.variable
        rates = self._all_rates(jumps, u, t)
        if kind == "constant":
            a0 = sum(_primal(r) for _, _, r in rates)
            if abs(a0 - self.a0_used) > 1e-9 * max(a0, self.a0_used):
                raise ValueError(f"a constant-rate jump's total rate changed between jumps "
                                 f"({self.a0_used} -> {a0} by t = {_primal(t)}): a rate that "
                                 "depends on the continuous state or on time must be a "
                                 "VariableRateJump")
        # constant rates: chosen with the rates drawn at the last jump (Gillespie), which are the
        # rates now up to rounding of the interpolated state
        k, j = self._choose(self.rates_used if kind == "constant" else rates)
        u_new = jumps[k].fire(j, u, self.p, t)
        self.log.append((_primal(t), kind, k, j))
        self.schedule(u_new, t)
        if kind == "variable":
            self.threshold = self.rng.exponential()
        return u_new

    def _jump(self, integ, kind: str) -> None:
        v, t = integ.u, integ.t
        self.p = integ.p                 # the solve's (promoted) parameters, as f sees them
        u_new = self.fire(v[:self.n] if self.variable else v, t, kind)
        if self.variable:   # a variable-rate jump starts a new integral; a constant one keeps it
            rest = v[self.n:]
            integ.u = np.concatenate([u_new, 0 * rest if kind == "variable" else rest])
        else:
            integ.u = u_new

    def callbacks(self) -> list:
        out = []
        if self.constant:
            out.append(ContinuousCallback(lambda v, t, i: t - self.t_next,
                                          lambda i: self._jump(i, "constant"),
                                          direction="up", interp_points=1,
                                          save_positions=(True, True)))
        if self.variable:
            n = self.n
            out.append(ContinuousCallback(lambda v, t, i: v[n] - self.threshold,
                                          lambda i: self._jump(i, "variable"),
                                          direction="up", save_positions=(True, True)))
        return out


@dataclass
class JumpODESolution:
    """Saved times ``t`` and states ``u`` (the ODE state, without the integrated intensity),
    the jumps as ``(t, kind, jump index, reaction index)`` in ``jumps``, the ODE solve in ``ode``.

    Examples
    --------
    >>> sol = JumpODESolution([0.0, 1.0], [np.zeros(1), np.ones(1)], [], "Success", None)
    >>> sol.success, sol.u[-1].tolist()
    (True, [1.0])
    """

    t: Any
    u: list
    jumps: list
    retcode: str
    ode: Any

    @property
    def success(self) -> bool:
        return self.retcode == "Success"

    @property
    def jump_times(self) -> np.ndarray:
        return np.array([j[0] for j in self.jumps])

    def __len__(self) -> int:
        return len(self.t)


def split_jumps(jumps: list) -> tuple[list, list]:
    """(constant-rate, variable-rate) from a list of jumps."""
    cons, var = [], []
    for jump in jumps:
        if not hasattr(jump, "rates") or not hasattr(jump, "fire"):
            raise TypeError(f"not a jump: {jump!r}; use ConstantRateJump, VariableRateJump or "
                            "ReactionJumps")
        (var if isinstance(jump, VariableRateJump) else cons).append(jump)
    return cons, var
