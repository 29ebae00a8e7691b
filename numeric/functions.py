"""Elementary functions that work on every number metanum knows.

``nm.exp(x)`` and friends dispatch on the type of their arguments:

==========================  ===============================================
argument                    implementation
==========================  ===============================================
``int``, ``float``, bool    :mod:`math` (a float result; a domain error
                            gives ``nan`` and an overflow ``inf``, as NumPy
                            float64 does)
``complex``                 :mod:`cmath` (mpmath for erf/gamma/...)
NumPy scalars and arrays    NumPy ufuncs (float32 stays float32) and the
                            compiled ufuncs of ``numeric._special``
CuPy arrays                 CuPy ufuncs and ``cupyx.scipy.special``
NumPy object arrays         the function applied element by element
``mpmath.mpf``/``mpc``      mpmath at the current precision
metanum number types        the type's ``_nm_apply(name, args)`` hook
==========================  ===============================================

A metanum type (``Dual``, ``DualArray``, ``Measurement``, ``Fun``, ...)
takes part by defining ``_nm_apply(self, name, args)`` and an integer
``_nm_order``. When several metanum arguments meet, the one with the greatest
order handles the call (for duals, the newest tag: the outermost perturbation).

Examples
--------
>>> import numpy as np, mpmath, numeric as nm
>>> nm.exp(0.0)
1.0
>>> nm.sin(np.float32(0.5)).dtype
dtype('float32')
>>> str(nm.sqrt(mpmath.mpf(2)))[:10]
'1.41421356'
"""

from __future__ import annotations

import cmath
import math
from typing import Any, Callable

import mpmath
import numpy as np

from numeric.backend import elementwise, is_foreign, matmul, namespace, special  # noqa: F401  (matmul: nm.matmul)
from numeric.protocol import outermost

__all__ = [
    "exp", "expm1", "log", "log1p", "log2", "log10", "sqrt", "cbrt",
    "sin", "cos", "tan", "arcsin", "arccos", "arctan", "arctan2",
    "sinh", "cosh", "tanh", "arcsinh", "arccosh", "arctanh",
    "abs", "sign", "hypot", "power", "erf", "erfc", "gamma", "lgamma",
    "digamma", "polygamma", "maximum", "minimum", "clip", "where",
    "exp2", "logaddexp", "logaddexp2", "sinc", "heaviside", "deg2rad", "rad2deg", "radians",
    "degrees", "remainder", "fmod", "floor_divide", "floor", "ceil", "trunc", "rint",
    "copysign", "nextafter", "square", "reciprocal", "positive", "expit", "softplus",
    "matmul", "FUNCTIONS",
]  # fmt: skip

_MP_TYPES = (mpmath.mpf, mpmath.mpc)


def _real_sign(x):
    return float((x > 0) - (x < 0)) if x == x else math.nan


def _real_max(x, y):
    return x if (x >= y or x != x) else y


def _real_min(x, y):
    return x if (x <= y or x != x) else y


def _real_clip(x, lo, hi):
    return _real_min(_real_max(x, lo), hi)


def _complex_cbrt(z):
    # The real cube root continued analytically off the real axis, so that
    # complex-step differentiation of cbrt works at negative reals too.
    return -((-z) ** (1 / 3)) if z.real < 0 else z ** (1 / 3)


def _mp_cbrt(x):
    # the real cube root, continued analytically off the real axis (as _complex_cbrt)
    if (x < 0) if isinstance(x, mpmath.mpf) else (isinstance(x, mpmath.mpc) and x.real < 0):
        return -mpmath.cbrt(-x)
    return mpmath.cbrt(x)


def _mp_lgamma(x):
    if isinstance(x, mpmath.mpc):  # the analytic log-gamma, as for Python complex
        return mpmath.loggamma(x)
    return mpmath.log(abs(mpmath.gamma(x)))


def _real_logaddexp(x, y):
    # log(e**x + e**y) = max + log1p(e**-|x - y|) (no overflow); equal infinities: that infinity
    if x == y:
        return x + math.log(2.0)
    m = x if x > y else y
    return m + math.log1p(math.exp(-abs(x - y))) if m - m == 0 else m


