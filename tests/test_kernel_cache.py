"""Disk-cached kernels bound to a user's functions (solvers/ode/kernel_cache.py).

The keys: equal code gives equal keys, and editing a function, a helper it calls or a constant it
reads changes them. Across processes: a new process loads the compiled kernel from the cache
(numba counts a cache hit), and after the user's module is edited a new process compiles the
new code and returns the new result (it must not load the stale kernel).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

numba = pytest.importorskip("numba")

from solvers.ode.kernel_cache import bound_source, function_key  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
K = 2.0


@numba.njit
def _helper(x):
    return K * x


def test_keys_follow_the_code_constants_globals_and_closures():
    def make(c):
        return numba.njit(lambda u, p, t: -c * u)

    first, second = make(1.0), make(1.0)  # two functions built apart, from the same code and value
    assert function_key(first) == function_key(second)
    assert function_key(make(1.0)) != function_key(make(2.0))  # a closure value
    g = numba.njit(lambda u, p, t: _helper(u))
    key = function_key(g)
    assert key == function_key(g.py_func) and len(key) == 40
    global K
    try:
        K = 3.0  # a constant read by the helper g calls
        assert function_key(g) != key
    finally:
        K = 2.0
    assert function_key(g) == key
    assert function_key(lambda u, p, t: u + 1.0) != function_key(lambda u, p, t: u + 2.0)
    w = np.arange(3.0)
    h = numba.njit(lambda u, p, t: w * u)
    k1 = function_key(h)
    w[0] = 7.0  # an array global: its contents are part of the key
    assert function_key(h) != k1
    opaque = object()
    assert function_key(lambda u: u if opaque else u) is None  # no stable key: not disk-cached
    assert function_key(np.sin) is None  # not a Python function


def test_bound_source_turns_function_arguments_into_globals():
    @numba.njit
    def twice(f, x):
        return f(x) + f(x)

    @numba.njit
    def outer(f, x):
        return twice(f, x) * 2.0

    src = bound_source({"outer": outer, "twice": twice}, {"f", "twice", "outer"})
    assert "def outer(x):" in src and "twice(x)" in src and "def twice(x):" in src and "f(x) + f(x)" in src

    @numba.njit
    def leaks(f, x):
        g = f  # a function value, not a call: it cannot become a global
        return g(x)

    with pytest.raises(ValueError, match="uses f other than by calling it"):
        bound_source({"leaks": leaks}, {"f"})


_MODEL = '''
import numba
K = {k}

@numba.njit
def helper(x):
    return K * x

@numba.njit
def f(x):
    return helper(x) + {c}

@numba.njit
def twice(f, x):
    return f(x) + f(x)
'''

_DRIVER = '''
import numpy as np, model
from solvers.ode.kernel_cache import cached_kernel
run = cached_kernel({"twice": model.twice}, {"f": model.f}, "twice")
x = run(np.ones(2))
print(x[0], sum(run.stats.cache_hits.values()), sum(run.stats.cache_misses.values()))
'''


def _run_fresh(tmp_path: Path, driver: str) -> list:
    env = dict(os.environ, METANUM_CACHE_DIR=str(tmp_path / "cache"), PYTHONPATH=f"{tmp_path}{os.pathsep}{ROOT}",
               PYTHONDONTWRITEBYTECODE="1")  # model.py is edited within a second: no stale .pyc
    out = subprocess.run([sys.executable, "-c", driver], env=env, cwd=tmp_path, capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    return out.stdout.split()


def test_a_new_process_loads_the_kernel_and_an_edit_invalidates_it(tmp_path):
    model = tmp_path / "model.py"
    model.write_text(_MODEL.format(k=2.0, c=1.0))
    assert _run_fresh(tmp_path, _DRIVER) == ["6.0", "0", "1"]  # compiled: 2 (2 + 1)
    assert _run_fresh(tmp_path, _DRIVER) == ["6.0", "1", "0"]  # loaded from the disk cache
    model.write_text(_MODEL.format(k=3.0, c=1.0))  # a constant the helper reads
    assert _run_fresh(tmp_path, _DRIVER) == ["8.0", "0", "1"]
    model.write_text(_MODEL.format(k=3.0, c=2.0))  # f's own code
    assert _run_fresh(tmp_path, _DRIVER) == ["10.0", "0", "1"]


def test_the_same_code_in_another_module_gets_its_own_entry(tmp_path):
    # before the origins were keyed, a process with only other.py importable loaded model.py's
    # cache entry (the same code) and failed with ModuleNotFoundError: No module named 'model'
    (tmp_path / "model.py").write_text(_MODEL.format(k=2.0, c=1.0))
    assert _run_fresh(tmp_path, _DRIVER) == ["6.0", "0", "1"]
    other = tmp_path / "elsewhere"
    other.mkdir()
    (other / "other.py").write_text(_MODEL.format(k=2.0, c=1.0))
    (tmp_path / "model.py").unlink()
    driver = _DRIVER.replace("import numpy as np, model", "import sys; sys.path.insert(0, 'elsewhere')\n"
                             "import numpy as np, other as model")
    assert _run_fresh(tmp_path, driver) == ["6.0", "0", "1"]  # compiled anew, not model.py's entry


_STIFF = '''
import numba, numpy as np
K = {k}

@numba.njit
def f(u, p, t):
    return -K * (u - np.cos(t))
'''

_STIFF_DRIVER = '''
import numpy as np, model
from solvers import ODEProblem, {method}, solve
sol = solve(ODEProblem(model.f, np.array([0.0]), (0.0, 1.0)), {method}(), rtol=1e-8, atol=1e-10)
from solvers.ode.kernel_cache import _KERNELS
(run,) = _KERNELS.values()
assert sol.compiled, sol.compile_message
print(repr(float(sol.u[-1][0])), sum(run.stats.cache_hits.values()), sum(run.stats.cache_misses.values()))
'''


def _exact(k: float) -> float:  # u' = -k (u - cos t), u(0) = 0, at t = 1
    return k / (k * k + 1) * (k * np.cos(1) + np.sin(1) - k * np.exp(-k))


@pytest.mark.slow
@pytest.mark.parametrize("method", ["Rodas5P", "FBDF"])
def test_the_compiled_stiff_kernel_across_processes(tmp_path, method):
    """The real kernels (each compiles twice: 10 s (Rodas5P) to 30 s (FBDF) on a loaded machine)."""
    model = tmp_path / "model.py"
    model.write_text(_STIFF.format(k=50.0))
    driver = _STIFF_DRIVER.format(method=method)
    a = _run_fresh(tmp_path, driver)
    assert a[1:] == ["0", "1"] and abs(float(a[0]) - _exact(50.0)) < 1e-7
    b = _run_fresh(tmp_path, driver)
    assert b == [a[0], "1", "0"]  # loaded from disk: the same answer to the bit
    model.write_text(_STIFF.format(k=200.0))
    c = _run_fresh(tmp_path, driver)
    assert c[1:] == ["0", "1"] and abs(float(c[0]) - _exact(200.0)) < 1e-7
