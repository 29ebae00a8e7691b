"""The past of a delay solve: the user's history before ``t0``, the steps' interpolants after.

:class:`History` is what ``f(u, h, p, t)`` receives as ``h``. A lookup ``h(p, s)`` returns

* ``history(p, s)`` for ``s < t0``;
* the continuous extension of an accepted step covering ``s`` for ``t0 <= s <= t_last``
  (the segment of the method's dense output, found by bisection on the step ends);
* inside the step being attempted (``s > t_last``, a lag shorter than the step): the current
  iterate's interpolant when the fixed-point iteration has one, else the last accepted step's
  polynomial extrapolated (``theta > 1``), or the constant ``u0`` before the first step.
  An iterate's lazily built interpolation stages (Verner's methods) are built with the
  previous iterate as the history inside the step (:meth:`History.set_trial`). Such a lookup sets ``beyond``, which tells the stepper to iterate the step
  (:mod:`solvers.dde.method_of_steps`).

The state path runs in the state's namespace (NumPy, CuPy, ``array_api_strict``): the segments
are the ODE methods' own dense outputs; only the step ends searched by bisection are host
numbers (bookkeeping of times). A lookup at a time carrying a derivative (a Rosenbrock
method's ``df/dt``) on a device state is evaluated by the chain rule, ``u(s) + u'(s) ds``
(:func:`_evaluate_at_dual_time`): the segments' ``array * theta`` cannot take a ``Dual`` on the
right of a device array.
"""

from __future__ import annotations

import bisect
from typing import Any, Callable

from numeric.backend import add, is_foreign
from solvers._nm import nm

__all__ = ["History"]


class History:
    """The solution so far, callable as ``h(p, s)`` / ``h(p, s, deriv=1)``.

    Examples
    --------
    >>> hist = History(lambda p, t: 1.0, 0.0, 1.0)
    >>> hist(None, -0.5), hist(None, 0.0)
    (1.0, 1.0)
    """

    def __init__(self, history: Callable, t0: Any, u0: Any):
        self.history, self.t0, self.u0 = history, t0, u0
        self.device = is_foreign(nm.value(u0))  # a state on a device (CuPy, array API)
        self.tv0 = nm.value(t0)
        self.starts: list = []  # primal start and end times of the accepted steps
        self.ends: list = []
        self.segments: list = []
        self.trial = None  # (t_start, segment) of the step being iterated
        self.t_now = t0  # start of the step being attempted
        self.tv_now = self.tv0
        self.beyond = False
        self.left_limit = False  # s = t0 gives h(p, t0) (the left limit) instead of u0

    # -- lookups ---------------------------------------------------------------------------------
    def __call__(self, p: Any, s: Any, deriv: int = 0) -> Any:
        sv = nm.value(s)
        if sv < self.tv0 or (sv == self.tv0 and self.left_limit):
            return self.history(p, s) if deriv == 0 else self.history(p, s, deriv=deriv)
        if sv > self.tv_now:
            self.beyond = True
            return self._ahead(s, deriv)
        if not self.ends:
            return self.u0 if deriv == 0 else self._constant_derivative(s)
        i = min(bisect.bisect_left(self.ends, sv), len(self.ends) - 1)
        return _evaluate(self.segments[i], s, deriv, self.device)

    def _ahead(self, s: Any, deriv: int) -> Any:
        if self.trial is not None:
            return _evaluate(self.trial, s, deriv, self.device)
        if self.segments:  # extrapolate the last accepted step (first pass of the iteration)
            return _evaluate(self.segments[-1], s, deriv, self.device)
        return self.u0 if deriv == 0 else self._constant_derivative(s)

    def _constant_derivative(self, s: Any) -> Any:
        return self.u0 * 0

    # -- bookkeeping (called by the stepper) -------------------------------------------------------
    def begin(self, t: Any) -> None:
        """A step from *t* is attempted: lookups past *t* are inside the step."""
        self.t_now, self.tv_now = t, nm.value(t)
        self.trial, self.beyond = None, False

    def commit(self, t_start: Any, t_end: Any, segment: Any) -> None:
        """Record an accepted step ``[t_start, t_end]`` with its interpolant."""
        a, b = nm.value(t_start), nm.value(t_end)
        while self.ends and self.ends[-1] > a:  # a restart (reinit) overwrote the tail
            self.starts.pop(), self.ends.pop(), self.segments.pop()
        self.starts.append(a)
        self.ends.append(b)
        self.segments.append(segment)
        self.t_now, self.tv_now, self.trial = t_end, b, None

    def set_trial(self, segment: Any) -> None:
        """Make *segment* (the current iterate of the attempted step) the history inside the step.

        Its lazily built interpolation stages are built first, while the previous iterate still
        answers lookups inside the step (else they would ask the segment for itself)."""
        self.build(segment)
        self.trial = segment

    def build(self, segment: Any) -> None:
        """Evaluate *segment* once, so that its lazily built stages see the history as it is now."""
        segment(segment.theta(self.t_now) * 0 + 0.5)


def _evaluate(segment: Any, s: Any, deriv: int, device: bool = False) -> Any:
    if device and not isinstance(nm.value(s), type(s)):
        return _evaluate_at_dual_time(segment, s, deriv)
    theta = segment.theta(s)
    if deriv == 0:
        return segment(theta)
    if deriv == 1:
        return segment.derivative(theta)
    raise ValueError(f"h(p, t, deriv={deriv}): only deriv=0 (the solution) and deriv=1 (its "
                     "derivative) are available from the continuous extension")


def _evaluate_at_dual_time(segment: Any, s: Any, deriv: int) -> Any:
    """``u(s)`` for a time *s* with a first-order derivative part on a device state:
    ``u(sv) + (s - sv) u'(sv)``, exact for one level of forward mode (the time's tangent times
    the interpolant's slope). Nested derivatives and ``deriv=1`` would need the interpolant's
    second derivative: refused."""
    sv = nm.value(s)
    if deriv != 0 or not isinstance(sv, (int, float)):
        raise TypeError("a history lookup h(p, t) at a time carrying nested derivatives (or h(p, t, deriv=1) "
                        "at a time carrying a derivative) on a device state: the continuous extension gives "
                        "only its first derivative there; use NumPy arrays, or a method that needs no df/dt "
                        "(FBDF, KenCarp4, an explicit method) in place of a Rosenbrock method")
    theta = segment.theta(sv)
    return add(segment(theta), (s - sv) * segment.derivative(theta))
