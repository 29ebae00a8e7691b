"""Preparing a solve's numbers: the state's type, the time's type, the first step.

Types
-----
The state ``u``, the time ``t`` and the parameters ``p`` keep the number
types the user gave. Before anything is allocated, ``u0`` is promoted
(``nm.promote``) with ``t0``, ``tf``, the ``tstops`` and every number found in ``p``,
so a dual parameter, a dual final time or a dual stop makes the state dual. The time keeps its
own type, except that it is raised to the state's real type when that is more
precise (a float ``tspan`` with an mpf state becomes mpf).

Step sizes are plain reals of the time's real type (``nm.value`` of the time:
float or mpf); the controller works on them. A step that ends on a stop
(``tf`` or a ``tstops`` entry) uses ``h = stop - t`` computed with the user's
numbers, so a dual ``tf`` passes its derivative into the last step and
``d u(tf) / d tf = f(u(tf), tf)`` comes out.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from solvers._nm import is_finite_real, nm, real_eps
from solvers.ode.solution import Stats
from solvers.ode.validate import check_rhs_shape

__all__ = ["numeric_leaves", "promote_state", "harmonize", "elevate_time", "initial_dt", "treal"]



def numeric_leaves(p: Any, depth: int = 0) -> list:
    """Numbers (scalars, arrays, number types) inside parameters *p*.

    >>> import numeric as nm
    >>> [type(x).__name__ for x in numeric_leaves((1.5, {"k": np.ones(2)}, "name", nm.Dual(2.0, 1.0)))]
    ['float', 'ndarray', 'Dual']
    """
    if type(p) is float:  # the common leaf, before the abstract number checks below
        return [p]
    if depth > 20 or p is None or isinstance(p, (str, bytes, bool)):
        return []
    if isinstance(p, (tuple, list)):
        return [x for e in p for x in numeric_leaves(e, depth + 1)]
    if isinstance(p, dict):
        return [x for e in p.values() for x in numeric_leaves(e, depth + 1)]
    if isinstance(p, np.ndarray):
        return [p] if p.dtype.kind in "fcO" else []
    if isinstance(p, numbers.Number) and not isinstance(p, numbers.Integral):
        return [p]
    if nm.value(p) is not p:  # a number type with derivative/uncertainty layers
        return [p]
    return []


def promote_state(u0: Any, t0: Any, tf: Any, p: Any, stops: Any = ()) -> Any:
    """*u0* in the number type of the solve: lifted by ``t0``, ``tf``, the *stops* (``tstops``) and the
    numbers in *p* that carry layers or more digits (a dual stop: the steps ending there carry it)."""
    others = [x for x in (t0, tf, *(stops or ())) if nm.value(x) is not x] + numeric_leaves(p)
    # only number types with layers (duals, measurements) and higher-precision
    # reals lift the state; a float64 parameter does not turn float32 into float64
    e_u = real_eps(u0)
    lifting = [x for x in others if nm.value(x) is not x or real_eps(x) < e_u]
    if not lifting:
        if isinstance(u0, (int, np.integer)) and not isinstance(u0, bool):
            return float(u0)
        if isinstance(u0, np.ndarray) and u0.dtype.kind in "iub":
            return u0.astype(float)
        if isinstance(u0, (list, tuple)):
            return _sequence_state(u0)
        return u0
    if isinstance(u0, (list, tuple)):
        u0 = _sequence_state(u0)
    return nm.promote(u0, *lifting)[0]


def _sequence_state(u0: Any) -> np.ndarray:
    """A list/tuple state as an array: float, or object when an element carries layers."""
    arr = np.asarray(u0)
    if arr.dtype.kind in "iub":
        return arr.astype(float)
    return arr


def _needs_lift(u: Any, k: Any) -> bool:
    """Does ``f(u)`` carry more than *u* (derivative layers, objects, more digits)?"""
    if nm.value(k) is not k and nm.value(u) is u:
        return True
    if isinstance(k, np.ndarray) and k.dtype == object and not (
        isinstance(u, np.ndarray) and u.dtype == object
    ):
        return True
    return bool(real_eps(k) < real_eps(u))


def as_object_array(u: Any) -> np.ndarray:
    """An array number as a NumPy object array of its scalar elements (same shape)."""
    out = np.empty(u.shape, dtype=object)
    for idx in np.ndindex(*u.shape):
        out[idx] = u[idx]
    return out


def harmonize(u: Any, f: Any, p: Any, t0: Any, stats: Stats) -> tuple:
    """Evaluate ``k1 = f(u, p, t0)`` and make the state a type that can hold ``u + h k``.

    A dual captured by *f* from a closure (not visible in ``p``) lifts the
    state here. When the state's array type and the one *f* returns do not
    mix (an array-of-numbers type against an object array of scalars), the
    state becomes an object array of scalars.
    """
    for attempt in range(3):
        k1 = f(u, p, t0)
        stats.nf += 1
        if isinstance(k1, (list, tuple)):
            raise TypeError(f"f(u, p, t) returned a {type(k1).__name__}: return an array "
                            "(e.g. np.array([...])) or the state's own kind, so that u + h*f(u) is defined")
        check_rhs_shape(u, k1)  # before u + h k broadcasts a wrong shape into NumPy's message
        try:
            if _needs_lift(u, k1):
                lifted = u + k1 * 0
                if lifted is not None:
                    u = lifted
                    continue
            u + k1 * 0.5
            return u, k1
        except TypeError:
            if attempt == 2 or not hasattr(u, "shape") or isinstance(u, np.ndarray) and u.dtype == object:
                raise TypeError(
                    f"the state ({type(u).__name__}) and f(u, p, t) ({type(k1).__name__}) cannot be "
                    "added: return the same kind of object from f as u0"
                ) from None
            u = as_object_array(u)
    return u, k1


def elevate_time(t: Any, e_state: Any) -> Any:
    if isinstance(t, (int, np.integer, np.float64)):
        t = float(t)
    if real_eps(t) > e_state:
        return t + e_state * 0
    return t


def treal(x: Any, one: Any) -> Any:
    """The plain real *x* (float, float32, mpf) in the real type of *one* (the time's)."""
    return float(x) if isinstance(one, float) else one * x


def _primal_on_device(p: Any, u: Any) -> Any:
    """*p* at its primal values where the primal state *u* is on a device: only the value of
    ``f`` is used, and ``u * c - p * g`` with a dual *p* would put a ``DualArray`` on the right of a
    device array (which ``array_api_strict`` refuses). On the host *p* as it is."""
    from numeric.backend import is_foreign
    from solvers.ode.stiff.jacobian import _primal_parameters

    return _primal_parameters(p) if is_foreign(u) else p


def initial_dt(f, u0, p, t0, f0, order, norm, tdir, span, dtmax, stats) -> Any:
    """Hairer's starting step (HNW I, §II.4, p. 169), on primal values (and, for an augmented
    sensitivity state, on its primal block: ``norm.primal()``)."""
    norm = norm.primal() if hasattr(norm, "primal") else norm
    pu0, pf0 = nm.value(u0), nm.value(f0)
    at_u0 = norm.at(pu0) if hasattr(norm, "at") else lambda e: norm(e, pu0, pu0)  # every norm here scales by u0
    tv0 = nm.value(t0)
    one = real_eps(tv0) * 0 + 1
    d0 = treal(at_u0(pu0), one)
    d1 = treal(at_u0(pf0), one)
    if not (d0 >= 1e-5 and d1 >= 1e-5):
        h0 = one * 1e-6
    else:
        h0 = 0.01 * d0 / d1
    h0 = min(h0, span)
    u1 = pu0 + pf0 * (h0 * tdir)
    f1 = nm.value(f(u1, _primal_on_device(p, pu0), tv0 + h0 * tdir))
    stats.nf += 1
    d2 = treal(at_u0(f1 - pf0), one) / h0
    m = d1 if d1 >= d2 else d2
    if not is_finite_real(m):
        return h0 * 1e-3
    if m <= 1e-15:
        h1 = max(h0 * 1e-3, one * 1e-6)
    else:
        h1 = (0.01 / m) ** (one / (order + 1))
    h = min(100 * h0, h1, span)
    if dtmax is not None:
        h = min(h, abs(dtmax))
    return h


