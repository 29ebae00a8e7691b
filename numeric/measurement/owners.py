"""Who created a source: the independent measurement behind each source id.

``nm.uncertainty_components(y)`` reports the contribution of each independent
input to ``err(y)``. Users know their inputs as measurements (``g``, ``L``),
not as the integer ids of :mod:`numeric.measurement.sources`, so every
independent measurement records itself here, weakly (nothing is kept alive):
a scalar ``Measurement(9.79, 0.02)`` under its one id, an array from
``nm.measurements`` under its range of consecutive ids. :func:`owner` maps an
id back to the measurement that introduced it (an element of the array for
array sources), or ``None`` once that measurement is gone or when the source
was created in another process.

Examples
--------
>>> import numeric as nm
>>> g = nm.Measurement(9.79, 0.02)
>>> owner(g.source) is g
True
"""

from __future__ import annotations

import bisect
import weakref
from typing import Any

__all__ = ["record_scalar", "record_array", "owner"]

_SCALARS: "weakref.WeakValueDictionary[int, Any]" = weakref.WeakValueDictionary()
_ARRAY_STARTS: list[int] = []          # sorted: ids grow within a process
_ARRAYS: dict[int, tuple[int, Any]] = {}


def record_scalar(source: int, m: Any) -> None:
    """Remember that the independent measurement *m* introduced *source*."""
    _SCALARS[source] = m


def _forget(start: int) -> None:
    _ARRAYS.pop(start, None)


def record_array(start: int, n: int, arr: Any) -> None:
    """Remember that the array *arr* introduced the ids ``start ... start + n - 1``."""
    if len(_ARRAY_STARTS) > 2 * len(_ARRAYS) + 64:     # drop the starts of dead arrays
        _ARRAY_STARTS[:] = [s for s in _ARRAY_STARTS if s in _ARRAYS]
    _ARRAYS[start] = (n, weakref.ref(arr, lambda _r, s=start: _forget(s)))
    if _ARRAY_STARTS and start < _ARRAY_STARTS[-1]:
        bisect.insort(_ARRAY_STARTS, start)
    else:
        _ARRAY_STARTS.append(start)


def owner(source: int) -> Any:
    """The independent measurement that introduced *source*, or ``None`` if unknown."""
    m = _SCALARS.get(source)
    if m is not None:
        return m
    i = bisect.bisect_right(_ARRAY_STARTS, source) - 1
    if i < 0:
        return None
    start = _ARRAY_STARTS[i]
    entry = _ARRAYS.get(start)
    if entry is None or source >= start + entry[0]:
        return None
    arr = entry[1]()
    return None if arr is None else arr.reshape(-1)[source - start]
