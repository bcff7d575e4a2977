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

__all__ = ["binned_rates", "window_rates", "coefficient_of_variation", "unit_usage", "usage_cv", "usage_entropy",
           "dead_fraction", "code_entropy", "load_balance", "gini", "dispersion", "gain_invariance",
           "pattern_correlation", "setpoint_distance", "multiplicativity", "direction_cosine",
           "linear_probe_accuracy", "relative_deviation", "kl_to_exponential", "ks_to_exponential", "gamma_shape",
           "steps_to_target", "activation_drift"]


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


def window_rates(spike_times, spike_units, n_units: int, start: float, stop: float) -> np.ndarray:
    """Rate (Hz) of each unit over ``[start, stop)`` seconds, counted from its spikes.

    The sensor independent of any mechanism's own rate trace.

    Examples
    --------
    >>> window_rates([0.1, 0.2, 0.3, 1.5], [0, 0, 1, 1], 3, 0.0, 1.0).tolist()
    [2.0, 1.0, 0.0]
    """
    t, i = np.asarray(spike_times, float), np.asarray(spike_units, int)
    if not stop > start:
        raise ValueError(f"need start < stop, got {start}, {stop}")
    keep = (t >= start) & (t < stop)
    return np.bincount(i[keep], minlength=n_units)[:n_units] / (stop - start)


def coefficient_of_variation(values, axis=None):
    """Standard deviation over mean along ``axis``; ``inf`` where the mean is not positive.

    The one definition of CV used everywhere (population standard deviation, ``ddof=0``).

    Examples
    --------
    >>> coefficient_of_variation([1.0, 3.0])
    0.5
    >>> coefficient_of_variation([[1.0, 2.0], [3.0, 2.0]], axis=0).tolist()
    [0.5, 0.0]
    """
    v = np.asarray(values, dtype=float)
    if v.size == 0:
        raise ValueError("coefficient_of_variation needs at least one value")
    mean, std = v.mean(axis=axis), v.std(axis=axis)
    with np.errstate(divide="ignore", invalid="ignore"):
        cv = np.where(mean > 0, std / np.where(mean > 0, mean, 1.0), np.inf)
    return float(cv) if np.ndim(cv) == 0 else cv


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
    return coefficient_of_variation(unit_usage(activity))


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
    return {"mean_dispersion": coefficient_of_variation(a.mean(axis=0)),
            "spread_dispersion": coefficient_of_variation(a.std(axis=0))}


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


def direction_cosine(before, after, groups=None) -> np.ndarray:
    """Cosine between each unit's incoming weight vector before and after (1: direction kept).

    ``before`` and ``after`` are either ``(inputs, units)`` matrices (one column per unit,
    the ANN layout) or flat per-synapse arrays with ``groups`` giving each synapse's
    postsynaptic unit (the Brian2 layout). Returns one cosine per unit.

    Examples
    --------
    >>> import numpy as np
    >>> w = np.array([[1.0, 0.0], [1.0, 2.0]])
    >>> direction_cosine(w, w * [3.0, 0.5]).round(6).tolist()
    [1.0, 1.0]
    >>> direction_cosine([1.0, 0.0, 1.0], [0.0, 1.0, 1.0], groups=[0, 0, 1]).round(6).tolist()
    [0.0, 1.0]
    """
    a, b = np.asarray(before, float), np.asarray(after, float)
    if a.shape != b.shape:
        raise ValueError(f"before and after must have the same shape, got {a.shape} and {b.shape}")
    if groups is not None:
        g = np.asarray(groups)
        if g.shape != a.shape or a.ndim != 1:
            raise ValueError("with groups, before, after and groups must be flat arrays of the same length")
        return np.array([direction_cosine(a[g == u, None], b[g == u, None])[0] for u in np.unique(g)])
    if a.ndim != 2:
        raise ValueError(f"before and after must be (inputs, units) matrices, got shape {a.shape}")
    norms = np.linalg.norm(a, axis=0) * np.linalg.norm(b, axis=0)
    if np.any(norms == 0):
        raise ValueError("a unit has an all-zero weight vector: its direction is undefined")
    return np.sum(a * b, axis=0) / norms


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


def _sample(y, name="y") -> np.ndarray:
    y = np.asarray(y, dtype=float).ravel()
    if y.size < 2 or not np.all(np.isfinite(y)):
        raise ValueError(f"{name} must hold at least two finite values")
    return y


