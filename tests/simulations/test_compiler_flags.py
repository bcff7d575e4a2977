"""Compiler flags that Brian2 checked in one process are read from the cache directory in the next.

The sensor is Brian2's own check (``_determine_flag_compatibility``, a test compilation per
flag), counted: with the answers on disk it must not run, and the flags Brian2 compiles with
must be the ones the file says, also when the file marks one as rejected.
"""
import json

import pytest
from brian2.codegen import cpp_prefs
from brian2.codegen.cpp_prefs import get_compiler_and_args

from homeostasis.simulations import cache


@pytest.fixture
def checks(tmp_path, monkeypatch):
    """A cache directory of its own, Brian2's in-process memo emptied (as in a new process),
    and the list of flags Brian2 test-compiles."""
    monkeypatch.setenv("HOMEOSTASIS_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("HOMEOSTASIS_CACHE", raising=False)
    memo = cpp_prefs._compiler_flag_compatibility
    saved = dict(memo)
    memo.clear()
    calls = []
    real = cpp_prefs._determine_flag_compatibility

    def counting(compiler, flag):
        calls.append(flag)
        return real(compiler, flag)

    monkeypatch.setattr(cpp_prefs, "_determine_flag_compatibility", counting)
    yield calls
    memo.clear()
    memo.update(saved)


def _new_process(calls):
    cpp_prefs._compiler_flag_compatibility.clear()
    calls.clear()


def test_checked_flags_are_read_back_instead_of_checked_again(checks, tmp_path):
    with cache.remembered_compiler_flags():
        _, flags = get_compiler_and_args()
    assert len(checks) >= 3 and flags == checks  # every flag checked once; this compiler takes them all
    path = tmp_path / "cache" / "compiler-flags.json"
    (stored,) = json.loads(path.read_text()).values()
    assert sorted(flag for _, flag, accepted in stored if accepted) == sorted(flags)

    _new_process(checks)
    with cache.remembered_compiler_flags():
        assert get_compiler_and_args()[1] == flags
    assert checks == []

    # the file decides: a flag it marks as rejected is left out, unchecked
    data = json.loads(path.read_text())
    for row in next(iter(data.values())):
        row[2] = row[1] != flags[0]
    path.write_text(json.dumps(data))
    _new_process(checks)
    with cache.remembered_compiler_flags():
        assert get_compiler_and_args()[1] == flags[1:]
    assert checks == []
    cache.clear()
    assert not path.exists()


def test_an_unreadable_file_is_checked_anew_and_written_whole(checks, tmp_path):
    path = tmp_path / "cache" / "compiler-flags.json"
    path.parent.mkdir(parents=True)
    path.write_bytes(b'{"0123": [["g++", "-O3", tr')
    with cache.remembered_compiler_flags():
        flags = get_compiler_and_args()[1]
    assert flags and checks == flags
    (stored,) = json.loads(path.read_text()).values()
    assert sorted(flag for _, flag, _ in stored) == sorted(flags)
    assert [p.name for p in path.parent.iterdir()] == ["compiler-flags.json"]  # no temporary left


def test_another_toolchains_answers_are_kept(checks, tmp_path):
    path = tmp_path / "cache" / "compiler-flags.json"
    path.parent.mkdir(parents=True)
    other = {"another-machine": [["clang++", "-O3", True]]}
    path.write_text(json.dumps(other))
    with cache.remembered_compiler_flags():
        flags = get_compiler_and_args()[1]
    assert checks == flags  # nothing known for this toolchain yet
    stored = json.loads(path.read_text())
    assert stored["another-machine"] == other["another-machine"] and len(stored) == 2

    # this toolchain's entry damaged: checked anew and written again, the other one kept
    mine = next(key for key in stored if key != "another-machine")
    stored[mine] = "garbage"
    path.write_text(json.dumps(stored))
    _new_process(checks)
    with cache.remembered_compiler_flags():
        assert get_compiler_and_args()[1] == flags
    assert checks == flags
    assert json.loads(path.read_text()) == {**other, mine: json.loads(path.read_text())[mine]}
    assert sorted(flag for _, flag, _ in json.loads(path.read_text())[mine]) == sorted(flags)


def test_the_file_is_neither_read_nor_written_with_the_cache_off(checks, tmp_path, monkeypatch):
    monkeypatch.setenv("HOMEOSTASIS_CACHE", "off")
    with cache.remembered_compiler_flags():
        flags = get_compiler_and_args()[1]
    assert flags and checks == flags
    assert not (tmp_path / "cache").exists()
    assert cache.clear() == 0
