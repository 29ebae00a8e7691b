"""The step loop shared by every explicit Runge–Kutta method.

Types
-----
The state ``u``, the time ``t`` and the parameters ``p`` keep the number
types the user gave. Before anything is allocated, ``u0`` is promoted
(``nm.promote``) with ``t0``, ``tf`` and every number found in ``p``, so a
dual parameter or a dual final time makes the state dual. The time keeps its
own type, except that it is raised to the state's real type when that is more
precise (a float ``tspan`` with an mpf state becomes mpf).

Step sizes are plain reals of the time's real type (``nm.value`` of the time:
float or mpf); the controller works on them. A step that ends on a stop
(``tf`` or a ``tstops`` entry) uses ``h = stop - t`` computed with the user's
numbers, so a dual ``tf`` passes its derivative into the last step and
``d u(tf) / d tf = f(u(tf), tf)`` comes out.

Tableau coefficients are converted once to the state's real type
(:meth:`ButcherTableau.coefficients`). For float NumPy states the stages are
combined with one matrix product per stage; every other state goes through
``+`` and ``*`` only, skipping zero coefficients.
"""

from __future__ import annotations

import math
import numbers
import warnings
from typing import Any, Sequence

import numpy as np

from solvers._nm import is_finite_real, nm, real_eps
from solvers.ode.callbacks import split_callbacks
from solvers.ode.controllers import default_controller
from solvers.ode.loop import is_protocol_method
from solvers.ode.events import CallbackRunner
from solvers.ode.solution import LazySegments, ODESolution, ReturnCode, SolverWarning, Stats
from solvers.ode.steppers import FloatArrayStepper, GenericStepper, ScaledNorm
from solvers.ode.validate import check_mass_matrix, check_rhs_output, check_saveat, check_tolerances, check_tspan

__all__ = ["solve_ode", "ODEIntegrator"]

_INF = float("inf")
# options solve() passes on to the method (ctx.options); explicit methods ignore them
METHOD_OPTIONS = frozenset({"jac", "jac_prototype", "sparse", "linsolve", "autodiff", "mass_matrix",
                            "precond", "krylov_rtol"})
_STIFF_HINT = (
    "; the problem may be stiff (explicit methods need tiny steps there): try a stiff "
    "method (solvers.Rodas4() or solvers.Rosenbrock23()), or raise maxiters"
)


class ODEIntegrator:
    """The state of a running solve, as seen by callbacks.

    Attributes a callback may read: ``t``, ``u``, ``p``, ``dt`` (the step size
    the controller proposes next), ``tprev``, ``uprev``, ``stats``, ``sol``
    (the problem and options are on ``prob``/``opts``). A callback may assign
    ``u`` and ``p`` and call :meth:`terminate`.
    """

    def __init__(self) -> None:
        self.terminated = False
        self.u_modified = False

    def terminate(self) -> None:
        """Stop the solve after the current callback (retcode ``Terminated``)."""
        self.terminated = True

    def __setattr__(self, name: str, value: Any) -> None:
        if name in ("u", "p") and "u" in self.__dict__:
            self.__dict__["u_modified"] = True
        object.__setattr__(self, name, value)


# ---------------------------------------------------------------------------
# Helpers


def _numeric_leaves(p: Any, depth: int = 0) -> list:
    """Numbers (scalars, arrays, number types) inside parameters *p*."""
    if depth > 20 or p is None or isinstance(p, (str, bytes, bool)):
        return []
    if isinstance(p, (tuple, list)):
        return [x for e in p for x in _numeric_leaves(e, depth + 1)]
    if isinstance(p, dict):
        return [x for e in p.values() for x in _numeric_leaves(e, depth + 1)]
    if isinstance(p, np.ndarray):
        return [p] if p.dtype.kind in "fcO" else []
    if isinstance(p, numbers.Number) and not isinstance(p, numbers.Integral):
        return [p]
    if nm.value(p) is not p:  # a number type with derivative/uncertainty layers
        return [p]
    return []


