"""Broken project and weights files for the fuzz test (tests/app/test_project_fuzz.py) and
benchmarks/fuzz_projects.py: mutations of the preset files, random JSON, and weights .npz
files that do not fit the network. `run_case` feeds one case to the loader and says how it
ended: "ok", "error" (a ProjectError or BuildError with its message) or "crash" (anything
else, with the traceback)."""
import copy
import io
import json
import re
import traceback
import zipfile
from pathlib import Path

import numpy as np

from app.project.build import BuildError, build
from app.project.files import (ProjectError, dumps, load_project, load_weights, loads,
                              save_project)
from app.project.validation import validate
from app.project.specs import LAYER_TYPES

PRESETS = Path(__file__).resolve().parents[2] / "resources" / "presets"

BAD_VALUES = [None, True, False, 0, -1, -10 ** 9, 10 ** 9, 2 ** 63, 10 ** 400, 0.5, -0.0,
              1e308, -1e308, 1e-320, "", "x", "Linear", "1", "\u0000", "\ud83d\ude00" * 3, [],
              [1, 2], [None], {}, {"a": 1}, {"type": "ReLU"}]
# what the JSON parser reads as non-finite numbers or beyond 64 bits, as raw text
NUMBER_LITERALS = ["NaN", "Infinity", "-Infinity", "1e400", "-1e400", "1" + "0" * 400,
                   "1e-400", "123456789012345678901234567890"]
NUMBER = re.compile(r"[-+(]*(0x[0-9a-f]+|[0-9][0-9a-f.,_+()-]*)[)}\],;:]*")
MUTATIONS = ["truncate", "bad_value", "missing_key", "extra_key", "huge_literal",
             "deep_nesting", "schema", "bad_utf8", "bom", "empty", "random_json", "byte_flip",
             "layer_params", "duplicate_key", "string_escape"]
# JSON string escapes that decode to text a file cannot hold, or to odd characters
STRING_LITERALS = ['"\\ud83d"', '"x\\udc00y"', '"\\u0000"', '"\\ud83d\\ude00"', '"\\n\\t"']


def preset_texts():
    """{preset name: its file's text}."""
    return {p.stem: p.read_text(encoding="utf-8") for p in sorted(PRESETS.glob("*.json"))}


def _paths(value, prefix=()):
    """Every path (tuple of keys and indices) inside a JSON document, containers included."""
    yield prefix
    if isinstance(value, dict):
        for key, child in value.items():
            yield from _paths(child, prefix + (key,))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from _paths(child, prefix + (index,))


def _parent(doc, path):
    for key in path[:-1]:
        doc = doc[key]
    return doc


