"""Words and formulas for the op being stepped: what its forward computes and what its
backward sends to each input, with the actual shapes ("y = x · Wᵀ + b: (32, 2) · (2, 16)ᵀ +
(16,) → (32, 16)").

`narrate(op, input_shapes, output_shape, phase, attrs, scope)` works from plain data, so it
serves the debugger's graph nodes (which carry no attrs: the text then stays general) as well
as engine nodes. `narrate_state(state, param_shapes)` narrates a debugger state's current node.
Notation: ⊙ and ⊘ are elementwise product and division, g = dL/dy the gradient arriving from
the loss, [cond] is 1 where cond holds and 0 elsewhere.
"""
import math
from dataclasses import dataclass
from typing import Callable, Optional

UPDATE_TEXT = ("Optimizer update: every parameter moves against its gradient, "
               "W ← W − lr · dL/dW (SGD; momentum and Adam rescale the step per entry). "
               "The graph of this iteration is then freed; the next forward builds a new one.")


@dataclass(frozen=True)
class Narration:
    op: str
    scope: str
    phase: str
    title: str
    forward: str  # one statement per line
    backward: str

    @property
    def current(self):
        """The text for the phase being stepped."""
        return self.backward if self.phase == "backward" else self.forward


def fmt(shape):
    """A shape as the user reads it: (32, 2), (16,), () for a scalar, ? when unknown."""
    if shape is None:
        return "?"
    return str(tuple(int(n) for n in shape))


class _Shapes:
    """The formatted shapes and attrs one narrator reads."""

    def __init__(self, input_shapes, output_shape, attrs):
        self.raw = [None if s is None else tuple(s) for s in input_shapes]
        self.raw_out = None if output_shape is None else tuple(output_shape)
        self.attrs = attrs or {}

    def i(self, k):
        return fmt(self.raw[k]) if k < len(self.raw) else "?"

    @property
    def y(self):
        return fmt(self.raw_out)

    @property
    def n(self):
        return len(self.raw)

    def attr(self, name, unknown):
        value = self.attrs.get(name)
        return unknown if value is None else value

    def grad_to(self, name, expr, k):
        """`dL/d<name> = <expr> → <shape>`, noting the sum over dims that were broadcast."""
        shape, out = (self.raw[k] if k < len(self.raw) else None), self.raw_out
        if shape is not None and out is not None and shape != out:
            expr = f"Σ over the broadcast dims of ({expr})"
        return f"dL/d{name} = {expr} → {fmt(shape)}"

    def broadcast_note(self):
        known = [s for s in self.raw if s is not None]
        if self.raw_out is not None and any(s != self.raw_out for s in known):
            return "\nInputs of other shapes are broadcast (repeated) to the output shape."
        return ""


def _binary(symbol, title, ga, gb, meaning):
    def narrate(c):
        fwd = f"y = a {symbol} b: {c.i(0)} {symbol} {c.i(1)} → {c.y}\n{meaning}" + c.broadcast_note()
        bwd = f"{c.grad_to('a', ga, 0)}\n{c.grad_to('b', gb, 1)}"
        return title, fwd, bwd
    return narrate


def _unary(title, formula, grad, meaning):
    def narrate(c):
        return (title, f"y = {formula}: {c.i(0)} → {c.y}\n{meaning}",
                f"dL/da = {grad} → {c.i(0)}")
    return narrate


def _pow(c):
    if c.n == 1:
        p = c.attr("exponent", "p")
        return ("Power", f"y = a^{p} elementwise: {c.i(0)} → {c.y}",
                f"dL/da = g ⊙ {p}·a^({p}−1) → {c.i(0)}")
    return ("Power", f"y = a^b elementwise: {c.i(0)} ^ {c.i(1)} → {c.y}" + c.broadcast_note(),
            f"{c.grad_to('a', 'g ⊙ b·a^(b−1)', 0)}\n{c.grad_to('b', 'g ⊙ y·ln a', 1)}")


