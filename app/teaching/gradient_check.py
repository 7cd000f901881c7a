"""Check a parameter's gradient against central finite differences.

The check runs on a float64 deep copy of the model, so the training state (weights,
gradients, optimizer) is untouched. A seeded sample of the parameter's entries is perturbed by
±eps, and (L(w + eps) − L(w − eps)) / 2eps is compared with the engine's dL/dw. Dropout layers
of the copy are switched off (their random masks would make the loss differ between the two
evaluations). Relative errors are taken against the entry's gradient, or against
1/1000 of the parameter's largest gradient when the entry is smaller (round-off dominates
there). Checking a non-parameter node's value is not offered: a node is recomputed from
the parameters on every forward, so it has no entry one could perturb between two runs.
"""
import copy
from dataclasses import dataclass

import numpy as np

import engine as sg
from engine import nn

ABS_FLOOR = 1e-8  # gradients below this count as 0 when forming relative errors
SCALE_FLOOR = 1e-3  # ... and so do those below this fraction of the parameter's largest one


@dataclass(frozen=True)
class GradientCheck:
    param_name: str
    shape: tuple
    indices: tuple  # the checked entries, as index tuples into the parameter
    analytic: np.ndarray  # the engine's gradient at those entries
    numeric: np.ndarray  # the central differences
    relative_errors: np.ndarray  # |analytic − numeric| / max(|analytic|, |numeric|, floor)
    eps: float

    @property
    def max_relative_error(self):
        return float(self.relative_errors.max()) if self.relative_errors.size else 0.0

    def passed(self, tolerance=1e-6):
        return self.max_relative_error < tolerance

    def summary(self):
        lines = [f"{self.param_name} {self.shape}: max relative error "
                 f"{self.max_relative_error:.2e} over {len(self.indices)} entries (eps {self.eps:g})"]
        for idx, a, n, r in zip(self.indices, self.analytic, self.numeric, self.relative_errors):
            lines.append(f"  {idx}: analytic {a:+.6e}  numeric {n:+.6e}  rel. error {r:.1e}")
        return "\n".join(lines)


def _float64_copy(model):
    clone = copy.deepcopy(model)
    for m in clone.modules():
        for p in m._parameters.values():
            if p is not None:
                p.array = p.array.astype(np.float64)
                p.grad = None
        for name, b in m._buffers.items():
            if b is not None and b.dtype.kind == "f":
                m._buffers[name] = b.astype(np.float64)
        if isinstance(m, nn.Dropout):
            m.eval()
    return clone


def _as_tensor(a, device):
    if isinstance(a, sg.Tensor):
        a = a.numpy()
    a = np.asarray(a)
    return sg.tensor(a.astype(np.float64) if a.dtype.kind == "f" else a, device=device)


def check_parameter_gradient(model, loss_fn, x, y, param_name, samples=20, eps=1e-5, seed=0):
    """Compare dL/d<param_name> with central differences at `samples` seeded entries.
    `loss_fn(model(x), y)` must return a scalar tensor; x and y are arrays or tensors."""
    clone = _float64_copy(model)
    params = dict(clone.named_parameters())
    if param_name not in params:
        raise KeyError(f"no parameter {param_name!r}; the model has {sorted(params)}")
    p = params[param_name]
    device = p.device
    xt, yt = _as_tensor(x, device), _as_tensor(y, device)

    loss = loss_fn(clone(xt), yt)
    if loss.ndim != 0:
        raise ValueError(f"gradient check: the loss must be a scalar, got shape {loss.shape}")
    loss.backward()
    if p.grad is None:
        raise ValueError(f"gradient check: {param_name} {tuple(p.shape)} received no gradient "
                         "(it does not reach the loss)")
    grad = p.grad.numpy()

    rng = np.random.default_rng(seed)
    flat = rng.choice(p.array.size, size=min(samples, p.array.size), replace=False)
    indices = tuple(tuple(int(i) for i in np.unravel_index(f, p.shape)) for f in flat)

    def loss_at(idx, value):
        p.array[idx] = value
        with sg.no_grad():
            return float(loss_fn(clone(xt), yt).item())

    numeric = np.empty(len(indices))
    for k, idx in enumerate(indices):
        w = float(p.array[idx])
        numeric[k] = (loss_at(idx, w + eps) - loss_at(idx, w - eps)) / (2 * eps)
        p.array[idx] = w
    analytic = np.array([grad[idx] for idx in indices], dtype=np.float64)
    floor = max(ABS_FLOOR, SCALE_FLOOR * float(np.abs(grad).max()))
    scale = np.maximum(np.maximum(abs(analytic), abs(numeric)), floor)
    return GradientCheck(param_name, tuple(p.shape), indices, analytic, numeric,
                         abs(analytic - numeric) / scale, eps)
