"""Many solves of one problem: serial, threads, processes or a Dask cluster.

``EnsembleProblem(prob, prob_func=None, output_func=None, reduction=None)``
describes ``trajectories`` solves: trajectory ``i`` solves
``prob_func(prob, i)`` (default: ``prob`` itself) with the random stream
``SeedSequence(seed, spawn_key=(i,))`` (see :mod:`solvers.ssa.streams`),
keeps ``output_func(sol, i)`` (default: the solution) and, when a
``reduction`` is given, folds the outputs batch by batch in trajectory order:
``acc = reduction(acc, outputs_of_batch)`` starting from ``reduction_init``.

Because trajectory ``i`` depends only on ``(seed, i)`` and batches are
gathered and reduced in order, the result is **bit-identical on every
backend**, for any batch size and number of workers:

* ``"serial"`` -- a loop in this process;
* ``"threads"`` -- a thread pool (the compiled SSA loops release the GIL);
* ``"processes"`` -- a process pool (``fork`` where the platform has it,
  else ``spawn``; the problem is shipped with cloudpickle when installed, so
  lambdas work);
* ``"dask"`` -- ``dask.distributed``: a ``LocalCluster`` made for the call
  (``cluster_kwargs`` go to it; it is closed afterwards), or an existing
  ``Client`` / scheduler address given as ``client=`` (a real cluster).
  Dask is optional: ``pip install 'metanum[ensemble]'``.

``progress=True`` shows a tqdm progress bar over batches (tqdm is optional).

Examples
--------
>>> from solvers.ssa import JumpProblem, Direct
>>> bd = JumpProblem.mass_action([0], [({}, {"X": 1}, 10.0), ({"X": 1}, {}, 1.0)], ["X"],
...                              (0.0, 5.0))
>>> ens = EnsembleProblem(bd, output_func=lambda sol, i: int(sol.u[-1, 0]))
>>> a = solve_ensemble(ens, Direct(), trajectories=8, seed=1, save="final")
>>> b = solve_ensemble(ens, Direct(), trajectories=8, seed=1, save="final", backend="threads")
>>> a.u == b.u
True
"""

from __future__ import annotations

import logging
import math
import os
import pickle
import sys
import time
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Sequence

import numpy as np

from numeric.backend import device_of, is_array, is_numpy, namespace
from solvers.ssa.streams import trajectory_seed

__all__ = ["EnsembleProblem", "EnsembleSolution", "EnsembleSummary", "solve_ensemble",
           "ensemble_summary", "BACKENDS"]

BACKENDS = ("serial", "threads", "processes", "dask")


@dataclass
class EnsembleProblem:
    """Many solves of ``prob`` (see the module doc for the four callables)."""

    prob: Any
    prob_func: Callable | None = None
    output_func: Callable | None = None
    reduction: Callable | None = None
    reduction_init: Any = None

    def __post_init__(self) -> None:
        if not hasattr(self.prob, "_solve"):
            raise TypeError(f"EnsembleProblem needs a problem with a _solve hook (JumpProblem, "
                            f"SDEProblem, ...), got {type(self.prob).__name__}")
        for name in ("prob_func", "output_func", "reduction"):
            fn = getattr(self, name)
            if fn is not None and not callable(fn):
                raise TypeError(f"{name} must be callable or None")

    def _solve(self, algorithm: Any = None, **options: Any) -> "EnsembleSolution":
        return solve_ensemble(self, algorithm, **options)


def _run_range(ens: EnsembleProblem, alg: Any, start: int, stop: int, seed: Any,
               options: dict) -> list:
    """Solve trajectories ``start .. stop-1``; the unit of work of every backend."""
    out = []
    hook = getattr(ens.prob, "_ensemble_solver", None)  # e.g. an ODE's members share one prepared solve
    member = hook(alg, **options) if hook is not None else lambda prob, sd: prob._solve(alg, seed=sd, **options)
    for i in range(start, stop):
        prob = ens.prob if ens.prob_func is None else ens.prob_func(ens.prob, i)
        sol = member(prob, trajectory_seed(seed, i))
        out.append(sol if ens.output_func is None else ens.output_func(sol, i))
    return out


