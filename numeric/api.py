"""The differentiation API: derivative, gradient, jacobian, hessian, jvp.

Forward mode by default (``mode="forward"``). ``mode="reverse"`` sends
``derivative``/``gradient``/``jacobian`` to the tape of
:mod:`numeric.reverse`; ``mode="auto"`` lets ``jacobian`` pick forward or
reverse by input and output size; ``hessian`` with a non-forward mode is
reverse over forward. Each call creates a new tag, so calls nest without
perturbation confusion, and the forward ``hessian`` is simply ``jacobian``
of ``gradient``.

Chunking (as ForwardDiff): an n-input function is evaluated once per chunk
of at most ``chunk`` partials, each pass a vectorised ``DualArray``
evaluation. The default chunk carries all n partials when ``n * n`` is at
most 2**22 entries, and otherwise as many as keep ``n * chunk`` within that.

Results keep the input's precision when ``f`` is written generically:
float32 in, float32 out; ``mpf`` in, ``mpf`` out.

Examples
--------
>>> import numpy as np, numeric as nm
>>> round(nm.derivative(lambda x: nm.exp(x) * nm.sin(x), 0.5), 12)   # e^x (sin x + cos x)
2.237328119798
>>> nm.gradient(lambda x: np.sum(x**2), np.array([1.0, 2.0]))
array([2., 4.])
>>> nm.derivative(lambda x: x * nm.derivative(lambda y: x + y, 1.0), 1.0)
1.0
"""

from __future__ import annotations

from typing import Any, Callable

import mpmath
import numpy as np

from numeric.backend import (astype, copy, device_of, dtype_kind, explain_operands, float_dtype, is_array, namespace,
                             reshape)
from numeric.dual import Dual
from numeric.dualarray import DualArray
from numeric.protocol import innermost, is_vector_state, new_order

__all__ = ["derivative", "gradient", "jacobian", "hessian", "jvp"]

_MAX_ENTRIES = 2**22


_MODES = ("forward", "reverse", "auto", "reverse-over-forward")


def _routed(who: str, mode: str, f: Callable, x: Any) -> Any:
    """Send a call with ``mode != "forward"`` to reverse mode (:mod:`numeric.reverse`)."""
    if mode not in _MODES:
        raise ValueError(f"nm.{who}: mode must be one of {_MODES}, got {mode!r}")
    from numeric.reverse import api as rv

    if who == "hessian":
        return rv.hessian(f, x)                       # reverse over forward for all three
    if mode == "reverse-over-forward":
        raise ValueError(f"nm.{who}: mode='reverse-over-forward' is for nm.hessian and nm.hvp")
    if who == "jvp":
        raise ValueError("nm.jvp is forward mode; use nm.vjp for the reverse-mode product w @ J")
    if who == "derivative":
        return rv.derivative(f, x)                    # scalar x; array outputs allowed
    if who == "gradient":
        return rv.gradient(f, x)
    return rv.jacobian_auto(f, x) if mode == "auto" else rv.jacobian_rows(f, x)


def _seed_one(x: Any) -> Any:
    inner = innermost(x)
    if isinstance(inner, (mpmath.mpf, mpmath.mpc)):
        return mpmath.mpf(1)
    if isinstance(inner, np.generic):
        return inner.dtype.type(1)
    if isinstance(inner, np.ndarray) and inner.dtype != object:
        return inner.dtype.type(1)
    if is_array(inner) and not isinstance(inner, np.ndarray):  # another namespace (CuPy, array API)
        return namespace(inner).ones((), dtype=inner.dtype, device=device_of(inner))
    if is_array(inner) and inner.size and isinstance(inner.flat[0], (mpmath.mpf, mpmath.mpc)):
        return mpmath.mpf(1)  # mpf seeds, so that even constant partials come out as mpf
    return 1.0


