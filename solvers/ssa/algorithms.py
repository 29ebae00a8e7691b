"""SSA algorithms (data) and the function that runs them on a JumpProblem.

``Direct()``, ``SortingDirect()`` (mass-action problems; many reactions) and
``TauLeaping(tau)`` (approximate) are small frozen dataclasses; :func:`run`
builds the loop of :mod:`solvers.ssa.kernels` for the problem, compiled with
numba or as plain Python, and wraps its output in a :class:`JumpSolution`.

Compiled and pure-Python paths
------------------------------
``compiled="auto"`` (the default) compiles the loop with numba: always for
mass-action problems, and for a ``propensity`` function that numba can
compile (plain arithmetic and NumPy on ``x`` and on a ``p`` made of numbers,
tuples and arrays). When numba cannot compile the function, a
``RuntimeWarning`` says so and the same loop runs as pure Python: same
trajectories for the same seed, about two orders of magnitude slower.
``compiled=False`` asks for the pure-Python loop, ``compiled=True`` makes a
compile failure an error.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

from solvers.ssa.solution import JumpSolution
from solvers.ssa.streams import as_generator

__all__ = ["Direct", "SortingDirect", "TauLeaping", "run"]

_RETCODES = {0: "Success", 1: "MaxIters", 5: "Overflow"}
_DEFAULT_MAX_EVENTS = 10**9


@dataclass(frozen=True)
class Direct:
    """Gillespie's direct method (exact)."""

    name = "Direct"


@dataclass(frozen=True)
class SortingDirect:
    """Sorting direct method (exact; for mass-action problems with many reactions)."""

    name = "SortingDirect"


@dataclass(frozen=True)
class TauLeaping:
    """Explicit tau-leaping with fixed leap ``tau`` (approximate; error O(tau)).

    Examples
    --------
    >>> TauLeaping(0.1).tau
    0.1
    """

    tau: float
    name = "TauLeaping"

    def __post_init__(self) -> None:
        if not (float(self.tau) > 0.0 and np.isfinite(self.tau)):
            raise ValueError(f"TauLeaping needs a finite leap tau > 0, got {self.tau!r}")


# ----------------------------------------------------------------- kernel cache
_CACHE: dict = {}
_UNCOMPILABLE: set = set()          # propensity functions numba could not compile


def _numba():
    import numba
    return numba


def _jit(fn, cache: bool = False):
    return _numba().njit(nogil=True, cache=cache)(fn)


def _jit_inline(fn):
    # helpers called once per event: inlined, a plain call costs ~50 ns each
    return _numba().njit(nogil=True, inline="always")(fn)


def _mass_action_kernels(compiled: bool, ma: Any = None, stoich: Any = None) -> dict:
    """Kernels for mass-action problems.

    Compiled: the direct and tau-leaping loops over a propensity routine
    generated for this network's structure (:mod:`solvers.ssa.codegen`) when
    *ma* is given and generation works, else over the generic routine.
    Pure Python: always the generic routine.
    """
    from solvers.ssa import codegen, kernels   # numba loads on the first SSA solve, not on import

    key = ("mass_action", compiled)
    if key not in _CACHE:
        # closures over register_jitable module functions only: numba caches them on disk
        wrap = (lambda f: _jit(f, cache=True)) if compiled else (lambda f: f)
        _CACHE[key] = {"direct": wrap(kernels.make_direct(kernels.mass_action_fill)),
                       "sorting": wrap(kernels.make_sorting_direct()),
                       "tau": wrap(kernels.make_tau_leap(kernels.mass_action_fill))}
    if not compiled or ma is None:
        return _CACHE[key]
    skey = ("specialised", ma.ptr.tobytes(), ma.species.tobytes(), ma.order.tobytes(),
            stoich.shape, stoich.tobytes())
    if skey not in _CACHE:
        module = codegen.specialised_module(ma.ptr, ma.species, ma.order, stoich)
        _CACHE[skey] = _CACHE[key] if module is None else {
            "direct": _jit(module.direct, cache=True), "tau": _jit(module.tau, cache=True),
            "sorting": _CACHE[key]["sorting"]}
    return _CACHE[skey]


