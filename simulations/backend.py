"""Choose the Brian2 code-generation target for a block of simulation code.

Every simulation in :mod:`simulations.experiments` calls ``net.run`` once inside
:func:`simulation`, so the same function runs on the numpy and cython runtime targets and on
cpp_standalone (which compiles and runs the whole project at ``run`` and allows one run per
build). Phases such as "block the drive, then boost it" are schedules in TimedArrays rather
than successive runs for that reason.
"""
from __future__ import annotations

import gc
import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path

__all__ = ["BACKENDS", "simulation", "check_backend"]

BACKENDS = ("numpy", "cython", "cpp_standalone")


def check_backend(backend: str) -> str:
    """Return ``backend`` if Brian2 supports it here, else raise ``ValueError`` listing them."""
    if backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}; choose one of {', '.join(BACKENDS)}")
    return backend


@contextmanager
def simulation(backend: str = "numpy", seed: int | None = None, directory: str | None = None,
               project: str | None = None):
    """Run the Brian2 code of the ``with`` block on ``backend``.

    Parameters
    ----------
    backend : {"numpy", "cython", "cpp_standalone"}
    seed : int, optional
        Seed of Brian2's random numbers (``rand()``, ``randn()``, Poisson inputs,
        probabilistic connections), set after the device so standalone code uses it too.
    directory : str, optional
        Build directory of a cpp_standalone project. By default a fresh temporary one,
        deleted afterwards, so several processes never share one. Cython caches per
        process in the same way (``HOMEOSTASIS_CYTHON_CACHE``).
    project : str, optional
        Name of the model structure the block builds (e.g. the circuit's name). When the
        environment variable ``HOMEOSTASIS_STANDALONE_DIR`` is set (a sweep sets one per
        worker process) and no ``directory`` is given, the project is built in
        ``$HOMEOSTASIS_STANDALONE_DIR/project`` and kept: Brian2 rewrites only the source
        files whose text changed and ``make`` recompiles only those, so the next point of
        a sweep with the same structure compiles only what its parameters touch.

    Examples
    --------
    >>> from brian2 import NeuronGroup, Network, ms
    >>> with simulation("numpy", seed=1):
    ...     g = NeuronGroup(1, "dv/dt = -v / (10*ms) : 1")
    ...     Network(g).run(1 * ms)
    """
    import brian2

    check_backend(backend)
    previous_target = brian2.prefs.codegen.target
    temporary = None
    if backend == "cpp_standalone":
        # Brian2 numbers automatic names (``..._codeobject_1``) past the objects still alive;
        # objects of an earlier run left in reference cycles would rename every code object
        # and defeat the incremental build, so collect them first
        gc.collect()
        cache = os.environ.get("HOMEOSTASIS_STANDALONE_DIR")
        if directory is None and cache and project:
            directory = str(Path(cache) / project)
        elif directory is None:
            directory = temporary = tempfile.mkdtemp(prefix="homeostasis_standalone_")
        brian2.set_device("cpp_standalone", directory=directory, build_on_run=True,
                          with_output=False)
        brian2.prefs.devices.cpp_standalone.openmp_threads = 0
    else:
        brian2.prefs.codegen.target = backend
        if backend == "cython" and os.environ.get("HOMEOSTASIS_CYTHON_CACHE"):
            brian2.prefs.codegen.runtime.cython.cache_dir = os.environ["HOMEOSTASIS_CYTHON_CACHE"]
    if seed is not None:
        brian2.seed(int(seed))
    try:
        yield
    finally:
        if backend == "cpp_standalone":
            brian2.device.reinit()
            brian2.set_device("runtime")
            if temporary:  # results were read inside the block; the project is of no further use
                shutil.rmtree(temporary, ignore_errors=True)
        brian2.prefs.codegen.target = previous_target
