"""File > Open data: a user's own data (a CSV file, an NPZ file, an IDX image/label pair, a
folder of images with one subfolder per class) chosen in a dialog that previews it (shapes,
classes, a few samples drawn) before it becomes the project's dataset; the label column and
the task of a CSV are chosen here, and what is wrong with a file is shown inline. The file
is read off the UI thread (the loaders are bounded); Cancel leaves a read in progress behind."""
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import (QComboBox, QDialog, QDialogButtonBox, QFileDialog, QFormLayout,
                               QHBoxLayout, QLabel, QLineEdit, QProgressBar, QPushButton,
                               QVBoxLayout, QWidget)

from app.project.data import csv_columns, preview
from app.project.specs import DatasetSpec

KINDS = {  # shown name -> (dataset, [(parameter, label, file filter or None for a folder)])
    "CSV file": ("csv", [("path", "file", "CSV files (*.csv *.txt)")]),
    "NPZ file (arrays x and y)": ("npz", [("path", "file", "NumPy archives (*.npz)")]),
    "IDX images and labels (MNIST format)": (
        "mnist_idx", [("images_path", "images", "IDX files (*)"),
                      ("labels_path", "labels", "IDX files (*)")]),
    "Folder of images (a subfolder per class)": ("image_folder", [("path", "folder", None)]),
}
TASKS = {"automatic": None, "classification": "classification", "regression": "regression"}
POLL_MS = 50
THUMB = 48


