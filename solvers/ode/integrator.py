"""``solve(prob, alg)`` for ODEs: prepare the solve, then hand it to the one step loop.

Every method (explicit Runge-Kutta tableaus, GBS extrapolation, the stiff methods) is a
stepper-protocol method (:mod:`solvers.ode.stepper`); ``solve(prob, alg)`` is
``init(prob, alg).solve()``: :class:`~solvers.ode.integrator_object.ProtocolIntegrator` runs
the steps; saving (:mod:`solvers.ode.saving`), stops (:mod:`solvers.ode.tstops`) and callbacks
(:mod:`solvers.ode.events`) are components of that loop. The only other route is the numba
kernel (:mod:`solvers.ode.compiled`), which takes a whole explicit-RK float64 solve when the
problem qualifies. The state's and the time's number types are settled in
:mod:`solvers.ode.state`.
"""

from __future__ import annotations

import math
import warnings
from types import SimpleNamespace
from typing import Any, Sequence

import numpy as np

from solvers._nm import is_finite_real, nm, real_eps
from solvers.ode.callbacks import split_callbacks
from solvers.ode.algorithms import ExplicitRK, Tsit5
from solvers.ode.compiled import ExplicitKernel, compile_rhs, launch, python_fallback
from solvers.ode.controllers import default_controller
from solvers.ode.errornorm import check_errornorm
from solvers.unstable import check_unstable_check
from solvers.ode.events import CallbackRunner
from solvers.ode.saving import plan_saves, save_final, save_until
from solvers.ode.solution import ODESolution, ReturnCode, SolverWarning, Stats
from solvers.ode.state import elevate_time, harmonize, initial_dt, promote_state, treal
from solvers.ode.steppers import ScaledNorm, error_norm
from solvers.ode.tstops import plan_stops
from solvers.ode.validate import check_mass_matrix, check_rhs_output, check_tolerances, check_tspan, \
    tolerance_below_precision

__all__ = ["solve_ode", "ODEIntegrator", "method_options", "treal", "start_run", "initial_failure",
           "first_step", "warn_outcome"]

# options solve() passes on to the method (ctx.options); explicit methods ignore them
METHOD_OPTIONS = frozenset({"jac", "jac_prototype", "sparse", "linsolve", "autodiff", "mass_matrix",
                            "precond", "krylov_rtol", "error_norm"})
_promote_state = promote_state  # the name callbacks' promotion used before the split


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
    sensealg: Any = None,
    errornorm: Any = None,
    unstable_check: Any = None,
    **method_options: Any,
) -> ODESolution:
    """Solve an :class:`~solvers.ode.problem.ODEProblem` with an explicit RK method.

    Use :func:`solvers.solve`; the options are documented there.
    """
    if sensealg is not None:
        from solvers.ode.sensitivity.base import check_sensealg

        options = dict(dt=dt, rtol=rtol, atol=atol, adaptive=adaptive, dtmin=dtmin, dtmax=dtmax,
                       maxiters=maxiters, tstops=tstops, saveat=saveat, save_everystep=save_everystep,
                       save_start=save_start, save_end=save_end, dense=dense, callback=callback,
                       compile=compile, controller=controller, verbose=verbose, errornorm=errornorm,
                       unstable_check=unstable_check, **method_options)
        return check_sensealg(sensealg).solve(prob, alg, options)
    unknown = sorted(set(method_options) - METHOD_OPTIONS)
    if unknown:
        raise TypeError(f"solve: unknown option(s) {', '.join(unknown)}; the method options are "
                        f"{', '.join(sorted(METHOD_OPTIONS))}")
    sol = _solve_ode(prob, alg, dt=dt, rtol=rtol, atol=atol, adaptive=adaptive, dtmin=dtmin, dtmax=dtmax,
                     maxiters=maxiters, tstops=tstops, saveat=saveat, save_everystep=save_everystep,
                     save_start=save_start, save_end=save_end, dense=dense, callback=callback,
                     compile=compile, controller=controller, errornorm=errornorm, options=method_options,
                     unstable_check=unstable_check)
    if verbose:
        warn_outcome(sol, alg, adaptive, rtol, stacklevel=5)
        want = getattr(alg, "compile", None) if compile is None else compile
        if want is True and not getattr(sol, "compiled", True):
            # the other reasons raise; a state the kernels cannot take (a dual, a float32 array) is the
            # number type the user swapped in, so its solve runs, but the request is not dropped unsaid
            warnings.warn(f"compile=True was asked for, but the generic loop ran: {sol.compile_message} "
                          "(pass verbose=False to silence this warning)", SolverWarning, stacklevel=4)
    return sol


