"""The computation graph as the graph view draws it: a plain model and its layered layout (no Qt)."""
