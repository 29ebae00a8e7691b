"""The SSA loops, written once as plain Python that numba can compile.

Each loop is built by a factory that closes over the propensity routine
``fill(a, x, t, data)`` (writes the ``n_reactions`` propensities of state
``x`` into ``a``). The *same* function object runs either as it is (the
pure-Python path) or after ``numba.njit`` (the compiled path). The helpers
are ``register_jitable``: plain Python functions that numba compiles into
the loop, so the mass-action loops close over module-level functions only
and numba can cache them on disk (``cache=True``). Both draw from
the same NumPy ``Generator`` (numba compiles ``rng.random()`` and
``rng.poisson()`` to the very algorithms NumPy runs, on the same PCG64
state) and do the same floating-point operations in the same order, so the
two paths give bit-identical trajectories for the same seed; the tests check
it.

Save modes: 0 every event (the initial and final states included), 1 at the
times of ``saveat`` (right-continuous: the state after every event at times
<= s), 2 the final state only.

Status codes (turned into return codes by :mod:`solvers.ssa.algorithms`):
0 success, 1 event limit reached, 2 negative propensity, 3 non-finite
propensity, 4 tau-leaping could not avoid negative counts, 5 a species count
would leave the int64 range (the event is not applied: never a wrapped count).

Algorithms
----------
* Direct method: Gillespie, J. Comput. Phys. 22:403 (1976); J. Phys. Chem.
  81:2340 (1977). Time to the next event ``-log(1-u1)/a0``; the reaction is
  the first ``j`` with ``a_1 + ... + a_j > u2 a0``.
* Sorting direct method: McCollum, Peterson, Cox, Simpson & Samatova,
  Comput. Biol. Chem. 30:39 (2006): the search order is kept roughly sorted
  by firing frequency (a fired reaction swaps one place forward), and only
  the propensities in the dependency graph of the fired reaction are updated
  (Gibson & Bruck, J. Phys. Chem. A 104:1876, 2000).
* Explicit tau-leaping: Gillespie, J. Chem. Phys. 115:1716 (2001), with a
  fixed leap; a leap that would make a count negative is redrawn with half
  the step (a documented, slightly biased safeguard).
"""

from __future__ import annotations

import math

import numpy as np
from numba.extending import overload
from numba.extending import register_jitable as numba_register_jitable


def register_jitable(fn):
    """Make plain Python *fn* callable (inlined) from numba-compiled code; it stays plain Python.

    As ``numba.extending.register_jitable`` but inlined at the numba IR
    level: a call per event would otherwise cost tens of nanoseconds
    (reference counting of the array arguments).
    """
    overload(fn, inline="always", strict=False)(lambda *args, **kwargs: fn)
    return fn

__all__ = ["mass_action_fill", "mass_action_one", "make_direct", "make_sorting_direct",
           "make_tau_leap", "make_user_fill"]

_INF = math.inf
_COUNT_MAX = 9223372036854775807          # int64 range: a count never wraps around
_COUNT_MIN = -9223372036854775807 - 1
_FLOAT_COUNT_LIMIT = 9.2e18               # tau-leap sums checked in float first


@register_jitable
def overflowing_species(x, vptr, vspecies, vchange, j):
    """The first species whose count reaction *j* would push out of int64, or -1."""
    for q in range(vptr[j], vptr[j + 1]):
        v = x[vspecies[q]]
        c = vchange[q]
        if (c > 0 and v > _COUNT_MAX - c) or (c < 0 and v < _COUNT_MIN - c):
            return vspecies[q]
    return -1


@register_jitable
def mass_action_one(j, x, rates, ptr, species, order):
    """Propensity of reaction ``j``: ``k_j prod C(x_s, m_s)`` (Gillespie's combinatorial law)."""
    r = rates[j]
    for q in range(ptr[j], ptr[j + 1]):
        n = x[species[q]]
        m = order[q]
        if m == 1:
            r *= n
        else:
            c = 1.0
            for i in range(m):
                c *= (n - i) / (i + 1)
            r *= c
    return r


def _mass_action_one_call(j, x, rates, ptr, species, order):
    """:func:`mass_action_one` as an ordinary (not IR-inlined) call, for the sorting loop.

    numba's IR inliner trips its own pedantic SSA check ("variable ... is not
    in scope") when this function is inlined at the two call sites of the
    sorting loop; LLVM inlines the plain call anyway.
    """
    return mass_action_one(j, x, rates, ptr, species, order)


numba_register_jitable(_mass_action_one_call)


@register_jitable
def mass_action_fill(a, x, t, data):
    """All mass-action propensities; ``data = (rates, ptr, species, order)``."""
    rates, ptr, species, order = data
    for j in range(a.shape[0]):
        a[j] = mass_action_one(j, x, rates, ptr, species, order)


def make_user_fill(propensity):
    """Wrap ``propensity(x, p, t) -> rates`` as ``fill(a, x, t, p)``."""

    def fill(a, x, t, p):
        r = propensity(x, p, t)
        for j in range(a.shape[0]):
            a[j] = r[j]

    return fill


