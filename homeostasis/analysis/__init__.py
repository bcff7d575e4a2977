"""Analysis shared by both sides: load-balancing metrics and the four-scale correspondence."""
from .correspondence import pairs
from .metrics import (binned_rates, code_entropy, dead_fraction, dispersion, gain_invariance, gini, linear_probe_accuracy,
                      load_balance, multiplicativity, pattern_correlation, relative_deviation, setpoint_distance,
                      unit_usage, usage_cv, usage_entropy)

__all__ = ["pairs", "binned_rates", "code_entropy", "dead_fraction", "dispersion", "gain_invariance", "gini",
           "linear_probe_accuracy", "load_balance", "multiplicativity", "pattern_correlation", "relative_deviation",
           "setpoint_distance", "unit_usage", "usage_cv", "usage_entropy"]
