"""The slice of the number protocol that ``solvers/`` uses, in one place.

Every algorithm in ``solvers/`` imports the protocol from here as ``nm``
(``from solvers._nm import nm``). Nothing here names a number type; it only
re-exports :mod:`numeric`'s helpers (``value``, ``zero``, ``one``, ``eps``,
``norm``, ``promote``) and elementary functions, and reaches the
differentiation API (``nm.derivative``) lazily, so that ``solvers`` imports
even while a number type is missing.
"""

from __future__ import annotations

import importlib
from types import SimpleNamespace
from typing import Any

import numpy as np

from numeric import functions as _functions
from numeric import protocol as _protocol

__all__ = ["nm", "real_eps", "is_finite_real"]


def _lazy(name: str):
    def call(*args: Any, **kwargs: Any) -> Any:
        numeric = importlib.import_module("numeric")
        f = getattr(numeric, name, None)
        if f is None:  # pragma: no cover - only while numeric/api.py is being written
            f = getattr(importlib.import_module("numeric.api"), name)
        return f(*args, **kwargs)

    call.__name__ = name
    return call


nm = SimpleNamespace(
    value=_protocol.value,
    layers=_protocol.layers,
    innermost=_protocol.innermost,
    zero=_protocol.zero,
    one=_protocol.one,
    eps=_protocol.eps,
    norm=_protocol.norm,
    norm_length=_protocol.norm_length,
    inner=_protocol.inner,
    is_vector_state=_protocol.is_vector_state,
    is_uncertain=_protocol.is_uncertain,
    linear_parts=_protocol.linear_parts,
    scalar_zero=_protocol.scalar_zero,
    promote=_protocol.promote,
    lincomb=_protocol.lincomb,
    derivative=_lazy("derivative"),
    uncertainty=_lazy("uncertainty"),
    **{name: getattr(_functions, name) for name in ("exp", "sin", "cos", "sqrt", "abs", "maximum", "minimum", "log")},
)


_ARRAY_EPS: dict = {}  # dtype -> eps of a plain float NumPy array: nm.eps's answer, looked up once
_FLOAT_EPS = float(np.finfo(np.float64).eps)


def real_eps(x: Any) -> Any:
    """Machine epsilon of *x*'s real type as a plain real (float, float32 or mpf).

    ``nm.eps`` may return an mpmath *constant*; ``* 1`` turns it into a number. A Python float
    and a float NumPy array (a solve asks about a dozen times) are answered from a table
    holding ``nm.eps``'s own answers (a few microseconds a call otherwise).

    >>> import numpy as np
    >>> real_eps(np.ones(2)) == np.finfo(np.float64).eps, real_eps(np.ones(2, dtype=np.float32)).dtype
    (True, dtype('float32'))
    """
    kind = type(x)
    if kind is float:
        return _FLOAT_EPS
    if kind is np.ndarray and x.dtype.kind == "f":
        e = _ARRAY_EPS.get(x.dtype)
        if e is None:
            e = _ARRAY_EPS[x.dtype] = nm.eps(x) * 1
        return e
    return nm.eps(x) * 1


_INF = float("inf")


def is_finite_real(x: Any) -> bool:
    """True when the plain real *x* (float, float32, mpf) is neither nan nor inf."""
    return bool(-_INF < x < _INF)
