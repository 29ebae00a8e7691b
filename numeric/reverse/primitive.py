"""A primitive with a custom VJP: one tape node for a whole multi-input, multi-output function.

``custom_vjp(fwd)`` wraps ``fwd(*values) -> (outputs, vjp)``: *fwd* runs on
the plain primal values of the inputs and returns a tuple of outputs
(floats or float arrays) and a closure ``vjp(cotangents) -> input
cotangents`` (one cotangent per output in, one per input out; ``None`` for
an input without a derivative). Called with tracked inputs the wrapper puts
one GENERAL node on the tape (see :mod:`numeric.reverse.tape`) whose value
is the flat concatenation of all outputs; each output is a slice of it, so
reading a few outputs costs the backward pass only the slices read, and the
backward sweep calls *vjp* once with every output's cotangent (zeros for
outputs the loss did not read). The function is never taped through its
body: this is how an ODE solve becomes one node whose VJP runs an adjoint
(:mod:`solvers.ode.sensitivity.adjoint`), like ``jax.custom_vjp``.

Without tracked inputs the wrapper returns ``fwd``'s outputs unchanged.

Limits. The cotangents handed to *vjp* are whatever the backward pass
carries: plain floats for a first-order gradient. A forward-mode ``Dual``
(or ``DualArray``) input newer than the tape (``nm.hvp``: duals whose values
are tracked) is refused with a TypeError, since *fwd* runs on plain values
and would drop the dual's tangent. A tape that records its program
(``nm.record``) marks the recording as valid only at its input (the
primitive's body is not in the program).

Examples
--------
>>> import numpy as np, numeric as nm
>>> def fwd(a, b):                       # outputs a * b and sum(a), with their VJP
...     def vjp(g):
...         gprod, gsum = g
...         return gprod * b + gsum * np.ones_like(a), gprod * a
...     return (a * b, np.sum(a)), vjp
>>> f = nm.custom_vjp(fwd)
>>> nm.gradient(lambda x: np.sum(f(x, 2 * x)[0]) + f(x, x)[1], np.array([1.0, 3.0]), mode="reverse")
array([ 5., 13.])
"""

from __future__ import annotations

from typing import Any, Callable

import math

import numpy as np

from numeric.backend import is_foreign, namespace, reshape
from numeric.reverse.tracked import TrackedArray, is_tracked

__all__ = ["custom_vjp", "carries_reverse"]


def custom_vjp(fwd: Callable[..., tuple]) -> Callable[..., tuple]:
    """A function of several inputs and outputs that reverse mode differentiates by *fwd*'s VJP.

    Parameters
    ----------
    fwd : callable
        ``fwd(*values) -> (outputs, vjp)``: *values* are the inputs' primal
        values, *outputs* a tuple of numbers or arrays, ``vjp(cotangents)``
        returns one cotangent (shaped like the input, or ``None``) per input.

    Returns
    -------
    callable
        ``f(*inputs) -> tuple of outputs``, tracked where an input is tracked.
    """
    def wrapper(*inputs: Any) -> tuple:
        tape = _newest_tape(inputs)
        if tape is None:
            return tuple(fwd(*inputs)[0])
        values = tuple(a.value if is_tracked(a) and a.tape is tape else a for a in inputs)
        outputs, vjp = fwd(*values)
        return attach(tape, inputs, tuple(outputs), vjp)

    wrapper.__name__ = getattr(fwd, "__name__", "custom_vjp")
    wrapper.__doc__ = fwd.__doc__
    wrapper.__wrapped__ = fwd
    return wrapper


def carries_reverse(*inputs: Any) -> bool:
    """Whether an input is a reverse-mode tracked number (refusing ones hidden in containers)."""
    return _newest_tape(inputs) is not None


def _hidden(a: Any) -> bool:
    """A tracked number inside a tuple, list, dict or object array (not an input itself)."""
    if isinstance(a, dict):
        a = list(a.values())
    if isinstance(a, np.ndarray) and a.dtype == object:
        a = list(a.flat)
    if isinstance(a, (list, tuple)):
        return any(is_tracked(e) or _hidden(e) for e in a)
    return False


def _newest_tape(inputs: tuple) -> Any:
    """The tape of the newest tracked input (None: no tracked input); refuses newer duals."""
    order, newest = -1, None
    for a in inputs:
        if _hidden(a):
            raise TypeError(
                "custom_vjp: an input holds tracked numbers inside a container (tuple, list, "
                "dict or object array); pass the differentiated values as one array (the "
                "TrackedArray nm.gradient(..., mode='reverse') gives a function of an array)")
        o = getattr(a, "_nm_order", -1)
        if o > order:
            order, newest = o, a
    if newest is None:
        return None
    if not is_tracked(newest):
        raise TypeError(
            f"custom_vjp: an input is a {type(newest).__name__} (forward mode) on top of the "
            "reverse-mode tape; the primitive runs on plain values and would drop its tangent. "
            "Differentiate forward-over-reverse by nm.hvp only through taped code, or pass the "
            "primal (nm.value) on purpose")
    return newest.tape


def attach(tape: Any, inputs: tuple, outputs: tuple, vjp: Callable) -> tuple:
    """Put one node for *outputs* = F(*inputs*) with VJP *vjp* on *tape*; return tracked outputs."""
    xp = namespace(*outputs) if any(is_foreign(o) for o in outputs) else None
    # outputs on a device (CuPy, array API) stay there: flattened and joined in their namespace
    flats = ([xp.reshape(o, (-1,)) for o in outputs] if xp is not None
             else [np.ravel(np.asarray(o, dtype=float)) for o in outputs])
    sizes = np.cumsum([0] + [math.prod(f.shape) for f in flats])
    shapes = [tuple(o.shape) if xp is not None else np.shape(o) for o in outputs]
    pos = [i for i, a in enumerate(inputs) if is_tracked(a) and a.tape is tape]
    parents = tuple(inputs[i].index for i in pos)

    def node_vjp(g):
        g = xp.reshape(g, (-1,)) if xp is not None else np.asarray(g).reshape(-1)
        cots = tuple(reshape(g[int(sizes[j]):int(sizes[j + 1])], shapes[j]) if shapes[j] else
                     g[sizes[j]] for j in range(len(outputs)))
        cin = vjp(cots)
        return [None if cin[i] is None else _shaped(cin[i], inputs[i].value) for i in pos]

    if tape.program is not None and tape.unguarded is None:
        tape.unguarded = "a custom_vjp primitive (its body is not in the recorded program)"
    k = tape.push_general(parents, node_vjp)
    joined = xp.concat(flats) if xp is not None else np.concatenate(flats) if flats else np.zeros(0)
    hub = TrackedArray._new(joined, tape, k)
    return tuple(_slice(hub, int(sizes[j]), int(sizes[j + 1]), shapes[j])
                 for j in range(len(outputs)))


def _slice(hub: TrackedArray, a: int, b: int, shape: tuple) -> Any:
    if shape == ():
        return hub[a]
    return hub[a:b].reshape(shape)


def _shaped(c: Any, v: Any) -> Any:
    """Cotangent *c* in the shape of the input value *v*."""
    if is_foreign(c):
        return reshape(c, tuple(v.shape))
    if np.ndim(v) == 0:
        return float(np.reshape(c, ())) if np.size(c) == 1 else c
    return np.reshape(np.asarray(c, dtype=float), np.shape(v))
