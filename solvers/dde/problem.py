"""The delay differential equation problem ``u'(t) = f(u(t), h, p, t)`` with history ``h(p, t)``.

``h`` stands for the whole past: inside ``f`` it is called as ``h(p, s)`` for a time ``s``
(usually ``t - tau``) and returns ``u(s)`` -- the user's history function for ``s < t0``,
the solver's continuous extension of the solution for ``s >= t0``. ``h(p, s, deriv=1)``
returns ``u'(s)`` (see :mod:`solvers.dde` on neutral delays).

Lags tell the solver where the solution is not smooth (DelayDiffEq.jl's interface):
``constant_lags`` are numbers ``tau > 0``; ``dependent_lags`` are callables
``tau(u, p, t)`` (state-dependent delays). The lags do not enter ``f``: ``f`` asks ``h`` for
whatever past times it needs; the lags only drive discontinuity tracking.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

from solvers._nm import nm

__all__ = ["DDEProblem"]


class DDEProblem:
    """A delay differential equation ``u' = f(u, h, p, t)`` on ``tspan``, ``u(t0) = u0``.

    Parameters
    ----------
    f : callable
        ``f(u, h, p, t) -> du``; ``h(p, s)`` gives the solution (or history) at ``s <= t``.
    u0 : number or array
        The state at ``t0`` (may differ from ``h(p, t0)``: an order-0 discontinuity).
        ``None`` takes ``h(p, t0)``.
    h : callable
        History ``h(p, t)`` for ``t < t0`` (same kind as ``u0``). A history that supports
        neutral problems also accepts ``deriv=1`` and returns the derivative.
    tspan : (t0, tf)
        Forward integration only (``tf > t0``).
    p : any, optional
        Parameters (numbers in ``p`` promote the state, as for ODEs: dual ``p`` gives
        sensitivities through the delay).
    constant_lags : sequence of positive numbers, optional
    dependent_lags : sequence of callables ``tau(u, p, t)``, optional
    neutral : bool
        Declares that ``f`` uses ``h(p, s, deriv=1)``: its discontinuities do not smooth out as
        they propagate, so all the constant lags' propagated points up to ``tf`` are tstops
        (see :mod:`solvers.dde`).

    Examples
    --------
    >>> from solvers import DDEProblem, MethodOfSteps, Tsit5, solve
    >>> prob = DDEProblem(lambda u, h, p, t: -h(p, t - 1.0), 1.0, lambda p, t: 1.0, (0.0, 2.0),
    ...                   constant_lags=[1.0])
    >>> sol = solve(prob, MethodOfSteps(Tsit5()), rtol=1e-10, atol=1e-12)
    >>> round(float(sol.u[-1]), 10)   # exact: 1 - t on [0, 1], then t^2/2 - 2t + 3/2 on [1, 2]
    -0.5
    """

    def __init__(self, f: Callable, u0: Any, h: Callable, tspan: tuple, p: Any = None, *,
                 constant_lags: Sequence | None = None, dependent_lags: Sequence | None = None,
                 neutral: bool = False, callback: Any = None):
        if not callable(f):
            raise TypeError("DDEProblem: f must be callable as f(u, h, p, t)")
        if not callable(h):
            raise TypeError("DDEProblem: the history h must be callable as h(p, t) (a constant c: "
                            "lambda p, t: c)")
        try:
            t0, tf = tspan
        except (TypeError, ValueError):
            raise TypeError("DDEProblem: tspan must be a pair (t0, tf)") from None
        if not nm.value(tf) > nm.value(t0):
            raise ValueError(f"DDEProblem: integrate forward in time: need tf > t0, got tspan = {tspan!r}")
        lags = list(constant_lags or ())
        for lag in lags:
            if callable(lag) or not nm.value(lag) > 0:
                raise ValueError(f"DDEProblem: constant_lags must be positive numbers, got {lag!r} "
                                 "(a state-dependent lag goes in dependent_lags as tau(u, p, t))")
        dep = list(dependent_lags or ())
        for lag in dep:
            if not callable(lag):
                raise TypeError(f"DDEProblem: dependent_lags must be callables tau(u, p, t), got {lag!r} "
                                "(a number goes in constant_lags)")
        self.f, self.h, self.p = f, h, p
        self.u0 = h(p, t0) if u0 is None else u0
        self.tspan = (t0, tf)
        self.constant_lags, self.dependent_lags = lags, dep
        self.neutral, self.callback = bool(neutral), callback

    def remake(self, **changes: Any) -> "DDEProblem":
        """A copy with some of ``f, u0, h, tspan, p, constant_lags, dependent_lags, neutral`` replaced."""
        kw = dict(f=self.f, u0=self.u0, h=self.h, tspan=self.tspan, p=self.p,
                  constant_lags=self.constant_lags, dependent_lags=self.dependent_lags,
                  neutral=self.neutral, callback=self.callback)
        kw.update(changes)
        return DDEProblem(**kw)

    def _solve(self, algorithm: Any, **options: Any):
        from solvers.dde.solve import solve_dde

        options.pop("seed", None)
        return solve_dde(self, algorithm, **options)

    def __repr__(self) -> str:
        name = getattr(self.f, "__name__", type(self.f).__name__)
        return (f"DDEProblem(f={name}, u0={self.u0!r}, tspan={self.tspan!r}, "
                f"constant_lags={self.constant_lags!r}, dependent_lags={len(self.dependent_lags)})")
