"""Kept cpp_standalone build directories: compile a model structure once, run it many times.

Each model structure (its objects' names, equations and code, and the OpenMP threads) has build
directories ``builds/NAME-KEY-tTHREADS-SLOT`` in the cache directory. Brian2 rewrites only the
files whose text changed and ``make`` recompiles only those, so a structure built before, in any
process, compiles nothing; parameter values and the seed reach the binary at run time
(:mod:`homeostasis.models.runtime`). A process holds a directory's lock (``flock``, released when
the process dies) from its build until its results are read; a second process running the same
structure at the same time takes the next slot, so no two processes write one directory.

The cache directory is ``$HOMEOSTASIS_CACHE_DIR``, else ``$XDG_CACHE_HOME/homeostasis/standalone``,
else ``~/.cache/homeostasis/standalone``. ``HOMEOSTASIS_CACHE=off`` builds every project in a
temporary directory instead. ``homeostasis cache info|clear`` lists or removes the directories.
"""
from __future__ import annotations

import hashlib
import os
import re
import shutil
import time
from pathlib import Path

from homeostasis.models.integration import cache_dir, cache_enabled

__all__ = ["cache_dir", "cache_enabled", "objects", "structure_key", "BuildLock", "claim", "entries", "clear"]

SLOTS = 8  # build directories of one structure that processes may use at the same time
LOCK_POLL_S = 0.1  # seconds between two tries of a lock another process holds


def objects(net) -> list:
    """Every object of ``net`` and the objects they contain, by name."""
    stack, seen = list(net.objects), {}
    while stack:
        obj = stack.pop()
        if obj.name not in seen:
            seen[obj.name] = obj
            stack.extend(getattr(obj, "contained_objects", ()))
    return [seen[name] for name in sorted(seen)]


def structure_key(net, threads: int) -> str:
    """What the generated code depends on besides sizes and values: the objects' types, names,
    equations, code and schedule, the Brian2 version and the threads."""
    import brian2

    lines = [f"brian2 {brian2.__version__} threads {int(threads)}"]
    for obj in objects(net):
        lines.append(f"{type(obj).__name__} {obj.name} {obj.when} {obj.order} "
                     f"{getattr(obj, 'equations', '')} {getattr(obj, 'abstract_code', '')}")
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()[:12]


class BuildLock:
    """An exclusive ``flock`` on ``path`` (a file): :meth:`acquire` without waiting, or
    :meth:`wait` until it is free, calling ``check_interrupt`` between tries."""

    def __init__(self, path):
        self.path, self.fd = Path(path), None

    def acquire(self) -> bool:
        import fcntl

        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        self.fd = fd
        return True

    def wait(self, check_interrupt=None):
        while not self.acquire():
            if check_interrupt is not None:
                check_interrupt()
            time.sleep(LOCK_POLL_S)
        return self

    def release(self):
        if self.fd is not None:
            os.close(self.fd)  # closing the descriptor releases the lock
            self.fd = None


def claim(name: str, key: str, threads: int, check_interrupt=None) -> tuple[Path, BuildLock]:
    """A build directory of structure ``key`` that this process alone uses, and its held lock:
    the first free slot, or slot 0 once another process leaves it."""
    stem = f"{re.sub(r'[^A-Za-z0-9_.-]', '_', name)[:60]}-{key}-t{int(threads)}"
    root = cache_dir() / "builds"
    for slot in range(SLOTS):
        lock = BuildLock(root / f"{stem}-{slot}.lock")
        if lock.acquire():
            break
    else:
        slot, lock = 0, BuildLock(root / f"{stem}-0.lock").wait(check_interrupt)
    directory = root / f"{stem}-{slot}"
    directory.mkdir(parents=True, exist_ok=True)
    return directory, lock


def _builds():
    root = cache_dir() / "builds"
    for path in sorted(p for p in root.iterdir() if p.is_dir()) if root.is_dir() else ():
        yield path, BuildLock(path.with_name(path.name + ".lock"))


def entries() -> list:
    """Every build directory: ``name``, ``path``, ``size`` (bytes), ``compiled`` (a binary is
    there), ``in_use`` (a process holds its lock)."""
    out = []
    for path, lock in _builds():
        free = lock.acquire()
        lock.release()
        out.append({"name": path.name, "path": str(path), "compiled": (path / "main").is_file(), "in_use": not free,
                    "size": sum(p.stat().st_size for p in path.rglob("*") if p.is_file())})
    return out


def clear() -> int:
    """Remove every build directory no process is using, and the kept integration code; returns
    how many build directories were removed."""
    shutil.rmtree(cache_dir() / "integration", ignore_errors=True)  # each file is written whole, by os.replace
    n = 0
    for path, lock in _builds():
        if lock.acquire():  # the lock file stays: removing it could give two processes one directory
            shutil.rmtree(path, ignore_errors=True)
            lock.release()
            n += 1
    return n
