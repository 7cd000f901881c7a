"""The project file: one schema-versioned JSON document, plus optional weights in a sibling
`.npz` (state_dict arrays). Files are written atomically (a temporary file in the same
directory, fsync, os.replace). Loading validates everything and executes nothing: no pickle,
no eval; any problem raises ProjectError naming the file and the problem.

The weights pair with the JSON they were saved with: the .npz's archive comment holds the
SHA-256 of that JSON text (the arrays stay a plain state_dict). Saving writes the .npz first
and the JSON last, so a save killed half-way leaves either the old pair, or the old JSON with
new weights, which `load_weights(..., project_file)` refuses with a message.

    {"schema": 1, "name": ..., "description": ...,
     "dataset": {"name": "spirals", "params": {...}, "test_fraction": 0.2},
     "network": {"layers": [{"type": "Linear", "params": {"out_features": 8}}, ...],
                 "script": "class Net(nn.Module): ..."},  (optional; never run on load)
     "train": {"loss": ..., "optimizer": ..., "lr": ..., ...},
     "breakpoints": [{"target": "1", "phase": "both", "non_finite": true, ...}]}
"""
import dataclasses
import glob
import hashlib
import json
import math
import os
import stat
import tempfile
import zipfile
import zlib
from pathlib import Path

import numpy as np

from app.project.validation import check_values
from app.project.specs import (SCHEMA_VERSION, BreakpointSpec, DatasetSpec, LayerSpec, NetworkSpec, Project,
                    TrainConfig)

MAX_FILE_BYTES = 8 * 1024 * 1024
MAX_DEPTH = 8  # the deepest the format goes is 5 (layers -> layer -> params -> value)
MAX_LISTED_PROBLEMS = 8
MAX_INTEGER = 2 ** 63  # integers in a project file fit in 64 bits
PAIRING_PREFIX = b"stepgraph project sha256 "


class ProjectError(Exception):
    """A project or weights file cannot be used; the message names the file and why."""

    def __init__(self, path, problem):
        self.path, self.problem = str(path), problem
        super().__init__(f"{path}: {problem}")


# ---- writing -----------------------------------------------------------------------------
def write_atomic(path, write):
    """Create or replace `path` so that it holds either its old content or all of the new:
    `write(file)` fills a temporary file in the same directory, which is fsynced and renamed.
    The temporary file's name holds the writer's process id, so that the next write removes
    one a killed process left behind."""
    path = Path(path)
    _remove_orphan_temps(path)
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp",
                                dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as file:
            write(file)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    _fsync_directory(path.parent)


def _remove_orphan_temps(path):
    """Delete the temporary files of writes to `path` whose process is gone (POSIX only:
    elsewhere, probing a process id is not harmless)."""
    if os.name != "posix":
        return
    for temp in path.parent.glob(f".{glob.escape(path.name)}.*.tmp"):
        pid = temp.name[len(path.name) + 2:].split(".")[0]
        if pid.isdigit() and int(pid) != os.getpid() and not _process_alive(int(pid)):
            temp.unlink(missing_ok=True)


def _process_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, owned by someone else
        return True
    return True


