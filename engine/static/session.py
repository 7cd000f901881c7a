"""static.Session: applies the passes to a copy of the graph as written, then runs exactly
the fetches asked for. Intermediate values are not kept unless fetched."""
import time

import numpy as np

from .cuda_graph import CudaGraphs
from .executor import Executor
from .ir import Node
from .passes import ALL, BY_NAME
from .symbolic import SymbolicTensor


class PassRecord:
    """One applied pass: its name, the graphs before and after, and their node counts."""

    def __init__(self, name, before, after, seconds):
        self.name = name
        self.before = before
        self.after = after
        self.nodes_before = len(before.nodes)
        self.nodes_after = len(after.nodes)
        self.seconds = seconds
        self.memory = after.memory if name == "memory_planning" else None

    def __repr__(self):
        return f"<pass {self.name}: {self.nodes_before} -> {self.nodes_after} nodes>"


class Session:
    """`Session(g, passes=...)` compiles `g` (default: every pass, in order); `run(fetches,
    feed_dict)` evaluates exactly `fetches`. `g` is left as written; `sess.graph` is the
    compiled graph; `sess.passes` the PassRecords; `sess.memory` the memory plan's report;
    on a GPU `sess.cuda_graphs` the captured steps (None on the CPU).
    A session runs one step at a time (its ops keep their saved state between forward and
    backward), as a dynamic model does."""

    def __init__(self, graph, passes=None, batch_size=32):
        start = time.perf_counter()
        self.source = graph
        current = graph.copy()
        current.batch_size = batch_size
        self.passes = []
        self._renames = []
        for p in _resolve(passes):
            t = time.perf_counter()
            after = p(current)
            self.passes.append(PassRecord(p.__name__, current, after, time.perf_counter() - t))
            self._renames.append(getattr(after, "replaced", {}))
            current = after
        self.graph = current
        self.memory = current.memory
        self._nodes = {n.id: n for n in current.nodes}
        self._names = {n.name: n for n in graph.placeholders()}
        self._executor = Executor(current)
        # on a GPU each fetch list's step becomes one CUDA graph, replayed (cuda_graph.py)
        self.cuda_graphs = CudaGraphs(self._executor) if self._executor.xp is not np else None
        self._fetches = {}
        self._known_feeds = {}  # feed_dict key -> placeholder node
        self.compile_seconds = time.perf_counter() - start

    # ---- running ----------------------------------------------------------------------
    def run(self, fetches, feed_dict=None):
        """Values of `fetches` (one tensor or a list), numpy arrays; a train op gives None."""
        single = not isinstance(fetches, (list, tuple))
        key = (_node_id(fetches),) if single else tuple(map(_node_id, fetches))
        plan = self._fetches.get(key)
        if plan is None:
            plan = self._fetches[key] = self._executor.plan([self._compiled(i) for i in key])
        feeds = self._feeds(plan, feed_dict or {})
        out = self.cuda_graphs.run(plan, feeds) if self.cuda_graphs is not None else None
        if out is None:
            out = self._executor.run(plan, feeds)
        if single:
            return out[0]
        return tuple(out) if isinstance(fetches, tuple) else out

    def _compiled(self, node_id):
        for renames in self._renames:
            node_id = renames.get(node_id, node_id)
        node = self._nodes.get(node_id)
        if node is None:
            raise KeyError(f"node %{node_id} is not in the compiled graph: passes removed it "
                           "because nothing held it when the Session was made; keep a "
                           "reference to the tensor you want to fetch")
        return node

    def _feeds(self, plan, feed_dict):
        values = {}
        batch = None
        known = self._known_feeds
        for key, value in feed_dict.items():
            node = known.get(key)
            if node is None:
                node = known[key] = self._placeholder(key)
            if node.id not in plan.feeds:
                continue  # fed but not needed by these fetches, as TF allows
            value, b = _check_feed(node, value, self._executor.xp)
            if b is not None:
                if batch is not None and b != batch[1]:
                    raise ValueError(f"placeholder '{node.name}' was fed a batch of {b} but "
                                     f"'{batch[0]}' a batch of {batch[1]}")
                batch = (node.name, b)
            values[node.id] = value
        if len(values) != len(plan.feeds):
            missing = [n for nid, n in plan.feeds.items() if nid not in values]
            fed = sorted(str(getattr(k, "name", k)) for k in feed_dict)
            raise KeyError("; ".join(
                f"placeholder '{n.name}' (shape {_fmt(n.shape)}, {n.dtype}) was not fed"
                for n in missing) + f" (feed_dict has {fed})")
        return [values[nid] for nid in plan.feeds]

    def _placeholder(self, key):
        if isinstance(key, str):
            node = self._names.get(key)
            if node is None:
                raise KeyError(f"feed_dict: no placeholder named '{key}' (there are {sorted(self._names)})")
        else:
            node = key.node if isinstance(key, SymbolicTensor) else key
            if not isinstance(node, Node):
                raise TypeError(f"feed_dict keys must be placeholders, not {type(key).__name__}")
        if node.kind != "placeholder":
            raise TypeError(f"feed_dict: {node.describe()} is not a placeholder; only "
                            "placeholders can be fed")
        return node

    def __repr__(self):
        steps = ", ".join(f"{p.name} {p.nodes_before}->{p.nodes_after}" for p in self.passes)
        return f"<static.Session '{self.graph.name}': {steps}>"


def _resolve(passes):
    if passes is None or passes == "all":
        return list(ALL)
    out = []
    for p in passes:
        if isinstance(p, str):
            if p not in BY_NAME:
                raise ValueError(f"unknown pass '{p}': choose from {sorted(BY_NAME)}")
            p = BY_NAME[p]
        out.append(p)
    return out


def _node_id(fetch):
    if type(fetch) is SymbolicTensor:
        return fetch.node.id
    if isinstance(fetch, SymbolicTensor):
        return fetch.node.id
    if isinstance(fetch, Node):
        return fetch.id
    raise TypeError(f"fetches must be static-graph tensors, not {type(fetch).__name__}")


def _fmt(shape):
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"


def _check_feed(node, value, xp):
    """The fed array, cast to the placeholder's dtype when that is safe, and its batch size;
    a wrong rank, size or kind of dtype raises, naming the placeholder and the shapes."""
    if type(value) is not xp.ndarray:
        if hasattr(value, "requires_grad") and hasattr(value, "array"):
            value = value.array  # an engine Tensor
        value = xp.asarray(value)
    expected = node.shape
    shape = value.shape
    batch = None
    ok = len(shape) == len(expected)
    if ok:
        for want, got in zip(expected, shape):
            if want is None:
                batch = got
            elif want != got:
                ok = False
                break
    if not ok:
        raise ValueError(f"placeholder '{node.name}' expects shape {_fmt(expected)}, "
                         f"got {_fmt(shape)}")
    if value.dtype != node.dtype:
        if not np.can_cast(value.dtype, node.dtype, "same_kind"):
            raise TypeError(f"placeholder '{node.name}' expects {node.dtype} (shape "
                            f"{_fmt(expected)}), got {value.dtype}")
        value = value.astype(node.dtype)
    return value, batch
