"""The executor. For each set of fetches it writes, once, a flat list of steps as one
straight-line Python function (as torch.fx does): each value is a local variable, each
step one call, and a value is deleted right after its last use. A run is one call of that
function: no per-run dict building, no interpretation loop."""
import functools

import numpy as np

from .. import backend
from ..autograd import ShapeError, notify_optimizer_step, unbroadcast
from .liveness import FOREVER, lifetimes
from .lowering import LOWERED
from .packed import PackedUpdate

_FILENAME = "<static plan>"


class Plan:
    """What one set of fetches runs: the generated function, its source, the placeholders
    it takes (in order) and the node each source line runs (for error messages)."""

    def __init__(self, run, source, feeds, line_nodes, fetches=(), updates=()):
        self.run = run
        self.source = source
        self.feeds = feeds            # placeholder id -> node, in argument order
        self.line_nodes = line_nodes  # source line number -> node
        self.fetches = fetches        # the fetched nodes
        self.updates = updates        # its optimizer updates (_Update), in order


class Executor:
    def __init__(self, graph):
        self.graph = graph
        self.xp = _array_module(graph)
        self._readers = graph.consumers()
        self.fns = {}   # op node id -> its persistent Function instance
        self.pool = {}  # buffer id -> array reused run after run (memory planning)
        self.plans = {}
        self._updates = {}  # (update node id, fetched ids) -> _Update

    def plan(self, fetch_nodes):
        key = tuple(n.id for n in fetch_nodes)
        plan = self.plans.get(key)
        if plan is None:
            plan = self.plans[key] = self._make_plan(fetch_nodes)
        return plan

    def device_plan(self, plan):
        """`plan` returning its fetches as device arrays (the fixed outputs of a captured
        CUDA graph, engine/static/cuda_graph.py) instead of host copies."""
        key = (tuple(n.id for n in plan.fetches), "device")
        device = self.plans.get(key)
        if device is None:
            device = self.plans[key] = self._make_plan(plan.fetches, to_host=False)
        return device

    def run(self, plan, feeds):
        """feeds: the placeholders' arrays in plan.feeds order (checked by the session)."""
        try:
            return plan.run(*feeds)
        except (ValueError, TypeError, IndexError) as exc:
            node = _failed_node(plan, exc)
            if node is None:
                raise
            kind = ShapeError if isinstance(exc, ValueError) else type(exc)
            raise kind(f"{node.describe()} (node %{node.id}): {exc}") from exc

    # ---- writing the step function ----------------------------------------------------
    def _make_plan(self, fetch_nodes, to_host=True):
        needed = set()
        stack = list(fetch_nodes)
        while stack:
            n = stack.pop()
            if n.id not in needed:
                needed.add(n.id)
                stack.extend(n.inputs)
        order = [n for n in self.graph.nodes if n.id in needed]
        fetched = self._fetched = {n.id for n in fetch_nodes}
        end = lifetimes(order, fetched, aliases=False, saved=False)
        free_at = {}
        for n in order:
            if n.kind != "constant" and end[n.id] != FOREVER:
                free_at.setdefault(end[n.id], []).append(n)
        last_backward = {n.inputs[0].id: n.id for n in order if n.kind == "backward"}
        selects = {}
        for n in order:
            if n.kind == "select":
                selects.setdefault(n.inputs[0].id, []).append(n)
        feeds = {n.id: n for n in order if n.kind == "placeholder"}
        env = {"unbroadcast": unbroadcast, "fit": _fit}
        lines, line_nodes = [], {}
        for k, n in enumerate(order):
            for line in self._emit(n, env, last_backward, selects):
                lines.append(line)
                line_nodes[len(lines) + 1] = n
            dead = [f"v{d.id}" for d in free_at.get(k, ()) if d.kind != "backward"]
            if dead:
                lines.append("del " + ", ".join(dead))
        outs = []
        for n in fetch_nodes:
            outs.append(f"v{n.id}.copy()" if "buffer" in n.attrs else f"v{n.id}")
            if n.kind == "update":
                outs[-1] = "None"
        if self.xp is not np and to_host:
            outs = [o if o == "None" else f"to_numpy({o})" for o in outs]
            env["to_numpy"] = backend.to_numpy
        args = ", ".join(f"v{nid}" for nid in feeds)
        source = f"def run({args}):\n" + "".join(f"    {line}\n" for line in lines)
        source += f"    return [{', '.join(outs)}]\n"
        exec(compile(source, _FILENAME, "exec"), env)
        updates = tuple(self._updates[n.id, frozenset(fetched)] for n in order
                        if n.kind == "update")
        return Plan(env["run"], source, feeds, line_nodes, tuple(fetch_nodes), updates)

    def _emit(self, n, env, last_backward, selects):
        """Source lines computing node n into `v<id>` (names it uses go into env)."""
        v = f"v{n.id}"
        args = ", ".join(f"v{i.id}" for i in n.inputs)
        kind = n.kind
        if kind == "placeholder" or kind == "select":  # arguments; selects: at their backward
            return []
        if kind == "constant":
            env[v] = self._on_device(n.value)
            return []
        if kind == "variable":
            env[f"P{n.id}"] = n.value
            return [f"{v} = P{n.id}.array"]
        if kind == "op":
            fn = self._function(n)
            env[f"F{n.id}"] = functools.partial(fn.forward, **n.attrs) if n.attrs else fn.forward
            lines = [f"{v} = F{n.id}({args})"]
            if n.id not in last_backward:  # nobody needs what forward saved
                env[f"C{n.id}"] = fn
                lines.append(f"C{n.id}.saved = None")
            return lines
        if kind == "backward":
            fwd = n.inputs[0]
            fn = self.fns[fwd.id]
            env[f"B{n.id}"] = fn.backward
            lines = [f"{v} = B{n.id}(v{n.inputs[1].id})"]
            for s in selects.get(n.id, ()):
                lines += _pick(s, v, env, fwd)
            if n.id not in self._fetched:
                lines.append(f"del {v}")
            if last_backward[fwd.id] == n.id:
                env[f"C{fwd.id}"] = fn
                lines.append(f"C{fwd.id}.saved = None")
            return lines
        if kind == "fused":
            return self._fused(n, v, args, env)
        if kind == "update":
            key = (n.id, frozenset(self._fetched))  # a plan and its device_plan share it
            update = self._updates.get(key)
            if update is None:
                update = self._updates[key] = _Update(n, self._producers(n))
            env[f"U{n.id}"] = update
            return [f"U{n.id}({', '.join(f'v{i.id}' for i in n.inputs[1::2])})", f"{v} = None"]
        raise ValueError(f"executor: unknown node kind {kind!r} ({n})")

    def _on_device(self, array):
        return backend.to_numpy(array) if self.xp is np else self.xp.asarray(array)

    def _function(self, n):
        """The op's Function instance, kept from run to run (its backward reads `saved`)."""
        fn = self.fns.get(n.id)
        if fn is None:
            fn = self.fns[n.id] = object.__new__(LOWERED.get(n.fn, n.fn))
            fn.attrs = n.attrs
            fn.inputs = self._grad_flags(n)
        return fn

    def _producers(self, update):
        """(k, fn, index): parameter k's gradient is output `index` of fn's backward, read
        by the update alone, so fn may write it straight into the packed gradients."""
        out = []
        for k, g in enumerate(update.inputs[1::2]):
            if g.kind != "select" or g.id in self._fetched:
                continue
            if [r.id for r in self._readers[g.id]] != [update.id]:
                continue
            fn = self.fns.get(g.inputs[0].inputs[0].id)
            if hasattr(fn, "grad_out"):
                out.append((k, fn, g.attrs["index"]))
        return out

    def _grad_flags(self, n):
        """Stand-ins for the op's inputs telling its backward which gradients the graph
        uses (as eager inputs' requires_grad do), so it can skip the others."""
        wanted = {r.attrs["index"] for b in self._readers.get(n.id, ()) if b.kind == "backward"
                  for r in self._readers.get(b.id, ()) if r.kind == "select"}
        return tuple(_GradFlag(k in wanted) for k in range(len(n.inputs)))

    def _fused(self, n, v, args, env):
        """Lines running a fused kernel into a new array, or into its planned buffer (kept
        in the pool from run to run, remade when the batch size changes)."""
        kernel = f"K{n.id}"
        if self.xp is not np:
            env[kernel] = n.value.compiled(self.xp, in_place=False)
            return [f"{v} = {kernel}({args})"]
        env[kernel] = n.value.compiled(np)
        env[f"D{n.id}"] = n.dtype
        env.setdefault("empty", np.empty)
        env.setdefault("pool", self.pool)
        env.setdefault("broadcast_shapes", np.broadcast_shapes)
        src = next((i for i in n.inputs if i.shape == n.shape), None)
        shape = f"v{src.id}.shape" if src is not None else (
            f"broadcast_shapes({', '.join(f'np.shape(v{i.id})' for i in n.inputs)})")
        env.setdefault("np", np)
        buffer = n.attrs.get("buffer")
        if buffer is None:
            return [f"{v} = {kernel}({args}, empty({shape}, D{n.id}))"]
        out = f"o{n.id}"
        return [f"{out} = pool.get({buffer})",
                f"if {out} is None or {out}.shape != {shape}: "
                f"{out} = pool[{buffer}] = empty({shape}, D{n.id})",
                f"{v} = {kernel}({args}, {out})",
                f"del {out}"]


