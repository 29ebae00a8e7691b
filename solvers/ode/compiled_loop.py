"""The numba pieces of the compiled explicit Runge–Kutta loop (:mod:`solvers.ode.compiled`).

Only ``loop`` depends on ``f``: it is compiled per ``f`` (specialised on it; run through
:func:`solvers.ode.kernel_cache.cached_kernel`, which binds ``f`` as a global and caches it on
disk), or once for every ``f`` of one signature taken as a function pointer
(:func:`pointer_loop`, cached on disk). The
helpers are cached (``cache=True``) and inlined into the kernels that call them
(``inline="always"``, numba's IR inlining): a call of a separately compiled helper with array
arguments pays reference counting on every argument, about a fifth of the explicit loop's time at
two states; inlined, numba prunes those counts. Inlining changes no arithmetic (no fast-math), so
results stay the same to the bit.
"""

import math

import numba
import numpy as np

__all__ = ["loop", "pointer_loop", "RHS_SIGNATURE"]

_F1 = numba.types.float64[::1]
# f(u, p, t) -> du on contiguous float64 vectors: the signature pointer_loop's f has
RHS_SIGNATURE = _F1(_F1, _F1, numba.types.float64)
_POINTER_LOOP = None


@numba.njit(cache=True, inline="always")
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