def warn_outcome(sol: ODESolution, alg: Any, adaptive: Any, rtol: Any, stacklevel: int = 4) -> None:
    """The warnings of a ``verbose`` solve: it ended without success, or *rtol* is below the state's
    precision (:func:`~solvers.ode.validate.tolerance_below_precision`)."""
    if not sol.retcode:
        warnings.warn(f"solve ended with retcode {sol.retcode.value}: {sol.message} "
                      "(pass verbose=False to silence this warning)", SolverWarning, stacklevel=stacklevel)
    elif len(sol.u) and (alg is None or adaptive or (adaptive is None and alg.adaptive)):
        below = tolerance_below_precision(rtol, sol.u[0])
        if below:
            warnings.warn(below + " (pass verbose=False to silence this warning)", SolverWarning,
                          stacklevel=stacklevel)


def method_options(prob: Any, options: dict) -> dict:
    """``ctx.options``: the problem's mass_matrix/jac/jac_prototype, overridden by solve's method options."""
    out = {"mass_matrix": getattr(prob, "mass_matrix", None), "jac": getattr(prob, "jac", None),
           "jac_prototype": getattr(prob, "jac_prototype", None)}
    out.update({k: v for k, v in options.items() if v is not None or k not in out})
    return out


def _solve_ode(prob, alg, *, dt, rtol, atol, adaptive, dtmin, dtmax, maxiters, tstops, saveat,
               save_everystep, save_start, save_end, dense, callback, compile, controller,
               options, errornorm=None, unstable_check=None) -> ODESolution:
    if alg is None:
        alg = Tsit5()
    adaptive, controller, custom = _check_method(alg, adaptive, dt, controller, compile)
    check_mass_matrix(prob, alg)
    s = _prepare(prob, rtol, atol, adaptive, check_errornorm(errornorm), tstops)
    s.custom_controller = custom
    s.unstable_check = check_unstable_check(unstable_check)
    if s.span == 0:
        return ODESolution(prob, alg, [s.t0], [s.u], ReturnCode.Success, "tspan has zero length", s.stats,
                           [], False, s.tdir)
    s.alg, s.controller, s.maxiters, s.options = alg, controller, maxiters, method_options(prob, options)
    s.norm = error_norm(s.norm, s.options.pop("error_norm", None))
    s.cont, s.disc = split_callbacks(prob.callback, callback)
    plan_saves(s, saveat, save_everystep, save_start, save_end, dense)
    s.stops = plan_stops(tstops, s.tv0, s.span, s.tdir, s.tf)
    integ, finish = start_run(prob, alg, s)
    if initial_failure(s):
        return finish(ReturnCode.InitialFailure, "u0 or f(u0, p, t0) is not finite")
    s.dt_given, s.dtmax_given = dt, dtmax
    dtr = first_step(s)
    if not callable(dtr) and not dtr > 0:
        return finish(ReturnCode.Failure, f"the step size must be positive, got {dtr}")
    s.dtmax = s.span if dtmax is None else abs(nm.value(dtmax))
    s.dtmin = 0 if dtmin is None else abs(nm.value(dtmin))
    sol = _try_compiled(s, alg, compile, dtr, finish, integ)
    if sol is not None:
        return sol
    launch(None, s, dtr, finish, integ)  # inside prepare(): hands the plan back (the generic loop)
    return _run_loop(s, integ, finish, dtr)


def start_run(prob: Any, alg: Any, s: Any) -> tuple:
    """``(integ, finish)`` of the solve state *s*: the callbacks' view and the solution's builder."""
    integ = _callback_view(prob, alg, s)
    return integ, _finisher(prob, alg, s, integ)


def initial_failure(s: Any) -> bool:
    """True when ``u0`` or ``f(u0, p, t0)`` of the solve state *s* is not finite."""
    return not _finite(s.k1) or not _finite(s.u)


