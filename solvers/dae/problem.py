"""The fully implicit DAE problem ``F(du, u, p, t) = 0`` on ``tspan`` (IDA's form)."""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from solvers._nm import nm

__all__ = ["DAEProblem"]


class DAEProblem:
    """A fully implicit differential-algebraic system ``F(u'(t), u(t), p, t) = 0``.

    Parameters
    ----------
    F : callable
        Residual ``F(du, u, p, t) -> array`` (as many equations as unknowns).
    du0, u0 : arrays
        Initial derivative and state. They need not be consistent: the solve corrects them
        (see :mod:`solvers.dae.initialization`).
    tspan : (t0, tf)
        Forward integration (``tf > t0``).
    p : any, optional
        Parameters (numbers in ``p`` promote the state: dual ``p`` gives sensitivities).
    differential_vars : sequence of bool, optional
        Which components are differential (their derivative enters ``F``). ``None``:
        a component whose derivative does not enter ``F`` at ``(du0, u0)`` (a zero column of
        ``dF/d(du)``) is algebraic, the others differential.

    Examples
    --------
    >>> import numpy as np
    >>> from solvers import DAEProblem, DFBDF, solve
    >>> F = lambda du, u, p, t: np.array([du[0] + u[0], u[1] - 2 * u[0]])   # u1 = 2 u0
    >>> sol = solve(DAEProblem(F, np.zeros(2), np.array([1.0, 0.0]), (0.0, 1.0)), DFBDF(),
    ...             rtol=1e-8, atol=1e-10)
    >>> bool(np.allclose(sol.u[-1], [np.exp(-1), 2 * np.exp(-1)], rtol=1e-6))
    True
    """

    def __init__(self, F: Callable, du0: Any, u0: Any, tspan: tuple, p: Any = None, *,
                 differential_vars: Any = None, callback: Any = None):
        if not callable(F):
            raise TypeError("DAEProblem: F must be callable as F(du, u, p, t) -> residual array")
        try:
            t0, tf = tspan
        except (TypeError, ValueError):
            raise TypeError("DAEProblem: tspan must be a pair (t0, tf)") from None
        if not nm.value(tf) > nm.value(t0):
            raise ValueError(f"DAEProblem: integrate forward in time: need tf > t0, got tspan = {tspan!r}")
        if np.ndim(u0) != 1 or np.shape(du0) != np.shape(u0):
            raise ValueError(f"DAEProblem: u0 and du0 must be 1-D arrays of one shape, got shapes "
                             f"{np.shape(u0)} and {np.shape(du0)}")
        if differential_vars is not None:
            dv = np.asarray(differential_vars)
            if dv.dtype != bool or dv.shape != np.shape(u0):
                raise ValueError(f"DAEProblem: differential_vars must be booleans, one per component of "
                                 f"u0 ({np.shape(u0)[0]}), got {differential_vars!r}")
            differential_vars = dv
        self.F, self.du0, self.u0, self.p = F, du0, u0, p
        self.tspan = (t0, tf)
        self.differential_vars, self.callback = differential_vars, callback

    def remake(self, **changes: Any) -> "DAEProblem":
        """A copy with some of ``F, du0, u0, tspan, p, differential_vars`` replaced."""
        kw = dict(F=self.F, du0=self.du0, u0=self.u0, tspan=self.tspan, p=self.p,
                  differential_vars=self.differential_vars, callback=self.callback)
        kw.update(changes)
        return DAEProblem(**kw)

    def _solve(self, algorithm: Any, **options: Any):
        from solvers.dae.solve import solve_dae

        options.pop("seed", None)
        return solve_dae(self, algorithm, **options)

    def __repr__(self) -> str:
        name = getattr(self.F, "__name__", type(self.F).__name__)
        return f"DAEProblem(F={name}, u0={self.u0!r}, du0={self.du0!r}, tspan={self.tspan!r})"
