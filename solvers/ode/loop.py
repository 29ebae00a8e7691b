"""The step loop for methods written against the stepper protocol (:mod:`solvers.ode.stepper`).

``solve`` sends a method here when its ``make_stepper`` takes one
:class:`~solvers.ode.stepper.StepperContext`. The loop lands on ``tstops`` and
``tf`` exactly, saves (``saveat``, ``save_everystep``, ``dense``) through the
steps' segments, and leaves step-size control to a controller object
(:mod:`solvers.ode.controllers`) or, for ``own_controller`` methods, to the
stepper's ``propose_dt``. Callbacks are not yet supported here.
"""

from __future__ import annotations

import inspect
from typing import Any

from solvers._nm import is_finite_real, nm
from solvers.ode.solution import ReturnCode
from solvers.ode.stepper import StepperContext

__all__ = ["is_protocol_method", "run_protocol"]


def is_protocol_method(alg: Any) -> bool:
    """True when ``alg.make_stepper`` takes exactly one argument (the context)."""
    make = getattr(alg, "make_stepper", None)
    if make is None:
        return False
    try:
        params = [p for p in inspect.signature(make).parameters.values()
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    except (TypeError, ValueError):
        return False
    return len(params) == 1


def run_protocol(s: Any, dtr: Any) -> Any:
    """Run the loop over the solve state *s* (a namespace built by the integrator) from step *dtr*."""
    ctx = StepperContext(f=s.f, p=s.p, t0=s.t0, u0=s.u, f0=s.k1, norm=s.norm, atol=s.atol, rtol=s.rtol,
                         stats=s.stats, adaptive=s.adaptive, dense=bool(s.dense or s.save_times),
                         options=s.options)
    stepper = s.alg.make_stepper(ctx)
    own = bool(getattr(s.alg, "own_controller", False))
    accept_hook, reject_hook = getattr(stepper, "accept", None), getattr(stepper, "reject", None)
    t, u, k1 = s.t0, s.u, s.k1
    initialize = getattr(stepper, "initialize", None)  # e.g. consistent algebraic variables (DAEs)
    if initialize is not None:
        u0 = initialize(t, u)
        if u0 is not u:
            u, k1 = u0, s.f(u0, s.p, t)
            s.stats.nf += 1
            for i, x in enumerate(s.us):  # the saved initial point is the consistent state
                if x is s.u:
                    s.us[i] = u0
    stop_i, last_rejected = 0, False
    for _ in range(s.maxiters):
        tv = nm.value(t)
        next_stop = s.stops[stop_i]
        remaining = s.tdir * (nm.value(next_stop) - tv)
        if dtr > s.dtmax:
            dtr = s.dtmax
        if dtr * 1.0001 >= remaining:
            h, t_new, h_real = next_stop - t, next_stop, remaining
        else:
            h, t_new, h_real = dtr * s.tdir, t + dtr * s.tdir, dtr
        if s.adaptive and (h_real < s.dtmin or h_real <= 4 * s.eps_t * abs(tv)):
            return s.finish(ReturnCode.DtLessThanMin, f"step size {h_real} fell below dtmin ({s.dtmin}) or "
                            f"the resolution of t at t = {tv}", t, u)
        u_new, E, f_new, seg = stepper.step(t, u, k1, h)
        if s.adaptive:
            if own:
                ok = E is not None and float(E) <= 1
                dt_next = stepper.propose_dt(h_real, E, ok)
            else:
                ok, dt_next = s.controller.propose(h_real, E)
            if not ok:
                s.stats.nreject += 1
                last_rejected = True
                if reject_hook is not None:
                    reject_hook(h_real, E)
                dtr = dt_next
                continue
        else:
            dt_next = dtr
            if not is_finite_real(nm.norm(nm.value(u_new))):
                return s.finish(ReturnCode.Unstable, f"the state became non-finite at t = {nm.value(t_new)}",
                                t_new, u_new)
        last_rejected = False
        s.stats.naccept += 1
        if accept_hook is not None:
            accept_hook(t_new, u_new, h_real)
        if s.dense:
            s.segments.append((t, t_new, seg))
        if s.save_times:
            s.si = s.save_until(s.save_times, s.si, t_new, s.tdir, seg, s.ts, s.us, inclusive=True,
                                u_end=u_new)
        if s.save_everystep:
            s.ts.append(t_new)
            s.us.append(u_new)
        t, u, dtr = t_new, u_new, dt_next
        k1 = f_new if getattr(stepper, "fsal", False) and f_new is not None else None
        if t_new is next_stop:
            stop_i += 1
            if stop_i == len(s.stops):
                return s.finish(ReturnCode.Success, "", t, u)
    del last_rejected
    return s.finish(ReturnCode.MaxIters, f"maxiters = {s.maxiters} steps taken at t = {nm.value(t)}", t, u)
