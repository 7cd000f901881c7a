"""2-D convolution (im2col + one matrix product) and max pooling, on numpy or CuPy.
The only Python loops run over kernel offsets (kh * kw slices), never over pixels."""
from ..autograd import Function
from ..backend import get_array_module


def _pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


def _out_size(size, k, s, p):
    return (size + 2 * p - k) // s + 1


def im2col(x, kh, kw, sh, sw, ph, pw):
    """(N, C, H, W) -> columns (N*OH*OW, C*kh*kw) and the output size."""
    xp = get_array_module(x)
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
    n, c, h, w = shape
    gcol = gcol.reshape(n, oh, ow, c, kh, kw)
    gx = xp.zeros((n, c, h + 2 * ph, w + 2 * pw), gcol.dtype)
    for i in range(kh):
        for j in range(kw):
            gx[:, :, i:i + sh * oh:sh, j:j + sw * ow:sw] += gcol[:, :, :, :, i, j].transpose(0, 3, 1, 2)
    return gx[:, :, ph:ph + h, pw:pw + w]


class Conv2d(Function):
    def forward(self, x, w, b=None, stride=1, padding=0):
        if x.ndim != 4 or w.ndim != 4 or x.shape[1] != w.shape[1]:
            raise ValueError("shape")
        (sh, sw), (ph, pw) = _pair(stride), _pair(padding)
        o, c, kh, kw = w.shape
        if _out_size(x.shape[2], kh, sh, ph) < 1 or _out_size(x.shape[3], kw, sw, pw) < 1:
            raise ValueError("shape")
        col, oh, ow = im2col(x, kh, kw, sh, sw, ph, pw)
        xp = get_array_module(x)
        w2 = w.reshape(o, -1)
        y = col @ w2.T
        if b is not None:
            y += b
        self.saved = (col, w, x.shape, oh, ow, b is not None)
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
        col, w, xshape, oh, ow, has_bias = self.saved
        o, c, kh, kw = w.shape
        (sh, sw), (ph, pw) = _pair(self.attrs.get("stride", 1)), _pair(self.attrs.get("padding", 0))
        g2 = gy.transpose(0, 2, 3, 1).reshape(-1, o)
        gw = (g2.T @ col).reshape(w.shape)
        inputs = getattr(self, "inputs", None)  # skip gx for inputs without grad (the data)
        gx = None
        if inputs is None or inputs[0].requires_grad:
            gx = col2im(g2 @ w.reshape(o, -1), xshape, kh, kw, sh, sw, ph, pw, oh, ow)
        if has_bias:
            return gx, gw, g2.sum(axis=0)
        return gx, gw


class MaxPool2d(Function):
    op = "max_pool2d"

    def forward(self, x, kernel_size, stride=None, padding=0):
        xp = get_array_module(x)
        kh, kw = _pair(kernel_size)
        sh, sw = _pair(stride if stride is not None else kernel_size)
        ph, pw = _pair(padding)
        n, c, h, w = x.shape
        oh, ow = _out_size(h, kh, sh, ph), _out_size(w, kw, sw, pw)
        if oh < 1 or ow < 1:
            raise ValueError("shape")
        if ph or pw:
            x = xp.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=-xp.inf)
        windows = xp.empty((kh * kw, n, c, oh, ow), x.dtype)
        for i in range(kh):
            for j in range(kw):
                windows[i * kw + j] = x[:, :, i:i + sh * oh:sh, j:j + sw * ow:sw]
        y = windows.max(axis=0)  # argmax/take_along_axis over axis 0 cost ~30x more
        arg = xp.zeros(y.shape, xp.int32)
        for k in range(kh * kw - 1, -1, -1):  # the first maximum of each window, as argmax
            arg[windows[k] == y] = k
        self.saved = (arg, (n, c, h, w), (kh, kw, sh, sw, ph, pw, oh, ow))
        return y

    def explain(self, shapes):
        return (f"kernel {self.attrs['kernel_size']} does not fit input {shapes[0]} "
                "(expected (N, C, H, W) at least as large as the kernel)")

    def backward(self, gy):
        arg, (n, c, h, w), (kh, kw, sh, sw, ph, pw, oh, ow) = self.saved
        xp = get_array_module(gy)
        gx = xp.zeros((n, c, h + 2 * ph, w + 2 * pw), gy.dtype)
        for i in range(kh):
            for j in range(kw):
                gx[:, :, i:i + sh * oh:sh, j:j + sw * ow:sw] += gy * (arg == i * kw + j)
        return (gx[:, :, ph:ph + h, pw:pw + w],)


def conv2d(x, weight, bias=None, stride=1, padding=0):
    if bias is None:
        return Conv2d.apply(x, weight, stride=stride, padding=padding)
    return Conv2d.apply(x, weight, bias, stride=stride, padding=padding)


def max_pool2d(x, kernel_size, stride=None, padding=0):
    return MaxPool2d.apply(x, kernel_size=kernel_size, stride=stride, padding=padding)
