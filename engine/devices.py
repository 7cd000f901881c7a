"""`torch.device`: a device name that is also a str ("cpu" or "cuda"), so it compares equal to
the plain names the engine has always used."""


class device(str):  # noqa: N801 (PyTorch's name)
    """`device("cpu")`, `device("cuda")`, `device("cuda:0")`, `device("cuda", 0)`.
    The engine runs on one GPU, so every CUDA index names the same device ("cuda")."""

    def __new__(cls, type, index=None):  # noqa: A002 (PyTorch's argument name)
        if isinstance(type, device):
            return type
        name = str(type).lower()
        if ":" in name:
            name, number = name.split(":", 1)
            index = int(number)
        if name == "gpu":
            name = "cuda"
        if name not in ("cpu", "cuda"):
            raise RuntimeError(f"Expected one of cpu, cuda device type at start of device "
                               f"string: {type}")
        self = super().__new__(cls, name)
        self._index = index
        return self

    @property
    def type(self):
        return str.__str__(self)

    @property
    def index(self):
        return self._index

    def __repr__(self):
        index = "" if self._index is None else f", index={self._index}"
        return f"device(type='{self.type}'{index})"


CPU = device("cpu")
CUDA = device("cuda")
BY_NAME = {"cpu": CPU, "cuda": CUDA}
