"""Tour part: reverse mode (tape) against forward mode on the same functions."""

import time

import numpy as np

import numeric as nm


def _rosenbrock(x):
    return np.sum(100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2)


def _best(fn, repeat=3):
    fn()
    out = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return min(out)


def run() -> None:
    """Print a short table: gradients by both modes agree; reverse wins for many inputs."""
    print("reverse mode: gradient of the extended Rosenbrock function")
    print(f"{'n':>6} {'forward':>12} {'reverse':>12} {'max |difference|':>18}")
    for n in (10, 1000):
        x = np.linspace(-1, 1, n)
        gf = nm.gradient(_rosenbrock, x)
        gr = nm.gradient(_rosenbrock, x, mode="reverse")
        tf = _best(lambda: nm.gradient(_rosenbrock, x))
        tr = _best(lambda: nm.gradient(_rosenbrock, x, mode="reverse"))
        print(f"{n:>6} {tf * 1e3:>9.2f} ms {tr * 1e3:>9.2f} ms {np.max(np.abs(gf - gr)):>18.2e}")
    x = np.linspace(-1, 1, 5)
    v = np.ones(5)
    print("Hessian-vector product (reverse over forward):", nm.hvp(_rosenbrock, x, v))

    def f(z):
        return z[0] * z[1] if z[0] > z[1] else nm.sin(z[0])

    tape = nm.record(f, np.array([2.0, 1.0]))
    print("recorded tape replayed at (3, 0.5):", tape.gradient(np.array([3.0, 0.5])))
    try:
        tape.gradient(np.array([0.0, 1.0]))
    except Exception as e:  # the guard: another branch than the recording
        print("replay at (0, 1) ->", type(e).__name__)


if __name__ == "__main__":
    run()
