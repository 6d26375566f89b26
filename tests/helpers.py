"""Test data made with real encoders: cv2 for images, zipfile for archives."""

from __future__ import annotations

import hashlib
import os
import sqlite3
from pathlib import Path

import cv2
import numpy as np

from ydc_cli.persistence import Annotation, Sample


def make_image(width: int = 64, height: int = 48, seed: int = 0) -> np.ndarray:
    """A BGR image with a coloured rectangle, different for each seed."""
    rng = np.random.default_rng(seed)
    image = np.full((height, width, 3), rng.integers(0, 255, 3), dtype=np.uint8)
    x0, y0 = int(rng.integers(0, width // 2)), int(rng.integers(0, height // 2))
    image[y0:y0 + height // 3, x0:x0 + width // 3] = rng.integers(0, 255, 3)
    return image


def encode(image: np.ndarray, ext: str = ".jpg") -> bytes:
    ok, buffer = cv2.imencode(ext, image)
    assert ok
    return buffer.tobytes()


def jpeg(width: int = 64, height: int = 48, seed: int = 0) -> bytes:
    return encode(make_image(width, height, seed), ".jpg")


def png(width: int = 64, height: int = 48, seed: int = 0) -> bytes:
    return encode(make_image(width, height, seed), ".png")


def box(class_id: int = 0, x: float = 0.5, y: float = 0.5, w: float = 0.25, h: float = 0.5) -> Annotation:
    return Annotation(class_id, x, y, w, h)


def sample(filename: str, split: str = "train", seed: int = 0, annotations=None) -> Sample:
    data = png(seed=seed) if filename.endswith(".png") else jpeg(seed=seed)
    return Sample(filename, split, data, annotations)


def checkpoint(path: Path, payload: bytes = b"") -> Path:
    """A file shaped as ``torch.save`` writes one (a zip with ``<stem>/data.pkl``), made without torch.

    The registry only checks that shape; the pickle inside is never loaded, so ``payload``
    can be anything (tests tell copies apart by it).
    """
    import zipfile

    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr(f"{path.stem}/data.pkl", b"\x80\x02}q\x00." + payload)
        archive.writestr(f"{path.stem}/version", b"3\n")
        archive.writestr(f"{path.stem}/data/0", bytes(range(256)))
    return path


def tree_snapshot(root: Path) -> dict[str, str]:
    """Every file under ``root`` with its sha256."""
    snapshot = {}
    for dirpath, _, files in os.walk(root):
        for name in files:
            if name.endswith(".lock") or name.startswith("ydc.db"):
                continue  # lock files hold no data; the database is compared by its dump
            path = Path(dirpath) / name
            snapshot[str(path.relative_to(root))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return snapshot


def db_snapshot(db_path: Path) -> list[str]:
    """The database's content as SQL (``iterdump``), read through a fresh connection."""
    if not db_path.exists():
        return []
    try:
        conn = sqlite3.connect(db_path)
        dump = list(conn.iterdump())
    except sqlite3.OperationalError:
        # A store made read-only (chattr +i) cannot take the -wal/-shm files: read it as immutable.
        conn = sqlite3.connect(f"file:{db_path}?mode=ro&immutable=1", uri=True)
        dump = list(conn.iterdump())
    conn.close()
    return dump


def shapes_dataset(folder: Path, task: str = "detect", train: int = 6, val: int = 2, size: int = 96,
                   seed: int = 0) -> Path:
    """examples/make_shapes.py: a YOLO folder of circles and squares (triangles for pose) for ``task``."""
    import subprocess
    import sys

    script = Path(__file__).resolve().parents[1] / "examples" / "make_shapes.py"
    subprocess.run([sys.executable, str(script), str(folder), "--task", task, "--train", str(train), "--val",
                    str(val), "--size", str(size), "--seed", str(seed)], check=True, capture_output=True)
    return folder


def label_lines(folder: Path) -> dict[str, list[list[float]]]:
    """Every label file under ``folder`` by ``split/stem``: its rows as floats."""
    found = {}
    for path in sorted(folder.rglob("*.txt")):
        if path.parent.parent.name == "labels":
            rows = [[float(v) for v in line.split()] for line in path.read_text().splitlines() if line.strip()]
            found[f"{path.parent.name}/{path.stem}"] = rows
    return found
