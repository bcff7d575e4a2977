"""A small convolutional network with one normalization method, and the image data sets it trains on.

Two convolutional blocks (convolution, normalization, ReLU, max-pooling by 2) and a linear
read-out, in 1-d (sequences, e.g. MNIST-1D) or 2-d (images, e.g. the 8 x 8 digits). The
normalization of each block is one of :data:`CNN_METHODS`: PyTorch's batch, layer (group
norm with one group: over channels and positions, per sample), group and weight
normalization, or one of this package's bio-inspired modules.

Examples
--------
>>> import torch
>>> net = CNN((1, 8, 8), 10, "ssn", random_state=0)
>>> net(torch.zeros(2, 1, 8, 8)).shape
torch.Size([2, 10])
>>> [tuple(h.shape) for h in net.hidden_activations(torch.zeros(2, 1, 8, 8))]
[(2, 8, 4, 4), (2, 16, 2, 2)]
"""
from __future__ import annotations

import zipfile
from numbers import Integral
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.nn.utils import parametrizations

from ..ann.datasets import Dataset, load
from ..ann.layers import UNITS
from ..ann.validation import Interval, Options, RandomState, SequenceOf, Validated, check_random_state
from ._common import TORCH_FACTORY, Readouts
from .layer import DivisiveNorm
from .network import GlobalGain, GlobalHomeostasisNorm
from .neuron import IntrinsicPlasticityNorm1d, IntrinsicPlasticityNorm2d
from .synapse import SynapticScalingConv1d, SynapticScalingConv2d

__all__ = ["CNN", "CNN_METHODS", "CNN_BIO_METHODS", "IMAGE_DATASETS", "load_images"]

#: No normalization, the deep-learning ones, and the bio-inspired modules.
CNN_METHODS = ("none", "batch", "layer", "group", "weight", "ssn", "ip", "divisive", "global")
CNN_BIO_METHODS = ("ssn", "ip", "divisive", "global")
#: Image data sets from installed packages; any other name is read as the path of an ``.npz``.
IMAGE_DATASETS = ("digits", "mnist1d")
#: Groups of group normalization (Wu & He 2018 use 32 of 256+ channels; here 4 of 8 or 16).
GROUPS = 4


