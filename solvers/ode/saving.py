"""Saving, a component of the step loop: which times are kept and how (every method uses it).

:func:`plan_saves` turns ``saveat`` / ``save_everystep`` / ``save_start`` / ``dense`` into a
plan on the solve state (``save_times``, ``ts``/``us``, ``segments``); the loop calls
:func:`save_until` after each accepted step (values inside the step come from its segment) and
:func:`save_final` when the solve ends.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from solvers._nm import nm
from solvers.ode.validate import check_saveat

__all__ = ["plan_saves", "start_saves", "save_until", "save_final"]


def _save_times(saveat: Any, s: Any) -> list:
    if saveat is None:
        return []
    if isinstance(saveat, (list, tuple, np.ndarray)):
        return sorted((x for x in saveat), key=lambda x: s.tdir * nm.value(x))
    if nm.value(saveat) is not saveat:   # the times k * saveat would be taken at its value: d/d saveat lost
        raise ValueError("saveat: a spacing carrying derivatives or uncertainties is not supported (the save "
                         "times would drop them); pass the save times as a sequence, e.g. "
                         "[t0 + k * dt for k in range(n)], to differentiate with respect to them")
    step = abs(nm.value(saveat))
    n = int(math.floor(float(s.span / step) * (1 + 1e-12))) if step > 0 else 0
    times = [s.tv0 + s.tdir * step * k for k in range(n + 1)]
    if times and abs(times[-1] - s.tvf) > 1e-12 * s.span:
        times.append(s.tf)
    elif times:
        times[-1] = s.tf
    times[0] = s.t0
    return times


def plan_saves(s: Any, saveat: Any, save_everystep: Any, save_start: bool, save_end: bool, dense: Any) -> None:
    """Set ``save_times, save_everystep, dense, save_end, ts, us, segments, si`` on the solve state *s*.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> s = SimpleNamespace(tdir=1, span=1.0, tv0=0.0, tvf=1.0, t0=0.0, tf=1.0, u=2.0)
    >>> plan_saves(s, 0.5, None, True, True, None)
    >>> s.save_times, s.ts, s.us, s.save_everystep, s.dense
    ([0.0, 0.5, 1.0], [0.0], [2.0], False, False)
    """
    s.save_times = _save_times(saveat, s)
    check_saveat(s.save_times, s.tv0, s.tvf, s.tdir)
    s.save_everystep = saveat is None if save_everystep is None else save_everystep
    s.dense = s.save_everystep and saveat is None if dense is None else dense
    s.save_end = saveat is None and save_end and not s.save_everystep
    s.save_first = saveat is None and save_start
    start_saves(s)


def start_saves(s: Any) -> None:
    """Set ``ts, us, segments, si`` on the solve state *s* (saves planned by :func:`plan_saves`):
    the points saved at ``t0``, before the first step."""
    s.ts, s.us, s.segments, s.si = [], [], [], 0
    if s.save_first:
        s.ts.append(s.t0)
        s.us.append(s.u)
    times = s.save_times
    while s.si < len(times) and s.tdir * (nm.value(times[s.si]) - s.tv0) <= 0:
        if s.tdir * (nm.value(times[s.si]) - s.tv0) == 0:
            if nm.value(times[s.si]) is not times[s.si]:
                break   # a dual time at t0: saved from the first step's interpolant, which carries d u/dt
            s.ts.append(times[s.si])
            s.us.append(s.u)
        s.si += 1


def save_until(save_times, si, t_end, tdir, seg, ts, us, inclusive=True, u_end=None) -> int:
    """Save every planned time up to *t_end* from the step's segment *seg*; the next index."""
    te = tdir * nm.value(t_end)
    while si < len(save_times):
        ts_i = save_times[si]
        k = tdir * nm.value(ts_i)
        if k > te:
            break
        if k == te and u_end is not None and nm.value(ts_i) is ts_i:   # a dual time: the interpolant's d u/dt
            val = u_end
        else:
            val = seg(seg.theta(ts_i))
        ts.append(ts_i)
        us.append(val)
        si += 1
    return si


def save_final(s: Any, t: Any, u: Any) -> None:
    """The end point, when only the ends are saved (``save_end`` without ``saveat``)."""
    if s.save_end and (not s.ts or s.ts[-1] is not t):
        s.ts.append(t)
        s.us.append(u)
