"""Function spaces: ``Chebyshev(a, b)`` and ``Fourier(a, b)`` (periodic).

A space maps its interval to the reference interval of its numerics
(:mod:`numeric.fun.chebyshev` on [-1, 1], :mod:`numeric.fun.fourier` on
[0, 2 pi)) and applies them to coefficient arrays of any protocol number type
through :func:`numeric.fun.coeffs.linear_map`. It holds no coefficients: a
:class:`~numeric.fun.fun.Fun` is coefficients plus a space.

Examples
--------
>>> import numeric as nm
>>> nm.Chebyshev(0, 2).points(3)
array([0., 1., 2.])
>>> nm.Fourier(0, 1).points(3)
array([0.        , 0.33333333, 0.66666667])
"""

from __future__ import annotations

from typing import Any

import math

import mpmath

import numpy as np

from numeric.backend import is_foreign, namespace
from numeric.fun import chebyshev as cheb
from numeric.fun import chebyshev_xp as cheb_xp
from numeric.fun import fourier as four
from numeric.fun.chop import simplify_length, standard_chop
from numeric.fun.coeffs import component_arrays, linear_map, magnitudes, pad, tolerance

__all__ = ["Chebyshev", "Fourier", "Space"]

DEFAULT_MAXLENGTH = 2**16 + 1  # as Chebfun (chebfunpref maxLength = 65537)
DEFAULT_MAXLENGTH_MP = 2**10 + 1  # mpf transforms are O(n^2)


def _check_interval(a: Any, b: Any, who: str) -> None:
    try:
        ok = bool(a < b)
    except TypeError as exc:  # pragma: no cover - defensive
        raise TypeError(f"{who}(a, b) needs real endpoints, got {a!r}, {b!r}") from exc
    if not ok or not (mpmath.isfinite(a) and mpmath.isfinite(b)):
        raise ValueError(f"{who}(a, b) needs finite endpoints with a < b, got a={a!r}, b={b!r}")


class Space:
    """Common adapter code; subclasses supply the reference numerics."""

    periodic = False
    min_adaptive = 17

    def __init__(self, a: Any = -1.0, b: Any = 1.0):
        _check_interval(a, b, type(self).__name__)
        self.a = a if isinstance(a, mpmath.mpf) else float(a)
        self.b = b if isinstance(b, mpmath.mpf) else float(b)

    # -- identity ---------------------------------------------------------------
    def __eq__(self, other: object) -> bool:
        return type(self) is type(other) and self.a == other.a and self.b == other.b

    def __hash__(self) -> int:
        return hash((type(self).__name__, float(self.a), float(self.b)))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.a!r}, {self.b!r})"

    @property
    def is_mp(self) -> bool:
        return isinstance(self.a, mpmath.mpf) or isinstance(self.b, mpmath.mpf)

    # -- grids ----------------------------------------------------------------------
    def valid_length(self, n: int) -> int:
        return n

    def grid_sizes(self, start: int, maxlength: int):
        """Sample counts of the adaptive construction: 2^k + 1 from *start* to *maxlength*."""
        n = self.min_adaptive
        while n < start:
            n = 2 * n - 1
        while n < maxlength:
            yield n
            n = 2 * n - 1
        yield maxlength

    def points(self, n: int, dtype: Any = np.float64, like: Any = None) -> np.ndarray:
        """The n sample points in [a, b] in *dtype* (``object``: mpf).

        A foreign array *like* (CuPy, array API) puts them in its namespace, device and dtype.
        """
        if like is not None and is_foreign(like):
            return self._from_reference(self._device_reference_points(n, like))
        y = self._reference_points(n, dtype)
        return self._from_reference(y)

    def _device_reference_points(self, n: int, like: Any) -> Any:
        raise TypeError(f"{type(self).__name__} Funs on arrays of {namespace(like).__name__} are not "
                        "supported (their transforms are written with NumPy); use nm.Chebyshev(a, b) "
                        "on a device, or NumPy arrays")

    # -- chopping -----------------------------------------------------------------------
    def cutoff(self, mags: np.ndarray, tol: float) -> int:
        """How many coefficients to keep, from per-coefficient magnitudes."""
        return standard_chop(mags, tol)

    def simplify(self, c: Any, tol: float | None = None) -> Any:
        """Chop an exactly represented series where its coefficients reach *tol*."""
        n = c.shape[0]
        if n == 1:
            return c
        tol = tolerance(c) if tol is None else tol
        mags = magnitudes(c)
        m = self.valid_length(simplify_length(n))
        padded = np.concatenate([mags, np.zeros(max(m - n, 0))])
        keep = min(self.cutoff(padded, tol), n)
        return c[:keep] if keep < n else c

    def pad(self, c: Any, n: int) -> Any:
        return pad(c, n)

    # -- generic applications of the reference numerics -------------------------------------
    def vals2coeffs(self, v: Any) -> Any:
        return linear_map(self._v2c, v)

    def coeffs2vals(self, c: Any) -> Any:
        return linear_map(self._c2v, c)

    def values(self, c: Any, n: int) -> Any:
        """Values of the series *c* at the n points of this space (n >= len(c): exact)."""
        if n >= c.shape[0]:
            return self.coeffs2vals(self.pad(c, n))
        kind = _points_dtype(c)
        return self.evaluate(c, self.points(n, kind, like=_plain_like(c)))

    def evaluate(self, c: Any, x: Any) -> Any:
        y = self._to_reference(x)
        if _is_layered(y):  # points with derivatives: plain arithmetic on both
            return self._eval(c, y)
        return linear_map(lambda comp: self._eval(comp, y), c)

    def mean_square(self, c: Any) -> Any:
        """(1 / (b - a)) * integral of |f|^2, summed over value and partials."""
        return sum(self._mean_square_plain(a) for a in component_arrays(c))


