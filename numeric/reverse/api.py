"""Reverse-mode differentiation API: gradient, vjp, jacobian_rows, hvp, hessian, record.

One forward evaluation records a tape; one backward sweep over it gives the
gradient of a scalar with respect to every input, whatever their number.
A Jacobian costs one sweep per output row (``jacobian_rows``), so reverse
mode wins when outputs are few and inputs many; ``nm.jacobian(...,
mode="auto")`` chooses between this and forward mode by the sizes.

Second derivatives compose the two modes: ``hvp`` and ``hessian`` are
reverse over forward (a dual whose value is tracked: one forward pass of
duals recorded on a tape, then backward sweeps), and calls nest freely
(forward over reverse: ``nm.jacobian(lambda x: rv.gradient(f, x), x)``;
reverse over reverse: ``rv.gradient(lambda x: rv.gradient(f, x)[0], x)``).

Examples
--------
>>> import numpy as np, numeric.reverse as rv
>>> rv.gradient(lambda x: np.sum(x ** 2), np.array([1.0, 2.0, 3.0]))
array([2., 4., 6.])
>>> rv.vjp(lambda x: x ** 2, np.array([1.0, 2.0]), np.array([1.0, 10.0]))
array([ 2., 40.])
>>> rv.hvp(lambda x: np.sum(x ** 3), np.array([1.0, 2.0]), np.array([1.0, 0.0]))
array([6., 0.])
"""

from __future__ import annotations

from typing import Any, Callable

import math

import mpmath
import numpy as np

from numeric.backend import (astype, copy, device_of, dtype_kind, explain_operands, float_dtype, is_array, is_foreign,
                             like, namespace, reshape)
from numeric.dual import Dual
from numeric.dualarray import DualArray
from numeric.protocol import innermost, new_order, zero
from numeric.complex_forms import is_complex, real_of
from numeric.reverse.tape import Tape, finish
from numeric.reverse.tracked import Tracked, TrackedArray, is_tracked

__all__ = ["derivative", "gradient", "vjp", "jacobian_rows", "jacobian_auto", "hvp", "hessian",
           "value_and_gradient"]


def _is_array_input(x: Any) -> bool:
    return is_array(x) or isinstance(x, (list, tuple, DualArray, TrackedArray))


def _as_input(x: Any, who: str) -> Any:
    t = type(x)
    if t is float or (t is np.ndarray and x.dtype.kind == "f"):
        return x
    if isinstance(x, (bool, np.bool_)):
        raise TypeError(f"{who}: cannot differentiate with respect to a bool")
    if isinstance(x, (int, np.integer)):
        return float(x)
    if isinstance(x, (list, tuple)):
        x = np.asarray(x)
    if is_array(x) and dtype_kind(x.dtype) in "iub":
        return astype(x, float_dtype(x))
    return x


def lift(x: Any, tape: Tape) -> Any:
    """The input *x* as a leaf of *tape* (a ``Tracked`` or a ``TrackedArray``)."""
    if type(x) is np.ndarray or _is_array_input(x):
        return TrackedArray(x, tape)
    return Tracked(x, tape)


def argument(xt: Any) -> Any:
    """A separate handle on the leaf *xt* for the user's function.

    ``x[i] = v`` inside the function rebinds that handle to a new node (a
    functional update on the tape); the leaf itself stays put, so its
    adjoint is the gradient with respect to the original input.
    """
    if type(xt) is TrackedArray:
        return TrackedArray._new(xt.value, xt.tape, xt.index)
    return xt


def _seed_one(v: Any) -> Any:
    inner = innermost(v)
    if isinstance(inner, (mpmath.mpf, mpmath.mpc)):
        return mpmath.mpf(1)
    if is_foreign(inner):   # a 0-d array on the output's device: the adjoints stay there
        return namespace(inner).ones((), dtype=inner.dtype, device=device_of(inner))
    if isinstance(inner, np.generic) or (is_array(inner) and inner.dtype != object):
        return inner.dtype.type(1)
    return 1.0


