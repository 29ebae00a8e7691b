"""Adjoint sensitivity algorithms: ``solve(prob, alg, sensealg=InterpolatingAdjoint())``.

Each is a small object; the shared part (the solve as one reverse-mode node,
the piecewise backward pass, what is refused) is in
:mod:`solvers.ode.sensitivity.adjoint_base`, the VJPs of ``f`` in
:mod:`solvers.ode.sensitivity.adjoint_rhs`. They follow SciMLSensitivity's
algorithms of the same names (docs.sciml.ai, "Sensitivity Algorithms").

``InterpolatingAdjoint(checkpointing=False)``
    Solves ``(lambda, mu)`` backwards, reading ``u(t)`` from the forward
    solution's dense output. Memory: the dense output (O(steps)). With
    ``checkpointing=True`` the forward solve keeps only its saved states
    (the checkpoints, at the ``saveat`` times); each interval between two of
    them is solved again forward, with dense output, when the backward pass
    reaches it (one more forward solve; memory O(saved states + one interval)).
``BacksolveAdjoint()``
    Solves ``(u, lambda, mu)`` backwards from the final state, re-creating
    ``u(t)`` by integrating the ODE in reverse: O(1) memory in the number of
    steps. Unstable for dissipative or stiff problems: what decays forward
    grows backward, so the re-created ``u`` drifts from the forward one
    (exponentially for stiff problems) and the gradient is wrong long before
    a tolerance notices. Prefer the interpolating adjoints there. For stiff
    methods its Jacobian is the block-diagonal approximation (the coupling
    through second derivatives of ``f`` is left out).
``QuadratureAdjoint()``
    Solves ``lambda`` alone backwards (n equations instead of n + len(p)),
    keeping its dense output per interval, then ``dL/dp`` by adaptive
    Gauss-Kronrod quadrature (``scipy.integrate.quad_vec``) of
    ``lambda^T f_p`` over each interval, at the adjoint tolerances.
``GaussAdjoint()``
    Solves ``lambda`` alone and accumulates ``dL/dp`` by a Gauss-Legendre
    rule (5 nodes, exact for degree 9) on every step of the adjoint solve,
    from its dense output, as SciMLSensitivity's GaussAdjoint does with an
    integrating callback.
Speed. ``f``'s VJP is recorded once per gradient; when ``f`` records as a scalar
program (scalar arithmetic, ``np.array`` of scalars; not ``np.stack`` or other array
operations, and at most ``MAX_NODES`` operations) it is compiled into one numba kernel of
the adjoint system (:mod:`numeric.reverse.compile_vjp`), and ``BacksolveAdjoint`` with an
explicit Runge-Kutta method runs that kernel in the compiled loop. The non-checkpointed
``InterpolatingAdjoint`` (and ``BacksolveAdjoint`` without a kernel) integrate through all
save times in one solve. ``compile_vjp=False`` keeps the tape's replay (for comparison).
``sol.adjoint_stats`` and ``sol.adjoint_vjp`` of the returned solution say what ran.

``ReverseDiffAdjoint()``
    Discretise-then-optimise: the solver's arithmetic is taped (today's
    behaviour without ``sensealg``). Handles everything the solver does
    (callbacks, events, mass matrices); memory grows with the steps.

Examples
--------
>>> import numpy as np, numeric as nm
>>> from solvers import ODEProblem, solve, Tsit5
>>> from solvers.ode.sensitivity import InterpolatingAdjoint
>>> def loss(p):
...     prob = ODEProblem(lambda u, p, t: -p * u, np.array([1.0]), (0.0, 1.0), p)
...     return solve(prob, Tsit5(), rtol=1e-10, atol=1e-12, sensealg=InterpolatingAdjoint())[-1][0]
>>> g = nm.gradient(loss, np.array([2.0]), mode="reverse")     # d/dp exp(-p) = -exp(-2)
>>> bool(abs(g[0] + np.exp(-2.0)) < 1e-8)
True
"""

from __future__ import annotations

from typing import Any

import numpy as np

