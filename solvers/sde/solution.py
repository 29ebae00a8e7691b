"""The result of an SDE solve: saved times and states, linear interpolation between them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["SDESolution"]


@dataclass
class SDESolution:
    """Saved times ``t`` and states ``u`` (a list, one state per time).

    ``sol(s)`` interpolates linearly between saved states (the piecewise
    linear path of the scheme); ``sol.u[-1]`` is the final state (a batch
    of paths when solved with ``batch=``). ``stats["steps"]`` counts steps.

    Examples
    --------
    >>> sol = SDESolution(np.array([0.0, 1.0]), [np.array(0.0), np.array(2.0)])
    >>> float(sol(0.25))
    0.5
    """

    t: np.ndarray
    u: list
    retcode: str = "Success"
    stats: dict = field(default_factory=dict)
    alg: Any = None

    @property
    def success(self) -> bool:
        return self.retcode == "Success"

    def __call__(self, s: float) -> Any:
        if not self.t[0] <= s <= self.t[-1]:
            raise ValueError(f"sol(t) is defined on [{self.t[0]}, {self.t[-1]}], got t = {s!r}")
        k = int(np.clip(np.searchsorted(self.t, s, side="right") - 1, 0, len(self.t) - 2))
        if len(self.t) == 1:
            return self.u[0]
        theta = (s - self.t[k]) / (self.t[k + 1] - self.t[k])
        if isinstance(theta, np.generic):   # a NumPy scalar would convert a device state to NumPy
            theta = theta.item()
        return self.u[k] + theta * (self.u[k + 1] - self.u[k])

    def __len__(self) -> int:
        return len(self.t)

    def __repr__(self) -> str:
        return (f"SDESolution(retcode={self.retcode!r}, {len(self.t)} saved states on "
                f"[{self.t[0]}, {self.t[-1]}], steps={self.stats.get('steps')})")
