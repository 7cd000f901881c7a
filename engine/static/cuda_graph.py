"""Static mode as one CUDA graph: a Session on the GPU captures the step function of a
fetch list once (CUDA stream capture) and replays it, one launch instead of hundreds.

The bookkeeping is plain Python (`CudaGraphs`): feeds are copied into fixed input buffers
before each launch, the fetches are the arrays the captured run returned (overwritten by
each replay), and a step is captured again when what was baked into the graph changes: the
feeds' shapes or dtypes, the parameters' arrays (load_state_dict, a dynamic step), the
optimizer's hyperparameters (an lr schedule) or its state. A plan runs eagerly for its
first WARMUP runs (the optimizer makes its state; kernels compile), and always where a
graph cannot hold it: random ops (a dropout mask is drawn on the host each run), optimizers
whose update changes from step to step (Adam's bias correction), or a capture that failed
(an op that synchronises with the host); `reasons` says why.

Only `CupyCapture` touches CUDA; tests/engine/static/test_cuda_graph.py drives the
bookkeeping with a stand-in on the CPU.
"""
WARMUP = 2
CAPTURABLE_OPTIMIZERS = ("SGD",)  # updates whose kernels are the same every step
RANDOM_OPS = ("dropout",)


class CupyCapture:
    """The CUDA side: one stream per captured step (CuPy's memory pool keeps a free list
    per stream, so the blocks the graph uses inside stay its own), capture and launch."""

    def __init__(self):
        import cupy
        self.cupy = cupy

    def stream(self):
        return self.cupy.cuda.Stream(non_blocking=True)

    def _after_current(self, stream):
        """`stream` waits for the work queued so far on the current stream (an event)."""
        stream.wait_event(self.cupy.cuda.get_current_stream().record())

    def capture(self, stream, run, args):
        """The graph of `run(*args)` on `stream` and what the run returned."""
        self._after_current(stream)
        with stream:
            stream.begin_capture()
            try:
                outs = run(*args)
            finally:
                graph = stream.end_capture()
        return graph, outs

    def launch(self, graph, stream):
        """Replay after the current stream's work; the current stream's later work waits
        for the replay."""
        self._after_current(stream)
        graph.launch(stream=stream)
        self.cupy.cuda.get_current_stream().wait_event(stream.record())

    def copy_into(self, buffer, value, stream):
        self._after_current(stream)
        with stream:
            if isinstance(value, self.cupy.ndarray):
                buffer[...] = value
            else:
                buffer.set(value, stream=stream)

    def to_host(self, array, stream):
        return array.get(stream=stream)

    def empty_like(self, array):
        return self.cupy.empty(array.shape, array.dtype)

    def release(self, stream):
        self.cupy.get_default_memory_pool().free_all_blocks(stream=stream)


class _Captured:
    """One captured step: its key, stream, graph, input buffers and output arrays."""

    def __init__(self, key, stream, graph, buffers, outs):
        self.key, self.stream, self.graph = key, stream, graph
        self.buffers, self.outs = buffers, outs


class CudaGraphs:
    """`run(plan, feeds)`: the host values of the plan's fetches, from a replayed graph
    once the plan has warmed up, else None (the caller runs the plan eagerly)."""

    def __init__(self, executor, capture=None):
        self.executor = executor
        self.capture = capture if capture is not None else CupyCapture()
        self.reasons = {}    # plan -> why it runs eagerly
        self.captured = {}   # plan -> _Captured
        self.warm = {}       # plan -> (key, eager runs with that key)
        self.captures = 0    # how many steps were captured (tests, the compare view)
        self._variables = {}  # plan -> the Parameters it reads

    def run(self, plan, feeds):
        if plan in self.reasons:
            return None
        key = self._key(plan, feeds)
        done = self.captured.get(plan)
        if done is not None:
            if done.key == key:
                return self._replay(plan, done, feeds)
            self._drop(plan)
        seen, runs = self.warm.get(plan, (None, 0))
        runs = runs + 1 if seen == key else 1
        self.warm[plan] = (key, runs)
        if runs <= WARMUP:
            return None
        return self._capture(plan, key, feeds)

    def _key(self, plan, feeds):
        """What a graph bakes in: feed shapes and dtypes, the arrays of the parameters it
        reads, and per update its optimizer's state and hyperparameters."""
        variables = self._variables.get(plan)
        if variables is None:
            variables = self._variables[plan] = [
                n.value for n in plan.line_nodes.values() if n.kind == "variable"]
        parts = [tuple((f.shape, str(f.dtype)) for f in feeds),
                 tuple(id(v.array) for v in variables)]
        for update in plan.updates:
            opt = update.optimizer
            parts.append(id(opt.state))
            parts.append(tuple(tuple((k, v) for k, v in sorted(g.items()) if k != "params")
                               for g in opt.param_groups))
        return tuple(parts)

    def _refusal(self, plan):
        for update in plan.updates:
            name = type(update.optimizer).__name__
            if name not in CAPTURABLE_OPTIMIZERS:
                return f"optimizer {name} changes its update every step"
        for node in plan.line_nodes.values():
            for op in (node.op, *(getattr(f, "op", f) for f in node.fused_from)):
                if op in RANDOM_OPS:
                    return f"op {op} draws new random numbers every run"
        return None

    def _capture(self, plan, key, feeds):
        reason = self._refusal(plan)
        if reason is not None:
            self.reasons[plan] = reason
            return None
        cap = self.capture
        stream = cap.stream()
        buffers = [cap.empty_like(f) for f in feeds]
        for buffer, value in zip(buffers, feeds):
            cap.copy_into(buffer, value, stream)
        device_plan = self.executor.device_plan(plan)
        marks = [u.mark() for u in plan.updates]
        try:
            graph, outs = cap.capture(stream, device_plan.run, buffers)
        except Exception as exc:  # an op that cannot be captured: eager from now on
            for update, mark in zip(plan.updates, marks):
                update.restore(mark)
            cap.release(stream)
            self.reasons[plan] = f"capture failed: {type(exc).__name__}: {exc}"
            return None
        done = self.captured[plan] = _Captured(key, stream, graph, buffers, outs)
        self.captures += 1
        cap.launch(graph, stream)  # the captured run did no work: this is the step
        return [None if o is None else cap.to_host(o, stream) for o in done.outs]

    def _replay(self, plan, done, feeds):
        cap = self.capture
        for buffer, value in zip(done.buffers, feeds):
            cap.copy_into(buffer, value, done.stream)
        cap.launch(done.graph, done.stream)
        outs = [None if o is None else cap.to_host(o, done.stream) for o in done.outs]
        for update in plan.updates:
            update.replayed()
        return outs

    def _drop(self, plan):
        done = self.captured.pop(plan)
        self.capture.release(done.stream)
