"""Gragg–Bulirsch–Stoer extrapolation: the explicit midpoint rule, extrapolated in h².

The method (Hairer, Nørsett & Wanner, *Solving Ordinary Differential
Equations I*, 2nd ed., Springer 1993, §II.9; the code ODEX of that section)
advances a step of size ``H`` from ``(t0, u0)`` as follows. For each row
``j = 1, 2, ...`` of the extrapolation table, with ``n_j`` substeps of size
``h_j = H / n_j`` (``n_j`` even), Gragg's modified midpoint rule

    y_0 = u0,  y_1 = y_0 + h_j f(y_0),  y_{i+1} = y_{i-1} + 2 h_j f(y_i),

followed by the smoothing step ``T_{j,1} = (y_{n-1} + y_n + h_j f(y_n)) / 2``
gives a value whose error has an asymptotic expansion in *even* powers of
``h_j`` (Gragg 1965). Aitken–Neville extrapolation to ``h = 0``,

    T_{j,l+1} = T_{j,l} + (T_{j,l} - T_{j-1,l}) / ((n_j / n_{j-l})² - 1),

makes ``T_{j,j}`` a method of order ``2j``; ``err_j = ||T_{j,j} - T_{j,j-1}||``
(scaled by ``atol + rtol max(|u0|, |T_jj|)`` and reduced by ``nm.norm``) is
its error estimate. Row ``j`` costs ``n_j`` evaluations of ``f``.

Order and step-size control follow ODEX (HNW I, §II.9, pp. 233-236): each row
``j >= 2`` proposes ``H_j = H / fac_j`` with
``fac_j = clamp((err_j / 0.65)**(1/(2j-1)) / 0.94, 0.02**(1/(2j-1)), 4 / 0.02**(1/(2j-1)))``
and has work per unit step ``W_j = A_j / H_j`` (``A_j = 1 + n_1 + ... + n_j``).
With ``k`` the row count aimed at, a step computes rows ``1 .. k-1``; it is
accepted there when ``err_{k-1} <= 1``, abandoned when the error is too large
to hope for convergence in row ``k+1`` (``err_{k-1} > (n_{k+1} n_k / 4)²``,
then ``err_k > (n_{k+1} / 2)²``), otherwise rows ``k`` and ``k+1`` are tried.
One deviation from ODEX: a step is given up early only when, in addition,
the convergence rate observed in the table (``err_{j-1} / err_{j-2}``)
predicts failure too; at high precision each row gains far more than ODEX's
``(n_j / n_1)²`` and the plain monitor rejects steps that would converge,
driving the order and the step down together.
The next ``k`` is the row of least work per unit step among ``k-1, k, k+1``
(the factors 0.8 and 0.9 of ODEX), and the next step ``H_k`` (scaled by
``A_{k+1} / A_k`` when the order rises). A row whose error grows with ``j``
(divergent extrapolation), a non-finite error, or a first midpoint substep
whose slope changes by more than twice its size (ODEX's stability check)
rejects the step with ``H / 2``.

Precision decides the order
---------------------------
The largest row count ``k_max`` (order ``2 k_max``) is chosen from the
machine epsilon of the state's real type (``nm.eps``): ``k_max`` grows
with the number of digits, so an ``mpf`` solve at 40 digits runs at order
~25, where a Taylor or Runge–Kutta method of fixed order needs many more
steps. The first row count is ODEX's ``0.6 * (-log10 rtol) + 1.5``.

Step-number sequences
---------------------
``"harmonic"``: 2, 4, 6, 8, ... (Deuflhard 1983; the least work per order,
the default when no values between steps are wanted). ``"bulirsch"``: 2, 4,
6, 8, 12, 16, 24, ... ``"odex-dense"``: 2, 6, 10, 14, ... (``4j - 2``; every
midpoint ``t0 + H/2`` is a grid point of odd index, which the dense output
below uses in every row; the default, as in ODEX, when the solve keeps dense
output, has ``saveat`` or continuous callbacks).

Dense output
------------
The interpolant of Hairer & Ostermann (1990; HNW I, §II.9, the dense output
of ODEX). For rows whose midpoint ``t0 + H/2`` is a grid point of odd index
(``n_j / 2`` odd), the midpoint value ``y_{n_j/2}`` and the stride-2 central
differences of the ``f`` values around it, ``H (n_j/2)**(l-1) delta^(l-1) f``,
approximate the scaled derivatives ``H**l u^(l)(t0 + H/2)`` with errors that
expand in h², so they are extrapolated like the table. The interpolant is the
polynomial of degree ``L + 4`` that matches these ``L + 1`` midpoint
derivatives and ``u0, f(u0), u1, f(u1)`` at the ends (the end slope is the
next step's first evaluation, so it costs nothing); ``L`` is the largest
order that at least two rows provide. With the ``4j - 2`` sequence every row
contributes, ``L`` is about ``2k`` and the interpolant is about as accurate as
the step itself (measured in the tests); with the harmonic sequence only odd
rows contribute and it is much less accurate, which is why the default
switches to ``4j - 2`` when values between steps are wanted. Without midpoint
data the interpolant is the cubic Hermite one of the ends (order 3). Not
done: ODEX's estimate of the interpolation error and its step rejection.

Everything is written with ``+``, ``-`` and multiplication by reals of the
state's real type, so floats, float32 arrays (stay float32), object arrays
of ``mpf``, duals and ``DualArray`` states all run unchanged.
"""

