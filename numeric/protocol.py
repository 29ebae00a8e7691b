"""The number protocol: everything a generic solver may rely on.

A generic algorithm in ``solvers/`` is written against this page and nothing
else. It never names a number type; the number types honour the protocol.

What a number supports
----------------------
1. Arithmetic ``+ - * / **``, unary ``-`` and ``abs``, mixed with ``int``,
   ``float`` and the real type underneath (float32, float64, ``mpf``).
2. Comparisons ``< <= > >= == !=`` on the *primal* value, so a branch in a
   program takes the same path it would take on plain floats (as ForwardDiff
   does). A branch is never differentiated.
3. The elementary functions of :mod:`numeric.functions` (``nm.exp(x)``,
   ``nm.arctan2(y, x)``, ...), and the same names as methods (``x.exp()``)
   so NumPy object arrays of the number work with ``np.exp``.
4. Array types implement ``__array_ufunc__`` and the ``__array_function__``
   entries solvers need (``np.sum``, ``@``, ``np.concatenate``, indexing).
5. The helpers below, which solvers use instead of ``float()``.
6. No silent loss of information: ``float(x)``, ``int(x)``, ``complex(x)``
   and conversion to a float array raise ``TypeError`` naming ``nm.value``
   for every type that carries more than its primal value.

Hooks a number type provides
----------------------------
``_nm_apply(name, args)``
    Evaluate elementary function *name* on *args* (at least one is self).
``_nm_order``
    An integer; when several metanum numbers meet, the greatest order is the
    outermost and handles the operation (a newer dual tag wraps an older one).
``_nm_primal()``
    The value one level down (a dual's value, a measurement's nominal value).
``_nm_zero()``, ``_nm_one()``
    Additive and multiplicative identities of the same type and shape.
``_nm_norm()``
    The non-negative real an adaptive solver compares to its tolerance.
``_nm_length()`` (optional)
    How many real components ``_nm_norm`` is the root mean square over
    (default: 1 for a scalar, the size for an array). A dual's is its
    value's plus its partials' (DiffEqBase's ``totallength``), so the norm of
    any nesting (an object array of duals, a dual of duals) is the RMS over
    every real component; see :func:`norm_length`.
``_nm_lincomb(coeffs, items)`` (optional, a classmethod)
    ``sum(c * x for c, x in zip(coeffs, items))`` computed in one go, or
    ``NotImplemented``; array types use it to skip per-term dispatch in the
    stage sums of Runge–Kutta methods.
``_nm_inner(other)`` (optional, vector-like types that are not arrays)
    The real inner product ``<self, other>`` that gives Krylov methods their
    geometry (a ``Fun``: the L2 inner product over its interval); see
    :func:`inner`. A type with this hook is a *vector state*: a stiff ODE
    method takes it with ``linsolve="gmres"`` (no Jacobian matrix is formed).
``_nm_scalar_zero()`` (optional)
    The zero of the type's scalar field (a ``Fun``'s coefficient type); see
    :func:`scalar_zero`.
``_nm_eps()`` (optional)
    Machine epsilon of the real type underneath, for containers whose
    primal is not a plain number or array (a ``Fun``'s coefficients).
``_nm_linear()`` (optional, array types that are "value + linear part")
    ``(value, parts, rebuild)``: the value (shape S), the linear components
    (shape S + (K,): a dual's partials, a measurement's components with
    respect to its sources) and a function ``rebuild(value, parts)`` giving
    the same kind of number (a scalar one for shape ``()``). A linear map
    acting on leading axes is applied to both arrays (:func:`linear_parts`);
    this is how a ``Fun`` takes coefficients of any such type.

How the types meet
------------------
:func:`dispatch` sends an operation to the outermost argument (greatest
``_nm_order``), and :func:`ufunc_rule_name` maps a NumPy ufunc's name to the
rule name of :mod:`numeric.rules`; every number type's ``__array_ufunc__``
uses both, so no type imports another's internals.

Examples
--------
>>> import numpy as np, mpmath, numeric as nm
>>> nm.value(3.0), bool(nm.eps(np.float32(1.0)) == np.finfo(np.float32).eps)
(3.0, True)
>>> nm.norm(np.array([3.0, 4.0]))   # root mean square, as DifferentialEquations.jl
3.5355339059327378
"""

from __future__ import annotations

import itertools
import math
from typing import Any

import mpmath
import numpy as np

from numeric.backend import astype, device_of, dtype_kind, is_array, namespace

__all__ = ["value", "innermost", "zero", "one", "eps", "norm", "norm_length", "sum_squares", "inner",
           "scalar_zero", "is_vector_state", "promote", "lincomb", "new_order",
           "outermost", "dispatch", "ufunc_rule_name", "UFUNC_RULE_NAMES", "linear_parts"]

