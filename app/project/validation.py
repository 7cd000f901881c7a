"""Validation of a Project: every problem as an Issue that names where it is (section, layer
row, field), so the builder can show each one inline instead of stopping at the first.

Two levels: `check_values` (each value on its own: types, ranges, known names; a file with
such problems is rejected on load) and `validate` (that plus how the parts fit together:
shapes through the network for the chosen dataset, loss versus task, breakpoint targets; a
saved work in progress may have these, and the builder shows them).
"""
import math
import os
import re
import stat
from dataclasses import dataclass, field
from typing import Optional

from engine import cuda_available
from engine.data import DATASETS, REQUIRED

from app.project.data import dataset_defaults, describe, load_dataset
from app.project.shapes import RowShape, format_shape, infer_shapes, layer_label
from app.project.layers import LAYERS, check_number
from app.project.specs import DEVICES, LOSSES, MODES, OPTIMIZERS, PHASES, SCHEMA_VERSION

NODE_KEY = re.compile(r"^(?P<scope>(loss|[0-9]+)(\.[A-Za-z0-9_]+)*)?"
                      r"(/(?P<op>[a-z0-9_]+)#(?P<k>[0-9]+))?$")
MAX_TEST_FRACTION = 0.9
MAX_LR = 1000.0
# generated datasets: each parameter's upper bound, and the values one may hold in all
# (checked before generating, so an absurd size is a message rather than a MemoryError)
MAX_DATASET_PARAMS = {"n": 1_000_000, "size": 256, "length": 10_000, "vocab": 100_000,
                      "noise": 100.0}
MAX_DATASET_VALUES = 20_000_000
MAX_DATA_FILE_BYTES = 1 << 30
MAX_TRAINING_BYTES = 4 << 30  # estimated memory of a training step (float32)
MAX_SCRIPT_CHARS = 200_000
MAX_LAYERS = 1_000
FOLDER_DATASETS = ("image_folder",)  # read from a folder, not a file
MAX_BREAKPOINTS = 1_000


@dataclass(frozen=True)
class Issue:
    section: str  # "project", "network", "dataset", "train" or "breakpoints"
    message: str
    row: Optional[int] = None  # the layer (network) or breakpoint index
    field: Optional[str] = None
    severity: str = "error"  # or "warning" (does not stop a build)


@dataclass
class Report:
    issues: list
    rows: list = field(default_factory=list)  # RowShape per layer
    data: object = None  # DataInfo of the dataset, when it could be generated

    @property
    def errors(self):
        return [i for i in self.issues if i.severity == "error"]

    @property
    def ok(self):
        return not self.errors

    def for_row(self, index):
        """Issues to show on network row `index`."""
        return [i for i in self.issues if i.section == "network" and i.row == index]


def check_values(project):
    """Issues with single values: unknown names, wrong types, out-of-range numbers."""
    issues = []
    if project.schema != SCHEMA_VERSION:
        issues.append(Issue("project", f"schema {project.schema!r} is not supported "
                                       f"(this version reads schema {SCHEMA_VERSION})"))
    for name in ("name", "description"):
        if not isinstance(getattr(project, name), str):
            issues.append(Issue("project", f"{name} must be a string", field=name))
    issues += _check_counts(project)
    if len(project.network.layers) <= MAX_LAYERS:
        issues += _check_layers(project.network.layers)
    issues += _check_script(project.network.script)
    issues += _check_dataset(project.dataset)
    issues += _check_train(project.train)
    for index, bp in enumerate(project.breakpoints[:MAX_BREAKPOINTS]):
        issues += [Issue("breakpoints", f"breakpoint {index}: {m}", row=index, field=f)
                   for f, m in _breakpoint_errors(bp)]
    return issues


