"""Ensembles: bit-identical results on every backend, in-order reductions, statistics."""

import numpy as np
import pytest

from solvers.ensemble import EnsembleProblem, ensemble_summary, solve_ensemble
from solvers.sde import EulerMaruyama, SDEProblem
from solvers.ssa import Direct, JumpProblem

SIR = JumpProblem.mass_action([290, 10, 0], [({"S": 1, "I": 1}, {"I": 2}, 5e-4),
                                             ({"I": 1}, {"R": 1}, 0.05)],
                              ["S", "I", "R"], (0.0, 100.0))
GBM = SDEProblem(lambda u, p, t: p[0] * u, lambda u, p, t: p[1] * u, 1.0, (0.0, 1.0), (0.5, 0.3))


def final_state(sol, i):
    return np.asarray(sol.u[-1]).copy()


def ssa_ensemble():
    def vary_recovery(prob, i):
        return prob.remake(rates=[5e-4, 0.04 + 0.001 * (i % 3)])

    return EnsembleProblem(SIR, prob_func=vary_recovery, output_func=final_state)


def sde_ensemble():
    return EnsembleProblem(GBM, output_func=lambda sol, i: float(sol.u[-1]))


def run(ens, alg, backend, **kw):
    opts = {"dt": 0.01} if isinstance(ens.prob, SDEProblem) else {"save": "final"}
    return solve_ensemble(ens, alg, trajectories=24, seed=77, backend=backend, **opts, **kw)


@pytest.fixture(scope="module")
def reference():
    return {"ssa": np.array(run(ssa_ensemble(), Direct(), "serial").u),
            "sde": np.array(run(sde_ensemble(), EulerMaruyama(), "serial").u)}


CASES = [("threads", {"workers": 2}), ("processes", {"workers": 2}),
         ("dask", {"workers": 2, "cluster_kwargs": {"processes": False}})]


@pytest.mark.parametrize("backend, kw", CASES, ids=[c[0] for c in CASES])
def test_every_backend_is_bit_identical_to_serial(reference, backend, kw):
    ssa = run(ssa_ensemble(), Direct(), backend, batch_size=5, **kw)
    sde = run(sde_ensemble(), EulerMaruyama(), backend, batch_size=7, **kw)
    assert ssa.stats["backend"] == backend
    assert np.array_equal(np.array(ssa.u), reference["ssa"])
    assert np.array_equal(np.array(sde.u), reference["sde"])


def test_dask_with_two_worker_processes_is_bit_identical(reference):
    pytest.importorskip("dask.distributed", reason="dask[distributed] (the ensemble extra) is "
                        "not installed")
    out = run(ssa_ensemble(), Direct(), "dask", workers=2, batch_size=6)
    assert np.array_equal(np.array(out.u), reference["ssa"])


def test_trajectory_i_does_not_depend_on_the_ensemble_size_or_batching(reference):
    small = solve_ensemble(ssa_ensemble(), Direct(), trajectories=10, seed=77, batch_size=3,
                           save="final")
    assert np.array_equal(np.array(small.u), reference["ssa"][:10])
    other_seed = solve_ensemble(ssa_ensemble(), Direct(), trajectories=10, seed=78, save="final")
    assert not np.array_equal(np.array(other_seed.u), reference["ssa"][:10])


def test_reduction_is_folded_in_trajectory_order_on_every_backend():
    def reduction(acc, batch):       # order-sensitive on purpose: a list of batch sums
        return acc + [float(np.sum(batch))]

    ens = EnsembleProblem(GBM, output_func=lambda sol, i: float(sol.u[-1]), reduction=reduction,
                          reduction_init=[])
    serial = solve_ensemble(ens, EulerMaruyama(), trajectories=30, seed=1, batch_size=4,
                            dt=0.05)
    threads = solve_ensemble(ens, EulerMaruyama(), trajectories=30, seed=1, batch_size=4,
                             dt=0.05, backend="threads", workers=2)
    plain = solve_ensemble(EnsembleProblem(GBM, output_func=lambda sol, i: float(sol.u[-1])),
                           EulerMaruyama(), trajectories=30, seed=1, dt=0.05)
    assert serial.u is None and serial.reduced == threads.reduced
    assert len(serial.reduced) == 8
    assert serial.reduced[0] == float(np.sum(plain.u[:4]))


