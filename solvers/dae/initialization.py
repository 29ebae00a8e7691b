"""Consistent initial values of ``F(du, u, p, t0) = 0`` (Brown, Hindmarsh & Petzold).

P. N. Brown, A. C. Hindmarsh, L. R. Petzold, "Consistent initial condition calculation for
differential-algebraic systems", SIAM J. Sci. Comput. 19 (1998) 1495-1512 (IDA's
``IDACalcIC`` with ``IDA_YA_YDP_INIT``): the differential components of ``u0`` are kept; the
unknowns are the derivatives of the differential components and the algebraic components
themselves. For an index-1 system the Jacobian of ``F`` in those unknowns,
``[dF/d(du)[:, diff] | dF/du[:, alg]]``, is nonsingular, and Newton's method converges from a
nearby guess. The derivatives of the algebraic components do not enter ``F`` and are left as
given. Newton runs on the caller's number type with the primal Jacobian, so a dual parameter's
derivative of the consistent values converges with them (one more correction is taken after
the values converged, as in :mod:`solvers.ode.stiff.newton`).

The iteration runs in the namespace of the state (NumPy, CuPy, ``array_api_strict``): the
unknowns are updated through 0/1 masks of the differential components (``du + dz * d``,
``u + dz * (1 - d)``, exact, no item assignment, which the array API lacks), the Newton
matrix is chosen column by column with the namespace's ``where`` and solved by
:func:`solvers.ode.stiff.linsolve.factorize` (``xp.linalg.solve`` on a device); the two norms of
each iteration's convergence test are the only host transfers.
"""

from __future__ import annotations

from typing import Any, Callable

import mpmath
import numpy as np

from numeric.backend import add, device_of, float_dtype, is_foreign, namespace
from solvers import linalg
from solvers._nm import is_finite_real, nm, real_eps
from solvers.dae.jacobians import residual_jacobians

__all__ = ["differential_components", "consistent_initial_values"]


def differential_components(F: Callable, du0: Any, u0: Any, p: Any, t0: Any) -> Any:
    """Booleans: ``True`` where ``du[i]`` enters ``F`` at ``(du0, u0)`` (a non-zero column of dF/d(du)),
    in the namespace of the Jacobian (on the state's device)."""
    _, Jd = residual_jacobians(F, du0, u0, p, t0)
    if is_foreign(Jd):
        return namespace(Jd).any(Jd != 0, axis=0)
    return (host_numbers(Jd) != 0).any(axis=0)


def host_numbers(a: Any) -> np.ndarray:
    """*a* as a NumPy float or complex array: a float or complex array as it is (float32 stays
    float32), other numbers as float, or complex when there are complex ones (a float conversion
    would drop the imaginary parts: a purely imaginary coefficient of ``du`` would read as zero).

    >>> host_numbers(np.array([[1j, 0.0]])).dtype, host_numbers(np.ones(2, dtype=np.float32)).dtype
    (dtype('complex128'), dtype('float32'))
    """
    arr = np.asarray(a)
    if arr.dtype.kind in "fc":
        return arr
    complex_ = arr.dtype == object and any(isinstance(x, (complex, mpmath.mpc)) for x in arr.flat)
    return np.asarray(a, dtype=complex if complex_ else float)


def component_mask(diff: Any, like: Any) -> Any:
    """*diff* (booleans, host or device) as a 0/1 float array next to *like* (the Jacobian).

    >>> component_mask(np.array([True, False]), np.zeros((2, 2))).tolist()
    [1.0, 0.0]
    """
    if is_foreign(like):
        xp = namespace(like)
        if not is_foreign(diff):
            diff = xp.asarray(np.asarray(diff, dtype=bool), device=device_of(like))
        return xp.astype(diff, float_dtype(like))
    kind = getattr(like, "dtype", np.dtype(object)).kind   # in the Jacobian's float type: float32 stays
    return np.asarray(diff, dtype=like.real.dtype if kind in "fc" else float)


def _newton_matrix(d: Any, Jd: Any, Ju: Any) -> Any:
    """``[dF/d(du)[:, diff] | dF/du[:, alg]]`` column by column (*d* the 0/1 mask)."""
    if is_foreign(Jd):
        return namespace(Jd).where(d[None, :] != 0, Jd, Ju)
    return np.where(d[None, :] != 0, Jd, Ju)


def _solve(A: Any, b: Any) -> Any:
    """``A^-1 b``: the generic LU on the host (a singular matrix raises), ``xp.linalg.solve`` by
    :func:`~solvers.ode.stiff.linsolve.factorize` on a device (a derivative-carrying *b* too)."""
    if is_foreign(A):
        from solvers.ode.stiff.linsolve import factorize

        return factorize(A).solve(b)
    return linalg.solve(host_numbers(A), b)


_SINGULAR = ("consistent initialisation: the Jacobian in (du of the differential, u of the algebraic "
             "components) is singular{}; the DAE may have index > 1, or differential_vars is wrong")


def consistent_initial_values(F: Callable, du0: Any, u0: Any, p: Any, t0: Any, diff: Any, *,
                              tol: float = 1e-12, maxiter: int = 30) -> tuple:
    """``(du0, u0)`` with ``F(du0, u0, p, t0) = 0``, differential components of ``u0`` kept.

    Raises
    ------
    ValueError
        When Newton's method does not converge (a system of index above 1, or a guess too far
        off): pass consistent values, or better guesses of the algebraic components.

    Examples
    --------
    >>> import numpy as np
    >>> F = lambda du, u, p, t: np.array([du[0] + u[0], u[0] + u[1] - 1.0])
    >>> du, u = consistent_initial_values(F, np.zeros(2), np.array([0.25, 0.0]), None, 0.0,
    ...                                   np.array([True, False]))
    >>> du.tolist(), u.tolist()
    ([-0.25, 0.0], [0.25, 0.75])
    """
    du, u = add(du0, u0 * 0), add(u0, du0 * 0)  # one common type for both
    r0 = F(du, u, p, t0) * 0  # and the residual's (a dual parameter makes the unknowns duals)
    du, u = add(du, r0), add(u, r0)
    d = None
    sweeps = 0
    tol = max(tol, 16 * float(real_eps(nm.value(u))))   # float32 cannot reach 1e-12
    for _ in range(maxiter):
        r = F(du, u, p, t0)
        Ju, Jd = residual_jacobians(F, du, u, p, t0)
        d = component_mask(diff, Jd) if d is None else d
        try:
            dz = _solve(_newton_matrix(d, Jd, Ju), -r)
        except (np.linalg.LinAlgError, ZeroDivisionError) as exc:
            raise ValueError(_SINGULAR.format(f" ({exc})")) from None
        du, u = du + dz * d, u + dz * (1 - d)  # the differential derivatives, the algebraic values
        size = float(nm.value(nm.norm(nm.value(dz))))
        scale = 1.0 + float(nm.value(nm.norm(nm.value(u))))
        if not is_finite_real(size):
            if is_foreign(d):  # xp.linalg.solve need not raise for a singular matrix (CuPy does not)
                raise ValueError(_SINGULAR.format(" (or Newton diverged: a non-finite correction)"))
            break
        if size <= tol * scale:
            sweeps += 1
            if sweeps >= 2:  # one more correction after convergence: tangent parts converge too
                return du, u
    raise ValueError("consistent initialisation: Newton's method did not converge; pass consistent du0/u0 "
                     "or better guesses of the algebraic components")
