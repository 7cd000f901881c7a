"""Training configuration: dataset and its parameters, loss, optimizer and its settings
(learning rate, momentum, betas, weight decay), batch size, seed, device and mode. Every change is sent as a new Project through
`edit_requested`, like the network builder's edits."""
import copy

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (QComboBox, QDoubleSpinBox, QFormLayout, QGroupBox, QSpinBox,
                               QVBoxLayout, QWidget)

from app.project.data import dataset_defaults, generated_datasets
from app.project.specs import DEVICES, LOSSES, MODES, OPTIMIZERS
from app.session import gpu_status

LOSS_TIPS = {
    "CrossEntropyLoss": "Softmax + negative log-likelihood over class logits",
    "MSELoss": "Mean squared error, for regression",
    "BCELoss": "Binary cross-entropy of probabilities (after a Sigmoid)",
    "BCEWithLogitsLoss": "Binary cross-entropy of logits (sigmoid included, stabler)",
}
MODE_TIPS = {"dynamic": "Define-by-run: every op runs as Python executes it (steppable)",
             "static": "Build a graph first, optimise it, then run it (compare view)"}


class TrainingConfig(QWidget):
    """edit_requested(project, description, merge id)."""

    edit_requested = Signal(object, str, str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.project = None  # shown (ProjectFeed, widgets/window/feeds.py)
        self._updating = False
        self.dataset = QComboBox()
        for i, (name, description) in enumerate(generated_datasets().items()):
            self.dataset.addItem(name)
            self.dataset.setItemData(i, description, 3)  # Qt.ToolTipRole
        self.dataset.setToolTip("The training data (generated, nothing is downloaded)")
        self.dataset.currentTextChanged.connect(self._dataset_changed)
        self.dataset_params = QFormLayout()
        self.param_fields = {}
        self.loss = self._combo(LOSSES, "The loss minimised", LOSS_TIPS)
        self.optimizer = self._combo(OPTIMIZERS, "The update rule (PyTorch's)")
        self.lr = QDoubleSpinBox()
        self.lr.setDecimals(5)
        self.lr.setRange(1e-5, 1000.0)
        self.lr.setSingleStep(0.001)
        self.lr.setToolTip("Learning rate: the step size of each update")
        self.momentum = self._fraction("SGD's momentum: how much of the last update is kept "
                                       "(0: plain gradient descent)")
        self.beta1 = self._fraction("Adam's beta1: decay of the running mean of gradients")
        self.beta2 = self._fraction("Adam's beta2: decay of the running mean of squared "
                                    "gradients", decimals=4)
        self.weight_decay = self._fraction("Weight decay (L2 penalty) added to each "
                                           "gradient; AdamW decouples it from the update",
                                           decimals=4, maximum=10.0, step=0.0001)
        self.batch_size = QSpinBox()
        self.batch_size.setRange(1, 4096)
        self.batch_size.setToolTip("Samples per training step")
        self.seed = QSpinBox()
        self.seed.setRange(0, 2**31 - 1)
        self.seed.setToolTip("Seed of the initial weights, the train/test split and shuffling")
        self.device = self._combo(DEVICES, "Where tensors live: CPU (numpy) or GPU (CuPy)")
        available, reason = gpu_status()
        if not available:
            index = self.device.findText("cuda")
            self.device.model().item(index).setEnabled(False)
            self.device.setItemData(index, f"GPU unavailable: {reason}", 3)
            self.device.setToolTip(f"Where tensors live. GPU unavailable: {reason}")
        self.mode = self._combo(MODES, "Dynamic (eager, steppable) or static (compiled graph)",
                                MODE_TIPS)
        for name, box in (("lr", self.lr), ("momentum", self.momentum),
                          ("weight_decay", self.weight_decay),
                          ("batch_size", self.batch_size), ("seed", self.seed)):
            box.valueChanged.connect(lambda value, name=name: self._set_train(name, value))
        for index, box in enumerate((self.beta1, self.beta2)):
            box.valueChanged.connect(lambda value, index=index: self._set_beta(index, value))
        for name, box in (("loss", self.loss), ("optimizer", self.optimizer),
                          ("device", self.device), ("mode", self.mode)):
            box.currentTextChanged.connect(lambda value, name=name: self._set_train(name, value))

        data_box = QGroupBox("Data")
        data_form = QFormLayout(data_box)
        data_form.addRow("dataset", self.dataset)
        data_form.addRow(self.dataset_params)
        train_box = QGroupBox("Training")
        train_form = QFormLayout(train_box)
        for label, widget in (("loss", self.loss), ("optimizer", self.optimizer),
                              ("learning rate", self.lr), ("momentum", self.momentum),
                              ("beta1", self.beta1), ("beta2", self.beta2),
                              ("weight decay", self.weight_decay),
                              ("batch size", self.batch_size), ("seed", self.seed),
                              ("device", self.device), ("mode", self.mode)):
            train_form.addRow(label, widget)
        self.train_form = train_form
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(data_box)
        layout.addWidget(train_box)
        layout.addStretch(1)

    def _fraction(self, tip, decimals=3, maximum=0.9999, step=0.01):
        box = QDoubleSpinBox()
        box.setDecimals(decimals)
        box.setRange(0.0, maximum)
        box.setSingleStep(step)
        box.setToolTip(tip + ". Changes apply while training, without a reset.")
        return box

    def _combo(self, items, tip, item_tips=None):
        box = QComboBox()
        box.addItems(list(items))
        box.setToolTip(tip)
        for i, item in enumerate(items):
            if item_tips and item in item_tips:
                box.setItemData(i, item_tips[item], 3)
        return box

    # ---- showing the project --------------------------------------------------------------
    def show_project(self, project):
        """Show `project`'s dataset and training configuration; edits start from it."""
        self.project = project
        if project is None:
            return
        self._updating = True
        try:
            train = project.train
            if self.dataset.findText(project.dataset.name) < 0:
                self.dataset.addItem(project.dataset.name)
            self.dataset.setCurrentText(project.dataset.name)
            self._rebuild_params(project.dataset.name, project.dataset.params)
            self.loss.setCurrentText(train.loss)
            self.optimizer.setCurrentText(train.optimizer)
            self.lr.setValue(train.lr)
            self.momentum.setValue(train.momentum)
            self.beta1.setValue(train.betas[0])
            self.beta2.setValue(train.betas[1])
            self.weight_decay.setValue(train.weight_decay)
            self._show_optimizer_settings(train.optimizer)
            self.batch_size.setValue(train.batch_size)
            self.seed.setValue(train.seed)
            self.device.setCurrentText(train.device)
            self.mode.setCurrentText(train.mode)
        finally:
            self._updating = False

    def _show_optimizer_settings(self, optimizer):
        """Momentum for SGD, the betas for Adam and AdamW."""
        for box, shown in ((self.momentum, optimizer == "SGD"),
                           (self.beta1, optimizer != "SGD"), (self.beta2, optimizer != "SGD")):
            self.train_form.setRowVisible(box, shown)

    def _rebuild_params(self, name, params):
        while self.dataset_params.rowCount():
            self.dataset_params.removeRow(0)
        self.param_fields = {}
        for param, default in dataset_defaults(name).items():
            value = params.get(param, default)
            if isinstance(default, bool) or not isinstance(default, (int, float)):
                continue
            if isinstance(default, int):
                box = QSpinBox()
                box.setRange(0 if param == "seed" else 1, 2**31 - 1 if param == "seed" else 100000)
            else:
                box = QDoubleSpinBox()
                box.setDecimals(3)
                box.setRange(0.0, 10.0)
                box.setSingleStep(0.01)
            box.setValue(value)
            box.setToolTip(f"{name} dataset parameter {param!r} (default {default})")
            box.valueChanged.connect(lambda v, param=param: self._set_dataset_param(param, v))
            self.param_fields[param] = box
            self.dataset_params.addRow(param, box)

    # ---- edits ----------------------------------------------------------------------------
    def _emit(self, change, description, merge):
        if self._updating or self.project is None:
            return
        project = copy.deepcopy(self.project)
        change(project)
        self.edit_requested.emit(project, description, merge)

    def _set_train(self, name, value):
        self._emit(lambda p: setattr(p.train, name, value), f"set {name}", f"train:{name}")

    def _set_beta(self, index, value):
        def change(project):
            betas = list(project.train.betas)
            betas[index] = value
            project.train.betas = tuple(betas)
        self._emit(change, f"set beta{index + 1}", f"train:beta{index + 1}")

    def _dataset_changed(self, name):
        def change(project):
            project.dataset.name = name
            project.dataset.params = {}
        self._emit(change, f"dataset {name}", "")

    def _set_dataset_param(self, param, value):
        self._emit(lambda p: p.dataset.params.__setitem__(param, value),
                   f"set dataset {param}", f"dataset:{param}")