def output_nodes(y: Any, tape: Tape, who: str) -> list:
    """[(flat position, node index or None)] of the outputs of a function, with their shape."""
    if is_tracked(y) and y._nm_order > tape.order:
        raise TypeError(f"{who}: the function returned a number of another differentiation "
                        "call (a leaked tracked number); return plain numbers or arrays")
    if isinstance(y, (list, tuple)):
        y = np.asarray(y, dtype=object) if any(is_tracked(e) for e in y) else np.asarray(y)
    if is_tracked(y) and y.tape is tape:
        return y
    if isinstance(y, np.ndarray) and y.dtype == object:
        return y
    if isinstance(y, (int, float, complex, np.generic, mpmath.mpf, mpmath.mpc, Dual,
                      DualArray)) or is_array(y) or is_tracked(y):
        return y
    raise TypeError(f"{who}: the function must return a number or an array of numbers, "
                    f"got {type(y).__name__}")


def _leaf_adjoint(adj: list, xt: Any, x: Any) -> Any:
    return leaf_gradient(adj[xt.index], xt.value, x)


def _leaf_sweep(tape: Tape, seeds: list, xt: Any, x: Any, complex_out: bool, last: bool = False) -> Any:
    """The leaf's ``w J`` from a reverse sweep from *seeds* ``[(node, w)]``.

    A sweep from ``w`` gives ``R(w) = Re(w J)`` (the cotangent convention of
    numeric.complex_forms: a cotangent ``c`` of ``z`` stands for ``Re(c dz)``). For a complex
    output or a complex ``w`` two sweeps give the whole ``w J = R(w) + 1j R(-1j w)``, so reverse
    mode agrees with forward mode on complex-valued functions.
    """
    if not complex_out:
        return _leaf_adjoint(tape.sweep(seeds, last=last), xt, x)
    re = _leaf_adjoint(tape.sweep(seeds), xt, x)
    im = _leaf_adjoint(tape.sweep([(i, -1j * w) for i, w in seeds], last=last), xt, x)
    return re + 1j * im


def leaf_gradient(a: Any, v: Any, x: Any) -> Any:
    """The gradient for input *x* (value *v* on the tape) from its adjoint *a* (None: zero).

    The adjoint of a leaf is complex when the function met complex numbers; the gradient is
    its real part, the derivative along the input's real direction, as forward mode seeds it
    (numeric.complex_forms; :func:`_leaf_sweep` handles complex outputs).
    """
    a = finish(a)
    if a is not None and is_complex(a):
        a = real_of(a) if type(a) is np.ndarray else np.real(a)
    if type(a) is np.ndarray and a.base is None and a.flags.writeable and \
            type(v) is np.ndarray and a.shape == v.shape:
        return a
    if a is None:
        if _is_array_input(x):
            return zero(v) if not is_array(v) else namespace(v).zeros_like(v)
        return zero(v)
    if is_foreign(a):       # an array of another namespace (CuPy, array API): no views to copy out
        if _is_array_input(x) and tuple(a.shape) != tuple(v.shape):
            a = copy(namespace(a).broadcast_to(a, tuple(v.shape)))
        return a
    if is_array(a):
        a = np.array(a, copy=True) if not a.flags.writeable or a.base is not None else a
        if _is_array_input(x) and tuple(a.shape) != tuple(np.shape(v)):
            a = np.broadcast_to(a, np.shape(v)).copy()
    return a


def _backward_scalar(y: Any, tape: Tape, xt: Any, x: Any, who: str, seed: Any = None) -> Any:
    y = output_nodes(y, tape, who)
    if isinstance(y, np.ndarray) and y.dtype == object:
        if y.size != 1:
            raise TypeError(f"{who} needs a scalar-valued function, but it returned shape "
                            f"{y.shape}; use jacobian for array outputs")
        y = y.reshape(-1)[0]
    if np.ndim(y) != 0 and not isinstance(y, Tracked):
        raise TypeError(f"{who} needs a scalar-valued function, but it returned shape "
                        f"{np.shape(y)}; use nm.jacobian (or vjp) for array outputs")
    if not (is_tracked(y) and y.tape is tape):
        return _leaf_adjoint([None] * len(tape), xt, x)
    g = _seed_one(y.value) if seed is None else seed
    return _leaf_sweep(tape, [(y.index, g)], xt, x, is_complex(y.value) or is_complex(g), last=True)


def gradient(f: Callable, x: Any) -> Any:
    """Gradient of a scalar function by one reverse sweep, shaped like *x*.

    Parameters
    ----------
    f : callable
        ``f(x)`` returning a scalar; written with NumPy / metanum functions.
    x : float, array, or a number of an outer differentiation call

    Examples
    --------
    >>> import numpy as np, numeric.reverse as rv
    >>> rv.gradient(lambda x: x[0] * np.sin(x[1]), np.array([2.0, 0.0]))
    array([0., 2.])
    """
    return value_and_gradient(f, x)[1]


