"""RadauIIA5: the 3-stage Radau IIA collocation method of order 5 (Hairer–Wanner's RADAU5).

Source: E. Hairer and G. Wanner, *Solving Ordinary Differential Equations II*, 2nd ed.,
section IV.8 and their code ``radau5.f``: the coefficients (exact ``sqrt 6`` expressions),
the embedded error estimate (8.19)-(8.20) with its second, "filtered" evaluation after a
rejected or first step, the dense output from the collocation polynomial (``CONT``) and the
starting values of the stage iteration extrapolated from the previous step's polynomial.

The stage system ``M z_i = h sum_j a_ij f(t + c_j h, u + z_j)`` is solved by the shared simplified
Newton iteration (:mod:`solvers.ode.stiff.newton`) with the matrix ``I_3 (x) M - h A (x) J``: for float states through HW's real/complex
eigen-decomposition of ``A^-1`` (one real and one complex ``n x n`` LU; ``T`` computed by NumPy's
eig, not copied), for other number types as the straightforward ``3n x 3n`` system. ``J`` is kept across steps while Newton
converges fast (contraction < ``THETA_JAC``) and the matrix is refactorised when ``h`` moved by more
than 20 % since the last factorisation. The coefficients are evaluated in the state's real type
(``mpf`` runs at its precision). The stepper picks its steps (``own_controller``): HW's
controller on the ``O(h^4)`` estimate with the Newton-iteration safety factor, Gustafsson's
predictive step on accepted steps, and ``h`` held when it would grow by less than 20 %.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import math

import numpy as np

from numeric.backend import device_of, dtype_kind, is_float_array, is_foreign, is_numpy, matmul, namespace, to_host_float
from solvers._nm import is_finite_real, nm
from solvers.ode.stiff.linsolve import factorize, is_sparse, iteration_matrix
from solvers.ode.stiff.method import ReusingStepper, StiffMethod
from solvers.ode.stiff.newton import NewtonRate, newton

__all__ = ["RadauIIA5", "RadauSegment", "radau_coefficients", "radau_eigen"]

NEWTON_MAXITER = 7
THETA_JAC = 0.1  # a Newton contraction slower than this asks for a fresh Jacobian next step: HW's
# THET, whose default 1e-3 they advise raising to 0.1 when Jacobians are costly; a forward-mode J
# costs several f evaluations (ROBER, HIRES, Van der Pol, Pollution: 2-10x fewer Jacobians for
# 10-40 % more f evaluations, errors within the tolerance either way)


def radau_coefficients(one: Any) -> dict:
    """Nodes ``c``, matrix ``A``, error weights ``dd`` and ``gamma`` (real eigenvalue of A^-1)."""
    s6 = nm.sqrt(6 * one)
    c = [(4 - s6) / 10, (4 + s6) / 10, one]
    A = [[(88 - 7 * s6) / 360, (296 - 169 * s6) / 1800, (-2 + 3 * s6) / 225],
         [(296 + 169 * s6) / 1800, (88 + 7 * s6) / 360, (-2 - 3 * s6) / 225],
         [(16 - s6) / 36, (16 + s6) / 36, one / 9]]
    dd = [-(13 + 7 * s6) / 3, (-13 + 7 * s6) / 3, -one / 3]
    third = one / 3
    u1 = (6 + (81 * one) ** third - (9 * one) ** third) / 30
    return {"c": c, "A": A, "dd": dd, "gamma": 1 / u1}


def radau_eigen(Af: np.ndarray) -> tuple:
    """``((gamma, lam), T, Lambda T^-1)`` with ``A^-1 = T diag(gamma, lam, conj lam) T^-1`` (float
    ``A``; NumPy's eig): what splits the ``3n`` stage system into a real and a complex ``n x n`` one."""
    lam, V = np.linalg.eig(np.linalg.inv(Af))
    kr, kc = int(np.argmin(np.abs(lam.imag))), int(np.argmax(lam.imag))
    T = np.column_stack([V[:, kr].real, V[:, kc], V[:, kc].conj()])
    return (lam[kr].real, lam[kc]), T, np.diag([lam[kr], lam[kc], lam[kc].conj()]) @ np.linalg.inv(T)


def _dense_or_sparse(J: Any) -> Any:
    """The Jacobian as a dense array or a ``scipy.sparse`` matrix (both are factorised)."""
    if getattr(J, "is_jacobian_operator", False):
        raise ValueError("RadauIIA5 factorises its iteration matrices, so linsolve='gmres' does not "
                         "apply to it; use FBDF, Rodas4 or Rosenbrock23 for Jacobian-free Newton-Krylov")
    return J if is_sparse(J) or is_foreign(J) else np.asarray(J)   # a device array stays there


def _is_float(x: Any) -> bool:
    """A float64 array or matrix of any namespace (dense or ``scipy.sparse``)."""
    return x.dtype == float if isinstance(x, np.ndarray) or is_sparse(x) else (
        is_float_array(x) and dtype_kind(x.dtype) == "f" and x.dtype == namespace(x).float64)


@dataclass
class RadauIIA5(StiffMethod):
    """Fifth-order L-stable implicit Runge–Kutta (Radau IIA, 3 stages), HW's RADAU5.

    Examples
    --------
    >>> import numpy as np
    >>> from solvers import ODEProblem, solve
    >>> from solvers.ode.stiff import RadauIIA5
    >>> sol = solve(ODEProblem(lambda u, p, t: -50 * (u - np.cos(t)), np.array([0.0]), (0.0, 1.0)),
    ...             RadauIIA5(), rtol=1e-8, atol=1e-10)
    >>> exact = 2500 / 2501 * (np.cos(1) + np.sin(1) / 50 - np.exp(-50))
    >>> bool(abs(sol.u[-1][0] - exact) < 1e-7)
    True
    """

    name: str = field(default="RadauIIA5", init=False)
    order: int = field(default=5, init=False)
    error_order: int = field(default=3, init=False)
    own_controller: bool = field(default=True, init=False)

    def make_stepper(self, ctx: Any) -> "RadauStepper":
        self.check_state(ctx.u0)
        if np.ndim(ctx.u0) != 1:
            raise TypeError("RadauIIA5 needs a 1-D state vector: pass u0.ravel() and reshape in f")
        return RadauStepper(self, ctx)


class _Stages(tuple):
    """The three stage vectors as one Newton unknown (``+`` adds stage by stage)."""

    def __add__(self, other: Any) -> "_Stages":
        return _Stages(a + b for a, b in zip(self, other))


class RadauSegment:
    """The collocation polynomial through ``u`` and ``u + z_i`` at ``c_i`` (HW's CONT): the dense
    output of one RadauIIA5 step, shared by :class:`RadauIIA5` and the DAE method
    :class:`solvers.dae.radau.DRadauIIA5`. Build it with :meth:`from_stages`.

    Examples
    --------
    >>> import numpy as np
    >>> from solvers.ode.stiff.radau import RadauSegment, radau_coefficients
    >>> c = radau_coefficients(1.0)["c"]
    >>> Z = [np.array([ci]) for ci in c]          # z_i = c_i: the line u(theta) = u + theta
    >>> seg = RadauSegment.from_stages(0.0, 1.0, np.array([1.0]), Z, c)
    >>> float(seg(0.5)[0]), float(seg.derivative(0.5)[0])
    (0.5, 1.0)
    """

    def __init__(self, t, h, u1, c1, c2, c3, q1, q2):
        self.t, self.h, self.u1, self.c1, self.c2, self.c3, self.q1, self.q2 = t, h, u1, c1, c2, c3, q1, q2

    @classmethod
    def from_stages(cls, t: Any, h: Any, u1: Any, Z: list, c: list) -> "RadauSegment":
        """The segment of the step from *t* of size *h* ending at *u1*, stages ``Z_i = u(t + c_i h) - u``."""
        c1, c2 = c[0], c[1]
        q1, q2 = c1 - 1, c2 - 1
        a = (Z[1] - Z[2]) / q2
        ak = (Z[0] - Z[1]) / (c1 - c2)
        a3 = (ak - Z[0] / c1) / c2
        b = (ak - a) / q1
        return cls(t, h, u1, a, b, b - a3, q1, q2)

    def theta(self, t_abs: Any) -> Any:
        return (t_abs - self.t) / self.h

    def __call__(self, theta: Any) -> Any:
        s = theta - 1
        return self.u1 + (self.c1 + (self.c2 + self.c3 * (s - self.q1)) * (s - self.q2)) * s

    def derivative(self, theta: Any) -> Any:
        s = theta - 1
        inner = self.c2 + self.c3 * (s - self.q1)
        d = self.c1 + inner * (s - self.q2) + (inner + self.c3 * (s - self.q2)) * s
        return d / self.h


class RadauStepper(ReusingStepper):
    """Stepper for :class:`RadauIIA5` (stepper protocol; the loop's controller picks h)."""

    def __init__(self, alg: RadauIIA5, ctx: Any):
        super().__init__(alg, ctx)
        one = self.one_real
        co = radau_coefficients(one)
        self.c, self.A, self.dd, self.gam = co["c"], co["A"], co["dd"], co["gamma"]
        self.Af = np.array([[float(nm.value(x)) for x in row] for row in self.A])
        v = nm.value(ctx.u0)
        # plain: a float array state of any namespace: the eigen-split solve and one-expression norms
        self.plain = is_float_array(ctx.u0)
        rt = float(np.max(nm.value(np.asarray(ctx.rtol, dtype=object)).astype(float)))
        eps = float(np.finfo(float).eps) if isinstance(ctx.u0, np.ndarray) and self.plain else float(nm.eps(v))
        self.newton_tol = max(10 * eps / rt, min(0.03, rt ** 0.5))
        self.atol, self.rtol = ctx.atol, ctx.rtol
        self.eig, self.eig_T = None, None
        self.reinit(ctx.t0, ctx.u0)

    def reinit(self, t: Any, u: Any) -> None:
        """Forget the Jacobian, the factorisations and the previous polynomial."""
        self.J, self.W, self.E1, self.hW, self.prev, self.first = None, None, None, None, None, True
        self.rate, self.theta_last = NewtonRate(), 1.0
        self.nit, self.hacc, self.erracc = 1, None, 1e-2

    def reject(self, h: Any, E: Any) -> None:
        self.first = True  # HW: the filtered estimate is also used right after a rejection

    def propose_dt(self, h: Any, E: Any, accepted: bool) -> Any:
        """HW's RADAU5 step control: Newton-aware safety, Gustafsson's predictive controller on
        accepted steps, and the step held when the change would be under 20 % (no refactorisation)."""
        if E is None or not np.isfinite(float(E)):
            return h * 0.5
        err = max(float(E), 1e-10)
        fac = min(0.9, 0.9 * (1 + 2 * NEWTON_MAXITER) / (self.nit + 2 * NEWTON_MAXITER))
        quot = max(1 / 8, min(5.0, err ** 0.25 / fac))  # h_new = h / quot, in [h / 5, 8 h]
        if not accepted:
            return h / quot
        if self.hacc is not None:
            gus = (self.hacc / h) * (err * err / self.erracc) ** 0.25 / 0.9
            quot = max(quot, max(1 / 8, min(5.0, gus)))
        self.hacc, self.erracc = h, max(1e-2, err)
        hnew = h / quot
        if self.theta_last <= 1e-3 and 1.0 <= hnew / h <= 1.2:
            return h
        return hnew

    def step(self, t: Any, u: Any, f0: Any, h: Any) -> tuple:
        if f0 is None:
            f0 = self.f(u, self.p, t)
            self._count("nf")
        try:
            self._matrices(t, u, h)
        except (np.linalg.LinAlgError, ZeroDivisionError):
            return u, float("inf"), None, None
        Z = self._newton(t, u, h)
        if Z is None and not self.J_fresh:
            self.J = None
            self._matrices(t, u, h)
            Z = self._newton(t, u, h)
        if Z is None:
            return u, float("inf"), None, None
        u1 = u + Z[2]
        E = self._error(t, u, u1, f0, Z, h)
        seg = self._segment(t, h, u1, Z)
        self.prev = seg
        return u1, E, None, seg

    def accept(self, t_new: Any, u_new: Any, h: Any) -> None:
        self.first = False
        if self.theta_last > THETA_JAC:  # slow Newton: a fresh Jacobian for the next step
            self.J = None

    # -- internals ----------------------------------------------------------------------------
    def _matrices(self, t: Any, u: Any, h: Any) -> None:
        self.J_fresh = False
        if self.J is None:
            self.J = _dense_or_sparse(nm.value(self.jac(u, self.p, t)))
            self._count("njac")
            self.J_fresh, self.W = True, None
        if self.W is None or abs(float(nm.value(h / self.hW)) - 1) > 0.2:
            J, n = self.J, np.shape(self.J)[0]
            if self.plain and _is_float(J) and (self.M is None or _is_float(self.M)):
                return self._eig_matrices(J, h)
            if is_foreign(J):
                raise TypeError("RadauIIA5 with a state that carries derivatives or uncertainties on a device: "
                                "its 3n x 3n system is assembled by NumPy's kron on the host; use FBDF, Rodas4 or "
                                "KenCarp4 there (or NumPy arrays)")
            J = J.toarray() if is_sparse(J) else J  # the 3n system of other number types is dense
            M = np.eye(n, dtype=J.dtype if J.dtype.kind in "fc" else float) if self.M is None else self.M
            self.eig = None
            obj = J.dtype == object or M.dtype == object
            # float32 stays float32: the coefficients in the matrices' precision
            Af = np.array(self.A, dtype=object) if obj else self.Af.astype(np.result_type(J.dtype, M.dtype))
            hv = h if obj else float(nm.value(h))
            big = np.kron(np.eye(3, dtype=Af.dtype), M) - np.kron(Af * hv, J)
            self.W = factorize(big, self.stats)
            self.E1 = factorize(M * (self.gam / hv) - J, self.stats)
            self.hW = h

    def _eig_matrices(self, J: Any, h: Any) -> None:
        """Float path (HW IV.8): with ``A^-1 = T diag(gamma, lam, conj lam) T^-1`` the 3n system
        splits into one real ``(gamma/h M - J)`` and one complex ``(lam/h M - J)`` n x n system."""
        if self.eig_T is None:
            self.eig_lam, self.eig_T, self.eig_LTi = radau_eigen(self.Af)
        hv = float(nm.value(h))
        self.E1 = iteration_matrix(self.M, J, self.gam / hv, 1, self.stats)
        self.E2 = iteration_matrix(self.M, J, complex(self.eig_lam[1]) / hv, 1, self.stats)  # a Python
        # complex: array-API arrays take Python scalars only
        self.W, self.hW = "eig", h
        self.eig = True

    def _eig_solve(self, G: list) -> list:
        xp = namespace(G[0])
        if not is_numpy(xp):
            return self._eig_solve_xp(xp, G)
        H = (self.eig_LTi @ np.array(G)) / float(nm.value(self.hW))
        w1, w2 = self.E1.solve(H[0].real), self.E2.solve(H[1])
        dZ = (self.eig_T @ np.array([w1, w2, w2.conj()])).real.astype(G[0].dtype, copy=False)  # float32 stays
        return [dZ[0], dZ[1], dZ[2]]

    def _eig_solve_xp(self, xp: Any, G: list) -> list:
        """:meth:`_eig_solve` on a float array of another namespace: the 3 x 3 transforms as
        complex matrices on the state's device (made once), stage vectors as rows."""
        if getattr(self, "_eig_dev", None) is None:
            put = lambda a: xp.asarray(np.asarray(a, dtype=complex).tolist(), dtype=xp.complex128,  # noqa: E731
                                       device=device_of(G[0]))
            self._eig_dev = (put(self.eig_LTi), put(self.eig_T))
        LTi, T = self._eig_dev
        H = (LTi @ xp.astype(xp.stack(G), xp.complex128)) / float(nm.value(self.hW))
        w1, w2 = self.E1.solve(xp.real(H[0, ...])), self.E2.solve(H[1, ...])
        dZ = xp.real(T @ xp.stack([xp.astype(w1, xp.complex128), w2, xp.conj(w2)]))
        return [dZ[0, ...], dZ[1, ...], dZ[2, ...]]

    def _start(self, t: Any, u: Any, h: Any) -> list:
        seg = self.prev
        if seg is None or self.first:
            z = u * 0
            return [z, z, z]
        r = h / seg.h
        return [seg(1 + ci * r) - u for ci in self.c]

    def _residual(self, t: Any, u: Any, h: Any, Z: list) -> list:
        """``h sum_j a_ij f(t + c_j h, u + z_j) - M z_i`` for the three stages."""
        F = [self.f(u + Z[j], self.p, t + self.c[j] * h) for j in range(3)]
        self._count("nf", 3)
        return [sum((F[j] * (self.A[i][j] * h) for j in range(1, 3)), F[0] * (self.A[i][0] * h))
                - (Z[i] if self.M is None else matmul(self.M, Z[i])) for i in range(3)]

    def _solve(self, G: list) -> "_Stages":
        """The stage correction from the residuals: eigen-split float systems or the 3n system."""
        if self.eig and is_float_array(G[0]):   # a float32 state with a float64 (user) Jacobian too
            return _Stages(self._eig_solve(G))
        n = np.shape(G[0])[0]
        dZ = self.W.solve(np.concatenate(G))
        return _Stages(dZ[i * n:(i + 1) * n] for i in range(3))

    def _newton_norm(self, u: Any) -> Any:
        """RMS of the scaled stage corrections (float states: one NumPy expression)."""
        if not self.plain:
            return lambda dZ: (sum(self.norm(dz, u, u) ** 2 for dz in dZ) / 3) ** 0.5
        xp = namespace(u)
        if not is_numpy(xp):        # on the state's device: one transfer per Newton iteration
            s1 = self.atol + self.rtol * xp.abs(u)
            n3 = 3 * math.prod(u.shape)
            return lambda dZ: math.sqrt(to_host_float(sum(xp.sum((dz / s1) ** 2) for dz in dZ)) / n3)
        scale = np.tile(self.atol + self.rtol * np.abs(u), 3)

        def rms(dZ: list) -> float:
            r = np.concatenate(dZ) / scale
            return math.sqrt(float(np.dot(r, r)) / r.size)
        return rms

    def _newton(self, t: Any, u: Any, h: Any):
        """The stages by the shared simplified Newton iteration, or None when it failed."""
        Z, ok, self.nit = newton(lambda Z: self._residual(t, u, h, Z), _Stages(self._start(t, u, h)),
                                 self._solve, self._newton_norm(u), self.newton_tol, maxiter=NEWTON_MAXITER,
                                 rate=self.rate, stats=self.stats, extra_sweep=not self.plain,
                                 predict_failure=self.adaptive)
        self.theta_last = self.rate.theta
        return Z if ok else None

    def _error(self, t: Any, u: Any, u1: Any, f0: Any, Z: list, h: Any) -> Any:
        hz = sum((Z[j] * (self.dd[j] / h) for j in range(1, 3)), Z[0] * (self.dd[0] / h))
        F2 = hz if self.M is None else matmul(self.M, hz)
        err = self.E1.solve(F2 + f0) * (self.hW / h)
        E = float(nm.value(self.norm(err, u, u1)))
        if E >= 1 and self.first:
            g = self.f(u + err, self.p, t)
            self._count("nf")
            err = self.E1.solve(F2 + g) * (self.hW / h)
            E = float(nm.value(self.norm(err, u, u1)))
        return E if is_finite_real(E) else float("inf")

    def _segment(self, t: Any, h: Any, u1: Any, Z: list) -> RadauSegment:
        return RadauSegment.from_stages(t, h, u1, Z, self.c)