def _real_logaddexp2(x, y):
    if x == y:
        return x + 1.0
    m = x if x > y else y
    return m + math.log1p(2.0 ** -abs(x - y)) / math.log(2.0) if m - m == 0 else m


def _mp_logaddexp(x, y):
    return mpmath.log(mpmath.exp(x) + mpmath.exp(y))


def _mp_logaddexp2(x, y):
    return mpmath.log(mpmath.power(2, x) + mpmath.power(2, y), 2)


def _real_sinc(x):
    # NumPy's normalised sinc: sin(pi x) / (pi x), 1 at 0
    if x == 0:
        return 1.0
    y = math.pi * x
    return math.sin(y) / y


def _complex_sinc(z):
    if abs(z) < 0.25:  # Taylor series: sin(w)/w loses the small imaginary part of a complex step
        w2, acc = (math.pi * z) ** 2, 0j
        for k in range(13, 0, -1):
            acc = 1 - acc * w2 / ((2 * k) * (2 * k + 1))
        return acc
    return cmath.sin(math.pi * z) / (math.pi * z)


def _real_heaviside(x, h):
    # NumPy's heaviside: 0 for x < 0, h at x == 0, 1 for x > 0 (nan stays nan)
    if x != x:
        return x
    return 0.0 if x < 0 else (1.0 if x > 0 else float(h))


def _real_remainder(x, y):
    # x - y * floor(x / y), the sign of y (NumPy's remainder / np.mod, Python's %)
    return math.fmod(x, y) if y == 0 else x % y


def _real_floor_divide(x, y):
    return float(x // y)


def _mp_remainder(x, y):
    return x - y * mpmath.floor(x / y)


def _mp_fmod(x, y):
    # C fmod (the sign of x); mpmath.fmod follows Python's % instead
    q = x / y
    return x - y * (mpmath.floor(q) if q >= 0 else mpmath.ceil(q))


def _mp_copysign(x, y):
    return mpmath.fabs(x) if y >= 0 else -mpmath.fabs(x)


def _mp_nextafter(x, y):
    # one unit in the last place of the current mpmath precision, towards y
    if x == y:
        return y
    step = mpmath.ldexp(1, int(mpmath.mag(x)) - mpmath.mp.prec) if x != 0 else mpmath.ldexp(1, -mpmath.mp.prec)
    return x + step if y > x else x - step


def _mp_radians(x):
    return x * mpmath.pi / 180


def _mp_degrees(x):
    return x * 180 / mpmath.pi


def _real_expit(x):
    # the logistic function 1 / (1 + e**-x), without overflow for either sign
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def _np_expit(x):
    if np.iscomplexobj(x):  # analytic continuation (complex step): no |x| split
        return 1 / (1 + np.exp(-x))
    with np.errstate(over="ignore"):
        e = np.exp(-np.abs(x))
        r = np.where(x >= 0, 1 / (1 + e), e / (1 + e))
    return r[()] if r.ndim == 0 else r  # a NumPy scalar in, a NumPy scalar out


def _real_softplus(x):
    # log(1 + e**x) = max(x, 0) + log1p(e**-|x|)
    return max(x, 0.0) + math.log1p(math.exp(-abs(x)))


def _np_softplus(x):
    if np.iscomplexobj(x):
        return np.log1p(np.exp(x))
    return np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))


def _as_float(f):
    # math.floor and friends return int: metanum's reals stay float (inf/nan -> NumPy fallback)
    def g(x):
        return float(f(x))

    return g


def _mp_complex(f):
    """A complex function through mpmath, for what cmath lacks."""

    def g(*args):
        return complex(f(*[mpmath.mpc(a) for a in args]))

    return g