# ----------------------------------------------------------------- process pool
_WORKER_STATE: dict = {}


def _dumps(obj: Any) -> bytes:
    try:
        import cloudpickle
    except ImportError:  # plain pickle: module-level functions only
        try:
            return pickle.dumps(obj)
        except (pickle.PicklingError, AttributeError, TypeError) as exc:
            raise TypeError(
                "backend='processes' sends the problem to its worker processes by pickling, and "
                f"plain pickle cannot send it ({exc}): a lambda or a function defined inside "
                "another function needs cloudpickle. Install it with pip install "
                "'metanum[ensemble]' (or 'cloudpickle'), or define f at module level") from exc
    return cloudpickle.dumps(obj)


def _init_worker(payload: bytes) -> None:
    _WORKER_STATE["job"] = pickle.loads(payload)


def _process_range(start: int, stop: int) -> list:
    ens, alg, seed, options = _WORKER_STATE["job"]
    return _run_range(ens, alg, start, stop, seed, options)


def _dask_range(job: Any, start: int, stop: int) -> list:
    ens, alg, seed, options = job
    return _run_range(ens, alg, start, stop, seed, options)


@dataclass
class EnsembleSolution:
    """Outputs in trajectory order (``u``), or the reduction (``reduced``), and how they were made.

    ``seed`` reproduces the run (``solve(..., seed=sol.seed)``);
    ``stats`` holds ``backend``, ``workers``, ``batch_size`` and ``seconds``.
    """

    u: list | None
    reduced: Any = None
    seed: Any = None
    stats: dict = field(default_factory=dict)

    def __len__(self) -> int:
        return 0 if self.u is None else len(self.u)

    def __getitem__(self, i: int) -> Any:
        return self.u[i]

    def __repr__(self) -> str:
        what = f"{len(self)} trajectories" if self.u is not None else f"reduced={self.reduced!r:.60}"
        st = self.stats
        return (f"EnsembleSolution({what}, seed={self.seed!r}, backend={st.get('backend')!r}, "
                f"workers={st.get('workers')}, seconds={st.get('seconds', float('nan')):.3g})")

    def _repr_html_(self) -> str:
        from numeric.display import html_table

        st = self.stats
        rows = [("trajectories", len(self)) if self.u is not None else
                ("reduced", f"{self.reduced!r:.200}"), ("seed", self.seed)]
        rows += [(k, f"{v:.3g}" if isinstance(v, float) else v) for k, v in st.items()]
        return html_table("EnsembleSolution", rows)

    def summary(self, t: Any = None, quantiles: Sequence[float] = (0.05, 0.5, 0.95)
                ) -> "EnsembleSummary":
        """Mean, variance and quantiles over trajectories (at times *t* for solutions)."""
        if self.u is None:
            raise ValueError("the outputs were reduced (reduction=...); nothing left to summarise")
        return ensemble_summary(self.u, t, quantiles)


@dataclass
class EnsembleSummary:
    """Statistics over trajectories; ``quantiles[q]`` is the q-quantile (shaped like ``mean``)."""

    t: Any
    mean: np.ndarray
    var: np.ndarray
    quantiles: dict
    n: int

    @property
    def std_error(self) -> np.ndarray:
        """Standard error of the mean, ``sqrt(var / n)``."""
        return namespace(self.var).sqrt(self.var / self.n)


