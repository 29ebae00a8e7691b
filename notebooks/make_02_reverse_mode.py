"""Writes notebooks/02_reverse_mode.ipynb (run: .venv/bin/python notebooks/make_02_reverse_mode.py)."""
import pathlib
import nbformat as nbf

cells = [
    nbf.v4.new_markdown_cell("""# Reverse mode: one backward sweep for any number of inputs

Forward mode (duals) carries one derivative direction per partial, so a gradient of
a function of *n* inputs costs about *n* evaluations (in chunks). Reverse mode records
the program on a **tape** and runs it backwards once: the gradient costs a small multiple
of one evaluation, whatever *n* is. Every local derivative on the tape comes from the
same table `numeric/rules.py` that the duals use."""),
    nbf.v4.new_code_cell("""import time
import numpy as np
import matplotlib.pyplot as plt
import numeric as nm
import numeric.reverse as rv

def rosenbrock(x):
    return np.sum(100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2)

x = np.linspace(-1, 1, 6)
print(nm.gradient(rosenbrock, x, mode="reverse"))
print(nm.gradient(rosenbrock, x))             # forward mode: the same numbers"""),
    nbf.v4.new_markdown_cell("## Forward vs reverse cost against the number of inputs (measured now)"),
    nbf.v4.new_code_cell("""def best_time(fn, repeat=3):
    fn()
    ts = []
    for _ in range(repeat):
        t0 = time.perf_counter(); fn(); ts.append(time.perf_counter() - t0)
    return min(ts)

sizes = [10, 40, 160, 640, 1280]
t_fwd, t_rev = [], []
for n in sizes:
    xn = np.linspace(-1, 1, n)
    t_fwd.append(best_time(lambda: nm.gradient(rosenbrock, xn)))
    t_rev.append(best_time(lambda: nm.gradient(rosenbrock, xn, mode="reverse")))
plt.loglog(sizes, t_fwd, "o-", label="forward (DualArray, n partials)")
plt.loglog(sizes, t_rev, "s-", label="reverse (tape)")
plt.xlabel("number of inputs n"); plt.ylabel("seconds per gradient"); plt.legend()
plt.title("gradient of the extended Rosenbrock function")
plt.show()
for n, a, b in zip(sizes, t_fwd, t_rev):
    print(f"n = {n:5d}   forward {a*1e3:8.2f} ms   reverse {b*1e3:8.2f} ms")"""),
    nbf.v4.new_markdown_cell("""## The tape, drawn as a table

`nm.record` runs the function once and keeps its program: each node names its rule and
the nodes it read (`%k`). A comparison on a tracked value becomes a **guard**."""),
    nbf.v4.new_code_cell("""def f(x):
    y = nm.sin(x[0]) * x[1]
    if y > 0:
        return y * nm.exp(-x[1])
    return -y

tape = nm.record(f, np.array([0.5, 2.0]))
print(tape.table())
print("gradient at (0.7, 1.5):", tape.gradient(np.array([0.7, 1.5])))
print("re-traced:             ", nm.gradient(f, np.array([0.7, 1.5]), mode="reverse"))"""),
    nbf.v4.new_markdown_cell("Replaying at an input that takes the other branch raises instead of returning a wrong gradient:"),
    nbf.v4.new_code_cell("""try:
    tape.gradient(np.array([-0.5, 2.0]))
except rv.GuardError as e:
    print("GuardError:", str(e)[:160], "...")"""),
    nbf.v4.new_markdown_cell("""## Recording once, compiling with numba

A scalar-heavy program (an RK4 solve of Lotka–Volterra written as a plain Python loop)
is recorded once; replay re-runs the recorded operations without the user's Python, and
`compile()` turns the tape into numba code (straight-line code for small tapes, a compiled
loop over the tape for long ones)."""),
    nbf.v4.new_code_cell("""def lotka_volterra(p, steps=200, h=0.01):
    a, b, c, d = p[0], p[1], p[2], p[3]
    x, y = 1.0, 1.0
    for _ in range(steps):
        def rhs(x, y):
            return a * x - b * x * y, -c * y + d * x * y
        k1 = rhs(x, y); k2 = rhs(x + h/2*k1[0], y + h/2*k1[1])
        k3 = rhs(x + h/2*k2[0], y + h/2*k2[1]); k4 = rhs(x + h*k3[0], y + h*k3[1])
        x = x + h/6*(k1[0] + 2*k2[0] + 2*k3[0] + k4[0])
        y = y + h/6*(k1[1] + 2*k2[1] + 2*k3[1] + k4[1])
    return x

p = np.array([1.5, 1.0, 3.0, 1.0])
tape = nm.record(lotka_volterra, p)
fast = tape.compile()
print(len(tape), "nodes; compiled with method", repr(fast.method))
rows = [("eager tape", lambda: nm.gradient(lotka_volterra, p, mode="reverse")),
        ("replayed tape", lambda: tape.gradient(p)),
        ("compiled tape", lambda: fast.gradient(p)),
        ("forward mode (Dual)", lambda: nm.gradient(lotka_volterra, p))]
for name, fn in rows:
    print(f"{name:22s} {best_time(fn)*1e3:8.3f} ms   {fn()}")"""),
    nbf.v4.new_markdown_cell("""## Second derivatives by composition

`nm.hvp` is reverse over forward: duals seeded with `v` whose values are tracked on a
tape. Forward over reverse and reverse over reverse work by nesting the calls."""),
    nbf.v4.new_code_cell("""x = np.linspace(-1, 1, 5); v = np.ones(5)
print(nm.hvp(rosenbrock, x, v))
print(nm.hessian(rosenbrock, x) @ v)"""),
]
nb = nbf.v4.new_notebook(cells=cells, metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})
nbf.write(nb, pathlib.Path(__file__).with_name("02_reverse_mode.ipynb"))