_ORDER = itertools.count(1)  # next() on a count is atomic under the GIL: thread-safe


def new_order() -> int:
    """A fresh, strictly increasing order for a new perturbation (a dual tag)."""
    return next(_ORDER)


# NumPy ufunc names whose rule in numeric.rules has another name (ARITHMETIC's operators)
UFUNC_RULE_NAMES = {
    "add": "add", "subtract": "sub", "multiply": "mul", "true_divide": "truediv",
    "divide": "truediv", "negative": "neg", "absolute": "abs", "fabs": "abs",
    "power": "power", "float_power": "power",
}  # fmt: skip


def ufunc_rule_name(name: str) -> str:
    """The rule name (:mod:`numeric.rules`) of the NumPy ufunc called *name*.

    >>> ufunc_rule_name("true_divide"), ufunc_rule_name("exp")
    ('truediv', 'exp')
    """
    return UFUNC_RULE_NAMES.get(name, name)


def outermost(args: tuple) -> Any:
    """The metanum argument with the greatest ``_nm_order`` (the outermost layer), or ``None``.

    The one place that decides which number type handles an operation: :func:`dispatch`,
    ``nm.exp`` and friends (:func:`numeric.functions.apply`) and ``nm.custom_rule`` use it.

    >>> import numeric as nm
    >>> inner = nm.Dual(1.0, 1.0)
    >>> outer = nm.Dual(inner, 1.0)            # a newer tag: the outer layer
    >>> outermost((2.0, inner, outer)) is outer, outermost((1.0, 2.0)) is None
    (True, True)
    """
    best = None
    for a in args:
        if hasattr(type(a), "_nm_apply") and (best is None or a._nm_order > best._nm_order):
            best = a
    return best


# names of the rules that are not holomorphic (filled by numeric.rules): on a complex value
# dispatch uses their composition of real and imag (numeric.complex_forms)
NON_HOLOMORPHIC: set = set()


def dispatch(name: str, args: tuple) -> Any:
    """Send operation *name* to the outermost metanum argument (greatest ``_nm_order``).

    >>> import numeric as nm
    >>> dispatch("mul", (2.0, nm.Dual(3.0, 1.0))).partials
    array([2.])
    """
    best = outermost(args)
    if best is None:
        raise TypeError(f"dispatch({name!r}): no metanum number among the arguments "
                        f"({', '.join(type(a).__name__ for a in args)})")
    if name in NON_HOLOMORPHIC:
        from numeric.complex_forms import guard_complex
        form = guard_complex(name, args)
        if form is not None:
            return form(args[0])
    return best._nm_apply(name, args)


def linear_parts(x: Any) -> Any:
    """``(value, parts, rebuild)`` of a "value + linear part" array number, else ``None``.

    See the ``_nm_linear`` hook above. A linear map ``L`` acting on leading
    axes satisfies ``L(x) = rebuild(L(value), L(parts))``.

    >>> import numpy as np, numeric as nm
    >>> v, p, rebuild = linear_parts(nm.DualArray(np.array([1.0, 2.0]), np.eye(2)))
    >>> rebuild(3 * v, 3 * p).partials
    array([[3., 0.],
           [0., 3.]])
    """
    hook = getattr(type(x), "_nm_linear", None)
    return None if hook is None else hook(x)


def _is_object_array(x: Any) -> bool:
    return isinstance(x, np.ndarray) and x.dtype == object


def _primal_once(x: Any) -> Any:
    hook = getattr(type(x), "_nm_primal", None)
    return x if hook is None else hook(x)


def innermost(x: Any) -> Any:
    """Peel every metanum layer: the underlying float, float array, mpf, ...

    Unlike :func:`value` this does not convert object arrays. A ``_nm_primal``
    hook that returns its argument itself means "no layer below" (a Fun with
    plain coefficients is its own primal).
    """
    while hasattr(type(x), "_nm_primal"):
        y = x._nm_primal()
        if y is x:
            break
        x = y
    return x


def layers(x: Any) -> int:
    """How many metanum layers *x* has above its plain number (a dual of duals: 2; a float: 0).

    It bounds the order of the derivatives *x* carries: an iteration that makes one more
    order exact per step (a chord step at a root) needs this many steps.

    >>> import numeric as nm
    >>> layers(nm.Dual(nm.Dual(1.0, 1.0), 1.0)), layers(2.0)
    (2, 0)
    """
    n = 0
    while hasattr(type(x), "_nm_primal"):
        y = x._nm_primal()
        if y is x:
            break
        x, n = y, n + 1
    return n


