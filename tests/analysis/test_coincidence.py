"""The coincidence ratio of the Vogels rule, measured from spikes, against brute force and known cases."""
import numpy as np
import pytest

from homeostasis.analysis import coincidence_rates, pair_sum, quantile_groups, trace_at


def test_pair_sum_equals_the_explicit_double_sum():
    rng = np.random.default_rng(3)
    spikes, times = np.sort(rng.uniform(0, 5, 80)), np.sort(rng.uniform(0, 5, 60))
    times[:5] = spikes[10:15]  # pairs at the same instant count once
    times.sort()
    explicit = np.exp(-np.abs(times[:, None] - spikes[None, :]) / 0.02).sum()
    assert pair_sum(spikes, times, 0.02) == pytest.approx(explicit, rel=1e-10)


def test_trace_at_is_the_exponential_trace_of_the_spikes_before():
    spikes, times = np.array([0.1, 0.15, 0.4]), np.array([0.0, 0.12, 0.5])
    explicit = [np.exp(-(t - spikes[spikes <= t]) / 0.05).sum() for t in times]
    np.testing.assert_allclose(trace_at(spikes, times, 0.05), explicit, rtol=1e-12)
    np.testing.assert_array_equal(trace_at([], times, 0.05), 0.0)


def _poisson(rng, rate, duration):
    return np.sort(rng.uniform(0, duration, rng.poisson(rate * duration)))


def test_independent_trains_have_a_coincidence_ratio_of_one_and_locked_trains_far_more():
    rng = np.random.default_rng(0)
    duration, n_post, n_pre = 200.0, 4, 6
    post = [_poisson(rng, 5.0, duration) for _ in range(n_post)]
    pre = [_poisson(rng, 10.0, duration) for _ in range(n_pre)]
    pre_idx, post_idx = np.meshgrid(np.arange(n_pre), np.arange(n_post), indexing="ij")

    def ratio(pre_trains):
        post_t = np.concatenate(post); post_i = np.repeat(np.arange(n_post), [len(p) for p in post])
        pre_t = np.concatenate(pre_trains); pre_i = np.repeat(np.arange(n_pre), [len(p) for p in pre_trains])
        observed, chance = coincidence_rates(post_t, post_i, pre_t, pre_i, pre_idx.ravel(), post_idx.ravel(),
                                             n_post, 0.0, duration, tau=0.02)
        return observed / chance

    np.testing.assert_allclose(ratio(pre), 1.0, atol=0.1)
    # every inhibitory input also fires 2 ms after each spike of postsynaptic neuron 0: about
    # exp(-0.1) = 0.9 more pairs per input and spike of neuron 0, nothing for the others
    locked = ratio([np.sort(np.concatenate([p, post[0] + 0.002])) for p in pre])
    assert locked[0] > 1.8
    np.testing.assert_allclose(locked[1:], 1.0, atol=0.1)


def test_coincidence_window_must_hold_the_pair_kernel():
    with pytest.raises(ValueError, match="longer than 20 tau"):
        coincidence_rates([], [], [], [], [0], [0], 1, 0.0, 0.3, tau=0.02)


def test_quantile_groups_split_into_equal_halves_and_cover_every_item():
    values = np.repeat(np.arange(20, 60), 3)
    groups = quantile_groups(values, 4)
    assert len(groups) == 4
    masks = np.array([m for _, m in groups])
    np.testing.assert_array_equal(masks.sum(axis=0), 1)  # disjoint, and every item in one
    assert np.ptp(masks.sum(axis=1)) <= 6  # groups end between values repeated 3 times
    with pytest.raises(ValueError, match="empty"):
        quantile_groups([])
