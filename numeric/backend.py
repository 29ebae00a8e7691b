"""Array namespaces: which array library an array belongs to, and what it can do.

metanum never imports CuPy at module level. The namespace of the inputs
decides every array operation, so a CuPy array keeps its computation on the
GPU, an ``array_api_strict`` array proves on the CPU that no hidden NumPy
call is made, and a NumPy array takes the NumPy fast paths.

:func:`namespace` returns, for the arrays among its arguments:

* ``numpy`` itself for NumPy arrays, NumPy scalars and Python numbers. NumPy
  2 is an array-API namespace at its top level (``np.concat``,
  ``np.permute_dims``, ``np.astype``), so the NumPy float path pays nothing
  for going through a namespace (no wrapper, no per-operation cost);
* the ``array_api_compat`` namespace otherwise (``array_api_compat.cupy``
  for CuPy, ``array_api_strict`` for itself, ...).

Code that must run on every namespace uses array-API names only
(``xp.concat``, ``xp.reshape(x, s)``, ``xp.linalg.solve``). NumPy-only fast
paths (numba kernels, LAPACK ``getrf``/``getrs``, object arrays of ``mpf``)
are chosen by *capability* (:func:`is_numpy`, :func:`has_numba`,
:func:`has_lapack`, :func:`has_object_arrays`), never by default; so is the LU kept across
solves (:func:`lu_module`, :func:`linear_solver`: SciPy's, CuPy's ``cupyx.scipy.linalg``, or
``xp.linalg.solve`` per solve where the namespace has none).

Examples
--------
>>> import numpy as np
>>> from numeric.backend import namespace, is_numpy
>>> namespace(np.ones(3)) is np, is_numpy(namespace(2.0))
(True, True)
"""

from __future__ import annotations

import math
from types import ModuleType
from typing import Any

import numpy as np

__all__ = ["namespace", "is_array", "special", "is_numpy", "has_numba", "has_lapack",
           "has_object_arrays", "elementwise", "to_host_float", "device_of", "dtype_kind", "finfo",
           "reshape", "copy", "astype", "is_float_array", "is_foreign", "matmul", "explain_operands",
           "to_host", "like", "add", "lu_module", "linear_solver", "is_cupy", "primal_ufunc"]

_NUMPY_TYPES = (np.ndarray, np.generic, float, int, bool, complex)


def _compat_namespace(x: Any) -> ModuleType:
    import array_api_compat

    return array_api_compat.array_namespace(x)


def namespace(*xs: Any) -> ModuleType:
    """The array namespace of the arrays among *xs* (``numpy`` for NumPy and Python numbers).

    A metanum array type (``DualArray``, ``MeasurementArray``) belongs to the
    namespace of its value array (its ``_nm_namespace``). NumPy arrays next to
    arrays of another library are taken as constants of that library's
    computation; arrays of two different non-NumPy libraries are an error,
    because combining them would copy between devices silently.

    Raises
    ------
    TypeError
        When arrays of two non-NumPy namespaces meet.
    """
    found = np
    for x in xs:
        if isinstance(x, _NUMPY_TYPES) or x is None:
            continue
        inner = getattr(x, "_nm_namespace", None)
        if inner is None and hasattr(x, "__array_namespace__"):
            inner = _compat_namespace(x)
        if inner is None or inner is np or inner is found:
            continue
        if found is not np:
            raise TypeError(f"arrays of two array libraries meet ({found.__name__} and {inner.__name__}); "
                            "move them to one device first (e.g. cupy.asarray or .get())")
        found = inner
    return found


def is_array(x: Any) -> bool:
    """True for arrays of NumPy or of any array-API library (CuPy, array_api_strict); not for scalars.

    metanum's own array types (``DualArray``, ...) are not plain arrays.
    """
    if isinstance(x, np.ndarray):
        return True
    if isinstance(x, np.generic) or hasattr(type(x), "_nm_apply"):
        return False
    return hasattr(x, "__array_namespace__") and hasattr(x, "shape")


