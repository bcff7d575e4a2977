"""Analysis shared by both sides: load-balancing metrics and the four-scale correspondence."""
from .metrics import (code_entropy, dead_fraction, linear_probe_accuracy, load_balance, multiplicativity,
                      relative_deviation, unit_usage, usage_cv, usage_entropy)

__all__ = ["code_entropy", "dead_fraction", "linear_probe_accuracy", "load_balance", "multiplicativity",
           "relative_deviation", "unit_usage", "usage_cv", "usage_entropy"]
