"""Jacobian providers for stiff methods: user-given, forward mode, or finite differences.

``make_jacobian(f, options)`` returns ``jac(u, p, t) -> J`` (``J[i, j] = d f_i / d u_j``).

* ``options["jac"]`` (or ``ODEProblem.jac``): the user's ``jac(u, p, t)``;
* ``autodiff="forward"`` (default): ``nm.jacobian`` on the state, chunked
  forward mode; nested differentiation (a Dual parameter outside) works because
  ``nm.jacobian`` creates a fresh, ordered tag per call;
  a ``MeasurementArray`` state at the uncertain point for the Rodas methods, at its primal
  value for the others (see ``_forward``);
* ``autodiff="finite"``: forward differences with step ``sqrt(eps) max(1, |u_j|)``
  (plain float states only).

Sparse Jacobians (forward mode): with ``sparse=True``, ``linsolve="sparse"``, a
``jac_prototype`` (a pattern, dense or ``scipy.sparse``), or automatically when the state
has ``n >= SPARSE_THRESHOLD`` (500) float entries and the traced pattern fills at most
``SPARSE_MAX_DENSITY`` (10 %) of the matrix, the pattern is traced once per solve
(``nm.jacobian_sparsity``, global mode; when ``f`` branches on the state, local mode, traced
again at every Jacobian and widened when the branch taken adds entries, since a compressed
evaluation would put an entry outside the pattern in the wrong place),
coloured once (``nm.color_columns``), and each Jacobian is one compressed forward pass
(``nm.sparse_jacobian``) returned as CSR, which :mod:`solvers.ode.stiff.linsolve`
factorises by sparse LU. The threshold: below ~500 states a dense LAPACK LU of the
iteration matrix costs less than the tracing and the sparse assembly. States that are not
float arrays (``mpf``, Dual, Measurement) and parameters that carry derivatives take the dense
path (sparse LU needs float entries; an explicit sparse request is then reported once with a
``SolverWarning``); ``sparse=False`` or ``linsolve="dense"`` forces it.

Jacobian-free (``linsolve="gmres"``): the provider returns a :class:`JacobianOperator` whose
``J @ v`` is one forward-mode directional derivative (``nm.jvp``); the methods then solve
with GMRES. Options: ``precond`` (``None``, ``"ilu"`` -- an incomplete LU of the sparse
``W``, its pattern traced as above -- or a callable ``v -> P^-1 v``), ``krylov_rtol``
(default ``1e-2 * rtol`` of the solve, clipped to [1e-12, 1e-3]), ``krylov_restart`` (30),
``krylov_maxiter`` (``None``: 10 restarts).
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from numeric.backend import device_of, dtype_kind, finfo, is_array, namespace, reshape
from solvers._nm import nm

__all__ = ["make_jacobian", "time_derivative", "JacobianOperator", "SparseForward", "dense_jacobian",
           "SPARSE_THRESHOLD", "SPARSE_MAX_DENSITY"]

SPARSE_THRESHOLD = 500  # states from which the automatic sparse path is tried
SPARSE_MAX_DENSITY = 0.1  # the automatic path keeps a dense J when the pattern is fuller than this
LINSOLVES = (None, "lu", "dense", "sparse", "gmres")


UNCERTAIN_JACOBIAN_MAX = 2 ** 22  # entries of an uncertain Jacobian's components (n * n * sources)


def _components_size(u: Any) -> int:
    """n * n * K: the entries of the components of a Jacobian at the uncertain state *u*."""
    parts = nm.linear_parts(u)
    if parts is None:
        return 0
    n = int(np.prod(u.shape))
    return n * n * int(parts[1].shape[-1])


def _at_primal(diff: Callable, u: Any, p: Any) -> Any:
    """``diff(u, p)``, or at the primal values of *u* and *p* where forward mode cannot seed
    through them (``TypeError``); at the primal the iteration matrix omits the dJ/du and dJ/dp
    terms of their own perturbations (exact for linear f)."""
    try:
        return diff(u, p)
    except TypeError:
        v, q = nm.value(u), _primal_parameters(p)
        if v is u and q is p:
            raise
        return diff(v, q)


def _forward(f: Callable, exact: bool = False) -> Callable:
    """Forward-mode ``jac(u, p, t)``. An uncertain state (a MeasurementArray) has its Jacobian taken
    at the uncertain point when the method needs J itself (*exact*: the Rodas methods, not
    W-methods), so the iteration matrix carries the components (``nm.jacobian`` at a measurement
    array, any size); otherwise at its primal value, which the Newton methods' step counts do not
    depend on. At the primal, a non-W method integrates the components at reduced order and the
    error norm, which includes them, answers with 10-300x the steps (u' = -p u, p = 1.5 +- 0.1:
    Rodas4 9633 steps at the primal, 116 at the uncertain point). A Jacobian whose components would
    exceed ``UNCERTAIN_JACOBIAN_MAX`` entries (n * n * sources) is taken at the primal too."""
    import numeric

    said = []

    def jac(u: Any, p: Any, t: Any) -> Any:
        if nm.is_uncertain(u) and (not exact or _components_size(u) > UNCERTAIN_JACOBIAN_MAX):
            if exact and not said:
                said.append(True)
                import warnings

                from solvers.ode.solution import SolverWarning

                warnings.warn(f"the Jacobian at this uncertain state would carry {_components_size(u)} "
                              f"components (n * n * sources > UNCERTAIN_JACOBIAN_MAX = {UNCERTAIN_JACOBIAN_MAX}), "
                              "so it is taken at the primal: a Rodas method then integrates the uncertainty at "
                              "reduced order and may take many more steps; a Newton method (FBDF, KenCarp4, "
                              "RadauIIA5) does not pay this", SolverWarning, stacklevel=2)
            u, p = nm.value(u), _primal_parameters(p)
        return _at_primal(lambda x, q: numeric.jacobian(lambda y: f(y, q, t), x), u, p)

    return jac


def _finite(f: Callable) -> Callable:
    """Forward differences, one column per evaluation of *f*, in the state's namespace (a device
    state's Jacobian is built on its device: the steps, the shifted states and the columns)."""
    def jac(u: Any, p: Any, t: Any) -> Any:
        u = u if is_array(u) else np.asarray(u)
        if dtype_kind(u.dtype) != "f":
            raise TypeError("autodiff='finite' needs a float array state; use autodiff='forward' for other numbers")
        xp = namespace(u)
        f0 = _flat(f(u, p, t))
        du = finfo(u).eps ** 0.5 * xp.maximum(xp.abs(_flat(u)), 1.0)  # sqrt(eps) max(1, |u_j|)
        steps = xp.eye(du.shape[0], dtype=u.dtype, device=device_of(u)) * du
        cols = [_flat(f(u + reshape(steps[j, :], u.shape), p, t)) - f0 for j in range(du.shape[0])]
        return xp.stack(cols, axis=1) / du

    return jac


