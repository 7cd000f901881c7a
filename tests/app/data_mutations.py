"""Generators of broken data files, shared by the CI fuzz test (tests/engine/test_data_fuzz.py)
and benchmarks/fuzz_projects.py: CSV, NPZ and IDX files (gzip or not), good ones mutated at
random (cut, flipped bytes, lying headers, bombs, odd cells), each paired with a project that
reads it. `run_data_case` loads the project, builds it and trains a few steps: anything but a
clear error (ProjectError, BuildError, DataError) is a crash."""
import gzip
import io
import struct
import traceback
import zipfile
import zlib
from pathlib import Path

import numpy as np

from app.project.build import BuildError, build
from app.project.files import ProjectError, load_project, save_project
from app.project.specs import DatasetSpec, LayerSpec, NetworkSpec, Project
from engine.data import DataError

KINDS = ["csv", "npz", "idx"]
MUTATIONS = ["none", "truncate", "flip", "append", "bomb", "lying_header", "odd_cells"]
TRAIN_STEPS = 3


def _csv_bytes(rng, rows=30):
    """A CSV of two features and a label (three names, or 0/1)."""
    labels = ["cat", "dog", "emu"] if rng.random() < 0.5 else None
    lines = ["a,b,label"] if rng.random() < 0.5 else []
    for i in range(rows):
        label = labels[i % 3] if labels else str(i % 2)
        lines.append(f"{rng.uniform(-3, 3):.3f},{rng.uniform(-3, 3):.3f},{label}")
    return ("\n".join(lines) + "\n").encode()


def _npy(array):
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


def _npz_bytes(rng, rows=30, members=None):
    members = members or {"x.npy": _npy(np.asarray([[rng.random(), rng.random()]
                                                    for _ in range(rows)], np.float32)),
                          "y.npy": _npy(np.arange(rows) % 2)}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _idx(array, code=0x08):
    header = bytes([0, 0, code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(">u1").tobytes()


def _mutate(data, kind, rng, file_kind):
    """`data` broken in the way `kind` names (bytes)."""
    if kind == "truncate":
        return data[:rng.randrange(len(data))]
    if kind == "flip":
        data = bytearray(data)
        for _ in range(rng.randint(1, 8)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        return bytes(data)
    if kind == "append":
        return data + bytes(rng.randrange(256) for _ in range(rng.randint(1, 64)))
    if kind == "bomb":  # small on disk, huge once decompressed
        if file_kind == "npz":
            return _npz_bytes(rng, members={"x.npy": _npy(np.zeros((2_000_000, 2))),
                                            "y.npy": _npy(np.zeros(2_000_000))})
        if file_kind == "csv":  # a CSV of 16 MiB of one cell
            return data + b"1" * (1 << 24)
        compressor = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
        return compressor.compress(data) + compressor.compress(bytes(1 << 24)) + \
            compressor.flush()
    if kind == "lying_header":
        if file_kind == "idx":
            return data[:4] + struct.pack(">I", rng.choice([0, 2 ** 32 - 1, 10 ** 6])) + data[8:]
        if file_kind == "npz":
            header = _npy(np.zeros(10))[:128].replace(b"(10,)", b"(99999999999,)", 1)
            return _npz_bytes(rng, members={"x.npy": header, "y.npy": _npy(np.zeros(10))})
        return b"x" * rng.randint(0, 3) + data
    if kind == "odd_cells" and file_kind == "csv":
        cells = [b"nan", b"inf", b"", b'"', b"1e999", b"\x00", "\u00e9".encode(), b"\xff"]
        lines = data.split(b"\n")
        line = rng.randrange(len(lines))
        lines[line] += b"," + rng.choice(cells) if rng.random() < 0.5 else b""
        lines.insert(line, rng.choice(cells))
        return b"\n".join(lines)
    return data


def data_case(rng, directory):
    """(label, project): a data file written into `directory` (good or broken) and a small
    project that reads it."""
    directory = Path(directory)
    file_kind, kind = rng.choice(KINDS), rng.choice(MUTATIONS)
    if file_kind == "csv":
        data, params, name = _csv_bytes(rng), {}, "csv"
        classes = 3 if b"cat" in data else 2
    elif file_kind == "npz":
        data, params, name, classes = _npz_bytes(rng), {}, "npz", 2
    else:
        images = np.asarray([[[rng.randrange(256) for _ in range(4)] for _ in range(4)]
                             for _ in range(20)])
        data, name, classes = _idx(images), "mnist_idx", 3
        labels = directory / "labels.idx"
        labels.write_bytes(_idx(np.arange(20) % 3))
        params = {"labels_path": str(labels)}
    if file_kind == "idx" and rng.random() < 0.5 and kind != "bomb":
        data = gzip.compress(data)
    data = _mutate(data, kind, rng, file_kind)
    path = directory / f"data.{file_kind}"
    path.write_bytes(data)
    key = "images_path" if file_kind == "idx" else "path"
    project = Project(name="fuzz", dataset=DatasetSpec(name, {key: str(path), **params}),
                      network=NetworkSpec(_layers(file_kind, classes)))
    project.train.loss, project.train.batch_size = "CrossEntropyLoss", 8
    return f"{file_kind}:{kind}", project


def _layers(file_kind, classes):
    flatten = [LayerSpec("Flatten")] if file_kind == "idx" else []
    return flatten + [LayerSpec("Linear", {"out_features": 8}), LayerSpec("ReLU"),
                      LayerSpec("Linear", {"out_features": classes})]


def run_data_case(project, directory, steps=TRAIN_STEPS):
    """Save and load `project`, build it and train `steps` iterations: ("ok" | "error" |
    "crash", message)."""
    path = Path(directory) / "case.json"
    try:
        save_project(path, project)
        built = build(load_project(path))
        for _, (x, y) in zip(range(steps), built.data):
            loss = built.loss_fn(built.model(x), y)
            built.optimizer.zero_grad()
            loss.backward()
            built.optimizer.step()
        return "ok", ""
    except (ProjectError, BuildError, DataError) as exc:
        message = str(exc)
        return ("error", message) if message.strip() else ("crash", "an empty message")
    except Exception:  # noqa: BLE001 - anything else is the crash the fuzz looks for
        return "crash", traceback.format_exc()