def is_numpy(xp: ModuleType) -> bool:
    """Whether *xp* is NumPy (itself or array_api_compat's wrapper): the NumPy fast paths apply."""
    return xp is np or getattr(xp, "__name__", "") == "array_api_compat.numpy"


def is_cupy(xp: ModuleType) -> bool:
    """Whether *xp* is CuPy (itself or array_api_compat's wrapper): ``cupyx.scipy`` applies."""
    return "cupy" in getattr(xp, "__name__", "")


def has_numba(xp: ModuleType) -> bool:
    """Whether numba-compiled kernels may take arrays of *xp* (host NumPy arrays only)."""
    return is_numpy(xp)


def has_lapack(xp: ModuleType) -> bool:
    """Whether SciPy's LAPACK wrappers (``getrf``/``getrs``) may take arrays of *xp*."""
    return is_numpy(xp)


def has_object_arrays(xp: ModuleType) -> bool:
    """Whether *xp* has ``dtype=object`` arrays (arrays of ``mpf``, of ``Dual``): NumPy only."""
    return is_numpy(xp)


def lu_module(xp: ModuleType) -> ModuleType | None:
    """The module with ``lu_factor`` / ``lu_solve`` for dense arrays of *xp*, or ``None``.

    ``scipy.linalg`` for NumPy, ``cupyx.scipy.linalg`` for CuPy (the same signatures, the factors
    kept on the GPU); ``None`` for a namespace without an LU factorisation to keep (the array API
    standard has only ``linalg.solve``: ``array_api_strict``).

    >>> import numpy as np, scipy.linalg
    >>> lu_module(np) is scipy.linalg
    True
    """
    import importlib

    if is_numpy(xp):
        return importlib.import_module("scipy.linalg")
    if is_cupy(xp):
        return importlib.import_module("cupyx.scipy.linalg")
    return None


def linear_solver(A: Any) -> Any:
    """``b -> A^-1 b`` for a square float array *A* of any namespace, to apply many times.

    Where the namespace has an LU factorisation (:func:`lu_module`: SciPy, CuPy's ``cupyx``),
    *A* is factorised once here and each call is a pair of triangular solves (no finiteness
    check: it would synchronise with the device; a singular *A* gives non-finite solutions,
    which a stiff step rejects). Otherwise each call is ``xp.linalg.solve(A, b)`` (a fresh
    factorisation: the array API's fallback). *b* may be a vector or a matrix of columns.
    The solver's ``factored`` attribute says which.

    >>> import numpy as np
    >>> s = linear_solver(np.array([[2.0, 0.0], [1.0, 1.0]]))
    >>> s.factored, s(np.array([2.0, 3.0])).tolist()
    (True, [1.0, 2.0])
    """
    xp = namespace(A)
    mod = lu_module(xp)
    if mod is None:
        def solve(b: Any) -> Any:
            return xp.linalg.solve(A, b)
        solve.factored = False
        return solve
    factors = mod.lu_factor(A, check_finite=False)

    def solve_lu(b: Any) -> Any:
        return mod.lu_solve(factors, b, check_finite=False)
    solve_lu.factored = True
    return solve_lu


def is_float_array(x: Any) -> bool:
    """True for a real floating array of any namespace (NumPy, CuPy, array_api_strict).

    Not for metanum's array types (their value may be one) nor for object arrays: what the
    stiff methods' float paths (eigen-split Radau, the one-expression Newton norm) take.

    >>> import numpy as np
    >>> is_float_array(np.ones(2)), is_float_array(np.ones(2, dtype=object)), is_float_array(1.0)
    (True, False, False)
    """
    return is_array(x) and dtype_kind(x.dtype) == "f"


def is_foreign(x: Any) -> bool:
    """True for an array of a non-NumPy namespace (CuPy, array_api_strict): NumPy functions
    must not touch it (they would copy it to the host, or fail).

    >>> import numpy as np
    >>> is_foreign(np.ones(2)), is_foreign(2.0)
    (False, False)
    """
    return is_array(x) and not isinstance(x, np.ndarray) and not is_numpy(namespace(x))