def _flat(y: Any) -> Any:
    """*y* as a flat array of its namespace (a derivative-carrying *y* is refused by ``np.asarray``)."""
    y = y if is_array(y) else np.asarray(y)
    return reshape(y, (-1,))


def _sparse_request(options: dict) -> bool | None:
    """True (sparse asked for), False (dense asked for) or None (automatic)."""
    lin, flag = options.get("linsolve"), options.get("sparse")
    if lin not in LINSOLVES:
        raise ValueError(f"linsolve must be one of 'lu', 'dense', 'sparse', 'gmres', got {lin!r}")
    if flag is not None and not isinstance(flag, (bool, np.bool_)):
        raise TypeError(f"sparse must be True, False or None, got {flag!r}")
    if lin == "dense" or flag is False:
        if options.get("jac_prototype") is not None and flag is False:
            return False
        return False
    if lin == "sparse" or flag or options.get("jac_prototype") is not None:
        return True
    return None


def make_jacobian(f: Callable, options: dict) -> Callable:
    """The Jacobian function chosen by *options* (``jac``, ``autodiff``, ``sparse``,
    ``jac_prototype``, ``linsolve``; see the module docstring)."""
    user = options.get("jac")
    request = _sparse_request(options)
    if user is not None and not callable(user):
        raise TypeError(f"jac must be callable jac(u, p, t) -> matrix, got {type(user).__name__}")
    mode = options.get("autodiff", "forward")
    if mode not in ("forward", "finite"):
        raise ValueError(f"autodiff must be 'forward' or 'finite', got {mode!r}")
    if options.get("linsolve") == "gmres":
        pattern = SparseForward(f, options.get("jac_prototype"), forced=True)
        return _operator_provider(f, user, pattern, options)
    if user is not None:
        return user
    if mode == "finite":
        if request:
            raise ValueError("sparse Jacobians use forward mode: pass autodiff='forward' with "
                             "sparse=True / jac_prototype, or sparse=False with autodiff='finite'")
        return _finite(f)
    exact = bool(options.get("exact_jacobian"))
    if request is False:
        return _forward(f, exact)
    return SparseForward(f, options.get("jac_prototype"), forced=bool(request), exact=exact)


