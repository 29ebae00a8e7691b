"""Nonlinear and bilinear array functions, written once for every array number type.

The second half of the array-rule table (issue 10).  A NONLINEAR entry gives
the NumPy function and its *linearisation*: ``linearize(out, *primals, **kw)``
returns the linear map ``lin(*tangents)`` (a tangent is ``None`` for an operand
without derivative), written with NumPy operations that are linear in the
tangents (JAX's model).  From that one entry

* the JVP of ``DualArray`` is ``lin`` applied to each column of the partials,
  and ``MeasurementArray``'s the same on its components per source;
* the VJP on the reverse tape is the TRANSPOSE of ``lin``, obtained by running
  ``lin`` on a reverse-mode tangent and pulling the cotangent back (reverse mode
  of a linear map is its transpose) -- no second hand-written rule.

A BILINEAR entry (two operands, linear in each) is a composition of primitives
that every type already differentiates (reshape, moveaxis, multiplication,
matmul, indexing), so its JVP and VJP both come from those.  ``np.einsum``
(multilinear) is an entry of :mod:`numeric.arrayrules_multilinear`; its
transpose per operand is another einsum (:func:`einsum_transpose`, here).

``INDEX`` functions (argsort, argmax, ..., nonzero, searchsorted, iscomplexobj) return integers
or booleans, which carry no derivative: they act on the primal values, so ``x[np.argsort(x)]``
differentiates through the indexing.

Examples
--------
>>> import numpy as np, numeric as nm
>>> A = np.array([[2.0, 1.0], [1.0, 3.0]])
>>> g = nm.gradient(lambda a: np.linalg.det(a), A)
>>> bool(np.allclose(g, np.linalg.det(A) * np.linalg.inv(A).T))
True
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from numeric import xpcompat
from numeric.arrayrules import UnsupportedArrayFunction
from numeric.backend import device_of, is_foreign, matmul, namespace, reshape
from numeric.backend import reshape as _reshape

__all__ = ["NonlinearRule", "NONLINEAR", "BILINEAR", "INDEX", "dual_nonlinear_impl",
           "tape_nonlinear_ops", "index_impl", "einsum_transpose", "einsum_explicit"]


@dataclass(frozen=True)
class NonlinearRule:
    """A NumPy function, its differentiable operands and its linearisation.

    ``operands`` names the differentiable arguments (by NumPy's parameter
    names); every other argument must be a constant.  ``nout`` > 1 means the
    function returns a tuple (``eigh``, ``qr``, ...); ``lin`` then returns a
    tuple with ``None`` for an output with zero tangent.  ``samples`` are
    ``(shapes, kwargs)`` the generic test runs the entry on; ``make`` turns
    random arrays into valid operands (symmetric positive definite, sorted grid).
    """

    func: Callable
    operands: tuple
    linearize: Callable
    samples: tuple = field(default=())
    nout: int = 1
    make: Callable | None = None

    def bind(self, args: tuple, kwargs: dict) -> tuple:
        """(operands in declared order, remaining keyword arguments)."""
        b = inspect.signature(self.func).bind(*args, **kwargs).arguments
        ops = tuple(b.pop(n, None) for n in self.operands)
        b.update(b.pop("kwargs", {}))
        return ops, b

    def valid_operands(self, ops: tuple, kw: dict) -> tuple:
        """``(ops, kw)`` made valid by ``make`` (random arrays as SPD matrices, sorted grids, ...);
        ``make`` may return extra keyword arguments as its last item."""
        kw = dict(kw)
        if self.make is None:
            return tuple(ops), kw
        made = self.make(ops)
        if isinstance(made[-1], dict):
            kw.update(made[-1])
            made = made[:-1]
        return tuple(made), kw

    def call(self, ops: tuple, kw: dict) -> Any:
        if any(is_foreign(o) for o in ops):       # a device array: its namespace's function
            return namespace_call(self.func, ops, kw)
        named = {**dict(zip(self.operands, ops)), **kw}
        pos = []                      # positionally while possible: types' own rules differ in names
        for p in inspect.signature(self.func).parameters.values():
            if p.kind not in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) or p.name not in named:
                break
            pos.append(named.pop(p.name))
        return self.func(*pos, **named)


NONLINEAR: dict = {}
BILINEAR: dict = {}
# the entries whose function and linearisation run on arrays of any namespace (xp.linalg, xpcompat.XP):
# every entry today; a future entry written with NumPy only meets a device array with a TypeError saying so
ON_DEVICE = (np.linalg.inv, np.linalg.det, np.linalg.slogdet, np.linalg.solve, np.linalg.norm, np.linalg.cholesky,
             np.linalg.eigh, np.linalg.qr, np.linalg.svd, np.sort, np.var, np.std, np.interp)


def namespace_call(func: Callable, ops: tuple, kw: dict) -> Any:
    """``func(*ops, **kw)`` in the namespace of the device arrays among *ops*: a function of
    :data:`numeric.xpcompat.XP` by its array-API form (``sort``: ``xp.sort(..., stable=True)``,
    ``var`` / ``std`` with ``correction=ddof``); ``xp.linalg.inv``, ``det``, ``slogdet``, ``solve``;
    ``norm`` as the array API's ``vector_norm`` (vectors, ``axis=None`` of any array: the Frobenius
    norm) or ``matrix_norm``.

    Raises
    ------
    TypeError
        Where the namespace lacks the function (or the variant asked for).
    """
    xp = namespace(*ops)
    if func in xpcompat.XP:
        return xpcompat.XP[func](xp, *ops, **kw)
    name = func.__name__
    lin = getattr(xp, "linalg", None)
    if func is np.linalg.norm and lin is not None:
        x, (ordv, axis, keep) = ops[0], (kw.get("ord"), kw.get("axis"), bool(kw.get("keepdims", False)))
        if axis is None and (ordv is None or (x.ndim == 1 and not isinstance(ordv, str))):
            return lin.vector_norm(x, ord=2 if ordv is None else ordv, keepdims=keep)
        if isinstance(axis, int) or (isinstance(axis, tuple) and len(axis) == 1):
            return lin.vector_norm(x, ord=2 if ordv is None else ordv, axis=axis, keepdims=keep)
        if ordv in (None, "fro", "nuc", 2, -2, 1, -1, np.inf, -np.inf) and (x.ndim == 2 or axis is not None):
            return _matrix_norm_over(lin, x, "fro" if ordv is None else ordv, axis, keep)
    elif func is np.linalg.eigh and lin is not None and not (set(kw) - {"UPLO"}):
        # the matrix LAPACK sees when it reads one triangle, written out: the array API's eigh
        # has no UPLO (and need not read one triangle only)
        return lin.eigh(_lower_part(ops[0], kw.get("UPLO", "L") == "U"))
    elif func is np.linalg.svd and lin is not None and not kw.get("hermitian", False):
        if not kw.get("compute_uv", True):
            return lin.svdvals(ops[0])
        return lin.svd(ops[0], full_matrices=kw.get("full_matrices", True))
    elif lin is not None and hasattr(lin, name) and not (set(kw) - {"upper", "mode"}):
        return getattr(lin, name)(*ops, **kw)
    raise TypeError(f"numpy.linalg.{name}{' with ' + repr(kw) if kw else ''} has no implementation for arrays "
                    f"of {xp.__name__} (its linalg lacks it); use NumPy or CuPy arrays for it")


def _matrix_norm_over(lin: Any, x: Any, ordv: Any, axis: Any, keep: bool) -> Any:
    """``xp.linalg.matrix_norm`` over the two *axis* (the last two when None), NumPy's ``keepdims``."""
    nd = x.ndim
    src = (nd - 2, nd - 1) if axis is None else tuple(int(i) % nd for i in axis)
    perm = tuple(i for i in range(nd) if i not in src) + src
    out = lin.matrix_norm(namespace(x).permute_dims(x, perm), ord=ordv)
    if keep:
        out = reshape(out, tuple(1 if i in src else x.shape[i] for i in range(nd)))
    return out