def derivative(f: Callable, x: Any) -> Any:
    """Derivative of a function of one scalar by reverse sweeps: one for a scalar output,
    one per element for an array output (the array of derivatives, as forward mode).

    Examples
    --------
    >>> import numpy as np, numeric.reverse as rv
    >>> rv.derivative(lambda t: np.array([t, t * t]), 3.0)
    array([1., 6.])
    """
    x = _as_input(x, "derivative")
    f = explain_operands(f)
    if _is_array_input(x):
        raise TypeError(f"nm.derivative takes a scalar x, got an array of shape {np.shape(x)}; "
                        "use nm.gradient or nm.jacobian for array inputs")
    tape = Tape()
    xt = lift(x, tape)
    y = output_nodes(f(argument(xt)), tape, "derivative")
    return _rows(y, tape, xt, x)


def value_and_gradient(f: Callable, x: Any) -> tuple:
    """``(f(x), gradient)`` from one forward and one backward sweep.

    Examples
    --------
    >>> import numeric.reverse as rv
    >>> rv.value_and_gradient(lambda x: x ** 3, 2.0)
    (8.0, 12.0)
    """
    x = _as_input(x, "gradient")
    f = explain_operands(f)
    tape = Tape()
    xt = lift(x, tape)
    y = f(argument(xt))
    if type(y) is Tracked and y.tape is tape:       # the common case: a scalar on this tape
        v = y.value
        if type(v) is float or type(v) is np.float64:
            return v, _leaf_adjoint(tape.sweep([(y.index, 1.0)], last=True), xt, x)
        return v, _leaf_sweep(tape, [(y.index, _seed_one(v))], xt, x, is_complex(v), last=True)
    g = _backward_scalar(y, tape, xt, x, "gradient")
    return _primal_of(y, tape), g


def _primal_of(y: Any, tape: Tape) -> Any:
    if is_tracked(y) and y.tape is tape:
        return y.value
    if isinstance(y, np.ndarray) and y.dtype == object:
        out = [e.value if is_tracked(e) and e.tape is tape else e for e in y.flat]
        return np.asarray(out).reshape(y.shape) if all(
            isinstance(e, (float, int, np.generic)) for e in out) else np.asarray(
            out, dtype=object).reshape(y.shape)
    return y


def _output_seeds(y: Any, tape: Tape, w: Any, who: str) -> list:
    """Seeds [(node, adjoint)] for output adjoint *w* (shaped like the output)."""
    y = output_nodes(y, tape, who)
    shape = tuple(np.shape(y.value)) if is_tracked(y) else tuple(np.shape(y)) if not isinstance(
        y, np.ndarray) else y.shape
    if tuple(np.shape(w)) != shape:
        raise ValueError(f"{who}: w must have the shape of f(x), {shape}; got {np.shape(w)}")
    if is_tracked(y) and y.tape is tape:
        return [(y.index, w)]
    if isinstance(y, np.ndarray) and y.dtype == object:
        wf = np.reshape(w, (-1,))
        return [(e.index, wf[i]) for i, e in enumerate(y.flat) if is_tracked(e) and e.tape is tape]
    return []


def vjp(f: Callable, x: Any, w: Any) -> Any:
    """Vector-Jacobian product ``w @ J(x)`` in one reverse sweep, shaped like *x*.

    Examples
    --------
    >>> import numpy as np, numeric.reverse as rv
    >>> A = np.array([[1.0, 2.0], [3.0, 4.0]])
    >>> rv.vjp(lambda x: A @ x, np.zeros(2), np.array([1.0, 1.0]))
    array([4., 6.])
    """
    x = _as_input(x, "vjp")
    f = explain_operands(f)
    tape = Tape()
    xt = lift(x, tape)
    y = f(argument(xt))
    w = np.asarray(w) if isinstance(w, (list, tuple)) else w
    seeds = _output_seeds(y, tape, w, "vjp")
    if not seeds:
        return _leaf_adjoint([None] * len(tape), xt, x)
    return _leaf_sweep(tape, seeds, xt, x, is_complex(w) or _complex_output(y, tape), last=True)


