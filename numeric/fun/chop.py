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

Here the plateau search is vectorised instead of looping over j.

Examples
--------
>>> import numpy as np
>>> from numeric.fun.chop import standard_chop
>>> c = 10.0 ** -np.arange(40)      # decays to 1e-39: keeps about 16
>>> standard_chop(c, 2.0**-52)
16
"""

from __future__ import annotations

import math

import numpy as np

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
    """
    tol = float(tol)
    if not 0.0 < tol < 1.0:
        raise ValueError(f"standard_chop needs 0 < tol < 1, got {tol}")
    b = np.abs(np.asarray(magnitudes, dtype=float))
    n = b.size
    if n < 17:
        return n
    envelope = np.maximum.accumulate(b[::-1])[::-1]
    if envelope[0] == 0.0:
        return 1
    envelope = envelope / envelope[0]
    # Step 1: the plateau. j is 1-based as in the paper; j2 = round(1.25 j + 5).
    j = np.arange(2, n + 1)
    j2 = np.floor(1.25 * j + 5.0 + 0.5).astype(int)
    valid = j2 <= n
    j, j2 = j[valid], j2[valid]
    if j.size == 0:
        return n
    e1 = envelope[j - 1]
    e2 = envelope[j2 - 1]
    with np.errstate(divide="ignore", invalid="ignore"):
        r = 3.0 * (1.0 - np.log(e1) / math.log(tol))
        plateau = (e1 == 0.0) | (e2 / e1 > r)
    hits = np.flatnonzero(plateau)
    if hits.size == 0:
        return n
    first = hits[0]
    plateau_point = int(j[first]) - 1
    j2_end = int(j2[first])
    # Step 2: the lowest point of the tilted envelope.
    if envelope[plateau_point - 1] == 0.0:
        return plateau_point
    floor = tol ** (7.0 / 6.0)
    j3 = int(np.count_nonzero(envelope >= floor))
    env = envelope[:j2_end].copy()
    if j3 < j2_end:
        j2_end = j3 + 1
        env = envelope[:j2_end].copy()
        env[-1] = floor
    with np.errstate(divide="ignore"):
        cc = np.log10(env) + np.linspace(0.0, (-1.0 / 3.0) * math.log10(tol), j2_end)
    d = int(np.argmin(cc)) + 1
    return max(d - 1, 1)


def simplify_length(n: int) -> int:
    """Length to pad an exact series to before chopping it (Chebfun's simplify).

    An exactly representable series (a sum or product of chopped series) has
    no plateau of its own; padding it with zeros to ``max(17, 1.25 n + 5)``
    gives standard_chop the plateau it needs to find the tolerance crossing.
    """
    return max(17, int(math.floor(1.25 * n + 5.5)))
