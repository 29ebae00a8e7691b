"""Callbacks as a component of the step loop, usable by every method.

:func:`find_event` locates the earliest event of the continuous callbacks inside one accepted
step, on that step's segment (any object with ``segment(theta)`` and ``segment.theta(t)``, which
every stepper returns): a sign change on ``interp_points`` samples, Illinois false position on
primal values, one Newton polish on the generic condition so the event time carries derivatives.
:class:`CallbackRunner` applies the events and discrete callbacks for the protocol loop
(:class:`solvers.ode.integrator_object.ProtocolIntegrator`): it moves the callback view of the
integrator (:class:`solvers.ode.integrator.ODEIntegrator`) to the event, runs ``affect``, saves
the positions asked for, and reports whether ``u``/``p`` changed (the loop then calls the
stepper's ``reinit`` hook) or the callback terminated the solve.
"""

from __future__ import annotations

from typing import Any

from solvers._nm import is_finite_real, nm, real_eps
from solvers.roots import chord_polish, illinois_bracket, primal_slope

__all__ = ["find_event", "CallbackRunner"]


def treal(x: Any, one: Any) -> Any:
    """The plain real *x* (float, float32, mpf) in the real type of *one* (the time's)."""
    return float(x) if isinstance(one, float) else one * x


def find_event(cont, cb_state, seg, integ, t, u, t_new, u_new, tdir):
    """Earliest event of the continuous callbacks in the step ``t -> t_new``.

    Returns ``(callback, tau, upcrossing)`` or None. ``tau`` is generic (a dual
    when the solve carries derivatives).
    """
    tv, tv_new = nm.value(t), nm.value(t_new)
    hv = tv_new - tv
    best = None
    eps_t = real_eps(tv)
    for cb in cont:
        n = cb.interp_points
        last = cb_state[id(cb)]
        if last is not None and last == tv:
            delta = 1e4 * eps_t * max(abs(tv), abs(hv))
            if abs(delta) >= abs(hv):
                continue
            ta = tv + tdir * delta
            ga = nm.value(cb.condition(seg(seg.theta(ta)), ta, integ))
        else:
            ta = tv
            ga = nm.value(cb.condition(u, t, integ))
        found = None
        for j in range(1, n + 1):
            tb = tv_new if j == n else tv + hv * j / n
            if tdir * (tb - ta) <= 0:
                continue
            if best is not None and tdir * (ta - best[3]) >= 0:
                break
            gb = nm.value(cb.condition(u_new, t_new, integ) if j == n else cb.condition(seg(seg.theta(tb)), tb, integ))
            if ga == 0:
                ta, ga = tb, gb
                continue
            if (ga < 0 < gb) or (ga > 0 > gb) or gb == 0:
                up = ga < 0
                if cb.direction == 0 or (cb.direction == 1) == up:
                    found = (ta, ga, tb, gb, up)
                    break
            ta, ga = tb, gb
        if found is None:
            continue
        ta, ga, tb, gb, up = found
        tau_v = illinois_time(cb, seg, integ, ta, ga, tb, gb, eps_t)
        if best is None or tdir * (tau_v - best[3]) < 0:
            best = (cb, up, None, tau_v)
    if best is None:
        return None
    cb, up, _, tau_v = best
    tau = newton_polish(cb, seg, integ, tau_v, hv, eps_t)
    return cb, tau, up


def illinois_time(cb, seg, integ, a, fa, b, fb, eps_t):
    """Illinois false position on primal values of the condition along the step.

    Returns the end of the final bracket past the crossing (where the
    condition already has its new sign), from :func:`solvers.roots.illinois_bracket`.
    """
    if fb == 0:
        return b
    tol = 4 * eps_t * (max(abs(a), abs(b)) + abs(b - a))

    def g(x):
        return nm.value(cb.condition(seg(seg.theta(x)), x, integ))

    return illinois_bracket(g, a, fa, b, fb, tol, 0, 200)[2]


def newton_polish(cb, seg, integ, tau_v, hv, eps_t):
    """Chord steps on the generic condition (:func:`solvers.roots.chord_polish`): carry the
    implicit derivatives of the event time, to the order the solve's numbers carry."""
    def g(s):
        return cb.condition(seg(seg.theta(s)), s, integ)

    # the slope along the interpolant by forward mode: a central difference limited the event
    # time's derivatives to about eps^(2/3) relative (2e-10 in float64, whatever rtol)
    slope = primal_slope(g, tau_v, abs(hv) * eps_t ** (1 / 3) if abs(hv) > 0 else eps_t)
    if not slope or not is_finite_real(slope):
        return tau_v
    tau = chord_polish(g, tau_v, slope, abs(hv))
    if nm.value(tau) is tau:  # a plain real: keep the time's real type (not np.float64)
        tau = treal(tau, real_eps(tau_v) * 0 + 1)
    return tau