def device_of(x: Any) -> Any:
    """The device of array *x* (``"cpu"`` for NumPy), for creating arrays next to it."""
    import array_api_compat

    return "cpu" if isinstance(x, (np.ndarray, np.generic)) else array_api_compat.device(x)


def to_host_float(x: Any) -> float:
    """The 0-d array (or number) *x* as a Python float: one device-to-host transfer.

    The step controllers need their error norm and step size on the host; the
    solvers call this once per step (one synchronisation per step).
    """
    return float(x)


def _cpu_device(xp: ModuleType) -> Any:
    """The CPU device of namespace *xp* (array_api_strict's ``CPU_DEVICE``), from its inspection API."""
    info = getattr(xp, "__array_namespace_info__", None)
    if info is not None:
        for d in info().devices():
            if "cpu" in str(d).lower():
                return d
    return "cpu"


def to_host(x: Any) -> np.ndarray:
    """Array *x* of any namespace as a NumPy array: one device-to-host transfer (none for NumPy).

    For host work on metadata-sized data (the magnitudes a chop decision reads, the small
    eigenvalue problems of root finding, the text of a printed array), done deliberately and
    once, never inside a per-element loop.

    >>> import numpy as np
    >>> to_host(np.ones(2)).tolist()
    [1.0, 1.0]
    """
    if isinstance(x, (np.ndarray, np.generic)) or not is_array(x):
        return np.asarray(x)
    if hasattr(x, "get") and "cupy" in type(x).__module__:
        return x.get()
    return np.asarray(x.to_device(_cpu_device(namespace(x))))


def like(values: Any, ref: Any, dtype: Any = None) -> Any:
    """Host data *values* (a NumPy array, a list, a number) as an array next to *ref*: in
    *ref*'s namespace, on its device, with *dtype* (default: *ref*'s real float dtype).
    A NumPy *ref* gets a NumPy array (no copy when the dtype matches).

    >>> import numpy as np
    >>> like([1, 2], np.zeros(3)).dtype
    dtype('float64')
    """
    xp = namespace(ref)
    if is_numpy(xp):
        return np.asarray(values, dtype=dtype if dtype is not None else np.float64)
    dt = dtype if dtype is not None else float_dtype(ref)
    return xp.asarray(np.asarray(values), dtype=dt, device=device_of(ref))


def _has_methods(x: Any) -> bool:
    # NumPy and CuPy arrays and metanum's array types have .reshape/.copy/.astype methods;
    # array-API arrays need not (array_api_strict has none)
    return isinstance(x, np.ndarray) or hasattr(type(x), "_nm_apply") or hasattr(x, "reshape")


def reshape(x: Any, shape: tuple) -> Any:
    """``x.reshape(shape)`` for every array type (``xp.reshape`` where there is no method)."""
    return x.reshape(shape) if _has_methods(x) else namespace(x).reshape(x, tuple(shape))


def copy(x: Any) -> Any:
    """A copy of array *x* in its own namespace."""
    return x.copy() if _has_methods(x) else namespace(x).asarray(x, copy=True)


def astype(x: Any, dtype: Any) -> Any:
    """*x* as *dtype* (``xp.astype`` where there is no method); no copy when the dtype is the same."""
    return x.astype(dtype, copy=False) if _has_methods(x) else namespace(x).astype(x, dtype, copy=False)


def float_dtype(x: Any) -> Any:
    """The default real floating dtype of *x*'s namespace (float64 where it has one)."""
    xp = namespace(x)
    return xp.float64 if hasattr(xp, "float64") else xp.float32


_KINDS = (("bool", "b"), ("uint", "u"), ("int", "i"), ("float", "f"), ("complex", "c"))


