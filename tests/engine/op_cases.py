"""The op-case table: one row per case of an engine op, read by every op test: PyTorch
comparison (test_ops_torch.py, float32), finite differences (test_ops_gradcheck.py, float64),
CuPy against numpy (test_gpu.py), static mode (test_ops_static.py: builder and trace against
eager), and test_op_cases.py, which fails when an op class of engine.ops has no case.

To add an op: append rows to CASES (anywhere; a helper loop for variants is fine), e.g.

    OpCase("softplus_beta2", [(3, 4)], lambda a: F.softplus(a, beta=2.0),
           lambda a: TF.softplus(a, beta=2.0)),

- `shapes`: the float inputs, random in [low, high) (or per input `ranges`; values within
  0.05 of 0 move to 0.5, away from kinks); every one requires grad. Integer or boolean
  inputs (indices, targets, masks) are constants inside the lambdas, made with `on(value,
  like)` so that they follow the inputs to the GPU.
- `ours(*tensors)` runs the engine; `theirs(*torch_tensors)` PyTorch (None: `ours` itself
  runs on torch tensors, for method and operator code). `TF`/`torch` here import lazily.
- `make(rng)`: the inputs, when random values do not fit (distinct values for max, ...).
- `skip`: {check: reason} for a check that cannot apply: "torch", "gradcheck", "static"
  (both static ways), "builder" or "trace" (one of them), "gpu". Static mode lists here
  each op it cannot express, with the reason.
- `grad=False` for ops without a gradient (comparisons): only values are compared.
"""
import importlib
import zlib
from dataclasses import dataclass, field
from typing import Callable, Optional

import numpy as np

import engine as sg
import engine.nn.functional as F
from engine.ops.compare import COMPARISONS
from engine.ops.extra import Identity
from engine.ops.reduce import Max
from engine.ops.shape import ToDevice


class _Lazy:
    """A module imported on first use: torch is optional outside the torch comparison."""

    def __init__(self, name):
        self._name = name

    def __getattr__(self, attr):
        return getattr(importlib.import_module(self._name), attr)


torch = _Lazy("torch")
TF = _Lazy("torch.nn.functional")


@dataclass(frozen=True)
class OpCase:
    name: str
    shapes: list
    ours: Callable
    theirs: Optional[Callable] = None
    low: float = -2.0
    high: float = 2.0
    ranges: tuple = ()
    make: Optional[Callable] = None
    rtol: float = 1e-4
    atol: float = 1e-5
    grad: bool = True
    skip: dict = field(default_factory=dict)

    def arrays(self, dtype):
        """The inputs as numpy arrays of `dtype`, the same at every call."""
        rng = np.random.default_rng(zlib.crc32(self.name.encode()))
        if self.make is not None:
            return [np.asarray(a, dtype) for a in self.make(rng)]
        out = []
        for k, shape in enumerate(self.shapes):
            low, high = self.ranges[k] if self.ranges else (self.low, self.high)
            x = rng.uniform(low, high, shape)
            if low < 0 < high:
                x = np.where(np.abs(x) < 0.05, 0.5, x)
            out.append(np.asarray(x, dtype))
        return out

    @property
    def torch_fn(self):
        return self.ours if self.theirs is None else self.theirs

    def __repr__(self):
        return self.name


def on(value, like):
    """A constant engine tensor on the device of `like`."""
    return sg.tensor(value, device=like.device)


def seeded(seed, fn):
    sg.manual_seed(seed)
    return fn()


def distinct(*shape, scale=7.0):
    """Values without ties (max and max pooling have a kink at a tie)."""
    return lambda rng: [rng.permutation(int(np.prod(shape))).reshape(shape) / scale]


_rng = np.random.default_rng(1234)
COND = _rng.random((3, 4)) > 0.5
TARGET = np.array([0, 3, 1, 3, 2])
TARGET_2D = _rng.integers(0, 3, (2, 4))
PROBS = _rng.dirichlet(np.ones(4), 5).astype(np.float32)
BINARY_TARGET = _rng.random((4, 3)).astype(np.float32)
GATHER = np.array([[0, 3], [2, 2], [1, 0]])
ROWS = np.array([0, 2, 2, 1, 0])
COLS = np.array([[1, 1], [3, 0]])
PAIRS = (np.array([0, 1, 1]), np.array([2, 2, 3]))

CASES = []
add = CASES.append

