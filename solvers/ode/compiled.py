"""The numba fast path: the whole explicit Runge–Kutta step loop compiled.

When the state is a float64 NumPy array and the right-hand side compiles with
numba, :func:`run_compiled` runs the same method (same tableau, same PI
controller, same stops) as the generic loop of :mod:`solvers.ode.integrator`
inside one ``numba.njit`` function, and returns every step's time, state and
stages, from which the Python side builds the usual :class:`ODESolution`
(dense output included). Answers agree with the generic float path to
rounding (a sum may be ordered differently).

When it is used (``solve(..., compile=...)`` or ``Tsit5(compile=...)``):

* ``compile=True``: ``numba.njit(f)`` is tried; if it fails, the solve
  raises an error that says why.
* ``compile=None`` (default): the compiled loop runs when ``f`` already is a
  numba-compiled function (``numba.njit``); a plain Python ``f`` takes the
  generic path, so no solve pays a compilation it did not ask for (compiling
  ``f`` and specialising the loop on it takes about a second).
* ``compile=False``: never.

The compiled loop has no callbacks; a solve with callbacks takes the generic
path (``compile=True`` with callbacks is an error). ``sol.compiled`` says
which path ran and ``sol.compile_message`` why.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

__all__ = ["compile_rhs", "run_compiled", "solve_compiled"]

_LOOP = None
_JITTED: dict = {}


def _is_dispatcher(f: Any) -> bool:
    return type(f).__module__.startswith("numba") and hasattr(f, "py_func")


def compile_rhs(f: Any, u: np.ndarray, p: Any, t: float, force: bool) -> tuple:
    """A numba version of *f* checked on ``(u, p, t)``, or ``(None, reason)``."""
    try:
        import numba
    except ImportError as e:  # pragma: no cover - numba is a dependency
        return None, f"numba is not importable: {e}"
    if _is_dispatcher(f):
        fj = f
    elif not force:
        return None, "f is a Python function (pass compile=True, or give a numba.njit function)"
    else:
        fj = _JITTED.get(f)
        if fj is None:
            fj = numba.njit(f)
    try:
        k = fj(u, p, t)
    except Exception as e:  # numba typing errors come in many classes
        return None, f"numba could not compile f: {type(e).__name__}: {str(e).splitlines()[0][:200]}"
    if not (isinstance(k, np.ndarray) and k.dtype == np.float64 and k.shape == u.shape):
        return None, "the compiled f does not return a float64 array of the state's shape"
    if not _is_dispatcher(f):
        _JITTED[f] = fj
    return fj, "compiled"


def _build_loop():
    """Compile the loop's pieces; only ``loop`` itself depends on ``f`` (and is recompiled per f).

    Everything that does not call ``f`` lives in small helpers cached on disk
    (``cache=True``), which keeps the per-f compilation short.
    """
    import numba

    @numba.njit(cache=True)
    def combine(out, u, hM, r, K, m):
        """out = u + sum_{l<m} hM[r, l] K[l] (zero coefficients skipped), in place; returns out."""
        for j in range(u.size):
            out[j] = u[j]
        for l in range(m):
            a = hM[r, l]
            if a != 0.0:
                for j in range(u.size):
                    out[j] += a * K[l, j]
        return out

    @numba.njit(cache=True)
    def error_norm(u, u_new, hM, K, rtol, atol, n, counted):
        """RMS over the primal block u[:n] of the scaled error; components n.. (the blocks of an
        augmented state, solvers.ode.errornorm) use their primal's scale; the first *counted* count."""
        r = hM.shape[0] - 1
        acc = 0.0
        for j in range(counted):
            e = 0.0
            for l in range(K.shape[0]):
                e += hM[r, l] * K[l, j]
            i = j % n
            e = e / (atol[i] + rtol[i] * max(abs(u[i]), abs(u_new[i])))
            acc += e * e
        return math.sqrt(acc / n) if n > 0 else 0.0

    @numba.njit(cache=True)
    def control(E, h_real, dtr, qold, last_rejected, beta1, beta2, safety, qmin, qmax):
        """PI controller: (accepted, next dt, qold, last_rejected); as in the generic loop."""
        if not (E < np.inf):
            return False, h_real * qmin, qold, True
        if E > 1.0:
            return False, h_real / min(1.0 / qmin, E**beta1 / safety), qold, True
        q = E**beta1 / qold**beta2 / safety
        q = min(1.0 / qmin, max(1.0 / qmax, q))
        dt_next = h_real / q
        if last_rejected and dt_next > h_real:
            dt_next = h_real
        return True, dt_next, (E if E > 1e-4 else 1e-4), False

    @numba.njit(cache=True)
    def all_finite(u):
        for j in range(u.size):
            if not np.isfinite(u[j]):
                return False
        return True

    @numba.njit(cache=True)
    def store(ts, us, Ks, nsave, t_new, u_new, K, keep):
        """Record an accepted step; keep = 0: the end only, 1: t and u of every step, 2: also K."""
        if keep == 0:
            ts[1] = t_new
            us[1] = u_new
            return ts, us, Ks, 2
        if nsave == ts.size:
            cap = 2 * ts.size
            ts2 = np.empty(cap)
            us2 = np.empty((cap, us.shape[1]))
            ts2[:nsave] = ts[:nsave]
            us2[:nsave] = us[:nsave]
            ts, us = ts2, us2
            if keep == 2:
                Ks2 = np.empty((cap, Ks.shape[1], Ks.shape[2]))
                Ks2[: nsave - 1] = Ks[: nsave - 1]
                Ks = Ks2
        if keep == 2:
            Ks[nsave - 1] = K
        ts[nsave] = t_new
        us[nsave] = u_new
        return ts, us, Ks, nsave + 1

    @numba.njit(cache=True)
    def scale(M, h, hM):
        for r in range(M.shape[0]):
            for j in range(M.shape[1]):
                hM[r, j] = M[r, j] * h

    # not cache=True: the loop is specialised on f's dispatcher type, and numba's cache index
    # pickles that type by f's module, so a cache entry from one process breaks another
    # (ModuleNotFoundError while loading the index); the f-free helpers above are cached
    @numba.njit
    def loop(f, p, u0, k1, t0, stops, dt0, tdir, M, c, s, fsal, adaptive, rtol, atol,
             dtmin, dtmax, maxiters, beta1, beta2, safety, qmin, qmax, eps_t, keep, nnorm, counted):  # fmt: skip
        n = u0.size
        cap = 2 if keep == 0 else 64
        ts = np.empty(cap)
        us = np.empty((cap, n))
        Ks = np.empty((cap if keep == 2 else 0, s, n))
        K = np.empty((s, n))  # the stages of the step being tried (store copies what it keeps)
        buf = np.empty(n)  # the stage arguments before the last
        ts[0] = t0
        us[0] = u0
        nsave = 1
        nf = 0
        nacc = 0
        nrej = 0
        code = 0  # 0 Success, 1 MaxIters, 2 DtLessThanMin, 3 Unstable
        t = t0
        u = u0.copy()
        k = k1.copy()
        dtr = dt0
        qold = 1e-4
        last_rejected = False
        iters = 0
        stop_i = 0
        hM = np.empty_like(M)
        factor = 1.01 if adaptive else 1.0 + 1e-9
        while True:
            remaining = tdir * (stops[stop_i] - t)
            if remaining <= 0.0:
                if stop_i == stops.size - 1:
                    break
                stop_i += 1
                continue
            if iters >= maxiters:
                code = 1
                break
            iters += 1
            dtr = min(dtr, dtmax)
            landing = dtr * factor >= remaining
            if landing:
                t_new = stops[stop_i]
                h = t_new - t
                h_real = remaining
            else:
                h = dtr * tdir
                t_new = t + h
                h_real = dtr
            if adaptive and (h_real < dtmin or h_real <= 4.0 * eps_t * abs(t)):
                code = 2
                break
            scale(M, h, hM)
            K[0] = k
            ui = u
            for i in range(1, s):
                ui = combine(buf if i < s - 1 or not fsal else np.empty(n), u, hM, i, K, i)
                K[i] = f(ui, p, t_new if c[i] == 1.0 else t + c[i] * h)
            nf += s - 1
            u_new = ui if fsal else combine(np.empty(n), u, hM, s, K, s)
            if adaptive:
                ok, dtr, qold, last_rejected = control(error_norm(u, u_new, hM, K, rtol, atol, nnorm, counted), h_real, dtr,
                                                       qold, last_rejected, beta1, beta2, safety, qmin, qmax)
                if not ok:
                    nrej += 1
                    continue
            elif not all_finite(u_new):
                code = 3
                nacc += 1
                break
            nacc += 1
            ts, us, Ks, nsave = store(ts, us, Ks, nsave, t_new, u_new, K, keep)
            t = t_new
            u = u_new
            if fsal:
                k = K[s - 1].copy()
            else:
                k = f(u, p, t)
                nf += 1
            if landing:
                stop_i += 1
                if stop_i == stops.size:
                    break
        return ts[:nsave], us[:nsave], Ks[: nsave - 1 if keep == 2 else 0], nf, nacc, nrej, code, t

    return loop


