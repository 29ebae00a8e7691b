"""The functions that are not holomorphic, on complex values: written with ``real`` and ``imag``.

A derivative of a complex value is a complex tangent ``dz``, the derivative of ``z`` along a
real seed. A holomorphic rule of :mod:`numeric.rules` (``exp``, ``mul``, ``sqrt`` ...) pushes
it forward as ``f'(z) dz`` for any value type, so the table serves complex values unchanged.
The other functions depend on ``dz`` and ``conj(dz)`` separately, and the real-valued partial
of the table (``sign(x)`` for ``abs``) is wrong for them: ``abs(z)`` is not ``sign(z) dz``
but ``Re(conj(z) dz) / |z|``. Here they are compositions of ``np.real`` and ``np.imag``, the
two real-linear primitives every number type carries (forward mode: the real and imaginary
parts of the partials; reverse mode: the cotangent's projection, JAX's convention, see
:mod:`numeric.arrayrules_structural`), so every mode and every order of nesting gets them
right from the same lines:

* ``conjugate(z) = real(z) - 1j imag(z)``;
* ``abs(z) = sqrt(real(z)^2 + imag(z)^2)``, with derivative 0 at ``z = 0`` (the
  minimum-norm subgradient, the convention of the real ``abs``);
* ``sign(z) = z / abs(z)`` (NumPy's complex sign), 0 with derivative 0 at ``z = 0``.

``angle`` is composed the same way in :mod:`numeric.arrayrules_composed`. Every other
non-holomorphic rule (``floor``, ``maximum``, ``hypot`` ...) refuses a complex value with a
message: NumPy has no complex ``floor``, and a lexicographic ``maximum`` has no derivative a
user would expect.

Examples
--------
>>> import numpy as np, numeric as nm
>>> g = nm.gradient(lambda x: abs(x[0] + 1j * x[1]), np.array([3.0, 4.0]))
>>> [round(float(v), 12) for v in g]          # (x, y) / |z|
[0.6, 0.8]
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from numeric.backend import dtype_kind, is_foreign, namespace
from numeric.protocol import innermost

__all__ = ["is_complex", "real_of", "imag_of", "real_part", "imag_part", "conjugate", "complex_abs", "complex_sign", "COMPLEX_FORMS", "guard_complex"]


def is_complex(x: Any) -> bool:
    """True when the primal of number or array *x* is complex."""
    v = getattr(x, "value", x)          # fast path: a dual or tracked number over a float
    t = type(v)
    if t is float or t is np.float64 or (t is np.ndarray and v.dtype.kind == "f"):
        return False
    v = innermost(x)
    if type(v) is float or type(v) is int:
        return False
    if type(v) is complex:
        return True
    if isinstance(v, np.ndarray) and v.dtype == object:
        return any(is_complex(e) for e in v.flat)
    if is_foreign(v):                   # a device array: its dtype says (no NumPy conversion)
        return dtype_kind(v.dtype) == "c"
    return np.iscomplexobj(v) or type(v).__name__ == "mpc"


def _part(name: str) -> Callable[[Any], Any]:
    np_part = getattr(np, name)
    get = np.frompyfunc(lambda e: getattr(e, name), 1, 1)

    def part(a: Any) -> Any:
        if isinstance(a, np.ndarray) and a.dtype == object:
            return get(a) if a.ndim else get(a[()])
        if is_foreign(a):                   # a device array: its namespace's real / imag
            from numeric.xpcompat import XP
            return XP[np_part](namespace(a), a)
        return np_part(a)
    part.__name__ = f"{name}_of"
    part.__doc__ = (f"``np.{name}`` of a plain number or array, object arrays (mpc) element by "
                    f"element: NumPy returns an object array itself as its real part and zeros "
                    f"as its imaginary part.")
    return part


real_of, imag_of = _part("real"), _part("imag")


def real_part(z: Any) -> Any:
    """``z.real``: *z* itself for a real value, else ``np.real(z)`` (a number of the same type)."""
    return np.real(z) if is_complex(z) else z


def imag_part(z: Any) -> Any:
    """``z.imag``: a zero of *z*'s type for a real value, else ``np.imag(z)``."""
    return np.imag(z) if is_complex(z) else z * 0


def conjugate(z: Any) -> Any:
    """``conj(z)``: *z* itself for a real value, ``real(z) - 1j imag(z)`` for a complex one."""
    return np.real(z) - 1j * np.imag(z) if is_complex(z) else z


def _abs2_parts(z: Any) -> tuple:
    re, im = np.real(z), np.imag(z)
    s = re * re + im * im
    # the comparison is on the number itself, so a recording tape guards it
    zero = (s == 0) if np.ndim(innermost(s)) == 0 else np.asarray(s == 0)
    return re, s, zero


def _where(cond: Any, x: Any, y: Any) -> Any:
    if isinstance(cond, (bool, np.bool_)):
        return x if cond else y
    return np.where(cond, x, y)


def complex_abs(z: Any) -> Any:
    """``|z|`` of a complex number or array, derivative 0 at 0 (a safe square root: no 0/0)."""
    re, s, zero = _abs2_parts(z)
    root = np.sqrt(_where(zero, s * 0 + 1, s))
    return _where(zero, re * 0, root)


def complex_sign(z: Any) -> Any:
    """``z / |z|`` of a complex number or array; 0, with derivative 0, at 0."""
    re, s, zero = _abs2_parts(z)
    root = np.sqrt(_where(zero, s * 0 + 1, s))
    return _where(zero, z * 0, z / root)


# rule name -> the composition used on complex values
COMPLEX_FORMS: dict[str, Callable[[Any], Any]] = {
    "abs": complex_abs,
    "sign": complex_sign,
}


def guard_complex(name: str, args: tuple) -> Callable[[Any], Any] | None:
    """The composition for non-holomorphic rule *name* when one of *args* is complex.

    None when every argument is real (the table's rule applies). Raises TypeError for a
    non-holomorphic rule that has no complex form.
    """
    if not any(is_complex(a) for a in args):
        return None
    form = COMPLEX_FORMS.get(name)
    if form is None:
        raise TypeError(f"{name} of a complex number has no derivative rule: it is not holomorphic "
                        "and NumPy's complex version is not differentiable as a user would expect. "
                        "Write it with np.real and np.imag of the number (e.g. compare real parts)")
    return form