def ensemble_summary(outputs: Iterable[Any], t: Any = None,
                     quantiles: Sequence[float] = (0.05, 0.5, 0.95)) -> EnsembleSummary:
    """Statistics of *outputs*: arrays, or solutions evaluated at times *t*.

    The variance is the unbiased sample variance (``ddof=1``).

    Examples
    --------
    >>> s = ensemble_summary([np.array([1.0, 2.0]), np.array([3.0, 6.0])])
    >>> s.mean.tolist(), s.var.tolist()
    ([2.0, 4.0], [2.0, 8.0])
    """
    outputs = list(outputs)
    if not outputs:
        raise ValueError("no outputs to summarise")
    first = outputs[0](float(np.atleast_1d(t)[0])) if t is not None else outputs[0]
    if is_array(first) and not is_numpy(namespace(first)):
        return _namespace_summary(outputs, t, quantiles)
    if t is not None:
        times = np.atleast_1d(np.asarray(t, dtype=float))
        values = np.stack([np.stack([_values(o(s)) for s in times]) for o in outputs])
    else:
        if callable(outputs[0]) and not isinstance(outputs[0], np.ndarray):
            raise ValueError("the outputs are solutions: give the times t at which to summarise "
                             "(e.g. ens.summary(t=np.linspace(t0, tf, 50)))")
        values = np.stack([_values(o) for o in outputs])
    n = values.shape[0]
    if values.dtype == object:      # mpf outputs: every statistic at their precision
        mean = values.sum(axis=0) / n
        var = ((values - mean) ** 2).sum(axis=0) / (n - 1) if n > 1 else np.full(values.shape[1:], np.nan)
        qs = {float(q): quantile(np, values, float(q)) for q in quantiles}
        return EnsembleSummary(t, mean, var, qs, n)
    var = values.var(axis=0, ddof=1) if n > 1 else np.full(values.shape[1:], np.nan)
    qs = {float(q): np.quantile(values, q, axis=0) for q in quantiles}
    return EnsembleSummary(t, values.mean(axis=0), var, qs, n)


def _values(o: Any) -> np.ndarray:
    """An output as a float array, or an object array of its elements when they are not floats
    (mpf: converting would drop their precision). A dual or measurement output raises (its
    derivative or uncertainty would be dropped): summarise ``nm.value`` of it on purpose."""
    a = np.asarray(o)
    if a.dtype == object and not all(isinstance(e, (float, int, np.floating, np.integer)) for e in a.flat):
        return a
    return a.astype(float)


def quantile(xp: Any, values: Any, q: float) -> Any:
    """The *q*-quantile along axis 0 with NumPy's default ("linear") interpolation, in namespace *xp*.

    The array API has no ``quantile``: sort along axis 0, then interpolate between the order
    statistics at ``q (n - 1)`` (Hyndman & Fan 1996, definition 7).
    """
    s = xp.sort(values, axis=0)
    pos = q * (s.shape[0] - 1)
    lo = int(math.floor(pos))
    hi = min(lo + 1, s.shape[0] - 1)
    frac = pos - lo
    return s[lo, ...] + (s[hi, ...] - s[lo, ...]) * frac


def _namespace_summary(outputs: list, t: Any, quantiles: Sequence[float]) -> EnsembleSummary:
    """:func:`ensemble_summary` for outputs of a non-NumPy namespace: every statistic stays there."""
    if t is not None:
        times = [float(s) for s in np.atleast_1d(np.asarray(t, dtype=float))]
        xp = namespace(outputs[0](times[0]))
        values = xp.stack([xp.stack([o(s) for s in times]) for o in outputs])
    else:
        xp = namespace(outputs[0])
        values = xp.stack(outputs)
    n = values.shape[0]
    mean = xp.mean(values, axis=0)
    var = xp.var(values, axis=0, correction=1) if n > 1 else xp.full(mean.shape, math.nan, dtype=mean.dtype,
                                                                     device=device_of(mean))
    qs = {float(q): quantile(xp, values, float(q)) for q in quantiles}
    return EnsembleSummary(t, mean, var, qs, n)


