"""A project's training step compiled as a static graph (static mode), headless.

`compile_project(built, train)` writes one training step of the BuiltProject's own model,
loss and optimizer as a static graph (placeholders "x" and "y" shaped like a batch, the
loss inside scope "loss", `static.minimize`), compiles it with `static.Session` and returns
a StaticBuild. The graph reads the model's Parameters and runs the optimizer's own update
on its own state, so a static step trains the very objects the dynamic debugger would.

Node keys follow the dynamic debugger's scheme (`<scope>/<op>#<k>`, app/debugging/node_keys.py) on
the graph as written, so the forward ops of both modes share keys; gradient nodes keep their
own op names ("linear_grad", "grad_select"); a fused node of the compiled graph is keyed
`<scope>/fused#<k>`. Only fetched tensors have values after a step: `with_fetches(keys)`
recompiles keeping more of them alive through the passes (which may undo a fusion).

A layer whose forward needs a concrete batch size (LSTM's initial state) is compiled for
the configured batch size; a smaller last batch of an epoch gets its own compiled graph.
"""
import time
from types import MappingProxyType

import numpy as np

from engine import scope, static
from engine.backend import to_numpy

from app.project.build import BuildError
from app.debugging.interface import LOSS_SCOPE
from app.debugging.node_keys import GraphNode
from app.project.validation import Issue

VALUE_KINDS = ("op", "select", "fused")  # compiled node kinds whose value can be fetched
_SOURCE_KINDS = ("placeholder", "variable", "constant")  # edges' sources, not GraphNodes
_SOURCE_NAMES = {"x": "input", "y": "target"}


class StaticBuild:
    """One compiled training step (see the module docstring). Read-only figures:
    `session`, `written`, `compiled`, `passes`, `compile_seconds`, `peak_bytes_before`,
    `peak_bytes_after`, `fetch_keys`, `fused_keys`, `fused_from` (fused key -> keys of the
    nodes it fused), `recompile_seconds` and `peak_bytes_change` (against the build
    `with_fetches` started from; None for a first compile). `fetched` holds the fetched
    tensors of the last step."""

    def __init__(self, built, train, fetch_keys=(), previous=None):
        self.built, self.train = built, train
        start = time.perf_counter()
        self._main = (_compile(built, train, tuple(fetch_keys), None)
                      or _compile(built, train, tuple(fetch_keys), train.batch_size))
        self.compile_seconds = time.perf_counter() - start
        main = self._main
        self.session, self.written, self.compiled = main.session, main.written, main.compiled
        self.passes = tuple(main.session.passes)
        memory = main.session.memory or {}
        self.peak_bytes_before = int(memory.get("peak_bytes_before", 0))
        self.peak_bytes_after = int(memory.get("peak_bytes_after", 0))
        self.fetch_keys = tuple(fetch_keys)
        self.fused_from = MappingProxyType(dict(main.fused_from))
        self.fused_keys = frozenset(main.fused_from)
        self.fetched = {}
        self.recompile_seconds = None if previous is None else self.compile_seconds
        self.peak_bytes_change = (None if previous is None
                                  else self.peak_bytes_after - previous.peak_bytes_after)
        self._by_batch = {main.fixed_batch: main} if main.fixed_batch is not None else {}

    @property
    def loss_key(self):
        """The loss node's key (as the dynamic debugger keys it)."""
        return self._main.keys[self._main.loss.node.id]

    def step(self, x, y):
        """One training step (forward, backward, update) on arrays `x`, `y`; the loss."""
        compiled = self._main
        if compiled.fixed_batch is not None and len(x) != compiled.fixed_batch:
            compiled = self._by_batch.get(len(x))
            if compiled is None:
                compiled = self._by_batch[len(x)] = _compile(
                    self.built, self.train, self.fetch_keys, len(x))
        values = compiled.session.run([compiled.loss, compiled.train] + compiled.fetches,
                                      {compiled.x: x, compiled.y: y})
        self.fetched = {key: np.array(to_numpy(v), copy=True)
                        for key, v in zip(self.fetch_keys, values[2:])}
        return float(to_numpy(values[0]))

    def fetchable_keys(self):
        """Keys that `with_fetches` accepts and that are not fetched yet: the compiled
        graph's value nodes first, then the value nodes of the graph as written that the
        passes removed or fused (fetching one keeps it, at some cost)."""
        main, fetched = self._main, set(self.fetch_keys)
        keys = [main.keys[n.id] for n in main.compiled.nodes if n.kind in VALUE_KINDS]
        keys += [main.keys[n.id] for n in main.written.nodes if n.kind in ("op", "select")]
        return tuple(k for k in dict.fromkeys(keys) if k not in fetched)

    def with_fetches(self, keys):
        """A new StaticBuild of the same model fetching `keys` each step (KeyError naming
        an unknown key); its `recompile_seconds` and `peak_bytes_change` say what it cost."""
        keys = tuple(dict.fromkeys(keys))
        known = set(self.fetchable_keys()) | set(self.fetch_keys)
        unknown = [k for k in keys if k not in known]
        if unknown:
            raise KeyError(f"static mode: {', '.join(unknown)} is not a node of the compiled "
                           f"graph (fetchable: {len(known)} nodes)")
        return StaticBuild(self.built, self.train, keys, previous=self)

    def graph_nodes(self, which="compiled"):
        """The graph's nodes as the debugger's GraphNodes (placeholders, variables and
        constants are the edges' sources: "input", "target", parameter names, "const")."""
        if which not in ("compiled", "written"):
            raise ValueError(f"which must be 'compiled' or 'written', got {which!r}")
        main = self._main
        graph = main.compiled if which == "compiled" else main.written
        return _graph_nodes(graph, main.keys, main.sources, self.train.batch_size)


