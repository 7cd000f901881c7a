"""Weights files: a state_dict as a plain .npz (one .npy member per array, no pickles) whose
archive comment marks it as written by Stepgraph and holds the SHA-256 of its arrays. A
project file records the name and that hash of its weights (app/project/files.py), so the
pair survives editing the JSON's text, and a file the app did not write is never taken for
its weights. Reading checks every member's header against its data before numpy allocates."""
import glob
import hashlib
import json
import math
import re
import shutil
import zipfile
import zlib
from pathlib import Path

import numpy as np

from app.project.atomic import ProjectError, require_regular_file

ARRAYS_MARK = b"stepgraph weights sha256 "
LEGACY_MARK = b"stepgraph project sha256 "  # older saves: the hash of the project's JSON text
MAX_LISTED_PROBLEMS = 8
MAX_PROJECT_BYTES = 8 * 1024 * 1024  # a project file's record is read from at most this
WEIGHTS_NAME = re.compile(r"^[^/\\\x00]{1,200}\.weights-[0-9a-f]{12}\.npz$")
SHA256 = re.compile(r"^[0-9a-f]{64}$")


def arrays_digest(arrays):
    """SHA-256 (hex) of a state_dict: names, dtypes, shapes and bytes, in name order."""
    digest = hashlib.sha256()
    for name in sorted(arrays):
        array = np.ascontiguousarray(arrays[name])
        digest.update(f"{name}\0{array.dtype.str}\0{array.shape}\0".encode("utf-8"))
        digest.update(array.tobytes())
    return digest.hexdigest()


def write_npz(file, arrays, digest):
    """What np.savez writes, with the archive comment that marks it and names `digest`."""
    with zipfile.ZipFile(file, "w", zipfile.ZIP_STORED, allowZip64=True) as archive:
        for name, array in arrays.items():
            with archive.open(f"{name}.npy", "w", force_zip64=True) as member:
                np.lib.format.write_array(member, array, allow_pickle=False)
        archive.comment = ARRAYS_MARK + digest.encode("ascii")


def mark_of(path):
    """(kind, hex digest) of the Stepgraph mark of the .npz at `path`: kind "arrays" or
    "legacy"; (None, None) when it has none (not written by the app) or cannot be read."""
    try:
        with zipfile.ZipFile(path) as archive:
            comment = archive.comment
    except (OSError, zipfile.BadZipFile, ValueError):
        return None, None
    for kind, mark in (("arrays", ARRAYS_MARK), ("legacy", LEGACY_MARK)):
        if comment.startswith(mark):
            return kind, comment[len(mark):].decode("ascii", "replace")
    return None, None


# ---- the record a project file keeps of its weights --------------------------------------
def weights_record(path):
    """{"file", "sha256"} of the weights the project file `path` names, or None."""
    try:
        with open(path, "rb") as file:
            doc = json.loads(file.read(MAX_PROJECT_BYTES + 1))
    except (OSError, ValueError, RecursionError):
        return None
    record = doc.get("weights") if isinstance(doc, dict) else None
    return record if record_problem(record) is None else None


def recorded(target):
    record = weights_record(target) if target.is_file() else None
    if record is not None:
        found = target.parent / record["file"]
        return found if found.is_file() else None
    sibling = target.with_suffix(".npz")
    return sibling if sibling != target and mark_of(sibling)[0] == "legacy" else None


def _weights_name(target, digest):
    return target.parent / f"{target.stem[:150]}.weights-{digest[:12]}.npz"


def remove_orphans(target):
    """Remove the weights files named for `target` (written by the app) that no project
    file beside it records: a save killed after its project file was written leaves the
    previous weights, one killed before it the new ones. A sibling project sharing the name
    (`p.json`, `p.old`) keeps the weights it records."""
    stem = glob.escape(target.stem[:150])
    candidates = [p for p in target.parent.glob(f"{stem}.weights-*.npz")
                  if WEIGHTS_NAME.match(p.name) and mark_of(p)[0] is not None]
    if not candidates:
        return
    kept = set()
    for sibling in target.parent.glob(f"{stem}*"):
        if sibling.suffix != ".npz" and sibling.is_file() and not sibling.is_symlink():
            record = weights_record(sibling)
            kept.update([record["file"]] if record else [])
    for orphan in candidates:
        if orphan.name not in kept:
            orphan.unlink(missing_ok=True)


def write_weights(target, arrays, write_atomic):
    """Write `arrays` beside `target` under a name of their hash (never over a file the app
    did not write) with `write_atomic`; their record."""
    digest = arrays_digest(arrays)
    found = _weights_name(target, digest)
    if not _same_weights(found, digest):
        write_atomic(found, lambda file: write_npz(file, arrays, digest))
    return {"file": found.name, "sha256": digest}