def _as_input_array(x: Any) -> Any:
    if isinstance(x, DualArray) or _outer_call_array(x):
        return x
    if isinstance(x, (list, tuple)):
        x = np.asarray(x)
    if not is_array(x):
        raise TypeError(f"expected an array of inputs, got {type(x).__name__}; "
                        "use nm.derivative for a scalar input")
    kind = dtype_kind(x.dtype)
    if kind not in "fciubO":
        raise TypeError("expected an array of numbers to differentiate with respect to, got "
                        f"an array of dtype {x.dtype}")
    return astype(x, float_dtype(x)) if kind in "iub" else x


def _check_scalar_input(x: Any, who: str) -> Any:
    if isinstance(x, (bool, np.bool_)):
        raise TypeError(f"{who}: cannot differentiate with respect to a bool")
    if isinstance(x, int):
        return float(x)
    if isinstance(x, np.integer):
        return float(x)
    if is_array(x) or isinstance(x, (list, tuple, DualArray)):
        raise TypeError(f"{who} takes a scalar input, got an array of shape {np.shape(x)}; "
                        "use nm.gradient or nm.jacobian for array inputs")
    if not (isinstance(x, (float, complex, np.number, mpmath.mpf, mpmath.mpc))
            or hasattr(type(x), "_nm_apply")):
        raise TypeError(f"{who} differentiates with respect to a number (float, complex, NumPy "
                        f"scalar, mpf, or a metanum number), got {_describe(x)}")
    return x