def random_json(rng, depth=0):
    """A random JSON-like value (containers up to 4 deep)."""
    if depth > 3 or rng.random() < 0.4:
        return rng.choice(BAD_VALUES + [rng.uniform(-1e6, 1e6), rng.randint(-99, 99)])
    if rng.random() < 0.5:
        return [random_json(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    keys = ["schema", "network", "layers", "type", "params", "train", "dataset", "name", "x"]
    return {rng.choice(keys): random_json(rng, depth + 1) for _ in range(rng.randint(0, 4))}


def _dump(doc):
    return json.dumps(doc, indent=1, ensure_ascii=False).encode("utf-8", "surrogatepass")


def mutate(text, kind, rng):
    """The bytes of preset `text` broken in the way `kind` names (one of MUTATIONS)."""
    data = text.encode("utf-8")
    doc = json.loads(text)
    paths = list(_paths(doc))[1:]
    if kind == "truncate":
        return data[:rng.randrange(len(data))]
    if kind == "byte_flip":
        index = rng.randrange(len(data))
        return data[:index] + bytes([rng.randrange(256)]) + data[index + 1:]
    if kind == "bad_value":
        path = rng.choice(paths)
        _parent(doc, path)[path[-1]] = copy.deepcopy(rng.choice(BAD_VALUES))
        return _dump(doc)
    if kind == "layer_params":
        layers = doc["network"]["layers"] or [{"type": "Linear", "params": {}}]
        doc["network"]["layers"] = layers
        layer = rng.choice(layers)
        if rng.random() < 0.3:
            layer["type"] = rng.choice(list(LAYER_TYPES))
        names = [p.name for p in LAYER_TYPES.get(layer["type"], ())] or ["p"]
        layer["params"] = {rng.choice(names): copy.deepcopy(rng.choice(BAD_VALUES))}
        return _dump(doc)
    if kind == "missing_key":
        dicts = [p for p in paths if isinstance(_parent(doc, p), dict)] or [("schema",)]
        path = rng.choice(dicts)
        del _parent(doc, path)[path[-1]]
        return _dump(doc)
    if kind == "extra_key":
        containers = [p for p in [()] + paths if isinstance(_get(doc, p), dict)]
        _get(doc, rng.choice(containers))[rng.choice(["extra", "script", "__class__", ""])] = \
            random_json(rng)
        return _dump(doc)
    if kind == "huge_literal":
        numbers = [p for p in paths if isinstance(_get(doc, p), (int, float))
                   and not isinstance(_get(doc, p), bool)]
        return _replaced(doc, rng.choice(numbers), rng.choice(NUMBER_LITERALS))
    if kind == "string_escape":
        strings = [p for p in paths if isinstance(_get(doc, p), str)]
        return _replaced(doc, rng.choice(strings), rng.choice(STRING_LITERALS))
    if kind == "deep_nesting":
        depth = rng.choice([10, 100, 5000, 200_000])
        path = rng.choice(paths)
        return _replaced(doc, path, "[" * depth + "1" + "]" * depth)
    if kind == "schema":
        doc["schema"] = rng.choice([0, 2, 99, -1, 1.0, "1", None, True, 10 ** 30])
        return _dump(doc)
    if kind == "bad_utf8":
        index = rng.randrange(len(data))
        return data[:index] + rng.choice([b"\xff", b"\xc3", b"\xed\xa0\x80", b"\x80\x80"]) + \
            data[index:]
    if kind == "bom":
        return rng.choice([b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff"]) + data
    if kind == "empty":
        return rng.choice([b"", b" ", b"\n", b"null", b"[]", b"{}", b"0", b'"x"'])
    if kind == "random_json":
        return _dump(random_json(rng))
    if kind == "duplicate_key":
        return data.replace(b'"schema": 1', b'"schema": 1, "schema": 1', 1)
    raise ValueError(f"unknown mutation {kind!r}")


def _replaced(doc, path, literal):
    """The document's JSON with the value at `path` written as the raw text `literal`."""
    marker = "\u2063MARK\u2063"
    _parent(doc, path)[path[-1]] = marker
    return _dump(doc).replace(json.dumps(marker, ensure_ascii=False).encode("utf-8"),
                              literal.encode("ascii"))


def _get(doc, path):
    for key in path:
        doc = doc[key]
    return doc


def random_project_case(rng, texts):
    """(label, bytes) of one randomly broken preset."""
    name = rng.choice(sorted(texts))
    kind = rng.choice(MUTATIONS)
    return f"{name}:{kind}", mutate(texts[name], kind, rng)


# ---- weights -------------------------------------------------------------------------------
WEIGHT_MUTATIONS = ["shape", "rename", "missing", "extra", "dtype_complex", "dtype_str",
                    "object", "not_zip", "truncated", "empty_zip", "npy", "scalar", "huge",
                    "corrupt", "lying_header", "raw_member"]


def bad_weights(state, kind, rng):
    """The bytes of a .npz for `state` (name -> array) broken in the way `kind` names."""
    arrays = {k: np.asarray(v) for k, v in state.items()}
    name = rng.choice(sorted(arrays))
    pickle = False
    if kind == "shape":
        arrays[name] = np.zeros(arrays[name].shape + (2,), np.float32)
    elif kind == "rename":
        arrays["7." + name] = arrays.pop(name)
    elif kind == "missing":
        del arrays[name]
    elif kind == "extra":
        arrays["extra.weight"] = np.ones(3, np.float32)
    elif kind == "dtype_complex":
        arrays[name] = arrays[name].astype(np.complex64)
    elif kind == "dtype_str":
        arrays[name] = np.full(arrays[name].shape, "w")
    elif kind == "object":
        arrays[name] = np.array([{"a": 1}, None], dtype=object)
        pickle = True
    elif kind == "scalar":
        arrays[name] = np.float32(1.0)
    elif kind == "huge":
        arrays[name] = np.zeros(4_000_000, np.float32)
    buffer = io.BytesIO()
    if kind == "npy":
        np.save(buffer, arrays[name])
    elif kind == "corrupt":  # deflated members with damaged bytes in the middle
        np.savez_compressed(buffer, **arrays)
    else:
        np.savez(buffer, allow_pickle=pickle, **arrays) if pickle else np.savez(buffer, **arrays)
    data = buffer.getvalue()
    if kind == "not_zip":
        return b"this is not a zip archive at all" * rng.randint(0, 4)
    if kind == "truncated":
        return data[:rng.randrange(len(data))]
    if kind == "corrupt":
        middle = len(data) // 2
        return data[:middle] + bytes(rng.randrange(256) for _ in range(16)) + data[middle + 16:]
    if kind in ("empty_zip", "lying_header", "raw_member"):
        return _handmade_npz(kind, name)
    return data


def _handmade_npz(kind, name):
    """An archive with no member, a member whose .npy header promises an array far larger
    than its data, or a member that is not a .npy at all."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        if kind == "lying_header":
            with archive.open(f"{name}.npy", "w") as member:
                np.lib.format.write_array_header_1_0(
                    member, {"descr": "<f4", "fortran_order": False, "shape": (300000, 300000)})
                member.write(bytes(64))
        elif kind == "raw_member":
            archive.writestr(name, b"not an array")
    return buffer.getvalue()


# ---- running one case ----------------------------------------------------------------------
def run_case(data, directory, weights=None):
    """Write `data` (and `weights` bytes, if any) as a project in `directory`, load it, and
    when it loads, build it and load the weights. ("ok" | "error" | "crash", message).
    A mutated model script is validated, not run: building runs it (only a user's Run does)."""
    directory = Path(directory)
    path = directory / "case.json"
    path.write_bytes(data)
    npz = path.with_suffix(".npz")
    npz.unlink(missing_ok=True)
    if weights is not None:
        npz.write_bytes(weights)
    try:
        project = load_project(path)
        if loads(dumps(project)) != project:
            return "crash", "saving and loading the project again changes it"
        if getattr(project.network, "script", "") and weights is None:
            validate(project)
            return "ok", ""
        built = build(project)
        if weights is not None:
            load_weights(npz, built.model, path)
        return "ok", ""
    except (ProjectError, BuildError) as exc:
        message = str(exc)
        if not message.strip():
            return "crash", f"{type(exc).__name__} without a message"
        return "error", message
    except Exception:  # noqa: BLE001 - anything else is the crash this test looks for
        return "crash", traceback.format_exc()


def saved_preset(name, directory):
    """(project bytes, weights state) of preset `name` saved with its initial weights."""
    path = Path(directory) / f"{name}.json"
    project = load_project(PRESETS / f"{name}.json")
    state = build(project).model.state_dict()
    save_project(path, project, state)
    return path.read_bytes(), state


def error_kind(message):
    """A message reduced to its kind: the file name dropped, numbers and quoted names
    replaced, the first words kept."""
    text = message.split(": ", 1)[1] if ": " in message else message
    for pattern in ("'", '"'):
        parts = text.split(pattern)
        text = pattern.join(p if i % 2 == 0 else "_" for i, p in enumerate(parts))
    words = ["#" if NUMBER.fullmatch(w) else w for w in text.split()]
    return " ".join(words[:6])
