"""The Script tab speaks PyTorch (issue 22): a model written for PyTorch, with `import torch`,
`import torch.nn as nn` and `import torch.nn.functional as F`, builds and trains on the
engine unchanged, and no module named torch is created for the rest of the process."""
import importlib.util
import sys

import numpy as np
import pytest

import engine
import engine.nn.functional
import engine.optim
import engine.utils.data
from app.project.build import build
from app.project.script_model import ScriptError, build_script_model, run_script

from .test_script_model import script_project

TORCH_MODEL = """
import torch
import torch.nn as nn
import torch.nn.functional as F


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(2, 8)
        self.fc2 = nn.Linear(8, 2)

    def forward(self, x):
        x = torch.flatten(x, 1)
        return self.fc2(F.relu(self.fc1(x)))
"""


def _torch_modules():
    return {name: module for name, module in sys.modules.items()
            if name == "torch" or name.startswith("torch.")}


def test_a_pytorch_model_builds_and_trains_a_step_on_the_engine():
    before = _torch_modules()
    model = build_script_model(TORCH_MODEL)
    assert all(isinstance(p, engine.Tensor) for p in model.parameters())
    x = engine.tensor(np.random.default_rng(0).standard_normal((8, 2)).astype(np.float32))
    y = engine.tensor(np.array([0, 1] * 4))
    opt = engine.optim.SGD(model.parameters(), lr=0.5)
    losses = []
    for _ in range(2):
        opt.zero_grad()
        loss = engine.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[1] < losses[0]
    assert type(build(script_project(TORCH_MODEL)).model).__name__ == "Net"
    assert _torch_modules() == before


@pytest.mark.parametrize("statement, name, expected", [
    ("import torch", "torch", engine),
    ("import torch.nn as nn", "nn", engine.nn),
    ("import torch.nn.functional as F", "F", engine.nn.functional),
    ("import torch.utils.data", "torch", engine),
    ("from torch import nn, optim", "optim", engine.optim),
    ("from torch.utils.data import DataLoader", "DataLoader", engine.utils.data.DataLoader),
    ("import math as torch", "torch", sys.modules["math"]),
])
def test_each_import_form_binds_the_engine(statement, name, expected):
    assert run_script(statement + "\n")[name] is expected


def test_a_real_torch_stays_real_after_a_script_ran():
    if importlib.util.find_spec("torch") is None:
        pytest.skip("PyTorch is not installed")
    run_script("import torch\nimport torch.nn as nn\n")
    import torch
    assert torch is not engine and torch.__name__ == "torch"
    assert sys.modules["torch"] is torch


def test_an_unknown_torch_submodule_is_a_clear_import_error():
    with pytest.raises(ScriptError) as caught:
        run_script("x = 1\nimport torch.foo\n")
    assert caught.value.line == 2
    assert ("torch.foo: the engine has no such module (the Script tab maps torch to engine)"
            in caught.value.message)
    assert "torch.foo" not in sys.modules and "engine.foo" not in sys.modules
