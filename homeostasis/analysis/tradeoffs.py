"""Metrics of the trade-offs battery: how a homeostatic mechanism answers a perturbation, and what it costs.

Each function reads a sensor independent of the mechanism it judges: rates counted from
spikes, a decoder trained and tested on different trials, weights read from the synapses.
Times are in seconds and rates in Hz, as plain floats or arrays.

- :func:`recovery_time`: time after the perturbation until the rate is back within a
  tolerance (10 %) of its baseline *and stays there*; ``None`` if it never is;
- :func:`residual_error`: relative distance of the final rate from the baseline;
- :func:`overshoot`: how far the rate swings past the baseline on the side opposite to the
  perturbation's push, relative to the baseline;
- :func:`decoder_accuracy`: cross-validated accuracy of a linear decoder of the stimulus
  from spike counts (each trial predicted by a decoder that did not see it);
- :func:`weight_correlation`: how well each neuron's relative incoming weights (the ratios
  ``w_i / w_j``) are kept: the concordance correlation of its log-weights before and after,
  averaged over neurons (1: every ratio kept, 0: ratios erased or reshuffled);
- :func:`active_fraction`: the fraction of neurons firing above a rate, averaged over bins
  (the quantity ``InhibitoryPool`` holds, counted from spikes);
- :func:`spike_cost`: mean rate after the perturbation over the baseline rate.

Examples
--------
>>> import numpy as np
>>> t = np.arange(0, 10, 0.1)
>>> rate = np.where(t < 2, 5.0, 5.0 * (1 - 0.5 * np.exp(-(t - 2) / 1.0)))
>>> round(recovery_time(t, rate, baseline=5.0, t_perturb=2.0), 1)  # tau * ln(5) = 1.61
1.7
"""
from __future__ import annotations

import numpy as np


__all__ = ["recovery_time", "residual_error", "overshoot", "decoder_accuracy", "weight_correlation", "spike_cost",
           "initial_deviation", "active_fraction"]


def _trace(t, rate):
    t, rate = np.asarray(t, float), np.asarray(rate, float)
    if t.ndim != 1 or t.shape != rate.shape or t.size == 0:
        raise ValueError(f"t and rate must be non-empty 1-d arrays of one length, got shapes {t.shape} and {rate.shape}")
    if not (np.all(np.isfinite(t)) and np.all(np.isfinite(rate))):
        raise ValueError("t and rate must be finite (no NaN or inf)")
    if np.any(np.diff(t) <= 0):
        raise ValueError("t must increase strictly")
    return t, rate


def _baseline(baseline) -> float:
    b = float(baseline)
    if not (np.isfinite(b) and b > 0):
        raise ValueError(f"baseline must be a positive finite rate, got {baseline!r}")
    return b


def recovery_time(t, rate, baseline, t_perturb, tolerance: float = 0.1):
    """Time from ``t_perturb`` to the first sample after which ``rate`` stays within ``tolerance`` of ``baseline``.

    ``t`` are sample times (e.g. bin ends: a bin's rate is known once it has been counted),
    ``rate`` the rate measured at them. The answer is ``t_k - t_perturb`` for the first
    ``t_k >= t_perturb`` such that every sample from ``t_k`` to the end lies in
    ``baseline * (1 +- tolerance)``: 0 if the rate never left the band, ``None`` if the last
    sample is outside it (the rate has not recovered by the end of the record). Requiring the
    rate to *stay* makes a single noisy sample crossing the band on the way no recovery.

    Examples
    --------
    >>> recovery_time([1, 2, 3, 4], [5.0, 2.0, 4.8, 5.1], baseline=5.0, t_perturb=1.5)
    1.5
    >>> recovery_time([1, 2, 3], [5.0, 2.0, 2.5], baseline=5.0, t_perturb=1.5) is None
    True
    """
    t, rate = _trace(t, rate)
    b = _baseline(baseline)
    if not 0 < tolerance < 1:
        raise ValueError(f"tolerance must lie in (0, 1), got {tolerance}")
    after = t >= t_perturb
    if not after.any():
        raise ValueError(f"no sample at or after t_perturb = {t_perturb}")
    inside = np.abs(rate[after] / b - 1) <= tolerance
    if not inside[-1]:
        return None
    outside = np.flatnonzero(~inside)
    first = 0 if outside.size == 0 else outside[-1] + 1
    return float(t[after][first] - t_perturb)


def initial_deviation(t, rate, baseline, t_perturb, window: float) -> float:
    """Mean relative deviation ``rate / baseline - 1`` over ``[t_perturb, t_perturb + window]``: the push's sign."""
    t, rate = _trace(t, rate)
    b = _baseline(baseline)
    sel = (t >= t_perturb) & (t <= t_perturb + window)
    if not sel.any():
        raise ValueError(f"no sample in [{t_perturb}, {t_perturb + window}]")
    return float(rate[sel].mean() / b - 1)