@numba.njit(cache=True, inline="always")
def error_norm(u, u_new, hM, K, rtol, atol, n, counted, ndiv, sc):
    """The scaled error's sum of squares over the first *counted* components, divided by *ndiv*,
    square-rooted; components n.. (the blocks of an augmented state, solvers.ode.errornorm) use
    their primal's scale. *sc* (length >= n) receives the primal block's scales, shared by the
    blocks after it."""
    r = hM.shape[0] - 1
    acc = 0.0
    for i in range(n):
        sc[i] = atol[i] + rtol[i] * max(abs(u[i]), abs(u_new[i]))
    for b in range(counted // n if n > 0 else 0):
        for i in range(n):
            j = b * n + i
            e = 0.0
            for l in range(K.shape[0]):
                e += hM[r, l] * K[l, j]
            e = e / sc[i]
            acc += e * e
    return math.sqrt(acc / ndiv) if n > 0 else 0.0


@numba.njit(cache=True, inline="always")
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


@numba.njit(cache=True, inline="always")
def all_finite(u):
    for j in range(u.size):
        if not np.isfinite(u[j]):
            return False
    return True


@numba.njit(cache=True, inline="always")
def next_try(stops, stop_i, t, dtr, tdir, landing_factor, tries, maxiters, check_dtmin, dtmin, eps_t):
    """The kernels' step planning: ``(stop_i, code, t_new, h, h_real)`` for a try of size
    *dtr* from *t*. *stop_i* moves to the first stop still ahead; ``code`` is -1 to take the try,
    0 when the last stop is reached, 1 after *maxiters* tries, 2 when the step falls below *dtmin* or
    the resolution of t (if *check_dtmin*). A try within *landing_factor* of the stop lands on it."""
    while stop_i < stops.size and tdir * (stops[stop_i] - t) <= 0.0:
        stop_i += 1
    if stop_i == stops.size:
        return stop_i, 0, t, 0.0, 0.0
    if tries >= maxiters:
        return stop_i, 1, t, 0.0, 0.0
    remaining = tdir * (stops[stop_i] - t)
    if dtr * landing_factor >= remaining:  # land on the stop exactly (the next call moves past it)
        t_new, h, h_real = stops[stop_i], stops[stop_i] - t, remaining
    else:
        t_new, h, h_real = t + dtr * tdir, dtr * tdir, dtr
    if check_dtmin and (h_real < dtmin or h_real <= 4.0 * eps_t * abs(t)):
        return stop_i, 2, t_new, h, h_real
    return stop_i, -1, t_new, h, h_real


@numba.njit(cache=True, inline="always")
def store(ts, us, Ks, nsave, t_new, u_new, K, keep):
    """Record an accepted step; keep = 0: the end only, 1: t and u of every step, 2: also K
    (3: as 1; the explicit loop keeps the stages of the steps holding a save time itself)."""
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


@numba.njit(cache=True, inline="always")
def store_held(Ks, kstep, nk, K, j):
    """Record the stages *K* of accepted step *j* (keep = 3: only the steps that hold a save time
    strictly inside); ``(Ks, kstep, nk)``, the arrays grown by doubling when full."""
    if nk == kstep.size:
        cap = max(4, 2 * kstep.size)
        Ks2 = np.empty((cap, Ks.shape[1], Ks.shape[2]))
        k2 = np.empty(cap, dtype=np.int64)
        Ks2[:nk] = Ks[:nk]
        k2[:nk] = kstep[:nk]
        Ks, kstep = Ks2, k2
    Ks[nk, : K.shape[0]] = K
    kstep[nk] = j
    return Ks, kstep, nk + 1


@numba.njit(cache=True, inline="always")
def extra_argument(out, u, h, E, e, R, m):
    """out = u + h (E[e, j0] R[j0] + E[e, j1] R[j1] + ...) over the nonzero E[e, :m], summed left
    to right from the first term (as :func:`solvers.ode.solution.lincomb` sums an extra stage's
    argument, so the record's extra stages are the Python segment's to the bit); returns out."""
    for i in range(u.size):
        acc = 0.0
        first = True
        for j in range(m):
            a = E[e, j]
            if a != 0.0:
                term = R[j, i] * a
                acc = term if first else acc + term
                first = False
        out[i] = u[i] + h * acc
    return out


@numba.njit(cache=True, inline="always")
def holds_save(saves, save_i, t_new, tdir):
    """``(save_i, held)``: moves *save_i* past the save times up to *t_new*; *held* is True when one
    of them lies strictly before *t_new* (inside the step: its value needs the step's interpolant;
    one at *t_new* is the step's end state)."""
    held = False
    while save_i < saves.size and tdir * (saves[save_i] - t_new) <= 0.0:
        if tdir * (saves[save_i] - t_new) < 0.0:
            held = True
        save_i += 1
    return save_i, held


@numba.njit(cache=True, inline="always")
def scale(M, h, hM):
    for r in range(M.shape[0]):
        for j in range(M.shape[1]):
            hM[r, j] = M[r, j] * h

# not cache=True: the loop is specialised on f's dispatcher type, and numba's cache index
# pickles that type by f's module, so a cache entry from one process breaks another
# (ModuleNotFoundError while loading the index); the f-free helpers above are cached, and
# solvers.ode.compiled runs a copy with f as a global of a generated module
# (solvers.ode.kernel_cache), which is cached; pointer_loop() compiles it once, cached, for
# right-hand sides of one fixed signature
@numba.njit
def loop(f, p, u0, k1, t0, stops, dt0, tdir, M, c, s, fsal, adaptive, rtol, atol,
         dtmin, dtmax, maxiters, beta1, beta2, safety, qmin, qmax, eps_t, keep, nnorm, counted, ndiv, saves, E,
         ce):  # fmt: skip
    n = u0.size
    cap = 2 if keep == 0 else 64
    ts = np.empty(cap)
    us = np.empty((cap, n))
    ne = E.shape[0] if keep == 3 else 0  # keep = 3: the extra interpolation stages (rows E, nodes ce)
    Ks = np.empty((cap if keep == 2 else 0, s + ne, n))
    kstep = np.empty(0, dtype=np.int64)  # keep = 3: the step of each kept stage record
    nk = 0
    save_i = 0
    # every buffer of the solve, allocated once: the stages of the step being tried (store copies
    # what it keeps; K[0] is the first stage, set when a step is accepted), the stage arguments
    # before the last, the error scales, and two rows for the state (the step's start and its end)
    K = np.empty((s, n))
    buf = np.empty(n)
    sc = np.empty(nnorm)
    U = np.empty((2, n))
    K[0] = k1
    U[0] = u0
    cur = 0
    ts[0] = t0
    us[0] = u0
    nsave = 1
    nf = 0
    nacc = 0
    nrej = 0
    code = 0  # 0 Success, 1 MaxIters, 2 DtLessThanMin, 3 Unstable
    t = t0
    dtr = dt0
    qold = 1e-4
    last_rejected = False
    iters = 0
    stop_i = 0
    hM = np.empty_like(M)
    factor = 1.01 if adaptive else 1.0 + 1e-9
    while True:
        dtr = min(dtr, dtmax)
        stop_i, code, t_new, h, h_real = next_try(stops, stop_i, t, dtr, tdir, factor, iters, maxiters,
                                                           adaptive, dtmin, eps_t)
        if code >= 0:
            break
        iters += 1
        scale(M, h, hM)
        u = U[cur]
        u_new = U[1 - cur]  # the FSAL last stage's argument is the new state
        for i in range(1, s):
            ui = combine(buf if i < s - 1 or not fsal else u_new, u, hM, i, K, i)
            K[i] = f(ui, p, t_new if c[i] == 1.0 else t + c[i] * h)
        nf += s - 1
        if not fsal:
            combine(u_new, u, hM, s, K, s)
        if adaptive:
            ok, dtr, qold, last_rejected = control(error_norm(u, u_new, hM, K, rtol, atol, nnorm, counted, ndiv, sc),
                                                   h_real, dtr, qold, last_rejected, beta1, beta2, safety, qmin,
                                                   qmax)  # fmt: skip
            if not ok:
                nrej += 1
                continue
        elif not all_finite(u_new):
            code = 3
            nacc += 1
            break
        nacc += 1
        if keep == 3:
            save_i, held = holds_save(saves, save_i, t_new, tdir)
            if held:  # its stages, and its extra interpolation stages (Verner's), as its segment would
                Ks, kstep, nk = store_held(Ks, kstep, nk, K, nsave - 1)
                hs = t_new - t  # the segment's step (LazySegments: t_new - t)
                for e in range(ne):
                    R = Ks[nk - 1]
                    R[s + e] = f(extra_argument(buf, u, hs, E, e, R, s + e), p, t + ce[e] * hs)
                nf += ne
        ts, us, Ks, nsave = store(ts, us, Ks, nsave, t_new, u_new, K, keep)
        t = t_new
        cur = 1 - cur
        if fsal:
            K[0] = K[s - 1]
        else:
            K[0] = f(u_new, p, t)
            nf += 1
    nkept = nsave - 1 if keep == 2 else nk
    return ts[:nsave], us[:nsave], Ks[:nkept], nf, nacc, nrej, code, t, kstep[:nk]


class _Address(numba.core.types.function_type.WrapperAddressProtocol):
    """A compiled ``f`` of :data:`RHS_SIGNATURE` with its address looked up once (numba's wrapper
    address protocol): passing the dispatcher itself costs a look-up of its compiled wrapper
    (about 40 us here) on every call of the loop."""

    def __init__(self, f):
        from numba.experimental.function_type import _get_wrapper_address

        self.f = f  # keeps the compiled code alive
        self.address = _get_wrapper_address(f, RHS_SIGNATURE)

    def __wrapper_address__(self):
        return self.address

    def signature(self):
        return RHS_SIGNATURE


_ADDRESSES: dict = {}


def function_pointer(f):
    """*f* (numba-compiled with :data:`RHS_SIGNATURE`) as the argument :func:`pointer_loop` takes,
    its address looked up once per process."""
    p = _ADDRESSES.get(f)
    if p is None:
        p = _ADDRESSES[f] = _Address(f)
    return p


def pointer_loop():
    """:func:`loop` compiled once (and cached on disk) for an ``f`` passed as a function pointer
    of type :data:`RHS_SIGNATURE` (numba's first-class function type): any right-hand side
    compiled with that signature runs in it without compiling the loop again, in this process
    or another. ``p`` is then a contiguous float64 vector. The price is an indirect call per
    evaluation of ``f`` (no inlining)."""
    global _POINTER_LOOP
    if _POINTER_LOOP is None:
        t = numba.types
        f64, i64, b1, F1 = t.float64, t.int64, t.boolean, _F1
        sig = (t.FunctionType(RHS_SIGNATURE), F1, F1, F1, f64, F1, f64, f64, t.float64[:, ::1], F1, i64, b1, b1,
               F1, F1, f64, f64, i64, f64, f64, f64, f64, f64, f64, i64, i64, i64, i64, F1, t.float64[:, ::1], F1)
        _POINTER_LOOP = numba.njit(sig, cache=True)(loop.py_func)
    return _POINTER_LOOP