def _clamp(c):
    lo, hi = c.attrs.get("min"), c.attrs.get("max")
    lo_txt, hi_txt = ("−∞" if lo is None else lo), ("+∞" if hi is None else hi)
    if not c.attrs:
        lo_txt, hi_txt = "lo", "hi"
    return ("Clamp", f"y = min(max(a, {lo_txt}), {hi_txt}): {c.i(0)} → {c.y}\n"
                     "Values outside the range are cut to its ends.",
            f"dL/da = g ⊙ [{lo_txt} ≤ a ≤ {hi_txt}] → {c.i(0)}\n"
            "Clamped entries get no gradient: moving them would not change y.")


def _where(c):
    return ("Select (where)",
            f"y = cond ? a : b: cond {c.i(0)}, a {c.i(1)}, b {c.i(2)} → {c.y}\n"
            "Each entry comes from a where cond holds, from b elsewhere." + c.broadcast_note(),
            f"dL/dcond: none (a condition is not differentiable)\n"
            f"{c.grad_to('a', 'g where cond, 0 elsewhere', 1)}\n"
            f"{c.grad_to('b', '0 where cond, g elsewhere', 2)}")


def _dropout(c):
    p = c.attr("p", "p")
    keep = f"1 − {p}" if isinstance(p, str) else f"{1 - p:g}"
    return ("Dropout", f"y = a ⊙ m / ({keep}), m ~ Bernoulli({keep}): {c.i(0)} → {c.y}\n"
                       f"Each entry is zeroed with probability {p}; survivors are scaled up "
                       "so the expected value is unchanged (training mode only).",
            f"dL/da = g ⊙ m / ({keep}) → {c.i(0)}\n"
            "Dropped entries get no gradient this iteration.")


def _matmul(c):
    return ("Matrix product",
            f"y = a · b: {c.i(0)} · {c.i(1)} → {c.y}\n"
            "Each output entry is the dot product of a row of a with a column of b"
            " (leading dims are batches of matrices).",
            f"dL/da = g · bᵀ → {c.i(0)}\ndL/db = aᵀ · g → {c.i(1)}")


def _linear(c):
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


def _dims(c):
    dim = c.attrs.get("dim")
    if dim is None:
        return "over all dims" if "dim" in c.attrs else "over the reduced dims"
    return f"over dim {dim}"


def _count(c):
    """How many entries each reduced output averages, when the shapes say it."""
    a, y = c.raw[0] if c.raw else None, c.raw_out
    if a is None or y is None:
        return "n"
    n = math.prod(a) // max(math.prod(y), 1)
    return str(n)


def _sum(c):
    return ("Sum", f"y = Σ a {_dims(c)}: {c.i(0)} → {c.y}",
            f"dL/da = g copied (broadcast) back to every summed entry → {c.i(0)}\n"
            "Each input entry contributes with weight 1.")


def _mean(c):
    n = _count(c)
    return ("Mean", f"y = (1/{n}) Σ a {_dims(c)}: {c.i(0)} → {c.y}",
            f"dL/da = g / {n}, broadcast back to every averaged entry → {c.i(0)}")


def _max(c):
    return ("Max", f"y = max a {_dims(c)}: {c.i(0)} → {c.y}",
            f"dL/da = g at the position of the maximum (split evenly between ties), "
            f"0 elsewhere → {c.i(0)}")


def _softmax(c):
    d = c.attr("dim", "d")
    return ("Softmax", f"yᵢ = e^aᵢ / Σⱼ e^aⱼ over dim {d}: {c.i(0)} → {c.y}\n"
                       "Turns scores into probabilities: positive, summing to 1.",
            f"dL/da = y ⊙ (g − Σ_dim(g ⊙ y)) → {c.i(0)}\n"
            "Raising one score lowers all the other probabilities.")


