"""What every stiff method declares to the step loop (the ``Method`` side of
:mod:`solvers.ode.stepper`): adaptive, Jacobian-based, controlled by the loop's
controller, able to solve ``M u' = f(u, p, t)``. A method subclasses it,
names itself and its orders, and builds its stepper; steppers subclass
:class:`StiffStepper`, which reads the options, the mass matrix and the
Jacobian provider from the context and makes a DAE's start consistent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import mpmath
import numpy as np

from numeric.backend import is_array, is_foreign
from solvers._nm import nm
from solvers.ode.stiff.dae import consistent_initial_state
from solvers.ode.stiff.jacobian import dense_jacobian, make_jacobian

__all__ = ["StiffMethod", "StiffStepper", "ReusingStepper"]


@dataclass
class StiffMethod:
    """Shared attributes of the stiff methods; ``autodiff`` is ``"forward"`` or ``"finite"``;
    ``compile`` (keyword only) chooses the compiled float path where the method has one (the
    Rosenbrock tableaus, RadauIIA5, FBDF: :mod:`solvers.ode.compiled_stiff`), as ``solve(..., compile=...)`` does."""

    autodiff: str = "forward"
    compile: bool | None = field(default=None, kw_only=True)
    adaptive: bool = field(default=True, init=False)
    needs_jacobian: bool = field(default=True, init=False)
    # the order needs J itself (not a W-method): a measurement state's Jacobian then carries the
    # components (at the uncertain point, solvers.ode.stiff.jacobian._forward) instead of the primal J
    exact_jacobian: bool = field(default=False, init=False)
    own_controller: bool = field(default=False, init=False)
    supports_mass_matrix: bool = field(default=True, init=False)

    accepts_vector_state: bool = field(default=False, init=False)

    def check_state(self, u0: Any, options: dict | None = None) -> None:
        """Refuse a scalar state clearly (the iteration matrix needs a state vector). A vector
        state that is not an array (a ``Fun``: ``nm.is_vector_state``) is taken by the methods
        with ``accepts_vector_state`` under ``linsolve="gmres"`` (Newton–Krylov: ``J v`` is a
        directional derivative, GMRES uses ``nm.inner``); no Jacobian matrix of it exists."""
        if nm.is_vector_state(u0):
            if not self.accepts_vector_state:
                raise TypeError(f"{self.name} needs an array state; for a {type(u0).__name__} state "
                                "use KenCarp4, Kvaerno5 or TRBDF2 with linsolve='gmres'")
            if (options or {}).get("linsolve") != "gmres":
                raise TypeError(f"a {type(u0).__name__} state has no Jacobian matrix: pass "
                                f"linsolve='gmres' to solve with {self.name} (Newton–Krylov)")
            return
        if np.ndim(u0) == 0:
            raise TypeError(f"{self.name} needs an array state (the Jacobian is a matrix): pass "
                            f"u0 as np.array([u0]) and index the solution with [0]")


class StiffStepper:
    """What every stiff stepper sets up from the context: f, p, norm, stats, the mass matrix
    (``None`` for the identity), the Jacobian provider and ``one`` in the state's real type."""

    def __init__(self, alg: StiffMethod, ctx: Any):
        self.f, self.p, self.norm, self.stats = ctx.f, ctx.p, ctx.norm, ctx.stats
        opts = dict(getattr(ctx, "options", None) or {})
        opts.setdefault("autodiff", alg.autodiff)
        opts.setdefault("exact_jacobian", alg.exact_jacobian)
        opts.setdefault("rtol", getattr(ctx, "rtol", None))  # ties a Krylov tolerance to the step's
        M = opts.get("mass_matrix")
        # a mass matrix on a device (CuPy, array API) stays there, next to the state
        self.M = None if M is None else M if is_foreign(M) else np.asarray(M)
        self.jac = make_jacobian(self.f, opts)
        v = nm.value(ctx.u0)
        # the real one of the state's type; a float array of another namespace (CuPy, array API)
        # takes Python floats, which its arithmetic treats as weak scalars (float32 stays float32)
        one = 1.0 if is_array(v) and not isinstance(v, np.ndarray) else nm.one(
            v.flat[0] if isinstance(v, np.ndarray) else nm.scalar_zero(v) if nm.is_vector_state(v) else v)
        # a complex state's real one (complex128 -> float64, mpc -> mpf): the method's coefficients and
        # step-size ratios are real (float() of a complex ratio warned ComplexWarning at every step)
        self.one = one.real if isinstance(one, (complex, np.complexfloating, mpmath.mpc)) else one

    def initialize(self, t0: Any, u0: Any) -> Any:
        """A consistent initial state for a singular mass matrix (algebraic variables by Newton, in
        the mass matrix's namespace)."""
        if self.M is None:
            return u0
        return consistent_initial_state(self.f, dense_jacobian(self.jac), u0, self.p, t0, self.M)

    def _count(self, name: str, k: int = 1) -> None:
        setattr(self.stats, name, getattr(self.stats, name, 0) + k)


class ReusingStepper(StiffStepper):
    """A stiff stepper that keeps its Jacobian ``J`` and iteration matrix ``W`` across steps
    (FBDF, RadauIIA5, the ESDIRKs): new parameters (a callback) make both stale.
    ``one_real`` is ``one`` as a real of the state's type (an integer state computes in floats)."""

    fsal = False

    def __init__(self, alg: StiffMethod, ctx: Any):
        super().__init__(alg, ctx)
        self.one_real = self.one * 1.0 if isinstance(self.one, int) else self.one
        self.adaptive = getattr(ctx, "adaptive", True)  # fixed steps: Newton iterates to maxiter

    @property
    def p(self) -> Any:
        return self._p

    @p.setter
    def p(self, v: Any) -> None:
        self._p = v
        self.J, self.W = None, None
