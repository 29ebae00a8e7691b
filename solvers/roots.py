"""Scalar root finding for any number type: bracketing methods and Newton.

The methods
-----------
``find_root(f, (a, b), method=...)`` needs ``f(a)`` and ``f(b)`` of opposite
signs:

* ``"bisection"`` halves the bracket (always converges, linearly);
* ``"illinois"`` (default) is false position with the Illinois modification
  (Dowell & Jarratt, BIT 11 (1971) 168–174): when the same end is retained
  twice its function value is halved, which restores superlinear
  convergence (order ~1.44);
* ``"brent"`` is Brent's method (R. P. Brent, *Algorithms for Minimization
  without Derivatives*, 1973, ch. 4: inverse quadratic interpolation with
  bisection safeguards).

``newton(f, x0)`` iterates ``x <- x - f(x) / f'(x)``, with ``f'`` from
forward-mode differentiation (``nm.derivative``) unless given.

Number types and the implicit derivative
----------------------------------------
The iterations run on primal values (``nm.value``): branches compare
primal values anyway, and this keeps the iteration cheap. Then chord steps
are taken on the full function (:func:`chord_polish`),

    x = x* - f(x*) / f'(x*),

where ``f(x*)`` keeps the caller's number type (its primal is ~0) and
``f'(x*)`` is the primal slope. When ``f`` depends on dual parameters
``p``, ``f(x*)`` carries ``df/dp`` and the returned root carries the
implicit-function derivative ``dx/dp = -(df/dp) / (df/dx)``, exactly as if
the whole iteration had been differentiated; each further step makes one more
derivative order exact, and the root takes one step per derivative layer of
``f(x*)`` (two for a dual of duals: second derivatives of the root). With mpmath the iteration runs
at the current precision (tolerances default to a few ulps of the type).
"""

from __future__ import annotations

from typing import Any, Callable

from solvers._nm import is_finite_real, nm, real_eps

__all__ = ["find_root", "newton", "RootError", "chord_polish", "primal_slope"]


class RootError(ValueError):
    """A root finder could not start or did not converge."""


def _pv(f: Callable, x: Any) -> Any:
    y = nm.value(f(x))
    if not is_finite_real(y):
        raise RootError(f"f(x) is not finite at x = {x!r}: f(x) = {y!r}")
    return y


def primal_slope(f: Callable, x: Any, h_hint: Any) -> Any:
    """Primal f'(x): forward mode when f accepts duals (exact), else a central difference (about
    eps^(2/3) relative: a root's derivatives would be no more accurate than that)."""
    try:
        d = nm.value(nm.derivative(f, x))
        if is_finite_real(d):
            return d
    except Exception:  # f not differentiable by duals (or no Dual yet)
        pass
    e = real_eps(x)
    h = max(abs(h_hint), abs(x) * e ** (1 / 3), e ** (1 / 3) * 1e-3 if abs(x) == 0 else 0)
    return (nm.value(f(x + h)) - nm.value(f(x - h))) / (2 * h)


def chord_polish(g: Callable, x: Any, slope: Any, limit: Any = None) -> Any:
    """Chord steps ``x <- x - g(x) / slope`` on the full *g* from the primal root *x*.

    *slope* is the primal ``g'(x)``. The first step gives the root the implicit-function
    derivative ``-g_p / g_x`` (first order); each further step makes one more order exact (the
    chord iteration contracts by a factor that is itself of first order), so the root takes as
    many steps as ``g(x)`` has derivative layers: a dual of duals (a Hessian) two. A first
    correction larger than *limit* (a real) leaves *x* as it is.
    """
    gx = g(x)
    for k in range(max(1, nm.layers(gx))):
        if k:
            gx = g(x)
        corr = gx / slope
        if k == 0 and limit is not None and abs(nm.value(corr)) > limit:
            return x
        x = x - corr
    return x


def _polish(f: Callable, x: Any, h_hint: Any) -> Any:
    """Chord steps on the full f at the primal root: carry the implicit derivatives."""
    slope = primal_slope(f, x, h_hint)
    if not slope or not is_finite_real(slope):
        return x
    return chord_polish(f, x, slope)


