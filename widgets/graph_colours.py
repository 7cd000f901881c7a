"""Colouring the graph's nodes by a statistic (gradient RMS, activation mean, dead units,
non-finite values), and the legend drawn over the view."""
import math

import numpy as np
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QLinearGradient

STAT_ROW = {"mean": 0, "std": 1, "min": 2, "max": 3, "norm": 4, "zero_fraction": 5,
            "nonfinite": 6}
STATISTICS = {  # name -> (label, kind of tensor)
    "grad_rms": ("gradient RMS (norm/√n)", "grad"),
    "value_mean": ("activation mean", "value"),
    "dead_fraction": ("zero fraction (dead units)", "value"),
    "nonfinite": ("non-finite values", "value"),
}
PALETTE = ["#30123b", "#4662d7", "#1ae4b6", "#a2fc3c", "#fb8022", "#c3260d"]


def node_colours(name, items, full, collapsed, stats):
    """({shown key: fill colour}, legend (label, low, high) or None) for statistic `name`
    (None: colour by kind); `stats` is {"value"|"grad": {key: row}}."""
    if name is None:
        return {}, None
    label, kind = STATISTICS[name]
    values = {}
    for key in items:
        members = full.groups().get(key, [key]) if key in collapsed else [key]
        found = [v for v in (_statistic(name, m, stats[kind], full) for m in members)
                 if v is not None]
        if found:
            values[key] = max(found) if name != "value_mean" else np.mean(found)
    if not values:
        return {}, (label, None, None)
    if name == "nonfinite":
        return {k: PALETTE[-1] if v > 0 else "#c9ebc9" for k, v in values.items()}, (label, 0, 1)
    log = name == "grad_rms"
    shown = {k: math.log10(v) if log and v > 0 else (v if not log else -12.0)
             for k, v in values.items() if np.isfinite(v)}
    low, high = min(shown.values(), default=0.0), max(shown.values(), default=1.0)
    fills = {k: palette((v - low) / (high - low) if high > low else 0.5)
             for k, v in shown.items()}
    return fills, (label + (" (log10)" if log else ""), low, high)


def _statistic(name, key, rows, full):
    row = rows.get(key)
    if row is None:
        return None
    if name == "grad_rms":
        node = full.by_key.get(key)
        n = max(1, int(np.prod(node.shape))) if node is not None else 1
        return row[STAT_ROW["norm"]] / math.sqrt(n)
    if name == "value_mean":
        return row[STAT_ROW["mean"]]
    if name == "dead_fraction":
        return row[STAT_ROW["zero_fraction"]]
    return row[STAT_ROW["nonfinite"]]


def draw_legend(painter, width, legend):
    """The colour bar with its label and range, top right of a viewport `width` wide."""
    label, low, high = legend
    painter.save()
    painter.resetTransform()
    box = QRectF(width - 250, 8, 240, 46)
    painter.setPen(QColor("#9aa3b2"))
    painter.setBrush(QColor(255, 255, 255, 230))
    painter.drawRect(box)
    painter.setPen(QColor("#222222"))
    painter.drawText(box.adjusted(6, 2, -6, -28), Qt.AlignLeft, label)
    bar = QRectF(box.left() + 6, box.top() + 20, box.width() - 12, 10)
    gradient = QLinearGradient(bar.topLeft(), bar.topRight())
    for i, colour in enumerate(PALETTE):
        gradient.setColorAt(i / (len(PALETTE) - 1), QColor(colour))
    painter.fillRect(bar, gradient)
    text = ("no statistics yet", "") if low is None else (f"{low:.3g}", f"{high:.3g}")
    below = QRectF(bar.left(), bar.bottom(), bar.width(), 14)
    painter.drawText(below, Qt.AlignLeft, text[0])
    painter.drawText(below, Qt.AlignRight, text[1])
    painter.restore()


def palette(t):
    """A colour on PALETTE at t in [0, 1]."""
    t = min(max(t, 0.0), 1.0) * (len(PALETTE) - 1)
    i = min(int(t), len(PALETTE) - 2)
    a, b = QColor(PALETTE[i]), QColor(PALETTE[i + 1])
    f = t - i
    return QColor(*(round(getattr(a, c)() * (1 - f) + getattr(b, c)() * f)
                    for c in ("red", "green", "blue")))