# ---- elementwise arithmetic, with broadcasting -----------------------------------------
BROADCAST = [((3, 4), (3, 4)), ((3, 4), (4,)), ((2, 1, 4), (3, 1)), ((), (2, 3)), ((5,), (1,))]
for name, fn in [("add", lambda a, b: a + b), ("sub", lambda a, b: a - b),
                 ("mul", lambda a, b: a * b), ("div", lambda a, b: a / b)]:
    for sa, sb in BROADCAST:
        add(OpCase(f"{name}{sa}{sb}", [sa, sb], fn,
                   ranges=((-2, 2), (0.5, 2)) if name == "div" else ()))
for name, fn in [("add_scalar", lambda a: a + 2.5), ("rsub", lambda a: 3.0 - a),
                 ("rdiv", lambda a: 1.5 / a), ("mul_scalar", lambda a: a * -2.0)]:
    add(OpCase(name, [(3, 2)], fn, low=0.5))
for sa, sb in [((3, 4), (3, 4)), ((2, 3), (3,)), ((4,), ())]:
    add(OpCase(f"pow{sa}{sb}", [sa, sb], lambda a, b: a ** b, ranges=((0.5, 2), (-2, 2))))
add(OpCase("rpow", [(3, 2)], lambda b: 2.0 ** b))

# ---- unary maths and activations (a few shapes each) -----------------------------------
UNARY = {
    "neg": (lambda a: -a, None, -2),
    "exp": (lambda a: a.exp(), None, -2),
    "log": (lambda a: a.log(), None, 0.5),
    "sqrt": (lambda a: a.sqrt(), None, 0.5),
    "abs": (lambda a: a.abs(), None, -2),
    "relu": (F.relu, lambda a: TF.relu(a), -2),
    "sigmoid": (F.sigmoid, lambda a: torch.sigmoid(a), -2),
    "tanh": (F.tanh, lambda a: torch.tanh(a), -2),
    "gelu": (F.gelu, lambda a: TF.gelu(a), -2),
    "leaky_relu": (lambda a: F.leaky_relu(a, 0.2), lambda a: TF.leaky_relu(a, 0.2), -2),
    "softplus": (lambda a: F.softplus(a, 2.0, 3.0), lambda a: TF.softplus(a, 2.0, 3.0), -2),
    "pow2": (lambda a: a ** 2, None, -2),
    "pow3": (lambda a: a ** 3, None, -2),
    "pow_half": (lambda a: a ** 0.5, None, 0.5),
    "pow_neg": (lambda a: a ** -1.5, None, 0.5),
    "clamp": (lambda a: a.clamp(-0.5, 1.0), None, -2),
    "clamp_min": (lambda a: a.clamp(min=0.2), None, -2),
    "clamp_max": (lambda a: a.clamp(max=-0.3), None, -2),
}
for name, (ours, theirs, low) in UNARY.items():
    for shape in [(7,), (2, 3, 4), ()]:
        add(OpCase(f"{name}{shape}", [shape], ours, theirs, low=low))
for sc, sa, sb in [((3, 4), (3, 4), (3, 4)), ((3, 4), (4,), (3, 1))]:
    cond = COND[:sc[0], :sc[1]]
    add(OpCase(f"where{sa}{sb}", [sa, sb],
               lambda a, b, c=cond: sg.where(on(c, a), a, b),
               lambda a, b, c=cond: torch.where(torch.tensor(c), a, b)))
for p in (0.2, 0.5):
    add(OpCase(f"dropout{p}", [(6, 5)], lambda a, p=p: seeded(7, lambda: F.dropout(a, p)),
               skip={"torch": "PyTorch draws its own random mask",
                     "static": "random: each Session.run draws a new mask, unlike the one "
                               "eager run it is compared with"}))

# ---- comparisons (no gradient) ---------------------------------------------------------
for method, cls in COMPARISONS.items():
    add(OpCase(cls.op, [(3, 4), (4,)], lambda a, b, cls=cls: cls.apply(a, b),
               lambda a, b, m=method: getattr(a, m)(b), grad=False,
               make=lambda rng: [rng.integers(0, 3, (3, 4)), rng.integers(0, 3, (4,))],
               skip={"gradcheck": "no gradient"}))

# ---- reductions and the softmax family -------------------------------------------------
ALL = (0, 1, 2)
for dim in [None, 0, 1, -1, (0, 2), (1, 2)]:
    for keepdim in (False, True):
        d = ALL if dim is None else dim
        for name in ("sum", "mean"):
            add(OpCase(f"{name}_{dim}_{keepdim}", [(2, 3, 4)],
                       lambda a, n=name, d=dim, k=keepdim: getattr(a, n)(d, k),
                       lambda a, n=name, d=d, k=keepdim: getattr(a, n)(d, k)))
        ours = ((lambda a, d=dim, k=keepdim: a.max(d, k)[0]) if isinstance(dim, int)
                else (lambda a, d=dim, k=keepdim: Max.apply(a, dim=d, keepdim=k)))
        add(OpCase(f"max_{dim}_{keepdim}", [(2, 3, 4)], ours,
                   lambda a, d=d, k=keepdim: a.amax(d, k), make=distinct(2, 3, 4)))
