"""``ForwardSensitivity``: the continuous forward sensitivity equations (differentiate, then discretise).

For ``u' = f(u, p, t)`` with parameters carrying partials in k directions
(``P = dp/dθ``) and ``S = du/dθ`` (``S(t0) = du0/dθ``, zero when ``u0`` is plain),

    S' = f_u(u, p, t) S + f_p(u, p, t) P,

a linear ODE along the solution (Hairer, Nørsett & Wanner, *Solving ODEs I*,
§I.14; DifferentialEquations.jl's ``ForwardSensitivity``). The values and the k
sensitivities are solved together as one float ODE ``z = [u, S_1, ..., S_k]``
with any of our methods (explicit, Rosenbrock, SDIRK, BDF, Radau), and the
result is rebuilt as the number type ``u0``/``p`` carried. ``f_u S + f_p P`` is a
JVP: the compiled kernel of :mod:`numeric.reverse.compile_jvp` when ``f``
records as a scalar program, else one dual evaluation of ``f`` per call
(:func:`numeric.tangents.augmented_jvp`).

Unlike :class:`~solvers.ode.sensitivity.forward.ForwardDiffSensitivity`, the
error norm is the solver's ordinary one on the whole augmented state (each
sensitivity scaled by its own magnitude), so the steps control the error of
the sensitivities as a solution of their own ODE. The augmented Jacobian's
block structure (``f_u`` repeated on the diagonal) is not exploited: an
implicit method factorises the full ``n (1 + k)`` system, its Jacobian by
forward mode over the dual JVP (an implicit method always gets the dual
evaluation: the numba kernel takes float64 only).

Examples
--------
>>> import numpy as np, numeric as nm
>>> from solvers import ODEProblem, Rodas5P, solve
>>> from solvers.ode.sensitivity import ForwardSensitivity
>>> p = nm.DualArray(np.array([0.5]), np.ones((1, 1)))
>>> sol = solve(ODEProblem(lambda u, p, t: np.array([-p[0] * u[0]]), np.array([1.0]), (0.0, 2.0), p),
...             Rodas5P(), rtol=1e-8, atol=1e-10, sensealg=ForwardSensitivity())
>>> bool(abs(sol.u[-1].partials[0, 0] - (-2.0 * np.exp(-1.0))) < 1e-6)
True
"""

from __future__ import annotations

from typing import Any

import numpy as np

from numeric.tangents import NotSplittable, augmented_jvp, split_tangents
from solvers.ode.sensitivity.base import SensitivityAlgorithm
from solvers.ode.sensitivity.rebuilt import RebuiltSolution, rebuilder, tiled

__all__ = ["ForwardSensitivity"]


class ForwardSensitivity(SensitivityAlgorithm):
    """Solve the forward sensitivity equations with the values (see the module docstring).

    Parameters
    ----------
    compile : bool or None, default None
        The JVP of ``f``: None uses the compiled kernel when ``f`` records as a scalar
        program (else the dual evaluation), True requires it, False never uses it.
    """

    def __init__(self, compile: bool | None = None):
        if compile is not None and not isinstance(compile, bool):
            raise TypeError(f"ForwardSensitivity: compile must be None, True or False, got {compile!r}")
        self.compile = compile

    def solve(self, prob: Any, alg: Any, options: dict) -> Any:
        """The augmented solve of *prob*, rebuilt as its number type."""
        from solvers.ode.integrator import solve_ode

        if alg is None:
            from solvers.ode.algorithms import Tsit5

            alg = Tsit5()
        try:
            split = split_tangents(prob.u0, prob.p, names=("u0", "p"))
        except NotSplittable as e:
            raise ValueError(f"ForwardSensitivity: {e}; pass Dual/DualArray entries over float64 (or "
                             "use ForwardDiffSensitivity, which takes any number type)") from None
        if options.get("callback") is not None or prob.callback is not None:
            raise ValueError("ForwardSensitivity: callbacks are not supported (the sensitivities jump at "
                             "events); use ForwardDiffSensitivity")
        aug, how = self._augmented(prob, split, differentiates_f=hasattr(alg, "autodiff"))
        rows = 1 + split.k
        opts = dict(options)
        opts["rtol"], opts["atol"] = tiled(opts.get("rtol", 1e-3), rows), tiled(opts.get("atol", 1e-6), rows)
        sol = solve_ode(aug, alg, **opts)
        us = split.slices[0]
        out = RebuiltSolution(prob, sol, rebuilder(split, us.stop - us.start, split.k, np.ndim(prob.u0) == 0))
        out.compiled = sol.compiled
        out.compile_message = f"forward sensitivity equations, JVP of f: {how}"
        return out

    def _augmented(self, prob: Any, split: Any, differentiates_f: bool) -> tuple:
        """(augmented float problem, how its JVP is computed); a method that differentiates f
        (an implicit one: Jacobian, time derivative) gets the dual evaluation."""
        why = "compile=False"
        if differentiates_f:
            why = "the method differentiates the augmented f by forward mode"
            if self.compile:
                raise ValueError(f"ForwardSensitivity(compile=True): {why}; use compile=None")
        elif self.compile is not False:
            from solvers.ode.sensitivity.forward_compiled import augmented_problem

            try:
                return augmented_problem(prob, split, True)[0], "compiled"
            except Exception as e:  # f does not record: the dual evaluation runs f as written
                why = f"f did not record ({type(e).__name__}: {str(e).splitlines()[0][:200]})"
                if self.compile:
                    raise ValueError(f"ForwardSensitivity(compile=True): {why}") from e
        us, ps = split.slices
        z0 = np.concatenate([split.values[us], split.tangents[us].T.ravel()])
        pp = np.concatenate([split.values[ps], split.tangents[ps].ravel(), [0.0]])
        rhs = augmented_jvp(prob.f, split, np.ndim(prob.u0) == 0)
        return prob.remake(f=rhs, u0=z0, p=pp), f"dual evaluation ({why})"
