"""Split inputs that carry forward partials into float64 values and a tangent matrix, and back.

A compiled forward-mode computation (a JVP kernel, :mod:`numeric.reverse.compile_jvp`)
works on plain floats: the values of its inputs and, for each input, its partials
in k directions. :func:`split_tangents` takes the inputs of such a computation
(an ODE's ``u0`` and ``p``: scalars, arrays, tuples or lists of them) and returns
their flat float64 values, a ``(N, k)`` tangent matrix (zero rows for plain
floats), how to rebuild each input's structure from a flat sequence of leaves
(to record a program on tracked scalars), and a function that rebuilds a result
of the carrier's number type from values and partials.

What is understood: float and float64 entries (no partials), ``Dual`` scalars
and ``DualArray`` s over float64 with float64 partials, all of one tag (a single
perturbation, k partials each), and a single array number with a linear part
(``MeasurementArray``: its components with respect to its sources are the
partials, and the rebuilt result keeps those sources). Everything else (nested
duals, mixed tags, float32 or mpf values, dicts) raises :class:`NotSplittable`
with the reason, so that the caller can take a generic path.

Examples
--------
>>> import numpy as np, numeric as nm
>>> p = nm.DualArray(np.array([1.5, 2.0]), np.eye(2))
>>> split = split_tangents(np.array([1.0]), p)
>>> split.values, split.tangents.shape, split.k
(array([1. , 1.5, 2. ]), (3, 2), 2)
>>> split.rebuild(np.array([3.0]), np.array([[1.0, 2.0]])).partials
array([[1., 2.]])
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from numeric.dual import Dual
from numeric.dualarray import DualArray
from numeric.protocol import linear_parts

__all__ = ["split_tangents", "TangentSplit", "NotSplittable", "augmented_jvp"]


class NotSplittable(TypeError):
    """The inputs do not split into float64 values and one set of forward partials."""


@dataclass
class TangentSplit:
    """Flat values ``(N,)``, tangents ``(N, k)``; per input its slice of them and ``unflatten``
    (its structure from a list of its leaves); ``rebuild(value, partials)`` the carrier's number."""

    values: np.ndarray
    tangents: np.ndarray
    k: int
    slices: list
    unflatten: list
    rebuild: Callable


class _Carrier:
    """The one perturbation the inputs may carry: its identity, k and the result builder."""

    def __init__(self):
        self.key = None
        self.k = None
        self.rebuild = None
        self.kind = None

    def join(self, key: Any, k: int, rebuild: Callable, kind: str, what: str) -> None:
        if self.key is None:
            self.key, self.k, self.rebuild, self.kind = key, k, rebuild, kind
            return
        if kind != "dual" or self.kind != "dual":
            raise NotSplittable(f"{what}: only one input may carry uncertainty components "
                                "(several linear-part carriers cannot be merged here)")
        if key != self.key:
            raise NotSplittable(f"{what}: partials of two different perturbations (dual tags {self.key} "
                                f"and {key}): nested or mixed differentiation needs the generic path")
        if k != self.k:
            raise NotSplittable(f"{what}: {k} partials where others have {self.k}")


def _float64(v: Any, what: str) -> np.ndarray:
    a = np.asarray(v)
    if a.dtype != np.float64:
        if a.dtype.kind in "iub":
            return a.astype(np.float64)
        raise NotSplittable(f"{what}: values of dtype {a.dtype} (the compiled path takes float64)")
    return a


def _dual_rebuild(tag: int) -> Callable:
    def rebuild(value: Any, partials: Any) -> Any:
        if np.ndim(value) == 0:
            p = np.asarray(partials).reshape(-1)
            return Dual.from_parts(float(value), float(p[0]) if p.size == 1 else p, tag)
        return DualArray.from_parts(value, partials, tag)

    return rebuild


def _leaf(x: Any, carrier: _Carrier, what: str) -> tuple:
    """(values, tangent rows, unflatten) of one leaf, a scalar or an array; a row is None where
    the value carries no partials."""
    if isinstance(x, Dual):
        if type(x.value) not in (float, np.float64):
            raise NotSplittable(f"{what}: a Dual over {type(x.value).__name__} (the compiled path takes "
                                "float64 values, not nested duals)")
        p = np.asarray(x.raw_partials)
        if p.dtype != np.float64:
            raise NotSplittable(f"{what}: a Dual whose partials are {p.dtype} numbers (nested duals)")
        p = p.reshape(-1)
        carrier.join(x.tag, p.size, _dual_rebuild(x.tag), "dual", what)
        return np.array([float(x.value)]), [p], lambda leaves: leaves[0]
    if isinstance(x, (float, int, np.floating, np.integer)) and not isinstance(x, (bool, np.bool_)):
        return np.array([float(x)]), [None], lambda leaves: leaves[0]
    if isinstance(x, np.ndarray) and x.dtype == object:
        parts = [_leaf(e, carrier, what) for e in x.flat]
        vals = np.concatenate([q[0] for q in parts]) if parts else np.zeros(0)
        shape = x.shape
        return vals, [r for q in parts for r in q[1]], lambda leaves: _object_array(leaves, shape)
    lin = linear_parts(x)
    if lin is not None:
        v, P, rebuild = lin
        v, P = _float64(v, what), _float64(P, what)
        if isinstance(x, DualArray):
            carrier.join(x.tag, P.shape[-1], _dual_rebuild(x.tag), "dual", what)
        else:
            carrier.join(id(x), P.shape[-1], rebuild, "linear", what)
        shape = v.shape
        return v.reshape(-1), list(P.reshape(v.size, P.shape[-1])), lambda leaves: _object_array(leaves, shape)
    if isinstance(x, np.ndarray):
        v = _float64(x, what)
        shape = v.shape
        return v.reshape(-1), [None] * v.size, lambda leaves: _object_array(leaves, shape)
    raise NotSplittable(f"{what}: entries of type {type(x).__name__} (the compiled forward path takes "
                        "floats, float64 arrays, Dual/DualArray over float64, a MeasurementArray, and "
                        "tuples or lists of them)")