def run_compiled(fj, p, u0, k1, t0, stops, dt0, tdir, co, adaptive, rtol, atol, dtmin, dtmax,
                 maxiters, alg, eps_t, keep=2, errornorm=None) -> tuple:  # fmt: skip
    """Run the compiled loop; returns ``(ts, us, Ks, nf, naccept, nreject, code, t_end)``.

    *keep*: 0 keeps the ends only, 1 every step's t and u, 2 also every step's stages (dense
    output, saveat); only what is kept is allocated. *errornorm*: the
    :class:`~solvers.ode.errornorm.ErrorNorm` of the solve (None: the default).
    """
    global _LOOP
    if _LOOP is None:
        _LOOP = _build_loop()
    tab = co.tableau
    s = tab.stages
    rows = [np.concatenate([r, np.zeros(s - len(r))]) for r in co.a_np]
    rows.append(co.b_np)
    if adaptive:
        rows.append(co.btilde_np)
    M = np.array(rows, dtype=np.float64)
    c = np.array([float(x) for x in tab.c])
    n = u0.size
    nnorm, counted = (n, n) if errornorm is None else errornorm.layout(n)
    rt = np.broadcast_to(np.asarray(rtol, dtype=np.float64).reshape(-1) if np.ndim(rtol) else float(rtol), (n,))
    at = np.broadcast_to(np.asarray(atol, dtype=np.float64).reshape(-1) if np.ndim(atol) else float(atol), (n,))
    return _LOOP(fj, p, np.ascontiguousarray(u0, dtype=np.float64), np.ascontiguousarray(k1, dtype=np.float64),
                 float(t0), np.asarray(stops, dtype=np.float64), float(dt0), float(tdir), M, c, s, bool(tab.fsal),
                 bool(adaptive), np.ascontiguousarray(rt), np.ascontiguousarray(at), float(dtmin), float(dtmax),
                 int(maxiters), float(alg.beta1), float(alg.beta2), float(alg.safety), float(alg.qmin),
                 float(alg.qmax), float(eps_t), int(keep), int(nnorm), int(counted))  # fmt: skip


