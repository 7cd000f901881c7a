"""Common-subexpression elimination: nodes computing the same op on the same inputs with
the same attributes (and equal small constants) become one."""
from ..ir import freeze
from .constant_folding import IMPURE

_SMALL = 4096  # bytes: larger constants are not compared


def _key(n):
    if n.kind == "op" and n.op not in IMPURE:
        return ("op", n.fn, tuple(i.id for i in n.inputs), freeze(n.attrs))
    if n.kind == "constant" and getattr(n.value, "nbytes", _SMALL) < _SMALL:
        return ("constant", freeze(n.value))
    if n.kind in ("backward", "select"):
        return (n.kind, tuple(i.id for i in n.inputs), freeze(n.attrs))
    return None


def cse(graph):
    g = graph.copy()
    seen, swap, nodes = {}, {}, []
    for n in g.nodes:
        n.inputs = tuple(swap.get(i.id, i) for i in n.inputs)
        key = _key(n)
        if key is not None:
            kept = seen.get(key)
            if kept is not None:
                swap[n.id] = kept
                continue
            seen[key] = n
        nodes.append(n)
    roots = {swap[r].id if r in swap else r for r in g.roots()}
    return g.derive(nodes, roots, {old: new.id for old, new in swap.items()})
