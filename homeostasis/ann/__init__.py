"""The deep-learning side: numpy MLPs, normalization layers and bio-inspired normalizations.

Every normalization is a layer with ``forward``, ``backward``, ``params`` and ``grads``;
the bio-inspired ones (:mod:`homeostasis.ann.bio`) also update a homeostatic state by a
local rule during training, and train with a batch of one. Hyperparameters are checked
when an object is made, from constraints each class declares once
(:mod:`homeostasis.ann.validation`); random initial weights follow scikit-learn's
``random_state`` convention. Load-balancing and probe
metrics of hidden codes live in :mod:`homeostasis.analysis`, shared with the spiking side.

Examples
--------
>>> from homeostasis.ann import MLP, load, train
>>> h = train(MLP([64, 32, 10], "divisive", random_state=0), load("digits"), steps=100, batch_size=50)
>>> 0.0 <= h.final_test_accuracy <= 1.0
True
"""
from .bio import DivisiveNorm, GlobalGain, GlobalHomeostasisNorm, IntrinsicPlasticityNorm, SynapticScalingNorm
from .datasets import DATASETS, Dataset, load
from .layers import SELU, BatchNorm, LayerNorm, Linear, ReLU, WeightNormLinear, softmax_cross_entropy
from .mlp import BIO_METHODS, METHODS, MLP
from .optim import OPTIMIZERS, SGD, Adam, make_optimizer
from .trainer import History, accuracy, train, validate_data
from .validation import InvalidParameterError, check_random_state

__all__ = [
    "DivisiveNorm", "GlobalGain", "GlobalHomeostasisNorm", "IntrinsicPlasticityNorm", "SynapticScalingNorm",
    "DATASETS", "Dataset", "load", "SELU", "BatchNorm", "LayerNorm", "Linear", "ReLU", "WeightNormLinear",
    "softmax_cross_entropy", "BIO_METHODS", "METHODS", "MLP", "OPTIMIZERS", "SGD", "Adam",
    "make_optimizer", "History", "accuracy", "train", "validate_data", "InvalidParameterError", "check_random_state",
]
