"""``Fun``: a function on an interval as a number — coefficients in a space.

``Fun(f, space)`` samples *f* adaptively and keeps the chopped coefficients
(see :mod:`numeric.fun.construct`). A Fun is a protocol number:

* ``+ - *`` between Funs are exact on the coefficients and then chopped
  where the result's coefficients reach the tolerance (Chebfun's
  *simplify*), so lengths follow the function and do not grow without
  bound; ``/``, ``**`` and every elementary function of
  :mod:`numeric.functions` (``nm.exp(f)``, ``np.sin(f)``, ``f.tanh()``)
  re-approximate adaptively from the values of the arguments on each grid.
* ``nm.norm(f)`` is the root mean square over the interval,
  ``sqrt((1 / (b - a)) * integral |f|^2)`` — the continuous analogue of the
  RMS over array elements that the ODE solver's error control uses, and
  independent of how many coefficients represent f (an RMS of the
  coefficient vector would shrink as the Fun gets longer). With dual
  coefficients it adds the partials' mean squares, as ``nm.norm`` of a dual
  does, so a time stepper also controls the error of the derivatives.
* ``nm.zero(f)``, ``nm.one(f)``: constant Funs of the same space and
  coefficient type; ``nm.eps(f)``: the coefficients' machine epsilon.
* ``nm.value(f)``: with dual coefficients, the Fun of the primal
  coefficients; otherwise f itself (a Fun is already a primal value).

Order among number types: a Fun is always the outermost container
(``_nm_order = 2**62``). A Dual or Measurement scalar or mpf meeting a Fun
becomes part of the coefficients — ``a * f`` with a Dual ``a`` is a Fun whose
coefficients are a ``DualArray``, with a Measurement ``a`` a ``MeasurementArray``
— so ``nm.derivative`` of a functional of a Fun works,
and the derivative of a function-valued quantity is again a function. The
reverse (a Dual whose value is a Fun) is never built.

The coefficients may be float64, float32, complex, object arrays of mpf
(construction and arithmetic at the current mpmath precision) or any
"value + linear part" array number, DualArray or MeasurementArray (see
:mod:`numeric.fun.coeffs`); nothing here names those types.

Examples
--------
>>> import numpy as np, numeric as nm
>>> f = nm.Fun(lambda x: np.exp(np.sin(np.pi * x)) + 1 / (1 + 25 * x**2), nm.Chebyshev(-1, 1))
>>> len(f) > 100, bool(abs(f(0.3) - (np.exp(np.sin(0.3 * np.pi)) + 1 / (1 + 25 * 0.09))) < 1e-14)
(True, True)
>>> g = nm.Fun(np.exp, nm.Chebyshev(0, 1))
>>> round(float(g.sum()), 14), round(float(g.diff()(0.5)), 14)
(1.71828182845905, 1.64872127070013)
>>> def integral(a):
...     return nm.Fun(lambda x: np.exp(a * x), nm.Chebyshev(0, 1)).sum()
>>> round(float(nm.derivative(integral, 1.0)), 13)
1.0
"""

from __future__ import annotations

import math
import numbers
from typing import Any, Callable

import mpmath
import numpy as np

from numeric.backend import is_array, is_foreign, like as like_array, namespace, to_host, to_host_float
from numeric.fun import chebyshev as cheb
from numeric.fun.coeffs import (all_finite, as_coefficient_array, innermost_array, is_linear, is_mp,
                                tolerance)
from numeric.fun.construct import FunConstructionError, adaptive_coefficients
from numeric.fun.spaces import Chebyshev, Space
from numeric.protocol import layers, linear_parts, ufunc_rule_name
from numeric.protocol import value as nm_value
from numeric.rules import ARITHMETIC, RULES, install_operators, lookup

__all__ = ["Fun"]

_SCALARS = (numbers.Number, np.generic, mpmath.mpf, mpmath.mpc)


def _dtype_of(dtype: Any, space: Space) -> Any:
    if dtype is None:
        return object if space.is_mp else np.float64
    if dtype in ("mpf", object, mpmath.mpf):
        return object
    dt = np.dtype(dtype)
    if dt.kind not in "fc":
        raise TypeError(f"dtype must be a float type (float64, float32) or 'mpf', got {dtype!r}")
    return np.finfo(dt).dtype


def _is_scalar(x: Any) -> bool:
    if isinstance(x, _SCALARS) or _device_scalar(x):
        return True
    return hasattr(type(x), "_nm_apply") and not is_array(x) and not is_linear(x) and not \
        isinstance(x, Fun) and getattr(x, "shape", ()) == ()