def _check_counts(project):
    """Issues for more layers or breakpoints than a project may hold (checked first: the
    rest of validation is linear in them, the window far worse)."""
    counts = (("network", "layers", len(project.network.layers), MAX_LAYERS),
              ("breakpoints", "breakpoints", len(project.breakpoints), MAX_BREAKPOINTS))
    return [Issue(section, f"{count:,} {what}: a project holds at most {limit:,}")
            for section, what, count, limit in counts if count > limit]


def validate(project):
    """Report with every issue, the inferred shape of every row and the dataset's info."""
    issues = check_values(project)
    layers = project.network.layers
    data = None
    if not any(i.section == "dataset" for i in issues):
        issues += _data_file_issues(project.dataset)
    if not any(i.section == "dataset" for i in issues):
        try:
            data = describe(load_dataset(project.dataset))
        except (ValueError, TypeError, OSError) as exc:
            issues.append(Issue("dataset", f"dataset {project.dataset.name!r}: {exc}"))
        except MemoryError:
            issues.append(Issue("dataset", f"dataset {project.dataset.name!r}: not enough "
                                           "memory to load it"))
    script = project.network.script
    if script and layers:
        issues.append(Issue("network", "the network is the Script tab's model: this layer "
                                       "list is ignored", severity="warning"))
    if script or data is None:  # nothing to infer (a script's model is checked when it runs)
        rows = [RowShape(i, layer.type) for i, layer in enumerate(layers)]
    else:
        rows = infer_shapes(layers, data.input_shape, data.integer_input, data.vocab_size)
        bad_values = {i.row for i in issues if i.section == "network"}
        issues = _with_input_shapes(issues, rows)
        issues += [Issue("network", row.error, row=row.index) for row in rows
                   if row.error and row.index not in bad_values]
        issues += _warnings(project, data, rows)
        if layers and all(row.status == "ok" for row in rows):
            issues += _check_memory(rows, project.train.batch_size)
            issues += _check_loss(project, data, rows)
    if not layers and not script:
        issues.append(Issue("network", "the network has no layers"))
    issues += _check_targets(project.breakpoints, None if script else len(layers))
    if project.train.device == "cuda" and not cuda_available():
        issues.append(Issue("train", "device 'cuda' is unavailable here (needs CuPy and a "
                                     "CUDA device): use 'cpu'", field="device"))
    return Report(issues, rows, data)


def _with_input_shapes(issues, rows):
    """Value issues of a row that shape inference reached name the input shape it gets; the
    row's error becomes its first such message (the builder shows each message once)."""
    by_row = {row.index: row for row in rows}
    result, renamed = [], set()
    for issue in issues:
        row = by_row.get(issue.row) if issue.section == "network" else None
        if row is None or row.input_shape is None:
            result.append(issue)
            continue
        message = f"{issue.message} (input {format_shape(row.input_shape)})"
        if row.error and row.index not in renamed:
            row.error = message
            renamed.add(row.index)
        result.append(Issue(issue.section, message, issue.row, issue.field, issue.severity))
    return result


def _check_memory(rows, batch_size):
    """An issue on the row that takes the estimated memory of a training step past
    MAX_TRAINING_BYTES: parameters with gradient and two optimizer moments, and per sample
    each output with its gradient and what backward keeps (float32)."""
    if not isinstance(batch_size, int) or isinstance(batch_size, bool):
        return []
    total = 0
    for row in rows:
        total += 4 * (4 * row.parameter_count + 3 * batch_size * math.prod(row.output_shape))
        if total > MAX_TRAINING_BYTES:
            return [Issue("network", f"{layer_label(row.index, row.type)}: with output "
                                     f"{format_shape(row.output_shape)} and batch_size "
                                     f"{batch_size}, a training step needs about "
                                     f"{total / 2 ** 30:.1f} GiB, more than the "
                                     f"{MAX_TRAINING_BYTES // 2 ** 30} GiB limit: use fewer "
                                     "units or channels, or a smaller batch", row=row.index)]
    return []


