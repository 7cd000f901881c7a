"""2-D convolution (im2col + matrix products), max and average pooling, on numpy or CuPy.
On host arrays (numba present) im2col, col2im and max pooling's gather and scatter are
compiled single passes (engine/ops/conv_kernels.py), and the products run per image, so
that (O, K) @ (K, OH*OW) lands in (N, C, H, W) order with no transposed copy of the output
or of its gradient. Elsewhere numpy's formulation runs: one product over all images, Python
loops over kernel offsets only (kh * kw slices)."""
import numpy as np

from ..autograd import Function
from ..backend import get_array_module
from . import cuda_kernels
from .conv_kernels import kernels


def _pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


def _out_size(size, k, s, p):
    return (size + 2 * p - k) // s + 1


def im2col(x, kh, kw, sh, sw, ph, pw):
    """(N, C, H, W) -> columns (N*OH*OW, C*kh*kw) and the output size."""
    xp = get_array_module(x)
    if xp is not np:
        return cuda_kernels.im2col(x, kh, kw, sh, sw, ph, pw)
    n, c, h, w = x.shape
    oh, ow = _out_size(h, kh, sh, ph), _out_size(w, kw, sw, pw)
    if ph or pw:
        x = xp.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    col = xp.empty((n, oh, ow, c, kh, kw), x.dtype)
    for i in range(kh):
        for j in range(kw):
            col[:, :, :, :, i, j] = x[:, :, i:i + sh * oh:sh, j:j + sw * ow:sw].transpose(0, 2, 3, 1)
    return col.reshape(n * oh * ow, c * kh * kw), oh, ow


def col2im(gcol, shape, kh, kw, sh, sw, ph, pw, oh, ow):
    """Adjoint of im2col: scatter-add columns (N*OH*OW, C*kh*kw) back to (N, C, H, W)."""
    xp = get_array_module(gcol)
    if xp is not np:
        return cuda_kernels.col2im(gcol, shape, kh, kw, sh, sw, ph, pw, oh, ow)
    n, c, h, w = shape
    gcol = gcol.reshape(n, oh, ow, c, kh, kw)
    gx = xp.zeros((n, c, h + 2 * ph, w + 2 * pw), gcol.dtype)
    for i in range(kh):
        for j in range(kw):
            gx[:, :, i:i + sh * oh:sh, j:j + sw * ow:sw] += gcol[:, :, :, :, i, j].transpose(0, 3, 1, 2)
    return gx[:, :, ph:ph + h, pw:pw + w]


def _rows(w):
    """Weight (O, C, kh, kw) -> (O, kh*kw*C), the compiled columns' order (i, j, c)."""
    return w.transpose(0, 2, 3, 1).reshape(w.shape[0], -1)


def _to_rows(a):
    """(N, C, H, W) -> channels-last (N*H*W, C), contiguous, in one copy."""
    n, c, h, w = a.shape
    if c == 1:
        return np.ascontiguousarray(a).reshape(n * h * w, 1)
    rows = np.empty((n, h * w, c), a.dtype)
    np.copyto(rows, a.reshape(n, c, h * w).transpose(0, 2, 1))
    return rows.reshape(n * h * w, c)


def _to_nchw(rows, shape):
    """Channels-last rows (N*H*W, C) -> contiguous (N, C, H, W), in one copy."""
    n, c, h, w = shape
    if c == 1:
        return rows.reshape(shape)
    out = np.empty((n, c, h * w), rows.dtype)
    np.copyto(out, rows.reshape(n, h * w, c).transpose(0, 2, 1))
    return out.reshape(shape)