from __future__ import annotations

import math
from fractions import Fraction
from functools import lru_cache
from typing import Any

from solvers._nm import nm, real_eps

__all__ = ["GBS", "ExtrapolationStepper", "HermiteSegment", "step_numbers", "aitken_neville_row"]

# ODEX's controller constants (HNW I, §II.9 and the code ODEX): safety factors
# of the step proposal, bounds of the step ratio, order-change thresholds.
SAFE1, SAFE2, SAFE3 = 0.65, 0.94, 0.5
FAC1, FAC2 = 0.02, 4.0
FAC3, FAC4 = 0.8, 0.9

SEQUENCES = ("harmonic", "bulirsch", "odex-dense")


def step_numbers(sequence: str, count: int) -> tuple:
    """The first *count* step numbers ``n_1, n_2, ...`` of a named sequence.

    Examples
    --------
    >>> step_numbers("harmonic", 5), step_numbers("bulirsch", 7), step_numbers("odex-dense", 4)
    ((2, 4, 6, 8, 10), (2, 4, 6, 8, 12, 16, 24), (2, 6, 10, 14))
    """
    if sequence == "harmonic":
        return tuple(2 * j for j in range(1, count + 1))
    if sequence == "odex-dense":
        return tuple(4 * j - 2 for j in range(1, count + 1))
    if sequence == "bulirsch":
        out = [2, 4, 6]
        while len(out) < count:
            out.append(2 * out[-2])
        return tuple(out[:count])
    raise ValueError(f"unknown step-number sequence {sequence!r}: choose one of {', '.join(SEQUENCES)}")


def aitken_neville_row(row: list, prev: list, factors: list) -> list:
    """Extrapolate a new table row in place: ``row = [T_j1]`` grows to ``[T_j1, ..., T_jj]``.

    ``factors[l]`` is ``1 / ((n_j / n_{j-l-1})**2 - 1)`` in the state's real
    type; ``prev`` is the row above (``T_{j-1,1..j-1}``).
    """
    for l, c in enumerate(factors):
        t = row[l]
        row.append(t + (t - prev[l]) * c)
    return row


def default_max_rows(eps: Any) -> int:
    """The largest row count ``k_max`` for a real type of machine epsilon *eps*.

    About 0.6 rows per decimal digit plus 2.5 (float32: 6, float64: 11,
    mpf at 40 digits: 26), capped at 40: the rows actually used are chosen
    by the work-per-step rule, this only bounds them.
    """
    digits = -math.log10(float(eps)) if float(eps) > 0 else 300.0
    return max(4, min(40, int(0.6 * digits + 2.5)))


