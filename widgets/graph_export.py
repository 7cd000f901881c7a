"""The graph view's scene as a PNG or SVG file."""
from PySide6.QtCore import QRectF
from PySide6.QtGui import QColor, QImage, QPainter
from PySide6.QtSvg import QSvgGenerator

from .graph_items import NodeItem


def export_png(scene, items, path, max_side=8000):
    """Write the whole scene to `path` (PNG, at most `max_side` pixels a side)."""
    rect = scene.sceneRect()
    scale = min(2.0, max_side / max(rect.width(), rect.height(), 1.0))
    image = QImage(int(rect.width() * scale), int(rect.height() * scale), QImage.Format_ARGB32)
    image.fill(QColor("white"))
    painter = QPainter(image)
    painter.setRenderHints(QPainter.Antialiasing | QPainter.TextAntialiasing)
    _render(scene, items, painter, QRectF(image.rect()), rect)
    if not image.save(str(path), "PNG"):
        raise OSError(f"GraphView: could not write the PNG file {path}")


def export_svg(scene, items, path):
    """Write the whole scene to `path` as SVG (shapes and text)."""
    rect = scene.sceneRect()
    generator = QSvgGenerator()
    generator.setFileName(str(path))
    generator.setSize(rect.size().toSize())
    generator.setViewBox(QRectF(0, 0, rect.width(), rect.height()))
    generator.setTitle("Stepgraph computation graph")
    _render(scene, items, QPainter(generator), QRectF(0, 0, rect.width(), rect.height()), rect)


def _render(scene, items, painter, target, source):
    """Render with the node items' caches off, so that an SVG gets shapes and text rather
    than the cached pixmaps."""
    for item in items:
        item.setCacheMode(NodeItem.NoCache)
    scene.render(painter, target, source)
    painter.end()
    for item in items:
        item.setCacheMode(NodeItem.DeviceCoordinateCache)
