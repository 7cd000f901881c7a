"""File > Open data's dialog: a CSV previewed with its classes, its label column and task
chosen; an image folder drawn; a broken file's problem shown inline with OK disabled."""
import numpy as np
from PySide6.QtWidgets import QDialogButtonBox

from widgets.open_data_dialog import KINDS, OpenDataDialog


def ok_enabled(dialog):
    return dialog.buttons.button(QDialogButtonBox.Ok).isEnabled()


def test_a_csv_is_previewed_with_its_classes_and_chosen_label(qtbot, tmp_path):
    path = tmp_path / "flowers.csv"
    path.write_text("width,height,kind\n" + "".join(
        f"{i * 0.1:.1f},{i % 3}.5,{['iris', 'rose'][i % 2]}\n" for i in range(10)))
    dialog = OpenDataDialog()
    qtbot.addWidget(dialog)
    dialog.set_path("path", path)
    assert [dialog.label_column.itemText(i) for i in range(3)] == ["width", "height", "kind"]
    qtbot.waitUntil(lambda: ok_enabled(dialog), timeout=10_000)
    assert "10 samples of shape (2,)" in dialog.summary.text()
    assert "iris (5), rose (5)" in dialog.summary.text()
    assert dialog.samples.count() == 6
    dialog.label_column.setCurrentIndex(0)  # "kind" becomes a feature: not numbers
    qtbot.waitUntil(lambda: dialog.error.text() != "", timeout=10_000)
    assert "cell 'iris' at row 2, column 3 ('kind') is not a finite number" in dialog.error.text()
    assert not ok_enabled(dialog)
    dialog.label_column.setCurrentIndex(2)
    dialog.task.setCurrentText("classification")
    qtbot.waitUntil(lambda: ok_enabled(dialog), timeout=10_000)
    spec = dialog.spec()
    assert (spec.name, spec.params) == ("csv", {"path": str(path), "label": 2,
                                                "task": "classification"})


def test_a_broken_file_is_explained_inline(qtbot, tmp_path):
    path = tmp_path / "broken.npz"
    path.write_bytes(b"PK\x03\x04 not an archive")
    dialog = OpenDataDialog()
    qtbot.addWidget(dialog)
    dialog.kind.setCurrentText("NPZ file (arrays x and y)")
    dialog.set_path("path", path)
    qtbot.waitUntil(lambda: dialog.error.text() != "", timeout=10_000)
    assert "broken.npz: cannot read as NPZ" in dialog.error.text() and not ok_enabled(dialog)


def test_an_image_folder_shows_samples_drawn(qtbot, tmp_path):
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        for i in range(2):
            (tmp_path / name / f"{i}.pgm").write_bytes(b"P5 4 4 255\n" + bytes(range(16)))
    dialog = OpenDataDialog()
    qtbot.addWidget(dialog)
    dialog.kind.setCurrentText([k for k in KINDS if KINDS[k][0] == "image_folder"][0])
    dialog.set_path("path", tmp_path)
    qtbot.waitUntil(lambda: ok_enabled(dialog), timeout=10_000)
    assert "4 samples of shape (1, 4, 4)" in dialog.summary.text()
    pixmap = dialog.samples.itemAt(0).widget().pixmap()
    assert not pixmap.isNull() and np.all(dialog.spec().params["path"] == str(tmp_path))
