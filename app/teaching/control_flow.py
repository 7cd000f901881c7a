"""Control flow, dynamic versus static (the Script tab's contrast panel).

A script's forward may branch on data. Run eagerly, each batch records its own graph. Traced
once with `static.trace`, the graph keeps the branch its example batch took: the trace warns
(TraceWarning, naming the script's line), and on a batch that would have branched otherwise
the compiled graph computes something else than the model. `static.cond` is the way to keep
both branches in a static graph; `cond_example` shows it on a small function.
"""
import inspect
import warnings
from dataclasses import dataclass

import numpy as np

import engine as sg
from engine import static

from app.project.build import build
from app.project.script_model import SCRIPT_FILENAME

BATCHES = 4  # batches of the training data the contrast runs on


@dataclass(frozen=True)
class TraceNote:
    """A TraceWarning: the script line whose control flow read a traced value."""

    line: int
    message: str


@dataclass(frozen=True)
class BatchComparison:
    index: int
    dynamic_ops: tuple  # ops the model ran eagerly on this batch, in order
    max_difference: float  # max |compiled trace output - eager output| on this batch


@dataclass(frozen=True)
class Contrast:
    notes: tuple  # TraceNotes in the script (outside it: in `other_warnings`)
    other_warnings: int
    traced_ops: tuple  # op names of the graph traced on the first batch, in order
    compiled_nodes: int  # nodes after static.Session's passes
    batches: tuple  # BatchComparisons (the first is the traced batch)

    @property
    def dynamic_graphs(self):
        """How many different graphs the eager runs recorded."""
        return len({b.dynamic_ops for b in self.batches})


def trace_contrast(model, batches):
    """Trace `model` on batches[0], then run the eager model and the compiled trace on every
    batch (a list of input Tensors of the same shape)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        graph = static.trace(model, batches[0])
    traced = [w for w in caught if issubclass(w.category, static.TraceWarning)]
    notes = tuple(TraceNote(w.lineno, str(w.message)) for w in traced
                  if w.filename == SCRIPT_FILENAME)
    session = static.Session(graph, batch_size=batches[0].shape[0])
    comparisons = []
    for index, x in enumerate(batches):
        ops, eager = eager_ops(model, x)
        compiled = session.run(graph.outputs[0], {graph.inputs[0]: x.numpy()})
        comparisons.append(BatchComparison(index, ops, float(np.max(np.abs(compiled - eager)))))
    return Contrast(notes, len(traced) - len(notes), op_names(graph), len(session.graph.nodes),
                    tuple(comparisons))


def contrast_for_project(project, n=BATCHES):
    """The contrast for a script project on its first `n` full training batches, on a fresh
    build (the script runs: call this only when the user asks for it)."""
    built = build(project)
    size = project.train.batch_size
    batches = [x for x, _ in built.data if x.shape[0] == size][:n]
    if not batches:
        raise ValueError(f"no full batch of {size} samples in the training data")
    return trace_contrast(built.model, batches)


def op_names(graph):
    return tuple(node.op for node in graph.nodes if node.kind == "op")


class _OpLog(sg.Observer):
    def __init__(self):
        self.ops = []

    def on_forward(self, node):
        self.ops.append(node.op)


def eager_ops(model, x):
    """(ops the eager model ran on x, its output as a numpy array)."""
    log = _OpLog()
    with sg.observe(log):
        out = model(x)
    return tuple(log.ops), out.numpy()


# ---- the static.cond form ------------------------------------------------------------------
def with_if(x):
    if x[:, 0].mean() > 0:  # Python control flow: a trace keeps the branch of its example
        return x * 2.0
    return -x


def with_cond(x):
    return static.cond(x[:, 0].mean() > 0, lambda: x * 2.0, lambda: -x)  # both branches kept


@dataclass(frozen=True)
class CondExample:
    source: str  # the two functions' code
    if_ops: tuple  # ops of with_if traced on a batch with a positive mean
    cond_ops: tuple  # ops of with_cond traced on the same batch
    if_correct: tuple  # per batch (positive, negative mean): compiled with_if == eager?
    cond_correct: tuple  # the same for with_cond


def cond_example():
    """Trace with_if and with_cond on a positive batch, run both compiled graphs on a
    positive and a negative batch, and compare with the eager functions."""
    positive = np.linspace(0.5, 2.0, 8, dtype=np.float32).reshape(4, 2)
    batches = (positive, -positive)
    results = {}
    for fn in (with_if, with_cond):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", static.TraceWarning)
            graph = static.trace(fn, sg.tensor(positive))
        session = static.Session(graph)
        correct = tuple(bool(np.allclose(session.run(graph.outputs[0], {graph.inputs[0]: b}),
                                         fn(sg.tensor(b)).numpy())) for b in batches)
        results[fn] = (op_names(graph), correct)
    source = inspect.getsource(with_if) + "\n\n" + inspect.getsource(with_cond)
    return CondExample(source, results[with_if][0], results[with_cond][0], results[with_if][1],
                       results[with_cond][1])
