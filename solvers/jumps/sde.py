"""``JumpSDEProblem``: an SDE whose state also jumps (a jump diffusion).

The SDE is solved piece by piece between jumps with any method of
:mod:`solvers.sde` (fixed ``dt`` or adaptive); the jumps come from the same
:class:`~solvers.jumps.coupling.JumpCoupling` as for ODEs:

* constant-rate jumps: the next firing time ``t + E / a0`` is drawn after
  every jump (exact by memorylessness); the SDE piece ends exactly there.
* variable-rate jumps (rates of the continuous state and of time): the state
  is extended by the integrated intensity ``L' = sum_j lambda_j(u, p, t)``
  (no noise on it) and the jump fires at the first step end where ``L``
  reaches its ``Exp(1)`` threshold. An SDE path has no dense output to root-find
  on, so **the jump time is resolved to the step**: its error is at most one
  step (first order in ``dt``, the weak order of Euler–Maruyama); bound it
  with ``dt`` (or ``dtmax`` for adaptive methods).

After a jump the next piece continues from the jumped state with fresh
Brownian increments from the same generator: the increments of disjoint
intervals are independent, and a piece cut short at a jump is discarded from
the jump on (the strong Markov property makes that exact).

One path per solve (``batch=`` is refused: paths jump at different times);
use :func:`solvers.ensemble.solve_ensemble` or a loop for many paths.

Examples
--------
>>> import numpy as np
>>> from solvers.sde import SDEProblem, EulerMaruyama
>>> from solvers.jumps import ConstantRateJump
>>> # Brownian motion with drift 1 that also jumps by +1 at rate 2 (a compound Poisson part)
>>> bm = SDEProblem(lambda u, p, t: 0 * u + 1.0, lambda u, p, t: 0 * u + 0.5, np.array([0.0]),
...                 (0.0, 1.0))
>>> up = ConstantRateJump(lambda u, p, t: 2.0, lambda u, p, t: u + 1.0)
>>> sol = JumpSDEProblem(bm, [up]).solve(EulerMaruyama(), dt=0.01, seed=3)
>>> sol.retcode, len(sol.jumps) == sum(1 for j in sol.jumps if j[1] == "constant")
('Success', True)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from solvers._nm import nm
from solvers.jumps.coupling import JumpCoupling, JumpODESolution
from solvers.jumps.problem import JumpsOver
from solvers.ssa.streams import as_generator

__all__ = ["JumpSDEProblem"]

# without dt (adaptive methods), a variable-rate search window is this fraction of the span
_WINDOW_STEPS, _ADAPTIVE_WINDOWS = 64, 32


class JumpSDEProblem(JumpsOver):
    """An SDE ``du = f dt + g dW`` whose state also jumps (constant- or variable-rate jumps).

    Parameters
    ----------
    prob : SDEProblem
        The continuous part; ``u0`` a 1-D array (counts and continuous components together),
        diagonal or general noise.
    jumps : sequence
        :class:`~solvers.jumps.ConstantRateJump`, :class:`~solvers.jumps.VariableRateJump`,
        :class:`~solvers.jumps.ReactionJumps`.
    """

    wraps, needs = "SDEProblem", ("g", "noise_shape", "u0")
    hint = "; for an ODE with jumps use JumpODEProblem"

    def solve(self, alg: Any = None, *, seed: Any = None, dt: float | None = None,
              **options: Any) -> JumpODESolution:
        """One path; ``dt`` and ``options`` go to :func:`solvers.sde.integrate` for each piece.

        Returns the saved times and states (without the integrated intensity), the jumps as
        ``(t, kind, jump index, reaction index)`` in ``jumps``, and the SDE pieces in ``ode``.
        """
        from solvers.sde import integrate

        if options.get("batch") is not None:
            raise ValueError("JumpSDEProblem solves one path at a time (paths jump at different "
                             "times); loop over seeds or use solvers.ensemble for many paths")
        if options.get("save", "steps") != "steps" or options.get("saveat") is not None:
            raise ValueError("JumpSDEProblem saves every step (save='steps'); interpolate the "
                             "result with sol.ode pieces instead of saveat")
        prob, n = self.prob, int(np.shape(self.prob.u0)[0])
        coupling = JumpCoupling(self.constant, self.variable, n, prob.p, as_generator(seed))
        coupling.threshold = coupling.rng.exponential()
        aug = self._augmented(coupling)
        t0, tf = prob.tspan
        window = (_WINDOW_STEPS * dt if dt is not None else (tf - t0) / _ADAPTIVE_WINDOWS)
        t, u = t0, prob.u0
        coupling.schedule(u, t)
        ts, us, pieces, total = [t0], [u], [], 0 * u[:1]
        while t < tf:
            end = min(_primal(coupling.t_next), tf)
            if self.variable:
                end = min(end, t + window)
            state = np.concatenate([u, total]) if self.variable else u
            sol = integrate(aug.remake(u0=state, tspan=(t, end)), alg, dt=dt,
                            seed=coupling.rng, **options)
            pieces.append(sol)
            if not sol.success:
                ts.append(sol.t[-1])
                us.append(sol.u[-1][:n])
                return JumpODESolution(np.asarray(ts), us, coupling.log, sol.retcode, pieces)
            t, u, total, kind = self._advance(sol, n, coupling, ts, us, end)
            if kind is not None and t < tf:
                u = coupling.fire(u, t, kind)
                total = 0 * total if kind == "variable" else total
                ts.append(t)
                us.append(u)
        return JumpODESolution(np.asarray(ts), us, coupling.log, "Success", pieces)

    def _advance(self, sol, n, coupling, ts, us, end):
        """Append the piece up to the first threshold crossing; return (t, u, L, jump kind)."""
        stop, kind = len(sol.t) - 1, None
        if self.variable:
            hits = [k for k in range(1, len(sol.t)) if _primal(sol.u[k][n]) >= coupling.threshold]
            if hits:
                stop, kind = hits[0], "variable"
        if kind is None and end == _primal(coupling.t_next):
            kind = "constant"
        for k in range(1, stop + 1):
            ts.append(sol.t[k])
            us.append(sol.u[k][:n])
        v = sol.u[stop]
        return sol.t[stop], v[:n], (v[n:] if self.variable else None), kind

    def _augmented(self, coupling: JumpCoupling):
        """The SDE extended by the integrated intensity of the variable-rate jumps (no noise on it)."""
        prob, n = self.prob, int(np.shape(self.prob.u0)[0])
        if not self.variable:
            return prob

        def g(v, p, t):   # a zero row: diagonal (n,) and general (n, m) noise alike
            gu = prob.g(v[:n], p, t)
            return np.concatenate([gu, 0 * gu[:1]], axis=0)

        return prob.remake(f=coupling.rhs(prob.f), g=g)


def _primal(x: Any) -> float:
    return float(nm.value(x))
