"""PB-REV: reverse mode against autograd, torch eager and JAX (see docs/benchmarks.md).

R1 extended Rosenbrock: time(gradient) / time(f) at n = 10 .. 10^5.
R2 MLP 2-32-32-1 (tanh, batch 256, MSE): loss + gradient.
R3 gradient of x(T) of a 1,000-step RK4 Lotka-Volterra solve written as a
   scalar Python loop: eager tape, replayed tape, compiled tape.

``--quick``: small sizes, no peers, and our gradients checked against
forward mode (nm.gradient).
"""

from __future__ import annotations

import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from _harness import (attempt, format_ratio, format_time, header, load_peer, measure,  # noqa: E402
                      measure_interleaved, parse_args, print_table)

import numeric as nm  # noqa: E402
import numeric.reverse as rv  # noqa: E402


def rosenbrock(x, np_=np):
    return np_.sum(100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2)


def mlp_loss(params, X, Y, tanh=np.tanh, mean=np.mean):
    W1, b1, W2, b2, W3, b3 = params
    h = tanh(X @ W1 + b1)
    h = tanh(h @ W2 + b2)
    return mean((h @ W3 + b3 - Y) ** 2)


def lotka_volterra(p, steps=1000, h=0.01):
    a, b, c, d = p[0], p[1], p[2], p[3]
    x, y = 1.0, 1.0
    for _ in range(steps):
        k1x, k1y = a * x - b * x * y, -c * y + d * x * y
        x2, y2 = x + h / 2 * k1x, y + h / 2 * k1y
        k2x, k2y = a * x2 - b * x2 * y2, -c * y2 + d * x2 * y2
        x3, y3 = x + h / 2 * k2x, y + h / 2 * k2y
        k3x, k3y = a * x3 - b * x3 * y3, -c * y3 + d * x3 * y3
        x4, y4 = x + h * k3x, y + h * k3y
        k4x, k4y = a * x4 - b * x4 * y4, -c * y4 + d * x4 * y4
        x = x + h / 6 * (k1x + 2 * k2x + 2 * k3x + k4x)
        y = y + h / 6 * (k1y + 2 * k2y + 2 * k3y + k4y)
    return x


def _peers(quick):
    if quick:
        return {}

    def load_jax():
        import jax

        jax.config.update("jax_enable_x64", True)
        return jax

    def load_torch():
        import torch

        # ours runs on one thread (Python + single-threaded NumPy kernels at these sizes), so
        # torch gets one intra-op thread too, as BENCHMARKS.md's fairness rule asks (on this
        # shared 2-core machine its default pool is also oversubscribed and erratic)
        torch.set_num_threads(1)
        return torch

    return {"autograd": load_peer("autograd"), "torch": load_peer("torch", load_torch),
            "jax": load_peer("jax", load_jax)}


def _t(fn, s):
    r = attempt(lambda: measure(fn, min_time=s.min_time, repeat=s.repeat, budget=s.budget))
    return r


def _cell(t, base=None):
    if not hasattr(t, "best"):
        return str(t)
    return format_time(t.best) if base is None else f"{format_time(t.best)} ({format_ratio(t.best / base)})"


def r1(s, peers):
    """Per n: f, our gradient and every peer timed in alternating rounds (one drift for all)."""
    sizes = [10, 100] if s.quick else [10, 100, 1000, 10_000, 100_000]
    rows = []
    for n in sizes:
        x = np.linspace(-1, 1, n)
        g = rv.gradient(rosenbrock, x)
        if s.quick:
            np.testing.assert_allclose(g, nm.gradient(rosenbrock, x), rtol=1e-12)
        fns = {"f": lambda: rosenbrock(x), "ours": lambda: rv.gradient(rosenbrock, x)}
        checks, notes, missing = {}, {}, {}
        if not s.quick:
            ag, torch, jax = peers["autograd"], peers["torch"], peers["jax"]
            if ag.available:
                import autograd.numpy as anp

                fa = ag.module.grad(lambda z: rosenbrock(z, anp))
                fns["autograd"] = checks["autograd"] = lambda: fa(x)
            else:
                missing["autograd"] = ag.error
            if torch.available:
                T = torch.module

                def tgrad():
                    z = T.tensor(x, requires_grad=True)
                    rosenbrock(z, T).backward()
                    return z.grad.numpy()
                fns["torch"] = checks["torch"] = tgrad
            else:
                missing["torch"] = torch.error
            if jax.available:
                import jax.numpy as jnp

                J = jax.module
                fe = J.grad(lambda z: rosenbrock(z, jnp))
                xj = jnp.asarray(x)
                fns["jax eager"] = lambda: fe(xj).block_until_ready()
                checks["jax eager"] = lambda: np.asarray(fe(xj))
                fj = J.jit(J.grad(lambda z: rosenbrock(z, jnp)))
                t0 = time.perf_counter()
                fj(xj).block_until_ready()
                notes["jax jit"] = f", compile {format_time(time.perf_counter() - t0)}"
                fns["jax jit"] = lambda: fj(xj).block_until_ready()
                checks["jax jit"] = lambda: np.asarray(fj(xj))
            else:
                missing["jax eager"] = missing["jax jit"] = jax.error
        t = attempt(lambda: measure_interleaved(fns, min_time=s.min_time, repeat=s.repeat,
                                                budget=s.budget))
        if not isinstance(t, dict):
            rows.append([n, str(t)])
            continue
        tf = t["f"]
        row = [n, format_time(tf.best), format_time(t["ours"].best),
               format_ratio(t["ours"].best / tf.best)]
        if not s.quick:
            for name in ("autograd", "torch", "jax eager", "jax jit"):
                if name in missing:
                    row.append(missing[name])
                else:
                    row.append(_ratio(t[name], tf, g, checks[name]) + notes.get(name, ""))
        rows.append(row)
    cols = ["n", "f (numpy)", "metanum grad", "metanum ratio"]
    if not s.quick:
        cols += ["autograd ratio", "torch eager ratio", "JAX eager ratio", "JAX jit warm ratio"]
    print_table("R1 extended Rosenbrock: time(gradient) / time(f), interleaved rounds", cols, rows)


