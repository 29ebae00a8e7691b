"""FBDF: variable-order (1-5), variable-step BDF in quasi-constant-step (difference array) form.

Algorithm: L. F. Shampine and M. W. Reichelt, "The MATLAB ODE Suite", SIAM J. Sci.
Comput. 18 (1997), section 2 (the quasi-constant step size BDF with backward differences
``D[j] = nabla^j u`` and the interpolation-based step change ``D <- (R U)^T D``); the same
scheme as scipy's ``BDF`` with ``kappa = 0`` (plain BDF). With ``gamma_k = sum_{j<=k} 1/j``
and ``c = h / gamma_k`` the corrector solves, for ``d = u_new - u_pred``::

    M (psi + d) = c f(t + h, u_pred + d),   psi = sum_{j=1..k} gamma_j D[j] / gamma_k

by the shared simplified Newton iteration (:mod:`solvers.ode.stiff.newton`) with ``W = M - c J``. ``W`` is refactorised only when ``c`` moved by
more than 30 % since the last factorisation (CVODE's rule), ``J`` is recomputed only when
Newton fails with an old ``J``. Error estimate ``d / (k + 1)``; the order is raised or lowered
after ``k + 1`` steps of equal size by comparing the estimates of orders ``k - 1, k, k + 1``.
Dense output is the interpolating polynomial through the last ``k + 1`` points.

The stepper picks the next step and order itself (``own_controller``): the loop passes the
step it proposed (clipped to stops), and a different ``h`` is absorbed by rescaling ``D``.
Nothing here names a number type: float arrays, object arrays of mpf, DualArray and
MeasurementArray states run through the same arithmetic; the iteration matrix is built from the
Jacobian's primal value (exact Newton for the tangents/perturbations once the primal converged,
and one extra iteration is taken for non-float states so those parts converge too).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import math

import numpy as np

from numeric.backend import device_of, is_float_array, is_numpy, matmul, namespace, reshape, to_host_float
from solvers._nm import is_finite_real, nm
from solvers.ode.stiff.linsolve import iteration_matrix
from solvers.ode.stiff.method import ReusingStepper, StiffMethod
from solvers.ode.stiff.newton import NewtonRate, newton

__all__ = ["FBDF", "FBDFStepper", "bdf_coefficients"]

MAX_ORDER = 5
NEWTON_MAXITER = 4
MIN_FACTOR, MAX_FACTOR = 0.2, 10.0
REFACTOR = 0.3  # refactorise W when |c / c_factored - 1| exceeds this


@dataclass
class FBDF(StiffMethod):
    """Variable-order (1 to ``max_order``), variable-step BDF with its own step/order control.

    With ``adaptive=False`` (fixed ``dt``) there are no error estimates to choose the order from,
    and every step is backward Euler (order 1).

    Examples
    --------
    >>> import numpy as np
    >>> from solvers import ODEProblem, solve
    >>> from solvers.ode.stiff import FBDF
    >>> sol = solve(ODEProblem(lambda u, p, t: -50 * (u - np.cos(t)), np.array([0.0]), (0.0, 1.0)),
    ...             FBDF(), rtol=1e-6, atol=1e-9)
    >>> exact = 2500 / 2501 * (np.cos(1) + np.sin(1) / 50 - np.exp(-50))
    >>> bool(abs(sol.u[-1][0] - exact) < 1e-5)
    True
    """

    max_order: int = MAX_ORDER
    name: str = field(default="FBDF", init=False)
    order: int = field(default=1, init=False)  # the starting order (initial step guess)
    own_controller: bool = field(default=True, init=False)

    def __post_init__(self) -> None:
        if not (isinstance(self.max_order, int) and 1 <= self.max_order <= MAX_ORDER):
            raise ValueError(f"FBDF: max_order must be an integer 1..{MAX_ORDER}, got {self.max_order!r}")

    def make_stepper(self, ctx: Any) -> "FBDFStepper":
        self.check_state(ctx.u0)
        return FBDFStepper(self, ctx)


def bdf_coefficients(one: Any) -> tuple:
    """``(gamma, err_const)`` in *one*'s type: ``gamma_k = sum_{j<=k} 1/j`` (``k = 0..MAX_ORDER + 1``)
    and the error constants ``1 / (k + 1)``.

    Examples
    --------
    >>> gamma, err = bdf_coefficients(1.0)
    >>> gamma[:3], err[:3]
    ([0.0, 1.0, 1.5], [1.0, 0.5, 0.3333333333333333])
    """
    gamma = [0 * one]
    for k in range(1, MAX_ORDER + 2):
        gamma.append(gamma[-1] + one / k)
    return gamma, [one / (k + 1) for k in range(MAX_ORDER + 2)]


def _r_matrix(order: int, factor: Any, one: Any) -> list:
    """Shampine–Reichelt's R(factor) (``(order + 1)^2``, as nested lists)."""
    M = [[one] * (order + 1)] + [[0 * one] + [(i - 1 - factor * j) / i for j in range(1, order + 1)]
                                 for i in range(1, order + 1)]
    R = [M[0][:]]
    for i in range(1, order + 1):
        R.append([R[-1][j] * M[i][j] for j in range(order + 1)])
    return R