def value(x: Any) -> Any:
    """The primal value of *x*, with every derivative/uncertainty layer peeled.

    This is the deliberate way to drop derivative information. Arrays keep
    their shape; an object array whose elements peel to floats becomes a
    float array, one whose elements peel to ``mpf`` stays an object array.

    Examples
    --------
    >>> import numeric as nm
    >>> nm.value(nm.Dual(2.0, 1.0))
    2.0
    """
    kind = type(x)
    if kind is float or kind is np.float64 or (kind is np.ndarray and x.dtype.kind != "O"):
        return x  # no layers (a solve asks a few dozen times; the general path costs ~1 us)
    if isinstance(x, (list, tuple)):
        x = np.asarray(x, dtype=object) if any(_has_layers(e) for e in x) else np.asarray(x)
    if _is_object_array(x):
        flat = [value(e) for e in x.flat]
        if all(isinstance(e, (float, int, np.floating, np.integer)) for e in flat):
            return np.array(flat, dtype=np.result_type(*flat) if flat else float).reshape(x.shape)
        out = np.empty(x.shape, dtype=object)
        out.flat[:] = flat
        return out
    return innermost(x)


def _has_layers(x: Any) -> bool:
    return hasattr(type(x), "_nm_primal")


def zero(x: Any) -> Any:
    """The additive identity of *x*'s type and shape (a dual zero keeps its tag)."""
    hook = getattr(type(x), "_nm_zero", None)
    if hook is not None:
        return hook(x)
    if is_array(x):
        return namespace(x).zeros_like(x)
    if isinstance(x, (mpmath.mpf, mpmath.mpc)):
        return type(x)(0)
    if isinstance(x, np.generic):
        return type(x)(0)
    if isinstance(x, (bool, int)):
        return 0
    return x * 0


def one(x: Any) -> Any:
    """The multiplicative identity of *x*'s type and shape."""
    hook = getattr(type(x), "_nm_one", None)
    if hook is not None:
        return hook(x)
    if is_array(x):
        return namespace(x).ones_like(x)
    if isinstance(x, (mpmath.mpf, mpmath.mpc, np.generic)):
        return type(x)(1)
    if isinstance(x, (bool, int)):
        return 1
    return x * 0 + 1


def eps(x: Any) -> Any:
    """Machine epsilon of the real type underneath *x*.

    float64 -> 2.2e-16, float32 -> 1.2e-7, ``mpf`` -> 2**(1 - mp.prec) at the
    current mpmath precision (returned as an ``mpf``).
    """
    hook = getattr(type(x), "_nm_eps", None)
    if hook is not None:
        return hook(x)
    inner = innermost(x)
    if _is_object_array(inner):
        inner = value(inner.flat[0]) if inner.size else 0.0
    if isinstance(inner, (mpmath.mpf, mpmath.mpc)):
        return +mpmath.eps  # an mpf now, not the lazy constant (which follows mp.prec)
    dtype = getattr(inner, "dtype", None)
    if isinstance(dtype, np.dtype):
        if np.issubdtype(dtype, np.inexact):
            return np.finfo(dtype).eps
    elif dtype is not None and dtype_kind(dtype) in "fc":
        return float(namespace(inner).finfo(dtype).eps)
    return float(np.finfo(np.float64).eps)


def _scalar_norm(x: Any) -> Any:
    hook = getattr(type(x), "_nm_norm", None)
    if hook is not None:
        return hook(x)
    return abs(x)


def norm_length(x: Any) -> int:
    """How many real components :func:`norm` of *x* is the root mean square over.

    1 for a plain scalar (float, complex, ``mpf``, a ``Measurement``: its uncertainty is one
    quantity, not one per source), the size of a plain array, the sum over the elements of an
    object array, and for a dual its value's plus its partials' (the ``_nm_length`` hook), as
    DiffEqBase's ``totallength``.

    Examples
    --------
    >>> import numpy as np, numeric as nm
    >>> norm_length(2.0), norm_length(np.zeros(3)), norm_length(nm.Dual(1.0, [0.0, 0.0]))
    (1, 3, 3)
    """
    hook = getattr(type(x), "_nm_length", None)
    if hook is not None:
        return hook(x)
    if isinstance(x, (list, tuple)):
        x = np.asarray(x, dtype=object)
    if _is_object_array(x):
        return sum(norm_length(e) for e in x.flat)
    if is_array(x):
        return int(x.size)
    return 1


