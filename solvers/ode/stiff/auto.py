"""Automatic stiffness switching: an explicit and a stiff method behind one stepper.

Modelled on OrdinaryDiffEq.jl's ``AutoSwitch`` (``AutoTsit5(Rodas4())``): while the explicit
method runs, the dominant eigenvalue is estimated for free from its last two stages,
``rho = |k_s - k_{s-1}| / |g_s - g_{s-1}|`` (``g_i`` the stage arguments), and ``rho h`` is
compared with the size of the method's stability region along the negative real axis; after
``maxstiffstep`` consecutive stiff-looking steps the stiff method takes over. While the stiff
method runs, ``rho = ||J||_inf`` (primal Jacobian at the accepted point, as OrdinaryDiffEq's
Rosenbrock methods report); after ``maxnonstiffstep`` consecutive steps with ``rho h`` inside
``nonstifftol`` times the region, the explicit method comes back. The step grows by ``dtfac``
when switching to the stiff method and shrinks by it when switching back (hysteresis from
the thresholds and the counters). The stability-region sizes are OrdinaryDiffEq's
``alg_stability_size`` values.

Both members are driven only through the stepper protocol; an explicit Runge–Kutta member is the
one explicit-RK stepper, :class:`solvers.ode.rk_stepper.RKStepper` (which reports ``eigen_est``).
The composite picks the step itself (``own_controller``): an I controller on the current
member's ``error_order``, or the member's own ``propose_dt`` when it has one (FBDF).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from numeric.backend import is_foreign, namespace, to_host_float
from solvers._nm import nm
from solvers.ode.stiff.jacobian import make_jacobian

__all__ = ["AutoSwitch", "AutoTsit5", "AutoVern7", "STABILITY_SIZE"]

STABILITY_SIZE = {"Tsit5": 3.5068, "DP5": 3.3066, "Vern7": 4.6400, "Vern9": 4.4762}


def _max_row_sum(J: Any) -> float:
    """``||J||_inf`` (the spectral-radius bound of the switch back), in J's namespace: a device
    Jacobian stays there and one number comes to the host."""
    if is_foreign(J):
        xp = namespace(J)
        return to_host_float(xp.max(xp.sum(xp.abs(J), axis=1)))
    J = np.asarray(J, dtype=float)
    return float(np.max(np.sum(np.abs(J), axis=1)))


@dataclass
class AutoSwitch:
    """Run ``nonstiff`` and switch to ``stiff`` (and back) on a stiffness estimate.

    Examples
    --------
    >>> import numpy as np
    >>> from solvers import ODEProblem, Rodas4, Tsit5, solve
    >>> from solvers.ode.stiff.auto import AutoSwitch
    >>> prob = ODEProblem(lambda u, p, t: np.array([-1000 * (u[0] - np.cos(t))]), np.array([0.0]), (0, 5.0))
    >>> sol = solve(prob, AutoSwitch(Tsit5(), Rodas4()), rtol=1e-6, atol=1e-8)
    >>> bool(abs(sol.u[-1][0] - np.cos(5.0)) < 1e-3)
    True
    """

    nonstiff: Any
    stiff: Any
    maxstiffstep: int = 10
    maxnonstiffstep: int = 3
    stifftol: float = 0.9
    nonstifftol: float = 0.9
    dtfac: float = 2.0
    stability_size: float | None = None
    adaptive: bool = field(default=True, init=False)
    needs_jacobian: bool = field(default=True, init=False)
    own_controller: bool = field(default=True, init=False)
    supports_mass_matrix: bool = field(default=False, init=False)

    def __post_init__(self) -> None:
        if self.stability_size is None:
            name = getattr(self.nonstiff, "name", type(self.nonstiff).__name__)
            if name not in STABILITY_SIZE:
                raise ValueError(f"AutoSwitch: no stability-region size known for {name}; pass "
                                 f"stability_size= (the length of its real stability interval)")
            self.stability_size = STABILITY_SIZE[name]
        if not getattr(self.stiff, "supports_mass_matrix", False) or not hasattr(self.stiff, "make_stepper"):
            raise TypeError(f"AutoSwitch: stiff must be a stiff protocol method (Rodas4(), FBDF(), ...), "
                            f"got {self.stiff!r}")

    @property
    def name(self) -> str:
        return f"AutoSwitch({self.nonstiff.name}, {self.stiff.name})"

    @property
    def order(self) -> int:
        return self.nonstiff.order

    def make_stepper(self, ctx: Any) -> "AutoSwitchStepper":
        if (ctx.options or {}).get("mass_matrix") is not None:
            raise ValueError("AutoSwitch: an explicit member cannot solve M u' = f; use the stiff method alone")
        if np.ndim(ctx.u0) == 0:
            raise TypeError(f"{self.name} needs an array state (the stiff member's Jacobian is a matrix): "
                            "pass u0 as np.array([u0])")
        return AutoSwitchStepper(self, ctx)


def AutoTsit5(stiff: Any, **kw: Any) -> AutoSwitch:
    """``AutoSwitch(Tsit5(), stiff)`` (OrdinaryDiffEq's ``AutoTsit5``)."""
    from solvers.ode.algorithms import Tsit5

    return AutoSwitch(Tsit5(), stiff, **kw)


def AutoVern7(stiff: Any, **kw: Any) -> AutoSwitch:
    """``AutoSwitch(Vern7(), stiff)`` (OrdinaryDiffEq's ``AutoVern7``)."""
    from solvers.ode.algorithms import Vern7

    return AutoSwitch(Vern7(), stiff, **kw)


class AutoSwitchStepper:
    """The composite stepper: forwards to the current member, counts, switches."""

    fsal = True

    def __init__(self, alg: AutoSwitch, ctx: Any):
        self.alg, self.ctx, self.f, self.stats = alg, ctx, ctx.f, ctx.stats
        ns = alg.nonstiff
        self.members = [ns.make_stepper(ctx), alg.stiff.make_stepper(ctx)]
        self.orders = [getattr(self.members[0], "error_order", None) or getattr(ns, "error_order", ns.order - 1),
                       getattr(alg.stiff, "error_order", alg.stiff.order)]
        self.jac = make_jacobian(ctx.f, dict(ctx.options or {}))
        self.current, self.count, self.switch_to = 0, 0, None
        self.switches: list = []  # (t, member index) for each switch (inspection, tests)
        self._p = ctx.p

    @property
    def p(self) -> Any:
        return self._p

    @p.setter
    def p(self, v: Any) -> None:
        self._p = v
        for m in self.members:
            m.p = v

    @property
    def member(self) -> Any:
        return self.members[self.current]

    def step(self, t: Any, u: Any, f0: Any, h: Any) -> tuple:
        self._last = (t, u, h)
        u1, E, f1, seg = self.member.step(t, u, f0, h)
        return u1, E, (f1 if getattr(self.member, "fsal", False) else None), seg

    def propose_dt(self, h: Any, E: Any, accepted: bool) -> Any:
        m = self.member
        if getattr(m, "propose_dt", None) is not None and self.current == 1 and \
                getattr(self.alg.stiff, "own_controller", False):
            dt = m.propose_dt(h, E, accepted)
        else:
            En = float(E) if E is not None and np.isfinite(float(E)) else 1e10
            q = self.orders[self.current] + 1
            dt = h * min(10.0, max(0.2, 0.9 * max(En, 1e-10) ** (-1.0 / q)))
        if accepted:
            dt = self._decide(h, dt)
        return dt

    def _decide(self, h: Any, dt: Any) -> Any:
        alg, (t, u, _) = self.alg, self._last
        hv = abs(float(nm.value(h)))
        if self.current == 0:
            stiff_now = self.member.eigen_est * hv > alg.stifftol * alg.stability_size
            self.count = self.count + 1 if stiff_now else 0
            if self.count >= alg.maxstiffstep:
                self.switch_to, self.count = 1, 0
                return dt * alg.dtfac
        else:
            J = nm.value(self.jac(nm.value(u), self._p, t))
            self.stats.njac += 1
            rho = _max_row_sum(J)
            nonstiff_now = rho * hv < alg.nonstifftol * alg.stability_size
            self.count = self.count + 1 if nonstiff_now else 0
            if self.count >= alg.maxnonstiffstep:
                self.switch_to, self.count = 0, 0
                return dt / alg.dtfac
        return dt

    def accept(self, t_new: Any, u_new: Any, h: Any) -> None:
        hook = getattr(self.member, "accept", None)
        if hook is not None:
            hook(t_new, u_new, h)
        if self.switch_to is not None:
            self.current, self.switch_to = self.switch_to, None
            self.switches.append((t_new, self.current))
            re = getattr(self.member, "reinit", None)
            if re is not None:
                re(t_new, u_new)

    def reject(self, h: Any, E: Any) -> None:
        hook = getattr(self.member, "reject", None)
        if hook is not None:
            hook(h, E)

    def reinit(self, t: Any, u: Any) -> None:
        for m in self.members:
            hook = getattr(m, "reinit", None)
            if hook is not None:
                hook(t, u)
        self.count, self.switch_to = 0, None
