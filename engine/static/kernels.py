"""Fused elementwise kernels: a chain of elementwise ops run in one output buffer, with no
intermediate arrays. The kernel is written once as a short Python function of ufunc calls:
on the CPU each call writes into the output (numpy ufuncs with out=); on the GPU the same
calls without out= are compiled by cupy.fuse into one CUDA kernel. Which calls make each op is
the op's own declaration (`Function.fuse`): an op without one is not fused."""

_OUT_BY_KEYWORD = ("maximum", "minimum")  # numpy deprecates their positional out


class FusedKernel:
    """`program`: one (Function class, attrs, refs) per fused op in order, where each ref
    is -1 for the running value or k for the k-th external input."""

    def __init__(self, program, n_inputs):
        self.program = program
        self.n_inputs = n_inputs
        self._compiled = {}

    def source(self, in_place):
        """The kernel's Python source: `kernel(i0, i1, ..., out)` writing into out when
        `in_place`, else `kernel(i0, i1, ...)` returning a new value."""
        args = [f"i{k}" for k in range(self.n_inputs)]
        acc = "out" if in_place else "acc"
        lines = []
        for cls, attrs, refs in self.program:
            names = [acc if r < 0 else f"i{r}" for r in refs]
            for ufunc, *operands in cls.fuse(attrs):
                values = [o.format(*names, acc=acc) for o in operands]
                call = f"xp.{ufunc}({', '.join(values)}"
                out = "out=out" if ufunc in _OUT_BY_KEYWORD else "out"
                lines.append(f"{call}, {out})" if in_place else f"{acc} = {call})")
        params = ", ".join(args + (["out"] if in_place else []))
        body = "".join(f"    {line}\n" for line in lines)
        return f"def kernel({params}):\n{body}    return {acc}\n"

    def compiled(self, xp, in_place=True):
        key = (xp.__name__, in_place)
        kernel = self._compiled.get(key)
        if kernel is None:
            env = {"xp": xp}
            exec(compile(self.source(in_place), "<fused kernel>", "exec"), env)
            kernel = env["kernel"]
            if not in_place:
                kernel = xp.fuse(kernel)
            self._compiled[key] = kernel
        return kernel
