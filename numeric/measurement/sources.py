"""Independent sources of uncertainty: unique integer identities.

A measurement is a linear combination of independent standard normal
sources z_i (mean 0, variance 1) around its nominal value:

    x = val + sum_i c_i z_i,        err(x) = sqrt(sum_i c_i**2).

A source is known only by its integer id; ids are handed out by a single
increasing counter, so ids created together (``nm.measurements`` of an
array, ``nm.correlated_values``) are consecutive and sorted.

Ids are unique across processes: each process (and each child after a
``fork``) starts its counter at a random point of [0, 2**62) drawn from the
operating system's entropy, so two processes that each create N sources
collide with probability below 2 N / 2**62 (about 4e-10 for N = 10**9).
A pickled measurement keeps its ids, so ``x`` and an unpickled copy of
``x`` are the same random variable, while sources created independently in
another process are never mistaken for it.

Examples
--------
>>> from numeric.measurement.sources import new_sources
>>> a = new_sources(3)
>>> (int(a[1] - a[0]), int(a[2] - a[1]), a.dtype.name)
(1, 1, 'int64')
"""

from __future__ import annotations

import os
import secrets

import numpy as np

__all__ = ["new_source", "new_sources"]

_NEXT = [0]


def _reseed() -> None:
    """Start this process's counter at a fresh random point (ids unique across processes)."""
    _NEXT[0] = secrets.randbits(62)


_reseed()
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reseed)


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