# name: (nargs, real scalar impl, complex impl, numpy ufunc or special name, mpmath impl)
_IMPLS: dict[str, tuple] = {
    "exp": (1, math.exp, cmath.exp, np.exp, mpmath.exp),
    "expm1": (1, math.expm1, _mp_complex(mpmath.expm1), np.expm1, mpmath.expm1),
    "log": (1, math.log, cmath.log, np.log, mpmath.log),
    "log1p": (1, math.log1p, _mp_complex(mpmath.log1p), np.log1p, mpmath.log1p),
    "log2": (1, math.log2, lambda z: cmath.log(z) / math.log(2), np.log2, lambda x: mpmath.log(x, 2)),
    "log10": (1, math.log10, cmath.log10, np.log10, mpmath.log10),
    "sqrt": (1, math.sqrt, cmath.sqrt, np.sqrt, mpmath.sqrt),
    "cbrt": (1, math.cbrt, _complex_cbrt, np.cbrt, _mp_cbrt),
    "sin": (1, math.sin, cmath.sin, np.sin, mpmath.sin),
    "cos": (1, math.cos, cmath.cos, np.cos, mpmath.cos),
    "tan": (1, math.tan, cmath.tan, np.tan, mpmath.tan),
    "arcsin": (1, math.asin, cmath.asin, np.arcsin, mpmath.asin),
    "arccos": (1, math.acos, cmath.acos, np.arccos, mpmath.acos),
    "arctan": (1, math.atan, cmath.atan, np.arctan, mpmath.atan),
    "sinh": (1, math.sinh, cmath.sinh, np.sinh, mpmath.sinh),
    "cosh": (1, math.cosh, cmath.cosh, np.cosh, mpmath.cosh),
    "tanh": (1, math.tanh, cmath.tanh, np.tanh, mpmath.tanh),
    "arcsinh": (1, math.asinh, cmath.asinh, np.arcsinh, mpmath.asinh),
    "arccosh": (1, math.acosh, cmath.acosh, np.arccosh, mpmath.acosh),
    "arctanh": (1, math.atanh, cmath.atanh, np.arctanh, mpmath.atanh),
    "abs": (1, abs, abs, np.abs, abs),
    "sign": (1, _real_sign, lambda z: z / abs(z) if z else 0j, np.sign, mpmath.sign),
    "erf": (1, math.erf, _mp_complex(mpmath.erf), "erf", mpmath.erf),
    "erfc": (1, math.erfc, _mp_complex(mpmath.erfc), "erfc", mpmath.erfc),
    "gamma": (1, math.gamma, _mp_complex(mpmath.gamma), "gamma", mpmath.gamma),
    "lgamma": (1, math.lgamma, _mp_complex(mpmath.loggamma), "lgamma", _mp_lgamma),
    "digamma": (1, None, _mp_complex(mpmath.digamma), "digamma", mpmath.digamma),
    "arctan2": (2, math.atan2, None, np.arctan2, mpmath.atan2),
    "hypot": (2, math.hypot, None, np.hypot, mpmath.hypot),
    "power": (2, math.pow, lambda a, b: a**b, np.power, mpmath.power),
    "maximum": (2, _real_max, None, np.maximum, _real_max),
    "minimum": (2, _real_min, None, np.minimum, _real_min),
    "clip": (3, _real_clip, None, np.clip, _real_clip),
    "exp2": (1, lambda x: math.pow(2.0, x), lambda z: 2.0**z, np.exp2, lambda x: mpmath.power(2, x)),
    "logaddexp": (2, _real_logaddexp, lambda a, b: cmath.log(cmath.exp(a) + cmath.exp(b)),
                  np.logaddexp, _mp_logaddexp),
    "logaddexp2": (2, _real_logaddexp2, lambda a, b: cmath.log(2**a + 2**b) / math.log(2.0),
                   np.logaddexp2, _mp_logaddexp2),
    "sinc": (1, _real_sinc, _complex_sinc, np.sinc, mpmath.sincpi),
    "heaviside": (2, _real_heaviside, None, np.heaviside,
                  lambda x, h: mpmath.mpf(0) if x < 0 else (mpmath.mpf(1) if x > 0 else h)),
    "deg2rad": (1, math.radians, lambda z: z * (math.pi / 180), np.deg2rad, _mp_radians),
    "radians": (1, math.radians, lambda z: z * (math.pi / 180), np.radians, _mp_radians),
    "rad2deg": (1, math.degrees, lambda z: z * (180 / math.pi), np.rad2deg, _mp_degrees),
    "degrees": (1, math.degrees, lambda z: z * (180 / math.pi), np.degrees, _mp_degrees),
    "remainder": (2, _real_remainder, None, np.remainder, _mp_remainder),
    "fmod": (2, math.fmod, None, np.fmod, _mp_fmod),
    "floor_divide": (2, _real_floor_divide, None, np.floor_divide,
                     lambda x, y: mpmath.floor(x / y)),
    "floor": (1, _as_float(math.floor), None, np.floor, mpmath.floor),
    "ceil": (1, _as_float(math.ceil), None, np.ceil, mpmath.ceil),
    "trunc": (1, _as_float(math.trunc), None, np.trunc,
              lambda x: mpmath.floor(x) if x >= 0 else mpmath.ceil(x)),
    "rint": (1, _as_float(round), None, np.rint, mpmath.nint),
    "copysign": (2, math.copysign, None, np.copysign, _mp_copysign),
    "nextafter": (2, math.nextafter, None, np.nextafter, _mp_nextafter),
    "square": (1, lambda x: x * x, lambda z: z * z, np.square, lambda x: x * x),
    "reciprocal": (1, lambda x: 1.0 / x, lambda z: 1 / z, np.reciprocal, lambda x: 1 / x),
    "positive": (1, lambda x: +x, lambda z: +z, np.positive, lambda x: +x),
    "expit": (1, _real_expit, lambda z: 1 / (1 + cmath.exp(-z)), _np_expit,
              lambda x: 1 / (1 + mpmath.exp(-x))),
    "softplus": (1, _real_softplus, lambda z: cmath.log(1 + cmath.exp(z)), _np_softplus,
                 lambda x: mpmath.log1p(mpmath.exp(x))),
}


