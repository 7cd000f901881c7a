"""A folder of images, one subfolder per class: PNG (written by Qt's encoder, with its row
filters) and PGM/PPM images load as a classification set; wrong folders are clear errors."""
import numpy as np
import pytest

from engine.data import DataError, load_image_folder

QtGui = pytest.importorskip("PySide6.QtGui")


def write_png(path, pixels):
    """pixels: (H, W) or (H, W, 3) uint8, through QImage's PNG encoder."""
    height, width = pixels.shape[:2]
    if pixels.ndim == 2:
        image = QtGui.QImage(pixels.tobytes(), width, height, width, QtGui.QImage.Format_Grayscale8)
    else:
        image = QtGui.QImage(pixels.tobytes(), width, height, 3 * width, QtGui.QImage.Format_RGB888)
    assert image.copy().save(str(path), "PNG")


def test_png_folders_load_with_their_pixels_and_classes(tmp_path):
    rng = np.random.default_rng(0)
    images = {}
    for name in ("cats", "dogs"):
        (tmp_path / name).mkdir()
        for i in range(3):
            pixels = rng.integers(0, 256, (7, 9)).astype(np.uint8)
            pixels[:, :4] = np.arange(4) * 40  # smooth parts make the encoder choose filters
            write_png(tmp_path / name / f"{i}.png", pixels)
            images[(name, i)] = pixels
    data = load_image_folder(tmp_path)
    assert data.X.shape == (6, 1, 7, 9) and data.class_names == ["cats", "dogs"]
    assert data.y.tolist() == [0, 0, 0, 1, 1, 1]
    np.testing.assert_allclose(data.X[4, 0], images[("dogs", 1)] / 255.0, rtol=1e-6)


def test_colour_pngs_have_three_channels(tmp_path):
    rng = np.random.default_rng(1)
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        pixels = rng.integers(0, 256, (5, 6, 3)).astype(np.uint8)
        write_png(tmp_path / name / "x.png", pixels)
    data = load_image_folder(tmp_path)
    assert data.X.shape == (2, 3, 5, 6)
    np.testing.assert_allclose(data.X[1].transpose(1, 2, 0), pixels / 255.0, rtol=1e-6)


def test_pgm_images_and_size_mismatches(tmp_path):
    for name, side in (("small", 4), ("big", 5)):
        (tmp_path / name).mkdir()
        header = f"P5\n# made by a test\n{side} {side}\n255\n".encode()
        (tmp_path / name / "1.pgm").write_bytes(header + bytes(range(side * side)))
    with pytest.raises(DataError, match="1.pgm: 4x4 with 1 channel, while 1.pgm is 5x5"):
        load_image_folder(tmp_path)


def test_a_folder_without_class_subfolders_is_refused(tmp_path):
    (tmp_path / "only").mkdir()
    with pytest.raises(DataError, match="needs at least two class subfolders"):
        load_image_folder(tmp_path)
    with pytest.raises(DataError, match="not a folder"):
        load_image_folder(tmp_path / "missing")
