"""Independent sources of uncertainty: unique integer identities.

A measurement is a linear combination of independent standard normal
sources z_i (mean 0, variance 1) around its nominal value:

    x = val + sum_i c_i z_i,        err(x) = sqrt(sum_i c_i**2).

A source is known only by its integer id; ids are handed out by a single
increasing counter, so ids created together (``nm.measurements`` of an
array, ``nm.correlated_values``) are consecutive and sorted.

Examples
--------
>>> from numeric.measurement.sources import new_sources
>>> a = new_sources(3)
>>> (int(a[1] - a[0]), int(a[2] - a[1]), a.dtype.name)
(1, 1, 'int64')
"""

from __future__ import annotations

import numpy as np

__all__ = ["new_source", "new_sources"]

_NEXT = [0]


def new_source() -> int:
    """One fresh source id."""
    i = _NEXT[0]
    _NEXT[0] = i + 1
    return i


def new_sources(n: int) -> np.ndarray:
    """*n* fresh, consecutive source ids as an int64 array."""
    start = _NEXT[0]
    _NEXT[0] = start + int(n)
    return np.arange(start, start + int(n), dtype=np.int64)
