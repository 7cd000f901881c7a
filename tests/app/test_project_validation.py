"""Every kind of validation issue, each naming where it is (layer row, field)."""
import pytest

from app.project.validation import check_values, validate
from app.project.specs import (BreakpointSpec, DatasetSpec, LayerSpec as L, NetworkSpec, Project,
                       TrainConfig)


def mlp(*widths, act="Tanh"):
    layers = []
    for w in widths:
        layers += [L("Linear", {"out_features": w}), L(act)]
    return NetworkSpec(layers[:-1])


def project(network=None, dataset="spirals", **train):
    return Project(network=network or mlp(8, 2), dataset=DatasetSpec(dataset),
                   train=TrainConfig(**train))


def messages(issues, severity="error"):
    return [i.message for i in issues if i.severity == severity]


def test_a_valid_project_has_no_issues_and_every_row_shaped():
    report = validate(project())
    assert report.issues == [] and report.ok
    assert [row.output_shape for row in report.rows] == [(8,), (8,), (2,)]
    assert report.data.input_shape == (2,) and report.data.num_classes == 2


def test_parameter_errors_name_row_type_and_field_all_at_once():
    net = NetworkSpec([L("Linear", {"out_features": -3}), L("Dropout", {"p": 1.5}),
                       L("LSTM", {"return": "all"}), L("Linear", {"bias": "yes", "units": 4})])
    issues = check_values(project(net))
    assert [(i.row, i.field) for i in issues] == [(0, "out_features"), (1, "p"), (2, "return"),
                                                  (3, "bias"), (3, "units")]
    text = messages(issues)
    assert "layer 0 (Linear): out_features must be a positive integer, got -3" in text
    assert "layer 1 (Dropout): p must be between 0 and 0.99, got 1.5" in text
    assert "layer 2 (LSTM): return must be one of 'last', 'sequence', got 'all'" in text
    assert "layer 3 (Linear): bias must be true or false, got 'yes'" in text
    assert "layer 3 (Linear): unknown parameter 'units' (expected: out_features, bias)" in text


def test_unknown_layer_type():
    issues = check_values(project(NetworkSpec([L("Conv3d")])))
    assert issues[0].row == 0 and issues[0].field == "type"
    assert issues[0].message.startswith("layer 0 ('Conv3d'): unknown layer type (expected one of")


def test_report_groups_issues_by_row_and_skips_rows_after_an_error():
    net = NetworkSpec([L("Conv2d", {"out_channels": 8, "kernel_size": 5}),
                       L("MaxPool2d", {"kernel_size": 3}), L("Conv2d", {"kernel_size": 7}),
                       L("Flatten"), L("Linear", {"out_features": 4})])
    report = validate(project(net, dataset="shapes"))
    assert messages(report.for_row(2)) == ["layer 2 (Conv2d): kernel_size 7 does not fit input (8, 4, 4)"]
    assert report.for_row(4) == [] and report.rows[4].status == "not inferred"


def test_crossentropy_on_regression_is_a_loss_issue():
    report = validate(project(mlp(8, 1), dataset="sine"))
    assert [(i.section, i.field) for i in report.errors] == [("train", "loss")]
    assert messages(report.issues) == ["CrossEntropyLoss needs class labels, but 'sine' is a "
                                       "regression task: use MSELoss"]


def test_mse_on_class_labels_and_bce_on_many_classes():
    assert "MSELoss needs numeric targets" in messages(validate(project(mlp(8, 2), loss="MSELoss")).issues)[0]
    report = validate(project(NetworkSpec([L("Flatten"), L("Linear", {"out_features": 1})]),
                              dataset="shapes", loss="BCEWithLogitsLoss"))
    assert messages(report.issues) == ["BCEWithLogitsLoss needs two classes or 0/1 targets, but "
                                       "'shapes' has 4 classes: use CrossEntropyLoss"]


def test_final_layer_width_against_classes_and_targets():
    report = validate(project(mlp(8, 3)))
    assert messages(report.for_row(2)) == [
        "layer 2 (Linear): outputs (N, 3), but CrossEntropyLoss on 'spirals' needs (N, 2): "
        "one logit for each of its 2 classes"]
    report = validate(project(mlp(8, 4), dataset="sine", loss="MSELoss"))
    assert messages(report.for_row(2)) == [
        "layer 2 (Linear): outputs (N, 4), but MSELoss on 'sine' needs (N, 1): to match its "
        "targets (N, 1)"]
    assert validate(project(mlp(8, 1), dataset="spirals", loss="BCEWithLogitsLoss")).ok


