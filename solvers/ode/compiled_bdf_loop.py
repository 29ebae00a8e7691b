"""The numba FBDF loop (:mod:`solvers.ode.compiled_stiff` runs it): the generic
:class:`~solvers.ode.stiff.bdf.FBDFStepper` step by step, compiled.

The same algorithm as the generic float path (Shampine & Reichelt, "The MATLAB ODE Suite", SIAM J.
Sci. Comput. 18 (1997), section 2; :mod:`solvers.ode.stiff.bdf` documents it): the backward
differences ``D[j] = nabla^j u`` (orders 1 to ``max_order``), rescaled by ``D <- (R U)^T D`` when the
step changes; the predictor ``sum_{j<=k} D[j]``, the corrector ``M (psi + d) = c f(t + h, u_pred + d)``
with ``c = h / gamma_k`` solved by the simplified Newton iteration of :mod:`solvers.ode.stiff.newton`
(``eta = inf`` at the start of every solve, at most ``NEWTON_MAXITER`` corrections, early failure
when the rate predicts no convergence) on ``W = M - c J``; ``W`` refactorised when ``c`` moved by more
than ``REFACTOR`` since its factorisation, ``J`` (at the predictor) recomputed only when Newton fails
with an old one, the step halved when it fails with a fresh one; the error estimate
``d / (k + 1)``; after ``k + 1`` accepted steps of one size the order and step from the estimates of
orders ``k - 1, k, k + 1``, with the Newton-aware safety factor. The coefficients (``gamma_k``, the
error constants, ``max_order``) are the generic stepper's, passed as arrays.

Dense output: each kept step stores ``D[0..k]`` of the new differences, zero-padded to
``MAX_ORDER + 1`` rows, which the generic interpolant (:class:`~solvers.ode.stiff.bdf._Segment` at
order ``MAX_ORDER``) evaluates to the same values as at order ``k`` (the padded terms are zero).

The first Newton residual ``f(t + h, u_pred)`` is also the Jacobian's base point for forward
differences, so it is evaluated once per try (the generic path evaluates it again per Newton
solve). The kernel Jacobian of :mod:`solvers.ode.compiled_stiff_loop` also returns ``df/dt``, which
BDF does not use (one evaluation of ``f`` per Jacobian more than needed).
"""

import math

import numba
import numpy as np

from solvers.ode.compiled_loop import all_finite, next_try, store
from solvers.ode.compiled_stiff_loop import add_mass_times, lu_factor, lu_solve
from solvers.ode.stiff.bdf import MAX_FACTOR, MAX_ORDER, MIN_FACTOR, NEWTON_MAXITER, REFACTOR

__all__ = ["bdf_loop", "change_d", "bdf_matrix"]


@numba.njit(cache=True)
def _r_matrix(order, factor, Q):
    """Shampine–Reichelt's ``R(factor)`` into ``Q[:order + 1, :order + 1]`` (:func:`solvers.ode.stiff.bdf._r_matrix`)."""
    for j in range(order + 1):
        Q[0, j] = 1.0
    for i in range(1, order + 1):
        Q[i, 0] = 0.0
        for j in range(1, order + 1):
            Q[i, j] = Q[i - 1, j] * ((i - 1 - factor * j) / i)
    return Q


@numba.njit(cache=True)
def change_d(D, order, factor, R, U, RU, tmp):
    """``D[:order + 1] <- (R(factor) U)^T D[:order + 1]`` in place (Shampine–Reichelt's step change;
    :func:`solvers.ode.stiff.bdf.change_d`); ``R, U, RU, tmp`` are work arrays."""
    n1 = order + 1
    _r_matrix(order, factor, R)
    _r_matrix(order, 1.0, U)
    for i in range(n1):
        for j in range(n1):
            acc = 0.0
            for k in range(n1):
                acc += R[i, k] * U[k, j]
            RU[i, j] = acc
    for i in range(n1):
        for m in range(D.shape[1]):
            acc = 0.0
            for k in range(n1):
                acc += RU[k, i] * D[k, m]
            tmp[i, m] = acc
    for i in range(n1):
        D[i] = tmp[i]
    return D


@numba.njit(cache=True)
def bdf_matrix(J, c, W, M):
    """``W = M - c J`` (an empty *M* is the identity), as the generic ``iteration_matrix(M, J, 1, c)``."""
    n = J.shape[0]
    for i in range(n):
        for j in range(n):
            W[i, j] = (M[i, j] if M.shape[0] else (1.0 if i == j else 0.0)) - J[i, j] * c
    return W


