"""``MethodOfSteps(alg)``: any ODE method of the stepper protocol turned into a DDE method.

The ODE method steps ``u' = f(u, h, p, t)`` with ``h`` the :class:`~solvers.dde.history.History`
of the solve; its dense output is the continuous extension. Two things make it a DDE method
(Bellen & Zennaro 2003, ch. 4 and 6; DelayDiffEq.jl's design):

* **Lags shorter than the step.** When ``f`` asked ``h`` for a time inside the attempted step,
  the step is repeated with the attempt's own interpolant as the history there (fixed-point
  iteration, the first pass extrapolating the previous step) until two successive end
  states agree to ``fixedpoint_tol`` in the solve's scaled error norm (1 is the tolerance);
  without convergence in ``max_fixedpoint_iters`` passes the step is rejected and shrunk.
* **The jump at t0.** When ``h(p, t0) != u0``, a step that ends on a first-level discontinuity
  (``t_new - lag = t0``) evaluates its last stages with the left limit ``h(p, t0)`` and does not
  hand its last stage on as the next step's first (FSAL), which needs the right limit ``u0``.
* **Discontinuities.** Constant lags place their propagated discontinuities as tstops (see
  :mod:`solvers.dde.discontinuities`); for state-dependent lags a crossing found inside an
  attempted step rejects it, and the next try ends on the crossing.

The wrapper chooses its steps itself (``own_controller``): it passes the inner method's own
choice through (FBDF, GBS) or runs the inner method's default controller (or ``controller=``).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from solvers._nm import nm
from solvers.ode.controllers import default_controller

__all__ = ["MethodOfSteps"]

_OPTIONAL = ("initialize", "reinit")  # hooks forwarded only when the inner stepper has them


@dataclass
class MethodOfSteps:
    """A DDE method from an ODE method *alg* (explicit Runge-Kutta, Rosenbrock, SDIRK, BDF ...).

    Parameters
    ----------
    alg : ODE method
    fixedpoint_tol : float
        Convergence of the fixed-point iteration, in units of the step tolerance.
    max_fixedpoint_iters : int
        Passes before the step is rejected.
    max_level : int, optional
        Deepest tracked discontinuity level (default: the method's order).
    controller : step-size controller, optional
        For methods that use the loop's controllers (default: the method's).

    Examples
    --------
    >>> from solvers import DDEProblem, MethodOfSteps, Tsit5, solve
    >>> prob = DDEProblem(lambda u, h, p, t: -h(p, t - 0.5), 1.0, lambda p, t: 1.0, (0.0, 1.0),
    ...                   constant_lags=[0.5])
    >>> sol = solve(prob, MethodOfSteps(Tsit5()), rtol=1e-10, atol=1e-12)
    >>> round(float(sol(1.0)), 9)    # exact: 1 - t on [0, 1/2], then t^2/2 - 3t/2 + 9/8
    0.125
    """

    alg: Any
    fixedpoint_tol: float = 0.01
    max_fixedpoint_iters: int = 10
    max_level: int | None = None
    controller: Any = None
    own_controller: bool = field(default=True, init=False)

    def __post_init__(self) -> None:
        if not hasattr(self.alg, "make_stepper"):
            raise TypeError(f"MethodOfSteps: alg must be an ODE method (Tsit5(), Rodas5P(), FBDF() ...), "
                            f"got {self.alg!r}")
        if not (isinstance(self.max_fixedpoint_iters, int) and self.max_fixedpoint_iters >= 1):
            raise ValueError(f"MethodOfSteps: max_fixedpoint_iters must be a positive integer, "
                             f"got {self.max_fixedpoint_iters!r}")
        if not self.fixedpoint_tol > 0:
            raise ValueError(f"MethodOfSteps: fixedpoint_tol must be positive, got {self.fixedpoint_tol!r}")

    @property
    def name(self) -> str:
        return f"MethodOfSteps({self.alg.name})"

    @property
    def order(self) -> int:
        return self.alg.order

    @property
    def adaptive(self) -> bool:
        return self.alg.adaptive

    @property
    def levels(self) -> int:
        """How many levels of propagated discontinuities are tracked."""
        if self.max_level is not None:
            return self.max_level
        return int(getattr(self.alg, "max_order", None) or self.alg.order)


@dataclass
class DelayMethod:
    """One solve's method: the user's :class:`MethodOfSteps` bound to its history and tracker."""

    spec: MethodOfSteps
    history: Any
    tracker: Any
    own_controller: bool = field(default=True, init=False)
    needs_jacobian: bool = field(default=False, init=False)
    supports_mass_matrix: bool = field(default=False, init=False)

    def __getattr__(self, name: str) -> Any:  # name, order, adaptive, error_order of the inner method
        if name in ("spec", "history", "tracker"):
            raise AttributeError(name)
        if name in ("name", "order", "adaptive"):
            return getattr(self.spec, name)
        return getattr(self.spec.alg, name)

    def make_stepper(self, ctx: Any) -> "DelayStepper":
        return DelayStepper(self, ctx)


class DelayStepper:
    """The inner method's stepper with fixed-point iteration, history commits and crossings."""

    def __init__(self, method: DelayMethod, ctx: Any):
        spec = method.spec
        self.hist, self.tracker, self.spec = method.history, method.tracker, spec
        self.hist.t0, self.hist.u0, self.hist.tv0 = ctx.t0, ctx.u0, nm.value(ctx.t0)
        self.hist.begin(ctx.t0)
        self.inner = spec.alg.make_stepper(dataclasses.replace(ctx, dense=True))
        self.norm = ctx.norm
        self.fsal = getattr(self.inner, "fsal", False)
        for name in ("landing_factor", "maxiters_hint", "initial_order"):
            if hasattr(self.inner, name):
                setattr(self, name, getattr(self.inner, name))
        for name in _OPTIONAL:
            if hasattr(self.inner, name):
                setattr(self, name, getattr(self, "_" + name))
        self.inner_own = bool(getattr(spec.alg, "own_controller", False))
        self.controller = None
        if not self.inner_own and ctx.adaptive:
            ctrl = spec.controller if spec.controller is not None else default_controller(spec.alg)
            self.controller = ctrl.bind(getattr(spec.alg, "error_order", spec.alg.order))
        self.pending = None  # (t, t_new, segment) of the last attempt
        self.landing = None  # a crossing inside the last attempt: the next step size
        self.tries_at = (None, 0)  # (step start, attempts from it): landing is tried at most 3 times
        self.found: Any = ()  # crossings at the ends of the last attempt, tracked on accept

    @property
    def p(self) -> Any:
        return self.inner.p

    @p.setter
    def p(self, value: Any) -> None:
        self.inner.p = value

    # -- stepping ----------------------------------------------------------------------------------
    def step(self, t: Any, u: Any, f0: Any, h: Any) -> tuple:
        return self.step_to(t, u, f0, h, t + h)

    def step_to(self, t: Any, u: Any, f0: Any, h: Any, t_new: Any) -> tuple:
        self._flush(t)
        self.hist.begin(t)
        self.found = ()
        left = self.hist.left_limit = self.tracker.first_level_at(t_new)
        res = self._inner_step(t, u, f0, h, t_new)
        if self.hist.beyond and res[3] is not None:
            res = self._iterate(t, u, f0, h, t_new, res)
        if left:  # f_new saw the left limit of u at t0; the next step needs the right one
            if res[3] is not None:
                self.hist.build(res[3])  # lazy interpolation stages at the step's end: left limit too
            res = (res[0], res[1], None, res[3])
        self.hist.left_limit = False
        self.pending = (t, t_new, res[3]) if res[3] is not None else None
        if self.tracker.active and res[3] is not None and _finite(res[1]):
            res = self._crossings(t, u, t_new, res)
        return res

    def _inner_step(self, t, u, f0, h, t_new) -> tuple:
        if hasattr(self.inner, "step_to"):
            return self.inner.step_to(t, u, f0, h, t_new)
        return self.inner.step(t, u, f0, h)

    def _iterate(self, t, u, f0, h, t_new, res) -> tuple:
        """Repeat the step with its own interpolant inside it until the end state settles."""
        for _ in range(self.spec.max_fixedpoint_iters):
            u_prev = res[0]
            self.hist.set_trial(res[3])
            res = self._inner_step(t, u, f0, h, t_new)
            if res[3] is None:
                return res
            d = float(nm.value(self.norm(res[0] - u_prev, u, res[0])))
            if d <= self.spec.fixedpoint_tol:
                self.hist.set_trial(res[3])  # builds its lazy stages before it is committed
                return res
        return res[0], float("inf"), None, res[3]

    def _crossings(self, t, u, t_new, res) -> tuple:
        """Reject a step with a discontinuity crossing inside; keep those at its end for accept."""
        found = self.tracker.crossings(res[3], t, u, t_new, res[0], self.inner.p)
        ta, tb = float(nm.value(t)), float(nm.value(t_new))
        tol = 1e-6 * (tb - ta)
        inside = [x for x, _ in found if ta + tol < x < tb - tol]
        key, n = self.tries_at
        n = n + 1 if key == ta else 1
        self.tries_at = (ta, n)
        if inside and n <= 3:
            self.landing = min(inside) - ta
            self.pending = None
            return res[0], float("inf"), None, res[3]
        self.found = found
        return res

    def _flush(self, t: Any) -> None:
        """An attempt the loop moved past without ``accept`` (an event cut it at *t*): commit it."""
        if self.pending is not None and nm.value(self.pending[0]) != nm.value(t):
            t0, _, seg = self.pending
            self.hist.commit(t0, t, seg)
        self.pending = None

    # -- protocol hooks ------------------------------------------------------------------------------
    def accept(self, t_new: Any, u_new: Any, h: Any) -> None:
        if self.pending is not None:
            t0, _, seg = self.pending
            self.hist.commit(t0, t_new, seg)
            self.pending = None
        for x, level in self.found:
            self.tracker.record(x, level)
        self.found = ()
        if hasattr(self.inner, "accept"):
            self.inner.accept(t_new, u_new, h)

    def reject(self, h: Any, E: Any) -> None:
        self.pending, self.found = None, ()
        if hasattr(self.inner, "reject"):
            self.inner.reject(h, E)

    def propose_dt(self, h: Any, E: Any, accepted: bool) -> Any:
        if self.landing is not None:
            dt, self.landing = self.landing, None
            return h * 0 + dt
        if self.inner_own:
            return self.inner.propose_dt(h, E, accepted)
        return self.controller.propose(h, E)[1]

    def _initialize(self, t0: Any, u0: Any) -> Any:
        return self.inner.initialize(t0, u0)

    def _reinit(self, t: Any, u: Any) -> None:
        self.pending = None
        self.inner.reinit(t, u)


def _finite(E: Any) -> bool:
    return E is None or float(E) < float("inf")
