"""The result of a solve: saved points, dense output, return code, statistics."""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from enum import Enum
from typing import Any

import numpy as np


from numeric.backend import is_foreign, namespace
from solvers._nm import nm

__all__ = ["ReturnCode", "Stats", "ODESolution", "SolverWarning"]


class SolverWarning(RuntimeWarning):
    """A solve ended without success (``solve(..., verbose=False)`` silences it)."""


class ReturnCode(str, Enum):
    """How a solve ended. ``bool(code)`` is True only for successful ends."""

    Success = "Success"
    Terminated = "Terminated"  # a callback called integrator.terminate()
    MaxIters = "MaxIters"  # maxiters steps were taken before the end
    DtLessThanMin = "DtLessThanMin"  # the step size fell below dtmin
    Unstable = "Unstable"  # non-finite state or derivative
    InitialFailure = "InitialFailure"  # f(u0, p, t0) is not finite
    Failure = "Failure"

    def __bool__(self) -> bool:
        return self in (ReturnCode.Success, ReturnCode.Terminated)

    def __str__(self) -> str:
        return self.value


@dataclass
class Stats:
    """Work counters of a solve."""

    nf: int = 0  # right-hand side evaluations (including dense-output stages)
    naccept: int = 0
    nreject: int = 0
    nevents: int = 0  # continuous and discrete callback firings
    njac: int = 0  # Jacobian evaluations (implicit and Rosenbrock methods)
    nfactor: int = 0  # LU (or other) factorisations
    nsolve: int = 0  # linear solves
    nnewton: int = 0  # Newton iterations

    @property
    def nsteps(self) -> int:
        return self.naccept + self.nreject

    def __repr__(self) -> str:
        return (
            f"Stats(nf={self.nf}, naccept={self.naccept}, nreject={self.nreject}, "
            f"nevents={self.nevents})"
        )


def lincomb(pairs: list, ks: list) -> Any:
    """``sum(c * ks[j] for j, c in pairs)`` for any state type (``k * c`` order).

    Goes through ``nm.lincomb`` so that array number types can fuse the sum.
    """
    return nm.lincomb([c for _, c in pairs], [ks[j] for j, _ in pairs])


class LazySegments:
    """The steps of a compiled solve as ``(t, t_new, segment)``, each built when first used.

    A compiled loop returns every step's times, states and stages as arrays;
    ``sol(t)`` touches only the steps it evaluates, so building thousands of
    segment objects up front would cost more than the loop itself.
    ``build(t, h, u, u_new, K)`` makes one step's segment (the method's interpolant).
    *held*: when given, ``Ks[i]`` are the stages of step ``held[i]`` only (a sorted index array:
    a saveat solve without dense output keeps the steps that hold a save time); the other steps
    have no segment.
    """

    def __init__(self, ts, us, Ks, build, held=None):
        self.ts, self.us, self.Ks, self.build = ts, us, Ks, build
        self.held = held
        self._built: dict = {}

    def __len__(self) -> int:
        return len(self.Ks) if self.held is None else max(len(self.ts) - 1, 0)

    def __getitem__(self, j: int) -> tuple:
        j = range(len(self))[j]
        seg = self._built.get(j)
        if seg is None:
            row = j if self.held is None else int(np.searchsorted(self.held, j))
            if self.held is not None and (row == len(self.held) or self.held[row] != j):
                raise IndexError(f"step {j} kept no stages (only the steps holding a save time did)")
            t, t_new = float(self.ts[j]), float(self.ts[j + 1])
            seg = self._built[j] = (t, t_new, self.build(t, t_new - t, self.us[j], self.us[j + 1],
                                                         self.Ks[row]))
        return seg

    def keys(self, tdir: float) -> list:
        return (tdir * self.ts[:-1]).tolist()


