"""``dF/du`` and ``dF/d(du)`` of a DAE residual, by forward mode at the primal values.

Built on :func:`solvers.ode.stiff.jacobian.make_jacobian` (dense forward mode; a number type
that cannot be seeded through, a Measurement parameter, is differentiated at its primal value),
so a Dual state or parameter gives the plain float matrices a Newton iteration needs.

Both matrices come from one forward-mode Jacobian of ``z -> F(z[:n], z[n:])`` at
``z = (du, u)``: both arguments are then seeded arrays of one type, so a residual mixing them
(``du[0] + 0.04 * u[0]``) never meets an array-API operator with a metanum array on its right
(which ``array_api_strict`` and CuPy arrays refuse); the same ``2n`` seed directions as two
Jacobians.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from numeric.arrayrules_structural import join_any
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
    n = uv.shape[0]
    z = join_any(np.concatenate, [dv, uv])
    J = nm.value(make_jacobian(lambda y, q, s: F(y[:n], y[n:], q, s), _DENSE)(z, p, t))
    return J[:, n:], J[:, :n]
