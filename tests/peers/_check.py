"""Shared checking helpers for the peer ports: run a case, compare with central differences."""

import numpy as np

import numeric as nm


def central(f, x, h=1e-4):
    """Five-point central difference of f at x (scalar or flat array x); truncation O(h^4)."""
    x = np.asarray(x, dtype=float)
    fx = np.asarray(f(x.copy() if x.ndim else float(x)), dtype=float)
    if x.ndim == 0:
        s = h * max(1.0, abs(float(x)))
        g = lambda t: np.asarray(f(float(x) + t), dtype=float)  # noqa: E731
        return (-g(2 * s) + 8 * g(s) - 8 * g(-s) + g(-2 * s)) / (12 * s)
    cols = []
    for i in range(x.size):
        s = h * max(1.0, abs(x[i]))

        def g(t, i=i):
            xt = x.copy()
            xt[i] += t
            return np.asarray(f(xt), dtype=float)

        cols.append((-g(2 * s) + 8 * g(s) - 8 * g(-s) + g(-2 * s)) / (12 * s))
    d = np.stack(cols, axis=-1)
    return d if fx.ndim else d.reshape(x.shape)


def ad(kind, f, x, mode):
    """nm.derivative / nm.gradient / nm.jacobian of f at x in the given mode, as a float array."""
    fn = {"derivative": nm.derivative, "gradient": nm.gradient, "jacobian": nm.jacobian}[kind]
    arg = float(x) if np.ndim(x) == 0 else np.array(x, dtype=float)
    return np.asarray(fn(f, arg, mode=mode), dtype=float)


def classify(run):
    """'held', 'wrong' or 'raised: <Type>' for a zero-argument check that raises AssertionError when wrong."""
    try:
        run()
    except AssertionError:
        return "wrong"
    except Exception as e:  # noqa: BLE001 - tally every failure kind
        return "raised: " + type(e).__name__
    return "held"
