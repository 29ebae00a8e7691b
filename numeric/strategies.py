"""Hypothesis strategies over the rules table (``numeric.testing.strategies``).

* :func:`points` draws arguments of one rule inside its ``domain`` (the
  intervals of :data:`numeric.rules.RULES` on which it is smooth), away from
  the kinks of ``maximum``/``minimum`` (ties) and ``clip`` (the bounds).
* :func:`arrays_for` draws inputs for *your* function: float arrays of a
  shape (fixed, or drawn within bounds) with elements in an interval, kept
  away from points you name (the kinks or poles of your code), ready for
  ``check_derivatives`` or ``check_gradient``.
* :func:`expressions` draws a random expression tree over the rules and the
  arithmetic operators together with a point at which every node is smooth:
  the tree is built bottom-up, and a function is applied to a subtree only
  where the subtree's value at the point lies inside the function's domain
  (otherwise the subtree is kept as it is). The result is an
  :class:`Expression`, evaluated generically: on floats, float32, ``mpf``,
  complex, ``Dual`` and arrays alike.

Needs the ``hypothesis`` package (the ``test`` extra).

Examples
--------
>>> import numpy as np, numeric as nm
>>> from hypothesis import given, settings
>>> from numeric.testing import check_derivatives
>>> from numeric.strategies import expressions
>>> @settings(max_examples=5, deadline=None)
... @given(expressions(nvars=2))
... def test_gradient(e):
...     check_derivatives(lambda v: e(*v), np.array(e.point), complex_step=e.complex_step)
>>> test_gradient()
"""

from __future__ import annotations

import math
import operator
from dataclasses import dataclass
from typing import Any, Callable, Iterable

import numpy as np
from hypothesis import strategies as st

from numeric.functions import FUNCTIONS
from numeric.rules import ARITHMETIC, RULES, Rule

__all__ = ["Expression", "expressions", "points", "floats_in", "rule_names", "arrays_for",
           "KINK_MARGIN"]

KINK_MARGIN = 0.05
"""Distance kept from the kinks of non-smooth rules (ties, clip bounds, divisors)."""

_MAX_MAGNITUDE = 1e3

_OPERATORS: dict[str, Callable] = {
    "add": operator.add, "sub": operator.sub, "mul": operator.mul,
    "truediv": operator.truediv, "neg": operator.neg,
}  # fmt: skip
_SYMBOLS = {"add": "+", "sub": "-", "mul": "*", "truediv": "/"}


def _smooth_there(name: str, args: tuple) -> bool:
    """Constraints that are not a product of intervals: keep away from kinks."""
    m = KINK_MARGIN
    if name in ("maximum", "minimum"):
        return abs(args[0] - args[1]) > m
    if name == "clip":
        x, lo, hi = args
        return abs(x - lo) > m and abs(x - hi) > m
    if name == "truediv":
        return abs(args[1]) > 0.1
    return True


def _in_domain(intervals, v: float) -> bool:
    return any(lo <= v <= hi for lo, hi in intervals)


def rule_names(*, arity: int | None = None, holomorphic: bool | None = None) -> list[str]:
    """Names in :data:`RULES`, optionally only those of one arity or analyticity."""
    return [n for n, r in RULES.items()
            if (arity is None or r.nargs == arity)
            and (holomorphic is None or r.holomorphic == holomorphic)]


def floats_in(intervals: Iterable[tuple[float, float]]) -> st.SearchStrategy[float]:
    """Floats inside one of the closed *intervals* (no nan, no infinity)."""
    return st.one_of([st.floats(lo, hi, allow_nan=False, allow_infinity=False)
                      for lo, hi in intervals])


def points(rule: Rule | str) -> st.SearchStrategy[tuple]:
    """Arguments for *rule* (a :class:`~numeric.rules.Rule` or its name) where it is smooth.

    Each argument is drawn from its domain intervals; ``polygamma``'s order
    is an integer 0..3. Ties of ``maximum``/``minimum`` and the bounds of
    ``clip`` are avoided by :data:`KINK_MARGIN`.

    Examples
    --------
    >>> from numeric.strategies import points
    >>> args = points("log").example()
    >>> 0.1 <= args[0] <= 5.0
    True
    """
    rule = RULES[rule] if isinstance(rule, str) else rule
    parts = []
    for intervals in rule.domain:
        parts.append(st.integers(0, 3) if not intervals else floats_in(intervals))
    return st.tuples(*parts).filter(lambda a: _smooth_there(rule.name, a))


