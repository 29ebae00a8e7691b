"""An augmented float solution ``[u, du/dθ_1, ..., du/dθ_k]`` shown as the problem's number type.

Forward sensitivity solves (compiled forward mode, the forward sensitivity
equations) integrate a float state that stacks the values and their k partials;
:class:`RebuiltSolution` rebuilds ``sol.u``, ``sol(t)`` and ``sol.derivative(t)``
as the number type the problem's ``u0``/``p`` carried (through the split's
``rebuild``, :func:`numeric.tangents.split_tangents`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from solvers._nm import nm
from solvers.ode.solution import ODESolution

__all__ = ["RebuiltSolution", "rebuilder", "tiled"]


class RebuiltSolution(ODESolution):
    """An augmented float solution seen as the problem's number type.

    ``augmented`` is the float solution (``[u, S_1, ..., S_k]`` per saved point);
    ``sol.u`` and ``sol(t)`` rebuild values with partials.
    """

    def __init__(self, prob: Any, augmented: ODESolution, rebuild: Any):
        t0, tf = prob.tspan
        super().__init__(prob, augmented.alg, list(augmented.t), [rebuild(z) for z in augmented.u],
                         augmented.retcode, augmented.message, augmented.stats, [], False,
                         1 if nm.value(tf) >= nm.value(t0) else -1)
        self.augmented = augmented
        self.dense = augmented.dense
        self._rebuild = rebuild

    def __call__(self, t: Any) -> Any:
        y = self.augmented(t)
        if isinstance(t, (list, tuple)) or np.ndim(t) > 0:
            return [self._rebuild(r) for r in y]
        return self._rebuild(y)

    def derivative(self, t: Any) -> Any:
        return self._rebuild(self.augmented.derivative(t))


def rebuilder(split: Any, n: int, k: int, scalar: bool):
    """``z -> number``: the values ``z[:n]`` with partials ``z[n:]`` (k blocks of n) as *split*'s type."""

    def rebuild(z: np.ndarray) -> Any:
        z = np.asarray(z)
        if scalar:
            return split.rebuild(z[0], z[1:].copy())
        return split.rebuild(z[:n].copy(), z[n:].reshape(k, n).T.copy())

    return rebuild


def tiled(tol: Any, rows: int) -> Any:
    """A tolerance array of the state's shape repeated over *rows* blocks (a scalar as it is)."""
    return np.tile(np.ravel(np.asarray(tol, dtype=np.float64)), rows) if np.ndim(tol) else tol
