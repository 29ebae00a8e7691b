"""``nm.errorbar``: measurements on matplotlib axes, error bars from their uncertainties.

Examples
--------
>>> import numpy as np, numeric as nm
>>> y = nm.measurements([1.0, 1.8, 3.1], [0.1, 0.2, 0.15])
>>> ax = nm.errorbar(np.arange(3.0), y, fmt="o")
>>> ax.get_children()[0] is not None
True
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["errorbar"]


def _nominal_and_error(z: Any) -> tuple:
    from numeric.measurement.stats import uncertainty
    from numeric.protocol import value

    if isinstance(z, (list, tuple)):
        from numeric.measurement.array import measurements

        z = measurements(list(z))
    err = np.asarray(uncertainty(z), dtype=float)
    return np.asarray(value(z), dtype=float), (err if np.any(err) else None)


def errorbar(x: Any, y: Any, *, ax: Any = None, **kwargs: Any) -> Any:
    """``ax.errorbar`` of measurements: nominal values at the points, ±1 standard deviation bars.

    Parameters
    ----------
    x, y : MeasurementArray, Measurement sequence, or plain numbers
        Either may carry uncertainties (x error bars when x does).
    ax : matplotlib axes, optional (default the current axes)
    **kwargs : passed to ``matplotlib.axes.Axes.errorbar`` (``fmt``, ``capsize``, ``label`` ...)

    Returns
    -------
    The axes.
    """
    import matplotlib.pyplot as plt

    ax = plt.gca() if ax is None else ax
    xv, xe = _nominal_and_error(x)
    yv, ye = _nominal_and_error(y)
    kwargs.setdefault("capsize", 2)
    ax.errorbar(xv, yv, xerr=xe, yerr=ye, **kwargs)
    return ax
