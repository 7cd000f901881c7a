"""Builder: specs -> engine modules matching the inferred shapes, seeded, with the data split
and the targets each loss takes."""
from dataclasses import replace

import numpy as np
import pytest

import engine as sg
from app.debugging.breakpoints import Breakpoint
from app.debugging.breakpoints import make_breakpoints
from app.project.build import BuildError, SequenceLSTM, build, split
from app.project.specs import (BreakpointSpec, DatasetSpec, LayerSpec as L, NetworkSpec, Project,
                       TrainConfig)
from engine import nn

CNN = [L("Conv2d", {"out_channels": 4, "kernel_size": 3, "padding": 1}), L("ReLU"),
       L("MaxPool2d", {"kernel_size": 2}), L("BatchNorm2d"), L("Flatten"),
       L("Dropout", {"p": 0.2}), L("Linear", {"out_features": 4})]
LSTM_STACK = [L("Embedding", {"num_embeddings": 8, "embedding_dim": 4}),
              L("LSTM", {"hidden_size": 6, "return": "sequence"}), L("LayerNorm"),
              L("LSTM", {"hidden_size": 5}), L("Linear", {"out_features": 8})]
MLP = [L("Linear", {"out_features": 8}), L("BatchNorm1d"), L("GELU"),
       L("Linear", {"out_features": 2})]


def project(layers, dataset, **train):
    return Project(network=NetworkSpec(layers), dataset=DatasetSpec(dataset[0], dataset[1]),
                   train=TrainConfig(**train))


CASES = {
    "mlp": project(MLP, ("moons", {"n": 60})),
    "cnn": project(CNN, ("shapes", {"n": 40, "size": 8})),
    "lstm": project(LSTM_STACK, ("recall_first", {"n": 40, "length": 4})),
}


@pytest.mark.parametrize("name", CASES)
def test_parameters_match_the_inferred_shapes_and_a_real_batch_runs(name):
    run = build(CASES[name])
    model, rows = run.model, run.report.rows
    assert len(model) == len(rows)
    for row, layer in zip(rows, model):
        assert {k: tuple(p.shape) for k, p in layer.named_parameters()} == row.param_shapes
    x, y = next(iter(run.data))
    out = model(x)
    assert out.shape == (x.shape[0],) + rows[-1].output_shape
    loss = run.loss_fn(out, y)
    loss.backward()
    assert np.isfinite(loss.item())
    assert all(p.grad is not None for p in model.parameters())


def test_the_same_project_builds_the_same_weights_split_and_batches():
    a, b = build(CASES["mlp"]), build(CASES["mlp"])
    for (name, pa), (_, pb) in zip(a.model.named_parameters(), b.model.named_parameters()):
        np.testing.assert_array_equal(pa.numpy(), pb.numpy(), err_msg=name)
    np.testing.assert_array_equal(a.test_set.X, b.test_set.X)
    xa, _ = next(iter(a.data))
    xb, _ = next(iter(b.data))
    np.testing.assert_array_equal(xa.numpy(), xb.numpy())
    other = build(project(MLP, ("moons", {"n": 60}), seed=1))
    assert not np.array_equal(other.model[0].weight.numpy(), a.model[0].weight.numpy())


def test_split_is_disjoint_and_sized_by_the_test_fraction():
    run = build(CASES["mlp"])
    assert (len(run.train_set), len(run.test_set)) == (48, 12)
    rows = {tuple(r) for r in np.concatenate([run.train_set.X, run.test_set.X])}
    assert len(rows) == 60
    train, test = split(run.train_set, 0.0, seed=3)
    assert len(train) == 48 and len(test) == 0


def test_optimizer_and_loss_follow_the_config():
    run = build(project(MLP, ("moons", {"n": 60}), optimizer="AdamW", lr=0.01, betas=(0.8, 0.9),
                        weight_decay=0.05))
    assert type(run.optimizer).__name__ == "AdamW"
    assert (run.optimizer.lr, run.optimizer.betas, run.optimizer.weight_decay) == (0.01, (0.8, 0.9), 0.05)
    assert isinstance(run.loss_fn, nn.CrossEntropyLoss)
    run = build(project(MLP, ("moons", {"n": 60}), momentum=0.5))
    assert type(run.optimizer).__name__ == "SGD" and run.optimizer.momentum == 0.5


