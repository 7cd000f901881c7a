"""When each value of a schedule is last needed: the base of slot release (executor) and
of buffer reuse (memory planning)."""

FOREVER = float("inf")

# Ops whose output may be (a view of) an input: the input lives as long as the output.
VIEW_OPS = frozenset({"reshape", "permute", "getitem", "stop_gradient", "sum_to", "to"})


def may_alias(node):
    return node.kind in ("backward", "select") or node.op in VIEW_OPS


def lifetimes(order, keep=(), aliases=True, saved=True):
    """node id -> position in `order` after which its value is dead (FOREVER for `keep`).
    A value lives until its last reader; with `aliases`, while a reader's output may alias
    it, as long as that output; with `saved`, while a reader's Function keeps it in
    `saved`, until that reader's backward node has run. A slot can be dropped after the
    last reader (arrays are reference counted); a reused buffer must outlive them all."""
    pos = {n.id: k for k, n in enumerate(order)}
    readers = {n.id: [] for n in order}
    backward_at = {}
    for n in order:
        for i in n.inputs:
            readers[i.id].append(n)
        if n.kind == "backward":
            fwd = n.inputs[0].id
            backward_at[fwd] = max(backward_at.get(fwd, -1), pos[n.id])
    end = {}
    for n in reversed(order):
        e = FOREVER if n.id in keep else pos[n.id]
        for r in readers[n.id]:
            e = max(e, pos[r.id], backward_at.get(r.id, -1) if saved else -1)
            if aliases and may_alias(r):
                e = max(e, end[r.id])
        end[n.id] = e
    return end