def _fsync_directory(directory):
    """Make the rename itself durable (POSIX; a no-op where directories cannot be opened)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def project_to_dict(project):
    doc = dataclasses.asdict(project)
    doc["train"]["betas"] = list(doc["train"]["betas"])
    if not doc["network"]["script"]:  # files without a script stay as older versions wrote them
        del doc["network"]["script"]
    return {"schema": doc.pop("schema"), **doc}


def dumps(project):
    """The project as JSON text (refuses a project whose values are invalid)."""
    problems = [i.message for i in check_values(project)]
    if problems:
        raise ProjectError(project.name, "cannot save: " + "; ".join(problems))
    return json.dumps(project_to_dict(project), indent=2, ensure_ascii=False,
                      allow_nan=False) + "\n"


def weights_path(path):
    """Where the weights of the project file `path` are kept: same name, `.npz`."""
    return Path(path).with_suffix(".npz")


def save_project(path, project, state=None):
    """Write `project` to `path` and `state` (name -> array, e.g. model.state_dict()) to
    the sibling .npz, paired with this JSON text; without `state`, a stale .npz from an
    earlier save is removed (after the JSON is written: until then it pairs with the old)."""
    try:
        text = dumps(project).encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ProjectError(path, f"cannot save: the text {exc.object[:40]!r} is not valid "
                                 "Unicode") from None
    weights = weights_path(path)
    if state is not None:
        arrays = {name: np.asarray(value) for name, value in state.items()}
        comment = PAIRING_PREFIX + hashlib.sha256(text).hexdigest().encode("ascii")
        write_atomic(weights, lambda file: _write_npz(file, arrays, comment))
    write_atomic(path, lambda file: file.write(text))
    if state is None:
        weights.unlink(missing_ok=True)


def _write_npz(file, arrays, comment):
    """What np.savez writes (one .npy member per array, no pickles), with an archive comment."""
    with zipfile.ZipFile(file, "w", zipfile.ZIP_STORED, allowZip64=True) as archive:
        for name, array in arrays.items():
            with archive.open(f"{name}.npy", "w", force_zip64=True) as member:
                np.lib.format.write_array(member, array, allow_pickle=False)
        archive.comment = comment


# ---- reading -----------------------------------------------------------------------------
def load_project(path):
    """The Project in `path`; ProjectError if it is unreadable, malformed or invalid."""
    path = Path(path)
    _require_regular_file(path)
    try:
        with open(path, "rb") as file:
            data = file.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise ProjectError(path, f"cannot read the file ({exc.strerror or exc})") from None
    if len(data) > MAX_FILE_BYTES:
        raise ProjectError(path, f"larger than {MAX_FILE_BYTES // 2 ** 20} MiB: not a project file")
    return loads(data, path)


def _require_regular_file(path):
    """ProjectError unless `path` is a regular file (a pipe or a device would block reading,
    or never end)."""
    try:
        mode = os.stat(path).st_mode
    except (OSError, ValueError) as exc:  # ValueError: a NUL byte in the path
        reason = getattr(exc, "strerror", None) or exc
        raise ProjectError(path, f"cannot read the file ({reason})") from None
    if not stat.S_ISREG(mode):
        kind = "a folder" if stat.S_ISDIR(mode) else "not a regular file"
        raise ProjectError(path, f"cannot read the file: it is {kind}")


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
    reader = _Reader()
    project = reader.project(doc)
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
                         for i, bp in enumerate(self.list(fields.get("breakpoints", []),
                                                          "breakpoints"))],
            schema=fields["schema"])

    def network(self, doc):
        fields = self.fields(doc, "network", NetworkSpec, required=("layers",))
        layers = self.list(fields.get("layers", []), "network.layers")
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

    def list(self, value, where):
        if not isinstance(value, list):
            self.problems.append(f"{where} must be a list, got {type(value).__name__}")
            return []
        return value



# ---- weights -----------------------------------------------------------------------------
def load_weights(path, model, project_file=None):
    """Copy the arrays of the .npz at `path` into `model`, after checking that they are
    exactly the network's state_dict names and shapes, and (given `project_file`) that they
    were saved with that project file's current text; ProjectError otherwise."""
    path = Path(path)
    _require_regular_file(path)
    expected = model.state_dict()
    budget = 2 * sum(np.asarray(a).nbytes for a in expected.values()) + 2 ** 20
    try:
        with zipfile.ZipFile(path) as archive:
            stored = sum(info.file_size for info in archive.infolist())
            if stored > budget:
                raise ProjectError(path, f"holds {stored:,} bytes, far more than this network's "
                                         "weights: it belongs to another network")
            if project_file is not None:
                _check_pairing(path, archive.comment, project_file)
            for info in archive.infolist():
                _check_member(path, archive, info)
        with np.load(path, allow_pickle=False) as npz:
            arrays = {name: npz[name] for name in npz.files}
    except ProjectError:
        raise
    except (OSError, ValueError, EOFError, RuntimeError, NotImplementedError, zlib.error,
            zipfile.BadZipFile) as exc:
        raise ProjectError(path, f"not a readable .npz weights file ({exc})") from None
    problems = _weight_mismatches(arrays, expected, model)
    if problems:
        listed = "; ".join(problems[:MAX_LISTED_PROBLEMS])
        raise ProjectError(path, f"the weights do not match the network: {listed}")
    model.load_state_dict(arrays)


def _check_member(path, archive, info):
    """Refuse a member that is not a .npy array of numbers holding all the data its header
    promises (np.load would allocate the promised size first)."""
    with archive.open(info) as member:
        version = np.lib.format.read_magic(member)
        if version == (1, 0):
            shape, _, dtype = np.lib.format.read_array_header_1_0(member)
        elif version == (2, 0):
            shape, _, dtype = np.lib.format.read_array_header_2_0(member)
        else:
            raise ProjectError(path, f"not a readable .npz weights file: '{info.filename}' is "
                                     f"a .npy version {version} array, which is not read here")
    if dtype.hasobject:
        raise ProjectError(path, f"not a readable .npz weights file: '{info.filename}' holds "
                                 "Python objects, not numbers (they are never unpickled)")
    if math.prod(shape) * dtype.itemsize > info.file_size:
        raise ProjectError(path, f"not a readable .npz weights file: '{info.filename}' claims "
                                 f"shape {shape} of {dtype}, but holds only {info.file_size:,} "
                                 "bytes")


def _check_pairing(path, comment, project_file):
    """Weights saved by save_project name the SHA-256 of their JSON; others are not checked."""
    if not comment.startswith(PAIRING_PREFIX):
        return
    try:
        text = Path(project_file).read_bytes()
    except OSError as exc:
        raise ProjectError(project_file, f"cannot read the file ({exc.strerror or exc})") from None
    if comment[len(PAIRING_PREFIX):] != hashlib.sha256(text).hexdigest().encode("ascii"):
        raise ProjectError(path, f"these weights were saved with another version of "
                                 f"{Path(project_file).name} (a save was interrupted, or the "
                                 "file was edited since): they are not loaded")


def _weight_mismatches(arrays, expected, model):
    modules = dict(model.named_modules())

    def owner(name):
        scope = name.rpartition(".")[0]
        module = modules.get(scope) if scope else None
        if module is None:
            return "the network"
        kind = "layer" if scope.isdigit() else "module"
        return f"{kind} {scope} ({type(module).__name__})"

    problems = [f"{owner(name)} has no weight '{name}'" for name in arrays if name not in expected]
    problems += [f"'{name}' is missing" for name in expected if name not in arrays]
    for name, array in arrays.items():
        if name not in expected:
            continue
        want = np.asarray(expected[name])
        if array.dtype.kind not in "biuf":
            problems.append(f"'{name}' holds {array.dtype} values, not numbers")
        elif array.shape != want.shape:
            problems.append(f"'{name}' has shape {array.shape}, {owner(name)} needs {want.shape}")
    return problems
