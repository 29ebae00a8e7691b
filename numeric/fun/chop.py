"""Where to chop a decaying coefficient sequence: the standardChop algorithm.

Aurentz, J. L. and Trefethen, L. N., "Chopping a Chebyshev series",
ACM Trans. Math. Softw. 43(4), article 33 (2017), section 4. The algorithm
(the constants 17, 1.25 j + 5, 3 (1 - log e1 / log tol), tol**(7/6) and the
ramp of slope -(1/3) log10(tol) are the paper's) works on the *monotone
envelope* of the magnitudes, normalised by its first entry:

1. Find a *plateau*: the first j at which the envelope stops decaying,
   ``envelope[j2] / envelope[j] > r`` with ``j2 = round(1.25 j + 5)``
   and ``r = 3 (1 - log envelope[j] / log tol)``, or the envelope is 0.
   No plateau before j2 runs off the end: the series is *not resolved*.
2. Inside the plateau, chop at the lowest point of
   ``log10 envelope[k] + ramp(k)``, a line of slope ``-(1/3) log10 tol``
   that tilts the choice towards shorter series.

The kernel is compiled with numba (a Python loop over j would cost more than
the FFTs around it), on first use: importing metanum does not import numba.

Examples
--------
>>> import numpy as np
>>> from numeric.fun.chop import standard_chop
>>> c = 10.0 ** -np.arange(40.0)    # decays to 1e-39: keep down to about eps
>>> standard_chop(c, 2.0**-52)
18
"""

from __future__ import annotations

import functools
import math

import numpy as np

from numeric.backend import to_host

__all__ = ["standard_chop", "simplify_length"]


def standard_chop(magnitudes: np.ndarray, tol: float) -> int:
    """How many leading coefficients to keep; ``len(magnitudes)`` if unresolved.

    Parameters
    ----------
    magnitudes : 1-D float array
        ``|c_k|`` (or any non-negative size per coefficient), ``k = 0, 1, ...``.
    tol : float
        Relative tolerance in (0, 1), normally the machine epsilon.

    Returns
    -------
    int
        The cutoff: keep ``c[:cutoff]``. Equal to ``len(magnitudes)`` when no
        plateau is found (the series is not resolved), and always >= 1.

    Notes
    -----
    The scan is sequential (a plateau search, then a minimum), so it runs on the host:
    *magnitudes* of another namespace (a CuPy array) are copied there once, one vector of
    ``len(magnitudes)`` floats per chop decision (:func:`numeric.backend.to_host`).
    """
    tol = float(tol)
    if not 0.0 < tol < 1.0:
        raise ValueError(f"standard_chop needs 0 < tol < 1, got {tol}")
    b = np.ascontiguousarray(np.abs(to_host(magnitudes).astype(np.float64)))
    if b.size < 17:
        return int(b.size)
    return int(_compiled_kernel()(b, tol))


@functools.cache
def _compiled_kernel():
    """``_chop_kernel`` compiled by numba (imported here, on first use; cached on disk)."""
    from numba import njit

    return njit(cache=True)(_chop_kernel)


def _chop_kernel(b, tol):  # pragma: no cover - compiled
    n = b.shape[0]
    envelope = np.empty(n)
    m = 0.0
    for k in range(n - 1, -1, -1):
        if b[k] > m:
            m = b[k]
        envelope[k] = m
    if envelope[0] == 0.0:
        return 1
    top = envelope[0]
    for k in range(n):
        envelope[k] /= top
    # Step 1: the plateau. j is 1-based as in the paper; j2 = round(1.25 j + 5),
    # rounding halves up as MATLAB does.
    log_tol = math.log(tol)
    plateau_point = -1
    j2 = 0
    for j in range(2, n + 1):
        j2 = int(math.floor(1.25 * j + 5.0 + 0.5))
        if j2 > n:
            return n
        e1 = envelope[j - 1]
        e2 = envelope[j2 - 1]
        if e1 == 0.0:
            plateau_point = j - 1
            break
        r = 3.0 * (1.0 - math.log(e1) / log_tol)
        if e2 / e1 > r:
            plateau_point = j - 1
            break
    if plateau_point < 0:
        return n
    # Step 2: the lowest point of the tilted envelope.
    if envelope[plateau_point - 1] == 0.0:
        return plateau_point
    floor = tol ** (7.0 / 6.0)
    j3 = 0
    for k in range(n):
        if envelope[k] >= floor:
            j3 += 1
    if j3 < j2:
        j2 = j3 + 1
        envelope[j2 - 1] = floor
    slope = (-1.0 / 3.0) * math.log10(tol)
    best = math.inf
    d = 1
    for k in range(j2):
        ramp = slope * k / (j2 - 1) if j2 > 1 else 0.0
        e = envelope[k]
        cc = (math.log10(e) if e > 0.0 else -math.inf) + ramp
        if cc < best:
            best = cc
            d = k + 1
    return max(d - 1, 1)


def simplify_length(n: int) -> int:
    """Length to pad an exact series to before chopping it (Chebfun's simplify).

    An exactly representable series (a sum or product of chopped series) has
    no plateau of its own; padding it with zeros to ``max(17, 1.25 n + 5)``
    gives standard_chop the plateau it needs to find the tolerance crossing.
    """
    return max(17, int(math.floor(1.25 * n + 5.5)))