@numba.njit
def _newton(f, p, t_new, y_pred, f_pred, psi, c, M, W, piv, scale, tol, d, x, r):
    """The corrector by simplified Newton from ``d = 0`` (:func:`solvers.ode.stiff.newton.newton`
    with ``eta = inf``); returns ``(converged, iterations, evaluations of f)``."""
    n = y_pred.size
    d[:] = 0.0
    old = -1.0
    eta = np.inf
    for it in range(1, NEWTON_MAXITER + 1):
        if it == 1:
            fy = f_pred
        else:
            for m in range(n):
                x[m] = y_pred[m] + d[m]
            fy = f(x, p, t_new)
        for m in range(n):
            x[m] = psi[m] + d[m]
            r[m] = 0.0
        add_mass_times(r, M, x)
        for m in range(n):
            r[m] = fy[m] * c - r[m]
        lu_solve(W, piv, r)
        acc = 0.0
        for m in range(n):
            q = r[m] / scale[m]
            acc += q * q
        nrm = math.sqrt(acc / n)
        if not np.isfinite(nrm):
            return False, it, it - 1
        for m in range(n):
            d[m] += r[m]
        if old >= 0.0:
            theta = nrm / old if old > 0 else 0.0
            if theta >= 1 or theta ** (NEWTON_MAXITER - it) / (1 - theta) * nrm > tol:
                return False, it, it - 1
            eta = theta / (1 - theta)
        if eta * nrm <= tol or nrm == 0:
            return True, it, it - 1
        old = nrm
    return False, NEWTON_MAXITER, NEWTON_MAXITER - 1


@numba.njit(cache=True)
def _predict(D, k, gamma, y_pred, psi):
    """The predictor ``sum_{j<=k} D[j]`` and the history term ``sum_j gamma_j D[j] / gamma_k``."""
    for m in range(D.shape[1]):
        y = D[0, m]
        for j in range(1, k + 1):
            y = y + D[j, m]
        y_pred[m] = y
        s = D[1, m] * (gamma[1] / gamma[k])
        for j in range(2, k + 1):
            s = s + D[j, m] * (gamma[j] / gamma[k])
        psi[m] = s


@numba.njit(cache=True)
def _update(D, Dn, d, k):
    """The differences after the step: ``Dn[k+2] = d - D[k+1]``, ``Dn[k+1] = d``, then
    ``Dn[i] += Dn[i+1]`` downwards (the generic ``step``), in place."""
    Dn[:] = D
    for m in range(d.size):
        Dn[k + 2, m] = d[m] - D[k + 1, m]
        Dn[k + 1, m] = d[m]
        for i in range(k, -1, -1):
            Dn[i, m] = Dn[i, m] + Dn[i + 1, m]


@numba.njit(cache=True)
def _norm_of(e, a, u, u1, rtol, atol):
    """``scaled_rms(e * a, u, u1, rtol, atol)`` without the temporary array."""
    acc = 0.0
    for j in range(e.size):
        x = e[j] * a / (atol[j] + rtol[j] * max(abs(u[j]), abs(u1[j])))
        acc += x * x
    r = math.sqrt(acc / e.size) if e.size > 0 else 0.0
    return r if np.isfinite(r) else np.inf


@numba.njit(cache=True)
def _factor(x, q):
    """``x ** (-1 / q)`` (0 for a non-finite norm, a huge factor for a zero one)."""
    return (x if x > 0 else 1e-300) ** (-1.0 / q) if np.isfinite(x) else 0.0


@numba.njit(cache=True)
def _order_step(Dn, E, k, max_order, err_const, rtol, atol, h, safety):
    """After ``k + 1`` equal steps: ``(order, h_next)`` from the estimates of orders ``k - 1, k, k + 1``
    (the largest step wins; the first of equal ones)."""
    y = Dn[0]
    fm = _factor(_norm_of(Dn[k], err_const[k - 1], y, y, rtol, atol), k) if k > 1 else 0.0
    fk = _factor(E, k + 1)
    fp = _factor(_norm_of(Dn[k + 2], err_const[k + 1], y, y, rtol, atol), k + 2) if k < max_order else 0.0
    best, fbest = 0, fm
    if fk > fbest:
        best, fbest = 1, fk
    if fp > fbest:
        best, fbest = 2, fp
    return k + best - 1, h * min(MAX_FACTOR, safety * fbest)


@numba.njit
def _corrector(f, jacfn, p, t_new, y_pred, psi, c, M, J, W, piv, scale, tol, d, x, r, have_J, J_current, W_ok,
               c_W):  # fmt: skip
    """One try's corrector with the generic ``_matrix``/``_newton`` rules for ``J`` and ``W``: returns
    ``(converged, iterations, nf, njac, nfactor, nnewton, J, have_J, J_current, W_ok, c_W)``
    (``iterations``: the last Newton solve's; ``nnewton``: all corrections)."""
    f_pred = f(y_pred, p, t_new)
    nf, njac, nfac, it, nnewt = 1, 0, 0, 0, 0
    while True:
        if not have_J:
            J, _, nfj = jacfn(f, y_pred, p, t_new, f_pred)
            nf += nfj
            njac += 1
            have_J, J_current, W_ok = True, True, False
        if not W_ok or abs(c / c_W - 1) > REFACTOR:
            bdf_matrix(J, c, W, M)
            nfac += 1
            W_ok, c_W = lu_factor(W, piv), c
        conv = False
        if W_ok:
            conv, it, nfn = _newton(f, p, t_new, y_pred, f_pred, psi, c, M, W, piv, scale, tol, d, x, r)
            nf += nfn
            nnewt += it
        if conv or J_current:
            return conv, it, nf, njac, nfac, nnewt, J, have_J, J_current, W_ok, c_W
        have_J, W_ok = False, False  # an old J failed: recompute it at the predictor and retry


