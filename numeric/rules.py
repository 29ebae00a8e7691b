"""The one table of elementary functions and their derivatives.

Every propagating number type (``Dual``, ``DualArray``, and later the
reverse-mode tape, ``Measurement`` and the sparsity tracer) is generated
from this table; none of them has its own copy of ``d/dx sin = cos``.

Each :class:`Rule` gives, for every argument, the partial derivative as a
function ``partial(ans, *args)`` of the result ``ans = f(*args)`` and the
arguments. The partials are written with the generic functions of
:mod:`numeric.functions`, so applying them to duals differentiates them
again: second and higher derivatives come from nesting, never from a second
table.

Conventions at non-differentiable points (documented, as JAX and PyTorch do):

* ``abs``: derivative ``sign(x)``, so 0 at x = 0 (the minimum-norm subgradient).
* ``sign``: derivative 0 everywhere (also at 0).
* ``maximum``/``minimum`` at a tie: half of the derivative to each argument.
* ``clip(x, lo, hi)``: derivative 1 with respect to x on the closed interval
  [lo, hi], with respect to lo where x < lo, to hi where x > hi.
* ``power(x, y)``: the partial in y is 0 where x == 0 (the limit for y > 0).

``domain`` gives, per argument, intervals on which the function is smooth,
used by the hypothesis strategies of :mod:`numeric.testing`; ``holomorphic``
says the complex-step check applies (the function is the restriction of an
analytic function on the domain).

Examples
--------
>>> from numeric.rules import RULES
>>> RULES["sin"].partials[0](0.0, 0.0)    # cos(0)
1.0
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from numeric import complex_forms
from numeric import functions as F
from numeric.backend import astype, dtype_kind, float_dtype, is_foreign
from numeric.protocol import NON_HOLOMORPHIC, innermost, one, zero

__all__ = ["Rule", "RULES", "ARITHMETIC", "ZERO_DERIVATIVE", "indicator", "register",
           "unregister", "lookup", "nan_safe_scale", "SINGULAR", "ieee_call"]


@dataclass(frozen=True)
class Rule:
    """One elementary function: its arity, partial derivatives and domain."""

    name: str
    nargs: int
    partials: tuple[Callable[..., Any] | None, ...]
    domain: tuple[tuple[tuple[float, float], ...], ...] = ((-3.0, 3.0),)
    holomorphic: bool = True
    function: Callable[..., Any] = field(default=None, compare=False)

    def __post_init__(self):
        if len(self.partials) != self.nargs:
            raise ValueError(f"rule {self.name}: {self.nargs} arguments but "
                             f"{len(self.partials)} partials")


def indicator(cond: Any, like: Any) -> Any:
    """1 where *cond* holds, 0 elsewhere, in the real type of *like*.

    *cond* compares primal values (bool or bool array), so the indicator
    is a constant: it has no derivative, as a step function should.
    """
    if isinstance(cond, (bool, np.bool_)):
        return 1.0 if cond else 0.0
    inner = innermost(like)
    dtype = getattr(inner, "dtype", None)
    kind = None if dtype is None else dtype_kind(dtype)
    if kind == "f":
        return astype(cond, dtype)
    if kind == "O":
        return cond.astype(object) * 1.0
    return astype(cond, float_dtype(cond)) if is_foreign(cond) else cond.astype(float)


def _and(a, b):
    if isinstance(a, (bool, np.bool_)) and isinstance(b, (bool, np.bool_)):
        return a and b
    return a & b


def _pow_partial_exponent(ans, x, y):
    # d/dy x**y = x**y log x, taken as 0 where x == 0 (its limit for y > 0).
    if isinstance(x, (int, float)) and not isinstance(ans, (int, float)):
        x = x + zero(ans)  # a Python constant base: its log at the precision of the result
    if isinstance(x == 0, (bool, np.bool_)):
        return zero(ans) if x == 0 else ans * F.log(x)
    at_zero = x == 0
    safe = F.where(at_zero, one(x), x)
    return F.where(at_zero, zero(ans), ans * F.log(safe))


def _exp_minus_square(x):
    """exp(-x*x) to ~1 ulp for float input: x = hi + lo (Veltkamp split, hi has 26 bits)
    so hi*hi is exact; a plain exp(-x*x) loses ~100 ulps at large |x|. Others: exp(-x*x)."""
    if type(x) is float or (type(x) is np.ndarray and x.dtype == np.float64):
        with np.errstate(over="ignore", invalid="ignore"):
            small = np.abs(x) < 30.0
            xs = np.where(small, x, 0.0)
            c = 134217729.0 * xs
            hi = c - (c - xs)
            lo = xs - hi
            r = np.where(small, np.exp(-hi * hi) * np.exp(-(2 * hi * lo + lo * lo)), 0.0)
        return float(r) if type(x) is float else r
    return F.exp(-x * x)


def _erf_partial(ans, x):
    return 2 / F.sqrt(F.real_constant(x, "pi")) * _exp_minus_square(x)


def _tanh_partial(ans, x):
    # sech(x)**2, not 1 - tanh(x)**2: the latter is 0 for |x| > 19 (true 1.7e-17 at 20).
    # 1/cosh first, then the square, so that cosh**2 never overflows before sech**2 underflows.
    s = 1 / F.cosh(x)
    return s * s


def _cbrt_partial(ans, x):
    # (cbrt(x) / x) / 3: ~2 ulps (1 / (3 a a) was ~7), no overflow of 3x; inf at x = 0
    if isinstance(x == 0, (bool, np.bool_)):
        return 1 / (3 * ans * ans) if x == 0 else ans / x / 3
    at_zero = x == 0
    with np.errstate(divide="ignore", invalid="ignore"):
        return F.where(at_zero, 1 / (3 * ans * ans), ans / F.where(at_zero, one(x), x) / 3)


def _pow_base_float(ans, x, y):
    """y * x**y / x where x**y is a normal float: the exponent y - 1 of y * x**(y - 1) is
    rounded (|y| ~ 15: 2e-15 absolute, times |log x| in the result: ~50 ulps). Else None."""
    if type(x) is float and type(ans) is float:
        if x != 0 and 2.3e-308 < abs(ans) < 1.7e308:
            return y * (ans / x)
        return None
    if type(ans) is np.ndarray and ans.dtype == np.float64 and (
            type(x) is np.ndarray or type(x) is float):
        with np.errstate(all="ignore"):
            ok = (x != 0) & (np.abs(ans) > 2.3e-308) & (np.abs(ans) < 1.7e308)
            quotient = ans / np.where(ok, x, 1.0)
            return np.where(ok, y * quotient, y * np.power(x, y - 1))
    return None


def _pow_partial_base(ans, x, y):
    # d/dx x**y = y * x**(y - 1), with x**0 -> 0 and x**1 -> 1 exactly (no 0 * inf at x = 0),
    # and a real nan (not a complex number) for a negative float base and a non-integer y.
    if isinstance(y, (int, float, np.integer, np.floating)) and not isinstance(y, bool):
        if y == 0:
            return zero(x) * 0
        if y == 1:
            return one(x) + zero(x)
        if y == 2:
            return y * x                    # the square: exact, one multiplication
        if isinstance(x, (int, float)) and x < 0 and y != int(y):
            return float("nan")
        if isinstance(x, (int, float)) and x == 0 and y < 1:
            return _pow_at_zero(y)
    quick = _pow_base_float(ans, x, y)
    if quick is not None:
        return quick
    return y * x ** (y - 1)


def _is_float64(v) -> bool:
    return type(v) is float or type(v) is np.float64 or (
        type(v) is np.ndarray and v.dtype == np.float64)


def _two_diff(u, v):
    """u - v = s + e exactly (Knuth's TwoSum): s rounded, e its rounding error."""
    s = u - v
    b = s - u
    e = (u - (s - b)) + (-v - b)
    return s, e


def _logistic_of_difference(u, v, base_log, power):
    """1 / (1 + b**(v - u)) for b = e (base_log = 1) or 2 (base_log = ln 2), to ~2 ulps.

    The partials of logaddexp/logaddexp2 in u. The difference v - u is carried exactly
    (TwoSum, its rounding error folded in to first order), so the result keeps relative
    accuracy even where it is tiny (u - v = -700: exp(-700), not exp(-700) * (1 +- 1e-13),
    which the usual exp(u - logaddexp(u, v)) gives). Other types: the same formula through
    exp(u - ans) style arithmetic in nm functions (nested duals, mpf).
    """
    with np.errstate(over="ignore", invalid="ignore"):
        s, e = _two_diff(v, u)  # v - u = s + e
        t = -np.abs(s)
        ee = np.where(s > 0, -e, e)  # t + ee is -|v - u| exactly
        # b**(-|v - u|) in (0, 1]: exp2(t), not exp(t ln 2), so t (exact) is not rounded again
        w = power(t) * (1 + ee * base_log)
        r = np.where(s > 0, w / (1 + w), 1 / (1 + w))
        r = np.where(np.isnan(s), np.where(u == v, 0.5, np.nan), r)  # inf - inf
    return float(r) if type(u) is float and type(v) is float else r


def _logaddexp_partial(base_log_name):
    def partial(ans, u, v):
        if _is_float64(u) and _is_float64(v):
            if base_log_name is None:
                return _logistic_of_difference(u, v, 1.0, np.exp)
            return _logistic_of_difference(u, v, np.log(2.0), np.exp2)
        if base_log_name is None:
            return F.exp(u - ans)
        return F.exp2(u - ans)

    return partial


def _sinc_series(x):
    """sinc'(x) = sum_k (-1)^k 2k pi^2k x^(2k-1) / (2k+1)!  (Taylor series of sin(pi x)/(pi x)).

    Horner in x^2; 12 terms for floats (|pi x|^24 / 25! < 1e-27 for |x| < 1/4), 24 for
    mpf (coefficients at the precision of x, so mpf derivatives keep their digits).
    """
    pi = F.real_constant(x, "pi")
    nterms = 12 if isinstance(pi, float) else 24
    coefs, fact = [], 1
    for k in range(1, nterms + 1):
        fact *= (2 * k) * (2 * k + 1)
        coefs.append((-1) ** k * 2 * k * pi ** (2 * k) / fact)
    x2 = x * x
    acc = coefs[-1] + zero(x)
    for c in coefs[-2::-1]:
        acc = acc * x2 + c
    return acc * x


def _sinc_partial(ans, x):
    # (cos(pi x) - sinc(x)) / x, which cancels catastrophically near 0: there (|x| < 1/4)
    # the Taylor series instead (12 terms: |pi x|^24 / 25! < 1e-27), which also gives the
    # right higher derivatives at 0 when nested.
    small = abs(x) < 0.25
    if isinstance(small, (bool, np.bool_)):
        if small:
            return _sinc_series(x)
        return (F.cos(F.real_constant(x, "pi") * x) - ans) / x
    safe = F.where(small, one(x), x)
    big = (F.cos(F.real_constant(x, "pi") * safe) - F.sinc(safe)) / safe
    return F.where(small, _sinc_series(x), big)


def _arctan2_partials():
    # d/dy atan2(y, x) = x / (x^2 + y^2), d/dx = -y / (x^2 + y^2), written (x / h) / h with
    # h = hypot(x, y) so that neither huge (|x| > 1e154: x*x = inf) nor tiny (|x| < 1e-162:
    # x*x = 0, 0/0) arguments break it (the quotients are exact to ~3 ulps).
    def dy(a, y, x):
        h = F.hypot(x, y)
        return x / h / h

    def dx(a, y, x):
        h = F.hypot(x, y)
        return -y / h / h

    return dy, dx


def _hypot_partial(i):
    # x / hypot(x, y) (resp. y / ...); at the origin the direction is undefined: nan (IEEE 0/0,
    # as uncertainties), not Python's ZeroDivisionError
    def partial(a, x, y):
        u = x if i == 0 else y
        if type(a) is float and a == 0:
            return math.nan
        return u / a

    return partial


def _signbit(v):
    inner = innermost(v)
    if isinstance(inner, (float, np.floating)) or (
            isinstance(inner, np.ndarray) and inner.dtype.kind == "f"):
        return np.signbit(inner)  # -0.0 counts as negative, as in np.copysign
    return inner < 0  # mpf and object arrays: no signed zero


def _copysign_partial(ans, x, y):
    # +1 where x and y have the same sign bit, else -1 (d|x|/dx * sign(y))
    same = _signbit(x) == _signbit(y)
    if isinstance(same, (bool, np.bool_)):
        return one(ans) if same else -one(ans)
    return 2 * indicator(same, ans) - 1 + zero(ans)


def _fmod_quotient(ans, x, y):
    # fmod(x, y) = x - n y with n = trunc(x / y) an exact integer: recovered from the
    # result itself as rint((x - ans) / y), consistent with ans even where x / y rounds up.
    return -F.rint((x - ans) / y)


def _pow_at_zero(y):
    # 0**(y-1) for y < 1, y != 0: IEEE (as NumPy) rather than Python's ZeroDivisionError.
    with np.errstate(divide="ignore", invalid="ignore"):
        return float(y * np.power(0.0, y - 1))


SINGULAR = (ZeroDivisionError, OverflowError)  # what Python floats raise where IEEE gives inf/nan


def ieee_call(fn: Callable[..., Any], args: tuple) -> Any:
    """``fn(*args)`` re-run in ``np.float64`` after Python floats raised one of :data:`SINGULAR`.

    A singular point gives IEEE values in every type (docs/decisions.md, "Singular points"):
    ``1/0 = inf``, ``0/0 = nan``, as NumPy arrays do. The scalar number types call a rule's
    function and partials on Python floats (fast) and, only where that raises, again through
    this. Arguments other than Python floats and ints (``mpf``) keep their own exception.

    >>> ieee_call(lambda a, x: 0.5 / a, (0.0, 0.0))    # sqrt'(0)
    inf
    """
    fargs = [np.float64(v) if type(v) in (float, int) else v for v in args]
    if any(type(v) is not np.float64 for v in fargs):
        return fn(*args)
    with np.errstate(all="ignore"):
        g = fn(*fargs)
    return float(g) if type(g) is np.float64 else g


def nan_safe_scale(d: Any, p: Any) -> Any:
    """``d * p`` where a structurally zero partial stays exactly 0 even if *d* is inf/nan.

    ForwardDiff's NaN-safe mode, as the default (docs/decisions.md): the local
    derivative *d* of one operand must not poison the partials of seeds that never
    reached it (``x[0]*x[0] + x[1]*x[1]`` at ``[nan, 1]`` has gradient ``[nan, 2]``).
    The finite case, the common one, costs one check on *d* (not on the partials).
    """
    td = type(d)
    if td is float or td is np.float64:
        if d - d == 0:
            return d * p
    elif td is np.ndarray and d.dtype.kind == "f":
        if np.isfinite(d).all():
            return d * p
    else:
        return d * p
    with np.errstate(invalid="ignore"):  # inf * 0 here is replaced by 0 just below
        t = d * p
    tp = type(p)
    if tp is float or tp is int or tp is np.float64:
        return 0.0 if p == 0 else t
    if tp is np.ndarray and type(t) is np.ndarray:
        return np.where(p == 0, np.zeros((), t.dtype), t)
    return t


def lift_constants(args: tuple) -> tuple:
    """Python ints and floats among *args* become mpf when another argument is mpf-based.

    A rule's partials combine its arguments (arctan2's ``x*x + y*y``, truediv's
    ``1 / y``): two Python constants meeting there would be rounded to double
    precision and cap the derivative of an mpf computation at 16 digits. Every
    propagating type calls this on the primal arguments before applying a rule.
    """
    if not any(type(a) is float or type(a) is int for a in args):
        return args
    if not any(_is_mpf(innermost(a)) for a in args):
        return args
    import mpmath

    return tuple(mpmath.mpf(a) if (type(a) is float or type(a) is int) else a for a in args)


def _is_mpf(v):
    if isinstance(v, np.ndarray):
        return v.dtype == object and v.size > 0 and _is_mpf(innermost(v.flat[0]))
    return type(v).__module__.startswith("mpmath")


def _tie_split(x, y):
    return indicator(x > y, x) + 0.5 * indicator(x == y, x)


_POS = ((0.1, 5.0),)
_UNIT = ((-0.95, 0.95),)
_NONZERO = ((-3.0, -0.1), (0.1, 3.0))
_GAMMA = ((-2.8, -2.2), (-1.8, -1.2), (0.1, 6.0))
# Piecewise-constant functions are smooth (constant) away from integers and half-integers;
# remainder/fmod/floor_divide away from x / y integer (x / y in +-(1.1, 1.73)).
_STEPS = ((-2.9, -2.6), (0.1, 0.4), (1.6, 1.9))
_QUOTIENT = (((-2.6, -2.2), (2.2, 2.6)), ((1.5, 2.0),))

_TABLE = [
    # name, nargs, partials(ans, *args), domain per argument, holomorphic
    ("exp", 1, (lambda a, x: a,), None, True),
    ("expm1", 1, (lambda a, x: F.exp(x),), None, True),
    ("log", 1, (lambda a, x: 1 / x,), (_POS,), True),
    ("log1p", 1, (lambda a, x: 1 / (1 + x),), (((-0.9, 5.0),),), True),
    ("log2", 1, (lambda a, x: 1 / (x * F.real_constant(x, "ln2")),), (_POS,), True),
    ("log10", 1, (lambda a, x: 1 / (x * F.real_constant(x, "ln10")),), (_POS,), True),
    ("sqrt", 1, (lambda a, x: 0.5 / a,), (_POS,), True),
    ("cbrt", 1, (_cbrt_partial,), (_NONZERO,), True),
    ("sin", 1, (lambda a, x: F.cos(x),), None, True),
    ("cos", 1, (lambda a, x: -F.sin(x),), None, True),
    ("tan", 1, (lambda a, x: 1 + a * a,), (((-1.4, 1.4),),), True),
    ("arcsin", 1, (lambda a, x: 1 / F.sqrt((1 - x) * (1 + x)),), (_UNIT,), True),
    ("arccos", 1, (lambda a, x: -1 / F.sqrt((1 - x) * (1 + x)),), (_UNIT,), True),
    ("arctan", 1, (lambda a, x: 1 / (1 + x * x),), None, True),
    ("sinh", 1, (lambda a, x: F.cosh(x),), None, True),
    ("cosh", 1, (lambda a, x: F.sinh(x),), None, True),
    ("tanh", 1, (_tanh_partial,), None, True),
    ("arcsinh", 1, (lambda a, x: 1 / F.sqrt(x * x + 1),), None, True),
    ("arccosh", 1, (lambda a, x: 1 / F.sqrt((x - 1) * (x + 1)),), (((1.1, 5.0),),), True),
    ("arctanh", 1, (lambda a, x: 1 / ((1 - x) * (1 + x)),), (_UNIT,), True),
    ("abs", 1, (lambda a, x: F.sign(x),), (_NONZERO,), False),
    ("sign", 1, (lambda a, x: zero(x),), (_NONZERO,), False),
    ("erf", 1, (_erf_partial,), None, True),
    ("erfc", 1, (lambda a, x: -_erf_partial(a, x),), None, True),
    ("gamma", 1, (lambda a, x: a * F.digamma(x),), (_GAMMA,), True),
    ("lgamma", 1, (lambda a, x: F.digamma(x),), (((0.1, 6.0),),), True),
    ("digamma", 1, (lambda a, x: F.polygamma(1, x),), (_GAMMA,), True),
    ("polygamma", 2, (None, lambda a, n, x: F.polygamma(n + 1, x)), ((), ((0.2, 6.0),)), True),
    ("arctan2", 2, _arctan2_partials(), (_NONZERO, _NONZERO), False),
    ("hypot", 2, (_hypot_partial(0), _hypot_partial(1)), (_NONZERO, _NONZERO), False),
    ("power", 2, (_pow_partial_base, _pow_partial_exponent),
     (((0.2, 3.0),), ((-2.0, 2.0),)), True),
    ("maximum", 2, (lambda a, x, y: _tie_split(x, y), lambda a, x, y: _tie_split(y, x)),
     (((-3.0, 3.0),), ((-3.0, 3.0),)), False),
    ("minimum", 2, (lambda a, x, y: _tie_split(y, x), lambda a, x, y: _tie_split(x, y)),
     (((-3.0, 3.0),), ((-3.0, 3.0),)), False),
    ("clip", 3, (lambda a, x, lo, hi: indicator(_and(x >= lo, x <= hi), x),
                 lambda a, x, lo, hi: indicator(x < lo, x),
                 lambda a, x, lo, hi: indicator(x > hi, x)),
     (((-3.0, 3.0),), ((-2.0, -0.5),), ((0.5, 2.0),)), False),
    ("exp2", 1, (lambda a, x: a * F.real_constant(x, "ln2"),), None, True),
    ("logaddexp", 2, (_logaddexp_partial(None), lambda a, x, y: _logaddexp_partial(None)(a, y, x)),
     None, True),
    ("logaddexp2", 2, (_logaddexp_partial("ln2"),
                       lambda a, x, y: _logaddexp_partial("ln2")(a, y, x)), None, True),
    ("sinc", 1, (_sinc_partial,), None, True),
    ("heaviside", 2, (lambda a, x, h: zero(a), lambda a, x, h: indicator(x == 0, a) + zero(a)),
     (_NONZERO, ((0.0, 1.0),)), False),
    ("deg2rad", 1, (lambda a, x: one(x) * (F.real_constant(x, "pi") / 180),), None, True),
    ("radians", 1, (lambda a, x: one(x) * (F.real_constant(x, "pi") / 180),), None, True),
    ("rad2deg", 1, (lambda a, x: one(x) * (180 / F.real_constant(x, "pi")),), None, True),
    ("degrees", 1, (lambda a, x: one(x) * (180 / F.real_constant(x, "pi")),), None, True),
    ("remainder", 2, (lambda a, x, y: one(a), lambda a, x, y: -F.floor_divide(x, y) + zero(a)),
     _QUOTIENT, False),
    ("fmod", 2, (lambda a, x, y: one(a), _fmod_quotient), _QUOTIENT, False),
    ("floor_divide", 2, (lambda a, x, y: zero(a), lambda a, x, y: zero(a)), _QUOTIENT, False),
    ("floor", 1, (lambda a, x: zero(a),), (_STEPS,), False),
    ("ceil", 1, (lambda a, x: zero(a),), (_STEPS,), False),
    ("trunc", 1, (lambda a, x: zero(a),), (_STEPS,), False),
    ("rint", 1, (lambda a, x: zero(a),), (_STEPS,), False),
    ("copysign", 2, (_copysign_partial, lambda a, x, y: zero(a)), (_NONZERO, _NONZERO), False),
    ("nextafter", 2, (lambda a, x, y: one(a), lambda a, x, y: zero(a)),
     (((0.1, 1.0),), ((2.0, 3.0),)), False),
    ("square", 1, (lambda a, x: 2 * x,), None, True),
    ("reciprocal", 1, (lambda a, x: -a / x,), (_NONZERO,), True),  # as truediv: -(1/x)/x
    ("positive", 1, (lambda a, x: one(x),), None, True),
    # expit' = expit(x) expit(-x), not a (1 - a): 1 - a cancels for large x (0 for x > 37)
    ("expit", 1, (lambda a, x: a * F.expit(-x),), None, True),
    ("softplus", 1, (lambda a, x: F.expit(x),), None, True),
]

_ARITHMETIC = [
    # The arithmetic operators are rules like any other; number types that
    # hand-optimise them must agree with these (the test suite checks).
    ("add", 2, (lambda a, x, y: 1, lambda a, x, y: 1)),
    ("sub", 2, (lambda a, x, y: 1, lambda a, x, y: -1)),
    ("mul", 2, (lambda a, x, y: y, lambda a, x, y: x)),
    ("truediv", 2, (lambda a, x, y: 1 / y, lambda a, x, y: -a / y)),
    ("neg", 1, (lambda a, x: -1,)),
]


def _build() -> tuple[dict[str, Rule], dict[str, Rule]]:
    rules = {}
    for name, nargs, partials, domain, holo in _TABLE:
        rules[name] = Rule(name, nargs, partials, domain or (((-3.0, 3.0),),) * nargs, holo,
                           F.FUNCTIONS[name])
    import operator

    arith = {}
    for name, nargs, partials in _ARITHMETIC:
        arith[name] = Rule(name, nargs, partials, (((-3.0, 3.0),),) * nargs, True,
                           getattr(operator, name))
    return rules, arith


RULES, ARITHMETIC = _build()
NON_HOLOMORPHIC.update(name for name, rule in {**RULES, **ARITHMETIC}.items() if not rule.holomorphic)

# Piecewise-constant rules: every partial is 0 (their jumps are not differentiated).
ZERO_DERIVATIVE = frozenset({"floor", "ceil", "trunc", "rint", "floor_divide", "sign"})

# -- user rules ------------------------------------------------------------------------
# A user declares the derivative of their own function once (numeric.custom_rule);
# every mode finds it by name through `lookup`, exactly like a built-in rule.
CUSTOM: dict[str, Rule] = {}


def register(name: str, function: Callable[..., Any], partials: tuple,
             *, holomorphic: bool = False) -> Rule:
    """Add a user rule (``partials[i](ans, *args)`` as in the table); return it.

    Built-in names cannot be replaced; registering a user name again replaces it.
    """
    if name in RULES or name in ARITHMETIC:
        raise ValueError(f"{name!r} is a built-in rule; choose another name for a custom rule")
    rule = Rule(name, len(partials), tuple(partials), (((-3.0, 3.0),),) * len(partials),
                holomorphic, function)
    CUSTOM[name] = rule
    return rule


def unregister(name: str) -> None:
    """Remove a user rule added by :func:`register`."""
    CUSTOM.pop(name, None)


def lookup(name: str) -> Rule:
    """The rule called *name*: built-in function, arithmetic operator or user rule."""
    rule = RULES.get(name) or ARITHMETIC.get(name) or CUSTOM.get(name)
    if rule is None:
        raise KeyError(f"no derivative rule named {name!r}")
    return rule


def constant_partial(partial: Callable[..., Any] | None, nargs: int) -> int | None:
    """The partial derivative as an int when it is the constant 1 or -1 (add, sub, neg).

    Number types use this to skip multiplying partials by +-1; it is read off
    the table (the partial is called on placeholders), not restated per type.
    """
    if partial is None:
        return None
    try:
        out = partial(*([object()] * (nargs + 1)))
    except Exception:
        return None
    return out if type(out) is int and out in (1, -1) else None


def _complex_guarded(name: str, method: Callable) -> Callable:
    """*method*, or for a non-holomorphic rule on a complex value its composition of real and
    imag (:mod:`numeric.complex_forms`), since the table's real partial is wrong there."""
    rule = RULES.get(name) or ARITHMETIC.get(name)
    if rule is None or rule.holomorphic:
        return method

    def guarded(self, *others):
        form = complex_forms.guard_complex(name, (self,) + others)
        return method(self, *others) if form is None else form(self)

    guarded.__name__, guarded.__doc__ = method.__name__, method.__doc__
    return guarded


# Python operator name -> rule name, for every number type's dunder methods.
OPERATORS = (("add", "add"), ("sub", "sub"), ("mul", "mul"), ("truediv", "truediv"),
             ("pow", "power"), ("mod", "remainder"), ("floordiv", "floor_divide"))


def install_operators(cls: type, make_unary: Callable[[Rule], Callable],
                      make_binary: Callable[[Rule, bool], Callable]) -> None:
    """Generate a number type's operators and methods from the table.

    *cls* gets ``__add__``/``__radd__`` ... ``__pow__``/``__rpow__`` from
    ``make_binary(rule, reflected)``, ``__neg__`` and one method per
    one-argument rule (``x.exp()``, which NumPy object arrays call) from
    ``make_unary(rule)``, and the fixed helpers ``__pos__``, ``__abs__``,
    ``absolute``, ``conjugate``, ``arctan2``, ``hypot``. Methods the class
    defines itself are kept. Every propagating type is built by this one
    loop, so none restates the list of operations.
    """

    def put(name: str, method: Callable) -> None:
        if name not in cls.__dict__:
            setattr(cls, name, method)

    for rule in RULES.values():
        if rule.nargs == 1:
            put(rule.name, _complex_guarded(rule.name, make_unary(rule)))
    for pyname, rname in OPERATORS:
        rule = lookup(rname)
        put(f"__{pyname}__", _complex_guarded(rname, make_binary(rule, False)))
        put(f"__r{pyname}__", _complex_guarded(rname, make_binary(rule, True)))
    put("__neg__", make_unary(ARITHMETIC["neg"]))
    put("__pos__", lambda self: self)
    put("__abs__", getattr(cls, "abs"))
    put("absolute", getattr(cls, "abs"))
    put("conjugate", complex_forms.conjugate)
    put("conj", complex_forms.conjugate)
    put("real", property(complex_forms.real_part, doc="The real part (a number of the same type)."))
    put("imag", property(complex_forms.imag_part, doc="The imaginary part (a number of the same type)."))
    put("arctan2", lambda self, o: F.arctan2(self, o))
    put("hypot", lambda self, o: F.hypot(self, o))
