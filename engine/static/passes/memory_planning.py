"""Memory planning: buffers reused by lifetime. Fused nodes write into buffers from a pool
(a buffer goes back to the pool once its value is dead), and every value is dropped after
its last use. Records the peak bytes of intermediate values before and after."""
from ..liveness import FOREVER, lifetimes, may_alias

_NOT_ACTIVATIONS = ("placeholder", "variable", "constant", "update")


def memory_planning(graph):
    g = graph.copy()
    roots = g.roots()
    order = g.nodes
    end = lifetimes(order, roots)
    batch = g.batch_size
    free, buffers, dying = {}, {}, {}
    for k, n in enumerate(order):
        if n.kind == "fused" and end[n.id] != FOREVER:  # not (seen through) a root
            key = (n.shape, n.dtype.str)
            spare = free.get(key)
            b = spare.pop() if spare else len(buffers)
            buffers[b] = n.nbytes(batch)
            n.attrs = dict(n.attrs, buffer=b)
        if end[n.id] != FOREVER:
            dying.setdefault(end[n.id], []).append(n)
        for d in dying.pop(k, ()):
            if "buffer" in d.attrs:
                free.setdefault((d.shape, d.dtype.str), []).append(d.attrs["buffer"])
    resident = lifetimes(order, roots, aliases=False)  # slots dropped, saved state kept
    g.memory = {"batch_size": batch, "peak_bytes_before": _peak_unplanned(order, batch),
                "peak_bytes_after": _peak_planned(order, resident, batch, sum(buffers.values())),
                "buffers": len(buffers)}
    return g


def _bytes(n, batch):
    if n.kind in _NOT_ACTIVATIONS or (may_alias(n) and n.kind != "backward"):
        return 0
    if n.kind == "backward":  # its tuple holds the input gradients the selects pick
        return sum(i.nbytes(batch) for i in n.inputs[0].inputs)
    return n.nbytes(batch)


def _peak_unplanned(order, batch):
    """Every intermediate value kept to the end of the step (as an eager graph keeps them)."""
    return sum(_bytes(n, batch) for n in order)


def _peak_planned(order, end, batch, pool_bytes):
    live = peak = 0
    dying = {}
    for k, n in enumerate(order):
        if "buffer" not in n.attrs:
            size = _bytes(n, batch)
            live += size
            dying[end[n.id]] = dying.get(end[n.id], 0) + size
        peak = max(peak, live)
        live -= dying.pop(k, 0)
    return pool_bytes + peak
