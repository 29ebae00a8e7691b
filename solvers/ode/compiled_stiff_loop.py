"""The numba pieces of the compiled Rosenbrock loop (:mod:`solvers.ode.compiled_stiff`).

The helpers that do not take ``f`` (dense LU with partial pivoting, the iteration matrix, the
error norm) are cached on disk (``cache=True``); the loop, its stages and the Jacobian take ``f``
(and ``jac``) as arguments, which numba's cache cannot key. :mod:`solvers.ode.compiled_stiff`
therefore runs them rewritten by :mod:`solvers.ode.kernel_cache` (``f`` and ``jac`` globals of a
generated module, keyed by their code), cached on disk across processes; where a function has
no stable key they run as written, compiled once per right-hand side in a process.
The PI controller and the step store are the explicit loop's own (``control``, ``store``).

Finite differences (no ``jac=``): column ``j`` of ``J`` is
``(f(u + delta_j e_j) - f(u)) / delta_j`` with ``delta_j = sqrt(eps max(1e-5, |u_j|))``, the step of
Hairer's ``rodas.f`` and ``radau5.f`` (subroutine ``JACOBIAN``'s ``DELT``): relative for the
large components, and small enough for a component of size ``1e-7`` (ROBER's ``y2``), where an
absolute floor of ``sqrt(eps)`` would perturb it by 15 % and cost Rodas4 three times the steps.
``T = df/dt`` is ``(f(u, t + tau) - f(u, t)) / tau`` with ``tau = sqrt(eps max(1e-5, |t|))``
(the same rule; ``rodas.f``'s ``DELT`` for the time derivative): an autonomous ``f`` gives
``T = 0`` exactly.
"""

import math

import numba
import numpy as np

from solvers.ode.compiled_loop import all_finite, control, next_try, store

__all__ = ["lu_factor", "lu_solve", "rosenbrock_loop", "fd_jacobian", "user_jacobian", "jacobian_by_user", "iteration_matrix",
           "add_mass_times"]

_EPS = float(np.finfo(np.float64).eps)


@numba.njit(cache=True)
def _time_step(t):
    """The forward-difference step in ``t``, as represented in floating point."""
    tau = math.sqrt(_EPS * max(1e-5, abs(t)))
    return (t + tau) - t


@numba.njit(cache=True)
def lu_factor(A, piv):
    """In-place LU with partial pivoting (LAPACK getrf's pivots); False when a pivot is zero."""
    n = A.shape[0]
    for k in range(n):
        m = k
        big = abs(A[k, k])
        for i in range(k + 1, n):
            if abs(A[i, k]) > big:
                big = abs(A[i, k])
                m = i
        piv[k] = m
        if big == 0.0 or not np.isfinite(big):
            return False
        if m != k:
            for j in range(n):
                A[k, j], A[m, j] = A[m, j], A[k, j]
        inv = 1.0 / A[k, k]
        for i in range(k + 1, n):
            A[i, k] *= inv
            a = A[i, k]
            if a != 0.0:
                for j in range(k + 1, n):
                    A[i, j] -= a * A[k, j]
    return True


@numba.njit(cache=True)
def lu_solve(LU, piv, b):
    """``b <- A^{-1} b`` in place from :func:`lu_factor`'s factors."""
    n = LU.shape[0]
    for k in range(n):
        m = piv[k]
        if m != k:
            b[k], b[m] = b[m], b[k]
    for i in range(n):
        acc = b[i]
        for j in range(i):
            acc -= LU[i, j] * b[j]
        b[i] = acc
    for i in range(n - 1, -1, -1):
        acc = b[i]
        for j in range(i + 1, n):
            acc -= LU[i, j] * b[j]
        b[i] = acc / LU[i, i]
    return b


@numba.njit(cache=True)
def iteration_matrix(J, g, W, M):
    """``W = M g - J`` (the W-transformed Rosenbrock matrix, ``g = 1 / (gamma h)``); an empty *M*
    is the identity."""
    n = J.shape[0]
    for i in range(n):
        for j in range(n):
            W[i, j] = -J[i, j] if M.shape[0] == 0 else g * M[i, j] - J[i, j]
        if M.shape[0] == 0:
            W[i, i] += g
    return W


@numba.njit(cache=True)
def add_mass_times(r, M, x):
    """``r += M x`` (``r += x`` for an empty *M*, the identity)."""
    n = r.size
    if M.shape[0] == 0:
        for m in range(n):
            r[m] += x[m]
        return r
    for i in range(n):
        acc = 0.0
        for j in range(n):
            acc += M[i, j] * x[j]
        r[i] += acc
    return r


@numba.njit(cache=True)
def scaled_rms(e, u, u1, rtol, atol):
    """``sqrt(mean((e / (atol + rtol max(|u|, |u1|)))^2))`` as solvers.ode.steppers.ScaledNorm."""
    n = e.size
    acc = 0.0
    for j in range(n):
        x = e[j] / (atol[j] + rtol[j] * max(abs(u[j]), abs(u1[j])))
        acc += x * x
    r = math.sqrt(acc / n) if n > 0 else 0.0
    return r if np.isfinite(r) else np.inf


@numba.njit
def fd_jacobian(f, u, p, t, f0):
    """``(J, T, evaluations of f)`` by forward differences (module docstring: the steps)."""
    n = u.size
    J = np.empty((n, n))
    x = u.copy()
    for j in range(n):
        d = math.sqrt(_EPS * max(1e-5, abs(u[j])))
        x[j] = u[j] + d
        d = x[j] - u[j]  # the step as represented
        fj = f(x, p, t)
        for i in range(n):
            J[i, j] = (fj[i] - f0[i]) / d
        x[j] = u[j]
    tau = _time_step(t)
    ft = f(u, p, t + tau)
    T = np.empty(n)
    for i in range(n):
        T[i] = (ft[i] - f0[i]) / tau
    return J, T, n + 1


