"""app.debugging.static_build: every preset compiles (or names the layer it cannot), the step trains
the same numbers as the dynamic model, keys match the debugger's, fused nodes are marked,
and fetching more tensors recompiles at a measured cost."""
import numpy as np
import pytest

from app.project.build import BuildError, build
from app.debugging.debugger import Debugger
from app.debugging.interface import LOSS_SCOPE
from app.project.presets import list_presets, load_preset
from app.project.specs import LayerSpec
from app.debugging.static_build import compile_project
from engine import scope

PRESETS = [info.name for info in list_presets()]


def first_batch(built):
    x, y = next(iter(built.data))
    return x, y


def dynamic_loss(built, x, y):
    out = built.model(x)
    with scope(LOSS_SCOPE):
        return float(built.loss_fn(out, y).numpy())


@pytest.fixture(scope="module")
def xor():
    project = load_preset("xor")
    return project, compile_project(build(project), project.train)


@pytest.mark.parametrize("name", PRESETS)
def test_every_preset_compiles_and_its_first_loss_is_the_dynamic_one(name):
    project = load_preset(name)
    built = build(project)
    if project.network.script:  # the script presets branch on data in Python
        with pytest.raises(BuildError, match="static mode cannot compile the model") as info:
            compile_project(built, project.train)
        assert "static.cond" in str(info.value)
        return
    static = compile_project(built, project.train)
    x, y = first_batch(built)
    expected = dynamic_loss(built, x, y)
    assert static.step(x.array, y.array) == pytest.approx(expected, rel=1e-5)
    assert static.loss_key.startswith(f"{LOSS_SCOPE}/")
    assert [p.name for p in static.passes] == ["constant_folding", "cse", "dce", "fusion",
                                               "memory_planning"]
    assert static.passes[0].nodes_before == len(static.written)
    assert static.passes[-1].nodes_after == len(static.compiled)
    assert 0 < static.peak_bytes_after <= static.peak_bytes_before
    assert static.compile_seconds > 0


def test_a_layer_that_needs_the_batch_size_gets_a_graph_per_batch_size():
    project = load_preset("lstm_recall")
    built = build(project)
    static = compile_project(built, project.train)
    x, y = first_batch(built)
    assert static.written.placeholders()[0].shape[0] == project.train.batch_size
    half = slice(0, project.train.batch_size // 2)
    expected = dynamic_loss(built, x[half], y[half])
    assert static.step(x.array[half], y.array[half]) == pytest.approx(expected, rel=1e-5)


def test_a_layer_static_mode_cannot_compile_is_named_with_its_input_shape():
    project = load_preset("xor")
    project.network.layers.insert(1, LayerSpec("BatchNorm1d"))
    with pytest.raises(BuildError) as info:
        compile_project(build(project), project.train)
    message = str(info.value)
    assert "row 2 (BatchNorm1d)" in message and "static mode" in message
    assert f"({project.train.batch_size}, 8)" in message
    assert info.value.issues[0].row == 1


def test_forward_keys_are_the_dynamic_debuggers(xor):
    project, static = xor
    debugger = Debugger(build(project))
    debugger.step_phase()  # to the end of forward
    assert debugger.wait()
    dynamic = debugger.state().graph
    debugger.close()
    written = {n.key: n for n in static.graph_nodes("written")}
    for node in dynamic:
        assert written[node.key].op == node.op
        assert written[node.key].inputs == node.inputs
        assert written[node.key].shape == tuple(node.shape)


def test_fused_nodes_name_what_they_fused(xor):
    _, static = xor
    assert static.fused_keys == {"2/fused#0"}
    assert static.fused_from["2/fused#0"] == ("1/mul#0", "1/sub#0", "2/mul#0")
    compiled = {n.key: n for n in static.graph_nodes("compiled")}
    assert compiled["2/fused#0"].fused_from == ("mul", "sub", "mul")
    assert not any(n.fused_from for n in static.graph_nodes("written"))
    assert "1/sub#0" not in compiled  # folded into the fused node
    assert len(compiled) < len(static.graph_nodes("written"))


def test_fetched_tensors_are_the_layers_values(xor):
    project, static = xor
    built = build(project)
    static = compile_project(built, project.train, ("0/linear#0", "1/tanh#0"))
    x, y = first_batch(built)
    weight, bias = (p.numpy().copy() for p in built.model[0].parameters())
    static.step(x.array, y.array)
    linear = static.fetched["0/linear#0"]
    np.testing.assert_allclose(linear, x.array @ weight.T + bias, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(static.fetched["1/tanh#0"], np.tanh(linear), rtol=1e-5,
                               atol=1e-6)


def test_fetching_a_fused_intermediate_keeps_it_and_says_what_it_cost(xor):
    _, static = xor
    assert "1/sub#0" in static.fetchable_keys()
    after = static.with_fetches(("1/tanh#0", "1/sub#0"))
    assert after.fetch_keys == ("1/tanh#0", "1/sub#0")
    chains = list(after.fused_from.values())  # sub may end a chain, no longer sit inside one
    assert ("1/mul#0", "1/sub#0") in chains
    assert ("1/mul#0", "1/sub#0", "2/mul#0") not in chains
    assert after.recompile_seconds > 0
    assert after.peak_bytes_change == after.peak_bytes_after - static.peak_bytes_after
    assert static.recompile_seconds is None
    x, y = first_batch(after.built)
    after.step(x.array, y.array)
    tanh = after.fetched["1/tanh#0"]  # d tanh = 1 - tanh², which sub computes
    np.testing.assert_allclose(after.fetched["1/sub#0"], 1 - tanh * tanh, rtol=1e-5, atol=1e-6)


def test_fetching_a_fused_node_fetches_its_chains_result(xor):
    _, static = xor
    after = static.with_fetches(("2/fused#0",))
    assert after.fused_keys == {"2/fused#0"}
    x, y = first_batch(after.built)
    after.step(x.array, y.array)
    assert after.fetched["2/fused#0"].shape == (len(x.array), 8)


def test_an_unknown_fetch_is_refused_by_name(xor):
    _, static = xor
    with pytest.raises(KeyError, match="9/nothing#0"):
        static.with_fetches(("9/nothing#0",))
    with pytest.raises(ValueError, match="compiled"):
        static.graph_nodes("optimised")
