"""Train the torch engine's MLP with the numpy trainer's protocol, into the same :class:`~homeostasis.ann.History`.

The same checks before the first step, the same minibatches (one numpy permutation per epoch
from ``seed``), the same records; ``torch.optim.Adam`` or ``SGD`` in the place of the numpy
optimizers (the same update rules). So ``homeostasis compare --engine torch`` reads the same
numbers from either engine.

Examples
--------
>>> from homeostasis.ann import load
>>> from homeostasis.torch.mlp import MLP
>>> h = train(MLP([64, 32, 10], "ssn", random_state=0), load("digits"), steps=200, batch_size=50)
>>> h.final_test_accuracy > 0.8
True
"""
from __future__ import annotations

from numbers import Integral, Real

import numpy as np
import torch
from torch.nn import functional as F
from tqdm.auto import tqdm

from ..ann.optim import LEARNING_RATE, OPTIMIZERS
from ..ann.trainer import History, validate_data
from ..ann.validation import HasAttributes, InstanceOf, Interval, Options, validate_params

__all__ = ["train", "fit"]


def _accuracy(model, x, y) -> float:
    return float((model.predict(x) == y).double().mean())


@validate_params({
    "model": HasAttributes("forward", "layers", "sizes", "predict", what="a homeostasis.torch MLP"),
    "data": "no_validation",
    "steps": Interval(Integral, 1), "batch_size": Interval(Integral, 1), "optimizer": Options(OPTIMIZERS),
    "lr": LEARNING_RATE, "momentum": Interval(Real, 0, 1, closed="left"), "seed": Interval(Integral, 0),
    "eval_every": Interval(Integral, 1), "progress": InstanceOf((bool, np.bool_), "True or False"),
    "probe": "no_validation",
})
def train(model, data, steps: int = 6000, batch_size: int = 100, optimizer: str = "adam", lr: float = 1e-2,
          momentum: float = 0.9, seed: int = 0, eval_every: int = 500, progress: bool = False,
          probe=None) -> History:
    """Minibatch training with softmax cross-entropy; the arguments and result of :func:`homeostasis.ann.train`."""
    for part in ("x_train", "y_train", "x_test", "y_test", "n_classes"):
        if not hasattr(data, part):
            raise ValueError(f"data must be a Dataset (x_train, y_train, x_test, y_test, n_classes); missing {part}")
    validate_data(data.x_train, data.y_train, data.n_classes, "training data")
    validate_data(data.x_test, data.y_test, data.n_classes, "test data")
    n_in = model.sizes[0]
    if np.shape(data.x_train)[1] != n_in or np.shape(data.x_test)[1] != n_in:
        raise ValueError(f"the model takes {n_in} inputs but the data have {np.shape(data.x_train)[1]} (train) and "
                         f"{np.shape(data.x_test)[1]} (test) features")
    if data.n_classes > model.sizes[-1]:
        raise ValueError(f"the model has {model.sizes[-1]} outputs but the data have {data.n_classes} classes")
    if batch_size == 1 and any(isinstance(m, torch.nn.modules.batchnorm._BatchNorm) for m in model.modules()):
        raise ValueError("batch normalization cannot train with a batch of one (batch size 1 has no batch "
                         "statistics); use batch_size >= 2 or an online method (ssn, ip, divisive, global)")
    if batch_size > len(data.x_train):
        raise ValueError(f"batch_size {batch_size} exceeds the {len(data.x_train)} training samples")
    if probe is not None:
        probe = np.asarray(probe, dtype=float)
        if probe.ndim != 2 or probe.shape[0] < 2 or probe.shape[1] != n_in or not np.all(np.isfinite(probe)):
            raise ValueError(f"parameter 'probe' of train must be a finite (samples >= 2, {n_in}) array, "
                             f"got shape {probe.shape}")
    return fit(model, data, steps, batch_size, optimizer, lr, momentum, seed, eval_every, progress, probe)


def fit(model, data, steps, batch_size, optimizer="adam", lr=1e-2, momentum=0.9, seed=0, eval_every=500,
        progress=False, probe=None) -> History:
    """The training loop of :func:`train` for any model with ``predict`` and ``hidden_activations``.

    The data are taken as they are (checked by the caller), with samples along the first
    axis: feature vectors for an MLP, sequences or images for a CNN.
    """
    p = next(model.parameters())
    f = {"dtype": p.dtype, "device": p.device}
    x_train, x_test = (torch.as_tensor(np.asarray(a, float), **f) for a in (data.x_train, data.x_test))
    y_train, y_test = (torch.as_tensor(np.asarray(a), device=p.device) for a in (data.y_train, data.y_test))
    if probe is not None:
        probe = torch.as_tensor(np.asarray(probe, float), **f)

    rng = np.random.default_rng(seed)
    params = list(model.parameters())
    opt = torch.optim.Adam(params, lr=lr) if optimizer == "adam" else torch.optim.SGD(params, lr=lr, momentum=momentum)
    model.train()
    steps_log, loss_log, acc_log, probe_log = [], [], [], []
    n = len(x_train)
    order, pos = rng.permutation(n), 0
    for step in tqdm(range(1, steps + 1), desc=f"train {model.method} (torch)", disable=not progress, leave=False):
        if pos + batch_size > n:
            order, pos = rng.permutation(n), 0
        idx = torch.as_tensor(order[pos:pos + batch_size], device=p.device)
        pos += batch_size
        loss = F.cross_entropy(model(x_train[idx]), y_train[idx])
        value = float(loss.detach())
        if not np.isfinite(value):
            raise FloatingPointError(f"training of {model.method} diverged at step {step} (loss {value})")
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if step % eval_every == 0 or step == steps:
            steps_log.append(step)
            loss_log.append(value)
            acc_log.append(_accuracy(model, x_test, y_test))
            if probe is not None:
                # every channel at every position is a unit (a feature map is flattened)
                probe_log.append([(h.flatten(1).mean(dim=0).cpu().numpy(),
                                   h.flatten(1).std(dim=0, unbiased=False).cpu().numpy())
                                  for h in model.hidden_activations(probe)])
    layers = range(len(probe_log[0])) if probe_log else ()
    return History(np.array(steps_log), np.array(loss_log), np.array(acc_log),
                   final_train_accuracy=_accuracy(model, x_train, y_train), final_test_accuracy=acc_log[-1],
                   probe_mean=[np.array([record[k][0] for record in probe_log]) for k in layers],
                   probe_std=[np.array([record[k][1] for record in probe_log]) for k in layers])
