"""Explicit Runge–Kutta algorithms: thin objects around a tableau.

An algorithm object holds its tableau (data, :mod:`solvers.ode.tableaus`)
and the parameters of its step-size controller. All of them run through the
same stepper (:mod:`solvers.ode.rk_stepper`) on the one step loop.

Step-size control (adaptive methods)
------------------------------------
The error estimate ``h * sum(btilde_i k_i)`` is scaled elementwise by
``atol + rtol * max(|u_n|, |u_{n+1}|)`` (on primal values) and reduced by
``nm.norm`` (RMS, including dual partials), giving ``E``. A step is accepted
when ``E <= 1``. The PI controller of Gustafsson (HNW II §IV.2; as in
DifferentialEquations.jl) proposes

    q = clamp(E**beta1 / E_prev**beta2 / safety, 1/qmax, 1/qmin),  h_new = h / q,

with ``beta1 = 7 / (10 p)``, ``beta2 = 2 / (5 p)``, ``p`` the order of the
method, ``safety = 0.9``, ``qmin = 0.2``, ``qmax = 10``; after a rejection
``h_new = h / min(1/qmin, E**beta1 / safety)`` and the next step may not grow.
"""

from __future__ import annotations

from typing import Any, ClassVar

from solvers.ode import tableaus as _tab
from solvers.ode import tableaus_verner as _vern
from solvers.ode.tableau import ButcherTableau

__all__ = ["ExplicitRK", "Euler", "Midpoint", "RK4", "BS3", "DP5", "Tsit5", "Vern7", "Vern9"]


class ExplicitRK:
    """Base class: an explicit Runge–Kutta method given by ``tableau``.

    Parameters
    ----------
    beta1, beta2 : float, optional
        PI-controller exponents (defaults ``7/(10 p)`` and ``2/(5 p)``).
    safety : float
        Safety factor of the controller.
    qmin, qmax : float
        Bounds of the step-size ratio ``h_new / h`` are ``[qmin, qmax]``.
    compile : bool or None
        Reserved for a compiled float64 fast path; ``None`` lets the solver choose.
    """

    tableau: ClassVar[ButcherTableau]

    def __init__(
        self,
        *,
        beta1: float | None = None,
        beta2: float | None = None,
        safety: float = 0.9,
        qmin: float = 0.2,
        qmax: float = 10.0,
        compile: bool | None = None,
    ):
        p = self.tableau.order
        self.beta1 = 7.0 / (10.0 * p) if beta1 is None else beta1
        self.beta2 = 2.0 / (5.0 * p) if beta2 is None else beta2
        self.safety = safety
        self.qmin = qmin
        self.qmax = qmax
        self.compile = compile

    @property
    def name(self) -> str:
        return type(self).__name__

    @property
    def adaptive(self) -> bool:
        return self.tableau.adaptive

    @property
    def order(self) -> int:
        return self.tableau.order

    def make_stepper(self, ctx: Any) -> Any:
        """The protocol stepper (:class:`solvers.ode.rk_stepper.RKStepper`) for this tableau."""
        from solvers.ode.rk_stepper import RKStepper

        return RKStepper(self.tableau, ctx)

    def __repr__(self) -> str:
        return f"{self.name}()"


class Euler(ExplicitRK):
    """Forward Euler, order 1, fixed step (``solve(..., dt=...)``)."""

    tableau = _tab.EULER


class Midpoint(ExplicitRK):
    """Explicit midpoint rule, order 2, fixed step."""

    tableau = _tab.MIDPOINT


class RK4(ExplicitRK):
    """The classical fourth-order Runge–Kutta method, fixed step, order-3 dense output."""

    tableau = _tab.RK4


class BS3(ExplicitRK):
    """Bogacki–Shampine 3(2), FSAL, adaptive, cubic Hermite dense output."""

    tableau = _tab.BS3


class DP5(ExplicitRK):
    """Dormand–Prince 5(4), FSAL, adaptive, Shampine's order-4 dense output."""

    tableau = _tab.DP5


class Tsit5(ExplicitRK):
    """Tsitouras 5(4), FSAL, adaptive, order-4 dense output; the default choice."""

    tableau = _tab.TSIT5


class Vern7(ExplicitRK):
    """Verner's "most efficient" 7(6) pair, 10 stages, with a lazy 16-stage interpolant.

    For tight tolerances (rtol around 1e-9 to 1e-13) and mpmath solves at
    20-30 digits. The six extra interpolation stages are evaluated only for
    steps where ``sol(t)``, ``saveat`` or an event asks for a value inside the step.
    """

    tableau = _vern.VERN7


class Vern9(ExplicitRK):
    """Verner's "most efficient" 9(8) pair, 16 stages, with a lazy 26-stage order-9 interpolant.

    For very tight tolerances and mpmath solves at 30-38 digits (the published
    coefficients have 40 digits).
    """

    tableau = _vern.VERN9
