"""DESIGN.md's import rules, as import-linter contracts in pyproject.toml: the real tree keeps
them, and each contract catches a file that breaks it (checked on a copy of the tree)."""
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("engine", "app", "widgets")


def lint_imports(root):
    """(exit code, output) of `lint-imports` run on the packages under `root`."""
    run = subprocess.run([sys.executable, "-c", "from importlinter.cli import lint_imports_command;"
                          "lint_imports_command()"], cwd=root, capture_output=True, text=True,
                         env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"}, timeout=120)
    return run.returncode, run.stdout + run.stderr


def test_the_tree_keeps_every_contract():
    code, output = lint_imports(ROOT)
    assert code == 0, output
    assert "0 broken" in output


@pytest.fixture(scope="module")
def tree_copy(tmp_path_factory):
    root = tmp_path_factory.mktemp("tree")
    for package in PACKAGES:
        shutil.copytree(ROOT / package, root / package,
                        ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", root)
    return root


@pytest.mark.parametrize("path, line, contract", [
    ("engine/nn/module.py", "import PySide6.QtCore", "Qt-free"),
    ("app/debugging/history.py", "import pyqtgraph", "Qt-free"),
    ("engine/tensor.py", "import app.session", "nothing upward"),
    ("app/session.py", "import widgets.graph_view", "nothing upward"),
    ("app/project/specs.py", "import torch", "never a runtime dependency"),
    ("widgets/graph_view.py", "from engine.ops import matmul", "engine's public API"),
    ("app/project/shapes.py", "import app.debugging.history", "app: the session"),
    ("app/debugging/history.py", "import app.session", "app: the session"),
    ("widgets/tensor_inspector.py", "import app.debugging.history", "through the session"),
])
def test_each_contract_catches_a_broken_rule(tree_copy, path, line, contract):
    file = tree_copy / path
    original = file.read_text()
    file.write_text(original + f"\n{line}\n")
    try:
        code, output = lint_imports(tree_copy)
    finally:
        file.write_text(original)
    assert code != 0
    broken = output.split("Broken contracts")[-1]
    assert contract in broken and path.replace("/", ".").removesuffix(".py") in broken, output