# ----------------------------------------------------------------- the driver
def _progress(total: int, enabled: bool):
    if not enabled:
        return None
    try:
        from tqdm.auto import tqdm
    except ImportError:
        print("progress=True needs tqdm (pip install tqdm); running without a progress bar",
              file=sys.stderr)
        return None
    return tqdm(total=total, unit="traj", desc="ensemble")


class _Gatherer:
    """Takes batches in any order, hands them on (and reduces them) in trajectory order."""

    def __init__(self, ens: EnsembleProblem, nbatches: int, bar: Any):
        self.ens, self.bar = ens, bar
        self.pending: dict = {}
        self.next = 0
        self.outputs: list | None = None if ens.reduction is not None else []
        self.acc = ens.reduction_init
        self.nbatches = nbatches

    def add(self, b: int, batch: list) -> None:
        self.pending[b] = batch
        if self.bar is not None:
            self.bar.update(len(batch))
        while self.next in self.pending:
            items = self.pending.pop(self.next)
            if self.outputs is None:
                self.acc = self.ens.reduction(self.acc, items)
            else:
                self.outputs.extend(items)
            self.next += 1


def _batches(trajectories: int, batch_size: int) -> list:
    return [(s, min(s + batch_size, trajectories)) for s in range(0, trajectories, batch_size)]


def _default_workers() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def solve_ensemble(ens: EnsembleProblem, alg: Any = None, *, trajectories: int, seed: Any = None,
                   backend: str = "serial", batch_size: int | None = None,
                   workers: int | None = None, client: Any = None,
                   cluster_kwargs: dict | None = None,
                   mp_context: str | None = None, progress: bool = False,
                   **options: Any) -> EnsembleSolution:
    """Solve *trajectories* members of *ens* with *alg* on *backend*.

    Parameters
    ----------
    ens : EnsembleProblem
    alg : the algorithm of the inner problem (``Direct()``, ``EulerMaruyama()``...)
    trajectories : int
    seed : int or SeedSequence, optional
        ``None`` draws fresh entropy, recorded in ``sol.seed``.
    backend : {"serial", "threads", "processes", "dask"}
    batch_size : int, optional
        Trajectories per task (default: about four tasks per worker, at most 2000).
    workers : int, optional
        Threads, processes or LocalCluster workers (default: usable cores).
    client : dask Client or scheduler address, optional (``backend="dask"``)
    cluster_kwargs : dict, optional
        Passed to ``dask.distributed.LocalCluster`` when no client is given
        (e.g. ``{"processes": False}`` for threads in this process).
    mp_context : str, optional
        ``multiprocessing`` start method for ``"processes"`` (default fork when available).
    progress : bool
        Show a tqdm progress bar.
    **options
        Passed to every inner solve (``save="final"``, ``dt=...``).
    """
    if int(trajectories) != trajectories or trajectories < 1:
        raise ValueError(f"trajectories must be a positive integer, got {trajectories!r}")
    trajectories = int(trajectories)
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {BACKENDS}, got {backend!r}")
    if seed is None:
        seed = int(np.random.SeedSequence().entropy)
    trajectory_seed(seed, 0)                      # validates the seed type early
    workers = _default_workers() if workers is None else int(workers)
    if workers < 1:
        raise ValueError(f"workers must be at least 1, got {workers}")
    if batch_size is None:
        per_worker = 1 if backend == "serial" else 4 * workers
        batch_size = max(1, min(2000, math.ceil(trajectories / per_worker)))
    batch_size = int(batch_size)
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}")
    batches = _batches(trajectories, batch_size)
    bar = _progress(trajectories, progress)
    gather = _Gatherer(ens, len(batches), bar)
    start = time.perf_counter()
    try:
        if backend == "serial":
            for b, (lo, hi) in enumerate(batches):
                gather.add(b, _run_range(ens, alg, lo, hi, seed, options))
        elif backend == "threads":
            with ThreadPoolExecutor(max_workers=workers) as pool:
                _drain(pool, [pool.submit(_run_range, ens, alg, lo, hi, seed, options)
                              for lo, hi in batches], gather)
        elif backend == "processes":
            _run_processes(ens, alg, seed, options, batches, workers, mp_context, gather)
        else:
            _run_dask(ens, alg, seed, options, batches, workers, client, cluster_kwargs, gather)
    finally:
        if bar is not None:
            bar.close()
    seconds = time.perf_counter() - start
    stats = {"backend": backend, "workers": 1 if backend == "serial" else workers,
             "batch_size": batch_size, "trajectories": trajectories, "seconds": seconds}
    return EnsembleSolution(gather.outputs, gather.acc, seed, stats)


