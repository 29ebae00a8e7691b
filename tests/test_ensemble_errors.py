"""The two ensemble failures a new user meets, each turned into the fix."""

import subprocess
import sys
import textwrap

import numpy as np
import pytest

from solvers import EnsembleProblem, ODEProblem, Tsit5, solve


def test_processes_backend_without_cloudpickle_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "cloudpickle", None)      # import cloudpickle fails
    ens = EnsembleProblem(ODEProblem(lambda u, p, t: -u, np.array([1.0]), (0.0, 1.0)))
    with pytest.raises(TypeError, match=r"metanum\[ensemble\].*module level"):
        solve(ens, Tsit5(), trajectories=2, backend="processes", workers=1)
    # a module-level right-hand side still travels by plain pickle, and the solves are right
    ens = EnsembleProblem(ODEProblem(_decay, np.array([1.0]), (0.0, 1.0)))
    sol = solve(ens, Tsit5(), trajectories=2, backend="processes", workers=1, rtol=1e-10)
    assert [float(s.u[-1][0]) for s in sol.u] == pytest.approx([np.exp(-1.0)] * 2, rel=1e-8)


def _decay(u, p, t):
    return -u


def test_dask_script_without_main_guard_says_how_to_fix(tmp_path):
    pytest.importorskip("dask.distributed", reason="needs the ensemble extra (dask.distributed)")
    script = tmp_path / "noguard.py"
    script.write_text(textwrap.dedent("""
        import numpy as np
        from solvers import EnsembleProblem, ODEProblem, Tsit5, solve

        def f(u, p, t):
            return -u

        ens = EnsembleProblem(ODEProblem(f, np.array([1.0]), (0.0, 1.0)))
        solve(ens, Tsit5(), trajectories=2, backend="dask", workers=1)
    """))
    r = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=240,
                       cwd=tmp_path)
    assert r.returncode != 0
    last = r.stderr.strip().splitlines()[-1]
    assert last.startswith("RuntimeError: the Dask LocalCluster") and '__name__ == "__main__"' in last
