"""Array attributes shared by every array number type.

``DualArray``, ``MeasurementArray`` and ``TrackedArray`` each keep their
primal values in a NumPy (or CuPy) array; ``shape``, ``ndim``, ``size``,
``dtype``, ``len()``, truth value, ``tolist`` and the array namespace are those of that array. This
mixin reads them off the attribute named by ``_primal_field`` so the three
types do not restate them.

Examples
--------
>>> import numpy as np, numeric as nm
>>> x = nm.DualArray(np.zeros((2, 3)), np.zeros((2, 3, 1)))
>>> x.shape, x.ndim, x.size, len(x)
((2, 3), 2, 6, 2)
"""

from __future__ import annotations

from operator import attrgetter

import numpy as np

from numeric.backend import namespace

__all__ = ["ArrayAttributes"]


class ArrayAttributes:
    """Mixin: array attributes of the primal array ``getattr(self, _primal_field)``."""

    __slots__ = ()
    _primal_field = "value"
    _nm_array = True        # marks an array number type (reverse mode wraps its values as arrays)

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls._primal_array = property(attrgetter(cls._primal_field))

    @property
    def shape(self) -> tuple:
        return tuple(self._primal_array.shape)

    @property
    def ndim(self) -> int:
        return self._primal_array.ndim

    @property
    def size(self) -> int:
        return self._primal_array.size

    @property
    def dtype(self):
        return self._primal_array.dtype

    @property
    def _nm_namespace(self):
        return namespace(self._primal_array)

    def __len__(self) -> int:
        return len(self._primal_array)

    def __bool__(self) -> bool:
        return bool(self._primal_array)

    __hash__ = None  # compared by primal value (or identity of the linear form): unhashable

    _nm_carries = "derivative"   # what a conversion to a plain array would drop

    def __array__(self, dtype=None, copy=None):
        """Refused: a plain array would drop the derivative (or uncertainty) silently.

        NumPy calls this for ``np.asarray(x)``, and also inside ``np.array([x, y])`` and
        ``np.r_`` / ``np.c_`` of such arrays, which have no dispatch of their own; the
        message names the joins that keep the linear parts.
        """
        kind, what = type(self).__name__, self._nm_carries
        raise TypeError(
            f"np.asarray() of a {kind} would drop its {what}. Use nm.value(x) to take the "
            f"primal value on purpose. np.array([x, y]), np.r_[...] and np.c_[...] of array "
            f"numbers convert each one this way: join them with np.stack([x, y]), "
            f"np.concatenate([x, y]) or np.stack([x, y], axis=-1), which keep the {what}")

    def squeeze(self, axis=None):
        """``np.squeeze(self, axis)`` (the type's own rule keeps the derivative)."""
        return np.squeeze(self, axis=axis)

    def all(self, axis=None, keepdims=False):
        """``np.all(self, axis)``: of the values (no derivative)."""
        return np.all(self, axis=axis, keepdims=keepdims)

    def any(self, axis=None, keepdims=False):
        """``np.any(self, axis)``: of the values (no derivative)."""
        return np.any(self, axis=axis, keepdims=keepdims)

    def tolist(self) -> list:
        return [e.tolist() if isinstance(e, type(self)) else e for e in self]