def _check_layers(layers):
    issues = []
    for index, layer in enumerate(layers):
        if not isinstance(layer.type, str) or layer.type not in LAYERS:
            issues.append(Issue("network", f"layer {index} ({layer.type!r}): unknown layer type "
                                           f"(expected one of {', '.join(LAYERS)})",
                                row=index, field="type"))
            continue
        if not isinstance(layer.params, dict):
            issues.append(Issue("network", f"{layer_label(index, layer.type)}: params must be "
                                           "an object", row=index, field="params"))
            continue
        issues += [Issue("network", f"{layer_label(index, layer.type)}: {message}", row=index,
                         field=name) for name, message in layer.param_errors()]
    return issues


def _check_script(script):
    """The script is a string of bounded length that UTF-8 can encode (it is not run here)."""
    if not isinstance(script, str):
        return [Issue("network", f"network.script must be a string, got "
                                 f"{type(script).__name__}", field="script")]
    if len(script) > MAX_SCRIPT_CHARS:
        return [Issue("network", f"network.script holds {len(script):,} characters, more than "
                                 f"the {MAX_SCRIPT_CHARS:,} allowed", field="script")]
    try:
        script.encode("utf-8")
    except UnicodeEncodeError as exc:
        return [Issue("network", f"network.script is not valid text (character "
                                 f"{exc.start}: {script[exc.start]!r})", field="script")]
    return []


def _check_dataset(spec):
    if not isinstance(spec.params, dict):
        return [Issue("dataset", "dataset: params must be an object", field="params")]
    if not isinstance(spec.name, str) or spec.name not in DATASETS:
        return [Issue("dataset", f"unknown dataset {spec.name!r} (expected one of "
                                 f"{', '.join(sorted(DATASETS))})", field="name")]
    issues = []
    defaults = dataset_defaults(spec.name)
    for name, value in spec.params.items():
        if name not in defaults:
            issues.append(Issue("dataset", f"dataset {spec.name!r}: unknown parameter {name!r} "
                                           f"(expected: {', '.join(defaults)})", field=name))
            continue
        problem = _dataset_param_error(name, value, defaults[name])
        if problem:
            issues.append(Issue("dataset", f"dataset {spec.name!r}: {problem}", field=name))
    issues += [Issue("dataset", f"dataset {spec.name!r} needs {name}", field=name)
               for name, default in defaults.items() if default is REQUIRED and name not in spec.params]
    if not issues:
        issues += [Issue("dataset", f"dataset {spec.name!r}: {problem}", field=name)
                   for name, problem in _dataset_size_errors(spec.params, defaults)]
    problem = check_number("test_fraction", spec.test_fraction, False, 0, MAX_TEST_FRACTION)
    if problem:
        issues.append(Issue("dataset", f"dataset: {problem}", field="test_fraction"))
    return issues


def _dataset_param_error(name, value, default):
    """Numbers must be like their default (non-negative, integer where it is); required
    parameters are strings (file paths); optional ones (default None) any JSON scalar."""
    if isinstance(default, (int, float)) and not isinstance(default, bool):
        return check_number(name, value, isinstance(default, int), 0)
    if default is REQUIRED:
        return None if isinstance(value, str) else f"{name} must be a string, got {value!r}"
    allowed = (str, int, float, bool, type(None)) if default is None else (type(default),)
    return None if isinstance(value, allowed) else f"{name} must be like {default!r}, got {value!r}"


def _dataset_size_errors(params, defaults):
    """(parameter, problem) for sizes that could not be generated: too large a parameter,
    or too many values in all."""
    values = {**defaults, **params}
    for name, maximum in MAX_DATASET_PARAMS.items():
        if name in values and values[name] > maximum:
            yield name, f"{name} must be <= {maximum:,}, got {values[name]!r}"
            return
    if "n" in values:
        total = values["n"] * values.get("size", 1) ** 2 * values.get("length", 1)
        if total > MAX_DATASET_VALUES:
            sizes = ", ".join(f"{k} {values[k]}" for k in ("n", "size", "length") if k in values)
            yield "n", (f"{sizes} make {total:,} values, more than the "
                        f"{MAX_DATASET_VALUES:,} a generated dataset may hold")


