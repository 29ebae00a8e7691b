"""Printing and parsing measurements.

Printing rounds the error to two significant digits by default and the value
to the same decimal place (the convention of the Particle Data Group and of
Measurements.jl), e.g. ``1.023 ± 0.012``. A format spec chooses otherwise:

======================  =====================================================
``format(x, "")``       ``1.023 ± 0.012``   (two significant digits in the error)
``format(x, ".1")``     ``1.02 ± 0.01``     (one significant digit)
``format(x, ".3S")``    ``1.0230(123)``     (short "parenthesis" form)
``format(x, "L")``      ``1.023 \\pm 0.012`` (LaTeX)
``format(x, ".3u")``    ``1.0230 ± 0.0123``  (``u``: significant digits, as ``uncertainties``)
``format(x, ".2f")``    ``1.02 ± 0.01``     (fixed decimals for value and error)
``format(x, ".1e")``    ``(1.0 ± 0.0)e+00``  (decimals in a common exponent)
``format(x, ".1%")``    ``(102.3 ± 1.2)%``
======================  =====================================================

``P`` (the ± sign) is what every form prints anyway; it is accepted because
``uncertainties`` users write it. Fill, width and sign specifiers are not.

Very large or small numbers share one power of ten: ``(6.022 ± 0.011)e+23``.
Parsing accepts ``"9.79 ± 0.02"``, ``"9.79 +/- 0.02"``, ``"9.79+-0.02"``,
``"9.79(2)"`` (the digits in parentheses are the error in units of the last
digit), ``"(9.79 ± 0.02)e3"`` and ``"9.79(2)e3"``.

Examples
--------
>>> import numeric as nm
>>> x = nm.Measurement("9.79(2)")
>>> print(x, format(x, ".1"), format(x, "S"), format(x, "L"))
9.790 ± 0.020 9.79 ± 0.02 9.790(20) 9.790 \\pm 0.020
"""

from __future__ import annotations

import decimal
import math
import re
from typing import Any

import mpmath

__all__ = ["format_spec", "format_measurement", "parse_measurement"]

_DECIMAL = decimal.Context(prec=1200, Emax=10**6, Emin=-10**6)   # every float exactly
# [.precision][u][f|F|e|E|g|G|%][S|L|P]: the uncertainties package's grammar (without
# fill, width and sign): "u" or no type rounds the error to `precision` significant
# digits; f/e/% give value and error `precision` decimals (default 6, as Python's)
_SPEC = re.compile(r"^(?:\.(?P<digits>\d+))?(?P<u>u?)(?P<kind>[fFeEgG%]?)(?P<style>[SLP]?)$")


def format_spec(val: Any, err: Any, spec: str) -> str:
    """Format a value and error by a spec ``[.digits][S|L|P]`` (see the module doc)."""
    m = _SPEC.match(spec)
    if m is None or (m.group("u") and m.group("kind") in ("f", "F", "%")):
        raise ValueError(f"bad format spec {spec!r} for a Measurement: use "
                         "'[.digits][u|f|e|g|%][S|L|P]', e.g. '.2u' (two significant digits in "
                         "the error), '.3f' (three decimals), '.3S' (parenthesis form) or 'L' "
                         "(LaTeX)")
    style = {"": "pm", "P": "pm", "S": "paren", "L": "latex"}[m.group("style")]
    kind = m.group("kind")
    if kind in ("f", "F", "e", "E", "%"):
        decimals = int(m.group("digits") or 6)
        return _format_decimals(val, err, decimals, kind, style)
    digits = int(m.group("digits") or 2)
    if digits < 1:
        raise ValueError("a Measurement needs at least one significant digit in its error")
    return format_measurement(val, err, digits, style)


def _float(x: Any) -> float:
    return float(x) if not isinstance(x, mpmath.mpf) else float(x)


def format_measurement(val: Any, err: Any, digits: int = 2, style: str = "pm") -> str:
    """``val ± err`` with the error rounded to *digits* significant digits.

    *style* is ``"pm"`` (``1.023 ± 0.012``), ``"paren"`` (``1.023(12)``) or
    ``"latex"`` (``1.023 \\pm 0.012``).
    """
    pm = {"pm": " ± ", "latex": " \\pm ", "paren": None}[style]
    v, e = _float(val), _float(err)
    if not (math.isfinite(v) and math.isfinite(e)) or e == 0:
        vs = repr(v) if not isinstance(val, mpmath.mpf) else mpmath.nstr(val, mpmath.mp.dps)
        es = repr(e) if e != 0 else "0.0"
        return f"{vs}({es})" if pm is None else f"{vs}{pm}{es}"
    k = math.floor(math.log10(e))
    decimals = digits - 1 - k
    e_r = round(e, decimals)
    if e_r >= 10 ** (k + 1):  # rounding carried into a new digit: 0.0996 -> 0.10
        decimals -= 1
        e_r = round(e, decimals)
    top = max(abs(v), e_r)
    exp10 = math.floor(math.log10(top)) if top > 0 else 0
    if top > 0 and 10.0 ** exp10 > top:       # log10 rounded up (999999999995 -> 12.0)
        exp10 -= 1
    scale = 0
    if exp10 >= 6 or exp10 <= -5:
        scale = exp10
    d = decimals + scale  # decimals shown after scaling by 10**-scale
    vs = _fixed(val, scale, d)
    if scale and abs(float(vs)) >= 10:
        # rounding carried into a new digit: 999999999995 ± 100 is 1.00000000000(10)e+12,
        # not 10.0000000000(10)e+11
        scale += 1
        d += 1
        vs = _fixed(val, scale, d)
    return _assemble(vs, e_r, scale, d, style)