add(OpCase("sum_all", [(3, 5)], lambda a: a.sum()))
add(OpCase("max_all", [(3, 5)], lambda a: a.max(), make=distinct(3, 5)))
for name in ("softmax", "log_softmax"):
    for shape, dim in [((6,), 0), ((3, 5), 1), ((3, 5), 0), ((2, 3, 4), -1)]:
        add(OpCase(f"{name}{shape}_{dim}", [shape],
                   lambda a, n=name, d=dim: getattr(F, n)(a, d),
                   lambda a, n=name, d=dim: getattr(TF, n)(a, d), low=-3, high=3))

# ---- shape ops and indexing ------------------------------------------------------------
SHAPE_OPS = {
    "reshape": ((2, 3, 4), lambda a: a.reshape(4, 6)),
    "reshape_infer": ((2, 3, 4), lambda a: a.reshape(-1)),
    "flatten": ((2, 3, 4), lambda a: a.flatten()),
    "flatten1": ((2, 3, 4), lambda a: a.flatten(1)),
    "permute": ((2, 3, 4), lambda a: a.permute(2, 0, 1)),
    "transpose": ((2, 3, 4), lambda a: a.transpose(0, 2)),
    "T": ((3, 5), lambda a: a.T),
    "unsqueeze": ((2, 3, 4), lambda a: a.unsqueeze(0)),
    "unsqueeze_squeeze": ((3, 5), lambda a: a.unsqueeze(1).squeeze(1)),
    "squeeze_dim": ((3, 1, 4), lambda a: a.squeeze(1)),
    "squeeze": ((1, 3, 1), lambda a: a.squeeze()),
    "index_int": ((2, 3, 4), lambda a: a[0]),
    "index_slice": ((2, 3, 4), lambda a: a[:, 1:3]),
    "index_step": ((2, 3, 4), lambda a: a[..., ::2]),
    "index_mixed": ((2, 3, 4), lambda a: a[1, :, 2]),
    "index_int_slice": ((3, 4), lambda a: a[1, 0:2]),
    "index_ellipsis": ((3, 4), lambda a: a[..., -1]),
    "index_newaxis": ((3, 4), lambda a: a[None, 1:]),
    "index_repeated": ((4, 3), lambda a: a[[0, 2, 0]]),  # entries picked twice add up
}
for name, (shape, fn) in SHAPE_OPS.items():
    add(OpCase(name, [shape], fn))
add(OpCase("index_repeated_rows", [(3, 4)], lambda a: a[ROWS],
           lambda a: a[torch.tensor(ROWS)]))
add(OpCase("index_2d", [(3, 4)], lambda a: a[:, COLS], lambda a: a[:, torch.tensor(COLS)]))
add(OpCase("index_pairs", [(3, 4)], lambda a: a[PAIRS],
           lambda a: a[torch.tensor(PAIRS[0]), torch.tensor(PAIRS[1])]))
add(OpCase("index_tensor", [(3, 4)], lambda a: a[on(ROWS[:3], a)],
           lambda a: a[torch.tensor(ROWS[:3])]))
for shapes, dim in [([(2, 3), (4, 3)], 0), ([(2, 3), (2, 1), (2, 2)], 1),
                    ([(2, 3, 2), (2, 3, 1)], -1), ([(2, 3)] * 3, 0), ([(2, 3)] * 3, 1)]:
    add(OpCase(f"cat{len(shapes)}_{shapes[-1]}_{dim}", shapes,
               lambda *t, d=dim: sg.cat(t, d), lambda *t, d=dim: torch.cat(t, d)))
for n, dim in [(3, 0), (3, 1), (3, 2), (3, -1), (2, 1)]:
    add(OpCase(f"stack{n}_{dim}", [(2, 3)] * n,
               lambda *t, d=dim: sg.stack(t, d), lambda *t, d=dim: torch.stack(t, d)))
for k, idx in enumerate([np.array([1, 3, 3, 0]), np.array([[0, 4], [4, 4], [2, 1]])]):
    add(OpCase(f"embedding{k}", [(5, 3)], lambda w, i=idx: F.embedding(on(i, w), w),
               lambda w, i=idx: TF.embedding(torch.tensor(i), w)))
