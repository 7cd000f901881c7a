"""A slider over the recorded iterations; emits the chosen one (when a drag ends: showing an
old iteration reads the history). Its label says whether that iteration still has its full
tensors or only summary statistics."""
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSlider, QWidget


class Timeline(QWidget):
    iteration_chosen = Signal(int)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.iterations = []
        self.kept = set()
        self.slider = QSlider(Qt.Horizontal)
        self.slider.setToolTip("Scrub through the iterations recorded: the graph and the "
                               "inspector show the values of the one chosen")
        self.slider.setEnabled(False)
        self.slider.setTracking(False)
        self.slider.valueChanged.connect(self._moved)
        self.label = QLabel("no iteration recorded")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 0, 4, 0)
        layout.addWidget(QLabel("Iteration"))
        layout.addWidget(self.slider, 1)
        layout.addWidget(self.label)

    def set_iterations(self, iterations, kept=()):
        """The recorded iterations, and those whose full tensors are kept; the slider moves
        to the newest when it was there (or nowhere) before."""
        at_end = not self.iterations or self.slider.value() == len(self.iterations) - 1
        self.iterations = sorted(iterations)
        self.kept = set(kept)
        self.slider.blockSignals(True)
        self.slider.setRange(0, max(len(self.iterations) - 1, 0))
        if at_end:
            self.slider.setValue(max(len(self.iterations) - 1, 0))
        self.slider.blockSignals(False)
        self.slider.setEnabled(bool(self.iterations))
        self._describe()

    def chosen(self):
        return self.iterations[self.slider.value()] if self.iterations else None

    def set_iteration(self, iteration):
        """Move the slider to a recorded iteration (emits iteration_chosen)."""
        if iteration not in self.iterations:
            raise ValueError(f"Timeline: iteration {iteration} was not recorded "
                             f"(recorded: {self.iterations[0]}..{self.iterations[-1]})"
                             if self.iterations else "Timeline: no iteration recorded")
        self.slider.setValue(self.iterations.index(iteration))

    def show_newest(self):
        """Move the slider to the newest iteration without emitting iteration_chosen."""
        self.slider.blockSignals(True)
        self.slider.setValue(max(len(self.iterations) - 1, 0))
        self.slider.blockSignals(False)
        self._describe()

    def _moved(self, _):
        self._describe()
        if self.iterations:
            self.iteration_chosen.emit(self.chosen())

    def _describe(self):
        it = self.chosen()
        if it is None:
            self.label.setText("no iteration recorded")
            return
        what = "full tensors" if it in self.kept else "statistics only"
        self.label.setText(f"{it} of {self.iterations[0]}–{self.iterations[-1]} — {what}")