def _user_kernels(propensity: Any, compiled: bool) -> dict:
    from solvers.ssa import kernels

    key = ("user", propensity, compiled)
    if key not in _CACHE:
        if compiled:
            fill = _jit_inline(kernels.make_user_fill(_jit(propensity)))
            _CACHE[key] = {"direct": _jit(kernels.make_direct(fill)),
                           "tau": _jit(kernels.make_tau_leap(fill))}
        else:
            fill = kernels.make_user_fill(propensity)
            _CACHE[key] = {"direct": kernels.make_direct(fill), "tau": kernels.make_tau_leap(fill)}
    return _CACHE[key]


def _check_user_propensity(prob) -> None:
    a = np.asarray(prob.propensity(prob.x0.copy(), prob.p, prob.tspan[0]))
    if a.shape != (prob.n_reactions,):
        raise ValueError(f"propensity(x, p, t) returned shape {a.shape}, but the stoichiometry "
                         f"matrix has {prob.n_reactions} reactions: it must return one rate per "
                         f"reaction, shape ({prob.n_reactions},)")


def _save_mode(save: str, saveat: Any, t0: float, tf: float) -> tuple[int, np.ndarray]:
    if saveat is not None:
        arr = np.atleast_1d(np.asarray(saveat, dtype=float))
        if arr.ndim != 1 or np.any(np.diff(arr) < 0):
            raise ValueError("saveat must be a sorted 1-D sequence of times")
        if arr.size and (arr[0] < t0 or arr[-1] > tf):
            raise ValueError(f"saveat times must lie in tspan [{t0}, {tf}], "
                             f"got [{arr[0]}, {arr[-1]}]")
        return 1, arr
    modes = {"events": 0, "final": 2}
    if save not in modes:
        raise ValueError(f"save must be 'events' (every event) or 'final' (final state only), "
                         f"got {save!r}; use saveat=times to save on a time grid")
    return modes[save], np.empty(0)


def _sparse_stoich(prob) -> tuple:
    """The net stoichiometry in CSR form (row pointers, species, changes), made once per problem."""
    cached = getattr(prob, "_sparse_stoich", None)
    if cached is None or cached[0] is not prob.stoich:
        v = prob.stoich
        nz_rows, nz_cols = np.nonzero(v)
        vptr = np.searchsorted(nz_rows, np.arange(v.shape[0] + 1)).astype(np.int64)
        cached = (v, (vptr, nz_cols.astype(np.int64), v[nz_rows, nz_cols].astype(np.int64)))
        prob._sparse_stoich = cached
    return cached[1]


def _call(prob, alg, fns: dict, x, rng, mode, saveat, max_events):
    t0, tf = prob.tspan
    vptr, vspecies, vchange = _sparse_stoich(prob)
    ma = prob.mass_action_data
    if prob.propensity is None:
        data = (ma.rates, ma.ptr, ma.species, ma.order)
    else:
        data = prob.p
    if isinstance(alg, TauLeaping):
        return fns["tau"](x, t0, tf, data, prob.stoich, rng, float(alg.tau), mode, saveat,
                          max_events)
    if isinstance(alg, SortingDirect):
        return fns["sorting"](x, t0, tf, data, (ma.dptr, ma.depends), vptr, vspecies, vchange,
                              rng, mode, saveat, max_events)
    return fns["direct"](x, t0, tf, data, vptr, vspecies, vchange, rng, mode, saveat, max_events)


