"""The ODE method (stepper) protocol: what a method provides so that the integrator can drive it.

A *method* is the algorithm object users pass to ``solve(prob, Method())``::

    class SomeMethod:
        name: str                 # "Rodas5P"
        order: int                # order of the propagated solution (initial dt, controller)
        error_order: int          # optional; order of the error estimate if it differs from order
        adaptive: bool            # has an error estimate
        needs_jacobian: bool      # informational (the stepper builds its own Jacobian provider)
        own_controller: bool = False   # True for BDF-type methods that pick the next dt/order themselves
        supports_mass_matrix: bool = False  # True if it solves M u' = f(u, p, t)
        def make_stepper(self, ctx: StepperContext) -> Stepper: ...

The integrator builds one :class:`StepperContext` per solve and calls
``make_stepper(ctx)`` once. The returned *stepper* satisfies::

    class Stepper:
        p: Any                    # writable: a callback that changes p makes the loop set stepper.p
        fsal: bool                # True if the f_new returned by step is f(u_new, p, t_new)
        def step(self, t, u, f0, h) -> tuple:
            # one attempted step from (t, u) of size h; f0 = f(u, p, t) or None when not known.
            # Returns (u_new, E, f_new, segment):
            #   u_new    the new state (same type as u)
            #   E        scaled error, a real (<= 1 accepts), or None when not adaptive;
            #            a failed Newton iteration returns E = inf (the loop shrinks h): never raise
            #   f_new    f(u_new, p, t + h) when known for free, else None
            #   segment  interpolant over [t, t + h]: segment(theta) -> u(t + theta h),
            #            segment.derivative(theta) -> du/dt there, segment.theta(t_abs) -> theta;
            #            may be built lazily.
        # optional hooks, called by the loop when present:
        def accept(self, t_new, u_new, h) -> None: ...    # history update (BDF), Jacobian reuse
        def reject(self, h, E) -> None: ...
        def propose_dt(self, h, E, accepted): ...        # own_controller only: the next step size
        def reinit(self, t, u): ...   # a callback changed u or p: restart history; may return a new
                                  # state to go on from (a DAE's consistent algebraic components)
        def step_to(self, t, u, f0, h, t_new) -> tuple: ...  # as step; t_new is the exact end time
                                  # (the stop itself when the step lands on tf or a tstop)
        def initialize(self, t0, u0): ...   # called once before the first step; may return a new
                                  # initial state (a DAE's consistent algebraic variables), which
                                  # replaces the saved first point; None or u0 keeps it
        # optional attributes, read once when the stepper is built:
        landing_factor: float     # default 1.0001: a planned step h with h * landing_factor >=
                                  # the distance to the next stop is stretched to land on the stop
                                  # (no sliver step); 1.01 for the adaptive RK steppers
        maxiters_hint: str        # appended to the MaxIters message (the explicit RK steppers
                                  # suggest a stiff method: STIFF_HINT)
        initial_order: int        # the order the automatic first step size is computed for
                                  # (default method.order; AutoSwitch starts at its explicit
                                  # method's order)

The loop, per attempt (:class:`solvers.ode.integrator_object.ProtocolIntegrator`): plan ``h`` (clipped
to ``dtmax`` and to the next stop, stretched by ``landing_factor``), call ``step_to`` (or
``step``), let the controller (or ``propose_dt``) decide, then on acceptance call ``accept``,
save through the segment, run the callbacks (which may change ``u`` or ``p``: ``reinit``) and
reuse ``f_new`` as the next ``f0`` when ``fsal``.

Step-size control for methods without ``own_controller`` is done by the
loop's controller objects (I, PI, PID) from ``error_order`` (default
``order``; the controller uses ``error_order + 1``-th root as usual).

Return codes are :class:`solvers.ode.solution.ReturnCode`: Success, MaxIters,
DtLessThanMin, Unstable, InitialFailure, Failure, Terminated.

``ctx.options`` carries, besides solve's method options (``jac``,
``jac_prototype``, ``sparse``, ``linsolve`` = "lu" | "sparse" | "gmres",
``autodiff`` = "forward" | "finite", ``precond``, ``krylov_rtol``), the problem's ``mass_matrix``, ``jac``
and ``jac_prototype`` (:func:`solvers.ode.integrator.method_options`); a
solve option overrides the problem's. The loop knows nothing about
Jacobians: a stiff method builds its own provider from these.

Examples
--------
A minimal fixed-step explicit Euler method written against the protocol:

>>> class Euler1:
...     name, order, adaptive, needs_jacobian, own_controller = "Euler1", 1, False, False, False
...     def make_stepper(self, ctx):
...         return EulerStepper(ctx.f, ctx.p)
>>> class EulerStepper:
...     fsal = False
...     def __init__(self, f, p):
...         self.f, self.p = f, p
...     def step(self, t, u, f0, h):
...         k = self.f(u, self.p, t) if f0 is None else f0
...         return u + h * k, None, None, None
>>> ctx = StepperContext(f=lambda u, p, t: -u, p=None, t0=0.0, u0=1.0, f0=-1.0, norm=None,
...                      atol=1e-6, rtol=1e-3, stats=None, adaptive=False, dense=False)
>>> st = Euler1().make_stepper(ctx)
>>> st.step(0.0, 1.0, None, 0.1)[0]
0.9
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Protocol, runtime_checkable

__all__ = ["StepperContext", "Stepper", "Method"]


@dataclass
class StepperContext:
    """What the integrator hands a method's ``make_stepper`` (built once per solve).

    Attributes
    ----------
    f : callable
        ``f(u, p, t) -> du`` (same shape and type as ``u``).
    p : any
        Parameters (callbacks may replace them; the loop then sets ``stepper.p``).
    t0, u0 : any
        Promoted initial time and state (float array, object array of mpf,
        DualArray, MeasurementArray, scalar, Fun, ...).
    f0 : any
        ``f(u0, p, t0)``.
    norm : callable
        ``norm(err, u_old, u_new)`` -> real scaled error (accept when <= 1); with
        ``error_norm="primal"`` it measures the primal part of ``err`` only
        (:func:`solvers.ode.steppers.error_norm`).
    atol, rtol : any
        Tolerances (validated: scalars or arrays of the state's shape).
    stats : Stats
        Counters ``nf, njac, nfactor, nsolve, nnewton, naccept, nreject``.
    adaptive : bool
        Whether the step size is controlled.
    dense : bool
        Whether anything needs interpolants (saveat, dense, callbacks).
    options : dict
        Method options (see the module docstring).
    """

    f: Callable
    p: Any
    t0: Any
    u0: Any
    f0: Any
    norm: Callable | None
    atol: Any
    rtol: Any
    stats: Any
    adaptive: bool
    dense: bool
    options: dict = field(default_factory=dict)


@runtime_checkable
class Stepper(Protocol):
    """One method's step from ``(t, u)`` with size ``h`` (see the module docstring)."""

    p: Any
    fsal: bool

    def step(self, t: Any, u: Any, f0: Any, h: Any) -> tuple: ...


@runtime_checkable
class Method(Protocol):
    """An algorithm object that builds a :class:`Stepper` from a :class:`StepperContext`."""

    name: str
    order: int
    adaptive: bool

    def make_stepper(self, ctx: StepperContext) -> Stepper: ...