def _same_weights(found, digest):
    """Whether `found` already holds the weights `digest` (ProjectError for a file there
    that the app did not write)."""
    if not found.exists():
        return False
    kind, stored = mark_of(found)
    if kind is None:
        raise ProjectError(found, "a file of this name exists and Stepgraph did not write it: "
                                  "it is not overwritten (rename it, or save under another name)")
    return kind == "arrays" and stored == digest


def keep_weights(target, source, write_atomic):
    """The record of the weights `source` has, copied beside `target` if needed; None
    when `source` has none."""
    old = recorded(source)
    if old is None:
        return None
    kind, digest = mark_of(old)
    if kind != "arrays":  # an older save's weights: hash their arrays
        with np.load(old, allow_pickle=False) as npz:
            digest = arrays_digest({name: npz[name] for name in npz.files})
    found = _weights_name(target, digest)
    if found != old and not _same_weights(found, digest):
        with open(old, "rb") as source_file:
            write_atomic(found, lambda file: shutil.copyfileobj(source_file, file))
    return {"file": found.name, "sha256": digest}


def record_problem(record):
    """Why `record` is not a valid weights record, or None."""
    if not isinstance(record, dict) or set(record) != {"file", "sha256"}:
        return "weights must be an object with the keys 'file' and 'sha256'"
    if not isinstance(record["file"], str) or not WEIGHTS_NAME.match(record["file"]):
        return "weights.file must name a '<name>.weights-<hash>.npz' file in the same folder"
    if not isinstance(record["sha256"], str) or not SHA256.match(record["sha256"]):
        return "weights.sha256 must be 64 hexadecimal digits"
    return None


# ---- reading -----------------------------------------------------------------------------
# ---- reading ----------------------------------------------------------------------------
def load_weights(path, model, project_file=None):
    """Copy the arrays of the .npz at `path` into `model`, after checking that they are
    exactly the network's state_dict names and shapes, that a file the app wrote holds the
    arrays it was saved with, and (given `project_file`) that they are the weights that
    project file names; ProjectError otherwise."""
    path = Path(path)

    def pairs(kind, digest, arrays):
        if kind == "arrays" and arrays_digest(arrays) != digest:
            raise ProjectError(path, "the weights file is damaged: its arrays differ from "
                                     "the ones it was saved with")
        if project_file is None or kind is None:  # a file the user chose: not paired
            return
        if kind == "arrays":
            record = weights_record(project_file)
            paired = record is not None and record["sha256"] == digest
        else:  # an older save: the hash of the project file's text
            paired = _legacy_hash(project_file) == digest
        if not paired:
            raise ProjectError(path, f"these weights were saved with another version of "
                                     f"{Path(project_file).name} (a save was interrupted, or "
                                     "the file was edited since): they are not loaded")
    model.load_state_dict(read_weights(path, model, pairs))


def _legacy_hash(project_file):
    try:
        return hashlib.sha256(Path(project_file).read_bytes()).hexdigest()
    except OSError as exc:
        raise ProjectError(project_file, f"cannot read the file ({exc.strerror or exc})") from None


def read_weights(path, model, pairs=None):
    """The arrays of the .npz at `path`, checked to be exactly `model`'s state_dict names and
    shapes; `pairs(kind, digest, arrays)` (optional) raises when the file's mark does not pair
    with the project it is loaded for."""
    path = Path(path)
    require_regular_file(path)
    expected = model.state_dict()
    budget = 2 * sum(np.asarray(a).nbytes for a in expected.values()) + 2 ** 20
    try:
        with zipfile.ZipFile(path) as archive:
            stored = sum(info.file_size for info in archive.infolist())
            if stored > budget:
                raise ProjectError(path, f"holds {stored:,} bytes, far more than this network's "
                                         "weights: it belongs to another network")
            for info in archive.infolist():
                _check_member(path, archive, info)
        with np.load(path, allow_pickle=False) as npz:
            arrays = {name: npz[name] for name in npz.files}
    except ProjectError:
        raise
    except (OSError, ValueError, EOFError, RuntimeError, NotImplementedError, zlib.error,
            zipfile.BadZipFile) as exc:
        raise ProjectError(path, f"not a readable .npz weights file ({exc})") from None
    if pairs is not None:
        pairs(*mark_of(path), arrays)
    problems = _weight_mismatches(arrays, expected, model)
    if problems:
        listed = "; ".join(problems[:MAX_LISTED_PROBLEMS])
        raise ProjectError(path, f"the weights do not match the network: {listed}")
    return arrays


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
