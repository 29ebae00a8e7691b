"""Which parts of the state the step-size controller's error norm measures (``solve(..., errornorm=...)``).

An adaptive method accepts a step when the RMS of the scaled error estimate

    E = sqrt(1/m sum_j (e_j / sc_j)^2),   sc_j = atol_j + rtol_j max(|u_j|, |u_new_j|)

is at most 1, m being the number of real components summed. For a dual state
(``DualArray``, a ``Dual``, an object array of duals) with n values and k
partials each, every value and every partial is a component: the sum over all
n (1 + k) of them is divided by m = n (1 + k), as DiffEqBase's
``ODE_DEFAULT_NORM`` for arrays of ForwardDiff duals (``sse(u) / totallength(u)``,
DiffEqBase.jl ``src/forwarddiff.jl``); each partial is scaled by its value's
``sc_j``. A ``MeasurementArray`` counts ``sqrt(value**2 + err**2)`` per element
(m = n: its components with respect to its sources make up one uncertainty per
element, and how many sources it has is bookkeeping, not part of the state).
Two choices change what enters the norm:

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
    ``sc_j``; with ``partials=False`` only the primal block counts. Tolerance
    arrays are read on the primal block.
``mean`` (default ``"components"``)
    What the sum of an augmented state (``rows > 1``) is divided by:
    ``"components"`` the number of components summed (n rows, or n without the
    partials), which is the norm of the same state held as a ``DualArray``;
    ``"elements"`` the primal length n, which is the norm of the same state
    held as a ``MeasurementArray``.

Examples
--------
>>> import numpy as np
>>> err, u = np.array([1e-9, 2e-9, 4e-9, 0.0]), np.ones(4)
>>> scaled_rms(err, u, u, 1e-10, 1e-8, ErrorNorm(rows=2))  # doctest: +ELLIPSIS
0.2268...
>>> scaled_rms(err, u, u, 1e-10, 1e-8, ErrorNorm(rows=2, mean="elements"))  # doctest: +ELLIPSIS
0.3208...
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["ErrorNorm", "scaled_rms", "check_errornorm"]

MEANS = ("components", "elements")


@dataclass(frozen=True)
class ErrorNorm:
    """What the error norm measures; see the module docstring."""

    partials: bool = True
    rows: int = 1
    mean: str = "components"

    def __post_init__(self):
        if not (isinstance(self.rows, int) and self.rows >= 1):
            raise ValueError(f"ErrorNorm: rows must be a positive integer, got {self.rows!r}")
        if self.mean not in MEANS:
            raise ValueError(f"ErrorNorm: mean must be one of {MEANS} (what an augmented state's sum is "
                             f"divided by), got {self.mean!r}")

    @property
    def plain(self) -> bool:
        """True when this is the default norm (every part counts, one block)."""
        return self.partials and self.rows == 1

    def layout(self, size: int) -> tuple[int, int, int]:
        """``(n, counted, divisor)`` for a flat state of *size* floats: the primal block's length,
        how many leading components enter the norm and what their sum of squares is divided by."""
        if size % self.rows:
            raise ValueError(f"errornorm rows={self.rows}: the state's size {size} is not a multiple of it")
        n = size // self.rows
        counted = size if self.partials else n
        return n, counted, (counted if self.mean == "components" else n)


def check_errornorm(errornorm: Any) -> ErrorNorm:
    """*errornorm* as an :class:`ErrorNorm` (None: the default), else a TypeError saying what to pass."""
    if errornorm is None:
        return ErrorNorm()
    if not isinstance(errornorm, ErrorNorm):
        raise TypeError(f"solve: errornorm must be a solvers.ode.ErrorNorm(partials=..., rows=..., mean=...), "
                        f"got {errornorm!r}")
    return errornorm


def scaled_rms(err: np.ndarray, u0: np.ndarray, u1: np.ndarray, atol: Any, rtol: Any, spec: ErrorNorm) -> float:
    """The error norm E of a flat float error estimate *err* for the step ``u0 -> u1`` under *spec*.

    Tolerance arrays may have the state's full length; only their primal block is read.
    """
    n, counted, divisor = spec.layout(err.size)
    if n == 0:
        return 0.0
    at = atol[:n] if np.ndim(atol) else atol
    rt = rtol[:n] if np.ndim(rtol) else rtol
    sc = at + rt * np.maximum(np.abs(u0[:n]), np.abs(u1[:n]))
    r = (err[:counted].reshape(-1, n) / sc).ravel()
    return math.sqrt(float(np.dot(r, r)) / divisor)