def _permute(x: Any, perm: Any) -> Any:
    """``np.transpose(x, perm)`` for a tangent of any type (a device array: ``xp.permute_dims``)."""
    return namespace(x).permute_dims(x, tuple(perm)) if is_foreign(x) else np.transpose(x, perm)


def _sum(x: Any, axis: Any, keepdims: bool = False) -> Any:
    """``x.sum(axis)`` for a tangent of any type (array-API functions do not dispatch on a tracked one)."""
    if hasattr(x, "sum"):
        return x.sum(axis=axis, keepdims=keepdims) if keepdims else x.sum(axis=axis)
    return namespace(x).sum(x, axis=tuple(axis) if isinstance(axis, list) else axis, keepdims=keepdims)


def _xp(*xs: Any) -> Any:
    """The namespace of the device arrays among *xs*, NumPy otherwise (and for metanum types)."""
    return namespace(*xs) if any(is_foreign(x) for x in xs) else np
INDEX = (np.argsort, np.argmax, np.argmin, np.argpartition, np.nonzero, np.flatnonzero, np.argwhere,
         np.count_nonzero, np.searchsorted, np.iscomplexobj, np.isrealobj, np.iscomplex, np.isreal)
# entries that replace a type's own, narrower rule (DualArray's norm had the 2-norm only)
REPLACES = (np.linalg.norm, np.linalg.solve)
# (DualArray's solve refused nested duals, so no Hessian through solve)


def _nonlinear(func, operands=("a",), samples=(), nout=1, make=None):
    def deco(linearize):
        NONLINEAR[func] = NonlinearRule(func, tuple(operands), linearize, tuple(samples), nout, make)
        return linearize
    return deco


def index_impl(func: Callable) -> Callable:
    """An ``INDEX`` function for any number type: applied to the primal values."""
    def impl(*args, **kwargs):
        from numeric.protocol import value
        return func(*(value(a) for a in args), **kwargs)
    impl.__name__ = getattr(func, "__name__", "index")
    return impl


def _refuse(name: str, what: str) -> None:
    raise UnsupportedArrayFunction(f"{name}: {what} has no derivative rule; metanum will not guess "
                                   f"one (call it on nm.value(x) or declare nm.custom_rule)")


def _no_extras(name: str, rest: dict) -> None:
    for k, v in rest.items():
        if v is not None and k not in ("dtype",):
            _refuse(name, f"argument {k}={v!r}")


def _T(x):
    return namespace(x).matrix_transpose(x) if is_foreign(x) else np.swapaxes(x, -1, -2)


# ------------------------------------------------------------------ statistics

def _var_lin(a, axis, ddof, keepdims):
    a = np.asarray(a) if not hasattr(a, "shape") else a
    n = a.size if axis is None else int(np.prod([a.shape[i] for i in np.atleast_1d(axis)]))
    if is_foreign(a):               # the tangent on the left: a tracked one meets device operators
        axes = tuple(int(i) for i in np.atleast_1d(axis)) if axis is not None else None
        c = a - namespace(a).mean(a, axis=axes, keepdims=True)
        return lambda da: 2.0 * _sum(da * c, axes, bool(keepdims)) / (n - ddof)
    c = a - np.mean(a, axis=axis, keepdims=True)
    return lambda da: 2.0 * np.sum(c * da, axis=axis, keepdims=keepdims) / (n - ddof)


@_nonlinear(np.var, samples=[((5,), {}), ((3, 4), {"axis": 1, "ddof": 1}),
                             ((2, 3, 2), {"axis": (0, 2), "keepdims": True})])
def _var(out, a, axis=None, ddof=0, keepdims=False, **rest):
    _no_extras("numpy.var", rest)
    return _var_lin(a, axis, ddof, keepdims)


@_nonlinear(np.std, samples=[((5,), {}), ((3, 4), {"axis": 0, "ddof": 1}),
                             ((2, 3), {"axis": -1, "keepdims": True})])
def _std(out, a, axis=None, ddof=0, keepdims=False, **rest):
    _no_extras("numpy.std", rest)
    lv = _var_lin(a, axis, ddof, keepdims)
    half_inv = 0.5 * _inverse_or_zero(out)      # zero spread: the cusp convention of the norms
    return lambda da: lv(da) * half_inv


def _inverse_or_zero(d):
    """``1 / d``, and 0 where ``d == 0``: a zero standard deviation (the 2-norm of the
    deviations) takes the norms' cusp convention, see :func:`_subgradient_at_zero`."""
    zero = d == 0
    if is_foreign(d):               # decided on the device (no host read)
        xp = namespace(d)
        return xp.where(zero, xp.zeros_like(d), 1 / xp.where(zero, xp.ones_like(d), d))
    if is_foreign(_primal(d)):      # nested derivatives on a device: np.where dispatches to d's type
        return np.where(zero, 0.0 * d, 1 / np.where(zero, 1.0 + 0.0 * d, d))
    if not np.any(zero):
        return 1 / d
    return np.where(zero, 0.0, 1 / np.where(zero, 1.0, d))   # (ones: no 1/0 computed)


@_nonlinear(np.sort, samples=[((6,), {}), ((3, 4), {"axis": 0}), ((2, 3), {"axis": None})])
def _sort(out, a, axis=-1, kind=None, order=None, stable=None):
    if order is not None:
        _refuse("numpy.sort", "order= (structured arrays)")
    if is_foreign(_primal(a)):
        return _device_sort_lin(_primal(a), axis)
    av = np.asarray(_primal(a))
    if axis is None:
        perm = np.argsort(av, axis=None, kind="stable")
        return lambda da: np.reshape(da, (-1,))[perm]
    perm = np.argsort(av, axis=axis, kind="stable")
    idx = list(np.indices(av.shape, sparse=True))
    idx[axis % av.ndim] = perm
    return lambda da: da[tuple(idx)]


