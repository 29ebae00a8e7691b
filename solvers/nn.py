"""Small neural networks whose parameters are one flat vector of any number type.

A network is data (its layers' shapes and activations) plus two pure
operations: ``init(seed) -> theta`` draws the parameters, ``net(x, theta)``
evaluates. ``theta`` is ONE flat array, so an optimiser, forward mode
(a ``DualArray`` of parameters), a reverse-mode tape and an adjoint all see a
plain vector; ``net.unflatten(theta)`` gives named views (``"0.W"``,
``"0.b"``, ...) and ``net.slices`` the slice and shape of each name.

A ``Dense(n_in, n_out, activation)`` layer maps ``x`` of shape ``(n_in,)`` or
``(batch, n_in)`` to ``activation(x @ W + b)`` in one vectorised call;
``Chain(f, layer, ...)`` composes layers and plain functions (Flux's
``Chain(x -> x.^3, Dense(2, 50, tanh), Dense(50, 2))``). A ``Conv1D(k)`` layer
is a learnable ``k``-point stencil along the last axis (cross-correlation, as
PyTorch's ``Conv1d``; periodic or valid padding), the layer that turns a
discretised PDE's diffusion into something to learn. Only NumPy operators
and ``numeric`` functions are used, so inputs and parameters may be floats,
duals, tracked arrays, mpf object arrays or measurements.

Initialisation: Glorot (Xavier) uniform, ``U(-a, a)`` with
``a = sqrt(6 / (n_in + n_out))`` (Glorot & Bengio 2010, Flux's default), or He
(Kaiming) normal, ``N(0, 2 / n_in)`` (He et al. 2015); biases start at zero.
The RBF activation ``exp(-x^2)`` is the one of the universal differential
equations paper (Rackauckas et al. 2020, arXiv:2001.04385).

Examples
--------
>>> import numpy as np
>>> net = Chain(Dense(2, 3, "tanh"), Dense(3, 1))
>>> theta = net.init(0)
>>> theta.shape, net(np.zeros((4, 2)), theta).shape
((13,), (4, 1))
>>> sorted(net.unflatten(theta))
['0.W', '0.b', '1.W', '1.b']
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

import numeric as nm
from numeric.backend import matmul, namespace, reshape

__all__ = ["ACTIVATIONS", "Dense", "Conv1D", "BatchNorm", "Chain", "identity", "relu", "rbf"]


def identity(x: Any) -> Any:
    """The identity activation."""
    return x


def relu(x: Any) -> Any:
    """``max(x, 0)`` elementwise (derivative 0 at 0, as Flux and PyTorch)."""
    return nm.maximum(x, 0.0)


def rbf(x: Any) -> Any:
    """The radial basis activation ``exp(-x^2)`` of Rackauckas et al. (2020)."""
    return nm.exp(-(x * x))


ACTIVATIONS: dict[str, Callable] = {
    "identity": identity, "tanh": nm.tanh, "relu": relu, "softplus": nm.softplus,
    "sigmoid": nm.expit, "rbf": rbf,
}


def _sum0(x: Any) -> Any:
    """The sum over the batch axis in *x*'s own namespace (array-API arrays have no ``.sum``)."""
    return x.sum(axis=0) if hasattr(x, "sum") else namespace(x).sum(x, axis=0)


def _shape(x: Any) -> tuple:
    # a tracked array of duals answers .shape, not always np.shape
    return tuple(getattr(x, "shape", np.shape(x)))


def _activation(a: Any) -> Callable:
    if callable(a):
        return a
    if a is None:
        return identity
    if a not in ACTIVATIONS:
        raise ValueError(f"unknown activation {a!r}; use one of {sorted(ACTIVATIONS)} or a function")
    return ACTIVATIONS[a]


class _Network:
    """What Dense and Chain share: a layout of named shapes, init, unflatten, call."""

    layout: tuple = ()

    @property
    def nparams(self) -> int:
        """The length of the flat parameter vector."""
        return sum(int(np.prod(shape)) for _, shape in self.layout)

    @property
    def slices(self) -> dict:
        """``name -> (slice of theta, shape)`` for every parameter block."""
        out, start = {}, 0
        for name, shape in self.layout:
            stop = start + int(np.prod(shape))
            out[name] = (slice(start, stop), shape)
            start = stop
        return out

    def unflatten(self, theta: Any) -> dict:
        """Named views ``{"0.W": ..., "0.b": ...}`` of the flat vector *theta*."""
        if _shape(theta) != (self.nparams,):
            raise ValueError(f"{self!r} takes a flat parameter vector of length {self.nparams}, "
                             f"got shape {_shape(theta)}; make one with net.init(seed)")
        return {name: reshape(theta[s], shape) for name, (s, shape) in self.slices.items()}   # in theta's namespace

    def init(self, seed: Any = 0) -> np.ndarray:
        """Flat float parameters drawn by ``np.random.default_rng(seed)``."""
        rng = np.random.default_rng(seed)
        blocks = self.draw(rng)
        return np.concatenate([np.ravel(blocks[name]) for name, _ in self.layout])

    def __call__(self, x: Any, theta: Any) -> Any:
        if len(_shape(x)) not in (1, 2):
            raise ValueError(f"{self!r}: x must have shape (n_in,) or (batch, n_in), "
                             f"got {_shape(x)}")
        from solvers.nn_vjp import applies

        if applies(x, theta) and self.primitive is not None:
            return self.primitive(x, theta)
        return self.apply(self.unflatten(theta), x)

    @property
    def primitive(self) -> Any:
        """The network as one reverse-mode node (:mod:`solvers.nn_vjp`); None for nested Chains."""
        if "_primitive" not in vars(self):
            from solvers.nn_vjp import network_primitive

            layers = self.layers if isinstance(self, Chain) else (self,)
            if any(isinstance(la, _Network) and not isinstance(la, (Dense, BatchNorm))
                   for la in layers):
                self._primitive = None
            else:
                offsets = np.cumsum([0] + [la.nparams if isinstance(la, _Network) else 0
                                           for la in layers])
                self._primitive = network_primitive(layers, [
                    _layer_slices(la, int(o)) if isinstance(la, (Dense, BatchNorm)) else None
                    for la, o in zip(layers, offsets)], self.nparams)
        return self._primitive


