"""DualArray and nm.* on CuPy arrays: the computation stays on the GPU.

Skipped where CuPy (and so a CUDA GPU) is not available; run on the device
machine with ``pytest tests/test_cupy.py``.
"""

import numpy as np
import pytest

cp = pytest.importorskip("cupy", reason="needs CuPy and a CUDA GPU")

import numeric as nm  # noqa: E402


def brusselator(u, n):
    x, y = u[:n], u[n:]
    lap = lambda z: (np.roll(z, 1) - 2 * z + np.roll(z, -1)) * (0.02 * n * n)  # noqa: E731
    return np.concatenate([1 + x * x * y - 4 * x + lap(x), 3 * x - x * x * y + lap(y)])


def test_functions_keep_cupy_arrays_on_the_device():
    x = cp.linspace(0.1, 2.0, 7)
    for name in ("exp", "log", "sin", "tanh", "erf", "gamma"):
        y = getattr(nm, name)(x)
        assert isinstance(y, cp.ndarray)
        ref = getattr(nm, name)(cp.asnumpy(x))
        np.testing.assert_allclose(cp.asnumpy(y), ref, rtol=1e-12)


def test_jacobian_on_cupy_matches_numpy():
    n = 16
    u = np.random.default_rng(0).random(2 * n)
    J_gpu = nm.jacobian(lambda v: brusselator(v, n), cp.asarray(u))
    J_cpu = nm.jacobian(lambda v: brusselator(v, n), u)
    assert isinstance(J_gpu, cp.ndarray)
    np.testing.assert_allclose(cp.asnumpy(J_gpu), J_cpu, rtol=1e-12, atol=1e-12)
