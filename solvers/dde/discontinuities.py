"""Where a delay solution is not smooth, and how the solver finds those times.

A DDE's solution is in general not smooth at ``t0`` (``h(p, t0) != u0``: a jump in ``u``;
else in ``u'``). A lag carries a discontinuity at ``xi`` to every ``t`` with
``t - tau(u(t), t) = xi``, one derivative smoother each time (retarded equations; Bellen &
Zennaro, *Numerical Methods for Delay Differential Equations*, 2003, section 2.2). A method
of order ``q`` loses order on a step across a discontinuity of derivative ``<= q``, so the
solver places step ends on them up to level ``q`` (DelayDiffEq.jl's rule):

* constant lags: the times ``t0 + sum of at most q lags`` are known in advance and become
  ``tstops`` (:func:`constant_lag_discontinuities`);
* state-dependent lags: after every step the crossings of ``t - tau(u(t), p, t) = xi`` for the
  tracked ``xi`` are located on the step's interpolant by root finding
  (:class:`DiscontinuityTracker`); a crossing inside the step rejects it and the next try
  ends on the crossing, which is then tracked itself. Constant lags propagate the discontinuities
  found this way by the same search.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np

from solvers._nm import nm
from solvers.roots import RootError, find_root

__all__ = ["constant_lag_discontinuities", "DiscontinuityTracker", "MAX_TRACKED"]

MAX_TRACKED = 10_000  # at most this many propagated discontinuities from constant lags
LAND_RTOL = 1e-6  # a crossing within this fraction of the step of an end counts as at that end


def constant_lag_discontinuities(t0: Any, lags: Sequence, levels: int, tf: Any) -> list:
    """``[(t, level)]``: ``t0 + (sums of `level` lags)`` strictly inside ``(t0, tf)``, sorted.

    Each time keeps the lowest level it is reached at; times equal in value are merged.

    Examples
    --------
    >>> constant_lag_discontinuities(0.0, [1.0, 1.5], 2, 3.5)
    [(1.0, 1), (1.5, 1), (2.0, 2), (2.5, 2), (3.0, 2)]
    """
    tv0, tvf = nm.value(t0), nm.value(tf)
    seen: dict = {}
    frontier = [(t0, 0)]
    for level in range(1, levels + 1):
        nxt = []
        for t, _ in frontier:
            for lag in lags:
                s = t + lag
                key = round(float(nm.value(s)), 12)
                if not tv0 < nm.value(s) < tvf or key in seen:
                    continue
                if len(seen) >= MAX_TRACKED:
                    raise ValueError(f"more than {MAX_TRACKED} propagated discontinuities from the constant "
                                     "lags: lower the tracked order (MethodOfSteps(alg, max_level=...))")
                seen[key] = (s, level)
                nxt.append((s, level))
        frontier = nxt
    return sorted(seen.values(), key=lambda x: nm.value(x[0]))


class DiscontinuityTracker:
    """Tracked discontinuities and the crossing search for one solve.

    Parameters
    ----------
    t0 : the initial time (level 0)
    known : ``[(t, level)]`` already planned as tstops (constant lags)
    dependent : callables ``tau(u, p, t)``
    constant : the constant lags (propagate the discontinuities found here)
    max_level : deepest level tracked (the method's order)
    """

    def __init__(self, t0: Any, known: list, dependent: Sequence, constant: Sequence, max_level: int):
        self.times = [float(nm.value(t0))] + [float(nm.value(t)) for t, _ in known]
        self.levels = [0] + [lv for _, lv in known]
        self.planned = len(self.times)  # the first ones are already tstops for the constant lags
        self.dependent, self.constant = list(dependent), [float(nm.value(c)) for c in constant]
        self.max_level = max_level
        self.active = bool(self.dependent)

    def all(self) -> list:
        """``[(t, level)]`` of every tracked discontinuity, sorted by time."""
        return sorted(zip(self.times, self.levels))

    def crossings(self, seg: Any, t: Any, u: Any, t_new: Any, u_new: Any, p: Any) -> list:
        """``[(t_cross, level)]`` of the crossings inside the step ``[t, t_new]`` (primal times)."""
        if not self.active:
            return []
        ta, tb = float(nm.value(t)), float(nm.value(t_new))
        xi = np.array(self.times)
        lv = np.array(self.levels)
        ok = lv < self.max_level
        out = []
        for lag in self.dependent:
            out += self._search(lambda s, v, lag=lag: s - float(nm.value(lag(v, p, s))),
                                seg, ta, u, tb, u_new, xi, lv, ok)
        found = np.zeros(len(xi), dtype=bool)
        found[self.planned:] = True
        for c in self.constant:
            out += self._search(lambda s, v, c=c: s - c, seg, ta, u, tb, u_new, xi, lv, ok & found)
        return out

    def _search(self, arg: Callable, seg: Any, ta: float, u: Any, tb: float, u_new: Any,
                xi: np.ndarray, lv: np.ndarray, mask: np.ndarray) -> list:
        """Crossings of ``arg(s, u(s)) = xi`` for the masked ``xi`` over the step."""
        ga = arg(ta, nm.value(u)) - xi
        gb = arg(tb, nm.value(u_new)) - xi
        hit = mask & (((ga < 0) & (gb >= 0)) | ((ga > 0) & (gb <= 0)))
        out = []
        for i in np.flatnonzero(hit):
            if gb[i] == 0:
                out.append((tb, int(lv[i]) + 1))
                continue
            x = float(xi[i])

            def g(theta, x=x):
                s = ta + theta * (tb - ta)
                return arg(s, nm.value(seg(theta))) - x

            try:
                theta = find_root(g, (0.0, 1.0), polish=False, xtol=1e-13)
            except RootError:  # the interpolant's end differs from the state's in the last bits
                out.append((ta if abs(ga[i]) < abs(gb[i]) else tb, int(lv[i]) + 1))
                continue
            out.append((ta + float(theta) * (tb - ta), int(lv[i]) + 1))
        return out

    def first_level_at(self, t: Any) -> bool:
        """Whether *t* is a tracked discontinuity of level 1 (where ``t - lag = t0``)."""
        tv = float(nm.value(t))
        tol = 1e-14 * max(1.0, abs(tv))
        return any(lv == 1 and abs(s - tv) <= tol for s, lv in zip(self.times, self.levels))

    def record(self, t: float, level: int) -> None:
        """Track a crossing found at *t* (skipped when one is already tracked there)."""
        for s, lv in zip(self.times, self.levels):
            if abs(s - t) <= 1e-12 * max(1.0, abs(t)) and lv <= level:
                return
        self.times.append(t)
        self.levels.append(level)
