"""Static-graph compile mode: build a graph (`with static.Graph():` and placeholders) or
trace dynamic code once, differentiate it symbolically, add the optimizer update, then
compile it with optimisation passes and run it in a Session, TF1 style."""
from .autodiff import gradients
from .builder import Graph, current_graph, placeholder
from .control_flow import cond
from .ir import Node
from .passes import ALL as ALL_PASSES
from .session import PassRecord, Session
from .symbolic import SymbolicTensor
from .trace import TraceWarning, trace
from .train import minimize

__all__ = ["ALL_PASSES", "Graph", "Node", "PassRecord", "Session", "SymbolicTensor",
           "TraceWarning", "cond", "current_graph", "gradients", "minimize", "placeholder",
           "trace"]
