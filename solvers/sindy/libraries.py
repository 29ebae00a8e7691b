"""Candidate libraries of SINDy: the columns of Theta(X), as data.

A library is a list of :class:`Term` s. A term has a name pattern and a
function of the state's components; the same term evaluates a whole data
matrix (the components are float columns) and one state of an ODE solve
(the components are whatever numbers the solver carries: floats, duals,
measurements), because it uses generic arithmetic and ``nm`` functions only.

Libraries, after pysindy's feature libraries (pysindy 2.1, ``feature_library/``):

* :class:`PolynomialLibrary` -- monomials up to a degree, optionally without
  the constant and without interaction terms, in pysindy's order (by degree,
  then ``itertools.combinations_with_replacement`` of the variables);
* :class:`FourierLibrary` -- ``sin(k x)``, ``cos(k x)`` for k = 1..n, per
  frequency, per variable, sine first (pysindy's ``FourierLibrary`` order);
* :class:`CustomLibrary` -- named functions of one or more variables, applied
  to every variable (or every combination of distinct variables);
* ``a + b`` concatenates two libraries, ``a * b`` is their tensor product
  (every term of ``a`` times every term of ``b``).

Names follow pysindy's style with the user's variable names: ``1``, ``x``,
``x y``, ``x^2``, ``sin(x)``, ``sin(2 x)``.

Examples
--------
>>> import numpy as np
>>> lib = PolynomialLibrary(2)
>>> lib.names(["x", "y"])
['1', 'x', 'y', 'x^2', 'x y', 'y^2']
>>> lib.matrix(np.array([[2.0, 3.0]]))
array([[1., 2., 3., 4., 6., 9.]])
>>> (PolynomialLibrary(1, include_bias=False) + FourierLibrary(1)).names(["x"])
['x', 'sin(x)', 'cos(x)']
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any, Callable, Sequence

import numpy as np

import numeric as nm
from numeric.backend import is_foreign, namespace

__all__ = ["Term", "Library", "PolynomialLibrary", "FourierLibrary", "CustomLibrary"]


@dataclass(frozen=True)
class Term:
    """One candidate function: ``name(variables)`` and ``evaluate(components)``.

    *pattern* is a format string with one ``{i}`` slot per variable it uses
    (``"{0} {1}"``, ``"sin(2 {0})"``); *variables* are the indices filling the
    slots; *fn* takes the components (a sequence) and returns the value.
    The constant term has the pattern ``"1"`` and no variables.
    """

    pattern: str
    fn: Callable[[Sequence[Any]], Any]

    def name(self, variables: Sequence[str]) -> str:
        return self.pattern.format(*variables)

    def evaluate(self, components: Sequence[Any]) -> Any:
        return self.fn(components)

    @property
    def is_constant(self) -> bool:
        return self.pattern == "1"


class Library:
    """A list of terms built for a given number of state variables.

    Subclasses implement :meth:`terms`; ``+`` and ``*`` combine libraries.
    """

    def terms(self, n_vars: int) -> list[Term]:
        raise NotImplementedError

    def names(self, variables: Sequence[str]) -> list[str]:
        """Feature names for these variable names."""
        return [t.name(variables) for t in self.terms(len(variables))]

    def matrix(self, x: np.ndarray) -> np.ndarray:
        """Theta(X): shape (n_samples, n_features) from data of shape (n_samples, n_vars).

        Data of another namespace (a CuPy array) gives Theta in that namespace, on its device.
        """
        if is_foreign(x):
            return self._device_matrix(x)
        x = np.asarray(x)
        if x.ndim != 2:
            raise ValueError(f"library data must be 2-D (n_samples, n_vars), got shape {x.shape}")
        columns = [x[:, i] for i in range(x.shape[1])]
        return np.column_stack([np.broadcast_to(t.evaluate(columns), x.shape[:1])
                                for t in self.terms(x.shape[1])])

    def _device_matrix(self, x: Any) -> Any:
        xp = namespace(x)
        if x.ndim != 2:
            raise ValueError(f"library data must be 2-D (n_samples, n_vars), got shape {tuple(x.shape)}")
        columns = [x[:, i] for i in range(x.shape[1])]
        return xp.stack([xp.broadcast_to(t.evaluate(columns), tuple(x.shape[:1]))
                         for t in self.terms(x.shape[1])], axis=1)

    def __add__(self, other: "Library") -> "Library":
        return _Concat((self, other))

    def __mul__(self, other: "Library") -> "Library":
        return _Tensor(self, other)


@dataclass(frozen=True)
class _Concat(Library):
    parts: tuple

    def terms(self, n_vars: int) -> list[Term]:
        return [t for lib in self.parts for t in lib.terms(n_vars)]


def _product_term(a: Term, b: Term) -> Term:
    if a.is_constant:
        return b
    if b.is_constant:
        return a
    return Term(f"{a.pattern} {b.pattern}", lambda u: a.fn(u) * b.fn(u))


@dataclass(frozen=True)
class _Tensor(Library):
    left: Library
    right: Library

    def terms(self, n_vars: int) -> list[Term]:
        return [_product_term(a, b) for a in self.left.terms(n_vars)
                for b in self.right.terms(n_vars)]


def _monomial(factors: tuple) -> Term:
    """The product of the variables in *factors* (indices, repeated for powers); () is 1.

    The product is taken factor by factor, left to right (as pysindy's
    ``np.prod`` over the columns), not with ``**``: the library matrix is then
    the same to the last bit, which the ill-conditioned degree-5 libraries need
    for a like-for-like comparison.
    """
    if not factors:
        return Term("1", lambda u: nm.one(u[0]))
    powers = {i: factors.count(i) for i in dict.fromkeys(factors)}
    pattern = " ".join(f"{{{i}}}" + (f"^{k}" if k > 1 else "") for i, k in powers.items())

    def fn(u: Sequence[Any]) -> Any:
        out = u[factors[0]]
        for i in factors[1:]:
            out = out * u[i]
        return out

    return Term(pattern, fn)


def _require_positive_int(library: "Library", field: str) -> None:
    value = getattr(library, field)
    if not (isinstance(value, (int, np.integer)) and value >= 1):
        raise ValueError(f"{type(library).__name__}: {field} must be an integer >= 1, got {value!r}")


@dataclass(frozen=True)
class PolynomialLibrary(Library):
    """Monomials of total degree 0 (when *include_bias*) up to *degree*.

    ``include_interaction=False`` keeps only powers of single variables.
    """

    degree: int = 2
    include_bias: bool = True
    include_interaction: bool = True

    def __post_init__(self):
        _require_positive_int(self, "degree")

    def terms(self, n_vars: int) -> list[Term]:
        combos = [()] if self.include_bias else []
        for d in range(1, self.degree + 1):
            if self.include_interaction:
                combos += itertools.combinations_with_replacement(range(n_vars), d)
            else:
                combos += [(i,) * d for i in range(n_vars)]
        return [_monomial(tuple(c)) for c in combos]


def _trig(fname: str, func: Callable, k: int, i: int) -> Term:
    if k == 1:
        return Term(f"{fname}({{{i}}})", lambda u: func(u[i]))
    return Term(f"{fname}({k} {{{i}}})", lambda u: func(k * u[i]))


@dataclass(frozen=True)
class FourierLibrary(Library):
    """``sin(k x)`` and ``cos(k x)`` for k = 1, ..., *n_frequencies* and every variable."""

    n_frequencies: int = 1
    include_sin: bool = True
    include_cos: bool = True

    def __post_init__(self):
        _require_positive_int(self, "n_frequencies")
        if not (self.include_sin or self.include_cos):
            raise ValueError("FourierLibrary: include_sin and include_cos are both False "
                             "(the library would be empty); keep at least one")

    def terms(self, n_vars: int) -> list[Term]:
        kinds = [(n, f) for n, f, on in (("sin", nm.sin, self.include_sin),
                                         ("cos", nm.cos, self.include_cos)) if on]
        return [_trig(name, func, k, i) for k in range(1, self.n_frequencies + 1)
                for i in range(n_vars) for name, func in kinds]


@dataclass(frozen=True)
class CustomLibrary(Library):
    """Named functions applied to every variable (or combination of distinct variables).

    *functions* is a sequence of ``(pattern, fn)``: *fn* takes k components,
    *pattern* has k ``{}`` slots for their names, e.g.
    ``("exp({})", nm.exp)`` or ``("{}/{}", lambda a, b: a / b)``. A function of
    k >= 2 arguments is applied to every ``itertools.combinations`` of k
    distinct variables.

    Examples
    --------
    >>> import numeric as nm
    >>> CustomLibrary([("exp({})", nm.exp), ("{} / {}", lambda a, b: a / b)]).names(["x", "y"])
    ['exp(x)', 'exp(y)', 'x / y']
    """

    functions: tuple

    def __post_init__(self):
        fixed = []
        for item in self.functions:
            if not (isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], str)
                    and callable(item[1])):
                raise TypeError(f"CustomLibrary: each entry must be a (pattern, function) pair "
                                f"such as ('exp({{}})', nm.exp); got {item!r}")
            if item[0].count("{}") < 1:
                raise ValueError(f"CustomLibrary: pattern {item[0]!r} has no '{{}}' slot for "
                                 f"the variable names")
            fixed.append(item)
        object.__setattr__(self, "functions", tuple(fixed))

    def terms(self, n_vars: int) -> list[Term]:
        out = []
        for pattern, fn in self.functions:
            arity = pattern.count("{}")
            for idx in itertools.combinations(range(n_vars), arity):
                pieces = pattern.split("{}")
                slots = pieces[0] + "".join(f"{{{i}}}{rest}" for i, rest in zip(idx, pieces[1:]))
                out.append(Term(slots, lambda u, fn=fn, idx=idx: fn(*(u[i] for i in idx))))
        return out