class CNN(Readouts, Validated, nn.Module):
    """Conv-norm-ReLU-pool twice, then a linear read-out, normalized by ``method``.

    Parameters
    ----------
    input_shape : sequence of int
        ``(channels, length)`` for 1-d convolutions, ``(channels, height, width)`` for 2-d.
        Each spatial size must be at least 4 (two poolings by 2).
    n_classes : int
        Outputs, at least 2.
    method : str, default "none"
        One of :data:`CNN_METHODS`.
    channels : (int, int), default (8, 16)
        Channels of the two convolutional blocks.
    random_state : None or int, default None
        Seeds torch's initialization of this network (the global torch generator is left alone).
    device, dtype : optional
        Where and in what type the network is made.
    """

    _parameter_constraints = {
        "input_shape": SequenceOf(Interval(Integral, 1), min_length=2, what="(channels, length) or (channels, "
                                  "height, width), positive integers"),
        "n_classes": Interval(Integral, 2), "method": Options(CNN_METHODS),
        "channels": SequenceOf(UNITS, length=2), "random_state": RandomState(), **TORCH_FACTORY}

    def __init__(self, input_shape, n_classes: int, method: str = "none", channels=(8, 16), random_state=None,
                 device=None, dtype=None):
        super().__init__()
        input_shape = tuple(int(s) for s in input_shape)
        dims = len(input_shape) - 1
        if dims not in (1, 2):
            raise ValueError(f"input_shape must be (channels, length) or (channels, height, width), got {input_shape}")
        if min(input_shape[1:]) < 4:
            raise ValueError(f"each spatial size must be at least 4 (two poolings by 2), got {input_shape}")
        if method == "group" and any(c % GROUPS for c in channels):
            raise ValueError(f"group normalization uses {GROUPS} groups: channels must be multiples of {GROUPS}, "
                             f"got {tuple(channels)}")
        self.input_shape, self.n_classes, self.method, self.dims = input_shape, n_classes, method, dims
        self.sizes = [int(np.prod(input_shape)), n_classes]  # what the trainer reads: inputs, outputs
        f = {"device": device, "dtype": dtype}
        seed = int(check_random_state(random_state).integers(2 ** 63))
        generator_state = torch.random.get_rng_state()
        torch.manual_seed(seed)
        try:
            self.shared = GlobalGain(**f) if method == "global" else None
            blocks, c_in = [], input_shape[0]
            for c_out in channels:
                blocks.append(nn.Sequential(*self._block(c_in, c_out, f)))
                c_in = c_out
            self.blocks = nn.ModuleList(blocks)
            flat = channels[-1] * int(np.prod([s // 4 for s in input_shape[1:]]))
            self.readout = nn.Linear(flat, n_classes, **f)
        finally:
            torch.random.set_rng_state(generator_state)

    def _block(self, c_in, c_out, f):
        m, conv_class = self.method, (nn.Conv1d, nn.Conv2d)[self.dims - 1]
        pool = (nn.MaxPool1d, nn.MaxPool2d)[self.dims - 1](2)
        if m == "ssn":
            ssn = (SynapticScalingConv1d, SynapticScalingConv2d)[self.dims - 1]
            return [ssn(c_in, c_out, 3, padding=1, **f), nn.ReLU(), pool]
        conv = conv_class(c_in, c_out, 3, padding=1, **f)
        if m == "weight":
            return [parametrizations.weight_norm(conv), nn.ReLU(), pool]
        norm = {"none": None,
                "batch": lambda: (nn.BatchNorm1d, nn.BatchNorm2d)[self.dims - 1](c_out, **f),
                "layer": lambda: nn.GroupNorm(1, c_out, **f),
                "group": lambda: nn.GroupNorm(GROUPS, c_out, **f),
                "ip": lambda: (IntrinsicPlasticityNorm1d, IntrinsicPlasticityNorm2d)[self.dims - 1](c_out, **f),
                "divisive": lambda: DivisiveNorm(c_out, **f),
                "global": lambda: GlobalHomeostasisNorm(self.shared)}[m]
        return [conv] + ([norm()] if norm else []) + [nn.ReLU(), pool]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for block in self.blocks:
            x = block(x)
        return self.readout(x.flatten(1))

    def _hidden(self, x: torch.Tensor):
        """Each block's output (after ReLU and pooling): what ``hidden_activations`` returns."""
        for block in self.blocks:
            x = block(x)
            yield x

    def extra_repr(self) -> str:
        return f"input_shape={self.input_shape}, method={self.method!r}"


def _check_images(d: Dataset, what: str) -> Dataset:
    """Raise ``ValueError`` unless ``d`` holds finite samples of one shape and integer labels in range."""
    for part in ("x_train", "x_test"):
        x = getattr(d, part)
        if x.ndim not in (3, 4) or x.shape[0] == 0:
            raise ValueError(f"{what}: {part} must be (samples, length), (samples, height, width) or (samples, "
                             f"channels, height, width), got shape {x.shape}")
        if not np.issubdtype(x.dtype, np.number) or not np.all(np.isfinite(x)):
            raise ValueError(f"{what}: {part} must be finite real numbers")
    if d.x_train.shape[1:] != d.x_test.shape[1:]:
        raise ValueError(f"{what}: train samples of shape {d.x_train.shape[1:]} but test samples of shape "
                         f"{d.x_test.shape[1:]}")
    for part, x in (("y_train", d.x_train), ("y_test", d.x_test)):
        y = getattr(d, part)
        if y.shape != (len(x),) or not np.issubdtype(y.dtype, np.integer):
            raise ValueError(f"{what}: {part} must be one integer label per sample ({len(x)}), got {y.dtype} "
                             f"of shape {y.shape}")
        if y.min() < 0 or y.max() >= d.n_classes:
            raise ValueError(f"{what}: {part} must lie in [0, {d.n_classes}), found {y.min()}..{y.max()}")
    return d


def load_images(name: str) -> Dataset:
    """An image data set with samples shaped for a CNN: ``(samples, channels, *spatial)``.

    Parameters
    ----------
    name : str
        ``"digits"`` (scikit-learn's 8 x 8 digits as 1 x 8 x 8 images, standardized as in
        :func:`homeostasis.ann.load`), ``"mnist1d"`` (MNIST-1D as 1 x 40 sequences), or the
        path of an ``.npz`` with ``x_train``, ``y_train``, ``x_test``, ``y_test``: sequences
        ``(samples, length)``, grey images ``(samples, height, width)`` or images with channels
        ``(samples, channels, height, width)``; integer labels from 0 (the classes are
        0 to the largest label).

    Examples
    --------
    >>> load_images("digits").x_train.shape[1:]
    (1, 8, 8)
    """
    if name in IMAGE_DATASETS:
        d = load(name)
        shape = (1, 8, 8) if name == "digits" else (1, d.x_train.shape[1])
        return Dataset(name, d.x_train.reshape(-1, *shape), d.y_train, d.x_test.reshape(-1, *shape), d.y_test,
                       d.n_classes)
    path = Path(name)
    if path.suffix != ".npz":
        raise ValueError(f"unknown image data set {name!r}: give {' or '.join(IMAGE_DATASETS)} or the path of an .npz")
    if not path.is_file():
        raise ValueError(f"no such file: {name}")
    try:
        with np.load(path, allow_pickle=False) as f:
            arrays = {k: np.asarray(f[k]) for k in f.files}
    except (OSError, EOFError, ValueError, zipfile.BadZipFile) as err:  # not an npz, cut short, or pickled objects
        raise ValueError(f"{name}: not a readable .npz of arrays ({err})") from err
    missing = [k for k in ("x_train", "y_train", "x_test", "y_test") if k not in arrays]
    if missing:
        raise ValueError(f"{name}: missing arrays {missing} (an .npz needs x_train, y_train, x_test, y_test)")
    x_train, y_train, x_test, y_test = (arrays[k] for k in ("x_train", "y_train", "x_test", "y_test"))
    # one channel unless given: (samples, length) is a sequence, (samples, height, width) an image
    if x_train.ndim in (2, 3) and x_test.ndim == x_train.ndim:
        x_train, x_test = x_train[:, None], x_test[:, None]
    n_classes = int(max(np.max(y_train, initial=0), np.max(y_test, initial=0))) + 1 if y_train.size else 0
    d = Dataset(path.stem, x_train.astype(float) if np.issubdtype(x_train.dtype, np.number) else x_train, y_train,
                x_test.astype(float) if np.issubdtype(x_test.dtype, np.number) else x_test, y_test, max(n_classes, 2))
    return _check_images(d, name)

