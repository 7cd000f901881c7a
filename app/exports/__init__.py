"""File > Export: a project as PyTorch code or ONNX."""