def _finite(x: Any) -> bool:
    """Is ``nm.norm(nm.value(x))`` finite? For a float NumPy array that is: are its elements (the norm
    is finite exactly when they are: an overflowing sum of squares takes the scaled formula)."""
    v = nm.value(x)
    if type(v) is np.ndarray and v.dtype.kind == "f":  # a few elements: in Python (NumPy calls cost more)
        return all(map(math.isfinite, v.ravel().tolist())) if v.size <= 64 else bool(np.isfinite(v).all())
    return is_finite_real(nm.norm(v))


def _check_method(alg: Any, adaptive: Any, dt: Any, controller: Any, compile: Any) -> tuple:
    """``(adaptive, bound controller or None, custom?)`` after the checks of the method's options."""
    adaptive = alg.adaptive if adaptive is None else adaptive
    if adaptive and not alg.adaptive:
        raise ValueError(f"{alg.name} has no error estimate: solve it with adaptive=False and dt=...")
    if not adaptive and dt is None:
        raise ValueError(f"{alg.name} takes fixed steps: pass dt=... (or use an adaptive method)")
    own = bool(getattr(alg, "own_controller", False))
    if controller is not None and own:
        raise ValueError(f"{alg.name} chooses its own step sizes: drop controller=")
    if controller is not None and compile:
        raise ValueError("compile=True: the compiled loop uses the default PI controller; drop controller=")
    if own:
        return adaptive, None, False
    ctrl = default_controller(alg) if controller is None else controller
    return adaptive, ctrl.bind(getattr(alg, "error_order", alg.order)), controller is not None


def _prepare(prob: Any, rtol: Any, atol: Any, adaptive: bool, errornorm: Any = None,
             tstops: Any = None) -> SimpleNamespace:
    """The solve state: promoted ``u``, times in the right type, ``k1 = f(u0)``, norm, counters."""
    f, p = prob.f, prob.p
    t0, tf = prob.tspan
    check_tspan(nm.value(t0), nm.value(tf))
    u = promote_state(prob.u0, t0, tf, p, tstops)
    check_tolerances(rtol, atol, u)
    e_state = real_eps(u)
    t0, tf = elevate_time(t0, e_state), elevate_time(tf, e_state)
    tv0, tvf = nm.value(t0), nm.value(tf)
    stats = Stats()
    f_generic = python_fallback(f)  # a numba f meets duals in the generic loop as its Python original
    u, k1 = harmonize(u, f_generic, p, t0, stats)
    k1 = check_rhs_output(u, k1)
    return SimpleNamespace(
        f=f, f_generic=f_generic, p=p, t0=t0, tf=tf, tv0=tv0, tvf=tvf, tdir=1 if tvf >= tv0 else -1, span=abs(tvf - tv0),
        u=u, k1=k1, norm=ScaledNorm(atol, rtol, errornorm), atol=atol, rtol=rtol, stats=stats, adaptive=adaptive,
        eps_t=real_eps(tv0), plain_time=tv0 is t0 and tvf is tf and isinstance(tv0, float),
        compiled=[False, "the state is not a 1-D float64 array"], save_until=save_until)


def _callback_view(prob: Any, alg: Any, s: Any) -> ODEIntegrator:
    integ = ODEIntegrator()  # one update, not eight calls of its __setattr__ (which watches u and p)
    integ.__dict__.update(prob=prob, alg=alg, stats=s.stats, p=s.p, t=s.t0, u=s.u, u_modified=False,
                          options=s.options)
    return integ


def _finisher(prob: Any, alg: Any, s: Any, integ: ODEIntegrator):
    def finish(code: ReturnCode, msg: str, steps: Any = None) -> ODESolution:
        save_final(s, integ.t, integ.u)
        sol = ODESolution(prob, alg, s.ts, s.us, code, msg, s.stats, s.segments if steps is None else steps,
                          s.dense, s.tdir)
        sol.compiled, sol.compile_message = s.compiled
        return sol

    return finish


def first_step(s: Any) -> Any:
    """The first step size (``dt`` given) of the solve state *s*; when chosen automatically a function
    of the stepper (its starting order)."""
    dt, dtmax = s.dt_given, s.dtmax_given
    if dt is not None:
        return abs(nm.value(dt)) * (real_eps(s.tv0) * 0 + 1)

    def auto(stepper: Any) -> Any:
        order = getattr(stepper, "initial_order", None) or s.alg.order
        return initial_dt(s.f_generic, s.u, s.p, s.t0, s.k1, order, s.norm, s.tdir, s.span, dtmax, s.stats)

    return auto