def run(prob, alg: Any = None, *, seed: Any = None, saveat: Any = None, save: str = "events",
        max_events: int | None = None, compiled: Any = "auto") -> JumpSolution:
    """Simulate one trajectory of ``prob`` with ``alg``.

    Parameters
    ----------
    prob : JumpProblem
    alg : Direct, SortingDirect or TauLeaping (default Direct())
    seed : int, SeedSequence, Generator or None
        The random stream (see :mod:`solvers.ssa.streams`).
    saveat : sequence of float, optional
        Save the state at these times instead of at every event.
    save : {"events", "final"}
        Every event (default) or the final state only (large ensembles).
    max_events : int, optional
        Stop with ``retcode == "MaxIters"`` after this many events.
    compiled : "auto", True or False
        numba-compiled loop or the pure-Python one (same trajectories).

    Examples
    --------
    >>> from solvers.ssa import JumpProblem
    >>> bd = JumpProblem.mass_action([0], [({}, {"X": 1}, 10.0), ({"X": 1}, {}, 1.0)], ["X"],
    ...                              (0.0, 2.0))
    >>> sol = run(bd, Direct(), seed=1)
    >>> sol.retcode, float(sol.t[0]), float(sol.t[-1])
    ('Success', 0.0, 2.0)
    """
    alg = Direct() if alg is None else alg
    if not isinstance(alg, (Direct, SortingDirect, TauLeaping)):
        raise TypeError(f"a JumpProblem is solved with Direct(), SortingDirect() or "
                        f"TauLeaping(tau), got {alg!r}")
    if isinstance(alg, SortingDirect) and prob.mass_action_data is None:
        raise ValueError("SortingDirect needs a mass-action problem (JumpProblem.mass_action): "
                         "it updates single propensities through the dependency graph; use "
                         "Direct() for a propensity function")
    if compiled not in ("auto", True, False):
        raise ValueError(f"compiled must be 'auto', True or False, got {compiled!r}")
    mode, saveat_arr = _save_mode(save, saveat, *prob.tspan)
    max_events = _DEFAULT_MAX_EVENTS if max_events is None else int(max_events)
    if max_events < 1:
        raise ValueError(f"max_events must be at least 1, got {max_events}")
    rng = as_generator(seed)
    if prob.propensity is not None and not getattr(prob, "_checked", False):
        _check_user_propensity(prob)
        prob._checked = True
    use_jit = compiled is not False
    if compiled == "auto" and prob.propensity is not None and prob.propensity in _UNCOMPILABLE:
        use_jit = False                     # numba failed on it before: warned then
    out = None
    if use_jit:
        failure = None
        try:
            fns = (_mass_action_kernels(True, prob.mass_action_data, prob.stoich)
                   if prob.propensity is None else _user_kernels(prob.propensity, True))
        except TypeError as exc:            # numba.njit refuses the object (not a function)
            failure = exc
        else:
            try:
                out = _call(prob, alg, fns, prob.x0.copy(), rng, mode, saveat_arr, max_events)
            except _numba().core.errors.NumbaError as exc:   # typing/lowering failed
                failure = exc
        if failure is not None:
            if compiled is True:
                raise TypeError(f"numba could not compile the propensity function: "
                                f"{str(failure).splitlines()[0]}") from failure
            _CACHE.pop(("user", prob.propensity, True), None)
            _UNCOMPILABLE.add(prob.propensity)
            warnings.warn("numba could not compile the propensity function; running the "
                          "pure-Python SSA loop (same trajectories, much slower). Write it with "
                          "plain arithmetic/NumPy on x and numeric p to get the compiled loop.",
                          RuntimeWarning, stacklevel=3)
            use_jit = False
    if out is None:
        fns = (_mass_action_kernels(False) if prob.propensity is None
               else _user_kernels(prob.propensity, False))
        out = _call(prob, alg, fns, prob.x0.copy(), rng, mode, saveat_arr, max_events)
    ts, xs, t_end, events, status, bad = out
    if status in (2, 3):
        kind = "negative" if status == 2 else "non-finite (nan or inf)"
        raise ValueError(f"propensity of reaction {bad} is {kind} at t = {t_end} in state "
                         f"{xs[-1].tolist() if len(xs) else prob.x0.tolist()}: propensities must "
                         "be finite and >= 0 (check the rate law and its parameters)")
    if status == 4:
        raise ValueError(f"tau-leaping could not avoid negative counts at t = {t_end} even after "
                         f"halving the leap 60 times; use a smaller tau or Direct()")
    retcode = _RETCODES[int(status)]
    message = ("" if status == 0
               else f"stopped after max_events = {max_events} events at t = {t_end}")
    if status == 5:
        name = prob.species[bad] if 0 <= bad < len(prob.species) else f"#{bad}"
        message = (f"the count of species {name!r} would leave the int64 range (about 9.2e18) "
                   f"after t = {t_end}; the run stopped before that event, so the saved counts "
                   "are exact. Rescale the model (counts in larger units) or use an ODE/SDE "
                   "model at such copy numbers")
    return JumpSolution(np.asarray(ts), np.asarray(xs), prob.species, retcode, message,
                        {"events": int(events), "compiled": use_jit}, alg)