class SparseForward:
    """Forward-mode Jacobian provider that traces, colours and compresses (see the module
    docstring); ``jac(u, p, t)`` returns CSR on the sparse path, a dense matrix otherwise.

    Attributes after the first call: ``pattern`` (CSR bool or ``None`` on the dense path),
    ``colors`` and ``ncolors``.

    Examples
    --------
    >>> import numpy as np
    >>> jac = SparseForward(lambda u, p, t: np.roll(u, 1) - 2 * u, forced=True)
    >>> J = jac(np.ones(6), None, 0.0)
    >>> J.format, jac.ncolors
    ('csr', 2)
    """

    def __init__(self, f: Callable, prototype: Any = None, *, forced: bool = False, exact: bool = False):
        self.f, self.forced, self.decided = f, forced, False
        self.pattern = None if prototype is None else _as_pattern(prototype)
        self.colors, self.ncolors, self.dense = None, 0, _forward(f, exact)
        self.local = False      # the pattern holds at the traced state only (f branches)

    def eligible(self, u: Any, p: Any) -> bool:
        """Float array state and parameters without derivative parts (sparse LU needs floats)."""
        return (isinstance(u, np.ndarray) and u.dtype.kind == "f" and u.ndim >= 1
                and _primal_parameters(p) is p)

    def _decide(self, u: Any, p: Any, t: Any) -> None:
        self.decided = True
        if not self.forced and u.size < SPARSE_THRESHOLD:
            return
        if self.pattern is None:
            self.pattern, self.local = _trace(self.f, u, p, t)
        if self.pattern.shape != (u.size, u.size):
            raise ValueError(f"jac_prototype has shape {self.pattern.shape}, but the state has "
                             f"{u.size} entries; pass an ({u.size}, {u.size}) pattern")
        if not self.forced and self.pattern.nnz > SPARSE_MAX_DENSITY * u.size ** 2:
            self.pattern = None
            return
        self.colors = nm_sparsity().color_columns(self.pattern)
        self.ncolors = int(self.colors.max()) + 1 if u.size else 0

    def __call__(self, u: Any, p: Any, t: Any) -> Any:
        if not self.eligible(u, p):
            if self.forced:
                self._report_dense(u)
            return self.dense(u, p, t)
        if not self.decided:
            self._decide(u, p, t)
        if self.pattern is None:
            return self.dense(u, p, t)
        return self._compressed(u, p, t)

    def _report_dense(self, u: Any) -> None:
        """Say once that a sparse Jacobian was asked for but the state takes the dense path."""
        if getattr(self, "_reported", False):
            return
        self._reported = True
        import warnings

        from solvers.ode.solution import SolverWarning

        kind = type(u).__name__ if not isinstance(u, np.ndarray) else f"an array of {u.dtype}"
        warnings.warn(f"a sparse Jacobian was asked for (sparse=True, linsolve='sparse' or jac_prototype), "
                      f"but the state is {kind}, not a NumPy float array, or the parameters carry "
                      "derivatives or uncertainty: sparse LU needs float entries, so the dense Jacobian "
                      "and LU are used (the result is the same; pass linsolve='dense' to silence this)",
                      SolverWarning, stacklevel=2)

    def sparse(self, u: Any, p: Any, t: Any) -> Any:
        """The CSR Jacobian whatever the size (for an ILU preconditioner)."""
        if self.pattern is None:
            self.forced = True
            self._decide(u, p, t)
        return self._compressed(u, p, t)

    def _compressed(self, u: Any, p: Any, t: Any) -> Any:
        # A local pattern (f branches on the state) may miss entries of the branch taken at
        # this state; a compressed evaluation would then add them to the wrong entries. So it
        # is traced again at every Jacobian and widened (and recoloured) when it grew.
        if self.local:
            here, _ = _trace(self.f, u, p, t)
            if (here > self.pattern).nnz:
                self.pattern = self.pattern + here
                self.colors = nm_sparsity().color_columns(self.pattern)
                self.ncolors = int(self.colors.max()) + 1 if u.size else 0
        return nm_sparsity().sparse_jacobian(lambda y: self.f(y, p, t), u, self.pattern, self.colors)


def nm_sparsity() -> Any:
    import numeric

    return numeric


def _as_pattern(prototype: Any) -> Any:
    import scipy.sparse as sp

    P = sp.csr_matrix(prototype)
    P.eliminate_zeros()
    return sp.csr_matrix(P, dtype=bool)


def _trace(f: Callable, u: Any, p: Any, t: Any) -> tuple:
    """``(pattern, local)``: the Jacobian pattern of ``f(., p, t)`` in global mode, or in local
    mode at *u* (``local`` True) when f branches on the state."""
    numeric = nm_sparsity()
    try:
        return numeric.jacobian_sparsity(lambda y: f(y, p, t), u, mode="global"), False
    except TypeError:
        return numeric.jacobian_sparsity(lambda y: f(y, p, t), u, mode="local"), True


