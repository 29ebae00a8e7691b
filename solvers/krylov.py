"""Restarted GMRES and Jacobian-free Newton–Krylov, generic over the vector type.

A vector is anything with ``+``, ``-`` and multiplication by a scalar: a
float array, an object array of ``mpf``, a Chebyshev ``Fun``. The geometry
comes from an inner-product hook ``inner(a, b)`` (default: the protocol's
``nm.inner``, ``sum(conj(a) * b)`` for arrays and the L2 inner product
``integral f g`` for Funs); the
norm is ``sqrt(inner(v, v))``. Scalars (the Hessenberg matrix, the Givens
rotations) are whatever ``inner`` returns (float, mpf), so an mpf system is
solved at the working precision.

GMRES(m) follows Saad & Schultz (1986) / Saad, *Iterative Methods for Sparse
Linear Systems*, Alg. 6.9-6.11: Arnoldi with modified Gram–Schmidt, the
least-squares problem reduced by Givens rotations, restart after *m* inner
steps, right preconditioning ``A M(y) = b`` (so the residual monitored is the
true residual). Real scalars only.

Examples
--------
>>> import numpy as np
>>> from solvers.krylov import gmres
>>> A = np.array([[4.0, 1.0], [1.0, 3.0]])
>>> x, info = gmres(A, np.array([1.0, 2.0]))
>>> bool(info.converged), bool(np.allclose(A @ x, [1.0, 2.0]))
(True, True)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from solvers._nm import _lazy, nm, real_eps

__all__ = ["gmres", "newton_krylov", "KrylovInfo", "default_inner"]


@dataclass
class KrylovInfo:
    """Outcome of :func:`gmres` / :func:`newton_krylov`."""

    converged: bool
    iterations: int
    residual_norm: Any
    message: str
    restarts: int = 0
    linear_iterations: int = 0


def default_inner(a: Any, b: Any) -> Any:
    """The protocol's ``nm.inner``: ``sum(conj(a) * b)`` for arrays (float, complex or object of
    mpf), the type's own inner product for a vector state (a Fun: ``integral a b``); else an error."""
    try:
        return nm.inner(a, b)
    except TypeError:
        raise TypeError(f"gmres has no default inner product for {type(a).__name__}; pass "
                        "inner=callable(a, b)") from None


def _operator(A: Any) -> Callable:
    if callable(A):
        return A
    if hasattr(A, "__matmul__") or hasattr(A, "shape"):
        return lambda v: A @ v
    raise TypeError(f"A must be a callable v -> A v or a matrix, got {type(A).__name__}")


def _givens(a, b):
    r = nm.sqrt(a * a + b * b)
    if r == 0:
        return a * 0 + 1, b * 0, r
    return a / r, b / r, r


def _combine(V, y, like):
    out = like * 0
    for vi, yi in zip(V, y):
        out = out + yi * vi
    return out


def _back_substitute(R, g, k):
    y = [None] * k
    for i in range(k - 1, -1, -1):
        s = g[i]
        for j in range(i + 1, k):
            s = s - R[i][j] * y[j]
        y[i] = s / R[i][i]
    return y


def _cycle(Aop, M, inner, r, beta, m, target, budget):
    """One restart cycle from residual r (norm beta). Returns (update, residual, steps)."""
    V = [r * (1 / beta)]
    R, g, cs, sn = [], [beta, beta * 0], [], []
    res, k = beta, 0
    for j in range(min(m, budget)):
        w = Aop(M(V[j]))
        h = []
        for vi in V:  # modified Gram–Schmidt
            hij = inner(vi, w)
            w = w - hij * vi
            h.append(hij)
        hnext = nm.sqrt(inner(w, w))
        for i in range(j):  # apply the earlier rotations to the new column
            hi, hi1 = h[i], h[i + 1]
            h[i], h[i + 1] = cs[i] * hi + sn[i] * hi1, -sn[i] * hi + cs[i] * hi1
        c, s, rr = _givens(h[j], hnext)
        cs.append(c)
        sn.append(s)
        h[j] = rr
        R.append(h)
        g[j], g[j + 1] = c * g[j], -s * g[j]
        g.append(g[j + 1] * 0)
        res, k = abs(g[j + 1]), j + 1
        if res <= target or hnext == 0 or rr == 0:
            break
        V.append(w * (1 / hnext))
    if k == 0 or R[k - 1][k - 1] == 0:
        return None, res, k
    Rt = [[R[j][i] if i <= j else 0 for j in range(k)] for i in range(k)]  # columns -> rows
    y = _back_substitute(Rt, g, k)
    return M(_combine(V[:k], y, r)), res, k


