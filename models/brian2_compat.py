"""Every private Brian2 name the project still needs, each with the Brian2 versions it was checked on.

Nothing else in the project may use a private Brian2 name (tests/test_brian2_private_names.py).
On a Brian2 version not listed, each helper falls back to public behaviour or raises a clear error.
"""
from __future__ import annotations

import os
import re
import signal
import warnings

import brian2

__all__ = ["VERSION", "seed_code", "stable_main_queue", "clear_running_flag", "compile_interrupted"]

VERSION = tuple(int(x) for x in re.findall(r"\d+", brian2.__version__)[:2])

# C++ statement seeding OpenMP thread _i's generator, as brian2.seed() writes it into main.cpp.
# Checked on 2.9.0 (devices/cpp_standalone/device.py, "seed" in the main queue); used for 2.8-2.x
# unverified. 2.7: the statement of older Brian2's device.py (read, not run here).
_SEED_STATEMENT = {(2, 7): "rk_seed(_seed + _i, brian::_mersenne_twister_states[_i]);",
                   (2, 8): "brian::_random_generators[_i].seed(_seed + _i);"}


def seed_code(threads: int, variable: str = "HOMEOSTASIS_SEED") -> str | None:
    """C++ code seeding the standalone generators from environment ``variable`` when the binary
    starts (so main.cpp is the same for every seed), or None on a Brian2 version not checked:
    the caller then uses ``brian2.seed`` and compiles once per seed."""
    statement = _SEED_STATEMENT.get(VERSION) or (_SEED_STATEMENT[(2, 8)] if (2, 8) <= VERSION < (3, 0) else None)
    if statement is None:
        warnings.warn(f"Brian2 {brian2.__version__}: the seed is compiled into the project (one build per seed)",
                      stacklevel=2)
        return None
    return (f'{{ const char* _seed_text = getenv("{variable}");\n'
            f'  if (_seed_text == NULL) {{ std::cerr << "{variable} is not set" << std::endl; exit(2); }}\n'
            f"  const long _seed = strtol(_seed_text, NULL, 10);\n"
            f"  for (int _i=0; _i<{max(int(threads), 1)}; _i++) {statement} }}")


def clear_running_flag():
    """Brian2 2.9.0 (checked) leaves ``Network._globally_running`` set when a run is left by an
    exception, and would take the next Ctrl+C for a stop request; a no-op where it is absent."""
    if hasattr(brian2.Network, "_globally_running"):
        brian2.Network._globally_running = False


def compile_interrupted(error: BaseException) -> bool:
    """Whether ``error`` is Brian2's report of a ``make`` killed by SIGINT (Brian2 runs make with
    os.system, so Python sees no KeyboardInterrupt). Message checked on 2.9.0:
    "Project compilation failed (error code: N)" with N the raw wait status."""
    found = re.search(r"compilation failed \(error code: (\d+)\)", str(error))
    if not (isinstance(error, RuntimeError) and found):
        return False
    status = int(found.group(1))
    return os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGINT


def stable_main_queue(device):
    """Sort each run of consecutive ``set_by_single_value`` entries of the device's main queue
    by array name. Brian2 starts a run's clocks in the order of a set (``t = 0`` lines in
    main.cpp differ between processes), which would recompile main.cpp in every process.
    Assignments of constants to distinct arrays commute and the sort is stable, so only the
    text changes. Checked on 2.9.0; on a version without ``main_queue`` it does nothing."""
    queue = getattr(device, "main_queue", None)
    if not isinstance(queue, list):
        return
    out, i = [], 0
    while i < len(queue):
        j = i
        while j < len(queue) and queue[j][0] == "set_by_single_value":
            j += 1
        out.extend(sorted(queue[i:j], key=lambda item: item[1][0]) if j > i else [queue[i]])
        i = max(j, i + 1)
    queue[:] = out
