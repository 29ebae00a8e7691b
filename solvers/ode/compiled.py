"""The numba fast path: the whole explicit Runge–Kutta step loop compiled.

When the state is a float64 NumPy array and the right-hand side compiles with
numba, :func:`run_compiled` runs the same method (same tableau, same PI
controller, same stops) as the generic loop of :mod:`solvers.ode.integrator`
inside one ``numba.njit`` function, and returns the steps' times and states
and only the stages something will read: every step's for dense output; with
``saveat`` alone those of the steps holding a save time strictly inside (and
their extra interpolation stages, Verner's, evaluated in the kernel); none
otherwise. The Python side builds the usual :class:`ODESolution` from them
(segments built lazily, where evaluated). Answers agree with the generic float
path to rounding (a sum may be ordered differently).

The loop is bound to ``f`` through :mod:`solvers.ode.kernel_cache` (``f`` a
global of a generated module, cached on disk): no call passes numba a
dispatcher argument to type, and a new process loads the compiled loop
instead of compiling it again.

When it is used (``solve(..., compile=...)`` or ``Tsit5(compile=...)``):

* ``compile=True``: ``numba.njit(f)`` is tried; if it fails, the solve
  raises an error that says why. A state the kernel cannot take (a dual, a measurement, float32)
  runs the generic loop with a ``SolverWarning`` that says so (the number type is the one swapped in).
* ``compile=None`` (default): the compiled loop runs when ``f`` already is a
  numba-compiled function (``numba.njit``); a plain Python ``f`` takes the
  generic path, so no solve pays a compilation it did not ask for (compiling
  ``f`` and specialising the loop on it takes about a second).
* ``compile=False``: never.

A solve's kernel is an :class:`ExplicitKernel`: the loop and every argument that depends only on
the options (tableau matrix, tolerance vectors, stops, save times), converted once; the plain solve
builds one and calls it once, :func:`solvers.prepare` keeps it for many solves (:func:`launch` /
:func:`capture_plan` hand it over).

The compiled loop has no callbacks; a solve with callbacks takes the generic
path (``compile=True`` with callbacks is an error). ``sol.compiled`` says
which path ran and ``sol.compile_message`` why.
"""

from __future__ import annotations

import contextvars
import functools
import weakref
from typing import Any

import numpy as np

from solvers.ode.kernel_cache import cached_kernel
from solvers.ode.state import numeric_leaves as _numeric_leaves
from solvers.ode.solution import LazySegments, ReturnCode, Segment

__all__ = ["compile_rhs", "python_fallback", "run_compiled", "solve_compiled", "finish_compiled", "ExplicitKernel", "launch",
           "capture_plan", "KernelPlan"]

_LOOP = None
_JITTED: dict = {}


def _is_dispatcher(f: Any) -> bool:
    return type(f).__module__.startswith("numba") and hasattr(f, "py_func")


def python_fallback(f: Any) -> Any:
    """*f* for generic code: a numba function runs as itself when every argument is made of float
    arrays and reals, and as its Python original (``f.py_func``) on the numbers numba cannot type
    (duals of a parameter or of a stiff method's Jacobian seeds, measurements, mpf object arrays);
    any other *f* unchanged. Any signature (``f(u, p, t)``, a DAE's ``F(du, u, p, t)``).

    Examples
    --------
    >>> import numba, numpy as np, numeric as nm
    >>> f = python_fallback(numba.njit(lambda u, p, t: -p * u))
    >>> f(np.ones(2), 2.0, 0.0).tolist(), nm.derivative(lambda p: f(np.ones(2), p, 0.0), 2.0).tolist()
    ([-2.0, -2.0], [-1.0, -1.0])
    """
    if not _is_dispatcher(f):
        return f
    py = f.py_func

    def rhs(*args: Any) -> Any:
        if all(map(_numba_number, _numeric_leaves(args))):
            return f(*args)
        return py(*args)

    return rhs


def _numba_number(x: Any) -> bool:
    if type(x) is np.ndarray:
        return x.dtype.kind in "fciub"
    return type(x) in (float, int, complex) or isinstance(x, np.number)