def test_summary_statistics_over_time():
    ens = EnsembleProblem(SIR)
    out = solve_ensemble(ens, Direct(), trajectories=40, seed=3)
    times = np.array([0.0, 50.0, 100.0])
    s = out.summary(t=times, quantiles=(0.1, 0.5))
    values = np.stack([sol(times) for sol in out.u])
    assert np.array_equal(s.mean, values.mean(axis=0))
    assert np.array_equal(s.var, values.var(axis=0, ddof=1))
    assert np.array_equal(s.quantiles[0.5], np.quantile(values, 0.5, axis=0))
    assert np.array_equal(s.mean[0], [290, 10, 0]) and s.var[0].max() == 0
    assert np.allclose(s.std_error, np.sqrt(s.var / 40))
    with pytest.raises(ValueError, match="give the times t"):
        ensemble_summary(out.u)


def test_progress_bar_and_seed_record(capsys):
    out = solve_ensemble(EnsembleProblem(GBM), EulerMaruyama(), trajectories=6, dt=0.1,
                         progress=True)
    assert isinstance(out.seed, int)
    again = solve_ensemble(EnsembleProblem(GBM), EulerMaruyama(), trajectories=6, dt=0.1,
                           seed=out.seed)
    assert all(np.array_equal(a.u[-1], b.u[-1]) for a, b in zip(out.u, again.u))
    assert "ensemble" in capsys.readouterr().err


def test_clear_errors():
    ens = EnsembleProblem(GBM)
    with pytest.raises(ValueError, match="backend must be one of"):
        solve_ensemble(ens, EulerMaruyama(), trajectories=2, backend="mpi", dt=0.1)
    with pytest.raises(TypeError, match="cannot be split across workers"):
        solve_ensemble(ens, EulerMaruyama(), trajectories=2, seed=np.random.default_rng(1),
                       dt=0.1)
    with pytest.raises(ValueError, match="positive integer"):
        solve_ensemble(ens, EulerMaruyama(), trajectories=0, dt=0.1)
    with pytest.raises(TypeError, match="_solve hook"):
        EnsembleProblem(object())


def test_docstring_examples_run():
    import doctest

    import solvers.ensemble as mod
    result = doctest.testmod(mod, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0


def test_an_existing_dask_client_serves_repeated_identical_jobs(reference):
    distributed = pytest.importorskip("dask.distributed", reason="dask[distributed] (the "
                                      "ensemble extra) is not installed")
    import logging
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=":0", silence_logs=logging.ERROR) as cluster, \
            distributed.Client(cluster) as client:
        for _ in range(2):             # the same job twice: scattered data must not collide
            out = run(ssa_ensemble(), Direct(), "dask", client=client, batch_size=4)
            assert np.array_equal(np.array(out.u), reference["ssa"])
        assert client.status == "running"          # solve_ensemble leaves a given client open


def test_summary_of_mpf_outputs_keeps_their_precision():
    # the summary converted outputs to float64, silently dropping mpf digits
    import mpmath

    with mpmath.workdps(30):
        third = mpmath.mpf(1) / 3
        outs = [np.array([third + i, mpmath.mpf(2)], dtype=object) for i in range(3)]
        s = ensemble_summary(outs)
        assert isinstance(s.mean[0], mpmath.mpf)
        assert abs(s.mean[0] - (third + 1)) < mpmath.mpf(10) ** -28
        assert abs(s.var[0] - 1) < mpmath.mpf(10) ** -28 and s.var[1] == 0
        assert abs(s.quantiles[0.5][0] - (third + 1)) < mpmath.mpf(10) ** -28
