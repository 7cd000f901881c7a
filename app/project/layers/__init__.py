"""Layer types, each declared once: `LAYERS` (name -> LayerType, in palette order) and the
record's parts. The builder, validation, shape inference, the palette and editor, the
exports and the decision view read these declarations; none keeps a table of its own."""
from app.project.layers.catalog import LAYERS
from app.project.layers.declaration import (ExportError, FitError, InputInfo, LayerType, OnnxNode,
                                            ParamDef, activation, check_number, format_shape,
                                            need_ndim, onnx_op, same_shape)
from app.project.layers.sequence_lstm import SequenceLSTM

__all__ = [
    "LAYERS", "ExportError", "FitError", "InputInfo", "LayerType", "OnnxNode", "ParamDef",
    "SequenceLSTM", "activation", "check_number", "format_shape", "need_ndim", "onnx_op",
    "same_shape",
]