def compile_rhs(f: Any, u: np.ndarray, p: Any, t: float, force: bool, name: str = "f",
                shape: tuple | None = None, k: Any = None) -> tuple:
    """A numba version of *f* checked on ``(u, p, t)``, or ``(None, reason)``; *name* is what the
    reason calls it, *shape* the output shape it must have (default: the state's). *k*: ``f(u, p, t)``
    when the caller has evaluated it already; it is checked instead of a new call when *f* itself is
    the numba function."""
    if _is_dispatcher(f):
        fj = f
    elif not force:  # decided without importing numba (a plain solve does not pay for its import)
        return None, f"{name} is a Python function (pass compile=True, or give a numba.njit function)"
    else:
        fj = _JITTED.get(f)
        if fj is None:
            try:
                import numba
            except ImportError as e:  # pragma: no cover - numba is a dependency
                return None, f"numba is not importable: {e}"
            fj = numba.njit(f)
    try:
        if k is None or fj is not f:
            k = fj(u, p, t)
    except Exception as e:  # numba typing errors come in many classes
        return None, f"numba could not compile {name}: {type(e).__name__}: {str(e).splitlines()[0][:200]}"
    want = u.shape if shape is None else shape
    if not (isinstance(k, np.ndarray) and k.dtype == np.float64 and k.shape == want):
        return None, f"the compiled {name} does not return a float64 array of shape {want}"
    if not _is_dispatcher(f):
        _JITTED[f] = fj
    return fj, "compiled"


def _build_loop():
    """The compiled loop (:mod:`solvers.ode.compiled_loop`; importing it imports numba)."""
    from solvers.ode.compiled_loop import loop

    return loop


def run_compiled(fj, p, u0, k1, t0, stops, dt0, tdir, co, adaptive, rtol, atol, dtmin, dtmax,
                 maxiters, alg, eps_t, keep=2, errornorm=None, saves=()) -> tuple:  # fmt: skip
    """Run the compiled loop; returns ``(ts, us, Ks, nf, naccept, nreject, code, t_end, kstep)``.

    *keep*: 0 keeps the ends only, 1 every step's t and u, 2 also every step's stages (dense
    output), 3 every step's t and u and the stages of the steps that hold one of the save times
    *saves* (after t0, in the direction of integration) strictly inside, with their extra
    interpolation stages (Verner's, evaluated in the kernel), ``kstep`` naming those steps (empty
    otherwise); only what is kept is allocated. *errornorm*: the
    :class:`~solvers.ode.errornorm.ErrorNorm` of the solve (None: the default).
    """
    loop, rest = _bind(fj, tdir, co, adaptive, rtol, atol, dtmin, dtmax, maxiters, alg, eps_t, keep, errornorm,
                       saves, u0.size)  # fmt: skip
    return loop(p, np.ascontiguousarray(u0, dtype=np.float64), np.ascontiguousarray(k1, dtype=np.float64),
                float(t0), np.asarray(stops, dtype=np.float64), float(dt0), *rest)


def _bind(fj, tdir, co, adaptive, rtol, atol, dtmin, dtmax, maxiters, alg, eps_t, keep, errornorm, saves,
          n) -> tuple:  # fmt: skip
    """``(loop, rest)``: the loop for *fj* and its arguments after ``(p, u0, k1, t0, stops, dt0)``,
    converted once (what a prepared solve reuses)."""
    tab = co.tableau
    s = tab.stages
    M, c = kernel_tableau(co, adaptive)
    nnorm, counted, ndiv = (n, n, n) if errornorm is None else errornorm.layout(n)
    rt, at = _tolerance_vector(rtol, n), _tolerance_vector(atol, n)
    if fj in POINTER_RHS:
        from solvers.ode.compiled_loop import function_pointer, pointer_loop

        loop = functools.partial(pointer_loop(), function_pointer(fj))
    else:
        loop = bound_loop(fj)
    return loop, (float(tdir), M, c, s, bool(tab.fsal), bool(adaptive), rt, at, float(dtmin), float(dtmax),
                  int(maxiters), float(alg.beta1), float(alg.beta2), float(alg.safety), float(alg.qmin),
                  float(alg.qmax), float(eps_t), int(keep), int(nnorm), int(counted), int(ndiv),
                  np.asarray(saves, dtype=np.float64), *kernel_extra(co))  # fmt: skip


