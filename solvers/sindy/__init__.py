"""Sparse identification of nonlinear dynamics (SINDy).

From samples of a state x(t), find the few terms of a candidate library
Theta(x) that make up dx/dt = Xi Theta(x) (Brunton, Proctor & Kutz, PNAS
113 (2016) 3932). The package is split by job:

* :mod:`~solvers.sindy.libraries` -- candidate terms (polynomial,
  trigonometric, custom; sums and tensor products), named like pysindy's;
* :mod:`~solvers.sindy.derivatives` -- dx/dt from data (finite differences,
  Savitzky--Golay smoothed, spectral through a Fourier ``Fun``);
* :mod:`~solvers.sindy.optimizers` -- STLSQ (the paper's and pysindy's
  variants), SR3, and a threshold sweep scored by AIC/BIC;
* :mod:`~solvers.sindy.selection` -- candidate structures from a sweep, each
  refit to the data through a user loss (an ODE solve), chosen by AICc;
* :mod:`~solvers.sindy.model` -- :func:`fit` and the identified
  :class:`SINDyModel`, which prints its equations and is a right-hand side
  ``f(u, p, t)`` for ``ODEProblem``.

Examples
--------
>>> import numpy as np
>>> from solvers.sindy import fit, PolynomialLibrary, STLSQ
>>> t = np.linspace(0, 5, 501)
>>> x = np.column_stack([np.cos(2 * t), -2 * np.sin(2 * t)])      # x'' = -4 x
>>> model = fit(x, t, PolynomialLibrary(2), STLSQ(0.2))
>>> print(model)
dx/dt = 1.000 y
dy/dt = -4.000 x
"""

from solvers.sindy.derivatives import finite_difference, savgol_difference, spectral_difference
from solvers.sindy.libraries import (CustomLibrary, FourierLibrary, Library, PolynomialLibrary,
                                     Term)
from solvers.sindy.model import SINDyModel, fit
from solvers.sindy.optimizers import (SR3, STLSQ, SparseFit, criterion_from_rss,
                                      information_criterion, sr3, stlsq, threshold_sweep)
from solvers.sindy.selection import (Refit, Selection, candidate_supports, place_coefficients,
                                     refit_support, select_by_criterion)

__all__ = ["fit", "SINDyModel", "Library", "Term", "PolynomialLibrary", "FourierLibrary",
           "CustomLibrary", "STLSQ", "SR3", "SparseFit", "stlsq", "sr3", "threshold_sweep",
           "information_criterion", "criterion_from_rss", "candidate_supports",
           "place_coefficients", "refit_support", "select_by_criterion", "Refit", "Selection",
           "finite_difference", "savgol_difference",
           "spectral_difference"]
