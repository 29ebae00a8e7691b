"""What every stiff method declares to the step loop (the ``Method`` side of
:mod:`solvers.ode.stepper`): adaptive, Jacobian-based, controlled by the loop's
controller, able to solve ``M u' = f(u, p, t)``. A method subclasses it,
names itself and its orders, and builds its stepper.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["StiffMethod"]


@dataclass
class StiffMethod:
    """Shared attributes of the stiff methods; ``autodiff`` is ``"forward"`` or ``"finite"``."""

    autodiff: str = "forward"
    adaptive: bool = field(default=True, init=False)
    needs_jacobian: bool = field(default=True, init=False)
    own_controller: bool = field(default=False, init=False)
    supports_mass_matrix: bool = field(default=True, init=False)

    def check_state(self, u0: Any) -> None:
        """Refuse a scalar state clearly (the iteration matrix needs a state vector)."""
        if np.ndim(u0) == 0:
            raise TypeError(f"{self.name} needs an array state (the Jacobian is a matrix): pass "
                            f"u0 as np.array([u0]) and index the solution with [0]")