from numeric.backend import is_foreign
from solvers._nm import nm
from solvers.ode.sensitivity.adjoint_base import AdjointContext, AdjointSensitivity, flat
from solvers.ode.sensitivity.base import SensitivityAlgorithm

__all__ = ["InterpolatingAdjoint", "BacksolveAdjoint", "QuadratureAdjoint", "GaussAdjoint",
           "ReverseDiffAdjoint"]

# Gauss-Legendre nodes and weights on [-1, 1] (numpy.polynomial.legendre.leggauss)
_GL_X, _GL_W = np.polynomial.legendre.leggauss(5)


def _time_differentiable(rhs):
    """*rhs* that also answers a time carrying a forward-mode perturbation (Rosenbrock's df/dt).

    The adjoint right-hand sides run on float vectors; for a perturbed time
    ``t = tv + e`` the answer is ``F(tv) + e * dF/dt`` with ``dF/dt`` by the
    second-order one-sided difference towards smaller t (inside the backward
    interval: the adjoint integrates from the later time down).
    """
    def wrapped(y, p, t):
        tv = nm.value(t)
        if tv is t:
            return rhs(y, p, t)
        tv = float(tv)
        h = 1e-5 * max(1.0, abs(tv))
        f0 = rhs(y, p, tv)
        d = (3 * f0 - 4 * rhs(y, p, tv - h) + rhs(y, p, tv - 2 * h)) / (2 * h)
        return f0 + (t - tv) * d

    return wrapped


def _lambda_mu_rhs(ctx: AdjointContext, u_at, with_mu: bool):
    """``-(f_u^T lambda, f_p^T lambda)`` (or the first part alone) and its Jacobian."""
    n, m = ctx.n, ctx.m if with_mu else 0

    def rhs(y, _, t):
        gu, gp = ctx.vjp(u_at(t), t, y[:n])
        return -ctx.cat([gu, gp]) if with_mu else -gu

    rhs = _time_differentiable(rhs)

    def jac(y, _, t):
        J = ctx.vjp.jacobian(u_at(t), t)
        out = np.zeros((n + m, n + m))
        out[:, :n] = -J[:, :n + m].T
        return out

    return rhs, jac


def _trajectory(ctx: AdjointContext, lo: float, hi: float, u_lo: Any, resolve: bool):
    """``u(t)`` on [lo, hi]: the forward dense output, or a fresh dense solve from the checkpoint."""
    sol = ctx.sol
    if resolve:
        from solvers.ode.integrator import solve_ode

        opts = dict(ctx.fwd_options, dense=True, saveat=None, save_everystep=True, verbose=False)
        sol = solve_ode(ctx.prob.remake(u0=u_lo, tspan=(lo, hi)), ctx.sol.alg, **opts)
        ctx.stats["forward_resolves"] = ctx.stats.get("forward_resolves", 0) + 1
    return lambda t: flat(sol(t))


class InterpolatingAdjoint(AdjointSensitivity):
    """The adjoint reading ``u(t)`` from the forward dense output (or re-solved checkpoint intervals).

    Parameters
    ----------
    checkpointing : bool
        Keep only the saved states and re-solve each interval forward.
    **kw : Any
        ``adjoint_alg``, ``abstol``, ``reltol``: see
        :class:`~solvers.ode.sensitivity.adjoint_base.AdjointSensitivity`.
    """

    def __init__(self, checkpointing: bool = False, **kw: Any):
        super().__init__(**kw)
        self.checkpointing = checkpointing

    @property
    def forward_dense(self) -> bool:
        return not self.checkpointing

    def backward(self, ctx: AdjointContext, cots: list) -> tuple:
        n = ctx.n
        y = ctx.cat([cots[-1], ctx.zeros(ctx.m)])
        if not self.checkpointing:          # one solve through all save times, u(t) from the dense output
            rhs, jac = _lambda_mu_rhs(ctx, _trajectory(ctx, 0.0, 0.0, None, False), True)
            y = ctx.solve_through(rhs, y, self.jumps(ctx, cots),
                                  lambda y, g: ctx.cat([y[:n] + g, y[n:]]), jac)
            return y[:n], y[n:]
        for hi, lo, g, u_lo in self.jumps(ctx, cots):
            if hi != lo:
                u_at = _trajectory(ctx, lo, hi, u_lo, self.checkpointing)
                rhs, jac = _lambda_mu_rhs(ctx, u_at, True)
                y = _last(ctx.solve(rhs, y, (hi, lo), jac))
            y = ctx.cat([y[:n] + g, y[n:]])
        return y[:n], y[n:]


