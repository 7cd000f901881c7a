"""Project specs -> engine objects: an nn.Sequential of real layers (children "0", "1", ...,
one per row, so a row's scope is its index) or a script's model, the loss module, the
optimizer, the train/test split and a DataLoader; and BreakpointSpecs -> the debugger's
breakpoints. The same project builds the same initial weights, split and batch order (all
drawn from `train.seed`)."""
from dataclasses import dataclass

import numpy as np

import engine as sg
from engine import nn, optim
from engine.data import DataLoader, Dataset

from app.project.data import describe, load_dataset
from app.project.layers import LAYERS, SequenceLSTM  # noqa: F401 (SequenceLSTM: public here too)
from app.project.validation import Report, expected_output, validate
from app.project.script_guard import PRISTINE, ScriptInterrupted, deadline
from app.project.script_model import (CHECK_SAMPLES, ScriptError, as_script_error,
                                      build_script_model, check_output)

SCRIPT_BUILD_TIMEOUT_S = 10.0


class BuildError(ValueError):
    """The project has errors; `issues` lists each (with its section, row and field)."""

    def __init__(self, issues):
        self.issues = list(issues)
        super().__init__("cannot build the project:\n" + "\n".join(i.message for i in self.issues))


@dataclass
class BuiltProject:
    """The engine objects of a project. `model`, `loss_fn(output, target)`, `optimizer` and
    `data` (a DataLoader: one epoch of shuffled (x, y) training batches per pass) are what
    app.debugging.interface.TrainingRun holds, so a BuiltProject can be handed to the
    debugger as is."""

    model: nn.Module
    loss_fn: nn.Module
    optimizer: object
    data: DataLoader
    train_set: Dataset
    test_set: Dataset
    report: Report  # shapes per row and warnings, for the builder view
    device: str


def build(project):
    """A BuiltProject for `project`; raises BuildError listing every error it has. A script
    project runs its script here (ScriptError when it fails): call this for it only when the
    user asks to run (app/session.py builds it on the first Run/Step)."""
    PRISTINE.restore()  # nothing a script patched in the engine reaches another project
    report = validate(project)
    if not report.ok:
        raise BuildError(report.errors)
    layers, train, script = project.network.layers, project.train, project.network.script
    dataset = _prepare(load_dataset(project.dataset), train.loss,
                       bool(script) or layers[0].type == "Embedding")
    train_set, test_set = split(dataset, project.dataset.test_fraction, train.seed)
    sg.manual_seed(train.seed)
    if script:
        model = script_model(script, train.loss, dataset)
    else:
        model = nn.Sequential(*(make_layer(layer.type, row.constructor)
                                for layer, row in zip(layers, report.rows)))
    if train.device != "cpu":
        model.to(train.device)
    loader = DataLoader(train_set, train.batch_size, shuffle=True, seed=train.seed,
                        device=train.device)
    return BuiltProject(model, getattr(nn, train.loss)(), make_optimizer(train, model.parameters()),
                       loader, train_set, test_set, report, train.device)


def script_model(source, loss, dataset):
    """The script's model, its output checked on the first samples against what `loss`
    needs for `dataset` (ScriptError naming the class, last layer and shapes). Building is
    interrupted after SCRIPT_BUILD_TIMEOUT_S (an endless loop in `__init__`), and whatever
    the script patched in the engine is restored once it is built."""
    needed, problem = expected_output(loss, describe(dataset))
    if problem:
        raise ScriptError(problem)
    try:
        with deadline(SCRIPT_BUILD_TIMEOUT_S, f"building the script's model took longer than "
                                              f"{SCRIPT_BUILD_TIMEOUT_S:g} s: stopped"):
            model = build_script_model(source)
            check_output(model, type(model).__name__, sg.tensor(dataset.X[:CHECK_SAMPLES]),
                         needed, f"{loss} on {dataset.name!r}")
    except ScriptInterrupted as exc:  # the deadline struck between two lines of ours
        raise as_script_error(exc) from exc
    finally:
        PRISTINE.restore()
    return model


def make_layer(type_name, constructor):
    """The engine module for one row, from its constructor arguments (RowShape.constructor:
    the inferred sizes and every declared parameter)."""
    return LAYERS[type_name].module(**constructor)


def make_optimizer(train, parameters):
    if train.optimizer == "SGD":
        return optim.SGD(parameters, lr=train.lr, momentum=train.momentum,
                         weight_decay=train.weight_decay)
    return getattr(optim, train.optimizer)(parameters, lr=train.lr, betas=tuple(train.betas),
                                           weight_decay=train.weight_decay)


def _prepare(dataset, loss, token_input):
    """The dataset with the targets the loss takes (class indices for CrossEntropyLoss, 0/1
    floats for the BCE losses) and float features unless an Embedding reads token ids."""
    X, y, task, classes = dataset.X, dataset.y, dataset.task, dataset.num_classes
    if loss == "CrossEntropyLoss" and task == "binary":
        y, task, classes = y[:, 0].astype(np.int64), "classification", 2
    elif loss in ("BCELoss", "BCEWithLogitsLoss") and task == "classification":
        y, task, classes = y.astype(np.float32)[:, None], "binary", None
    if X.dtype.kind in "iu" and not token_input:
        X = X.astype(np.float32)
    if X is dataset.X and y is dataset.y:
        return dataset
    return Dataset(X, y, task, num_classes=classes, name=dataset.name,
                   class_names=dataset.class_names if task == dataset.task else None)


def split(dataset, test_fraction, seed):
    """(train, test) subsets: a seeded permutation, the first round(n * test_fraction) for test."""
    order = np.random.default_rng(seed).permutation(len(dataset))
    n_test = int(round(len(dataset) * test_fraction))

    def subset(index, suffix):
        return Dataset(dataset.X[index], dataset.y[index], dataset.task,
                       num_classes=dataset.num_classes, name=f"{dataset.name} ({suffix})",
                       class_names=dataset.class_names)
    return subset(order[n_test:], "train"), subset(order[:n_test], "test")