def _device_sort_lin(a, axis):
    """The tangent gathered by the primal's stable ``argsort`` on the device (ties: NumPy's order);
    a tracked tangent records ``np.take_along_axis``, whose transpose adds back along the same map."""
    xp = namespace(a)
    take = xpcompat.on_any(np.take_along_axis)
    if axis is None:
        perm = xp.argsort(xp.reshape(a, (-1,)), stable=True)
        return lambda da: take(_reshape(da, (-1,)), perm, axis=0)
    axis = int(axis) % a.ndim
    perm = xp.argsort(a, axis=axis, stable=True)
    return lambda da: take(da, perm, axis=axis)


def _primal(x):
    while hasattr(x, "value") and not isinstance(x, np.ndarray):
        x = x.value
    return x


# ---------------------------------------------------------------- linear algebra

def _spd(xs):
    a = xs[0]
    return (a @ _T(a) + a.shape[-1] * np.eye(a.shape[-1]),) + tuple(xs[1:])


def _sym(xs):
    a = xs[0]
    return ((a + _T(a)) / 2,) + tuple(xs[1:])


def _well(xs):
    a = xs[0]
    return (a + 3 * np.eye(a.shape[-1]),) + tuple(xs[1:])


@_nonlinear(np.linalg.inv, samples=[(((3, 3),), {}), (((2, 2, 2),), {})], make=_well)
def _inv(out, a):
    return lambda da: -matmul(matmul(out, da), out)     # nm.matmul: da may be tracked, out a device array


@_nonlinear(np.linalg.det, samples=[(((3, 3),), {}), (((2, 2, 2),), {})], make=_well)
def _det(out, a):
    xp = _xp(a)
    w = _T(xp.linalg.inv(a)) * xp.reshape(out, tuple(np.shape(out)) + (1, 1))
    return lambda da: _sum(da * w, (-2, -1))      # the tangent on the left (device operators)


@_nonlinear(np.linalg.slogdet, samples=[(((3, 3),), {}), (((2, 2, 2),), {})], nout=2, make=_well)
def _slogdet(out, a):
    xp = _xp(a)
    w = _T(xp.linalg.inv(a))
    return lambda da: (None, _sum(da * w, (-2, -1)))


@_nonlinear(np.linalg.solve, operands=("a", "b"), make=_well,
            samples=[(((3, 3), (3,)), {}), (((3, 3), (3, 2)), {})])
def _solve(out, a, b):
    ainv = _xp(a).linalg.inv(a)      # not solve(a, .): the transpose would recurse into this entry

    def lin(da, db):
        r = 0.0 if db is None else db
        if da is not None:
            r = r - (da @ out)
        return matmul(ainv, r)
    return lin


def _const(like: Any, c: np.ndarray) -> Any:
    """The host constant *c* (a mask, an identity) next to *like*: on its device when it has one."""
    if is_foreign(like):
        return namespace(like).asarray(c, dtype=like.dtype, device=device_of(like))
    return c


def _lower_part(da, upper=False, like=None):
    """The symmetric matrix LAPACK sees when it reads only one triangle of *da*."""
    n = np.shape(da)[-1]
    strict = np.tril(np.ones((n, n)), -1)
    if upper:
        strict = strict.T
    ref = da if like is None else like
    return da * _const(ref, strict + np.eye(n)) + _T(da * _const(ref, strict))


@_nonlinear(np.linalg.cholesky, samples=[(((3, 3),), {})], make=_spd)
def _cholesky(out, a, upper=False):
    n = np.shape(out)[-1]
    phi = _const(out, np.tril(np.ones((n, n)), -1) + 0.5 * np.eye(n))
    if upper:                       # A = U^T U with U = L^T
        lin_l = _cholesky(_T(out), a)
        return lambda da: _T(lin_l(_T(da)))
    linv = _xp(out).linalg.inv(out)

    def lin(da):                    # the tangent on the left or through nm.matmul (device operators)
        s = _lower_part(da, like=out)
        return matmul(out, matmul(matmul(linv, s), _T(linv)) * phi)
    return lin


def _inverse_gaps(gap, n):
    """``1 / gap`` off the diagonal, 0 on it, and nan where two eigen/singular values coincide.

    At a repeated eigenvalue of ``eigh`` (or singular value of ``svd``) the eigenvectors of
    the repeated one are any orthonormal basis of its eigenspace: they have no derivative
    there, so their tangent is nan (every mode: forward, reverse, measurements), never an
    arbitrary finite number; a reverse sweep whose cotangent does not reach them stays finite
    (the tape's NaN-safe product). The values' own tangent ``diag(V^T dA V)`` stays finite:
    the derivative of any symmetric function of a repeated cluster (its sum, the trace) and,
    for one eigenvalue of a cluster, an element of its generalized gradient in LAPACK's basis
    (as JAX and PyTorch). docs/decisions.md, "Degenerate points".
    """
    if is_foreign(gap):             # the same on the device
        xp, eye = namespace(gap), _const(gap, np.eye(n))
        f = (1.0 - eye) / (gap + eye)
        return xp.where((gap == 0) & (eye == 0), xp.asarray(np.nan, dtype=gap.dtype, device=device_of(gap)), f)
    eye = np.eye(n)
    with np.errstate(divide="ignore", invalid="ignore"):
        f = (1.0 - eye) / (gap + eye)
    return np.where((gap == 0) & (eye == 0), np.nan, f)


@_nonlinear(np.linalg.eigh, samples=[(((3, 3),), {}), (((4, 4),), {"UPLO": "U"})], nout=2,
            make=_sym)
def _eigh(out, a, UPLO="L"):
    w, v = out
    n = np.shape(w)[-1]
    f = _inverse_gaps(w[..., None, :] - w[..., :, None], n)   # 1 / (w_j - w_i) off the diagonal

    eye = _const(v, np.eye(n))

    def lin(da):                    # the tangent on the left or through nm.matmul (device operators)
        p = matmul(matmul(_T(v), _lower_part(da, UPLO == "U", like=v)), v)
        return _sum(p * eye, -1), matmul(v, p * f)
    return lin


@_nonlinear(np.linalg.qr, samples=[(((3, 3),), {}), (((4, 2),), {})], nout=2)
def _qr(out, a, mode="reduced"):
    if mode != "reduced":
        _refuse("numpy.linalg.qr", f"mode={mode!r} (only 'reduced')")
    q, r = out
    if np.shape(a)[-2] < np.shape(a)[-1]:
        _refuse("numpy.linalg.qr", "a wide matrix (more columns than rows)")
    rinv = _xp(r).linalg.inv(r)
    n = np.shape(r)[-1]
    low = _const(r, np.tril(np.ones((n, n)), -1))

    def lin(da):                    # the tangent on the left or through nm.matmul (device operators)
        dar = da @ rinv
        x = matmul(_T(q), dar)
        om = x * low - _T(x * low)
        return dar - matmul(q, x - om), (x - om) @ r
    return lin


