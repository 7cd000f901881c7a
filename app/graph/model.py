"""A plain description of a computation graph for the graph view (no Qt, no engine).

Built from the debugger's GraphNodes (app/debugging/node_keys.py): one op node per GraphNode, one leaf
node per parameter and per batch tensor ("input", "target") it reads, and edges for the data
flow. Constants ("const") are left out: they carry no gradient and would only add clutter.
Nodes are grouped by scope (the module path); a parameter belongs to its module's group.
`collapsed(scopes)` replaces each given group by one node, merging its edges.
"""
from dataclasses import dataclass, field, replace
from typing import Optional

BATCH_SOURCES = ("input", "target")


@dataclass(frozen=True)
class ModelNode:
    key: str
    op: str  # the op's short name, "param", "input"/"target", or "group"
    scope: str
    shape: tuple = ()
    kind: str = "op"  # "op", "param", "input" or "group"
    dtype: str = ""
    requires_grad: bool = False
    size: int = 1  # nodes inside a collapsed group
    status: frozenset = frozenset()  # "new", "vanished"
    fused_from: tuple = ()  # static mode: the ops a fused node runs in one buffer
    steps: int = 1  # rolled view: the time steps this op of a recurrent cell stands for

    @property
    def label(self):
        if self.kind == "group":
            return f"{self.scope} ({self.size} nodes)"
        if self.kind in ("op", "grad"):
            name = self.key.rpartition("/")[2] if self.kind == "op" else self.op
            return name + (f" \u00d7{self.steps}" if self.steps > 1 else "")
        return self.key


@dataclass
class GraphModel:
    nodes: list = field(default_factory=list)  # ModelNodes, sources before their consumers
    edges: list = field(default_factory=list)  # (source key, destination key), no duplicates
    aliases: dict = field(default_factory=dict)  # rolled view: step node key -> its cell node

    def __post_init__(self):
        self.by_key = {n.key: n for n in self.nodes}

    def __len__(self):
        return len(self.nodes)

    def groups(self):
        """scope -> keys of the nodes in that scope (top level "" excluded), in graph order."""
        out = {}
        for n in self.nodes:
            if n.scope and n.kind != "group":
                out.setdefault(n.scope, []).append(n.key)
        return out

    def with_status(self, new_keys=(), vanished=()):
        """A copy whose nodes carry "new" (in `new_keys`) and the given vanished ModelNodes."""
        new_keys = set(new_keys)
        nodes = [replace(n, status=n.status | {"new"}) if n.key in new_keys else n
                 for n in self.nodes]
        nodes += [replace(n, status=frozenset({"vanished"})) for n in vanished
                  if n.key not in self.by_key]
        return GraphModel(nodes, list(self.edges))

    def extended(self, previous, absent=()):
        """This graph of an iteration in progress, completed with the nodes of `previous`
        (the last graph shown) that have not run yet, that is all but those in `absent` (gone
        from the graph), and with `previous`'s edges between the nodes kept."""
        pending = [n for n in previous.nodes if n.key not in self.by_key and
                   n.key not in absent and "vanished" not in n.status]
        if not pending:
            return self
        nodes = self.nodes + [replace(n, status=n.status - {"new"}) for n in pending]
        keys = {n.key for n in nodes}
        seen = set(self.edges)
        edges = list(self.edges) + [e for e in previous.edges if e not in seen and
                                    e[0] in keys and e[1] in keys]
        return GraphModel(nodes, edges, dict(self.aliases))

    def collapsed(self, scopes):
        """A copy where every node of a scope in `scopes` (nested scopes included) becomes
        one group node keyed by the scope; edges inside a group disappear."""
        scopes = sorted(set(scopes), key=len)
        if not scopes:
            return self

        def owner(scope):
            for s in scopes:
                if scope == s or scope.startswith(s + "."):
                    return s
            return None

        where, nodes, slots, sizes, shapes = {}, [], {}, {}, {}
        for n in self.nodes:
            s = owner(n.scope) if n.kind != "group" else None
            where[n.key] = n.key if s is None else s
            if s is None:
                nodes.append(n)
                continue
            if s not in slots:
                slots[s] = len(nodes)
                nodes.append(None)
            sizes[s] = sizes.get(s, 0) + 1
            if n.kind == "op" and "vanished" not in n.status:
                shapes[s] = n.shape  # the group's output: its last op's shape
        for s, index in slots.items():
            nodes[index] = ModelNode(s, "group", s, shapes.get(s, ()), "group", size=sizes[s])
        edges, seen = [], set()
        for a, b in self.edges:
            e = (where[a], where[b])
            if e[0] != e[1] and e not in seen:
                seen.add(e)
                edges.append(e)
        return GraphModel(nodes, edges, dict(self.aliases))


def build_graph_model(graph_nodes):
    """A GraphModel from the debugger's GraphNodes of one iteration (forward order)."""
    nodes, edges, seen = [], [], set()
    known = {g.key for g in graph_nodes}
    for g in graph_nodes:
        for source in g.inputs:
            if source == "const" or source in seen:
                continue
            if source not in known:
                seen.add(source)
                nodes.append(_leaf(source))
        seen.add(g.key)
        nodes.append(ModelNode(g.key, g.op, g.scope, tuple(g.shape), "op", _dtype_name(g.dtype),
                               bool(g.requires_grad), fused_from=tuple(g.fused_from)))
        for source in dict.fromkeys(g.inputs):
            if source != "const":
                edges.append((source, g.key))
    return GraphModel(nodes, edges)


def _leaf(source):
    if source in BATCH_SOURCES:
        return ModelNode(source, source, "", (), "input")
    return ModelNode(source, "param", source.rpartition(".")[0], (), "param", requires_grad=True)


def _dtype_name(dtype) -> Optional[str]:
    return getattr(dtype, "name", None) or str(dtype)
