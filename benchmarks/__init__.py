"""Performance benchmarks (``make bench``): ratios measured side by side in one run.

Not part of the test suite: the machines are shared and noisy, so timings are reported, not
asserted.
"""