@numba.njit
def bdf_loop(f, jacfn, p, u0, f0, t0, stops, dt0, tdir, gamma, err_const, max_order, M, rtol, atol, dtmin, dtmax,
             maxiters, newton_tol, eps_t, keep, landing_factor):  # fmt: skip
    """The whole adaptive FBDF solve; returns ``(ts, us, Ds, nf, njac, nfactor, nnewton, naccept,
    nreject, code, t_end)`` (code as compiled_loop; ``Ds`` the kept steps' differences)."""
    n = u0.size
    cap = 2 if keep == 0 else 64
    ts = np.empty(cap)
    us = np.empty((cap, n))
    Ks = np.empty((cap if keep == 2 else 0, MAX_ORDER + 1, n))
    D = np.zeros((MAX_ORDER + 3, n))
    Dn = np.zeros((MAX_ORDER + 3, n))
    Kd = np.zeros((MAX_ORDER + 1, n))
    R, U, RU = np.empty((MAX_ORDER + 1, MAX_ORDER + 1)), np.empty((MAX_ORDER + 1, MAX_ORDER + 1)), np.empty(
        (MAX_ORDER + 1, MAX_ORDER + 1))
    tmp = np.empty((MAX_ORDER + 1, n))
    W = np.empty((n, n))
    J = np.zeros((n, n))
    piv = np.empty(n, dtype=np.int64)
    y_pred, psi, d, x, r, scale = np.empty(n), np.empty(n), np.empty(n), np.empty(n), np.empty(n), np.empty(n)
    ts[0] = t0
    us[0] = u0
    nsave, nf, njac, nfac, nnewt, nacc, nrej, code = 1, 0, 0, 0, 0, 0, 0, 0
    t, u, u1 = t0, u0.copy(), np.empty(n)  # the state and the try's new state (swapped on acceptance)
    have_J, J_current, W_ok, c_W = False, False, False, 1.0
    order, n_equal, hD, started = 1, 0, 1.0, False
    dtr = dt0
    stop_i = 0
    while True:
        dtr = min(dtr, dtmax)
        stop_i, code, t_new, h, h_real = next_try(stops, stop_i, t, dtr, tdir, landing_factor, nacc + nrej,
                                                  maxiters, True, dtmin, eps_t)
        if code >= 0:
            break
        if not started:
            D[:] = 0.0
            D[0] = u
            D[1] = f0 * h
            hD, n_equal, started = h, 0, True
        elif h != hD:
            change_d(D, order, h / hD, R, U, RU, tmp)
            hD, n_equal = h, 0
        k = order
        _predict(D, k, gamma, y_pred, psi)
        c = h / gamma[k]
        for m in range(n):
            scale[m] = atol[m] + rtol[m] * abs(y_pred[m])
        conv, nit, nf1, njac1, nfac1, nnewt1, J, have_J, J_current, W_ok, c_W = _corrector(
            f, jacfn, p, t + h, y_pred, psi, c, M, J, W, piv, scale, newton_tol, d, x, r, have_J, J_current, W_ok,
            c_W)
        nf, njac, nfac, nnewt = nf + nf1, njac + njac1, nfac + nfac1, nnewt + nnewt1
        if not conv:  # Newton failed with a fresh J: half the step, refactorise
            W_ok = False
            nrej += 1
            dtr = h_real * 0.5
            continue
        for m in range(n):
            u1[m] = y_pred[m] + d[m]
        E = _norm_of(d, err_const[k], u, u1, rtol, atol) if all_finite(u1) else np.inf
        _update(D, Dn, d, k)
        safety = 0.9 * (2 * NEWTON_MAXITER + 1) / (2 * NEWTON_MAXITER + nit)
        if not E <= 1:
            nrej += 1
            dtr = h_real * max(MIN_FACTOR, safety * max(E, 1e-10) ** (-1.0 / (k + 1)))
            continue
        nacc += 1
        D, Dn = Dn, D
        n_equal += 1
        J_current = False
        if n_equal < k + 1:
            dtr = h_real
        else:
            order, dtr = _order_step(D, E, k, max_order, err_const, rtol, atol, h_real, safety)
            n_equal = 0
        if keep == 2:
            Kd[:] = 0.0
            Kd[: k + 1] = D[: k + 1]
        ts, us, Ks, nsave = store(ts, us, Ks, nsave, t_new, u1, Kd, keep)
        t = t_new
        u, u1 = u1, u
    return ts[:nsave], us[:nsave], Ks[: nsave - 1 if keep == 2 else 0], nf, njac, nfac, nnewt, nacc, nrej, code, t