def _device_scalar(x: Any) -> bool:
    """A 0-d array of another namespace (a device Fun's ``sum()``): a scalar of its coefficients."""
    return is_foreign(x) and tuple(x.shape) == ()


def _broadcast_values(v: Any, x: np.ndarray) -> Any:
    """Make the callable's result an array of the points' shape (constants broadcast)."""
    if isinstance(v, (list, tuple)):
        v = np.asarray(v)
    shape = getattr(v, "shape", ())
    if tuple(shape) == tuple(x.shape):
        return v
    if tuple(shape) == ():
        return v + x * 0 if x.dtype != object else v + np.zeros(x.shape) * x
    raise ValueError(f"the function returned shape {tuple(shape)} for {x.shape[0]} points; "
                     "it must work elementwise on an array of points (use np.vectorize or "
                     "NumPy/nm functions)")


class Fun:
    """A smooth function on an interval, as a number: coefficients in a space.

    Parameters
    ----------
    f : callable, array of coefficients, or Fun
        A callable is sampled on arrays of points (it must be vectorised:
        ``f(np.array([...]))``). An array (or DualArray) is taken as the
        coefficients. A Fun is re-approximated in *space*.
    space : Chebyshev or Fourier
        The interval and basis.
    n : int, optional
        Fixed length (no adaptivity): sample at n points.
    dtype : float64 (default), float32 or "mpf"
        The type of the sample points (mpf: current mpmath precision; the
        default when the space's endpoints are mpf).
    tol : float, optional
        Relative chopping tolerance; the machine epsilon of the values.
    maxlength : int, optional
        Largest adaptive length (65537; 1025 for mpf).
    on_unresolved : {"error", "warn"}
        When *f* is not resolved at *maxlength*: raise
        :class:`~numeric.fun.construct.FunConstructionError` (default) or
        warn and return the unchopped series.
    like : array, optional
        An array of another namespace (a CuPy array): *f* is sampled at points
        created in its namespace, on its device, in its dtype, and the
        coefficients stay there (Chebyshev spaces). The chop decision reads one
        vector of coefficient magnitudes on the host per grid.

    Examples
    --------
    >>> import numpy as np, numeric as nm
    >>> f = nm.Fun(lambda x: np.sin(20 * x), nm.Chebyshev(-1, 1))
    >>> len(f), len(f.roots())
    (50, 13)

    On a device (here ``array_api_strict``'s simulated one; a CuPy array for the GPU):

    >>> import array_api_strict as xs
    >>> like = xs.asarray([0.0], device=xs.Device("device1"))
    >>> g = nm.Fun(xs.exp, nm.Chebyshev(0, 1), like=like)
    >>> g.coeffs.device == like.device, round(float(g.sum()), 14)
    (True, 1.71828182845905)
    """

    __slots__ = ("coeffs", "space")
    _nm_order = 2**62
    __array_priority__ = 300

    def __init__(self, f: Any, space: Space, n: int | None = None, *, dtype: Any = None,
                 tol: float | None = None, maxlength: int | None = None,
                 on_unresolved: str = "error", like: Any = None):
        if not isinstance(space, Space):
            raise TypeError(f"space must be nm.Chebyshev(a, b) or nm.Fourier(a, b), "
                            f"got {type(space).__name__}")
        self.space = space
        if isinstance(f, Fun):
            src = f
            if like is None and is_foreign(innermost_array(src.coeffs)):   # re-approximated on its device
                like = innermost_array(src.coeffs)
            f = src.__call__ if not src.space == space else None
            if f is None:
                self.coeffs = src.coeffs
                return
        if callable(f):
            kind = _dtype_of(dtype, space)
            name = getattr(f, "__name__", "the function")
            device = like if like is not None and is_foreign(like) else None

            def sample(m: int) -> Any:
                x = space.points(m, kind, like=device)
                return _broadcast_values(f(x), x)

            if n is not None:
                n = int(n)
                if n < 1 or n != space.valid_length(n):
                    raise ValueError(f"n = {n} is not a valid length for {space!r} (positive; "
                                     "odd for Fourier)")
                v = sample(n)
                if not all_finite(v):
                    raise FunConstructionError(f"{name} gave non-finite values at the {n} "
                                               "sample points")
                self.coeffs = space.vals2coeffs(v)
            else:
                self.coeffs = adaptive_coefficients(
                    sample, space, tol=tol, maxlength=maxlength, on_unresolved=on_unresolved,
                    what=f"f = {name}", sample_test=_sample_test(f, space, kind, tol, device))
            return
        c = as_coefficient_array(f)
        if space.periodic and c.shape[0] % 2 == 0:
            raise ValueError(f"Fourier coefficients [a0, a1, b1, ..., am, bm] have odd length; "
                             f"got {c.shape[0]}: append a zero b_m")
        if n is not None:
            c = space.pad(c, int(n))
        self.coeffs = c

    @classmethod
    def _new(cls, coeffs: Any, space: Space) -> "Fun":
        f = object.__new__(cls)
        f.coeffs = coeffs
        f.space = space
        return f

    @classmethod
    def from_values(cls, values: Any, space: Space) -> "Fun":
        """The interpolant of *values* at ``space.points(len(values))``.

        Examples
        --------
        >>> import numpy as np, numeric as nm
        >>> s = nm.Chebyshev(-1, 1)
        >>> nm.Fun.from_values(s.points(3) ** 2, s).coeffs.round(12) + 0.0
        array([0.5, 0. , 0.5])
        """
        v = values if is_linear(values) else as_coefficient_array(values)
        return cls._new(space.vals2coeffs(v), space)

    # -- basic attributes ---------------------------------------------------------------
    def __len__(self) -> int:
        return int(self.coeffs.shape[0])

    @property
    def domain(self) -> tuple:
        return (self.space.a, self.space.b)

    @property
    def dtype(self) -> Any:
        """The dtype of the innermost coefficient array (float64, float32, complex or object)."""
        return innermost_array(self.coeffs).dtype

    @property
    def points(self) -> np.ndarray:
        """The len(f) sample points whose values determine the Fun."""
        return self.space.points(len(self), _point_dtype(self), like=innermost_array(self.coeffs))

    @property
    def values(self) -> Any:
        """Values at :attr:`points`."""
        return self.space.coeffs2vals(self.coeffs)

    def vscale(self) -> float:
        """The largest absolute value at the sample points (of the primal)."""
        v = innermost_array(self.values)
        if is_foreign(v):
            return to_host_float(namespace(v).max(namespace(v).abs(v)))
        return float(max(abs(e) for e in v.flat)) if v.dtype == object else float(np.max(np.abs(v)))

    def __repr__(self) -> str:
        return (f"Fun(length {len(self)}, {self.space!r}, "
                f"{_coeff_description(self.coeffs)})")

    # -- evaluation ---------------------------------------------------------------------
    def __call__(self, x: Any) -> Any:
        """Values at *x*: a scalar (float, mpf, Dual) or an array of points."""
        if isinstance(x, (list, tuple)):
            x = np.asarray(x, dtype=float)
        if isinstance(x, (int, np.integer)):
            x = float(x)
        plain = innermost_array(self.coeffs)
        if is_foreign(plain) and isinstance(x, (np.ndarray, np.generic)):   # host points: constants
            x = like_array(x, plain) if isinstance(x, np.ndarray) else float(x)  # of the device
        if not self.space.periodic:
            _check_inside(x, self.space)
        out = self.space.evaluate(self.coeffs, x)
        if isinstance(out, np.ndarray) and out.ndim == 0:
            return out[()]
        return out

    # -- calculus -----------------------------------------------------------------------
    def diff(self, k: int = 1) -> "Fun":
        """The k-th derivative.

        Examples
        --------
        >>> import numpy as np, numeric as nm
        >>> f = nm.Fun(np.sin, nm.Fourier(0, 2 * np.pi))
        >>> round(float(f.diff(2)(1.0) + np.sin(1.0)), 14)
        0.0
        """
        k = _check_order(k)
        c = self.coeffs
        for _ in range(k):
            c = self.space.diff(c)
        return Fun._new(c, self.space)

    def cumsum(self) -> "Fun":
        """The indefinite integral from the left end point, ``F(x) = int_a^x f``.

        On a Fourier space the integral is periodic only when the mean of f
        is zero; otherwise a ValueError says to subtract the mean.
        """
        if self.space.periodic:
            mean = self.coeffs[0]
            scale = math.sqrt(float(self.space.mean_square(self.coeffs))) or 1.0
            if abs(_primal_float(mean)) > 100 * tolerance(self.coeffs) * scale:
                raise ValueError(
                    f"the indefinite integral of a Fourier Fun with mean {_primal_float(mean):.3g} "
                    "is not periodic; integrate f - f.sum() / (b - a), or use a Chebyshev space")
        return Fun._new(self.space.cumsum(self.coeffs), self.space)

    def sum(self) -> Any:
        """The definite integral over the whole interval (a scalar of the coefficient type)."""
        out = self.space.integral(self.coeffs)
        return out[()] if isinstance(out, np.ndarray) and out.ndim == 0 else out

    def mean(self) -> Any:
        """The mean value ``sum() / (b - a)``."""
        return self.sum() / (self.space.b - self.space.a)

    def inner(self, g: "Fun") -> Any:
        """The L2 inner product ``int_a^b f g`` (exact: the product is not chopped)."""
        self._check_same_space(g)
        return _product(self, g, chop=False).sum()

    # -- roots and extrema ------------------------------------------------------------------
    def roots(self) -> Any:
        """Real roots in [a, b], sorted, as a 1-D array.

        Computed on the primal in float64 (colleague matrix with recursive
        subdivision). With mpf coefficients they are polished by Newton steps at
        the working precision; with dual coefficients each root becomes a dual
        by the implicit function theorem, ``r' = -f_p(r) / f'(r)`` (one Newton
        step in dual arithmetic).
        """
        prim = self.primal()
        cheb_fun = prim if not self.space.periodic else prim._as_chebyshev()
        device = is_foreign(prim.coeffs)     # host work on the coefficient vector: one copy
        c = to_host(cheb_fun.coeffs) if device else cheb_fun.coeffs
        c = np.asarray([float(e) for e in c.real], dtype=float) if (
            c.dtype == object) else np.real(c).astype(np.float64)
        a, b = (float(cheb_fun.space.a), float(cheb_fun.space.b))
        r = cheb.roots(c)
        r = (a + b) / 2 + (b - a) / 2 * r
        if self.space.periodic:  # a root at both ends of a period is one root
            if r.size > 1 and abs(r[-1] - b) < 1e-12 * (b - a) and abs(r[0] - a) < 1e-12 * (b - a):
                r = r[:-1]
        if device:                           # the roots go back to the coefficients' device
            r = like_array(r, prim.coeffs)
        return self._refine_points(r, newton=True)

    def _refine_points(self, r: np.ndarray, newton: bool) -> Any:
        if is_mp(self.coeffs) and not layers(self.coeffs):
            out = np.empty(r.shape, dtype=object)
            d = self.diff()
            for i, x in enumerate(r):
                x = mpmath.mpf(x)
                for _ in range(6 if newton else 0):
                    slope = d(x)
                    if slope == 0:
                        break
                    x = min(max(x - self(x) / slope, self.space.a), self.space.b)
                out[i] = x
            return out
        if layers(self.coeffs) and newton:   # dual, measurement or tape coefficients
            # implicit function theorem: chord steps in the coefficients' arithmetic (dual
            # partials or measurement components), r' = -f_p(r) / f'(r) after the first; each
            # further step makes one more derivative order exact (solvers.roots.chord_polish),
            # so one step per layer of the coefficients (two for duals of duals)
            if not r.shape[0]:
                return r[:0] if is_foreign(r) else np.zeros(0)
            slopes = self.primal().diff()(r)
            slopes = slopes if is_foreign(slopes) else np.asarray(slopes, dtype=float)
            x = r
            for _ in range(max(1, layers(self.coeffs))):
                x = -(self(x) / slopes) + x     # the metanum array on the left (array-API operators)
            return x
        return r

    def _extremum(self, which: str, locate: bool = False) -> tuple:
        prim = self.primal()
        cheb_fun = prim if not self.space.periodic else prim._as_chebyshev()
        crit = to_host(cheb_fun.diff().roots())
        cand = np.concatenate([[float(cheb_fun.space.a), float(cheb_fun.space.b)],
                               np.asarray(crit, dtype=float)])
        vals = np.real(np.asarray([_primal_float(prim(float(x))) for x in cand]))
        i = int(np.argmax(vals) if which == "max" else np.argmin(vals))
        x = cand[i]
        if is_mp(self.coeffs) and not layers(self.coeffs):
            x = mpmath.mpf(x) if i < 2 else self.diff()._refine_points(np.array([x]), True)[0]
        elif i >= 2 and layers(self.coeffs) and (locate or layers(self.coeffs) > 1):
            # an interior maximiser moves with the coefficients: a root of f' with its implicit
            # derivatives. argmax needs them; the value's first derivative does not (envelope
            # theorem: f_p at the primal maximiser), its second does
            x = self.diff()._refine_points(np.array([x]), True)[0]
        return x, self(x)

    def max(self) -> Any:
        """The maximum value on the interval (with dual coefficients: its derivative too)."""
        return self._extremum("max")[1]

    def min(self) -> Any:
        """The minimum value on the interval."""
        return self._extremum("min")[1]

    def argmax(self) -> Any:
        """Where the maximum is attained."""
        return self._extremum("max", locate=True)[0]

    def argmin(self) -> Any:
        """Where the minimum is attained."""
        return self._extremum("min", locate=True)[0]

    # -- restriction, conversion, plotting ------------------------------------------------
    def restrict(self, a: Any, b: Any) -> "Fun":
        """The Fun on the subinterval [a, b] (a Chebyshev Fun: a piece of a period is
        not periodic).

        Examples
        --------
        >>> import numpy as np, numeric as nm
        >>> f = nm.Fun(np.exp, nm.Chebyshev(-1, 1)).restrict(0, 1)
        >>> round(float(f.sum()), 14)
        1.71828182845905
        """
        sa, sb = self.space.a, self.space.b
        if not (sa <= a < b <= sb):
            raise ValueError(f"restrict(a, b) needs {sa} <= a < b <= {sb}, got a={a}, b={b}")
        target = Chebyshev(a, b)
        if self.space.periodic:
            return Fun(self, target)
        c = self.space.restrict_coeffs(self.coeffs, a, b)
        return Fun._new(target.simplify(c), target)

    def _as_chebyshev(self) -> "Fun":
        plain = innermost_array(self.coeffs)
        return Fun(self, Chebyshev(self.space.a, self.space.b), dtype=_point_dtype(self),
                   like=plain if is_foreign(plain) else None)

    def primal(self) -> "Fun":
        """The Fun of the primal coefficients (drops dual, measurement and tape layers on purpose)."""
        c = self.coeffs
        if not layers(c):
            return self
        return Fun._new(innermost_array(c), self.space)

    def simplify(self, tol: float | None = None) -> "Fun":
        """Chop trailing coefficients below *tol* (relative; default machine epsilon)."""
        return Fun._new(self.space.simplify(self.coeffs, tol), self.space)

    def _samples(self, n: int) -> tuple:
        x = np.linspace(float(self.space.a), float(self.space.b), n)
        y = np.asarray(to_host(self.primal()(x)), dtype=float) if self.dtype != object else np.array(
            [float(e) for e in self.primal()(x)])
        return x, np.real(y)

    def plot(self, ax: Any = None, n: int = 1001, **kwargs: Any) -> Any:
        """Plot the (primal) function with matplotlib, axes labelled; returns the axes.

        Examples
        --------
        >>> import numpy as np, numeric as nm
        >>> ax = nm.Fun(np.exp, nm.Chebyshev(0, 2)).plot()
        >>> ax.get_xlabel(), ax.get_ylabel()
        ('x', 'f(x)')
        """
        import matplotlib.pyplot as plt

        ax = plt.gca() if ax is None else ax
        x, y = self._samples(n)
        ax.plot(x, y, **kwargs)
        ax.set_xlabel("x")
        ax.set_ylabel("f(x)")
        return ax

    def _repr_html_(self) -> str:
        from numeric.display import html_table, svg_sketch

        rows = [("length", len(self)), ("space", repr(self.space)),
                ("coefficients", _coeff_description(self.coeffs))]
        try:
            sketch = svg_sketch(*self._samples(200))
        except (TypeError, ValueError):
            sketch = ""
        return html_table("Fun", rows, sketch)

    # -- protocol hooks ---------------------------------------------------------------------
    def _nm_primal(self) -> "Fun":
        return self.primal()

    def _nm_zero(self) -> "Fun":
        return Fun._new(self.coeffs[:1] * 0, self.space)

    def _nm_one(self) -> "Fun":
        return Fun._new(self.coeffs[:1] * 0 + 1, self.space)

    def _nm_tangent(self, tag: int) -> "Fun":
        """The derivative part of the newest perturbation *tag* (``nm.jvp`` at a Fun): the Fun of
        the coefficients' partials when they are duals of *tag*, else the zero Fun."""
        c = self.coeffs
        parts = linear_parts(c) if getattr(c, "_nm_order", None) == tag else None
        if parts is None:
            return self.primal()._nm_zero()
        return Fun._new(self.space.simplify(parts[1][..., 0], None), self.space)

    def _nm_inner(self, g: "Fun") -> Any:
        return self.inner(g)

    def _nm_scalar_zero(self) -> Any:
        z = self.coeffs[0] * 0
        return z[()] if isinstance(z, np.ndarray) else z

    def _nm_eps(self) -> Any:
        from numeric.protocol import eps, value

        c = value(self.coeffs)
        return eps(c.flat[0] if isinstance(c, np.ndarray) and c.dtype == object else c)

    def _nm_norm(self) -> Any:
        ms = self.space.mean_square(self.coeffs)
        if is_foreign(ms):
            return to_host_float(namespace(ms).sqrt(ms))
        return mpmath.sqrt(ms) if isinstance(ms, mpmath.mpf) else float(np.sqrt(ms))

    def _nm_apply(self, name: str, args: tuple) -> Any:
        funs = [a for a in args if isinstance(a, Fun)]
        for g in funs:
            self._check_same_space(g)
        for a in args:
            if not isinstance(a, Fun) and not _is_scalar(a):
                raise TypeError(
                    f"nm.{name}: a Fun combines with scalars (float, mpf, Dual) and Funs on the "
                    f"same space, not with {type(a).__name__}; for several functions use a list "
                    "of Funs")
        if name in _EXACT:
            return _EXACT[name](args)
        if name == "power" and isinstance(args[0], Fun) and _small_int(args[1]) is not None:
            return _int_power(args[0], _small_int(args[1]))
        if name in ("abs", "sign"):
            return _abs_or_sign(name, args[0])
        try:
            rule = lookup(name)          # built-in or nm.custom_rule
        except KeyError:
            raise TypeError(f"nm.{name} is not defined for Funs") from None
        return compose(rule.function, args, what=f"nm.{name}")

    # -- conversions that would lose information ----------------------------------------------
    def __float__(self):
        raise TypeError("a Fun is a function, not a number: evaluate it (f(x)), integrate it "
                        "(f.sum()) or measure it (nm.norm(f))")

    __int__ = __complex__ = __float__

    def __bool__(self):
        raise TypeError("the truth value of a Fun is ambiguous: compare values, e.g. "
                        "f.min() > 0, or nm.norm(f) == 0")

    __hash__ = None

    def _check_same_space(self, g: "Fun") -> None:
        if g.space != self.space:
            raise ValueError(f"Funs on different spaces cannot be combined: {self.space!r} and "
                             f"{g.space!r}; re-approximate one with nm.Fun(g, space)")

    # -- NumPy protocol --------------------------------------------------------------------------
    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        if method != "__call__" or kwargs.get("out") is not None:
            return NotImplemented
        if ufunc.__name__ == "isfinite":
            return all(all_finite(a.coeffs) if isinstance(a, Fun) else bool(np.isfinite(a))
                       for a in inputs)
        name = ufunc_rule_name(ufunc.__name__)
        if name == "square":
            return inputs[0] * inputs[0]
        if name not in RULES and name not in ARITHMETIC:
            return NotImplemented
        return self._nm_apply(name, inputs)