def gmres(A: Any, b: Any, x0: Any = None, *, rtol: float = 1e-8, atol: float = 0.0,
          restart: int = 20, maxiter: int | None = None, M: Callable | None = None,
          inner: Callable | None = None) -> tuple[Any, KrylovInfo]:
    """Solve ``A x = b`` by restarted GMRES(m).

    Parameters
    ----------
    A : callable or matrix
        ``A(v)`` (or ``A @ v``) for a vector ``v`` of the type of *b*.
    b : vector
    x0 : vector, optional
        Initial guess (default zero).
    rtol, atol : float
        Stop when ``||b - A x|| <= max(rtol ||b||, atol)``.
    restart : int
        Inner steps per cycle (m).
    maxiter : int, optional
        Most inner steps in all (default ``10 * len(b)`` for arrays, 1000 otherwise).
    M : callable, optional
        Right preconditioner, ``M(v)`` approximating ``A^{-1} v``.
    inner : callable, optional
        Inner product ``inner(a, b)``; default :func:`default_inner`.

    Returns
    -------
    x, info : vector, KrylovInfo

    Examples
    --------
    >>> import numpy as np
    >>> x, info = gmres(lambda v: 2 * v, np.ones(3))
    >>> np.round(x, 12).tolist(), info.iterations
    ([0.5, 0.5, 0.5], 1)
    """
    if restart < 1:
        raise ValueError(f"restart must be a positive integer, got {restart!r}")
    inner = default_inner if inner is None else inner
    Aop, Mop = _operator(A), (M if M is not None else (lambda v: v))
    if maxiter is None:
        maxiter = 10 * int(b.shape[0]) if hasattr(b, "shape") and len(b.shape) else 1000
    bnorm = nm.sqrt(inner(b, b))
    target = max(rtol * bnorm, atol)
    x = b * 0 if x0 is None else x0
    r = b if x0 is None else b - Aop(x)
    res = nm.sqrt(inner(r, r))
    steps = restarts = 0
    while res > target and steps < maxiter:
        dx, est, k = _cycle(Aop, Mop, inner, r, res, restart, target, maxiter - steps)
        steps += max(k, 1)
        if dx is None:
            break
        x = x + dx
        r = b - Aop(x)
        newres = nm.sqrt(inner(r, r))
        if not newres < res and est > target:  # stagnation: restarting cannot help
            res = newres
            break
        res = newres
        restarts += 1
    ok = bool(res <= target) or bool(bnorm == 0)
    msg = "converged" if ok else (f"not converged: residual {float(nm.value(res)):.3g} > "
                                  f"target {float(nm.value(target)):.3g} after {steps} steps")
    return x, KrylovInfo(ok, steps, res, msg, restarts, steps)


def _default_jvp(F: Callable) -> Callable:
    jvp, derivative = _lazy("jvp"), _lazy("derivative")

    def apply(u, v):
        if hasattr(u, "shape") and np.ndim(u) or nm.is_vector_state(u):
            return jvp(F, u, v)
        try:
            return derivative(lambda e: F(u + v * e), 0.0)  # a dual directional derivative
        except TypeError as exc:
            raise TypeError(f"newton_krylov: cannot take the directional derivative of F for "
                            f"a state of type {type(u).__name__} ({exc}); pass jvp=callable(u, "
                            "v) returning J(u) v") from exc

    return apply


def newton_krylov(F: Callable, u0: Any, *, jvp: Callable | None = None, rtol: float = 1e-10,
                  atol: float = 1e-12, maxiter: int = 50, inner: Callable | None = None,
                  M: Callable | None = None, restart: int = 30,
                  linear_maxiter: int | None = None) -> tuple[Any, KrylovInfo]:
    """Solve ``F(u) = 0`` by Jacobian-free Newton–Krylov (no Jacobian is formed).

    Each Newton step solves ``J(u) du = -F(u)`` with :func:`gmres`, where
    ``J(u) v`` is a forward-mode directional derivative of *F* (``nm.jvp``
    for arrays and vector states such as Funs, a dual ``d/de F(u + e v)`` otherwise) unless ``jvp(u, v)`` is
    given. The GMRES tolerance follows the inexact-Newton forcing term
    ``eta = min(0.1, ||F(u)||)`` (Dembo, Eisenstat & Steihaug 1982), and a
    backtracking line search halves the step until ``||F||`` decreases.
    Stops when ``||F(u)|| <= atol + rtol ||F(u0)||``.

    Examples
    --------
    >>> import numpy as np
    >>> u, info = newton_krylov(lambda u: u**2 - np.array([4.0, 9.0]), np.ones(2))
    >>> np.round(u, 12).tolist(), bool(info.converged)
    ([2.0, 3.0], True)
    """
    inner = default_inner if inner is None else inner
    J = _default_jvp(F) if jvp is None else jvp
    u, Fu = u0, F(u0)
    fnorm = nm.sqrt(inner(Fu, Fu))
    target = atol + rtol * fnorm
    lin, k = 0, 0
    for k in range(maxiter):
        if fnorm <= target:
            break
        eta = max(min(0.1, fnorm), 10 * real_eps(fnorm))
        du, info = gmres(lambda v, u=u: J(u, v), Fu * -1, rtol=eta, restart=restart,
                         maxiter=linear_maxiter, M=M, inner=inner)
        lin += info.iterations
        step = 1.0
        for _ in range(30):
            trial = u + du * step
            Ft = F(trial)
            tnorm = nm.sqrt(inner(Ft, Ft))
            if tnorm < fnorm:
                break
            step *= 0.5
        else:
            return u, KrylovInfo(False, k, fnorm, "line search failed: no decrease of ||F|| "
                                 "along the Newton direction", linear_iterations=lin)
        u, Fu, fnorm = trial, Ft, tnorm
    else:
        k = maxiter
    ok = bool(fnorm <= target)
    msg = "converged" if ok else f"not converged after {k} Newton steps (||F|| = " \
        f"{float(nm.value(fnorm)):.3g})"
    return u, KrylovInfo(ok, k, fnorm, msg, linear_iterations=lin)
