"""The ODE problem: ``u' = f(u, p, t)`` on ``tspan`` with ``u(t0) = u0``."""

from __future__ import annotations

from typing import Any, Callable

__all__ = ["ODEProblem"]


class ODEProblem:
    """An initial value problem ``u' = f(u, p, t)``, ``u(tspan[0]) = u0``.

    Parameters
    ----------
    f : callable
        Out-of-place right-hand side ``f(u, p, t) -> du`` returning a new object
        of the state's kind (a scalar, an array, a ``DualArray``, a ``Fun``...).
    u0 : number or array
        Initial state: any object supporting ``+``, ``-`` and multiplication
        and division by scalars (floats, float32/float64 arrays, object arrays
        of ``mpf``, duals, function-valued numbers ...).
    tspan : (t0, tf)
        Time interval; ``tf < t0`` integrates backwards. Either end may be a
        number type (an ``mpf``, a ``Dual`` final time ...).
    p : any, optional
        Parameters passed unchanged to *f* (a tuple, an array, a dict ...).
        Numbers found in *p* (also inside tuples, lists and dicts) are
        promoted together with ``u0`` and ``tspan`` before the solve, so a
        dual parameter makes the whole state a dual.
    mass_matrix : matrix, optional
        ``M`` of ``M u' = f(u, p, t)`` (``None``: the identity). Only methods that
        handle mass matrices (stiff methods) accept a non-identity ``M``; explicit
        methods refuse it.
    jac : callable, optional
        The Jacobian ``jac(u, p, t) -> df/du``, passed to methods that use one
        (``ctx.options['jac']``).
    jac_prototype : matrix, optional
        A matrix with the Jacobian's sparsity pattern (dense or ``scipy.sparse``).
    callback : callback or sequence of callbacks, optional
        Callbacks that belong to the problem; ``solve(..., callback=...)`` adds more.

    Examples
    --------
    >>> from solvers import ODEProblem, solve, Tsit5
    >>> prob = ODEProblem(lambda u, p, t: -p * u, 1.0, (0.0, 1.0), 2.0)
    >>> sol = solve(prob, Tsit5(), rtol=1e-10, atol=1e-12)
    >>> round(sol.u[-1], 9)   # exp(-2)
    0.135335283
    """

    def __init__(self, f: Callable, u0: Any, tspan: tuple, p: Any = None, callback: Any = None, *,
                 mass_matrix: Any = None, jac: Callable | None = None, jac_prototype: Any = None):
        if not callable(f):
            raise TypeError("ODEProblem: f must be callable as f(u, p, t)")
        try:
            t0, tf = tspan
        except (TypeError, ValueError):
            raise TypeError("ODEProblem: tspan must be a pair (t0, tf)") from None
        self.f = f
        self.u0 = u0
        self.tspan = (t0, tf)
        self.p = p
        self.callback = callback
        if jac is not None and not callable(jac):
            raise TypeError("ODEProblem: jac must be callable as jac(u, p, t) -> df/du")
        self.mass_matrix = mass_matrix
        self.jac = jac
        self.jac_prototype = jac_prototype

    def remake(self, **changes: Any) -> "ODEProblem":
        """A copy with some of ``f, u0, tspan, p, callback, mass_matrix, jac, jac_prototype`` replaced."""
        kw = dict(f=self.f, u0=self.u0, tspan=self.tspan, p=self.p, callback=self.callback,
                  mass_matrix=self.mass_matrix, jac=self.jac, jac_prototype=self.jac_prototype)
        kw.update(changes)
        return ODEProblem(**kw)

    def _solve(self, algorithm: Any, **options: Any):
        from solvers.ode.integrator import solve_ode

        options.pop("seed", None)  # ensembles pass a seed to every problem; an ODE has no noise
        return solve_ode(self, algorithm, **options)

    def _ensemble_solver(self, algorithm: Any, **options: Any) -> Callable:
        """``solve_member(member, seed)`` for an ensemble of this problem: members that differ in
        ``u0`` and ``p`` only share one prepared solve (:mod:`solvers.ode.prepared`)."""
        from solvers.ode.prepared import member_solver

        return member_solver(self, algorithm, options)

    def __repr__(self) -> str:
        name = getattr(self.f, "__name__", type(self.f).__name__)
        return f"ODEProblem(f={name}, u0={self.u0!r}, tspan={self.tspan!r}, p={self.p!r})"
