"""A network evaluated under first-order reverse mode as ONE tape node with a hand-written VJP.

Taping a network's arithmetic costs a node per operation (slices of the flat
parameters, reshapes, products, sums, activations) and a Python-level replay of
each in the backward pass; inside an ODE solve that overhead is paid at every
stage of every step, and in every VJP of an adjoint. When the inputs are
float64 values tracked by one reverse-mode tape (a first-order gradient), the
network is instead one ``nm.custom_vjp`` primitive: the forward pass in NumPy
keeps each layer's input and pre-activation, and the VJP is backpropagation,

    g_pre = g * act'(pre),  dW = x^T g_pre,  db = sum_batch g_pre,  g_x = g_pre W^T,

with the activation derivatives written from their outputs (``tanh' = 1 - tanh^2``,
``sigmoid' = s (1 - s)``, ``rbf' = -2 x rbf``, ``softplus' = sigmoid``,
``relu' = [x > 0]``). Layers that are plain functions (``u -> u^3``) and
activations given as functions are differentiated by ``nm.vjp`` on their float
input. Anything else -- forward-mode duals, mpf, measurements, nested tapes
(Hessians by reverse over reverse, ``nm.hvp``) -- takes the generic path, where the
network's arithmetic is taped as usual, so higher derivatives stay exact.

Examples
--------
>>> import numpy as np, numeric as nm
>>> from solvers.nn import Chain, Dense
>>> net = Chain(lambda u: u ** 3, Dense(2, 4, "tanh"), Dense(4, 1))
>>> theta = net.init(0)
>>> x = np.array([[0.5, -1.0], [1.0, 2.0]])
>>> g = nm.gradient(lambda th: np.sum(net(x, th)), theta, mode="reverse")
>>> fd = [(np.sum(net(x, theta + 1e-6 * e)) - np.sum(net(x, theta - 1e-6 * e))) / 2e-6
...       for e in np.eye(theta.size)]
>>> bool(np.allclose(g, fd, atol=1e-7))
True
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

import numeric as nm

__all__ = ["applies", "network_primitive", "DERIVATIVES"]

# activation name -> derivative from (pre-activation, activation output)
DERIVATIVES: dict[str, Callable] = {
    "identity": lambda pre, out: 1.0,
    "tanh": lambda pre, out: 1.0 - out * out,
    "sigmoid": lambda pre, out: out * (1.0 - out),
    "rbf": lambda pre, out: -2.0 * pre * out,
    "softplus": lambda pre, out: 1.0 / (1.0 + np.exp(-pre)),
    "relu": lambda pre, out: (pre > 0).astype(float),
}


def _float_value(a: Any, tape: Any) -> bool:
    from numeric.reverse.tracked import is_tracked

    v = a.value if is_tracked(a) and a.tape is tape else a
    return isinstance(v, np.ndarray) and v.dtype == np.float64


def applies(x: Any, theta: Any) -> bool:
    """Whether ``(x, theta)`` is a first-order reverse-mode call on float64 values."""
    from numeric.reverse.tracked import is_tracked

    tracked = [a for a in (x, theta) if is_tracked(a)]
    if not tracked or len({id(a.tape) for a in tracked}) != 1:
        return False
    tape = tracked[0].tape
    return all(_float_value(a, tape) for a in (x, theta))


def _activation_vjp(act: Callable, pre: np.ndarray, out: np.ndarray, g: np.ndarray) -> np.ndarray:
    from solvers.nn import ACTIVATIONS

    for name, f in ACTIVATIONS.items():     # by identity: a user's function of the same name is not ours
        if act is f:
            return g * DERIVATIVES[name](pre, out)
    return np.asarray(nm.vjp(act, pre, g), dtype=float)


def _batchnorm_forward(layer: Any, sl: tuple, x: np.ndarray, theta: np.ndarray) -> tuple:
    if x.ndim != 2 or x.shape[1] != layer.n or x.shape[0] < 2:
        raise ValueError(f"{layer!r}: input must have shape (batch, {layer.n}) with batch >= 2 "
                         f"(the statistics are over the batch), got {x.shape}")
    (sg, _), (sb, _) = sl
    centred = x - x.mean(axis=0)
    inv_std = 1.0 / np.sqrt(np.mean(centred * centred, axis=0) + layer.eps)
    xhat = centred * inv_std
    gamma = theta[sg]
    pre = gamma * xhat + theta[sb]
    return xhat, inv_std, gamma, pre, np.asarray(layer.activation(pre), dtype=float)


def _batchnorm_backward(layer: Any, sl: tuple, s: tuple, g: np.ndarray,
                        gtheta: np.ndarray) -> np.ndarray:
    """``d gamma = sum g' x_hat``, ``d beta = sum g'``, and through the batch statistics
    ``g_x = inv_std (g_hat - mean(g_hat) - x_hat mean(g_hat x_hat))`` with ``g_hat = gamma g'``."""
    xhat, inv_std, gamma, pre, out = s
    (sg, _), (sb, _) = sl
    gpre = _activation_vjp(layer.activation, pre, out, g)
    gtheta[sg] = np.sum(gpre * xhat, axis=0)
    gtheta[sb] = np.sum(gpre, axis=0)
    ghat = gpre * gamma
    return inv_std * (ghat - ghat.mean(axis=0) - xhat * np.mean(ghat * xhat, axis=0))