def jacobian_rows(f: Callable, x: Any) -> Any:
    """Jacobian (shape ``out + in``) by one reverse sweep per output element on one tape.

    Examples
    --------
    >>> import numpy as np, numeric.reverse as rv
    >>> rv.jacobian_rows(lambda x: x[::-1] * 2, np.array([1.0, 2.0]))
    array([[0., 2.],
           [2., 0.]])
    """
    x = _as_input(x, "jacobian")
    f = explain_operands(f)
    tape = Tape()
    xt = lift(x, tape)
    y = output_nodes(f(argument(xt)), tape, "jacobian")
    return _rows(y, tape, xt, x)


def jacobian_auto(f: Callable, x: Any) -> Any:
    """Jacobian by reverse sweeps when outputs are fewer than inputs, else by forward mode.

    The function is recorded once; when it has more outputs than inputs the
    tape is dropped and forward mode (``nm.jacobian``) computes the Jacobian
    with one vectorised pass per chunk of inputs.

    Examples
    --------
    >>> import numpy as np, numeric.reverse as rv
    >>> rv.jacobian_auto(lambda x: np.sum(x ** 2), np.array([1.0, 2.0]))
    array([2., 4.])
    """
    x = _as_input(x, "jacobian")
    f = explain_operands(f)
    tape = Tape()
    xt = lift(x, tape)
    y = output_nodes(f(argument(xt)), tape, "jacobian")
    n_in = int(np.prod(np.shape(xt.value)))
    n_out = int(np.prod(np.shape(y.value) if is_tracked(y) else np.shape(y)))
    if n_out <= n_in:
        return _rows(y, tape, xt, x)
    from numeric.api import jacobian

    return jacobian(f, x)


def _complex_output(y: Any, tape: Tape) -> bool:
    if is_tracked(y):
        return is_complex(y.value)
    if isinstance(y, np.ndarray) and y.dtype == object:
        return any(is_complex(e.value) for e in y.flat if is_tracked(e) and e.tape is tape)
    return False


def _rows(y, tape, xt, x):
    in_shape = tuple(np.shape(xt.value))
    if is_tracked(y) and y.tape is tape:
        out_shape = tuple(np.shape(y.value))
        cplx = is_complex(y.value)
        if out_shape == ():
            return _leaf_sweep(tape, [(y.index, _seed_one(y.value))], xt, x, cplx)
        rows = []
        one = _seed_one(y.value)
        if is_foreign(one):         # seeds on the output's device: the rows of an identity there
            E = namespace(one).eye(math.prod(out_shape), dtype=one.dtype, device=device_of(one))
            rows = [_leaf_sweep(tape, [(y.index, reshape(E[i, ...], out_shape))], xt, x, cplx)
                    for i in range(E.shape[0])]
            return _stack_rows(rows, out_shape + in_shape)
        for i in range(int(np.prod(out_shape))):
            w = np.zeros(out_shape, dtype=np.result_type(float, type(one)))
            w.flat[i] = one
            rows.append(_leaf_sweep(tape, [(y.index, w)], xt, x, cplx))
        return _stack_rows(rows, out_shape + in_shape)
    if isinstance(y, np.ndarray) and y.dtype == object:
        rows = []
        for e in y.flat:
            if is_tracked(e) and e.tape is tape:
                rows.append(_leaf_sweep(tape, [(e.index, _seed_one(e.value))], xt, x, is_complex(e.value)))
            else:
                rows.append(_leaf_adjoint([None] * len(tape), xt, x))
        return _stack_rows(rows, y.shape + in_shape)
    return _stack_rows([_leaf_adjoint([None] * len(tape), xt, x)
                        for _ in range(int(np.prod(np.shape(y))))], tuple(np.shape(y)) + in_shape)


def _stack_rows(rows, shape):
    if not rows:
        return np.zeros(shape)
    if is_foreign(rows[0]):
        xp = namespace(rows[0])
        return xp.reshape(xp.stack(rows), tuple(shape))
    if all(is_array(r) or isinstance(r, (float, int, np.generic)) for r in rows):
        return np.asarray(rows).reshape(shape)
    if all(isinstance(r, (mpmath.mpf, mpmath.mpc)) or (is_array(r) and r.dtype == object)
           for r in rows):
        out = np.empty(len(rows), dtype=object) if not is_array(rows[0]) else np.empty(
            (len(rows),) + rows[0].shape, dtype=object)
        for i, r in enumerate(rows):
            out[i] = r
        return out.reshape(shape)
    return np.reshape(np.stack(rows), shape)