@_nonlinear(np.linalg.svd, samples=[(((3, 3),), {"full_matrices": False}),
                                    (((4, 2),), {"full_matrices": False}),
                                    (((3, 2),), {"compute_uv": False}),
                                    (((2, 4),), {"full_matrices": False}),
                                    (((2, 3),), {"compute_uv": False})], nout=3)
def _svd(out, a, full_matrices=True, compute_uv=True, hermitian=False):
    m, n = np.shape(a)[-2:]
    if m < n and not hermitian and not (compute_uv and full_matrices):   # A^T = V S U^T
        t = (_T(out[2]), out[1], _T(out[0])) if compute_uv else out
        lin_t = _svd(t, _T(a), full_matrices=False, compute_uv=compute_uv)
        if not compute_uv:
            return lambda da: lin_t(_T(da))
        return lambda da: (lambda r: (_T(r[2]), r[1], _T(r[0])))(lin_t(_T(da)))
    if hermitian or m < n or (compute_uv and full_matrices and m != n):
        _refuse("numpy.linalg.svd", "hermitian=True, a wide matrix or full_matrices=True for a "
                "non-square one (use full_matrices=False)")
    xp = _xp(a)
    eye = _const(a, np.eye(n))
    if not compute_uv:
        u, s, vh = xp.linalg.svd(a, full_matrices=False)
        return lambda da: _sum(matmul(matmul(_T(u), da), _T(vh)) * eye, -1)
    u, s, vh = out
    v = _T(vh)
    s2 = s * s
    f = _inverse_gaps(s2[..., None, :] - s2[..., :, None], n)
    with np.errstate(divide="ignore"):   # a zero singular value: its u column has no derivative
        inv_s = xp.where(s == 0, _const(s, np.nan), 1.0 / s)
    sm, si = s[..., None, :] * eye, inv_s[..., None, :] * eye

    def lin(da):                    # the tangent on the left or through nm.matmul (device operators)
        p = matmul(matmul(_T(u), da), v)
        du = matmul(u, (p @ sm + matmul(sm, _T(p))) * f) + (da @ v - matmul(u, p)) @ si
        dv = matmul(v, (matmul(sm, p) + _T(p) @ sm) * f)
        return du, _sum(p * eye, -1), _T(dv)
    return lin


def _svd_nout(out):
    return 3 if isinstance(out, tuple) else 1


# ----------------------------------------------------------------------- norms

def _onehot(score, axis):
    """1 at the first maximum of *score* along *axis*, 0 elsewhere (in *score*'s namespace)."""
    if is_foreign(score):           # no put_along_axis in the array API: compare with the positions
        xp, axis = namespace(score), axis % score.ndim
        at = tuple(score.shape[i] if i == axis else 1 for i in range(score.ndim))
        pos = xp.reshape(xp.arange(score.shape[axis], device=device_of(score)), at)
        return xp.astype(pos == xp.argmax(score, axis=axis, keepdims=True), score.dtype)
    m = np.zeros(score.shape)
    np.put_along_axis(m, np.expand_dims(np.argmax(score, axis=axis), axis), 1.0, axis)
    return m


def _vector_norm_weights(x, ordv, axis, out):
    """w with d||x|| = sum(w * dx, axis) for a vector norm along *axis* (in *x*'s namespace)."""
    xp = _xp(x)
    ob = xp.expand_dims(out, axis=axis)
    ax = xp.abs(x)
    with np.errstate(divide="ignore", invalid="ignore"):   # a zero norm: masked below
        if ordv is None or ordv == 2:
            w = x / ob
        elif ordv == 1:
            w = xp.sign(x)
        elif ordv == np.inf:
            w = xp.sign(x) * _onehot(ax, axis)
        elif ordv == -np.inf:
            w = xp.sign(x) * _onehot(-ax, axis)
        elif ordv == 0:
            w = xp.zeros_like(x) if xp is not np else np.zeros(x.shape)
        else:
            w = xp.sign(x) * (ax / ob) ** (ordv - 1)
    return _subgradient_at_zero(w, ob)


def _matrix_norm_weights(x, ordv, out):
    """w with d||x|| = sum(w * dx, (-2, -1)) for a matrix norm of the last two axes (in *x*'s namespace)."""
    xp = _xp(x)
    ax = xp.abs(x)
    ob = xp.reshape(out, tuple(np.shape(out)) + (1, 1))
    if ordv in (None, "fro"):
        with np.errstate(divide="ignore", invalid="ignore"):
            w = x / ob
    elif ordv in (2, -2, "nuc"):
        u, s, vh = xp.linalg.svd(x, full_matrices=False)
        k = 0 if ordv == 2 else -1
        w = u @ vh if ordv == "nuc" else \
            u[..., :, k:k + 1 if k == 0 else None] @ vh[..., k:k + 1 if k == 0 else None, :]
    elif ordv in (1, -1):             # max/min column sum
        cols = xp.sum(ax, axis=-2, keepdims=True)
        w = xp.sign(x) * _onehot(cols if ordv == 1 else -cols, -1)
    elif ordv in (np.inf, -np.inf):   # max/min row sum
        rows = xp.sum(ax, axis=-1, keepdims=True)
        w = xp.sign(x) * _onehot(rows if ordv == np.inf else -rows, -2)
    else:
        _refuse("numpy.linalg.norm", f"matrix ord={ordv!r}")
    return _subgradient_at_zero(w, ob)


def _subgradient_at_zero(w, ob):
    """The weights *w*, with 0 where the norm *ob* is 0.

    A norm is not differentiable where it is 0 (``||t dx|| = |t| ||dx||``): x/||x|| is
    0/0 there and the SVD's singular vectors are arbitrary. The AD types take the
    minimum-norm subgradient 0 (a zero norm is a minimum, so 0 is a subgradient), as
    ``abs'(0) = 0`` in numeric/rules.py; the convention of PyTorch's ``linalg.norm``.
    A measurement refuses a linear part there instead (nan components,
    numeric/measurement/array.py), since 0 ± 0 would hide a real spread.
    """
    zero = ob == 0
    if is_foreign(w):               # decided on the device (no transfer)
        return namespace(w).where(zero, namespace(w).zeros_like(w), w)
    return w if not np.any(zero) else np.where(zero, 0.0, w)


@_nonlinear(np.linalg.norm, operands=("x",),
            samples=[((5,), {}), ((5,), {"ord": 1}), ((5,), {"ord": np.inf}),
                     ((5,), {"ord": -np.inf}), ((5,), {"ord": 3}), ((5,), {"ord": 0.5}),
                     ((3, 4), {"axis": 1, "keepdims": True}), ((3, 4), {"ord": 1, "axis": 0}),
                     ((3, 4), {}), ((3, 4), {"ord": "fro"}), ((3, 4), {"ord": "nuc"}),
                     ((3, 4), {"ord": 1}), ((3, 4), {"ord": -1}), ((3, 4), {"ord": 2}),
                     ((3, 4), {"ord": -2}), ((3, 4), {"ord": np.inf}),
                     ((2, 3, 4), {"ord": -np.inf, "axis": (2, 1), "keepdims": True}),
                     ((2, 3, 2), {})])