def _forward(layers: tuple, slices: list, x: np.ndarray, theta: np.ndarray) -> tuple:
    """The output and, per layer, what its VJP needs."""
    from solvers.nn import BatchNorm

    saved = []
    for layer, sl in zip(layers, slices):
        if sl is None:
            saved.append((x, None))
            x = np.asarray(layer(x), dtype=float)
            continue
        if isinstance(layer, BatchNorm):                    # (gamma, beta), batch statistics
            saved.append(_batchnorm_forward(layer, sl, x, theta))
            x = saved[-1][-1]
            continue
        (sw, shw), (sb, _) = sl
        if x.shape[-1:] != shw[:1]:
            raise ValueError(f"{layer!r}: input has shape {x.shape}, expected {shw[0]} features "
                             "in the last axis")
        W = theta[sw].reshape(shw)
        pre = x @ W + theta[sb]
        out = np.asarray(layer.activation(pre), dtype=float)
        saved.append((x, pre, out, W))
        x = out
    return x, saved


def _backward(layers: tuple, slices: list, saved: list, g: np.ndarray, n_theta: int) -> tuple:
    from solvers.nn import BatchNorm

    gtheta = np.zeros(n_theta)
    for layer, sl, s in zip(reversed(layers), reversed(slices), reversed(saved)):
        if sl is None:
            g = np.asarray(nm.vjp(layer, s[0], g), dtype=float)
            continue
        if isinstance(layer, BatchNorm):
            g = _batchnorm_backward(layer, sl, s, g, gtheta)
            continue
        x, pre, out, W = s
        (sw, shw), (sb, _) = sl
        gpre = _activation_vjp(layer.activation, pre, out, g)
        if x.ndim == 1:
            gtheta[sw] = np.outer(x, gpre).ravel()
            gtheta[sb] = gpre
        else:
            gtheta[sw] = (x.T @ gpre).ravel()
            gtheta[sb] = gpre.sum(axis=0)
        g = gpre @ W.T
    return g, gtheta


def network_primitive(layers: tuple, slices: list, n_theta: int) -> Callable:
    """``f(x, theta) -> output`` as one reverse-mode node (see the module docstring).

    *layers* are the network's layers in order; *slices* gives, per layer,
    ``((slice of W, shape of W), (slice of b, shape of b))`` in the flat
    parameter vector (``gamma`` and ``beta`` for a BatchNorm layer), or None for a
    parameter-free function layer.
    """
    def fwd(x, theta):
        out, saved = _forward(layers, slices, x, theta)

        def vjp(cots):
            gx, gtheta = _backward(layers, slices, saved, np.asarray(cots[0], dtype=float), n_theta)
            return gx, gtheta
        return (out,), vjp

    prim = nm.custom_vjp(fwd)
    return lambda x, theta: prim(x, theta)[0]