# ---------------------------------------------------------------------------------------
# Arithmetic
# ---------------------------------------------------------------------------------------


def _check_order(k: int) -> int:
    if not isinstance(k, (int, np.integer)) or k < 0:
        raise ValueError(f"the derivative order must be a non-negative integer, got {k!r}")
    return int(k)


def _small_int(y: Any) -> int | None:
    if isinstance(y, (int, np.integer)) and not isinstance(y, bool) and 0 <= y <= 8:
        return int(y)
    if isinstance(y, (float, np.floating)) and float(y).is_integer() and 0 <= y <= 8:
        return int(y)
    return None


def _unit0(c: Any, s: Any) -> Any:
    """A coefficient vector like *c* holding *s* at index 0 and zeros elsewhere."""
    plain = innermost_array(c)
    if is_foreign(plain):
        e0 = namespace(plain).arange(c.shape[0], dtype=plain.dtype, device=plain.device) == 0
        return s * namespace(plain).astype(e0, plain.dtype)
    e0 = np.zeros(c.shape[0], dtype=plain.dtype if plain.dtype != object else float)
    e0[0] = 1
    return e0 * s


def _add_scalar(f: Fun, s: Any, sign: int = 1) -> Fun:
    c = f.coeffs
    return Fun._new(c + _unit0(c, s if sign > 0 else -s), f.space)