def test_bce_on_two_classes_gets_float_targets_of_the_output_shape():
    layers = [L("Linear", {"out_features": 4}), L("Tanh"), L("Linear", {"out_features": 1}),
              L("Sigmoid")]
    run = build(project(layers, ("xor", {"n": 40}), loss="BCELoss"))
    x, y = next(iter(run.data))
    assert y.dtype == np.float32 and y.shape == (32, 1)
    assert np.isfinite(run.loss_fn(run.model(x), y).item())


def test_token_data_stays_integer_for_an_embedding_and_becomes_float_otherwise():
    x, _ = next(iter(build(CASES["lstm"]).data))
    assert x.dtype == np.int64
    layers = [L("Flatten"), L("Linear", {"out_features": 8})]
    x, _ = next(iter(build(project(layers, ("recall_first", {"n": 40}))).data))
    assert x.dtype == np.float32


def test_sequence_lstm_returns_the_last_step_or_all_steps():
    sg.manual_seed(0)
    x = sg.randn(3, 5, 2)
    last, every = SequenceLSTM(2, 4), SequenceLSTM(2, 4, return_sequence=True)
    every.load_state_dict(last.state_dict())
    output, (h, _) = nn.LSTM.forward(last, x)
    assert every(x).shape == (3, 5, 4)
    np.testing.assert_allclose(last(x).numpy(), h.numpy()[0], rtol=1e-6)
    np.testing.assert_allclose(every(x).numpy(), output.numpy(), rtol=1e-6)


def test_a_project_with_errors_raises_build_error_listing_them():
    bad = project([L("Linear", {"out_features": 3})], ("moons", {"n": 60}), lr=-1.0)
    with pytest.raises(BuildError) as info:
        build(bad)
    assert [i.field for i in info.value.issues] == ["lr", None]
    assert "layer 0 (Linear): outputs (N, 3), but CrossEntropyLoss on 'moons' needs (N, 2)" in str(info.value)


def test_cuda_without_a_device_is_a_training_issue():
    if sg.cuda_available():
        pytest.skip("a CUDA device is present")
    with pytest.raises(BuildError) as info:
        build(project(MLP, ("moons", {"n": 60}), device="cuda"))
    assert [(i.section, i.field) for i in info.value.issues] == [("train", "device")]


@pytest.mark.gpu
def test_cuda_build_puts_weights_and_batches_on_the_gpu():
    run = build(project(CNN, ("shapes", {"n": 40, "size": 8}), device="cuda"))
    assert {p.device for p in run.model.parameters()} == {"cuda"}
    x, y = next(iter(run.data))
    loss = run.loss_fn(run.model(x), y)
    loss.backward()
    run.optimizer.step()
    assert x.device == "cuda" and np.isfinite(loss.item())


def test_breakpoint_specs_become_debugger_breakpoints():
    specs = [BreakpointSpec("2/relu#0", "forward"), BreakpointSpec("1", "backward"),
             BreakpointSpec("", non_finite=True, loss_up=3, iteration=7),
             BreakpointSpec("3", grad_norm_above=10.0, dead_relu_above=0.5),
             BreakpointSpec("0", non_finite=True, enabled=False),
             BreakpointSpec("4", ignore_count=2)]
    numbered = [(0, Breakpoint.node("2/relu#0", "forward")), (1, Breakpoint.layer("1", "backward")),
                (2, Breakpoint.non_finite()), (2, Breakpoint.loss_spike(3)),
                (2, Breakpoint.iteration(7)), (3, Breakpoint.grad_norm(10.0, "3")),
                (3, Breakpoint.dead_relu(0.5, "3")), (5, Breakpoint.layer("4"))]
    assert make_breakpoints(specs) == [replace(b, spec=i, ignore=2 if i == 5 else 0)
                                       for i, b in numbered]
