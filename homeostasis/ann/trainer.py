"""Train an MLP on a dataset, with the input validated before the first step.

Examples
--------
>>> from homeostasis.ann import MLP, load, train
>>> d = load("digits")
>>> h = train(MLP([64, 32, 10], "ssn", random_state=0), d, steps=200, batch_size=50)
>>> h.final_test_accuracy > 0.8
True
"""
from __future__ import annotations

from dataclasses import dataclass, field
from numbers import Integral, Real

import numpy as np
from tqdm.auto import tqdm

from .layers import BatchNorm, softmax_cross_entropy
from .optim import LEARNING_RATE, OPTIMIZERS, make_optimizer
from .validation import HasAttributes, InstanceOf, Interval, Options, validate_params

__all__ = ["History", "train", "validate_data", "accuracy"]


@dataclass
class History:
    """Learning curve of one training run.

    Attributes
    ----------
    steps : ndarray of int
        Steps at which the curve was recorded.
    loss : ndarray
        Training loss of the minibatch at each recorded step.
    test_accuracy : ndarray
        Test accuracy at each recorded step.
    final_train_accuracy, final_test_accuracy : float
        After the last step.
    probe_mean, probe_std : list of ndarray
        With a ``probe`` given to :func:`train`: per hidden layer, the mean and the standard
        deviation over the probe inputs of each unit's activation (evaluation mode) at each
        recorded step, shape (recorded steps, units). The input of
        :func:`homeostasis.analysis.activation_drift`.
    """

    steps: np.ndarray = field(default_factory=lambda: np.zeros(0, int))
    loss: np.ndarray = field(default_factory=lambda: np.zeros(0))
    test_accuracy: np.ndarray = field(default_factory=lambda: np.zeros(0))
    final_train_accuracy: float = float("nan")
    final_test_accuracy: float = float("nan")
    probe_mean: list = field(default_factory=list)
    probe_std: list = field(default_factory=list)


def validate_data(x, y, n_classes: int, what: str = "data"):
    """Raise ``ValueError`` for empty, non-finite, mismatched or out-of-range data.

    Parameters
    ----------
    x : array-like, shape (samples, features)
    y : array-like of int, shape (samples,)
    n_classes : int
        Labels must lie in ``[0, n_classes)``.
    what : str
        Name of the data in the error message.

    Examples
    --------
    >>> import numpy as np
    >>> validate_data(np.zeros((2, 3)), np.array([0, 4]), 3)
    Traceback (most recent call last):
    ...
    ValueError: data: labels must lie in [0, 3), found 0..4
    """
    x, y = np.asarray(x), np.asarray(y)
    if not (isinstance(n_classes, (int, np.integer)) and n_classes >= 2):
        raise ValueError(f"{what}: n_classes must be an integer >= 2, got {n_classes!r}")
    if x.ndim != 2 or x.shape[0] == 0 or x.shape[1] == 0:
        raise ValueError(f"{what}: features must be a non-empty 2-D array (samples, features), got shape {x.shape}")
    if y.ndim != 1 or y.shape[0] != x.shape[0]:
        raise ValueError(f"{what}: {x.shape[0]} samples but labels of shape {y.shape}")
    if not np.issubdtype(x.dtype, np.number) or np.issubdtype(x.dtype, np.complexfloating):
        raise ValueError(f"{what}: features must be real numbers, got dtype {x.dtype}")
    if not np.all(np.isfinite(x)):
        bad = int(np.sum(~np.isfinite(x)))
        raise ValueError(f"{what}: features contain {bad} NaN or infinite values")
    if not np.issubdtype(y.dtype, np.integer):
        raise ValueError(f"{what}: labels must be integers, got dtype {y.dtype}")
    if y.min() < 0 or y.max() >= n_classes:
        raise ValueError(f"{what}: labels must lie in [0, {n_classes}), found {y.min()}..{y.max()}")


def accuracy(model, x, y) -> float:
    """Fraction of rows of ``x`` whose predicted class equals ``y`` (evaluation mode)."""
    return float(np.mean(model.predict(x) == y))