class _Compiled:
    """One written graph, its session and the handles a step feeds and fetches."""

    def __init__(self, written, session, x, y, loss, train, fetches, keys, sources,
                 fused_from, fixed_batch):
        self.written, self.session, self.compiled = written, session, session.graph
        self.x, self.y, self.loss, self.train, self.fetches = x, y, loss, train, fetches
        self.keys, self.sources, self.fused_from = keys, sources, fused_from
        self.fixed_batch = fixed_batch


def compile_project(built, train, fetch_keys=()):
    """The StaticBuild of a BuiltProject's training step (BuildError naming the layer
    static mode cannot compile)."""
    return StaticBuild(built, train, fetch_keys)


def _compile(built, train, fetch_keys, batch):
    """Write and compile the step with batch dim `batch` (None: any); None when the
    forward cannot run on an open batch dim (then a fixed one is tried)."""
    X, Y = built.train_set.X, built.train_set.y
    with static.Graph(f"{type(built.model).__name__} step") as g:
        x = static.placeholder("x", (batch,) + tuple(X.shape[1:]), X.dtype)
        y = static.placeholder("y", (batch,) + tuple(Y.shape[1:]), Y.dtype)
        try:
            out = _forward(built.model, x)
        except _LayerFailed as failed:
            if batch is None:
                return None
            raise BuildError([failed.issue]) from failed.__cause__
        try:
            with scope(LOSS_SCOPE):
                loss = built.loss_fn(out, y)
        except Exception as exc:
            raise BuildError([Issue("train", f"static mode: the loss {type(built.loss_fn).__name__}"
                                             f" cannot be compiled on the output "
                                             f"{_shape(out.shape)}: {exc}", field="loss")]) from exc
        train_op = static.minimize(loss, built.optimizer)
    keys, sources = _written_keys(g, built.model, (x.node, y.node))
    by_key = {k: i for i, k in keys.items()}
    missing = [k for k in fetch_keys if k not in by_key]
    fetches = [g.handle(g.node(by_key[k])) for k in fetch_keys if k in by_key]
    session = static.Session(g, batch_size=train.batch_size)
    all_keys, fused_from = _name_fused(session.graph, keys)
    for key in missing:  # a fused key: fetch its chain's last node, which keeps the chain
        if key not in fused_from:
            raise KeyError(f"static mode: no node {key} in the graph")
        last = by_key[fused_from[key][-1]]
        fetches.insert(fetch_keys.index(key), g.handle(g.node(last)))
    if missing:
        session = static.Session(g, batch_size=train.batch_size)
        all_keys, fused_from = _name_fused(session.graph, keys)
    return _Compiled(g, session, x, y, loss, train_op, fetches, all_keys, sources, fused_from,
                     batch)


