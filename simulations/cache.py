"""A cache of compiled cpp_standalone projects: compile a model structure once, run it many times.

Brian2's cpp_standalone target writes a C++ project and compiles it, which takes far longer
than most simulations run. The code Brian2 writes depends only on the model's *structure*
(equations, sizes, schedules, build options): parameter values declared as run-time
parameters (:mod:`homeostasis.models.runtime`), weights, connectivity drawn in Python and TimedArray
values are data files of the project, read by the binary when it starts; only their sizes
(the number of synapses drawn) are compiled into the code. So the binary compiled for one
project serves every project with the same code.

Where the cache lives
    ``$HOMEOSTASIS_CACHE_DIR`` if set, else ``$XDG_CACHE_HOME/homeostasis/standalone``, else
    ``~/.cache/homeostasis/standalone``. Each entry is a directory named by its key holding
    the binary ``main`` and ``entry.json`` (the binary's SHA-256, Brian2 version, threads,
    creation time). ``HOMEOSTASIS_CACHE=off`` compiles every project afresh (and turns
    the integration cache below off too; ``HOMEOSTASIS_CACHE=integration`` keeps it).
    ``homeostasis cache clear`` empties it, ``homeostasis cache info`` lists it.

The key
    SHA-256 of every generated source file (C++ code, headers, makefile with its compiler
    and linker flags and OpenMP setting), not the data files, together with the Brian2
    version, the compiler's version, the machine and its CPU model (Brian2 compiles with
    ``-march=native``), and the number of OpenMP threads.

Concurrent processes
    A project is always built in its process's own directory. A process that misses takes
    the key's lock (``locks/KEY`` in the cache directory, :func:`compiling`) before it
    compiles; another process missing the same key meanwhile (the second worker of a sweep)
    waits for it and then takes the binary from the cache, instead of compiling the same
    code on the same cores at the same time. The lock is the operating system's
    (``flock``), so a process that dies releases it. Where there is no such lock (another
    operating system, a file system without it), both compile, and publishing still keeps
    the cache whole: a new binary is published by writing the entry under a temporary name
    in the cache directory and renaming it in one step, so another process sees a complete
    entry or none, and the first rename wins. A hit is *copied* into the process's project
    directory before it runs, so no two processes ever run or write in one directory.

Nothing is trusted
    A hit is used only when ``entry.json`` parses, the binary exists, and the SHA-256 of the
    copied binary equals the recorded one; otherwise the entry is removed and the project
    compiled again. A cached binary whose run fails is removed too, and the project is
    compiled and run once more (:func:`homeostasis.simulations.backend.run_network`).

The integration cache
    Brian2 integrates linear equations (``method="exact"``, e.g. :class:`homeostasis.models.CurrentLIF`)
    with the analytical solution sympy derives, which takes seconds for a neuron with
    synaptic currents, in every new process. Brian2 keeps that solution in memory only, so
    a second ``homeostasis run`` or a new sweep worker paid it again before its cached
    binary ran. :func:`cached_integration` keeps the derived update code in
    ``integration/`` of the cache directory, one text file per key. The key is the text of
    the equations, what Brian2 knows of every name they use (kind, unit, type, whether
    scalar or constant, and the value of a constant), the time step, the method's options
    and the Brian2 and sympy versions; equations that use a function other than Brian2's
    built-in ones (a ``TimedArray``) are integrated afresh every time. A file is written
    with one rename and starts with the SHA-256 of its code; one that cannot be read or
    does not match its checksum is derived again.

Code templates
    Brian2 writes its code from jinja2 templates, which jinja2 compiles to Python in every
    new process (a sixth of a second for a model on cpp_standalone). :func:`cached_templates`
    gives Brian2's template environments jinja2's own bytecode cache
    (``jinja2.FileSystemBytecodeCache``) in ``templates/brian2-VERSION/``: jinja2 checks each
    file against its template's source and its own and Python's versions, and writes it with
    one rename.

Compiler flags
    Before it writes a project, Brian2 compiles a test program for each of its compiler
    flags to drop the ones the compiler rejects: six compilations, a fifth of a second, in
    every new process, also when the binary then comes from the cache.
    :func:`remembered_compiler_flags` keeps those answers in ``compiler-flags.json`` of the
    cache directory, per toolchain (the compiler's version, machine and CPU model, as in
    the key above); a file that cannot be read is ignored and written anew.
"""
from __future__ import annotations

