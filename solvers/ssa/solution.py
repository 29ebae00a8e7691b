"""The result of a jump-process solve: event times, states, a step-function view."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np

__all__ = ["JumpSolution"]


@dataclass
class JumpSolution:
    """Times ``t`` (shape ``(n,)``) and integer states ``u`` (shape ``(n, n_species)``).

    With every event saved, ``t`` starts at ``t0``, lists each event time and
    ends at ``tf``; ``sol(s)`` is the right-continuous step function (the
    state after every event at times ``<= s``). ``sol["I"]`` is the column of
    species ``"I"``. ``retcode`` is ``"Success"`` or says why the run stopped
    (``"MaxIters"``); ``stats["events"]`` counts the events (leaps for
    tau-leaping).

    Examples
    --------
    >>> sol = JumpSolution(np.array([0.0, 1.0, 2.0]), np.array([[0], [1], [1]]), ["X"])
    >>> sol(0.5).tolist(), sol(1.0).tolist(), sol["X"].tolist()
    ([0], [1], [0, 1, 1])
    """

    t: np.ndarray
    u: np.ndarray
    species: Sequence[str] | None = None
    retcode: str = "Success"
    message: str = ""
    stats: dict = field(default_factory=dict)
    alg: Any = None

    @property
    def success(self) -> bool:
        return self.retcode == "Success"

    def __call__(self, s: Any) -> np.ndarray:
        s_arr = np.asarray(s, dtype=float)
        if np.any(s_arr < self.t[0]) or np.any(s_arr > self.t[-1]):
            raise ValueError(f"sol(t) is defined on [{self.t[0]}, {self.t[-1]}], got t = {s!r}")
        idx = np.searchsorted(self.t, s_arr, side="right") - 1
        return self.u[idx]

    def __getitem__(self, name: str) -> np.ndarray:
        if self.species is None or name not in self.species:
            raise KeyError(f"unknown species {name!r}; species are {self.species}")
        return self.u[:, list(self.species).index(name)]

    def __len__(self) -> int:
        return len(self.t)

    def __repr__(self) -> str:
        return (f"JumpSolution(retcode={self.retcode!r}, {len(self.t)} saved states, "
                f"t=[{self.t[0] if len(self.t) else '-'}, {self.t[-1] if len(self.t) else '-'}], "
                f"events={self.stats.get('events')})")