def _promote_state(u0: Any, t0: Any, tf: Any, p: Any) -> Any:
    others = [x for x in (t0, tf) if nm.value(x) is not x] + _numeric_leaves(p)
    # only number types with layers (duals, measurements) and higher-precision
    # reals lift the state; a float64 parameter does not turn float32 into float64
    e_u = real_eps(u0)
    lifting = [x for x in others if nm.value(x) is not x or real_eps(x) < e_u]
    if not lifting:
        if isinstance(u0, (int, np.integer)) and not isinstance(u0, bool):
            return float(u0)
        if isinstance(u0, np.ndarray) and u0.dtype.kind in "iub":
            return u0.astype(float)
        if isinstance(u0, (list, tuple)):
            return _sequence_state(u0)
        return u0
    if isinstance(u0, (list, tuple)):
        u0 = _sequence_state(u0)
    return nm.promote(u0, *lifting)[0]


def _sequence_state(u0: Any) -> np.ndarray:
    """A list/tuple state as an array: float, or object when an element carries layers."""
    arr = np.asarray(u0)
    if arr.dtype.kind in "iub":
        return arr.astype(float)
    return arr


def _needs_lift(u: Any, k: Any) -> bool:
    """Does ``f(u)`` carry more than *u* (derivative layers, objects, more digits)?"""
    if nm.value(k) is not k and nm.value(u) is u:
        return True
    if isinstance(k, np.ndarray) and k.dtype == object and not (
        isinstance(u, np.ndarray) and u.dtype == object
    ):
        return True
    return bool(real_eps(k) < real_eps(u))


def _as_object_array(u: Any) -> np.ndarray:
    out = np.empty(u.shape, dtype=object)
    for idx in np.ndindex(*u.shape):
        out[idx] = u[idx]
    return out


def _harmonize(u: Any, f: Any, p: Any, t0: Any, stats: Stats) -> tuple:
    """Evaluate ``k1 = f(u, p, t0)`` and make the state a type that can hold ``u + h k``.

    A dual captured by *f* from a closure (not visible in ``p``) lifts the
    state here. When the state's array type and the one *f* returns do not
    mix (an array-of-numbers type against an object array of scalars), the
    state becomes an object array of scalars.
    """
    for attempt in range(3):
        k1 = f(u, p, t0)
        stats.nf += 1
        if isinstance(k1, (list, tuple)):
            raise TypeError(f"f(u, p, t) returned a {type(k1).__name__}: return an array "
                            "(e.g. np.array([...])) or the state's own kind, so that u + h*f(u) is defined")
        try:
            if _needs_lift(u, k1):
                lifted = u + k1 * 0
                if lifted is not None:
                    u = lifted
                    continue
            u + k1 * 0.5
            return u, k1
        except TypeError:
            if attempt == 2 or not hasattr(u, "shape") or isinstance(u, np.ndarray) and u.dtype == object:
                raise TypeError(
                    f"the state ({type(u).__name__}) and f(u, p, t) ({type(k1).__name__}) cannot be "
                    "added: return the same kind of object from f as u0"
                ) from None
            u = _as_object_array(u)
    return u, k1


def _elevate_time(t: Any, e_state: Any) -> Any:
    if isinstance(t, (int, np.integer, np.float64)):
        t = float(t)
    if real_eps(t) > e_state:
        return t + e_state * 0
    return t


def treal(x: Any, one: Any) -> Any:
    """The plain real *x* (float, float32, mpf) in the real type of *one* (the time's)."""
    return float(x) if isinstance(one, float) else one * x


def _is_float_array(u: Any) -> bool:
    return isinstance(u, np.ndarray) and u.dtype.kind == "f"