class GBS:
    """Gragg–Bulirsch–Stoer extrapolation with adaptive order and step (ODEX).

    The explicit midpoint rule extrapolated in h², order ``2k`` with ``k``
    chosen each step; see :mod:`solvers.ode.extrapolation` for the method,
    the controller and the dense output. Best for smooth problems at tight
    tolerances, above all at high precision (``mpf``), where its order rises
    with the number of digits.

    Parameters
    ----------
    max_order : int, optional
        Largest order ``2 k_max`` (even, >= 4). By default chosen from the
        precision of the state (``nm.eps``): 22 for float64, 52 at 40 digits.
    sequence : {"harmonic", "bulirsch", "odex-dense"}, optional
        Step-number sequence. By default, as in ODEX, ``"odex-dense"``
        (``4j - 2``) when the solve needs values between steps (dense output,
        ``saveat``, continuous callbacks) and ``"harmonic"`` (``2j``, less work)
        otherwise.
    order : int, optional
        With ``adaptive=False`` (fixed steps ``dt``), the fixed order ``2k``
        used (default ``max_order``); with adaptive steps, the first order tried.

    Examples
    --------
    >>> import mpmath
    >>> from solvers import GBS, ODEProblem, solve
    >>> with mpmath.workdps(40):
    ...     prob = ODEProblem(lambda u, p, t: -u, mpmath.mpf(1), (0, 1))
    ...     sol = solve(prob, GBS(), rtol=mpmath.mpf("1e-37"), atol=mpmath.mpf("1e-39"))
    ...     bool(abs(sol.u[-1] - mpmath.exp(-1)) < mpmath.mpf("1e-36"))
    True
    """

    adaptive = True
    own_controller = True  # order and step are chosen by the stepper (ODEX's strategy)

    def __init__(self, max_order: int | None = None, *, sequence: str | None = None, order: int | None = None):
        for name, val in (("max_order", max_order), ("order", order)):
            if val is not None and (int(val) != val or val < 4 or val % 2):
                raise ValueError(f"GBS: {name} must be an even integer >= 4 (the order 2k of k rows), got {val!r}")
        if sequence is not None:
            step_numbers(sequence, 1)  # validates the name
        if max_order is not None and order is not None and order > max_order:
            raise ValueError(f"GBS: order={order} exceeds max_order={max_order}")
        self.max_order = max_order
        self.sequence = sequence
        self.first_order = order
        self.compile = False

    @property
    def name(self) -> str:
        return type(self).__name__

    @property
    def order(self) -> int:
        """The largest order (``max_order``; 22, the float64 default, when chosen from the precision)."""
        return self.max_order if self.max_order is not None else 2 * default_max_rows(2.0**-52)

    def __repr__(self) -> str:
        args = []
        if self.max_order is not None:
            args.append(f"max_order={self.max_order}")
        if self.sequence is not None:
            args.append(f"sequence={self.sequence!r}")
        return f"{self.name}({', '.join(args)})"

    def make_stepper(self, ctx: Any) -> Any:
        """The protocol stepper: :class:`ExtrapolationStepper` behind
        :class:`solvers.ode.rk_stepper.OwnControllerStepper` (it picks order and step)."""
        from solvers.ode.rk_stepper import OwnControllerStepper

        inner = ExtrapolationStepper(self, ctx.f, ctx.p, ctx.u0, ctx.norm, ctx.stats, ctx.rtol, ctx.adaptive)
        return OwnControllerStepper(inner, ctx)


@lru_cache(maxsize=64)
def _factor_fractions(ns: tuple) -> tuple:
    """``((1/((n_j/n_{j-1})²-1), 1/((n_j/n_{j-2})²-1), ...) for j)`` exactly."""
    out = []
    for j, nj in enumerate(ns):
        out.append(tuple(1 / (Fraction(nj, ns[j - 1 - l]) ** 2 - 1) for l in range(j)))
    return tuple(out)


def _real_converter(u: Any):
    e = real_eps(u)
    if isinstance(e, float):
        return float
    one = e / e  # 1 in the real type (float32 scalar, mpf at the current precision ...)
    return lambda q: (one * q.numerator) / (one * q.denominator)


def _tol_digits(rtol: Any) -> float:
    try:
        r = min(float(x) for x in _flat(nm.value(rtol)))
    except (TypeError, ValueError):
        r = 1e-3
    return -math.log10(r + 1e-300) if r > 0 else 300.0


def _flat(x: Any) -> list:
    return list(x.ravel()) if hasattr(x, "ravel") else [x]


