"""The control-flow contrast: a trace of the script's model warns at the script's `if` lines
and keeps one graph whatever the batch, while the eager model records a graph per batch;
static.cond keeps both branches."""
import numpy as np
import pytest

import engine as sg
from app.teaching.control_flow import (contrast_for_project, cond_example, eager_ops,
                                   trace_contrast)
from app.project.presets import load_preset
from app.project.script_model import build_script_model

BRANCHY = """
class Branchy(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(2, 2)

    def forward(self, x):
        if x.mean() > 0:
            return self.fc(x).tanh()
        return self.fc(x)
"""


def batch(sign):
    return sg.tensor(sign * np.linspace(0.1, 1.0, 8, dtype=np.float32).reshape(4, 2))


@pytest.fixture(scope="module")
def preset_contrast():
    return contrast_for_project(load_preset("dynamic_depth"))


def test_the_warning_names_the_script_lines_of_the_ifs(preset_contrast):
    source = load_preset("dynamic_depth").network.script.splitlines()
    lines = [note.line for note in preset_contrast.notes]
    assert lines and all(source[line - 1].lstrip().startswith("if x[") for line in lines)
    assert all("static.cond" in note.message for note in preset_contrast.notes)


def test_one_traced_graph_many_dynamic_ones(preset_contrast):
    batches = preset_contrast.batches
    assert preset_contrast.dynamic_graphs > 1
    traced_linears = preset_contrast.traced_ops.count("linear")
    assert batches[0].dynamic_ops.count("linear") == traced_linears
    assert batches[0].max_difference < 1e-5
    for b in batches[1:]:  # the compiled trace agrees exactly where the depth is the same
        same_depth = b.dynamic_ops.count("linear") == traced_linears
        assert (b.max_difference < 1e-5) == same_depth


def test_the_traced_graph_does_not_depend_on_the_later_batch():
    model = build_script_model(BRANCHY)
    first = trace_contrast(model, [batch(1), batch(-1)])
    second = trace_contrast(model, [batch(1), batch(1)])
    assert [n.line for n in first.notes] == [8]
    assert first.traced_ops == second.traced_ops
    assert "tanh" in first.traced_ops and "tanh" in eager_ops(model, batch(1))[0]
    assert first.batches[1].dynamic_ops != first.batches[0].dynamic_ops  # eager: no tanh
    assert first.batches[1].max_difference > 1e-3  # the trace still applies tanh
    assert second.batches[1].max_difference == 0.0


def test_cond_keeps_both_branches_and_is_right_on_both_batches():
    example = cond_example()
    assert "static.cond" in example.source and "if x[:, 0].mean() > 0" in example.source
    assert example.if_correct == (True, False)
    assert example.cond_correct == (True, True)
    assert "neg" not in example.if_ops and {"mul", "neg", "where"} <= set(example.cond_ops)
