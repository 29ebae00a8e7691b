"""ESDIRK methods (explicit first stage, singly diagonally implicit) with a stage Newton iteration:
KenCarp4 (implicit part), Kvaerno5, and the stepper TRBDF2 (:mod:`solvers.ode.stiff.trbdf2`) uses.

Sources (coefficients copied from OrdinaryDiffEq.jl's ``KenCarp4Tableau`` / ``Kvaerno5Tableau``,
OrdinaryDiffEqSDIRK ``sdirk_tableaus.jl``):

* KenCarp4: C. A. Kennedy and M. H. Carpenter, "Additive Runge–Kutta schemes for
  convection–diffusion–reaction equations", Appl. Numer. Math. 44 (2003) 139-181, the
  ARK4(3)6L[2]SA implicit tableau (exact rationals; ``gamma = 1/4``); order 4, embedded 3.
* Kvaerno5: A. Kværnø, "Singly diagonally implicit Runge–Kutta methods with an explicit first
  stage", BIT 44 (2004) 489-502, the 7-stage method of order 5 with embedded order 4
  (``gamma = 0.26``; 17-digit decimals).

Both are stiffly accurate (``u_new`` is the last stage) and L-stable. A step, with ``k_1 = u'(t)``::

    for i = 2..s:   M y_i = h gamma f(t + c_i h, base_i + y_i),  base_i = u + h sum_{j<i} a_ij k_j
                    k_i = y_i / (h gamma)
    u_new = base_s + y_s,   err = h sum_j btilde_j k_j   (filtered: W^-1 M err, Hosea–Shampine)

Each stage equation is solved by :func:`solvers.ode.stiff.newton.newton` with
``W = M - h gamma J`` (formed by :func:`~solvers.ode.stiff.linsolve.iteration_matrix`, so a sparse
``J`` gives a sparse LU and ``linsolve="gmres"`` a Krylov solve). Jacobian reuse (Hairer–Wanner
IV.8): ``J`` is kept across steps and recomputed only after a Newton failure with a stale ``J``
or after a step whose Newton contraction was slow (``theta > THETA_JAC``); ``W`` is refactorised
when ``h gamma`` moved by more than ``REFACTOR`` (20 %) since the last factorisation. Counters:
``njac, nfactor, nsolve, nnewton``. With a mass matrix, ``k_i`` comes from ``y_i`` (no solve
with ``M``); the first-stage slope solves ``M k = f`` with the all-zero (algebraic) rows of ``M``
replaced by those of ``J`` (the differentiated constraint of an index-1 DAE), so a singular ``M``
works. The dense output is the cubic Hermite interpolant of ``u, k_1, u_new, k_s`` (order 3):
between the steps it is less accurate than the steps themselves, which are sized for order 4 or 5.
On ROBER at rtol 1e-6 KenCarp4 and Kvaerno5 are 15 and 38 tolerances off at mid-step (2 at the
steps), the same as a cubic Hermite through the exact solution at the same step ends (16, 39):
the interpolant's order, not a bug (tests/test_stiff_interfaces.py). For accurate values between
the steps use ``saveat`` (these methods land on the save times only through the interpolant too)
with a tighter ``rtol``, or a Rosenbrock method (Rodas5P's dense output is of order 4).

Vector states that are not arrays (a ``Fun``; ``nm.is_vector_state``) are accepted with
``linsolve="gmres"``: the stage equations are solved by Newton–Krylov, ``J v`` being ``nm.jvp`` at
the Fun (a dual direction through the Fun's coefficients) and GMRES working in ``nm.inner`` (the
L2 inner product), so ``u' = u.diff(2)`` on a Fourier Fun is an implicit spectral heat solver
(tests/test_fun_stiff.py). Only these methods (KenCarp4, Kvaerno5, TRBDF2) take such a state:
Rosenbrock methods, FBDF and RadauIIA5 build their stage or history algebra on array
indexing and refuse it with a clear error. Without a mass matrix only (``M`` is a matrix).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np

from numeric.backend import add, matmul, namespace
from solvers._nm import is_finite_real, nm
from solvers.ode.stiff.linsolve import factorize, is_sparse, iteration_matrix
from solvers.ode.stiff.method import ReusingStepper, StiffMethod
from solvers.ode.stiff.newton import NewtonRate, newton

__all__ = ["ESDIRKTableau", "ESDIRKStepper", "KenCarp4", "Kvaerno5", "KENCARP4", "KVAERNO5"]

THETA_JAC = 0.2  # a Newton contraction slower than this asks for a fresh Jacobian next step
REFACTOR = 0.2  # refactorise W when h gamma changed by more than this fraction


@dataclass(frozen=True)
class ESDIRKTableau:
    """Stage rows ``A[i]`` (entries ``j < i``; the diagonal is ``gamma``, stage 1 explicit),
    nodes ``c`` and the error weights ``btilde`` (embedded minus propagated), as exact fractions."""

    name: str
    gamma: Fraction
    A: tuple
    c: tuple
    btilde: tuple

    def coefficients(self, one: Any) -> dict:
        """The tableau in the state's real type (``one``: 1.0, ``mpf(1)``, ...)."""
        cv = float if isinstance(one, float) else (lambda q: (one * q.numerator) / (one * q.denominator))
        return {"gamma": cv(self.gamma), "A": [[cv(q) for q in row] for row in self.A],
                "c": [cv(q) for q in self.c], "btilde": [cv(q) for q in self.btilde]}