def _log_softmax(c):
    d = c.attr("dim", "d")
    return ("Log-softmax", f"y = a − log Σ e^a over dim {d}: {c.i(0)} → {c.y}\n"
                           "Log-probabilities, computed stably (the max is subtracted first).",
            f"dL/da = g − softmax(a) ⊙ Σ_dim g → {c.i(0)}")


def _reshape(c):
    return ("Reshape", f"y = reshape(a): {c.i(0)} → {c.y}\nSame values in the same order, "
                       "new shape; nothing is computed.",
            f"dL/da = reshape(g) back → {c.i(0)}")


def _permute(c):
    dims = c.attr("dims", "dims")
    return ("Permute", f"y = permute(a, {dims}): {c.i(0)} → {c.y}\nThe axes are reordered.",
            f"dL/da = g permuted back with the inverse order → {c.i(0)}")


def _getitem(c):
    return ("Indexing", f"y = a[index]: {c.i(0)} → {c.y}\nPicks entries (slices or integer "
                        "arrays) out of a.",
            f"dL/da = g scattered into zeros at the picked positions → {c.i(0)}\n"
            "Entries picked more than once add up their gradients.")


def _join(kind):
    def narrate(c):
        dim = c.attr("dim", "d")
        ins = ", ".join(c.i(k) for k in range(c.n))
        if kind == "cat":
            fwd = (f"y = cat([a₁ … a{_sub(c.n)}], dim {dim}): {ins} → {c.y}\n"
                   "The inputs are joined end to end along an existing dim.")
            bwd = f"dL/daᵢ = the slice of g that came from aᵢ → {ins}"
            return "Concatenate", fwd, bwd
        fwd = (f"y = stack([a₁ … a{_sub(c.n)}], dim {dim}): {ins} → {c.y}\n"
               "The inputs are piled up along a new dim.")
        bwd = f"dL/daᵢ = g[…, i, …] along dim {dim} → {ins}"
        return "Stack", fwd, bwd
    return narrate