_CODES = {0: "Success", 1: "MaxIters", 2: "DtLessThanMin", 3: "Unstable"}


def solve_compiled(fj: Any, s: Any, co: Any, dtr: Any, finish: Any, integ: Any) -> Any:
    """Run the whole solve *s* (prepared by :mod:`solvers.ode.integrator`) in the compiled kernel
    and turn its arrays into the usual solution (saving through :mod:`solvers.ode.saving`)."""
    from solvers.ode.rk_stepper import STIFF_HINT
    from solvers.ode.solution import LazySegments, ReturnCode

    tt, uu, KK, nf, nacc, nrej, code, t_end = run_compiled(
        fj, s.p, s.u, np.asarray(s.k1, dtype=np.float64), s.t0, [float(x) for x in s.stops], dtr, s.tdir, co,
        s.adaptive, s.rtol, s.atol, s.dtmin, s.dtmax, s.maxiters, s.alg, s.eps_t,
        2 if s.dense or s.save_times else 1 if s.save_everystep else 0, s.norm.spec,
    )  # fmt: skip
    stats = s.stats
    stats.nf += nf
    stats.naccept += nacc
    stats.nreject += nrej
    steps = LazySegments(tt, uu, KK, co, s.f, s.p, stats)  # segment objects only where used
    if s.save_times:
        si = s.si  # the save times at t0 are already saved (the kernel used to save them twice)
        for j in range(len(KK)):
            if si == len(s.save_times):
                break
            if s.tdir * float(s.save_times[si]) <= s.tdir * tt[j + 1]:  # a save time in this step
                si = s.save_until(s.save_times, si, float(tt[j + 1]), s.tdir, steps[j][2], s.ts, s.us,
                                  inclusive=True, u_end=uu[j + 1])
    if s.save_everystep:
        s.ts.extend(tt[1:].tolist())
        s.us.extend(uu[1:])
    integ.__dict__["t"] = float(tt[-1])
    integ.__dict__["u"] = uu[-1]
    rc = ReturnCode[_CODES[code]]
    msg = ""
    if rc is ReturnCode.MaxIters:
        msg = f"maxiters = {s.maxiters} steps taken at t = {integ.t} before reaching t = {s.stops[-1]}" + (
            STIFF_HINT if s.adaptive else "")
    elif rc is ReturnCode.DtLessThanMin:
        msg = f"step size fell below dtmin ({s.dtmin}) or the resolution of t at t = {integ.t}"
    elif rc is ReturnCode.Unstable:
        msg = f"the state became non-finite at t = {integ.t}"
    sol = finish(rc, msg, steps if s.dense else None)
    sol.stage_bytes = KK.nbytes  # the stage record kept for dense output (0 without it)
    return sol