def _initial_dt(f, u0, p, t0, f0, order, norm, tdir, span, dtmax, stats) -> Any:
    """Hairer's starting step (HNW I, §II.4, p. 169), on primal values."""
    pu0, pf0 = nm.value(u0), nm.value(f0)
    tv0 = nm.value(t0)
    one = real_eps(tv0) * 0 + 1
    d0 = treal(norm(pu0, pu0, pu0), one)
    d1 = treal(norm(pf0, pu0, pu0), one)
    if not (d0 >= 1e-5 and d1 >= 1e-5):
        h0 = one * 1e-6
    else:
        h0 = 0.01 * d0 / d1
    h0 = min(h0, span)
    u1 = pu0 + pf0 * (h0 * tdir)
    f1 = nm.value(f(u1, p, tv0 + h0 * tdir))
    stats.nf += 1
    d2 = treal(norm(f1 - pf0, pu0, pu0), one) / h0
    m = d1 if d1 >= d2 else d2
    if not is_finite_real(m):
        return h0 * 1e-3
    if m <= 1e-15:
        h1 = max(h0 * 1e-3, one * 1e-6)
    else:
        h1 = (0.01 / m) ** (one / (order + 1))
    h = min(100 * h0, h1, span)
    if dtmax is not None:
        h = min(h, abs(dtmax))
    return h


# ---------------------------------------------------------------------------
# The solve


def solve_ode(
    prob: Any,
    alg: Any = None,
    *,
    dt: Any = None,
    rtol: Any = 1e-3,
    atol: Any = 1e-6,
    adaptive: bool | None = None,
    dtmin: Any = None,
    dtmax: Any = None,
    maxiters: int = 100_000,
    tstops: Sequence | None = None,
    saveat: Any = None,
    save_everystep: bool | None = None,
    save_start: bool = True,
    save_end: bool = True,
    dense: bool | None = None,
    callback: Any = None,
    compile: bool | None = None,
    controller: Any = None,
    verbose: bool = True,
    **method_options: Any,
) -> ODESolution:
    """Solve an :class:`~solvers.ode.problem.ODEProblem` with an explicit RK method.

    Use :func:`solvers.solve`; the options are documented there.
    """
    unknown = sorted(set(method_options) - METHOD_OPTIONS)
    if unknown:
        raise TypeError(f"solve: unknown option(s) {', '.join(unknown)}; the method options are "
                        f"{', '.join(sorted(METHOD_OPTIONS))}")
    sol = _solve_ode(prob, alg, dt=dt, rtol=rtol, atol=atol, adaptive=adaptive, dtmin=dtmin, dtmax=dtmax,
                     maxiters=maxiters, tstops=tstops, saveat=saveat, save_everystep=save_everystep,
                     save_start=save_start, save_end=save_end, dense=dense, callback=callback,
                     compile=compile, controller=controller, options=method_options)
    if verbose and not sol.retcode:
        warnings.warn(f"solve ended with retcode {sol.retcode.value}: {sol.message} "
                      "(pass verbose=False to silence this warning)", SolverWarning, stacklevel=4)
    return sol


def method_options(prob: Any, options: dict) -> dict:
    """``ctx.options``: the problem's mass_matrix/jac/jac_prototype, overridden by solve's method options."""
    out = {"mass_matrix": getattr(prob, "mass_matrix", None), "jac": getattr(prob, "jac", None),
           "jac_prototype": getattr(prob, "jac_prototype", None)}
    out.update({k: v for k, v in options.items() if v is not None or k not in out})
    return out