def _ratio(t, tf, g_ref, get):
    if not hasattr(t, "best"):
        return str(t)
    err = np.max(np.abs(np.asarray(get()) - g_ref)) / max(1.0, np.max(np.abs(g_ref)))
    flag = "" if err < 1e-8 else f" (MISMATCH {err:.1e})"
    return f"{format_ratio(t.best / tf.best)}{flag}"


def r2(s, peers):
    rng = np.random.default_rng(0)
    sizes = [(2, 32), (32, 32), (32, 1)]
    params = []
    for a, b in sizes:
        params += [rng.normal(size=(a, b)) / np.sqrt(a), np.zeros(b)]
    batch = 32 if s.quick else 256
    X = rng.normal(size=(batch, 2))
    Y = np.sin(X[:, :1]) * X[:, 1:]
    flat_shapes = [p.shape for p in params]
    theta = np.concatenate([p.ravel() for p in params])

    def unflatten(t):
        out, i = [], 0
        for sh in flat_shapes:
            k = int(np.prod(sh))
            out.append(t[i:i + k].reshape(sh))
            i += k
        return out

    def ours():
        return rv.value_and_gradient(lambda t: mlp_loss(unflatten(t), X, Y), theta)

    if s.quick:
        np.testing.assert_allclose(ours()[1], nm.gradient(lambda t: mlp_loss(unflatten(t), X, Y),
                                                          theta), rtol=1e-10, atol=1e-12)
    fns = {"numpy forward only": lambda: mlp_loss(params, X, Y),
           "metanum reverse (loss + grad)": ours}
    notes = {"numpy forward only": "1x"}
    if not s.quick:
        ag, torch, jax = peers["autograd"], peers["torch"], peers["jax"]
        if ag.available:
            import autograd.numpy as anp

            fa = ag.module.value_and_grad(lambda t: mlp_loss(unflatten(t), X, Y, anp.tanh, anp.mean))
            fns["autograd"] = lambda: fa(theta)
        if torch.available:
            T = torch.module
            tp = [T.tensor(p, requires_grad=True) for p in params]
            tX, tY = T.tensor(X), T.tensor(Y)

            def tstep():
                for p in tp:
                    p.grad = None
                loss = mlp_loss(tp, tX, tY, T.tanh, T.mean)
                loss.backward()
                return loss
            fns["torch eager"] = tstep
            notes["torch eager"] = f"{T.get_num_threads()} intra-op thread(s)"
        if jax.available:
            import jax.numpy as jnp

            J = jax.module
            jp = [jnp.asarray(p) for p in params]
            f = J.jit(J.value_and_grad(lambda ps: mlp_loss(ps, X, Y, jnp.tanh, jnp.mean)))
            t0 = time.perf_counter()
            J.block_until_ready(f(jp))
            notes["JAX jit warm"] = f"compile {format_time(time.perf_counter() - t0)}"
            fns["JAX jit warm"] = lambda: J.block_until_ready(f(jp))
    # every row in alternating rounds (one drift for all), ratios against ours
    t = measure_interleaved(fns, min_time=s.min_time, repeat=s.repeat, budget=s.budget)
    mine = t["metanum reverse (loss + grad)"].best
    rows = []
    for name in fns:
        r = t[name]
        note = notes.get(name, "")
        if name == "metanum reverse (loss + grad)":
            note = f"{format_ratio(mine / t['numpy forward only'].best)} the forward"
        elif name != "numpy forward only":
            note = f"{format_ratio(r.best / mine)} ours" + (f"; {note}" if note else "")
        rows.append([name, format_time(r.best), format_time(r.median), note])
    print_table(f"R2 MLP 2-32-32-1, batch {batch}: loss + gradient, interleaved rounds",
                ["", "best", "median", "note ('peer / ours': above 1x ours is faster)"], rows)