def _last(sol: Any) -> Any:
    """The final state of an adjoint solve (NumPy: as an array; a device array as it is)."""
    u = sol[-1]
    return u if is_foreign(u) else np.asarray(u)


class BacksolveAdjoint(AdjointSensitivity):
    """The adjoint that integrates ``u`` backwards with it: O(1) memory, unstable when dissipative.

    Examples
    --------
    >>> BacksolveAdjoint(reltol=1e-8)
    BacksolveAdjoint(adjoint_alg=None, abstol=None, reltol=1e-08)
    """

    def backward(self, ctx: AdjointContext, cots: list) -> tuple:
        n, m, vjp = ctx.n, ctx.m, ctx.vjp

        def rhs(y, _, t):
            gu, gp = vjp(y[:n], t, y[n:2 * n])
            return ctx.cat([vjp.rhs(y[:n], t), -gu, -gp])

        rhs = _time_differentiable(rhs)

        def jac(y, _, t):
            J = vjp.jacobian(y[:n], t)
            out = np.zeros((2 * n + m, 2 * n + m))
            out[:n, :n] = J[:, :n]
            out[n:, n:2 * n] = -J.T
            return out

        y = ctx.cat([flat(ctx.sol.u[-1]), cots[-1], ctx.zeros(m)])
        kernel = _compiled_system(ctx, y[:n])
        if kernel is None:                  # one solve through all save times
            def jump(y, g):
                return _add_lambda(ctx, y, g)
            y = ctx.solve_through(rhs, y, self.jumps(ctx, cots), jump, jac)
            return y[n:2 * n], y[2 * n:]
        for hi, lo, g, _ in self.jumps(ctx, cots):
            if hi != lo:
                y_next = None
                if kernel is not None:          # the whole system in the compiled loop
                    y_next = _kernel_solve(ctx, kernel, y, hi, lo)
                    kernel = kernel if y_next is not None else None
                y = y_next if y_next is not None else _last(ctx.solve(rhs, y, (hi, lo), jac))
            y = _add_lambda(ctx, y, g)
        return y[n:2 * n], y[2 * n:]


def _add_lambda(ctx: AdjointContext, y: Any, g: Any) -> Any:
    """``y`` of the backsolve system ``(u, lambda, mu)`` with the jump *g* added to ``lambda``
    (in place for NumPy; joined anew on a device, where arrays need not be writable)."""
    n = ctx.n
    if is_foreign(y):
        return ctx.cat([y[:n], y[n:2 * n] + g, y[2 * n:]])
    y[n:2 * n] += g
    return y


def _compiled_system(ctx: AdjointContext, u_end: np.ndarray) -> Any:
    """The compiled kernel of ``[f, -lambda^T f_u, -lambda^T f_p]`` when the adjoint method is an
    explicit Runge-Kutta method (the compiled loop runs it), else None."""
    from solvers.ode.algorithms import ExplicitRK

    if not isinstance(ctx.alg, ExplicitRK) or getattr(ctx.alg, "compile", None) is False:
        return None
    return ctx.vjp.kernel(u_end, ctx.ts[-1] if len(ctx.ts) else ctx.t0)


