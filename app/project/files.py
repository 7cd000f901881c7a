"""The project file: one schema-versioned JSON document, plus optional weights in a .npz
beside it (app/project/weights.py). Files are written atomically (app/project/atomic.py).
Loading validates everything and executes nothing: no pickle, no eval; any problem raises
ProjectError naming the file and the problem.

The JSON names its weights file and the SHA-256 of its arrays ("weights" below), so editing
the text keeps the pair, and no other file (a dataset `data.npz` beside `data.json`) is ever
read, overwritten or removed as weights. Each save writes the weights under a new name (of
their hash) first, then the JSON, and removes the old weights last: a save killed at any point
leaves a project file whose weights are there and pair with it.

    {"schema": 1, "name": ..., "description": ...,
     "dataset": {"name": "spirals", "params": {...}, "test_fraction": 0.2},
     "network": {"layers": [{"type": "Linear", "params": {"out_features": 8}}, ...],
                 "script": "class Net(nn.Module): ..."},  (optional; never run on load)
     "train": {"loss": ..., "optimizer": ..., "lr": ..., ...},
     "breakpoints": [{"target": "1", "phase": "both", "non_finite": true, ...}],
     "weights": {"file": "demo.weights-0123456789ab.npz", "sha256": "..."}}  (optional)
"""
import dataclasses
import json
import math
from pathlib import Path

import numpy as np

from app.project.atomic import ProjectError, read_capped, resolve_link, write_atomic  # noqa: F401
from app.project.validation import MAX_BREAKPOINTS, MAX_LAYERS, check_values
from app.project.specs import (SCHEMA_VERSION, BreakpointSpec, DatasetSpec, LayerSpec, NetworkSpec, Project,
                    TrainConfig)
from app.project.weights import (keep_weights, load_weights, record_problem, recorded,  # noqa: F401
                                 remove_orphans, weights_record, write_weights)

MAX_FILE_BYTES = 8 * 1024 * 1024
MAX_DEPTH = 8  # the deepest the format goes is 5 (layers -> layer -> params -> value)
MAX_LISTED_PROBLEMS = 8
MAX_INTEGER = 2 ** 63  # integers in a project file fit in 64 bits


def project_to_dict(project):
    doc = dataclasses.asdict(project)
    doc["train"]["betas"] = list(doc["train"]["betas"])
    if not doc["network"]["script"]:  # files without a script stay as older versions wrote them
        del doc["network"]["script"]
    return {"schema": doc.pop("schema"), **doc}


def dumps(project):
    """The project as JSON text (refuses a project whose values are invalid)."""
    return _document(project, None)