def overshoot(t, rate, baseline, t_perturb, direction=None, window: float | None = None) -> float:
    """Largest relative excursion past ``baseline`` against the perturbation's push (0 if none).

    A perturbation pushes the rate one way (``direction`` +1 up, -1 down; by default the
    sign of the mean deviation over the first ``window`` seconds after ``t_perturb``, a tenth
    of the record after it if not given). A controller that corrects too hard carries the
    rate past the baseline the other way: the overshoot is the largest
    ``-direction * (rate / baseline - 1)`` after ``t_perturb``, or 0 if the rate never crosses.

    Examples
    --------
    A damped oscillation ``1 - a exp(-t / tau) cos(w t)`` peaks past 1 at
    ``w t = pi - phi`` with ``tan(phi) = 1 / (w tau)``, by ``a exp(-(pi - phi) / (w tau)) cos(phi)``:

    >>> import numpy as np
    >>> t = np.linspace(0, 20, 20001)
    >>> r = 1 - 0.5 * np.exp(-t / 2.0) * np.cos(np.pi * t / 2.0)
    >>> phi = np.arctan(1 / np.pi)
    >>> round(overshoot(t, r, 1.0, 0.0, direction=-1), 4), round(float(0.5 * np.exp(-(np.pi - phi) / np.pi) * np.cos(phi)), 4)
    (0.1933, 0.1933)
    """
    t, rate = _trace(t, rate)
    b = _baseline(baseline)
    after = t >= t_perturb
    if not after.any():
        raise ValueError(f"no sample at or after t_perturb = {t_perturb}")
    if direction is None:
        span = t[after][-1] - t_perturb
        dev = initial_deviation(t, rate, b, t_perturb, window if window is not None else max(span / 10, 1e-12))
        direction = 1.0 if dev >= 0 else -1.0
    if direction not in (1, -1, 1.0, -1.0):
        raise ValueError(f"direction must be +1 or -1, got {direction!r}")
    return float(max(0.0, np.max(-direction * (rate[after] / b - 1))))


def residual_error(t, rate, baseline, window: float) -> float:
    """``|mean rate over the last window seconds / baseline - 1|``: what is left of the perturbation at the end.

    Examples
    --------
    >>> round(residual_error([1, 2, 3, 4], [5.0, 2.0, 4.0, 4.5], baseline=5.0, window=1.5), 6)
    0.15
    """
    t, rate = _trace(t, rate)
    b = _baseline(baseline)
    if not window > 0:
        raise ValueError(f"window must be positive, got {window}")
    sel = t > t[-1] - window  # samples are bin ends: the bins inside the last window
    return float(abs(rate[sel].mean() / b - 1))


def spike_cost(t, rate, baseline, t_perturb) -> float:
    """Mean rate from ``t_perturb`` to the end over the baseline rate (1: as many spikes as before).

    Examples
    --------
    >>> spike_cost([1, 2, 3, 4], [5.0, 10.0, 10.0, 5.0], baseline=5.0, t_perturb=1.5)
    1.6667
    """
    t, rate = _trace(t, rate)
    b = _baseline(baseline)
    after = t >= t_perturb
    if not after.any():
        raise ValueError(f"no sample at or after t_perturb = {t_perturb}")
    return round(float(rate[after].mean() / b), 4)


