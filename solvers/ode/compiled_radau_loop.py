"""The numba RadauIIA5 loop (:mod:`solvers.ode.compiled_stiff` runs it): the generic
:class:`~solvers.ode.stiff.radau.RadauStepper` step by step, compiled.

The same algorithm as the generic float path (Hairer & Wanner, *Solving ODEs II*, section IV.8 and
``radau5.f``): the stage system ``(I (x) M - h A (x) J) dZ = G`` split by the eigen-decomposition
``A^-1 = T diag(gamma, lam, conj lam) T^-1`` into one real ``(gamma / h M - J)`` and one complex
``(lam / h M - J)`` LU (the kernel's :func:`~solvers.ode.compiled_stiff_loop.lu_factor`, which numba
specialises on complex arrays); the simplified Newton iteration of :mod:`solvers.ode.stiff.newton`
(rate ``theta``, stopping rule ``eta ||dz|| <= tol``, early failure when the rate predicts no
convergence within ``NEWTON_MAXITER``); starting values from the previous step's collocation
polynomial; the embedded error estimate with its filtered second evaluation after a rejection or at
the first step; the Jacobian kept while Newton contracts faster than ``THETA_JAC`` and refreshed once
when Newton fails with a stale one; the LU refactorised when ``h`` moved by more than 20 %; HW's
step-size controller (Newton-aware safety, Gustafsson's predictive step, ``h`` held within 20 %).
Coefficients (``c``, ``A``, ``dd``, ``gamma``, ``T``) are the generic method's, passed as arrays.

The Jacobian is the kernel Jacobian of :mod:`solvers.ode.compiled_stiff_loop` (user ``jac`` or
forward differences); it also returns ``df/dt``, which Radau does not use (one evaluation of ``f``
per Jacobian more than needed).
"""

import numba
import numpy as np

from solvers.ode.compiled_loop import all_finite, next_try, store
from solvers.ode.compiled_stiff_loop import add_mass_times, iteration_matrix, lu_factor, lu_solve, scaled_rms
from solvers.ode.stiff.newton import ETA_MIN
from solvers.ode.stiff.radau import NEWTON_MAXITER, THETA_JAC

__all__ = ["radau_loop"]


@numba.njit(cache=True)
def _mass_times(M, x, out):
    """``out = M x`` (``x`` for an empty *M*)."""
    out[:] = 0.0
    return add_mass_times(out, M, x)


@numba.njit
def _residual(f, p, t, u, h, Z, c, A, M, G, x, mz):
    """``G_i = h sum_j a_ij f(t + c_j h, u + z_j) - M z_i`` for the three stages."""
    n = u.size
    F = np.empty((3, n))
    for j in range(3):
        for m in range(n):
            x[m] = u[m] + Z[j, m]
        F[j] = f(x, p, t + c[j] * h)
    for i in range(3):
        _mass_times(M, Z[i], mz)
        for m in range(n):
            G[i, m] = (F[0, m] * (A[i, 0] * h) + F[1, m] * (A[i, 1] * h)) + F[2, m] * (A[i, 2] * h) - mz[m]
    return G


@numba.njit(cache=True)
def _eig_solve(G, E1, piv1, E2, piv2, T, LTi, hW, dZ):
    """The stage correction: ``H = Lambda T^-1 G / h_W``, one real and one complex solve, ``T w``."""
    n = G.shape[1]
    H0 = np.empty(n)
    H1 = np.empty(n, dtype=np.complex128)
    for m in range(n):
        h0 = LTi[0, 0] * G[0, m] + LTi[0, 1] * G[1, m] + LTi[0, 2] * G[2, m]
        h1 = LTi[1, 0] * G[0, m] + LTi[1, 1] * G[1, m] + LTi[1, 2] * G[2, m]
        H0[m] = (h0 / hW).real
        H1[m] = h1 / hW
    lu_solve(E1, piv1, H0)
    lu_solve(E2, piv2, H1)
    for i in range(3):
        for m in range(n):
            dZ[i, m] = (T[i, 0] * H0[m] + T[i, 1] * H1[m] + T[i, 2] * np.conj(H1[m])).real
    return dZ


