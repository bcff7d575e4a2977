"""Optimizers over the ``params``/``grads`` dicts of a list of layers.

Parameters are updated in place, so the homeostatic rules of :mod:`homeostasis.ann.bio`
(which also change some parameters in place, e.g. synaptic scaling of ``w``) and the
optimizer act on the same arrays.

Examples
--------
>>> import numpy as np
>>> from homeostasis.ann import Linear
>>> layer = Linear(2, 1, random_state=0)
>>> opt = Adam([layer], lr=0.1)
>>> for _ in range(500):
...     layer.grads = {"w": 2 * (layer.params["w"] - 1.0), "b": 2 * layer.params["b"]}
...     opt.step()
>>> np.round(layer.params["w"].ravel(), 2).tolist()
[1.0, 1.0]
"""
from __future__ import annotations

from numbers import Real

import numpy as np

from .validation import HasAttributes, Interval, Options, SequenceOf, Validated, validate_params

__all__ = ["SGD", "Adam", "make_optimizer", "OPTIMIZERS"]

OPTIMIZERS = ("adam", "sgd")

#: What an optimizer can update: anything with ``params`` and ``grads`` dicts of the same keys.
LAYERS = SequenceOf(HasAttributes("params", "grads"), what="a list of layers with params and grads dicts")
LEARNING_RATE = Interval(Real, 0, None, closed="neither")


class _FlatParameters:
    """Every parameter of the layers as a view into one flat array.

    An update is then a few whole-array operations instead of a loop over the parameters:
    the same arithmetic element by element (so the same numbers), at a fraction of the
    per-call overhead of numpy on the small arrays of these networks. The layers keep
    their ``params`` dicts; only the arrays in them become views. A parameter replaced from
    outside after the optimizer was made has its values copied into its view before the
    next step, so it is still updated.
    """

    def _bind(self, layers):
        self._slots = [(layer, k) for layer in layers for k in layer.params]
        arrays = [np.asarray(layer.params[k], dtype=float) for layer, k in self._slots]
        self._flat = np.concatenate([a.ravel() for a in arrays]) if arrays else np.zeros(0)
        self._views, offset = [], 0
        for (layer, k), a in zip(self._slots, arrays):
            view = self._flat[offset:offset + a.size].reshape(a.shape)
            layer.params[k] = view
            self._views.append(view)
            offset += a.size
        self._grad = np.empty_like(self._flat)

    def _gradient(self) -> np.ndarray:
        """The layers' current gradients in the flat order (and parameters re-linked if replaced)."""
        for (layer, k), view in zip(self._slots, self._views):
            if layer.params[k] is not view:
                view[...] = layer.params[k]
                layer.params[k] = view
        if self._slots:
            np.concatenate([np.ravel(layer.grads[k]) for layer, k in self._slots], out=self._grad)
        return self._grad


class SGD(_FlatParameters, Validated):
    """Stochastic gradient descent with heavy-ball momentum: ``v <- mu v - lr g; p <- p + v``.

    Parameters
    ----------
    layers : list of Layer
    lr : float, default 0.05
        Learning rate, > 0.
    momentum : float, default 0.9
        Heavy-ball coefficient in [0, 1); 0 is plain SGD (not the averaging rate that
        ``momentum`` means in the normalization layers).

    Examples
    --------
    >>> SGD([], lr=0.1, momentum=0.0).lr
    0.1
    """

    _parameter_constraints = {"layers": LAYERS, "lr": LEARNING_RATE, "momentum": Interval(Real, 0, 1, closed="left")}

    def __init__(self, layers, lr: float = 0.05, momentum: float = 0.9):
        self.layers, self.lr, self.momentum = list(layers), lr, momentum
        self._bind(self.layers)
        self.velocity = np.zeros_like(self._flat)

    def step(self):
        """Apply one update from the gradients the last ``backward`` left in ``grads``."""
        g = self._gradient()
        self.velocity = self.momentum * self.velocity - self.lr * g
        self._flat += self.velocity


class Adam(_FlatParameters, Validated):
    """Adam (Kingma & Ba 2015) with bias correction.

    Parameters
    ----------
    layers : list of Layer
    lr : float, default 1e-2
        Step size, > 0.
    betas : (float, float), default (0.9, 0.999)
        Decay rates of the first and second moment estimates, each in [0, 1).
    eps : float, default 1e-8
        Added to the root second moment, so a zero gradient gives a zero step.

    Examples
    --------
    >>> Adam([], lr=1e-3, betas=(0.8, 0.99)).betas
    (0.8, 0.99)
    """

    _parameter_constraints = {"layers": LAYERS, "lr": LEARNING_RATE,
                              "betas": SequenceOf(Interval(Real, 0, 1, closed="left"), length=2),
                              "eps": Interval(Real, 0, None, closed="neither")}

    def __init__(self, layers, lr: float = 1e-2, betas=(0.9, 0.999), eps: float = 1e-8):
        self.layers, self.lr, self.betas, self.eps = list(layers), lr, tuple(float(b) for b in betas), eps
        self._bind(self.layers)
        self.m, self.v = np.zeros_like(self._flat), np.zeros_like(self._flat)
        self.t = 0

    def step(self):
        """Apply one update from the gradients the last ``backward`` left in ``grads``."""
        self.t += 1
        b1, b2 = self.betas
        c1, c2 = 1 - b1 ** self.t, 1 - b2 ** self.t
        g = self._gradient()
        self.m = b1 * self.m + (1 - b1) * g
        self.v = b2 * self.v + (1 - b2) * g * g
        self._flat -= self.lr * (self.m / c1) / (np.sqrt(self.v / c2) + self.eps)


@validate_params({"name": Options(OPTIMIZERS), "layers": LAYERS, "lr": LEARNING_RATE,
                  "momentum": Interval(Real, 0, 1, closed="left")})
def make_optimizer(name: str, layers, lr: float, momentum: float = 0.9):
    """The optimizer ``name`` (one of :data:`OPTIMIZERS`) over ``layers``.

    ``momentum`` is SGD's heavy-ball coefficient; Adam ignores it.

    Examples
    --------
    >>> type(make_optimizer("sgd", [], 0.1)).__name__
    'SGD'
    """
    return Adam(layers, lr) if name == "adam" else SGD(layers, lr, momentum)