class CallbackRunner:
    """The continuous (*cont*) and discrete (*disc*) callbacks of one solve, for the protocol loop.

    *view* is the integrator the callbacks see (``t, u, p, dt, tprev, uprev``, ``terminate()``);
    *promote* ``(u, t, p) -> u`` lifts a state a callback assigned to the solve's number type.
    The methods take the solve state *s* (``ts, us, segments, save_times, si, save_until,
    save_everystep, dense, tdir, stats``) and save into it.

    Examples
    --------
    >>> import numpy as np
    >>> from solvers import ContinuousCallback, ODEProblem, Rodas4, solve
    >>> hit = ContinuousCallback(lambda u, t, i: u[0] - 0.5, lambda i: i.terminate())
    >>> sol = solve(ODEProblem(lambda u, p, t: -u, np.array([1.0]), (0.0, 2.0)), Rodas4(), callback=hit,
    ...             rtol=1e-8, atol=1e-10)
    >>> bool(abs(sol.t[-1] - np.log(2)) < 1e-6), sol.retcode.name
    (True, 'Terminated')
    """

    def __init__(self, cont: list, disc: list, view: Any, promote: Any) -> None:
        self.cont, self.disc, self.view, self.promote = cont, disc, view, promote
        self.last = {id(cb): None for cb in cont}  # t of each callback's last event

    def __bool__(self) -> bool:
        return bool(self.cont or self.disc)

    def move(self, tprev: Any, uprev: Any, t: Any, u: Any, dt: Any) -> None:
        """Put the callbacks' view of the integrator at the accepted point *t*, *u*."""
        d = self.view.__dict__
        d["tprev"], d["uprev"], d["t"], d["u"], d["dt"] = tprev, uprev, t, u, dt

    def find(self, seg: Any, t: Any, u: Any, t_new: Any, u_new: Any, tdir: int) -> Any:
        """The earliest event in the step ``t -> t_new`` as ``(callback, tau, upcrossing)``, or None."""
        if not self.cont:
            return None
        return find_event(self.cont, self.last, seg, self.view, t, u, t_new, u_new, tdir)

    def apply_event(self, event: Any, s: Any, seg: Any, t: Any, u: Any, dt: Any) -> tuple:
        """Truncate the step at the event, save, run ``affect``: ``(tau, u_after, changed)``."""
        cb, tau, up = event
        u_tau = seg(seg.theta(tau))
        if s.dense:
            s.segments.append((t, tau, seg))
        if s.save_times:
            s.si = s.save_until(s.save_times, s.si, tau, s.tdir, seg, s.ts, s.us, inclusive=True)
        self.move(t, u, tau, u_tau, dt)
        if s.save_everystep and cb.save_positions[0]:
            s.ts.append(tau)
            s.us.append(u_tau)
        s.stats.nevents += 1
        self.last[id(cb)] = nm.value(tau)
        view = self.view
        view.u_modified = False
        aff = cb.affect if up else cb.affect_neg
        if aff is not None:
            aff(view)
        if s.save_everystep and cb.save_positions[1]:
            s.ts.append(view.t)
            s.us.append(view.u)
        return tau, self._settle(), True

    def after_step(self, s: Any, t: Any, u: Any) -> tuple:
        """Discrete callbacks after a step that had no event: ``(u_after, changed)``."""
        for cb in self.cont:
            self.last[id(cb)] = None
        if not self.disc:
            return u, False
        view = self.view
        view.u_modified = False
        for cb in self.disc:
            if cb.condition(view.u, view.t, view):
                s.stats.nevents += 1
                cb.affect(view)
                if s.save_everystep and cb.save_positions[1]:
                    s.ts.append(view.t)
                    s.us.append(view.u)
                if view.terminated:
                    break
        changed = bool(view.u_modified)
        return (self._settle() if changed else u), changed

    def _settle(self) -> Any:
        view = self.view
        if view.u_modified:  # a new u, or a new p (a dual parameter lifts the state it meets)
            view.__dict__["u"] = self.promote(view.u, view.t, view.p)
        return view.u