def _data_file_issues(spec):
    """Data files (the dataset's required parameters) that could not be read as data."""
    paths = {name: spec.params[name] for name, default in dataset_defaults(spec.name).items()
             if default is REQUIRED and isinstance(spec.params.get(name), str)}
    return [Issue("dataset", f"dataset {spec.name!r}: {name}: {problem}", field=name)
            for name, problem in ((n, _data_file_error(p, spec.name in FOLDER_DATASETS))
                                  for n, p in paths.items()) if problem]


def _data_file_error(path, folder=False):
    """What makes `path` unusable as a data file (or, with `folder`, a data folder), when it
    exists (a missing file is reported by the loader)."""
    try:
        info = os.stat(path)
    except (OSError, ValueError):
        return None
    if folder:
        return None if stat.S_ISDIR(info.st_mode) else f"{path!r} is not a folder"
    if not stat.S_ISREG(info.st_mode):
        return f"{path!r} is not a regular file"
    if info.st_size > MAX_DATA_FILE_BYTES:
        return (f"{path!r} holds {info.st_size / 2 ** 30:.1f} GiB, more than the "
                f"{MAX_DATA_FILE_BYTES // 2 ** 30} GiB a data file may hold")
    return None


def _check_train(train):
    problems = []
    for name, choices in (("loss", LOSSES), ("optimizer", OPTIMIZERS), ("device", DEVICES),
                          ("mode", MODES)):
        value = getattr(train, name)
        if value not in choices:
            problems.append((name, f"{name} must be one of {', '.join(choices)}, got {value!r}"))
    problems.append(("lr", check_number("lr", train.lr, False, 0, MAX_LR)
                     or ("lr must be > 0, got 0" if train.lr == 0 else None)))
    problems.append(("momentum", check_number("momentum", train.momentum, False, 0, 0.999)))
    problems.append(("weight_decay", check_number("weight_decay", train.weight_decay, False, 0, 10)))
    problems.append(("batch_size", check_number("batch_size", train.batch_size, True, 1, 65536)))
    problems.append(("seed", check_number("seed", train.seed, True, 0, 2 ** 32 - 1)))
    betas = train.betas
    if not isinstance(betas, (tuple, list)) or len(betas) != 2:
        problems.append(("betas", f"betas must be two numbers, got {betas!r}"))
    else:
        problems += [("betas", check_number(f"betas[{i}]", b, False, 0, 0.9999))
                     for i, b in enumerate(betas)]
    return [Issue("train", f"train: {message}", field=name) for name, message in problems if message]


def _breakpoint_errors(bp):
    if not isinstance(bp.target, str) or not NODE_KEY.match(bp.target):
        yield "target", (f"target must be '' (anywhere), a layer scope such as '3' or 'loss', or "
                         f"a node key such as '3/relu#0', got {bp.target!r}")
    if bp.phase not in PHASES:
        yield "phase", f"phase must be one of {', '.join(PHASES)}, got {bp.phase!r}"
    for name in ("enabled", "non_finite"):
        if not isinstance(getattr(bp, name), bool):
            yield name, f"{name} must be true or false, got {getattr(bp, name)!r}"
    limits = {"grad_norm_above": (False, 0, None), "dead_relu_above": (False, 0, 1),
              "loss_up": (True, 1, 1000), "iteration": (True, 0, None),
              "ignore_count": (True, 0, None)}
    for name, (integer, low, high) in limits.items():
        value = getattr(bp, name)
        problem = value is not None and check_number(name, value, integer, low, high)
        if problem:
            yield name, problem


def _conditions(bp):
    return bp.non_finite or any(getattr(bp, name) is not None for name in
                                ("grad_norm_above", "dead_relu_above", "loss_up", "iteration"))


