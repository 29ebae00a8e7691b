"""``solve(DAEProblem, DFBDF())``: consistent start, then the ODE step loop with a DAE stepper.

The residual's consistent initial values come from :mod:`solvers.dae.initialization`; the
stepper (:class:`~solvers.dae.bdf.DFBDFStepper`) runs in the protocol loop of the ODE solver,
so saving, ``saveat``, dense output, ``tstops``, retcodes and statistics are the ODE solver's.
The loop's right-hand side is never evaluated by the DAE stepper; the loop itself asks for it
once, at ``t0``, and gets the consistent ``du0``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from numeric.backend import add, device_of, is_foreign, namespace, to_host_float
from solvers._nm import nm
from solvers.dae.initialization import consistent_initial_values, differential_components, host_numbers

__all__ = ["solve_dae"]


class DAEData:
    """What the DAE stepper needs beside the context: ``F``, the consistent ``du0``, re-initialisation."""

    def __init__(self, F: Any, du0: Any, diff: np.ndarray):
        self.F, self.du0, self.diff, self.started = F, du0, diff, False

    def reinitialize(self, p: Any, t: Any, u: Any) -> Any:
        """A callback changed ``u``: new consistent ``du`` and algebraic components at ``t``; returns
        the consistent state (the differential components of *u* kept)."""
        self.du0, u = consistent_initial_values(self.F, add(self.du0, u * 0), u, p, t, self.diff)
        return u


class BoundDAEMethod:
    """A DAE method bound to one problem's data (what the ODE loop is handed)."""

    def __init__(self, alg: Any, data: DAEData):
        self.alg, self.data = alg, data

    def __getattr__(self, name: str) -> Any:
        if name in ("alg", "data"):
            raise AttributeError(name)
        return getattr(self.alg, name)

    def make_stepper(self, ctx: Any) -> Any:
        data = self.data
        data.du0 = add(data.du0, ctx.u0 * 0)  # the promoted state's type
        stepper = self.alg.make_dae_stepper(ctx, data)
        data.started = True
        return stepper


def _first_step(du0: Any, u0: Any, span: float, rtol: Any, atol: Any) -> float:
    """IDA's initial step: ``0.001 * span``, reduced so that ``||h du0||_wrms <= 1/2`` (the norm
    in the state's namespace, one transfer)."""
    uv, dv = nm.value(u0), nm.value(du0)
    if is_foreign(uv):
        xp = namespace(uv)
        put = lambda a: a if not isinstance(a, np.ndarray) else xp.asarray(  # noqa: E731
            np.asarray(a, dtype=float), dtype=uv.dtype, device=device_of(uv))
        r = dv / (put(atol) + put(rtol) * xp.abs(uv))
        nrm = to_host_float(xp.sqrt(xp.mean(r * r)))
    else:
        scale = np.asarray(atol, dtype=float) + np.asarray(rtol, dtype=float) * np.abs(host_numbers(uv))
        r = np.abs(host_numbers(dv)) / scale   # moduli: a complex state's imaginary parts count
        nrm = float(np.sqrt(np.mean(r * r)))
    h = 1e-3 * span
    return min(h, 0.5 / nrm) if nrm > 0 else h


def _real_array(x: Any) -> Any:
    """Lists and integer arrays as float arrays; arrays of every other kind unchanged."""
    if isinstance(x, (list, tuple)):
        x = np.asarray(x)
    if isinstance(x, np.ndarray) and x.dtype.kind in "iub":
        return x.astype(float)
    return x * 1


def solve_dae(prob: Any, alg: Any = None, *, dt: Any = None, rtol: Any = 1e-3, atol: Any = 1e-6,
              initialize: bool = True, **options: Any) -> Any:
    """Solve a :class:`~solvers.dae.problem.DAEProblem`; the options are those of ODE solves plus
    ``initialize`` (``False``: trust ``du0, u0`` to be consistent)."""
    from solvers.common import solve
    from solvers.dae.bdf import DFBDF
    from solvers.ode.compiled import python_fallback
    from solvers.ode.problem import ODEProblem
    from solvers.ode.state import promote_state

    alg = DFBDF() if alg is None else alg
    if not getattr(alg, "implicit_dae", False):
        raise TypeError(f"solve(DAEProblem): {getattr(alg, 'name', alg)!r} is not a fully implicit DAE method; "
                        "use DFBDF() or DRadauIIA5() (or write the system as M u' = f with a mass matrix)")
    if options.get("compile"):
        raise ValueError("solve(DAEProblem): compile=True is not available for DAEs")
    options["compile"] = False
    F, p = python_fallback(prob.F), prob.p   # a numba F meets the Jacobians' duals as its Python original
    t0, tf = prob.tspan
    du0, u0 = _real_array(prob.du0), _real_array(prob.u0)
    u0 = promote_state(u0, t0, tf, p)  # the state type the loop will use (a DualArray for dual p)
    du0 = add(du0, u0 * 0)
    diff = prob.differential_vars
    if diff is None:
        diff = differential_components(F, du0, u0, p, t0)
    if initialize:
        du0, u0 = consistent_initial_values(F, du0, u0, p, t0, diff)
    data = DAEData(F, du0, diff)
    if dt is None:
        dt = _first_step(du0, u0, abs(float(nm.value(tf)) - float(nm.value(t0))), rtol, atol)

    def rhs(u: Any, p: Any, t: Any) -> Any:  # the loop's one look at "f": the consistent du0
        return add(data.du0, u * 0)

    ode = ODEProblem(rhs, u0, prob.tspan, p, callback=prob.callback)
    sol = solve(ode, BoundDAEMethod(alg, data), dt=dt, rtol=rtol, atol=atol, **options)
    sol.prob, sol.alg = prob, alg
    sol.du0 = data.du0
    return sol