def r3(s, peers):
    steps = 30 if s.quick else 1000
    p = np.array([1.5, 1.0, 3.0, 1.0])
    f = lambda q: lotka_volterra(q, steps)   # noqa: E731
    g_ref = nm.gradient(f, p)
    g = rv.gradient(f, p)
    np.testing.assert_allclose(g, g_ref, rtol=1e-10)
    t0 = time.perf_counter()
    tape = rv.record(f, p)
    rec_s = time.perf_counter() - t0
    np.testing.assert_allclose(tape.gradient(p), g_ref, rtol=1e-10)
    p_new = p * 1.01                      # replay at another input: checked against tracing
    np.testing.assert_allclose(tape.gradient(p_new), nm.gradient(f, p_new), rtol=1e-10)
    t0 = time.perf_counter()
    fast = tape.compile("loop")
    fast.gradient(p)
    comp_s = time.perf_counter() - t0
    np.testing.assert_allclose(fast.gradient(p), g_ref, rtol=1e-10)
    t = measure_interleaved({"float": lambda: f(p), "eager": lambda: rv.gradient(f, p),
                             "replay": lambda: tape.gradient(p),
                             "compiled": lambda: fast.gradient(p)},
                            min_time=s.min_time, repeat=s.repeat, budget=s.budget)
    tf = t["float"].best
    rows = [["plain-float forward", format_time(tf), "1x"],
            ["metanum eager tape", format_time(t["eager"].best),
             format_ratio(t["eager"].best / tf)],
            ["metanum replayed tape", format_time(t["replay"].best),
             f"{format_ratio(t['replay'].best / tf)}; {format_ratio(t['eager'].best / t['replay'].best)}"
             f" faster than the eager tape; record {format_time(rec_s)}, {len(tape)} nodes"],
            ["metanum compiled tape (loop)", format_time(t["compiled"].best),
             f"{format_ratio(t['compiled'].best / tf)}; compile {format_time(comp_s)} "
             "(numba code cached on disk per op set)"]]
    if not s.quick:
        ag, torch, jax = peers["autograd"], peers["torch"], peers["jax"]
        quick1 = type(s)(quick=False, min_time=0.0, repeat=1, budget=0.0)
        replay = t["replay"].best

        def versus(r):     # a slow peer, timed alone: its time over our replay's
            return f"{format_ratio(r.best / replay)} the replayed tape" if hasattr(r, "best") else ""
        if ag.available:
            fa = ag.module.grad(f)
            r = _t(lambda: fa(p), quick1)
            rows.append(["autograd", _cell(r), versus(r)])
        if torch.available:
            T = torch.module

            def tg():
                z = T.tensor(p, requires_grad=True)
                f(z).backward()
                return z.grad
            r = _t(tg, quick1)
            rows.append(["torch scalar tensors", _cell(r), versus(r)])
        if jax.available:
            import jax.numpy as jnp

            J = jax.module

            def lv_fori(q):
                a, b, c, d = q[0], q[1], q[2], q[3]
                h = 0.01

                def rhs(u):
                    x, y = u[0], u[1]
                    return jnp.stack([a * x - b * x * y, -c * y + d * x * y])

                def step(i, u):
                    k1 = rhs(u)
                    k2 = rhs(u + h / 2 * k1)
                    k3 = rhs(u + h / 2 * k2)
                    k4 = rhs(u + h * k3)
                    return u + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
                return J.lax.fori_loop(0, steps, step, jnp.array([1.0, 1.0]))[0]
            fj = J.jit(J.grad(lv_fori))
            pj = jnp.asarray(p)
            t0 = time.perf_counter()
            fj(pj).block_until_ready()
            c = time.perf_counter() - t0
            rows.append(["JAX jit(grad) fori_loop, warm", _cell(_t(lambda: fj(pj).block_until_ready(),
                                                                  s)), f"compile {format_time(c)}"])
            fe = J.grad(f)
            rows.append(["JAX grad eager (Python loop)", attempt_time(lambda: fe(pj), 60), ""])
    print_table(f"R3 RK4 Lotka-Volterra, {steps} steps: gradient wrt (a, b, c, d)",
                ["", "time", "note"], rows)


def attempt_time(fn, limit):
    t0 = time.perf_counter()
    r = attempt(fn)
    dt = time.perf_counter() - t0
    return str(r) if not hasattr(r, "__array__") and r.__class__.__name__ == "Failed" else \
        format_time(dt) + " (one run)"


def main(argv=None):
    s = parse_args(__doc__, argv)
    print(header(["numpy", "numba", "autograd", "torch", "jax"]))
    print()
    peers = _peers(s.quick)
    r1(s, peers)
    r2(s, peers)
    r3(s, peers)


if __name__ == "__main__":
    main()
