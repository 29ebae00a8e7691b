"""``dF/du`` and ``dF/d(du)`` of a DAE residual, by forward mode at the primal values.

Built on :func:`solvers.ode.stiff.jacobian.make_jacobian` (dense forward mode; a number type
that cannot be seeded through, a Measurement parameter, is differentiated at its primal value),
so a Dual state or parameter gives the plain float matrices a Newton iteration needs.
"""

from __future__ import annotations

from typing import Any, Callable

from solvers._nm import nm
from solvers.ode.stiff.jacobian import make_jacobian

__all__ = ["residual_jacobians"]

_DENSE = {"sparse": False, "autodiff": "forward"}


def residual_jacobians(F: Callable, du: Any, u: Any, p: Any, t: Any) -> tuple:
    """``(dF/du, dF/d(du))`` at ``(du, u)`` as primal matrices.

    Examples
    --------
    >>> import numpy as np
    >>> F = lambda du, u, p, t: np.array([du[0] - u[1], u[0] * u[1]])
    >>> Ju, Jd = residual_jacobians(F, np.zeros(2), np.array([2.0, 3.0]), None, 0.0)
    >>> (Ju + 0.0).tolist(), Jd.tolist()
    ([[0.0, -1.0], [3.0, 2.0]], [[1.0, 0.0], [0.0, 0.0]])
    """
    dv, uv = nm.value(du), nm.value(u)
    Ju = make_jacobian(lambda y, q, s: F(dv, y, q, s), _DENSE)(uv, p, t)
    Jd = make_jacobian(lambda y, q, s: F(y, uv, q, s), _DENSE)(dv, p, t)
    return nm.value(Ju), nm.value(Jd)
