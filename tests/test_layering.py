"""DESIGN.md's import rules, checked by parsing every source file with `ast` (nothing is
imported). A rule broken anywhere under engine/, app/ or widgets/ fails this test."""
import ast
import pathlib
from dataclasses import dataclass
from fnmatch import fnmatch
from pathlib import PurePosixPath

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
PACKAGES = ("engine", "app", "widgets")
QT = ("PySide6", "shiboken6", "pyqtgraph", "PyQt5", "PyQt6")
# The only app modules that may touch Qt or the widgets: the window and its thin adapters.
QT_FACING_APP = ("app/main_window*.py", "app/*_qt.py", "app/*_feed.py", "app/undo.py",
                 "app/cli.py")


def _is_headless_app(path):
    name = str(path)
    return (path.parts[0] == "app" and name.endswith(".py")
            and not any(fnmatch(name, p) for p in QT_FACING_APP))


@dataclass(frozen=True)
class Rule:
    reason: str
    applies: object        # PurePosixPath relative to the root -> bool
    forbidden: tuple       # module names; each also forbids its submodules


RULES = (
    Rule("engine is a library: it knows nothing of Qt, the app, the widgets or torch",
         lambda p: p.parts[0] == "engine", QT + ("app", "widgets", "torch")),
    Rule("widgets use the engine's public API, never its internals",
         lambda p: p.parts[0] == "widgets",
         ("engine.autograd", "engine.ops", "engine.backend", "engine.static.passes")),
    Rule("app is headless (debugger, history, session, project...): Qt only in the window "
         "and its adapters",
         _is_headless_app, QT + ("widgets",)),
    Rule("torch is a test reference only", lambda p: p.parts[0] in PACKAGES, ("torch",)),
)


def _module_name(path):
    parts = list(path.with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_dynamic_import(call):
    func = call.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
    return (name in ("__import__", "import_module") and call.args
            and isinstance(call.args[0], ast.Constant) and isinstance(call.args[0].value, str))


def imported_modules(path, source):
    """(line, module) for every import in the source, wherever it is (functions included):
    relative imports resolved; `from m import n` yields m and m.n (n may be a submodule);
    `importlib.import_module("m")` and `__import__("m")` with a literal name count too."""
    package = _module_name(path)
    if path.name != "__init__.py":
        package = package.rpartition(".")[0]
    for node in ast.walk(ast.parse(source, filename=str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[:len(package.split(".")) - (node.level - 1)]
                base = ".".join(parts + ([node.module] if node.module else []))
            yield node.lineno, base
            for alias in node.names:
                if alias.name != "*":
                    yield node.lineno, f"{base}.{alias.name}" if base else alias.name
        elif isinstance(node, ast.Call) and _is_dynamic_import(node):
            yield node.lineno, node.args[0].value


def _matches(module, forbidden):
    return module == forbidden or module.startswith(forbidden + ".")


def violations(path, source):
    """Every broken rule in one file, as 'path:line imports module (reason)'."""
    found = []
    for rule in RULES:
        if not rule.applies(path):
            continue
        for line, module in imported_modules(path, source):
            if any(_matches(module, f) for f in rule.forbidden):
                found.append(f"{path}:{line} imports {module} ({rule.reason})")
    return found


def _source_files():
    return sorted(p for package in PACKAGES for p in (ROOT / package).rglob("*.py"))


def test_every_source_file_follows_the_import_rules():
    files = _source_files()
    assert len([f for f in files if f.parts[-2:] == ("engine", "tensor.py")]) == 1
    broken = []
    for file in files:
        path = PurePosixPath(file.relative_to(ROOT).as_posix())
        broken += violations(path, file.read_text(encoding="utf-8"))
    assert broken == [], "\n".join(broken)


@pytest.mark.parametrize("path, source, culprit", [
    ("engine/nn/module.py", "import PySide6.QtCore\n", "PySide6.QtCore"),
    ("engine/data/loader.py", "def f():\n    from ...app import session\n", "app"),
    ("engine/tensor.py", "from . import ops\nimport torch\n", "torch"),
    ("engine/__init__.py", "from widgets import graph_view\n", "widgets"),
    ("widgets/graph_view.py", "from engine.ops.matmul import MatMul\n", "engine.ops.matmul"),
    ("widgets/graph_view.py", "from engine import autograd\n", "engine.autograd"),
    ("widgets/compare.py", "from engine.static import passes\n", "engine.static.passes"),
    ("widgets/plots.py", "import importlib\nimportlib.import_module('engine.backend')\n",
     "engine.backend"),
    ("app/debugger.py", "from PySide6.QtCore import QObject\n", "PySide6.QtCore"),
    ("app/debugger_breakpoints.py", "import pyqtgraph as pg\n", "pyqtgraph"),
    ("app/session.py", "def view():\n    import widgets.inspector\n", "widgets.inspector"),
    ("app/project.py", "from widgets.builder import BuilderView\n", "widgets.builder"),
    ("app/history.py", "__import__('PySide6')\n", "PySide6"),
    ("app/main_window.py", "import torch.nn\n", "torch.nn"),
])
def test_checker_catches_a_broken_rule(path, source, culprit):
    found = violations(PurePosixPath(path), source)
    assert found and all(f.startswith(path + ":") for f in found)
    assert any(f" imports {culprit} (" in f for f in found), found


@pytest.mark.parametrize("path, source", [
    ("engine/ops/matmul.py", "import numpy as np\nfrom ..autograd import Function\n"),
    ("engine/data/images.py", "from .dataset import Dataset\n"),
    ("widgets/graph_view.py", "import engine as sg\nfrom engine import nn\nfrom PySide6 import "
                              "QtWidgets\nfrom app.session import Session\n"),
    ("widgets/inspector.py", "import engine.static\nimport pyqtgraph as pg\n"),
    ("app/debugger.py", "import threading\nimport engine as sg\nfrom .history import History\n"),
    ("app/debugger_qt.py", "from PySide6.QtCore import QObject, Signal\n"),
    ("app/main_window.py", "from PySide6 import QtWidgets\nfrom widgets.graph_view import G\n"),
])
def test_checker_accepts_allowed_imports(path, source):
    assert violations(PurePosixPath(path), source) == []


def test_relative_imports_resolve_against_the_package():
    modules = [m for _, m in imported_modules(
        PurePosixPath("engine/data/loader.py"), "from ..tensor import Tensor\nfrom . import x\n")]
    assert modules == ["engine.tensor", "engine.tensor.Tensor", "engine.data", "engine.data.x"]
    modules = [m for _, m in imported_modules(PurePosixPath("engine/nn/__init__.py"),
                                              "from .linear import Linear\n")]
    assert modules == ["engine.nn.linear", "engine.nn.linear.Linear"]