def _add(args: tuple, sign: int = 1) -> Fun:
    x, y = args
    if not isinstance(y, Fun):
        return _add_scalar(x, y, sign)
    if not isinstance(x, Fun):
        neg = y if sign > 0 else -y
        return _add_scalar(neg, x, 1)
    n = max(len(x), len(y))
    cx, cy = x.space.pad(x.coeffs, n), x.space.pad(y.coeffs, n)
    c = cx + cy if sign > 0 else cx - cy
    return Fun._new(x.space.simplify(c), x.space)


def _product(f: Fun, g: Fun, chop: bool = True) -> Fun:
    space = f.space
    if len(f) == 1 or len(g) == 1:
        c = f.coeffs * g.coeffs[0] if len(g) == 1 else g.coeffs * f.coeffs[0]
        return Fun._new(c, space)
    n = space.product_length(len(f), len(g))
    v = space.coeffs2vals(space.pad(f.coeffs, n)) * space.coeffs2vals(space.pad(g.coeffs, n))
    c = space.vals2coeffs(v)
    return Fun._new(space.simplify(c) if chop else c, space)


def _mul(args: tuple) -> Fun:
    x, y = args
    if isinstance(x, Fun) and isinstance(y, Fun):
        return _product(x, y)
    f, s = (x, y) if isinstance(x, Fun) else (y, x)
    return Fun._new(f.coeffs * s, f.space)


