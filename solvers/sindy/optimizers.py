"""Sparse regression for SINDy: find a sparse Xi with dX/dt ~ Theta(X) Xi^T.

Sequentially thresholded least squares (STLSQ)
----------------------------------------------
Brunton, Proctor & Kutz, "Discovering governing equations from data by
sparse identification of nonlinear dynamical systems", PNAS 113 (2016)
3932, algorithm ``sparsifyDynamics`` of the paper's code::

    Xi = Theta \\ dXdt                          % least squares
    for k = 1:10
        smallinds = (abs(Xi) < lambda);         % threshold
        Xi(smallinds) = 0;
        for ind = 1:n                           % refit each equation on its support
            biginds = ~smallinds(:, ind);
            Xi(biginds, ind) = Theta(:, biginds) \\ dXdt(:, ind);
        end
    end

pysindy's ``STLSQ`` (pysindy 2.1, ``optimizers/stlsq.py`` and
``optimizers/base.py``; defaults ``threshold=0.1, alpha=0.05, max_iter=20,
unbias=True``) runs the same sweeps with a ridge regression
``(Theta_S^T Theta_S + alpha I) xi = Theta_S^T y`` (scikit-learn's Cholesky
solver), stops when a sweep leaves the support unchanged, and refits the
final support by plain least squares ("unbias").

One loop covers both (:func:`stlsq`): per equation, start from the full
support; each sweep regresses on the support (least squares when
``alpha == 0``, ridge otherwise) and drops the coefficients with
``|xi| < threshold``; after the sweeps the support is refit by least
squares. With ``alpha=0, max_iter=10`` this is ``sparsifyDynamics``
exactly (its initial least squares is our first sweep's regression, its
last refit our final one); with ``alpha=0.05, max_iter=20`` it is
pysindy's default. A sweep on an unchanged support repeats the previous
numbers exactly, so the loop always stops at that fixed point: this saves
work and changes no result (pysindy's early stop is this; the paper's ten
fixed sweeps give the same numbers). A support still changing after
``max_iter`` sweeps is reported (``converged=False``).

SR3
---
Sparse relaxed regularised regression (Zheng et al., IEEE Access 7 (2018)
1404; Champion et al., IEEE Access 8 (2020) 169259), as in pysindy's
``SR3``: minimise ``0.5 |y - Theta w|^2 + lam R(v) + |w - v|^2 / (2 nu)``
by alternating ``w = (Theta^T Theta + I/nu)^-1 (Theta^T y + v/nu)`` and
``v = prox_{lam nu R}(w)``; R = L0 (hard threshold at ``sqrt(2 lam nu)``)
or L1 (soft threshold at ``lam nu``). Stops when ``|v_k - v_(k-1)| / nu <
tol``. Here the regulariser is given by its *threshold* t (L0:
``lam = t^2 / (2 nu)``, pysindy's ``calculate_l0_weight``; L1:
``lam = t / nu``).

Choosing the threshold
----------------------
:func:`threshold_sweep` fits a list of thresholds and picks the one with the
smallest information criterion of the whole model (Mangan, Kutz, Brunton &
Proctor, Proc. R. Soc. A 473 (2017) 20170009), with N = samples x equations,
k = nonzero coefficients, RSS the residual sum of squares:
``AIC = N log(RSS/N) + 2k``, ``AICc = AIC + 2k(k+1)/(N-k-1)``,
``BIC = N log(RSS/N) + k log N``.

Examples
--------
>>> import numpy as np
>>> theta = np.array([[1.0, 0.0, 1.0], [1.0, 1.0, 4.0], [1.0, 2.0, 9.0], [1.0, 3.0, 16.0]])
>>> y = 2.0 * theta[:, [1]] + 1e-3 * np.array([[1.0], [-1.0], [1.0], [-1.0]])
>>> fit = stlsq(theta, y, threshold=0.1)
>>> np.round(fit.coefficients, 3) + 0.0
array([[0., 2., 0.]])
>>> fit.converged, fit.iterations
(True, 2)
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import scipy.linalg as sla

from numeric.backend import is_foreign, like, namespace, reshape, to_host_float
from solvers.sindy import device

__all__ = ["SparseFit", "stlsq", "sr3", "threshold_sweep", "information_criterion",
           "criterion_from_rss", "STLSQ", "SR3"]


@dataclass(frozen=True)
class SparseFit:
    """Coefficients (n_equations, n_features) and how the optimiser ended."""

    coefficients: np.ndarray
    iterations: int
    converged: bool
    message: str = ""
    threshold: float | None = None
    sweep: tuple = field(default=(), repr=False)


def _check_data(theta: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    if is_foreign(theta) or is_foreign(y):
        return _check_device_data(theta, y)
    theta = np.asarray(theta, dtype=float)
    y = np.asarray(y, dtype=float)
    if y.ndim == 1:
        y = y[:, None]
    if theta.ndim != 2 or y.ndim != 2 or theta.shape[0] != y.shape[0]:
        raise ValueError(f"Theta must be (n_samples, n_features) and dX/dt (n_samples, n_vars) "
                         f"with the same n_samples; got {theta.shape} and {y.shape}")
    for name, a in (("Theta (the library matrix)", theta), ("dX/dt", y)):
        if not np.all(np.isfinite(a)):
            raise ValueError(f"{name} has non-finite entries (NaN or inf); remove those samples "
                             f"or estimate the derivatives differently")
    return theta, y


def _check_device_data(theta, y):
    """:func:`_check_data` for arrays of another namespace: both moved next to the device one,
    kept there (a NumPy one is a constant of the device computation)."""
    ref = theta if is_foreign(theta) else y
    theta, y = (a if is_foreign(a) else like(a, ref) for a in (theta, y))
    if y.ndim == 1:
        y = reshape(y, (y.shape[0], 1))
    if theta.ndim != 2 or y.ndim != 2 or theta.shape[0] != y.shape[0]:
        raise ValueError(f"Theta must be (n_samples, n_features) and dX/dt (n_samples, n_vars) "
                         f"with the same n_samples; got {tuple(theta.shape)} and {tuple(y.shape)}")
    device.check_finite("Theta (the library matrix)", theta)
    device.check_finite("dX/dt", y)
    return theta, y


def _check_threshold(threshold: float) -> float:
    if not (np.isfinite(threshold) and threshold >= 0):
        raise ValueError(f"threshold must be a finite number >= 0, got {threshold!r}")
    return float(threshold)


def _lstsq(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    # scipy's gelsd with scikit-learn's cutoff, as LinearRegression (pysindy's unbias) uses
    return sla.lstsq(a, b, cond=max(a.shape) * np.finfo(a.dtype).eps)[0]


def _ridge(gram: np.ndarray, rhs: np.ndarray, support: np.ndarray, alpha: float) -> np.ndarray:
    a = gram[np.ix_(support, support)].copy()
    a.flat[::a.shape[0] + 1] += alpha
    with warnings.catch_warnings():
        # an ill-conditioned Gram matrix only moves the support decisions, and the final
        # refit is a least-squares solve; pysindy's STLSQ ignores this warning too
        warnings.simplefilter("ignore", sla.LinAlgWarning)
        return sla.solve(a, rhs[support], assume_a="pos", overwrite_a=True)


def _groups(supports: np.ndarray, rows: np.ndarray):
    """The equations among *rows* that share a support, so one solve serves them all."""
    groups: dict[bytes, list[int]] = {}
    for i in rows:
        groups.setdefault(supports[i].tobytes(), []).append(int(i))
    return [(supports[r[0]].copy(), r) for r in groups.values()]


def _sweeps(regress, supports: np.ndarray, threshold: float, max_iter: int):
    """Threshold sweeps of all equations; returns (values, supports, sweeps, unconverged).

    *regress(support, rows)* gives the coefficients on *support* of equations
    *rows* (shape (support.sum(), len(rows))).
    """
    values = np.zeros(supports.shape)
    done = np.zeros(len(supports), dtype=bool)
    sweeps = 0
    for k in range(1, max_iter + 1):
        active = np.flatnonzero(~done)
        if active.size == 0:
            break
        sweeps = k
        for support, rows in _groups(supports, active):
            c = regress(support, rows)
            keep = np.abs(c) >= threshold
            for col, i in enumerate(rows):
                values[i] = 0.0
                values[i, support] = np.where(keep[:, col], c[:, col], 0.0)
                supports[i, support] = keep[:, col]
                done[i] = keep[:, col].all() or not supports[i].any()
    return values, supports, sweeps, np.flatnonzero(~done).tolist()


def stlsq(theta: np.ndarray, dxdt: np.ndarray, threshold: float, *, alpha: float = 0.0,
          max_iter: int = 10, unbias: bool = True) -> SparseFit:
    """Sequentially thresholded least squares (module docstring for the algorithm).

    Parameters
    ----------
    theta : (n_samples, n_features) array
        The library evaluated on the data.
    dxdt : (n_samples, n_vars) array
        The time derivatives.
    threshold : float
        Coefficients with ``|xi| < threshold`` are dropped (the paper's lambda).
    alpha : float
        Ridge weight of the sweeps' regressions (0: least squares, as the paper;
        pysindy's default is 0.05).
    max_iter : int
        Most sweeps (the paper: 10; pysindy: 20).
    unbias : bool
        Refit the final support by least squares (the paper's last sweep does;
        pysindy's default). False keeps the last sweep's thresholded values.

    Returns
    -------
    SparseFit

    Examples
    --------
    >>> import numpy as np
    >>> x = np.linspace(0, 1, 20)
    >>> theta = np.column_stack([np.ones_like(x), x, x**2])
    >>> stlsq(theta, 3 * x**2, threshold=0.5).coefficients.round(12) + 0.0
    array([[0., 0., 3.]])
    """
    theta, y = _check_data(theta, dxdt)
    threshold = _check_threshold(threshold)
    if not (alpha >= 0 and np.isfinite(alpha)):
        raise ValueError(f"alpha (the ridge weight) must be >= 0, got {alpha!r}")
    if int(max_iter) < 1:
        raise ValueError(f"max_iter must be at least 1, got {max_iter!r}")
    on_device = is_foreign(theta)
    if on_device:       # Theta's QR (or its Gram matrix) on the device: solvers/sindy/device.py
        def least_squares(support, rows):
            return device.lstsq_qr(theta, y, support, rows)
    else:
        def least_squares(support, rows):
            return _lstsq(theta[:, support], y[:, rows])
    if alpha > 0:
        gram, rhs = device.gram_on_host(theta, y) if on_device else (theta.T @ theta, theta.T @ y)

        def regress(support, rows):
            return _ridge(gram, rhs[:, rows], support, alpha)
    else:
        regress = least_squares
    supports = np.ones((y.shape[1], theta.shape[1]), dtype=bool)
    coef, supports, sweeps, unconverged = _sweeps(regress, supports, threshold, int(max_iter))
    if unbias:
        # with alpha = 0 a converged equation's last sweep already was this least-squares fit
        stale = supports.any(axis=1) & (alpha > 0 or np.isin(np.arange(len(supports)),
                                                            unconverged))
        for support, rows in _groups(supports, np.flatnonzero(stale)):
            coef[np.ix_(rows, support)] = least_squares(support, rows).T
    message = ("" if not unconverged else
               f"STLSQ: the support of equation(s) {unconverged} still changed after "
               f"{max_iter} sweeps; raise max_iter or the threshold")
    return SparseFit(coef, sweeps, not unconverged, message, threshold)


def _prox(regularizer: str, threshold: float):
    if regularizer == "l0":
        return lambda w: np.where(np.abs(w) > threshold, w, 0.0)
    if regularizer == "l1":
        return lambda w: np.sign(w) * np.maximum(np.abs(w) - threshold, 0.0)
    raise ValueError(f"SR3: regularizer must be 'l0' or 'l1', got {regularizer!r}")


def sr3(theta: np.ndarray, dxdt: np.ndarray, threshold: float, *, nu: float = 1.0,
        regularizer: str = "l0", tol: float = 1e-5, max_iter: int = 30,
        unbias: bool = False) -> SparseFit:
    """Sparse relaxed regularised regression (module docstring), pysindy's ``SR3``.

    Parameters
    ----------
    theta, dxdt : arrays
        As for :func:`stlsq`.
    threshold : float
        The proximal threshold: L0 keeps ``|w| > threshold`` (pysindy's
        ``reg_weight_lam = threshold**2 / (2 nu)``), L1 shrinks by it
        (``reg_weight_lam = threshold / nu``).
    nu : float
        Relaxation (pysindy's ``relax_coeff_nu``, default 1).
    regularizer : {"l0", "l1"}
    tol, max_iter : float, int
        Stop when ``|v_k - v_(k-1)|_F / nu < tol`` (pysindy's defaults 1e-5, 30).
    unbias : bool
        Refit the support by least squares (pysindy's SR3 default: no).

    Examples
    --------
    >>> import numpy as np
    >>> x = np.linspace(0, 1, 20)
    >>> theta = np.column_stack([np.ones_like(x), x, x**2])
    >>> fit = sr3(theta, 3 * x**2, threshold=0.5, unbias=True)
    >>> fit.coefficients.round(10) + 0.0, fit.converged
    (array([[0., 0., 3.]]), True)
    """
    theta, y = _check_data(theta, dxdt)
    if is_foreign(theta):
        raise TypeError("SR3 on arrays of another namespace (CuPy, array API) is not ported (its "
                        "initial guess is a rank-revealing lstsq, which the array API lacks); use "
                        "STLSQ, or NumPy arrays for SR3")
    threshold = _check_threshold(threshold)
    if not (nu > 0 and np.isfinite(nu)):
        raise ValueError(f"SR3: nu (the relaxation) must be > 0, got {nu!r}")
    prox = _prox(str(regularizer).lower(), threshold)
    cho = sla.cho_factor(theta.T @ theta + np.eye(theta.shape[1]) / nu)
    ty = theta.T @ y
    v = np.linalg.lstsq(theta, y, rcond=None)[0]   # pysindy's initial guess, (n_features, n_vars)
    previous = v                                # pysindy compares the first step with it
    converged, k = False, 0
    for k in range(1, int(max_iter) + 1):
        w = sla.cho_solve(cho, ty + v / nu)
        v = prox(w)
        if np.sqrt(np.sum((v - previous) ** 2)) / nu < tol:
            converged = True
            break
        previous = v
    coef = v.T.copy()
    if unbias:
        for i in range(coef.shape[0]):
            support = coef[i] != 0
            if support.any():
                coef[i, support] = _lstsq(theta[:, support], y[:, i])
    message = "" if converged else (f"SR3: not converged after {max_iter} iterations (tol "
                                    f"{tol}); raise max_iter or tol")
    return SparseFit(coef, k, converged, message, threshold)


def information_criterion(theta: np.ndarray, dxdt: np.ndarray, coefficients: np.ndarray,
                          criterion: str = "aic") -> float:
    """AIC, AICc or BIC of a fitted model (module docstring for the formulas).

    Examples
    --------
    >>> import numpy as np
    >>> theta = np.eye(4); y = np.array([[1.0], [2.0], [3.0], [4.1]])
    >>> round(information_criterion(theta, y, np.array([[1.0, 2.0, 3.0, 4.0]])), 4)
    -15.9659
    """
    if is_foreign(theta):       # the residual on the device, its sum of squares to the host
        xp = namespace(theta)
        y = reshape(dxdt if is_foreign(dxdt) else like(dxdt, theta), (theta.shape[0], -1))
        r = y - xp.matmul(theta, like(np.asarray(coefficients, dtype=float).T, theta))
        rss = to_host_float(xp.sum(r * r))
        return criterion_from_rss(rss, int(np.prod(y.shape)), int(np.count_nonzero(coefficients)),
                                  criterion)
    y = np.asarray(dxdt, dtype=float).reshape(len(theta), -1)
    rss = float(np.sum((y - theta @ np.asarray(coefficients).T) ** 2))
    return criterion_from_rss(rss, y.size, int(np.count_nonzero(coefficients)), criterion)


def criterion_from_rss(rss: float, n: int, k: int, criterion: str = "aic") -> float:
    """AIC, AICc or BIC from a residual sum of squares over *n* values and *k* coefficients.

    The formulas of the module docstring; AICc is infinite when ``n <= k + 1``.

    Examples
    --------
    >>> round(criterion_from_rss(0.5, 62, 2, "aicc"), 4)
    -294.6541
    """
    if criterion not in ("aic", "aicc", "bic"):
        raise ValueError(f"criterion must be 'aic', 'aicc' or 'bic', got {criterion!r}")
    fit_term = float(n * np.log(max(float(rss), np.finfo(float).tiny) / n))
    if criterion == "aic":
        return fit_term + 2 * k
    if criterion == "aicc":
        return fit_term + 2 * k + (2 * k * (k + 1) / (n - k - 1) if n > k + 1 else np.inf)
    return fit_term + k * float(np.log(n))


def threshold_sweep(theta: np.ndarray, dxdt: np.ndarray, thresholds, *, criterion: str = "aic",
                    optimizer=None) -> SparseFit:
    """Fit every threshold and keep the fit with the smallest information criterion.

    *optimizer* is a function ``(theta, dxdt, threshold) -> SparseFit``
    (default: :func:`stlsq` with its defaults). The returned fit's ``sweep``
    lists ``(threshold, criterion value, nonzero terms)`` for every threshold.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> x = np.linspace(-1, 1, 200)
    >>> theta = np.column_stack([x**k for k in range(6)])
    >>> y = 1.5 * x - 2.0 * x**3 + 1e-3 * rng.standard_normal(200)
    >>> fit = threshold_sweep(theta, y, [1e-6, 1e-3, 0.1, 1.0, 1.8])
    >>> fit.threshold, np.flatnonzero(fit.coefficients[0]).tolist()
    (0.1, [1, 3])
    """
    theta, y = _check_data(theta, dxdt)
    information_criterion(theta, y, np.zeros((y.shape[1], theta.shape[1])), criterion)
    thresholds = [float(t) for t in np.atleast_1d(thresholds)]
    if not thresholds:
        raise ValueError("threshold_sweep: give at least one threshold")
    optimizer = optimizer or stlsq
    fits = [optimizer(theta, y, t) for t in thresholds]
    scores = [information_criterion(theta, y, f.coefficients, criterion) for f in fits]
    best = int(np.argmin(scores))
    table = tuple((t, s, int(np.count_nonzero(f.coefficients)))
                  for t, s, f in zip(thresholds, scores, fits))
    chosen = fits[best]
    return SparseFit(chosen.coefficients, chosen.iterations, chosen.converged, chosen.message,
                     thresholds[best], table)


@dataclass(frozen=True)
class STLSQ:
    """:func:`stlsq` with its settings, for :func:`solvers.sindy.fit`.

    ``STLSQ(threshold)`` is the paper's algorithm; :meth:`pysindy_defaults`
    gives pysindy's (ridge 0.05, 20 sweeps).
    """

    threshold: float = 0.1
    alpha: float = 0.0
    max_iter: int = 10
    unbias: bool = True

    @classmethod
    def pysindy_defaults(cls, threshold: float = 0.1) -> "STLSQ":
        return cls(threshold, alpha=0.05, max_iter=20, unbias=True)

    def fit(self, theta: np.ndarray, dxdt: np.ndarray) -> SparseFit:
        return stlsq(theta, dxdt, self.threshold, alpha=self.alpha, max_iter=self.max_iter,
                     unbias=self.unbias)


@dataclass(frozen=True)
class SR3:
    """:func:`sr3` with its settings (pysindy's defaults but the threshold)."""

    threshold: float = 0.1
    nu: float = 1.0
    regularizer: str = "l0"
    tol: float = 1e-5
    max_iter: int = 30
    unbias: bool = False

    def fit(self, theta: np.ndarray, dxdt: np.ndarray) -> SparseFit:
        return sr3(theta, dxdt, self.threshold, nu=self.nu, regularizer=self.regularizer,
                   tol=self.tol, max_iter=self.max_iter, unbias=self.unbias)