def dtype_kind(dtype: Any) -> str:
    """NumPy's one-letter kind (``"f"``, ``"c"``, ``"i"``, ``"u"``, ``"b"``, ``"O"``) of any array dtype.

    NumPy and CuPy dtypes answer from ``.kind`` (no cost); an array-API dtype
    (``array_api_strict.float64``) from its name.

    >>> import numpy as np
    >>> dtype_kind(np.dtype(np.float32)), dtype_kind(np.dtype(object))
    ('f', 'O')
    """
    kind = getattr(dtype, "kind", None)
    if isinstance(kind, str):
        return kind
    name = str(dtype).rsplit(".", 1)[-1]
    for prefix, k in _KINDS:
        if name.startswith(prefix):
            return k
    return "O"


def finfo(x: Any) -> Any:
    """``finfo`` of the float dtype of array *x*, from the array's own namespace."""
    return namespace(x).finfo(x.dtype)


# array-API names of NumPy's ufuncs where they differ (the standard's spelling)
_ARRAY_API_NAMES = {
    "arcsin": "asin", "arccos": "acos", "arctan": "atan", "arcsinh": "asinh", "arccosh": "acosh",
    "arctanh": "atanh", "arctan2": "atan2", "power": "pow", "absolute": "abs",
}  # fmt: skip


def _composite(xp: ModuleType, name: str):
    """Functions the array API lacks, written with its primitives (same formulas as the NumPy ones)."""
    if name == "expit":
        def expit(x):
            e = xp.exp(-xp.abs(x))
            return xp.where(x >= 0, 1 / (1 + e), e / (1 + e))
        return expit
    if name == "softplus":
        return lambda x: xp.maximum(x, 0) + xp.log1p(xp.exp(-xp.abs(x)))
    if name == "cbrt":
        return lambda x: xp.sign(x) * xp.abs(x) ** (1 / 3)
    if name == "exp2":
        return lambda x: xp.pow(2.0, x)
    if name in ("deg2rad", "radians"):
        return lambda x: x * (math.pi / 180)
    if name in ("rad2deg", "degrees"):
        return lambda x: x * (180 / math.pi)
    if name == "reciprocal":
        return lambda x: 1 / x
    if name == "square":
        return lambda x: x * x
    if name == "fmod":
        return lambda x, y: x - y * xp.trunc(x / y)
    return None


def elementwise(xp: ModuleType, name: str, numpy_impl: Any):
    """The elementwise function *name* for arrays of namespace *xp*.

    NumPy gets *numpy_impl* (a NumPy ufunc, a special-function name, or a
    function written with NumPy) unchanged. Other namespaces get the function
    of that name (NumPy's or the array API's spelling), a composite of array-API
    primitives (``expit``, ``softplus``, ...) or, for special functions, the
    library's ``scipy.special`` (:func:`special`).

    >>> import numpy as np
    >>> elementwise(np, "sin", np.sin) is np.sin
    True
    """
    if is_numpy(xp):
        return special(np, numpy_impl) if isinstance(numpy_impl, str) else numpy_impl
    if isinstance(numpy_impl, str):
        return special(xp, numpy_impl)
    for attr in (getattr(numpy_impl, "__name__", name), name, _ARRAY_API_NAMES.get(name, name)):
        f = getattr(xp, attr, None)
        if f is not None and not attr.startswith("_"):
            return f
    f = _composite(xp, name)
    if f is None:
        raise TypeError(f"nm.{name} has no implementation for arrays of {xp.__name__}: the array API "
                        "standard lacks it; use NumPy or CuPy arrays for it")
    return f


def primal_ufunc(ufunc: Any, values: list) -> Any:
    """NumPy *ufunc* (``isfinite``, ``floor``, ...) on primal *values*, by their namespace's function
    of that name where one is a device array (NumPy's ufunc would convert it to the host).

    >>> import numpy as np
    >>> primal_ufunc(np.isfinite, [np.array([1.0, np.inf])]).tolist()
    [True, False]
    """
    if any(is_foreign(v) for v in values):
        return elementwise(namespace(*values), ufunc.__name__, ufunc)(*values)
    return ufunc(*values)


