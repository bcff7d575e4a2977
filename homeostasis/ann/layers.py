"""Layers of the numpy MLP: forward and backward written out, checked by finite differences.

Every layer has ``forward(x, training) -> y``, ``backward(dy) -> dx`` and two dicts,
``params`` and ``grads`` (same keys), so optimizers and gradient checks treat them alike.
Hyperparameters are declared once per class in ``_parameter_constraints`` and checked at
construction (:mod:`homeostasis.ann.validation`); layers with random initial weights take
scikit-learn's ``random_state`` (None, an int seed or a numpy Generator).

Examples
--------
>>> import numpy as np
>>> layer = Linear(3, 2, random_state=0)
>>> y = layer.forward(np.ones((4, 3)), training=True)
>>> dx = layer.backward(np.ones_like(y))
>>> dx.shape, sorted(layer.grads)
((4, 3), ['b', 'w'])
"""
from __future__ import annotations

from numbers import Integral, Real

import numpy as np

from .validation import Interval, Options, RandomState, Validated, check_random_state

__all__ = ["Layer", "Linear", "WeightNormLinear", "BatchNorm", "LayerNorm", "ReLU", "SELU",
           "softmax_cross_entropy"]


#: Constraints shared by many layers: one name means one thing.
UNITS = Interval(Integral, 1)
EPS = Interval(Real, 0, None, closed="neither")
#: Rate of a running (exponential moving) average: 1 keeps only the latest batch, 0 never moves.
AVERAGING_RATE = Interval(Real, 0, 1, closed="right")


def affine_parameters(n: int):
    """The learned per-unit gain ``gamma`` (ones) and shift ``beta`` (zeros) of a normalization, and zero grads."""
    params = {"gamma": np.ones(n), "beta": np.zeros(n)}
    return params, {k: np.zeros(n) for k in params}


class Layer(Validated):
    """Base class: no parameters, identity map.

    Subclasses fill ``params`` (name -> array) in ``__init__``; ``backward`` fills
    ``grads`` with the same keys. ``forward`` stores what ``backward`` needs, so a
    ``backward`` call refers to the latest ``forward``. A subclass's ``__init__`` parameters
    are declared in ``_parameter_constraints`` and checked before the body runs.
    """

    scale: str | None = None
    counterpart: str | None = None

    def __init__(self):
        self.params: dict = {}
        self.grads: dict = {}

    def forward(self, x, training: bool = False):
        return x

    def backward(self, dy):
        return dy

    def __repr__(self):
        return f"{type(self).__name__}({', '.join(f'{k}{v.shape}' for k, v in self.params.items())})"


class Linear(Layer):
    """Fully connected layer ``y = x W + b``.

    Parameters
    ----------
    n_in, n_out : int
        Input and output units, at least 1.
    random_state : None, int or numpy.random.Generator, default None
        Draws the initial weights: a seed for reproducible weights, a generator to share one
        stream between layers, None for fresh entropy.
    init : {"he", "lecun"}, default "he"
        Normal initialization with variance ``2 / n_in`` (He, keeps the scale through
        ReLUs) or ``1 / n_in`` (LeCun, the fixed point of SELU networks). Biases start at 0.

    Examples
    --------
    >>> import numpy as np
    >>> Linear(3, 2, random_state=0).forward(np.zeros((5, 3))).shape
    (5, 2)
    """

    INITS = {"he": 2.0, "lecun": 1.0}
    _parameter_constraints = {"n_in": UNITS, "n_out": UNITS, "random_state": RandomState(),
                              "init": Options(INITS)}

    def __init__(self, n_in: int, n_out: int, random_state=None, init: str = "he"):
        super().__init__()
        rng = check_random_state(random_state)
        std = np.sqrt(self.INITS[init] / n_in)
        self.params = {"w": rng.normal(0.0, std, (n_in, n_out)), "b": np.zeros(n_out)}
        self.grads = {k: np.zeros_like(v) for k, v in self.params.items()}

    def forward(self, x, training=False):
        self._x = x
        return x @ self.params["w"] + self.params["b"]

    def backward(self, dy):
        self.grads["w"] = self._x.T @ dy
        self.grads["b"] = dy.sum(axis=0)
        return dy @ self.params["w"].T