def _polygamma_real(n, x):
    from numeric._special import polygamma_scalar

    return float(polygamma_scalar(int(n), float(x)))


def _lgamma_real(x):
    from numeric._special import lgamma_scalar

    return float(lgamma_scalar(float(x)))


_IMPLS["digamma"] = (1, lambda x: _polygamma_real(0, x), *_IMPLS["digamma"][2:])
# CPython's math.lgamma is 66 ulps off near its zero at 2 (x = 2.0316): the compiled kernel
_IMPLS["lgamma"] = (1, _lgamma_real, *_IMPLS["lgamma"][2:])


def _numpy_fallback(name: str, args: tuple) -> float:
    """math raised (domain or overflow): answer as NumPy float64 would."""
    impl = _IMPLS[name][3]
    f = special(np, impl) if isinstance(impl, str) else impl
    return float(f(*[np.float64(a) for a in args]))


def _object_array_op(name: str, args: tuple):
    f = FUNCTIONS[name]
    return np.frompyfunc(f, len(args), 1)(*args)


def _is_metanum(x: Any) -> bool:
    return hasattr(type(x), "_nm_apply")


_REAL_TYPES = (bool, int, float)


def apply(name: str, *args: Any) -> Any:
    """Apply elementary function *name* to *args*, dispatching on their types.

    This is the one dispatch point; ``nm.exp`` and friends call it.
    """
    # 1. metanum types: the outermost one handles the call.
    best = outermost(args)
    if best is not None:
        return best._nm_apply(name, args)
    nargs, real_f, complex_f, np_f, mp_f = _IMPLS[name]
    types = {type(a) for a in args}
    # 2. plain Python reals.
    if types <= {bool, int, float}:
        try:
            return real_f(*[float(a) for a in args])
        except (ValueError, OverflowError, ZeroDivisionError):
            return _numpy_fallback(name, args)
    # 3. arrays and NumPy scalars.
    if any(isinstance(a, (np.ndarray, np.generic)) or hasattr(a, "__array_namespace__") for a in args):
        if any(isinstance(a, np.ndarray) and a.dtype == object for a in args):
            return _object_array_op(name, args)
        if any(isinstance(a, _MP_TYPES) for a in args):
            return _object_array_op(name, tuple(np.asarray(a, dtype=object) for a in args))
        return elementwise(namespace(*args), name, np_f)(*args)
    # 4. mpmath.
    if any(isinstance(a, _MP_TYPES) for a in args):
        return mp_f(*args)
    # 5. Python complex.
    if complex in types and types <= {bool, int, float, complex}:
        if complex_f is None:
            raise TypeError(f"nm.{name} is not defined for complex arguments")
        return complex_f(*[complex(a) for a in args])
    # 6. lists and tuples behave like NumPy arrays.
    if any(isinstance(a, (list, tuple)) for a in args):
        return apply(name, *[np.asarray(a) if isinstance(a, (list, tuple)) else a for a in args])
    bad = ", ".join(type(a).__name__ for a in args)
    raise TypeError(
        f"nm.{name} got arguments of type ({bad}); it accepts numbers (int, float, complex, "
        "NumPy scalars and arrays, mpmath mpf/mpc) and metanum number types"
    )