def _norm(out, x, ord=None, axis=None, keepdims=False):
    xv = x
    nd = np.ndim(x)
    if is_foreign(x):
        return _device_norm(out, x, ord, axis)
    if axis is None and (nd == 1 or (ord is None and nd != 2)):
        flat = np.reshape(xv, (-1,))
        w = np.reshape(_vector_norm_weights(flat, ord, 0, np.reshape(out, ())), np.shape(x))
        return lambda dx: np.reshape(np.sum(w * dx), np.shape(out))
    axes = (nd - 2, nd - 1) if axis is None else axis
    if isinstance(axes, (int, np.integer)) or len(axes) == 1:
        a = int(np.atleast_1d(axes)[0]) % nd
        o = np.sum(np.zeros(np.shape(x)), axis=a) + np.reshape(out, np.shape(np.sum(
            np.zeros(np.shape(x)), axis=a)))
        w = _vector_norm_weights(xv, ord, a, o)
        return lambda dx: np.reshape(np.sum(w * dx, axis=a), np.shape(out))
    src = tuple(int(i) % nd for i in axes)
    perm = [i for i in range(nd) if i not in src] + list(src)
    xm = np.transpose(xv, perm)
    om = np.linalg.norm(xm, ord=ord, axis=(-2, -1))
    w = _matrix_norm_weights(xm, ord, om)
    return lambda dx: np.reshape(np.sum(w * np.transpose(dx, perm), axis=(-2, -1)),
                                 np.shape(out))


def _device_norm(out, x, ordv, axis):
    """The linearisation of a norm of a device array, in x's namespace: the 2-norm (a vector's,
    or the Frobenius norm) by the weights x / ||x||, every other vector or matrix norm by the
    same weights as on NumPy (:func:`_vector_norm_weights`, :func:`_matrix_norm_weights`: signs,
    one-hot maxima by comparison with the positions, the SVD's singular vectors); 0 where the
    norm is 0, decided on the device."""
    if not (ordv in (None, 2, "fro") and (axis is None or isinstance(axis, int))) or (ordv == 2 and x.ndim != 1
                                                                                  and axis is None):
        return _device_general_norm(out, x, ordv, axis)
    xp = namespace(x)
    ob = out if axis is None else xp.expand_dims(out if out.ndim < x.ndim else xp.squeeze(out, axis=axis), axis=axis)
    zero = ob == 0
    w = xp.where(zero, xp.zeros_like(x), x / xp.where(zero, xp.ones_like(ob), ob))
    if axis is None:
        return lambda dx: _sum(dx * w, None) if not out.ndim else reshape(_sum(dx * w, None), tuple(out.shape))
    return lambda dx: reshape(_sum(dx * w, axis), tuple(out.shape))


def _device_general_norm(out, x, ordv, axis):
    xp, nd = namespace(x), x.ndim
    shape = tuple(out.shape)

    def reshape(v, shape):          # a scalar (a tracked one has no reshape) stays a scalar
        return v if not shape else _reshape(v, shape)
    if isinstance(axis, tuple) and len(axis) == 1:
        axis = axis[0]
    if axis is None and nd == 1:
        w = _vector_norm_weights(x, ordv, 0, xp.reshape(out, ()))
        return lambda dx: reshape(_sum(dx * w, None), shape)
    if isinstance(axis, (int, np.integer)):
        a = int(axis) % nd
        o = out if out.ndim < nd else xp.squeeze(out, axis=a)
        w = _vector_norm_weights(x, ordv, a, o)
        return lambda dx: reshape(_sum(dx * w, a), shape)
    src = (nd - 2, nd - 1) if axis is None else tuple(int(i) % nd for i in axis)
    perm = [i for i in range(nd) if i not in src] + list(src)
    xm = xp.permute_dims(x, tuple(perm))
    w = _matrix_norm_weights(xm, ordv, xp.linalg.matrix_norm(xm, ord="fro" if ordv is None else ordv))
    return lambda dx: reshape(_sum(_permute(dx, perm) * w, (-2, -1)), shape)


# --------------------------------------------------------------------- interp

def _grid(xs):
    x, fp = xs
    xp = np.linspace(-1.5, 1.5, np.shape(fp)[0])
    return np.clip(x, -1.45, 1.45), fp, {"xp": xp}


@_nonlinear(np.interp, operands=("x", "fp"), samples=[(((4,), (6,)), {})], make=_grid)
def _interp(out, x, fp, xp, left=None, right=None, period=None):
    if period is not None:
        _refuse("numpy.interp", "period=")
    if hasattr(xp, "partials") or hasattr(xp, "tape") or hasattr(xp, "_nm_order"):
        _refuse("numpy.interp", "a derivative with respect to xp (the grid)")
    if _tracked_arg(x) or _tracked_arg(fp):     # nested derivatives (a Hessian), host or device
        return _interp_lin_traced(x, fp, xp, left, right)
    if is_foreign(x) or is_foreign(fp):
        return _device_interp_lin(x, fp, xp, left, right)
    xv = np.asarray(_primal(x))
    xpv = np.asarray(xp, dtype=float)
    n = xpv.shape[0]
    eye = np.eye(n)
    cols = [np.interp(xv, xpv, eye[k], left=None if left is None else 0.0,
                      right=None if right is None else 0.0) for k in range(n)]
    w = np.stack(cols, axis=-1)                       # out = w @ fp
    j = np.clip(np.searchsorted(xpv, xv, side="right") - 1, 0, n - 2)
    inside = (xv >= xpv[0]) & (xv <= xpv[-1])
    slope = (fp[j + 1] - fp[j]) / (xpv[j + 1] - xpv[j]) * inside

    def lin(dx, dfp):
        r = 0.0
        if dfp is not None:
            r = w @ dfp
        if dx is not None:
            r = r + slope * dx
        return r
    return lin