def _q(*xs: str) -> tuple:
    return tuple(Fraction(x) for x in xs)


KENCARP4 = ESDIRKTableau(
    name="KenCarp4", gamma=Fraction(1, 4),
    A=((), _q("1/4"), _q("8611/62500", "-1743/31250"),
       _q("5012029/34652500", "-654441/2922500", "174375/388108"),
       _q("15267082809/155376265600", "-71443401/120774400", "730878875/902184768", "2285395/8070912"),
       _q("82889/524892", "0", "15625/83664", "69875/102672", "-2260/8211")),
    c=_q("0", "1/2", "83/250", "31/50", "17/20", "1"),
    btilde=_q("-31666707/9881966720", "0", "256875/105007616", "2768025/128864768", "-169839/3864644",
              "5247/225920"),
)  # fmt: skip

KVAERNO5 = ESDIRKTableau(
    name="Kvaerno5", gamma=Fraction("0.26"),
    A=((), _q("0.26"), _q("0.13", "0.84033320996790809"),
       _q("0.22371961478320505", "0.47675532319799699", "-0.06470895363112615"),
       _q("0.16648564323248321", "0.10450018841591720", "0.03631482272098715", "-0.13090704451073998"),
       _q("0.13855640231268224", "0", "-0.04245337201752043", "0.02446657898003141", "0.61943039072480676"),
       _q("0.13659751177640291", "0", "-0.05496908796538376", "-0.04118626728321046", "0.62993304899016403",
          "0.06962479448202728")),
    c=_q("0", "0.52", "1.230333209967908", "0.895765984350076", "0.436393609858648", "1", "1"),
    btilde=_q("0.00195889053627933", "0", "0.01251571594786333", "0.06565284626324187",
              "-0.01050265826535727", "0.19037520551797272", "-0.26"),
)  # fmt: skip


class HermiteSegment:
    """Cubic Hermite interpolant on ``[t, t + h]`` from ``u, u', u1, u1'``."""

    def __init__(self, t, h, u, k0, u1, k1):
        self.t, self.h, self.u, self.k0, self.u1, self.k1 = t, h, u, k0, u1, k1

    def theta(self, t_abs: Any) -> Any:
        return (t_abs - self.t) / self.h

    def __call__(self, s: Any) -> Any:
        d = self.u1 - self.u
        return self.u + (self.k0 * self.h) * s + (d * 3 - (self.k0 * 2 + self.k1) * self.h) * (s * s) \
            + ((self.k0 + self.k1) * self.h - d * 2) * (s * s * s)

    def derivative(self, s: Any) -> Any:
        d = (self.u1 - self.u) / self.h
        return self.k0 + (d * 3 - self.k0 * 2 - self.k1) * (2 * s) + (self.k0 + self.k1 - d * 2) * (3 * s * s)