def sum_squares(x: Any) -> tuple:
    """``(norm(x)**2 * m, m)`` with ``m = norm_length(x)``: the sum of squares and the count that a
    container adds up over its parts, so its norm is the RMS over all real components."""
    m = norm_length(x)
    r = norm(x)
    return r * r * m, m


def _element_squares(x: Any) -> tuple:
    """:func:`sum_squares` of one element of an object array (plain scalars: no length lookup)."""
    r = _scalar_norm(x)
    hook = getattr(type(x), "_nm_length", None)
    m = 1 if hook is None else hook(x)
    return r * r * m, m


def norm(x: Any) -> Any:
    """The non-negative real number an adaptive solver compares to its tolerance.

    Plain scalars: the magnitude. Arrays: the root mean square of the elements,
    as DifferentialEquations.jl. A dual counts its partials as components of
    the state, so step control also controls the error of the derivatives: the
    RMS over value and partials together, ``sqrt((|v|**2 + sum |p_i|**2) / (1 + k))``
    for a dual with k partials, and for an array of n such duals the sum over
    all n (1 + k) components divided by n (1 + k) (DiffEqBase's
    ``ODE_DEFAULT_NORM`` for arrays of ForwardDiff duals, ``sse / totallength``;
    :func:`norm_length`). A ``Measurement`` counts ``sqrt(value**2 + err**2)``
    per element. The result is a float (or ``mpf`` for mpmath numbers), never
    a metanum type: it is a step controller's measure, not a differentiable
    norm (its derivative is zero); for the norm of a value in a differentiated
    or uncertain computation use ``np.linalg.norm`` or ``nm.sqrt(np.sum(x * x))``.
    """
    hook = getattr(type(x), "_nm_norm", None)
    if hook is not None:
        return hook(x)
    if isinstance(x, (list, tuple)):
        x = np.asarray(x, dtype=object)
    if _is_object_array(x):
        if x.size == 0:
            return 0.0
        sq = [_element_squares(e) for e in x.flat]
        total = sum((s for s, _ in sq[1:]), sq[0][0])
        count = sum(m for _, m in sq)
        return (total / count) ** 0.5 if not isinstance(total, mpmath.mpf) else mpmath.sqrt(total / count)
    if type(x) is np.ndarray and x.dtype.kind == "f" and x.size:
        flat = x.ravel()
        with np.errstate(over="ignore", under="ignore"):  # such cases take the scaled path
            s = float(flat @ flat)
        if 0.0 < s < math.inf:  # no overflow or underflow: the plain formula is exact enough
            return math.sqrt(s / x.size)
    if is_array(x):
        if x.size == 0:
            return 0.0
        xp = namespace(x)
        a = xp.abs(x)
        scale = xp.max(a)
        ok = (scale > 0) & xp.isfinite(scale)  # else the norm is the scale itself (0, inf or nan)
        safe = xp.where(ok, scale, xp.ones_like(scale))
        # decided on the device: one transfer to the host (one synchronisation on a GPU)
        return float(xp.where(ok, scale * xp.sqrt(xp.mean((a / safe) ** 2)), scale))
    if isinstance(x, (mpmath.mpf, mpmath.mpc)):
        return abs(x)
    if isinstance(x, np.generic):
        return abs(x)
    return math.fabs(x) if not isinstance(x, complex) else abs(x)


def inner(a: Any, b: Any) -> Any:
    """The real inner product ``<a, b>`` of two vectors of one type.

    Arrays: ``sum(conj(a) * b)`` (float, complex, object arrays of ``mpf``);
    a type with an ``_nm_inner`` hook (a ``Fun``: ``integral a b``) uses it.
    Scalars and other types raise ``TypeError`` naming the hook.

    Examples
    --------
    >>> import numpy as np, numeric as nm
    >>> float(nm.inner(np.array([1.0, 2.0]), np.array([3.0, 4.0])))
    11.0
    >>> f = nm.Fun(lambda x: x, nm.Chebyshev(-1, 1))
    >>> round(float(nm.inner(f, f)), 14)   # integral of x^2 over [-1, 1]
    0.66666666666667
    """
    hook = getattr(type(a), "_nm_inner", None)
    if hook is not None:
        return hook(a, b)
    if is_array(a) and is_array(b):
        xp = namespace(a)
        return xp.sum(a * b) if _is_object_array(a) else xp.sum(xp.conj(a) * b)
    raise TypeError(f"no inner product for {type(a).__name__}: a vector state is an array or a "
                    "type with an _nm_inner(other) hook (as Fun has)")


