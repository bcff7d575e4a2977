"""The trade-offs battery on the ANN side: perturb a trained network's input and let its normalization adapt.

A network is trained on clean inputs, then its inputs are perturbed the ways the spiking
battery perturbs its Poisson inputs: scaled down (``blockade``) or up (``overdrive``), a
fraction of input units zeroed (``lesion``), or one random offset per sample added to every
input unit (``correlation``: the inputs' correlation across units rises, their mean is kept).
The weights are then frozen and only the normalization's state adapts, for ``adapt_steps``
training-mode forward passes on perturbed training batches: the running statistics of batch
normalization and the local homeostatic rules of the bio-inspired layers
(:mod:`homeostasis.ann.bio`); layer normalization, weight normalization and SELU have no
state and answer at once or not at all. This is the counterpart of homeostasis acting on a
network whose learned weights stay.

The metrics carry the spiking battery's names where they mean the same thing, with
the mean rectified activation of the last hidden layer (evaluation mode, on the test inputs) in the role of the rate
and adaptation steps in the role of time: ``recovery_steps`` (to within 10 % and staying),
``residual_error``, ``overshoot``, ``spike_cost`` (mean activation over the adaptation over
the baseline), ``discrimination_before`` and ``discrimination_after`` (held-out accuracy of a
linear decoder of the class from the last hidden layer, as
:func:`homeostasis.analysis.tradeoffs.decoder_accuracy`), ``usage_cv``, plus
``readout_accuracy_after`` (the network's own trained output layer on perturbed test inputs).

Examples
--------
>>> m = battery("none", {"blockade": 0.5}, steps=50, adapt_steps=10, record_every=5)
>>> m["blockade"]["spike_cost"] < 1  # without normalization, a weaker input means less activity
True
"""
from __future__ import annotations

import numpy as np

from homeostasis.analysis.metrics import usage_cv
from homeostasis.analysis.tradeoffs import decoder_accuracy, overshoot, recovery_time, residual_error, spike_cost

from .datasets import load
from .mlp import MLP
from .trainer import train

__all__ = ["ANN_PERTURBATIONS", "perturb_inputs", "battery"]

#: Perturbations with a meaning for an MLP's input, and the range of each strength.
ANN_PERTURBATIONS = {"blockade": (0.0, 1.0), "overdrive": (0.0, 10.0), "lesion": (0.0, 1.0),
                     "correlation": (0.0, 2.0)}


def perturb_inputs(x, perturbation: str, strength: float, rng, lesioned=None):
    """``x`` (samples, inputs) perturbed; ``lesioned`` fixes which inputs a lesion zeroes.

    Examples
    --------
    >>> import numpy as np
    >>> perturb_inputs(np.ones((2, 4)), "lesion", 0.5, np.random.default_rng(0), lesioned=[0, 3]).tolist()
    [[0.0, 1.0, 1.0, 0.0], [0.0, 1.0, 1.0, 0.0]]
    """
    if perturbation not in ANN_PERTURBATIONS:
        raise ValueError(f"unknown perturbation {perturbation!r} for the ANN battery: use {', '.join(ANN_PERTURBATIONS)}")
    lo, hi = ANN_PERTURBATIONS[perturbation]
    if not (np.isfinite(strength) and lo < strength and (strength < hi if hi == 1.0 else strength <= hi)):
        raise ValueError(f"strength of {perturbation} must lie in ({lo:g}, {hi:g}{')' if hi == 1.0 else ']'}, got {strength}")
    x = np.array(x, float)
    if perturbation == "blockade":
        return x * (1 - strength)
    if perturbation == "overdrive":
        return x * (1 + strength)
    if perturbation == "lesion":
        x[:, np.asarray(lesioned, int)] = 0.0
        return x
    return x + strength * x.std() * rng.standard_normal((x.shape[0], 1))


def _mean_activation(model, x) -> float:
    # rectified, as the load-balancing experiment does: SELU units are negative when off
    return float(np.maximum(model.hidden_activations(x)[-1], 0.0).mean())


def battery(method: str, perturbations: dict, dataset: str = "digits", hidden=(64, 64), steps: int = 1500,
            batch_size: int = 100, adapt_steps: int = 300, record_every: int = 10, seed: int = 0) -> dict:
    """Train an MLP with ``method`` once; for each perturbation, perturb a copy's inputs and adapt its normalization only.

    ``perturbations`` maps names of :data:`ANN_PERTURBATIONS` to strengths.

    Returns
    -------
    dict
        Per perturbation, the metrics named in the module docstring, and ``steps`` and
        ``activation`` (the recorded adaptation steps and mean hidden activation, as lists).
    """
    import copy

    for name, strength in perturbations.items():  # every strength checked before training
        perturb_inputs(np.zeros((1, 1)), name, strength, np.random.default_rng(0), lesioned=[])
    data = load(dataset, seed=seed)
    n_in = data.x_train.shape[1]
    trained = MLP([n_in, *hidden, data.n_classes], method, random_state=seed)
    train(trained, data, steps=steps, batch_size=batch_size, seed=seed, eval_every=steps)
    baseline = _mean_activation(trained, data.x_test)
    y = data.y_test
    before = decoder_accuracy(trained.hidden_activations(data.x_test)[-1], y, seed=seed)
    out = {}
    for name, strength in perturbations.items():
        rng = np.random.default_rng(seed)
        model = copy.deepcopy(trained)
        lesioned = rng.permutation(n_in)[: int(round(strength * n_in))] if name == "lesion" else None
        x_test = perturb_inputs(data.x_test, name, strength, rng, lesioned)
        x_train = perturb_inputs(data.x_train, name, strength, rng, lesioned)
        record, activity = [0], [_mean_activation(model, x_test)]
        for step in range(1, adapt_steps + 1):
            batch = rng.choice(len(x_train), size=batch_size, replace=False)
            model.forward(x_train[batch], training=True)  # the state adapts; no gradient, the weights stay
            if step % record_every == 0 or step == adapt_steps:
                record.append(step)
                activity.append(_mean_activation(model, x_test))
        t, a = np.asarray(record, float), np.asarray(activity)
        hidden_after = model.hidden_activations(x_test)[-1]
        window = max(adapt_steps / 10, record_every)
        recovered = recovery_time(t, a, baseline, 0.0)
        out[name] = {
            "baseline_activation": baseline,
            "recovery_steps": None if recovered is None else int(recovered),
            "residual_error": residual_error(t, a, baseline, window),
            "overshoot": overshoot(t, a, baseline, 0.0, window=window),
            "spike_cost": spike_cost(t, a, baseline, 0.0),
            "discrimination_before": before,
            "discrimination_after": decoder_accuracy(hidden_after, y, seed=seed),
            "readout_accuracy_after": float(np.mean(model.predict(x_test) == y)),
            "usage_cv": float(usage_cv(np.maximum(hidden_after, 0.0))),
            "steps": t.tolist(), "activation": a.tolist(),
        }
    return out
