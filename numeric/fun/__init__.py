"""Function-valued numbers: adaptive Chebyshev and Fourier ``Fun`` s.

``nm.Fun(f, nm.Chebyshev(a, b))`` or ``nm.Fun(f, nm.Fourier(a, b))`` is a
smooth function represented by chopped Chebyshev or trigonometric
coefficients, as Chebfun does, and a number of the metanum protocol: the
unchanged ODE solver given a Fun initial condition and a right-hand side
built from ``u.diff(2)`` is an adaptive spectral PDE solver.

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
(181, 0.5493603067780)
"""

from numeric.fun.construct import FunConstructionError, FunConstructionWarning
from numeric.fun.fun import Fun, compose
from numeric.fun.spaces import Chebyshev, Fourier

__all__ = ["Fun", "Chebyshev", "Fourier", "compose", "FunConstructionError",
           "FunConstructionWarning"]
