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
Declare them with ``DDEProblem(..., neutral=True)``: discontinuities of a neutral equation do not
smooth out as they propagate, so for constant lags every propagated point up to ``tf`` becomes a
tstop (not only ``order`` levels; at most ``MAX_TRACKED`` of them). Limitation: crossings of
state-dependent lags are still followed for ``max_level`` levels only (the method's order by
default: raise ``MethodOfSteps(alg, max_level=...)`` to follow them further); the fixed-point
iteration for lags shorter than the step is the same as for retarded equations.
"""

from solvers.dde.method_of_steps import MethodOfSteps
from solvers.dde.problem import DDEProblem

__all__ = ["DDEProblem", "MethodOfSteps"]
