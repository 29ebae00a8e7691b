"""The machinery the continuous adjoints share: ``solve`` as one reverse-mode node whose VJP runs an adjoint.

Given a problem whose ``u0`` and/or ``p`` are reverse-mode tracked values,
:meth:`AdjointSensitivity.solve` solves the primal float problem once and
returns an :class:`~solvers.ode.solution.ODESolution` whose saved states
``sol.u`` are outputs of one ``nm.custom_vjp`` node. A loss reading any of
them (``sol[-1]``, the states at ``saveat`` times) is differentiated by the
node's VJP, which integrates the adjoint equations backwards (SciMLSensitivity
and Cao, Li, Petzold & Serban, SIAM J. Sci. Comput. 24 (2003))

    lambda' = -f_u^T lambda,       mu' = -f_p^T lambda,

from the last saved time to ``t0``, piecewise between save times: at a saved
time ``t_i`` the cotangent of ``u(t_i)`` is added to ``lambda`` (the jump of
a discrete loss). At ``t0``: ``dL/du0 = lambda(t0)``, ``dL/dp = mu(t0)``.

Each adjoint is an ordinary :class:`~solvers.ode.problem.ODEProblem` handed to
our own ``solve``, with the user's method and tolerances unless
``adjoint_alg=``, ``abstol=``, ``reltol=`` say otherwise, and with the
Jacobian ``-[f_u f_p]^T`` given as ``jac`` so stiff methods (Rodas5P, FBDF)
use it.

Not supported (a clear error instead): callbacks and events (use
``ReverseDiffAdjoint``, which tapes the solver), mass matrices, a tracked
``tspan``, tracked numbers inside a tuple/dict ``p`` (pass one array).
``sol(t)`` between saved points is not available (the returned solution
has no dense output: it would not carry derivatives); save the times the
loss reads with ``saveat``. Without reverse-mode inputs the problem is
solved as usual.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from numeric.arrayrules_structural import join_any
from numeric.backend import copy, device_of, is_foreign, namespace, reshape
from solvers.ode.sensitivity.adjoint_rhs import RhsVJP
from solvers.ode.sensitivity.base import SensitivityAlgorithm

__all__ = ["AdjointSensitivity", "AdjointContext"]

# options of solve that do not apply to the adjoint solves (they describe the forward output)
_FORWARD_ONLY = ("saveat", "save_everystep", "save_start", "save_end", "dense", "callback",
                 "tstops", "verbose", "dt")


@dataclass
class AdjointContext:
    """What an adjoint's backward pass needs: the forward solve and the adjoint options."""

    prob: Any                 # the plain (float) problem
    sol: Any                  # its forward solution
    vjp: RhsVJP
    alg: Any                  # method of the adjoint solves
    options: dict             # their options (rtol, atol, ...)
    t0: float
    ts: np.ndarray            # saved times
    with_p: bool
    fwd_options: dict         # the user's options, for re-solving forward intervals
    stats: dict = field(default_factory=lambda: {"adjoint_solves": 0, "adjoint_steps": 0})

    @property
    def n(self) -> int:
        return self.vjp.n

    # -- flat vectors in the state's namespace (NumPy, or the device of a CuPy/array-API state) ----
    def zeros(self, k: int) -> Any:
        """A zero vector of *k* entries next to the state (on its device)."""
        u0 = self.prob.u0
        if is_foreign(u0):
            return namespace(u0).zeros((k,), dtype=u0.dtype, device=device_of(u0))
        return np.zeros(k)

    def cat(self, parts: list) -> Any:
        """The flat vectors *parts* joined, in their namespace."""
        return join_any(np.concatenate, list(parts))

    @property
    def m(self) -> int:
        return self.vjp.m

    def solve(self, f, y0, tspan, jac=None, p=None, **extra):
        """One adjoint solve with the adjoint method and options; a failure raises."""
        from solvers.ode.integrator import solve_ode
        from solvers.ode.problem import ODEProblem

        opts = dict(self.options, verbose=False, dense=False, save_everystep=False)
        opts.update(extra)
        sol = solve_ode(ODEProblem(f, y0, tspan, p, jac=jac), self.alg, **opts)
        self.stats["adjoint_solves"] += 1
        self.stats["adjoint_steps"] += sol.stats.nsteps
        if not sol.success:
            raise RuntimeError(f"the adjoint solve on {tspan} failed with retcode "
                               f"{sol.retcode.value}: {sol.message}; tighten the tolerances or "
                               "pass another adjoint_alg=")
        return sol

    def solve_through(self, f, y: np.ndarray, jumps: list, apply, jac=None) -> np.ndarray:
        """The backward pass over all *jumps* in ONE adjoint solve; returns the state at the last ``lo``.

        The integrator (``solvers.init``) lands on every jump time (``tstops``), where
        ``apply(y, g)`` adds the jump and the integrator is restarted from the new state
        (``reinit``: same step size, no new setup), instead of one solve per interval.
        """
        from solvers.ode.loop import init
        from solvers.ode.problem import ODEProblem

        todo = [(float(hi), float(lo), g) for hi, lo, g, _ in jumps]
        while todo and todo[0][0] == todo[0][1]:          # zero-length intervals at the start
            y = apply(y, todo.pop(0)[2])
        if not todo:
            return y
        stops = sorted({lo for _, lo, _ in todo}, reverse=bool(todo[0][0] > todo[-1][1]))
        opts = dict(self.options, verbose=False, dense=False, save_everystep=False, tstops=stops)
        integ = init(ODEProblem(f, y, (todo[0][0], todo[-1][1]), None, jac=jac), self.alg, **opts)
        for i, (hi, lo, g) in enumerate(todo):
            while integ.retcode is None and float(nm_value(integ.t)) != lo:
                integ.step()
            if integ.retcode is not None and not integ.retcode:
                raise RuntimeError(f"the adjoint solve on {(hi, lo)} failed with retcode "
                                   f"{integ.retcode.value}: {integ.sol.message}; tighten the "
                                   "tolerances or pass another adjoint_alg=")
            y = apply(copy(integ.u) if is_foreign(integ.u) else np.array(integ.u, dtype=float), g)
            if i + 1 < len(todo) and todo[i + 1][0] != todo[i + 1][1]:
                integ.reinit(y)
        self.stats["adjoint_solves"] += 1
        self.stats["adjoint_steps"] += integ.s.stats.nsteps
        return y