def _directional(y: Any, tag: int) -> Any:
    """The derivative part of a dual output of tag *tag* (zero if f did not depend on it)."""
    if isinstance(y, Dual) and y.tag == tag:
        p = y.raw_partials
        return p
    if isinstance(y, DualArray) and y.tag == tag:
        return y.partials
    return None


def hvp(f: Callable, x: Any, v: Any) -> Any:
    """Hessian-vector product ``H(x) @ v`` by reverse over forward.

    One forward pass with duals seeded by *v* whose values are tracked on a
    tape gives the directional derivative ``grad f . v`` as a tracked number;
    one backward sweep gives its gradient ``H v``. Cost: a small multiple of
    one evaluation of *f*, whatever the size of *x*.

    Examples
    --------
    >>> import numpy as np, numeric.reverse as rv
    >>> rv.hvp(lambda x: x[0] ** 2 * x[1], np.array([1.0, 3.0]), np.array([0.0, 1.0]))
    array([2., 0.])
    """
    x = _as_input(x, "hvp")
    f = explain_operands(f)
    tape = Tape()
    xt = lift(x, tape)
    tag = new_order()
    if _is_array_input(x):
        if is_foreign(xt.value):    # the direction on the input's device (a host v is sent there once)
            v = v if is_foreign(v) else like(v, xt.value, dtype=xt.value.dtype)
        else:
            v = np.asarray(v, dtype=np.result_type(float, getattr(xt.value, "dtype", float)))
        if tuple(v.shape) != tuple(np.shape(xt.value)):
            raise ValueError(f"hvp: v must have the shape of x {np.shape(xt.value)}, got {v.shape}")
        xd = DualArray.from_parts(argument(xt), reshape(v, tuple(v.shape) + (1,)), tag)
    else:
        xd = Dual.from_parts(xt, v, tag)
    d = _directional(f(xd), tag)
    if isinstance(d, DualArray) or (is_array(d) and d.size != 1):
        raise TypeError("hvp needs a scalar-valued function")
    if is_array(d) or (isinstance(d, TrackedArray)):
        d = reshape(d, (-1,))[0] if is_array(d) else d[(0,) * d.ndim]
    if d is None:
        return _leaf_adjoint([None] * len(tape), xt, x)
    return _backward_scalar(d, tape, xt, x, "hvp")


def hessian(f: Callable, x: Any) -> Any:
    """Hessian by reverse over forward: one dual pass (n partials) on a tape, n sweeps.

    Examples
    --------
    >>> import numpy as np, numeric.reverse as rv
    >>> rv.hessian(lambda x: x[0] ** 2 * x[1], np.array([1.0, 3.0]))
    array([[6., 2.],
           [2., 0.]])
    """
    x = _as_input(x, "hessian")
    f = explain_operands(f)
    if not _is_array_input(x):
        return hvp(f, x, 1.0)
    tape = Tape()
    xt = lift(x, tape)
    tag = new_order()
    shape = tuple(np.shape(xt.value))
    n = int(np.prod(shape))
    if is_foreign(xt.value):    # the seeds on the input's device (the identity's columns there)
        v = xt.value
        dtype = v.dtype
        seeds = reshape(namespace(v).eye(n, dtype=dtype, device=device_of(v)), shape + (n,))
    else:
        dtype = np.result_type(float, getattr(xt.value, "dtype", float))
        seeds = np.eye(n, dtype=dtype).reshape(shape + (n,))
    y = f(DualArray.from_parts(argument(xt), seeds, tag))
    if isinstance(y, Dual) and y.tag == tag:
        grad = y.raw_partials
    elif isinstance(y, DualArray):
        raise TypeError("hessian needs a scalar-valued function")
    else:
        return np.zeros(shape + shape, dtype=dtype)
    if n == 1 and not is_array(grad) and not isinstance(grad, TrackedArray):
        grad = np.asarray([grad], dtype=object)
    if isinstance(grad, TrackedArray):
        H = _rows(grad, tape, xt, x)
    else:
        H = _rows(np.asarray(list(grad.flat) if is_array(grad) else grad, dtype=object),
                  tape, xt, x)
    return reshape(H, shape + shape) if is_foreign(H) else np.asarray(H).reshape(shape + shape)
