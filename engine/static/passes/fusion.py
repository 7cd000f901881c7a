"""Elementwise fusion: a chain of elementwise ops (each value read only by the next op)
becomes one "fused" node that runs in a single output buffer, with no intermediate arrays."""
from ..ir import Node
from ..kernels import FusedKernel


def fusion(graph):
    g = graph.copy()
    readers = g.consumers()
    roots = g.roots()
    has_backward = {n.inputs[0].id for n in g.nodes if n.kind == "backward"}

    def fusible(n):
        return (n.kind == "op" and n.fn.fuse is not None and n.dtype.kind == "f"
                and n.id not in has_backward)

    next_of, prev_of = {}, {}
    for c in g.nodes:
        if not fusible(c):
            continue
        for p in c.inputs:
            if (fusible(p) and p.id not in next_of and p.id not in roots
                    and p.dtype == c.dtype and {r.id for r in readers[p.id]} == {c.id}):
                next_of[p.id], prev_of[c.id] = c, p
                break
    swap, replaced, nodes = {}, {}, []
    members = set(next_of)
    for n in g.nodes:
        if n.id in members:
            continue  # folded into the fused node at its chain's end
        n.inputs = tuple(swap.get(i.id, i) for i in n.inputs)
        if n.id in prev_of:
            chain = [n]
            while chain[0].id in prev_of:
                chain.insert(0, prev_of[chain[0].id])
            fused = swap[n.id] = _fuse(g, chain, swap)
            replaced[n.id] = fused.id
            n = fused
        nodes.append(n)
    return g.derive(nodes, {replaced.get(r, r) for r in roots}, replaced)


def _fuse(g, chain, swap):
    externals, program = [], []
    index = {}
    for k, m in enumerate(chain):
        refs = []
        for i in m.inputs:
            if k and i is chain[k - 1]:
                refs.append(-1)
                continue
            i = swap.get(i.id, i)
            if i.id not in index:
                index[i.id] = len(externals)
                externals.append(i)
            refs.append(index[i.id])
        program.append((m.fn, m.attrs, refs))
    last = chain[-1]
    return Node(g, next(g._ids), "fused", "fused", externals, shape=last.shape,
                dtype=last.dtype, scope=last.scope, phase=last.phase,
                value=FusedKernel(program, len(externals)), fused_from=chain)