def is_uncertain(x: Any) -> bool:
    """Whether *x* is a number (or array number) of the innermost metanum level, order 0: its linear
    parts are uncertainty components (a ``Measurement``), not an outer derivative's directions.

    >>> import numeric as nm
    >>> nm.is_uncertain(nm.Measurement(1.0, 0.1)), nm.is_uncertain(nm.Dual(1.0, 1.0)), nm.is_uncertain(1.0)
    (True, False, False)
    """
    return getattr(x, "_nm_order", None) == 0


def is_vector_state(x: Any) -> bool:
    """Whether *x* is a non-array vector with an inner product (the ``_nm_inner`` hook), e.g. a Fun.

    >>> import numeric as nm
    >>> nm.is_vector_state(nm.Fun(lambda x: x, nm.Chebyshev(-1, 1))), nm.is_vector_state(2.0)
    (True, False)
    """
    return hasattr(type(x), "_nm_inner")


def scalar_zero(x: Any) -> Any:
    """The zero of *x*'s scalar type: an array's element type, a Fun's coefficients' type.

    >>> import numpy as np, numeric as nm
    >>> type(nm.scalar_zero(np.ones(3, dtype=np.float32))).__name__
    'float32'
    """
    return _scalar_zero(x)


def promote(*xs: Any) -> tuple:
    """Lift every argument to the common number type of all of them.

    Each argument becomes ``x + z`` where ``z`` is the sum of the zeros of all
    arguments, so a float state meeting a dual parameter becomes a dual (with
    zero partials and the same tag), float32 meeting float64 becomes float64,
    and a float meeting an ``mpf`` becomes an ``mpf``. Shapes are kept.

    Examples
    --------
    >>> import numeric as nm, mpmath
    >>> u, p = nm.promote(1.0, mpmath.mpf(2))
    >>> type(u).__name__
    'mpf'
    """
    zs = [_scalar_zero(x) for x in xs]
    z = zs[0]
    for w in zs[1:]:
        # a metanum number leads: an array-API array's operators refuse foreign operands
        z = w + z if hasattr(type(w), "_nm_apply") and not hasattr(type(z), "_nm_apply") else z + w
    return tuple(_lift(x, z) for x in xs)


def _scalar_zero(x: Any) -> Any:
    if _is_object_array(x):
        z = 0
        for e in x.flat:
            z = z + _scalar_zero(e)
        return z
    if isinstance(x, np.ndarray):
        return np.zeros((), dtype=x.dtype)[()]
    if is_array(x):  # another namespace: a 0-d array on x's device
        return namespace(x).zeros((), dtype=x.dtype, device=device_of(x))
    if hasattr(type(x), "_nm_scalar_zero"):
        return x._nm_scalar_zero()
    if isinstance(x, (bool, int)):
        return 0.0
    return zero(x)


def _lift(x: Any, z: Any) -> Any:
    if isinstance(x, (bool, int)):
        x = float(x)
    if _is_object_array(x):
        return x + z
    if is_array(x) and not isinstance(x, np.ndarray) and not hasattr(type(z), "_nm_apply"):
        if is_array(z) and not isinstance(z, np.ndarray):   # the same namespace: its type promotion
            xp = namespace(x)
            return astype(x, xp.result_type(x.dtype, z.dtype))
        return x
    if is_array(x) and not hasattr(type(z), "_nm_primal") and not isinstance(z, (mpmath.mpf,)):
        return x.astype(np.result_type(x.dtype, getattr(z, "dtype", type(z))), copy=False)
    if is_array(x) and isinstance(z, mpmath.mpf):
        out = np.empty(x.shape, dtype=object)
        out.flat[:] = [mpmath.mpf(float(e)) for e in x.flat]
        return out
    if is_array(x) and not isinstance(x, np.ndarray) and hasattr(type(z), "_nm_apply"):
        return z + x  # an array-API array's operators refuse foreign types: the metanum number leads
    return x + z


def lincomb(coeffs: Any, items: Any) -> Any:
    """The linear combination ``sum(c * x for c, x in zip(coeffs, items))``.

    *coeffs* are real scalars; *items* are numbers of one type. A type may
    compute this in one go through the ``_nm_lincomb`` hook (a ``DualArray``
    accumulates into its value and partials arrays in place); otherwise it is
    the plain sum, so every number type works.

    Examples
    --------
    >>> import numpy as np, numeric as nm
    >>> nm.lincomb([2.0, -1.0], [np.ones(2), np.arange(2.0)])
    array([2., 1.])
    """
    first = items[0]
    hook = getattr(type(first), "_nm_lincomb", None)
    if hook is not None:
        out = hook(coeffs, items)
        if out is not NotImplemented:
            return out
    acc = first * coeffs[0]
    for c, x in zip(coeffs[1:], items[1:]):
        acc = acc + x * c
    return acc