def im2col_compiled(ks, x, kh, kw, sh, sw, ph, pw):
    """(N, C, H, W) -> columns (N*OH*OW, kh*kw*C) ordered (i, j, c), in one pass over a
    channels-last copy of x; and the output size."""
    n, c, h, w = x.shape
    if c == 1:  # both orders agree; numpy's kh * kw slice copies are faster here
        return im2col(x, kh, kw, sh, sw, ph, pw)
    oh, ow = _out_size(h, kh, sh, ph), _out_size(w, kw, sw, pw)
    col = np.empty((n * oh * ow, kh * kw * c), x.dtype)
    ks.im2col(_to_rows(x).reshape(-1), n, h, w, c, kh, kw, sh, sw, ph, pw, oh, ow,
              col.reshape(-1))
    return col, oh, ow


def col2im_compiled(ks, gcol, shape, kh, kw, sh, sw, ph, pw, oh, ow):
    """Adjoint of im2col_compiled, back to contiguous (N, C, H, W)."""
    n, c, h, w = shape
    if c == 1:
        return np.ascontiguousarray(col2im(gcol, shape, kh, kw, sh, sw, ph, pw, oh, ow))
    rows = np.empty((n * h * w, c), gcol.dtype)
    ks.col2im(np.ascontiguousarray(gcol).reshape(-1), n, h, w, c, kh, kw, sh, sw, ph, pw,
              oh, ow, rows.reshape(-1))
    return _to_nchw(rows, shape)


class Conv2d(Function):
    @staticmethod
    def narrate(c):
        s, p = c.attr("stride", "s"), c.attr("padding", "p")
        bias = f" + b {c.i(2)}" if c.n > 2 else ""
        fwd = (f"y[n, o] = Σ_c W[o, c] ⋆ x[n, c]{' + b[o]' if bias else ''}: x {c.i(0)} ⋆ "
               f"W {c.i(1)}{bias} → {c.y}\n"
               f"Each filter slides over the image (stride {s}, padding {p}) and takes a dot "
               "product with every patch: OH = (H + 2·p − kh) / s + 1.")
        bwd = (f"dL/dx = g correlated with the flipped filters (each patch's share added "
               f"back) → {c.i(0)}\n"
               f"dL/dW = Σ over images and positions of g ⊗ input patch → {c.i(1)}")
        if c.n > 2:
            bwd += f"\ndL/db = Σ over images and positions of g → {c.i(2)}"
        return "2-D convolution", fwd, bwd

    def forward(self, x, w, b=None, stride=1, padding=0):
        if x.ndim != 4 or w.ndim != 4 or x.shape[1] != w.shape[1]:
            raise ValueError("shape")
        (sh, sw), (ph, pw) = _pair(stride), _pair(padding)
        o, c, kh, kw = w.shape
        if _out_size(x.shape[2], kh, sh, ph) < 1 or _out_size(x.shape[3], kw, sw, pw) < 1:
            raise ValueError("shape")
        ks = kernels(x, w) if b is None else kernels(x, w, b)
        if ks:  # columns and weight rows ordered (i, j, c); one product per image, each
            col, oh, ow = im2col_compiled(ks, x, kh, kw, sh, sw, ph, pw)  # already (O, OH*OW)
            n = x.shape[0]
            y = np.matmul(_rows(w), col.reshape(n, oh * ow, -1).transpose(0, 2, 1))
            if b is not None:
                y += b[:, None]
            self.saved = (col, w, x.shape, oh, ow, b is not None, ks)
            return y.reshape(n, o, oh, ow)
        col, oh, ow = im2col(x, kh, kw, sh, sw, ph, pw)
        xp = get_array_module(x)
        y = col @ w.reshape(o, -1).T
        self.saved = (col, w, x.shape, oh, ow, b is not None, None)
        if b is not None:
            y += b
        # contiguous NCHW: a transposed view makes every later elementwise op ~10x slower
        return xp.ascontiguousarray(y.reshape(x.shape[0], oh, ow, o).transpose(0, 3, 1, 2))

    def explain(self, shapes):
        x, w = shapes[0], shapes[1]
        if len(x) != 4:
            return f"expected input (N, C, H, W), got {x}"
        if len(w) != 4:
            return f"expected weight (out, in, kh, kw), got {w}"
        if x[1] != w[1]:
            return f"input {x} has {x[1]} channels, the weight {w} expects {w[1]}"
        return (f"kernel {w[2:]} with stride {self.attrs.get('stride', 1)} and padding "
                f"{self.attrs.get('padding', 0)} does not fit input {x}: output would be empty")

    def backward(self, gy):
        col, w, xshape, oh, ow, has_bias, ks = self.saved
        o, c, kh, kw = w.shape
        (sh, sw), (ph, pw) = _pair(self.attrs.get("stride", 1)), _pair(self.attrs.get("padding", 0))
        inputs = getattr(self, "inputs", None)  # skip gx for inputs without grad (the data)
        need_gx = inputs is None or inputs[0].requires_grad
        geometry = (kh, kw, sh, sw, ph, pw, oh, ow)
        if ks:  # per image, as forward: no transposed copy of gy
            g3 = np.ascontiguousarray(gy).reshape(gy.shape[0], o, oh * ow)
            gw = np.matmul(g3, col.reshape(len(g3), oh * ow, -1)).sum(axis=0)
            gw = np.ascontiguousarray(gw.reshape(o, kh, kw, c).transpose(0, 3, 1, 2))
            gx = col2im_compiled(ks, np.matmul(g3.transpose(0, 2, 1), _rows(w)).reshape(
                -1, c * kh * kw), xshape, *geometry) if need_gx else None
            gb = (g3 @ np.ones(oh * ow, g3.dtype)).sum(axis=0) if has_bias else None
        else:
            g2 = gy.transpose(0, 2, 3, 1).reshape(-1, o)
            gw = (g2.T @ col).reshape(w.shape)
            gx = col2im(g2 @ w.reshape(o, -1), xshape, *geometry) if need_gx else None
            gb = g2.sum(axis=0) if has_bias else None
        return (gx, gw, gb) if has_bias else (gx, gw)


