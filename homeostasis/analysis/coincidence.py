"""Spike coincidences between connected neurons, and grouping of neurons by a property.

The Vogels et al. (2011) inhibitory rule changes an I->E weight at the rate
``eta rho_pre (2 tau kappa rho_post - alpha)``, where ``kappa`` is the *coincidence ratio*:
the rate of near-coincident pre/post spike pairs (each pair weighted by
``exp(-|t_post - t_pre| / tau)``) over its value for independent spike trains of the same
rates, ``2 tau rho_post rho_pre``. Its fixed point is ``rho_post = rho_0 / kappa``, so a
network whose neurons fire in step with their inhibition (``kappa > 1``) settles below the
set point. :func:`coincidence_rates` measures ``kappa`` from recorded spikes.

Examples
--------
>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> post_t = np.sort(rng.uniform(0, 100, 1000)); pre_t = np.sort(rng.uniform(0, 100, 2000))
>>> observed, chance = coincidence_rates(post_t, np.zeros(1000, int), pre_t, np.zeros(2000, int),
...                                      [0], [0], 1, 0.0, 100.0, tau=0.02)
>>> bool(abs(observed.sum() / chance.sum() - 1) < 0.1)  # independent trains: kappa near 1
True
"""
from __future__ import annotations

import numpy as np

__all__ = ["trace_at", "pair_sum", "coincidence_rates", "quantile_groups"]


def trace_at(spikes, times, tau: float) -> np.ndarray:
    """Sum of ``exp(-(t - s) / tau)`` over the sorted ``spikes`` ``s <= t``, for each ``t`` of ``times``.

    The value an exponential spike trace (+1 per spike, time constant ``tau``) has at each
    time, computed in one pass over the spikes.
    """
    spikes, times = np.asarray(spikes, float), np.asarray(times, float)
    if not len(spikes):
        return np.zeros(len(times))
    # the running trace just after each spike: x_k = 1 + x_{k-1} exp(-(s_k - s_{k-1}) / tau)
    after_spike = np.empty(len(spikes))
    acc, last = 0.0, None
    for n, s in enumerate(spikes):
        acc = 1.0 + (acc * np.exp(-(s - last) / tau) if last is not None else 0.0)
        after_spike[n], last = acc, s
    k = np.searchsorted(spikes, times, side="right") - 1
    safe = np.maximum(k, 0)
    return np.where(k >= 0, after_spike[safe] * np.exp(-(times - spikes[safe]) / tau), 0.0)


def pair_sum(spikes, times, tau: float) -> float:
    """Sum of ``exp(-|t - s| / tau)`` over all pairs of sorted ``spikes`` and ``times``.

    A pair at the same instant counts once.

    Examples
    --------
    >>> round(pair_sum([0.0, 1.0], [0.5], tau=1.0), 4)  # 2 exp(-1/2)
    1.2131
    """
    spikes, times = np.asarray(spikes, float), np.asarray(times, float)
    before = trace_at(spikes, times, tau)  # s <= t
    after = trace_at(-spikes[::-1], -times, tau)  # s >= t
    same = np.searchsorted(spikes, times, side="right") - np.searchsorted(spikes, times, side="left")
    return float((before + after - same).sum())


def coincidence_rates(post_t, post_i, pre_t, pre_i, pre, post, n_post: int, start: float, stop: float,
                      tau: float = 0.02) -> tuple:
    """Per postsynaptic neuron: its coincidences with its presynaptic inputs, and their chance level.

    Parameters
    ----------
    post_t, post_i : array_like
        Postsynaptic spike times (s) and neuron indices.
    pre_t, pre_i : array_like
        Presynaptic spike times (s) and neuron indices.
    pre, post : array_like of int
        The connections, one presynaptic and one postsynaptic index per synapse.
    n_post : int
        Number of postsynaptic neurons.
    start, stop : float
        The window (s). Postsynaptic spikes count inside it; presynaptic ones only from
        ``10 tau`` inside either edge, so that every one has all its partners (a change of
        the input just after ``stop`` must not leak in).
    tau : float
        Time constant (s) of the pair weighting ``exp(-|t_post - t_pre| / tau)``.

    Returns
    -------
    observed, chance : ndarray
        Rates (Hz) per postsynaptic neuron: of weighted pairs, and of what independent spike
        trains of the same rates would give, ``2 tau rho_i sum_j rho_j``.
        ``observed.sum() / chance.sum()`` is the pooled coincidence ratio, ``observed / chance``
        each neuron's (NaN without inputs or spikes).
    """
    post_t, post_i = np.asarray(post_t, float), np.asarray(post_i, int)
    pre_t, pre_i = np.asarray(pre_t, float), np.asarray(pre_i, int)
    pre, post = np.asarray(pre, int), np.asarray(post, int)
    if not tau > 0:
        raise ValueError(f"tau must be positive, got {tau}")
    lo, hi = start + 10 * tau, stop - 10 * tau
    if not hi > lo:
        raise ValueError(f"the window [{start}, {stop}) s must be longer than 20 tau = {20 * tau} s")
    inside = (post_t >= start) & (post_t < stop)
    post_t, post_i = post_t[inside], post_i[inside]
    central = (pre_t >= lo) & (pre_t < hi)
    pre_t, pre_i = pre_t[central], pre_i[central]
    n_pre = int(max(pre.max(initial=-1), pre_i.max(initial=-1))) + 1
    connected = np.zeros((n_pre, n_post), dtype=bool)
    connected[pre, post] = True
    post_rate = np.bincount(post_i, minlength=n_post) / (stop - start)
    pre_rate = np.bincount(pre_i, minlength=n_pre) / (hi - lo)
    observed = np.zeros(n_post)
    for i in np.flatnonzero(post_rate):
        times = pre_t[connected[pre_i, i]]
        observed[i] = pair_sum(np.sort(post_t[post_i == i]), np.sort(times), tau) / (hi - lo)
    chance = 2 * tau * post_rate * (connected * pre_rate[:, None]).sum(axis=0)
    return observed, chance


def quantile_groups(values, n_groups: int = 5) -> list:
    """Disjoint integer ranges of ``values`` holding about equal numbers of items.

    Returns a list of ``(label, mask)``: the label ``"lo-hi"`` (or ``"v"`` for a range of one
    value) and the boolean mask of the items in it.

    Examples
    --------
    >>> [label for label, _ in quantile_groups(np.arange(11), 2)]
    ['0-4', '5-10']
    """
    values = np.asarray(values)
    if values.size == 0:
        raise ValueError("values is empty")
    if n_groups < 1:
        raise ValueError(f"n_groups must be at least 1, got {n_groups}")
    edges = np.unique(np.quantile(values, np.linspace(0, 1, n_groups + 1)[1:-1]).round().astype(int))
    lows = [int(values.min())] + [int(e) for e in edges if e > values.min()]
    groups = []
    for k, lo in enumerate(lows):
        hi = lows[k + 1] - 1 if k + 1 < len(lows) else int(values.max())
        mask = (values >= lo) & (values <= hi)
        if mask.any():
            groups.append((str(lo) if lo == hi else f"{lo}-{hi}", mask))
    return groups