_TABLEAUS: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def kernel_tableau(co: Any, adaptive: bool) -> tuple:
    """``(M, c)`` for the kernel, built once per coefficient set: the rows of a (padded to the
    stage count), then b, then (adaptive) btilde, as one float64 matrix; and the nodes c."""
    cached = _TABLEAUS.setdefault(co, {})
    out = cached.get(adaptive)
    if out is None:
        tab = co.tableau
        s = tab.stages
        rows = [np.concatenate([r, np.zeros(s - len(r))]) for r in co.a_np]
        rows.append(co.b_np)
        if adaptive:
            rows.append(co.btilde_np)
        out = cached[adaptive] = (np.array(rows, dtype=np.float64), np.array([float(x) for x in tab.c]))
    return out


def kernel_extra(co: Any) -> tuple:
    """``(E, ce)`` for the kernel, built once per coefficient set: the extra interpolation stages'
    rows (Verner's; each padded to the stage count plus the extra stages) and their nodes."""
    cached = _TABLEAUS.setdefault(co, {})
    out = cached.get("extra")
    if out is None:
        tab = co.tableau
        m = tab.stages + len(tab.extra_a)
        E = np.zeros((len(tab.extra_a), m))
        for e, row in enumerate(co.extra_a):
            for j, q in row:
                E[e, j] = float(q)
        out = cached["extra"] = (E, np.array([float(x) for x in co.extra_c], dtype=np.float64))
    return out


def _tolerance_vector(tol: Any, n: int) -> np.ndarray:
    """A scalar or per-component tolerance as a contiguous float64 vector of length *n*."""
    if np.ndim(tol):
        return np.ascontiguousarray(np.broadcast_to(np.asarray(tol, dtype=np.float64).reshape(-1), (n,)))
    return np.full(n, float(tol))


def shared_loop():
    """The compiled loop ``loop(f, p, u0, ...)`` (built on first use)."""
    global _LOOP
    if _LOOP is None:
        _LOOP = _build_loop()
    return _LOOP


def bound_loop(fj: Any) -> Any:
    """The compiled loop for *fj* without *fj* among its arguments, ``loop(p, u0, ...)``: the loop
    with *fj* a global of a module cached on disk (:func:`~solvers.ode.kernel_cache.cached_kernel`,
    as the stiff kernels), so a new process loads it instead of compiling it, and no call passes
    numba a dispatcher to type (about 20 us a call, more than the steps of a small solve). An *fj*
    without a stable key (it reads an arbitrary object) runs the loop with *fj* as its argument."""
    loop = shared_loop()
    run = cached_kernel({"run": loop}, {"f": fj}, "run")
    return functools.partial(loop, fj) if run is None else run


POINTER_RHS: set = set()  # numba rhs compiled with compiled_loop.RHS_SIGNATURE: run by pointer_loop()


_CODES = {0: ReturnCode.Success, 1: ReturnCode.MaxIters, 2: ReturnCode.DtLessThanMin, 3: ReturnCode.Unstable}


class KernelPlan(Exception):
    """Raised by :func:`launch` inside :func:`capture_plan`: carries the bound kernel (None: the
    generic loop) and the solve state, unsolved, back to :func:`solvers.ode.prepared.prepare`."""

    def __init__(self, kernel: Any, s: Any) -> None:
        super().__init__("internal: a solve's plan captured by prepare()")
        self.kernel, self.s = kernel, s


_CAPTURE = contextvars.ContextVar("_kernel_plan_capture", default=False)


def launch(kernel: Any, s: Any, dtr: Any, finish: Any, integ: Any) -> Any:
    """Run the bound *kernel* on the solve state *s* from first step *dtr*, or, inside
    :func:`capture_plan`, raise :class:`KernelPlan` with both (*kernel* None: the generic loop's turn,
    which the caller runs when this returns)."""
    if _CAPTURE.get():
        raise KernelPlan(kernel, s)
    return None if kernel is None else kernel(s, dtr, finish, integ)


def capture_plan(run: Any) -> Any:
    """``run()`` with :func:`launch` raising the plan instead of solving: the :class:`KernelPlan`,
    or ``run()``'s own result when the solve ended before a launch (e.g. a non-finite ``u0``)."""
    token = _CAPTURE.set(True)
    try:
        return run()
    except KernelPlan as plan:
        return plan
    finally:
        _CAPTURE.reset(token)


def solve_compiled(fj: Any, s: Any, co: Any, dtr: Any, finish: Any, integ: Any) -> Any:
    """Run the whole solve *s* (prepared by :mod:`solvers.ode.integrator`) in the compiled kernel
    and turn its arrays into the usual solution (saving through :mod:`solvers.ode.saving`)."""
    return ExplicitKernel(fj, s, co)(s, dtr, finish, integ)