def find_root(
    f: Callable,
    bracket: tuple,
    method: str = "illinois",
    *,
    xtol: Any = None,
    rtol: Any = None,
    maxiter: int = 200,
    polish: bool = True,
) -> Any:
    """A root of ``f`` in the bracket ``(a, b)``, where ``f(a)`` and ``f(b)`` differ in sign.

    Parameters
    ----------
    f : callable
        Scalar function of one scalar; may return any number type.
    bracket : (a, b)
        Ends of the search interval.
    method : {"illinois", "bisection", "brent"}
    xtol, rtol : real, optional
        Stop when the bracket is shorter than ``xtol + rtol * |x|``;
        defaults ``4 eps |x|`` and ``4 eps * |b - a|`` of the bracket's real type.
    maxiter : int
    polish : bool
        Finish with one Newton step on the full ``f`` (carries derivatives of
        parameters of ``f``; see the module docstring).

    Returns
    -------
    root
        A number of the type of ``f``'s parameters (a float, an mpf, a dual ...).

    Raises
    ------
    RootError
        If ``f(a)`` and ``f(b)`` have the same sign, a value is not finite, or
        the method does not converge in *maxiter* iterations.

    Examples
    --------
    >>> from solvers.roots import find_root
    >>> round(find_root(lambda x: x**2 - 2, (0.0, 2.0)), 15)
    1.414213562373095
    >>> find_root(lambda x: x**2 + 1, (0.0, 2.0))
    Traceback (most recent call last):
    ...
    solvers.roots.RootError: f(a) and f(b) must differ in sign: f(0.0) = 1.0, f(2.0) = 5.0
    """
    a, b = (nm.value(x) for x in bracket)
    if isinstance(a, int):
        a = float(a)
    if isinstance(b, int):
        b = float(b)
    fa, fb = _pv(f, a), _pv(f, b)
    if fa == 0:
        return _polish(f, a, (b - a) * 1e-8) if polish else a
    if fb == 0:
        return _polish(f, b, (b - a) * 1e-8) if polish else b
    if (fa > 0) == (fb > 0):
        raise RootError(f"f(a) and f(b) must differ in sign: f({a!r}) = {fa!r}, f({b!r}) = {fb!r}")
    e = real_eps(a)
    width0 = abs(b - a)
    xt = 4 * e * width0 if xtol is None else xtol
    rt = 4 * e if rtol is None else rtol
    impl = {"illinois": _illinois, "bisection": _bisection, "brent": _brent}.get(method)
    if impl is None:
        raise ValueError(f"unknown method {method!r}: use 'illinois', 'bisection' or 'brent'")
    x = impl(lambda x: _pv(f, x), a, fa, b, fb, xt, rt, maxiter)
    return _polish(f, x, width0 * e**0.5) if polish else x


def illinois_bracket(g: Any, a: Any, fa: Any, b: Any, fb: Any, xt: Any, rt: Any,
                     maxiter: int) -> tuple:
    """Shrink the sign-change bracket ``[a, b]`` of *g* by Illinois false position.

    Returns ``(a, fa, b, fb, converged)``. ``b`` stays on the side of the
    initial ``fb``'s sign (an ODE event uses it as the point just past the
    crossing); a point where ``g`` is exactly 0 collapses the bracket onto
    itself. Stops when ``|b - a| <= xt + rt max(|a|, |b|)``.

    Safeguard (for multiple roots, where false position crawls): after two
    steps that together did not halve the bracket, a bisection step.
    """
    side = 0
    widths = [abs(b - a)] * 3
    for _ in range(maxiter):
        if abs(b - a) <= xt + rt * max(abs(a), abs(b)):
            return a, fa, b, fb, True
        if abs(b - a) > widths[-3] / 2:
            c = a + (b - a) / 2
            side = 0
        else:
            c = (a * fb - b * fa) / (fb - fa)
            lo, hi = (a, b) if a < b else (b, a)
            if not (lo < c < hi):
                c = a + (b - a) / 2
        fc = g(c)
        if fc == 0:
            return c, fc, c, fc, True
        if (fc > 0) == (fb > 0):
            b, fb = c, fc
            if side == -1:
                fa = fa / 2
            side = -1
        else:
            a, fa = c, fc
            if side == 1:
                fb = fb / 2
            side = 1
        widths.append(abs(b - a))
    return a, fa, b, fb, False