class MaxPool2d(Function):
    op = "max_pool2d"

    @staticmethod
    def narrate(c):
        k = c.attr("kernel_size", "k")
        return ("Max pooling", f"y = max over each {k}×{k} window: {c.i(0)} → {c.y}\n"
                               "Keeps the strongest response of each window, shrinking the image.",
                f"dL/dx = g routed to the position of each window's maximum, 0 elsewhere → "
                f"{c.i(0)}")

    def forward(self, x, kernel_size, stride=None, padding=0):
        xp = get_array_module(x)
        kh, kw = _pair(kernel_size)
        sh, sw = _pair(stride if stride is not None else kernel_size)
        ph, pw = _pair(padding)
        n, c, h, w = x.shape
        oh, ow = _out_size(h, kh, sh, ph), _out_size(w, kw, sw, pw)
        if oh < 1 or ow < 1:
            raise ValueError("shape")
        ks = kernels(x)
        if ks:
            y = np.empty((n, c, oh, ow), x.dtype)
            arg = np.empty((n, c, oh, ow), np.int32)
            flat = np.ascontiguousarray(x).reshape(-1)
            if (kh, kw, sh, sw, ph, pw) == (2, 2, 2, 2, 0, 0):
                ks.max_pool_2x2(flat, n * c, h, w, oh, ow, y.reshape(-1), arg.reshape(-1))
            else:
                ks.max_pool(flat, n * c, h, w, kh, kw, sh, sw, ph, pw, oh, ow, y.reshape(-1),
                            arg.reshape(-1))
            self.saved = (arg, (n, c, h, w), (kh, kw, sh, sw, ph, pw, oh, ow))
            return y
        if xp is not np:
            y, arg = cuda_kernels.max_pool(x, kh, kw, sh, sw, ph, pw, oh, ow)
            self.saved = (arg, (n, c, h, w), (kh, kw, sh, sw, ph, pw, oh, ow))
            return y
        if ph or pw:
            x = xp.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=-xp.inf)
        windows = xp.empty((kh * kw, n, c, oh, ow), x.dtype)
        for i in range(kh):
            for j in range(kw):
                windows[i * kw + j] = x[:, :, i:i + sh * oh:sh, j:j + sw * ow:sw]
        y = windows.max(axis=0)  # argmax/take_along_axis over axis 0 cost ~30x more
        arg = xp.zeros(y.shape, xp.int32)
        inside = [xp.ones(y.shape, bool)] * (kh * kw)  # window cells in x, not padding
        if ph or pw:
            pad = xp.pad(xp.ones((h, w), bool), ((ph, ph), (pw, pw)))
            inside = [pad[i:i + sh * oh:sh, j:j + sw * ow:sw] for i in range(kh) for j in range(kw)]
        for k in range(kh * kw - 1, -1, -1):  # PyTorch's: the first maximum of each window,
            arg[(windows[k] == y) & inside[k]] = k
        for k in range(kh * kw):  # or its last NaN
            arg[xp.isnan(windows[k])] = k
        self.saved = (arg, (n, c, h, w), (kh, kw, sh, sw, ph, pw, oh, ow))
        return y

    def explain(self, shapes):
        return (f"kernel {self.attrs['kernel_size']} does not fit input {shapes[0]} "
                "(expected (N, C, H, W) at least as large as the kernel)")

    def backward(self, gy):
        arg, (n, c, h, w), (kh, kw, sh, sw, ph, pw, oh, ow) = self.saved
        ks = kernels(gy)
        if ks:
            gx = np.empty((n, c, h, w), gy.dtype)
            flat, where, out = np.ascontiguousarray(gy).reshape(-1), arg.reshape(-1), gx.reshape(-1)
            if (kh, kw, sh, sw, ph, pw, 2 * oh, 2 * ow) == (2, 2, 2, 2, 0, 0, h, w):
                ks.max_unpool_2x2(flat, where, n * c, h, w, oh, ow, out)
            else:
                ks.max_unpool(flat, where, n * c, h, w, kh, kw, sh, sw, ph, pw, oh, ow, out)
            return (gx,)
        xp = get_array_module(gy)
        if xp is not np:
            return (cuda_kernels.max_unpool(gy, arg, (n, c, h, w), kh, kw, sh, sw, ph, pw, oh, ow),)
        gx = xp.zeros((n, c, h + 2 * ph, w + 2 * pw), gy.dtype)
        for i in range(kh):
            for j in range(kw):
                gx[:, :, i:i + sh * oh:sh, j:j + sw * ow:sw] += gy * (arg == i * kw + j)
        return (gx[:, :, ph:ph + h, pw:pw + w],)


