"""How a trained MLP uses its hidden units: load balance, dead units, code capacity, probes.

Every function takes the hidden activations as returned by
:meth:`homeostasis.ann.MLP.hidden_activations`: a list with one ``(samples, units)`` array
per hidden layer (a single array is taken as a one-layer list). Statistics that compare
units pool the units of all hidden layers, so one number describes the whole network.

Examples
--------
>>> import numpy as np
>>> acts = [np.array([[0.0, 1.0], [0.0, 3.0]]), np.array([[1.0, 1.0], [1.0, 1.0]])]
>>> [u.tolist() for u in usage_stats(acts)]
[[0.0, 2.0], [1.0, 1.0]]
>>> dead_fraction(acts)
0.25
"""
from __future__ import annotations

import numpy as np

__all__ = ["usage_stats", "usage_cv", "usage_entropy", "dead_fraction", "code_entropy",
           "linear_probe_accuracy"]


def _layers(activations) -> list:
    """The activations as a list of finite, non-negative 2-D arrays, checked once here."""
    if isinstance(activations, np.ndarray):
        activations = [activations]
    layers = [np.asarray(a, dtype=float) for a in activations]
    if not layers:
        raise ValueError("activations must hold at least one hidden layer")
    for i, a in enumerate(layers):
        if a.ndim != 2 or a.size == 0:
            raise ValueError(f"hidden layer {i}: activations must be a non-empty (samples, units) array, "
                             f"got shape {a.shape}")
        if not np.all(np.isfinite(a)):
            raise ValueError(f"hidden layer {i}: activations contain NaN or infinite values")
        if np.any(a < 0):
            # usage is a share of activity; a negative share (e.g. SELU output) has no meaning
            raise ValueError(f"hidden layer {i}: activations must be non-negative (rectify them first)")
    if len({a.shape[0] for a in layers}) > 1:
        raise ValueError("every hidden layer must hold the same samples")
    return layers


def usage_stats(activations) -> list:
    """Mean activation of every unit over the samples, one array per hidden layer.

    Examples
    --------
    >>> usage_stats(np.array([[1.0, 0.0], [3.0, 0.0]]))[0].tolist()
    [2.0, 0.0]
    """
    return [a.mean(axis=0) for a in _layers(activations)]


def _pooled_usage(activations) -> np.ndarray:
    return np.concatenate(usage_stats(activations))


def usage_cv(activations) -> float:
    """Coefficient of variation (std / mean) of the units' mean activations, layers pooled.

    0 when every unit carries the same load; ``inf`` when no unit is ever active.

    Examples
    --------
    >>> usage_cv([np.ones((3, 4))])
    0.0
    """
    u = _pooled_usage(activations)
    return float(u.std() / u.mean()) if u.mean() > 0 else float("inf")


def usage_entropy(activations) -> float:
    """Entropy of the units' shares of total mean activation over ``log(n_units)``, in [0, 1].

    1 when the load is spread evenly over all units, 0 when one unit carries it all (or
    nothing is active).

    Examples
    --------
    >>> usage_entropy([np.ones((3, 4))])
    1.0
    """
    u = _pooled_usage(activations)
    if u.size < 2 or u.sum() <= 0:
        return 0.0
    p = u / u.sum()
    nz = p > 0
    return float(min(1.0, -np.sum(p[nz] * np.log(p[nz])) / np.log(u.size)))


def dead_fraction(activations, threshold: float = 0.0) -> float:
    """Fraction of hidden units (layers pooled) never above ``threshold`` on any sample.

    Examples
    --------
    >>> dead_fraction([np.array([[0.0, 1.0]])])
    0.5
    """
    return float(np.mean(np.concatenate([a.max(axis=0) <= threshold for a in _layers(activations)])))


def code_entropy(activations, threshold: float = 0.0) -> float:
    """Plug-in entropy in bits of the binarized hidden code (unit active or not), per layer summed.

    Each layer's code is the on/off pattern of its units for one sample; the entropy of the
    empirical distribution of patterns estimates how many distinct codes the layer uses.
    It is a plug-in estimate, so it is bounded by ``log2(n_samples)`` per layer and biased
    low when patterns are many; compare it between methods on the same samples only.

    Examples
    --------
    >>> code_entropy([np.array([[0.0, 1.0], [1.0, 0.0]])])
    1.0
    """
    total = 0.0
    for a in _layers(activations):
        # packbits turns each sample's on/off pattern into a short byte key for np.unique
        _, counts = np.unique(np.packbits(a > threshold, axis=1), axis=0, return_counts=True)
        p = counts / counts.sum()
        total += float(-np.sum(p * np.log2(p)))
    return total


def linear_probe_accuracy(train_activations, y_train, test_activations, y_test, seed: int = 0,
                          max_iter: int = 300) -> list:
    """Test accuracy of a logistic-regression readout trained on each hidden layer's code.

    How linearly separable each layer's representation is: the probe is fitted on the
    training split's activations and scored on the test split's.

    Parameters
    ----------
    train_activations, test_activations : list of ndarray
        One ``(samples, units)`` array per hidden layer, same layers in both.
    y_train, y_test : ndarray of int
    seed : int
    max_iter : int
        Iterations of the logistic-regression solver.

    Returns
    -------
    list of float
        One accuracy per hidden layer.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> x = rng.uniform(size=(40, 3)); y = (x[:, 0] > 0.5).astype(int)
    >>> linear_probe_accuracy([x], y, [x], y)[0] > 0.9
    True
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    train_layers, test_layers = _layers(train_activations), _layers(test_activations)
    if len(train_layers) != len(test_layers):
        raise ValueError(f"{len(train_layers)} training layers but {len(test_layers)} test layers")
    y_train, y_test = np.asarray(y_train), np.asarray(y_test)
    if len(y_train) != train_layers[0].shape[0] or len(y_test) != test_layers[0].shape[0]:
        raise ValueError("each split needs one label per sample")
    scores = []
    for tr, te in zip(train_layers, test_layers):
        # standardizing first makes the solver's regularization treat every unit alike
        scaler = StandardScaler().fit(tr)
        clf = LogisticRegression(max_iter=max_iter, random_state=seed).fit(scaler.transform(tr), y_train)
        scores.append(float(clf.score(scaler.transform(te), y_test)))
    return scores
