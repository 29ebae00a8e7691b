"""What a sensitivity algorithm is: the object ``solve(prob, alg, sensealg=...)`` hands the solve to.

A *sensitivity algorithm* decides how derivatives flow through a solve when the
problem's ``u0`` or ``p`` carry them (forward-mode ``Dual``/``DualArray``
entries, or reverse-mode tracked values). Without ``sensealg`` the number
types simply pass through the solver's arithmetic (discretise-then-differentiate,
what ForwardDiff does in DifferentialEquations.jl). With one, the solve
becomes a primitive: the sensitivity algorithm strips the derivative
information, solves the primal problem in floats, and puts derivatives back
by its own method (forward sensitivity equations, an adjoint, ...).

A sensitivity algorithm is any object with

``solve(prob, alg, options) -> ODESolution``
    *prob* the user's problem (its ``u0``/``p`` may carry derivatives),
    *alg* the method, *options* the remaining keyword options of ``solve``
    as a dict (``rtol``, ``atol``, ``saveat``, ...).

Subclass :class:`SensitivityAlgorithm` for the common checks and ``repr``.
"""

from __future__ import annotations

from typing import Any

__all__ = ["SensitivityAlgorithm", "check_sensealg"]


class SensitivityAlgorithm:
    """Base class of the sensitivity algorithms; subclasses implement :meth:`solve`."""

    def solve(self, prob: Any, alg: Any, options: dict) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError(f"{type(self).__name__} does not implement solve(prob, alg, options)")

    def __repr__(self) -> str:
        fields = ", ".join(f"{k}={v!r}" for k, v in vars(self).items() if not k.startswith("_"))
        return f"{type(self).__name__}({fields})"


def check_sensealg(sensealg: Any) -> Any:
    """*sensealg* if it has a ``solve(prob, alg, options)`` method, else a TypeError saying what to pass."""
    if not callable(getattr(sensealg, "solve", None)):
        raise TypeError(f"solve: sensealg must be a sensitivity algorithm such as "
                        f"solvers.ode.sensitivity.ForwardDiffSensitivity() (an object with "
                        f"solve(prob, alg, options)), got {sensealg!r}")
    return sensealg