def arrays_for(
    shape: int | tuple[int, ...] | None = None,
    *,
    min_dims: int = 1,
    max_dims: int = 2,
    min_side: int = 1,
    max_side: int = 4,
    low: float = -3.0,
    high: float = 3.0,
    avoid: Iterable[float] = (),
    margin: float = KINK_MARGIN,
    dtype: Any = np.float64,
) -> st.SearchStrategy[np.ndarray]:
    """Float arrays to feed your own function in a derivative check.

    Parameters
    ----------
    shape : int or tuple, optional
        A fixed shape; without it the shape is drawn with ``min_dims``..``max_dims``
        axes of ``min_side``..``max_side`` elements each.
    low, high : float
        The closed interval of the elements (no nan, no infinity).
    avoid : floats
        Points where your function is not smooth (``0`` for ``abs``, the poles of a
        rational function): every element keeps a distance of at least *margin*.
    dtype : float32 or float64

    Examples
    --------
    >>> import numpy as np, numeric as nm
    >>> from hypothesis import given, settings
    >>> from numeric.testing import check_gradient
    >>> from numeric.strategies import arrays_for
    >>> f = lambda x: np.sum(x * nm.abs(x))
    >>> @settings(max_examples=10, deadline=None)
    ... @given(arrays_for(shape=3, low=-2, high=2, avoid=[0.0]))
    ... def test_my_gradient(x):
    ...     check_gradient(f, lambda x: 2 * np.abs(x), x)
    >>> test_my_gradient()
    """
    from hypothesis.extra import numpy as hnp

    if not low < high:
        raise ValueError(f"arrays_for: need low < high, got low={low}, high={high}")
    avoid = tuple(float(a) for a in avoid)
    width = np.finfo(dtype).bits
    elements = st.floats(low, high, allow_nan=False, allow_infinity=False, width=width).filter(
        lambda v: all(abs(v - a) >= margin for a in avoid))
    shapes = (st.just((shape,) if isinstance(shape, int) else tuple(shape)) if shape is not None
              else hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=min_side,
                                    max_side=max_side))
    return shapes.flatmap(lambda sh: hnp.arrays(dtype, sh, elements=elements))


@dataclass(frozen=True)
class Expression:
    """An expression tree over the rules table, with a point where it is smooth.

    Calling it evaluates the tree on any numbers: ``e(x0, x1, ...)`` with
    floats, float32, ``mpf``, complex, duals or arrays (elementwise).

    Attributes
    ----------
    tree : tuple
        ``("var", i)``, ``("const", c)``, ``("polygamma", n, child)`` or
        ``(name, child, ...)`` with *name* in ``RULES`` or ``ARITHMETIC``.
    nvars : int
    point : tuple of float
        A point at which every node is inside its function's domain.

    Examples
    --------
    >>> import numeric as nm
    >>> from numeric.strategies import Expression
    >>> e = Expression(("sin", ("mul", ("var", 0), ("const", 2.0))), 1, (0.25,))
    >>> str(e), round(e(0.25), 10), round(nm.derivative(e, 0.25), 10)   # 2 cos(0.5)
    ('sin(x0 * 2.0)', 0.4794255386, 1.7551651238)
    """

    tree: tuple
    nvars: int
    point: tuple

    def __call__(self, *xs: Any) -> Any:
        if len(xs) != self.nvars:
            raise TypeError(f"this expression takes {self.nvars} arguments, got {len(xs)}")
        return _evaluate(self.tree, xs)

    @property
    def names(self) -> set[str]:
        """The function and operator names used in the tree."""
        return _names(self.tree)

    @property
    def holomorphic(self) -> bool:
        """True when every node is complex-analytic (the complex-step check applies)."""
        return all((RULES.get(n) or ARITHMETIC[n]).holomorphic for n in self.names)

    @property
    def complex_step(self) -> bool | None:
        """The ``complex_step=`` to give :func:`~numeric.testing.check_derivatives` for this expression.

        None (run it as a reference; where it alone disagrees and mpmath agrees with the AD result,
        it is reported as inaccurate and dropped) for a holomorphic expression, False otherwise.
        Requiring it (True) fails on sound derivatives where NumPy's complex evaluation cancels:
        ``np.sinc`` at ``1e-5 + ih`` loses 7 digits of its imaginary part (found by hypothesis).
        """
        return None if self.holomorphic else False

    @property
    def depth(self) -> int:
        return _depth(self.tree)

    def __str__(self) -> str:
        return _format(self.tree)

    def __repr__(self) -> str:
        return f"Expression({_format(self.tree)!r} at {self.point})"


def _evaluate(node, xs):
    kind = node[0]
    if kind == "var":
        return xs[node[1]]
    if kind == "const":
        return node[1]
    if kind == "polygamma":
        return FUNCTIONS["polygamma"](node[1], _evaluate(node[2], xs))
    args = [_evaluate(c, xs) for c in node[1:]]
    op = _OPERATORS.get(kind)
    return op(*args) if op is not None else FUNCTIONS[kind](*args)