def _pool_size(size, k, s, p, ceil_mode):
    """PyTorch's pooling output size: with ceil_mode the last window may overhang the
    input on the right, but must start inside the input or its left padding."""
    if not ceil_mode:
        return _out_size(size, k, s, p)
    out = -(-(size + 2 * p - k) // s) + 1
    return out - 1 if (out - 1) * s >= size + p else out


class AvgPool2d(Function):
    """Mean over kernel windows, PyTorch's avg_pool2d: zero padding counted in the divisor
    with count_include_pad (never the ceil_mode overhang), or divisor_override."""
    op = "avg_pool2d"

    @staticmethod
    def narrate(c):
        k = c.attr("kernel_size", "k")
        return ("Average pooling", f"y = mean over each {k}×{k} window: {c.i(0)} → {c.y}\n"
                                   "Smooths and shrinks the image: each output averages a window.",
                f"dL/dx = g shared equally among each window's entries (summed where windows "
                f"overlap) → {c.i(0)}")

    def forward(self, x, kernel_size, stride=None, padding=0, ceil_mode=False,
                count_include_pad=True, divisor_override=None):
        xp = get_array_module(x)
        kh, kw = _pair(kernel_size)
        sh, sw = _pair(stride if stride is not None else kernel_size)
        ph, pw = _pair(padding)
        if x.ndim != 4 or 2 * ph > kh or 2 * pw > kw:
            raise ValueError("shape")
        n, c, h, w = x.shape
        oh, ow = _pool_size(h, kh, sh, ph, ceil_mode), _pool_size(w, kw, sw, pw, ceil_mode)
        if oh < 1 or ow < 1:
            raise ValueError("shape")
        eh, ew = (oh - 1) * sh + kh - h - ph, (ow - 1) * sw + kw - w - pw  # right padding
        xpad = xp.pad(x, ((0, 0), (0, 0), (ph, max(eh, 0)), (pw, max(ew, 0))))
        y = xp.zeros((n, c, oh, ow), x.dtype)
        for i in range(kh):
            for j in range(kw):
                y += xpad[:, :, i:i + sh * oh:sh, j:j + sw * ow:sw][:, :, :oh, :ow]
        divisor = self._divisor(xp, (h, w), (kh, kw, sh, sw, ph, pw, oh, ow),
                                count_include_pad, divisor_override)
        self.saved = (divisor, x.shape, (kh, kw, sh, sw, ph, pw, oh, ow), xpad.shape)
        return (y / divisor).astype(x.dtype, copy=False)

    @staticmethod
    def _divisor(xp, size, geometry, count_include_pad, divisor_override):
        """(OH, OW) window sizes as PyTorch counts them."""
        if divisor_override:
            return divisor_override
        kh, kw, sh, sw, ph, pw, oh, ow = geometry
        counts = []
        for out, k, s, p, n in ((oh, kh, sh, ph, size[0]), (ow, kw, sw, pw, size[1])):
            start = xp.arange(out) * s - p
            end = xp.minimum(start + k, n + p)  # clipped to the padded input
            if not count_include_pad:
                start, end = xp.maximum(start, 0), xp.minimum(end, n)
            counts.append(end - start)
        return (counts[0][:, None] * counts[1][None, :]).astype(xp.float64)

    @staticmethod
    def narrate(c):
        k = c.attr("kernel_size", "k")
        return ("Average pooling",
                f"y = mean over each {k}×{k} window: {c.i(0)} → {c.y}\n"
                "Smooths and shrinks the image; every entry of a window counts alike.",
                f"dL/dx = g shared equally among the entries of each window (divided by the "
                f"window's size) → {c.i(0)}")

    def explain(self, shapes):
        return (f"kernel {self.attrs['kernel_size']} with padding {self.attrs.get('padding', 0)}"
                f" does not fit input {shapes[0]} (expected (N, C, H, W) at least as large as "
                "the kernel, and padding at most half the kernel)")

    def backward(self, gy):
        divisor, (n, c, h, w), (kh, kw, sh, sw, ph, pw, oh, ow), padded = self.saved
        xp = get_array_module(gy)
        share = (gy / divisor).astype(gy.dtype, copy=False)
        gx = xp.zeros(padded, gy.dtype)
        for i in range(kh):
            for j in range(kw):
                gx[:, :, i:i + sh * oh:sh, j:j + sw * ow:sw][:, :, :oh, :ow] += share
        return (gx[:, :, ph:ph + h, pw:pw + w],)


def conv2d(x, weight, bias=None, stride=1, padding=0):
    if bias is None:
        return Conv2d.apply(x, weight, stride=stride, padding=padding)
    return Conv2d.apply(x, weight, bias, stride=stride, padding=padding)


def max_pool2d(x, kernel_size, stride=None, padding=0):
    return MaxPool2d.apply(x, kernel_size=kernel_size, stride=stride, padding=padding)


def avg_pool2d(x, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    """torch.nn.functional.avg_pool2d."""
    if divisor_override is not None and (not isinstance(divisor_override, int)
                                         or divisor_override <= 0):
        raise ValueError(f"avg_pool2d: divisor_override must be a positive int, "
                         f"got {divisor_override!r}")
    return AvgPool2d.apply(x, kernel_size=kernel_size, stride=stride, padding=padding,
                           ceil_mode=ceil_mode, count_include_pad=count_include_pad,
                           divisor_override=divisor_override)
