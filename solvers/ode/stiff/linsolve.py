"""Form and factorise the iteration matrix ``W = a M - b J`` once per step; solve with it many times.

``iteration_matrix(M, J, a, b, stats)`` is what the stiff methods call (``M = None`` is the
identity). The path follows the type of the Jacobian:

* a dense float or complex array: LAPACK ``getrf`` / ``getrs`` (called directly);
* a ``scipy.sparse`` matrix (from the sparse Jacobian providers of
  :mod:`solvers.ode.stiff.jacobian`, or a user ``jac`` returning one): ``W`` is
  assembled in CSC and factorised by SuperLU (``scipy.sparse.linalg.splu``, ordered by
  minimum degree on ``W^T + W``);
  right-hand sides of another array type (a DualArray carrying a parameter
  sensitivity) are solved by ``np.linalg.solve`` on the dense ``W``;
* a :class:`~solvers.ode.stiff.jacobian.JacobianOperator` (``linsolve="gmres"``): nothing is
  factorised; each solve runs GMRES (:func:`solvers.krylov.gmres`) on ``v -> a M v - b J v``
  with ``J v`` a forward-mode directional derivative, an optional preconditioner, and a
  tolerance tied to the step's tolerance;
* object arrays (``mpf``, ...): the generic LU of :mod:`solvers.linalg`;
* a float array of another namespace (CuPy, array_api_strict): on its device, by
  :func:`numeric.backend.linear_solver`, chosen by capability: CuPy's LU
  (``cupyx.scipy.linalg.lu_factor`` once, ``lu_solve`` per solve: the factors stay on the GPU);
  a namespace without one (the array API standard, ``array_api_strict``) re-solves with
  ``xp.linalg.solve`` at each solve; complex matrices (Radau's second system) likewise;
* any other array type (a ``DualArray`` Jacobian): ``np.linalg.solve``, which the array
  type implements (it factorises once per call); on a device, the same rule written with
  the namespace's solver (:func:`_linear_solve`: value and all partial columns, one factorisation
  where the namespace keeps one).

``factorize(W)`` factorises an already formed matrix by the same rules.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np
import scipy.linalg

from numeric.backend import add, device_of, has_lapack, is_array, is_foreign, linear_solver, matmul, namespace
from solvers import linalg
from solvers._nm import nm
from solvers.ode.state import as_object_array

__all__ = ["Factorization", "factorize", "is_sparse", "iteration_matrix", "KrylovSolver", "PERMC_SPEC"]

PERMC_SPEC = "MMD_AT_PLUS_A"  # SuperLU column ordering of the sparse iteration matrix


def is_sparse(A: Any) -> bool:
    """Whether *A* is a ``scipy.sparse`` matrix."""
    import scipy.sparse as sp

    return sp.issparse(A)


class Factorization:
    """A factorised square matrix: ``fac.solve(b)`` returns ``W^-1 b``."""

    def __init__(self, W: Any, stats: Any = None):
        self.stats = stats
        self.W = W
        if is_sparse(W):
            self.kind = "sparse"
            self.lu = _splu(W)
        elif isinstance(W, np.ndarray) and W.dtype.kind in "fc":
            self.kind = "lapack"
            # LAPACK getrf/getrs called directly: scipy.linalg.lu_factor / lu_solve add ~10 us of
            # argument checking per call, which a small stiff system pays several times per step
            getrf, self._getrs = scipy.linalg.get_lapack_funcs(("getrf", "getrs"), (W,))
            lu, piv, info = getrf(W)
            if info < 0:
                raise ValueError(f"LAPACK getrf: illegal argument {-info}")
            self.lu = (lu, piv)  # a singular W (info > 0) gives non-finite solves: the step is rejected
        elif isinstance(W, np.ndarray):
            self.kind = "generic"
            self.lu = linalg.lu_factor(W)
        elif is_array(W) and not has_lapack(namespace(W)):
            self.kind = "namespace"
            self.lu = W
            self._solve = linear_solver(W)  # CuPy: its LU kept; the array API: xp.linalg.solve
        elif hasattr(type(W), "_nm_linear") and is_foreign(nm.value(W)):
            self.kind = "namespace-linear"  # a DualArray matrix on a device (a Jacobian carrying dJ/dp)
            self.lu = W
        elif hasattr(type(W), "_nm_linear") and linalg.is_object_array(nm.innermost(W)):
            # a DualArray of mpf (or of a tape's numbers; or of such duals, nested): NumPy's solve
            # takes no object array, so the value is factorised once (by the generic LU, innermost)
            # and np.linalg.solve's rule applied on top of it by _linear_solve, layer by layer
            self.kind = "object-linear"
            self.lu, self._solve = W, Factorization(W._nm_linear()[0]).solve
        else:
            self.kind = "array"
            self.lu = W
        _count(stats, "nfactor")

    def solve(self, b: Any) -> Any:
        _count(self.stats, "nsolve")
        if self.kind in ("lapack", "sparse"):
            if isinstance(b, np.ndarray):
                if b.dtype.kind in "fc":
                    if self.kind == "sparse":
                        return self.lu.solve(b)
                    if b.dtype == self.lu[0].dtype:
                        return self._getrs(self.lu[0], self.lu[1], b)[0]
                    return scipy.linalg.lu_solve(self.lu, b, check_finite=False)
                if self.kind == "lapack":
                    return linalg.lu_solve((self.lu[0].astype(object), self.lu[1]), b)
            # another array type (DualArray, MeasurementArray) on a float matrix: its own
            # np.linalg.solve (through __array_function__) keeps its derivative/uncertainty part
            W = self.W.toarray() if self.kind == "sparse" else self.W
            return np.linalg.solve(W, b)
        if self.kind in ("generic", "object-linear") and getattr(b, "ndim", 1) > 2:
            # the partial columns of a nested dual: solve them as (n, m) columns
            return self.solve(b.reshape(b.shape[0], -1)).reshape(b.shape)
        if self.kind == "generic":
            if not isinstance(b, np.ndarray) and hasattr(type(b), "_nm_array"):
                b = as_object_array(b)   # an array number (a DualArray, a tape's array) meets an
                #                          object matrix: element by element
            return linalg.lu_solve(self.lu, b)
        if self.kind == "namespace-linear":
            return _linear_solve(self.lu, b)
        if self.kind == "object-linear":
            if linalg.is_object_array(b):   # scalars that may carry W's perturbation: W's array type splits them
                b = self.lu[:, 0] * 0 + b
            if getattr(b, "_nm_order", None) not in (None, getattr(self.lu, "_nm_order", None)):
                return np.linalg.solve(self.lu, b)    # another perturbation (nesting): the type's rule
            return _linear_solve(self.lu, b, self._solve)
        if self.kind == "namespace":
            if is_array(b):
                return self._solve(b)
            if hasattr(type(b), "_nm_linear"):
                # a DualArray (MeasurementArray) right-hand side on a device: W^-1 is linear, so it
                # applies to the value and to the partials (an (n, k) right-hand side) alike
                v, P, rebuild = b._nm_linear()
                return rebuild(self.solve(v), self.solve(P))
        return np.linalg.solve(self.lu, b)


def _linear_solve(W: Any, b: Any, solve: Any = None) -> Any:
    """``W^-1 b`` for a matrix *W* with a linear part on a device (a DualArray: value ``A``, partials
    ``dA``): ``x = A^-1 b``, ``dx = A^-1 (db - dA x)`` for all partial columns at once
    (``np.linalg.solve``'s rule written in the array API; NumPy's rule table does not take device arrays).
    *solve* applies ``A^-1`` (default: the namespace's, :func:`numeric.backend.linear_solver`)."""
    A, dA, rebuild = W._nm_linear()
    if hasattr(type(b), "_nm_linear"):
        if getattr(b, "_nm_order", None) != getattr(W, "_nm_order", None):
            raise TypeError("an iteration matrix carrying derivatives on a device meets a right-hand side "
                            "of another perturbation (nested differentiation); use NumPy arrays for that")
        bv, db, _ = b._nm_linear()
    else:
        bv, db = b, None
    if solve is None:
        if not (is_array(A) and is_array(dA) and is_array(bv)):
            raise TypeError("nested derivatives in an iteration matrix on a device are not supported; "
                            "use NumPy arrays")
        solve = linear_solver(A)
    xp = namespace(A)
    x = solve(bv)
    dAx = xp.permute_dims(dA, (2, 0, 1)) @ x                  # (k, n), or (k, n, m) for columns x
    dAx = xp.permute_dims(dAx, tuple(range(1, dAx.ndim)) + (0,))    # (n, k) / (n, m, k)
    return rebuild(x, solve(-dAx if db is None else db - dAx))


def _splu(W: Any) -> Any:
    import scipy.sparse.linalg as spla

    W = W.tocsc()
    if W.dtype.kind not in "fc":
        raise TypeError(f"the sparse iteration matrix has dtype {W.dtype}; sparse LU needs float "
                        "entries (use a float state, or sparse=False for other number types)")
    try:
        # the minimum-degree ordering of W^T + W: an iteration matrix a M - b J has a full diagonal
        # and (for PDE stencils) a symmetric pattern, where it halves COLAMD's fill and factorises
        # 1.6x faster (2-D Brusselator, N = 32); partial pivoting is kept
        return spla.splu(W, permc_spec=PERMC_SPEC)
    except RuntimeError as exc:  # "Factor is exactly singular"
        raise np.linalg.LinAlgError(str(exc)) from exc


def _count(stats: Any, name: str) -> None:
    if stats is not None:
        setattr(stats, name, getattr(stats, name, 0) + 1)


def factorize(W: Any, stats: Any = None) -> Factorization:
    """Factorise *W* by the path its type allows (see the module docstring)."""
    return Factorization(W, stats)


class KrylovSolver:
    """``solve(rhs)`` by preconditioned GMRES on ``v -> a M v - b (J v)`` (no matrix formed).

    The GMRES relative tolerance is ``op.rtol`` (from the solve's ``rtol``, see
    :func:`solvers.ode.stiff.jacobian.make_jacobian`). A GMRES solve that does not converge
    returns NaNs (counted in ``stats.nlinear_fail``): the step's error estimate is then not
    finite and the step loop rejects the step and shrinks ``h``.
    """

    def __init__(self, M: Any, op: Any, a: Any, b: Any, stats: Any = None):
        self.M, self.op, self.a, self.b, self.stats = M, op, a, b, stats
        self.precond = _preconditioner(op.precond, M, op, a, b)
        _count(stats, "nfactor")

    def apply(self, v: Any) -> Any:
        Mv = v if self.M is None else matmul(self.M, v)
        return Mv * self.a - self.op @ v * self.b

    def solve(self, rhs: Any) -> Any:
        from solvers.krylov import gmres

        _count(self.stats, "nsolve")
        x, info = gmres(self.apply, rhs, rtol=self.op.rtol, restart=self.op.restart,
                        maxiter=self.op.maxiter, M=self.precond)
        if self.stats is not None:
            self.stats.nlinear = getattr(self.stats, "nlinear", 0) + info.iterations
        if not info.converged:  # a NaN stage makes the step's error estimate non-finite: rejected
            _count(self.stats, "nlinear_fail")
            return x * float("nan")
        return x


def _preconditioner(pre: Any, M: Any, op: Any, a: Any, b: Any) -> Callable | None:
    """``None``, a user callable ``pre(v)`` / factory ``pre(M, J, a, b) -> callable``, or "ilu"."""
    if pre is None:
        return None
    if pre == "ilu":
        import scipy.sparse as sp
        import scipy.sparse.linalg as spla

        J = op.sparse()
        n = J.shape[0]
        A = (sp.identity(n, format="csc") if M is None else sp.csc_matrix(M)) * a - J * b
        ilu = spla.spilu(A.tocsc(), drop_tol=1e-5, fill_factor=20)
        return ilu.solve
    if callable(pre):
        return pre
    raise ValueError(f"precond must be None, 'ilu' or a callable v -> P^-1 v, got {pre!r}")


def iteration_matrix(M: Any, J: Any, a: Any, b: Any, stats: Any = None) -> Any:
    """Factorised ``W = a M - b J`` (``M = None``: the identity), by the path J's type selects.

    Examples
    --------
    >>> import numpy as np, scipy.sparse as sp
    >>> J = sp.csr_matrix(np.array([[-2.0, 1.0], [1.0, -2.0]]))
    >>> W = iteration_matrix(None, J, 1.0, 0.5)
    >>> W.kind, np.round(W.solve(np.array([1.5, 1.5])), 12).tolist()
    ('sparse', [1.0, 1.0])
    """
    if getattr(J, "is_jacobian_operator", False):
        return KrylovSolver(M, J, a, b, stats)
    if is_sparse(J):
        import scipy.sparse as sp

        n = J.shape[0]
        I = sp.identity(n, format="csc", dtype=J.dtype) if M is None else sp.csc_matrix(M)
        return factorize((I * a - J * b).tocsc(), stats)
    n = np.shape(J)[0]
    ref = nm.innermost(J)            # J's plain values (a Jacobian carrying dJ/dp or uncertainty)
    if M is None and is_array(ref) and not has_lapack(namespace(ref)):  # the identity on J's device
        M = namespace(ref).eye(n, dtype=ref.dtype, device=device_of(ref))
    if M is None:  # in J's float dtype: a float64 identity would lift a float32 solve to float64
        real = isinstance(ref, np.ndarray) and ref.dtype.kind in "fc"   # J's values (a metanum J too)
        M = np.eye(n, dtype=ref.dtype if real else float)
    # add: a device M with a derivative-carrying J on its right (J * b is the metanum operand)
    return factorize(add(M * a, -(J * b)), stats)