def _pick(s, tuple_name, env, fwd):
    """Lines taking select node s's gradient from a backward tuple, summed to its shape
    (a gradient can only need summing when its input was broadcast against the others,
    so not when the input has the shape of the op's output)."""
    v = f"v{s.id}"
    line = f"{v} = {tuple_name}[{s.attrs['index']}]"
    env[f"S{s.id}"] = s.shape
    if s.shape == fwd.shape:
        return [line]
    if s.shape and s.shape[0] is None and None not in s.shape[1:]:  # a leading batch dim
        env[f"T{s.id}"] = s.shape[1:]
        return [line, f"if {v}.ndim != {len(s.shape)} or {v}.shape[1:] != T{s.id}: "
                      f"{v} = fit({v}, S{s.id})"]
    if None in s.shape:
        return [f"{v} = fit({tuple_name}[{s.attrs['index']}], S{s.id})"]
    return [line, f"if {v}.shape != S{s.id}: {v} = unbroadcast({v}, S{s.id})"]


def _fit(g, shape):
    """`g` summed to `shape`, whose None dims take g's size (aligned from the right)."""
    tail = g.shape[len(g.shape) - len(shape):] if shape else ()
    target = tuple(t if d is None else d for d, t in zip(shape, tail))
    return g if g.shape == target else unbroadcast(g, target)