@dataclass
class ESDIRKMethod(StiffMethod):
    """Shared options: ``newton_kappa`` (Newton stops at ``kappa`` times the error tolerance),
    ``newton_maxiter`` and ``smooth_est`` (filter the error estimate through ``W^-1``)."""

    newton_kappa: float = 0.01
    newton_maxiter: int = 10
    smooth_est: bool = True

    accepts_vector_state: bool = field(default=True, init=False)

    def make_stepper(self, ctx: Any) -> "ESDIRKStepper":
        self.check_state(ctx.u0, getattr(ctx, "options", None))
        return ESDIRKStepper(self, ctx)

    def coefficients(self, one: Any) -> dict:
        return self.tableau.coefficients(one)


@dataclass
class KenCarp4(ESDIRKMethod):
    """Kennedy–Carpenter's ESDIRK4(3)6L[2]SA (the implicit part of KenCarp4): L-stable,
    stiffly accurate, order 4 with an embedded order-3 estimate; exact rational coefficients.

    Examples
    --------
    >>> import numpy as np
    >>> from solvers import ODEProblem, solve
    >>> sol = solve(ODEProblem(lambda u, p, t: -50 * (u - np.cos(t)), np.array([0.0]), (0.0, 1.0)),
    ...             KenCarp4(), rtol=1e-8, atol=1e-10)
    >>> exact = 2500 / 2501 * (np.cos(1) + np.sin(1) / 50 - np.exp(-50))
    >>> bool(abs(sol.u[-1][0] - exact) < 1e-7)
    True
    """

    name: str = field(default="KenCarp4", init=False)
    order: int = field(default=4, init=False)
    error_order: int = field(default=3, init=False)
    tableau = KENCARP4


@dataclass
class Kvaerno5(ESDIRKMethod):
    """Kværnø's 7-stage ESDIRK of order 5 (embedded 4), L-stable and stiffly accurate.

    Examples
    --------
    >>> Kvaerno5().order
    5
    """

    name: str = field(default="Kvaerno5", init=False)
    order: int = field(default=5, init=False)
    error_order: int = field(default=4, init=False)
    tableau = KVAERNO5


def initial_slope(M: Any, J: Any, f0: Any) -> Any:
    """``u'`` at a point where ``M u' = f0``: the all-zero rows of ``M`` (algebraic equations) are
    replaced by the corresponding rows of ``J`` with a zero right-hand side (``d/dt g = 0``).

    The rows are chosen by 0/1 masks in ``M``'s namespace (``J a + M (1 - a)``, exact), so the same
    lines run on the host and on a device, and a derivative-carrying ``J`` (a ``DualArray``) keeps
    its partials.

    >>> import numpy as np
    >>> initial_slope(np.diag([1.0, 0.0]), np.array([[-1.0, 0.0], [1.0, 1.0]]), np.array([-1.0, 0.0])).tolist()
    [-1.0, 1.0]
    """
    xp = namespace(M)
    J = J.toarray() if is_sparse(J) else J
    alg = xp.astype(~xp.any(M != 0, axis=1), M.dtype)                 # 1 on the algebraic rows
    A = add(M * (1 - alg)[:, None], J * alg[:, None])
    return factorize(A).solve(f0 * (1 - alg))


