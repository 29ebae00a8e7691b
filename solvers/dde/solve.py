"""``solve(DDEProblem, MethodOfSteps(alg))``: the DDE as an ODE over its own growing history.

The solve builds one :class:`~solvers.dde.history.History`, the ODE right-hand side
``(u, p, t) -> f(u, history, p, t)``, the planned discontinuities of the constant lags (as
``tstops``) and a tracker for the state-dependent ones, and runs the ODE step loop with the
method of steps (:mod:`solvers.dde.method_of_steps`). The result is an
:class:`~solvers.ode.solution.ODESolution` (dense output, saveat, retcodes as for ODEs) with
``prob`` the DDE problem and ``discontinuities`` the tracked ``[(t, level)]``.
"""

from __future__ import annotations

import math
from typing import Any

from solvers._nm import nm

from solvers.dde.discontinuities import DiscontinuityTracker, constant_lag_discontinuities
from solvers.dde.history import History
from solvers.dde.method_of_steps import DelayMethod, MethodOfSteps

__all__ = ["solve_dde"]


def _levels(spec: MethodOfSteps, prob: Any) -> int:
    """Tracked levels: the method's order; for a neutral problem (whose discontinuities do not
    smooth out) enough for the constant lags to reach ``tf`` (unless ``max_level`` is given)."""
    if not prob.neutral or spec.max_level is not None or not prob.constant_lags:
        return spec.levels
    span = float(nm.value(prob.tspan[1])) - float(nm.value(prob.tspan[0]))
    return max(spec.levels, math.ceil(span / min(float(nm.value(c)) for c in prob.constant_lags)))


def solve_dde(prob: Any, alg: Any = None, *, tstops: Any = None, controller: Any = None,
              **options: Any) -> Any:
    """Solve a :class:`~solvers.dde.problem.DDEProblem`; the options are those of ODE solves."""
    from solvers.common import solve
    from solvers.ode.algorithms import Tsit5
    from solvers.ode.problem import ODEProblem

    if alg is None:
        alg = Tsit5()
    spec = alg if isinstance(alg, MethodOfSteps) else MethodOfSteps(alg)
    if controller is not None:
        spec = MethodOfSteps(spec.alg, spec.fixedpoint_tol, spec.max_fixedpoint_iters, spec.max_level,
                             controller)
    if options.get("compile"):
        raise ValueError("solve(DDEProblem): compile=True is not available (the history is Python code)")
    options["compile"] = False
    t0, tf = prob.tspan
    history = History(prob.h, t0, prob.u0)
    f = prob.f

    def rhs(u: Any, p: Any, t: Any) -> Any:
        return f(u, history, p, t)

    levels = _levels(spec, prob)
    planned = constant_lag_discontinuities(t0, prob.constant_lags, levels, tf) if prob.constant_lags else []
    tracker = DiscontinuityTracker(t0, planned, prob.dependent_lags, prob.constant_lags, levels)
    ode = ODEProblem(rhs, prob.u0, prob.tspan, prob.p, callback=prob.callback)
    stops = list(tstops or ()) + [t for t, _ in planned]
    sol = solve(ode, DelayMethod(spec, history, tracker), tstops=stops, **options)
    sol.prob, sol.alg = prob, spec
    sol.discontinuities = tracker.all()
    return sol