def _interp_lin_traced(x, fp, grid, left, right):
    """The linearisation of ``np.interp`` where *x* or *fp* carry derivatives themselves (nested
    types, host or device): the weights ``1 - t``, ``t`` are computed from *x* and the slope from *fp*
    through NumPy's dispatch, so both keep their derivatives (the weights of the first-order rule
    are constants of the primal, which would drop the x-derivative of the fp-tangent's weight)."""
    xv = _primal(x)
    dev = is_foreign(xv) or is_foreign(_primal(fp))
    ns = namespace(xv if is_foreign(xv) else _primal(fp)) if dev else np
    like = xv if is_foreign(xv) else _primal(fp)
    grid = xpcompat.on_device_of(ns, grid, like) if dev else np.asarray(grid, dtype=float)
    if dev and not is_foreign(xv):
        x = xv = xpcompat.on_device_of(ns, xv, like)
    if dev and not _tracked_arg(fp) and not is_foreign(fp):
        fp = xpcompat.on_device_of(ns, fp, like)
    n, shape = grid.shape[0], tuple(np.shape(xv))
    j = ns.reshape(ns.clip(ns.searchsorted(grid, ns.reshape(xv, (-1,)), side="right") - 1, 0, max(n - 2, 0)), shape)
    j1 = ns.reshape(ns.clip(ns.reshape(j, (-1,)) + 1, 0, n - 1), shape)
    x0, x1 = grid[j], grid[j1]
    width = ns.where(x1 == x0, ns.ones_like(x1), x1 - x0)       # one grid point: t = 0 below
    below, above = xv < grid[0], xv > grid[n - 1]
    t = (x - x0) * (1.0 / width) if n > 1 else 0.0 * x
    def where(mask, a, b):          # NumPy's dispatch for a derivative-carrying branch, else ns's
        return np.where(mask, a, b) if ns is np or _tracked_arg(a) or _tracked_arg(b) else ns.where(mask, a, b)
    w0 = where(below, 1.0 if left is None else 0.0, where(above, 0.0, 1.0 - t))
    w1 = where(above, 1.0 if right is None else 0.0, where(below, 0.0, t))
    slope = where(below | above, 0.0, (fp[j1] - fp[j]) * (1.0 / width))

    def lin(dx, dfp):
        terms = ([] if dfp is None else [_mul(dfp[j], w0), _mul(dfp[j1], w1)]) + \
            ([] if dx is None else [_mul(dx, slope)])
        r = terms[0] if terms else 0.0
        for term in terms[1:]:
            r = term + r if is_foreign(r) else r + term
        return r
    return lin


def _mul(a, b):
    """``a * b`` with a metanum array on the left (a device array's operators refuse it on the right)."""
    return b * a if is_foreign(a) else a * b


def _device_interp_lin(x, fp, grid, left, right):
    """The linearisation of ``np.interp`` on a device, the NumPy rule's: in fp the weights
    ``1 - t`` and ``t`` of the interval's two grid values (``fp[0]`` / ``fp[-1]`` outside, or 0 where
    *left* / *right* replace them); in x the interval's slope inside the grid, 0 outside. The fp
    tangent is gathered along axis 0 by the interval indices (``np.take_along_axis``: a tracked
    tangent records it, and reverse mode adds back along the same indices)."""
    like = fp if is_foreign(fp) else x
    ns = namespace(like)
    x, fp, grid = (xpcompat.on_device_of(ns, v, like) for v in (x, fp, grid))
    n, shape = grid.shape[0], tuple(x.shape)
    j, t, slope = xpcompat.interp_bracket(ns, x, grid, fp)
    below, above = x < grid[0], x > grid[n - 1]
    zero, one = ns.zeros_like(t), ns.ones_like(t)          # (one grid point: t = 0, j = j1 = 0)
    w0 = ns.where(below, one if left is None else zero, ns.where(above, zero, 1.0 - t))
    w1 = ns.where(above, one if right is None else zero, ns.where(below, zero, t))
    slope = ns.where(below | above, zero, slope)
    take = xpcompat.on_any(np.take_along_axis)
    j1 = ns.minimum(j + 1, ns.asarray(n - 1, dtype=j.dtype, device=device_of(j)))

    def lin(dx, dfp):
        r = 0.0
        if dfp is not None:
            r = _reshape(take(dfp, j, axis=0), shape) * w0 + _reshape(take(dfp, j1, axis=0), shape) * w1
        if dx is not None:
            r = r + dx * slope
        return r
    return lin


# ------------------------------------------------------------- bilinear (compositions)

def _bilinear(func, samples):
    def deco(impl):
        BILINEAR[func] = NonlinearRule(func, ("a", "b"), impl, tuple(samples))
        return impl
    return deco


@_bilinear(np.outer, [(((3,), (4,)), {}), (((2, 2), (3,)), {})])
def outer(a, b, out=None):
    """``np.outer``: ``ravel(a)[:, None] * ravel(b)[None, :]``."""
    return np.reshape(a, (-1, 1)) * np.reshape(b, (1, -1))


@_bilinear(np.kron, [(((2,), (3,)), {}), (((2, 2), (3, 2)), {}), (((2,), (2, 3)), {})])
def kron(a, b):
    """``np.kron``: an interleaved broadcast product, reshaped."""
    sa, sb = np.shape(a), np.shape(b)
    nd = max(len(sa), len(sb))
    sa, sb = (1,) * (nd - len(sa)) + sa, (1,) * (nd - len(sb)) + sb
    ea = np.reshape(a, tuple(d for s in sa for d in (s, 1)))
    eb = np.reshape(b, tuple(d for s in sb for d in (1, s)))
    return np.reshape(ea * eb, tuple(x * y for x, y in zip(sa, sb)))


@_bilinear(np.cross, [(((3,), (3,)), {}), (((4, 3), (4, 3)), {}), (((2,), (2,)), {}),
                      (((3, 2), (2, 3)), {"axisa": 0, "axisc": 0})])
def cross(a, b, axisa=-1, axisb=-1, axisc=-1, axis=None):
    """``np.cross`` of 2- or 3-vectors along the given axes."""
    if axis is not None:
        axisa = axisb = axisc = axis
    a, b = np.moveaxis(a, axisa, -1), np.moveaxis(b, axisb, -1)
    na, nb = np.shape(a)[-1], np.shape(b)[-1]
    if {na, nb} - {2, 3}:
        raise ValueError("incompatible dimensions for cross product (dimension must be 2 or 3)")
    def e(x, i):                     # component i, kept as an array (never a scalar Dual)
        return x[..., i:i + 1]
    if na == 2 and nb == 2:
        return np.sum(e(a, 0) * e(b, 1) - e(a, 1) * e(b, 0), axis=-1)
    if na == 2 or nb == 2:
        _refuse("numpy.cross", "a 2-vector crossed with a 3-vector")
    c = np.concatenate([e(a, 1) * e(b, 2) - e(a, 2) * e(b, 1),
                        e(a, 2) * e(b, 0) - e(a, 0) * e(b, 2),
                        e(a, 0) * e(b, 1) - e(a, 1) * e(b, 0)], axis=-1)
    return np.moveaxis(c, -1, axisc)


_MODES = ("full", "same", "valid")


def _check_1d(name, a, v, mode):
    if mode not in _MODES:
        raise ValueError(f"numpy.{name}: mode must be one of {_MODES}, got {mode!r}")
    if np.ndim(a) != 1 or np.ndim(v) != 1:
        raise ValueError(f"numpy.{name} takes 1-D arrays, got shapes {np.shape(a)} and {np.shape(v)}")
    if not (np.shape(a)[0] and np.shape(v)[0]):
        raise ValueError(f"numpy.{name}: the arrays must not be empty")