def decoder_accuracy(counts, labels, folds: int = 5, seed: int = 0) -> float:
    """Held-out accuracy of a linear decoder (logistic regression) of ``labels`` from ``counts``.

    ``counts`` is (trials, neurons). Stratified ``folds``-fold cross-validation: every trial
    is predicted by a decoder trained on the other folds only, so a code that does not
    generalize scores at chance (``1 / n_classes``). Counts are standardized inside each
    training fold.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> labels = np.repeat([0, 1], 20)
    >>> counts = rng.poisson(5 + 10 * labels[:, None], size=(40, 3))
    >>> decoder_accuracy(counts, labels)
    1.0
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, y = np.asarray(counts, float), np.asarray(labels)
    if X.ndim != 2 or y.shape != (X.shape[0],):
        raise ValueError(f"counts must be (trials, neurons) and labels one per trial, got {X.shape} and {y.shape}")
    if not np.all(np.isfinite(X)):
        raise ValueError("counts must be finite")
    classes, per_class = np.unique(y, return_counts=True)
    if classes.size < 2:
        raise ValueError("labels must name at least two stimuli")
    if per_class.min() < folds:
        raise ValueError(f"each stimulus needs at least folds = {folds} trials, the rarest has {per_class.min()}")
    decoder = make_pipeline(StandardScaler(), LogisticRegression(max_iter=500, C=1.0))
    cv = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    return float(cross_val_score(decoder, X, y, cv=cv).mean())


def weight_correlation(before, after, groups=None, floor: float = 0.01) -> float:
    """How well each neuron keeps its relative incoming weights: mean concordance of log-weights.

    Relative weights are the ratios ``w_i / w_j`` between a neuron's synapses. They are kept
    exactly when the neuron's weights are all multiplied by one factor, which adds one
    constant to every log-weight. So for each neuron, with ``x`` and ``y`` its log-weights
    before and after, each centred on its own mean, the score is Lin's concordance
    correlation ``2 cov(x, y) / (var x + var y) = 1 - var(y - x) / (var x + var y)``:

    - 1 for any multiplicative change (synaptic scaling, weight normalization);
    - below 1 for an additive change ``w + c``, falling toward 0 as ``c`` grows past the
      weights (every ratio tends to 1: the relative weights are erased);
    - about 0 for a random reshuffle of the weights, and below 1 for a power ``w ** a``
      (``2 a / (1 + a ** 2)``: ratios compressed or stretched).

    Pearson's correlation of the raw weights cannot see an additive change at all, and the
    cosine of the weight vectors (:func:`~homeostasis.analysis.direction_cosine`) saturates:
    for positive weights it never falls below the cosine to the uniform vector (about 0.88
    for the lognormal weights of the tradeoffs network), however large ``c``. Weights must
    be non-negative (conductances); a weight below ``floor`` times its vector's mean counts
    as that value (a silenced synapse is a ratio of ``floor`` to the mean, not ``-inf``),
    which keeps the score exactly invariant to a common factor. A neuron whose weights are
    all equal before and after scores 1. Layouts as in
    :func:`~homeostasis.analysis.direction_cosine`: ``(inputs, units)`` matrices, or flat
    per-synapse arrays with ``groups`` the postsynaptic index of each synapse.

    Examples
    --------
    >>> import numpy as np
    >>> w = np.array([[1.0, 3.0], [2.0, 1.0], [4.0, 2.0]])
    >>> weight_correlation(w, 2.5 * w)
    1.0
    >>> round(weight_correlation(w, w ** 0.5), 4)  # 2 a / (1 + a^2) at a = 1/2
    0.8
    >>> round(weight_correlation([[1.0], [4.0]], [[3.0], [6.0]]), 4)  # + 2 halves the log-ratio, as a = 1/2
    0.8
    """
    a, b = np.asarray(before, float), np.asarray(after, float)
    if a.shape != b.shape:
        raise ValueError(f"before and after must have the same shape, got {a.shape} and {b.shape}")
    if not (np.all(np.isfinite(a)) and np.all(np.isfinite(b))):
        raise ValueError("weights must be finite (no NaN or inf)")
    if np.any(a < 0) or np.any(b < 0):
        raise ValueError("weights must be non-negative (excitatory conductances): log-ratios need them")
    if not 0 < floor < 1:
        raise ValueError(f"floor must lie in (0, 1), got {floor}")
    if groups is not None:
        g = np.asarray(groups)
        if g.shape != a.shape or a.ndim != 1:
            raise ValueError("with groups, before, after and groups must be flat arrays of the same length")
        columns = [(a[g == u], b[g == u]) for u in np.unique(g)]
    elif a.ndim == 2:
        columns = list(zip(a.T, b.T))
    else:
        raise ValueError(f"before and after must be (inputs, units) matrices, got shape {a.shape}")
    if not columns or columns[0][0].size == 0:
        raise ValueError("weight_correlation needs at least one neuron with one weight")
    scores = []
    for x, y in columns:
        if x.mean() <= 0 or y.mean() <= 0:
            raise ValueError("a neuron has an all-zero weight vector: its relative weights are undefined")
        x = np.log(np.maximum(x, floor * x.mean()))
        y = np.log(np.maximum(y, floor * y.mean()))
        x, y = x - x.mean(), y - y.mean()
        spread = np.mean(x * x) + np.mean(y * y)
        scores.append(1.0 if spread <= 1e-24 else 1.0 - np.mean((y - x) ** 2) / spread)
    return float(np.round(np.mean(scores), 12))


def active_fraction(rates, active_rate) -> float:
    """Mean over bins of the fraction of units whose rate exceeds ``active_rate``.

    ``rates`` is a ``(bins, units)`` matrix of rates counted from spikes
    (:func:`~homeostasis.analysis.binned_rates`) in bins about as long as the time
    constant of the rate trace a mechanism reads: the quantity ``InhibitoryPool`` holds at
    its ``target_active_fraction``, measured without its own sensor.

    Examples
    --------
    >>> active_fraction([[0.0, 6.0, 8.0, 1.0], [6.0, 6.0, 0.0, 0.0]], active_rate=5.0)
    0.5
    """
    r = np.asarray(rates, float)
    if r.ndim != 2 or r.size == 0:
        raise ValueError(f"rates must be a non-empty (bins, units) matrix, got shape {r.shape}")
    if not np.all(np.isfinite(r)):
        raise ValueError("rates must be finite (no NaN or inf)")
    if not (np.isfinite(active_rate) and active_rate > 0):
        raise ValueError(f"active_rate must be a positive rate, got {active_rate!r}")
    return float(np.mean(r > active_rate))