@register_jitable
def copy_row(xs, n, x):
    """``xs[n, :] = x`` as a loop (a slice assignment costs tens of ns in numba)."""
    for s in range(x.shape[0]):
        xs[n, s] = x[s]


@register_jitable
def _grow(ts, xs):
    n = ts.shape[0]
    ts2 = np.empty(2 * n)
    xs2 = np.empty((2 * n, xs.shape[1]), dtype=xs.dtype)
    for i in range(n):          # explicit loops: slice assignment is slow to compile in numba
        ts2[i] = ts[i]
        for s in range(xs.shape[1]):
            xs2[i, s] = xs[i, s]
    return ts2, xs2


def make_direct(fill, grow=_grow, copy_row=copy_row):
    """The Gillespie direct-method loop over a propensity routine ``fill``."""

    def direct(x, t, tf, data, vptr, vspecies, vchange, rng, save_mode, saveat, max_events):
        nr = vptr.shape[0] - 1
        ns = x.shape[0]
        a = np.empty(nr)
        cap = 1024 if save_mode == 0 else (saveat.shape[0] if save_mode == 1 else 1)
        cap = max(cap, 1)
        ts = np.empty(cap)
        xs = np.empty((cap, ns), dtype=x.dtype)
        n = 0
        k = 0
        if save_mode == 0:
            ts[0] = t
            copy_row(xs, 0, x)
            n = 1
        status = 0
        bad = -1
        events = 0
        while True:
            fill(a, x, t, data)
            a0 = 0.0
            for j in range(nr):
                aj = a[j]
                if not aj >= 0.0:
                    bad = j
                    status = 2 if aj < 0.0 else 3
                    break
                a0 += aj
            if status != 0:
                break
            if a0 == _INF:
                status = 3
                break
            if a0 <= 0.0:
                break
            tnew = t - math.log1p(-rng.random()) / a0
            if tnew > tf:
                break
            if save_mode == 1:
                while k < saveat.shape[0] and saveat[k] < tnew:
                    ts[k] = saveat[k]
                    copy_row(xs, k, x)
                    k += 1
            target = rng.random() * a0
            j = 0
            acc = a[0]
            while acc <= target and j < nr - 1:
                j += 1
                acc += a[j]
            while a[j] == 0.0:      # rounding at the end of the sum: last reaction that can fire
                j -= 1
            over = overflowing_species(x, vptr, vspecies, vchange, j)
            if over >= 0:
                bad = over
                status = 5
                break
            for q in range(vptr[j], vptr[j + 1]):
                x[vspecies[q]] += vchange[q]
            t = tnew
            events += 1
            if save_mode == 0:
                if n == ts.shape[0]:
                    ts, xs = grow(ts, xs)
                ts[n] = t
                copy_row(xs, n, x)
                n += 1
            if events >= max_events:
                status = 1
                break
        if status == 0:
            t = tf
            if save_mode == 0:
                if n == ts.shape[0]:
                    ts, xs = grow(ts, xs)
                ts[n] = t
                copy_row(xs, n, x)
                n += 1
        if save_mode == 1:
            while k < saveat.shape[0] and saveat[k] <= t:
                ts[k] = saveat[k]
                copy_row(xs, k, x)
                k += 1
            n = k
        if save_mode == 2:
            ts[0] = t
            copy_row(xs, 0, x)
            n = 1
        return ts[:n], xs[:n], t, events, status, bad

    return direct