def _truediv(args: tuple) -> Fun:
    x, y = args
    if isinstance(x, Fun) and not isinstance(y, Fun):
        return Fun._new(x.coeffs / y, x.space)
    return compose(lambda a, b: a / b, args, what="division (f / g)")


def _int_power(f: Fun, k: int) -> Fun:
    if k == 0:
        return f._nm_one()
    out, base = None, f
    while k:
        if k & 1:
            out = base if out is None else _product(out, base)
        k >>= 1
        if k:
            base = _product(base, base)
    return out


_EXACT: dict[str, Callable] = {
    "add": lambda a: _add(a, 1),
    "sub": lambda a: _add(a, -1),
    "mul": _mul,
    "truediv": _truediv,
    "neg": lambda a: Fun._new(-a[0].coeffs, a[0].space),
}


def _abs_or_sign(name: str, f: Fun) -> Fun:
    """|f| and sign(f) are smooth only where f keeps one sign."""
    r = f.primal().roots()
    a, b = f.space.a, f.space.b
    inner = [round(float(x), 12) for x in np.asarray(to_host(nm_value(r)), dtype=float)
             if f.space.periodic or float(a) < x < float(b)]
    if inner:
        raise FunConstructionError(
            f"nm.{name}(f): f changes sign at x = {inner[:5]} in [{a}, {b}], so the result has a "
            "kink there and is not a smooth Fun; restrict f to intervals between its roots "
            "(f.roots(), f.restrict(a, b))")
    s = 1.0 if _primal_float(f((float(a) + float(b)) / 2)) >= 0 else -1.0
    if name == "sign":
        return Fun._new(f.coeffs[:1] * 0 + s, f.space)
    return f if s > 0 else -f


