"""Delay differential equations: ``DDEProblem`` and ``MethodOfSteps(alg)`` over any ODE method.

``u'(t) = f(u(t), h, p, t)`` where ``h(p, s)`` is the solution's past (the history function
before ``t0``, the continuous extension after). See :mod:`solvers.dde.method_of_steps` (fixed-point
iteration for lags shorter than a step), :mod:`solvers.dde.discontinuities` (propagated
discontinuities: tstops for constant lags, root finding for state-dependent lags).

Neutral delays
--------------
``h(p, s, deriv=1)`` returns ``u'(s)`` (the derivative of the continuous extension, or of the
history function, which must then accept ``deriv=1``), so neutral equations
``u' = f(u, u(t - tau), u'(t - tau))`` can be written and are solved by the same iteration.
Declare them with ``DDEProblem(..., neutral=True)``. Limitation: discontinuities of a neutral
equation do not smooth out as they propagate; the tracker still stops tracking them after
``max_level`` levels (raise ``MethodOfSteps(alg, max_level=...)`` to follow them further), and
at each tracked point the solution's derivative jumps, so accuracy there depends on landing
exactly on every one (constant lags: planned; state-dependent: located).
"""

from solvers.dde.method_of_steps import MethodOfSteps
from solvers.dde.problem import DDEProblem

__all__ = ["DDEProblem", "MethodOfSteps"]
