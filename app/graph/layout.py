"""A layered top-to-bottom layout for computation graphs (pure Python and numpy, no Qt).

Neural-network graphs are nearly chains with parameter leaves, so a small Sugiyama-style
layout is enough and fast (2,000 nodes in a few tens of milliseconds):
- layers by longest path from the sources; a leaf (parameter, input), and an op computed
  from leaves only, sits one layer above the first op that reads it;
- x coordinates by barycentre sweeps (down from the inputs, up from the outputs), each layer
  packed with numpy so that nodes keep at least one slot between their centres while staying
  as near as they can to where their op neighbours pull them (the chain stays straight);
  then each parameter takes the free place right of the op that reads it, each batch input
  the place straight above it;
- with `previous` positions (the last iteration's), every node that still exists keeps its
  x, and new nodes take the free place nearest their neighbours.
Edges that point backwards in the given order (a cycle made by collapsing groups) are ignored
for layering.
"""
from bisect import bisect_left, insort
from dataclasses import dataclass

import numpy as np

NODE_WIDTH = 150.0
NODE_HEIGHT = 34.0
H_GAP = 24.0
V_GAP = 58.0
SLOT = NODE_WIDTH + H_GAP
ROW = NODE_HEIGHT + V_GAP
LEAF_KINDS = ("param", "input")


@dataclass
class Layout:
    positions: dict  # key -> (x, y) of the node's centre
    layers: dict  # key -> layer index (0 at the top)

    def bounds(self):
        """(left, top, right, bottom) around all nodes."""
        if not self.positions:
            return (0.0, 0.0, 0.0, 0.0)
        xy = np.array(list(self.positions.values()))
        return (float(xy[:, 0].min() - NODE_WIDTH / 2), float(xy[:, 1].min() - NODE_HEIGHT / 2),
                float(xy[:, 0].max() + NODE_WIDTH / 2), float(xy[:, 1].max() + NODE_HEIGHT / 2))


def layout_graph(model, previous=None, sweeps=3):
    """Lay out a GraphModel (nodes in data-flow order); `previous` maps key -> (x, y)."""
    keys = [n.key for n in model.nodes]
    index = {k: i for i, k in enumerate(keys)}
    leaf = [n.kind in LEAF_KINDS for n in model.nodes]
    shift = [SLOT if n.kind == "param" else 0.0 for n in model.nodes]  # inputs go straight above
    preds = [[] for _ in keys]
    succs = [[] for _ in keys]
    for a, b in model.edges:
        i, j = index[a], index[b]
        if i < j:
            preds[j].append(i)
            succs[i].append(j)
    above = [n.kind == "input" for n in model.nodes]
    layer = _layers(preds, succs, leaf, above)
    rows = _rows(layer)
    if previous and 2 * sum(k in previous for k in keys) >= len(keys):
        x = _stable_x(keys, rows, preds, succs, shift, previous)
    else:
        x = _swept_x(rows, preds, succs, leaf, shift, sweeps)
    y = layer * ROW
    return Layout({k: (float(x[i]), float(y[i])) for i, k in enumerate(keys)},
                  {k: int(layer[i]) for i, k in enumerate(keys)})


def _layers(preds, succs, leaf, above):
    n = len(preds)
    layer = np.zeros(n, dtype=np.int64)
    for j in range(n):
        if preds[j]:
            layer[j] = max(layer[i] for i in preds[j]) + 1
    # Ops computed from leaves only (a slice of the input per time step, a weight's gate
    # slices) sink to just above their first consumer, as leaves do: their edges stay short.
    floating = [False] * n
    for j in range(n):
        floating[j] = not leaf[j] and bool(preds[j]) and all(leaf[i] or floating[i]
                                                              for i in preds[j])
    for j in reversed(range(n)):
        if floating[j] and succs[j]:
            layer[j] = max(layer[j], min(layer[k] for k in succs[j]) - 1)
    for i in range(n):  # parameters beside their first consumer, inputs just above it
        if leaf[i] and succs[i]:
            layer[i] = max(0, min(layer[j] for j in succs[i]) - above[i])
    return layer


def _rows(layer):
    """Node indices of each layer, in data-flow order."""
    order = np.argsort(layer, kind="stable")
    bounds = np.searchsorted(layer[order], np.arange(layer.max() + 2 if len(layer) else 1))
    return [order[bounds[r]:bounds[r + 1]] for r in range(len(bounds) - 1)]


