"""Statistics of measurements: uncertainty, covariance, correlation, components.

For measurements x_a = val_a + sum_i J_ai z_i of independent unit sources,

* ``cov(x)[a, b] = sum_i J_ai J_bi``  (the matrix J J^T),
* ``cor(x) = cov / outer(err, err)``,
* ``uncertainty_components(y)``: the contributions |J_yi| of each source,
  whose root sum of squares is ``err(y)``,
* ``correlated_values(mean, C)`` builds measurements with covariance C from
  fresh sources: J = V sqrt(W) from the eigendecomposition C = V W V^T
  (which, unlike a Cholesky factor, also accepts a singular C),
* ``weighted_mean(x)`` is the generalised least-squares mean
  ``(1^T C^-1 x) / (1^T C^-1 1)`` (inverse-variance weights for independent
  inputs), computed with measurement arithmetic, so its uncertainty
  ``(1^T C^-1 1)^(-1/2)`` and its correlations follow.

``uncertainty`` of a dual of measurements is a dual: the derivative of the
standard deviation (the variance of ``v + eps p`` is
``var(v) + 2 eps cov(v, p)`` to first order in eps).

Examples
--------
>>> import numpy as np, numeric as nm
>>> x = nm.Measurement(1.0, 0.1); g = nm.Measurement(9.79, 0.02)
>>> np.round(nm.cov([x + g, x - g]), 4)
array([[0.0104, 0.0096],
       [0.0096, 0.0104]])
>>> round(float(nm.cor([x + g, x - g])[0, 1]), 4)
0.9231
"""

from __future__ import annotations

from typing import Any

import numpy as np

from numeric import functions as F
from numeric.backend import float_dtype, is_array, is_numpy, like, namespace, reshape
from numeric.dual import Dual
from numeric.measurement.array import (MeasurementArray, _zeros, dense_parts, pack,
                                       _wrap_dense)
from numeric.measurement.scalar import Measurement
from numeric.measurement.sources import new_sources
from numeric.measurement.owners import owner

__all__ = ["uncertainty", "cov", "cor", "uncertainty_components", "correlated_values",
           "weighted_mean"]


def uncertainty(x: Any) -> Any:
    """The standard deviation of *x*: elementwise for arrays, 0 for exact numbers.

    A dual whose value is a measurement gives a dual: the derivative of the
    uncertainty.

    Examples
    --------
    >>> import numeric as nm
    >>> nm.uncertainty(nm.Measurement(2.0, 0.5) * 2)
    1.0
    >>> nm.derivative(lambda s: nm.uncertainty(nm.Measurement(2.0, s) ** 2), 0.1)
    4.0
    """
    if isinstance(x, (Measurement, MeasurementArray)):
        return x.err
    if isinstance(x, Dual):
        return F.sqrt(_cov2(x, x))
    if isinstance(x, (list, tuple)) or (isinstance(x, np.ndarray) and x.dtype == object):
        arr = np.asarray(x, dtype=object)
        out = [uncertainty(e) for e in arr.reshape(-1)]
        if all(isinstance(e, (float, np.floating, int)) for e in out):
            return np.asarray(out, dtype=float).reshape(arr.shape)
        res = np.empty(arr.size, dtype=object)
        res[:] = out
        return res.reshape(arr.shape)
    if getattr(x, "_nm_order", 0) > 0:
        raise NotImplementedError(f"nm.uncertainty of a {type(x).__name__}: only scalar duals "
                                  "of measurements are supported; reduce to scalars first")
    if is_array(x):
        return x * 0
    return x * 0 if x is not None else 0.0


def _comps(x: Any) -> dict:
    if isinstance(x, Measurement):
        return x._comps()
    return {}


def _dual_split(x: Any, tag: int) -> tuple:
    """(value, list of partials) of *x* with respect to dual tag *tag*."""
    if isinstance(x, Dual) and x._nm_order == tag:
        p = x.raw_partials
        ps = list(p) if hasattr(p, "__len__") or getattr(p, "ndim", 0) else [p]
        return x.value, ps
    return x, None


