"""Explicit Runge-Kutta (any tableau) and GBS extrapolation as steppers of the protocol loop.

:class:`RKStepper` is the one explicit-RK stepper of the code base (``ExplicitRK.make_stepper``;
:mod:`solvers.ode.stiff.auto` uses it for the explicit member too). It wraps the stage kernels
of :mod:`solvers.ode.steppers` (stage buffers for NumPy float arrays, one stage matrix in the state's own namespace for
float arrays of another array library (:mod:`solvers.ode.array_stepper`), ``+``/``*`` for every
other number type, chosen once from the state's type), evaluates ``f(u)`` when the loop does not
know it (and keeps it across a rejected try), counts the evaluations, returns the last stage
as ``f_new`` for FSAL tableaus, the tableau's interpolant as the segment, and a free stiffness
estimate ``eigen_est`` from the last two stages (for AutoSwitch).
:class:`OwnControllerStepper` does the same for a method that picks its own step (GBS): the
loop asks it for the next step through ``propose_dt``. Both have the optional ``step_to`` hook
(:mod:`solvers.ode.stepper`): the loop passes the exact end time of a step that lands on a stop.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from numeric.backend import dtype_kind, is_array, is_numpy, namespace
from solvers._nm import nm
from solvers.ode.array_stepper import NamespaceArrayStepper
from solvers.ode.solution import Segment, lincomb
from solvers.ode.steppers import FloatArrayStepper, GenericStepper

__all__ = ["RKStepper", "OwnControllerStepper", "STIFF_HINT"]

STIFF_HINT = ("; the problem may be stiff (explicit methods need tiny steps there): try a stiff method "
              "(solvers.Rodas4() or solvers.Rosenbrock23()), or raise maxiters")


class _F0Cache:
    """``f(u, p, t)`` at the step's start, computed once per start point (a rejected try reuses it)."""

    def _f0(self, t: Any, u: Any, f0: Any) -> Any:
        if f0 is not None:
            return f0
        if self._at is not None and self._at[0] is u and self._at[1] is t:
            return self._at[2]
        f0 = self.inner.f(u, self.inner.p, t)
        self.stats.nf += 1
        self._at = (u, t, f0)
        return f0

    @property
    def p(self) -> Any:
        return self.inner.p

    @p.setter
    def p(self, value: Any) -> None:
        self.inner.p = value
        self._at = None

    def reinit(self, t: Any, u: Any) -> None:
        self._at = None


def _kernel(co: Any, ctx: Any) -> tuple:
    """The stage kernel for the state's type: ``(kernel, float_path)``."""
    u0 = ctx.u0
    if isinstance(u0, np.ndarray) and u0.dtype.kind == "f" and co.float_dtype == u0.dtype:
        return FloatArrayStepper(co, ctx.f, ctx.p, u0, ctx.atol, ctx.rtol, ctx.adaptive,
                                 keep_stages=bool(ctx.dense), errornorm=getattr(ctx.norm, "spec", None)), True
    if is_array(u0) and not is_numpy(namespace(u0)) and dtype_kind(u0.dtype) == "f":
        return NamespaceArrayStepper(co, ctx.f, ctx.p, u0, ctx.atol, ctx.rtol, ctx.adaptive), False
    inner = GenericStepper(co, ctx.f, ctx.p, ctx.norm, ctx.adaptive)
    inner.coerce_like(u0, ctx.f0)
    return inner, False


