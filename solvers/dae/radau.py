"""DRadauIIA5: the 3-stage Radau IIA method (order 5, stiffly accurate) for ``F(du, u, p, t) = 0``.

Coefficients, error weights and dense output are those of :class:`solvers.ode.stiff.RadauIIA5`
(Hairer & Wanner, *Solving ODEs II*, section IV.8; :func:`~solvers.ode.stiff.radau.radau_coefficients`).
With stage increments ``Z_i = U_i - u`` the stage derivatives are ``K = (A^-1 (x) I) Z / h``
(collocation), and the stage equations of the fully implicit system are

    F(K_i, u + Z_i, p, t + c_i h) = 0,   i = 1, 2, 3,

solved by simplified Newton (:func:`solvers.ode.stiff.newton.newton`) with the ``3n x 3n``
matrix ``(A^-1 / h) (x) dF/d(du) + I (x) dF/du`` (refactorised when ``h`` changes; no
eigen-decomposition, since ``dF/d(du)`` is not the identity); the Jacobians are kept while
Newton contracts fast (rate < 1e-3, HW's rule) and recomputed after a failure with old ones.
``u_new = u + Z_3``, ``du_new = K_3``.

Error estimate: HW's (8.19) for ``M u' = f`` read for the local linearisation of ``F``
(``M = dF/d(du)``, ``J = -dF/du``, ``f(u0) = M du0``):
``err = (gamma/h dF/d(du) + dF/du)^-1 dF/d(du) (du0 + sum_j dd_j Z_j / h)``, an ``O(h^4)``
estimate (``error_order = 3``) driving the loop's PI controller. The algebraic components are
in the error test.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from numeric.arrayrules_structural import join_any
from numeric.backend import is_foreign, matmul
from solvers._nm import is_finite_real, nm
from solvers.dae.jacobians import residual_jacobians
from solvers.ode.stiff.linsolve import factorize
from solvers.ode.stiff.method import StiffMethod, StiffStepper
from solvers.ode.stiff.newton import NewtonRate, newton
from solvers.ode.stiff.radau import RadauSegment, radau_coefficients

__all__ = ["DRadauIIA5"]


@dataclass
class DRadauIIA5(StiffMethod):
    """Radau IIA (order 5) for :class:`~solvers.dae.problem.DAEProblem`.

    Examples
    --------
    >>> import numpy as np
    >>> from solvers import DAEProblem, solve
    >>> from solvers.dae import DRadauIIA5
    >>> F = lambda du, u, p, t: np.array([du[0] + u[0], u[1] - 2 * u[0]])
    >>> sol = solve(DAEProblem(F, np.zeros(2), np.array([1.0, 0.0]), (0.0, 1.0)), DRadauIIA5(),
    ...             rtol=1e-8, atol=1e-10)
    >>> bool(np.allclose(sol.u[-1], [np.exp(-1), 2 * np.exp(-1)], rtol=1e-7))
    True
    """

    name: str = field(default="DRadauIIA5", init=False)
    order: int = field(default=5, init=False)
    error_order: int = field(default=3, init=False)
    implicit_dae: bool = field(default=True, init=False)

    def make_stepper(self, ctx: Any) -> Any:
        raise TypeError("DRadauIIA5 solves DAEProblem(F, du0, u0, tspan): for u' = f(u, p, t) use RadauIIA5()")

    def make_dae_stepper(self, ctx: Any, dae: Any) -> "DRadauStepper":
        self.check_state(ctx.u0)
        return DRadauStepper(self, ctx, dae)


class DRadauStepper(StiffStepper):
    """Stepper for :class:`DRadauIIA5` (the loop's controller picks ``h``)."""

    fsal = False

    def __init__(self, alg: DRadauIIA5, ctx: Any, dae: Any):
        super().__init__(alg, ctx)
        self.dae = dae
        co = radau_coefficients(self.one * 1.0 if isinstance(self.one, int) else self.one)
        self.c, self.dd, self.gamma = co["c"], co["dd"], float(nm.value(co["gamma"]))
        self.Ainv = np.linalg.inv(np.array([[float(nm.value(a)) for a in row] for row in co["A"]]))
        self.Ainv_exact = _inverse3(co["A"])
        rt = float(np.max(np.asarray(nm.value(np.asarray(ctx.rtol, dtype=object)), dtype=float)))
        self.newton_tol = max(1e-10 / rt, min(0.03, rt ** 0.5))
        self.rate, self.prev, self.pending = NewtonRate(), None, None
        self.du, self.J, self.lu, self.E1, self.h_lu, self.fresh = None, None, None, None, None, True

    def reinit(self, t: Any, u: Any) -> Any:
        """Restart at a consistent state: returns it (the algebraic components re-solved)."""
        self.prev, self.du, self.J, self.lu = None, None, None, None
        return self.dae.reinitialize(self.p, t, u)

    @property
    def p(self) -> Any:
        return self._p

    @p.setter
    def p(self, value: Any) -> None:  # new parameters (a callback): the Jacobians are stale
        self._p, self.J, self.lu = value, None, None

    def _stage_derivatives(self, Z: list, h: Any) -> list:
        Ai = self.Ainv_exact
        return [(Z[0] * Ai[i][0] + Z[1] * Ai[i][1] + Z[2] * Ai[i][2]) / h for i in range(3)]

    def step(self, t: Any, u: Any, f0: Any, h: Any) -> tuple:
        du0 = self.dae.du0 if self.du is None else self.du
        res = self._attempt(t, u, du0, h)
        if res is None and not self.fresh:  # Newton failed with an old Jacobian: once more with a new one
            self.J = None
            res = self._attempt(t, u, du0, h)
        return (u, float("inf"), None, None) if res is None else res

    def _matrix(self, t: Any, u: Any, du0: Any, h: Any) -> Any:
        """The factorised Newton matrix; the Jacobians are kept while Newton contracts fast
        (HW's rule: rate below 1e-3), the LU while ``h`` is unchanged."""
        self.fresh = self.J is None or self.rate.theta > 1e-3
        if self.fresh:
            self.J = residual_jacobians(self.dae.F, du0, u, self.p, t)
            self._count("njac")
            self.lu = None
        hv = float(nm.value(h))
        if self.lu is None or hv != self.h_lu:
            Ju, Jd = self.J
            self.lu = factorize(_stage_matrix(self.Ainv / hv, Jd, Ju), self.stats)
            self.E1 = factorize(Jd * (self.gamma / hv) + Ju, self.stats)
            self.h_lu = hv
        return self.lu

    def _attempt(self, t: Any, u: Any, du0: Any, h: Any) -> tuple | None:
        n = nm.value(u).shape[0]
        try:
            lu = self._matrix(t, u, du0, h)
        except (np.linalg.LinAlgError, ZeroDivisionError):
            return None
        F, p, c = self.dae.F, self.p, self.c

        def residual(z):
            Z = [z[i * n:(i + 1) * n] for i in range(3)]
            K = self._stage_derivatives(Z, h)
            self._count("nf", 3)
            return -_concat([F(K[i], u + Z[i], p, t + c[i] * h) for i in range(3)])

        def norm(dz):
            return max(float(nm.value(self.norm(dz[i * n:(i + 1) * n], u, u))) for i in range(3))

        z0 = _concat([self._start(t, u, h, i) for i in range(3)])
        z, ok, _ = newton(residual, z0, lu.solve, norm, self.newton_tol, maxiter=7, rate=self.rate,
                          stats=None, extra_sweep=not isinstance(nm.value(u), type(u)))
        if not ok:
            return None
        Z = [z[i * n:(i + 1) * n] for i in range(3)]
        u1 = u + Z[2]
        K = self._stage_derivatives(Z, h)
        E = self._error(u, u1, du0, Z, h)
        seg = RadauSegment.from_stages(t, h, u1, Z, c)
        self.pending = (seg, K[2])
        return u1, E, None, seg

    def _start(self, t: Any, u: Any, h: Any, i: int) -> Any:
        """Starting stage increments from the previous step's collocation polynomial."""
        if self.prev is None:
            return u * 0
        return self.prev(self.prev.theta(t + self.c[i] * h)) - u

    def _error(self, u, u1, du0, Z, h) -> float:
        hz = sum((Z[j] * (self.dd[j] / h) for j in range(1, 3)), Z[0] * (self.dd[0] / h))
        err = self.E1.solve(matmul(self.J[1], hz + du0))
        E = float(nm.value(self.norm(err, u, u1)))
        return E if is_finite_real(E) else float("inf")

    def accept(self, t_new: Any, u_new: Any, h: Any) -> None:
        if self.pending is not None:
            self.prev, self.du = self.pending
            self.pending = None

    def reject(self, h: Any, E: Any) -> None:
        self.pending = None


def _stage_matrix(B: np.ndarray, Jd: Any, Ju: Any) -> Any:
    """``B (x) dF/d(du) + I (x) dF/du`` for the 3 x 3 host matrix *B*: ``np.kron`` on the host, the
    same blocks (``B_ij Jd``, plus ``Ju`` on the diagonal) assembled in the Jacobians' namespace on a
    device (the array API has no ``kron``)."""
    if not is_foreign(Jd):
        if all(isinstance(J, np.ndarray) and J.dtype.kind in "fc" for J in (Jd, Ju)):
            B = B.astype(np.result_type(Jd.real.dtype, Ju.real.dtype), copy=False)  # float32 stays float32
        return np.kron(B, Jd) + np.kron(np.eye(3, dtype=B.dtype), Ju)
    rows = [_concat([Jd * float(B[i, j]) + (Ju if i == j else Ju * 0.0) for j in range(3)], axis=1) for i in range(3)]
    return _concat(rows)


def _concat(parts: list, axis: int = 0) -> Any:
    """``np.concatenate`` in the namespace of the parts (``xp.concat`` on a device)."""
    return join_any(np.concatenate, parts, axis=axis)


def _inverse3(A: list) -> list:
    """The inverse of a 3 x 3 matrix of any number type (cofactors; A is Radau's, well conditioned)."""
    (a, b, c), (d, e, f), (g, h, i) = A
    det = a * (e * i - f * h) - b * (d * i - f * g) + c * (d * h - e * g)
    cof = [[e * i - f * h, c * h - b * i, b * f - c * e],
           [f * g - d * i, a * i - c * g, c * d - a * f],
           [d * h - e * g, b * g - a * h, a * e - b * d]]
    return [[x / det for x in row] for row in cof]
