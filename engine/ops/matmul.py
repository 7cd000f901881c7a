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


def matmul(a, b): return MatMul.apply(a, b)


def linear(x, weight, bias=None):
    if bias is None:
        return Linear.apply(x, weight)
    return Linear.apply(x, weight, bias)
