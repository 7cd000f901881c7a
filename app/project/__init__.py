"""The project model in one import: plain-data specs (app/project/specs.py), validation with
per-row issues (app/project/validation.py), shape inference (app/project/shapes.py) and the
schema-versioned file format (app/project/files.py)."""
from app.project.files import (ProjectError, dumps, load_project, load_weights, loads, save_project,
                           weights_path)
from app.project.validation import Issue, Report, check_values, validate
from app.project.shapes import RowShape, format_shape, infer_shapes
from app.project.specs import (LAYER_TYPES, LOSSES, OPTIMIZERS, SCHEMA_VERSION, BreakpointSpec, DatasetSpec,
                    LayerSpec, NetworkSpec, ParamDef, Project, TrainConfig)

__all__ = [
    "LAYER_TYPES", "LOSSES", "OPTIMIZERS", "SCHEMA_VERSION", "BreakpointSpec", "DatasetSpec",
    "Issue", "LayerSpec", "NetworkSpec", "ParamDef", "Project", "ProjectError", "Report",
    "RowShape", "TrainConfig", "check_values", "dumps", "format_shape", "infer_shapes",
    "load_project", "load_weights", "loads", "save_project", "validate", "weights_path",
]