def _drain(pool: Any, futures: list, gather: _Gatherer) -> None:
    index = {f: b for b, f in enumerate(futures)}
    todo = set(futures)
    try:
        while todo:
            done, todo = wait(todo, return_when=FIRST_COMPLETED)
            for f in done:
                gather.add(index[f], f.result())
    except BaseException:
        for f in todo:
            f.cancel()
        raise


def _run_processes(ens, alg, seed, options, batches, workers, mp_context, gather) -> None:
    import multiprocessing
    if mp_context is None:
        mp_context = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    payload = _dumps((ens, alg, seed, options))
    ctx = multiprocessing.get_context(mp_context)
    with ProcessPoolExecutor(max_workers=min(workers, len(batches)), mp_context=ctx,
                             initializer=_init_worker, initargs=(payload,)) as pool:
        _drain(pool, [pool.submit(_process_range, lo, hi) for lo, hi in batches], gather)


def _local_cluster(LocalCluster: Any, kwargs: dict) -> Any:
    """Start a LocalCluster, turning its most common failure into the fix.

    Dask's worker processes start by ``spawn``, which re-imports the user's
    script; without an ``if __name__ == "__main__":`` guard the script starts
    another cluster inside each worker and Dask reports only "Nanny failed to
    start" (the cause is printed by the child, far above).
    """
    try:
        return LocalCluster(**kwargs)
    except Exception as exc:
        import __main__

        main_file = getattr(__main__, "__file__", None)
        if kwargs.get("processes", True) and main_file is not None and "Nanny" in str(exc):
            raise RuntimeError(
                f"the Dask LocalCluster for backend='dask' failed to start ({exc}). Its worker "
                f"processes re-import your script ({main_file}), so the code that calls "
                "solve(...) must sit under  if __name__ == \"__main__\":  (see the guide "
                "'Ensembles and Dask'); or pass cluster_kwargs={'processes': False} for "
                "thread workers in this process, or backend='processes'") from exc
        raise


def _run_dask(ens, alg, seed, options, batches, workers, client, cluster_kwargs, gather) -> None:
    try:
        from dask.distributed import Client, LocalCluster, as_completed
    except ImportError as exc:
        raise ImportError("backend='dask' needs dask.distributed: pip install "
                          "'metanum[ensemble]' (or 'dask[distributed]')") from exc
    own_client = own_cluster = None
    if client is None:
        kwargs = {"n_workers": workers, "threads_per_worker": 1, "dashboard_address": ":0",
                  "silence_logs": logging.ERROR}
        kwargs.update(cluster_kwargs or {})
        own_cluster = _local_cluster(LocalCluster, kwargs)
        client = own_client = Client(own_cluster)
    elif isinstance(client, str):
        client = own_client = Client(client)
    try:
        # hash=False: a fresh key per call; with content hashing a repeated identical job
        # reuses the key of data the scheduler may be releasing ("Could not find data")
        [job] = client.scatter([(ens, alg, seed, options)], broadcast=True, hash=False)
        futures = [client.submit(_dask_range, job, lo, hi, pure=False) for lo, hi in batches]
        index = {f.key: b for b, f in enumerate(futures)}
        for future, result in as_completed(futures, with_results=True):
            gather.add(index[future.key], result)
    finally:
        if own_client is not None:
            own_client.close()
        if own_cluster is not None:
            own_cluster.close()
