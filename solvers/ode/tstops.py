"""Stops, a component of the step loop: the times every method's steps land on exactly."""

from __future__ import annotations

from typing import Any, Sequence

from solvers._nm import nm

__all__ = ["plan_stops"]


def plan_stops(tstops: Sequence | None, tv0: Any, span: Any, tdir: int, tf: Any) -> list:
    """The stops strictly inside ``(t0, tf)`` in the direction of integration, then ``tf``.

    Examples
    --------
    >>> plan_stops([0.5, 2.0, 0.25, 0.0], 0.0, 1.0, 1, 1.0)
    [0.25, 0.5, 1.0]
    """
    inside = (x for x in (tstops or ()) if 0 < tdir * (nm.value(x) - tv0) < span)
    return sorted(inside, key=lambda x: tdir * nm.value(x)) + [tf]