import hashlib
import json
import os
import platform
import shutil
import subprocess
import tempfile
import time
import uuid
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

__all__ = ["cache_dir", "cache_enabled", "integration_cache_enabled", "project_key", "lookup", "compiling", "publish",
           "evict", "clear", "entries", "CacheEntry", "cached_integration", "integrations", "remembered_compiler_flags",
           "cached_templates"]

#: Files and directories of a project that are data or build products, not compiled input.
_NOT_SOURCE = {"static_arrays", "results", "main", "make.deps", "winmake.log", "stdout.txt"}
#: Subdirectory of the cache directory holding the integration cache.
_INTEGRATION = "integration"
#: Subdirectory of the cache directory holding Brian2's compiled code templates.
_TEMPLATES = "templates"
#: File of the cache directory holding which compiler flags the compiler accepts.
_FLAGS = "compiler-flags.json"
#: What the cache directory holds besides compiled projects and their locks.
_DERIVED = (_INTEGRATION, _TEMPLATES, _FLAGS)
#: Subdirectory of the cache directory holding the lock of each key being compiled.
_LOCKS = "locks"


def cache_dir() -> Path:
    """The cache directory (see the module docstring); not created here."""
    if os.environ.get("HOMEOSTASIS_CACHE_DIR"):
        return Path(os.environ["HOMEOSTASIS_CACHE_DIR"]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "homeostasis" / "standalone"


def _cache_setting() -> str:
    return os.environ.get("HOMEOSTASIS_CACHE", "on").strip().lower()


def cache_enabled() -> bool:
    """Whether compiled projects are cached: False when ``HOMEOSTASIS_CACHE`` is ``off``,
    ``0``, ``no``, ``false`` or ``integration``."""
    return _cache_setting() not in ("off", "0", "no", "false", "integration")


def integration_cache_enabled() -> bool:
    """Whether the integration cache is used: False when ``HOMEOSTASIS_CACHE`` is ``off``,
    ``0``, ``no`` or ``false``. ``HOMEOSTASIS_CACHE=integration`` compiles every project but
    keeps the integration cache (what one compilation per point costs, without sympy)."""
    return _cache_setting() not in ("off", "0", "no", "false")


@lru_cache(maxsize=None)
def _toolchain() -> str:
    """Compiler version, machine and CPU model: what a binary built with -march=native depends on."""
    import brian2

    parts = [f"brian2 {brian2.__version__}", platform.system(), platform.machine()]
    compiler = os.environ.get("CXX", "g++")
    try:
        parts.append(subprocess.run([compiler, "--version"], capture_output=True, text=True, timeout=10)
                     .stdout.splitlines()[0])
    except (OSError, subprocess.SubprocessError, IndexError):
        parts.append(f"{compiler} (version unknown)")
    try:
        model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                      if line.startswith("model name")), "")
        parts.append(model)
    except OSError:
        parts.append(platform.processor())
    return "\n".join(parts)


