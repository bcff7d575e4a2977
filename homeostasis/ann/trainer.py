"""Train an MLP on a dataset, with input validated before the first step.

Examples
--------
>>> from homeostasis.ann import MLP, load, train
>>> d = load("digits")
>>> h = train(MLP([64, 50, 10], "ssn"), d, steps=200, batch_size=50)  # doctest: +SKIP
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from tqdm.auto import tqdm

from .layers import softmax_cross_entropy
from .optim import make_optimizer

__all__ = ["History", "train", "validate_data", "accuracy"]


@dataclass
class History:
    steps: list = field(default_factory=list)
    loss: list = field(default_factory=list)
    test_accuracy: list = field(default_factory=list)
    final_train_accuracy: float = float("nan")
    final_test_accuracy: float = float("nan")


def validate_data(x, y, n_classes: int, what: str = "data"):
    """Raise ``ValueError`` for empty, non-finite, mismatched or out-of-range data."""
    x, y = np.asarray(x), np.asarray(y)
    if x.ndim != 2 or x.shape[0] == 0 or x.shape[1] == 0:
        raise ValueError(f"{what}: features must be a non-empty 2-D array (samples, features), got shape {x.shape}")
    if y.ndim != 1 or y.shape[0] != x.shape[0]:
        raise ValueError(f"{what}: {x.shape[0]} samples but labels of shape {y.shape}")
    if not np.all(np.isfinite(x)):
        raise ValueError(f"{what}: features contain NaN or infinite values")
    if not np.issubdtype(y.dtype, np.integer):
        raise ValueError(f"{what}: labels must be integers, got dtype {y.dtype}")
    if y.min() < 0 or y.max() >= n_classes:
        raise ValueError(f"{what}: labels must lie in [0, {n_classes}), found {y.min()}..{y.max()}")


def accuracy(model, x, y) -> float:
    return float(np.mean(model.predict(x) == y))


def train(model, data, steps: int = 6000, batch_size: int = 100, optimizer: str = "adam", lr: float = 1e-2,
          momentum: float = 0.9, seed: int = 0, eval_every: int = 500, progress: bool = False) -> History:
    """Minibatch training with softmax cross-entropy; returns the learning curve.

    Parameters
    ----------
    model : MLP
    data : Dataset
    steps, batch_size : int
        Gradient steps and samples per step (1 is online learning).
    optimizer : {"adam", "sgd"}
    lr, momentum : float
    seed : int
        Order of the minibatches.
    eval_every : int
        Test accuracy is recorded every this many steps.
    progress : bool
        Show a progress bar.
    """
    if not (isinstance(steps, (int, np.integer)) and steps > 0):
        raise ValueError(f"steps must be a positive integer, got {steps!r}")
    if not (isinstance(batch_size, (int, np.integer)) and batch_size > 0):
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
    validate_data(data.x_train, data.y_train, data.n_classes, "training data")
    validate_data(data.x_test, data.y_test, data.n_classes, "test data")
    if data.x_train.shape[1] != model.sizes[0]:
        raise ValueError(f"the model takes {model.sizes[0]} inputs but the data have {data.x_train.shape[1]} features")
    if data.n_classes > model.sizes[-1]:
        raise ValueError(f"the model has {model.sizes[-1]} outputs but the data have {data.n_classes} classes")
    if batch_size == 1 and model.method == "batch":
        raise ValueError("batch normalization cannot train with a batch of one (no batch statistics); "
                         "use one of the online methods ssn, ip, divisive, global")
    if batch_size > len(data.x_train):
        raise ValueError(f"batch_size {batch_size} exceeds the {len(data.x_train)} training samples")

    rng = np.random.default_rng(seed)
    opt = make_optimizer(optimizer, model.layers, lr, momentum)
    hist = History()
    n = len(data.x_train)
    order, pos = rng.permutation(n), 0
    for step in tqdm(range(1, steps + 1), desc=f"train {model.method}", disable=not progress, leave=False):
        if pos + batch_size > n:
            order, pos = rng.permutation(n), 0
        idx = order[pos:pos + batch_size]
        pos += batch_size
        logits = model.forward(data.x_train[idx], training=True)
        loss, dlogits = softmax_cross_entropy(logits, data.y_train[idx])
        if not np.isfinite(loss):
            raise FloatingPointError(f"training of {model.method} diverged at step {step} (loss {loss})")
        model.backward(dlogits)
        opt.step()
        if step % eval_every == 0 or step == steps:
            hist.steps.append(step)
            hist.loss.append(loss)
            hist.test_accuracy.append(accuracy(model, data.x_test, data.y_test))
    hist.final_train_accuracy = accuracy(model, data.x_train, data.y_train)
    hist.final_test_accuracy = hist.test_accuracy[-1]
    return hist