def _try_compiled(s: Any, alg: Any, compile: Any, dtr: Any, finish: Any, integ: Any) -> Any:
    """The solution from the compiled whole-solve kernel when the problem qualifies, else None."""
    want = getattr(alg, "compile", None) if compile is None else compile
    kernel = compiled_kernel(alg)
    if kernel in ("rosenbrock", "radau", "bdf") and want is not False:
        if not _float_solve(s):
            return None
        if s.cont or s.disc or s.custom_controller or s.unstable_check:
            return _refuse(s, want, "callbacks, unstable_check or a custom controller need the generic loop")
        from solvers.ode.compiled_stiff import try_compiled_rosenbrock

        return try_compiled_rosenbrock(s, want, dtr, finish, integ, kernel)
    if not isinstance(alg, ExplicitRK):  # the explicit kernel runs explicit Butcher tableaus only
        if want:
            raise ValueError(f"compile=True: {alg.name} has no compiled loop; use compile=None or False")
        s.compiled[1] = f"{alg.name} has no compiled loop"
        return None
    u = s.u
    if want is False or not _float_solve(s):
        return None
    co = alg.tableau.coefficients(u, s.tv0)
    if co.float_dtype != u.dtype:
        return None
    if s.custom_controller:
        s.compiled[1] = "a custom controller needs the generic loop"
        return None
    if s.unstable_check:
        return _refuse(s, want, "unstable_check needs the generic loop")
    if s.cont or s.disc:
        if want:
            raise ValueError("compile=True: the compiled loop has no callbacks; use compile=None or False")
        s.compiled[1] = "callbacks need the generic loop"
        return None
    fj, why = compile_rhs(s.f, u, s.p, s.t0, force=bool(want), k=s.k1)
    if fj is None and want:
        raise ValueError(f"compile=True: {why}")
    s.compiled[1] = why
    if fj is None:
        return None
    s.compiled[0] = True
    return launch(ExplicitKernel(fj, s, co), s, dtr, finish, integ)


def compiled_kernel(alg: Any) -> str | None:
    """Which compiled kernel can run *alg*: ``"explicit"`` (a Butcher tableau), ``"rosenbrock"`` (a
    W-transformed Rosenbrock tableau), ``"radau"`` (RadauIIA5), ``"bdf"`` (FBDF; the stiff ones
    :mod:`solvers.ode.compiled_stiff`) or None."""
    if isinstance(alg, ExplicitRK):
        return "explicit"
    from solvers.ode.stiff.bdf import FBDF
    from solvers.ode.stiff.radau import RadauIIA5
    from solvers.ode.stiff.rodas import RosenbrockTableau

    if type(alg) is RadauIIA5:
        return "radau"
    if type(alg) is FBDF:
        return "bdf"
    return "rosenbrock" if isinstance(getattr(alg, "tableau", None), RosenbrockTableau) else None


def _float_solve(s: Any) -> bool:
    """The capability both kernels need: a 1-D float64 NumPy state and float times (tspan and the
    saveat times: a dual save time is saved through the generic loop's interpolant)."""
    u = s.u
    return bool(s.plain_time and isinstance(u, np.ndarray) and u.dtype == np.float64 and u.ndim == 1
                and all(nm.value(x) is x for x in (getattr(s, "save_times", None) or ())))


def _refuse(s: Any, want: Any, why: str) -> None:
    if want:
        raise ValueError(f"compile=True: {why}; use compile=None or False")
    s.compiled[1] = why
    return None


def _run_loop(s: Any, integ: ODEIntegrator, finish: Any, dtr: Any) -> ODESolution:
    """Hand the prepared solve to the protocol loop (:func:`solvers.ode.loop.run_protocol`)."""
    from solvers.ode.loop import run_protocol

    def done(code, msg, t, u):
        integ.__dict__["t"], integ.__dict__["u"] = t, u
        return finish(code, msg)

    s.finish = done
    tf = s.tf
    s.callbacks = CallbackRunner(s.cont, s.disc, integ, lambda u, t, p: promote_state(u, t, tf, p))
    return run_protocol(s, dtr)