def _cov2(a: Any, b: Any) -> Any:
    """Covariance of two scalars that may be duals (of any depth) of measurements."""
    tag = max(getattr(a, "_nm_order", -1) if isinstance(a, Dual) else -1,
              getattr(b, "_nm_order", -1) if isinstance(b, Dual) else -1)
    if tag < 0:
        da, db = _comps(a), _comps(b)
        if len(db) < len(da):
            da, db = db, da
        total = 0.0
        for k, c in da.items():
            if k in db:
                total = total + c * db[k]
        return total
    av, ap = _dual_split(a, tag)
    bv, bp = _dual_split(b, tag)
    n = len(ap if ap is not None else bp)
    v = _cov2(av, bv)
    parts = []
    for j in range(n):
        t = 0.0
        if bp is not None:
            t = t + _cov2(av, bp[j])
        if ap is not None:
            t = t + _cov2(ap[j], bv)
        parts.append(t)
    p = parts[0] if n == 1 else _vector(parts)
    return Dual.from_parts(v, p, tag)


def _vector(items):
    if all(isinstance(e, (float, int, np.floating)) for e in items):
        return np.asarray(items, dtype=float)
    out = np.empty(len(items), dtype=object)
    out[:] = items
    return out


def _flat_dense(xs: Any) -> tuple:
    """(values (n,), J (n, K), sources) of a flattened collection of measurements."""
    if isinstance(xs, Measurement):
        xs = [xs]
    if not isinstance(xs, MeasurementArray):
        xs = pack(xs)
    val, J, src = dense_parts(xs)
    return reshape(val, (-1,)), reshape(J, (-1, src.size)), src


def _has_duals(xs: Any) -> bool:
    if isinstance(xs, (list, tuple)) or (isinstance(xs, np.ndarray) and xs.dtype == object):
        return any(isinstance(e, Dual) for e in np.asarray(xs, dtype=object).reshape(-1))
    return isinstance(xs, Dual)


def cov(xs: Any) -> np.ndarray:
    """Covariance matrix of the flattened measurements *xs* (J J^T).

    Examples
    --------
    >>> import numeric as nm
    >>> x = nm.Measurement(1.0, 0.1)
    >>> nm.cov([x, 2 * x, x - x])
    array([[0.01, 0.02, 0.  ],
           [0.02, 0.04, 0.  ],
           [0.  , 0.  , 0.  ]])
    """
    if _has_duals(xs):
        items = list(np.asarray(xs, dtype=object).reshape(-1))
        out = np.empty((len(items), len(items)), dtype=object)
        for a, x in enumerate(items):
            for b, y in enumerate(items):
                out[a, b] = _cov2(x, y)
        return out
    _, J, _ = _flat_dense(xs)
    return J @ J.T


def cor(xs: Any) -> np.ndarray:
    """Correlation matrix of the flattened measurements *xs*.

    An exact number (zero uncertainty) has no defined correlation: its row
    and column are ``nan``, as in ``np.corrcoef``.
    """
    c = cov(xs)
    if c.dtype == object:
        raise NotImplementedError("nm.cor of duals of measurements: use nm.cov")
    s = np.sqrt(np.diag(c))
    with np.errstate(invalid="ignore", divide="ignore"):
        r = c / np.outer(s, s)
    np.fill_diagonal(r, np.where(s > 0, 1.0, np.nan))
    return r


def _input_sources(inputs: Any) -> np.ndarray:
    if isinstance(inputs, Measurement):
        return np.asarray([inputs.source], dtype=np.int64)
    if isinstance(inputs, MeasurementArray):
        if inputs.diag:
            src = np.broadcast_to(inputs.src, inputs.shape).reshape(-1)
            if (src < 0).any():
                raise ValueError("an input of nm.uncertainty_components is exact (no source)")
            return src
        return np.asarray([e.source for e in inputs.reshape(-1)], dtype=np.int64)
    out = []
    for e in inputs:
        out.extend(_input_sources(e).tolist())
    return np.asarray(out, dtype=np.int64)


