"""No module but models/brian2_compat.py uses a private Brian2 name (DESIGN.md section 3).

Flagged: ``from brian2... import _x``; ``X._y`` where ``X`` is a name imported from Brian2 (a
module, class or object such as ``device``, ``prefs``, ``Network``) or is ``brian2`` itself;
and Brian2 internals known to have been used, by name, on any object but ``self``.
"""
import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCANNED = ("homeostasis", "models", "simulations")
ALLOWED = {ROOT / "models" / "brian2_compat.py"}
#: Internals of Brian2 that are not underscored, and underscored ones worth naming.
KNOWN = {"main_queue", "array_cache", "_clocks", "__instances__", "stateupdaters", "_compiler_flag_compatibility",
         "templater", "static_array", "static_arrays", "_globally_running", "_random_generators",
         "_mersenne_twister_states", "code_objects", "run_args_arrays", "_cache", "_determine_flag_compatibility",
         "_restore_from_full_state", "_full_state"}


def private_uses(path: Path) -> list:
    tree = ast.parse(path.read_text(), str(path))
    brian_names = {"brian2"}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "brian2":
            for alias in node.names:
                brian_names.add(alias.asname or alias.name)
                if alias.name.startswith("_"):
                    found.append((node.lineno, f"from {node.module} import {alias.name}"))
        elif isinstance(node, ast.Import):
            brian_names.update(a.asname or a.name.split(".")[0] for a in node.names if a.name.startswith("brian2"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            base = node.value
            while isinstance(base, ast.Attribute):
                base = base.value
            from_brian = isinstance(base, ast.Name) and base.id in brian_names
            own = isinstance(node.value, ast.Name) and node.value.id == "self"  # a project class's own attribute
            underscored = node.attr.startswith("_") and not node.attr.startswith("__")
            if (node.attr in KNOWN and not own) or (from_brian and underscored):
                found.append((node.lineno, f".{node.attr}"))
        elif isinstance(node, ast.Constant) and node.value in KNOWN:  # getattr(obj, "main_queue")
            found.append((node.lineno, repr(node.value)))
    return found


def scan(root: Path = ROOT) -> list:
    return [f"{path.relative_to(root)}:{line}: {what}"
            for folder in SCANNED for path in sorted((root / folder).rglob("*.py"))
            if path not in ALLOWED for line, what in private_uses(path)]


def test_no_private_brian2_name_outside_the_compatibility_module():
    found = scan()
    assert not found, "private Brian2 names (move them to models/brian2_compat.py):\n" + "\n".join(found)


@pytest.mark.parametrize("line", [
    "from brian2.core.network import _clocks\n",
    "import brian2\nbrian2.Network._globally_running = False\n",
    "from brian2 import device\ndevice._x = 1\n",
    "def f(device):\n    device.main_queue.append(1)\n",
    "from brian2.codegen import cpp_prefs\ncpp_prefs._compiler_flag_compatibility.clear()\n",
    "def f(net):\n    return net._clocks\n",
])
def test_the_scan_finds_an_added_private_name(tmp_path, line):
    package = tmp_path / "simulations"
    package.mkdir()
    (package / "bad.py").write_text(line)
    assert [entry.split(":")[0] for entry in scan(tmp_path)] == [str(Path("simulations") / "bad.py")]


def test_the_compatibility_module_is_where_the_private_names_are():
    assert private_uses(ROOT / "models" / "brian2_compat.py")  # it is scanned the same way, and allowed
