"""The step loop for methods written against the stepper protocol (:mod:`solvers.ode.stepper`).

``solve`` sends a method here when its ``make_stepper`` takes one
:class:`~solvers.ode.stepper.StepperContext`. The loop lands on ``tstops`` and
``tf`` exactly, saves (``saveat``, ``save_everystep``, ``dense``) through the
steps' segments, and leaves step-size control to a controller object
(:mod:`solvers.ode.controllers`) or, for ``own_controller`` methods, to the
stepper's ``propose_dt``. Callbacks are not yet supported here.
"""

from __future__ import annotations

import inspect
from typing import Any


__all__ = ["is_protocol_method", "run_protocol"]


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

    return ProtocolIntegrator(s, dtr).solve()
