"""Tape reverse mode: tracked scalars and arrays, VJPs from the rules table,
an iterative backward pass, recorded tapes with guards, and compiled tapes.

Modules: :mod:`~numeric.reverse.tape` (nodes and the backward loop),
:mod:`~numeric.reverse.tracked` (``Tracked``, ``TrackedArray``),
:mod:`~numeric.reverse.arrayops` (array VJPs), :mod:`~numeric.reverse.api`
(gradient, vjp, jacobian_rows, hvp, hessian), :mod:`~numeric.reverse.record`
(record and replay with guards), :mod:`~numeric.reverse.compile` (numba).

Examples
--------
>>> import numpy as np, numeric.reverse as rv
>>> rv.gradient(lambda x: np.sum(np.tanh(x)), np.zeros(3))
array([1., 1., 1.])
"""

from numeric.reverse.tape import Tape  # noqa: F401
from numeric.reverse.tracked import GuardError, Tracked, TrackedArray  # noqa: F401
from numeric.reverse import arrayops  # noqa: F401  (fills the array-operation table)
from numeric.reverse.api import (  # noqa: F401
    derivative, gradient, hessian, hvp, jacobian_auto, jacobian_rows, value_and_gradient, vjp,
)
from numeric.reverse.record import RecordedTape, record  # noqa: F401
from numeric.reverse.custom import custom_rule  # noqa: F401
from numeric.reverse.primitive import carries_reverse, custom_vjp  # noqa: F401
