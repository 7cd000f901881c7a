"""Fuzzing the project loader: every broken file is a Project or a ProjectError with a
message, never another exception; a project that loads validates and builds, or reports a
BuildError. The generators are shared with benchmarks/fuzz_projects.py (10,000 cases)."""
import json
import os
import random

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from app.project.build import BuildError, build
from app.project.files import (ProjectError, dumps, load_project, load_weights, loads,
                              project_from_dict, weights_path)
from app.project.validation import validate

from .project_mutations import (BAD_VALUES, MUTATIONS, WEIGHT_MUTATIONS, bad_weights, mutate,
                                preset_texts, run_case, saved_preset)

TEXTS = preset_texts()
CI = settings(max_examples=100, derandomize=True, deadline=None,
              suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """{preset: (its saved JSON bytes, its initial weights)}, saved once."""
    directory = tmp_path_factory.mktemp("presets")
    return {name: saved_preset(name, directory) for name in TEXTS}


def assert_no_crash(outcome, message):
    assert outcome != "crash", message
    assert outcome == "ok" or message.strip()


@pytest.mark.parametrize("kind", MUTATIONS)
@pytest.mark.parametrize("name", sorted(TEXTS))
def test_every_mutation_of_every_preset_loads_or_is_refused(tmp_path, name, kind):
    rng = random.Random(f"{name}:{kind}")
    for _ in range(2):
        assert_no_crash(*run_case(mutate(TEXTS[name], kind, rng), tmp_path))


@pytest.mark.parametrize("kind", WEIGHT_MUTATIONS)
def test_weights_that_do_not_fit_the_network_are_refused_with_a_message(tmp_path, saved, kind):
    for name in sorted(TEXTS):
        project, state = saved[name]
        outcome, message = run_case(project, tmp_path, bad_weights(state, kind, random.Random(0)))
        assert outcome == "error", (name, message)
        assert "case.npz" in message


def test_weights_messages_name_the_problem(tmp_path, saved):
    project, state = saved["cnn_shapes"]
    rng = random.Random(0)
    expected = {"shape": "has shape", "object": "holds Python objects",
                "not_zip": "not a readable .npz", "dtype_str": "not numbers",
                "rename": "has no weight", "missing": "is missing",
                "huge": "far more than this network's weights",
                "lying_header": "claims shape (300000, 300000) of float32, but holds only"}
    for kind, words in expected.items():
        outcome, message = run_case(project, tmp_path, bad_weights(state, kind, rng))
        assert outcome == "error" and words in message, (kind, message)


def test_the_preset_weights_saved_with_the_project_load(tmp_path):
    for name in sorted(TEXTS):
        project, state = saved_preset(name, tmp_path)
        model = build(load_project(tmp_path / f"{name}.json")).model
        load_weights(weights_path(tmp_path / f"{name}.json"), model, tmp_path / f"{name}.json")
        for key, array in model.state_dict().items():
            np.testing.assert_array_equal(array, state[key])


@pytest.mark.parametrize("text, words", [
    (b"", "Expecting value"),
    (b"\xef\xbb\xbf", "Expecting value"),
    (b"[]", "the document is a JSON list"),
    (b'{"schema": 2, "network": {"layers": []}}', "schema version 2"),
    (b'{"schema": "1", "network": {"layers": []}}', "schema version '1'"),
    (b'{"schema": 1, "network": {"layers": []}, "train": {"lr": NaN}}', "NaN is not a number"),
    (b'{"schema": 1, "network": {"layers": []}, "train": {"lr": 1e400}}',
     "the number 1e400 is out of range"),
    (b'{"schema": 1, "network": {"layers": []}, "train": {"seed": 1' + b"0" * 400 + b"}}",
     "(401 digits) is too large"),
    (b'{"schema": 1, "network": {"layers": []}, "name": "\xff"}', "not valid UTF-8 text (byte 0xff"),
    (b"\xff\xfe{", "not valid UTF-8"),
    (b'{"schema": 1, "network": {"layers": []}, "name": "a\\ud83d"}', "is not valid Unicode"),
    (b'{"schema": 1, "network": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
     "nested too deeply"),
    (b'{"schema": 1, "network": {"layers": [[[[[[[[[1]]]]]]]]]}}', "nested deeper than 8"),
])
def test_broken_documents_give_their_message(text, words):
    with pytest.raises(ProjectError) as caught:
        loads(text, "broken.json")
    assert words in str(caught.value) and "broken.json" in str(caught.value)


def test_a_utf8_byte_order_mark_is_accepted():
    text = TEXTS["xor"].encode("utf-8")
    assert loads(b"\xef\xbb\xbf" + text) == loads(text)


@pytest.mark.parametrize("params, words", [
    ({"n": 10 ** 9}, "n must be <= 1,000,000"),
    ({"n": 200_000, "size": 64}, "more than the 20,000,000 a generated dataset may hold"),
    ({"size": 10 ** 5}, "size must be <= 256"),
    ({"noise": 1e308}, "noise must be <= 100"),
])
def test_absurd_dataset_sizes_are_refused_before_generating(params, words):
    doc = json.loads(TEXTS["cnn_shapes"])
    doc["dataset"]["params"].update(params)
    with pytest.raises(ProjectError, match="dataset 'shapes'") as caught:
        loads(json.dumps(doc))
    assert words in str(caught.value)


def test_a_data_file_that_is_not_a_regular_file_is_refused():
    doc = json.loads(TEXTS["xor"])
    doc["dataset"] = {"name": "csv", "params": {"path": "/dev/zero"}, "test_fraction": 0.2}
    project = loads(json.dumps(doc))  # a file may move: only building needs it
    with pytest.raises(BuildError, match="'/dev/zero' is not a regular file"):
        build(project)


# ---- hypothesis ------------------------------------------------------------------------------
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.sampled_from(["schema", "network", "layers", "type", "params", "train",
                                       "dataset", "name", "lr", "n", "x"]) | st.text(max_size=4),
                      children, max_size=4),
    max_leaves=24)