@pytest.mark.parametrize("field, value, message", [
    ("lr", 0, "train: lr must be > 0, got 0"),
    ("lr", -1.0, "train: lr must be between 0 and 1000, got -1.0"),
    ("momentum", 1.5, "train: momentum must be between 0 and 0.999, got 1.5"),
    ("betas", (0.9, 1.0), "train: betas[1] must be between 0 and 0.9999, got 1.0"),
    ("betas", (0.9,), "train: betas must be two numbers, got (0.9,)"),
    ("weight_decay", -0.1, "train: weight_decay must be between 0 and 10, got -0.1"),
    ("batch_size", 2.5, "train: batch_size must be an integer, got 2.5"),
    ("seed", True, "train: seed must be an integer, got True"),
    ("optimizer", "RMSprop", "train: optimizer must be one of SGD, Adam, AdamW, got 'RMSprop'"),
    ("loss", "L1Loss", "train: loss must be one of CrossEntropyLoss, MSELoss, BCELoss, "
                       "BCEWithLogitsLoss, got 'L1Loss'"),
    ("mode", "eager", "train: mode must be one of dynamic, static, got 'eager'"),
    ("device", "tpu", "train: device must be one of cpu, cuda, got 'tpu'"),
])
def test_optimizer_and_training_ranges(field, value, message):
    issues = check_values(project(**{field: value}))
    assert [(i.section, i.field, i.message) for i in issues] == [("train", field, message)]


def test_dataset_name_parameters_and_test_fraction():
    p = project()
    p.dataset = DatasetSpec("spiral")
    assert check_values(p)[0].message.startswith("unknown dataset 'spiral' (expected one of")
    p.dataset = DatasetSpec("spirals", {"n": 2.5, "turns": 3}, test_fraction=0.95)
    assert messages(check_values(p)) == [
        "dataset 'spirals': n must be an integer, got 2.5",
        "dataset 'spirals': unknown parameter 'turns' (expected: n, noise, seed)",
        "dataset: test_fraction must be between 0 and 0.9, got 0.95"]
    p.dataset = DatasetSpec("csv")
    assert messages(check_values(p)) == ["dataset 'csv' needs path"]


def test_dataset_refusing_its_parameters_is_reported_not_raised():
    p = project()
    p.dataset = DatasetSpec("spirals", {"n": 1})
    report = validate(p)
    assert report.errors[0].section == "dataset" and "n must be an integer >= 2" in report.errors[0].message


def test_breakpoint_fields_and_targets():
    p = project()
    p.breakpoints = [BreakpointSpec("2/linear#0", "forward", non_finite=True),
                     BreakpointSpec("7", dead_relu_above=1.5, loss_up=0),
                     BreakpointSpec("a b", phase="sideways", iteration=-1)]
    issues = validate(p).issues
    assert [(i.row, i.field) for i in issues] == [(1, "dead_relu_above"), (1, "loss_up"),
                                                  (2, "target"), (2, "phase"), (2, "iteration"),
                                                  (1, "target")]
    assert issues[-1].message == ("breakpoint 1: target '7' names layer 7, but the network has "
                                  "3 layers")


def test_warnings_do_not_block():
    p = project(NetworkSpec([L("Linear", {"out_features": 2}), L("Softmax")]), batch_size=500)
    report = validate(p)
    assert report.ok
    assert messages(report.issues, "warning") == [
        "CrossEntropyLoss applies log-softmax itself: remove the final Softmax",
        "batch_size 500 is larger than the 160 training samples"]
    report = validate(project(NetworkSpec([L("Linear", {"out_features": 1})]), loss="BCELoss"))
    assert messages(report.issues, "warning") == [
        "BCELoss expects probabilities: end the network with Sigmoid, or use BCEWithLogitsLoss"]


def test_linear_on_images_warns_about_flatten():
    net = NetworkSpec([L("Conv2d", {"out_channels": 2}), L("Linear", {"out_features": 4})])
    issues = validate(project(net, dataset="shapes")).for_row(1)
    assert [i.severity for i in issues] == ["warning", "error"]
    assert "acts on the last axis of (2, 14, 14) only; add Flatten before it?" in issues[0].message
    assert "outputs (N, 2, 14, 4), but CrossEntropyLoss on 'shapes' needs (N, 4)" in issues[1].message


def test_empty_network_and_schema():
    p = project(NetworkSpec([]))
    p.schema = 2
    report = validate(p)
    assert messages(report.issues) == [
        "schema 2 is not supported (this version reads schema 1)", "the network has no layers"]


def test_malformed_rows_are_reported_not_raised():
    net = NetworkSpec([L(["Linear"]), L("Linear", [8])])
    report = validate(project(net))
    assert [(i.row, i.field) for i in report.errors] == [(0, "type"), (1, "params")]
    assert [row.status for row in report.rows] == ["error", "not inferred"]


def test_a_missing_data_file_is_a_dataset_issue(tmp_path):
    p = project()
    p.dataset = DatasetSpec("csv", {"path": str(tmp_path / "absent.csv")})
    report = validate(p)
    assert [i.section for i in report.errors] == ["dataset"]
    assert "absent.csv" in report.errors[0].message
    assert [row.status for row in report.rows] == ["not inferred"] * 3


def test_breakpoint_on_the_loss_and_one_that_never_stops():
    p = project()
    p.breakpoints = [BreakpointSpec("loss/mean#0", "backward"), BreakpointSpec("")]
    issues = validate(p).issues
    assert [(i.row, i.severity) for i in issues] == [(1, "warning")]
    assert issues[0].message == "breakpoint 1 has neither a target nor a condition: it never stops"