def _assemble(vs: str, e_r: Any, scale: int, d: int, style: str) -> str:
    """The printed text from the value's digits *vs* and the rounded error *e_r*,
    both shown divided by ``10**scale`` with *d* decimals."""
    pm = {"pm": " ± ", "latex": " \\pm ", "paren": None}[style]
    if pm is None:
        # the error in units of the last printed digit of the scaled value
        units = round(e_r * 10.0 ** (d - scale)) if d >= 0 else round(e_r)
        body = f"{vs}({int(units)})"
    else:
        body = f"{vs}{pm}{_fixed(e_r, scale, d)}"
    if scale:
        body = f"({body})" if pm is not None else body
        body += f"e{scale:+03d}" if style != "latex" else f" \\times 10^{{{scale}}}"
    return body


def _format_decimals(val: Any, err: Any, decimals: int, kind: str, style: str) -> str:
    """``f``, ``e`` and ``%`` specs: value and error with a fixed number of decimals
    (``e``: in the common exponent of the larger of |value| and error)."""
    if kind == "%":
        return "(" + _format_decimals(val * 100, err * 100, decimals, "f", style) + ")%"
    v, e = _float(val), _float(err)
    scale = 0
    top = max(abs(v), e)
    if kind in "eE" and math.isfinite(top) and top > 0:
        scale = math.floor(math.log10(top))
        if 10.0 ** scale > top:
            scale -= 1
    body = _assemble(_fixed(val, scale, decimals), err, scale, decimals, style)
    if scale == 0 and kind in "eE":
        body = (f"({body})" if style != "paren" else body) + (
            "e+00" if style != "latex" else " \\times 10^{0}")
    return body.replace("e", "E") if kind == "E" and style != "latex" else body


def _fixed(x: Any, scale: int, d: int) -> str:
    """*x* / 10**scale rounded to *d* decimals (d < 0 rounds to tens, hundreds...)."""
    if isinstance(x, mpmath.mpf):  # exact decimal rounding at the working precision
        n = int(mpmath.nint(x * mpmath.mpf(10) ** (d - scale)))
        if d <= 0:
            return str(n * 10 ** (-d))
        digits = str(abs(n)).rjust(d + 1, "0")
        return ("-" if n < 0 else "") + digits[:-d] + "." + digits[-d:]
    # exact decimal arithmetic: one rounding, the same at every scale (a float division
    # by 10**scale first would round twice and could disagree between two scales)
    y = decimal.Decimal(float(x)).scaleb(-scale)
    q = y.quantize(decimal.Decimal(1).scaleb(-d), rounding=decimal.ROUND_HALF_EVEN,
                   context=_DECIMAL)
    return f"{q:.{max(d, 0)}f}"


_NUM = r"[+-]?(?:\d+\.?\d*|\.\d+)"
_FLOAT = rf"{_NUM}(?:[eE][+-]?\d+)?"          # a number with its own exponent: 1e-4
_SIGN = r"\s*(?:±|\+/-|\+-|\\pm)\s*"
# "v ± e" (each may carry an exponent) or "(v ± e)" with an optional shared exponent;
# the parentheses must come as a pair
_PM = re.compile(rf"^(?P<v>{_FLOAT}){_SIGN}(?P<e>{_FLOAT})$")
_PM_GROUPED = re.compile(rf"^\(\s*(?P<v>{_NUM}){_SIGN}(?P<e>{_NUM})\s*\)"
                         rf"(?:[eE](?P<x>[+-]?\d+))?$")
_PAREN = re.compile(rf"^(?P<v>{_NUM})\((?P<e>\d+\.?\d*)\)(?:[eE](?P<x>[+-]?\d+))?$")


def _scaled_float(digits: str, exponent: str | None) -> float:
    """float of *digits* times 10**exponent, rounded once (exactly as the text reads)."""
    return float(f"{digits}e{exponent}") if exponent else float(digits)


def parse_measurement(text: str):
    """A :class:`Measurement` from ``"9.79 ± 0.02"``, ``"9.79(2)"``, ``"(1.2 ± 0.1)e3"``...

    Examples
    --------
    >>> from numeric.measurement.formatting import parse_measurement
    >>> x = parse_measurement("1.2345(67)e-3")
    >>> (x.val, round(x.err, 10))
    (0.0012345, 6.7e-06)
    """
    from numeric.measurement.scalar import Measurement

    s = text.strip().replace("−", "-")
    m = _PM.match(s)
    if m is not None:
        return Measurement(float(m.group("v")), float(m.group("e")))
    m = _PM_GROUPED.match(s)
    if m is not None:
        x = m.group("x")
        return Measurement(_scaled_float(m.group("v"), x), _scaled_float(m.group("e"), x))
    m = _PAREN.match(s)
    if m is not None:
        v = m.group("v")
        decimals = len(v.split(".")[1]) if "." in v else 0
        e = m.group("e")
        x = int(m.group("x") or 0)
        err = _scaled_float(e, str(x)) if "." in e else _scaled_float(e, str(x - decimals))
        return Measurement(_scaled_float(v, str(x)), err)
    if s.count("(") != s.count(")"):
        raise ValueError(f"cannot read a measurement from {text!r}: unbalanced parentheses; "
                         "write '(9.79 ± 0.02)e3' or '9.79 ± 0.02'")
    raise ValueError(f"cannot read a measurement from {text!r}: write it as '9.79 ± 0.02', "
                     "'9.79 +/- 0.02' or '9.79(2)'")
