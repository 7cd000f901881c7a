"""Matrix products: batched matmul with broadcasting, and the fused linear layer."""
from ..autograd import Function, unbroadcast


class MatMul(Function):
    def forward(self, a, b):
        self.saved = (a, b)
        return a @ b

    def explain(self, shapes):
        sa, sb = shapes
        if len(sa) == 0 or len(sb) == 0:
            return f"cannot multiply a 0-d tensor: shapes {sa} and {sb}"
        ka = sa[-1]
        kb = sb[-2] if len(sb) > 1 else sb[0]
        if ka != kb:
            return f"cannot multiply {sa} by {sb}: inner sizes {ka} and {kb} differ"
        return f"cannot broadcast the batch dims of {sa} and {sb}"

    def backward(self, gy):
        a, b = self.saved
        if a.ndim == 1 and b.ndim == 1:  # a dot product: gy is a scalar
            return gy * b, gy * a
        a2 = a.reshape(1, -1) if a.ndim == 1 else a
        b2 = b.reshape(-1, 1) if b.ndim == 1 else b
        g = gy
        if a.ndim == 1:
            g = g[..., None, :]
        if b.ndim == 1:
            g = g[..., None]
        ga = g @ b2.swapaxes(-1, -2)
        gb = a2.swapaxes(-1, -2) @ g
        ga = unbroadcast(ga, a2.shape).reshape(a.shape)
        gb = unbroadcast(gb, b2.shape).reshape(b.shape)
        return ga, gb

    @staticmethod
    def narrate(c):
        return ("Matrix product",
                f"y = a · b: {c.i(0)} · {c.i(1)} → {c.y}\n"
                "Each output entry is the dot product of a row of a with a column of b"
                " (leading dims are batches of matrices).",
                f"dL/da = g · bᵀ → {c.i(0)}\ndL/db = aᵀ · g → {c.i(1)}")


class Linear(Function):
    """y = x @ W.T + b with W of shape (out, in), as torch.nn.functional.linear."""

    def forward(self, x, w, b=None):
        self.saved = (x, w, b is not None)
        y = x @ w.T
        if b is not None:
            y += b
        return y

    def explain(self, shapes):
        x, w = shapes[0], shapes[1]
        if len(w) != 2:
            return f"weight must be 2-D (out, in), got {w}"
        if not x or x[-1] != w[1]:
            return (f"cannot multiply {x} by weight.T {(w[1], w[0])}: input has "
                    f"{x[-1] if x else 0} features, the layer expects {w[1]}")
        return f"bias {shapes[2]} does not fit output ({w[0]},)"

    def backward(self, gy):
        x, w, has_bias = self.saved
        inputs = getattr(self, "inputs", None)  # skip gx for inputs without grad (the data)
        gx = gy @ w if inputs is None or inputs[0].requires_grad else None
        if x.ndim == 2:
            gw = gy.T @ x
        else:
            gw = gy.reshape(-1, gy.shape[-1]).T @ x.reshape(-1, x.shape[-1])
        if has_bias:
            gb = gy.sum(axis=tuple(range(gy.ndim - 1)))
            return gx, gw, gb
        return gx, gw

    @staticmethod
    def narrate(c):
        has_bias = c.n > 2
        w = c.raw[1] if c.n > 1 else None
        wt = f"({w[1]}, {w[0]})" if w is not None and len(w) == 2 else f"{c.i(1)}ᵀ"
        fwd = (f"y = x · Wᵀ + b: {c.i(0)} · {wt} + {c.i(2)} → {c.y}" if has_bias
               else f"y = x · Wᵀ: {c.i(0)} · {wt} → {c.y}")
        fwd += ("\nEach output feature is a weighted sum of the input features"
                + (" plus its bias." if has_bias else "."))
        bwd = (f"dL/dx = g · W → {c.i(0)}\n"
               f"dL/dW = gᵀ · x → {c.i(1)}  (summed over the batch)")
        if has_bias:
            bwd += f"\ndL/db = Σ_batch g → {c.i(2)}"
        return "Linear layer", fwd, bwd

    @staticmethod
    def complete_shapes(shapes, out):
        shapes = list(shapes)
        if out is not None and shapes[0] is None and len(shapes) > 1 and shapes[1] is not None:
            shapes[0] = tuple(out[:-1]) + (shapes[1][1],)  # the input: (..., in_features)
        return shapes


def matmul(a, b): return MatMul.apply(a, b)


def linear(x, weight, bias=None):
    if bias is None:
        return Linear.apply(x, weight)
    return Linear.apply(x, weight, bias)
