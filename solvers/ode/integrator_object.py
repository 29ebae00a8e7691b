"""A steppable integrator object for methods on the stepper protocol (:mod:`solvers.ode.stepper`).

:class:`ProtocolIntegrator` holds the loop state that :func:`solvers.ode.loop.run_protocol`
used to keep in locals, so a caller can drive the solve one accepted step at a time
(``step()``, ``for integ in ...``), look inside the last step (``integ(t)``), change the
plan (``add_tstop``, ``set_dt``, ``terminate``, ``reinit``) and finish with ``solve()``.
``run_protocol(s, dtr)`` is ``ProtocolIntegrator(s, dtr).solve()``.
"""

from __future__ import annotations

import bisect
from typing import Any

from solvers._nm import is_finite_real, nm
from solvers.ode.solution import ReturnCode
from solvers.ode.state import harmonize, promote_state
from solvers.ode.stepper import StepperContext
from solvers.unstable import unstable_at

__all__ = ["ProtocolIntegrator"]


class _NoCallbacks:
    """Stands in for :class:`solvers.ode.events.CallbackRunner` when a solve has no callbacks."""

    def __bool__(self) -> bool:
        return False


_NO_CALLBACKS = _NoCallbacks()


def _number_kind(u: Any) -> tuple:
    """What a stepper's buffers are built for: the state's array type, object elements, derivative layers."""
    return type(u), getattr(u, "dtype", None) == object, nm.layers(u), getattr(u, "_nm_order", None)


