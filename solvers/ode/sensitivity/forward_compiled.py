"""The compiled forward-mode solve: the augmented float state ``[u, du/dθ_1..k]`` in the numba loop.

See :mod:`solvers.ode.sensitivity.forward` for when it runs. The pieces:

1. :func:`numeric.tangents.split_tangents` splits ``u0`` and ``p`` into float64
   values and a tangent matrix (k directions), or says why it cannot.
2. :func:`numeric.reverse.compile_jvp.jvp_rhs` records ``f`` and compiles
   ``rhs(z, pp, t)``: ``f`` and its JVP on the augmented state.
3. The augmented float problem is solved by the ordinary ``solve`` (the
   compiled loop of :mod:`solvers.ode.compiled`, which takes any numba
   right-hand side), with ``ErrorNorm(partials=norm_partials, rows=1 + k)``
   (:func:`augmented_errornorm`): the same error norm as the DualArray (or
   MeasurementArray) state of the generic path, so both take the same steps up
   to rounding.
4. :class:`~solvers.ode.sensitivity.rebuilt.RebuiltSolution` shows the float solution as the input's number
   type (``sol.u``, ``sol(t)``, saveat values), built from values and
   partials by the split's ``rebuild``.

A guard of the recorded ``f`` that fails during the solve sets a flag in the
parameter vector (:mod:`numeric.reverse.compile_jvp`); the result is then
discarded and the caller takes the generic path.
"""

from __future__ import annotations

import time
import warnings
from typing import Any

import numpy as np

from numeric.tangents import NotSplittable, split_tangents
from solvers._nm import nm
from solvers.ode.errornorm import ErrorNorm
from solvers.ode.sensitivity.rebuilt import RebuiltSolution, rebuilder, tiled
from solvers.ode.solution import SolverWarning

__all__ = ["solve_forward_compiled", "augmented_problem", "augmented_errornorm"]

COMPILED_KERNELS: dict = {}  # source -> first-call seconds (compile time), for the record


def augmented_problem(prob: Any, split: Any, norm_partials: bool) -> tuple:
    """``(problem, pp, kernel)`` of the augmented float solve; raises NotImplementedError and
    the recording's errors when ``f`` does not compile."""
    from numeric.reverse.compile_jvp import jvp_rhs
    from solvers.ode.compiled import POINTER_RHS

    us, ps = split.slices
    k = split.k
    tan = split.tangents
    u_vals, p_vals = split.values[us], split.values[ps]
    t0 = nm.value(prob.tspan[0])
    u_rec = u_vals if np.ndim(prob.u0) else float(u_vals[0])
    kernel = jvp_rhs(prob.f, u_rec, p_vals, t0, np.any(tan[ps] != 0, axis=1), k,
                     p_struct=lambda leaves: split.unflatten[1](list(leaves)))
    POINTER_RHS.add(kernel.rhs)  # compiled with the loop's RHS_SIGNATURE: the loop compiled once runs it
    z0 = np.concatenate([u_vals, tan[us].T.ravel()])
    pp = np.concatenate([p_vals, tan[ps].ravel(), [0.0]])
    return prob.remake(f=kernel.rhs, u0=z0, p=pp), pp, kernel


def augmented_errornorm(split: Any, norm_partials: bool) -> ErrorNorm:
    """The :class:`~solvers.ode.errornorm.ErrorNorm` under which the augmented float state takes
    the steps of the generic path: its sum is divided as ``nm.norm`` of the state held as the
    input's number type divides it (a DualArray: by all n (1 + k) components; a
    MeasurementArray: by its n elements), read from that type's ``nm.norm_length``."""
    us = split.slices[0]
    n = us.stop - us.start
    state = split.rebuild(np.zeros(max(n, 1)), np.zeros((max(n, 1), split.k)))
    per_element = nm.norm_length(state) == max(n, 1)
    return ErrorNorm(partials=norm_partials, rows=1 + split.k, mean="elements" if per_element else "components")


def _why_not(prob: Any, alg: Any, options: dict) -> str | None:
    """Why the compiled forward path cannot take this solve, or None."""
    from solvers.ode.algorithms import ExplicitRK

    if not isinstance(alg, ExplicitRK):
        return f"{alg.name} has no compiled loop (explicit Runge-Kutta tableaus only)"
    if prob.callback is not None or options.get("callback") is not None:
        return "callbacks need the generic loop"
    if options.get("controller") is not None:
        return "a custom controller needs the generic loop"
    t0, tf = prob.tspan
    if not (isinstance(nm.value(t0), (float, int)) and nm.value(t0) is t0 and nm.value(tf) is tf):
        return "the time span must be plain floats"
    if np.ndim(prob.u0) > 1:
        return "u0 must be a scalar or a 1-D array"
    return None


def solve_forward_compiled(prob: Any, alg: Any, options: dict, norm_partials: bool) -> tuple:
    """``(solution, "compiled")``, or ``(None, why)`` when the compiled path does not apply."""
    from solvers.ode.integrator import solve_ode

    if alg is None:
        from solvers.ode.algorithms import Tsit5

        alg = Tsit5()
    why = _why_not(prob, alg, options)
    if why is not None:
        return None, why
    try:
        split = split_tangents(prob.u0, prob.p, names=("u0", "p"))
    except NotSplittable as e:
        return None, str(e)
    try:
        aug, pp, kernel = augmented_problem(prob, split, norm_partials)
    except Exception as e:  # any failure of f on tracked scalars: the generic path runs f as written
        return None, f"f did not record as a scalar program ({type(e).__name__}: {str(e).splitlines()[0][:200]})"
    rows = 1 + split.k
    opts = dict(options, errornorm=augmented_errornorm(split, norm_partials), compile=None, verbose=False)
    opts["rtol"], opts["atol"] = tiled(opts.get("rtol", 1e-3), rows), tiled(opts.get("atol", 1e-6), rows)
    first = kernel.source not in COMPILED_KERNELS
    start = time.perf_counter()
    sol = solve_ode(aug, alg, **opts)
    if first:
        COMPILED_KERNELS[kernel.source] = time.perf_counter() - start
    if pp[-1] != 0:
        return None, (f"guard {int(pp[-1])} of the recorded f failed during the solve (f takes another "
                      "branch than at u0, p, t0)")
    us = split.slices[0]
    out = RebuiltSolution(prob, sol, rebuilder(split, us.stop - us.start, split.k, np.ndim(prob.u0) == 0))
    out.compiled = sol.compiled
    out.compile_message = (f"compiled forward mode: {kernel.nodes} recorded operations, {split.k} partials"
                           + (" (tape-interpreter kernel)" if kernel.method == "loop" else "")
                           + ("" if sol.compiled else f"; the float loop did not compile: {sol.compile_message}"))
    if options.get("verbose", True) and not sol.retcode:
        warnings.warn(f"solve ended with retcode {sol.retcode.value}: {sol.message} (pass verbose=False to "
                      "silence this warning)", SolverWarning, stacklevel=4)
    return out, "compiled"