def _sub(n):
    return str(n).translate(str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉"))


def _embedding(c):
    return ("Embedding lookup", f"y = W[indices]: indices {c.i(0)}, table W {c.i(1)} → {c.y}\n"
                                "Each integer index picks one row (a learned vector) of the table.",
            "dL/dindices: none (integers)\n"
            f"dL/dW = g rows added into the rows that were looked up, 0 elsewhere → {c.i(1)}")


def _to(c):
    device = c.attr("device", "the other device")
    return ("Device move", f"y = a moved to {device}: {c.i(0)} → {c.y}\nSame values, other memory.",
            f"dL/da = g moved back to a's device → {c.i(0)}")


def _conv2d(c):
    s, p = c.attr("stride", "s"), c.attr("padding", "p")
    bias = f" + b {c.i(2)}" if c.n > 2 else ""
    fwd = (f"y[n, o] = Σ_c W[o, c] ⋆ x[n, c]{' + b[o]' if bias else ''}: x {c.i(0)} ⋆ "
           f"W {c.i(1)}{bias} → {c.y}\n"
           "Each filter slides over the image (stride {s}, padding {p}) and takes a dot product "
           "with every patch: OH = (H + 2·p − kh) / s + 1.").format(s=s, p=p)
    bwd = (f"dL/dx = g correlated with the flipped filters (each patch's share added back) "
           f"→ {c.i(0)}\n"
           f"dL/dW = Σ over images and positions of g ⊗ input patch → {c.i(1)}")
    if c.n > 2:
        bwd += f"\ndL/db = Σ over images and positions of g → {c.i(2)}"
    return "2-D convolution", fwd, bwd


def _max_pool2d(c):
    k = c.attr("kernel_size", "k")
    return ("Max pooling", f"y = max over each {k}×{k} window: {c.i(0)} → {c.y}\n"
                           "Keeps the strongest response of each window, shrinking the image.",
            f"dL/dx = g routed to the position of each window's maximum, 0 elsewhere → {c.i(0)}")


def _reduction(c):
    r = c.attr("reduction", "mean")
    return {"mean": "(1/n) Σ", "sum": "Σ", "none": ""}.get(r, "(1/n) Σ"), r


def _scale(c):
    r = c.attrs.get("reduction", "mean")
    return " / n" if r == "mean" else ""


def _cross_entropy(c):
    red, r = _reduction(c)
    return ("Cross-entropy loss",
            f"L = {red} −log softmax(z)[t]: logits z {c.i(0)}, targets t {c.i(1)} → {c.y}\n"
            f"The loss is small when the true class gets a high probability "
            f"(reduction: {r}).",
            f"dL/dz = (softmax(z) − onehot(t)){_scale(c)} → {c.i(0)}\n"
            "dL/dt: none for class indices\n"
            "The wrong classes are pushed down by their probability, the right one pulled up.")


def _mse(c):
    red, r = _reduction(c)
    return ("Mean squared error",
            f"L = {red} (a − b)²: input a {c.i(0)}, target b {c.i(1)} → {c.y}  (reduction: {r})",
            f"dL/da = 2(a − b){_scale(c)} → {c.i(0)}\n"
            f"dL/db = −2(a − b){_scale(c)} → {c.i(1)}\n"
            "Bigger errors pull harder: the gradient grows with the error.")


def _bce(c):
    red, r = _reduction(c)
    return ("Binary cross-entropy",
            f"L = {red} −[t·log p + (1 − t)·log(1 − p)]: p {c.i(0)}, t {c.i(1)} → {c.y}  "
            f"(reduction: {r}; logs clamped at −100)",
            f"dL/dp = (p − t) / (p(1 − p)){_scale(c)} → {c.i(0)}\n"
            "dL/dt: none (targets are data)")


def _bce_logits(c):
    red, r = _reduction(c)
    return ("Binary cross-entropy on logits",
            f"L = {red} [max(x, 0) − x·t + log(1 + e^−|x|)] = BCE(σ(x), t): x {c.i(0)}, "
            f"t {c.i(1)} → {c.y}  (reduction: {r})\n"
            "Sigmoid and BCE in one stable formula.",
            f"dL/dx = (σ(x) − t){_scale(c)} → {c.i(0)}\n"
            f"dL/dt = −x{_scale(c)} → {c.i(1)}")


_NARRATORS: dict[str, Callable] = {
    "add": _binary("+", "Addition", "g", "g", "Entry by entry."),
    "sub": _binary("−", "Subtraction", "g", "−g", "Entry by entry."),
    "mul": _binary("⊙", "Elementwise product", "g ⊙ b", "g ⊙ a", "Entry by entry."),
    "div": _binary("⊘", "Elementwise division", "g ⊘ b", "−g ⊙ a ⊘ b²", "Entry by entry."),
    "neg": _unary("Negation", "−a", "−g", "Flips the sign."),
    "pow": _pow,
    "exp": _unary("Exponential", "e^a", "g ⊙ y", "e^a is its own derivative, so backward reuses y."),
    "log": _unary("Natural log", "ln a", "g ⊘ a", "Defined for a > 0."),
    "sqrt": _unary("Square root", "√a", "g ⊘ (2√a)", "Defined for a ≥ 0."),
    "abs": _unary("Absolute value", "|a|", "g ⊙ sign(a)", "Drops the sign."),
    "relu": _unary("ReLU", "max(a, 0)", "g ⊙ [a > 0]",
                   "Negative inputs become 0. In backward the gradient passes where the input "
                   "was positive and is blocked elsewhere: a unit that is never positive "
                   "learns nothing (a dead ReLU)."),
    "sigmoid": _unary("Sigmoid", "σ(a) = 1 / (1 + e^−a)", "g ⊙ y ⊙ (1 − y)",
                      "Squashes into (0, 1). Its slope is at most 1/4, so gradients shrink "
                      "through it, and vanish where it saturates."),
    "tanh": _unary("Tanh", "tanh a", "g ⊙ (1 − y²)",
                   "Squashes into (−1, 1); saturated units (|y| ≈ 1) pass almost no gradient."),
    "gelu": _unary("GELU", "a · Φ(a), Φ the standard normal CDF", "g ⊙ (Φ(a) + a·φ(a))",
                   "A smooth ReLU: small negative inputs still leak a little."),
    "clamp": _clamp,
    "where": _where,
    "dropout": _dropout,
    "matmul": _matmul,
    "linear": _linear,
    "sum": _sum,
    "mean": _mean,
    "max": _max,
    "softmax": _softmax,
    "log_softmax": _log_softmax,
    "reshape": _reshape,
    "permute": _permute,
    "getitem": _getitem,
    "cat": _join("cat"),
    "stack": _join("stack"),
    "embedding": _embedding,
    "to": _to,
    "conv2d": _conv2d,
    "max_pool2d": _max_pool2d,
    "cross_entropy": _cross_entropy,
    "mse_loss": _mse,
    "binary_cross_entropy": _bce,
    "binary_cross_entropy_with_logits": _bce_logits,
}


def narrated_ops():
    """The op names with their own narration."""
    return frozenset(_NARRATORS)


def narrate(op, input_shapes, output_shape, phase="forward", attrs=None, scope=""):
    """The Narration of one op with these shapes; ops without their own text get a general
    one (inputs → output, and the chain rule)."""
    c = _Shapes(input_shapes, output_shape, attrs)
    narrator = _NARRATORS.get(op)
    if narrator is None:
        ins = ", ".join(c.i(k) for k in range(c.n))
        title, fwd, bwd = (op, f"y = {op}({ins}) → {c.y}",
                           f"dL/dinput = g · ∂y/∂input (chain rule) → {ins}")
    else:
        title, fwd, bwd = narrator(c)
    if scope:
        title = f"{title} in layer {scope}"
    return Narration(op, scope, phase or "forward", title, fwd, bwd)


def parameter_shapes(model):
    """{parameter name: shape} of a model, to give graph inputs named after parameters a shape."""
    return {name: tuple(p.shape) for name, p in model.named_parameters()}


def _guess_missing(op, shapes, out):
    """Shapes of graph inputs the debugger does not record (the batch: "input", "target"),
    where the op determines them from its other shapes."""
    shapes = list(shapes)
    if out is None:
        return shapes
    if op == "linear" and shapes[0] is None and len(shapes) > 1 and shapes[1] is not None:
        shapes[0] = tuple(out[:-1]) + (shapes[1][1],)
    elif op in ("mse_loss", "binary_cross_entropy", "binary_cross_entropy_with_logits"):
        known = shapes[0] if shapes[0] is not None else shapes[1]
        shapes = [known if s is None else s for s in shapes]
    elif op == "cross_entropy" and shapes[1] is None and shapes[0] is not None:
        shapes[1] = (shapes[0][0],) + tuple(shapes[0][2:])
    elif op == "embedding" and shapes[0] is None:
        shapes[0] = tuple(out[:-1])
    return shapes


def narrate_state(state, param_shapes=None, key=None) -> Optional[Narration]:
    """The narration of a debugger state's current node (or of `key`), None when there is
    no node to narrate. Phase "update" narrates the optimizer step."""
    if state is None:
        return None
    key = key or state.key
    if state.phase == "update" and key == state.key:
        return Narration("update", "", "update", "Optimizer update", UPDATE_TEXT, UPDATE_TEXT)
    nodes = {node.key: node for node in state.graph}
    node = nodes.get(key)
    if node is None:
        return None
    known = dict(param_shapes or {})
    shapes = []
    for source in node.inputs:
        if source in nodes:
            shapes.append(tuple(nodes[source].shape))
        else:
            shapes.append(known.get(source))
    shapes = _guess_missing(node.op, shapes, tuple(node.shape))
    phase = state.phase if key == state.key and state.phase else "forward"
    return narrate(node.op, shapes, node.shape, phase, None, node.scope)