class ESDIRKStepper(ReusingStepper):
    """Stepper for an ESDIRK tableau (stepper protocol; the loop's controller picks h)."""

    def __init__(self, alg: ESDIRKMethod, ctx: Any):
        super().__init__(alg, ctx)
        one = self.one_real
        co = alg.coefficients(one)
        self.gamma, self.A, self.c, self.btilde = co["gamma"], co["A"], co["c"], co["btilde"]
        self.kappa, self.maxiter, self.smooth = alg.newton_kappa, alg.newton_maxiter, alg.smooth_est
        v = nm.value(ctx.u0)
        self.plain = isinstance(ctx.u0, np.ndarray) and ctx.u0.dtype.kind == "f"
        self.tangent = nm.value(ctx.u0) is not ctx.u0  # carries derivatives/uncertainties (or mpf)
        self.one_value = v
        self.rate = NewtonRate()
        self.reinit(ctx.t0, ctx.u0)

    def reinit(self, t: Any, u: Any) -> None:
        """Forget the Jacobian and the factorisation (a callback changed ``u`` or ``p``)."""
        self.J, self.W, self.hg_W, self.J_fresh = None, None, None, False
        self.rate = NewtonRate()

    def accept(self, t_new: Any, u_new: Any, h: Any) -> None:
        if self.rate.theta > THETA_JAC:  # slow contraction: a fresh Jacobian for the next step
            self.J = None

    def _matrices(self, t: Any, u: Any, hg: Any) -> None:
        self.J_fresh = False
        if self.J is None:
            self.J = self.jac(u, self.p, t)
            self._count("njac")
            self.J_fresh, self.W = True, None
        if self.W is None or abs(float(nm.value(hg / self.hg_W)) - 1) > REFACTOR:
            self.W = iteration_matrix(self.M, self.J, 1, hg, self.stats)
            self.hg_W = hg

    def step(self, t: Any, u: Any, f0: Any, h: Any) -> tuple:
        if f0 is None:
            f0 = self.f(u, self.p, t)
            self._count("nf")
        hg = h * self.gamma
        for _ in range(2):
            try:
                self._matrices(t, u, hg)
                ks = self._stages(t, u, f0, h, hg)
            except (np.linalg.LinAlgError, ZeroDivisionError):
                return u, float("inf"), None, None
            if ks is not None or self.J_fresh:
                break
            self.J = None  # Newton failed with a stale Jacobian: retry once with a fresh one
        if ks is None:
            self.W = None
            return u, float("inf"), None, None
        u1 = self._u1
        err = sum((ks[j] * (self.btilde[j] * h) for j in range(1, len(ks))), ks[0] * (self.btilde[0] * h))
        if self.smooth:
            err = self.W.solve(err if self.M is None else matmul(self.M, err))
        E = self.norm(err, u, u1)
        if not is_finite_real(nm.value(E)):
            E = float("inf")
        return u1, E, None, HermiteSegment(t, h, u, ks[0], u1, ks[-1])

    def _stages(self, t: Any, u: Any, f0: Any, h: Any, hg: Any) -> list | None:
        f, p, M = self.f, self.p, self.M
        k1 = f0 if M is None else initial_slope(M, nm.value(self.J) if self.plain else self.J, f0)
        ks = [k1]
        norm = lambda d: self.norm(d, u, u)  # noqa: E731
        for i in range(1, len(self.c)):
            base = sum((ks[j] * (self.A[i][j] * h) for j in range(1, i)), u + ks[0] * (self.A[i][0] * h))
            ti = t + self.c[i] * h

            def residual(y: Any, base=base, ti=ti) -> Any:
                self._count("nf")
                return f(base + y, p, ti) * hg - (y if M is None else matmul(M, y))

            y, ok, _ = newton(residual, ks[-1] * hg, self.W.solve, norm, self.kappa, maxiter=self.maxiter,
                              rate=self.rate, stats=self.stats, extra_sweep=self.tangent,
                              predict_failure=self.adaptive)
            if not ok:
                return None
            ks.append(y / hg)
        self._u1 = base + y
        return ks