def _kernel_solve(ctx: AdjointContext, kernel: tuple, y: np.ndarray, hi: float, lo: float) -> Any:
    """The state at *lo* of the compiled solve from *hi*, or None when a guard of the kernel failed."""
    k, pp = kernel
    pp = pp.copy()
    try:
        out = np.asarray(ctx.solve(k.rhs, np.ascontiguousarray(y, dtype=float), (hi, lo), p=pp)[-1])
    except RuntimeError:
        if pp[-1] == 0:
            raise
    if pp[-1] != 0:       # the NaNs of a failed guard ended the solve: not an answer
        ctx.vjp.kernel_message = f"guard {int(pp[-1])} failed in the compiled backsolve: the tape's replay"
        return None
    ctx.stats["compiled_solves"] = ctx.stats.get("compiled_solves", 0) + 1
    return out.copy()


class _LambdaOnlyAdjoint(AdjointSensitivity):
    """Solve ``lambda`` alone per interval (dense), then ``dL/dp`` by :meth:`integrate`."""

    forward_dense = True

    def backward(self, ctx: AdjointContext, cots: list) -> tuple:
        lam, mu = cots[-1], ctx.zeros(ctx.m)
        for hi, lo, g, u_lo in self.jumps(ctx, cots):
            if hi != lo:
                u_at = _trajectory(ctx, lo, hi, u_lo, False)
                rhs, jac = _lambda_mu_rhs(ctx, u_at, False)
                sol = ctx.solve(rhs, lam, (hi, lo), jac, dense=True, save_everystep=True)
                if ctx.with_p:
                    mu = mu + self.integrate(ctx, u_at, sol, lo, hi)
                lam = _last(sol)
            lam = lam + g
        return lam, mu

    def integrate(self, ctx, u_at, lam_sol, lo, hi):  # pragma: no cover - abstract
        raise NotImplementedError


class QuadratureAdjoint(_LambdaOnlyAdjoint):
    """``lambda`` alone, then ``dL/dp`` by adaptive Gauss-Kronrod quadrature of ``lambda^T f_p``."""

    def integrate(self, ctx, u_at, lam_sol, lo, hi):
        from scipy.integrate import quad_vec

        if is_foreign(ctx.prob.u0):
            raise TypeError("QuadratureAdjoint integrates with scipy.integrate.quad_vec, on the host (NumPy "
                            "arrays); for a state on a device use GaussAdjoint() or InterpolatingAdjoint()")

        def integrand(t):
            return ctx.vjp(u_at(t), t, np.ravel(lam_sol(t)))[1]

        # the adjoint's steps as break points: the adaptive rule then sees every transient
        steps = np.unique(np.asarray(lam_sol.t, dtype=float))
        val, err, info = quad_vec(integrand, lo, hi, epsabs=float(np.min(ctx.options["atol"])),
                                  epsrel=float(np.min(ctx.options["rtol"])),
                                  points=steps[(steps > lo) & (steps < hi)], full_output=True)
        if not info.success:
            raise RuntimeError(f"QuadratureAdjoint: the quadrature of lambda^T f_p on [{lo}, {hi}] "
                               f"did not converge (error estimate {err}); loosen abstol/reltol "
                               "or use GaussAdjoint()")
        return val


class GaussAdjoint(_LambdaOnlyAdjoint):
    """``lambda`` alone, ``dL/dp`` by 5-point Gauss-Legendre on each adjoint step."""

    def integrate(self, ctx, u_at, lam_sol, lo, hi):
        ts = np.asarray(lam_sol.t, dtype=float).tolist()
        total = ctx.zeros(ctx.m)
        for a, b in zip(ts[:-1], ts[1:]):
            half, mid = 0.5 * (b - a), 0.5 * (a + b)
            for x, w in zip(_GL_X.tolist(), _GL_W.tolist()):     # Python floats: every namespace takes them
                t = mid + half * x
                total = total - ctx.vjp(u_at(t), t, flat(lam_sol(t)))[1] * (w * half)
        return total          # the steps run from hi to lo: minus the integral over [b, a]


class ReverseDiffAdjoint(SensitivityAlgorithm):
    """Discretise-then-optimise: tape the solver's arithmetic (the default without ``sensealg``)."""

    def solve(self, prob: Any, alg: Any, options: dict) -> Any:
        from solvers.ode.integrator import solve_ode

        return solve_ode(prob, alg, **options)