def project_key(directory, threads: int) -> str:
    """Key of the generated project in ``directory``: its sources and the build options."""
    digest = hashlib.sha256()
    digest.update(_toolchain().encode())
    digest.update(f"\nthreads {int(threads)}\n".encode())
    root = Path(directory)
    files = sorted(p for p in root.rglob("*") if p.is_file() and p.relative_to(root).parts[0] not in _NOT_SOURCE
                   and p.suffix not in (".o", ".d", ".lock"))
    for path in files:
        digest.update(str(path.relative_to(root)).encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()[:32]


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class CacheEntry(dict):
    """``entry.json`` of a cache entry, with its ``path``."""


def lookup(key: str, destination) -> CacheEntry | None:
    """Copy the cached binary of ``key`` to ``destination`` (a file path) and return its entry.

    Returns ``None`` on a miss. An entry that is incomplete or whose copied binary does not
    match its recorded checksum is removed (and ``None`` returned), so it is rebuilt.
    """
    entry_dir = cache_dir() / key
    if not entry_dir.is_dir():
        return None
    destination = Path(destination)
    try:
        entry = CacheEntry(json.loads((entry_dir / "entry.json").read_text()))
        shutil.copyfile(entry_dir / "main", destination)
        os.chmod(destination, 0o755)
        if _sha256(destination) != entry["sha256"]:
            raise ValueError("checksum mismatch")
    except (OSError, ValueError, KeyError, TypeError):
        # a broken entry (a crash while publishing cannot make one, a full disk or a hand can)
        evict(key)
        destination.unlink(missing_ok=True)
        return None
    entry["path"] = str(entry_dir)
    return entry


def publish(key: str, binary, threads: int) -> bool:
    """Store ``binary`` as the entry ``key``; False if another process stored it first."""
    import brian2

    root = cache_dir()
    root.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{key}.", suffix=".partial", dir=root))
    try:
        shutil.copyfile(binary, tmp / "main")
        os.chmod(tmp / "main", 0o755)
        entry = {"sha256": _sha256(tmp / "main"), "brian2": brian2.__version__, "threads": int(threads),
                 "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "size": (tmp / "main").stat().st_size}
        (tmp / "entry.json").write_text(json.dumps(entry, indent=1) + "\n")
        try:
            os.rename(tmp, root / key)  # atomic; fails if the entry exists
        except OSError:
            return False
        tmp = None
        return True
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)


#: Seconds between two tries of a lock another process holds.
LOCK_POLL_S = 0.1


@contextmanager
def compiling(key: str, check_interrupt=None):
    """Within the block, this process alone compiles ``key``: wait while another one does.

    Look the key up again inside the block: the process waited for has published it.

    Parameters
    ----------
    key : str
        The project's key (:func:`project_key`).
    check_interrupt : callable, optional
        Called while waiting; raise from it to stop waiting (a sweep worker's interrupt
        request). A Ctrl+C in the main thread stops the wait too.

    Examples
    --------
    What :func:`homeostasis.simulations.backend.run_network` does on a miss (``make`` stands for
    Brian2's compilation):

    >>> with compiling(key, check_interrupt):  # doctest: +SKIP
    ...     if lookup(key, binary) is None:  # nobody published it while this process waited
    ...         make(directory)
    ...         publish(key, binary, threads=0)
    """
    try:
        import fcntl
    except ImportError:  # no flock here: both compile, publish keeps the cache whole
        yield
        return
    locks = cache_dir() / _LOCKS
    try:
        locks.mkdir(parents=True, exist_ok=True)
        fd = os.open(locks / key, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError:  # an unwritable cache: the compiled project will not be stored either
        yield
        return
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:  # another process compiles this key
                if check_interrupt is not None:
                    check_interrupt()
                time.sleep(LOCK_POLL_S)
            except OSError:  # a file system without flock
                break
        yield
    finally:
        os.close(fd)  # releases the lock


def evict(key: str):
    """Remove the entry ``key`` (renamed away first, so no process sees half of it)."""
    entry_dir = cache_dir() / key
    doomed = entry_dir.with_name(f".{key}.{uuid.uuid4().hex}.evicted")
    try:
        os.rename(entry_dir, doomed)
    except OSError:
        return
    shutil.rmtree(doomed, ignore_errors=True)


def entries() -> list:
    """Every complete entry, as ``CacheEntry`` with ``key`` and ``path``."""
    root = cache_dir()
    out = []
    for entry_dir in sorted(root.iterdir()) if root.is_dir() else ():
        if entry_dir.name.startswith(".") or entry_dir.name in (*_DERIVED, _LOCKS) or not entry_dir.is_dir():
            continue
        try:
            entry = CacheEntry(json.loads((entry_dir / "entry.json").read_text()))
        except (OSError, ValueError):
            entry = CacheEntry(broken=True)
        entry.update(key=entry_dir.name, path=str(entry_dir))
        out.append(entry)
    return out


def integrations() -> int:
    """How many integrations the integration cache holds."""
    return len(list((cache_dir() / _INTEGRATION).glob("*.txt")))


def clear() -> int:
    """Remove every entry, the integration cache, the templates, the compiler flags, the locks
    and leftovers of interrupted writes; returns how many compiled projects were removed."""
    root = cache_dir()
    if not root.is_dir():
        return 0
    n = 0
    (root / _FLAGS).unlink(missing_ok=True)
    for path in root.iterdir():
        # a lock removed while a process holds it costs, at worst, a second compilation
        if path.name in (_INTEGRATION, _TEMPLATES, _LOCKS):
            shutil.rmtree(path, ignore_errors=True)
        elif path.is_dir() and not path.name.startswith("."):
            n += 1
            evict(path.name)
        elif path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
    return n


def _integration_key(equations, variables: dict, method_options) -> str | None:
    """Key of an integration problem (see the module docstring), or None if not cacheable."""
    import brian2
    import sympy
    from brian2.core.functions import DEFAULT_FUNCTIONS, Function
    from brian2.core.variables import Constant

    lines = [f"brian2 {brian2.__version__}", f"sympy {sympy.__version__}", str(equations),
             f"options {sorted((method_options or {}).items())!r}"]
    for name in sorted(set(variables) | set(equations.identifiers) | set(equations.names) | {"dt", "t"}):
        var = variables.get(name)
        if isinstance(var, Function):
            if DEFAULT_FUNCTIONS.get(name) is not var:
                return None  # e.g. a TimedArray: whether it is constant over a step depends on its data
            lines.append(f"{name}: function")
            continue
        if var is None:
            lines.append(f"{name}: -")
            continue
        desc = [type(var).__name__, repr(getattr(var, "dim", None)), str(getattr(var, "dtype", None))]
        desc += [f"{a}={getattr(var, a, None)!r}" for a in ("scalar", "constant", "read_only", "dynamic")]
        if isinstance(var, Constant):
            desc.append(repr(var.value))
        elif name == "dt":
            desc.append(repr(var.get_value()))
        lines.append(f"{name}: {' '.join(desc)}")
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()[:32]


class _CachedIntegration:
    """Brian2's state updater ``method``, with its result kept on disk (see the module docstring)."""

    def __init__(self, method):
        self.method = method

    def can_integrate(self, equations, variables, method_options=None):
        return self.method.can_integrate(equations, variables, method_options)

    def __call__(self, equations, variables=None, method_options=None):
        key = _integration_key(equations, variables or {}, method_options)
        if key is None:
            return self.method(equations, variables, method_options)
        path = cache_dir() / _INTEGRATION / f"{key}.txt"
        try:  # the first line is the checksum of the rest: a damaged file is derived again
            digest, _, code = path.read_text().partition("\n")
            if digest == hashlib.sha256(code.encode()).hexdigest():
                return code
        except (OSError, UnicodeDecodeError):
            pass
        code = self.method(equations, variables, method_options)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile("w", dir=path.parent, prefix=f".{key}.", suffix=".partial",
                                             delete=False) as fh:
                fh.write(f"{hashlib.sha256(code.encode()).hexdigest()}\n{code}")
            os.replace(fh.name, path)
        except OSError:  # an unwritable cache costs the next process the derivation, no more
            pass
        return code

    def __repr__(self):
        return f"cached({self.method!r})"


@contextmanager
def cached_integration():
    """Within the block, Brian2's ``"exact"`` (``"linear"``) integration is read from the
    integration cache when the same problem was solved before, in any process.

    Does nothing when the cache is disabled (``HOMEOSTASIS_CACHE=off``).

    Examples
    --------
    >>> from brian2 import NeuronGroup, ms
    >>> with cached_integration():  # doctest: +SKIP
    ...     g = NeuronGroup(1, "dv/dt = -v / (10*ms) : 1", method="exact")
    """
    from brian2.stateupdaters.base import StateUpdateMethod

    table = StateUpdateMethod.stateupdaters
    names = [n for n in ("exact", "linear") if n in table and not isinstance(table[n], _CachedIntegration)]
    if not integration_cache_enabled() or not names:
        yield
        return
    saved = {n: table[n] for n in names}
    try:
        for n in names:
            table[n] = _CachedIntegration(saved[n])
        yield
    finally:
        table.update(saved)


def _write_atomically(path: Path, text: str):
    """Write ``text`` to ``path`` under a temporary name and rename it: readers see all or nothing."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", dir=path.parent, prefix=f".{path.name}.", suffix=".partial",
                                     delete=False) as fh:
        fh.write(text)
    os.replace(fh.name, path)


@contextmanager
def remembered_compiler_flags():
    """Within the block, Brian2 takes the compiler flags it checked in an earlier process from
    ``compiler-flags.json`` of the cache directory, and what it checks anew is added there.

    Does nothing when the cache is disabled (``HOMEOSTASIS_CACHE=off``).

    Examples
    --------
    >>> from brian2.codegen.cpp_prefs import get_compiler_and_args
    >>> with remembered_compiler_flags():  # doctest: +SKIP
    ...     compiler, flags = get_compiler_and_args()
    """
    from brian2.codegen import cpp_prefs

    if not integration_cache_enabled():
        yield
        return
    memo = cpp_prefs._compiler_flag_compatibility  # {(compiler command, flag): accepted}
    path = cache_dir() / _FLAGS
    toolchain = hashlib.sha256(_toolchain().encode()).hexdigest()[:32]
    try:
        stored = json.loads(path.read_text())
        stored = stored if isinstance(stored, dict) else {}
    except (OSError, ValueError):
        stored = {}  # none yet, or unreadable: checked anew and written whole
    try:  # other toolchains' answers (another machine sharing the directory) are kept
        for compiler, flag, accepted in stored.get(toolchain, []):
            if isinstance(compiler, str) and isinstance(flag, str) and isinstance(accepted, bool):
                memo.setdefault((compiler, flag), accepted)
    except (ValueError, TypeError):
        stored.pop(toolchain)  # a damaged entry: checked anew, and written again below
    before = dict(memo) if toolchain in stored else None
    try:
        yield
    finally:
        if memo != before:
            stored[toolchain] = sorted([c, f, a] for (c, f), a in memo.items())
            try:
                _write_atomically(path, json.dumps(stored, indent=1) + "\n")
            except OSError:  # an unwritable cache costs the next process the checks, no more
                pass


def _templaters() -> list:
    """The templaters of Brian2's code object classes (one jinja2 environment each)."""
    from brian2.codegen.codeobject import CodeObject

    found, classes = [], [CodeObject]
    while classes:
        cls = classes.pop()
        classes.extend(cls.__subclasses__())
        templater = cls.__dict__.get("templater")
        if templater is not None and templater not in found:
            found.append(templater)
    return found


def _bytecode_cache(directory: Path):
    """jinja2's ``FileSystemBytecodeCache`` in ``directory``, for which a file it cannot read or
    write (a full disk, a read-only cache) is a template compiled afresh, not an error."""
    from jinja2 import FileSystemBytecodeCache

    class TolerantBytecodeCache(FileSystemBytecodeCache):
        def load_bytecode(self, bucket):
            try:
                super().load_bytecode(bucket)
            except OSError:
                bucket.reset()

        def dump_bytecode(self, bucket):
            try:
                super().dump_bytecode(bucket)
            except OSError:
                pass

    return TolerantBytecodeCache(str(directory))


@contextmanager
def cached_templates():
    """Within the block, Brian2's code templates are compiled by jinja2 once and kept in
    ``templates/`` of the cache directory (see the module docstring).

    Does nothing when the cache is disabled (``HOMEOSTASIS_CACHE=off``).

    Examples
    --------
    >>> from brian2 import NeuronGroup, ms, run
    >>> with cached_templates():  # doctest: +SKIP
    ...     group = NeuronGroup(1, "dv/dt = -v / (10*ms) : 1")
    ...     run(1 * ms)
    """
    import brian2

    directory = cache_dir() / _TEMPLATES / f"brian2-{brian2.__version__}"
    usable = integration_cache_enabled()
    if usable:
        try:
            directory.mkdir(parents=True, exist_ok=True)
        except OSError:  # an unwritable cache: jinja2 compiles the templates, as without it
            usable = False
    if not usable:
        yield
        return
    environments = [templater.env for templater in _templaters()]
    saved = [env.bytecode_cache for env in environments]
    bytecode = _bytecode_cache(directory)
    for env in environments:
        env.bytecode_cache = bytecode
    try:
        yield
    finally:
        for env, previous in zip(environments, saved):
            env.bytecode_cache = previous
