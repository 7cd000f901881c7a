"""What an op's `narrate` works with: `Shapes` (the formatted shapes and attrs of one call)
and templates for the common kinds of op, so that each op class declares its own narration
in a line or two. Notation: ⊙ and ⊘ are elementwise product and division, g = dL/dy the
gradient arriving from the loss, [cond] is 1 where cond holds and 0 elsewhere.

An op's `narrate(c)` takes a `Shapes` and returns (title, forward text, backward text);
each text holds one statement per line, with the shapes ("y = a · b: (3, 4) · (4, 2) →
(3, 2)"). Shapes or attrs may be unknown (None, missing): the text then stays general."""
import math


def fmt(shape):
    """A shape as the user reads it: (32, 2), (16,), () for a scalar, ? when unknown."""
    if shape is None:
        return "?"
    return str(tuple(int(n) for n in shape))


class Shapes:
    """The shapes and attrs one narration reads: `i(k)` the k-th input's shape and `y` the
    output's, formatted; `raw`/`raw_out` the shapes themselves; `n` the number of inputs."""

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

    def inputs(self):
        """Every input's shape, comma-separated."""
        return ", ".join(self.i(k) for k in range(self.n))

    def attr(self, name, unknown):
        """attrs[name], or `unknown` (a word such as "p") when it is not known."""
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

    def dims(self):
        """Which dims a reduction runs over, in words."""
        dim = self.attrs.get("dim")
        if dim is None:
            return "over all dims" if "dim" in self.attrs else "over the reduced dims"
        return f"over dim {dim}"

    def count(self):
        """How many entries each reduced output gathers, when the shapes say it."""
        a, y = self.raw[0] if self.raw else None, self.raw_out
        if a is None or y is None:
            return "n"
        return str(math.prod(a) // max(math.prod(y), 1))

    def reduction(self):
        """(the sum a loss's reduction applies, the reduction's name)."""
        r = self.attr("reduction", "mean")
        return {"mean": "(1/n) Σ", "sum": "Σ", "none": ""}.get(r, "(1/n) Σ"), r

    def scale(self):
        """" / n" where a loss is averaged."""
        return " / n" if self.attrs.get("reduction", "mean") == "mean" else ""


def unary(title, formula, grad, meaning):
    """The narration of y = f(a), elementwise: `formula` of a, `grad` its dL/da."""
    def narrate(c):
        return (title, f"y = {formula}: {c.i(0)} → {c.y}\n{meaning}",
                f"dL/da = {grad} → {c.i(0)}")
    return staticmethod(narrate)


def binary(symbol, title, ga, gb, meaning="Entry by entry."):
    """The narration of y = a <symbol> b with broadcasting: `ga`, `gb` its dL/da, dL/db."""
    def narrate(c):
        fwd = f"y = a {symbol} b: {c.i(0)} {symbol} {c.i(1)} → {c.y}\n{meaning}" + c.broadcast_note()
        return title, fwd, f"{c.grad_to('a', ga, 0)}\n{c.grad_to('b', gb, 1)}"
    return staticmethod(narrate)


def subscript(n):
    """An integer in subscript digits (a₃)."""
    return str(n).translate(str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉"))
