"""Function-valued numbers: adaptive Chebyshev and Fourier ``Fun`` s.

``nm.Fun(f, nm.Chebyshev(a, b))`` or ``nm.Fun(f, nm.Fourier(a, b))`` is a
smooth function represented by chopped Chebyshev or trigonometric
coefficients, as Chebfun does, and a number of the metanum protocol: the
unchanged ODE solver given a Fun initial condition and a right-hand side
built from ``u.diff(2)`` is an adaptive spectral PDE solver.

Choices (see :mod:`numeric.fun.fun` for details):

* a Fun is always the outermost number (``_nm_order = 2**62``): a Dual,
  Measurement or mpf meeting a Fun goes into its coefficients (a
  ``DualArray`` or ``MeasurementArray`` of coefficients, any array number
  with the protocol's ``_nm_linear`` hook), so derivatives and uncertainties
  of function-valued computations are Funs;
* ``nm.norm(f)`` is the RMS over the interval (with the RMS of the linear
  parts added for dual or measurement coefficients), the quantity the ODE solver's error control
  compares to ``atol + rtol * norm(u)``; it does not depend on the length;
* Dirichlet conditions on a Chebyshev space are imposed in the right-hand
  side with :func:`~numeric.fun.fun.dirichlet_projection` (collocation with
  the boundary rows replaced), so the ODE solver stays unchanged.

Modules: :mod:`~numeric.fun.chop` (standardChop), :mod:`~numeric.fun.chebyshev`
and :mod:`~numeric.fun.fourier` (the numerics, pure functions),
:mod:`~numeric.fun.coeffs` (coefficients of any number type),
:mod:`~numeric.fun.construct` (adaptive sampling), :mod:`~numeric.fun.spaces`
and :mod:`~numeric.fun.fun` (thin adapters).

Examples
--------
>>> import numpy as np, numeric as nm
>>> f = nm.Fun(lambda x: 1 / (1 + 25 * x**2), nm.Chebyshev(-1, 1))
>>> len(f), round(float(f.sum()), 13)    # 2/5 arctan(5)
(189, 0.549360306778)
"""

from numeric.fun.construct import FunConstructionError, FunConstructionWarning
from numeric.fun.fun import Fun, compose, dirichlet_projection
from numeric.fun.spaces import Chebyshev, Fourier

__all__ = ["Fun", "Chebyshev", "Fourier", "compose", "dirichlet_projection", "FunConstructionError",
           "FunConstructionWarning"]