add(OpCase("to_same_device", [(3, 4)], lambda a: ToDevice.apply(a, device=a.device),
           lambda a: a.to("cpu")))
add(OpCase("cast", [(3, 4)], lambda a: a.half().float(), rtol=1e-3, atol=1e-3,
           skip={"gradcheck": "a cast to float16 rounds away the differences probed"}))
add(OpCase("clone", [(3, 4)], lambda a: a.clone()))
add(OpCase("identity", [(3, 4)], lambda a: Identity.apply(a), lambda a: a.view_as(a)))


def _assign(a, v, index):
    b = a.clone()
    b[index] = v
    return b


IN_PLACE = {"builder": "in-place assignment (x[i] = v) gives a tensor a new value, and a "
                       "built graph's tensors are fixed nodes: the builder refuses it (a "
                       "trace records it)"}
add(OpCase("setitem_slice", [(4, 3), (2, 3)], lambda a, v: _assign(a, v, slice(1, 3)),
           skip=IN_PLACE))
add(OpCase("setitem_rows", [(4, 3), (3,)], lambda a, v: _assign(a, v, [0, 2]), skip=IN_PLACE))
add(OpCase("gather", [(3, 4)], lambda a: a.gather(1, on(GATHER, a)),
           lambda a: a.gather(1, torch.tensor(GATHER))))
for name, fn in [("tril", lambda a: a.tril()), ("triu1", lambda a: a.triu(1)),
                 ("tril_neg", lambda a: a.tril(-1))]:
    for shape in [(4, 5), (2, 3, 3)]:
        add(OpCase(f"{name}{shape}", [shape], fn))

# ---- matrix products -------------------------------------------------------------------
for sa, sb in [((4,), (4,)), ((3, 4), (4,)), ((4,), (4, 2)), ((3, 4), (4, 2)),
               ((8, 16), (16, 4)), ((2, 3, 4), (4, 5)), ((2, 1, 3, 4), (3, 4, 2)),
               ((4,), (2, 4, 3))]:
    add(OpCase(f"matmul{sa}{sb}", [sa, sb], sg.matmul, lambda a, b: torch.matmul(a, b)))
for xshape in [(4, 3), (2, 4, 3), (3,)]:
    add(OpCase(f"linear{xshape}", [xshape, (5, 3), (5,)], F.linear,
               lambda x, w, b: TF.linear(x, w, b)))
    add(OpCase(f"linear_nobias{xshape}", [xshape, (5, 3)], F.linear,
               lambda x, w: TF.linear(x, w)))

# ---- convolution and pooling -----------------------------------------------------------
for stride, padding in [(1, 0), (2, 1), ((2, 1), (1, 0)), ((1, 2), (0, 1))]:
    add(OpCase(f"conv2d_{stride}_{padding}", [(2, 2, 5, 6), (3, 2, 3, 2), (3,)],
               lambda x, w, b, s=stride, p=padding: F.conv2d(x, w, b, stride=s, padding=p),
               lambda x, w, b, s=stride, p=padding: TF.conv2d(x, w, b, stride=s, padding=p),
               atol=1e-4))
    add(OpCase(f"conv2d_nobias_{stride}_{padding}", [(2, 3, 7, 6), (4, 3, 2, 2)],
               lambda x, w, s=stride, p=padding: F.conv2d(x, w, stride=s, padding=p),
               lambda x, w, s=stride, p=padding: TF.conv2d(x, w, stride=s, padding=p),
               atol=1e-4))
for kernel, stride in [(2, None), (3, 1), (2, 3), (3, 2), ((2, 3), (1, 2))]:
    add(OpCase(f"max_pool2d_{kernel}_{stride}", [(2, 2, 6, 7)],
               lambda a, k=kernel, s=stride: F.max_pool2d(a, k, s),
               lambda a, k=kernel, s=stride: TF.max_pool2d(a, k, s),
               make=distinct(2, 2, 6, 7, scale=11.0)))
for args in [(2, None, 0, False, True, None), (3, 2, 1, True, False, None),
             (3, 2, 1, False, True, 4)]:
    add(OpCase(f"avg_pool2d{args}", [(2, 2, 6, 7)],
               lambda a, args=args: F.avg_pool2d(a, *args),
               lambda a, args=args: TF.avg_pool2d(a, *args)))