def _pack(desired):
    """Positions, in the order given, at least SLOT apart: the mean of the left-packed and
    the right-packed solutions (both keep the spacing, so their mean does too)."""
    n = len(desired)
    left, right = list(desired), list(desired)
    for k in range(1, n):
        left[k] = max(left[k], left[k - 1] + SLOT)
    for k in range(n - 2, -1, -1):
        right[k] = min(right[k], right[k + 1] - SLOT)
    return [(a + b) / 2 for a, b in zip(left, right)]


def _pull(i, x, toward, leaf):
    """Where op i wants to be: at the mean of its op neighbours in `toward`."""
    ops = [j for j in toward[i] if not leaf[j]]
    return sum(x[j] for j in ops) / len(ops) if ops else x[i]


def _place_ops(row, x, toward, leaf):
    wants = sorted((_pull(i, x, toward, leaf), x[i], i) for i in row if not leaf[i])
    for (_, _, i), xi in zip(wants, _pack([w for w, _, _ in wants])):
        x[i] = xi


def _place_leaves(row, x, succs, leaf, shift):
    """Each leaf in the free place nearest `shift` right of the first op that reads it."""
    taken = sorted(x[i] for i in row if not leaf[i])
    for want, i in sorted((x[succs[i][0]] + shift[i] if succs[i] else 0.0, i)
                          for i in row if leaf[i]):
        x[i] = _free_spot(want, taken)
        insort(taken, x[i])


def _swept_x(rows, preds, succs, leaf, shift, sweeps):
    """Ops by barycentre sweeps (leaves do not pull them), then the leaves beside them."""
    x = [0.0] * len(preds)
    for row in rows:
        for k, i in enumerate(row):
            x[i] = k * SLOT
    for _ in range(sweeps):
        for row in rows:
            _place_ops(row, x, preds, leaf)
        for row in reversed(rows):
            _place_ops(row, x, succs, leaf)
    for row in rows:
        _place_ops(row, x, preds, leaf)
    for row in rows:
        _place_leaves(row, x, succs, leaf, shift)
    left = min(x, default=0.0)
    return np.array(x) - left


def _stable_x(keys, rows, preds, succs, shift, previous):
    """Old nodes keep their x; new ones take the free place nearest to where they are pulled.
    Old nodes that now share a row too closely (their layers changed) are pushed right."""
    x = [previous[k][0] if k in previous else None for k in keys]
    for row in rows:
        old = sorted((x[i], i) for i in row if x[i] is not None)
        for (_, i), (_, before) in zip(old[1:], old):
            x[i] = max(x[i], x[before] + SLOT)
        taken = sorted(x[i] for i in row if x[i] is not None)
        for i in row:
            if x[i] is None:
                near = [x[j] for j in preds[i] + succs[i] if x[j] is not None]
                want = sum(near) / len(near) + shift[i] if near else 0.0
                x[i] = _free_spot(want, taken)
                insort(taken, x[i])
    return np.array(x)


def _free_spot(want, taken):
    """The position nearest `want` at least SLOT away from every position in sorted `taken`."""
    def free(c):
        k = bisect_left(taken, c)
        return all(abs(c - taken[j]) >= SLOT - 1e-9 for j in (k - 1, k) if 0 <= j < len(taken))

    if free(want):
        return want
    k = bisect_left(taken, want)
    right = next(c for c in (t + SLOT for t in taken[max(k - 1, 0):]) if free(c))
    left = next(c for c in (t - SLOT for t in reversed(taken[:k + 1])) if free(c))
    return right if right - want <= want - left else left


def edge_crossings(edges, positions):
    """How many pairs of straight edges cross (a readability measure; edges sharing an
    end point do not count)."""
    seg = np.array([(*positions[a], *positions[b]) for a, b in edges], dtype=np.float64)
    if len(seg) < 2:
        return 0
    p, r = seg[:, :2], seg[:, 2:] - seg[:, :2]
    total = 0
    for start in range(0, len(seg), 256):
        q, s = p[start:start + 256, None], r[start:start + 256, None]
        denom = _cross(r[None], s)
        qp = q - p[None]
        with np.errstate(divide="ignore", invalid="ignore"):
            t = _cross(qp, s) / denom
            u = _cross(qp, r[None]) / denom
        inside = (denom != 0) & (t > 1e-9) & (t < 1 - 1e-9) & (u > 1e-9) & (u < 1 - 1e-9)
        total += int(inside.sum())
    return total // 2


def _cross(a, b):
    return a[..., 0] * b[..., 1] - a[..., 1] * b[..., 0]