def _names(node) -> set:
    if node[0] in ("var", "const"):
        return set()
    children = node[2:] if node[0] == "polygamma" else node[1:]
    out = {node[0]}
    for c in children:
        out |= _names(c)
    return out


def _depth(node) -> int:
    if node[0] in ("var", "const"):
        return 0
    children = node[2:] if node[0] == "polygamma" else node[1:]
    return 1 + max(_depth(c) for c in children)


def _format(node, inner: bool = False) -> str:
    kind = node[0]
    if kind == "var":
        return f"x{node[1]}"
    if kind == "const":
        return repr(node[1])
    if kind == "polygamma":
        return f"polygamma({node[1]}, {_format(node[2])})"
    if kind == "neg":
        return f"-({_format(node[1])})"
    if kind in _SYMBOLS:
        text = f"{_format(node[1], True)} {_SYMBOLS[kind]} {_format(node[2], True)}"
        return f"({text})" if inner else text
    return f"{kind}({', '.join(_format(c) for c in node[1:])})"


def _float_value(node, point) -> float:
    try:
        v = _evaluate(node, tuple(float(p) for p in point))
    except (ValueError, OverflowError, ZeroDivisionError):
        return math.nan
    return float(v)


@st.composite
def expressions(
    draw,
    nvars: int = 1,
    max_depth: int = 3,
    functions: Iterable[str] | None = None,
    arithmetic: bool = True,
    holomorphic: bool | None = None,
    point: tuple | None = None,
) -> Expression:
    """Random expression trees over the rules table, with a point where they are smooth.

    Parameters
    ----------
    nvars : int
        Number of variables ``x0 .. x{nvars-1}``.
    max_depth : int
        Greatest nesting depth of the tree.
    functions : iterable of str, optional
        Names from ``RULES`` to use (default: all).
    arithmetic : bool
        Also use ``+ - * /`` and negation.
    holomorphic : bool, optional
        ``True``: only complex-analytic functions (so the complex-step check
        applies); ``False``: only non-analytic ones; ``None``: any.
    point : tuple of float, optional
        The evaluation point (default: drawn in [-2.5, 2.5]**nvars).

    Examples
    --------
    >>> from numeric.strategies import expressions
    >>> e = expressions(nvars=2, max_depth=2).example()
    >>> e.nvars, len(e.point)
    (2, 2)
    """
    names = list(functions) if functions is not None else list(RULES)
    if holomorphic is not None:
        names = [n for n in names if RULES[n].holomorphic == holomorphic]
    ops = names + (list(_OPERATORS) if arithmetic else [])
    if not ops:
        raise ValueError("expressions(): no functions to build from")
    if point is None:
        point = draw(st.tuples(*[st.floats(-2.5, 2.5, allow_nan=False)] * nvars))
    point = tuple(float(p) for p in point)

    def leaf():
        if nvars and draw(st.integers(0, 3)) > 0:
            return ("var", draw(st.integers(0, nvars - 1)))
        return ("const", draw(st.sampled_from([0.5, 1.5, -0.75, 2.0, 0.25, -1.25])))

    def build(depth):
        # shrinking drives integers to 0: towards smaller trees
        if depth == 0 or draw(st.integers(0, 3)) == 0:
            return leaf()
        name = draw(st.sampled_from(ops))
        rule = RULES.get(name) or ARITHMETIC[name]
        if name == "polygamma":
            n = draw(st.integers(0, 2))
            child = build(depth - 1)
            v = _float_value(child, point)
            if _in_domain(rule.domain[1], v):
                return _checked(("polygamma", n, child), child)
            return child
        children = [build(depth - 1) for _ in range(rule.nargs)]
        values = tuple(_float_value(c, point) for c in children)
        if all(_in_domain(rule.domain[i], v) for i, v in enumerate(values)) and \
                _smooth_there(name, values):
            return _checked((name, *children), children[0])
        return children[0]

    def _checked(node, fallback):
        v = _float_value(node, point)
        return node if (math.isfinite(v) and abs(v) <= _MAX_MAGNITUDE) else fallback

    tree = build(max_depth)
    if nvars and not _has_variable(tree):
        tree = ("add", tree, ("var", draw(st.integers(0, nvars - 1))))
    return Expression(tree, nvars, point)


def _has_variable(node) -> bool:
    if node[0] == "var":
        return True
    if node[0] == "const":
        return False
    children = node[2:] if node[0] == "polygamma" else node[1:]
    return any(_has_variable(c) for c in children)


_ = np  # NumPy is used by the doctest examples of the module docstring
