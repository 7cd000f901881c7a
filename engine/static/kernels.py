"""Fused elementwise kernels: a chain of elementwise ops run in one output buffer, with no
intermediate arrays. The kernel is written once as a short Python function of ufunc calls:
on the CPU each call writes into the output (numpy ufuncs with out=); on the GPU the same
calls without out= are compiled by cupy.fuse into one CUDA kernel."""
from ..ops import elementwise as ew

# Function class -> the ufunc calls it makes, each (ufunc name, *operands); an operand is
# "{0}"/"{1}" (the op's inputs), "{acc}" (the value computed so far) or a literal.
FUSIBLE = {
    ew.Add: lambda at: [("add", "{0}", "{1}")],
    ew.Sub: lambda at: [("subtract", "{0}", "{1}")],
    ew.Mul: lambda at: [("multiply", "{0}", "{1}")],
    ew.Div: lambda at: [("true_divide", "{0}", "{1}")],
    ew.Neg: lambda at: [("negative", "{0}")],
    ew.Exp: lambda at: [("exp", "{0}")],
    ew.Log: lambda at: [("log", "{0}")],
    ew.Sqrt: lambda at: [("sqrt", "{0}")],
    ew.Abs: lambda at: [("absolute", "{0}")],
    ew.Tanh: lambda at: [("tanh", "{0}")],
    ew.ReLU: lambda at: [("maximum", "{0}", "0")],
    # the engine's stable sigmoid, 0.5 * tanh(0.5 * a) + 0.5, step by step
    ew.Sigmoid: lambda at: [("multiply", "{0}", "0.5"), ("tanh", "{acc}"),
                            ("multiply", "{acc}", "0.5"), ("add", "{acc}", "0.5")],
    ew.PowScalar: lambda at: [("power", "{0}", repr(at["exponent"]))],
    ew.Clamp: lambda at: _clamp(at["min"], at["max"]),
}


_OUT_BY_KEYWORD = ("maximum", "minimum")  # numpy deprecates their positional out


def _clamp(low, high):
    calls = [("maximum", "{0}", repr(low))] if low is not None else []
    if high is not None:
        calls.append(("minimum", "{acc}" if calls else "{0}", repr(high)))
    return calls or [("positive", "{0}")]


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
            for ufunc, *operands in FUSIBLE[cls](attrs):
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