class Segment:
    """One step's interpolant ``u(t0 + theta h) = u0 + h sum_i b_i(theta) k_i``.

    Extra stages needed by the interpolant (Verner's methods) are evaluated
    the first time the segment is evaluated.
    """

    __slots__ = ("t0", "h", "u0", "u1", "ks", "K", "co", "f", "p", "stats", "_extra")

    def __init__(self, t0, h, u0, u1, ks, K, co, f, p, stats):
        self.t0, self.h, self.u0, self.u1 = t0, h, u0, u1
        self.ks, self.K, self.co = ks, K, co
        self.f, self.p, self.stats = f, p, stats
        # a stage record that already holds the extra stages (a compiled saveat solve's) is complete
        self._extra = not co.extra_a or (K is not None and co.dense is not None and len(K) == len(co.dense))

    def _ensure_extra(self) -> None:
        if self._extra:
            return
        if self.K is not None and getattr(self.co, "extra_np", None) and self.K.dtype == self.co.float_dtype:
            self._extra_from_record()
            return
        co, h, u0 = self.co, self.h, self.u0
        ks = list(self.ks) if self.K is None else [self.K[i].reshape(u0.shape) for i in range(len(self.K))]
        for i, row in enumerate(co.extra_a):
            ui = u0 + h * lincomb(row, ks)
            ks.append(self.f(ui, self.p, self.t0 + co.extra_c[i] * h))
            self.stats.nf += 1
        if self.K is None:
            self.ks = ks
        else:
            self.K = np.stack([np.asarray(k, dtype=self.K.dtype).reshape(-1) for k in ks])
        self._extra = True

    def _extra_from_record(self) -> None:
        """The extra stages on a float stage record ``K`` (rows: stages): each stage argument is
        ``u0 + h (c_0 k_j0 + c_1 k_j1 + ...)`` summed left to right, as :func:`lincomb` sums it
        (a cumulative sum along the stages is sequential), in four NumPy calls instead of two per
        term (a Verner 9 extra stage has up to 25 terms)."""
        co, h, u0, K = self.co, self.h, self.u0, self.K
        s = len(K)
        full = np.empty((s + len(co.extra_np), K.shape[1]), dtype=K.dtype)
        full[:s] = K
        for i, (idx, coef) in enumerate(co.extra_np):
            acc = np.cumsum(full[idx] * coef[:, None], axis=0)[-1]
            ui = u0 + h * acc.reshape(u0.shape)
            full[s + i] = np.reshape(self.f(ui, self.p, self.t0 + co.extra_c[i] * h), -1)
            self.stats.nf += 1
        self.K = full
        self._extra = True

    def theta(self, t: Any) -> Any:
        return (t - self.t0) / self.h

    def __call__(self, theta: Any) -> Any:
        """The interpolated state at ``t0 + theta * h``."""
        self._ensure_extra()
        co = self.co
        if self.K is not None and co.float_dtype is not None and not _has_layers(theta):
            th = co.float_dtype.type(theta)
            powers = th ** np.arange(1, co.dense_np.shape[1] + 1, dtype=co.dense_np.dtype)
            w = co.dense_np[: len(self.K)] @ powers
            return self.u0 + (self.h * (w @ self.K)).reshape(self.u0.shape)
        ks = self.ks if self.K is None else [self.K[i].reshape(self.u0.shape) for i in range(len(self.K))]
        acc = None
        for i, poly in enumerate(co.dense):
            if all(q == 0 for q in poly):
                continue
            w = poly[-1]
            for q in reversed(poly[:-1]):
                w = w * theta + q
            w = w * theta
            term = ks[i] * w
            acc = term if acc is None else acc + term
        return self.u0 + self.h * acc

    def derivative(self, theta: Any) -> Any:
        """d/dt of the interpolant at ``t0 + theta * h``."""
        self._ensure_extra()
        co = self.co
        ks = self.ks if self.K is None else [self.K[i].reshape(self.u0.shape) for i in range(len(self.K))]
        acc = None
        for i, poly in enumerate(co.dense):
            if all(q == 0 for q in poly):
                continue
            n = len(poly)
            w = poly[-1] * n
            for k in range(n - 2, -1, -1):
                w = w * theta + poly[k] * (k + 1)
            term = ks[i] * w
            acc = term if acc is None else acc + term
        return acc


def _has_layers(x: Any) -> bool:
    return nm.value(x) is not x