def real_implementation(name: str) -> Callable | None:
    """The plain-float implementation of *name* (may raise on a domain error), or None."""
    spec = _IMPLS.get(name)
    return spec[1] if spec is not None else None


def _make(name: str, nargs: int, doc: str) -> Callable:
    real_f = _IMPLS[name][1]
    if nargs == 1:

        methods: dict = {}  # type -> its method named after this function (or None)

        def f(x):
            t = type(x)
            if t is float:
                try:
                    return real_f(x)
                except (ValueError, OverflowError, ZeroDivisionError):
                    return _numpy_fallback(name, (x,))
            method = methods.get(t, False)
            if method is False:
                # protocol: metanum types have methods named after the functions
                method = getattr(t, name, None) if hasattr(t, "_nm_apply") else None
                methods[t] = method
            if method is not None:
                return method(x)
            if hasattr(t, "_nm_apply"):
                return x._nm_apply(name, (x,))
            return apply(name, x)

    elif nargs == 2:

        def f(x, y):
            return apply(name, x, y)

    else:

        def f(x, lo, hi):
            return apply(name, x, lo, hi)

    f.__name__ = f.__qualname__ = name
    f.__doc__ = doc
    return f


_DOCS = {
    "exp": "Exponential e**x.",
    "expm1": "exp(x) - 1, accurate for small x.",
    "log": "Natural logarithm.",
    "log1p": "log(1 + x), accurate for small x.",
    "log2": "Base-2 logarithm.",
    "log10": "Base-10 logarithm.",
    "sqrt": "Square root.",
    "cbrt": "Real cube root (negative for negative x).",
    "sin": "Sine.", "cos": "Cosine.", "tan": "Tangent.",
    "arcsin": "Inverse sine.", "arccos": "Inverse cosine.", "arctan": "Inverse tangent.",
    "sinh": "Hyperbolic sine.", "cosh": "Hyperbolic cosine.", "tanh": "Hyperbolic tangent.",
    "arcsinh": "Inverse hyperbolic sine.", "arccosh": "Inverse hyperbolic cosine.",
    "arctanh": "Inverse hyperbolic tangent.",
    "abs": "Absolute value. Derivative convention: sign(x), so 0 at x = 0.",
    "sign": "Sign of x (-1, 0 or 1); its derivative is 0 everywhere.",
    "erf": "Error function.", "erfc": "Complementary error function 1 - erf(x).",
    "gamma": "Gamma function.", "lgamma": "log|Gamma(x)|.",
    "digamma": "Digamma function psi(x) = Gamma'(x) / Gamma(x).",
    "arctan2": "arctan2(y, x): the angle of the point (x, y).",
    "hypot": "sqrt(x**2 + y**2) without overflow.",
    "power": "x ** y.",
    "maximum": "Elementwise maximum. Derivative convention at ties: half to each argument.",
    "minimum": "Elementwise minimum. Derivative convention at ties: half to each argument.",
    "clip": "clip(x, lo, hi) = minimum(maximum(x, lo), hi); derivative 1 inside [lo, hi].",
    "exp2": "2 ** x.",
    "logaddexp": "log(exp(x) + exp(y)) without overflow.",
    "logaddexp2": "log2(2**x + 2**y) without overflow.",
    "sinc": "Normalised sinc sin(pi x) / (pi x), 1 at x = 0 (as np.sinc).",
    "heaviside": ("Step function: 0 for x < 0, h at x == 0, 1 for x > 0. Derivative: 0 in x "
                  "(also at x = 0, the step is not differentiated); in h, 1 where x == 0."),
    "deg2rad": "Degrees to radians.", "radians": "Degrees to radians.",
    "rad2deg": "Radians to degrees.", "degrees": "Radians to degrees.",
    "remainder": ("x - y * floor(x / y) (np.mod, Python %). Derivative: 1 in x, "
                  "-floor(x / y) in y (the jumps are not differentiated)."),
    "fmod": "C fmod: x - y * trunc(x / y). Derivative: 1 in x, -trunc(x / y) in y.",
    "floor_divide": "floor(x / y); piecewise constant, derivative 0.",
    "floor": "Floor; piecewise constant, derivative 0.",
    "ceil": "Ceiling; piecewise constant, derivative 0.",
    "trunc": "Round towards zero; piecewise constant, derivative 0.",
    "rint": "Round to the nearest integer (ties to even); derivative 0.",
    "copysign": "|x| with the sign of y. Derivative: +-1 in x (sign of x times sign of y), 0 in y.",
    "nextafter": ("The next float after x towards y: x plus a piecewise constant offset, so "
                  "derivative 1 in x and 0 in y."),
    "square": "x * x.", "reciprocal": "1 / x.", "positive": "+x (the identity).",
    "expit": "The logistic sigmoid 1 / (1 + exp(-x)) (scipy.special.expit), no overflow.",
    "softplus": "log(1 + exp(x)) without overflow; its derivative is expit(x).",
}  # fmt: skip

