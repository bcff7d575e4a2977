"""``import homeostasis.ann`` is pure numpy: no Brian2, and the SIGINT handler left as it was."""
import subprocess
import sys

CHECK = """
import signal, sys
import homeostasis.ann
assert 'brian2' not in sys.modules, 'brian2 imported'
assert signal.getsignal(signal.SIGINT) is signal.default_int_handler, signal.getsignal(signal.SIGINT)
"""


def _run(code):
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)


def test_importing_ann_imports_no_brian2_and_keeps_the_sigint_handler():
    done = _run(CHECK)
    assert done.returncode == 0, done.stderr


def test_the_check_sees_brian2_and_its_handler_when_they_are_there():
    # the control: the same check fails once Brian2 is imported alongside
    done = _run(CHECK.replace("import homeostasis.ann", "import homeostasis.ann, brian2"))
    assert done.returncode != 0 and "brian2 imported" in done.stderr
    done = _run(CHECK.replace("import homeostasis.ann", "import homeostasis.ann, brian2; sys.modules.pop('brian2')"))
    assert done.returncode != 0 and "_InterruptHandler" in done.stderr
