"""The attribute names users of the ``uncertainties`` package reach for.

``x.n`` / ``x.nominal_value`` is the nominal value and ``x.s`` / ``x.std_dev``
the standard deviation, for a scalar :class:`~numeric.measurement.Measurement`
and elementwise for a :class:`~numeric.measurement.MeasurementArray`: the
same as ``nm.value(x)`` and ``nm.uncertainty(x)``.

Examples
--------
>>> import numeric as nm
>>> x = nm.Measurement(2.0, 0.1)
>>> (x.n, x.s, x.nominal_value, x.std_dev)
(2.0, 0.1, 2.0, 0.1)
>>> nm.measurements([1.0, 2.0], 0.5).s
array([0.5, 0.5])
"""

from __future__ import annotations

from typing import Any

__all__ = ["UncertaintiesNames"]


class UncertaintiesNames:
    """Mixin: ``n``, ``nominal_value``, ``s``, ``std_dev`` over ``val`` and ``err``."""

    __slots__ = ()

    @property
    def n(self) -> Any:
        """The nominal value (``uncertainties``' name; ``nm.value(x)``)."""
        return self.val

    nominal_value = n

    @property
    def s(self) -> Any:
        """The standard deviation (``uncertainties``' name; ``nm.uncertainty(x)``)."""
        return self.err

    std_dev = s
