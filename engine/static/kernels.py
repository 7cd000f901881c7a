"""Fused elementwise kernels: a chain of elementwise ops run in one output buffer, with no
intermediate arrays (numpy ufuncs with out= on the CPU; cupy.fuse on the GPU, one kernel)."""
from ..ops import elementwise as ew


def _sigmoid(xp, a, out):
    # the engine's stable form 0.5 * tanh(0.5 * a) + 0.5, step by step in place
    out = xp.multiply(a, 0.5, out=out)
    out = xp.tanh(out, out=out)
    out = xp.multiply(out, 0.5, out=out)
    return xp.add(out, 0.5, out=out)


# Function class -> (arity, maker(xp, attrs) -> f(*args, out) writing into out)
FUSIBLE = {
    ew.Add: (2, lambda xp, at: lambda a, b, out: xp.add(a, b, out=out)),
    ew.Sub: (2, lambda xp, at: lambda a, b, out: xp.subtract(a, b, out=out)),
    ew.Mul: (2, lambda xp, at: lambda a, b, out: xp.multiply(a, b, out=out)),
    ew.Div: (2, lambda xp, at: lambda a, b, out: xp.true_divide(a, b, out=out)),
    ew.Neg: (1, lambda xp, at: lambda a, out: xp.negative(a, out=out)),
    ew.Exp: (1, lambda xp, at: lambda a, out: xp.exp(a, out=out)),
    ew.Log: (1, lambda xp, at: lambda a, out: xp.log(a, out=out)),
    ew.Sqrt: (1, lambda xp, at: lambda a, out: xp.sqrt(a, out=out)),
    ew.Abs: (1, lambda xp, at: lambda a, out: xp.absolute(a, out=out)),
    ew.Tanh: (1, lambda xp, at: lambda a, out: xp.tanh(a, out=out)),
    ew.ReLU: (1, lambda xp, at: lambda a, out: xp.maximum(a, 0, out=out)),
    ew.Sigmoid: (1, lambda xp, at: lambda a, out: _sigmoid(xp, a, out)),
    ew.PowScalar: (1, lambda xp, at: lambda a, out: xp.power(a, at["exponent"], out=out)),
    ew.Clamp: (1, lambda xp, at: lambda a, out: xp.clip(a, at["min"], at["max"], out=out)),
}


class FusedKernel:
    """`program`: one (Function class, attrs, refs) per fused op in order, where each ref
    is -1 for the running value or k for the k-th external input."""

    def __init__(self, program):
        self.program = program
        self._compiled = {}

    def ops(self):
        return [cls.op for cls, _, _ in self.program]

    def steps(self, xp):
        steps = self._compiled.get(xp.__name__)
        if steps is None:
            steps = [(FUSIBLE[cls][1](xp, attrs), refs) for cls, attrs, refs in self.program]
            self._compiled[xp.__name__] = steps
        return steps

    def run(self, xp, ins, out):
        """Evaluate the chain on `ins` into `out` (an array of the result's shape)."""
        acc = None
        for f, refs in self.steps(xp):
            acc = f(*[acc if r < 0 else ins[r] for r in refs], out)
        return acc

    def fused_gpu(self, cupy):
        """One CuPy kernel for the chain (cupy.fuse traces it once per input signature)."""
        steps = self.steps(cupy)

        def chain(*ins):
            acc = None
            for f, refs in steps:
                acc = f(*[acc if r < 0 else ins[r] for r in refs], None)
            return acc
        return cupy.fuse(chain)
