"""Sparsity tracer: a number whose "partials" are sets of input indices.

A :class:`Tracer` carries a primal value and the set of inputs it depends on;
a :class:`TracerArray` carries a primal array and, per element, the same set,
stored as one boolean ``scipy.sparse`` CSR matrix (row = flattened element,
column = input index) so that array programs trace in vectorised time.

Both are generated from the rules table (:mod:`numeric.rules`) by
``rules.install_operators``: a rule's output depends on argument *i* unless
the table's partial *i* is structurally zero (the constant 0, as for
``sign``), read off the table once at import (:data:`STRUCTURAL`) by
evaluating every partial on a deterministic grid of points in the rule's
domain. Value-dependent partials (``maximum``, ``clip``) count as nonzero
(the pattern holds for every x, SparseConnectivityTracer's "global" pattern
for those rules).

Global vs local
---------------
``mode="local"`` (default) traces at a point ``x``: tracers carry the primal,
comparisons and branches follow it (SparseConnectivityTracer's "local"
mode), so the pattern is the one of the branch taken at ``x``.
``mode="global"`` traces without a primal: any comparison or branch on a
tracer raises, and the pattern holds for every input.

Array functions are implemented directly in :data:`ARRAY_FUNCTIONS` below (a
small table: index maps for rearrangements, grouping matrices for
reductions); they are meant to be derived later from the shared array table.

Examples
--------
>>> import numpy as np, numeric as nm
>>> nm.jacobian_sparsity(lambda x: x[1:] * x[:-1], np.ones(3)).toarray().astype(int)
array([[1, 1, 0],
       [0, 1, 1]])
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from numeric.backend import is_foreign
from numeric.rules import ARITHMETIC, RULES, install_operators, lookup

__all__ = ["Tracer", "TracerArray", "STRUCTURAL", "trace_pattern"]


def _sp():
    import scipy.sparse as sp

    return sp


# -- which partials are structurally nonzero, read off the table -----------------------
def _structural(rule) -> tuple[bool, ...]:
    rng = np.random.default_rng(12345)
    nonzero = [False] * rule.nargs
    for _ in range(64):
        args = []
        for dom in rule.domain:
            if not dom:
                args.append(1.0)  # an integer order argument (polygamma's n)
                continue
            lo, hi = dom[rng.integers(len(dom))]
            args.append(float(rng.uniform(lo, hi)))
        try:
            ans = rule.function(*args)
        except Exception:
            ans = 1.0
        for i, p in enumerate(rule.partials):
            if p is None or nonzero[i]:
                continue
            try:
                d = p(ans, *args)
            except Exception:
                nonzero[i] = True  # cannot tell: be conservative
                continue
            if np.any(np.asarray(d, dtype=float) != 0):
                nonzero[i] = True
    return tuple(nonzero)


STRUCTURAL: dict[str, tuple[bool, ...]] = {
    name: _structural(rule) for table in (RULES, ARITHMETIC) for name, rule in table.items()
}
# Functions outside the table whose derivative is zero (piecewise constant).
_ZERO_DERIVATIVE = ("floor", "ceil", "trunc", "rint", "round", "sign", "heaviside")


class GlobalModeError(TypeError):
    pass


def _no_primal(what):
    raise GlobalModeError(
        f"{what} needs the primal value, but this tracer was traced in global mode "
        "(no primal); use nm.jacobian_sparsity(f, x, mode='local') to follow the branch at x")


# -- scalar tracer ---------------------------------------------------------------------
class Tracer:
    """A scalar with a primal value (or None in global mode) and a set of input indices."""

    __slots__ = ("value", "deps")
    _nm_order = 0  # below every differentiation tag: tracers are traced, not nested

    def __init__(self, value: Any = None, deps: frozenset = frozenset()):
        self.value = value
        self.deps = frozenset(deps)

    def _nm_primal(self):
        if self.value is None:
            _no_primal("nm.value")
        return self.value

    def __repr__(self):
        return f"Tracer({self.value!r}, {sorted(self.deps)})"

    def _cmp(self, other, op):
        a = self.value
        b = other.value if isinstance(other, (Tracer, TracerArray)) else other
        if a is None or b is None:
            _no_primal("a comparison")
        return op(a, b)

    def __lt__(self, o):
        return self._cmp(o, lambda a, b: a < b)

    def __le__(self, o):
        return self._cmp(o, lambda a, b: a <= b)

    def __gt__(self, o):
        return self._cmp(o, lambda a, b: a > b)

    def __ge__(self, o):
        return self._cmp(o, lambda a, b: a >= b)

    def __eq__(self, o):
        return self._cmp(o, lambda a, b: a == b)

    def __ne__(self, o):
        return self._cmp(o, lambda a, b: a != b)

    __hash__ = object.__hash__

    def __bool__(self):
        if self.value is None:
            _no_primal("a truth value")
        return bool(self.value)

    def __float__(self):
        raise TypeError("float(tracer) would drop the dependency set; use nm.value(t) for the "
                        "primal on purpose")

    def __int__(self):
        raise TypeError("int(tracer) would drop the dependency set; use nm.value(t)")

    def _nm_apply(self, rule, args):
        return _apply_scalar(_rule(rule), args)

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        lifted = [TracerArray.lift(a) if isinstance(a, Tracer) else a for a in inputs]
        out = TracerArray.__array_ufunc__(lifted[0] if isinstance(lifted[0], TracerArray)
                                          else TracerArray.lift(np.asarray(0.0)),
                                          ufunc, method, *lifted, **kwargs)
        return _wrap_out(out) if isinstance(out, TracerArray) else out


def _rule(rule):
    if isinstance(rule, str):
        rule = lookup(rule)
        if rule.name not in STRUCTURAL:  # a user rule (numeric.custom_rule): read it once
            STRUCTURAL[rule.name] = _structural(rule)
    return rule


def _primal(a):
    return a.value if isinstance(a, (Tracer, TracerArray)) else a


def _eval(rule, args):
    vals = [_primal(a) for a in args]
    if any(v is None for v in vals):
        return None
    with np.errstate(all="ignore"):
        return rule.function(*vals)


def _apply_scalar(rule, args):
    if any(isinstance(a, (TracerArray, np.ndarray)) for a in args):
        return _apply_array(rule, [TracerArray.lift(a) if isinstance(a, Tracer) else a
                                   for a in args])
    deps = frozenset()
    for a, nz in zip(args, STRUCTURAL[rule.name]):
        if nz and isinstance(a, Tracer):
            deps = deps | a.deps
    return Tracer(_eval(rule, args), deps)


def _make_unary(rule):
    def method(self):
        return self._nm_apply(rule, (self,))

    method.__name__ = rule.name
    return method


def _make_binary(rule, reflected):
    def method(self, other):
        if not isinstance(other, (int, float, complex, np.number, np.ndarray, Tracer,
                                  TracerArray)) and not type(other).__module__.startswith("mpmath"):
            return NotImplemented
        args = (other, self) if reflected else (self, other)
        return self._nm_apply(rule, args)

    return method


# -- array tracer ----------------------------------------------------------------------
class TracerArray:
    """Primal array (or None) plus a boolean CSR pattern of shape (size, n_inputs)."""

    __array_priority__ = 100
    _nm_order = 0

    def __init__(self, value, pattern, shape, n_inputs):
        self.value = value
        self.pattern = pattern
        self.shape = tuple(shape)
        self.n_inputs = n_inputs

    # construction ---------------------------------------------------------------------
    @classmethod
    def seed(cls, x, *, local: bool = True) -> "TracerArray":
        x = np.asarray(x)
        n = x.size
        return cls(x if local else None, _sp().identity(n, dtype=bool, format="csr"), x.shape, n)

    @classmethod
    def lift(cls, a, n_inputs: int | None = None) -> "TracerArray":
        """A Tracer, object array of tracers or constant as a TracerArray."""
        if isinstance(a, TracerArray):
            return a
        sp = _sp()
        if isinstance(a, Tracer):
            n = n_inputs if n_inputs is not None else (max(a.deps) + 1 if a.deps else 0)
            cols = np.fromiter(sorted(a.deps), dtype=np.int64)
            P = sp.csr_matrix((np.ones(len(cols), bool), cols, [0, len(cols)]), shape=(1, n))
            return cls(None if a.value is None else np.asarray(a.value), P, (), n)
        arr = np.asarray(a) if not isinstance(a, np.ndarray) else a
        if arr.dtype == object:
            return _from_objects(arr, n_inputs)
        return cls(arr, sp.csr_matrix((arr.size, n_inputs or 0), dtype=bool), arr.shape,
                   n_inputs or 0)

    @property
    def ndim(self):
        return len(self.shape)

    @property
    def size(self):
        return int(np.prod(self.shape, dtype=np.int64))

    @property
    def T(self):
        return self.transpose()

    def __len__(self):
        return self.shape[0]

    def __repr__(self):
        return f"TracerArray(shape={self.shape}, nnz={self.pattern.nnz})"

    def _nm_primal(self):
        if self.value is None:
            _no_primal("nm.value")
        return self.value

    def _nm_apply(self, rule, args):
        return _apply_array(_rule(rule), args)

    def __array__(self, dtype=None, copy=None):
        raise TypeError("np.asarray(tracer_array) would drop the dependency sets; use "
                        "nm.value(t) for the primal on purpose")

    def __bool__(self):
        raise TypeError("the truth value of a TracerArray is ambiguous")

    def __float__(self):
        raise TypeError("float(tracer array) would drop the dependency sets; use nm.value")

    # rearrangements: an index map of the flattened elements --------------------------
    def _index_map(self):
        return np.arange(self.size).reshape(self.shape)

    def _take(self, idx, value):
        idx = np.asarray(idx)
        P = self.pattern[idx.ravel()] if idx.size else self.pattern[:0]
        return TracerArray(value, P, idx.shape, self.n_inputs)

    def __getitem__(self, key):
        key = _primal_key(key)
        idx = self._index_map()[key]
        value = None if self.value is None else self.value[key]
        out = self._take(idx, value)
        if out.shape == ():
            return out.to_scalar()
        return out

    def to_scalar(self) -> Tracer:
        row = self.pattern[0]
        return Tracer(None if self.value is None else np.asarray(self.value).item(),
                      frozenset(row.indices.tolist()))

    def __setitem__(self, key, val):
        key = _primal_key(key)
        other = TracerArray.lift(val, self.n_inputs)
        idx = self._index_map()[key].ravel()
        src = np.broadcast_to(other._index_map(), self._index_map()[key].shape).ravel()
        P = self.pattern.tolil()
        Q = other.pattern[src]
        if Q.shape[1] < P.shape[1]:
            Q = _widen(Q, P.shape[1])
        P[idx] = Q
        self.pattern = P.tocsr()
        if self.value is not None:
            self.value = self.value.astype(np.result_type(self.value, other.value)
                                           if other.value is not None else self.value.dtype)
            self.value[key] = other.value if other.value is not None else np.nan
        elif other.value is None:
            pass

    def reshape(self, *shape):
        shape = shape[0] if len(shape) == 1 and isinstance(shape[0], (tuple, list)) else shape
        value = None if self.value is None else self.value.reshape(shape)
        idx = self._index_map().reshape(shape)
        return TracerArray(value, self.pattern, idx.shape, self.n_inputs)

    def ravel(self):
        return self.reshape(-1)

    flatten = ravel

    def transpose(self, *axes):
        axes = axes[0] if len(axes) == 1 and isinstance(axes[0], (tuple, list)) else axes
        axes = axes or None
        return self._take(self._index_map().transpose(axes),
                          None if self.value is None else self.value.transpose(axes))

    def copy(self):
        return TracerArray(None if self.value is None else self.value.copy(),
                           self.pattern.copy(), self.shape, self.n_inputs)

    def sum(self, axis=None, keepdims=False):
        return _reduce(self, axis, keepdims, np.sum)

    def __matmul__(self, other):
        return _matmul(self, other)

    def __rmatmul__(self, other):
        return _matmul(other, self)

    # numpy protocols -----------------------------------------------------------------
    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        if method != "__call__" or kwargs.get("out") is not None:
            return NotImplemented
        name = ufunc.__name__
        if name in _COMPARISONS:
            vals = [_primal(a) for a in inputs]
            if any(v is None for v in vals):
                _no_primal("a comparison")
            return ufunc(*vals)
        if name in _ZERO_DERIVATIVE:
            vals = [_primal(a) for a in inputs]
            n = max(a.n_inputs for a in inputs if isinstance(a, TracerArray))
            value = None if any(v is None for v in vals) else ufunc(*vals)
            shape = np.broadcast_shapes(*[np.shape(a) for a in inputs])
            return TracerArray(value, _sp().csr_matrix((int(np.prod(shape)), n), dtype=bool),
                               shape, n)
        if name == "matmul":
            return _matmul(*inputs)
        rule = _UFUNC_RULES.get(name)
        if rule is None:
            return NotImplemented
        return _apply_array(rule, inputs)

    def __array_function__(self, func, types, args, kwargs):
        impl = ARRAY_FUNCTIONS.get(func.__name__)
        if impl is None:
            return NotImplemented
        return impl(*args, **kwargs)

    # comparisons on the primal
    def __lt__(self, o):
        return np.less(self, o)

    def __le__(self, o):
        return np.less_equal(self, o)

    def __gt__(self, o):
        return np.greater(self, o)

    def __ge__(self, o):
        return np.greater_equal(self, o)


def _primal_key(key):
    if isinstance(key, tuple):
        return tuple(_primal_key(k) for k in key)
    if isinstance(key, (Tracer, TracerArray)):
        raise TypeError("indexing with a tracer: an index must not depend on the input")
    return key


def _widen(P, n):
    P = P.tocsr()
    return _sp().csr_matrix((P.data, P.indices, P.indptr), shape=(P.shape[0], n))


def _from_objects(arr, n_inputs):
    sp = _sp()
    flat = list(arr.flat)
    n = n_inputs or 0
    for e in flat:
        if isinstance(e, Tracer) and e.deps:
            n = max(n, max(e.deps) + 1)
        elif isinstance(e, TracerArray):
            n = max(n, e.n_inputs)
    rows, cols, vals, local = [], [], [], True
    for i, e in enumerate(flat):
        if isinstance(e, TracerArray):
            e = e.to_scalar() if e.shape == () else None
            if e is None:
                raise TypeError("an object array of tracer arrays: build the array with "
                                "np.concatenate/np.stack instead")
        if isinstance(e, Tracer):
            d = sorted(e.deps)
            rows.extend([i] * len(d))
            cols.extend(d)
            vals.append(e.value)
            local = local and e.value is not None
        else:
            vals.append(e)
    P = sp.csr_matrix((np.ones(len(rows), bool), (rows, cols)), shape=(len(flat), n))
    value = np.asarray(vals, dtype=float).reshape(arr.shape) if local else None
    return TracerArray(value, P, arr.shape, n)


def _bool(P):
    P = P.tocsr()
    if P.dtype != bool:
        P = P.astype(bool)
    P.eliminate_zeros()
    return P


def _apply_array(rule, args):
    args = list(args)
    arrs = [a for a in args if isinstance(a, TracerArray)]
    n = max([a.n_inputs for a in arrs] + [0])
    args = [TracerArray.lift(a, n) if isinstance(a, (Tracer, np.ndarray)) and
            (isinstance(a, Tracer) or a.dtype == object) else a for a in args]
    n = max([a.n_inputs for a in args if isinstance(a, TracerArray)] + [0])
    shape = np.broadcast_shapes(*[np.shape(_primal(a)) if not isinstance(a, TracerArray)
                                  else a.shape for a in args])
    size = int(np.prod(shape, dtype=np.int64))
    P = None
    for a, nz in zip(args, STRUCTURAL[rule.name]):
        if not (nz and isinstance(a, TracerArray)):
            continue
        Q = a.pattern if a.pattern.shape[1] == n else _widen(a.pattern, n)
        if a.shape != shape:
            Q = Q[np.broadcast_to(a._index_map(), shape).ravel()]
        P = Q if P is None else P + Q
    if P is None:
        P = _sp().csr_matrix((size, n), dtype=bool)
    return TracerArray(_eval(rule, args), _bool(P), shape, n)


_COMPARISONS = ("less", "less_equal", "greater", "greater_equal", "equal", "not_equal",
                "isfinite", "isnan", "isinf", "signbit")
_UFUNC_NAMES = {"add": "add", "subtract": "sub", "multiply": "mul", "true_divide": "truediv",
                "divide": "truediv", "negative": "neg", "power": "power", "absolute": "abs",
                "fabs": "abs", "float_power": "power", "conjugate": "abs"}
_UFUNC_RULES = {**{k: (ARITHMETIC.get(v) or RULES[v]) for k, v in _UFUNC_NAMES.items()},
                **{k: r for k, r in RULES.items()}}


class _Unary:
    """A structurally nonzero one-argument function outside the table (square, reciprocal)."""

    def __init__(self, name, function):
        self.name, self.function, self.nargs = name, function, 1


for _name, _fn in (("square", np.square), ("reciprocal", np.reciprocal),
                   ("positive", np.positive), ("conjugate", np.conjugate)):
    _UFUNC_RULES[_name] = _Unary(_name, _fn)
    STRUCTURAL[_name] = (True,)


# -- the few array functions, as one table ---------------------------------------------
def _rearrange(func):
    """An array function that only moves elements: apply it to the index map."""

    def impl(a, *args, **kwargs):
        a = TracerArray.lift(a)
        value = None if a.value is None else func(a.value, *args, **kwargs)
        return a._take(func(a._index_map(), *args, **kwargs), value)

    return impl


def _concatenate(arrays, axis=0, stack=False):
    arrays = [TracerArray.lift(a) for a in arrays]
    n = max(a.n_inputs for a in arrays)
    offsets = np.cumsum([0] + [a.size for a in arrays])
    maps = [a._index_map() + off for a, off in zip(arrays, offsets)]
    join = np.stack if stack else np.concatenate
    idx = join(maps, axis=axis)
    P = _sp().vstack([_widen(a.pattern, n) for a in arrays], format="csr")
    value = None if any(a.value is None for a in arrays) else join([a.value for a in arrays],
                                                                     axis=axis)
    return TracerArray(value, P, (), n)._take(idx, value)


def _grouping(shape, axis, keepdims):
    """Sparse matrix mapping input elements to reduced outputs, and the output shape."""
    idx = np.arange(int(np.prod(shape, dtype=np.int64))).reshape(shape)
    axes = tuple(range(len(shape))) if axis is None else (
        (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis))
    axes = tuple(a % max(len(shape), 1) for a in axes)
    keep = [d for d in range(len(shape)) if d not in axes]
    moved = np.transpose(idx, keep + list(axes)) if shape else idx
    out_shape = tuple(shape[d] for d in keep)
    m = int(np.prod(out_shape, dtype=np.int64))
    cols = moved.reshape(m, -1)
    rows = np.repeat(np.arange(m), cols.shape[1])
    G = _sp().csr_matrix((np.ones(rows.size, bool), (rows, cols.ravel())),
                         shape=(m, idx.size))
    if keepdims:
        out_shape = tuple(1 if d in axes else shape[d] for d in range(len(shape)))
    return G, out_shape


def _reduce(a, axis=None, keepdims=False, func=np.sum, **kw):
    a = TracerArray.lift(a)
    G, out_shape = _grouping(a.shape, axis, keepdims)
    value = None if a.value is None else func(a.value, axis=axis, keepdims=keepdims)
    return _wrap_out(TracerArray(value, _bool(G @ a.pattern), out_shape, a.n_inputs))


def _wrap_out(t):
    return t.to_scalar() if t.shape == () else t


def _matmul(a, b):
    """Structural matmul: entry (i, k) depends on a[i, j] and b[j, k] where both may be nonzero."""
    ta, tb = isinstance(a, TracerArray), isinstance(b, TracerArray)
    if not (ta or tb):
        return np.matmul(a, b)
    A = a if ta else np.asarray(a)
    B = b if tb else np.asarray(b)
    sa, sb = A.shape, B.shape
    if len(sa) > 2 or len(sb) > 2:
        raise NotImplementedError("tracer matmul supports 1-D and 2-D operands")
    A2 = A.reshape(1, -1) if len(sa) == 1 else A
    B2 = B.reshape(-1, 1) if len(sb) == 1 else B
    m, k = A2.shape
    k2, p = B2.shape
    if k != k2:
        raise ValueError(f"matmul: shapes {sa} and {sb} do not align")
    n = max(t.n_inputs for t in (A2, B2) if isinstance(t, TracerArray))
    sp = _sp()
    P = sp.csr_matrix((m * p, n), dtype=bool)
    # out[i, l] = sum_j A[i, j] B[j, l]; element A[i, j] sits at row i*k + j.
    if isinstance(A2, TracerArray):
        nzB = np.ones((k, p), bool) if isinstance(B2, TracerArray) else (B2 != 0)
        # row (i, l) <- rows (i, j) of A for j with B[j, l] != 0
        Bn = sp.csr_matrix(nzB.T)  # p x k
        G = sp.kron(sp.identity(m, dtype=bool, format="csr"), Bn, format="csr")  # (m p) x (m k)
        P = P + _widen(G @ A2.pattern, n)
    if isinstance(B2, TracerArray):
        nzA = np.ones((m, k), bool) if isinstance(A2, TracerArray) else (A2 != 0)
        # row (i, l) <- rows (j, l) of B for j with A[i, j] != 0; B[j, l] at row j*p + l
        An = sp.csr_matrix(nzA)  # m x k
        G = sp.kron(An, sp.identity(p, dtype=bool, format="csr"), format="csr")  # (m p) x (k p)
        P = P + _widen(G @ B2.pattern, n)
    va, vb = _primal(A), _primal(B)
    value = None if va is None or vb is None else np.matmul(va, vb)
    out_shape = np.matmul(np.empty(sa), np.empty(sb)).shape
    return _wrap_out(TracerArray(value, _bool(P), out_shape, n))


def _diff(a, n=1, axis=-1):
    a = TracerArray.lift(a)
    for _ in range(n):
        hi = [slice(None)] * a.ndim
        lo = [slice(None)] * a.ndim
        hi[axis], lo[axis] = slice(1, None), slice(None, -1)
        a = a[tuple(hi)] - a[tuple(lo)]
    return a


def _where(cond, x, y):
    c = _primal(cond)
    if c is None:
        _no_primal("np.where")
    xs = TracerArray.lift(x) if isinstance(x, (Tracer, TracerArray)) else x
    ys = TracerArray.lift(y) if isinstance(y, (Tracer, TracerArray)) else y
    n = max([t.n_inputs for t in (xs, ys) if isinstance(t, TracerArray)] + [0])
    xs, ys = TracerArray.lift(xs, n), TracerArray.lift(ys, n)
    shape = np.broadcast_shapes(np.shape(c), xs.shape, ys.shape)
    cb = np.broadcast_to(c, shape).ravel()
    Px = _widen(xs.pattern, n)[np.broadcast_to(xs._index_map(), shape).ravel()]
    Py = _widen(ys.pattern, n)[np.broadcast_to(ys._index_map(), shape).ravel()]
    D = _sp().diags(cb.astype(float), format="csr")
    E = _sp().diags((~cb.astype(bool)).astype(float), format="csr")
    value = None if xs.value is None or ys.value is None else np.where(c, xs.value, ys.value)
    return TracerArray(value, _bool(D @ Px + E @ Py), shape, n)


ARRAY_FUNCTIONS: dict[str, Callable] = {
    "roll": _rearrange(np.roll),
    "reshape": _rearrange(np.reshape),
    "ravel": _rearrange(np.ravel),
    "transpose": _rearrange(np.transpose),
    "flip": _rearrange(np.flip),
    "moveaxis": _rearrange(np.moveaxis),
    "swapaxes": _rearrange(np.swapaxes),
    "broadcast_to": _rearrange(np.broadcast_to),
    "atleast_1d": _rearrange(np.atleast_1d),
    "expand_dims": _rearrange(np.expand_dims),
    "squeeze": _rearrange(np.squeeze),
    "concatenate": lambda arrays, axis=0: _concatenate(arrays, axis),
    "stack": lambda arrays, axis=0: _concatenate(arrays, axis, stack=True),
    "hstack": lambda arrays: _concatenate(arrays, 0 if TracerArray.lift(arrays[0]).ndim == 1
                                          else 1),
    "vstack": lambda arrays: _concatenate([TracerArray.lift(a).reshape(1, -1)
                                           if TracerArray.lift(a).ndim == 1 else a
                                           for a in arrays], 0),
    "sum": lambda a, axis=None, keepdims=False, **kw: _reduce(a, axis, keepdims, np.sum),
    "mean": lambda a, axis=None, keepdims=False, **kw: _reduce(a, axis, keepdims, np.mean),
    "prod": lambda a, axis=None, keepdims=False, **kw: _reduce(a, axis, keepdims, np.prod),
    "dot": _matmul,
    "matmul": _matmul,
    "diff": _diff,
    "where": _where,
    "copy": lambda a, **kw: a.copy(),
    "shape": lambda a: a.shape,
    "ndim": lambda a: a.ndim,
    "size": lambda a: a.size,
}


install_operators(Tracer, _make_unary, _make_binary)
install_operators(TracerArray, _make_unary, _make_binary)


# -- the user-facing pattern -----------------------------------------------------------
def trace_pattern(f: Callable, x: Any, *, mode: str = "local"):
    """Boolean CSR pattern of ``f`` at ``x`` (rows: flattened outputs, columns: inputs)."""
    if mode not in ("local", "global"):
        raise ValueError(f"mode must be 'local' (trace at x) or 'global' (no primal), got {mode!r}")
    if is_foreign(x):
        raise TypeError("jacobian_sparsity traces on the host (its tracers are NumPy object arrays, and the pattern is "
                        "SciPy CSR): trace at numeric.backend.to_host(x) with f written for NumPy arrays")
    x = np.asarray(x)
    if x.dtype.kind not in "fiub":
        raise TypeError(f"jacobian_sparsity needs a real float array input, got dtype {x.dtype}")
    x = x.astype(float)
    y = f(TracerArray.seed(x, local=(mode == "local")))
    if isinstance(y, (list, tuple)):
        y = np.asarray(y, dtype=object) if any(isinstance(e, (Tracer, TracerArray))
                                                 for e in y) else np.asarray(y)
    if isinstance(y, Tracer):
        y = TracerArray.lift(y, x.size)
    elif isinstance(y, np.ndarray):
        y = TracerArray.lift(y, x.size)
    if not isinstance(y, TracerArray):
        raise TypeError(f"the function must return a number or an array, got "
                        f"{type(y).__name__}")
    P = y.pattern
    if P.shape[1] < x.size:
        P = _widen(P, x.size)
    return _bool(P)