def _check_targets(breakpoints, n_layers):
    issues = []
    for index, bp in enumerate(breakpoints):
        match = NODE_KEY.match(bp.target) if isinstance(bp.target, str) else None
        if match is None:
            continue
        if not match.group("scope") and not match.group("op") and not _conditions(bp):
            issues.append(Issue("breakpoints", f"breakpoint {index} has neither a target nor a "
                                               "condition: it never stops", row=index,
                                severity="warning"))
        layer = (match.group("scope") or "loss").split(".")[0]
        if layer != "loss" and n_layers is not None and int(layer) >= n_layers:
            issues.append(Issue("breakpoints", f"breakpoint {index}: target {bp.target!r} names "
                                               f"layer {layer}, but the network has {n_layers} "
                                               "layers", row=index, field="target"))
    return issues


def _warnings(project, data, rows):
    issues = []
    layers = project.network.layers
    for row in rows:
        if row.type == "Linear" and row.input_shape is not None and len(row.input_shape) == 3:
            issues.append(Issue("network", f"{layer_label(row.index, row.type)}: acts on the last "
                                           f"axis of {row.input_shape} only; add Flatten before it?",
                                row=row.index, severity="warning"))
    last = layers[-1].type if layers else None
    loss = project.train.loss
    hints = {("CrossEntropyLoss", "Softmax"): "CrossEntropyLoss applies log-softmax itself: "
                                               "remove the final Softmax",
             ("BCEWithLogitsLoss", "Sigmoid"): "BCEWithLogitsLoss applies the sigmoid itself: "
                                                "remove the final Sigmoid"}
    if (loss, last) in hints:
        issues.append(Issue("train", hints[loss, last], field="loss", severity="warning"))
    if loss == "BCELoss" and last != "Sigmoid":
        issues.append(Issue("train", "BCELoss expects probabilities: end the network with "
                                     "Sigmoid, or use BCEWithLogitsLoss", field="loss",
                            severity="warning"))
    train_size = data.size - int(round(data.size * project.dataset.test_fraction))
    batch = project.train.batch_size
    if isinstance(batch, int) and batch > train_size:
        issues.append(Issue("train", f"batch_size {batch} is larger than the {train_size} "
                                     "training samples", field="batch_size", severity="warning"))
    return issues


def expected_output(loss, data):
    """(per-sample output shape the loss needs, None) or (None, why the loss does not fit)."""
    two_classes = data.task == "binary" or (data.task == "classification" and data.num_classes == 2)
    if loss == "CrossEntropyLoss":
        if data.task == "regression":
            return None, (f"CrossEntropyLoss needs class labels, but {data.name!r} is a "
                          "regression task: use MSELoss")
        return (data.num_classes or 2,), None
    if loss == "MSELoss":
        if data.task == "classification":
            return None, (f"MSELoss needs numeric targets, but {data.name!r} has class labels: "
                          "use CrossEntropyLoss")
        return data.target_shape, None
    if not two_classes:
        kind = f"{data.num_classes} classes" if data.num_classes else "regression targets"
        return None, (f"{loss} needs two classes or 0/1 targets, but {data.name!r} has {kind}: "
                      f"use {'CrossEntropyLoss' if data.num_classes else 'MSELoss'}")
    return (1,), None


def _check_loss(project, data, rows):
    loss = project.train.loss
    if loss not in LOSSES:
        return []
    needed, problem = expected_output(loss, data)
    if problem:
        return [Issue("train", problem, field="loss")]
    last = rows[-1]
    if last.output_shape == needed:
        return []
    if loss == "CrossEntropyLoss":
        why = f"one logit for each of its {needed[0]} classes"
    else:
        why = f"to match its targets {format_shape(needed)}"
    return [Issue("network", f"{layer_label(last.index, last.type)}: outputs "
                             f"{format_shape(last.output_shape)}, but {loss} on {data.name!r} "
                             f"needs {format_shape(needed)}: {why}", row=last.index)]
