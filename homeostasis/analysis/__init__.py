"""Analysis shared by both sides: load-balancing metrics, distribution shape and the four-scale correspondence.

Every number an experiment reports is computed here, once; experiments and tests call these
functions instead of writing their own.
"""
from .coincidence import coincidence_rates, pair_sum, quantile_groups, trace_at
from .correspondence import pairs
from .metrics import (binned_rates, code_entropy, coefficient_of_variation, dead_fraction, direction_cosine,
                      dispersion, gain_invariance, gamma_shape, gini, kl_to_exponential, ks_to_exponential,
                      linear_probe_accuracy, load_balance, multiplicativity, pattern_correlation, relative_deviation,
                      setpoint_distance, unit_usage, usage_cv, usage_entropy, window_rates)
from .metrics import activation_drift, steps_to_target

__all__ = ["pairs", "binned_rates", "code_entropy", "coefficient_of_variation", "dead_fraction", "direction_cosine",
           "dispersion", "gain_invariance", "gamma_shape", "gini", "kl_to_exponential", "ks_to_exponential",
           "linear_probe_accuracy", "load_balance", "multiplicativity", "pattern_correlation", "relative_deviation",
           "setpoint_distance", "unit_usage", "usage_cv", "usage_entropy", "window_rates", "activation_drift",
           "steps_to_target", "coincidence_rates", "pair_sum", "quantile_groups", "trace_at"]