def _solve_ode(prob, alg, *, dt, rtol, atol, adaptive, dtmin, dtmax, maxiters, tstops, saveat,
               save_everystep, save_start, save_end, dense, callback, compile, controller,
               options) -> ODESolution:
    if alg is None:
        from solvers.ode.algorithms import Tsit5

        alg = Tsit5()
    own = getattr(alg, "make_stepper", None)  # a method with its own step and controller (GBS)
    tab = None if own is not None else alg.tableau
    adaptive = (alg.adaptive if own is not None else tab.adaptive) if adaptive is None else adaptive
    if own is None and adaptive and not tab.adaptive:
        raise ValueError(f"{alg.name} has no error estimate: solve it with adaptive=False and dt=...")
    if not adaptive and dt is None:
        raise ValueError(f"{alg.name} takes fixed steps: pass dt=... (or use an adaptive method)")

    check_mass_matrix(prob, alg)
    proto_ctrl = is_protocol_method(alg) and not getattr(alg, "own_controller", False)
    if controller is not None and own is not None and not proto_ctrl:
        raise ValueError(f"{alg.name} chooses its own step sizes: drop controller=")
    if controller is not None and compile:
        raise ValueError("compile=True: the compiled loop uses the default PI controller; drop controller=")
    custom_controller = controller is not None
    if own is None or proto_ctrl:
        controller = (default_controller(alg) if controller is None else controller).bind(
            getattr(alg, "error_order", alg.order))
    f, p = prob.f, prob.p
    t0, tf = prob.tspan
    check_tspan(nm.value(t0), nm.value(tf))
    u = _promote_state(prob.u0, t0, tf, p)
    check_tolerances(rtol, atol, u)
    e_state = real_eps(u)
    t0 = _elevate_time(t0, e_state)
    tf = _elevate_time(tf, e_state)
    tv0, tvf = nm.value(t0), nm.value(tf)
    tdir = 1 if tvf >= tv0 else -1
    span = abs(tvf - tv0)
    norm = ScaledNorm(atol, rtol)
    stats = Stats()
    u, k1 = _harmonize(u, f, p, t0, stats)
    k1 = check_rhs_output(u, k1)
    if span == 0:
        return ODESolution(prob, alg, [t0], [u], ReturnCode.Success, "tspan has zero length", stats,
                           [], False, tdir)
    co = None if own is not None else tab.coefficients(u, tv0)
    proto = is_protocol_method(alg)
    if proto:
        stepper = None
    elif own is not None:
        stepper = own(f, p, u, k1, norm, stats, rtol, adaptive)
    elif _is_float_array(u) and co.float_dtype == u.dtype:
        stepper = FloatArrayStepper(co, f, p, u, atol, rtol, adaptive)
    else:
        stepper = GenericStepper(co, f, p, norm, adaptive)
        stepper.coerce_like(u, k1)
    float_path = isinstance(stepper, FloatArrayStepper)
    plain_time = tv0 is t0 and tvf is tf and isinstance(tv0, float)

    integ = ODEIntegrator()
    integ.prob, integ.alg, integ.stats = prob, alg, stats
    integ.p = p
    integ.t = t0
    integ.u = u
    integ.u_modified = False
    integ.options = method_options(prob, options)

    cont, disc = split_callbacks(prob.callback, callback)
    if saveat is not None:
        if isinstance(saveat, (list, tuple, np.ndarray)):
            save_times = sorted((x for x in saveat), key=lambda x: tdir * nm.value(x))
        else:
            step = abs(nm.value(saveat))
            n = int(math.floor(float(span / step) * (1 + 1e-12))) if step > 0 else 0
            save_times = [tv0 + tdir * step * k for k in range(n + 1)]
            if save_times and abs(save_times[-1] - tvf) > 1e-12 * span:
                save_times.append(tf)
            elif save_times:
                save_times[-1] = tf
            save_times[0] = t0
    else:
        save_times = []
    check_saveat(save_times, tv0, tvf, tdir)
    if save_everystep is None:
        save_everystep = saveat is None
    if dense is None:
        dense = save_everystep and saveat is None
    stops = sorted((x for x in (tstops or ()) if 0 < tdir * (nm.value(x) - tv0) < span), key=lambda x: tdir * nm.value(x))
    stops.append(tf)

    ts: list = []
    us: list = []
    segments: list = []
    si = 0  # next index into save_times
    if saveat is None and save_start:
        ts.append(t0)
        us.append(u)
    while si < len(save_times) and tdir * (nm.value(save_times[si]) - tv0) <= 0:
        if tdir * (nm.value(save_times[si]) - tv0) == 0:
            ts.append(save_times[si])
            us.append(u)
        si += 1

    compiled = [False, "the state is not a 1-D float64 array"]

    def finish(code: ReturnCode, msg: str, steps: Any = None) -> ODESolution:
        if saveat is None and save_end and not save_everystep and (not ts or ts[-1] is not integ.t):
            ts.append(integ.t)
            us.append(integ.u)
        sol = ODESolution(prob, alg, ts, us, code, msg, stats, segments if steps is None else steps,
                          dense, tdir)
        sol.compiled, sol.compile_message = compiled
        return sol

    if not is_finite_real(nm.norm(nm.value(k1))) or not is_finite_real(nm.norm(nm.value(u))):
        return finish(ReturnCode.InitialFailure, "u0 or f(u0, p, t0) is not finite")

    one_t = real_eps(tv0) * 0 + 1  # 1 in the time's real type
    if adaptive:
        if dt is None:
            order = alg.order if proto else stepper.order if own is not None else tab.order
            dtr = _initial_dt(f, u, p, t0, k1, order, norm, tdir, span, dtmax, stats)
        else:
            dtr = abs(nm.value(dt)) * one_t
    else:
        dtr = abs(nm.value(dt)) * one_t
    if not dtr > 0:
        return finish(ReturnCode.Failure, f"the step size must be positive, got {dtr}")
    dtmax_v = span if dtmax is None else abs(nm.value(dtmax))
    dtmin_v = 0 if dtmin is None else abs(nm.value(dtmin))
    eps_t = real_eps(tv0)

    want = getattr(alg, "compile", None) if compile is None else compile
    if own is not None:
        if want:
            raise ValueError(f"compile=True: {alg.name} has no compiled loop; use compile=None or False")
        compiled[1] = f"{alg.name} has no compiled loop"
    elif want is not False and float_path and plain_time and u.dtype == np.float64 and u.ndim == 1:
        if custom_controller:
            compiled[1] = "a custom controller needs the generic loop"
        elif cont or disc:
            if want:
                raise ValueError("compile=True: the compiled loop has no callbacks; use compile=None or False")
            compiled[1] = "callbacks need the generic loop"
        else:
            from solvers.ode.compiled import compile_rhs

            fj, why = compile_rhs(f, u, p, t0, force=bool(want))
            if fj is None and want:
                raise ValueError(f"compile=True: {why}")
            compiled[1] = why
            if fj is not None:  # the whole solve is handed to the compiled kernel
                compiled[0] = True
                return _finish_compiled(
                    fj, prob, alg, co, u, k1, t0, stops, dtr, tdir, adaptive, rtol, atol, dtmin_v, dtmax_v,
                    maxiters, eps_t, save_times, save_everystep, saveat, save_end, dense, ts, us, segments,
                    stats, f, p, finish, integ,
                )  # fmt: skip
    return _run_protocol_method(locals(), dtr, dtmin_v, dtmax_v, integ, finish)


