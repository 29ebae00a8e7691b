"""Adaptive SDE steps: embedded error estimate, step-size control, rejection sampling with memory.

Each try of a step from ``t`` takes the Brownian increments over ``[t, t+h]``
from a :class:`~solvers.sde.rswm.BrownianMemory`; the method returns the new
state and its error estimate ``E`` (``step_error``), scaled as for ODEs,

    err = RMS( E / (atol + rtol max(|u_n|, |u_{n+1}|)) )

over every component (and every path of a batch: the paths share the step
sizes). ``err <= 1`` accepts the step; otherwise the increments go back to the
memory and a shorter step takes its first part by the Brownian bridge, so the
path stays one Brownian motion (Rackauckas & Nie 2017). The next step is
``h * clip(gamma * err**(-1/2), qmin, qmax)`` (``gamma = 0.9``, ``qmin = 0.2``,
``qmax = 2``). Without ``dt`` the first step is ``0.01 ||u0|| / (||f0|| + ||g0||)``
in the scaled norm (Hairer's first guess with the noise counted like the drift),
at most the span. Steps land on ``saveat`` times and on ``tf``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from numeric.backend import is_foreign, namespace, to_host_float
from solvers._nm import nm
from solvers.sde.algorithms import StepFailure, _is_finite_state, device_mover, noise_dtype_of, start_state
from solvers.sde.rswm import BrownianMemory
from solvers.sde.solution import SDESolution
from solvers.ssa.streams import as_generator
from solvers.unstable import check_unstable_check, unstable_at

__all__ = ["integrate_adaptive", "scaled_error"]

GAMMA, QMIN, QMAX = 0.9, 0.2, 2.0


def scaled_error(err: Any, u: Any, u_new: Any, rtol: float, atol: float) -> float:
    """RMS of ``err / (atol + rtol max(|u|, |u_new|))`` on primal values (a plain float).

    Examples
    --------
    >>> import numpy as np
    >>> scaled_error(np.array([1e-3, 0.0]), np.ones(2), np.ones(2), 1e-3, 0.0)
    0.7071067811865476
    """
    xp = _xp(u)

    def mag(x):
        v = nm.value(x)
        return xp.abs(v) if xp is not np else np.abs(np.asarray(v, dtype=float))

    scale = atol + rtol * xp.maximum(mag(u), mag(u_new))
    e = mag(err) / scale
    return to_host_float(xp.sqrt(xp.mean(e * e)))   # (a device state: one transfer)


def _xp(u: Any) -> Any:
    """NumPy, or the namespace of a state on another array library's device."""
    v = nm.value(u)
    return namespace(v) if is_foreign(v) else np


def _rms(x: np.ndarray) -> float:
    xp = _xp(x)
    return to_host_float(xp.sqrt(xp.mean(xp.abs(x) ** 2)))


def _first_step(prob, u, rtol: float, atol: float, general: bool) -> float:
    """``0.01 d0 / d1`` with ``d0 = ||u0||``, ``d1 = ||f0|| + ||g0||`` (scaled), capped by the span."""
    t0, tf = prob.tspan
    xp = _xp(u)
    plain = (lambda x: nm.value(x)) if xp is not np else (lambda x: np.asarray(nm.value(x), dtype=float))
    scale = atol + rtol * xp.abs(plain(u))
    d0, f0, g0 = (_rms(plain(x) / scale) for x in (u, prob.f(u, prob.p, t0), prob.g(u, prob.p, t0)))
    if d0 < 1e-5 or f0 + g0 < 1e-5:
        return 1e-3 * (tf - t0)
    return min(tf - t0, 0.01 * d0 / (f0 + g0))


def _stops(saveat: Any, t0: float, tf: float) -> list:
    if saveat is None:
        return [tf]
    times = np.atleast_1d(np.asarray(saveat, dtype=float))
    if times.ndim != 1 or np.any(np.diff(times) < 0) or times[0] < t0 or times[-1] > tf:
        raise ValueError(f"saveat must be sorted times inside tspan [{t0}, {tf}]")
    return sorted(set(float(x) for x in times if x > t0) | {tf})