class ExtrapolationStepper:
    """One GBS step at a time, for the integrator loop of :mod:`solvers.ode.integrator`.

    Protocol with the integrator: ``step(t, u, f0, h, t_new)`` returns
    ``(u_new, E, record)`` with ``E <= 1`` for an accepted step; ``ratio`` is
    then the proposed ``|h_next| / |h|`` (after a rejection, the retry's);
    ``last_stage(record)`` evaluates ``f(u_new)`` (the next step's first
    slope); ``segment(...)`` is the step's dense output. ``f`` evaluations are
    counted into ``stats.nf`` here.
    """

    own_control = True
    fsal = True

    def __init__(self, alg: GBS, f, p, u, norm, stats, rtol, adaptive: bool):
        self.f, self.p, self.norm, self.stats = f, p, norm, stats
        self.adaptive = adaptive
        eps = real_eps(u)
        km = alg.max_order // 2 if alg.max_order is not None else default_max_rows(eps)
        self.km = km
        self.conv = _real_converter(u)
        self.half = self.conv(Fraction(1, 2))
        self._tiny = math.sqrt(float(eps))
        self._fixed_sequence = alg.sequence
        self.prepare(dense_output=False)
        if alg.first_order is not None:
            k = alg.first_order // 2
        else:
            k = int(_tol_digits(rtol) * 0.6 + 1.5)
        # k: rows aimed at (ODEX's K), 2 <= k <= km - 1 (row k + 1 must exist)
        self.k = max(2, min(km - 1, k)) if adaptive else min(k if alg.first_order else km, km)
        self.order = 2 * self.k
        self.first = True
        self.reject = False
        self.ratio = 1.0
        self._t_new = None
        self._u_new = None

    def prepare(self, dense_output: bool) -> None:
        """Fix the step-number sequence: ``4j - 2`` when values between steps are wanted."""
        seq = self._fixed_sequence or ("odex-dense" if dense_output else "harmonic")
        if seq == getattr(self, "sequence", None):
            return
        self.sequence = seq
        self.ns = step_numbers(seq, self.km + 1)
        self._fractions = _factor_fractions(self.ns)
        self._factors: dict = {}  # row -> extrapolation factors in the real type, converted when first used
        work = [self.ns[0] + 1]
        for n in self.ns[1:]:
            work.append(work[-1] + n)
        self.work_per_step = work  # A_j (index j-1)

    # ----------------------------------------------------------------- rows

    def _midpoint(self, t, u, f0, H, j):
        """Row ``j`` (0-based): the smoothed midpoint value, midpoint data, and a stability flag."""
        f, p = self.f, self.p
        n = self.ns[j]
        hs = H / n
        two_hs = hs * 2
        y_prev, y = u, u + f0 * hs
        mid = n // 2
        keep = mid % 2 == 1  # the midpoint is a grid point of odd index: dense-output data
        ym = None
        fs = [f0] if keep else None
        ti = t
        for i in range(1, n):
            ti = ti + hs
            fi = f(y, p, ti)
            if keep:
                fs.append(fi)
                if i == mid:
                    ym = y
            if i == 1 and j <= 1 and self.adaptive:
                # ODEX's stability check (mstab = 1, jstab = 2): the slope after the
                # Euler substep may not differ from f(u0) by more than twice its size
                d0 = self.norm(f0, u, u)
                d1 = self.norm(fi - f0, u, u)
                if float(d1) > 2 * max(float(d0), self._tiny) or not float(d1) < math.inf:
                    self.stats.nf += i
                    return None
            y_prev, y = y, y_prev + fi * two_hs
        fn = f(y, p, self._t_new)
        self.stats.nf += n
        if keep:
            fs.append(fn)
        return (y_prev + y + fn * hs) * self.half, ym, fs

    def _table_row(self, j, t, u, f0, H, rows, mids):
        """Row ``j`` (0-based) of the extrapolation table, appended to *rows*; None if unstable."""
        res = self._midpoint(t, u, f0, H, j)
        if res is None:
            return None
        T1, ym, fs = res
        if ym is not None:
            mids.append((self.ns[j], ym, fs))
        row = [T1]
        if j > 0:
            facs = self._factors.get(j)
            if facs is None:
                facs = self._factors[j] = [self.conv(q) for q in self._fractions[j]]
            aitken_neville_row(row, rows[-1], facs)
        rows.append(row)
        return row

    def _row(self, j, t, u, f0, H, rows, mids):
        """Compute row ``j`` (0-based) and its error/step proposal. None: diverging (reject)."""
        row = self._table_row(j, t, u, f0, H, rows, mids)
        if row is None:
            return None
        if j == 0:
            return 0.0
        err = float(self.norm(row[-1] - row[-2], u, row[-1]))
        if not err < math.inf or (j > 1 and err >= self._errold):
            return None
        self._errold = max(4 * err, 1.0)
        self._errs.append(err)
        expo = 1.0 / (2 * j + 1)
        facmin = FAC1**expo
        fac = min(FAC2 / facmin, max(facmin, (err / SAFE1) ** expo / SAFE2))
        self._hh[j] = 1.0 / fac  # ratio H_j / H
        self._w[j] = self.work_per_step[j] * fac
        return err

    # ----------------------------------------------------------------- step

    def step(self, t, u, f0, h, t_new):
        self._t_new = t_new
        self._hh = [None] * (self.km + 1)
        self._w = [math.inf] * (self.km + 1)
        self._errold = 1e10
        self._errs = []
        rows: list = []
        mids: list = []
        if not self.adaptive:  # fixed order 2k and fixed step: the table without error control
            for j in range(self.k):
                self._table_row(j, t, u, f0, h, rows, mids)
            return self._accept(rows, mids, None)
        k = self.k
        kc = 0
        err = math.inf
        if self.first:
            # ODEX's first step: rows 1..k, accepting as soon as one converges
            for j in range(k):
                err = self._row(j, t, u, f0, h, rows, mids)
                if err is None:
                    return self._diverged(rows)
                kc = j + 1
                if j > 0 and err <= 1:
                    return self._accept(rows, mids, kc)
            return self._hope(k, kc, err, t, u, f0, h, rows, mids)
        for j in range(k - 1):
            err = self._row(j, t, u, f0, h, rows, mids)
            if err is None:
                return self._diverged(rows)
        kc = k - 1
        # convergence monitor
        if not (k == 2 or self.reject):
            if err <= 1:
                return self._accept(rows, mids, kc)
            if err > (self.ns[k] * self.ns[k - 1] / 4.0) ** 2 and self._predicted(err, 2) > 1:
                return self._rejected(kc)
        err = self._row(k - 1, t, u, f0, h, rows, mids)
        if err is None:
            return self._diverged(rows)
        kc = k
        if err <= 1:
            return self._accept(rows, mids, kc)
        return self._hope(k, kc, err, t, u, f0, h, rows, mids)

    def _hope(self, k, kc, err, t, u, f0, h, rows, mids):
        """Hope for convergence in row k + 1."""
        if k >= self.km or (err > (self.ns[k] / 2.0) ** 2 and self._predicted(err, 1) > 1):
            return self._rejected(kc)
        err = self._row(k, t, u, f0, h, rows, mids)
        if err is None:
            return self._diverged(rows)
        if err > 1:
            return self._rejected(k + 1)
        return self._accept(rows, mids, k + 1)

    def _predicted(self, err, rows_ahead):
        """The error *rows_ahead* rows below, from the table's observed convergence rate.

        ODEX's monitor assumes each row gains a factor ``(n_j / n_1)**2``; a smooth
        problem at high precision gains far more per row, and the monitor alone
        would reject steps that row ``k`` or ``k + 1`` accepts. A step is given
        up only when the observed rate (``err_{j-1} / err_{j-2}``, which grows
        with ``j`` in the asymptotic regime, so the prediction is cautious)
        also predicts failure.
        """
        prev = self._errs[-2] if len(self._errs) >= 2 else None
        if not prev or not err < prev:
            return math.inf
        return err * (err / prev) ** rows_ahead

    def _diverged(self, rows):
        self.ratio = SAFE3
        self.reject = True
        return None, math.inf, None

    def _rejected(self, kc):
        k = max(2, min(self.k, kc, self.km - 1))
        w = self._w
        if k > 2 and w[k - 2] < w[k - 1] * FAC3:
            k -= 1
        self.k = k
        self.order = 2 * k
        self.ratio = self._hh[k - 1] if self._hh[k - 1] is not None else SAFE3
        self.reject = True
        return None, math.inf, None

    def _accept(self, rows, mids, kc):
        u_new = rows[-1][-1]
        self._u_new = u_new
        record = [mids, None]
        if kc is None:  # fixed order and step
            self.first = False
            return u_new, None, record
        err_val = 0.0
        w, hh, km, k = self._w, self._hh, self.km, self.k
        # optimal row count for the next step (indices: w[j - 1] is row j's)
        if kc == 2:
            kopt = min(3, km - 1)
            if self.reject:
                kopt = 2
        elif kc <= k:
            kopt = kc
            if w[kc - 2] < w[kc - 1] * FAC3:
                kopt = kc - 1
            if w[kc - 1] < w[kc - 2] * FAC4:
                kopt = min(kc + 1, km - 1)
        else:
            kopt = kc - 1
            if kc > 3 and w[kc - 3] < w[kc - 2] * FAC3:
                kopt = kc - 2
            if w[kc - 1] < w[kopt - 1] * FAC4:
                kopt = min(kc, km - 1)
        A = self.work_per_step
        if self.reject:
            k = min(kopt, kc)
            ratio = min(1.0, hh[k - 1])
            self.reject = False
        else:
            if kopt <= kc:
                ratio = hh[kopt - 1]
            elif kc < k and w[kc - 1] < w[kc - 2] * FAC4:
                ratio = hh[kc - 1] * A[kopt] / A[kc - 1]
            else:
                ratio = hh[kc - 1] * A[kopt - 1] / A[kc - 1]
            k = kopt
        self.k = max(2, k)
        self.order = 2 * self.k
        self.ratio = ratio
        self.first = False
        return u_new, err_val, record

    # ----------------------------------------------------------- dense output

    def last_stage(self, record: list) -> Any:
        """``f(u_new, t_new)``: the end slope of the step, the next step's first."""
        if record[1] is None:
            record[1] = self.f(self._u_new, self.p, self._t_new)
            self.stats.nf += 1
        return record[1]

    def segment(self, t, h, u, u_new, f0, record) -> "HermiteSegment":
        return HermiteSegment(t, h, u, u_new, f0, self.last_stage(record), record[0], self)