def kl_to_exponential(y, mean: float, bins: int = 50, upper: float = 1.0) -> float:
    """KL divergence (nats) of the histogram of ``y`` from an exponential of ``mean`` on ``[0, upper]``.

    The exponential is truncated to the range of the output (a sigmoid's ``[0, 1]``) and
    renormalized, so a perfect match gives 0. With 50 bins it is a weak test of shape: for
    2000 samples of mean 0.2 an exponential scores 0.01-0.02 and a gamma of shape 1.2 only
    0.02-0.03; use :func:`gamma_shape` to tell the shape apart.

    Examples
    --------
    >>> import numpy as np
    >>> y = np.random.default_rng(0).exponential(0.2, 100_000)
    >>> kl_to_exponential(y[y < 1], 0.2) < 0.01
    True
    """
    y = _sample(y)
    if not mean > 0 or not upper > 0:
        raise ValueError(f"mean and upper must be positive, got {mean}, {upper}")
    edges = np.linspace(0.0, upper, bins + 1)
    p, _ = np.histogram(y, edges)
    if p.sum() == 0:
        raise ValueError(f"no value of y lies in [0, {upper}]")
    p = p / p.sum()
    cdf = 1 - np.exp(-edges / mean)
    q = np.diff(cdf) / cdf[-1]
    nz = p > 0
    return float(np.sum(p[nz] * np.log(p[nz] / q[nz])))


def ks_to_exponential(y, mean: float, upper: float | None = None) -> float:
    """Kolmogorov-Smirnov distance of ``y`` from an exponential of ``mean`` (truncated at ``upper``).

    The largest gap between the empirical and the exponential cumulative distribution: it
    grows with a wrong mean as well as a wrong shape.

    Examples
    --------
    >>> import numpy as np
    >>> ks_to_exponential(np.random.default_rng(0).exponential(0.2, 10_000), 0.2) < 0.02
    True
    """
    y = np.sort(_sample(y))
    if not mean > 0 or (upper is not None and not upper > 0):
        raise ValueError(f"mean and upper must be positive, got {mean}, {upper}")
    x = y if upper is None else np.clip(y, 0.0, upper)
    cdf = 1 - np.exp(-np.maximum(x, 0.0) / mean)
    if upper is not None:
        cdf = cdf / (1 - np.exp(-upper / mean))
    n = y.size
    return float(max(np.max(np.arange(1, n + 1) / n - cdf), np.max(cdf - np.arange(n) / n)))


def gamma_shape(y, upper: float | None = None) -> float:
    """Maximum-likelihood shape ``k`` of a gamma distribution fitted to positive samples ``y``.

    Scale-free: it tests the shape apart from the mean. An exponential has ``k = 1``; a
    gamma(1.2) sample gives about 1.2 and a half-normal about 1.35, whatever their mean.
    Without ``upper`` the estimate solves ``log k - digamma(k) = log(mean y) - mean(log y)``.
    Samples that cannot exceed ``upper`` (a sigmoid's output below 1) are fitted with the
    gamma truncated there: the plain fit would read the missing tail as a larger shape
    (an exponential of mean 0.2 cut at 1 would give about 1.04). The standard error is
    about ``1 / sqrt(0.645 n)`` near ``k = 1`` (0.03 for 2000 samples).

    Examples
    --------
    >>> import numpy as np
    >>> round(gamma_shape(np.random.default_rng(0).exponential(3.0, 100_000)), 1)
    1.0
    >>> y = np.random.default_rng(0).exponential(0.25, 40_000)
    >>> round(gamma_shape(y[y < 1], upper=1.0), 1)
    1.0
    """
    from scipy import optimize
    from scipy.special import digamma, gammainc, gammaln

    y = _sample(y)
    if np.any(y <= 0):
        raise ValueError("gamma_shape needs strictly positive samples (the log of each enters the fit)")
    if upper is not None and not np.max(y) <= upper:
        raise ValueError(f"upper ({upper}) must bound every sample (largest {np.max(y)})")
    s = float(np.log(y.mean()) - np.log(y).mean())
    if s <= 0:  # all samples equal: no spread, the shape is unbounded
        return float("inf")
    # log k - digamma(k) falls monotonically from +inf to 0, so the root is bracketed
    k = float(optimize.brentq(lambda k: np.log(k) - digamma(k) - s, 1e-6, 1e8))
    if upper is None:
        return k

    n, sum_log, total = y.size, float(np.log(y).sum()), float(y.sum())

    def nll(log_params):  # from the sufficient statistics; the last term renormalizes to [0, upper]
        shape, scale = np.exp(log_params)
        log_density = (shape - 1) * sum_log - total / scale - n * (shape * np.log(scale) + gammaln(shape))
        return -(log_density - n * np.log(gammainc(shape, upper / scale)))

    fit = optimize.minimize(nll, [np.log(k), np.log(y.mean() / k)], method="Nelder-Mead",
                            options={"xatol": 1e-6, "fatol": 1e-9, "maxiter": 2000})
    if not fit.success:
        raise RuntimeError(f"the truncated gamma fit did not converge: {fit.message}")
    return float(np.exp(fit.x[0]))