def _illinois(g, a, fa, b, fb, xt, rt, maxiter):
    a, fa, b, fb, converged = illinois_bracket(g, a, fa, b, fb, xt, rt, maxiter)
    if not converged:
        raise RootError(f"illinois: no convergence in {maxiter} iterations (bracket [{a!r}, {b!r}])")
    return a if abs(fa) < abs(fb) else b


def _bisection(g, a, fa, b, fb, xt, rt, maxiter):
    for _ in range(max(maxiter, 2000)):
        if abs(b - a) <= xt + rt * max(abs(a), abs(b)):
            return a if abs(fa) < abs(fb) else b
        c = a + (b - a) / 2
        if c == a or c == b:
            return c
        fc = g(c)
        if fc == 0:
            return c
        if (fc > 0) == (fa > 0):
            a, fa = c, fc
        else:
            b, fb = c, fc
    raise RootError(f"bisection: no convergence (bracket [{a!r}, {b!r}])")


def _brent(g, a, fa, b, fb, xt, rt, maxiter):
    # Brent (1973), ch. 4, procedure zero; b is the best estimate, c the contrapoint.
    c, fc = a, fa
    d = e = b - a
    for _ in range(maxiter):
        if (fb > 0) == (fc > 0):
            c, fc = a, fa
            d = e = b - a
        if abs(fc) < abs(fb):
            a, b, c = b, c, b
            fa, fb, fc = fb, fc, fb
        tol = (xt + rt * abs(b)) / 2
        m = (c - b) / 2
        if abs(m) <= tol or fb == 0:
            return b
        if abs(e) >= tol and abs(fa) > abs(fb):
            s = fb / fa
            if a == c:
                p = 2 * m * s
                q = 1 - s
            else:
                q_ = fa / fc
                r = fb / fc
                p = s * (2 * m * q_ * (q_ - r) - (b - a) * (r - 1))
                q = (q_ - 1) * (r - 1) * (s - 1)
            if p > 0:
                q = -q
            else:
                p = -p
            if 2 * p < min(3 * m * q - abs(tol * q), abs(e * q)):
                e, d = d, p / q
            else:
                d = e = m
        else:
            d = e = m
        a, fa = b, fb
        b = b + (d if abs(d) > tol else (tol if m > 0 else -tol))
        fb = g(b)
    raise RootError(f"brent: no convergence in {maxiter} iterations")


def newton(
    f: Callable,
    x0: Any,
    fprime: Callable | None = None,
    *,
    tol: Any = None,
    maxiter: int = 50,
) -> Any:
    """A root of ``f`` by Newton's method from *x0*.

    The derivative is ``fprime`` when given, otherwise forward mode
    (``nm.derivative(f, x)``). Iterations run on primal values; the final
    two steps use the full ``f`` so dual parameters of ``f`` give the
    implicit derivative of the root.

    Parameters
    ----------
    f : callable
    x0 : number
    fprime : callable, optional
    tol : real, optional
        Stop when a step is below ``tol * max(1, |x|)`` (default ``16 eps``).
    maxiter : int

    Raises
    ------
    RootError
        On a zero or non-finite derivative, a non-finite value, or no
        convergence in *maxiter* iterations.

    Examples
    --------
    >>> from solvers.roots import newton
    >>> round(newton(lambda x: x**3 - 2 * x - 5, 2.0), 12)   # Newton's own example
    2.094551481542
    """
    x = nm.value(x0)
    if isinstance(x, int):
        x = float(x)
    e = real_eps(x)
    tol = 16 * e if tol is None else tol

    def slope(x):
        if fprime is not None:
            return nm.value(fprime(x))
        return nm.value(nm.derivative(f, x))

    for it in range(maxiter):
        fx = _pv(f, x)
        d = slope(x)
        if not d or not is_finite_real(d):
            raise RootError(f"newton: derivative is {d!r} at x = {x!r}")
        step = fx / d
        x = x - step
        if abs(step) <= tol * max(1, abs(x)) or fx == 0:
            break
    else:
        raise RootError(f"newton: no convergence in {maxiter} iterations (last x = {x!r})")
    # Full-type steps: carry derivatives of parameters of f (implicit function theorem).
    return chord_polish(f, x, slope(x))
