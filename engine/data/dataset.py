"""Dataset: features and targets held as numpy arrays, with what a model builder needs to know
(input shape, task, number of classes)."""
import numpy as np

TASKS = ("classification", "regression", "binary")


class DataError(ValueError):
    """A dataset or a data file is malformed; the message names the source and the problem."""


def infer_task(y):
    """The task that targets `y` suggest: "classification" for non-negative integer-valued
    1-D labels, else "regression"."""
    y = np.asarray(y)
    if y.ndim == 1 and y.size and y.dtype.kind in "iub":
        return "classification" if y.min() >= 0 else "regression"
    if y.ndim == 1 and y.size and y.dtype.kind == "f" and np.all(np.isfinite(y)):
        integral = np.all(y == np.round(y)) and y.min() >= 0
        return "classification" if integral else "regression"
    return "regression"


def check_int(name, what, value, minimum):
    """Rejects a non-integer parameter or one below `minimum`, naming the dataset."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise DataError(f"{name}: {what} must be an integer >= {minimum}, not {value!r}")


def check_params(name, n, noise=0.0, min_n=1):
    """Rejects a sample count below `min_n` or a negative noise, naming the dataset."""
    check_int(name, "n", n, min_n)
    numeric = isinstance(noise, (int, float, np.number)) and not isinstance(noise, bool)
    if not numeric or not noise >= 0:
        raise DataError(f"{name}: noise must be >= 0, not {noise!r}")


class Dataset:
    """Samples `(X[i], y[i])` as numpy arrays.

    Features are float32 (integer features, e.g. token ids for an Embedding, stay int64).
    Targets: int64 class indices of shape (n,) for "classification"; float32 of shape (n, k)
    (or more dimensions) for "regression"; float32 0/1 of shape (n, 1) for "binary" (BCE).
    """

    def __init__(self, X, y, task, num_classes=None, name="dataset", class_names=None):
        if task not in TASKS:
            raise DataError(f"{name}: task must be one of {TASKS}, not {task!r}")
        X, y = np.asarray(X), np.asarray(y)
        if X.ndim == 0 or y.ndim == 0 or len(X) != len(y):
            raise DataError(f"{name}: features {X.shape} and targets {y.shape} must have the "
                            "same number of samples")
        for label, array in (("features", X), ("targets", y)):
            if array.dtype.kind not in "biuf":
                raise DataError(f"{name}: {label} must be numeric, not {array.dtype}")
        self.X = X.astype(np.int64 if X.dtype.kind in "iu" else np.float32, copy=False)
        self.task, self.name = task, name
        if task == "classification":
            self.y = self._class_labels(y, num_classes)
            self.num_classes = int(num_classes if num_classes is not None else
                                   (self.y.max() + 1 if len(self.y) else 0))
        else:
            y = y.astype(np.float32, copy=False)
            self.y = y[:, None] if y.ndim == 1 else y
            if task == "binary" and not np.isin(self.y, (0.0, 1.0)).all():
                raise DataError(f"{name}: binary targets must be 0 or 1")
            self.num_classes = None
        self.class_names = list(class_names) if class_names is not None else None

    def _class_labels(self, y, num_classes):
        if y.ndim != 1:
            raise DataError(f"{self.name}: class labels must be 1-D, got shape {y.shape}")
        if y.dtype.kind == "f" and not np.all(y == np.round(y)):
            raise DataError(f"{self.name}: class labels must be integers")
        y = y.astype(np.int64)
        if len(y) and y.min() < 0:
            raise DataError(f"{self.name}: class labels must be >= 0, found {y.min()}")
        if num_classes is not None and len(y) and y.max() >= num_classes:
            raise DataError(f"{self.name}: label {y.max()} out of range for "
                            f"{num_classes} classes")
        return y

    @property
    def input_shape(self):
        """Shape of one sample's features, e.g. (2,) or (1, 28, 28)."""
        return tuple(self.X.shape[1:])

    def __len__(self):
        return len(self.X)

    def __getitem__(self, index):
        return self.X[index], self.y[index]

    def to_binary(self):
        """This 2-class dataset as a "binary" one (float 0/1 targets for BCE losses)."""
        if self.task != "classification" or self.num_classes != 2:
            raise DataError(f"{self.name}: only a 2-class classification set becomes binary "
                            f"(task {self.task!r}, {self.num_classes} classes)")
        return Dataset(self.X, self.y.astype(np.float32)[:, None], "binary", name=self.name,
                       class_names=self.class_names)

    def __repr__(self):
        classes = f", {self.num_classes} classes" if self.num_classes is not None else ""
        return (f"Dataset({self.name!r}, {len(self)} samples, input {self.input_shape}, "
                f"{self.task}{classes})")


class TensorDataset(Dataset):
    """Wraps arrays or engine Tensors; the task is inferred from the targets unless given."""

    def __init__(self, X, y, task=None, num_classes=None, name="tensors"):
        X, y = (t.numpy() if hasattr(t, "numpy") and not isinstance(t, np.ndarray) else t
                for t in (X, y))
        super().__init__(X, y, task or infer_task(y), num_classes=num_classes, name=name)