class ExplicitKernel:
    """The explicit kernel bound to the options of the solve *s* (method, tolerances, stops,
    saves): the loop for *fj* and its arguments converted once; calling it runs the solve state
    *s* (its ``u``, ``p``, ``k1``) from first step *dtr*. A prepared solve
    (:mod:`solvers.ode.prepared`) calls one many times."""

    def __init__(self, fj: Any, s: Any, co: Any) -> None:
        # dense output keeps every step's stages; saveat alone only those of the steps holding a save
        # time strictly inside (keep = 3: one record per save time at most, none for a save that is a
        # step's end, e.g. tf); otherwise none
        keep = 2 if s.dense else 3 if s.save_times else 1 if s.save_everystep else 0
        saves = [float(x) for x in s.save_times[s.si:]] if keep == 3 else []
        self.keep, self.co, self.t0 = keep, co, float(s.t0)
        self.stops = np.asarray([float(x) for x in s.stops], dtype=np.float64)
        self.loop, self.rest = _bind(fj, s.tdir, co, s.adaptive, s.rtol, s.atol, s.dtmin, s.dtmax, s.maxiters,
                                     s.alg, s.eps_t, keep, s.norm.spec, saves, s.u.size)  # fmt: skip

    def __call__(self, s: Any, dtr: Any, finish: Any, integ: Any) -> Any:
        dtr = dtr(None) if callable(dtr) else dtr  # the automatic first step, from the given state
        tt, uu, KK, nf, nacc, nrej, code, t_end, kstep = self.loop(
            s.p, np.ascontiguousarray(s.u, dtype=np.float64), np.ascontiguousarray(s.k1, dtype=np.float64),
            self.t0, self.stops, float(dtr), *self.rest)  # fmt: skip
        stats = s.stats
        stats.nf += nf
        stats.naccept += nacc
        stats.nreject += nrej
        co, f, p = self.co, s.f, s.p
        steps = LazySegments(tt, uu, KK, lambda t, h, u, u_new, K: Segment(  # built only where used
            t, h, u, u_new, None, K, co, f, p, stats), kstep if self.keep == 3 else None)
        return finish_compiled(s, tt, uu, KK, steps, code, finish, integ)


def finish_compiled(s: Any, tt: np.ndarray, uu: np.ndarray, KK: np.ndarray, steps: Any, code: int,
                    finish: Any, integ: Any) -> Any:
    """The solution of a compiled kernel's run (every kernel: explicit and Rosenbrock): the saves
    from its step arrays and lazy *steps* (``(t, t_new, segment)``), the return code and message."""
    if s.save_times:
        si = s.si  # the save times at t0 are already saved (the kernel used to save them twice)
        ends = s.tdir * tt[1:]
        while si < len(s.save_times):
            key = s.tdir * float(s.save_times[si])
            j = int(ends.searchsorted(key))  # the step holding it
            if j >= len(steps):
                break
            # a save at the step's end is its end state: no interpolant needed (nor kept, keep = 3)
            seg = steps[j][2] if key < ends[j] else None
            si = s.save_until(s.save_times, si, float(tt[j + 1]), s.tdir, seg, s.ts, s.us,
                              inclusive=True, u_end=uu[j + 1])
    if s.save_everystep:
        s.ts.extend(tt[1:].tolist())
        s.us.extend(uu[1:])
    integ.__dict__["t"] = float(tt[-1])
    integ.__dict__["u"] = uu[-1]
    rc = _CODES[code]
    msg = ""
    if rc is ReturnCode.MaxIters:
        from solvers.ode.rk_stepper import STIFF_HINT

        msg = f"maxiters = {s.maxiters} steps taken at t = {integ.t} before reaching t = {s.stops[-1]}" + (
            STIFF_HINT if s.adaptive and not getattr(s.alg, "needs_jacobian", False) else "")
    elif rc is ReturnCode.DtLessThanMin:
        msg = f"step size fell below dtmin ({s.dtmin}) or the resolution of t at t = {integ.t}"
    elif rc is ReturnCode.Unstable:
        msg = f"the state became non-finite at t = {integ.t}"
    sol = finish(rc, msg, steps if s.dense else None)
    sol.stage_bytes = KK.nbytes  # the stage record kept for dense output (0 without it)
    return sol