def _input_key(source: int) -> Any:
    m = owner(source)
    return source if m is None else m


def uncertainty_components(y: Any, inputs: Any = None) -> Any:
    """The contribution |dy/dx_i| err(x_i) of each independent source to err(y).

    Parameters
    ----------
    y : Measurement or MeasurementArray
    inputs : independent measurements, optional
        A list of independent measurements or an array from
        ``nm.measurements``.

    Returns
    -------
    With *inputs*: an array of shape ``shape(y) + (n_inputs,)``; the root sum
    of squares over the last axis is ``err(y)`` when *inputs* are all the
    sources y depends on. Without it, a dict ``{input: contribution}`` keyed,
    as in ``uncertainties``' ``error_components()``, by the independent
    measurement that introduced each source (an element for sources of an
    ``nm.measurements`` array); a source whose measurement no longer exists
    (or came from another process) is keyed by its integer id.

    Examples
    --------
    >>> import numpy as np, numeric as nm
    >>> g = nm.Measurement(9.79, 0.02); L = nm.Measurement(1.00, 0.01)
    >>> T = 2 * np.pi * nm.sqrt(L / g)
    >>> np.round(nm.uncertainty_components(T, [g, L]), 5)
    array([0.00205, 0.01004])
    >>> {str(k): round(float(v), 5) for k, v in nm.uncertainty_components(T).items()}
    {'9.790 ± 0.020': 0.00205, '1.000 ± 0.010': 0.01004}
    """
    if isinstance(y, Measurement):
        src, comps = y._arrays()
    elif isinstance(y, MeasurementArray):
        _, comps, src = dense_parts(y)
    else:
        raise TypeError(f"nm.uncertainty_components takes a Measurement or MeasurementArray, "
                        f"got {type(y).__name__}")
    absc = np.abs(comps) if comps.dtype != object else np.frompyfunc(abs, 1, 1)(comps)
    if inputs is None:
        return {_input_key(int(s)): absc[..., i] if absc.ndim > 1 else absc[i]
                for i, s in enumerate(src)}
    want = _input_sources(inputs)
    pos = np.searchsorted(src, want)
    pos = np.clip(pos, 0, max(src.size - 1, 0))
    hit = (src[pos] == want) if src.size else np.zeros(want.shape, bool)
    out = _zeros(tuple(absc.shape[:-1]) + (want.size,), absc if absc.size else np.zeros(0))
    if src.size:
        out[..., hit] = absc[..., pos[hit]]
    return out


def _covariance_factor(C: np.ndarray) -> np.ndarray:
    """J with J @ J.T == C for a symmetric positive semi-definite C, scaled first.

    C = S R S with S = diag(sqrt(diag C)) and R the correlation matrix; R is
    factored (eigen-decomposition, so a semi-definite R keeps only its rank),
    then J = S V sqrt(w). Factoring R instead of C keeps the relative accuracy
    of every variance when they differ by many orders of magnitude
    (diag(1e-70, 1e-70, 1e10) is exact), which an unscaled eigen-decomposition
    loses to the largest eigenvalue's rounding.
    """
    n = C.shape[0]
    d = np.diag(C).copy()
    if (d < 0).any():
        raise ValueError(f"correlated_values: the covariance matrix has a negative variance "
                         f"({d.min():.3g}); it is not positive semi-definite")
    s = np.sqrt(d)
    live = s > 0
    if np.any(C[~live] != 0):
        raise ValueError("correlated_values: a variable with variance 0 has non-zero "
                         "covariances; the matrix is not positive semi-definite")
    sl = s[live]
    R = C[np.ix_(live, live)] / np.outer(sl, sl)
    w, V = np.linalg.eigh(R)
    tol = max(n, 1) * np.finfo(float).eps * max(np.abs(w).max(initial=0.0), 1.0)
    if (w < -tol * 100).any():
        raise ValueError(f"correlated_values: the covariance matrix is not positive "
                         f"semi-definite (eigenvalue {w.min():.3g} of its correlation matrix)")
    keep = w > tol
    J = np.zeros((n, int(keep.sum())))
    J[live] = sl[:, None] * (V[:, keep] * np.sqrt(w[keep]))
    return J