class RKStepper(_F0Cache):
    """An explicit Runge-Kutta method given by *tableau*, on the stepper protocol.

    Examples
    --------
    >>> import numpy as np
    >>> from solvers import ODEProblem, Tsit5, init
    >>> integ = init(ODEProblem(lambda u, p, t: -u, np.array([1.0]), (0.0, 1.0)), Tsit5(), rtol=1e-8)
    >>> type(integ.stepper).__name__, bool(abs(integ.solve().u[-1][0] - np.exp(-1)) < 1e-7)
    ('RKStepper', True)
    """

    maxiters_hint = STIFF_HINT

    def __init__(self, tableau: Any, ctx: Any) -> None:
        self.co = co = tableau.coefficients(ctx.u0, nm.value(ctx.t0))
        self.inner, self.float_path = _kernel(co, ctx)
        self.stats, self.tableau = ctx.stats, tableau
        self.n_new, self.fsal = tableau.stages - 1, bool(tableau.fsal)
        self.error_order = getattr(tableau, "embedded_order", None) or tableau.order - 1
        self.landing_factor = 1.01 if ctx.adaptive else 1 + 1e-9
        self.maxiters_hint = STIFF_HINT if ctx.adaptive else ""
        self._at = self._last = None

    def step(self, t: Any, u: Any, f0: Any, h: Any) -> tuple:
        return self.step_to(t, u, f0, h, t + h)

    def step_to(self, t: Any, u: Any, f0: Any, h: Any, t_new: Any) -> tuple:
        inner = self.inner
        f0 = self._f0(t, u, f0)
        u_new, E, K = inner.step(t, u, f0, h, t_new)
        self.stats.nf += self.n_new
        self._last = (u, h, u_new, K)
        if self.float_path:
            seg = Segment(t, h, u, u_new, None, K, self.co, inner.f, inner.p, self.stats)
        else:
            seg = Segment(t, h, u, u_new, K, None, self.co, inner.f, inner.p, self.stats)
        return u_new, E, inner.last_stage(K) if self.fsal else None, seg

    def accept(self, t_new: Any, u_new: Any, h: Any) -> None:
        hook = getattr(self.inner, "accepted", None)
        if hook is not None:
            hook()

    @property
    def eigen_est(self) -> float:
        """``|k_s - k_{s-1}| / |g_s - g_{s-1}|`` of the last step (``g_i`` the stage arguments):
        a free estimate of the dominant eigenvalue's size (Hairer-Wanner II, IV.2)."""
        if self._last is None:
            return 0.0
        u, h, u_new, K = self._last
        s, a = self.tableau.stages, self.co.a
        if self.float_path:
            ks = [K[i] for i in range(s)]
            u, u_new = np.ravel(u), np.ravel(u_new)
        else:
            ks = K
        g_last = u_new if self.fsal else u + lincomb(a[s - 1], ks) * h
        g_prev = u + lincomb(a[s - 2], ks) * h
        den = float(nm.value(nm.norm(nm.value(g_last - g_prev))))
        num = float(nm.value(nm.norm(nm.value(ks[-1] - ks[-2]))))
        return num / den if den > 0 else 0.0


class OwnControllerStepper(_F0Cache):
    """A stepper that chooses acceptance and the next step (``ratio``) itself, e.g. GBS."""

    fsal = True
    maxiters_hint = STIFF_HINT

    def __init__(self, inner: Any, ctx: Any) -> None:
        self.inner, self.stats, self._at = inner, ctx.stats, None
        self.initial_order = inner.order  # the first order tried (the automatic first step uses it)
        self.landing_factor = 1.01 if ctx.adaptive else 1 + 1e-9
        inner.prepare(dense_output=bool(ctx.dense))  # GBS picks a step-number sequence with midpoint data

    def step(self, t: Any, u: Any, f0: Any, h: Any) -> tuple:
        return self.step_to(t, u, f0, h, t + h)

    def step_to(self, t: Any, u: Any, f0: Any, h: Any, t_new: Any) -> tuple:
        inner = self.inner
        f0 = self._f0(t, u, f0)
        u_new, E, rec = inner.step(t, u, f0, h, t_new)
        if E is not None and not float(E) <= 1:
            return u_new, E, None, None
        return u_new, E, inner.last_stage(rec), inner.segment(t, h, u, u_new, f0, rec)

    def propose_dt(self, h: Any, E: Any, accepted: bool) -> Any:
        return h * self.inner.ratio
