"""Checks of a solve's inputs: each bad input becomes a clear error, never a silent wrong answer.

Nothing here names a number type: precision is compared through
:func:`solvers._nm.real_eps`, shapes through ``.shape``.

Examples
--------
>>> import numpy as np
>>> check_tolerances(1e-6, np.array([1e-8, 1e-8]), np.zeros(2))
>>> try:
...     check_tolerances(0.0, 1e-8, np.zeros(2))
... except ValueError as e:
...     print(str(e)[:36])
rtol must be positive and finite, go
"""

from __future__ import annotations

from typing import Any

import numpy as np

from numeric.backend import device_of, is_foreign, namespace, to_host
from solvers._nm import is_finite_real, nm, real_eps

__all__ = ["check_tspan", "check_tolerances", "check_rhs_shape", "check_rhs_output", "check_mass_matrix", "check_saveat",
           "tolerance_below_precision"]


def check_tspan(tv0: Any, tvf: Any) -> None:
    """Refuse a ``tspan`` end that is nan or infinite."""
    for name, v in (("t0", tv0), ("tf", tvf)):
        if not is_finite_real(v):
            raise ValueError(f"tspan: {name} = {v} is not a finite number; give a finite (t0, tf)")


def _tol_values(tol: Any) -> list:
    if is_foreign(tol):     # a device tolerance array: read on the host once, at setup
        return to_host(tol).ravel().tolist()
    if isinstance(tol, np.ndarray):
        return [nm.value(x) for x in tol.ravel()]
    if isinstance(tol, (list, tuple)):
        return [nm.value(x) for x in tol]
    return [nm.value(tol)]


def check_tolerances(rtol: Any, atol: Any, u: Any) -> None:
    """rtol > 0, atol >= 0, both finite, scalars or of the state's shape."""
    shape = getattr(u, "shape", ())
    for name, tol, positive in (("rtol", rtol, True), ("atol", atol, False)):
        tshape = np.shape(tol) if isinstance(tol, (np.ndarray, list, tuple)) else tuple(getattr(tol, "shape", ()))
        if tshape != () and tshape != tuple(shape):
            raise ValueError(f"{name} has shape {tshape} but the state has shape {tuple(shape)}: "
                             "give a scalar or an array of the state's shape")
        for v in _tol_values(tol):
            ok = is_finite_real(v) and (v > 0 if positive else v >= 0)
            if not ok:
                need = "positive and finite" if positive else "non-negative and finite"
                raise ValueError(f"{name} must be {need}, got {v}")


def tolerance_below_precision(rtol: Any, u: Any) -> str | None:
    """A message when *rtol* is below 10 eps of the state's real type (the solve cannot be that
    accurate: rounding in every step is larger), else None. scipy's solve_ivp warns below 100 eps
    and raises rtol; here the solve keeps the user's rtol and says so."""
    try:
        e = real_eps(nm.value(u))
        smallest = min(_tol_values(rtol))
    except Exception:  # a state type without a real type, or no values
        return None
    if smallest >= 10 * e:
        return None
    return (f"rtol = {float(smallest):.3g} is below 10 eps of the state's type ({float(10 * e):.3g}): the "
            "solution cannot be that accurate, rounding in each step is larger; raise rtol or carry "
            "the state in a wider type (float64, or mpf at more digits)")


def check_rhs_shape(u: Any, k: Any) -> None:
    """Refuse ``k = f(u0, p, t0)`` whose shape is not the state's (before ``u + h k`` broadcasts)."""
    us, ks = getattr(u, "shape", None), getattr(k, "shape", None)
    if us is not None and ks is not None and tuple(ks) != tuple(us):
        raise ValueError(f"f(u, p, t) returned shape {tuple(ks)} but the state has shape {tuple(us)}: "
                         "f must return the derivative of every state component")
    if us is None and ks not in (None, ()) and isinstance(k, np.ndarray) and k.size != 1:
        raise ValueError(f"f(u, p, t) returned an array of shape {tuple(ks)} for a scalar state")


def check_rhs_output(u: Any, k: Any) -> Any:
    """Check ``k = f(u0, p, t0)`` against the state: shape, complexity and precision. Returns *k*."""
    check_rhs_shape(u, k)
    uv, kv = nm.value(u), nm.value(k)
    if _is_complex(kv) and not _is_complex(uv):
        raise TypeError("f(u, p, t) returned complex values for a real state: the imaginary part would be "
                        "dropped; give a complex u0 (e.g. u0.astype(complex))")
    try:
        e_u, e_k = real_eps(uv), real_eps(kv)
    except Exception:  # a state type without a real type: nothing to compare
        return k
    if _is_float_kind(kv) and e_k > e_u * 1e3:
        raise TypeError(f"precision loss: the state carries {_digits(e_u)} digits but f(u, p, t) returns "
                        f"{type(kv).__name__} values with {_digits(e_k)} digits (eps {float(e_k):.1e}); "
                        "compute f in the state's number type (e.g. mpmath functions on mpf)")
    return k


def _is_float_kind(x: Any) -> bool:
    if isinstance(x, np.ndarray):
        return x.dtype.kind in "fc"
    return isinstance(x, (float, np.floating, complex, np.complexfloating))


def _digits(e: Any) -> int:
    import math

    return int(round(-math.log10(float(e)))) if float(e) > 0 else 0


def _is_complex(x: Any) -> bool:
    if isinstance(x, np.ndarray):
        if x.dtype.kind == "c":
            return True
        return False
    return isinstance(x, (complex, np.complexfloating))


def check_mass_matrix(prob: Any, alg: Any) -> None:
    """Explicit methods solve ``u' = f`` only: refuse a non-identity mass matrix."""
    M = getattr(prob, "mass_matrix", None)
    if M is None or getattr(alg, "supports_mass_matrix", False):
        return
    if _is_identity(M):
        return
    raise ValueError(f"{getattr(alg, 'name', type(alg).__name__)} is an explicit method and cannot solve "
                     "M u' = f(u, p, t) with a non-identity mass_matrix: use a stiff (Rosenbrock or BDF) "
                     "method, or drop mass_matrix")


def _is_identity(M: Any) -> bool:
    if isinstance(M, (int, float)) and M == 1:
        return True
    try:
        if hasattr(M, "toarray"):
            M = M.toarray()
        if is_foreign(M):   # decided on the device: one boolean to the host, at setup
            xp = namespace(M)
            return M.ndim == 2 and M.shape[0] == M.shape[1] and bool(
                xp.all(M == xp.eye(M.shape[0], dtype=M.dtype, device=device_of(M))))
        A = np.asarray(M)
        return A.ndim == 2 and A.shape[0] == A.shape[1] and bool(np.all(A == np.eye(A.shape[0])))
    except Exception:
        return False


def check_saveat(save_times: list, tv0: Any, tvf: Any, tdir: int) -> None:
    """Every ``saveat`` time must lie in ``tspan`` (closed)."""
    for s in save_times:
        v = nm.value(s)
        if not is_finite_real(v) or tdir * (v - tv0) < 0 or tdir * (v - tvf) > 0:
            raise ValueError(f"saveat time {v} lies outside tspan ({tv0}, {tvf}): give save times inside it")