@numba.njit
def _newton(f, p, t, u, h, Z, c, A, M, E1, piv1, E2, piv2, T, LTi, hW, scale, tol, eta_old, theta):
    """Simplified Newton on the stages (:func:`solvers.ode.stiff.newton.newton`'s rules); returns
    ``(converged, iterations, eta, theta)`` (``eta`` is kept only from a converged solve)."""
    n = u.size
    G = np.empty((3, n))
    dZ = np.empty((3, n))
    x = np.empty(n)
    mz = np.empty(n)
    eta = max(eta_old ** 0.8, ETA_MIN)
    old = -1.0
    for it in range(1, NEWTON_MAXITER + 1):
        _residual(f, p, t, u, h, Z, c, A, M, G, x, mz)
        _eig_solve(G, E1, piv1, E2, piv2, T, LTi, hW, dZ)
        acc = 0.0
        for i in range(3):
            for m in range(n):
                r = dZ[i, m] / scale[m]
                acc += r * r
        nrm = np.sqrt(acc / (3 * n))
        if not np.isfinite(nrm):
            return False, it, eta_old, theta
        for i in range(3):
            for m in range(n):
                Z[i, m] += dZ[i, m]
        if old >= 0.0:
            theta = nrm / old if old > 0 else 0.0
            if theta >= 1 or theta ** (NEWTON_MAXITER - it) / (1 - theta) * nrm > tol:
                return False, it, eta_old, theta
            eta = theta / (1 - theta)
        if eta * nrm <= tol or nrm == 0:
            return True, it, eta, theta
        old = nrm
    return False, NEWTON_MAXITER, eta_old, theta


@numba.njit
def _error(f, p, t, u, u1, f0, Z, h, dd, M, E1, piv1, hW, rtol, atol, first):
    """HW (8.19)-(8.20): ``E1^-1 (f0 + M sum_j dd_j z_j / h)``, re-evaluated at ``u + err`` (the
    filtered estimate) when it fails at the first step or after a rejection; ``(E, nf)``."""
    n = u.size
    hz = np.empty(n)
    for m in range(n):
        hz[m] = (Z[0, m] * (dd[0] / h) + Z[1, m] * (dd[1] / h)) + Z[2, m] * (dd[2] / h)
    F2 = np.empty(n)
    _mass_times(M, hz, F2)
    err = F2 + f0
    lu_solve(E1, piv1, err)
    err *= hW / h
    E = scaled_rms(err, u, u1, rtol, atol)
    if E >= 1 and first:
        g = f(u + err, p, t)
        err = F2 + g
        lu_solve(E1, piv1, err)
        err *= hW / h
        return scaled_rms(err, u, u1, rtol, atol), 1
    return E, 0


@numba.njit(cache=True)
def _propose(h, E, accepted, nit, hacc, erracc, theta_last):
    """HW's RADAU5 step control (:meth:`~solvers.ode.stiff.radau.RadauStepper.propose_dt`);
    returns ``(h_new, hacc, erracc)`` (``hacc < 0``: no accepted step yet)."""
    if not np.isfinite(E):
        return h * 0.5, hacc, erracc
    err = max(E, 1e-10)
    fac = min(0.9, 0.9 * (1 + 2 * NEWTON_MAXITER) / (nit + 2 * NEWTON_MAXITER))
    quot = max(1 / 8, min(5.0, err ** 0.25 / fac))
    if not accepted:
        return h / quot, hacc, erracc
    if hacc > 0:
        gus = (hacc / h) * (err * err / erracc) ** 0.25 / 0.9
        quot = max(quot, max(1 / 8, min(5.0, gus)))
    hnew = h / quot
    if theta_last <= 1e-3 and 1.0 <= hnew / h <= 1.2:
        hnew = h
    return hnew, h, max(1e-2, err)


@numba.njit(cache=True)
def _start(Z, u, Cd, c, r, use):
    """Starting stages: zero, or the previous step's collocation polynomial at ``1 + c_i r``
    (:class:`~solvers.ode.stiff.radau.RadauSegment`, evaluated as ``seg(theta) - u``)."""
    n = u.size
    q1, q2 = c[0] - 1, c[1] - 1
    for i in range(3):
        s = c[i] * r
        for m in range(n):
            Z[i, m] = ((u[m] + (Cd[0, m] + (Cd[1, m] + Cd[2, m] * (s - q1)) * (s - q2)) * s) - u[m]) if use else 0.0
    return Z


