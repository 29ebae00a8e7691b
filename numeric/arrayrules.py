"""Array functions written once, for every array number type.

The functions here are compositions of primitives that every array type
(``DualArray``, ``TrackedArray``, ``MeasurementArray``) already implements
through ``__array_function__`` (``reshape``, ``moveaxis``, ``matmul``,
multiplication).  Each array type registers them for the matching NumPy
function, so the semantics (shapes, contraction axes, scalar operands) are
decided in one place and cannot drift apart between forward mode, reverse
mode and measurements.

This is the first part of the shared array-rule table (issue 10): ``np.dot``
and ``np.inner`` live here because each type's private copy had the wrong
semantics (``np.dot`` above 2-D behaved like ``matmul``; ``np.inner`` with a
scalar operand summed).

Examples
--------
>>> import numpy as np
>>> from numeric import arrayrules
>>> a = np.arange(24.0).reshape(2, 3, 4); b = np.arange(20.0).reshape(5, 4, 1)
>>> bool(np.allclose(arrayrules.dot(a, b), np.dot(a, b)))
True
>>> arrayrules.inner(2.0, np.array([1.0, 2.0, 3.0])).tolist()
[2.0, 4.0, 6.0]
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["dot", "inner", "swapaxes_args"]


def _shape(x: Any) -> tuple:
    return tuple(np.shape(x)) if not hasattr(x, "shape") else tuple(x.shape)


def _size(shape: tuple) -> int:
    n = 1
    for s in shape:
        n *= int(s)
    return n


def dot(a: Any, b: Any) -> Any:
    """``np.dot(a, b)``: sum over the last axis of *a* and the second-to-last of *b*.

    Scalars multiply; 1-D and 2-D operands are ``matmul``; above 2-D the
    operands are flattened to matrices so that the result has NumPy's shape
    ``a.shape[:-1] + b.shape[:-2] + b.shape[-1:]`` (not matmul's batching).

    Examples
    --------
    >>> import numpy as np
    >>> dot(np.ones((2, 2, 3)), np.ones((4, 3, 5))).shape
    (2, 2, 4, 5)
    """
    sa, sb = _shape(a), _shape(b)
    if len(sa) == 0 or len(sb) == 0:
        return a * b
    if len(sb) == 1 or (len(sa) <= 2 and len(sb) <= 2) or len(sa) == 1 and len(sb) == 2:
        return np.matmul(a, b)
    if len(sa) == 1:                     # vector . N-D: contract with b's axis -2
        b2 = np.reshape(np.moveaxis(b, -2, 0), (sb[-2], _size(sb) // sb[-2]))
        return np.reshape(np.matmul(a, b2), sb[:-2] + sb[-1:])
    a2 = np.reshape(a, (_size(sa[:-1]), sa[-1]))
    b2 = np.reshape(np.moveaxis(b, -2, 0), (sb[-2], _size(sb) // sb[-2]))
    return np.reshape(np.matmul(a2, b2), sa[:-1] + sb[:-2] + sb[-1:])


def inner(a: Any, b: Any) -> Any:
    """``np.inner(a, b)``: sum over the last axes; leading axes form an outer product.

    A scalar operand multiplies (``np.inner(2, [1, 2, 3])`` is ``[2, 4, 6]``).
    The result has shape ``a.shape[:-1] + b.shape[:-1]``.

    Examples
    --------
    >>> import numpy as np
    >>> inner(np.ones((2, 3)), np.ones((4, 3))).shape
    (2, 4)
    """
    sa, sb = _shape(a), _shape(b)
    if len(sa) == 0 or len(sb) == 0:
        return a * b
    if len(sa) == 1 and len(sb) == 1:
        return np.matmul(a, b)
    a2 = np.reshape(a, (_size(sa[:-1]), sa[-1]))
    b2 = np.reshape(b, (_size(sb[:-1]), sb[-1]))
    return np.reshape(np.matmul(a2, np.transpose(b2)), sa[:-1] + sb[:-1])


def swapaxes_args(ndim: int, axis1: int, axis2: int) -> tuple:
    """The permutation ``np.swapaxes(x, axis1, axis2)`` applies (negative axes allowed).

    Examples
    --------
    >>> swapaxes_args(3, 0, -1)
    (2, 1, 0)
    """
    for ax in (axis1, axis2):
        if not -ndim <= ax < ndim:
            raise np.exceptions.AxisError(f"swapaxes: axis {ax} is out of bounds for an array "
                                          f"of dimension {ndim}")
    order = list(range(ndim))
    a, b = axis1 % ndim, axis2 % ndim
    order[a], order[b] = order[b], order[a]
    return tuple(order)


class UnsupportedArrayFunction(TypeError):
    """A NumPy function that no array rule covers for a metanum number type.

    A ``TypeError`` (what NumPy raises when no ``__array_function__`` handles a
    call), with a message naming the function and how to proceed.
    """


def refuse(func: Any, cls: type, types: Any) -> Any:
    """``NotImplemented`` when another type in *types* may handle *func*, else raise.

    Array types call this from ``__array_function__`` for a function without a
    rule: mixed calls keep NumPy's protocol (the other type gets its turn), and
    a call on metanum's type alone raises :class:`UnsupportedArrayFunction`
    instead of NumPy's anonymous "no implementation found".

    Examples
    --------
    >>> import numpy as np
    >>> refuse(np.unwrap, object, [int]) is NotImplemented
    True
    """
    if not all(issubclass(t, cls) for t in types):
        return NotImplemented
    name = getattr(func, "__module__", "numpy") + "." + getattr(func, "__name__", str(func))
    name = name.replace("numpy.core.", "numpy.").replace("numpy._core.", "numpy.")
    raise UnsupportedArrayFunction(
        f"{name} has no derivative rule for {next(iter(types)).__name__}: metanum will not guess one. "
        f"Write the computation with supported NumPy functions, call it on nm.value(x) if no "
        f"derivative or uncertainty is needed, or declare its derivative with nm.custom_rule.")