def _is_layered(x: Any) -> bool:
    return hasattr(type(x), "_nm_apply")


def _points_dtype(c: Any) -> Any:
    from numeric.fun.coeffs import innermost_array

    a = innermost_array(c)
    if is_foreign(a) or a.dtype == object:
        return None if is_foreign(a) else object
    return np.finfo(a.dtype).dtype if a.dtype.kind in "fc" else np.float64


class Chebyshev(Space):
    """Chebyshev series on [a, b]: smooth non-periodic functions.

    Examples
    --------
    >>> import numpy as np, numeric as nm
    >>> f = nm.Fun(np.exp, nm.Chebyshev(0, 1))
    >>> len(f), round(float(f.sum()), 14)      # e - 1
    (13, 1.71828182845905)
    """

    periodic = False
    min_adaptive = 17

    def _reference_points(self, n, dtype):
        return cheb.points(n, dtype)

    def _device_reference_points(self, n, like):
        return cheb.points(n, like=like)

    def _from_reference(self, y):
        return (self.b + self.a) / 2 + (self.b - self.a) / 2 * y if not (
            self.a == -1 and self.b == 1) else y

    def _to_reference(self, x):
        if self.a == -1 and self.b == 1:
            return x
        return (2 * x - (self.a + self.b)) / (self.b - self.a)

    _v2c = staticmethod(cheb.vals2coeffs)
    _c2v = staticmethod(cheb.coeffs2vals)
    _eval = staticmethod(cheb.clenshaw)

    def diff(self, c: Any) -> Any:
        return linear_map(cheb.diff, c) * (2 / (self.b - self.a))

    def cumsum(self, c: Any) -> Any:
        return linear_map(cheb.cumsum, c) * ((self.b - self.a) / 2)

    def integral(self, c: Any) -> Any:
        w = cheb.integral_weights(c.shape[0], _plain_like(c))
        scale = (self.b - self.a) / 2
        return linear_map(lambda a: _weighted_sum(w, a), c) * scale

    def product_length(self, m: int, n: int) -> int:
        return m + n - 1

    def restrict_coeffs(self, c: Any, s: Any, t: Any) -> Any:
        s_ref, t_ref = self._to_reference(s), self._to_reference(t)
        return linear_map(lambda a: cheb.restrict(a, s_ref, t_ref), c)

    def _mean_square_plain(self, a: np.ndarray) -> Any:
        n = a.shape[0]
        m = max(2 * n - 1, 1)
        vals = cheb.coeffs2vals(pad(a, m))
        sq = _squares_exact(vals)
        w = cheb.integral_weights(m, sq)
        if is_foreign(sq):
            return cheb_xp.weighted_sum(w, cheb.vals2coeffs(sq)) / 2
        return np.dot(w, cheb.vals2coeffs(sq)) / 2