@numba.njit(cache=True)
def _dense(Z, c, Cd):
    """The polynomial's coefficients from the stages (RadauSegment.from_stages)."""
    c1, c2 = c[0], c[1]
    q1, q2 = c1 - 1, c2 - 1
    for m in range(Z.shape[1]):
        a = (Z[1, m] - Z[2, m]) / q2
        ak = (Z[0, m] - Z[1, m]) / (c1 - c2)
        a3 = (ak - Z[0, m] / c1) / c2
        b = (ak - a) / q1
        Cd[0, m], Cd[1, m], Cd[2, m] = a, b, b - a3
    return Cd


@numba.njit
def radau_loop(f, jacfn, p, u0, f0, t0, stops, dt0, tdir, c, A, dd, gam, lam, T, LTi, M, rtol, atol, dtmin,
               dtmax, maxiters, newton_tol, eps_t, keep, landing_factor):  # fmt: skip
    """The whole adaptive RadauIIA5 solve; returns ``(ts, us, Zs, nf, njac, nfactor, nnewton,
    naccept, nreject, code, t_end)`` (code as compiled_loop; ``Zs`` the kept steps' stages)."""
    n = u0.size
    cap = 2 if keep == 0 else 64
    ts = np.empty(cap)
    us = np.empty((cap, n))
    Ks = np.empty((cap if keep == 2 else 0, 3, n))
    Z = np.zeros((3, n))
    Cd = np.zeros((3, n))
    E1 = np.empty((n, n))
    E2 = np.empty((n, n), dtype=np.complex128)
    piv1 = np.empty(n, dtype=np.int64)
    piv2 = np.empty(n, dtype=np.int64)
    J = np.empty((n, n))
    scale = np.empty(n)
    ts[0] = t0
    us[0] = u0
    nsave, nf, njac, nfac, nnewt, nacc, nrej, code = 1, 0, 0, 0, 0, 0, 0, 0
    t, u, fu = t0, u0.copy(), f0.copy()
    have_J, W_ok, hW, hprev, first = False, False, 1.0, 1.0, True
    eta, theta, nit, hacc, erracc = 1.0, 0.0, 1, -1.0, 1e-2
    dtr = dt0
    stop_i = 0
    while True:
        dtr = min(dtr, dtmax)
        stop_i, code, t_new, h, h_real = next_try(stops, stop_i, t, dtr, tdir, landing_factor, nacc + nrej,
                                                           maxiters, True, dtmin, eps_t)
        if code >= 0:
            break
        E = np.inf
        conv = False
        J_fresh = False
        u1 = u
        for _attempt in range(2):
            if not have_J:
                J, _, nfj = jacfn(f, u, p, t, fu)
                nf += nfj
                njac += 1
                have_J, J_fresh, W_ok = True, True, False
            if not W_ok or abs(h / hW - 1) > 0.2:
                iteration_matrix(J, gam / h, E1, M)
                iteration_matrix(J, lam / h, E2, M)
                nfac += 2
                hW = h
                W_ok = lu_factor(E1, piv1) and lu_factor(E2, piv2)
                if not W_ok:
                    break
            _start(Z, u, Cd, c, h / hprev, not first)
            for m in range(n):
                scale[m] = atol[m] + rtol[m] * abs(u[m])
            conv, nit, eta_new, theta = _newton(f, p, t, u, h, Z, c, A, M, E1, piv1, E2, piv2, T, LTi, hW, scale,
                                                newton_tol, eta, theta)
            nf += 3 * nit
            nnewt += nit
            if conv:
                eta = eta_new
                break
            if J_fresh:
                break
            have_J = False
        if conv:
            u1 = u + Z[2]
            E, nfe = _error(f, p, t, u, u1, fu, Z, h, dd, M, E1, piv1, hW, rtol, atol, first)
            nf += nfe
            if not (all_finite(u1) and np.isfinite(E)):
                E = np.inf
        ok = E <= 1
        dtr, hacc, erracc = _propose(h_real, E, ok, nit, hacc, erracc, theta)
        if not ok:
            nrej += 1
            first = True
            continue
        nacc += 1
        first = False
        if theta > THETA_JAC:  # slow Newton: a fresh Jacobian for the next step
            have_J = False
        ts, us, Ks, nsave = store(ts, us, Ks, nsave, t_new, u1, Z, keep)
        _dense(Z, c, Cd)
        hprev = h
        t = t_new
        u = u1
        fu = f(u, p, t)
        nf += 1
    return (ts[:nsave], us[:nsave], Ks[: nsave - 1 if keep == 2 else 0], nf, njac, nfac, nnewt, nacc, nrej, code,
            t)