def change_d(D: list, order: int, factor: Any, one: Any, plain: bool = False) -> list:
    """The differences for step ``factor * h`` from those for ``h``: ``D <- (R U)^T D``
    (``plain``: float arrays of any namespace, done as one matrix product in it)."""
    R, U = _r_matrix(order, factor, one), _r_matrix(order, one, one)
    n = order + 1
    if plain:
        RU = np.array(R, dtype=float) @ np.array(U, dtype=float)
        xp = namespace(D[0])
        if is_numpy(xp):
            return list((RU.T @ np.array(D[:n])).astype(D[0].dtype, copy=False)) + D[n:]  # float32 stays
        # a float array of another namespace: one product on its device ((n, n) @ (n, size))
        X = xp.asarray(RU.T.tolist(), dtype=D[0].dtype, device=device_of(D[0]))
        Y = X @ xp.stack([reshape(d, (-1,)) for d in D[:n]])
        return [reshape(Y[i, ...], D[0].shape) for i in range(n)] + D[n:]
    RU = [[sum(R[i][k] * U[k][j] for k in range(n)) for j in range(n)] for i in range(n)]
    new = []
    for i in range(n):
        acc = D[0] * RU[0][i]
        for k in range(1, n):
            acc = acc + D[k] * RU[k][i]
        new.append(acc)
    return new + D[n:]


class _Segment:
    """``u(t + theta h) = D0 + sum_j D[j+1] prod_{i<=j} (theta - 1 + i) / (i + 1)``."""

    def __init__(self, t, h, D, order):
        self.t, self.h, self.D, self.order = t, h, D, order

    def theta(self, t_abs: Any) -> Any:
        return (t_abs - self.t) / self.h

    def _terms(self, s):
        p, dp, out = 1, 0, []
        for j in range(self.order):
            x = (s - 1 + j) / (j + 1)
            p, dp = p * x, dp * x + p / (j + 1)
            out.append((p, dp))
        return out

    def __call__(self, s: Any) -> Any:
        y = self.D[0]
        for j, (p, _) in enumerate(self._terms(s)):
            y = y + self.D[j + 1] * p
        return y

    def derivative(self, s: Any) -> Any:
        y = self.D[1] * 0
        for j, (_, dp) in enumerate(self._terms(s)):
            y = y + self.D[j + 1] * dp
        return y / self.h


