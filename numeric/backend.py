"""Array namespaces: which array library an array belongs to.

metanum never imports CuPy at module level. An array's namespace is found
from the module its type lives in, so a CuPy array keeps its computation on
the GPU and a NumPy array on the CPU, and nothing else needs to know which.

Examples
--------
>>> import numpy as np
>>> from numeric.backend import namespace
>>> namespace(np.ones(3)) is np
True
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any

import numpy as np

__all__ = ["namespace", "is_array", "special"]


def namespace(*xs: Any) -> ModuleType:
    """Return the array module (``numpy`` or ``cupy``) of the arrays among *xs*.

    Scalars and Python objects belong to NumPy. A mixture of CuPy and NumPy
    arrays is an error, because it would silently copy between devices.
    """
    found = np
    for x in xs:
        mod = type(x).__module__.split(".", 1)[0]
        if mod == "cupy":
            found = importlib.import_module("cupy")
        elif mod != "numpy":
            inner = getattr(x, "_nm_namespace", None)
            if inner is not None and inner is not np:
                found = inner
    return found


def is_array(x: Any) -> bool:
    """True for NumPy and CuPy arrays (not for their scalars)."""
    if isinstance(x, np.ndarray):
        return True
    return type(x).__module__.startswith("cupy") and hasattr(x, "shape")


def special(xp: ModuleType, name: str):
    """The ufunc *name* (``erf``, ``gamma``, ...) for arrays of namespace *xp*.

    NumPy has no ``erf`` or ``gamma`` ufuncs; for NumPy metanum provides its
    own compiled ufuncs (``numeric._special``). CuPy's come from
    ``cupyx.scipy.special``.
    """
    if xp is np:
        from numeric import _special

        return getattr(_special, name)
    mod = importlib.import_module("cupyx.scipy.special")
    return getattr(mod, name)
