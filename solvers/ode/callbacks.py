"""Callbacks: events located by root finding, and checks after every step.

ContinuousCallback
    ``condition(u, t, integrator)`` is a real-valued function along the
    solution; an event is a sign change of it. After every accepted step the
    condition is sampled at ``interp_points`` points of the step's dense
    interpolant (so that two crossings within one step are not missed); a
    bracketed sign change is refined by Illinois false position on primal
    values, then polished by one Newton step on the full (generic) condition:

        tau = tau* - g(u(tau*), tau*) / g'(tau*),

    where ``g(tau*)`` is evaluated with the state's number type and ``g'`` by
    a central difference on primal values. With dual numbers ``g(tau*)`` has
    primal ~0 and partials ``dg/dp``, so ``tau`` carries the implicit-function
    derivative ``dtau/dp = -(dg/dp) / (dg/dt)``: derivatives through an event
    (and through everything after it) come out right.

    The step is then cut at ``tau``: the integrator moves to the event, calls
    ``affect(integrator)`` (which may assign ``integrator.u``, change
    ``integrator.p`` or call ``integrator.terminate()``), and continues from
    there. Several events in one step are therefore handled in time order,
    one per cut step. Right after an event the same callback ignores the
    condition within a few ulps of the event time (its sign there is noise),
    so an event is never detected twice.

DiscreteCallback
    ``condition(u, t, integrator) -> bool`` is checked after each accepted
    step; when true, ``affect(integrator)`` runs.
"""

from __future__ import annotations

from typing import Any, Callable, Iterable

__all__ = ["ContinuousCallback", "DiscreteCallback", "CallbackSet"]

_DIRECTIONS = {0: 0, 1: 1, -1: -1, "both": 0, "up": 1, "down": -1, None: 0}


class ContinuousCallback:
    """An event at a sign change of ``condition(u, t, integrator)``.

    Parameters
    ----------
    condition : callable
        ``condition(u, t, integrator)`` -> real number (may be a dual).
    affect : callable or None
        ``affect(integrator)`` run at the event (for up-crossings, and for
        down-crossings unless *affect_neg* is given). None: only stop there
        (and save the point).
    affect_neg : callable or None, optional
        Run at down-crossings (condition goes from positive to negative).
    direction : {0, 1, -1, "both", "up", "down"}
        Which crossings count: both, up (- to +) or down (+ to -).
    interp_points : int
        Samples of the condition per step, to find crossings inside a step.
    save_positions : (bool, bool)
        Save the state just before and just after the event (when saving every step).

    Examples
    --------
    >>> import numpy as np
    >>> from solvers import ODEProblem, solve, Tsit5, ContinuousCallback
    >>> f = lambda u, p, t: np.array([u[1], -9.81])          # height, velocity
    >>> hit = ContinuousCallback(lambda u, t, i: u[0], lambda i: i.terminate(), direction="down")
    >>> sol = solve(ODEProblem(f, np.array([10.0, 0.0]), (0.0, 5.0)), Tsit5(), callback=hit)
    >>> sol.retcode.value, round(float(sol.t[-1]), 6)   # sqrt(2 * 10 / 9.81)
    ('Terminated', 1.427843)
    """

    def __init__(
        self,
        condition: Callable,
        affect: Callable | None,
        affect_neg: Any = "same",
        *,
        direction: Any = 0,
        interp_points: int = 10,
        save_positions: tuple = (True, True),
    ):
        if direction not in _DIRECTIONS:
            raise ValueError(f"direction must be 0, 1, -1, 'both', 'up' or 'down', not {direction!r}")
        self.condition = condition
        self.affect = affect
        self.affect_neg = affect if affect_neg == "same" else affect_neg
        self.direction = _DIRECTIONS[direction]
        self.interp_points = max(1, int(interp_points))
        self.save_positions = tuple(save_positions)

    def __repr__(self) -> str:
        return f"ContinuousCallback({getattr(self.condition, '__name__', 'condition')}, direction={self.direction})"


class DiscreteCallback:
    """``affect(integrator)`` after every accepted step where ``condition(u, t, integrator)`` holds.

    Examples
    --------
    >>> from solvers import ODEProblem, solve, Tsit5, DiscreteCallback
    >>> stop = DiscreteCallback(lambda u, t, i: u < 0.5, lambda i: i.terminate())
    >>> sol = solve(ODEProblem(lambda u, p, t: -u, 1.0, (0.0, 10.0)), Tsit5(), callback=stop)
    >>> sol.retcode.value, bool(sol.u[-1] < 0.5)
    ('Terminated', True)
    """

    def __init__(self, condition: Callable, affect: Callable, *, save_positions: tuple = (False, True)):
        self.condition = condition
        self.affect = affect
        self.save_positions = tuple(save_positions)

    def __repr__(self) -> str:
        return f"DiscreteCallback({getattr(self.condition, '__name__', 'condition')})"


class CallbackSet:
    """Several callbacks (continuous ones are checked together, earliest event first)."""

    def __init__(self, *callbacks: Any):
        self.callbacks = list(_flatten(callbacks))

    def __iter__(self):
        return iter(self.callbacks)

    def __repr__(self) -> str:
        return f"CallbackSet({', '.join(map(repr, self.callbacks))})"


def _flatten(cbs: Iterable) -> Iterable:
    for cb in cbs:
        if cb is None:
            continue
        if isinstance(cb, (CallbackSet, list, tuple)):
            yield from _flatten(cb)
        else:
            yield cb


def split_callbacks(*cbs: Any) -> tuple[list, list]:
    """(continuous, discrete) lists from callbacks, sets and sequences."""
    cont, disc = [], []
    for cb in _flatten(cbs):
        if isinstance(cb, ContinuousCallback):
            cont.append(cb)
        elif isinstance(cb, DiscreteCallback):
            disc.append(cb)
        else:
            raise TypeError(f"not a callback: {cb!r}")
    return cont, disc