def special(xp: ModuleType, name: str):
    """The ufunc *name* (``erf``, ``gamma``, ...) for arrays of namespace *xp*.

    NumPy has no ``erf`` or ``gamma`` ufuncs; for NumPy metanum provides its
    own compiled ufuncs (``numeric._special``). CuPy's come from
    ``cupyx.scipy.special``; a namespace without a special-function module
    (``array_api_strict``) raises ``TypeError`` saying so.
    """
    if is_numpy(xp):
        from numeric import _special

        return getattr(_special, name)
    if is_cupy(xp):
        import importlib

        return getattr(importlib.import_module("cupyx.scipy.special"), name)
    raise TypeError(f"nm.{name} (a special function) has no implementation for arrays of {xp.__name__}: "
                    "the array API standard has no special functions; NumPy (metanum's compiled ufuncs) "
                    "and CuPy (cupyx.scipy.special) have them")


def matmul(a: Any, b: Any) -> Any:
    """``a @ b`` for every pair of operands, a metanum array on the right of a device array included.

    Array-API operators raise ``TypeError`` for a right operand they do not know
    (array_api_strict checks the operand's type before it could return ``NotImplemented``),
    so ``A @ u`` with *A* an ``array_api_strict`` array and *u* a ``DualArray`` or reverse
    mode's ``TrackedArray`` fails; ``nm.matmul(A, u)`` calls ``u.__rmatmul__(A)`` instead.
    (Writing ``u @ A.T``, the metanum array on the left, works everywhere too.)

    >>> import numpy as np, numeric as nm
    >>> d = nm.DualArray(np.array([1.0, 2.0]), np.eye(2))
    >>> nm.matmul(np.array([[1.0, 1.0]]), d).partials.tolist()
    [[1.0, 1.0]]
    """
    if is_foreign(a) and hasattr(type(b), "_nm_apply") and hasattr(type(b), "__rmatmul__"):
        return b.__rmatmul__(a)
    return a @ b


def add(a: Any, b: Any) -> Any:
    """``a + b`` for every pair of operands, a metanum array on the right of a device array included
    (``b.__radd__(a)``, as :func:`matmul`): what promotes a device array to a derivative-carrying
    state's type (``add(du0, u0 * 0)``).

    >>> import numpy as np, numeric as nm
    >>> add(np.ones(2), nm.DualArray(np.zeros(2), np.eye(2))).partials.tolist()
    [[1.0, 0.0], [0.0, 1.0]]
    """
    if is_foreign(a) and hasattr(type(b), "_nm_apply") and hasattr(type(b), "__radd__"):
        return b.__radd__(a)
    return a + b


_FOREIGN_OPERAND = "Expected Array or Python scalar; got <class 'numeric."


def explain_operands(f: Any) -> Any:
    """*f* with array-API operators' refusal of a metanum right operand explained.

    ``A @ u`` (or ``A * u``) with *A* an array-API array and *u* a metanum array raises the
    library's own ``TypeError`` inside the user's function; this wrapper re-raises it saying
    what to write instead. Other errors pass unchanged.

    >>> explain_operands(lambda x: 2 * x)(3.0)
    6.0
    """
    def call(*args: Any, **kwargs: Any) -> Any:
        try:
            return f(*args, **kwargs)
        except TypeError as exc:
            if _FOREIGN_OPERAND not in str(exc) or "nm.matmul(A, u)" in str(exc):
                raise
            raise TypeError(
                f"{exc}: an array-API array's operator refused a metanum array (DualArray, TrackedArray, "
                "MeasurementArray) on its right, as array_api_strict does instead of returning NotImplemented. "
                "Put the metanum array on the left (u @ A.T instead of A @ u, u * A instead of A * u) or write "
                "nm.matmul(A, u) (u.__rmatmul__(A))") from exc
    return call