@_bilinear(np.convolve, [(((5,), (3,)), {}), (((3,), (5,)), {"mode": "same"}), (((6,), (2,)), {"mode": "valid"}),
                         (((4,), (4,)), {"mode": "same"})])
def convolve(a, v, mode="full"):
    """``np.convolve``: the longer array, shifted by ``np.pad``, times each tap of the shorter one,
    summed; then NumPy's slice of the full result for *mode* (``same`` centred, as NumPy)."""
    _check_1d("convolve", a, v, mode)
    n, m = np.shape(a)[0], np.shape(v)[0]
    big, small = (a, v) if n >= m else (v, a)
    L, S = max(n, m), min(n, m)
    full = small[0] * np.pad(big, (0, S - 1))
    for i in range(1, S):
        full = full + small[i] * np.pad(big, (i, S - 1 - i))
    start, length = {"full": (0, L + S - 1), "same": ((S - 1) // 2, L), "valid": (S - 1, L - S + 1)}[mode]
    return full[start:start + length]


@_bilinear(np.correlate, [(((5,), (3,)), {}), (((3,), (5,)), {"mode": "same"}), (((4,), (6,)), {"mode": "full"})])
def correlate(a, v, mode="valid"):
    """``np.correlate``: ``convolve(a, conj(v[::-1]))``; for a shorter *a*, NumPy's swap (the result
    of the swapped call, reversed and conjugated)."""
    _check_1d("correlate", a, v, mode)
    if np.shape(a)[0] < np.shape(v)[0]:
        return np.conj(correlate(v, a, mode)[::-1])
    return convolve(a, np.conj(v[::-1]), mode)


@_bilinear(np.tensordot, [(((2, 3, 4), (3, 4, 2)), {"axes": 2}),
                          (((2, 3), (3, 4)), {"axes": 1}), (((2, 3), (4, 2)), {"axes": ([0], [1])}),
                          (((2,), (3,)), {"axes": 0})])
def tensordot(a, b, axes=2):
    """``np.tensordot``: move the contracted axes together and ``matmul``."""
    na, nb = np.ndim(a), np.ndim(b)
    if isinstance(axes, (int, np.integer)):
        ax_a, ax_b = list(range(na - axes, na)), list(range(axes))
    else:
        ax_a, ax_b = [list(np.atleast_1d(t)) for t in axes]
    ax_a, ax_b = [int(i) % na for i in ax_a], [int(i) % nb for i in ax_b]
    free_a = [i for i in range(na) if i not in ax_a]
    free_b = [i for i in range(nb) if i not in ax_b]
    sa, sb = np.shape(a), np.shape(b)
    k = int(np.prod([sa[i] for i in ax_a]))
    a2 = np.reshape(np.transpose(a, free_a + ax_a), (-1, k))
    b2 = np.reshape(np.transpose(b, ax_b + free_b), (k, -1))
    return np.reshape(a2 @ b2, tuple(sa[i] for i in free_a) + tuple(sb[i] for i in free_b))


# ---------------------------------------------------------------- einsum transpose

def _einsum_parse(subscripts: str, nops: int, ndims: tuple | None = None) -> tuple:
    """``(input subscripts, output subscripts)`` with the output explicit and '...' expanded.

    >>> _einsum_parse("...i,...i", 2, (3, 2))
    (['ABi', 'Bi'], 'AB')
    """
    s = subscripts.replace(" ", "")
    ins, arrow, out = s.partition("->")
    ins = ins.split(",")
    if len(ins) != nops:
        raise ValueError(f"np.einsum: {len(ins)} subscripts for {nops} operands")
    if "." in s:
        ins, out = _expand_ellipsis(ins, out if arrow else None, ndims)
    elif not arrow:
        letters = "".join(ins)
        out = "".join(sorted(c for c in set(letters) if letters.count(c) == 1))
    return ins, out


def _expand_ellipsis(ins: list, out: str | None, ndims: tuple | None) -> tuple:
    """'...' replaced by fresh letters, right-aligned as NumPy broadcasts them."""
    if ndims is None:
        raise UnsupportedArrayFunction("numpy.einsum with '...': the operands' shapes are needed")
    used = {c for t in ins + [out or ""] for c in t if c.isalpha()}
    free = [c for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ" if c not in used]
    counts = [nd - (len(t) - 3) for t, nd in zip(ins, ndims) if "..." in t]
    n = max(counts + [0])
    if n > len(free):
        raise UnsupportedArrayFunction("numpy.einsum with '...' over too many axes")
    ell = "".join(free[:n])
    new = [t.replace("...", ell[n - (nd - (len(t) - 3)):] if nd - (len(t) - 3) else "")
           if "..." in t else t for t, nd in zip(ins, ndims)]
    if out is None:                           # implicit output: '...' axes, then single letters
        letters = "".join(t.replace("...", "") for t in ins)
        out = ell + "".join(sorted(c for c in set(letters) if letters.count(c) == 1))
    else:
        out = out.replace("...", ell)
    return new, out


def einsum_explicit(subscripts: str, operands: tuple) -> str:
    """*subscripts* with '...' expanded and the output written out (``"ij,jk->ik"``).

    >>> import numpy as np
    >>> einsum_explicit("...ij,...jk", (np.ones((2, 3, 4)), np.ones((4, 5))))
    'Aij,jk->Aik'
    """
    ins, out = _einsum_parse(subscripts, len(operands), tuple(np.ndim(o) for o in operands))
    return ",".join(ins) + "->" + out


def einsum_transpose(subscripts: str, g: Any, operands: tuple, i: int, shape: tuple) -> Any:
    """The cotangent of operand *i* of ``np.einsum(subscripts, *operands)`` for output cotangent *g*.

    Examples
    --------
    >>> import numpy as np
    >>> a, b = np.ones((2, 3)), np.arange(3.0)
    >>> einsum_transpose("ij,j->i", np.array([1.0, 2.0]), (a, b), 0, (2, 3)).tolist()
    [[0.0, 1.0, 2.0], [0.0, 2.0, 4.0]]
    """
    ins, out = _einsum_parse(subscripts, len(operands), tuple(
        len(shape) if j == i else np.ndim(o) for j, o in enumerate(operands)))
    mine = ins[i]
    if len(set(mine)) != len(mine):
        raise UnsupportedArrayFunction(f"numpy.einsum: reverse mode of a repeated index in one "
                                       f"operand ({mine!r}) is not supported; take np.diagonal first")
    have = set(out) | {c for j, s in enumerate(ins) if j != i for c in s}
    kept = "".join(c for c in mine if c in have)
    others = [(s, o) for j, (s, o) in enumerate(zip(ins, operands)) if j != i]
    subs = ",".join([out] + [s for s, _ in others]) + "->" + kept
    r = xpcompat.einsum(subs, g, *[o for _, o in others])
    if kept != mine:                         # indices summed inside operand i only: broadcast
        r = _expand_to(r, kept, mine, shape)
    return r


def _expand_to(r, kept, mine, shape):
    if is_foreign(r):               # the same on the device
        r = _reshape(r, tuple(shape[k] if c in kept else 1 for k, c in enumerate(mine)))
        return r + namespace(r).zeros(tuple(shape), dtype=r.dtype, device=device_of(r))
    r = np.reshape(r, tuple(shape[k] if c in kept else 1 for k, c in enumerate(mine)))
    return r + np.zeros(shape)


# ----------------------------------------------------------------- adapters for the types

def _tracked_arg(v: Any) -> bool:
    return hasattr(v, "partials") or hasattr(v, "tape") or hasattr(v, "_nm_order")


def _check_constants(rule: NonlinearRule, kw: dict) -> None:
    for k, v in kw.items():
        if _tracked_arg(v) or (isinstance(v, (list, tuple)) and any(_tracked_arg(e) for e in v)):
            _refuse(getattr(rule.func, "__name__", "?"), f"a derivative with respect to {k}=")


def _components(rule: NonlinearRule, out: Any) -> int:
    if rule.func is np.linalg.svd:
        return _svd_nout(out)
    return rule.nout


def dual_nonlinear_impl(rule: NonlinearRule, wrap: Callable, parts: Callable, tagof: Callable
                        ) -> Callable:
    """The JVP of *rule* for a "value + partials with a trailing axis" type.

    ``parts(x, tag)`` gives ``(value, partials or None)``, ``tagof(*xs)`` the
    outermost tag, ``wrap(value, partials, tag)`` builds the result.
    """
    def impl(*args, **kwargs):
        ops, kw = rule.bind(args, kwargs)
        _check_constants(rule, kw)
        tag = tagof(*ops)
        if tag < 0:
            return rule.call(ops, kw)
        vp = [parts(o, tag) for o in ops]
        vals = tuple(np.asarray(v) if isinstance(v, (list, tuple)) else v for v, _ in vp)
        _check_device(rule, vals)
        out = rule.call(vals, kw)
        lin = rule.linearize(out, *vals, **kw)
        k = next(p.shape[-1] for _, p in vp if p is not None)
        cols = [lin(*[None if p is None else p[..., j] for _, p in vp]) for j in range(k)]
        if _components(rule, out) == 1:
            return _wrap_one(wrap, out, cols, tag)
        res = [out[c] if cols[0][c] is None else _wrap_one(wrap, out[c], [t[c] for t in cols], tag)
               for c in range(len(out))]
        return type(out)(*res) if hasattr(out, "_fields") else tuple(res)
    return impl


def _check_device(rule: NonlinearRule, vals: tuple) -> None:
    if rule.func not in ON_DEVICE and any(is_foreign(v) for v in vals):
        name = f"{getattr(rule.func, '__module__', None) or 'numpy'}.{rule.func.__name__}"
        raise TypeError(f"{name}: its derivative rule is written with NumPy and has not been ported to device "
                        f"arrays ({namespace(*vals).__name__}); the nonlinear table's "
                        f"{', '.join(_public(f) for f in ON_DEVICE)} run there")


def _public(func: Callable) -> str:
    return ("numpy.linalg." if "linalg" in (getattr(func, "__module__", None) or "") else "numpy.") + func.__name__


def _wrap_one(wrap, out, cols, tag):
    from numeric.arrayrules_structural import join_any

    shape = tuple(np.shape(out))
    if not cols:                          # no directions (a measurement without sources yet)
        xp = namespace(out) if is_foreign(out) else np
        return wrap(out, xp.zeros(shape + (0,), dtype=out.dtype), tag)
    if is_foreign(out):
        xp = namespace(out)
        cols = [c if tuple(c.shape) == shape else xp.broadcast_to(c, shape) for c in cols]
        return wrap(out, join_any(np.stack, cols, axis=-1), tag)
    if any(is_foreign(c) for c in cols):       # nested: plain device columns next to derivative-carrying ones
        cols = [namespace(c).broadcast_to(c, shape) if is_foreign(c) and tuple(c.shape) != shape else c
                for c in cols]
        return wrap(out, join_any(np.stack, cols, axis=-1), tag)
    cols = [np.broadcast_to(c, shape) if isinstance(c, (np.ndarray, float, int)) else c
            for c in cols]
    return wrap(out, np.stack(cols, axis=-1), tag)


def _transpose_of(rule: NonlinearRule, comp: int, i: int, g: Any, vals: tuple, kw: dict) -> Any:
    """Operand *i*'s cotangent: the linearised map at *vals*, transposed by reverse mode."""
    from numeric.reverse.api import vjp
    out = rule.call(vals, kw)
    lin = rule.linearize(out, *vals, **kw)
    single = _components(rule, out) == 1

    def f(t):
        ts = [None] * len(vals)
        ts[i] = t
        r = lin(*ts)
        return r if single else r[comp]
    return vjp(f, _zeros_like(vals[i]), g)


def _zeros_like(v: Any) -> Any:
    """Zeros of *v*'s shape, on *v*'s device (NumPy float zeros for host values)."""
    if is_foreign(v):
        return namespace(v).zeros(tuple(v.shape), dtype=v.dtype, device=device_of(v))
    return np.zeros(np.shape(v))


def tape_nonlinear_ops(apply_op: Callable) -> list:
    """``(func, impl, [(key, forward, vjp), ...])`` for the reverse tape, one key per output."""
    res = []
    for func, rule in NONLINEAR.items():
        base = "nonlinear." + func.__name__
        ops = []
        for comp in range(rule.nout):
            fwd = (lambda r, c: lambda *v, **kw: (r.call(v, kw) if _components(r, r.call(v, kw)) == 1
                                                   else r.call(v, kw)[c]))(rule, comp)
            vjp = (lambda r, c: lambda g, ans, i, *v, **kw: _transpose_of(r, c, i, g, v, kw))(
                rule, comp)
            ops.append((f"{base}.{comp}", fwd, vjp))

        def impl(*args, _r=rule, _b=base, **kwargs):
            ops_, kw = _r.bind(args, kwargs)
            _check_constants(_r, kw)
            vals = tuple(np.asarray(v) if isinstance(v, (list, tuple)) else v for v in ops_)
            if not any(_tracked_arg(v) for v in vals):
                return _r.call(vals, kw)
            if _r.nout == 1:
                return apply_op(_b + ".0", vals, kw)
            probe = _r.call(tuple(_primal(v) for v in vals), kw)
            n = _components(_r, probe)
            if n == 1:
                return apply_op(_b + ".0", vals, kw)
            lin0 = _r.linearize(probe, *[_primal(v) for v in vals], **kw)
            zero = lin0(*[_zeros_like(_primal(v)) for v in vals])
            res_ = [probe[c] if zero[c] is None else apply_op(f"{_b}.{c}", vals, kw)
                    for c in range(n)]
            return type(probe)(*res_) if hasattr(probe, "_fields") else tuple(res_)
        res.append((func, impl, ops))
    return res
