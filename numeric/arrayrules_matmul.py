"""``np.matmul`` in the shared array table: linear in each operand, declared once.

``a @ b`` is bilinear, so (JAX's model) its JVP is the product itself with one operand's
tangent at a time, ``da @ b + a @ db`` (:func:`tangent`, all partial columns at once), and
its VJP for operand *i* is the transpose of that linear map (:func:`transpose`):
``g @ b^T`` for ``a`` and ``a^T @ g`` for ``b``, with matmul's vector and batch-broadcast
rules. DualArray's JVP (MeasurementArray borrows it) and the reverse tape's VJP both come
from here; both are written with NumPy functions that every array type implements, so the
backward pass can itself be differentiated.

Examples
--------
>>> import numpy as np
>>> a, b, g = np.ones((2, 3)), np.arange(3.0), np.array([1.0, 2.0])
>>> transpose(g, a, b, 1).tolist()
[3.0, 3.0, 3.0]
"""

from __future__ import annotations

from typing import Any

import numpy as np

from numeric.arrayrules_structural import unbroadcast
from numeric.backend import namespace

__all__ = ["tangent", "transpose"]


def _foreign(x: Any) -> bool:
    # an array of another namespace (CuPy, array API): its own functions; NumPy's for NumPy
    # arrays and metanum's array types (which implement them through __array_function__)
    return not isinstance(x, np.ndarray) and not hasattr(type(x), "_nm_apply")


def _swap_last(x: Any) -> Any:
    return namespace(x).matrix_transpose(x) if _foreign(x) else np.swapaxes(x, -1, -2)


def _moveaxis(x: Any, src: int, dst: int) -> Any:
    return (namespace(x) if _foreign(x) else np).moveaxis(x, src, dst)


def _reshape(x: Any, shape: tuple) -> Any:
    return (namespace(x) if _foreign(x) else np).reshape(x, tuple(shape))


def tangent(av: Any, ap: Any, bv: Any, bp: Any) -> Any:
    """The partials (trailing axis k) of ``a @ b`` given each operand's partials or None.

    The partials axis is placed as a batch axis just before the matrix axes (the other
    operand gets a matching length-1 axis), so batch axes broadcast as in matmul; vectors
    are handled separately.
    """
    p = None
    a_vec, b_vec = np.ndim(av) == 1, np.ndim(bv) == 1
    if ap is not None:
        if a_vec:
            p = bv @ ap if b_vec else _swap_last(bv) @ ap
        elif b_vec:
            p = _swap_last(ap) @ bv
        else:
            p = _moveaxis(_moveaxis(ap, -1, -3) @ bv[..., None, :, :], -3, -1)
    if bp is not None:
        if b_vec:
            t = av @ bp
        elif a_vec:
            t = _moveaxis(av @ _moveaxis(bp, -1, -3), -2, -1)
        else:
            t = _moveaxis(av[..., None, :, :] @ _moveaxis(bp, -1, -3), -3, -1)
        p = t if p is None else p + t
    return p


def transpose(g: Any, a: Any, b: Any, i: int) -> Any:
    """The cotangent of operand *i* (0: a, 1: b) of ``a @ b`` for the output cotangent *g*."""
    sa, sb = tuple(np.shape(a)), tuple(np.shape(b))
    if len(sa) == 1 and len(sb) == 1:
        return g * b if i == 0 else g * a
    A = a if len(sa) > 1 else _reshape(a, (1,) + sa)
    B = b if len(sb) > 1 else _reshape(b, sb + (1,))
    G = g
    gs = tuple(np.shape(G))
    if len(sa) == 1:
        G = _reshape(G, gs[:-1] + (1,) + gs[-1:])
    if len(sb) == 1:
        G = _reshape(G, tuple(np.shape(G)) + (1,))
    if i == 0:
        dA = G @ _swap_last(B)
        if len(sa) == 1:
            ds = tuple(np.shape(dA))
            dA = _reshape(dA, ds[:-2] + ds[-1:])
        return unbroadcast(dA, sa)
    dB = _swap_last(A) @ G
    if len(sb) == 1:
        dB = _reshape(dB, tuple(np.shape(dB))[:-1])
    return unbroadcast(dB, sb)