class _GradFlag:
    __slots__ = ("requires_grad",)

    def __init__(self, flag):
        self.requires_grad = flag


def _array_module(graph):
    for n in graph.nodes:
        if n.kind == "variable":
            return backend.get_array_module(n.value.array)
    return np


class _Update:
    """An update node's step: the optimizer's update over its parameters, packed."""

    def __init__(self, n, producers):
        self.optimizer = n.value
        self.params = [p.value for p in n.inputs[0::2]]
        self.packed = PackedUpdate(self.optimizer, self.params, producers)

    def __call__(self, *grads):
        self.packed.step(grads)
        notify_optimizer_step(self.optimizer)

    def mark(self):
        """The Python-side state a step changes (for `restore` when a capture fails)."""
        return self.optimizer.step_count, self.packed.synced

    def restore(self, mark):
        self.optimizer.step_count, self.packed.synced = mark

    def replayed(self):
        """What the step does on the Python side, after a replay of its CUDA graph did
        the arrays' part."""
        opt = self.optimizer
        opt.step_count += 1
        if self.packed.synced is not None:
            self.packed.synced = (opt.step_count, id(opt.state))
        notify_optimizer_step(opt)


def _failed_node(plan, exc):
    """The node whose line of the generated function raised `exc`."""
    tb = exc.__traceback__
    line = None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == _FILENAME:
            line = tb.tb_lineno
        tb = tb.tb_next
    return plan.line_nodes.get(line)