def _document(project, weights):
    """The JSON text of `project`, naming its `weights` record when there is one."""
    problems = [i.message for i in check_values(project)]
    if problems:
        raise ProjectError(project.name, "cannot save: " + "; ".join(problems))
    doc = project_to_dict(project)
    if weights is not None:
        doc["weights"] = weights
    return json.dumps(doc, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def save_project(path, project, state=None, keep_weights_of=None, keep_previous=False):
    """Write `project` to `path` (through a link: to its target) with its weights: `state`
    (name -> array, e.g. model.state_dict()) goes to a new file named by the arrays' hash;
    without it, the weights the project file `keep_weights_of` records are kept (copied when
    they belong to another file). The JSON names the weights and their hash, and is written
    after them; the weights it named before are removed only once it is in place (not with
    `keep_previous`, e.g. a file that was refused and that the user may want back)."""
    target = resolve_link(path)
    dumps(project)  # refuses an invalid project before anything is written
    previous = recorded(target)
    record = None
    if state is not None:
        record = write_weights(target, {name: np.asarray(v) for name, v in state.items()},
                               write_atomic)
    elif keep_weights_of is not None:
        record = keep_weights(target, resolve_link(keep_weights_of), write_atomic)
    try:
        text = _document(_data_paths(project, _relative_to(target.parent)), record).encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ProjectError(path, f"cannot save: the text {exc.object[:40]!r} is not valid "
                                 "Unicode") from None
    write_atomic(target, lambda file: file.write(text))
    if previous is not None and not keep_previous and (
            record is None or previous.name != record["file"]):
        previous.unlink(missing_ok=True)
    if not keep_previous:
        remove_orphans(target)


def weights_path(path):
    """The weights file the project file `path` records (or, for a file saved by an older
    version, the sibling .npz that carries the app's mark); None when there is none. A file
    the app did not write, such as a dataset named like the project, is never one."""
    return recorded(resolve_link(path))


def load_project(path):
    """The Project in `path`; ProjectError if it is unreadable, malformed or invalid."""
    path = Path(path)
    data = read_capped(path, MAX_FILE_BYTES)
    if len(data) > MAX_FILE_BYTES:
        raise ProjectError(path, f"larger than {MAX_FILE_BYTES // 2 ** 20} MiB: not a project file")
    folder = resolve_link(path).parent
    return _data_paths(loads(data, path), lambda value: str(folder / value))


def _data_paths(project, convert):
    """`project`, or a copy whose dataset file parameters (the keys ending in "path") went
    through `convert`: data paths are kept relative to the project file in the file (where
    the data is in its folder), absolute in memory."""
    params = project.dataset.params
    if not isinstance(params, dict):
        return project
    changed = {key: convert(value) for key, value in params.items()
               if key.endswith("path") and isinstance(value, str) and value}
    if all(changed[key] == params[key] for key in changed):
        return project
    dataset = dataclasses.replace(project.dataset, params={**params, **changed})
    return dataclasses.replace(project, dataset=dataset)


def _relative_to(folder):
    def convert(value):
        path = Path(value)
        if not path.is_absolute():
            return value
        try:
            return path.relative_to(folder).as_posix()
        except ValueError:  # elsewhere: kept absolute
            return value
    return convert


def loads(data, source="<project>"):
    """Parse and validate a project document given as bytes or text."""
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ProjectError(source, f"not valid UTF-8 text (byte 0x{exc.object[exc.start]:02x} "
                                       f"at offset {exc.start})") from None
    try:
        doc = json.loads(data, parse_constant=_reject_constant, parse_int=_parse_int,
                         parse_float=_parse_float, object_pairs_hook=_unique_keys)
    except RecursionError:
        raise ProjectError(source, "not a project file: JSON nested too deeply") from None
    except json.JSONDecodeError as exc:
        raise ProjectError(source, f"not valid JSON: {exc.msg} (line {exc.lineno}, "
                                   f"column {exc.colno})") from None
    except ValueError as exc:
        raise ProjectError(source, f"not valid JSON: {exc}") from None
    return project_from_dict(doc, source)


def _reject_constant(name):
    raise ValueError(f"{name} is not a number JSON allows")


def _parse_int(text):
    if len(text.lstrip("-")) > 19 or abs(int(text)) >= MAX_INTEGER:
        shown = text if len(text) <= 24 else f"{text[:12]}...({len(text)} digits)"
        raise ValueError(f"the integer {shown} is too large (more than 64 bits)")
    return int(text)


def _parse_float(text):
    value = float(text)
    if not math.isfinite(value):
        shown = text if len(text) <= 24 else f"{text[:12]}...({len(text)} characters)"
        raise ValueError(f"the number {shown} is out of range")
    return value


def _unique_keys(pairs):
    keys = [k for k, _ in pairs]
    duplicates = sorted({k for k in keys if keys.count(k) > 1})
    if duplicates:
        raise ValueError(f"duplicate key {duplicates[0]!r}")
    return dict(pairs)


def _depth(value):
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        deepest = max(deepest, depth)
        if isinstance(item, dict):
            item = list(item.values())
        if isinstance(item, list):
            stack.extend((child, depth + 1) for child in item)
    return deepest


def _unencodable_text(value):
    """The first string (key or value) that is not valid Unicode (a lone surrogate from a
    \\ud800-style escape), which could be loaded but never saved; None if there is none."""
    stack = [value]
    while stack:
        item = stack.pop()
        texts = list(item) if isinstance(item, dict) else [item]
        for text in texts:
            if isinstance(text, str):
                try:
                    text.encode("utf-8")
                except UnicodeEncodeError:
                    return text
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return None


def project_from_dict(doc, source="<project>"):
    """Project from a parsed document: structure first, then every value (check_values)."""
    if not isinstance(doc, dict):
        raise ProjectError(source, f"not a project file: the document is a JSON "
                                   f"{type(doc).__name__}, not an object")
    if _depth(doc) > MAX_DEPTH:
        raise ProjectError(source, f"not a project file: nested deeper than {MAX_DEPTH} levels")
    text = _unencodable_text(doc)
    if text is not None:
        raise ProjectError(source, f"the text {text[:40]!r} is not valid Unicode (a lone "
                                   "surrogate escape such as \\ud83d)")
    schema = doc.get("schema")
    if schema != SCHEMA_VERSION or isinstance(schema, bool):
        found = "no schema version" if schema is None else f"schema version {schema!r}"
        raise ProjectError(source, f"{found}; this version of Stepgraph reads schema "
                                   f"{SCHEMA_VERSION}")
    doc = dict(doc)
    weights = doc.pop("weights", None)  # the weights file's name: read by weights_record
    reader = _Reader()
    project = reader.project(doc)
    if weights is not None and record_problem(weights):
        reader.problems.append(record_problem(weights))
    problems = reader.problems + [issue.message for issue in check_values(project)]
    if problems:
        listed = problems[:MAX_LISTED_PROBLEMS]
        more = len(problems) - len(listed)
        raise ProjectError(source, "; ".join(listed) + (f" (and {more} more)" if more else ""))
    return project


class _Reader:
    """Turns the JSON structure into specs, collecting structural problems (unknown or
    missing keys, wrong container types); values are checked afterwards by check_values."""

    def __init__(self):
        self.problems = []

    def project(self, doc):
        fields = self.fields(doc, "the document", Project, required=("schema", "network"))
        return Project(
            name=fields.get("name", "untitled"), description=fields.get("description", ""),
            network=self.network(fields.get("network", {})),
            dataset=self.dataclass(fields.get("dataset", {}), "dataset", DatasetSpec),
            train=self.train(fields.get("train", {})),
            breakpoints=[self.dataclass(bp, f"breakpoints[{i}]", BreakpointSpec)
                         for i, bp in enumerate(self.limited(fields.get("breakpoints", []),
                                                             "breakpoints", MAX_BREAKPOINTS))],
            schema=fields["schema"])

    def network(self, doc):
        fields = self.fields(doc, "network", NetworkSpec, required=("layers",))
        layers = self.list(fields.get("layers", []), "network.layers")
        if len(layers) > MAX_LAYERS:  # refused before making a spec of each
            self.problems.append(f"network.layers: {len(layers):,} layers, a project holds at "
                                 f"most {MAX_LAYERS:,}")
            layers = []
        return NetworkSpec([self.dataclass(layer, f"network.layers[{i}]", LayerSpec,
                                           required=("type",))
                            for i, layer in enumerate(layers)],
                           script=fields.get("script", ""))  # kept as text, never run here

    def train(self, doc):
        config = self.dataclass(doc, "train", TrainConfig)
        if isinstance(config.betas, list):
            config.betas = tuple(config.betas)
        return config

    def dataclass(self, doc, where, cls, required=()):
        fields = self.fields(doc, where, cls, required)
        if "params" in fields and not isinstance(fields["params"], dict):
            self.problems.append(f"{where}.params must be an object")
            fields["params"] = {}
        for name in required:  # a missing one is already reported; fill it to go on
            fields.setdefault(name, "")
        return cls(**fields)

    def fields(self, doc, where, cls, required=()):
        if not isinstance(doc, dict):
            self.problems.append(f"{where} must be an object, got {type(doc).__name__}")
            return {}
        known = [f.name for f in dataclasses.fields(cls)]
        for key in doc:
            if key not in known:
                self.problems.append(f"{where}: unknown key {key!r} (expected: {', '.join(known)})")
        for key in required:
            if key not in doc:
                self.problems.append(f"{where}: missing key {key!r}")
        return {k: v for k, v in doc.items() if k in known}

    def limited(self, value, where, limit):
        items = self.list(value, where)
        if len(items) > limit:
            self.problems.append(f"{where}: {len(items):,} entries, a project holds at most "
                                 f"{limit:,}")
            return []
        return items

    def list(self, value, where):
        if not isinstance(value, list):
            self.problems.append(f"{where} must be a list, got {type(value).__name__}")
            return []
        return value