_CODES = {0: ReturnCode.Success, 1: ReturnCode.MaxIters, 2: ReturnCode.DtLessThanMin, 3: ReturnCode.Unstable}


def _run_protocol_method(env: dict, dtr, dtmin_v, dtmax_v, integ, finish) -> ODESolution:
    """Hand the prepared solve to :func:`solvers.ode.loop.run_protocol`."""
    from types import SimpleNamespace

    from solvers.ode.loop import run_protocol


    def done(code, msg, t, u):
        integ.__dict__["t"], integ.__dict__["u"] = t, u
        return finish(code, msg)

    keys = ("f", "p", "t0", "u", "k1", "norm", "atol", "rtol", "stats", "adaptive", "dense", "save_times",
            "alg", "controller", "maxiters", "stops", "tdir", "eps_t", "save_everystep", "ts", "us",
            "segments", "si")
    s = SimpleNamespace(**{k: env[k] for k in keys})
    s.options, s.dtmin, s.dtmax, s.finish, s.save_until = integ.options, dtmin_v, dtmax_v, done, _save_until
    tf = env["tf"]
    s.make_stepper, s.landing, s.hint = _adapter(env)
    s.own_controller = bool(getattr(env["alg"], "own_controller", False)) or (env["own"] is not None
                                                                          and not env["proto"])
    s.callbacks = CallbackRunner(env["cont"], env["disc"], integ, lambda u, t, p: _promote_state(u, t, tf, p))
    return run_protocol(s, dtr)


