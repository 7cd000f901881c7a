"""Optimisation passes: each a pure IR -> IR function (the input graph is left as it was)
that keeps compiled(x) == eager(x). The Session applies them in the order of ALL."""
from .constant_folding import constant_folding
from .cse import cse
from .dce import dce
from .fusion import fusion
from .memory_planning import memory_planning

ALL = (constant_folding, cse, dce, fusion, memory_planning)
BY_NAME = {p.__name__: p for p in ALL}

__all__ = ["ALL", "BY_NAME", "constant_folding", "cse", "dce", "fusion", "memory_planning"]