def compose(func: Callable, args: tuple, what: str = "the function") -> Fun:
    """``func(*args)`` for Fun and scalar *args*, constructed adaptively.

    On each grid of the construction every Fun argument is evaluated at the
    grid's points (exactly, by padding its coefficients when the grid is at
    least as long) and *func* is applied to the values.

    Examples
    --------
    >>> import numpy as np, numeric as nm
    >>> from numeric.fun.fun import compose
    >>> f = nm.Fun(lambda x: x, nm.Chebyshev(0, 1))
    >>> round(float(compose(np.exp, (f,)).sum()), 14)
    1.71828182845905
    """
    funs = [a for a in args if isinstance(a, Fun)]
    space = funs[0].space
    start = max(len(g) for g in funs)

    def sample(n: int) -> Any:
        vals = [space.values(a.coeffs, n) if isinstance(a, Fun) else a for a in args]
        return func(*vals)

    coeffs = adaptive_coefficients(sample, space, start=start, what=what)
    return Fun._new(coeffs, space)


def _install() -> None:
    def binary(name: str, reflected: bool):
        def op(self, other):
            if isinstance(other, (list, tuple)) or (is_array(other) and not isinstance(other, Fun)
                                                    and not _device_scalar(other)):
                return NotImplemented
            if not (isinstance(other, Fun) or _is_scalar(other)):
                return NotImplemented
            return self._nm_apply(name, (other, self) if reflected else (self, other))

        return op

    install_operators(Fun, lambda rule: lambda self: self._nm_apply(rule.name, (self,)),
                      lambda rule, reflected: binary(rule.name, reflected))