class WeightNormLinear(Layer):
    """Weight normalization (Salimans & Kingma 2016): ``w_j = g_j v_j / ||v_j||`` per output unit.

    The direction ``v_j / ||v_j||`` and the length ``g_j`` of each unit's incoming weight
    vector are separate parameters: the synapse-scale counterpart of synaptic scaling, which
    keeps the relative strengths of a neuron's inputs and changes only their overall size.
    ``g`` starts at the initial norm, so the layer starts as a He-initialized ``Linear``.

    Parameters
    ----------
    n_in, n_out : int
        Input and output units, at least 1.
    random_state : None, int or numpy.random.Generator, default None
        Draws the He-normal initial directions (see :class:`Linear`).

    Examples
    --------
    >>> layer = WeightNormLinear(3, 2, random_state=0)
    >>> sorted(layer.params)
    ['b', 'g', 'v']
    """

    scale = "synapse"
    counterpart = "weight normalization"
    _parameter_constraints = {"n_in": UNITS, "n_out": UNITS, "random_state": RandomState()}

    def __init__(self, n_in: int, n_out: int, random_state=None):
        super().__init__()
        v = check_random_state(random_state).normal(0.0, np.sqrt(2.0 / n_in), (n_in, n_out))
        self.params = {"v": v, "g": np.linalg.norm(v, axis=0), "b": np.zeros(n_out)}
        self.grads = {k: np.zeros_like(p) for k, p in self.params.items()}

    def forward(self, x, training=False):
        v, g = self.params["v"], self.params["g"]
        self._x, self._norm = x, np.linalg.norm(v, axis=0)
        self._w = v * (g / self._norm)
        return x @ self._w + self.params["b"]

    def backward(self, dy):
        v, g, norm = self.params["v"], self.params["g"], self._norm
        dw = self._x.T @ dy
        u = v / norm
        self.grads["g"] = np.sum(dw * u, axis=0)
        self.grads["v"] = (g / norm) * (dw - u * self.grads["g"])
        self.grads["b"] = dy.sum(axis=0)
        return dy @ self._w.T


class BatchNorm(Layer):
    """Batch normalization (Ioffe & Szegedy 2015): each unit normalized over the batch.

    Training uses the batch statistics and updates running ones; evaluation uses the running
    statistics. A batch of one has no statistics, so training with it is refused.

    Parameters
    ----------
    n : int
        Units, at least 1.
    momentum : float, default 0.1
        Rate of the running mean and variance used in evaluation, in (0, 1].
    eps : float, default 1e-5
        Added to the variance before the square root, > 0.

    Examples
    --------
    >>> import numpy as np
    >>> bn = BatchNorm(2)
    >>> y = bn.forward(np.array([[1.0, 5.0], [3.0, 9.0]]), training=True)
    >>> y.mean(axis=0).round(6).tolist()
    [0.0, 0.0]
    """

    scale = "neuron"
    counterpart = "batch normalization"
    _parameter_constraints = {"n": UNITS, "momentum": AVERAGING_RATE, "eps": EPS}

    def __init__(self, n: int, momentum: float = 0.1, eps: float = 1e-5):
        super().__init__()
        self.params, self.grads = affine_parameters(n)
        self.running_mean, self.running_var = np.zeros(n), np.ones(n)
        self.momentum, self.eps = momentum, eps

    def forward(self, x, training=False):
        if training:
            if x.shape[0] < 2:
                raise ValueError(f"batch normalization needs a batch of at least 2 samples in training, got "
                                 f"{x.shape[0]} (a batch of one has no batch statistics); use an online "
                                 "method (ssn, ip, divisive, global) for batch size 1")
            mean, var = x.mean(axis=0), x.var(axis=0)
            self.running_mean += self.momentum * (mean - self.running_mean)
            self.running_var += self.momentum * (var - self.running_var)
        else:
            mean, var = self.running_mean, self.running_var
        self._inv = 1.0 / np.sqrt(var + self.eps)
        self._xhat = (x - mean) * self._inv
        self._training = training
        return self.params["gamma"] * self._xhat + self.params["beta"]

    def backward(self, dy):
        xhat, inv, gamma = self._xhat, self._inv, self.params["gamma"]
        self.grads["gamma"] = np.sum(dy * xhat, axis=0)
        self.grads["beta"] = dy.sum(axis=0)
        dxhat = dy * gamma
        if not self._training:
            return dxhat * inv
        n = dy.shape[0]
        return inv / n * (n * dxhat - dxhat.sum(axis=0) - xhat * np.sum(dxhat * xhat, axis=0))