FUNCTIONS: dict[str, Callable] = {}
for _name, _spec in _IMPLS.items():
    FUNCTIONS[_name] = globals()[_name] = _make(_name, _spec[0], _DOCS[_name])


def polygamma(n: int, x: Any) -> Any:
    """Polygamma function psi^(n)(x), the (n+1)-th derivative of log Gamma.

    The order *n* is a non-negative integer and is not differentiated.

    Examples
    --------
    >>> import numeric as nm
    >>> round(nm.polygamma(1, 1.0), 12)   # pi**2 / 6
    1.644934066848
    """
    n = int(n)
    if n < 0:
        raise ValueError(f"polygamma order must be a non-negative integer, got {n}")
    if n == 0:
        return digamma(x)
    if _is_metanum(x):
        return x._nm_apply("polygamma", (n, x))
    if type(x) in _REAL_TYPES:
        return _polygamma_real(n, x)
    if isinstance(x, np.ndarray) and x.dtype == object:
        return np.frompyfunc(lambda e: polygamma(n, e), 1, 1)(x)
    if isinstance(x, (np.ndarray, np.generic)) or hasattr(x, "__array_namespace__"):
        xp = namespace(x)
        if xp is np:
            return special(np, "polygamma")(n, x)
        return special(xp, "polygamma")(n, x)
    if isinstance(x, _MP_TYPES):
        return mpmath.psi(n, x)
    if isinstance(x, complex):
        return complex(mpmath.psi(n, mpmath.mpc(x)))
    raise TypeError(f"nm.polygamma got an argument of type {type(x).__name__}")


FUNCTIONS["polygamma"] = polygamma


def where(cond: Any, x: Any, y: Any) -> Any:
    """``x`` where *cond* holds, else ``y``; for scalars a plain conditional.

    *cond* is a comparison of primal values (a bool or a bool array), so
    ``where`` never needs derivatives of *cond*.
    """
    if isinstance(cond, (bool, np.bool_)):
        return x if cond else y
    if is_foreign(cond) and not any(hasattr(type(a), "_nm_apply") for a in (x, y)):
        return namespace(cond, x, y).where(cond, x, y)     # plain device arrays: their namespace's where
    return np.where(cond, x, y)


def real_constant(like: Any, name: str) -> Any:
    """The constant *name* (``"pi"``, ``"ln2"``, ``"ln10"``) at the precision of *like*.

    For mpmath numbers (or duals of them) this is the mpmath constant at the
    current precision; otherwise a Python float, which NumPy treats as a weak
    scalar so float32 computations stay float32.
    """
    from numeric.protocol import innermost

    inner = innermost(like)
    if isinstance(inner, _MP_TYPES) or (
        isinstance(inner, np.ndarray) and inner.dtype == object and inner.size
        and isinstance(inner.flat[0], _MP_TYPES)
    ):
        return +getattr(mpmath, name)
    return {"pi": math.pi, "ln2": math.log(2.0), "ln10": math.log(10.0)}[name]