def _object_array(leaves: list, shape: tuple) -> np.ndarray:
    out = np.empty(len(leaves), dtype=object)
    out[:] = leaves
    return out.reshape(shape)


def _tree(x: Any, carrier: _Carrier, what: str) -> tuple:
    """(values, tangent rows (list, None for zero rows), unflatten) of an input."""
    if x is None:
        return np.zeros(0), [], lambda leaves: None
    if isinstance(x, (tuple, list)):
        subs = [_tree(e, carrier, f"{what}[{i}]") for i, e in enumerate(x)]
        sizes = np.cumsum([0] + [s[0].size for s in subs])
        kind = type(x)

        def unflatten(leaves):
            return kind(s[2](leaves[sizes[i]:sizes[i + 1]]) for i, s in enumerate(subs))

        rows = [r for s in subs for r in s[1]]
        return (np.concatenate([s[0] for s in subs]) if subs else np.zeros(0)), rows, unflatten
    return _leaf(x, carrier, what)


def split_tangents(*inputs: Any, names: tuple = ()) -> TangentSplit:
    """Split *inputs* (see the module docstring); *names* label them in error messages."""
    carrier = _Carrier()
    trees = [_tree(x, carrier, names[i] if i < len(names) else f"input {i}") for i, x in enumerate(inputs)]
    if carrier.key is None:
        raise NotSplittable("no input carries forward partials (Dual/DualArray) or uncertainty components")
    k = carrier.k
    values = np.concatenate([t[0] for t in trees]) if trees else np.zeros(0)
    tangents = np.zeros((values.size, k))
    rows = [r for t in trees for r in t[1]]
    for i, r in enumerate(rows):
        if r is not None:
            tangents[i] = r
    sizes = np.cumsum([0] + [t[0].size for t in trees])
    slices = [slice(int(sizes[i]), int(sizes[i + 1])) for i in range(len(trees))]
    return TangentSplit(values, tangents, k, slices, [t[2] for t in trees], carrier.rebuild)


def _value_and_partials(y: Any, tag: int, k: int) -> tuple:
    """(values, partials (N, k)) of a function result *y* with respect to perturbation *tag*."""
    if isinstance(y, DualArray) and y.tag == tag:
        return y.value.reshape(-1), y.partials.reshape(y.value.size, k)
    if isinstance(y, Dual) and y.tag == tag:
        return [y.value], [y.partials]
    if isinstance(y, (np.ndarray, list, tuple)) and np.asarray(y, dtype=object).ndim > 0:
        parts = [_value_and_partials(e, tag, k) for e in np.asarray(y, dtype=object).flat]
        return [v for q in parts for v in q[0]], [r for q in parts for r in q[1]]
    return [y], [np.zeros(k)]


def augmented_jvp(f: Callable, split: TangentSplit, scalar_u: bool) -> Callable:
    """``rhs(z, pp, t)`` of the forward sensitivity equations by one dual evaluation of *f*.

    The same function as the compiled kernel of :mod:`numeric.reverse.compile_jvp` (state
    ``z = [u, S_1, ..., S_k]``, ``pp = [p, P (m x k), flag]``), for any *f* that accepts duals.
    Each call seeds a fresh perturbation, so *z* may itself carry partials of an older one (a
    stiff method's Jacobian of the augmented system by forward mode).

    Examples
    --------
    >>> import numpy as np, numeric as nm
    >>> split = split_tangents(np.array([2.0]), nm.DualArray(np.array([0.5]), np.ones((1, 1))))
    >>> rhs = augmented_jvp(lambda u, p, t: -p[0] * u, split, scalar_u=False)
    >>> rhs(np.array([2.0, 0.0]), np.array([0.5, 1.0, 0.0]), 0.0)
    array([-1., -2.])
    """
    us, ps = split.slices
    n, m, k = us.stop - us.start, ps.stop - ps.start, split.k
    live = np.any(split.tangents[ps] != 0, axis=1)

    def rhs(z: Any, pp: Any, t: Any) -> Any:
        from numeric.protocol import new_order

        tag = new_order()
        S = z[n:].reshape(k, n).T
        u = Dual.from_parts(z[0], S[0], tag) if scalar_u else DualArray.from_parts(z[:n], S, tag)
        P = pp[m:m + m * k].reshape(m, k)
        leaves = [Dual.from_parts(pp[i], P[i], tag) if live[i] else pp[i] for i in range(m)]
        vals, parts = _value_and_partials(f(u, split.unflatten[1](leaves), t), tag, k)
        out = list(vals) + [parts[j][l] for l in range(k) for j in range(n)]
        return np.asarray(out) if all(isinstance(e, (float, np.floating)) for e in out) else \
            _object_array(out, (len(out),))

    return rhs
