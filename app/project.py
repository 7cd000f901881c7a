"""The project model in one import: plain-data specs (app/specs.py), validation with
per-row issues (app/project_validation.py), shape inference (app/shapes.py) and the
schema-versioned file format (app/project_file.py)."""
from .project_file import (ProjectError, dumps, load_project, load_weights, loads, save_project,
                           weights_path)
from .project_validation import Issue, Report, check_values, validate
from .shapes import RowShape, format_shape, infer_shapes
from .specs import (LAYER_TYPES, LOSSES, OPTIMIZERS, SCHEMA_VERSION, BreakpointSpec, DatasetSpec,
                    LayerSpec, NetworkSpec, ParamDef, Project, TrainConfig)

__all__ = [
    "LAYER_TYPES", "LOSSES", "OPTIMIZERS", "SCHEMA_VERSION", "BreakpointSpec", "DatasetSpec",
    "Issue", "LayerSpec", "NetworkSpec", "ParamDef", "Project", "ProjectError", "Report",
    "RowShape", "TrainConfig", "check_values", "dumps", "format_shape", "infer_shapes",
    "load_project", "load_weights", "loads", "save_project", "validate", "weights_path",
]
