"""The stability verdicts of homeostasis.analysis.stability on rates whose answer is known."""
import numpy as np
import pytest

from homeostasis.analysis.stability import critical_bracket, population_rate, rate_stability


def test_population_rate_counts_spikes_per_neuron_and_bin():
    # 3 neurons, 1 s in 0.5 s bins: 3 spikes in the first bin, 6 in the second
    t = [0.1, 0.2, 0.3] + [0.6] * 6
    i = [0, 1, 2] + [0, 0, 1, 1, 2, 2]
    starts, rate = population_rate(t, i, 3, 1.0, 0.5)
    np.testing.assert_allclose(starts, [0.0, 0.5])
    np.testing.assert_allclose(rate, [3 / 3 / 0.5, 6 / 3 / 0.5])


def test_a_rate_inside_the_band_is_stable_and_has_no_runaway_time():
    t = np.arange(0, 10, 0.25)
    rate = 5 + np.sin(t)  # 4..6 Hz, inside [2.5, 10]
    verdict = rate_stability(t, rate, target=5.0, factor=2.0, width=0.25)
    assert verdict["stable"] and verdict["runaway_time_s"] is None and verdict["silenced_time_s"] is None
    assert verdict["peak_factor"] == pytest.approx(rate.max() / 5)


def test_runaway_time_is_the_end_of_the_first_bin_above_the_bound_after_settling():
    t = np.arange(0, 4, 0.5)
    rate = np.array([30.0, 5, 6, 9, 10.5, 30, 40, 40])  # the first bin is not judged
    verdict = rate_stability(t, rate, target=5.0, factor=2.0, width=0.5, settle=0.5)
    assert not verdict["stable"]
    assert verdict["runaway_time_s"] == pytest.approx(2.5)  # bin [2.0, 2.5) holds 10.5 Hz > 10 Hz
    assert verdict["peak_factor"] == pytest.approx(8.0)


def test_a_silenced_network_is_unstable_without_running_away():
    t = np.arange(0, 2, 0.5)
    verdict = rate_stability(t, np.array([5.0, 3, 2, 1]), target=5.0, factor=2.0, width=0.5)
    assert not verdict["stable"] and verdict["runaway_time_s"] is None
    assert verdict["silenced_time_s"] == pytest.approx(1.5)


@pytest.mark.parametrize("values, stable, expected", [
    ([0.25, 1, 4, 16], [True, True, False, False], (1.0, 4.0)),
    ([16, 0.25, 4, 1], [False, True, False, True], (1.0, 4.0)),  # any order
    ([1, 4], [True, True], (4.0, None)),
    ([1, 4], [False, False], (None, 1.0)),
    ([1, 2, 4, 8], [True, False, True, False], (1.0, 2.0)),  # not monotone: ends at the smallest unstable
])
def test_critical_bracket(values, stable, expected):
    assert critical_bracket(values, stable) == expected


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="factor"):
        rate_stability([0.0], [5.0], target=5.0, factor=1.0, width=0.25)
    with pytest.raises(ValueError, match="settle"):
        rate_stability([0.0], [5.0], target=5.0, factor=2.0, width=0.25, settle=1.0)
    with pytest.raises(ValueError, match="finite"):
        rate_stability([0.0], [np.nan], target=5.0, factor=2.0, width=0.25)