def _default_chunk(n: int, chunk: int | None) -> int:
    if chunk is not None:
        if isinstance(chunk, (bool, np.bool_)) or not isinstance(chunk, (int, np.integer)) \
                or chunk < 1:
            raise ValueError(f"chunk must be a positive integer (the number of partials carried "
                             f"per pass) or None for the default, got {chunk!r}")
        return min(int(chunk), max(n, 1))
    return max(1, min(n, _MAX_ENTRIES // max(n, 1)))


def _describe(y: Any) -> str:
    return f"{type(y).__name__} ({y!r:.60})"


def _extract(y: Any, tag: int, k: int, like: Any):
    """Value and partials (shape ``shape(y) + (k,)``) of *y* with respect to *tag*."""
    if isinstance(y, (list, tuple)):
        y = np.asarray(y, dtype=object) if any(
            hasattr(type(e), "_nm_apply") for e in np.asarray(y, dtype=object).flat) else np.asarray(y)
    order = getattr(y, "_nm_order", None)
    if order is not None and order > tag:
        raise TypeError("the function returned a dual of a different differentiation call "
                        "(a leaked perturbation); return plain numbers or arrays")
    if isinstance(y, Dual) and order == tag:
        p = y.raw_partials
        return y.value, (p if hasattr(p, "shape") and p.shape else _vector([p]))
    if isinstance(y, DualArray) and order == tag:
        return y.value, y.partials
    if isinstance(y, np.ndarray) and y.dtype == object:
        parts = [_extract(e, tag, k, like) for e in y.flat]
        vals = _obj(
            [v for v, _ in parts], y.shape)
        ps = np.empty(y.shape + (k,), dtype=object)
        for i, (_, p) in enumerate(parts):
            ps.reshape(-1, k)[i] = list(p) if not isinstance(p, DualArray) else list(p)
        return _numeric_if_possible(vals), _numeric_if_possible(ps)
    if _is_number(y):
        inner = innermost(y)
        if is_array(inner) and not isinstance(inner, np.ndarray):
            like = inner  # an output of another namespace: its zero partials live there too
        zero = _zero_partials(np.shape(inner) if not isinstance(y, (Dual, DualArray)) else
                              np.shape(y), k, like)
        return y, zero
    raise TypeError(
        "the function must return a number or an array of numbers, but it returned "
        f"{_describe(y)}"
    )


def _vector(items):
    if all(isinstance(e, (float, int, np.floating)) for e in items):
        return np.asarray(items)
    if all(is_array(e) and not isinstance(e, np.ndarray) for e in items):   # 0-d device partials
        return namespace(*items).stack(items)
    if any(isinstance(e, (Dual, DualArray)) for e in items):
        return DualArray.stack(items)
    out = np.empty(len(items), dtype=object)
    out[:] = items
    return out


def _obj(items, shape):
    out = np.empty(len(items), dtype=object)
    out[:] = items
    return out.reshape(shape)


def _numeric_if_possible(a):
    if a.size and all(isinstance(e, (float, int, complex, np.floating, np.complexfloating)) for e in a.flat):
        # NumPy float scalars set the dtype (float32 stays float32); Python
        # floats, complexes and ints among them are weak, as in NumPy arithmetic
        typed = {e.dtype for e in a.flat if isinstance(e, (np.floating, np.complexfloating))}
        dtype = np.result_type(*typed) if typed else np.float64
        if any(isinstance(e, complex) for e in a.flat):   # complex entries (a complex-valued f)
            dtype = np.result_type(dtype, np.complex64)
        return np.asarray(a.tolist(), dtype=dtype)
    return a


def _is_number(y: Any) -> bool:
    return isinstance(y, (int, float, complex, np.generic, mpmath.mpf, mpmath.mpc, Dual,
                          DualArray)) or (is_array(y) and dtype_kind(y.dtype) in "fciub")


def _zero_partials(shape, k, like):
    one = _seed_one(like)
    if isinstance(one, mpmath.mpf):
        out = np.empty(tuple(shape) + (k,), dtype=object)
        out.fill(mpmath.mpf(0))
        return out
    inner = innermost(like)
    if is_array(inner) and not isinstance(inner, np.ndarray):
        return namespace(inner).zeros(tuple(shape) + (k,), dtype=inner.dtype, device=device_of(inner))
    return np.zeros(tuple(shape) + (k,), dtype=type(one) if not isinstance(one, float) else float)


def _seed_partials(x: Any, start: int, stop: int):
    """Partials of shape ``x.shape + (stop - start,)``: identity columns start..stop."""
    inner = innermost(x)
    n = int(np.prod(x.shape))
    c = stop - start
    one = _seed_one(x)
    if isinstance(one, mpmath.mpf):
        P = np.empty((n, c), dtype=object)
        P.fill(mpmath.mpf(0))
    elif isinstance(inner, np.ndarray) or not is_array(inner):
        P = np.zeros((n, c), dtype=type(one) if not isinstance(one, float) else float)
    else:  # other namespaces (CuPy, array API): identity columns start..stop in one call
        P = namespace(inner).eye(n, c, k=-start, dtype=inner.dtype, device=device_of(inner))
        return reshape(P, tuple(x.shape) + (c,))
    P[np.arange(start, stop), np.arange(c)] = one
    return P.reshape(tuple(x.shape) + (c,))


def derivative(f: Callable, x: Any, *, mode: str = "forward") -> Any:
    """Derivative of a function of one scalar at *x*.

    Parameters
    ----------
    f : callable
        ``f(x)`` returning a number or an array (then the result is the array
        of derivatives).
    x : float, float32, mpf, complex or a dual of an outer call
    mode : {"forward", "reverse"}
        "reverse": one reverse sweep per output element (array outputs too).

    Examples
    --------
    >>> import numeric as nm
    >>> nm.derivative(lambda x: x**3, 2.0)
    12.0
    """
    f = explain_operands(f)
    if mode != "forward":
        return _routed("derivative", mode, f, x)
    if type(x) is not float:  # (a Python float needs no checks: the common, fast case)
        x = _check_scalar_input(x, "nm.derivative")
    tag = new_order()
    y = f(Dual.from_parts(x, 1.0 if type(x) is float else _seed_one(x), tag))
    if type(y) is Dual and y._nm_order == tag and not hasattr(y.raw_partials, "shape"):
        return y.raw_partials
    _, p = _extract(y, tag, 1, x)
    return _squeeze_last(p)


def _squeeze_last(p):
    out = p[..., 0]
    if isinstance(out, np.ndarray) and out.ndim == 0:
        return out[()]
    return out


def _chunked(f: Callable, x: Any, chunk: int | None, who: str):
    """Yield (start, stop, value, partials) of f over chunks of seeded inputs."""
    n = int(np.prod(x.shape))
    c = _default_chunk(n, chunk)
    for start in range(0, max(n, 1), c):
        stop = min(start + c, n)
        tag = new_order()
        # A copy per pass: f may write into its input (x[0] = ...), which must
        # neither reach the caller's array nor shift the point of later chunks.
        xd = DualArray.from_parts(copy(x), _seed_partials(x, start, stop), tag)
        y = f(xd)
        v, p = _extract(y, tag, stop - start, x)
        yield start, stop, v, p


def _concat_last(pieces):
    if len(pieces) == 1:
        return pieces[0]
    return namespace(pieces[0]).concat(pieces, axis=-1)


def _outer_call_array(x: Any) -> bool:
    """An array number of an outer differentiation call (it carries a positive call order,
    as a TrackedArray of reverse mode does): nesting forward mode over it seeds its elements."""
    return hasattr(type(x), "_nm_array") and getattr(x, "_nm_order", 0) > 0 \
        and getattr(x, "ndim", 0) > 0        # order 0: measurements, the innermost level


def _array_number(x: Any) -> bool:
    """An array of a number type other than DualArray that is no outer call's (a MeasurementArray):
    differentiating with respect to it as if it were one scalar would be a silent directional
    derivative, so the array path refuses it clearly (see ``_as_input_array``)."""
    if getattr(x, "ndim", 0) == 0:
        return False
    if _outer_call_array(x):
        return True
    raise TypeError(f"cannot differentiate with respect to a {type(x).__name__}: its elements carry "
                    "their own linear parts; differentiate with respect to nm.value(x) (a float array) "
                    "or with respect to the parameters it came from")


def _uncertain_point(x: Any) -> bool:
    """An array number at the innermost level (order 0: a MeasurementArray): its linear parts are
    uncertainty components, not the directions of an outer differentiation."""
    return hasattr(type(x), "_nm_array") and getattr(x, "_nm_order", None) == 0 and getattr(x, "ndim", 0) > 0


def _at_uncertain_point(op: Callable, x: Any) -> Any:
    """``op(x)`` (a derivative of f at the array *x*) evaluated at the uncertain point *x*: the result
    carries x's uncertainty to first order, as ``nm.derivative`` at a ``Measurement`` does.

    The components of *x* (its ``linear_parts``) ride as the directions of an outer dual,
    ``DualArray(value, components)``; the derivative's own derivative along them (``D.partials``,
    their first-order part) becomes the result's components over x's sources, added to the
    derivative at the value (which carries the uncertainty of any measurement *f* closes over).
    One mechanism for every size and namespace.
    """
    from numeric.protocol import linear_parts, value

    v, C, rebuild = linear_parts(x)
    if C.shape[-1] == 0:                         # no sources yet: the derivative at the value
        R = op(v)
        w = value(R)
        xp, shape = namespace(w), tuple(np.shape(w))
        zero = xp.zeros(shape, dtype=w.dtype, device=device_of(w))
        return rebuild(zero, xp.zeros(shape + (0,), dtype=w.dtype, device=device_of(w))) + R
    D = op(DualArray(v, C))
    if isinstance(D, DualArray) and not _holds_objects(D):
        dD, w = value(D.partials), value(D.value)
        zero = namespace(dD).zeros(tuple(dD.shape[:-1]), dtype=w.dtype, device=device_of(dD))  # the value's dtype
        return rebuild(zero, dD) + D.value          # (array-API operators refuse it on the right)
    if not (isinstance(D, np.ndarray) and D.dtype == object) and not isinstance(D, DualArray):
        return D                                 # f's derivative does not depend on x
    # f built its result from scalar elements (np.stack([u[1], p * u[0]])), so the outer dual's
    # values mixed with the numbers it closes over in an object array: over x's scalar elements
    elements = np.empty(tuple(x.shape), dtype=object)
    elements.reshape(-1)[:] = list(x.reshape(-1))
    R = op(elements)
    shape = tuple(np.shape(R))
    return rebuild(np.zeros(shape), np.zeros(shape + (C.shape[-1],))) + R   # x's array type


def _holds_objects(d: DualArray) -> bool:
    return any(getattr(a, "dtype", None) == object for a in (d.value, d.partials))


def gradient(f: Callable, x: Any, *, chunk: int | None = None, mode: str = "forward") -> Any:
    """Gradient of a scalar function of an array, shaped like *x*.

    Parameters
    ----------
    f : callable
        ``f(x)`` returning a scalar.
    x : array_like (float, float32, object array of mpf) or a scalar (then ``derivative``)
    chunk : int, optional
        Forward mode only: partials carried per pass; the function is evaluated
        ``ceil(n / chunk)`` times with ``n * chunk`` partial entries each. Default:
        all n at once while ``n * n <= 2**22``, else as many as keep ``n * chunk``
        within that. Smaller chunks bound the memory at the price of more passes.
    mode : {"forward", "reverse", "auto"}
        "forward" (default): chunked duals, cost about n/chunk evaluations.
        "reverse" (and "auto", for a scalar output): one reverse sweep on a tape,
        cost a small multiple of one evaluation whatever n is.

    Examples
    --------
    >>> import numpy as np, numeric as nm
    >>> nm.gradient(lambda x: np.sum(x**2 * np.sin(x)), np.zeros(3))
    array([0., 0., 0.])
    """
    f = explain_operands(f)
    if mode != "forward":
        return _routed("gradient", mode, f, x)
    if _uncertain_point(x):
        return _at_uncertain_point(lambda z: gradient(f, z, chunk=chunk), x)
    if not (is_array(x) or isinstance(x, (list, tuple, DualArray)) or _array_number(x)):
        return derivative(f, x)
    x = _as_input_array(x)
    pieces = []
    for _, _, v, p in _chunked(f, x, chunk, "nm.gradient"):
        if np.ndim(v) != 0:
            raise TypeError(f"nm.gradient needs a scalar-valued function, but it returned shape "
                            f"{np.shape(v)}; use nm.jacobian for array outputs")
        pieces.append(p)
    g = _concat_last(pieces) if pieces else np.zeros(0)
    return reshape(g, tuple(x.shape))


def jacobian(f: Callable, x: Any, *, chunk: int | None = None, mode: str = "forward") -> Any:
    """Jacobian ``J[i..., j...] = d f(x)[i...] / d x[j...]`` (shape ``out + in``).

    Parameters
    ----------
    f : callable
        ``f(x)`` returning a number or an array.
    x : array_like or a scalar (then ``derivative``)
    chunk : int, optional
        Forward mode only: partials carried per pass; the function is evaluated
        ``ceil(n / chunk)`` times with ``n * chunk`` partial entries each. Default:
        all n at once while ``n * n <= 2**22``, else as many as keep ``n * chunk``
        within that. Smaller chunks bound the memory at the price of more passes.
    mode : {"forward", "reverse", "auto"}
        "forward" (default): one pass per chunk of input directions.
        "reverse": one reverse sweep per output element. "auto": reverse when
        there are fewer outputs than inputs, else forward.

    Examples
    --------
    >>> import numpy as np, numeric as nm
    >>> nm.jacobian(lambda x: x**2, np.array([1.0, 2.0]))
    array([[2., 0.],
           [0., 4.]])
    """
    f = explain_operands(f)
    if mode != "forward":
        return _routed("jacobian", mode, f, x)
    if _uncertain_point(x):
        return _at_uncertain_point(lambda z: jacobian(f, z, chunk=chunk), x)
    if not (is_array(x) or isinstance(x, (list, tuple, DualArray)) or _array_number(x)):
        return derivative(f, x)
    x = _as_input_array(x)
    pieces, out_shape = [], None
    for _, _, v, p in _chunked(f, x, chunk, "nm.jacobian"):
        out_shape = tuple(np.shape(v))
        pieces.append(p)
    J = _concat_last(pieces)
    return reshape(J, out_shape + tuple(x.shape))


def hessian(f: Callable, x: Any, *, chunk: int | None = None, mode: str = "forward") -> Any:
    """Hessian of a scalar function: ``jacobian(gradient(f))`` by nested forward mode.

    Parameters
    ----------
    f : callable
        ``f(x)`` returning a scalar.
    x : array_like or a scalar (then the second derivative)
    chunk : int, optional
        Forward mode only: partials carried per pass; the function is evaluated
        ``ceil(n / chunk)`` times with ``n * chunk`` partial entries each. Default:
        all n at once while ``n * n <= 2**22``, else as many as keep ``n * chunk``
        within that. Smaller chunks bound the memory at the price of more passes.
    mode : {"forward", "reverse", "auto", "reverse-over-forward"}
        "forward" (default): forward over forward. Any other mode: reverse over
        forward (a tape of duals, as ``nm.hvp``).

    Examples
    --------
    >>> import numpy as np, numeric as nm
    >>> nm.hessian(lambda x: x[0] ** 2 * x[1], np.array([1.0, 3.0]))
    array([[6., 2.],
           [2., 0.]])
    """
    if mode != "forward":
        return _routed("hessian", mode, f, x)
    if _uncertain_point(x):
        return _at_uncertain_point(lambda z: hessian(f, z, chunk=chunk), x)
    if not (is_array(x) or isinstance(x, (list, tuple, DualArray)) or _array_number(x)):
        return derivative(lambda z: derivative(f, z), x)
    return jacobian(lambda z: gradient(f, z, chunk=chunk), x, chunk=chunk)


def jvp(f: Callable, x: Any, v: Any, *, mode: str = "forward") -> Any:
    """Jacobian-vector product ``J(x) @ v`` in one forward pass.

    Parameters
    ----------
    f : callable
    x : array_like, scalar or a vector state (e.g. a ``Fun``)
    v : array_like
        The direction, shaped like *x*.
    mode : {"forward"}
        Forward mode only (for ``w @ J`` use ``nm.vjp``); another mode raises.

    Examples
    --------
    >>> import numpy as np, numeric as nm
    >>> nm.jvp(lambda x: x**2, np.array([1.0, 2.0]), np.array([1.0, 1.0]))
    array([2., 4.])
    """
    f = explain_operands(f)
    if mode != "forward":
        return _routed("jvp", mode, f, x)
    if is_vector_state(x):
        return _vector_state_jvp(f, x, v)
    if not (is_array(x) or isinstance(x, (list, tuple, DualArray)) or _array_number(x)):
        return derivative(f, x) * v
    x = _as_input_array(x)
    v = namespace(x).asarray(v) if not isinstance(v, DualArray) else v
    if tuple(np.shape(v)) != tuple(x.shape):
        raise ValueError(f"jvp: v must have the shape of x {tuple(x.shape)}, got {np.shape(v)}")
    tag = new_order()
    y = f(DualArray.from_parts(x, v[..., None], tag))
    _, p = _extract(y, tag, 1, x)
    return _squeeze_last(p)


def _vector_state_jvp(f: Callable, x: Any, v: Any) -> Any:
    """``J(x) v`` for a vector state that is not an array (a Fun): ``f(x + e v)`` with ``e`` a
    dual of a fresh tag, whose tangent the result gives through its ``_nm_tangent(tag)`` hook."""
    tag = new_order()
    y = f(x + v * Dual.from_parts(0.0, np.ones(1), tag))
    hook = getattr(type(y), "_nm_tangent", None)
    if hook is None:
        raise TypeError(f"jvp: f returned {_describe(y)} for a {type(x).__name__} input; it must "
                        f"return a {type(x).__name__} (a vector of the input's kind)")
    return hook(y, tag)

