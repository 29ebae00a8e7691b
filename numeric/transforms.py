"""Function transforms: ``nm.grad(f)``, ``nm.value_and_grad(f)``, ``nm.jacfwd(f)``,
``nm.jacrev(f)`` and ``nm.hessian_fn(f)`` return functions.

JAX's convention (``jax.grad``, ``jax.value_and_grad``): the transform takes a
scalar-valued function and returns a new function of the same arguments that
computes the gradient with respect to the first argument; further positional
and keyword arguments are passed through as constants. So
``scipy.optimize.minimize(f, x0, jac=nm.grad(f))`` works (scipy calls
``jac(x, *args)``), and so does an optimiser that wants one call giving both
the loss and its gradient.

Both are thin adapters over the differentiation API: forward mode is
:func:`numeric.gradient`, reverse mode is
:func:`numeric.reverse.value_and_gradient`. ``mode="auto"`` picks forward
mode for inputs of at most ``AUTO_FORWARD_MAX`` elements (one vectorised dual
pass carrying that many partials is cheaper than building a tape) and reverse
mode above it (one sweep, whatever the number of inputs).

Examples
--------
>>> import numpy as np, numeric as nm
>>> f = lambda x: np.sum(x ** 2)
>>> nm.grad(f)(np.array([1.0, 2.0]))
array([2., 4.])
>>> v, g = nm.value_and_grad(f, mode="reverse")(np.array([1.0, 2.0]))
>>> float(v), g
(5.0, array([2., 4.]))
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

__all__ = ["grad", "value_and_grad", "jacfwd", "jacrev", "hessian_fn", "AUTO_FORWARD_MAX"]

AUTO_FORWARD_MAX = 16
_MODES = ("auto", "forward", "reverse")


def _check(f: Any, mode: str, who: str) -> None:
    if not callable(f):
        raise TypeError(f"nm.{who} takes a function f(x, *args) returning a scalar, "
                        f"got {type(f).__name__}")
    if mode not in _MODES:
        raise ValueError(f"nm.{who}: mode must be one of {_MODES}, got {mode!r}")


def _resolve(mode: str, x: Any) -> str:
    if mode != "auto":
        return mode
    return "forward" if int(np.prod(np.shape(x))) <= AUTO_FORWARD_MAX else "reverse"


def _forward_value_and_grad(f: Callable, x: Any) -> tuple:
    """One chunked forward pass: the gradient from :func:`numeric.gradient`, the value
    peeled from the dual output of this call only (outer derivative layers stay)."""
    from numeric.api import gradient

    seen = []

    def keep(z):
        y = f(z)
        tag = getattr(z, "tag", None)
        seen.append(y.value if tag is not None and getattr(y, "tag", None) == tag else y)
        return y

    g = gradient(keep, x)
    return seen[0], g


def value_and_grad(f: Callable, *, mode: str = "auto") -> Callable:
    """The function ``(x, *args, **kwargs) -> (f(x, ...), gradient of f in x)``.

    Parameters
    ----------
    f : callable
        ``f(x, *args, **kwargs)`` returning a scalar; ``x`` a number or an array
        (float, float32, mpf object array, or a dual/tracked array of an outer
        differentiation call, so transforms nest).
    mode : {"auto", "forward", "reverse"}
        How the gradient is taken (see the module docstring for "auto").

    Returns
    -------
    callable
        Returning the pair ``(value, gradient)``, the gradient shaped like ``x``.

    Examples
    --------
    >>> import numpy as np, numeric as nm
    >>> vg = nm.value_and_grad(lambda x, a: a * np.sum(np.sin(x)), mode="forward")
    >>> v, g = vg(np.zeros(2), 3.0)
    >>> float(v), g
    (0.0, array([3., 3.]))
    """
    _check(f, mode, "value_and_grad")

    def value_and_grad_f(x: Any, *args: Any, **kwargs: Any) -> tuple:
        fx = (lambda z: f(z, *args, **kwargs)) if (args or kwargs) else f
        if isinstance(x, (list, tuple)):
            x = np.asarray(x, dtype=float)
        if _resolve(mode, x) == "forward":
            return _forward_value_and_grad(fx, x)
        from numeric.reverse import value_and_gradient

        return value_and_gradient(fx, x)

    value_and_grad_f.__name__ = f"value_and_grad({getattr(f, '__name__', 'f')})"
    value_and_grad_f.__doc__ = f"Value and gradient of {getattr(f, '__name__', 'f')} ({mode} mode)."
    return value_and_grad_f


def grad(f: Callable, *, mode: str = "auto") -> Callable:
    """The function ``(x, *args, **kwargs) -> gradient of f in x`` (JAX's ``grad``).

    Parameters
    ----------
    f : callable
        ``f(x, *args, **kwargs)`` returning a scalar.
    mode : {"auto", "forward", "reverse"}
        How the gradient is taken (see the module docstring for "auto").

    Examples
    --------
    >>> import numpy as np, numeric as nm, scipy.optimize as so
    >>> rosen = lambda x: (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2
    >>> res = so.minimize(rosen, np.array([-1.2, 1.0]), jac=nm.grad(rosen), method="BFGS")
    >>> np.round(res.x, 5)
    array([1., 1.])
    """
    _check(f, mode, "grad")
    value_and_grad_f = value_and_grad(f, mode=mode)

    def grad_f(x: Any, *args: Any, **kwargs: Any) -> Any:
        return value_and_grad_f(x, *args, **kwargs)[1]

    grad_f.__name__ = f"grad({getattr(f, '__name__', 'f')})"
    grad_f.__doc__ = f"Gradient of {getattr(f, '__name__', 'f')} ({mode} mode)."
    return grad_f


def _transform(f: Callable, who: str, compute: Callable) -> Callable:
    """``(x, *args, **kwargs) -> compute(lambda z: f(z, *args, **kwargs), x)``, named."""
    if not callable(f):
        raise TypeError(f"nm.{who} takes a function f(x, *args), got {type(f).__name__}")

    def transformed(x: Any, *args: Any, **kwargs: Any) -> Any:
        fx = (lambda z: f(z, *args, **kwargs)) if (args or kwargs) else f
        if isinstance(x, (list, tuple)):
            x = np.asarray(x, dtype=float)
        return compute(fx, x)

    transformed.__name__ = f"{who}({getattr(f, '__name__', 'f')})"
    transformed.__doc__ = f"{who} of {getattr(f, '__name__', 'f')}: see numeric.transforms.{who}."
    return transformed


def jacfwd(f: Callable) -> Callable:
    """The function ``(x, *args, **kwargs) -> Jacobian of f in x`` by forward mode (JAX's ``jacfwd``).

    The Jacobian has shape ``shape(f(x)) + shape(x)``; columns are computed in chunks
    of dual partials (:func:`numeric.jacobian`), the cheaper mode when ``x`` has
    fewer elements than ``f(x)``.

    Examples
    --------
    >>> import numpy as np, numeric as nm
    >>> nm.jacfwd(lambda x, a: a * x ** 2)(np.array([1.0, 2.0]), 3.0)
    array([[ 6.,  0.],
           [ 0., 12.]])
    """
    from numeric.api import jacobian

    return _transform(f, "jacfwd", lambda fx, x: jacobian(fx, x))


def jacrev(f: Callable) -> Callable:
    """The function ``(x, *args, **kwargs) -> Jacobian of f in x`` by reverse mode (JAX's ``jacrev``).

    One reverse sweep per output element over a single recorded tape, the cheaper
    mode when ``f(x)`` has fewer elements than ``x``. Same shape and values as
    :func:`jacfwd`.

    Examples
    --------
    >>> import numpy as np, numeric as nm
    >>> nm.jacrev(lambda x: np.array([np.sum(x ** 2), x[0] * x[1]]))(np.array([1.0, 2.0]))
    array([[2., 4.],
           [2., 1.]])
    """
    from numeric.api import jacobian

    return _transform(f, "jacrev", lambda fx, x: jacobian(fx, x, mode="reverse"))


def hessian_fn(f: Callable, *, mode: str = "forward") -> Callable:
    """The function ``(x, *args, **kwargs) -> Hessian of the scalar f in x`` (JAX's ``hessian``).

    ``mode`` is passed to :func:`numeric.hessian`: ``"forward"`` (forward over
    forward, the default) or ``"reverse-over-forward"`` (one forward-mode
    gradient per column taken inside a reverse sweep), ``"reverse"``.

    Examples
    --------
    >>> import numpy as np, numeric as nm
    >>> nm.hessian_fn(lambda x: x[0] ** 2 * x[1])(np.array([1.0, 3.0]))
    array([[6., 2.],
           [2., 0.]])
    """
    from numeric.api import hessian

    return _transform(f, "hessian_fn", lambda fx, x: hessian(fx, x, mode=mode))