class JacobianOperator:
    """``J @ v`` without forming J: a forward-mode directional derivative of ``f(., p, t)`` at
    *u* (or the user's matrix times *v*). Carries the GMRES settings for
    :class:`solvers.ode.stiff.linsolve.KrylovSolver`.

    Examples
    --------
    >>> import numpy as np
    >>> op = JacobianOperator(lambda u, p, t: u ** 2, np.array([1.0, 3.0]), None, 0.0)
    >>> (op @ np.array([1.0, 1.0])).tolist()
    [2.0, 6.0]
    """

    is_jacobian_operator = True

    def __init__(self, f: Callable, u: Any, p: Any, t: Any, *, matrix: Any = None,
                 pattern: SparseForward | None = None, rtol: float = 1e-6, restart: int = 30,
                 maxiter: int | None = None, precond: Any = None):
        self.f, self.u, self.p, self.t, self.matrix = f, u, p, t, matrix
        self.pattern, self.rtol, self.restart, self.maxiter = pattern, rtol, restart, maxiter
        self.precond = precond
        self.shape = (np.size(u), np.size(u))

    def __matmul__(self, v: Any) -> Any:
        if self.matrix is not None:
            return self.matrix @ v
        import numeric

        return numeric.jvp(lambda y: self.f(y, self.p, self.t), self.u, v)

    def sparse(self) -> Any:
        """J as a sparse matrix (for ``precond="ilu"``)."""
        if self.matrix is not None:
            import scipy.sparse as sp

            return sp.csr_matrix(self.matrix)
        return self.pattern.sparse(self.u, self.p, self.t)


def _operator_provider(f: Callable, user: Callable | None, pattern: SparseForward,
                       options: dict) -> Callable:
    rtol = options.get("krylov_rtol")
    if rtol is None:
        base = options.get("rtol")
        base = 1e-6 if base is None else float(np.max(nm.value(base)))
        rtol = min(1e-3, max(1e-12, 1e-2 * base))
    kw = dict(rtol=rtol, restart=int(options.get("krylov_restart", 30)),
              maxiter=options.get("krylov_maxiter"), precond=options.get("precond"))

    def jac(u: Any, p: Any, t: Any) -> JacobianOperator:
        return JacobianOperator(f, u, p, t, matrix=None if user is None else user(u, p, t),
                                pattern=pattern, **kw)

    return jac


def dense_jacobian(jac: Callable) -> Callable:
    """*jac* with sparse results made dense and operators refused (for the DAE start)."""
    def dense(u: Any, p: Any, t: Any) -> Any:
        J = jac(u, p, t)
        if getattr(J, "is_jacobian_operator", False):
            import numeric

            return numeric.jacobian(lambda y: J.f(y, p, t), u)
        return J.toarray() if hasattr(J, "toarray") else J

    return dense


def time_derivative(f: Callable, u: Any, p: Any, t: Any) -> Any:
    """``d f(u, p, t) / dt`` by forward mode on the time (at the primal state and parameters
    when the state's type cannot carry the time's dual, as for the Jacobian).

    A state on a device (CuPy, array API) is handed to *f* carrying the time's perturbation with
    zero partials (``u + 0 (s - t)``): every array in *f* that meets the time's dual is then a
    ``DualArray`` (``u * c - g(t)`` would put one on the right of a device array, which
    ``array_api_strict`` refuses); the values and the derivative are unchanged."""
    from numeric.backend import add, is_foreign

    if is_foreign(u):
        return _at_primal(lambda x, q: nm.derivative(lambda s: f(add(x, (s - t) * (x * 0)), q, s), t), u, p)
    T = _at_primal(lambda x, q: nm.derivative(lambda s: f(x, q, s), t), u, p)
    return _in_state_precision(T, u)


def _in_state_precision(T: Any, u: Any) -> Any:
    """*T* in the float dtype of a float NumPy state *u* (or of its values: a dual or measurement
    state): a float64 time (the time keeps its own type) gives float64 partials, which would lift a
    float32 solve to float64 at its first stage."""
    ref, Tv = nm.innermost(u), nm.innermost(T)
    if (isinstance(ref, np.ndarray) and isinstance(Tv, np.ndarray) and ref.dtype.kind in "fc"
            and Tv.dtype.kind == ref.dtype.kind and Tv.dtype.itemsize > ref.dtype.itemsize):
        return np.astype(T, ref.dtype)      # a metanum T through its astype rule
    return T


def _primal_parameters(p: Any) -> Any:
    """*p* with its numbers replaced by primal values (tuples, lists and arrays kept); *p* itself
    when that changes nothing, so callers can tell whether a fallback exists."""
    if isinstance(p, (tuple, list)):
        q = type(p)(_primal_parameters(x) for x in p)
        return p if all(a is b for a, b in zip(q, p)) else q
    if p is None or callable(p):
        return p
    v = nm.value(p)
    return p if v is p else v
