"""A multilayer perceptron whose hidden blocks use one normalization method.

Examples
--------
>>> import numpy as np
>>> net = MLP([40, 100, 100, 10], method="ssn", random_state=0)
>>> net.forward(np.zeros((2, 40))).shape
(2, 10)
"""
from __future__ import annotations

from numbers import Integral

import numpy as np

from .bio import DivisiveNorm, GlobalGain, GlobalHomeostasisNorm, IntrinsicPlasticityNorm, SynapticScalingNorm
from .layers import SELU, UNITS, BatchNorm, LayerNorm, Linear, ReLU, WeightNormLinear
from .validation import Interval, Options, RandomState, SequenceOf, Validated, check_random_state

__all__ = ["MLP", "METHODS", "BIO_METHODS"]

#: Normalization methods: none, the four deep-learning ones, and one bio-inspired per scale.
METHODS = ("none", "batch", "layer", "weight", "selu", "ssn", "ip", "divisive", "global")
#: The methods that need no batch statistics and train online (batch of one).
BIO_METHODS = ("ssn", "ip", "divisive", "global")


class MLP(Validated):
    """Fully connected network ``sizes[0] -> ... -> sizes[-1]`` with normalized hidden blocks.

    Hidden block per method: ``none`` Linear-ReLU; ``batch`` Linear-BatchNorm-ReLU; ``layer``
    Linear-LayerNorm-ReLU; ``weight`` WeightNormLinear-ReLU; ``selu`` Linear(LeCun)-SELU;
    ``ssn`` SynapticScalingNorm-ReLU; ``ip`` Linear-IntrinsicPlasticityNorm-ReLU;
    ``divisive`` Linear-DivisiveNorm-ReLU; ``global`` Linear-GlobalHomeostasisNorm-ReLU with one
    gain shared by the network. The output layer is a plain Linear.

    Parameters
    ----------
    sizes : sequence of int
        Input size, hidden sizes, number of classes; at least two, all positive.
    method : str, default "none"
        One of :data:`METHODS`.
    random_state : None, int or numpy.random.Generator, default None
        Draws the initial weights of every layer from one stream: an int for reproducible
        weights, None for fresh entropy (scikit-learn's convention).
    seed : int, optional
        The older name of ``random_state``, kept for existing callers; give one or the other.

    Attributes
    ----------
    layers : list of Layer
        Every layer in order, the output ``Linear`` last; optimizers take this list.
    shared : homeostasis.ann.GlobalGain or None
        The network's one gain for method ``global``.

    Examples
    --------
    >>> import numpy as np
    >>> net = MLP([4, 8, 3], "ip", random_state=0)
    >>> [type(layer).__name__ for layer in net.layers]
    ['Linear', 'IntrinsicPlasticityNorm', 'ReLU', 'Linear']
    >>> net.predict(np.zeros((2, 4))).shape
    (2,)
    """

    _parameter_constraints = {
        "sizes": SequenceOf(UNITS, min_length=2, what="a sequence of at least an input and an output size, "
                                                       "all positive integers"),
        "method": Options(METHODS), "random_state": RandomState(), "seed": [None, Interval(Integral, 0)],
    }

    def __init__(self, sizes, method: str = "none", random_state=None, seed=None):
        if seed is not None and random_state is not None:
            raise ValueError("give random_state or its older name seed, not both")
        rng = check_random_state(seed if seed is not None else random_state)
        self.sizes, self.method = [int(s) for s in sizes], method
        self.shared = GlobalGain() if method == "global" else None
        self.layers, self.activations = [], []
        for n_in, n_out in zip(sizes[:-2], sizes[1:-1]):
            block = self._block(n_in, n_out, rng)
            self.layers += block
            self.activations.append(block[-1])
        self.layers.append(Linear(sizes[-2], sizes[-1], rng, init="lecun" if method == "selu" else "he"))

    def _block(self, n_in, n_out, rng):
        m = self.method
        if m == "weight":
            return [WeightNormLinear(n_in, n_out, rng), ReLU()]
        if m == "ssn":
            return [SynapticScalingNorm(n_in, n_out, rng), ReLU()]
        if m == "selu":
            return [Linear(n_in, n_out, rng, init="lecun"), SELU()]
        norm = {"none": None, "batch": lambda: BatchNorm(n_out), "layer": lambda: LayerNorm(n_out),
                "ip": lambda: IntrinsicPlasticityNorm(n_out), "divisive": lambda: DivisiveNorm(n_out),
                "global": lambda: GlobalHomeostasisNorm(self.shared)}[m]
        return [Linear(n_in, n_out, rng)] + ([norm()] if norm else []) + [ReLU()]

    def _check_input(self, x):
        x = np.asarray(x, dtype=float)
        if x.ndim != 2 or x.shape[1] != self.sizes[0]:
            raise ValueError(f"the model takes (samples, {self.sizes[0]}) inputs, got shape {x.shape}")
        return x

    def forward(self, x, training: bool = False):
        """Logits for ``x`` (samples, inputs); ``training`` uses batch statistics and adapts bio state."""
        x = self._check_input(x)
        for layer in self.layers:
            x = layer.forward(x, training)
        return x

    def backward(self, dy):
        """Backpropagate the loss gradient ``dy`` of the last forward's logits; fills every ``grads``."""
        for layer in reversed(self.layers):
            dy = layer.backward(dy)
        return dy

    def predict(self, x, batch_size: int = 1000):
        """Predicted class per row of ``x`` (evaluation mode, in chunks of ``batch_size``)."""
        x = self._check_input(x)
        if len(x) == 0:
            return np.zeros(0, dtype=int)
        return np.concatenate([self.forward(x[i:i + batch_size]).argmax(axis=1)
                               for i in range(0, len(x), batch_size)])

    def hidden_activations(self, x):
        """Post-activation outputs of every hidden layer (evaluation mode), one array each."""
        x = self._check_input(x)
        out = []
        for layer in self.layers:
            x = layer.forward(x, False)
            if any(layer is a for a in self.activations):
                out.append(x)
        return out

    def __repr__(self):
        return f"MLP({self.sizes}, method={self.method!r})"