def correlated_values(mean: Any, covariance: Any) -> MeasurementArray:
    """Measurements with the given means and covariance matrix.

    New independent sources are created (as many as the rank of the
    covariance); the result's covariance is *covariance* up to rounding.

    Examples
    --------
    >>> import numpy as np, numeric as nm
    >>> C = np.array([[0.04, 0.01], [0.01, 0.09]])
    >>> x = nm.correlated_values([1.0, 2.0], C)
    >>> np.allclose(nm.cov(x), C), round(float(nm.uncertainty(x[0] + x[1])), 4)
    (True, 0.3873)

    A mean or covariance of another namespace (CuPy, array API) gives a device
    ``MeasurementArray``: the factorisation runs there
    (:mod:`numeric.measurement.correlated_xp`), the new source ids are host metadata.
    """
    xp = namespace(mean, covariance) if is_array(mean) or is_array(covariance) else np
    if not is_numpy(xp):
        return _correlated_values_xp(mean, covariance, xp)
    mean = np.asarray(mean, dtype=float)
    C = np.asarray(covariance, dtype=float)
    n = mean.size
    if mean.ndim != 1 or C.shape != (n, n):
        raise ValueError(f"correlated_values: mean must be 1-D (n,) and covariance (n, n); got "
                         f"{mean.shape} and {C.shape}")
    if not np.allclose(C, C.T, rtol=1e-12, atol=0):
        raise ValueError("correlated_values: the covariance matrix must be symmetric")
    J = _covariance_factor(C)
    src = new_sources(J.shape[1])
    return MeasurementArray._dense(mean.copy(), J, src)


def _correlated_values_xp(mean: Any, covariance: Any, xp: Any) -> MeasurementArray:
    """:func:`correlated_values` in namespace *xp*, on the device of its device input."""
    from numeric.measurement.correlated_xp import check_symmetric, covariance_factor

    ref = mean if namespace(mean) is xp else covariance
    to_dev = lambda a: xp.astype(a, float_dtype(ref)) if namespace(a) is xp else like(a, ref)  # noqa: E731
    mean, C = to_dev(mean), to_dev(covariance)
    n = mean.shape[0] if mean.ndim == 1 else -1
    if mean.ndim != 1 or tuple(C.shape) != (n, n):
        raise ValueError(f"correlated_values: mean must be 1-D (n,) and covariance (n, n); got "
                         f"{tuple(mean.shape)} and {tuple(C.shape)}")
    check_symmetric(C)
    J = covariance_factor(C)
    return MeasurementArray._dense(xp.asarray(mean, copy=True), J, new_sources(J.shape[1]))


def weighted_mean(xs: Any) -> Measurement:
    """The generalised least-squares mean of measurements of one quantity.

    ``(1^T C^-1 x) / (1^T C^-1 1)`` with C = ``cov(xs)``: inverse-variance
    weights for independent inputs, and correct for correlated ones.

    Examples
    --------
    >>> import numeric as nm
    >>> m = nm.weighted_mean([nm.Measurement(10.0, 1.0), nm.Measurement(12.0, 2.0)])
    >>> print(m)                      # (10/1 + 12/4) / (1 + 1/4) ± 1/sqrt(1.25)
    10.40 ± 0.89
    """
    val, J, src = _flat_dense(xs)
    if val.size == 0:
        raise ValueError("weighted_mean of no measurements")
    C = J @ J.T
    if J.dtype == object:
        C = np.array(C.tolist(), dtype=float)
    if not (np.diag(C) > 0).all():
        raise ValueError("weighted_mean: every input needs a non-zero uncertainty (an exact "
                         "input would get infinite weight)")
    ones = np.ones(val.size)
    w = np.linalg.lstsq(C, ones, rcond=None)[0]
    w = w / w.sum()
    x = _wrap_dense(val, J, src) if val.size > 1 else None
    if x is None:
        return Measurement._from_arrays(val[0], src, J[0])
    return w @ x
