"""What homeostasis keeps on disk between processes, and the exact integration it keeps there.

Brian2's ``exact`` method solves linear equations with sympy in every new process: seconds for
a neuron with a few coupled spike traces, often longer than the simulation a parameter change
reruns. :data:`cached_exact` returns the same code, derived once per set of equations and read
from ``<cache directory>/integration`` afterwards, in any process. ``Circuit.population`` uses it
for every model whose method is ``"exact"``.

The cache directory is ``$HOMEOSTASIS_CACHE_DIR``, else ``$XDG_CACHE_HOME/homeostasis/standalone``,
else ``~/.cache/homeostasis/standalone``; ``HOMEOSTASIS_CACHE=off`` keeps nothing there.
"""
from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

__all__ = ["cache_dir", "cache_enabled", "CachedExact", "cached_exact"]


def cache_dir() -> Path:
    """The cache directory (see the module docstring); not created here."""
    if os.environ.get("HOMEOSTASIS_CACHE_DIR"):
        return Path(os.environ["HOMEOSTASIS_CACHE_DIR"]).expanduser()
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "homeostasis" / "standalone"


def cache_enabled() -> bool:
    """False when ``HOMEOSTASIS_CACHE`` is ``off``, ``0``, ``no`` or ``false``."""
    return os.environ.get("HOMEOSTASIS_CACHE", "on").strip().lower() not in ("off", "0", "no", "false")


class CachedExact:
    """Brian2's exact (linear) integration, kept on disk per equations and variable kinds.

    The code depends on the equations' text and on what each name in them is (a state
    variable, a constant, a shared value, its dimensions) but not on any value, so that is the
    key. Equations calling a user function (a ``TimedArray``, say) are solved afresh each time:
    whether such a function is constant over a step depends on its values.

    Examples
    --------
    >>> from brian2 import Equations
    >>> print(cached_exact(Equations("dv/dt = -v / tau : 1"), {}))
    _v = v*exp(-dt/tau)
    v = _v
    """

    def __call__(self, equations, variables=None, method_options=None):
        from brian2 import linear

        variables = variables or {}
        key = self._key(equations, variables, method_options)
        if key is None or not cache_enabled():
            return linear(equations, variables, method_options)
        path = cache_dir() / "integration" / f"{key}.txt"
        try:
            return path.read_text()
        except OSError:
            pass
        code = linear(equations, variables, method_options)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        with os.fdopen(fd, "w") as f:
            f.write(code)
        os.replace(tmp, path)  # atomic: a concurrent reader sees the whole code or no file
        return code

    @staticmethod
    def _key(equations, variables, method_options):
        import brian2
        from brian2 import DEFAULT_FUNCTIONS, Function

        lines = [f"brian2 {brian2.__version__}", str(equations), repr(sorted((method_options or {}).items()))]
        for name in sorted(set(equations.identifiers) | set(equations.names) | {"dt", "t"}):
            var = variables.get(name)
            if isinstance(var, Function) and DEFAULT_FUNCTIONS.get(name) is not var:
                return None
            lines.append(f"{name} {type(var).__name__} {getattr(var, 'dim', '')} "
                         f"{getattr(var, 'constant', '')} {getattr(var, 'scalar', '')}")
        return hashlib.sha256("\n".join(lines).encode()).hexdigest()[:20]

    def __repr__(self):
        return "cached_exact"


cached_exact = CachedExact()
