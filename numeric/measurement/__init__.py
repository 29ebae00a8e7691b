"""Measurements: linear error propagation with exact correlations.

``Measurement`` (:mod:`.scalar`) is one uncertain number; ``MeasurementArray``
(:mod:`.array`) an array of them stored as values plus a Jacobian with
respect to independent sources (:mod:`.sources`). :mod:`.stats` gives the
covariance, correlation, uncertainty components, correlated inputs and the
weighted mean; :mod:`.formatting` prints and parses ``9.79 ± 0.02``.

Both types are generated from the one rules table (:mod:`numeric.rules`).
They sit at the innermost perturbation level (``_nm_order == 0``): a dual of
measurements is the canonical nesting (see :mod:`.scalar`).

Examples
--------
>>> import numeric as nm
>>> x = nm.Measurement(1.0, 0.1)
>>> print(x - x, (nm.sin(x) ** 2 + nm.cos(x) ** 2).err < 1e-16)
0.0 ± 0.0 True
"""

from numeric.measurement.scalar import Measurement
from numeric.measurement.array import MeasurementArray, measurements
from numeric.measurement.stats import (cor, correlated_values, cov, uncertainty,
                                       uncertainty_components, weighted_mean)
from numeric.measurement.formatting import format_measurement, parse_measurement
from numeric.measurement.plotting import errorbar

__all__ = ["Measurement", "MeasurementArray", "measurements", "correlated_values", "cov", "cor",
           "uncertainty_components", "weighted_mean", "uncertainty", "format_measurement",
           "parse_measurement", "errorbar"]
