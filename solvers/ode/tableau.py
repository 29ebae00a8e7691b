"""Butcher tableaus as data, their order conditions, and their conversion.

An explicit Runge–Kutta method with ``s`` stages advances ``u' = f(u, t)`` by

.. math::

    k_i = f\\Big(u_n + h \\sum_{j<i} a_{ij} k_j,\\; t_n + c_i h\\Big), \\qquad
    u_{n+1} = u_n + h \\sum_i b_i k_i .

An embedded pair also carries ``btilde = b - bhat``; ``h * sum(btilde_i k_i)``
estimates the local error. A continuous extension (dense output) replaces the
weights ``b_i`` by polynomials ``b_i(theta)`` with ``b_i(1) = b_i``, so that
``u(t_n + theta h) = u_n + h sum_i b_i(theta) k_i``; some methods (Verner's)
need extra stages, evaluated only when an interpolated value is asked for.

Coefficients are stored exactly, as :class:`fractions.Fraction` (published
rationals, or published decimal strings read exactly), and converted once per
real type by :meth:`ButcherTableau.coefficients`: to Python floats for
float64, to ``float32`` scalars for float32 states (so float32 stays
float32), and to numbers of the state's own real type otherwise (for mpmath,
``mpf`` at the current precision, so a 40-digit solve keeps 40 digits).

Order conditions
----------------
A method has order ``p`` when ``b . Phi(tau) = 1 / gamma(tau)`` for every
rooted tree ``tau`` with at most ``p`` vertices (Butcher's theory; Hairer,
Nørsett & Wanner, *Solving ODEs I*, §II.2). :func:`rooted_trees` generates
the trees, :func:`order_residuals` the residuals. The dense polynomials must
satisfy ``sum_i b_i(theta) Phi_i(tau) = theta**|tau| / gamma(tau)`` up to the
interpolant's order. The tests check every tableau of the package this way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from functools import lru_cache
from typing import Any, Callable, Sequence

import numpy as np

from solvers._nm import real_eps

__all__ = [
    "ButcherTableau",
    "Coefficients",
    "rooted_trees",
    "order_residuals",
    "dense_residuals",
    "F",
    "hermite_dense",
    "poly_mul",
    "poly_add",
]

Rational = Fraction
Poly = tuple  # coefficients of theta**1, theta**2, ... (no constant term)


def F(x: int | str | Fraction, den: int | None = None) -> Fraction:
    """An exact rational from an int pair or a decimal string (``"-.848e-2"``)."""
    if den is not None:
        return Fraction(int(x), int(den))
    return Fraction(x)


@dataclass(frozen=True)
class ButcherTableau:
    """An explicit Runge–Kutta method as data.

    Parameters
    ----------
    name : str
        Short name (``"Tsit5"``).
    c, a, b : exact rationals
        Nodes, the strictly lower triangular matrix (row ``i`` holds
        ``a[i][0..i-1]``) and the weights.
    order : int
        Classical order of ``b``.
    btilde : tuple or None
        ``b - bhat`` of the embedded method (None for fixed-step methods).
    embedded_order : int or None
        Order of ``bhat``.
    fsal : bool
        First same as last: the last stage is ``f(u_{n+1}, t_{n+1})``, reused as
        the first stage of the next step.
    dense : tuple of polynomials or None
        ``dense[i]`` are the coefficients of ``theta**1 .. theta**d`` in
        ``b_i(theta)``; it may be longer than ``b`` (extra stages).
    extra_c, extra_a : tuples
        Extra stages needed by the interpolant only (row ``i`` of ``extra_a``
        has ``len(b) + i`` entries).
    dense_order : int
        Order of the continuous extension.
    source : str
        Where the coefficients come from.
    """

    name: str
    c: tuple
    a: tuple
    b: tuple
    order: int
    btilde: tuple | None = None
    embedded_order: int | None = None
    fsal: bool = False
    dense: tuple | None = None
    extra_c: tuple = ()
    extra_a: tuple = ()
    dense_order: int = 1
    source: str = ""
    _cache: dict = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        s = len(self.b)
        if len(self.c) != s or len(self.a) != s:
            raise ValueError(f"{self.name}: c, a and b must have {s} entries")
        for i, row in enumerate(self.a):
            if len(row) != i:
                raise ValueError(f"{self.name}: row {i} of a must have {i} entries (explicit method)")
        if self.btilde is not None and len(self.btilde) != s:
            raise ValueError(f"{self.name}: btilde must have {s} entries")
        for i, row in enumerate(self.extra_a):
            if len(row) != s + i:
                raise ValueError(f"{self.name}: extra stage {i} needs {s + i} coefficients")
        if self.dense is not None and len(self.dense) != s + len(self.extra_a):
            raise ValueError(f"{self.name}: dense needs one polynomial per stage")
        # Row sums: c_i = sum_j a_ij (to the precision of the published data).
        for i, row in enumerate(self.a + self.extra_a):
            ci = (self.c + self.extra_c)[i]
            if abs(sum(row, Fraction(0)) - ci) > Fraction(1, 10**14):
                raise ValueError(f"{self.name}: row sum of stage {i} differs from c[{i}]")

    @property
    def stages(self) -> int:
        return len(self.b)

    @property
    def adaptive(self) -> bool:
        return self.btilde is not None

    def coefficients(self, like: Any, time_like: Any = None) -> "Coefficients":
        """The coefficients converted once to the real type of *like* (cached).

        *like* is the state (its real type decides a, b, btilde and the dense
        polynomials); *time_like* the time (decides c).
        """
        conv = _converter(like)
        tconv = conv if time_like is None else _converter(time_like)
        key = (conv.key, tconv.key)
        out = self._cache.get(key)
        if out is None:
            out = Coefficients(self, conv, tconv)
            self._cache[key] = out
        return out


class _Converter:
    """Exact rational -> number of one real type."""

    def __init__(self, e: Any):
        if isinstance(e, np.floating) and type(e) is not np.float64:
            t = type(e)
            self.key = ("numpy", np.dtype(t).str)
            self.fn: Callable[[Fraction], Any] = lambda q: t(float(q))
        elif isinstance(e, (float, np.float64)):
            self.key = ("float",)
            self.fn = float
        else:
            one = e / e  # 1 of the real type, at its current precision
            self.key = (type(e).__module__, type(e).__qualname__, repr(e))
            self.fn = lambda q: (one * q.numerator) / (one * q.denominator)

    def __call__(self, q: Fraction) -> Any:
        return self.fn(q)


def _converter(x: Any) -> _Converter:
    return _Converter(real_eps(x))


class Coefficients:
    """A tableau's coefficients in one real type, ready for the stage loop.

    Attributes
    ----------
    a : list of list of (index, coefficient)
        Non-zero entries of each row (zeros are skipped in the generic loop).
    a_dense : list of ndarray
        Full rows as arrays (for ``row @ K`` on NumPy states).
    b, btilde : list of (index, coefficient)
    c : list
        Nodes in the time's real type.
    dense : list of list
        ``dense[i][j]`` multiplies ``theta**(j+1)``.
    """

    def __init__(self, tab: ButcherTableau, conv: _Converter, tconv: _Converter):
        self.tableau = tab
        self.a = [[(j, conv(q)) for j, q in enumerate(row) if q != 0] for row in tab.a]
        self.extra_a = [[(j, conv(q)) for j, q in enumerate(row) if q != 0] for row in tab.extra_a]
        self.b = [(j, conv(q)) for j, q in enumerate(tab.b) if q != 0]
        self.btilde = (
            None if tab.btilde is None else [(j, conv(q)) for j, q in enumerate(tab.btilde) if q != 0]
        )
        self.c = [tconv(q) for q in tab.c]
        self.extra_c = [tconv(q) for q in tab.extra_c]
        self.c_state = [conv(q) for q in tab.c + tab.extra_c]
        self.dense = None if tab.dense is None else [[conv(q) for q in p] for p in tab.dense]
        self.one = conv(Fraction(1))
        self.zero = conv(Fraction(0))
        dt = None
        if conv.key[0] == "float":
            dt = np.dtype(np.float64)
        elif conv.key[0] == "numpy":
            dt = np.dtype(conv.key[1])
        self.float_dtype = dt
        if dt is not None:
            self.a_np = [np.array([float(q) for q in row], dtype=dt) for row in tab.a]
            self.b_np = np.array([float(q) for q in tab.b], dtype=dt)
            self.btilde_np = (
                None if tab.btilde is None else np.array([float(q) for q in tab.btilde], dtype=dt)
            )
            # the extra stages' rows as (stage indices, coefficients): Segment forms an extra stage
            # argument from a float stage record with one product and one sequential cumsum
            self.extra_np = [(np.array([j for j, _ in row], dtype=np.intp), np.array([c for _, c in row], dtype=dt))
                             for row in self.extra_a]
            if tab.dense is not None:
                deg = max(len(p) for p in tab.dense)
                self.dense_np = np.zeros((len(tab.dense), deg), dtype=dt)
                for i, p in enumerate(tab.dense):
                    self.dense_np[i, : len(p)] = [float(q) for q in p]


# --------------------------------------------------------------------------
# Polynomials in theta with exact coefficients (constant term omitted).


def poly_add(*ps: Sequence[Fraction]) -> tuple:
    n = max(len(p) for p in ps)
    return tuple(sum((p[k] for p in ps if k < len(p)), Fraction(0)) for k in range(n))


def poly_mul(p: Sequence[Fraction], q_full: Sequence[Fraction]) -> tuple:
    """``p(theta) * q(theta)`` where *p* has no constant term and *q_full* has one."""
    out = [Fraction(0)] * (len(p) + len(q_full) - 1)
    for i, x in enumerate(p):
        for j, y in enumerate(q_full):
            out[i + j] += x * y
    return tuple(out)


def hermite_dense(b: Sequence[Fraction], first: int, last: int, nstages: int) -> tuple:
    """Cubic Hermite interpolant as dense-output polynomials (order 3).

    Uses ``u_n``, ``u_{n+1} = u_n + h sum b_i k_i``, ``f_n = k[first]`` and
    ``f_{n+1} = k[last]``:
    ``u(theta) = u_n + h01 (u_{n+1} - u_n) + h h10 f_n + h h11 f_{n+1}`` with
    ``h01 = 3 theta^2 - 2 theta^3``, ``h10 = theta - 2 theta^2 + theta^3``,
    ``h11 = theta^3 - theta^2``.
    """
    h01 = (Fraction(0), Fraction(3), Fraction(-2))
    h10 = (Fraction(1), Fraction(-2), Fraction(1))
    h11 = (Fraction(0), Fraction(-1), Fraction(1))
    out = []
    for i in range(nstages):
        bi = b[i] if i < len(b) else Fraction(0)
        p = tuple(bi * x for x in h01)
        if i == first:
            p = poly_add(p, h10)
        if i == last:
            p = poly_add(p, h11)
        out.append(p)
    return tuple(out)


# --------------------------------------------------------------------------
# Rooted trees and order conditions.


@lru_cache(maxsize=None)
def rooted_trees(n: int) -> tuple:
    """All rooted trees with exactly *n* vertices, each a sorted tuple of subtrees.

    The single vertex is ``()``; a tree is the sorted tuple of its root's
    children. There are 1, 1, 2, 4, 9, 20, 48, 115, 286 trees of orders 1..9.
    Trees of order n are those of order n - 1 with one leaf added anywhere.
    """
    if n == 1:
        return ((),)
    return tuple(sorted({g for t in rooted_trees(n - 1) for g in _grow(t)}))


def _grow(t: tuple):
    yield tuple(sorted(t + ((),)))
    for i, ch in enumerate(t):
        for g in _grow(ch):
            yield tuple(sorted(t[:i] + (g,) + t[i + 1 :]))


def tree_order(t: tuple) -> int:
    return 1 + sum(tree_order(ch) for ch in t)


def tree_gamma(t: tuple) -> int:
    g = tree_order(t)
    for ch in t:
        g *= tree_gamma(ch)
    return g


_FIX = 256  # fixed-point bits of the order-condition arithmetic (about 77 digits)


def _fix(q: Fraction) -> int:
    """*q* as an integer multiple of ``2**-_FIX`` (rounded)."""
    return (q.numerator << _FIX) // q.denominator


def _sparse_rows(tab: ButcherTableau) -> list:
    return [[(j, _fix(q)) for j, q in enumerate(row) if q != 0] for row in tab.a + tab.extra_a]


def _phi(t: tuple, rows: list, cache: dict) -> list:
    """Stage vector ``Phi_i(t) = prod over children of (A Phi(child))_i`` in fixed point."""
    if t in cache:
        return cache[t]
    one = 1 << _FIX
    v = [one] * len(rows)
    for ch in t:
        pc = _phi(ch, rows, cache)
        for i, row in enumerate(rows):
            w = sum(a * pc[j] for j, a in row) >> _FIX if row else 0
            v[i] = (v[i] * w) >> _FIX
    cache[t] = v
    return v


def _residual(w: list, phi: list, target: Fraction) -> Fraction:
    return Fraction(sum(wi * pi for wi, pi in zip(w, phi)), 1 << (2 * _FIX)) - target


def order_residuals(tab: ButcherTableau, order: int, weights: Sequence | None = None) -> list:
    """Residuals ``b . Phi(t) - 1/gamma(t)`` for every tree with <= *order* vertices.

    Computed in fixed-point integer arithmetic with 256 fractional bits (the
    residuals are exact to about 1e-70, far below any published data).
    *weights* defaults to ``b``; pass ``bhat = b - btilde`` to check the
    embedded method. Returns exact rationals.
    """
    s = len(tab.b)
    rows = _sparse_rows(tab)[:s]
    w = [_fix(q) for q in (tab.b if weights is None else weights)]
    cache: dict = {}
    out = []
    for n in range(1, order + 1):
        for t in rooted_trees(n):
            out.append(_residual(w, _phi(t, rows, cache), Fraction(1, tree_gamma(t))))
    return out


def dense_residuals(tab: ButcherTableau, order: int, thetas=(0.3, 0.7, 1.0)) -> list:
    """Residuals ``sum b_i(theta) Phi_i(t) - theta**|t| / gamma(t)`` of the interpolant."""
    rows = _sparse_rows(tab)
    cache: dict = {}
    out = []
    for th in thetas:
        th = Fraction(th)
        w = [_fix(sum((q * th ** (k + 1) for k, q in enumerate(p)), Fraction(0))) for p in tab.dense]
        for n in range(1, order + 1):
            for t in rooted_trees(n):
                out.append(_residual(w, _phi(t, rows, cache), th**n / tree_gamma(t)))
    return out