@lru_cache(maxsize=128)
def _end_matrix(N: int) -> tuple:
    """Exact inverse of the 4x4 system for ``R(s) = s**N (a + b s + c s**2 + d s**3)``.

    Rows: ``R(-1/2), R'(-1/2), R(1/2), R'(1/2)``; the inverse maps those four
    residuals to ``(a, b, c, d)``.
    """
    rows = []
    for x in (Fraction(-1, 2), Fraction(1, 2)):
        rows.append([x ** (N + i) for i in range(4)])
        rows.append([(N + i) * x ** (N + i - 1) if N + i else Fraction(0) for i in range(4)])
    n = 4
    aug = [r + [Fraction(int(i == j)) for j in range(n)] for i, r in enumerate(rows)]
    for col in range(n):  # Gauss–Jordan on exact rationals
        piv = next(r for r in range(col, n) if aug[r][col] != 0)
        aug[col], aug[piv] = aug[piv], aug[col]
        pv = aug[col][col]
        aug[col] = [x / pv for x in aug[col]]
        for r in range(n):
            if r != col and aug[r][col] != 0:
                fac = aug[r][col]
                aug[r] = [a - fac * b for a, b in zip(aug[r], aug[col])]
    return tuple(tuple(r[n:]) for r in aug)


def _extrapolate_values(ns: list, vals: list, conv) -> Any:
    """Aitken–Neville in h² of values at step numbers *ns*: the last diagonal entry."""
    prev = [vals[0]]
    for j in range(1, len(vals)):
        facs = [conv(1 / (Fraction(ns[j], ns[j - 1 - l]) ** 2 - 1)) for l in range(j)]
        prev = aitken_neville_row([vals[j]], prev, facs)
    return prev[-1]


