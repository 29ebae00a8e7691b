"""Stiff validation problems with published reference solutions (tests, benchmarks).

Each problem is a :class:`TestProblem` ``(name, f, u0, tspan, ref, source)``; ``f(u, p, t)`` is
written with plain arithmetic so forward-mode Jacobians and other number types pass through.

* ``ROBER40``: Robertson's kinetics at ``t = 40``; reference from Hairer & Wanner, *Solving ODEs II*,
  2nd ed., section IV.10 (Table 10.1's "exact" values).
* ``ROBER1E5``: the same at ``t = 1e5``; reference computed with scipy's Radau at
  ``rtol = 1e-13, atol = 1e-20`` (an independent implementation; tests/test_stiff_reference.py
  recomputes it in a slow test).
* ``VDP``: Van der Pol in Hairer–Wanner's scaled form ``eps y'' = (1 - y^2) y' - y`` with
  ``eps = 1e-6`` (``mu = 1e3``; the equivalent of the unscaled ``mu = 1e6`` problem HNW II uses
  on the same slow time scale), ``y(0) = (2, 0)``, ``t = 2``; reference from the Test Set for IVP
  Solvers (F. Mazzia and C. Magherini, Univ. Bari, release 2.4, problem ``vdpol``).
* ``HIRES``: Schäfer's "High Irradiance RESponse" (8 species), ``t = 321.8122``; Test Set problem
  ``hires`` (reference: RADAU5 in quadruple precision).
* ``POLLUTION``: Verwer's air-pollution model (20 species, 25 reactions), ``t = 60``; Test Set
  problem ``pollu`` (rate constants, initial values and the reference of ``pollu.f``:
  RADAU5 on a Cray C90 with ``uround = 1.01e-19``, ``rtol = atol = 1.1e-18``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

__all__ = ["TestProblem", "rober", "vdp_scaled", "hires", "pollution", "ROBER40", "ROBER1E5", "VDP", "HIRES",
           "POLLUTION", "PROBLEMS", "relative_error"]


@dataclass(frozen=True)
class TestProblem:
    """A problem with its reference solution at ``tspan[1]`` and where the reference comes from."""

    __test__ = False  # not a pytest class
    name: str
    f: Callable
    u0: np.ndarray
    tspan: tuple
    ref: np.ndarray
    source: str


def relative_error(u: Any, ref: np.ndarray, floor: float = 1e-300) -> float:
    """``max_i |u_i - ref_i| / |ref_i|`` (the Test Set's per-component relative error)."""
    u = np.asarray(u, dtype=float)
    return float(np.max(np.abs(u - ref) / np.maximum(np.abs(ref), floor)))


def _array(xs: list) -> np.ndarray:
    return np.array(xs) if all(isinstance(x, float) for x in xs) else np.array(xs, dtype=object)


def rober(u, p, t):
    """Robertson's chemical kinetics (Hairer & Wanner II, IV.1)."""
    y1, y2, y3 = u[0], u[1], u[2]
    return _array([-0.04 * y1 + 1e4 * y2 * y3, 0.04 * y1 - 1e4 * y2 * y3 - 3e7 * y2 * y2, 3e7 * y2 * y2])


def vdp_scaled(u, p, t):
    """Van der Pol, scaled form: ``y1' = y2``, ``y2' = ((1 - y1^2) y2 - y1) / eps``, ``eps = 1e-6``."""
    return _array([u[1], ((1 - u[0] * u[0]) * u[1] - u[0]) / 1e-6])


def hires(y, p, t):
    """HIRES (Schäfer 1975), as in the Test Set (problem ``hires``)."""
    return _array([
        -1.71 * y[0] + 0.43 * y[1] + 8.32 * y[2] + 0.0007,
        1.71 * y[0] - 8.75 * y[1],
        -10.03 * y[2] + 0.43 * y[3] + 0.035 * y[4],
        8.32 * y[1] + 1.71 * y[2] - 1.12 * y[3],
        -1.745 * y[4] + 0.43 * y[5] + 0.43 * y[6],
        -280 * y[5] * y[7] + 0.69 * y[3] + 1.71 * y[4] - 0.43 * y[5] + 0.69 * y[6],
        280 * y[5] * y[7] - 1.81 * y[6],
        -280 * y[5] * y[7] + 1.81 * y[6],
    ])  # fmt: skip


# Test Set pollu.f rate constants k1 .. k25
POLLU_K = (0.35, 26.6, 1.23e4, 8.6e-4, 8.2e-4, 1.5e4, 1.3e-4, 2.4e4, 1.65e4, 9.0e3, 2.2e-2, 1.2e4, 1.88,
           1.63e4, 4.8e6, 3.5e-4, 1.75e-2, 1.0e8, 4.44e11, 1.24e3, 2.1, 5.78, 4.74e-2, 1.78e3, 3.12)


def pollution(y, p, t):
    """Verwer's air-pollution model (Test Set problem ``pollu``, 20 species)."""
    k = POLLU_K
    # reaction rates r1 .. r25 (0-based: r[0] is r1), species y1 .. y20 as y[0] .. y[19]
    r = [k[0] * y[0], k[1] * y[1] * y[3], k[2] * y[4] * y[1], k[3] * y[6], k[4] * y[6], k[5] * y[6] * y[5],
         k[6] * y[8], k[7] * y[8] * y[5], k[8] * y[10] * y[1], k[9] * y[10] * y[0], k[10] * y[12],
         k[11] * y[9] * y[1], k[12] * y[13], k[13] * y[0] * y[5], k[14] * y[2], k[15] * y[3], k[16] * y[3],
         k[17] * y[15], k[18] * y[15], k[19] * y[16] * y[5], k[20] * y[18], k[21] * y[18], k[22] * y[0] * y[3],
         k[23] * y[18] * y[0], k[24] * y[19]]
    R = [None] + r  # 1-based, as in pollu.f
    return _array([
        -R[1] - R[10] - R[14] - R[23] - R[24] + R[2] + R[3] + R[9] + R[11] + R[12] + R[22] + R[25],
        -R[2] - R[3] - R[9] - R[12] + R[1] + R[21],
        -R[15] + R[1] + R[17] + R[19] + R[22],
        -R[2] - R[16] - R[17] - R[23] + R[15],
        -R[3] + R[4] + R[4] + R[6] + R[7] + R[13] + R[20],
        -R[6] - R[8] - R[14] - R[20] + R[3] + R[18] + R[18],
        -R[4] - R[5] - R[6] + R[13],
        R[4] + R[5] + R[6] + R[7],
        -R[7] - R[8],
        -R[12] + R[7] + R[9],
        -R[9] - R[10] + R[8] + R[11],
        R[9],
        -R[11] + R[10],
        -R[13] + R[12],
        R[14],
        -R[18] - R[19] + R[16],
        -R[20],
        R[20],
        -R[21] - R[22] - R[24] + R[23] + R[25],
        -R[25] + R[24],
    ])  # fmt: skip


ROBER40 = TestProblem("ROBER t=40", rober, np.array([1.0, 0.0, 0.0]), (0.0, 40.0),
                      np.array([0.7158270687193148, 9.185534764557128e-6, 0.2841637457458775]),
                      "Hairer & Wanner II, section IV.10")
ROBER1E5 = TestProblem("ROBER t=1e5", rober, np.array([1.0, 0.0, 0.0]), (0.0, 1e5),
                       np.array([1.786592114210169e-02, 7.274751468437207e-08, 9.821340061103880e-01]),
                       "scipy Radau, rtol=1e-13, atol=1e-20")
VDP = TestProblem("Van der Pol eps=1e-6", vdp_scaled, np.array([2.0, 0.0]), (0.0, 2.0),
                  np.array([0.1706167732170483e1, -0.8928097010247975e0]), "IVP Test Set, vdpol")
HIRES = TestProblem("HIRES", hires, np.array([1.0, 0, 0, 0, 0, 0, 0, 0.0057]), (0.0, 321.8122),
                    np.array([0.7371312573325668e-3, 0.1442485726316185e-3, 0.5888729740967575e-4,
                              0.1175651343283149e-2, 0.2386356198831331e-2, 0.6238968252742796e-2,
                              0.2849998395185769e-2, 0.2850001604814231e-2]), "IVP Test Set, hires")
POLLUTION = TestProblem(
    "Pollution", pollution,
    np.array([0, 0.2, 0, 0.04, 0, 0, 0.1, 0.3, 0.01, 0, 0, 0, 0, 0, 0, 0, 0.007, 0, 0, 0]), (0.0, 60.0),
    np.array([0.5646255480022769e-01, 0.1342484130422339e+00, 0.4139734331099427e-08, 0.5523140207484359e-02,
              0.2018977262302196e-06, 0.1464541863493966e-06, 0.7784249118997964e-01, 0.3245075353396018e+00,
              0.7494013383880406e-02, 0.1622293157301561e-07, 0.1135863833257075e-07, 0.2230505975721359e-02,
              0.2087162882798630e-03, 0.1396921016840158e-04, 0.8964884856898295e-02, 0.4352846369330103e-17,
              0.6899219696263405e-02, 0.1007803037365946e-03, 0.1772146513969984e-05, 0.5682943292316392e-04]),
    "IVP Test Set, pollu")  # fmt: skip

PROBLEMS = {p.name: p for p in (ROBER40, ROBER1E5, VDP, HIRES, POLLUTION)}