# ---- losses ------------------------------------------------------------------------------
for r in ("mean", "sum", "none"):
    add(OpCase(f"cross_entropy_{r}", [(5, 4)],
               lambda z, r=r: F.cross_entropy(z, on(TARGET, z), reduction=r),
               lambda z, r=r: TF.cross_entropy(z, torch.tensor(TARGET), reduction=r)))
    add(OpCase(f"cross_entropy_dims_{r}", [(2, 3, 4)],
               lambda z, r=r: F.cross_entropy(z, on(TARGET_2D, z), reduction=r),
               lambda z, r=r: TF.cross_entropy(z, torch.tensor(TARGET_2D), reduction=r)))
    add(OpCase(f"cross_entropy_probs_{r}", [(5, 4), (5, 4)],
               lambda z, p, r=r: F.cross_entropy(z, p, reduction=r),
               lambda z, p, r=r: TF.cross_entropy(z, p, reduction=r),
               make=lambda rng: [rng.uniform(-2, 2, (5, 4)), PROBS]))
    add(OpCase(f"mse_loss_{r}", [(4, 3), (4, 3)], lambda a, b, r=r: F.mse_loss(a, b, reduction=r),
               lambda a, b, r=r: TF.mse_loss(a, b, reduction=r)))
    add(OpCase(f"binary_cross_entropy_{r}", [(4, 3)],
               lambda p, r=r: F.binary_cross_entropy(p, on(BINARY_TARGET, p), reduction=r),
               lambda p, r=r: TF.binary_cross_entropy(p, torch.tensor(BINARY_TARGET),
                                                      reduction=r), low=0.1, high=0.9))
    add(OpCase(f"bce_with_logits_{r}", [(4, 3), (4, 3)],
               lambda x, t, r=r: F.binary_cross_entropy_with_logits(x, t, reduction=r),
               lambda x, t, r=r: TF.binary_cross_entropy_with_logits(x, t, reduction=r),
               ranges=((-4, 4), (0, 1))))

# ---- PyTorch-surface compositions (nll_loss, statistics, selections) ---------------------
NLL_WEIGHT = np.array([0.5, 1.0, 2.0, 0.25])
NLL_TARGET_2D = np.array([[0, 3, -100, 1], [2, 2, 1, -100]])
for r in ("mean", "sum", "none"):
    add(OpCase(f"nll_loss_{r}", [(5, 4)],
               lambda z, r=r: F.nll_loss(z, on(TARGET, z), reduction=r),
               lambda z, r=r: TF.nll_loss(z, torch.tensor(TARGET), reduction=r)))
    add(OpCase(f"nll_loss_weight_ignore_{r}", [(2, 4, 4)],
               lambda z, r=r: F.nll_loss(z, on(NLL_TARGET_2D, z), weight=on(NLL_WEIGHT, z),
                                         reduction=r),
               lambda z, r=r: TF.nll_loss(z, torch.tensor(NLL_TARGET_2D), reduction=r,
                                          weight=torch.tensor(NLL_WEIGHT, dtype=z.dtype))))
for name, fn in [("std", lambda a: a.std()), ("std_dim", lambda a: a.std(1, keepdim=True)),
                 ("var_biased", lambda a: a.var(0, unbiased=False)),
                 ("log10", lambda a: a.log10()), ("narrow", lambda a: a.narrow(1, 1, 2)),
                 ("narrow_rows", lambda a: a.narrow(0, 0, 2))]:
    add(OpCase(name, [(3, 4)], fn, low=0.5 if name == "log10" else -2.0))
add(OpCase("masked_fill", [(3, 4)], lambda a: a.masked_fill(on(COND, a), -1.0),
           lambda a: a.masked_fill(torch.tensor(COND), -1.0)))
add(OpCase("min_all", [(3, 4)], lambda a: a.min(), make=distinct(3, 4)))
add(OpCase("min_dim", [(3, 4)], lambda a: a.min(1).values, make=distinct(3, 4)))
add(OpCase("topk", [(3, 5)], lambda a: a.topk(2, dim=1).values, make=distinct(3, 5),
           skip={"static": "topk orders the values while the graph is built (argsort)"}))
add(OpCase("maximum", [(3, 4), (3, 4)], lambda a, b: sg.maximum(a, b),
           lambda a, b: torch.maximum(a, b)))
for name, fn in [("expand", lambda a: a.expand(2, 3, 4)), ("repeat", lambda a: a.repeat(2, 1, 2)),
                 ("chunk", lambda a: a.chunk(2, 1)[1]), ("split", lambda a: a.split([1, 3], 1)[0])]:
    add(OpCase(name, [(3, 4)], fn))