def _central_difference(fs: list, m: int, q: int) -> Any:
    """``delta^q f`` at index *m* with stride-2 central differences (points of one parity)."""
    acc = None
    c = 1
    for k in range(q + 1):  # sum_k (-1)^k C(q, k) f_{m+q-2k}
        term = fs[m + q - 2 * k] * (c if k % 2 == 0 else -c)
        acc = term if acc is None else acc + term
        c = c * (q - k) // (k + 1)
    return acc


def midpoint_derivatives(mids: list, H: Any, conv) -> list:
    """Scaled derivatives ``H**l u^(l)(t0 + H/2)``, ``l = 0, 1, ..., L``, extrapolated in h².

    *mids* holds, for each row whose midpoint index ``m = n/2`` is odd,
    ``(n, y_m, [f_0, ..., f_n])``. The value is ``y_m``; the derivative of
    order ``l >= 1`` is ``H (n/2)**(l-1) delta^(l-1) f_m`` (central differences
    of step ``2h`` use points of one parity, whose errors expand in h²:
    Hairer & Ostermann 1990; HNW I, §II.9). Each is extrapolated over the rows
    that hold enough points; ``L`` is the largest order with at least two rows.
    """
    out = []
    if len(mids) < 2:
        return out
    out.append(_extrapolate_values([m[0] for m in mids], [m[1] for m in mids], conv))
    lam = 1
    while True:
        q = lam - 1
        rows = [m for m in mids if m[0] // 2 >= q]
        if len(rows) < 2:
            return out
        vals = [_central_difference(fs, n // 2, q) * (H * conv(Fraction(n, 2) ** q)) for n, _, fs in rows]
        out.append(_extrapolate_values([m[0] for m in rows], vals, conv))
        lam += 1


class HermiteSegment:
    """Dense output of one GBS step (see the module docstring).

    In ``s = theta - 1/2`` the interpolant is
    ``p(s) = sum_{l<=L} D_l s**l / l! + s**(L+1) (a + b s + c s**2 + d s**3)``,
    whose Taylor part matches the extrapolated midpoint derivatives
    ``D_l = H**l u^(l)(t0 + H/2)`` (:func:`midpoint_derivatives`) and whose
    last four coefficients match ``u0, H f(u0), u1, H f(u1)`` at the ends:
    the Hermite–Birkhoff interpolant of ODEX, of degree ``L + 4``. Without
    midpoint data (fewer than two rows with an odd midpoint index) it is the
    cubic Hermite interpolant of the ends (order 3).
    """

    __slots__ = ("t0", "h", "u0", "u1", "f0", "f1", "_mids", "_stepper", "_coef")

    def __init__(self, t0, h, u0, u1, f0, f1, mids, stepper):
        self.t0, self.h, self.u0, self.u1, self.f0, self.f1 = t0, h, u0, u1, f0, f1
        self._mids, self._stepper = mids, stepper
        self._coef = None

    @property
    def degree(self) -> int:
        """Degree of the interpolant (3: cubic Hermite of the ends)."""
        self._ensure()
        return len(self._coef) - 1

    def _ensure(self) -> None:
        if self._coef is not None:
            return
        h, conv = self.h, self._stepper.conv
        D = midpoint_derivatives(self._mids, h, conv)
        N = len(D)
        taylor = []
        fact = 1
        for lam, d in enumerate(D):
            fact = fact * lam if lam else 1
            taylor.append(d * conv(Fraction(1, fact)) if fact != 1 else d)

        def T(x, deriv):
            acc = None
            for lam, c in enumerate(taylor):
                if deriv:
                    if lam == 0:
                        continue
                    term = c * conv(lam * x ** (lam - 1))
                else:
                    term = c * conv(x**lam)
                acc = term if acc is None else acc + term
            return acc

        ends = [(Fraction(-1, 2), self.u0, self.f0 * h), (Fraction(1, 2), self.u1, self.f1 * h)]
        res = []
        for x, val, slope in ends:
            tv, td = T(x, False), T(x, True)
            res.append(val if tv is None else val - tv)
            res.append(slope if td is None else slope - td)
        inv = _end_matrix(N)
        tail = [nm.lincomb([conv(q) for q in row], res) for row in inv]
        self._coef = taylor + tail
        self._mids = None  # the stored midpoint rows are no longer needed

    def theta(self, t: Any) -> Any:
        return (t - self.t0) / self.h

    def __call__(self, theta: Any) -> Any:
        """The interpolated state at ``t0 + theta * h``."""
        self._ensure()
        s = theta - self._stepper.half
        coef = self._coef
        acc = coef[-1]
        for c in reversed(coef[:-1]):
            acc = acc * s + c
        return acc

    def derivative(self, theta: Any) -> Any:
        """d/dt of the interpolant at ``t0 + theta * h``."""
        self._ensure()
        s = theta - self._stepper.half
        coef = self._coef
        n = len(coef) - 1
        acc = coef[n] * n
        for i in range(n - 1, 0, -1):
            acc = acc * s + coef[i] * i
        return acc / self.h