_install()


# ---------------------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------------------

# Two points off every construction grid, as fractions of [-1, 1] (Chebfun's sampleTest
# uses these two values).
_SAMPLE_POINTS = (-0.357998918959666, 0.036785641195074)


def _sample_test(f: Callable, space: Space, kind: Any, tol: float | None,
                 device: Any = None) -> Callable:
    """A check that the chopped series matches *f* off the grid (catches aliasing)."""

    def check(c: Any) -> bool:
        if device is not None:
            return _sample_test_xp(f, space, c, tol, device)
        y = np.asarray(_SAMPLE_POINTS)
        if kind is object:
            y = np.array([mpmath.mpf(e) for e in y], dtype=object)
        x = (space.a + space.b) / 2 + (space.b - space.a) / 2 * y
        if kind is not object:
            x = x.astype(kind)
        exact = _broadcast_values(f(x), x)
        approx = space.evaluate(c, x)
        err = max(_primal_float(abs(e)) for e in (exact - approx).flat) if isinstance(
            exact - approx, np.ndarray) else float(np.max(np.abs(innermost_array(exact - approx))))
        vals = innermost_array(space.coeffs2vals(c))
        vscale = max(float(max(abs(e) for e in vals.flat)), 1e-300)
        t = tolerance(c) if tol is None else tol
        return err <= math.sqrt(t) * vscale

    return check