def _layer_slices(layer: Any, start: int) -> tuple:
    """((slice, shape) of its first block, (slice, shape) of its second) for a layer whose
    parameters start at *start*: ``(W, b)`` of a Dense layer, ``(gamma, beta)`` of a BatchNorm."""
    (_, sh1), (_, sh2) = layer.layout
    n1, n2 = int(np.prod(sh1)), int(np.prod(sh2))
    return ((slice(start, start + n1), sh1), (slice(start + n1, start + n1 + n2), sh2))


class Dense(_Network):
    """``activation(x @ W + b)`` with ``W`` of shape ``(n_in, n_out)``.

    Parameters
    ----------
    n_in, n_out : int
    activation : str or callable
        One of ``ACTIVATIONS`` or a function of an array.
    init : {"glorot", "he"}
        Glorot uniform (default) or He normal weights; zero biases.

    Examples
    --------
    >>> import numpy as np
    >>> d = Dense(2, 2, "relu")
    >>> d(np.array([1.0, -1.0]), np.array([1.0, 0.0, 0.0, 1.0, 0.0, 0.0]))
    array([1., 0.])
    """

    def __init__(self, n_in: int, n_out: int, activation: Any = None, init: str = "glorot"):
        if init not in ("glorot", "he"):
            raise ValueError(f"Dense: init must be 'glorot' or 'he', got {init!r}")
        self.n_in, self.n_out, self.init_kind = int(n_in), int(n_out), init
        self.activation = _activation(activation)
        self.layout = (("W", (self.n_in, self.n_out)), ("b", (self.n_out,)))

    def __repr__(self) -> str:
        return f"Dense({self.n_in}, {self.n_out}, {getattr(self.activation, '__name__', '?')})"

    def draw(self, rng: np.random.Generator) -> dict:
        if self.init_kind == "glorot":
            a = np.sqrt(6.0 / (self.n_in + self.n_out))
            W = rng.uniform(-a, a, size=(self.n_in, self.n_out))
        else:
            W = rng.normal(0.0, np.sqrt(2.0 / self.n_in), size=(self.n_in, self.n_out))
        return {"W": W, "b": np.zeros(self.n_out)}

    def apply(self, params: dict, x: Any) -> Any:
        if _shape(x)[-1:] != (self.n_in,):
            raise ValueError(f"{self!r}: input has shape {_shape(x)}, expected {self.n_in} features "
                             "in the last axis")
        return self.activation(matmul(x, params["W"]) + params["b"])   # a device x before tracked W too


class Conv1D(_Network):
    """A learnable ``k``-point stencil along the last axis, without bias.

    ``y[..., i] = sum_j W[j] x[..., i + j - k // 2]`` (cross-correlation, as
    PyTorch's ``Conv1d``; a symmetric stencil is the same as a convolution).
    ``padding="circular"`` wraps the ends (a periodic grid: the output has
    the input's length), ``"valid"`` drops the ``k - 1`` points whose
    stencil would leave the grid.

    Parameters
    ----------
    kernel_size : int
        ``k``, odd for ``"circular"`` so that the stencil is centred.
    padding : {"circular", "valid"}
    activation : str or callable
        Applied to the output (default identity).

    Examples
    --------
    >>> import numpy as np
    >>> c = Conv1D(3)
    >>> c(np.array([0.0, 1.0, 4.0, 9.0]), np.array([1.0, -2.0, 1.0]))   # periodic second difference
    array([ 10.,   2.,   2., -14.])
    >>> Conv1D(3, padding="valid")(np.array([0.0, 1.0, 4.0, 9.0]), np.array([1.0, -2.0, 1.0]))
    array([2., 2.])
    """

    def __init__(self, kernel_size: int, padding: str = "circular", activation: Any = None):
        if not (isinstance(kernel_size, (int, np.integer)) and kernel_size >= 1):
            raise ValueError(f"Conv1D: kernel_size must be an integer >= 1, got {kernel_size!r}")
        if padding not in ("circular", "valid"):
            raise ValueError(f"Conv1D: padding must be 'circular' or 'valid', got {padding!r}")
        if padding == "circular" and kernel_size % 2 == 0:
            raise ValueError(f"Conv1D: a circular stencil must be centred, so kernel_size must be "
                             f"odd, got {kernel_size}")
        self.kernel_size, self.padding = int(kernel_size), padding
        self.activation = _activation(activation)
        self.layout = (("W", (self.kernel_size,)),)

    def __repr__(self) -> str:
        return f"Conv1D({self.kernel_size}, padding={self.padding!r})"

    def draw(self, rng: np.random.Generator) -> dict:
        a = np.sqrt(6.0 / (2 * self.kernel_size))      # Glorot with fan_in = fan_out = k
        return {"W": rng.uniform(-a, a, size=self.kernel_size)}

    def apply(self, params: dict, x: Any) -> Any:
        k, n, W = self.kernel_size, _shape(x)[-1], params["W"]
        if n < k:
            raise ValueError(f"{self!r}: the last axis has {n} points, fewer than the stencil's {k}")
        if self.padding == "circular":
            c = k // 2
            terms = [W[j] * np.roll(x, c - j, axis=-1) for j in range(k)]
        else:
            terms = [W[j] * x[..., j:n - k + 1 + j] for j in range(k)]
        y = terms[0]
        for term in terms[1:]:
            y = y + term
        return self.activation(y)


