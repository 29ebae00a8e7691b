"""Jacobian providers for stiff methods: user-given, forward mode, or finite differences.

``make_jacobian(f, options)`` returns ``jac(u, p, t) -> J`` (``J[i, j] = d f_i / d u_j``).

* ``options["jac"]`` (or ``ODEProblem.jac``): the user's ``jac(u, p, t)``;
* ``autodiff="forward"`` (default): ``nm.jacobian`` on the state, chunked
  forward mode; nested differentiation (a Dual parameter outside) works because
  ``nm.jacobian`` creates a fresh, ordered tag per call;
  a state type forward mode cannot seed (a ``MeasurementArray``) is
  differentiated at its primal value (see ``_forward``);
* ``autodiff="finite"``: forward differences with step ``sqrt(eps) max(1, |u_j|)``
  (plain float states only).
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from solvers._nm import nm

__all__ = ["make_jacobian", "time_derivative"]


def _at_primal(diff: Callable, u: Any, p: Any) -> Any:
    """``diff(u, p)``; when forward mode cannot seed through *u* or *p* (a MeasurementArray
    state, a Measurement parameter: ``TypeError``), the same at their primal values. The
    iteration matrix then omits the dJ/du and dJ/dp terms of their own perturbations -- exact
    for linear f; for nonlinear f an O(h^2)-per-step difference in the propagated perturbation
    (W-methods such as Rosenbrock23 keep their order for any J)."""
    try:
        return diff(u, p)
    except TypeError:
        v, q = nm.value(u), _primal_parameters(p)
        if v is u and q is p:
            raise
        return diff(v, q)


def _forward(f: Callable) -> Callable:
    import numeric

    def jac(u: Any, p: Any, t: Any) -> Any:
        return _at_primal(lambda x, q: numeric.jacobian(lambda y: f(y, q, t), x), u, p)

    return jac


def _finite(f: Callable) -> Callable:
    def jac(u: Any, p: Any, t: Any) -> Any:
        u = np.asarray(u)
        if u.dtype.kind != "f":
            raise TypeError("autodiff='finite' needs a float array state; use autodiff='forward' for other numbers")
        f0 = np.asarray(f(u, p, t))
        J = np.empty((f0.size, u.size), dtype=np.result_type(f0, u))
        sq = np.sqrt(np.finfo(u.dtype).eps)
        for j in range(u.size):
            du = sq * max(1.0, abs(float(u.flat[j])))
            x = u.copy()
            x.flat[j] += du
            J[:, j] = (np.asarray(f(x, p, t)) - f0).ravel() / du
        return J

    return jac


def make_jacobian(f: Callable, options: dict) -> Callable:
    """The Jacobian function chosen by *options* (``jac``, ``autodiff``)."""
    user = options.get("jac")
    if user is not None:
        if not callable(user):
            raise TypeError(f"jac must be callable jac(u, p, t) -> matrix, got {type(user).__name__}")
        return user
    mode = options.get("autodiff", "forward")
    if mode == "forward":
        return _forward(f)
    if mode == "finite":
        return _finite(f)
    raise ValueError(f"autodiff must be 'forward' or 'finite', got {mode!r}")


def time_derivative(f: Callable, u: Any, p: Any, t: Any) -> Any:
    """``d f(u, p, t) / dt`` by forward mode on the time (at the primal state and parameters
    when the state's type cannot carry the time's dual, as for the Jacobian)."""
    return _at_primal(lambda x, q: nm.derivative(lambda s: f(x, q, s), t), u, p)


def _primal_parameters(p: Any) -> Any:
    """*p* with its numbers replaced by primal values (tuples, lists and arrays kept); *p* itself
    when that changes nothing, so callers can tell whether a fallback exists."""
    if isinstance(p, (tuple, list)):
        q = type(p)(_primal_parameters(x) for x in p)
        return p if all(a is b for a, b in zip(q, p)) else q
    if p is None or callable(p):
        return p
    v = nm.value(p)
    return p if v is p else v
