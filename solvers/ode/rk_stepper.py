"""Explicit Runge-Kutta (any tableau) and GBS extrapolation as steppers of the protocol loop.

:class:`TableauStepper` wraps the stage kernels of :mod:`solvers.ode.steppers` (in-place stage
buffers for float arrays, ``+``/``*`` for every other number type): it evaluates ``f(u)`` when the
loop does not know it (and keeps it across a rejected try), counts the evaluations, returns the
last stage as ``f_new`` for FSAL tableaus and the tableau's interpolant as the segment.
:class:`OwnControllerStepper` does the same for a method that picks its own step (GBS): the
loop asks it for the next step through ``propose_dt``. Both have the optional ``step_to`` hook
(:mod:`solvers.ode.stepper`): the loop passes the exact end time of a step that lands on a stop.
"""

from __future__ import annotations

from typing import Any

from solvers.ode.solution import Segment

__all__ = ["TableauStepper", "OwnControllerStepper"]


class _F0Cache:
    """``f(u, p, t)`` at the step's start, computed once per start point (a rejected try reuses it)."""

    def _f0(self, t: Any, u: Any, f0: Any) -> Any:
        if f0 is not None:
            return f0
        if self._at is not None and self._at[0] is u and self._at[1] is t:
            return self._at[2]
        f0 = self.inner.f(u, self.inner.p, t)
        self.stats.nf += 1
        self._at = (u, t, f0)
        return f0

    @property
    def p(self) -> Any:
        return self.inner.p

    @p.setter
    def p(self, value: Any) -> None:
        self.inner.p = value
        self._at = None

    def reinit(self, t: Any, u: Any) -> None:
        self._at = None


class TableauStepper(_F0Cache):
    """An explicit RK kernel *inner* (``step(t, u, k1, h, t_new) -> (u_new, E, K)``) on the protocol.

    Examples
    --------
    >>> import numpy as np
    >>> from solvers import ODEProblem, Tsit5, init
    >>> integ = init(ODEProblem(lambda u, p, t: -u, np.array([1.0]), (0.0, 1.0)), Tsit5(), rtol=1e-8)
    >>> type(integ.stepper).__name__, bool(abs(integ.solve().u[-1][0] - np.exp(-1)) < 1e-7)
    ('TableauStepper', True)
    """

    def __init__(self, inner: Any, co: Any, stats: Any, stages: int, fsal: bool, float_path: bool) -> None:
        self.inner, self.co, self.stats = inner, co, stats
        self.n_new, self.fsal, self.float_path = stages - 1, fsal, float_path
        self._at = None

    def step(self, t: Any, u: Any, f0: Any, h: Any) -> tuple:
        return self.step_to(t, u, f0, h, t + h)

    def step_to(self, t: Any, u: Any, f0: Any, h: Any, t_new: Any) -> tuple:
        inner = self.inner
        f0 = self._f0(t, u, f0)
        u_new, E, K = inner.step(t, u, f0, h, t_new)
        self.stats.nf += self.n_new
        if self.float_path:
            seg = Segment(t, h, u, u_new, None, K, self.co, inner.f, inner.p, self.stats)
        else:
            seg = Segment(t, h, u, u_new, K, None, self.co, inner.f, inner.p, self.stats)
        return u_new, E, inner.last_stage(K) if self.fsal else None, seg


class OwnControllerStepper(_F0Cache):
    """A stepper that chooses acceptance and the next step (``ratio``) itself, e.g. GBS."""

    fsal = True

    def __init__(self, inner: Any, stats: Any, dense: bool) -> None:
        self.inner, self.stats, self._at = inner, stats, None
        inner.prepare(dense_output=dense)  # GBS picks a step-number sequence that has midpoint data

    def step(self, t: Any, u: Any, f0: Any, h: Any) -> tuple:
        return self.step_to(t, u, f0, h, t + h)

    def step_to(self, t: Any, u: Any, f0: Any, h: Any, t_new: Any) -> tuple:
        inner = self.inner
        f0 = self._f0(t, u, f0)
        u_new, E, rec = inner.step(t, u, f0, h, t_new)
        if E is not None and not float(E) <= 1:
            return u_new, E, None, None
        return u_new, E, inner.last_stage(rec), inner.segment(t, h, u, u_new, f0, rec)

    def propose_dt(self, h: Any, E: Any, accepted: bool) -> Any:
        return h * self.inner.ratio
