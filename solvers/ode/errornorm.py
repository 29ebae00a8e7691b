"""Which parts of the state the step-size controller's error norm measures (``solve(..., errornorm=...)``).

An adaptive method accepts a step when the RMS of the scaled error estimate

    E = sqrt(1/n sum_j (e_j / sc_j)^2),   sc_j = atol_j + rtol_j max(|u_j|, |u_new_j|)

is at most 1. Two choices change what enters it:

``partials`` (default True)
    Whether derivative and uncertainty parts count. With True, a ``DualArray``
    state's partials enter the norm (``nm.norm`` of a dual: DualArray's
    ``_nm_norm``), as DifferentialEquations.jl does for ForwardDiff duals, so
    the steps also keep the error of the derivatives below the tolerance. With
    False only the primal values count (``nm.value`` of the error), as
    DifferentialEquations.jl's ``internalnorm = (u, t) -> norm(ForwardDiff.value(u))``:
    the solve takes the steps of the float solve, and the derivatives are those
    of the discrete method on those steps (accurate to about the tolerance for a
    smooth problem, but not controlled).
``rows`` (default 1)
    A float state that stacks a primal block and ``rows - 1`` derivative blocks
    of the same length n, ``[u, du/dθ_1, ..., du/dθ_k]`` (the augmented state of
    a compiled forward-mode solve). Every block is scaled by the primal block's
    ``sc_j`` and the sum is divided by n, which is exactly the norm of the same
    state held as a DualArray; with ``partials=False`` only the primal block
    counts. Tolerance arrays are read on the primal block.

Examples
--------
>>> import numpy as np
>>> scaled_rms(np.array([1e-9, 2e-9, 4e-9, 0.0]), np.ones(4), np.ones(4), 1e-10, 1e-8, ErrorNorm(rows=2))  # doctest: +ELLIPSIS
0.3208...
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["ErrorNorm", "scaled_rms", "check_errornorm"]


@dataclass(frozen=True)
class ErrorNorm:
    """What the error norm measures; see the module docstring."""

    partials: bool = True
    rows: int = 1

    def __post_init__(self):
        if not (isinstance(self.rows, int) and self.rows >= 1):
            raise ValueError(f"ErrorNorm: rows must be a positive integer, got {self.rows!r}")

    @property
    def plain(self) -> bool:
        """True when this is the default norm (every part counts, one block)."""
        return self.partials and self.rows == 1

    def layout(self, size: int) -> tuple[int, int]:
        """``(n, counted)`` for a flat state of *size* floats: the primal block's length and how
        many leading components enter the norm."""
        if size % self.rows:
            raise ValueError(f"errornorm rows={self.rows}: the state's size {size} is not a multiple of it")
        n = size // self.rows
        return n, (size if self.partials else n)


def check_errornorm(errornorm: Any) -> ErrorNorm:
    """*errornorm* as an :class:`ErrorNorm` (None: the default), else a TypeError saying what to pass."""
    if errornorm is None:
        return ErrorNorm()
    if not isinstance(errornorm, ErrorNorm):
        raise TypeError(f"solve: errornorm must be a solvers.ode.ErrorNorm(partials=..., rows=...), "
                        f"got {errornorm!r}")
    return errornorm


def scaled_rms(err: np.ndarray, u0: np.ndarray, u1: np.ndarray, atol: Any, rtol: Any, spec: ErrorNorm) -> float:
    """The error norm E of a flat float error estimate *err* for the step ``u0 -> u1`` under *spec*.

    Tolerance arrays may have the state's full length; only their primal block is read.
    """
    n, counted = spec.layout(err.size)
    if n == 0:
        return 0.0
    at = atol[:n] if np.ndim(atol) else atol
    rt = rtol[:n] if np.ndim(rtol) else rtol
    sc = at + rt * np.maximum(np.abs(u0[:n]), np.abs(u1[:n]))
    r = (err[:counted].reshape(-1, n) / sc).ravel()
    return math.sqrt(float(np.dot(r, r)) / n)