class OpenDataDialog(QDialog):
    """`spec()` is the chosen DatasetSpec once accepted."""

    def __init__(self, parent=None, start_dir=""):
        super().__init__(parent)
        self.setWindowTitle("Open data")
        self.start_dir, self._future, self._generation = start_dir, None, 0
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="open-data")
        self.kind = QComboBox()
        self.kind.addItems(list(KINDS))
        self.kind.currentTextChanged.connect(self._kind_changed)
        self.paths = {}
        self.path_rows = QFormLayout()
        self.label_column, self.task = QComboBox(), QComboBox()
        self.task.addItems(list(TASKS))
        for box in (self.label_column, self.task):
            box.currentTextChanged.connect(self.refresh)
        self.csv_form = QFormLayout()
        self.csv_form.addRow("label column", self.label_column)
        self.csv_form.addRow("task", self.task)
        self.busy = QProgressBar()
        self.busy.setRange(0, 0)
        self.busy.hide()
        self.summary, self.error = QLabel(), QLabel()
        self.error.setStyleSheet("color: #e06c75")
        for label in (self.summary, self.error):
            label.setWordWrap(True)
        self.samples = QHBoxLayout()
        self.buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        top = QFormLayout()
        top.addRow("kind", self.kind)
        for part in (top, self.path_rows, self.csv_form):
            layout.addLayout(part)
        for widget in (self.busy, self.summary, self.error):
            layout.addWidget(widget)
        layout.addLayout(self.samples)
        layout.addWidget(self.buttons)
        self.timer = QTimer(self)
        self.timer.setInterval(POLL_MS)
        self.timer.timeout.connect(self._poll)
        self._kind_changed(self.kind.currentText())

    # ---- the choice ---------------------------------------------------------------------
    def _kind_changed(self, kind):
        while self.path_rows.rowCount():
            self.path_rows.removeRow(0)
        self.paths = {}
        for param, label, file_filter in KINDS[kind][1]:
            edit = QLineEdit()
            edit.editingFinished.connect(self._paths_changed)
            browse = QPushButton("Browse...")
            browse.clicked.connect(lambda _=False, e=edit, f=file_filter: self._browse(e, f))
            row = QWidget()
            box = QHBoxLayout(row)
            box.setContentsMargins(0, 0, 0, 0)
            box.addWidget(edit, 1)
            box.addWidget(browse)
            self.path_rows.addRow(label, row)
            self.paths[param] = edit
        csv = KINDS[kind][0] == "csv"
        for row in range(self.csv_form.rowCount()):
            self.csv_form.setRowVisible(row, csv)
        self.refresh()

    def _browse(self, edit, file_filter):
        if file_filter is None:
            chosen = QFileDialog.getExistingDirectory(self, "Open a folder of images",
                                                      self.start_dir)
        else:
            chosen, _ = QFileDialog.getOpenFileName(self, "Open data", self.start_dir,
                                                    file_filter)
        if chosen:
            edit.setText(chosen)
            self._paths_changed()

    def set_path(self, param, path):
        """Fill in a path (as the Browse button does)."""
        self.paths[param].setText(str(path))
        self._paths_changed()

    def _paths_changed(self):
        if KINDS[self.kind.currentText()][0] == "csv":
            self.label_column.blockSignals(True)
            self.label_column.clear()
            columns = csv_columns(self.paths["path"].text())
            self.label_column.addItems(columns)
            self.label_column.setCurrentIndex(len(columns) - 1)
            self.label_column.blockSignals(False)
        self.refresh()

    def spec(self):
        """The DatasetSpec the dialog describes now."""
        name = KINDS[self.kind.currentText()][0]
        params = {param: edit.text().strip() for param, edit in self.paths.items()}
        if name == "csv" and self.label_column.count():
            params["label"] = self.label_column.currentIndex()
            task = TASKS[self.task.currentText()]
            if task:
                params["task"] = task
        return DatasetSpec(name, params)

    # ---- the preview, read off the UI thread ----------------------------------------------
    def refresh(self):
        """Read the chosen data again (in the worker) and show it when it is read."""
        spec = self.spec()
        self._generation += 1
        self.buttons.button(QDialogButtonBox.Ok).setEnabled(False)
        self._show_samples(None)
        if not all(spec.params.get(p) for p, _, _ in KINDS[self.kind.currentText()][1]):
            self.summary.setText("Choose the data to open.")
            self.error.clear()
            return
        self.summary.setText("Reading...")
        self.error.clear()
        self.busy.show()
        self._future = (self._generation, self._pool.submit(preview, spec))
        self.timer.start()

    def _poll(self):
        generation, future = self._future
        if not future.done():
            return
        self.timer.stop()
        self.busy.hide()
        if generation != self._generation:
            return
        try:
            shown = future.result()
        except (ValueError, OSError, TypeError, MemoryError) as exc:
            self.summary.clear()
            self.error.setText(str(exc))
            return
        self._show_preview(shown)
        self.buttons.button(QDialogButtonBox.Ok).setEnabled(True)

    def _show_preview(self, shown):
        info = shown.info
        classes = ", ".join(f"{name} ({n})" for name, n in shown.class_counts[:12])
        more = f", ... ({len(shown.class_counts)} classes)" if len(shown.class_counts) > 12 else ""
        self.summary.setText(f"{info.size:,} samples of shape {info.input_shape}, task "
                             f"{info.task}" + (f"; classes: {classes}{more}" if classes else
                                               f"; targets of shape {info.target_shape}"))
        self._show_samples(shown)

    def _show_samples(self, shown):
        while self.samples.count():
            self.samples.takeAt(0).widget().deleteLater()
        if shown is None:
            return
        for x, y in zip(shown.samples, shown.targets):
            label = QLabel()
            if np.ndim(x) >= 2:
                label.setPixmap(_thumbnail(np.asarray(x)))
            else:
                label.setText(", ".join(f"{v:.3g}" for v in np.ravel(x)[:4]))
            label.setToolTip(f"target {y}")
            label.setAlignment(Qt.AlignCenter)
            self.samples.addWidget(label)

    def done(self, result):
        self.timer.stop()
        self._pool.shutdown(wait=False, cancel_futures=True)
        super().done(result)


def _thumbnail(x):
    """A sample (C, H, W) or (H, W) drawn as a grey image from its first channel."""
    plane = x[0] if x.ndim == 3 else x
    low, high = float(plane.min()), float(plane.max())
    grey = ((plane - low) / (high - low or 1.0) * 255).astype(np.uint8)
    grey = np.ascontiguousarray(grey)
    image = QImage(grey.data, grey.shape[1], grey.shape[0], grey.shape[1],
                   QImage.Format_Grayscale8).copy()
    return QPixmap.fromImage(image).scaled(THUMB, THUMB, Qt.KeepAspectRatio)


def open_data(parent, start_dir=""):
    """The DatasetSpec the user chose, or None when cancelled."""
    dialog = OpenDataDialog(parent, start_dir)
    return dialog.spec() if dialog.exec() == QDialog.Accepted else None
