"""Factorise ``W = M - gamma h J`` once per step and solve with it many times.

Float arrays go through LAPACK (``scipy.linalg.lu_factor``); object arrays
(``mpf``, ...) through the generic LU of :mod:`solvers.linalg`; any other
array type (a ``DualArray`` Jacobian) through ``np.linalg.solve``, which the
array type implements (it factorises once per call).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.linalg

from solvers import linalg

__all__ = ["Factorization", "factorize"]


class Factorization:
    """A factorised square matrix: ``fac.solve(b)`` returns ``W^-1 b``."""

    def __init__(self, W: Any, stats: Any = None):
        self.stats = stats
        if isinstance(W, np.ndarray) and W.dtype.kind in "fc":
            self.kind = "lapack"
            self.lu = scipy.linalg.lu_factor(W, check_finite=False)
            self.W = W
        elif isinstance(W, np.ndarray):
            self.kind = "generic"
            self.lu = linalg.lu_factor(W)
        else:
            self.kind = "array"
            self.lu = W
        _count(stats, "nfactor")

    def solve(self, b: Any) -> Any:
        _count(self.stats, "nsolve")
        if self.kind == "lapack":
            if isinstance(b, np.ndarray):
                if b.dtype.kind in "fc":
                    return scipy.linalg.lu_solve(self.lu, b, check_finite=False)
                return linalg.lu_solve((self.lu[0].astype(object), self.lu[1]), b)
            # another array type (DualArray, MeasurementArray) on a float matrix: its own
            # np.linalg.solve (through __array_function__) keeps its derivative/uncertainty part
            return np.linalg.solve(self.W, b)
        if self.kind == "generic":
            return linalg.lu_solve(self.lu, b)
        return np.linalg.solve(self.lu, b)


def _count(stats: Any, name: str) -> None:
    if stats is not None:
        setattr(stats, name, getattr(stats, name, 0) + 1)


def factorize(W: Any, stats: Any = None) -> Factorization:
    """Factorise *W* by the path its type allows (see the module docstring)."""
    return Factorization(W, stats)
