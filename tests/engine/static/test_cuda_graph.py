"""Static mode's CUDA-graph bookkeeping (engine/static/cuda_graph.py) on the CPU, with a
stand-in for the CUDA calls: when a step is captured and replayed, fixed input buffers,
fetches as the graph's outputs, recapture on a new feed shape, fetch list or learning
rate, eager fallback (Adam, dropout, a failed capture), and the same training trajectory
as without graphs. The real capture runs in tests/engine/static/test_gpu_cuda_graph.py."""
import numpy as np
import pytest

import engine.nn.functional as F
from engine import nn, static
from engine.static import cuda_graph

from .models import data, dynamic_trajectory, make_optimizer
from .test_equivalence import _built, _twins


class FakeGraph:
    def __init__(self, run, args, outs):
        self.run, self.args, self.outs = run, args, outs
        self.pending = True  # a real capture runs nothing; here it ran: skip one launch


class FakeCapture:
    """CUDA's part on numpy: a "graph" reruns the step function on the same input buffers
    and writes its results into the arrays the capture returned."""

    def __init__(self, fail=None):
        self.fail, self.launches, self.released, self.copies = fail, 0, 0, []

    def stream(self):
        return object()

    def capture(self, stream, run, args):
        if self.fail:
            raise RuntimeError(self.fail)
        outs = [None if o is None else np.asarray(o) for o in run(*args)]  # 0-d, as CuPy
        return FakeGraph(run, args, outs), outs

    def launch(self, graph, stream):
        self.launches += 1
        if graph.pending:
            graph.pending = False
            return
        for out, new in zip(graph.outs, graph.run(*graph.args)):
            if out is not None:
                np.copyto(out, new)

    def copy_into(self, buffer, value, stream):
        self.copies.append(buffer)
        np.copyto(buffer, value)

    def to_host(self, array, stream):
        return array.copy()

    def empty_like(self, array):
        return np.empty_like(array)

    def release(self, stream):
        self.released += 1


def _session(opt_name="sgd", kind="mlp", fail=None, model=None):
    reference, twin, x, y, shape = _twins(kind)
    model = model or twin
    g, xs, ys, loss = _built(model, shape)
    opt = make_optimizer(opt_name, model.parameters())
    train = static.minimize(loss, opt)
    sess = static.Session(g)
    assert sess.cuda_graphs is None  # on the CPU
    fake = FakeCapture(fail)
    sess.cuda_graphs = cuda_graph.CudaGraphs(sess._executor, fake)
    return sess, fake, (reference, x, y, xs, ys, loss, train, opt)


@pytest.mark.parametrize("kind", ["mlp", "cnn"])
def test_replayed_steps_train_as_the_eager_steps(kind):
    sess, fake, (reference, x, y, xs, ys, loss, train, opt) = _session(kind=kind)
    expected = dynamic_trajectory(reference, make_optimizer("sgd", reference.parameters()),
                                  x, y, 8)
    losses = [sess.run([loss, train], {xs: x, ys: y})[0] for _ in range(8)]
    np.testing.assert_allclose(losses, expected, rtol=1e-4, atol=1e-6)
    graphs = sess.cuda_graphs
    assert graphs.captures == 1 and not graphs.reasons
    done = next(iter(graphs.captured.values()))
    assert fake.copies[-1] is done.buffers[-1]  # the feeds went into the fixed buffers
    # eager: the first run (it packs the parameters: a new key), then WARMUP runs; every
    # later step is a launch, the captured step's included
    assert fake.launches == 8 - 1 - cuda_graph.WARMUP


def test_new_feed_shape_fetch_list_or_learning_rate_recapture():
    sess, fake, (_, x, y, xs, ys, loss, train, opt) = _session()
    graphs = sess.cuda_graphs
    for _ in range(6):
        sess.run([loss, train], {xs: x, ys: y})
    assert graphs.captures == 1
    opt.param_groups[0]["lr"] = 0.05  # baked into the graph: captured again
    for _ in range(4):
        sess.run([loss, train], {xs: x, ys: y})
    assert graphs.captures == 2 and fake.released == 1
    for _ in range(4):
        sess.run([loss, train], {xs: x[:16], ys: y[:16]})  # a new batch size
    assert graphs.captures == 3
    for _ in range(4):
        assert sess.run(train, {xs: x, ys: y}) is None  # another fetch list: its own graph
    assert graphs.captures == 4 and len(graphs.captured) == 2


def test_outputs_are_the_captured_arrays_copied_to_the_host():
    sess, fake, (_, x, y, xs, ys, loss, train, _) = _session()
    for _ in range(5):
        value = sess.run([loss, train], {xs: x, ys: y})[0]
    done = next(iter(sess.cuda_graphs.captured.values()))
    assert done.outs[1] is None and float(done.outs[0]) == float(value)
    assert value is not done.outs[0]


@pytest.mark.parametrize("opt_name", ["adam", "adamw"])
def test_optimizers_that_change_every_step_run_eagerly(opt_name):
    sess, fake, (_, x, y, xs, ys, loss, train, _) = _session(opt_name)
    for _ in range(4):
        sess.run([loss, train], {xs: x, ys: y})
    reason = next(iter(sess.cuda_graphs.reasons.values()))
    assert "changes its update every step" in reason and fake.launches == 0


def test_dropout_runs_eagerly():
    model = nn.Sequential(nn.Linear(2, 8), nn.Dropout(0.5), nn.Linear(8, 2))
    sess, fake, (_, x, y, xs, ys, loss, train, _) = _session(model=model)
    for _ in range(4):
        sess.run([loss, train], {xs: x, ys: y})
    assert "dropout" in next(iter(sess.cuda_graphs.reasons.values()))


def test_a_failed_capture_restores_the_step_and_runs_eagerly():
    sess, fake, (reference, x, y, xs, ys, loss, train, opt) = _session(fail="sync in capture")
    expected = dynamic_trajectory(reference, make_optimizer("sgd", reference.parameters()),
                                  x, y, 5)
    losses = [sess.run([loss, train], {xs: x, ys: y})[0] for _ in range(5)]
    np.testing.assert_allclose(losses, expected, rtol=1e-4, atol=1e-6)
    assert "sync in capture" in next(iter(sess.cuda_graphs.reasons.values()))
    assert opt.step_count == 5 and fake.released == 1


def test_replacing_a_parameters_array_recaptures():
    sess, fake, (_, x, y, xs, ys, loss, train, opt) = _session()
    for _ in range(5):
        sess.run([loss, train], {xs: x, ys: y})
    assert sess.cuda_graphs.captures == 1
    param = opt.param_groups[0]["params"][0]
    param.array = param.array.copy()  # as load_state_dict may: the graph read the old one
    for _ in range(4):
        sess.run([loss, train], {xs: x, ys: y})
    assert sess.cuda_graphs.captures == 2