class _LayerFailed(Exception):
    def __init__(self, issue):
        super().__init__(issue.message)
        self.issue = issue


def _forward(model, x):
    """The model's forward on placeholder `x`, layer by layer for a Sequential so that a
    failure names its row (scopes are those of `model(x)`)."""
    children = list(model.named_children()) if hasattr(model, "named_children") else []
    if type(model).__name__ != "Sequential" or not children:
        try:
            return model(x)
        except Exception as exc:
            raise _LayerFailed(Issue(
                "network", f"static mode cannot compile the model {type(model).__name__} on "
                f"input {_shape(x.shape)}: {exc}")) from exc
    for row, (name, layer) in enumerate(children):
        shape = x.shape
        try:
            with scope(name):
                x = layer(x)
        except Exception as exc:
            raise _LayerFailed(Issue(
                "network", f"row {row + 1} ({type(layer).__name__}): static mode cannot "
                f"compile this layer on input {_shape(shape)}: {type(exc).__name__}: {exc}",
                row=row)) from exc
    return x


def _shape(shape):
    return "(" + ", ".join("N" if d is None else str(d) for d in shape) + ")"


def _written_keys(graph, model, batch_nodes):
    """(node id -> key for op-like nodes, node id -> edge source name for the others)."""
    names = {id(p): name for name, p in model.named_parameters()}
    sources, keys, counts = {}, {}, {}
    for n in graph.nodes:
        if n.kind == "placeholder":
            sources[n.id] = _SOURCE_NAMES.get(n.name, n.name) if n in batch_nodes else n.name
        elif n.kind == "variable":
            sources[n.id] = names.get(id(n.value), n.name or f"variable{n.id}")
        elif n.kind == "constant":
            sources[n.id] = "const"
        else:
            k = counts.get((n.scope, n.op), 0)
            counts[(n.scope, n.op)] = k + 1
            keys[n.id] = f"{n.scope}/{n.op}#{k}"
    return keys, sources


def _name_fused(compiled, keys):
    """(`keys` and the compiled graph's fused nodes' keys, fused key -> member keys)."""
    keys, fused, counts = dict(keys), {}, {}
    for n in compiled.nodes:
        if n.kind == "fused":
            k = counts.get(n.scope, 0)
            counts[n.scope] = k + 1
            key = keys[n.id] = f"{n.scope}/fused#{k}"
            fused[key] = tuple(keys[m.id] for m in n.fused_from)
    return keys, fused


def _graph_nodes(graph, keys, sources, batch_size):
    out, grads = [], {}
    for n in graph.nodes:
        if n.kind in _SOURCE_KINDS:
            grads[n.id] = n.kind == "variable"
            continue
        grads[n.id] = n.kind != "update" and any(grads.get(i.id, False) for i in n.inputs)
        shape = () if n.shape is None else tuple(batch_size if d is None else d for d in n.shape)
        inputs = tuple(sources.get(i.id, "const") if i.kind in _SOURCE_KINDS else keys[i.id]
                       for i in n.inputs)
        fused = tuple(m.op for m in n.fused_from)
        out.append(GraphNode(keys[n.id], n.op, n.scope, inputs, shape, n.dtype,
                             grads[n.id], fused))
    return tuple(out)
