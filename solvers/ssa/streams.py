"""Reproducible random streams for the stochastic solvers (SSA, SDE, ensembles).

Every stochastic solve draws from one NumPy :class:`numpy.random.Generator`
(PCG64). A ``seed`` argument may be an ``int``, a
:class:`numpy.random.SeedSequence`, a ``Generator`` (used as it is, so its
state advances) or ``None`` (fresh OS entropy).

Trajectory ``i`` of an ensemble solved with ``seed=s`` draws from
``SeedSequence(s, spawn_key=(i,))``: exactly the ``i``-th child that
``SeedSequence(s).spawn(n)`` would give, but built from ``(s, i)`` alone. A
worker can therefore make trajectory ``i``'s stream without seeing the
others, and the result of trajectory ``i`` is the same on every backend,
whatever the batch size, the number of workers or the number of trajectories.

Examples
--------
>>> g1 = trajectory_generator(7, 3); g2 = trajectory_generator(7, 3)
>>> g1.random() == g2.random()
True
>>> as_generator(5).random() == as_generator(5).random()
True
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["as_generator", "trajectory_seed", "trajectory_generator", "Seed"]

Seed = Any  # int | SeedSequence | Generator | None


def as_generator(seed: Seed) -> np.random.Generator:
    """A ``Generator`` from an int, a ``SeedSequence``, a ``Generator`` or ``None``.

    Examples
    --------
    >>> isinstance(as_generator(1), np.random.Generator)
    True
    """
    if isinstance(seed, np.random.Generator):
        return seed
    if isinstance(seed, np.random.SeedSequence):
        return np.random.Generator(np.random.PCG64(seed))
    if seed is None or isinstance(seed, (int, np.integer)) and not isinstance(seed, bool):
        if seed is not None and seed < 0:
            raise ValueError(f"seed must be a non-negative integer, got {seed}")
        return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed)))
    raise TypeError(f"seed must be an int, a numpy SeedSequence, a numpy Generator or None, "
                    f"got {type(seed).__name__}")


def _entropy(seed: Seed) -> Any:
    if isinstance(seed, np.random.SeedSequence):
        return seed
    if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool) and seed >= 0:
        return int(seed)
    raise TypeError("an ensemble needs a reproducible seed: an int >= 0 or a SeedSequence "
                    f"(a Generator cannot be split across workers), got {type(seed).__name__}")


def trajectory_seed(seed: Seed, i: int) -> np.random.SeedSequence:
    """The ``SeedSequence`` of trajectory *i* of an ensemble seeded with *seed*.

    Examples
    --------
    >>> ss = np.random.SeedSequence(3)
    >>> child = ss.spawn(3)[2]
    >>> trajectory_seed(3, 2).generate_state(2).tolist() == child.generate_state(2).tolist()
    True
    """
    base = _entropy(seed)
    if isinstance(base, np.random.SeedSequence):
        return np.random.SeedSequence(base.entropy, spawn_key=tuple(base.spawn_key) + (int(i),),
                                      pool_size=base.pool_size)
    return np.random.SeedSequence(base, spawn_key=(int(i),))


def trajectory_generator(seed: Seed, i: int) -> np.random.Generator:
    """The ``Generator`` of trajectory *i* (see :func:`trajectory_seed`)."""
    return np.random.Generator(np.random.PCG64(trajectory_seed(seed, i)))
