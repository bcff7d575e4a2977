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

__all__ = ["VERSION", "KeepOnRestore", "seed_code", "stable_main_queue", "clear_running_flag", "compile_interrupted"]

VERSION = tuple(int(x) for x in re.findall(r"\d+", brian2.__version__)[:2])

# Seeding thread _i's generator as brian2.seed() writes it: run on 2.9.0 (2.8-2.x unverified);
# the 2.7 form was read from its device.py, not run.
_SEED_STATEMENT = {(2, 7): "rk_seed(_seed + _i, brian::_mersenne_twister_states[_i]);",
                   (2, 8): "brian::_random_generators[_i].seed(_seed + _i);"}


def seed_code(threads: int, variable: str = "HOMEOSTASIS_SEED") -> str | None:
    """C++ seeding the generators from environment ``variable`` at start (one main.cpp for every
    seed), or None on an unchecked Brian2: the caller then compiles ``brian2.seed`` in."""
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
    """Unset ``Network._globally_running`` (left set by an exception on 2.9.0; else Ctrl+C = stop)."""
    if hasattr(brian2.Network, "_globally_running"):
        brian2.Network._globally_running = False


def compile_interrupted(error: BaseException) -> bool:
    """Whether ``error`` is Brian2's report of a ``make`` killed by SIGINT (make runs under
    os.system: no KeyboardInterrupt). Message checked on 2.9.0, N the raw wait status."""
    found = re.search(r"compilation failed \(error code: (\d+)\)", str(error))
    if not (isinstance(error, RuntimeError) and found):
        return False
    status = int(found.group(1))
    return os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGINT


def stable_main_queue(device):
    """Sort runs of ``set_by_single_value`` in the main queue by array (Brian2 starts clocks in set
    order, so main.cpp would differ per process). Checked on 2.9.0; a no-op without ``main_queue``."""
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


class KeepOnRestore:
    """Mixin: a group's ``_parameters`` keep their values through ``Network.restore()`` (2.9.0)."""
    def _restore_from_full_state(self, state):
        keep = self.__dict__.get("_parameters", ())
        super()._restore_from_full_state({k: v for k, v in state.items() if k not in keep})