def steps_to_target(steps, values, target):
    """The first recorded step at which ``values`` reach ``target``; None if they never do.

    Speed of learning read off a recorded curve (test accuracy against step): no
    interpolation between records, so its resolution is the recording interval.

    Parameters
    ----------
    steps : array-like of int, increasing
        Steps at which the curve was recorded.
    values : array-like
        The curve, one value per recorded step (NaN never counts as reached).
    target : float

    Examples
    --------
    >>> steps_to_target([100, 200, 300], [0.5, 0.71, 0.9], 0.7)
    200
    >>> steps_to_target([100, 200], [0.5, 0.6], 0.7) is None
    True
    """
    s, v = np.asarray(steps), np.asarray(values, dtype=float)
    if s.ndim != 1 or s.shape != v.shape or s.size == 0:
        raise ValueError(f"steps and values must be non-empty 1-D arrays of one length, got {s.shape} and {v.shape}")
    if np.any(np.diff(s) <= 0):
        raise ValueError("steps must be strictly increasing")
    if not np.isfinite(target):
        raise ValueError(f"target must be finite, got {target!r}")
    reached = np.flatnonzero(v >= target)
    return int(s[reached[0]]) if reached.size else None


def activation_drift(mean, std) -> float:
    """How far units' activity statistics move between successive measurements, relative to their size.

    ``mean[t, j]`` and ``std[t, j]`` are unit ``j``'s mean and standard deviation at
    measurement ``t`` (over a fixed probe batch for a hidden unit; over the time bins of a
    window for a spiking neuron). With the unit's size ``a[t, j] = sqrt(mean**2 + std**2)``
    (its root-mean-square activity), the drift between measurements ``t - 1`` and ``t`` is

    .. math:: D_t = \\frac{\\sum_j |m_{t,j} - m_{t-1,j}| + |s_{t,j} - s_{t-1,j}|}
                         {\\sum_j (a_{t,j} + a_{t-1,j}) / 2},

    and the result is the mean of ``D_t`` over ``t = 1 .. T-1`` (0 for an interval in which
    every unit is silent at both ends). Dividing by the layer's summed size, not unit by
    unit, keeps silent units from dividing by zero and makes the number independent of the
    units' scale: multiplying all activity by a constant leaves it unchanged, while a layer
    whose activity doubles from one measurement to the next scores 2/3.

    Parameters
    ----------
    mean, std : array-like, shape (measurements, units)

    Returns
    -------
    float
        Mean relative change per interval: 0 for statistics that never move.

    Examples
    --------
    >>> import numpy as np
    >>> activation_drift(np.ones((5, 3)), np.ones((5, 3)))
    0.0
    >>> round(activation_drift([[1.0, 1.0], [2.0, 2.0]], [[0.0, 0.0], [0.0, 0.0]]), 4)
    0.6667
    """
    m, s = np.asarray(mean, dtype=float), np.asarray(std, dtype=float)
    if m.ndim != 2 or m.shape != s.shape or m.shape[0] < 2 or m.shape[1] == 0:
        raise ValueError(f"mean and std must be (measurements >= 2, units) arrays of one shape, got {m.shape} "
                         f"and {s.shape}")
    if not (np.all(np.isfinite(m)) and np.all(np.isfinite(s))) or np.any(s < 0):
        raise ValueError("mean and std must be finite, std non-negative")
    size = np.hypot(m, s).sum(axis=1)
    moved = (np.abs(np.diff(m, axis=0)) + np.abs(np.diff(s, axis=0))).sum(axis=1)
    scale = (size[1:] + size[:-1]) / 2
    drift = np.divide(moved, scale, out=np.zeros_like(moved), where=scale > 0)
    return float(drift.mean())
