"""The executor: for each set of fetches, a flat list of steps (closures over slot indices)
computed once; a run copies a slot template, fills the feeds and calls the steps. Values
are dropped from their slot right after their last use."""
import functools

import numpy as np

from .. import backend
from ..autograd import ShapeError, notify_optimizer_step, unbroadcast
from .liveness import FOREVER, lifetimes


class Plan:
    """What one set of fetches runs: steps, feed checks, the slots to return."""

    def __init__(self, steps, template, feeds, outs, copies, step_nodes):
        self.steps = steps
        self.template = template
        self.feeds = feeds          # placeholder id -> (slot, node)
        self.outs = outs            # slot per fetch
        self.copies = copies        # fetch positions whose value lives in a reused buffer
        self.step_nodes = step_nodes  # step -> node, for error messages


class Executor:
    def __init__(self, graph):
        self.graph = graph
        self.slot = {n.id: k for k, n in enumerate(graph.nodes)}
        self.xp = _array_module(graph)
        self.fns = {}    # op node id -> its persistent Function instance
        self.pool = {}   # buffer id -> array reused run after run (memory planning)
        self.plans = {}
        self.template = [None] * len(graph.nodes)
        for n in graph.nodes:
            if n.kind == "constant":
                self.template[self.slot[n.id]] = self._on_device(n.value)

    def _on_device(self, array):
        if self.xp is np:
            return backend.to_numpy(array)
        return self.xp.asarray(array)

    # ---- planning ---------------------------------------------------------------------
    def plan(self, fetch_nodes):
        key = tuple(n.id for n in fetch_nodes)
        plan = self.plans.get(key)
        if plan is None:
            plan = self.plans[key] = self._make_plan(fetch_nodes)
        return plan

    def _make_plan(self, fetch_nodes):
        needed = set()
        stack = list(fetch_nodes)
        while stack:
            n = stack.pop()
            if n.id not in needed:
                needed.add(n.id)
                stack.extend(n.inputs)
        order = [n for n in self.graph.nodes if n.id in needed]
        fetched = {n.id for n in fetch_nodes}
        end = lifetimes(order, fetched)
        free_at = {}
        for n in order:
            if n.kind != "constant" and end[n.id] != FOREVER:
                free_at.setdefault(end[n.id], []).append(self.slot[n.id])
        last_backward = {}
        for k, n in enumerate(order):
            if n.kind == "backward":
                last_backward[n.inputs[0].id] = n.id
        steps, step_nodes = [], {}
        for k, n in enumerate(order):
            step = self._step(n, last_backward)
            if step is not None:
                steps.append(step)
                step_nodes[step] = n
            if k in free_at:
                steps.append(_release(free_at[k]))
        feeds = {n.id: (self.slot[n.id], n) for n in order if n.kind == "placeholder"}
        outs = [self.slot[n.id] for n in fetch_nodes]
        copies = [k for k, n in enumerate(fetch_nodes) if "buffer" in n.attrs]
        return Plan(steps, self.template, feeds, outs, copies, step_nodes)

    def _step(self, n, last_backward):
        s_out = self.slot[n.id]
        ins = [self.slot[i.id] for i in n.inputs]
        kind = n.kind
        if kind in ("placeholder", "constant"):
            return None
        if kind == "variable":
            p = n.value

            def read(s):
                s[s_out] = p.data
            return read
        if kind == "op":
            fn = self.fns.get(n.id)
            if fn is None:
                fn = self.fns[n.id] = object.__new__(n.fn)
                fn.attrs = n.attrs
            f = functools.partial(fn.forward, **n.attrs) if n.attrs else fn.forward
            return _call(f, ins, s_out, None if n.id in last_backward else fn)
        if kind == "backward":
            fn = self.fns[n.inputs[0].id]
            return _call(fn.backward, ins[1:], s_out, fn if last_backward[n.inputs[0].id] == n.id else None)
        if kind == "select":
            return _select(ins[0], n.attrs["index"], n.shape, s_out)
        if kind == "fused":
            return self._fused(n, ins, s_out)
        if kind == "update":
            return _update(n, ins, s_out)
        raise ValueError(f"executor: unknown node kind {kind!r} ({n})")

    def _fused(self, n, ins, s_out):
        xp, dtype = self.xp, n.dtype
        if xp is not np:
            kernel = n.value.fused_gpu(xp)
            return _call(kernel, ins, s_out, None)
        run = functools.partial(n.value.run, xp)
        src = next((k for k, i in enumerate(n.inputs) if i.shape == n.shape), None)
        buffer, pool, empty = n.attrs.get("buffer"), self.pool, xp.empty

        def fused(s):
            args = [s[i] for i in ins]
            shape = args[src].shape if src is not None else xp.broadcast_shapes(*[a.shape for a in args])
            if buffer is None:
                out = empty(shape, dtype)
            else:
                out = pool.get(buffer)
                if out is None or out.shape != shape or out.dtype != dtype:
                    out = pool[buffer] = empty(shape, dtype)
            s[s_out] = run(args, out)
        return fused

    # ---- running ----------------------------------------------------------------------
    def run(self, plan, feed_values):
        """feed_values: placeholder id -> array (checked by the session)."""
        s = plan.template.copy()
        for nid, value in feed_values.items():
            s[plan.feeds[nid][0]] = value
        step = None
        try:
            for step in plan.steps:
                step(s)
        except (ValueError, TypeError, IndexError) as exc:
            node = plan.step_nodes.get(step)
            if node is None:
                raise
            raise ShapeError(f"{node.describe()} (node %{node.id}): {exc}") from exc
        out = [s[k] for k in plan.outs]
        for k in plan.copies:
            out[k] = out[k].copy()
        return out


def _array_module(graph):
    for n in graph.nodes:
        if n.kind == "variable":
            return backend.get_array_module(n.value.data)
    return np


def _release(slots):
    if len(slots) == 1:
        (k,) = slots

        def release_one(s):
            s[k] = None
        return release_one

    def release(s):
        for k in slots:
            s[k] = None
    return release


def _call(f, ins, o, clear):
    """A step computing s[o] = f(*s[ins]); `clear`: a Function whose saved state nobody
    needs after this step."""
    if clear is not None:
        g = f

        def f(*args):
            y = g(*args)
            clear.saved = None
            return y
    if len(ins) == 1:
        (a,) = ins

        def step1(s):
            s[o] = f(s[a])
        return step1
    if len(ins) == 2:
        a, b = ins

        def step2(s):
            s[o] = f(s[a], s[b])
        return step2
    if len(ins) == 3:
        a, b, c = ins

        def step3(s):
            s[o] = f(s[a], s[b], s[c])
        return step3

    def step(s):
        s[o] = f(*[s[i] for i in ins])
    return step


def _select(b, index, shape, o):
    """Pick one input's gradient from a backward tuple, summed back to its shape."""
    if None not in shape:
        def select(s):
            g = s[b][index]
            s[o] = g if g.shape == shape else unbroadcast(g, shape)
        return select

    def select_dynamic(s):
        g = s[b][index]
        tail = g.shape[len(g.shape) - len(shape):] if shape else ()
        target = tuple(t if d is None else d for d, t in zip(shape, tail))
        s[o] = g if g.shape == target else unbroadcast(g, target)
    return select_dynamic


def _update(n, ins, o):
    opt = n.value
    pairs = [(n.inputs[k].value, ins[k + 1]) for k in range(0, len(ins), 2)]

    def update(s):
        state = opt.state
        for p, g in pairs:
            opt._update(p, s[g], state.setdefault(id(p), {}))
        opt.step_count += 1
        notify_optimizer_step(opt)
    return update
