"""The step loop for methods written against the stepper protocol (:mod:`solvers.ode.stepper`).

``solve`` sends a method here when its ``make_stepper`` takes one
:class:`~solvers.ode.stepper.StepperContext`. The loop lands on ``tstops`` and
``tf`` exactly, saves (``saveat``, ``save_everystep``, ``dense``) through the
steps' segments, and leaves step-size control to a controller object
(:mod:`solvers.ode.controllers`) or, for ``own_controller`` methods, to the
stepper's ``propose_dt``. Callbacks (continuous and discrete) run through
:class:`solvers.ode.events.CallbackRunner` after each accepted step.
"""

from __future__ import annotations

import contextvars
import inspect
from typing import Any


__all__ = ["init", "is_protocol_method", "run_protocol"]


def is_protocol_method(alg: Any) -> bool:
    """True when ``alg.make_stepper`` takes exactly one argument (the context)."""
    make = getattr(alg, "make_stepper", None)
    if make is None:
        return False
    try:
        params = [p for p in inspect.signature(make).parameters.values()
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    except (TypeError, ValueError):
        return False
    return len(params) == 1


def run_protocol(s: Any, dtr: Any) -> Any:
    """Run the loop over the solve state *s* (a namespace built by the integrator) from step *dtr*."""
    from solvers.ode.integrator_object import ProtocolIntegrator

    integ = ProtocolIntegrator(s, dtr)
    if _CAPTURE.get():  # init(): hand the integrator back unsolved, past solve's post-processing
        raise _Captured(integ)
    return integ.solve()


_CAPTURE = contextvars.ContextVar("_protocol_capture", default=False)


class _Captured(Exception):
    """Carries the unsolved integrator from run_protocol back to init."""

    def __init__(self, integ: Any) -> None:
        super().__init__("internal: integrator captured by init")
        self.integ = integ


def init(prob: Any, alg: Any = None, **options: Any) -> Any:
    """Build a :class:`~solvers.ode.integrator_object.ProtocolIntegrator` for *prob* without solving.

    Takes the same options as :func:`solvers.solve` and works for every method (explicit
    Runge-Kutta, GBS, the stiff methods, callbacks). ``compile=True`` is refused: the compiled
    kernel runs a whole solve at once, not step by step; :func:`solvers.prepare` is the compiled
    kernel's counterpart of ``init`` + ``reinit`` + ``solve`` (validated once, many solves).

    Examples
    --------
    >>> import numpy as np
    >>> from solvers import ODEProblem, Tsit5, init
    >>> integ = init(ODEProblem(lambda u, p, t: -u, np.array([1.0]), (0.0, 1.0)), Tsit5())
    >>> integ.step().t > 0, integ.solve().retcode.name
    (True, 'Success')
    """
    from solvers import solve

    if options.get("compile"):
        raise ValueError("init: compile=True runs the whole solve in the compiled kernel, not step by step; "
                         "use solve(prob, alg, compile=True), prepare(prob, alg, compile=True) for many "
                         "solves of one problem (solvers.ode.prepared), or init without compile")
    options["compile"] = False
    token = _CAPTURE.set(True)
    try:
        sol = solve(prob, alg, **options)
    except _Captured as c:
        return c.integ
    finally:
        _CAPTURE.reset(token)
    raise ValueError(f"init: the solve could not start ({sol.retcode.name}: {getattr(sol, 'message', '')})")
