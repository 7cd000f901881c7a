"""The 2-D decision view's numbers (no Qt): the model's output over a grid covering the data,
every hidden unit's output over the same grid (TF Playground's per-neuron pictures), and the
train and test losses. Everything runs under `no_grad` in eval mode on the calling thread."""
from dataclasses import dataclass

import numpy as np

import engine as sg

from app.project.layers import LAYERS

# the engine classes whose outputs are hidden units: layer types declared as activations
ACTIVATIONS = tuple(d.module for d in LAYERS.values() if d.activation)
MARGIN = 0.1  # of the data's span, added on each side of the bounding box
MAX_UNITS = 64  # pictures shown per layer


class NotPlanar(ValueError):
    """The dataset's inputs are not points of the plane; the message says its shape."""


@dataclass
class UnitLayer:
    name: str  # "1 (Tanh)": the layer's path and type
    units: np.ndarray  # (n_units, res, res): each unit's output over the grid
    total: int  # hidden units in the layer (units holds at most MAX_UNITS of them)


@dataclass
class Surface:
    """`kind`: "binary" (values = probability of class 1), "classes" (values = (res, res, C)
    probabilities) or "regression" (values = the first output). Grid rows follow `ys`."""

    xs: np.ndarray
    ys: np.ndarray
    kind: str
    values: np.ndarray
    layers: list
    train_loss: float
    test_loss: float
    train_points: tuple  # (X (N, 2), y (N,))
    test_points: tuple


def planar_problem(dataset):
    """Raise NotPlanar unless the samples are 2-D points."""
    shape = tuple(np.shape(dataset.X))
    if len(shape) != 2 or shape[1] != 2 or np.asarray(dataset.X).dtype.kind != "f":
        raise NotPlanar(f"decision view needs 2-D inputs (this dataset has shape {shape})")


def grid_axes(points, resolution=80, margin=MARGIN):
    """(xs, ys): `resolution` values each over the points' bounding box plus `margin`."""
    points = np.asarray(points, dtype=np.float64)
    low, high = points.min(axis=0), points.max(axis=0)
    pad = np.maximum((high - low) * margin, 1e-3)
    low, high = low - pad, high + pad
    return (np.linspace(low[0], high[0], resolution), np.linspace(low[1], high[1], resolution))


class _ActivationCapture(sg.Observer):
    """Collects the output of every activation module, in call order."""

    def __init__(self):
        self.outputs = []

    def on_module_exit(self, module, path, output):
        if isinstance(module, ACTIVATIONS):
            self.outputs.append((f"{path} ({type(module).__name__})", output))


def compute_surface(built, loss_name, resolution=80):
    """A Surface for `built` (app.project.build.BuiltProject); raises NotPlanar for other data."""
    train, test = built.train_set, built.test_set
    planar_problem(train)
    points = np.concatenate([train.X, test.X]) if len(test) else train.X
    xs, ys = grid_axes(points, resolution)
    gx, gy = np.meshgrid(xs, ys)
    grid = np.stack([gx.ravel(), gy.ravel()], axis=1).astype(train.X.dtype)
    model = built.model
    was_training = model.training
    model.eval()
    try:
        with sg.no_grad():
            capture = _ActivationCapture()
            with sg.observe(capture):
                out = model(sg.tensor(grid, device=built.device))
            layers = _unit_layers(capture.outputs, out, resolution)
            train_loss = _loss(built, train)
            test_loss = _loss(built, test)
    finally:
        model.train(was_training)
    kind, values = _read_output(out.numpy(), loss_name, resolution)
    return Surface(xs, ys, kind, values, layers, train_loss, test_loss,
                   (train.X, _labels(train.y)), (test.X, _labels(test.y)))


def _unit_layers(outputs, final, resolution):
    layers = []
    for name, tensor in outputs:
        if tensor is final or tensor.ndim != 2:  # an output activation is not a hidden layer
            continue
        values = tensor.numpy()
        units = values[:, :MAX_UNITS].T.reshape(-1, resolution, resolution)
        layers.append(UnitLayer(name, units, values.shape[1]))
    return layers


def _read_output(out, loss_name, resolution):
    out = out.reshape(resolution * resolution, -1).astype(np.float64)
    shape = (resolution, resolution)
    if loss_name == "CrossEntropyLoss":
        e = np.exp(out - out.max(axis=1, keepdims=True))
        probs = e / e.sum(axis=1, keepdims=True)
        if probs.shape[1] == 2:
            return "binary", probs[:, 1].reshape(shape)
        return "classes", probs.reshape(shape + (-1,))
    if loss_name == "BCEWithLogitsLoss":
        return "binary", (1.0 / (1.0 + np.exp(-out[:, 0]))).reshape(shape)
    if loss_name == "BCELoss":
        return "binary", out[:, 0].reshape(shape)
    return "regression", out[:, 0].reshape(shape)


def _loss(built, dataset):
    if not len(dataset):
        return float("nan")
    prediction = built.model(sg.tensor(dataset.X, device=built.device))
    return float(built.loss_fn(prediction, sg.tensor(dataset.y, device=built.device)).item())


def _labels(y):
    """One value per point: the class index, the 0/1 target, or the regression target."""
    y = np.asarray(y)
    return y[:, 0] if y.ndim == 2 else y