def make_sorting_direct(one=_mass_action_one_call, grow=_grow, copy_row=copy_row):
    """The sorting direct method over a single-reaction propensity ``one(j, x, *data)``.

    ``data = (rates, ptr, species, order)`` and ``dep = (dptr, depends)``.
    """

    def sorting_direct(x, t, tf, data, dep, vptr, vspecies, vchange, rng, save_mode, saveat,
                       max_events):
        rates, ptr, species, order = data
        dptr, depends = dep
        nr = vptr.shape[0] - 1
        ns = x.shape[0]
        a = np.empty(nr)
        perm = np.arange(nr)
        a0 = 0.0
        for j in range(nr):
            a[j] = one(j, x, rates, ptr, species, order)
            a0 += a[j]
        cap = 1024 if save_mode == 0 else (saveat.shape[0] if save_mode == 1 else 1)
        cap = max(cap, 1)
        ts = np.empty(cap)
        xs = np.empty((cap, ns), dtype=x.dtype)
        n = 0
        k = 0
        if save_mode == 0:
            ts[0] = t
            copy_row(xs, 0, x)
            n = 1
        status = 0
        bad = -1
        events = 0
        while True:
            if events % 1024 == 0 or a0 <= 0.0:     # bound the drift of the running sum
                a0 = 0.0
                for j in range(nr):
                    a0 += a[j]
            if a0 <= 0.0:
                break
            if a0 == _INF or a0 != a0:
                status = 3
                break
            tnew = t - math.log1p(-rng.random()) / a0
            if tnew > tf:
                break
            target = rng.random() * a0
            pos = 0
            acc = a[perm[0]]
            last = -1
            if acc > 0.0:
                last = 0
            while acc <= target and pos < nr - 1:
                pos += 1
                aj = a[perm[pos]]
                acc += aj
                if aj > 0.0:
                    last = pos
            if a[perm[pos]] == 0.0:
                if last < 0:                        # running sum was stale: resum and redraw
                    a0 = 0.0
                    continue
                pos = last
            if save_mode == 1:
                while k < saveat.shape[0] and saveat[k] < tnew:
                    ts[k] = saveat[k]
                    copy_row(xs, k, x)
                    k += 1
            j = perm[pos]
            over = overflowing_species(x, vptr, vspecies, vchange, j)
            if over >= 0:
                bad = over
                status = 5
                break
            for q in range(vptr[j], vptr[j + 1]):
                x[vspecies[q]] += vchange[q]
            for q in range(dptr[j], dptr[j + 1]):
                r = depends[q]
                new = one(r, x, rates, ptr, species, order)
                a0 += new - a[r]
                a[r] = new
            if pos > 0:                             # one place forward in the search order
                perm[pos] = perm[pos - 1]
                perm[pos - 1] = j
            t = tnew
            events += 1
            if save_mode == 0:
                if n == ts.shape[0]:
                    ts, xs = grow(ts, xs)
                ts[n] = t
                copy_row(xs, n, x)
                n += 1
            if events >= max_events:
                status = 1
                break
        if status == 0:
            t = tf
            if save_mode == 0:
                if n == ts.shape[0]:
                    ts, xs = grow(ts, xs)
                ts[n] = t
                copy_row(xs, n, x)
                n += 1
        if save_mode == 1:
            while k < saveat.shape[0] and saveat[k] <= t:
                ts[k] = saveat[k]
                copy_row(xs, k, x)
                k += 1
            n = k
        if save_mode == 2:
            ts[0] = t
            copy_row(xs, 0, x)
            n = 1
        return ts[:n], xs[:n], t, events, status, bad

    return sorting_direct


def make_tau_leap(fill, grow=_grow, copy_row=copy_row):
    """Explicit tau-leaping with a fixed leap ``tau`` over a propensity routine ``fill``."""

    def tau_leap(x, t, tf, data, stoich, rng, tau, save_mode, saveat, max_events):
        nr = stoich.shape[0]
        ns = x.shape[0]
        a = np.empty(nr)
        fires = np.empty(nr, dtype=np.int64)
        xn = np.empty(ns, dtype=x.dtype)
        cap = 1024 if save_mode == 0 else (saveat.shape[0] if save_mode == 1 else 1)
        cap = max(cap, 1)
        ts = np.empty(cap)
        xs = np.empty((cap, ns), dtype=x.dtype)
        n = 0
        k = 0
        if save_mode == 0:
            ts[0] = t
            copy_row(xs, 0, x)
            n = 1
        status = 0
        bad = -1
        steps = 0
        while t < tf:
            fill(a, x, t, data)
            for j in range(nr):
                aj = a[j]
                if not aj >= 0.0 or aj == _INF:
                    bad = j
                    status = 2 if aj < 0.0 else 3
                    break
            if status != 0:
                break
            h = tau if t + tau < tf else tf - t
            tries = 0
            while True:
                for j in range(nr):
                    fires[j] = rng.poisson(a[j] * h) if a[j] > 0.0 else 0
                ok = True
                for s in range(ns):
                    v = x[s]
                    vf = float(v)
                    for j in range(nr):
                        vf += float(fires[j]) * float(stoich[j, s])
                    if not abs(vf) < _FLOAT_COUNT_LIMIT:
                        bad = s
                        status = 5
                        break
                    for j in range(nr):
                        v += fires[j] * stoich[j, s]
                    xn[s] = v
                    if v < 0:
                        ok = False
                if status != 0:
                    break
                if ok:
                    break
                h *= 0.5
                tries += 1
                if tries > 60:
                    status = 4
                    break
            if status != 0:
                break
            tnew = t + h if h < tf - t else tf
            if save_mode == 1:
                while k < saveat.shape[0] and saveat[k] < tnew:
                    ts[k] = saveat[k]
                    copy_row(xs, k, x)
                    k += 1
            for s in range(ns):
                x[s] = xn[s]
            t = tnew
            steps += 1
            if save_mode == 0:
                if n == ts.shape[0]:
                    ts, xs = grow(ts, xs)
                ts[n] = t
                copy_row(xs, n, x)
                n += 1
            if steps >= max_events:
                status = 1
                break
        if save_mode == 1:
            while k < saveat.shape[0] and saveat[k] <= t:
                ts[k] = saveat[k]
                copy_row(xs, k, x)
                k += 1
            n = k
        if save_mode == 2:
            ts[0] = t
            copy_row(xs, 0, x)
            n = 1
        return ts[:n], xs[:n], t, steps, status, bad

    return tau_leap