class Fourier(Space):
    """Real trigonometric series on the periodic interval [a, b).

    Coefficients are ``[a0, a1, b1, ..., am, bm]`` for
    ``a0 + sum a_k cos(k w (x - a)) + b_k sin(k w (x - a))``, ``w = 2 pi / (b - a)``.

    Examples
    --------
    >>> import numpy as np, numeric as nm
    >>> f = nm.Fun(lambda x: np.cos(3 * x), nm.Fourier(0, 2 * np.pi))
    >>> len(f), np.round(f.coeffs, 14) + 0.0
    (7, array([0., 0., 0., 0., 0., 1., 0.]))
    """

    periodic = True
    min_adaptive = 33

    def valid_length(self, n: int) -> int:
        return n if n % 2 else n + 1

    def grid_sizes(self, start, maxlength):
        for n in super().grid_sizes(start, maxlength):
            yield self.valid_length(n)

    def _reference_points(self, n, dtype):
        return four.points(n, dtype)

    def _device_reference_points(self, n, like):
        return four.points(n, like=like)

    def _omega(self):
        two_pi = 2 * mpmath.pi if self.is_mp else 2 * np.pi
        return two_pi / (self.b - self.a)

    def _from_reference(self, theta):
        return self.a + theta / self._omega()

    def _to_reference(self, x):
        return (x - self.a) * self._omega()

    _v2c = staticmethod(four.vals2coeffs)
    _c2v = staticmethod(four.coeffs2vals)
    _eval = staticmethod(four.evaluate)

    def cutoff(self, mags, tol):
        modes = four.mode_magnitudes(mags)
        keep = standard_chop(modes, tol)
        return 2 * keep - 1 if keep < modes.shape[0] else mags.shape[0]

    def pad(self, c, n):
        four.check_length(n)
        return pad(c, n)

    def diff(self, c: Any) -> Any:
        return linear_map(four.diff, c) * self._omega()

    def cumsum(self, c: Any) -> Any:
        return linear_map(four.cumsum, c) / self._omega()

    def integral(self, c: Any) -> Any:
        return c[0] * (self.b - self.a)

    def product_length(self, m: int, n: int) -> int:
        return m + n - 1

    def _mean_square_plain(self, a):
        sq = _squares_exact(a)
        total = namespace(sq).sum if is_foreign(sq) else np.sum
        return sq[0] + total(sq[1:]) / 2 if sq.shape[0] > 1 else sq[0]


def _weighted_sum(w: np.ndarray, a: np.ndarray) -> Any:
    """``sum_k w[k] a[k, ...]``; for float64, summed with ``math.fsum`` (one rounding per
    product, none in the sum), so an integral is as accurate as its coefficients allow:
    the weights alternate in sign and a plain sum loses a few ulps to cancellation.
    A device array is summed in its namespace (a plain sum)."""
    if is_foreign(a):
        return cheb_xp.weighted_sum(w, a)
    if type(a) is not np.ndarray or a.dtype != np.float64:   # mpf, float32, a tape's array
        return np.tensordot(w, a, axes=([0], [0]))
    terms = (w.reshape((-1,) + (1,) * (a.ndim - 1)) * a).reshape(a.shape[0], -1)
    return np.array([math.fsum(col) for col in terms.T]).reshape(a.shape[1:])


def _plain_like(c: Any) -> np.ndarray:
    from numeric.fun.coeffs import innermost_array

    return innermost_array(c)


def _squares_exact(a: np.ndarray) -> np.ndarray:
    """|a|^2 summed over trailing axes, in the array's own precision (mpf stays mpf)."""
    if is_foreign(a):
        xp = namespace(a)
        sq = xp.abs(a) ** 2
        return xp.sum(xp.reshape(sq, (sq.shape[0], -1)), axis=1) if sq.ndim > 1 else sq
    if a.dtype == object:
        sq = np.array([abs(e) ** 2 for e in a.flat], dtype=object).reshape(a.shape)
        return sq.reshape(sq.shape[0], -1).sum(axis=1) if sq.ndim > 1 else sq
    if np.iscomplexobj(a):
        a = np.abs(a)
    sq = a * a
    return sq.reshape(sq.shape[0], -1).sum(axis=1) if sq.ndim > 1 else sq