def integrate_adaptive(prob, alg, *, dt: float | None = None, seed: Any = None,
                       batch: int | None = None, save: str = "steps", saveat: Any = None,
                       rtol: float = 1e-2, atol: float = 1e-2, dtmin: float | None = None,
                       dtmax: float | None = None, maxiters: int = 100_000,
                       unstable_check: Any = None) -> SDESolution:
    """Integrate ``prob`` with adaptive steps (see the module doc).

    ``unstable_check(dt, u, p, t) -> bool``, called after each accepted step, ends the solve
    with ``Unstable`` when true (:mod:`solvers.unstable`).

    ``sol.stats`` has ``steps`` (accepted), ``rejects`` and ``W`` (the Brownian
    path's value ``W(tf) - W(t0)``, for comparisons with exact solutions).

    Examples
    --------
    >>> from solvers.sde import SDEProblem, SRIW1
    >>> gbm = SDEProblem(lambda u, p, t: u, lambda u, p, t: 0.5 * u, 1.0, (0.0, 1.0))
    >>> sol = integrate_adaptive(gbm, SRIW1(), rtol=1e-3, atol=1e-3, seed=4)
    >>> exact = np.exp((1 - 0.125) + 0.5 * sol.stats["W"])
    >>> sol.retcode, bool(abs(sol.u[-1] - exact) < 1e-2)
    ('Success', True)
    """
    if not hasattr(alg, "step_error"):
        raise ValueError(f"{alg!r} has no error estimate for adaptive steps; use SRIW1(), SRA1(), "
                         "LambaEM() or LambaEulerHeun(), "
                         "or give a fixed dt with adaptive=False")
    if save not in ("steps", "final"):
        raise ValueError(f"save must be 'steps' or 'final', got {save!r}")
    check_unstable_check(unstable_check)
    t0, tf = prob.tspan
    span = tf - t0
    general = prob.noise_dim is not None
    u = start_state(prob, alg, batch, general)
    mem = BrownianMemory(prob.noise_shape(batch), as_generator(seed), noise_dtype_of(u))
    move = device_mover(u)
    h = float(dt) if dt is not None else _first_step(prob, u, rtol, atol, general)
    dtmax = span if dtmax is None else float(dtmax)
    dtmin = 1e-12 * span if dtmin is None else float(dtmin)
    if not (h > 0 and dtmax > 0):
        raise ValueError(f"dt and dtmax must be > 0, got dt={dt!r}, dtmax={dtmax!r}")
    stops = _stops(saveat, t0, tf)
    keep_all = saveat is None and save == "steps"
    ts, us = ([t0], [u]) if (keep_all or (saveat is not None and float(np.min(saveat)) == t0)) else ([], [])
    t, steps, rejects, si = t0, 0, 0, 0
    stats = {"steps": 0, "rejects": 0}
    while si < len(stops):
        if steps + rejects >= maxiters:
            return _end(ts, us, t, u, "MaxIters", stats, mem, alg, f"maxiters = {maxiters} tries "
                        f"before t = {tf} (at t = {t})", save, keep_all)
        h = min(h, dtmax)
        land = stops[si] - t <= h * (1 + 1e-9)
        step = stops[si] - t if land else h
        dw, area = mem.take(step)          # host draws: the memory keeps them; a device state gets a copy
        try:
            u_new, err = alg.step_error(prob, u, t, step, *((dw, area) if move is None else (move(dw), move(area))),
                                        general)
        except StepFailure as exc:
            return _end(ts, us, t, u, "ConvergenceFailure", stats, mem, alg, str(exc), save, keep_all)
        e = scaled_error(err, u, u_new, rtol, atol) if _is_finite_state(u_new) else math.inf
        factor = QMAX if e == 0 else min(QMAX, max(QMIN, GAMMA * e ** -0.5)) if e < math.inf else QMIN
        if e <= 1:
            t = stops[si] if land else t + step
            u = u_new
            mem.accept(dw)
            steps += 1
            if keep_all or land:
                ts.append(t)
                us.append(u)
            si += land
            h = step * factor if not land or factor < 1 else max(h, step * factor)
            why = unstable_at(unstable_check, step, u, prob.p, t)
            if why is not None:
                stats.update(steps=steps, rejects=rejects)
                return _end(ts, us, t, u, "Unstable", stats, mem, alg, why, save, keep_all)
        else:
            mem.reject(step, dw, area)
            rejects += 1
            h = step * factor
        stats.update(steps=steps, rejects=rejects)
        if h < dtmin:
            return _end(ts, us, t, u, "DtLessThanMin", stats, mem, alg, f"the step fell below dtmin = "
                        f"{dtmin} at t = {t}; the problem may be stiff (ImplicitEM) or need a "
                        "looser tolerance", save, keep_all)
    return _end(ts, us, t, u, "Success", stats, mem, alg, "", save, keep_all)


def _end(ts, us, t, u, code, stats, mem, alg, message, save, keep_all) -> SDESolution:
    if save == "final" and not (ts and ts[-1] == t):
        ts, us = [t], [u]
    elif save == "final":
        ts, us = ts[-1:], us[-1:]
    elif code != "Success" and (not ts or ts[-1] != t):
        ts.append(t)
        us.append(u)
    out = dict(stats, W=mem.W, t_end=t)
    if message:
        out["message"] = message
    return SDESolution(np.asarray(ts), us, code, out, alg)