class LayerNorm(Layer):
    """Layer normalization (Ba et al. 2016): each sample normalized across the layer's units.

    Parameters
    ----------
    n : int
        Units, at least 1.
    eps : float, default 1e-5
        Added to the variance before the square root, > 0.

    Examples
    --------
    >>> import numpy as np
    >>> LayerNorm(3).forward(np.array([[1.0, 2.0, 3.0]])).round(3).tolist()
    [[-1.225, 0.0, 1.225]]
    """

    scale = "layer"
    counterpart = "layer normalization"
    _parameter_constraints = {"n": UNITS, "eps": EPS}

    def __init__(self, n: int, eps: float = 1e-5):
        super().__init__()
        self.params, self.grads = affine_parameters(n)
        self.eps = eps

    def forward(self, x, training=False):
        mean = x.mean(axis=1, keepdims=True)
        self._inv = 1.0 / np.sqrt(x.var(axis=1, keepdims=True) + self.eps)
        self._xhat = (x - mean) * self._inv
        return self.params["gamma"] * self._xhat + self.params["beta"]

    def backward(self, dy):
        xhat, inv = self._xhat, self._inv
        self.grads["gamma"] = np.sum(dy * xhat, axis=0)
        self.grads["beta"] = dy.sum(axis=0)
        dxhat = dy * self.params["gamma"]
        n = dy.shape[1]
        return inv / n * (n * dxhat - dxhat.sum(axis=1, keepdims=True)
                          - xhat * np.sum(dxhat * xhat, axis=1, keepdims=True))


class ReLU(Layer):
    """Rectified linear unit ``max(0, x)``; the gradient at 0 is taken as 0.

    Examples
    --------
    >>> import numpy as np
    >>> ReLU().forward(np.array([[-1.0, 2.0]])).tolist()
    [[0.0, 2.0]]
    """

    def forward(self, x, training=False):
        self._mask = x > 0
        return np.maximum(x, 0.0)

    def backward(self, dy):
        return dy * self._mask


class SELU(Layer):
    """Scaled exponential linear unit (Klambauer et al. 2017): the self-normalizing activation.

    With LeCun-normal weights, activations keep mean 0 and variance 1 through every layer:
    a fixed point of the whole network's statistics, the network-scale counterpart of
    network homeostasis. :class:`homeostasis.ann.MLP` pairs it with LeCun-normal weights.

    Examples
    --------
    >>> import numpy as np
    >>> SELU().forward(np.array([[0.0, 1.0]])).round(4).tolist()
    [[0.0, 1.0507]]
    """

    scale = "network"
    counterpart = "self-normalization"
    ALPHA = 1.6732632423543772
    LAMBDA = 1.0507009873554805

    def forward(self, x, training=False):
        self._x = x
        return self.LAMBDA * np.where(x > 0, x, self.ALPHA * np.expm1(np.minimum(x, 0)))

    def backward(self, dy):
        x = self._x
        return dy * self.LAMBDA * np.where(x > 0, 1.0, self.ALPHA * np.exp(np.minimum(x, 0)))


def softmax_cross_entropy(logits, labels):
    """Mean cross-entropy of integer ``labels`` under softmax(``logits``), and its gradient.

    Parameters
    ----------
    logits : ndarray, shape (batch, classes)
    labels : ndarray of int, shape (batch,)

    Returns
    -------
    loss : float
    dlogits : ndarray, shape (batch, classes)
        Gradient of the mean loss with respect to ``logits``.

    Examples
    --------
    >>> import numpy as np
    >>> loss, d = softmax_cross_entropy(np.zeros((1, 4)), np.array([2]))
    >>> round(loss, 4), d.round(2).tolist()
    (1.3863, [[0.25, 0.25, -0.75, 0.25]])
    """
    logits, labels = np.asarray(logits, float), np.asarray(labels)
    if logits.ndim != 2 or labels.shape != (logits.shape[0],):
        raise ValueError(f"need logits (batch, classes) and one label per row, got {logits.shape} and {labels.shape}")
    if labels.size and (labels.min() < 0 or labels.max() >= logits.shape[1]):
        raise ValueError(f"labels must lie in [0, {logits.shape[1]}), found {labels.min()}..{labels.max()}")
    # shifting by the row maximum keeps exp from overflowing and does not change softmax
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    n = logits.shape[0]
    loss = -log_p[np.arange(n), labels].mean()
    grad = np.exp(log_p)
    grad[np.arange(n), labels] -= 1.0
    return float(loss), grad / n
