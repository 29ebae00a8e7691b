"""Checks users run on their own code: are my derivatives right?

:func:`check_derivatives` compares metanum's forward mode
(``nm.derivative``/``nm.jacobian``, nested for second derivatives) with two
independent references and raises an ``AssertionError`` that names the input,
the entry and the three numbers when they disagree:

* **complex step** (Squire & Trapp 1998): for a function that is the
  restriction of a complex-analytic function, ``f'(x) = Im f(x + ih) / h``
  with no subtractive cancellation, so a tiny ``h`` (``1e-12``) gives the
  derivative to the working precision (for mpf inputs: mpc at ``dps`` digits
  with ``h = 10**(-dps/3)``, because mpmath's complex special functions are
  accurate normwise rather than in a tiny imaginary part). Second
  derivatives apply the complex step to the forward-mode first derivative.
  Functions that are not analytic (``abs``, ``maximum``, ``sign``, ...) must
  pass ``complex_step=False``.
* **mpmath central differences**: ``f`` is evaluated on ``mpf`` inputs at
  ``dps`` (default 40) significant digits with the fourth-order central
  stencil ``(f(x-2h) - 8 f(x-h) + 8 f(x+h) - f(x+2h)) / (12 h)`` (Fornberg
  1988), whose truncation error is O(h**4) and whose rounding error is
  O(10**-dps / h). With ``h = 10**(-dps/5)`` both are about
  ``10**(-4 dps / 5)`` relative (1e-32 at 40 digits), far below float64
  precision. Second derivatives difference the difference quotient at
  ``dps + 10`` digits with ``h = 10**(-digits/6)`` (error about
  ``10**(-2 digits / 3)``), so mixed partials come out as well. ``f`` must
  then be written with ``nm.*`` functions (NumPy ufuncs do not accept
  ``mpf`` object arrays).

Comparison is normwise: entry ``e`` passes when
``|forward_e - ref_e| <= atol + rtol * |ref_e|`` with ``atol`` defaulting to
``rtol * max|ref|`` plus the rounding noise of forward mode and of the
reference (``100 * eps * max(1, |f(x)|)``), so an entry far smaller than the
largest derivative is compared in absolute terms and a zero derivative is not
failed for a rounding error. Default ``rtol``: 1e-8 for float64, 1e-3 for
float32, ``10**(5 - mp.dps)`` for ``mpf``.

The hypothesis strategies live in :mod:`numeric.strategies` and are also
reachable as ``numeric.testing.strategies`` (importing them needs the
``hypothesis`` package, part of the ``test`` extra).

Examples
--------
>>> import numpy as np, numeric as nm
>>> from numeric.testing import check_derivatives
>>> report = check_derivatives(lambda x: nm.exp(x) * nm.sin(x), 0.5)
>>> sorted(report.references)
['complex_step', 'mpmath']
>>> _ = check_derivatives(lambda x: np.sum(x ** 2) * nm.log(x[0]), np.array([1.5, 2.0]), order=2)
>>> def wrong_sin(x):
...     return nm.sin(x) + 1e-3 * (x - nm.value(x))   # a deliberately wrong derivative
>>> try:
...     check_derivatives(wrong_sin, 0.3)
... except AssertionError as e:
...     print(str(e).splitlines()[0])
check_derivatives: first derivatives of wrong_sin at x = 0.3 disagree
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass, field
from typing import Any, Callable

import mpmath
import numpy as np

import numeric as nm
from numeric.backend import is_array

__all__ = ["check_derivatives", "check_gradient", "check_jacobian", "DerivativeCheck",
           "reference_derivative", "strategies"]

# Fourth-order central difference for the first derivative (Fornberg 1988,
# table 1): (offset in units of h, weight), divided by 12 h.
_STENCIL = ((-2, 1), (-1, -8), (1, 8), (2, -1))
_STENCIL_DENOMINATOR = 12

# 1e-12 rather than the customary 1e-20: the truncation error h**2 f'''/6 is
# still ~1e-24 relative, while complex functions that are accurate only
# normwise (mpmath's erf at 15 digits puts ~1e-33 of noise in a tiny
# imaginary part) contribute noise/h = 1e-21 instead of 1e-13.
_COMPLEX_STEP = 1e-12
_MAX_REPORTED = 8


@dataclass
class DerivativeCheck:
    """What :func:`check_derivatives` compared (returned when everything agrees).

    Attributes
    ----------
    order : int
        1 for first derivatives, 2 for second derivatives.
    forward : array or scalar
        metanum's forward-mode result, shape ``out + in`` (``out + in + in``
        for order 2).
    references : dict
        ``{"mpmath": ..., "complex_step": ...}``, the references that ran
        (object arrays of ``mpf`` or complex-step arrays).
    skipped : dict
        Reference name -> why it did not run.
    errors : dict
        Reference name -> normwise relative error ``max|fwd - ref| / max|ref|``.
    """

    order: int
    forward: Any
    references: dict = field(default_factory=dict)
    skipped: dict = field(default_factory=dict)
    errors: dict = field(default_factory=dict)


def check_derivatives(
    f: Callable,
    x: Any,
    *,
    order: int = 1,
    rtol: float | None = None,
    atol: float | None = None,
    complex_step: bool | None = None,
    mpmath_reference: bool = True,
    dps: int = 40,
    name: str | None = None,
) -> DerivativeCheck:
    """Compare forward-mode derivatives of *f* at *x* with independent references.

    Parameters
    ----------
    f : callable
        ``f(x)`` returning a number or an array. Written with ``nm.*``
        functions it runs on every number type the check needs.
    x : float, NumPy float scalar, mpf, or an array (float32, float64, object array of mpf)
    order : {1, 2}
        First derivatives (Jacobian, shape ``out + in``) or second
        derivatives (shape ``out + in + in``; the Hessian for scalar output).
    rtol, atol : float, optional
        Tolerances (see the module docstring for the defaults).
    complex_step : bool or None
        ``True``: *f* is complex-analytic, run the complex-step check (a
        real result for complex input then counts as zero imaginary part);
        ``False``: skip it (for non-analytic functions such as
        ``abs``/``maximum``); ``None`` (default): run it when ``f`` accepts
        complex input and returns complex output, otherwise skip it and say
        why in ``skipped``; when it alone disagrees while forward mode and
        mpmath agree, *f* is taken to be non-analytic (``x + abs(x)``, a
        stable softplus) and the complex step is dropped with that note in
        ``skipped`` rather than raising a false alarm.
    mpmath_reference : bool
        Run the mpmath central-difference check (``f`` must accept ``mpf``).
    dps : int
        Decimal digits of the mpmath reference (at least 40 is sensible;
        raised to ``mp.dps + 15`` for mpf inputs).
    name : str, optional
        How to call *f* in the report (default ``f.__name__``).

    Returns
    -------
    DerivativeCheck
        The forward result, the references that ran and their errors.

    Raises
    ------
    AssertionError
        When forward mode disagrees with a reference, with a report naming
        the entries and the numbers; also when no reference could run.

    Examples
    --------
    >>> import numeric as nm
    >>> from numeric.testing import check_derivatives
    >>> r = check_derivatives(nm.abs, -0.7, complex_step=False, order=2)
    >>> r.forward == 0      # abs'' = 0 away from the kink
    True
    """
    if order not in (1, 2):
        raise ValueError(f"check_derivatives: order must be 1 or 2, got {order!r}")
    x = _as_input(x)
    label = name or getattr(f, "__name__", type(f).__name__)
    y0 = f(x)
    scalar_in = not is_array(x)
    scalar_out = np.ndim(nm.value(y0)) == 0 if not isinstance(y0, (list, tuple)) else False
    forward = _forward(f, x, order, scalar_in, scalar_out)

    if rtol is None:
        rtol = _default_rtol(x)
    report = DerivativeCheck(order=order, forward=forward)

    if mpmath_reference:
        report.references["mpmath"] = reference_derivative(f, x, order=order, dps=dps)
    else:
        report.skipped["mpmath"] = "disabled (mpmath_reference=False)"

    if complex_step is False:
        report.skipped["complex_step"] = "disabled (complex_step=False)"
    else:
        try:
            report.references["complex_step"] = _complex_step(f, x, order, dps, bool(complex_step))
        except _NotAnalytic as e:
            if complex_step:
                raise AssertionError(f"check_derivatives: complex step requested but {e}") from None
            report.skipped["complex_step"] = str(e)

    if not report.references:
        raise AssertionError("check_derivatives: no reference ran (" +
                             "; ".join(f"{k}: {v}" for k, v in report.skipped.items()) + ")")

    fwd = _mp_array(forward)
    report.errors, problems = _disagreements(fwd, report.references, x, y0, order, rtol, atol, dps)
    if problems and complex_step is None and "mpmath" in report.references and all(
            p[1] == "complex_step" for p in problems):
        # forward mode and the 40-digit differences agree; only the complex step does not:
        # f is then most likely not complex-analytic (x + abs(x), a stable softplus),
        # which the complex step assumes. Not a false alarm about the derivative.
        del report.references["complex_step"]
        report.skipped["complex_step"] = (
            f"disagreed with forward mode at {len(problems)} entries where mpmath agrees: f may "
            "not be complex-analytic (abs, maximum, branches on the value); pass "
            "complex_step=False to skip it, or complex_step=True to make it fail the check")
        problems = []
    if problems:
        raise AssertionError(_format_report("check_derivatives", label, x, order, "forward", fwd,
                                            report, problems, rtol))
    return report


def _disagreements(cand, references, x, y0, order, rtol, atol, dps):
    """Normwise comparison of *cand* with each reference (see the module docstring):
    ({reference: relative error}, [(entry, reference, |diff|, tolerance), ...])."""
    f_scale = max([abs(e) for e in _mp_array(nm.value(y0)).flat] + [mpmath.mpf(1)])
    errors, problems = {}, []
    for ref_name, ref in references.items():
        ref = _mp_array(ref)
        if ref.shape != cand.shape:
            raise AssertionError(f"check_derivatives: the derivative checked has shape "
                                 f"{cand.shape} but the {ref_name} reference has shape {ref.shape}")
        scale = max((abs(e) for e in ref.flat), default=mpmath.mpf(0))
        if atol is not None:
            tol_abs = mpmath.mpf(atol)
        else:
            # normwise tolerance plus the rounding noise of forward mode and
            # of the reference, which a derivative that is zero must not fail on
            noise = _eps(x) + (_reference_noise(dps, order, x) if ref_name == "mpmath" else 0)
            tol_abs = rtol * scale + 100 * noise * f_scale
        err = [abs(a - b) for a, b in zip(cand.flat, ref.flat)]
        errors[ref_name] = float(max(err, default=0) / (scale if scale > 0 else 1))
        for i, (b, e) in enumerate(zip(ref.flat, err)):
            if not e <= tol_abs + rtol * abs(b):  # also catches nan
                problems.append((i, ref_name, e, tol_abs + rtol * abs(b)))
    return errors, problems


def check_gradient(f: Callable, grad_f: Callable, x: Any, *, rtol: float | None = None,
                   atol: float | None = None, mpmath_reference: bool = True, dps: int = 40,
                   name: str | None = None) -> DerivativeCheck:
    """Check a hand-written gradient (or Jacobian) ``grad_f(x)`` of *f* at *x*.

    The candidate is compared, entry by entry and normwise as in
    :func:`check_derivatives`, with three independent computations: metanum's
    forward mode, reverse mode, and 40-digit mpmath central differences
    (``mpmath_reference=False`` drops the last, for code that cannot run on
    mpf numbers). For a scalar-valued *f* the gradient has the shape of *x*;
    otherwise ``grad_f`` returns the Jacobian, shape ``shape(f(x)) + shape(x)``
    (:func:`check_jacobian` is the same check under that name).

    Returns
    -------
    DerivativeCheck
        ``forward`` holds the candidate; ``references`` the three computations.

    Raises
    ------
    AssertionError
        Naming the entries where the hand-written derivative disagrees.

    Examples
    --------
    >>> import numpy as np, numeric as nm
    >>> from numeric.testing import check_gradient
    >>> f = lambda x: np.sum(x ** 2 * nm.sin(x))
    >>> g = lambda x: 2 * x * np.sin(x) + x ** 2 * np.cos(x)
    >>> sorted(check_gradient(f, g, np.array([0.3, 1.2])).references)
    ['forward', 'mpmath', 'reverse']
    >>> try:
    ...     check_gradient(f, lambda x: 2 * x * np.sin(x), np.array([0.3, 1.2]))
    ... except AssertionError as e:
    ...     print(str(e).splitlines()[0])
    check_gradient: first derivatives of <lambda> at x = [0.3 1.2] disagree
    """
    x = _as_input(x)
    label = name or getattr(f, "__name__", type(f).__name__)
    y0 = f(x)
    scalar_in = not is_array(x)
    cand = grad_f(x)
    report = DerivativeCheck(order=1, forward=cand)
    fwd = _forward(f, x, 1, scalar_in, None)
    report.references["forward"] = fwd
    report.references["reverse"] = (nm.derivative(f, x, mode="reverse") if scalar_in else
                                    nm.jacobian(f, x, mode="reverse"))
    if mpmath_reference:
        report.references["mpmath"] = reference_derivative(f, x, order=1, dps=dps)
    else:
        report.skipped["mpmath"] = "disabled (mpmath_reference=False)"
    cand_mp = _mp_array(np.asarray(cand) if not scalar_in else cand)
    if np.shape(cand_mp) != np.shape(_mp_array(fwd)):
        raise AssertionError(f"check_gradient: grad_f returned shape {np.shape(cand)}, but the "
                             f"derivative of {label} at x has shape {np.shape(fwd)} "
                             "(shape(f(x)) + shape(x))")
    report.errors, problems = _disagreements(cand_mp, report.references, x, y0, 1,
                                             _default_rtol(x) if rtol is None else rtol, atol, dps)
    if problems:
        raise AssertionError(_format_report("check_gradient", label, x, 1, "yours", cand_mp,
                                            report, problems, rtol or _default_rtol(x)))
    return report


def check_jacobian(f: Callable, jac_f: Callable, x: Any, **options: Any) -> DerivativeCheck:
    """Check a hand-written Jacobian ``jac_f(x)`` of *f* at *x*: :func:`check_gradient`.

    Examples
    --------
    >>> import numpy as np, numeric as nm
    >>> from numeric.testing import check_jacobian
    >>> f = lambda x: np.array([x[0] * x[1], nm.exp(x[0])])
    >>> J = lambda x: np.array([[x[1], x[0]], [np.exp(x[0]), 0.0]])
    >>> check_jacobian(f, J, np.array([0.5, 2.0])).errors["mpmath"] < 1e-15
    True
    """
    return check_gradient(f, jac_f, x, **options)


def reference_derivative(f: Callable, x: Any, *, order: int = 1, dps: int = 40) -> np.ndarray:
    """First or second derivatives of *f* at *x* by mpmath central differences.

    Returns an object array of ``mpf`` of shape ``out + in`` (order 1) or
    ``out + in + in`` (order 2), computed at *dps* digits (more for order 2).

    Examples
    --------
    >>> import numeric as nm
    >>> from numeric.testing import reference_derivative
    >>> float(reference_derivative(nm.sin, 0.0))
    1.0
    """
    xm = _to_mpf(x)
    inner_dps = max(dps, mpmath.mp.dps + 15)
    _warn_if_long(f, xm, order, inner_dps)
    with mpmath.workdps(inner_dps + (10 if order == 2 else 0)):
        xm = _to_mpf(xm)
        if order == 1:
            return _mp_jacobian(lambda z: _mp_eval(f, z), xm, 5, inner_dps)
        digits = inner_dps + 10
        return _mp_jacobian(lambda z: _mp_jacobian(lambda w: _mp_eval(f, w), z, 6, digits),
                            xm, 6, digits)


LONG_CHECK_SECONDS = 20.0


def _warn_if_long(f, xm, order, digits):
    """Warn when the mpmath reference will take long: it costs 4 n (order 1) or
    16 n**2 (order 2) evaluations of f on mpf numbers, timed here on one."""
    n = int(np.size(xm))
    evaluations = 4 * n if order == 1 else 16 * n * n
    if evaluations < 64:
        return
    start = time.perf_counter()
    with mpmath.workdps(digits):
        _mp_eval(f, xm)
    estimate = evaluations * (time.perf_counter() - start)
    if estimate > LONG_CHECK_SECONDS:
        warnings.warn(f"check_derivatives: the mpmath reference needs {evaluations} evaluations "
                      f"of f on mpf numbers, about {estimate:.0f} s; pass mpmath_reference=False "
                      "(the other references stay), a smaller dps, or check a few "
                      "entries of x at a time", stacklevel=3)


# -- forward mode -------------------------------------------------------------------


def _forward(f, x, order, scalar_in, scalar_out):
    if order == 1:
        return nm.derivative(f, x) if scalar_in else nm.jacobian(f, x)
    if scalar_in:
        return nm.hessian(f, x)
    if scalar_out:
        return nm.hessian(f, x)
    return nm.jacobian(lambda z: nm.jacobian(f, z), x)


# -- mpmath reference ------------------------------------------------------------------


def _mp_eval(f, xm):
    try:
        y = f(xm)
    except (TypeError, AttributeError) as e:
        raise TypeError(f"check_derivatives: evaluating f on mpmath mpf inputs failed "
                        f"({type(e).__name__}: {e}): write f with nm.* functions (NumPy ufuncs "
                        "do not take object arrays of mpf), or pass mpmath_reference=False") from e
    out = np.asarray(y, dtype=object) if not isinstance(y, np.ndarray) else y.astype(object)
    flat = []
    for e in out.flat:
        if isinstance(e, (mpmath.mpf, mpmath.mpc)):
            flat.append(e)
        elif isinstance(e, (int, float, np.integer, np.floating, bool)):
            flat.append(mpmath.mpf(float(e)))
        elif isinstance(e, (complex, np.complexfloating)):
            flat.append(mpmath.mpc(complex(e)))
        else:
            raise TypeError(f"check_derivatives: on mpf input, f returned an element of type "
                            f"{type(e).__name__}; write f with nm.* functions so that it runs on "
                            "mpmath numbers, or pass mpmath_reference=False")
    res = np.empty(out.shape, dtype=object)
    res.flat[:] = flat
    return res


def _mp_jacobian(g, xm, fraction, digits):
    """Fourth-order central differences of g (an object array) at xm, h = 10**(-digits/fraction)."""
    scalar = not isinstance(xm, np.ndarray)
    xs = np.array([xm], dtype=object) if scalar else xm
    cols = []
    base_h = mpmath.mpf(10) ** (-mpmath.mpf(digits) / fraction)
    for j in range(xs.size):
        h = base_h * max(1, abs(xs.flat[j]))
        acc = None
        for offset, weight in _STENCIL:
            xj = xs.copy()
            xj.flat[j] = xs.flat[j] + offset * h
            val = g(xj[0] if scalar else xj)
            acc = weight * val if acc is None else acc + weight * val
        cols.append(acc / (_STENCIL_DENOMINATOR * h))
    out = np.empty(np.shape(cols[0]) + xs.shape, dtype=object)
    for j, c in enumerate(cols):
        out.reshape(np.shape(cols[0]) + (xs.size,))[..., j] = c
    return out.reshape(np.shape(cols[0])) if scalar else out


def _to_mpf(x):
    if isinstance(x, np.ndarray):
        out = np.empty(x.shape, dtype=object)
        out.flat[:] = [_to_mpf(e) for e in x.flat]
        return out
    if isinstance(x, (mpmath.mpf, mpmath.mpc)):
        return +x if isinstance(x, mpmath.mpf) else x
    if isinstance(x, (complex, np.complexfloating)):
        return mpmath.mpc(complex(x))
    return mpmath.mpf(float(x))


def _mp_array(a):
    if isinstance(a, np.ndarray) and a.dtype == object and all(
            isinstance(e, (mpmath.mpf, mpmath.mpc)) for e in a.flat):
        return a
    return _to_mpf(np.asarray(a) if not isinstance(a, np.ndarray) else a) if np.ndim(a) else \
        np.array(_to_mpf(a), dtype=object)


# -- complex step -----------------------------------------------------------------------


class _NotAnalytic(Exception):
    pass


def _complex_step(f, x, order, dps, required):
    if order == 1:
        g = f
    else:
        def g(z):
            return nm.jacobian(f, z) if is_array(z) else nm.derivative(f, z)
    mp_input = _is_mp(x)
    scalar = not is_array(x)
    if mp_input:
        with mpmath.workdps(max(dps, mpmath.mp.dps + 15)):
            # mpmath's complex special functions (erf, gamma, ...) are accurate
            # normwise, not in a tiny imaginary part: h = 10**(-dps/3) keeps
            # both the O(h**2) truncation and that rounding near 10**(-2 dps/3).
            h = mpmath.mpf(10) ** (-mpmath.mpf(mpmath.mp.dps) / 3)
            return _complex_columns(g, _to_mpf(x), h, scalar, True, required)
    xc = complex(x) if scalar else np.asarray(x, dtype=np.complex128)
    return _complex_columns(g, xc, _COMPLEX_STEP, scalar, False, required)


def _complex_columns(g, xc, h, scalar, mpc, required):
    def evaluate(z):
        try:
            y = g(z)
        except (TypeError, ValueError, AttributeError) as e:
            if not scalar and not mpc and isinstance(z, np.ndarray) and z.dtype != object:
                # NumPy complex arrays miss some special functions: retry with
                # an object array of Python complex numbers (mpmath underneath).
                zo = np.empty(z.shape, dtype=object)
                zo.flat[:] = [complex(e) for e in z.flat]
                return evaluate(zo)
            raise _NotAnalytic(f"f does not accept complex input ({type(e).__name__}: {e})") \
                from None
        arr = np.asarray(y, dtype=object) if not isinstance(y, np.ndarray) else y
        if not np.iscomplexobj(arr) and not any(
                isinstance(e, (complex, np.complexfloating, mpmath.mpc)) for e in arr.flat):
            if not required:
                raise _NotAnalytic("f returned real output for complex input, so it may not be "
                                   "a complex-analytic function")
        return arr

    if scalar:
        y = evaluate(xc + (mpmath.mpc(0, h) if mpc else 1j * h))
        return _imag_over(y, h)
    cols = []
    for j in range(xc.size):
        z = xc.copy()
        z.flat[j] = z.flat[j] + (mpmath.mpc(0, h) if mpc else 1j * h)
        cols.append(_imag_over(evaluate(z), h))
    out_shape = np.shape(cols[0])
    out = np.empty(out_shape + (xc.size,), dtype=object)
    for j, c in enumerate(cols):
        out[..., j] = c
    return out.reshape(out_shape + xc.shape)


def _imag_over(y, h):
    arr = np.asarray(y, dtype=object)
    out = np.empty(arr.shape, dtype=object)
    out.flat[:] = [mpmath.mpf(e.imag) / h if isinstance(e, mpmath.mpc) else
                   mpmath.mpf(float(np.imag(e))) / mpmath.mpf(h) for e in arr.flat]
    return out if out.ndim else out[()]


# -- helpers -------------------------------------------------------------------------------


def _as_input(x):
    if isinstance(x, (list, tuple)):
        arr = np.asarray(x)
        return arr.astype(float) if arr.dtype.kind in "iub" else arr
    if isinstance(x, (bool, np.bool_)):
        raise TypeError("check_derivatives: cannot differentiate with respect to a bool")
    if isinstance(x, (int, np.integer)):
        return float(x)
    return x


def _is_mp(x):
    if isinstance(x, (mpmath.mpf, mpmath.mpc)):
        return True
    return isinstance(x, np.ndarray) and x.dtype == object and x.size > 0 and isinstance(
        x.flat[0], (mpmath.mpf, mpmath.mpc))


def _default_rtol(x):
    if _is_mp(x):
        return mpmath.mpf(10) ** (5 - mpmath.mp.dps)
    dtype = np.asarray(x).dtype if not isinstance(x, np.ndarray) else x.dtype
    if dtype == np.float32:
        return 1e-3
    if dtype == np.float16:
        return 1e-1
    return 1e-8


def _eps(x):
    if _is_mp(x):
        return mpmath.eps
    dtype = np.asarray(x).dtype if not isinstance(x, np.ndarray) else x.dtype
    return float(np.finfo(dtype).eps) if np.issubdtype(dtype, np.inexact) else 2.0**-52


def _reference_noise(dps, order, x):
    # rounding error of the difference quotient, 10**-digits / h**order, with
    # the digits and h of reference_derivative
    digits = max(dps, mpmath.mp.dps + 15) + (10 if order == 2 else 0)
    exponent = mpmath.mpf(4) / 5 if order == 1 else mpmath.mpf(2) / 3
    return mpmath.mpf(10) ** (-digits * exponent)


def _entry_label(i, shape, order):
    idx = np.unravel_index(i, shape) if shape else ()
    return "[" + ", ".join(str(int(k)) for k in idx) + "]" if idx else "(scalar)"


def _fmt(v):
    if v is None:
        return "-"
    return mpmath.nstr(v, 17) if isinstance(v, (mpmath.mpf, mpmath.mpc)) else repr(v)


def _format_report(who, label, x, order, cand_name, cand, report, problems, rtol):
    what = "first derivatives" if order == 1 else "second derivatives"
    xs = np.array2string(nm.value(x), precision=17) if is_array(x) else _fmt(x)
    refs = {k: _mp_array(v) for k, v in report.references.items()}
    names = [cand_name] + [k.replace("_", " ") for k in refs]
    lines = [f"{who}: {what} of {label} at x = {xs} disagree",
             f"  (entry index = output index + input index{'es' if order == 2 else ''}; "
             f"rtol = {_fmt(rtol)})",
             f"  {'entry':>14}  " + "  ".join(f"{n:>24}" for n in names) + "  failed"]
    seen = {}
    for i, ref_name, err, tol in problems:
        seen.setdefault(i, []).append(f"{ref_name} (|diff| {mpmath.nstr(err, 3)} > "
                                      f"{mpmath.nstr(tol, 3)})")
    for n, (i, fails) in enumerate(seen.items()):
        if n == _MAX_REPORTED:
            lines.append(f"  ... and {len(seen) - _MAX_REPORTED} more entries")
            break
        cells = [cand.flat[i]] + [r.flat[i] for r in refs.values()]
        lines.append(f"  {_entry_label(i, cand.shape, order):>14}  " +
                     "  ".join(f"{_fmt(c):>24}" for c in cells) + f"  {', '.join(fails)}")
    for k, v in report.skipped.items():
        lines.append(f"  ({k} skipped: {v})")
    return "\n".join(lines)


def __getattr__(name: str):
    # ``numeric.testing.strategies`` imports hypothesis only when asked for.
    if name == "strategies":
        from numeric import strategies

        return strategies
    raise AttributeError(f"module 'numeric.testing' has no attribute {name!r}")
