"""A stiff SDE method: the drift-implicit (theta) Euler–Maruyama scheme.

.. math::  u_{n+1} = u_n + \\big(\\theta f(u_{n+1}, t_{n+1}) + (1 - \\theta) f(u_n, t_n)\\big) h
                     + g(u_n, t_n) \\Delta W_n

(Kloeden & Platen, *Numerical Solution of SDEs*, 1992, §12.2, eq. (2.3)):
strong order 1/2, weak order 1, and for ``theta >= 1/2`` mean-square stable
for stiff linear drift at any step (Higham, SIAM J. Numer. Anal. 38 (2000)
753). The implicit equation is solved by the stiff solvers' simplified Newton
iteration (:func:`solvers.ode.stiff.newton.newton`) with the iteration matrix
``I - theta h J`` factorised by :func:`solvers.ode.stiff.linsolve.iteration_matrix`
and ``J`` from :func:`solvers.ode.stiff.jacobian.make_jacobian` (forward mode,
so Dual, mpf and Measurement states work; a batch of paths is one flattened
system whose block-diagonal Jacobian takes the sparse path when large).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from numeric.backend import device_of, is_foreign, namespace, reshape, to_host_float
from solvers._nm import nm
from solvers.ode.stiff.jacobian import make_jacobian
from solvers.ode.stiff.linsolve import iteration_matrix
from solvers.ode.stiff.newton import newton
from solvers.sde.algorithms import StepFailure, _noise

__all__ = ["ImplicitEM"]


@dataclass(frozen=True)
class ImplicitEM:
    """Drift-implicit Euler–Maruyama (Itô): strong order 1/2, stable for stiff drift.

    Parameters
    ----------
    theta : float
        Implicitness (1: implicit Euler drift, 1/2: trapezoidal drift).
    rtol, atol : float
        Tolerances of the Newton iteration (scaled norm of the correction).
    maxiter : int
        Newton corrections per step before the solve stops with ``"ConvergenceFailure"``.

    Examples
    --------
    >>> import numpy as np
    >>> from solvers.sde import SDEProblem, solve
    >>> stiff = SDEProblem(lambda u, p, t: -1000.0 * (u - np.cos(t)), lambda u, p, t: 0.1 + 0 * u,
    ...                    np.array([0.0]), (0.0, 1.0))
    >>> sol = solve(stiff, ImplicitEM(), dt=0.05, seed=2)        # EM blows up at this step
    >>> sol.retcode, bool(abs(sol.u[-1][0] - np.cos(1.0)) < 0.05)
    ('Success', True)
    """

    theta: float = 1.0
    rtol: float = 1e-9
    atol: float = 1e-12
    maxiter: int = 10
    strong_order = 0.5
    weak_order = 1.0
    needs_area = False
    interpretation = "ito"
    adaptive = False

    def __post_init__(self) -> None:
        if not 0 <= float(self.theta) <= 1:
            raise ValueError(f"ImplicitEM needs 0 <= theta <= 1, got theta={self.theta!r}")

    def step(self, prob, u, t, h, dw, area, general):
        p, f, th = prob.p, prob.f, float(self.theta)
        f0 = f(u, p, t)
        rest = u + _noise(prob.g(u, p, t), dw, general)
        if th != 1:
            rest = rest + f0 * ((1 - th) * h)
        guess = rest + f0 * (th * h)
        if th == 0:
            return guess
        shape = np.shape(u)
        if not shape:
            return self._scalar(f, p, t + h, th * h, rest, guess)
        if len(shape) > len(prob.state_shape):                 # a batch of paths
            return self._batched(f, p, t + h, th * h, rest, guess, len(shape) - len(prob.state_shape))
        flat = lambda y, q, s: reshape(f(reshape(y, shape), q, s), (-1,))  # noqa: E731
        z0 = reshape(guess, (-1,))
        J = make_jacobian(flat, {})(z0, p, t + h)
        W = iteration_matrix(None, J, 1.0, th * h)
        r = reshape(rest, (-1,))
        z = self._newton(lambda z: r + flat(z, p, t + h) * (th * h) - z, z0, W.solve, t)
        return reshape(z, shape)

    def _scalar(self, f, p, t1, c, rest, guess):
        slope = nm.derivative(lambda z: f(z, p, t1), nm.value(guess))
        w = 1 - c * slope
        return self._newton(lambda z: rest + f(z, p, t1) * c - z, guess, lambda r: r / w, t1)

    def _batched(self, f, p, t1, c, rest, guess, nb):
        """Paths are independent: ``n`` directional derivatives give every path's ``n x n``
        Jacobian block at once (not ``B n`` columns of one block-diagonal matrix)."""
        shape = tuple(np.shape(guess))
        lead, n = shape[:nb], int(np.prod(shape[nb:], dtype=int))
        flat = lambda y: reshape(f(reshape(y, shape), p, t1), lead + (n,))  # noqa: E731
        z0 = reshape(guess, lead + (n,))
        r = reshape(rest, lead + (n,))
        if is_foreign(nm.value(z0)):     # the Newton matrix at the primal value (as the NumPy branch)
            solve = _block_solver_on_device(flat, nm.value(z0), c)
            return reshape(self._newton(lambda z: r + flat(z) * c - z, z0, solve, t1), shape)
        base = np.asarray(nm.value(z0), dtype=float)
        cols = []
        for j in range(n):
            e = np.zeros(lead + (n,))
            e[..., j] = 1.0
            cols.append(np.asarray(nm.value(nm.derivative(lambda s: flat(base + s * e), 0.0)),
                                   dtype=float))
        J = np.stack(cols, axis=-1)                                 # (..., n, n)
        winv = np.linalg.inv(np.eye(n) - c * J)
        z = self._newton(lambda z: r + flat(z) * c - z, z0,
                         lambda v: np.sum(winv * v[..., None, :], axis=-1), t1)
        return np.reshape(z, shape)

    def _newton(self, residual, z0, solve, t):
        def norm(dz):
            scale = self.atol + self.rtol * np.abs(np.asarray(nm.value(z0), dtype=float))
            err = np.abs(np.asarray(nm.value(dz), dtype=float)) / scale
            return float(np.sqrt(np.mean(err * err)))

        zv = nm.value(z0)
        if is_foreign(zv):          # on the device: one transfer per Newton iteration
            xp = namespace(zv)
            scale = self.atol + self.rtol * xp.abs(zv)
            norm = lambda dz: math.sqrt(to_host_float(xp.mean((nm.value(dz) / scale) ** 2)))  # noqa: E731

        z, ok, _ = newton(residual, z0, solve, norm, 1.0, maxiter=int(self.maxiter),
                          extra_sweep=nm.value(z0) is not z0)
        if not ok:
            raise StepFailure(f"ImplicitEM: the Newton iteration did not converge in {self.maxiter} "
                              f"corrections on the step ending at t = {t}; take a smaller dt or "
                              "raise maxiter / rtol")
        return z


def _block_solver_on_device(flat, z0, c):
    """``v -> (I - c J_b)^-1 v`` for every path ``b`` of a batch on a device (CuPy, array API): the
    ``n x n`` blocks from ``n`` directional derivatives (``nm.jvp``) and ``xp.linalg.inv``, batched."""
    import numeric

    xp, n = namespace(z0), z0.shape[-1]
    E = xp.eye(n, dtype=z0.dtype, device=device_of(z0))
    J = xp.stack([numeric.value(numeric.jvp(flat, z0, xp.broadcast_to(E[j, :], tuple(z0.shape))))
                  for j in range(n)], axis=-1)     # primal blocks (a Dual parameter's layer dropped, as on NumPy)
    winv = xp.linalg.inv(E - J * c)

    def apply(v):
        prod = v[..., None, :] * winv       # v (a DualArray with a Dual parameter) on the left
        return prod.sum(axis=-1) if hasattr(prod, "sum") else xp.sum(prod, axis=-1)
    return apply
