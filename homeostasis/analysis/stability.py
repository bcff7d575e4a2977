"""Stability of a network's rate under plasticity: the set-point band, runaway, a critical time constant.

A run is *stable* when its population rate stays inside a band around the set point,
``target / factor <= rate <= factor * target``, at every bin after an initial settling
time; it *runs away* at the first bin whose rate exceeds the upper edge ``factor * target``
(the runaway bound). Over a ladder of homeostatic time constants, the critical time constant
is bracketed by the largest stable value below the smallest unstable one.

The rates are counted from spikes (:func:`population_rate`), not read from a mechanism's own
rate estimate, so the verdict does not depend on the sensor it judges.

Examples
--------
>>> import numpy as np
>>> t = np.arange(0.0, 5.0, 0.5)
>>> verdict = rate_stability(t, np.array([5, 5, 6, 8, 12, 20, 30, 30, 30, 30.0]), target=5.0, factor=2.0, width=0.5)
>>> verdict["stable"], verdict["runaway_time_s"]
(False, 2.5)
>>> critical_bracket([0.5, 2.0, 8.0, 32.0], [True, True, False, False])
(2.0, 8.0)
"""
from __future__ import annotations

import numpy as np

from .metrics import binned_rates

__all__ = ["population_rate", "rate_stability", "critical_bracket"]


def population_rate(spike_times, spike_units, n_units: int, duration: float, width: float):
    """Mean rate (Hz) of ``n_units`` neurons in bins of ``width`` seconds: ``(bin starts, rates)``.

    Examples
    --------
    >>> t, rate = population_rate([0.1, 0.2, 0.7], [0, 1, 1], 2, 1.0, 0.5)
    >>> t.tolist(), rate.tolist()
    ([0.0, 0.5], [2.0, 1.0])
    """
    rates = binned_rates(spike_times, spike_units, n_units, 0.0, duration, width)
    return np.arange(rates.shape[0]) * width, rates.mean(axis=1)


def rate_stability(t, rate, target: float, factor: float, width: float, settle: float = 0.0) -> dict:
    """Whether a binned population rate stayed within ``factor`` of ``target``, and when it left.

    Parameters
    ----------
    t : array
        Start of each bin (seconds).
    rate : array
        Population rate in each bin (Hz).
    target : float
        Set point (Hz).
    factor : float
        Half-width of the band, as a factor (> 1): the band is ``[target/factor, factor*target]``.
    width : float
        Bin width (seconds); the runaway time is the end of the first bin above the band.
    settle : float
        Bins starting before this time (the network leaving its initial condition) are
        not judged.

    Returns
    -------
    dict
        ``stable`` (bool), ``runaway_time_s`` (end of the first bin above ``factor *
        target``, or ``None``), ``silenced_time_s`` (end of the first bin below ``target /
        factor``, or ``None``), ``peak_factor`` and ``trough_factor`` (the largest and
        smallest judged rate over ``target``).
    """
    t, rate = np.asarray(t, float), np.asarray(rate, float)
    if t.shape != rate.shape or t.size == 0:
        raise ValueError(f"t and rate must be non-empty arrays of one shape, got {t.shape} and {rate.shape}")
    if not factor > 1:
        raise ValueError(f"factor must be larger than 1, got {factor!r}")
    if not (target > 0 and width > 0):
        raise ValueError(f"target and width must be positive, got {target!r}, {width!r}")
    if not np.all(np.isfinite(rate)):
        raise ValueError("rate must be finite")
    judged = t >= settle
    if not judged.any():
        raise ValueError(f"no bin starts after settle = {settle} s (the last starts at {t[-1]} s)")
    above = judged & (rate > factor * target)
    below = judged & (rate < target / factor)
    first = lambda mask: float(t[np.argmax(mask)] + width) if mask.any() else None  # noqa: E731
    return {
        "stable": not (above.any() or below.any()),
        "runaway_time_s": first(above),
        "silenced_time_s": first(below),
        "peak_factor": float(rate[judged].max() / target),
        "trough_factor": float(rate[judged].min() / target),
    }


def critical_bracket(values, stable) -> tuple:
    """``(largest stable value below the smallest unstable one, smallest unstable value)``.

    ``values`` are the time constants tried (any order) and ``stable`` the verdict of each;
    an element is ``None`` when no value of that kind exists (every run stable, or none).
    When the verdicts are not monotone (a stable value above an unstable one), the bracket
    still ends at the smallest unstable value; :func:`rate_stability` of each run tells more.

    Examples
    --------
    >>> critical_bracket([1.0, 4.0], [True, True])
    (4.0, None)
    """
    values, stable = np.asarray(values, float), np.asarray(stable, bool)
    if values.shape != stable.shape or values.ndim != 1:
        raise ValueError(f"values and stable must be 1-D of one length, got {values.shape} and {stable.shape}")
    unstable = values[~stable]
    high = float(unstable.min()) if unstable.size else None
    below = values[stable & (values < high)] if high is not None else values[stable]
    low = float(below.max()) if below.size else None
    return low, high