@validate_params({
    "model": HasAttributes("forward", "backward", "layers", "sizes", what="an MLP"),
    "data": "no_validation",  # validate_data below names the part of the data that is wrong
    "steps": Interval(Integral, 1), "batch_size": Interval(Integral, 1), "optimizer": Options(OPTIMIZERS),
    "lr": LEARNING_RATE, "momentum": Interval(Real, 0, 1, closed="left"), "seed": Interval(Integral, 0),
    "eval_every": Interval(Integral, 1), "progress": InstanceOf((bool, np.bool_), "True or False"),
    "probe": "no_validation",  # checked against the model's input width below
})
def train(model, data, steps: int = 6000, batch_size: int = 100, optimizer: str = "adam", lr: float = 1e-2,
          momentum: float = 0.9, seed: int = 0, eval_every: int = 500, progress: bool = False,
          probe=None) -> History:
    """Minibatch training with softmax cross-entropy; returns the learning curve.

    Everything that could make the run fail is checked before the first step, so a bad
    argument costs no training time. Minibatches are drawn without replacement from a
    fresh permutation each epoch; the same ``seed`` and model give the same run.

    Parameters
    ----------
    model : homeostasis.ann.MLP
    data : Dataset
    steps : int, default 6000
        Gradient steps.
    batch_size : int, default 100
        Samples per step; 1 is online learning (refused for batch normalization).
    optimizer : {"adam", "sgd"}, default "adam"
    lr : float, default 1e-2
    momentum : float, default 0.9
        SGD momentum (ignored by Adam).
    seed : int, default 0
        Order of the minibatches.
    eval_every : int, default 500
        Test accuracy is recorded every this many steps, and after the last.
    progress : bool, default False
        Show a tqdm progress bar.
    probe : array-like, shape (samples, inputs), optional
        A fixed batch of held-out inputs. At each recorded step the per-unit mean and
        standard deviation of every hidden layer's activation on it are kept in the history
        (``probe_mean``, ``probe_std``), to measure how steady the hidden units stay while
        the weights below them change.

    Returns
    -------
    History

    Raises
    ------
    ValueError
        For bad data or arguments, before training.
    FloatingPointError
        If the loss becomes non-finite during training.
    """
    for part in ("x_train", "y_train", "x_test", "y_test", "n_classes"):
        if not hasattr(data, part):
            raise ValueError(f"data must be a Dataset (x_train, y_train, x_test, y_test, n_classes); missing {part}")
    validate_data(data.x_train, data.y_train, data.n_classes, "training data")
    validate_data(data.x_test, data.y_test, data.n_classes, "test data")
    x_train, y_train = np.asarray(data.x_train, float), np.asarray(data.y_train)
    x_test, y_test = np.asarray(data.x_test, float), np.asarray(data.y_test)
    if x_train.shape[1] != model.sizes[0] or x_test.shape[1] != model.sizes[0]:
        raise ValueError(f"the model takes {model.sizes[0]} inputs but the data have "
                         f"{x_train.shape[1]} (train) and {x_test.shape[1]} (test) features")
    if data.n_classes > model.sizes[-1]:
        raise ValueError(f"the model has {model.sizes[-1]} outputs but the data have {data.n_classes} classes")
    if batch_size == 1 and any(isinstance(layer, BatchNorm) for layer in model.layers):
        raise ValueError("batch normalization cannot train with a batch of one (batch size 1 has no batch "
                         "statistics); use batch_size >= 2 or an online method (ssn, ip, divisive, global)")
    if batch_size > len(x_train):
        raise ValueError(f"batch_size {batch_size} exceeds the {len(x_train)} training samples")
    if probe is not None:
        probe = np.asarray(probe, dtype=float)
        if probe.ndim != 2 or probe.shape[0] < 2 or probe.shape[1] != model.sizes[0] or not np.all(np.isfinite(probe)):
            raise ValueError(f"parameter 'probe' of train must be a finite (samples >= 2, {model.sizes[0]}) array, "
                             f"got shape {probe.shape}")

    rng = np.random.default_rng(seed)
    opt = make_optimizer(optimizer, model.layers, lr, momentum)
    steps_log, loss_log, acc_log, probe_log = [], [], [], []
    n = len(x_train)
    order, pos = rng.permutation(n), 0
    for step in tqdm(range(1, steps + 1), desc=f"train {model.method}", disable=not progress, leave=False):
        if pos + batch_size > n:
            # a new epoch; the remainder of the old permutation is dropped so every batch is full
            order, pos = rng.permutation(n), 0
        idx = order[pos:pos + batch_size]
        pos += batch_size
        logits = model.forward(x_train[idx], training=True)
        loss, dlogits = softmax_cross_entropy(logits, y_train[idx])
        if not np.isfinite(loss):
            raise FloatingPointError(f"training of {model.method} diverged at step {step} (loss {loss})")
        model.backward(dlogits)
        opt.step()
        if step % eval_every == 0 or step == steps:
            steps_log.append(step)
            loss_log.append(loss)
            acc_log.append(accuracy(model, x_test, y_test))
            if probe is not None:
                probe_log.append([(h.mean(axis=0), h.std(axis=0)) for h in model.hidden_activations(probe)])
    layers = range(len(probe_log[0])) if probe_log else ()
    return History(np.array(steps_log), np.array(loss_log), np.array(acc_log),
                   final_train_accuracy=accuracy(model, x_train, y_train), final_test_accuracy=acc_log[-1],
                   probe_mean=[np.array([record[k][0] for record in probe_log]) for k in layers],
                   probe_std=[np.array([record[k][1] for record in probe_log]) for k in layers])