def nm_value(x: Any) -> Any:
    from solvers._nm import nm

    return nm.value(x)


class AdjointSensitivity(SensitivityAlgorithm):
    """Base of the continuous adjoints; subclasses implement :meth:`backward`.

    Parameters
    ----------
    adjoint_alg : method, optional
        The method of the adjoint solves (default: the forward method).
    abstol, reltol : float, optional
        Their tolerances (default: the forward ``atol`` and ``rtol``).
    compile_vjp : bool
        Compile ``f``'s VJP into a numba kernel when ``f`` records as a scalar
        program (default; :mod:`numeric.reverse.compile_vjp`); False: replay
        the recorded tape at every call (the slower path, kept for comparison).
    """

    forward_dense = False       # does the backward pass read the forward dense output?

    def __init__(self, adjoint_alg: Any = None, abstol: Any = None, reltol: Any = None,
                 compile_vjp: bool = True):
        self.adjoint_alg, self.abstol, self.reltol = adjoint_alg, abstol, reltol
        self._compile_vjp = compile_vjp

    def backward(self, ctx: AdjointContext, cots: list) -> tuple:  # pragma: no cover - abstract
        """``(dL/du0, dL/dp)`` as flat arrays from the cotangents of the saved states."""
        raise NotImplementedError

    def solve(self, prob: Any, alg: Any, options: dict) -> Any:
        import numeric.reverse as rv
        from solvers.ode.integrator import solve_ode

        refuse_unsupported(prob, options, type(self).__name__)
        if not rv.carries_reverse(prob.u0, prob.p):
            return solve_ode(prob, alg, **options)
        holder: dict = {}

        def fwd(u0, p):
            ctx = self._forward(prob.remake(u0=u0, p=p), alg, options, rv.carries_reverse(prob.p))
            holder["ctx"] = ctx
            return tuple(ctx.sol.u), lambda cots: self._vjp(ctx, cots, u0, p)

        states = rv.custom_vjp(fwd)(prob.u0, prob.p)
        out = _tracked_solution(prob, holder["ctx"].sol, list(states))
        # filled in by the backward pass: adjoint solves and steps, compiled solves; and how f's
        # VJP was evaluated
        out.adjoint_stats, out.adjoint_vjp = holder["ctx"].stats, holder["ctx"].vjp
        return out

    def _forward(self, plain, alg, options, with_p: bool) -> AdjointContext:
        from solvers.ode.integrator import solve_ode

        fwd_opts = dict(options)
        if self.forward_dense:
            fwd_opts["dense"] = True
        sol = solve_ode(plain, alg, **fwd_opts)
        refuse_complex(sol, type(self).__name__)
        adj = {k: v for k, v in options.items() if k not in _FORWARD_ONLY}
        adj["rtol"] = options["rtol"] if self.reltol is None else self.reltol
        adj["atol"] = options["atol"] if self.abstol is None else self.abstol
        vjp = RhsVJP(plain.f, np.shape(plain.u0), plain.p, with_p, compile=self._compile_vjp)
        return AdjointContext(plain, sol, vjp, self.adjoint_alg or sol.alg, adj,
                              float(plain.tspan[0]), np.asarray(sol.t, dtype=float), with_p,
                              dict(options))

    def _vjp(self, ctx: AdjointContext, cots: tuple, u0: Any, p: Any) -> tuple:
        if not ctx.sol.success:
            raise RuntimeError(f"no gradient: the forward solve failed with retcode "
                               f"{ctx.sol.retcode.value} ({ctx.sol.message})")
        gu, gp = self.backward(ctx, [flat(c) for c in cots])
        gu = reshape(gu, tuple(np.shape(u0)))
        return gu, (reshape(gp, tuple(np.shape(p))) if ctx.with_p else None)

    @staticmethod
    def jumps(ctx: AdjointContext, cots: list) -> list:
        """Backward intervals ``(t_hi, t_lo, cotangent added at t_lo, state at t_lo)``, last save to t0.

        Saved times whose cotangent is zero (states the loss did not read, as
        when every step is saved and the loss reads the last) are no breaks:
        the adjoint runs through them in one solve.
        """
        ts, us = ctx.ts, ctx.sol.u
        out, hi = [], ts[-1] if len(ts) else ctx.t0
        for i in range(len(ts) - 2, -1, -1):
            if _nonzero(cots[i]) or (i == 0 and ts[0] == ctx.t0):
                out.append((hi, ts[i], cots[i], us[i]))
                hi = ts[i]
        if hi != ctx.t0:
            out.append((hi, ctx.t0, ctx.zeros(ctx.n), ctx.prob.u0))
        return out


