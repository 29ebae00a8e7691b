"""Central-difference Jacobians for the array-rule tests (one definition, imported by each)."""

from __future__ import annotations

import numpy as np


def central_jacobian(f, x: np.ndarray, h: float = 1e-6) -> np.ndarray:
    """``d ravel(f(x)) / d x`` by central differences: shape ``(size of f(x), x.size)``.

    Examples
    --------
    >>> central_jacobian(lambda v: v ** 2, np.array([1.0, 2.0])).round(6)
    array([[2., 0.],
           [0., 4.]])
    """
    cols = []
    for j in range(x.size):
        e = np.zeros(x.size)
        e[j] = h
        d = np.asarray(f(x + e.reshape(x.shape))) - np.asarray(f(x - e.reshape(x.shape)))
        cols.append(d.ravel() / (2 * h))
    return np.stack(cols, axis=-1)