@numba.njit
def jacobian_by_user(jac, f, u, p, t, f0):
    """``(J, T, 1)`` from the user's compiled ``jac(u, p, t)`` (``T = df/dt`` still by a forward
    difference in ``t``, one evaluation of ``f``)."""
    tau = _time_step(t)
    ft = f(u, p, t + tau)
    return np.ascontiguousarray(jac(u, p, t)), (ft - f0) / tau, 1


def user_jacobian(jac):
    """A kernel Jacobian ``(f, u, p, t, f0) -> (J, T, 1)`` from the user's compiled *jac*
    (:func:`jacobian_by_user` with *jac* bound)."""

    @numba.njit
    def both(f, u, p, t, f0):
        return jacobian_by_user(jac, f, u, p, t, f0)

    return both


@numba.njit
def _stages(f, p, t, h, u, f0, J, T, gamma, A, C, c, d, H, M, W, piv, ks, Kd):
    """One Rosenbrock try: stages into ks, dense rows into Kd; returns (u1, ok). With a mass
    matrix *M* (empty: the identity) stage i solves ``(M / (gamma h) - J) k_i = f(u_i) + d_i h T
    + M sum_j (C_ij / h) k_j`` (Hairer & Wanner IV, section VI.4, the W-transformed form)."""
    s = c.size
    n = u.size
    iteration_matrix(J, 1.0 / (gamma * h), W, M)
    if not lu_factor(W, piv):
        return u, False
    ui = np.empty(n)
    acc = np.empty(n)
    for i in range(s):
        for m in range(n):
            ui[m] = u[m]
        for j in range(i):
            a = A[i, j]
            if a != 0.0:
                for m in range(n):
                    ui[m] += a * ks[j, m]
        fi = f0 if i == 0 else f(ui, p, t + c[i] * h)
        r = ks[i]
        for m in range(n):
            r[m] = fi[m] + d[i] * h * T[m]
        if i > 0:
            acc[:] = 0.0
            for j in range(i):
                g = C[i, j] / h
                if g != 0.0:
                    for m in range(n):
                        acc[m] += g * ks[j, m]
            add_mass_times(r, M, acc)
        lu_solve(W, piv, r)
    u1 = ui.copy()  # the last stage's state (stiffly accurate: a[-1] is the stage sum)
    for m in range(n):
        u1[m] += ks[s - 1, m]
    for r in range(H.shape[0]):
        for m in range(n):
            acc = 0.0
            for j in range(s):
                acc += H[r, j] * ks[j, m]
            Kd[r, m] = acc
    return u1, True


@numba.njit
def rosenbrock_loop(f, jacfn, p, u0, f0, t0, stops, dt0, tdir, gamma, A, C, c, d, H, M, rtol, atol, dtmin, dtmax,
                    maxiters, beta1, beta2, safety, qmin, qmax, eps_t, keep, landing_factor):  # fmt: skip
    """The whole adaptive Rosenbrock solve; returns
    ``(ts, us, Ks, nf, njac, nfactor, naccept, nreject, code, t_end)`` (code as compiled_loop);
    *M* is the mass matrix (a 0 x 0 array for the identity)."""
    n = u0.size
    s = c.size
    cap = 2 if keep == 0 else 64
    ts = np.empty(cap)
    us = np.empty((cap, n))
    Ks = np.empty((cap if keep == 2 else 0, H.shape[0], n))
    ks = np.empty((s, n))
    Kd = np.empty((H.shape[0], n))
    W = np.empty((n, n))
    piv = np.empty(n, dtype=np.int64)
    ts[0] = t0
    us[0] = u0
    nsave, nf, njac, nfac, nacc, nrej, code = 1, 0, 0, 0, 0, 0, 0
    t = t0
    u = u0.copy()
    fu = f0.copy()
    J, T, nfj = jacfn(f, u, p, t, fu)
    fresh = True  # J, T and fu belong to (t, u)
    njac += 1
    nf += nfj
    dtr = dt0
    qold = 1e-4
    last_rejected = False
    stop_i = 0
    while True:
        dtr = min(dtr, dtmax)
        stop_i, code, t_new, h, h_real = next_try(stops, stop_i, t, dtr, tdir, landing_factor, nacc + nrej,
                                                           maxiters, True, dtmin, eps_t)
        if code >= 0:
            break
        if not fresh:
            fu = f(u, p, t)
            J, T, nfj = jacfn(f, u, p, t, fu)
            nf += 1 + nfj
            njac += 1
            fresh = True
        u1, ok = _stages(f, p, t, h, u, fu, J, T, gamma, A, C, c, d, H, M, W, piv, ks, Kd)
        nfac += 1
        nf += s - 1 if ok else 0
        E = scaled_rms(ks[s - 1], u, u1, rtol, atol) if ok and all_finite(u1) else np.inf
        ok, dtr, qold, last_rejected = control(E, h_real, dtr, qold, last_rejected, beta1, beta2, safety,
                                               qmin, qmax)
        if not ok:
            nrej += 1
            continue
        nacc += 1
        ts, us, Ks, nsave = store(ts, us, Ks, nsave, t_new, u1, Kd, keep)
        t = t_new
        u = u1
        fresh = False
    return ts[:nsave], us[:nsave], Ks[: nsave - 1 if keep == 2 else 0], nf, njac, nfac, nacc, nrej, code, t
