"""A tour of metanum: one generic computation, many number types.

Run with ``make demo``. The same function -- a damped oscillator
x'' + 2 zeta x' + x = 0 stepped by a short generic RK4 loop -- is run with
float64, float32, mpmath at 50 digits and a forward-mode Dual, without a
single change to the function. The Dual run also returns d x(T) / d zeta,
checked here against a central difference at 50 digits.

Later parts of the tour (ODE solver, measurements, function-valued numbers,
reverse mode, stochastic simulation) live in ``examples/tour_parts/`` and are
run after this one when present.
"""

from __future__ import annotations

import importlib
import pathlib
import sys

import mpmath
import numpy as np

import numeric as nm

ROOT = pathlib.Path(__file__).resolve().parent


def oscillator(zeta, steps: int = 200, T: float = 5.0):
    """x(T) of x'' + 2 zeta x' + x = 0, x(0) = 1, x'(0) = 0, by RK4 on generic numbers."""
    one = nm.one(zeta)
    x, v = one, 0 * one
    h = one * T / steps

    def rhs(x, v):
        return v, -2 * zeta * v - x

    for _ in range(steps):
        k1x, k1v = rhs(x, v)
        k2x, k2v = rhs(x + h / 2 * k1x, v + h / 2 * k1v)
        k3x, k3v = rhs(x + h / 2 * k2x, v + h / 2 * k2v)
        k4x, k4v = rhs(x + h * k3x, v + h * k3v)
        x = x + h / 6 * (k1x + 2 * k2x + 2 * k3x + k4x)
        v = v + h / 6 * (k1v + 2 * k2v + 2 * k3v + k4v)
    return x


def exact(zeta):
    """The exact x(T) for T = 5 (underdamped), at mpmath precision."""
    zeta = mpmath.mpf(zeta)
    w = mpmath.sqrt(1 - zeta**2)
    t = mpmath.mpf(5)
    return mpmath.exp(-zeta * t) * (mpmath.cos(w * t) + zeta / w * mpmath.sin(w * t))


def main() -> None:
    mpmath.mp.dps = 50
    zeta = 0.1
    print("metanum tour: x(5) of a damped oscillator, RK4 with 200 steps, zeta = 0.1")
    print(f"{'number type':<22}{'x(5)':<58}{'type of result':<16}")
    rows = [
        ("float64", zeta),
        ("numpy float32", np.float32(zeta)),
        ("mpmath mpf (50 dig.)", mpmath.mpf(1) / 10),
    ]
    for label, z in rows:
        x = oscillator(z)
        print(f"{label:<22}{str(x):<58}{type(x).__name__:<16}")
    d = nm.derivative(oscillator, zeta)
    d_mp = nm.derivative(oscillator, mpmath.mpf(1) / 10)
    h = mpmath.mpf(10) ** -20
    z0 = mpmath.mpf(1) / 10
    fd = (oscillator(z0 + h) - oscillator(z0 - h)) / (2 * h)
    print(f"{'Dual: dx/dzeta':<22}{d!r:<58}{type(d).__name__:<16}")
    print(f"{'Dual of mpf':<22}{mpmath.nstr(d_mp, 28):<58}{type(d_mp).__name__:<16}")
    print(f"{'central diff. (mpf)':<22}{mpmath.nstr(fd, 28):<58}")
    print(f"RK4 error of x(5) at 50 digits: {mpmath.nstr(oscillator(z0) - exact(z0), 5)} "
          "(the method's truncation error, the same in every precision)")
    for part in sorted((ROOT / "tour_parts").glob("*.py")):
        if part.name.startswith("_"):
            continue
        sys.path.insert(0, str(ROOT))
        module = importlib.import_module(f"tour_parts.{part.stem}")
        print()
        module.run()


if __name__ == "__main__":
    main()