class ODESolution:
    """The solution of an :class:`ODEProblem`.

    Attributes
    ----------
    t : ndarray
        Saved times (float64, or object dtype for mpf/dual times).
    u : list
        Saved states, one per entry of ``t`` (same kind as ``u0``).
    retcode : ReturnCode
        ``Success``, ``Terminated``, ``MaxIters``, ``DtLessThanMin``, ``Unstable`` ...
    message : str
        Human-readable explanation of the return code.
    stats : Stats
        Work counters.
    alg : algorithm object
    prob : ODEProblem

    Calling the solution, ``sol(t)``, evaluates the dense output (when the
    solve kept it, ``dense=True``, the default without ``saveat``) at a time
    or at an array of times.

    Examples
    --------
    >>> import numpy as np
    >>> from solvers import ODEProblem, solve, Tsit5
    >>> sol = solve(ODEProblem(lambda u, p, t: -u, np.array([1.0]), (0.0, 2.0)), Tsit5(), rtol=1e-9)
    >>> bool(sol.retcode), bool(abs(sol(1.0)[0] - np.exp(-1.0)) < 1e-8)
    (True, True)
    >>> sol(np.array([0.5, 1.5])).shape
    (2, 1)
    """

    def __init__(self, prob, alg, t, u, retcode, message, stats, segments, dense, tdir):
        self.prob = prob
        self.alg = alg
        self.t = _time_array(t)
        self.u = u
        self.retcode = retcode
        self.message = message
        self.stats = stats
        self.dense = dense
        self._segments = segments
        self._tdir = tdir
        keys = getattr(segments, "keys", None)
        self._keys = keys(tdir) if keys is not None else [tdir * nm.value(s[0]) for s in segments]

    @property
    def success(self) -> bool:
        return bool(self.retcode)

    def __len__(self) -> int:
        return len(self.u)

    def __getitem__(self, i: int) -> Any:
        return self.u[i]

    def __iter__(self):
        return iter(self.u)

    def __call__(self, t: Any) -> Any:
        """Dense output at time *t* (a number) or at each time of a sequence/array."""
        if isinstance(t, (list, tuple)) or (isinstance(t, np.ndarray) and t.ndim > 0):
            vals = [self._eval(x) for x in (t.tolist() if isinstance(t, np.ndarray) and t.dtype != object else t)]
            if vals and all(
                (isinstance(v, np.ndarray) and v.dtype != object) or isinstance(v, (float, np.floating))
                for v in vals
            ):
                return np.stack([np.asarray(v) for v in vals])
            if vals and all(is_foreign(v) for v in vals):    # device states: stacked on their device
                return namespace(vals[0]).stack(vals)
            return vals
        return self._eval(t)

    def _eval(self, t: Any) -> Any:
        if not self.dense or not self._segments:
            tv = nm.value(t)
            for ti, ui in zip(self.t, self.u):
                if ti is t:   # a saved time itself (a dual saveat time: its u carries the derivative)
                    return ui
            if tv is not t:   # the saved point would drop d u / d t (the time's derivative or uncertainty)
                raise ValueError(
                    f"sol(t) at a time carrying derivatives or uncertainties (t = {tv}) needs the dense "
                    "output, which this solution has not (solved with saveat= or dense=False): put that "
                    "time in saveat= (the solve carries it) or solve with dense=True"
                )
            for ti, ui in zip(self.t, self.u):
                if nm.value(ti) == tv:
                    return ui
            raise ValueError(
                "this solution has no dense output (it was solved with saveat= or dense=False); "
                "solve with dense=True to evaluate sol(t) between saved points"
            )
        seg = self._segment_at(t)
        return seg(seg.theta(t))

    def _segment_at(self, t: Any) -> Any:
        """The dense-output segment holding *t* (a ValueError outside the solved interval)."""
        tv = nm.value(t)
        key = self._tdir * tv
        lo = self._keys[0]
        hi = self._tdir * nm.value(self._segments[-1][1])
        span = abs(hi - lo)
        if key < lo - 1e-12 * span or key > hi + 1e-12 * span:
            raise ValueError(
                f"t = {tv} is outside the solved interval [{nm.value(self._segments[0][0])}, "
                f"{nm.value(self._segments[-1][1])}]"
            )
        i = bisect.bisect_right(self._keys, key) - 1
        i = min(max(i, 0), len(self._segments) - 1)
        return self._segments[i][2]

    def derivative(self, t: Any) -> Any:
        """du/dt of the dense output at time *t* (a ValueError outside the solved interval)."""
        if not self.dense or not self._segments:
            raise ValueError("this solution has no dense output")
        seg = self._segment_at(t)
        return seg.derivative(seg.theta(t))

    def _repr_html_(self) -> str:
        from numeric.display import html_table, svg_sketch

        rows = [("algorithm", repr(self.alg)), ("retcode", self.retcode.value),
                ("t", f"[{_short(self.t[0])} .. {_short(self.t[-1])}] ({len(self.t)} saved)"
                 if len(self.t) else "[]"),
                ("u[-1]", _short(self.u[-1]) if self.u else None),
                ("steps", f"{self.stats.naccept} accepted, {self.stats.nreject} rejected"),
                ("f evaluations", self.stats.nf), ("dense output", self.dense)]
        if self.message and self.retcode is not ReturnCode.Success:
            rows.append(("message", self.message))
        try:
            t, vals, _ = self._trajectory(200)
            sketch = svg_sketch(t, vals)
        except (TypeError, ValueError):      # states that are not arrays of numbers (Funs)
            sketch = ""
        return html_table("ODESolution", rows, sketch)

    def _trajectory(self, n: int) -> tuple:
        """(times, nominal values (T, k), standard deviations or None) for plotting."""
        if self.dense and self._segments and len(self.t) > 1:
            ts = np.linspace(float(nm.value(self.t[0])), float(nm.value(self.t[-1])), n)
            us = [self(float(t)) for t in ts]
        else:
            ts = np.array([float(nm.value(t)) for t in self.t])
            us = list(self.u)
        def floats(x):
            return np.reshape(np.asarray(nm.value(nm.value(x)), dtype=float), -1)

        vals = np.array([floats(u) for u in us])
        errs = np.array([floats(nm.uncertainty(u)) for u in us])
        return ts, vals, (errs if np.any(errs != 0) else None)

    def plot(self, ax: Any = None, idxs: Any = None, n: int = 400, labels: Any = None,
             **kwargs: Any) -> Any:
        """Plot the components against t (dense output if kept), with ±1 standard
        deviation bands for Measurement states; returns the matplotlib axes.

        Parameters
        ----------
        ax : matplotlib axes, optional
        idxs : sequence of int, optional
            The state components to draw (default all).
        n : int
            Points sampled from the dense output.
        labels : sequence of str, optional
            Legend labels (default ``u[0]``, ``u[1]``, ...).

        Examples
        --------
        >>> import numpy as np, matplotlib
        >>> from solvers import ODEProblem, solve, Tsit5
        >>> sol = solve(ODEProblem(lambda u, p, t: -u, np.array([1.0, 2.0]), (0.0, 1.0)), Tsit5())
        >>> ax = sol.plot()
        >>> ax.get_xlabel(), [line.get_label() for line in ax.get_lines()]
        ('t', ['u[0]', 'u[1]'])
        """
        import matplotlib.pyplot as plt

        ax = plt.gca() if ax is None else ax
        t, vals, errs = self._trajectory(n)
        idxs = range(vals.shape[1]) if idxs is None else idxs
        for j, i in enumerate(idxs):
            label = labels[j] if labels is not None else f"u[{i}]"
            (line,) = ax.plot(t, vals[:, i], label=label, **kwargs)
            if errs is not None:
                ax.fill_between(t, vals[:, i] - errs[:, i], vals[:, i] + errs[:, i],
                                color=line.get_color(), alpha=0.25, linewidth=0)
        ax.set_xlabel("t")
        ax.set_ylabel("u(t)" if errs is None else "u(t) ± 1 standard deviation")
        ax.legend()
        return ax

    def __repr__(self) -> str:
        n = len(self.t)
        if n:
            span = f"[{_short(self.t[0])} .. {_short(self.t[-1])}] ({n} points)"
        else:
            span = "[] (0 points)"
        lines = [
            f"ODESolution({self.alg!r}, retcode={self.retcode.value})",
            f"  t: {span}",
            f"  u[-1]: {_short(self.u[-1]) if self.u else None}",
            f"  stats: {self.stats!r}",
            f"  dense: {self.dense}",
        ]
        if self.message and self.retcode is not ReturnCode.Success:
            lines.append(f"  message: {self.message}")
        return "\n".join(lines)


def _short(x: Any) -> str:
    r = str(x) if isinstance(x, (np.generic, float)) else repr(x)
    return r if len(r) <= 80 else r[:77] + "..."


def _time_array(ts: list) -> np.ndarray:
    if len(ts) and type(ts[0]) is float:  # the common case in one NumPy call (a compiled solve saves 1000s)
        try:
            arr = np.array(ts)
        except (TypeError, ValueError):
            arr = None
        if arr is not None and arr.dtype == np.float64 and arr.ndim == 1:
            return arr
    if all(isinstance(x, (float, int, np.floating)) for x in ts):
        return np.array(ts, dtype=float)
    out = np.empty(len(ts), dtype=object)
    out[:] = ts
    return out