class BatchNorm(_Network):
    """Batch normalisation over the batch axis, then ``activation(gamma * x_hat + beta)``.

    ``x_hat = (x - mean) / sqrt(var + eps)`` with the mean and (biased) variance of each feature
    over the rows of ``x`` of shape ``(batch, n)`` (Ioffe & Szegedy 2015, training mode). There
    are no running averages: the statistics are always the current batch's, which is what a
    loss over freshly sampled batches (the deep BSDE method) sees. ``gamma`` and ``beta`` are
    learned; they start at 1 and 0 unless *gamma_init* ``(low, high)`` (uniform) or *beta_std*
    (normal, mean 0) are given.

    Examples
    --------
    >>> import numpy as np
    >>> bn = BatchNorm(2)
    >>> y = bn(np.array([[1.0, 10.0], [3.0, 30.0]]), bn.init(0))
    >>> np.round(y, 6)
    array([[-1., -1.],
           [ 1.,  1.]])
    """

    def __init__(self, n: int, activation: Any = None, *, eps: float = 1e-6,
                 gamma_init: tuple | None = None, beta_std: float = 0.0):
        self.n, self.eps = int(n), float(eps)
        self.gamma_init, self.beta_std = gamma_init, float(beta_std)
        self.activation = _activation(activation)
        self.layout = (("gamma", (self.n,)), ("beta", (self.n,)))

    def __repr__(self) -> str:
        return f"BatchNorm({self.n}, {getattr(self.activation, '__name__', '?')})"

    def draw(self, rng: np.random.Generator) -> dict:
        gamma = (np.ones(self.n) if self.gamma_init is None
                 else rng.uniform(*self.gamma_init, size=self.n))
        beta = rng.normal(0.0, self.beta_std, size=self.n) if self.beta_std else np.zeros(self.n)
        return {"gamma": gamma, "beta": beta}

    def apply(self, params: dict, x: Any) -> Any:
        shape = _shape(x)
        if len(shape) != 2 or shape[1] != self.n or shape[0] < 2:
            raise ValueError(f"{self!r}: input must have shape (batch, {self.n}) with batch >= 2 "
                             f"(the statistics are over the batch), got {shape}")
        m = shape[0]
        centred = x - _sum0(x) / m
        var = _sum0(centred * centred) / m
        return self.activation(params["gamma"] * (centred / nm.sqrt(var + self.eps))
                               + params["beta"])


class Chain(_Network):
    """Layers and parameter-free functions applied in order.

    Examples
    --------
    >>> import numpy as np
    >>> net = Chain(lambda u: u ** 3, Dense(2, 50, "tanh"), Dense(50, 2))
    >>> net.nparams
    252
    """

    def __init__(self, *layers: Any):
        if not layers:
            raise ValueError("Chain needs at least one layer")
        self.layers = layers
        self.layout = tuple((f"{k}.{name}", shape) for k, layer in enumerate(layers)
                            if isinstance(layer, _Network) for name, shape in layer.layout)

    def __repr__(self) -> str:
        return "Chain(" + ", ".join(repr(layer) if isinstance(layer, _Network) else
                                    getattr(layer, "__name__", "f") for layer in self.layers) + ")"

    def draw(self, rng: np.random.Generator) -> dict:
        return {f"{k}.{name}": v for k, layer in enumerate(self.layers)
                if isinstance(layer, _Network) for name, v in layer.draw(rng).items()}

    def apply(self, params: dict, x: Any) -> Any:
        for k, layer in enumerate(self.layers):
            if isinstance(layer, _Network):
                x = layer.apply({name: params[f"{k}.{name}"] for name, _ in layer.layout}, x)
            else:
                x = layer(x)
        return x