class ProtocolIntegrator:
    """Step-by-step driver over a prepared solve state *s* (built by the integrator), first step *dtr*."""

    def __init__(self, s: Any, dtr: Any) -> None:
        self.s = s
        self._make_stepper(s.t0, s.u, s.k1, s.p)
        if callable(dtr):  # the automatic first step, from the stepper's starting order
            dtr = dtr(self.stepper)
        u, k1 = s.u, s.k1
        init_hook = getattr(self.stepper, "initialize", None)  # e.g. consistent algebraic variables
        if init_hook is not None:
            u0 = init_hook(s.t0, u)
            if u0 is not None and u0 is not u:
                u, k1 = u0, s.f_generic(u0, s.p, s.t0)
                s.stats.nf += 1
                for i, x in enumerate(s.us):  # the saved initial point is the consistent state
                    if x is s.u:
                        s.us[i] = u0
        self.own = bool(getattr(s.alg, "own_controller", False))
        self.stops = list(s.stops)
        self.t, self.u, self.k1, self.dt = s.t0, u, k1, dtr
        self.tprev, self.uprev, self.segment = s.t0, u, None
        self.stop_i = 0
        self.retcode: ReturnCode | None = None
        self.sol: Any = None
        self._terminate = False
        self.callbacks = getattr(s, "callbacks", None) or _NO_CALLBACKS

    def _make_stepper(self, t: Any, u: Any, k1: Any, p: Any) -> None:
        """Build the method's stepper for the state *u* at *t* (``k1 = f(u, p, t)``)."""
        s = self.s
        ctx = StepperContext(f=s.f_generic, p=p, t0=t, u0=u, f0=k1, norm=s.norm, atol=s.atol,
                             rtol=s.rtol, stats=s.stats, adaptive=s.adaptive,
                             dense=bool(s.dense or s.save_times or s.cont), options=s.options)
        self.stepper = s.alg.make_stepper(ctx)
        self._kind = _number_kind(u)
        self._step_to = getattr(self.stepper, "step_to", None)
        self._landing = getattr(self.stepper, "landing_factor", 1.0001)
        self._hint = getattr(self.stepper, "maxiters_hint", "")

    def _restart(self, t: Any, u: Any, p: Any) -> Any:
        """After a jump in u or p: a new stepper when *u*'s number type is not the stepper's (a callback
        or a dual event time/stop brought derivative layers the start did not have: the stepper's buffers
        are of the old type), else its ``reinit`` hook. Returns the state to go on with."""
        if _number_kind(u) != self._kind:
            u, k1 = harmonize(u, self.s.f_generic, p, t, self.s.stats)
            self._make_stepper(t, u, k1, p)
        else:
            self.stepper.p = p
        hook = getattr(self.stepper, "reinit", None)
        new = hook(t, u) if hook is not None else None
        if new is not None and new is not u:  # a DAE's consistent state: also the point saved after the jump
            us = self.s.us
            for i in range(len(us) - 1, max(len(us) - 3, -1), -1):
                if us[i] is u:
                    us[i] = new
            u = new
        return u

    # -- driving -------------------------------------------------------------------------------
    def _end(self, code: ReturnCode, msg: str, t: Any, u: Any) -> "ProtocolIntegrator":
        self.retcode = code
        self.sol = self.s.finish(code, msg, t, u)
        return self

    def step(self) -> "ProtocolIntegrator":
        """Take one accepted step (rejected tries are retried inside); sets ``retcode`` at the end."""
        s = self.s
        if self.retcode is not None:
            raise RuntimeError(f"the integration has ended ({self.retcode.name}); call reinit(u0) to restart")
        for _ in range(s.maxiters - s.stats.naccept - s.stats.nreject + 1):
            if self._terminate:
                return self._end(ReturnCode.Terminated, f"terminated at t = {nm.value(self.t)}", self.t, self.u)
            if s.stats.naccept + s.stats.nreject >= s.maxiters:
                break
            done = self._try_step()
            if done:
                return self
        return self._end(ReturnCode.MaxIters, f"maxiters = {s.maxiters} steps taken at t = {nm.value(self.t)} "
                         f"before reaching t = {nm.value(self.stops[-1])}" + self._hint, self.t, self.u)

    def _plan(self) -> tuple:
        s, t = self.s, self.t
        tv = nm.value(t)
        next_stop = self.stops[self.stop_i]
        remaining = s.tdir * (nm.value(next_stop) - tv)
        dtr = s.dtmax if self.dt > s.dtmax else self.dt
        if dtr * self._landing >= remaining:
            return next_stop - t, next_stop, remaining, next_stop, tv
        return dtr * s.tdir, t + dtr * s.tdir, dtr, next_stop, tv

    def _try_step(self) -> bool:
        """One try; True when accepted (or the run ended)."""
        s, stepper, t, u = self.s, self.stepper, self.t, self.u
        h, t_new, h_real, next_stop, tv = self._plan()
        if h_real <= 0:  # an event landed exactly on a stop
            self._next_stop()
            return self.retcode is not None
        if s.adaptive and (h_real < s.dtmin or h_real <= 4 * s.eps_t * abs(tv)):
            self._end(ReturnCode.DtLessThanMin, f"step size {h_real} fell below dtmin ({s.dtmin}) or "
                      f"the resolution of t at t = {tv}", t, u)
            return True
        if self._step_to is not None:
            u_new, E, f_new, seg = self._step_to(t, u, self.k1, h, t_new)
        else:
            u_new, E, f_new, seg = stepper.step(t, u, self.k1, h)
        if s.adaptive:
            if self.own:
                ok = E is not None and float(E) <= 1
                dt_next = stepper.propose_dt(h_real, E, ok)
            else:
                ok, dt_next = s.controller.propose(h_real, E)
            if not ok:
                s.stats.nreject += 1
                if getattr(stepper, "reject", None) is not None:
                    stepper.reject(h_real, E)
                self.dt = dt_next
                return False
        else:
            dt_next = self.dt
            if not is_finite_real(nm.norm(nm.value(u_new))):
                return self._unstable(f"the state became non-finite at t = {nm.value(t_new)}", t_new, u_new)
            if E is not None and float(nm.value(E)) == float("inf"):
                # a stepper signals a failed step (Newton did not converge) by E = inf: with fixed
                # steps it cannot be retried smaller, and accepting it would keep u unchanged
                self._end(ReturnCode.Failure, f"the step from t = {tv} with dt = {h_real} failed (the "
                          f"implicit stage equations did not converge); with adaptive=False it cannot be "
                          f"retried with a smaller step: use a smaller dt or adaptive=True", t, u)
                return True
        why = unstable_at(getattr(s, "unstable_check", None), h_real, u_new, s.p, t_new)
        if why is not None:
            return self._unstable(why, t_new, u_new)
        self._accept(t_new, u_new, h_real, seg, dt_next, f_new, next_stop)
        return True

    def _unstable(self, why: str, t_new: Any, u_new: Any) -> bool:
        """End ``Unstable`` at the step just taken, which is saved (when saving every step) to show it."""
        if self.s.save_everystep:
            self.s.ts.append(t_new)
            self.s.us.append(u_new)
        self._end(ReturnCode.Unstable, why, t_new, u_new)
        return True

    def _accept(self, t_new, u_new, h_real, seg, dt_next, f_new, next_stop) -> None:
        s, stepper, cbs = self.s, self.stepper, self.callbacks
        s.stats.naccept += 1
        event = cbs.find(seg, self.t, self.u, t_new, u_new, s.tdir) if cbs else None
        if event is not None:
            tau, u_tau, _ = cbs.apply_event(event, s, seg, self.t, self.u, dt_next)
            self._moved(tau, u_tau, seg, dt_next)
            self._after_callbacks(True)
            return
        if getattr(stepper, "accept", None) is not None:
            stepper.accept(t_new, u_new, h_real)
        if s.dense:
            s.segments.append((self.t, t_new, seg))
        if s.save_times:
            s.si = s.save_until(s.save_times, s.si, t_new, s.tdir, seg, s.ts, s.us, inclusive=True,
                                u_end=u_new)
        if s.save_everystep:
            s.ts.append(t_new)
            s.us.append(u_new)
        self._moved(t_new, u_new, seg, dt_next)
        self.k1 = f_new if getattr(stepper, "fsal", False) and f_new is not None else None
        if cbs:
            cbs.move(self.tprev, self.uprev, t_new, u_new, dt_next)
            self.u, changed = cbs.after_step(s, t_new, u_new)
            if self._after_callbacks(changed):
                return
        if t_new is next_stop:
            self._next_stop()

    def _moved(self, t_new, u_new, seg, dt_next) -> None:
        self.tprev, self.uprev, self.segment = self.t, self.u, seg
        self.t, self.u, self.dt = t_new, u_new, dt_next

    def _next_stop(self) -> None:
        self.stop_i += 1
        if self.stop_i == len(self.stops):
            self._end(ReturnCode.Success, "", self.t, self.u)

    def _after_callbacks(self, changed: bool) -> bool:
        """After callbacks ran: restart the stepper on a changed u/p; True when one terminated."""
        view = self.callbacks.view
        if changed:
            self.k1 = None
            self.u = self._restart(self.t, view.u, view.p)
            view.__dict__["u"] = self.u
        if view.terminated:
            self._end(ReturnCode.Terminated, f"terminated by a callback at t = {nm.value(self.t)}", self.t, self.u)
            return True
        return False

    def __iter__(self):
        while self.retcode is None:
            self.step()
            if self.retcode is None or self.retcode is ReturnCode.Success:
                yield self

    def solve(self) -> Any:
        """Run to the end and return the :class:`~solvers.ode.solution.ODESolution`."""
        while self.retcode is None:
            self.step()
        return self.sol

    # -- inspection and control ----------------------------------------------------------------
    def __call__(self, t: Any) -> Any:
        """The solution at *t* inside the last accepted step ``[tprev, t]`` (via its segment)."""
        lo, hi = sorted((nm.value(self.tprev), nm.value(self.t)))
        tv = nm.value(t)
        if self.segment is None or not lo <= tv <= hi:
            raise ValueError(f"integ(t) interpolates only inside the last step [{lo}, {hi}], got t = {tv}; "
                             "use the solution's dense output (dense=True) for other times")
        if tv == nm.value(self.t):
            return self.u
        h = self.t - self.tprev
        return self.segment((t - self.tprev) / h)

    def add_tstop(self, t: Any) -> None:
        """Make the integrator land exactly on *t* (which must lie ahead and inside the span)."""
        s = self.s
        ahead = [nm.value(x) for x in self.stops[self.stop_i:]]
        if not ahead or self.retcode is not None:
            raise ValueError("add_tstop: the integration has ended; call reinit(u0, t0) first")
        tv = s.tdir * nm.value(t)
        if not s.tdir * nm.value(self.t) < tv <= s.tdir * ahead[-1]:
            raise ValueError(f"add_tstop: t = {nm.value(t)} must lie after the current t = {nm.value(self.t)} "
                             f"and not beyond the end of the span ({ahead[-1]})")
        keys = [s.tdir * a for a in ahead]
        i = self.stop_i + bisect.bisect_left(keys, tv)
        if tv in keys:
            if nm.value(t) is t:
                return
            del self.stops[i]           # the same time carrying derivatives replaces the plain one
        self.stops.insert(i, t)
        if nm.value(t) is not t:        # a dual stop: the step landing there carries it, so must the state
            u = promote_state(self.u, t, s.tf, self.stepper.p)
            if u is not self.u:
                self.k1 = None
                self.u = self._restart(self.t, u, self.stepper.p)

    def set_dt(self, dt: Any) -> None:
        """Use step size *dt* (> 0) for the next try."""
        if not nm.value(dt) > 0:
            raise ValueError(f"set_dt: the step size must be positive, got {dt}")
        self.dt = dt

    def terminate(self) -> None:
        """End the integration at the current t; the next ``step()`` sets ``retcode`` Terminated."""
        self._terminate = True

    def reinit(self, u0: Any, t0: Any = None) -> None:
        """Restart from state *u0* at *t0* (default: the current t); calls the stepper's ``reinit`` hook.

        The solution saved so far is kept (the restart is a jump in u, as a callback's), so *t0*
        may not lie before the current t: the saved times would run backwards. For a new start
        from the beginning, make a new integrator (``solvers.init``).
        """
        if t0 is not None:
            if self.s.tdir * (nm.value(t0) - nm.value(self.t)) < 0:
                raise ValueError(f"reinit: t0 = {nm.value(t0)} lies before the current t = {nm.value(self.t)}; the "
                                 "solution saved so far would run backwards in time: make a new integrator with "
                                 "solvers.init(prob, alg, ...) to start again from an earlier time")
            self.t = t0
        self.u, self.uprev, self.tprev, self.segment = u0, u0, self.t, None
        self.k1 = None
        self.retcode, self.sol, self._terminate = None, None, False
        while self.stop_i < len(self.stops) and self.s.tdir * (nm.value(self.stops[self.stop_i])
                                                               - nm.value(self.t)) <= 0:
            self.stop_i += 1
        if self.stop_i == len(self.stops):
            raise ValueError(f"reinit: t = {nm.value(self.t)} is at or past the end of the span")
        self.u = self.uprev = self._restart(self.t, u0, self.stepper.p)