def flat(x: Any) -> Any:
    """*x* as a flat float vector: NumPy's, or a device array's own (no copy to the host)."""
    return reshape(x, (-1,)) if is_foreign(x) else np.ravel(np.asarray(x, dtype=float))


def _nonzero(c: Any) -> bool:
    """Whether cotangent *c* has a nonzero entry (a device array: one transfer of the answer)."""
    if is_foreign(c):
        return bool(namespace(c).any(c != 0))
    return bool(np.any(c))


def refuse_unsupported(prob: Any, options: dict, who: str) -> None:
    """NotImplementedError for what the continuous adjoints do not handle."""
    if options.get("callback") is not None or getattr(prob, "callback", None) is not None:
        raise NotImplementedError(f"{who} does not handle callbacks or events; use "
                                  "sensealg=ReverseDiffAdjoint(), which differentiates through them")
    if getattr(prob, "mass_matrix", None) is not None:
        raise NotImplementedError(f"{who} does not handle mass matrices (M u' = f); use "
                                  "sensealg=ReverseDiffAdjoint()")
    import numeric.reverse as rv

    if rv.carries_reverse(*prob.tspan):
        raise NotImplementedError(f"{who}: derivatives with respect to tspan are not supported; "
                                  "pass float end times")


def refuse_complex(sol: Any, who: str) -> None:
    """NotImplementedError for a complex state (from ``u0`` or from ``f``): the adjoint equations here
    are written with real transposes (the backward pass cast the complex adjoint to real, silently
    wrong gradients)."""
    import numeric as nm
    from numeric.backend import dtype_kind

    def is_complex(v: Any) -> bool:   # any namespace (array_api_strict has no np.iscomplexobj)
        dt = getattr(v, "dtype", None)
        return isinstance(v, complex) or (dt is not None and dtype_kind(dt) == "c")

    if any(is_complex(nm.value(u)) for u in sol.u[:1] + sol.u[-1:]):
        raise NotImplementedError(
            f"{who}: complex states are not supported by the continuous adjoints; use "
            "sensealg=ReverseDiffAdjoint() or forward mode (ForwardDiffSensitivity(), nm.gradient's "
            "default), or write the state as its real and imaginary parts")


def _tracked_solution(prob: Any, sol: Any, states: list) -> Any:
    """The forward solution with its saved states replaced by the primitive's tracked outputs."""
    from solvers.ode.solution import ODESolution

    tdir = 1.0 if float(prob.tspan[1]) >= float(prob.tspan[0]) else -1.0
    return ODESolution(prob, sol.alg, sol.t, states, sol.retcode, sol.message, sol.stats, [],
                       False, tdir)
