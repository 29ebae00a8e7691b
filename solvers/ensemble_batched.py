"""Many trajectories of an ODE or SDE as one batched array state (DiffEqGPU's EnsembleGPUArray idea).

:func:`solve_batched` stacks the initial states (and, when they differ, the parameters) of
``trajectories`` members of an :class:`~solvers.ensemble.EnsembleProblem` along a new leading
axis and solves the resulting problem once, with the same solver: one step-size sequence for
all trajectories (chosen by the norm over the whole batch, as EnsembleGPUArray does), every
right-hand side evaluation one vectorised call. On a GPU (CuPy initial states) the whole
ensemble is then a handful of kernels per stage instead of ``trajectories`` solves; on the CPU
it is the vectorised alternative to the ``"serial"``/``"threads"`` backends for small systems.

Requirements (checked): every member has the same ``tspan`` and state shape; ``f`` (and ``g``)
must broadcast over the leading axis, i.e. be written with ``u[..., i]`` and, for per-member
parameters, ``p[..., j]`` (a member's ``p`` is a 1-D array of numbers, stacked to shape
``(trajectories, n_p)``).

Because one adaptive step size serves the whole batch, each trajectory is solved at least as
accurately as alone (its own error is at most the batch's norm), not with the same steps: the
results agree with per-trajectory solves to the tolerance, not bit for bit. An SDE batch draws
its noise from one stream for the whole batch (``seed``), not from the per-trajectory streams of
:func:`~solvers.ensemble.solve_ensemble`.

Examples
--------
>>> import numpy as np
>>> from solvers import ODEProblem, Tsit5
>>> from solvers.ensemble import EnsembleProblem
>>> prob = ODEProblem(lambda u, p, t: -p[..., :1] * u, np.array([1.0]), (0.0, 1.0), np.array([1.0]))
>>> ens = EnsembleProblem(prob, prob_func=lambda pr, i: pr.remake(p=np.array([1.0 + i])))
>>> sol = solve_batched(ens, Tsit5(), trajectories=3, rtol=1e-8)
>>> [round(float(s.u[-1][0]), 6) for s in sol.u] == [round(float(np.exp(-k)), 6) for k in (1, 2, 3)]
True
"""

from __future__ import annotations

import copy
import time
from typing import Any

from numeric.backend import namespace
from solvers.ensemble import EnsembleProblem, EnsembleSolution

__all__ = ["solve_batched", "TrajectoryView"]


class TrajectoryView:
    """Trajectory *j* of a batched solution: ``t``, ``u`` (list of states) and ``sol(t)``."""

    def __init__(self, sol: Any, j: int):
        self.batch, self.j = sol, j
        self.t = sol.t
        self.retcode = sol.retcode

    @property
    def u(self) -> list:
        return [u[self.j, ...] for u in self.batch.u]

    def __call__(self, t: Any) -> Any:
        return self.batch(t)[self.j, ...]


def _stack(xp: Any, items: list) -> Any:
    return xp.stack([xp.asarray(a) if not hasattr(a, "shape") else a for a in items])


def _batched_problem(probs: list) -> Any:
    first = probs[0]
    for pr in probs[1:]:
        if type(pr) is not type(first) or tuple(pr.tspan) != tuple(first.tspan):
            raise ValueError("solve_batched: every member must be the same kind of problem with the same "
                             "tspan; solve members with different time spans with solve_ensemble")
        if tuple(getattr(pr.u0, "shape", ())) != tuple(getattr(first.u0, "shape", ())):
            raise ValueError("solve_batched: every member's u0 must have the same shape")
    xp = namespace(first.u0)
    batched = copy.copy(first)
    batched.u0 = _stack(xp, [pr.u0 for pr in probs])
    if any(pr.p is not first.p for pr in probs[1:]):
        if not all(hasattr(pr.p, "shape") or isinstance(pr.p, (list, tuple)) for pr in probs):
            raise TypeError("solve_batched: members with different parameters need array parameters "
                            "(stacked along a leading axis); got " + type(first.p).__name__)
        batched.p = _stack(xp, [pr.p for pr in probs])
    return batched


def solve_batched(ens: EnsembleProblem, alg: Any = None, *, trajectories: int, **options: Any
                  ) -> EnsembleSolution:
    """Solve *trajectories* members of *ens* as one batched state; see the module docstring.

    Returns an :class:`~solvers.ensemble.EnsembleSolution` whose ``u[i]`` is
    ``output_func(TrajectoryView(batched_solution, i), i)`` (default: the view itself) and
    whose ``stats`` hold ``backend="batched"``, ``seconds`` and the batched ``solution``.
    """
    if int(trajectories) != trajectories or trajectories < 1:
        raise ValueError(f"trajectories must be a positive integer, got {trajectories!r}")
    if ens.reduction is not None:
        raise ValueError("solve_batched keeps every trajectory; reduce the returned outputs yourself")
    start = time.perf_counter()
    probs = [ens.prob if ens.prob_func is None else ens.prob_func(ens.prob, i) for i in range(trajectories)]
    sol = _batched_problem(probs)._solve(alg, **options)
    views = [TrajectoryView(sol, j) for j in range(trajectories)]
    out = views if ens.output_func is None else [ens.output_func(v, j) for j, v in enumerate(views)]
    stats = {"backend": "batched", "workers": 1, "batch_size": int(trajectories),
             "seconds": time.perf_counter() - start, "solution": sol}
    return EnsembleSolution(out, None, options.get("seed"), stats)