class FBDFStepper(ReusingStepper):
    """Stepper for :class:`FBDF` (stepper protocol with ``propose_dt``/``accept``/``reinit``).

    Subclass interface (what :class:`solvers.dae.bdf.DFBDFStepper` overrides to solve
    ``F(u', u, p, t) = 0`` with the same history, order and step control):

    ``_residual(t_new, y_pred, psi, d, c) -> r``
        The corrector equation's residual at the correction ``d = u_new - y_pred``, where
        ``psi`` is the history term and ``c = h / gamma_k``; FBDF's is ``c f(y_pred + d) -
        M (psi + d)``. Newton solves ``W delta = r`` and sets ``d <- d + delta``, so ``r`` must
        vanish at the solution and ``W`` approximate ``-dr/dd``.
    ``_matrix(t, y, c) -> None``
        Make ``self.W`` (an object with ``.solve``, e.g. from
        :func:`~solvers.ode.stiff.linsolve.iteration_matrix`) the iteration matrix for this
        ``c``; FBDF's is ``M - c J`` with ``J`` recomputed only when ``self.J`` is None (it is
        reset when Newton fails with an old ``J``) and refactorised when ``c`` moved by more than
        30 %. An override may set ``self.J`` to whatever its ``W`` is built from.

    Override ``make_stepper`` of an :class:`FBDF` subclass to return the subclassed stepper
    (tests/test_stiff_interfaces.py does this).
    """

    def __init__(self, alg: FBDF, ctx: Any):
        super().__init__(alg, ctx)
        one = self.one_real
        self.max_order = alg.max_order
        self.gamma, self.err_const = bdf_coefficients(one)
        v = nm.value(ctx.u0)
        # plain: a float array state of any namespace (NumPy, CuPy, array_api_strict); its norms
        # are one expression in that namespace and no extra Newton sweep is needed
        self.plain = is_float_array(ctx.u0)
        rt = float(np.max(nm.value(np.asarray(ctx.rtol, dtype=object)).astype(float)))
        eps = float(np.finfo(float).eps) if isinstance(ctx.u0, np.ndarray) and self.plain else float(nm.eps(v))
        self.newton_tol = max(10 * eps / rt, min(0.03, rt ** 0.5))
        self.atol, self.rtol = ctx.atol, ctx.rtol
        self.reinit(ctx.t0, ctx.u0)

    # -- protocol hooks -----------------------------------------------------------------------
    def reinit(self, t: Any, u: Any) -> None:
        """Restart at order 1 from (t, u): history, Jacobian and factorisation are dropped."""
        self.D, self.hD, self.order, self.n_equal = None, None, 1, 0
        self.J, self.J_current, self.W, self.c_W = None, False, None, None
        self.pending, self.rate = None, NewtonRate()

    def step(self, t: Any, u: Any, f0: Any, h: Any) -> tuple:
        if self.D is None:
            if f0 is None:
                f0 = self.f(u, self.p, t)
                self._count("nf")
            z = u * 0
            self.D = [u, f0 * h] + [z] * (MAX_ORDER + 1)
            self.hD, self.n_equal = h, 0
        elif h != self.hD:
            self.D = change_d(self.D, self.order, h / self.hD, self.one_real, self.plain)
            self.hD, self.n_equal = h, 0
        k, D = self.order, self.D
        t_new = t + h
        y_pred = D[0]
        for j in range(1, k + 1):
            y_pred = y_pred + D[j]
        psi = D[1] * (self.gamma[1] / self.gamma[k])
        for j in range(2, k + 1):
            psi = psi + D[j] * (self.gamma[j] / self.gamma[k])
        c = h / self.gamma[k]
        while True:
            res = self._newton(t_new, y_pred, psi, c)
            if res is not None:
                break
            if self.J_current:
                self.pending = ("fail",)
                return u, float("inf"), None, None
            self.J, self.W = None, None  # recompute J at the start of the step and retry
        y, d, n_iter = res
        E = self.norm(d * self.err_const[k], u, y)
        E = float(nm.value(E)) if is_finite_real(nm.value(E)) else float("inf")
        Dn = list(D)
        Dn[k + 2] = d - D[k + 1]
        Dn[k + 1] = d
        for i in reversed(range(k + 1)):
            Dn[i] = Dn[i] + Dn[i + 1]
        self.pending = ("ok", Dn, n_iter, E, y)
        return y, E, None, _Segment(t, h, Dn[:k + 1], k)

    def propose_dt(self, h: Any, E: Any, accepted: bool) -> Any:
        """The next step size (and order): Shampine–Reichelt's rules, with the Newton safety."""
        pend, self.pending = self.pending, None
        if pend is None or pend[0] == "fail":
            self.W = None
            return h * 0.5
        _, Dn, n_iter, E, _y = pend
        k = self.order
        safety = 0.9 * (2 * NEWTON_MAXITER + 1) / (2 * NEWTON_MAXITER + n_iter)
        if not accepted:
            return h * max(MIN_FACTOR, safety * max(E, 1e-10) ** (-1 / (k + 1)))
        self._commit(Dn)
        if self.n_equal < k + 1:
            return h
        scale_u = Dn[0]
        em = float(nm.value(self.norm(Dn[k] * self.err_const[k - 1], scale_u, scale_u))) if k > 1 else np.inf
        ep = (float(nm.value(self.norm(Dn[k + 2] * self.err_const[k + 1], scale_u, scale_u)))
              if k < self.max_order else np.inf)
        norms = [em, E, ep]
        with np.errstate(divide="ignore"):
            factors = [(x if x > 0 else 1e-300) ** (-1 / (k + i)) if np.isfinite(x) else 0.0
                       for i, x in enumerate(norms)]
        best = int(np.argmax(factors))
        self.order = k + best - 1
        self.n_equal = 0
        return h * min(MAX_FACTOR, safety * factors[best])

    def accept(self, t_new: Any, u_new: Any, h: Any) -> None:
        """Commit the history when the loop accepted without asking (fixed steps)."""
        if self.pending is not None and self.pending[0] == "ok":
            self._commit(self.pending[1])
            self.pending = None

    def reject(self, h: Any, E: Any) -> None:
        self.pending = None

    # -- internals ----------------------------------------------------------------------------
    def _commit(self, Dn: list) -> None:
        self.D = Dn
        self.n_equal += 1
        self.J_current = False

    def _matrix(self, t: Any, y: Any, c: Any) -> None:
        if self.J is None:
            self.J = nm.value(self.jac(y, self.p, t))
            self.J_current = True
            self._count("njac")
            self.W = None
        if self.W is None or abs(float(nm.value(c / self.c_W)) - 1) > REFACTOR:
            self.W = iteration_matrix(self.M, self.J, 1, c, self.stats)
            self.c_W = c

    def _newton(self, t_new: Any, y_pred: Any, psi: Any, c: Any):
        """``(y, d, iterations)``, or None when the iteration did not converge: the shared simplified
        Newton (:func:`~solvers.ode.stiff.newton.newton`) on ``d``, with ``W`` factorised once."""
        try:
            self._matrix(t_new, y_pred, c)
            # eta = inf: the first correction is never accepted before a contraction rate is measured
            # (scipy's BDF rule; the error estimate is d itself, so d must have converged)
            d, ok, it = newton(lambda d: self._residual(t_new, y_pred, psi, d, c), y_pred * 0, self.W.solve,
                               self._newton_norm(y_pred), self.newton_tol, maxiter=NEWTON_MAXITER,
                               rate=NewtonRate(eta=math.inf), stats=self.stats, extra_sweep=not self.plain,
                               predict_failure=self.adaptive)
        except (np.linalg.LinAlgError, ZeroDivisionError):
            return None
        return (y_pred + d, d, it) if ok else None

    def _newton_norm(self, y: Any) -> Any:
        """The scaled RMS norm of a correction (float states: one NumPy expression)."""
        if not self.plain:
            return lambda dy: self.norm(dy, y, y)
        xp = namespace(y)
        scale, n = self.atol + self.rtol * xp.abs(y), math.prod(y.shape)
        if not is_numpy(xp):        # on the state's device: one transfer per Newton iteration
            return lambda dy: math.sqrt(to_host_float(xp.sum((dy / scale) ** 2)) / n)

        def rms(dy: Any) -> float:
            r = dy / scale
            return math.sqrt(float(np.dot(r, r)) / n)
        return rms

    def _residual(self, t_new: Any, y_pred: Any, psi: Any, d: Any, c: Any) -> Any:
        """``c f(y_pred + d) - M (psi + d)`` (the corrector equation's residual)."""
        fy = self.f(y_pred + d, self.p, t_new)
        self._count("nf")
        r = psi + d
        return fy * c - (r if self.M is None else matmul(self.M, r))

