"""The deep-learning side: numpy MLPs, normalization layers and bio-inspired normalizations.

Every normalization is a layer with ``forward``, ``backward``, ``params`` and ``grads``;
the bio-inspired ones (:mod:`homeostasis.ann.bio`) also update a homeostatic state by a
local rule during training, and train with a batch of one.
"""
from .bio import DivisiveNorm, GlobalGain, GlobalHomeostasisNorm, IntrinsicPlasticityNorm, SynapticScalingNorm
from .datasets import DATASETS, Dataset, load
from .layers import SELU, BatchNorm, LayerNorm, Linear, ReLU, WeightNormLinear, softmax_cross_entropy
from .mlp import BIO_METHODS, METHODS, MLP
from .optim import SGD, Adam
from .trainer import History, accuracy, train, validate_data

__all__ = [
    "DivisiveNorm", "GlobalGain", "GlobalHomeostasisNorm", "IntrinsicPlasticityNorm", "SynapticScalingNorm",
    "DATASETS", "Dataset", "load", "SELU", "BatchNorm", "LayerNorm", "Linear", "ReLU", "WeightNormLinear",
    "softmax_cross_entropy", "BIO_METHODS", "METHODS", "MLP", "SGD", "Adam", "History", "accuracy", "train",
    "validate_data",
]