def _adapter(env: dict) -> tuple:
    """``(make_stepper, landing factor, maxiters hint)``: protocol steppers for explicit RK and GBS."""
    from solvers.ode.rk_stepper import OwnControllerStepper, TableauStepper

    stepper, alg, adaptive = env["stepper"], env["alg"], env["adaptive"]
    if env["proto"]:
        return None, 1.0001, ""
    hint = _STIFF_HINT if adaptive else ""
    if env["own"] is not None:
        dense = bool(env["dense"] or env["save_times"] or env["cont"])
        return (lambda ctx: OwnControllerStepper(stepper, env["stats"], dense)), 1.01 if adaptive else 1 + 1e-9, hint
    tab = alg.tableau
    return ((lambda ctx: TableauStepper(stepper, env["co"], env["stats"], tab.stages, tab.fsal, env["float_path"])),
            1.01 if adaptive else 1 + 1e-9, hint)


def _finish_compiled(fj, prob, alg, co, u, k1, t0, stops, dtr, tdir, adaptive, rtol, atol, dtmin_v, dtmax_v,
                     maxiters, eps_t, save_times, save_everystep, saveat, save_end, dense, ts, us, segments,
                     stats, f, p, finish, integ):  # fmt: skip
    """Run the compiled loop and turn its arrays into the usual solution."""
    from solvers.ode.compiled import run_compiled

    tt, uu, KK, nf, nacc, nrej, code, t_end = run_compiled(
        fj, p, u, np.asarray(k1, dtype=np.float64), t0, [float(x) for x in stops], dtr, tdir, co, adaptive,
        rtol, atol, dtmin_v, dtmax_v, maxiters, alg, eps_t,
    )  # fmt: skip
    stats.nf += nf
    stats.naccept += nacc
    stats.nreject += nrej
    steps = LazySegments(tt, uu, KK, co, f, p, stats)  # segment objects only where used
    if save_times:
        si = 0
        for j in range(len(KK)):
            if si == len(save_times):
                break
            if tdir * nm.value(save_times[si]) <= tdir * tt[j + 1]:  # a save time in this step
                si = _save_until(save_times, si, float(tt[j + 1]), tdir, steps[j][2], ts, us,
                                 inclusive=True, u_end=uu[j + 1])
    if save_everystep:
        ts.extend(tt[1:].tolist())
        us.extend(uu[1:])
    integ.__dict__["t"] = float(tt[-1])
    integ.__dict__["u"] = uu[-1]
    rc = _CODES[code]
    msg = ""
    if rc is ReturnCode.MaxIters:
        msg = f"maxiters = {maxiters} steps taken at t = {integ.t} before reaching t = {stops[-1]}" + (
            _STIFF_HINT if adaptive else "")
    elif rc is ReturnCode.DtLessThanMin:
        msg = f"step size fell below dtmin ({dtmin_v}) or the resolution of t at t = {integ.t}"
    elif rc is ReturnCode.Unstable:
        msg = f"the state became non-finite at t = {integ.t}"
    return finish(rc, msg, steps if dense else None)


def _save_until(save_times, si, t_end, tdir, seg, ts, us, inclusive=True, u_end=None) -> int:
    te = tdir * nm.value(t_end)
    while si < len(save_times):
        ts_i = save_times[si]
        k = tdir * nm.value(ts_i)
        if k > te:
            break
        if k == te and u_end is not None:
            val = u_end
        else:
            val = seg(seg.theta(ts_i))
        ts.append(ts_i)
        us.append(val)
        si += 1
    return si
