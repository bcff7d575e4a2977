"""Metrics shared by the biological and the artificial side: one name means one thing.

Load balancing (the paper's central quantity) is measured on a matrix of activity, units by
samples (time bins for neurons, test inputs for hidden units):

- ``usage_cv``: coefficient of variation across units of each unit's mean activity (0 when
  every unit is used equally);
- ``usage_entropy``: entropy of the units' share of the total activity, divided by
  ``log(n_units)`` (1 when every unit is used equally);
- ``dead_fraction``: fraction of units never active;
- ``code_entropy``: entropy (bits) of the binarized population code across samples.

Examples
--------
>>> import numpy as np
>>> usage_cv(np.ones((100, 5)))
0.0
>>> round(usage_entropy(np.ones((100, 5))), 6)
1.0
"""
from __future__ import annotations

import numpy as np

__all__ = ["binned_rates", "unit_usage", "usage_cv", "usage_entropy", "dead_fraction", "code_entropy", "load_balance", "gini",
           "dispersion", "gain_invariance", "pattern_correlation", "setpoint_distance",
           "multiplicativity", "linear_probe_accuracy", "relative_deviation"]


def binned_rates(spike_times, spike_units, n_units: int, start: float, stop: float, width: float = 0.25):
    """Spike trains as an activity matrix: rates (Hz) per bin of ``width`` seconds, (bins, units).

    Turns a spiking population into the same ``(samples, units)`` matrix the ANN side gives.
    """
    t, i = np.asarray(spike_times, float), np.asarray(spike_units, int)
    if not stop > start or not width > 0:
        raise ValueError(f"need start < stop and width > 0, got {start}, {stop}, {width}")
    keep = (t >= start) & (t < stop)
    edges = np.arange(start, stop + 1e-9, width)
    counts, _, _ = np.histogram2d(t[keep], i[keep], [edges, np.arange(n_units + 1)])
    return counts / width


def _matrix(activity) -> np.ndarray:
    a = np.asarray(activity, dtype=float)
    if a.ndim == 1:
        a = a[None, :]
    if a.ndim != 2 or a.size == 0:
        raise ValueError(f"activity must be a non-empty (samples, units) array, got shape {a.shape}")
    if not np.all(np.isfinite(a)):
        raise ValueError("activity contains NaN or infinite values")
    if np.any(a < 0):
        raise ValueError("activity must be non-negative (rates or rectified activations)")
    return a


def unit_usage(activity) -> np.ndarray:
    """Mean activity of each unit over samples (shape: units)."""
    return _matrix(activity).mean(axis=0)


def usage_cv(activity) -> float:
    """Coefficient of variation across units of their mean activity."""
    u = unit_usage(activity)
    return float(u.std() / u.mean()) if u.mean() > 0 else float("inf")


def usage_entropy(activity) -> float:
    """Entropy of the units' shares of total activity over ``log(n_units)``, in [0, 1]."""
    u = unit_usage(activity)
    if u.size < 2 or u.sum() <= 0:
        return 0.0
    p = u / u.sum()
    nz = p > 0
    return float(-np.sum(p[nz] * np.log(p[nz])) / np.log(u.size))


def dead_fraction(activity, threshold: float = 0.0) -> float:
    """Fraction of units whose activity never exceeds ``threshold`` on any sample."""
    return float(np.mean(_matrix(activity).max(axis=0) <= threshold))


def code_entropy(activity, threshold: float = 0.0) -> float:
    """Entropy in bits of the binarized code (unit active or not) across samples.

    Capacity of the code: how many distinct activity patterns the layer uses. Bounded by
    ``log2(n_samples)``.
    """
    codes = _matrix(activity) > threshold
    _, counts = np.unique(np.packbits(codes, axis=1), axis=0, return_counts=True)
    p = counts / counts.sum()
    return float(-np.sum(p * np.log2(p)))


def gini(activity) -> float:
    """Gini coefficient of the units' mean activity: 0 for equal use, near 1 for one unit."""
    u = np.sort(unit_usage(activity))
    n = u.size
    if u.sum() <= 0:
        return 0.0
    return float((2 * np.arange(1, n + 1) - n - 1) @ u / (n * u.sum()))


def dispersion(activity) -> dict:
    """How differently units behave: CV across units of each unit's mean and of its spread.

    Intrinsic plasticity and batch normalization both hold each unit's statistics at a set
    point, so both should shrink these two numbers.
    """
    a = _matrix(activity)
    mean, spread = a.mean(axis=0), a.std(axis=0)
    cv = lambda v: float(v.std() / v.mean()) if v.mean() > 0 else float("inf")  # noqa: E731
    return {"mean_dispersion": cv(mean), "spread_dispersion": cv(spread)}


def gain_invariance(low, high) -> float:
    """Relative change of a layer's summed output between two input gains (0 = invariant)."""
    low, high = np.asarray(low, float), np.asarray(high, float)
    if low.shape != high.shape or low.sum() <= 0:
        raise ValueError("low and high must have the same shape and a positive sum")
    return float(abs(high.sum() - low.sum()) / low.sum())


def pattern_correlation(low, high) -> float:
    """Pearson correlation of the pattern across units between two input gains."""
    return float(np.corrcoef(np.ravel(low), np.ravel(high))[0, 1])


def setpoint_distance(values, setpoint) -> np.ndarray:
    """Relative distance ``|v / setpoint - 1|`` of activity from its set point, over time or depth."""
    if setpoint == 0:
        raise ValueError("setpoint must be non-zero")
    return np.abs(np.asarray(values, float) / setpoint - 1)


def load_balance(activity) -> dict:
    """All load-balancing numbers of one activity matrix."""
    return {"usage_cv": usage_cv(activity), "usage_entropy": usage_entropy(activity),
            "dead_fraction": dead_fraction(activity), "gini": gini(activity),
            "code_entropy": code_entropy(activity)}


def multiplicativity(before, after) -> dict:
    """How well ``after = k * before`` holds: slope ``k`` and R^2 of the fit through the origin.

    Synaptic scaling and weight normalization both change a weight vector's length and keep
    its direction; an R^2 near 1 says the change was one common factor.
    """
    x, y = np.asarray(before, float).ravel(), np.asarray(after, float).ravel()
    if x.size != y.size or x.size < 2:
        raise ValueError("before and after must have the same size, at least 2")
    k = float(x @ y / (x @ x))
    ss_tot = float(np.sum((y - y.mean()) ** 2))
    r2 = 1 - float(np.sum((y - k * x) ** 2)) / ss_tot if ss_tot > 0 else float("nan")
    return {"factor": k, "r2": r2}


def relative_deviation(values, target) -> float:
    """Largest ``|value / target - 1|``: how far a held quantity strays from its set point."""
    v = np.asarray(values, float)
    if target == 0:
        raise ValueError("target must be non-zero")
    return float(np.max(np.abs(v / target - 1)))


def linear_probe_accuracy(train_features, train_labels, test_features, test_labels, seed: int = 0) -> float:
    """Test accuracy of a logistic-regression readout: how linearly separable a code is."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    scaler = StandardScaler().fit(train_features)
    clf = LogisticRegression(max_iter=300, random_state=seed)
    clf.fit(scaler.transform(train_features), train_labels)
    return float(clf.score(scaler.transform(test_features), test_labels))
