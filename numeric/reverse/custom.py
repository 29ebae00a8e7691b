"""Custom derivative rules: declare the derivative of your own function once.

``custom_rule(partial_0, partial_1, ...)`` decorates a function of scalars
(or of arrays, elementwise) with its partial derivatives, in the format of
:mod:`numeric.rules`: ``partial_i(ans, *args)``, written with metanum
functions so that nesting differentiates them again. The rule is registered
in the rules module (``numeric.rules.register``), so forward mode (``Dual``,
``DualArray``) and reverse mode (the tape) both use it, and the decorated
function is never differentiated through its body: useful for a function
whose body is not differentiable code (an iteration, a library call) or
whose derivative has a cheaper or more accurate closed form.

Examples
--------
>>> import numeric as nm
>>> @nm.custom_rule(lambda ans, x: 1 / (1 + nm.exp(-x)))
... def softplus(x):
...     return nm.log1p(nm.exp(x))
>>> round(nm.derivative(softplus, 0.0), 12), round(nm.gradient(softplus, 0.0, mode="reverse"), 12)
(0.5, 0.5)
"""

from __future__ import annotations

from typing import Any, Callable

from numeric.protocol import outermost
from numeric.rules import register

__all__ = ["custom_rule"]


def custom_rule(*partials: Callable[..., Any], name: str | None = None) -> Callable:
    """Decorator: *partials* are ``partial_i(ans, *args)`` for each argument.

    Parameters
    ----------
    *partials : callables
        One per argument of the decorated function; ``None`` for an argument
        that is not differentiable (an integer order, a flag).
    name : str, optional
        The rule's name (default: module and qualified name of the function).
    """
    def deco(fn: Callable) -> Callable:
        rname = name or f"{fn.__module__}.{fn.__qualname__}"

        def wrapper(*args):
            best = outermost(args)  # the protocol's one dispatch decision
            return fn(*args) if best is None else best._nm_apply(rname, args)

        wrapper.__name__ = fn.__name__
        wrapper.__qualname__ = fn.__qualname__
        wrapper.__doc__ = fn.__doc__
        wrapper.__wrapped__ = fn
        wrapper.rule = register(rname, wrapper, tuple(partials))
        return wrapper

    return deco