def _sample_test_xp(f: Callable, space: Space, c: Any, tol: float | None, device: Any) -> bool:
    """:func:`_sample_test`'s check on a device: two device points, two scalars to the host."""
    xp = namespace(device)
    y = like_array(np.asarray(_SAMPLE_POINTS), device)
    x = (space.a + space.b) / 2 + (space.b - space.a) / 2 * y
    diff = innermost_array(_broadcast_values(f(x), x) - space.evaluate(c, x))
    err = to_host_float(xp.max(xp.abs(diff)))
    vscale = max(to_host_float(xp.max(xp.abs(innermost_array(space.coeffs2vals(c))))), 1e-300)
    t = tolerance(c) if tol is None else tol
    return err <= math.sqrt(t) * vscale


def _point_dtype(f: Fun) -> Any:
    a = innermost_array(f.coeffs)
    if is_foreign(a):
        return None
    if a.dtype == object:
        return object
    return np.finfo(a.dtype).dtype if a.dtype.kind in "fc" else np.float64


def _primal_float(x: Any) -> float:
    from numeric.protocol import innermost

    v = innermost(x)
    if isinstance(v, np.ndarray):
        v = v[()]
    return float(v.real) if isinstance(v, (complex, mpmath.mpc, np.complexfloating)) else float(v)


def _check_inside(x: Any, space: Space) -> None:
    from numeric.protocol import value

    v = value(x)
    if is_foreign(v):
        if v.shape and v.shape[0] == 0:
            return
        xp = namespace(v)
        lo, hi = to_host_float(xp.min(v)), to_host_float(xp.max(v))
        _check_range(lo, hi, space)
        return
    try:
        arr = np.asarray(v, dtype=float)
    except (TypeError, ValueError):
        return
    if arr.size == 0:
        return
    _check_range(np.nanmin(arr), np.nanmax(arr), space)


def _check_range(lo: float, hi: float, space: Space) -> None:
    a, b = float(space.a), float(space.b)
    slack = 1e-12 * (b - a)
    if lo < a - slack or hi > b + slack:
        raise ValueError(f"points outside the Fun's interval [{a}, {b}] (got values in "
                         f"[{lo}, {hi}]); a Chebyshev Fun is not extrapolated")


def _coeff_description(c: Any) -> str:
    split = linear_parts(c)
    if split is not None:
        return (f"{type(c).__name__} coefficients ({split[1].shape[-1]} linear components) of "
                f"{innermost_array(c).dtype}")
    if c.dtype == object:
        return f"mpf coefficients ({mpmath.mp.dps} digits)"
    return f"{c.dtype} coefficients"



def dirichlet_projection(g: Fun, n: int, left: Any = 0.0, right: Any = 0.0) -> Fun:
    """The length-*n* interpolant of *g* on its Chebyshev points, with the end values replaced.

    This is how a time derivative respects Dirichlet conditions: for
    ``u_t = L(u)`` with ``u(a) = alpha(t)``, ``u(b) = beta(t)``, return
    ``dirichlet_projection(L(u), len(u), alpha'(t), beta'(t))`` from the
    right-hand side. It is Chebyshev collocation with the boundary rows
    replaced (as Chebfun's pde15s does): the PDE holds at the interior points,
    the boundary values move as prescribed. It lives in the right-hand side,
    so the ODE solver stays unchanged. (Subtracting a linear function from
    ``L(u)`` instead keeps the boundary values too, but on a polynomial space
    the result is a truncated, non-normal evolution that is not the Dirichlet
    problem.)

    Examples
    --------
    >>> import numpy as np, numeric as nm
    >>> from numeric.fun.fun import dirichlet_projection
    >>> g = nm.Fun(np.cos, nm.Chebyshev(-1, 1))
    >>> p = dirichlet_projection(g, 17)
    >>> float(p(-1.0)), float(p(1.0)), round(float(p(0.0)), 12)
    (0.0, 0.0, 1.0)
    """
    space = g.space
    if space.periodic:
        raise ValueError("Dirichlet conditions apply to a Chebyshev space, not a periodic one")
    n = max(int(n), 2)
    vals = g(space.points(n, _point_dtype(g)))
    vals[0] = left
    vals[-1] = right
    return Fun._new(space.vals2coeffs(vals), space)