def load_and_build(doc):
    """A document is refused with a message, or it loads, validates and builds (or says why
    it cannot build); a model script is not run (building would run it)."""
    try:
        project = project_from_dict(doc, "fuzz.json")
    except ProjectError as exc:
        assert str(exc).startswith("fuzz.json: ") and exc.problem
        return
    assert loads(dumps(project)) == project  # what loads can be saved as it was
    validate(project)
    if getattr(project.network, "script", ""):
        return
    try:
        build(project)
    except BuildError as exc:
        assert exc.issues and all(issue.message for issue in exc.issues)


@CI
@given(json_values)
def test_any_json_document_loads_or_is_refused(doc):
    load_and_build(doc)


@CI
@given(json_values.map(lambda doc: {"schema": 1, "network": {"layers": []}, **doc}
                       if isinstance(doc, dict) else doc))
def test_any_json_with_a_schema_loads_or_is_refused(doc):
    load_and_build(doc)


def _replace(doc, path, value):
    """Set the value at `path`, when an earlier change left that path in place."""
    target = doc
    try:
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
    except (KeyError, IndexError, TypeError):
        pass


PRESET_PATHS = [("dataset", "params", "n"), ("dataset", "params", "noise"), ("dataset", "name"),
                ("dataset", "test_fraction"), ("train", "lr"), ("train", "batch_size"),
                ("train", "seed"), ("train", "betas"), ("train", "loss"), ("train", "device"),
                ("network", "layers", 0, "params"), ("network", "layers", -1, "type"),
                ("network", "layers", 0), ("breakpoints",), ("name",), ("schema",)]
bad_values = st.sampled_from(BAD_VALUES) | st.integers(-2 ** 40, 2 ** 40) \
    | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=6) | json_values


@CI
@given(st.sampled_from(sorted(TEXTS)),
       st.lists(st.tuples(st.sampled_from(PRESET_PATHS), bad_values), min_size=1, max_size=3))
def test_presets_with_random_bad_values_load_or_are_refused(name, changes):
    doc = json.loads(TEXTS[name])
    for path, value in changes:
        _replace(doc, path, value)
    load_and_build(doc)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes (POSIX)")
def test_a_pipe_or_a_folder_is_refused_without_blocking(tmp_path):
    pipe = tmp_path / "pipe.json"
    os.mkfifo(pipe)
    for path in (pipe, tmp_path):
        with pytest.raises(ProjectError, match="cannot read the file: it is"):
            load_project(path)
    with pytest.raises(ProjectError, match="cannot read the file: it is not a regular file"):
        load_weights(pipe, build(loads(TEXTS["xor"])).model)
    with pytest.raises(ProjectError, match="cannot read the file"):
        load_project(str(tmp_path / "nul\0.json"))
