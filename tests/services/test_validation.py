"""The validator: one file per defect kind, ultralytics as an oracle, --fix, every backend."""

from __future__ import annotations

import hashlib
import shutil
import struct

import pytest

from tests.backends import BACKENDS
from tests.contract.conftest import make_stores
from tests.helpers import box, jpeg, png, sample
from ydc_cli.persistence import Annotation
from ydc_cli.services.validation import validate_dataset


def exif_rotated_jpeg(orientation: int = 6, seed: int = 0) -> bytes:
    """A real JPEG with an EXIF APP1 segment holding one orientation tag."""
    tiff = b"II*\x00" + struct.pack("<I", 8) + struct.pack("<H", 1)
    tiff += struct.pack("<HHIHH", 0x0112, 3, 1, orientation, 0) + struct.pack("<I", 0)
    payload = b"Exif\x00\x00" + tiff
    data = jpeg(64, 32, seed)
    return data[:2] + b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload + data[2:]


# file name -> (image bytes, label text or None, expected (line, code, severity) findings)
DEFECTS = {
    "good.jpg": (jpeg(seed=1), "0 0.5 0.5 0.2 0.2\n", []),
    "columns.jpg": (jpeg(seed=2), "0 0.5 0.5 0.1\n", [(1, "columns", "error")]),
    "polygon.jpg": (jpeg(seed=3), "0 0.1 0.1 0.2 0.1 0.2 0.2 0.1 0.2\n", [(1, "columns", "error")]),
    "letters.jpg": (jpeg(seed=4), "0 0.5 0.5 0.1 0.1\ncat 0.5 0.5 0.1 0.1\n", [(2, "not_numeric", "error")]),
    "nan.jpg": (jpeg(seed=5), "0 nan 0.5 0.1 0.1\n", [(1, "not_finite", "error")]),
    "float_class.jpg": (jpeg(seed=6), "0.5 0.5 0.5 0.1 0.1\n", [(1, "class_not_integer", "error")]),
    "negative_class.jpg": (jpeg(seed=7), "-1 0.5 0.5 0.1 0.1\n", [(1, "class_negative", "error")]),
    "class_range.jpg": (jpeg(seed=8), "2 0.5 0.5 0.1 0.1\n", [(1, "class_range", "error")]),
    "coordinates.jpg": (jpeg(seed=9), "0 1.5 0.5 0.1 0.1\n", [(1, "coordinate_range", "error"),
                                                              (1, "extent", "warning")]),
    "tolerance.jpg": (jpeg(seed=10), "0 1.005 0.5 0.01 0.1\n", [(1, "coordinate_tolerance", "warning"),
                                                                (1, "extent", "warning")]),
    "zero.jpg": (jpeg(seed=11), "0 0.5 0.5 0 0.1\n1 0.5 0.5 0.2 0.2\n", [(1, "zero_size", "error")]),
    "extent.jpg": (jpeg(seed=12), "0 0.95 0.5 0.2 0.2\n", [(1, "extent", "warning")]),
    "dup_rows.jpg": (jpeg(seed=13), "0 0.5 0.5 0.2 0.2\n0 0.5 0.5 0.2 0.2\n", [(2, "duplicate_row", "warning")]),
    "tiny.png": (png(8, 8, seed=14), None, [(0, "image_size", "error")]),
    "truncated.jpg": (jpeg(seed=15)[:400], None, [(0, "image", "error")]),
    "text.jpg": (b"this is not an image", None, [(0, "image", "error")]),
    "mislabeled.png": (jpeg(seed=16), None, [(0, "image", "error")]),
    "rotated.jpg": (exif_rotated_jpeg(6, seed=17), None, [(0, "exif_rotation", "warning")]),
    "trailer.jpg": (jpeg(seed=18) + b"trailing bytes", None, [(0, "jpeg_trailer", "warning")]),
    "twin.jpg": (jpeg(seed=19), None, [(0, "same_stem", "warning")]),
    "twin.png": (png(seed=20), None, [(0, "same_stem", "warning")]),
    "copy_a.jpg": (jpeg(seed=21), None, [(0, "duplicate_image", "warning")]),
    "copy_b.jpg": (jpeg(seed=21), None, [(0, "duplicate_image", "warning")]),
    "leak.jpg": (jpeg(seed=22), None, [(0, "leakage", "error")]),
    "background.jpg": (jpeg(seed=23), "", []),
}


@pytest.fixture
async def defects(tmp_path):
    """A filesystem dataset holding one file per defect kind, written as raw files."""
    stores = make_stores("filesystem", tmp_path)
    await stores.dataset.create("d", ["a", "b"])
    root = tmp_path / "datasets" / "d"
    for filename, (data, label, _) in DEFECTS.items():
        (root / "images" / "train" / filename).write_bytes(data)
        if label is not None:
            (root / "labels" / "train" / (filename.rsplit(".", 1)[0] + ".txt")).write_text(label)
    (root / "images" / "val" / "leak.jpg").write_bytes(jpeg(seed=22))
    (root / "labels" / "train" / "ghost.txt").write_text("0 0.5 0.5 0.1 0.1\n")
    return stores, root


def _label_of(filename):
    return filename.rsplit(".", 1)[0] + ".txt"


async def test_every_defect_is_reported_with_file_and_line(defects):
    stores, _ = defects
    report = await validate_dataset(stores, "d")
    found = {(f.split, f.file, f.line, f.code, f.severity) for f in report.findings}
    for filename, (_, _, expected) in DEFECTS.items():
        for line, code, severity in expected:
            file = _label_of(filename) if line or code in {"extent", "coordinate_tolerance"} else filename
            assert ("train", file, line, code, severity) in found, (filename, code)
    assert ("val", "leak.jpg", 0, "leakage", "error") in found
    assert ("train", "ghost.txt", 0, "orphan_label", "warning") in found
    assert not [f for f in report.findings if f.file in {"good.jpg", "good.txt", "background.jpg"}]
    assert report.images == len(DEFECTS) + 1
    assert report.backgrounds_empty_label == 1
    assert report.backgrounds_missing_label == sum(1 for _, label, _ in DEFECTS.values() if label is None) + 1
    assert report.errors == sum(1 for f in report.findings if f.severity == "error") > 0


@pytest.mark.slow
async def test_every_file_ultralytics_rejects_is_an_error(defects, tmp_path):
    pytest.importorskip("ultralytics", reason="the train extra is part of `make test`")
    from ultralytics.data.utils import verify_image_label

    stores, root = defects
    report = await validate_dataset(stores, "d")
    errors = {(f.split, f.file) for f in report.findings if f.severity == "error"}
    scratch = tmp_path / "oracle"  # ultralytics re-saves some JPEGs in place: give it a copy
    shutil.copytree(root, scratch)
    rejected = []
    for split in ("train", "val"):
        for image in sorted((scratch / "images" / split).iterdir()):
            label = scratch / "labels" / split / _label_of(image.name)
            result = verify_image_label((str(image), str(label), "", False, 2, 0, 0, False))
            if result[8]:  # ultralytics' corrupt count: the file is dropped from training
                rejected.append((split, image.name))
                assert (split, image.name) in errors or (split, label.name) in errors, result[9]
    assert len(rejected) >= 10  # the oracle saw enough bad files to mean something


async def test_validate_is_read_only_and_fix_repairs_labels_only(defects):
    stores, root = defects
    images_before = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in root.glob("images/*/*")}
    labels_before = {p.name: p.read_bytes() for p in root.glob("labels/*/*")}
    await validate_dataset(stores, "d")
    assert {p.name: p.read_bytes() for p in root.glob("labels/*/*")} == labels_before
    report = await validate_dataset(stores, "d", fix=True)
    assert report.fixed_labels == 5  # zero, extent, dup_rows, tolerance, coordinates
    assert (root / "labels" / "train" / "zero.txt").read_text() == "1 0.500000 0.500000 0.200000 0.200000\n"
    assert (root / "labels" / "train" / "extent.txt").read_text() == "0 0.925000 0.500000 0.150000 0.200000\n"
    assert (root / "labels" / "train" / "dup_rows.txt").read_text() == "0 0.500000 0.500000 0.200000 0.200000\n"
    assert (root / "labels" / "train" / "columns.txt").read_bytes() == labels_before["columns.txt"]
    assert {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in root.glob("images/*/*")} == images_before
    codes = {f.code for f in report.findings}
    assert not codes & {"zero_size", "extent", "duplicate_row", "coordinate_tolerance", "coordinate_range"}
    assert "columns" in codes


@pytest.mark.parametrize("backend", BACKENDS)
async def test_findings_on_each_backend(tmp_path, backend):
    stores = make_stores(backend, tmp_path)
    await stores.dataset.create("d", ["a", "b"])
    await stores.dataset.add_samples("d", [
        sample("ok.jpg", "train", 1, [box(0)]),
        sample("extent.jpg", "train", 2, [Annotation(0, 0.95, 0.5, 0.2, 0.2), Annotation(0, 0.95, 0.5, 0.2, 0.2)]),
        sample("twin.jpg", "val", 3, None), sample("twin.png", "val", 4, []),
        sample("leak.jpg", "train", 5, None), sample("leak.jpg", "test", 5, None),
    ])
    await stores.image.save_bytes("d", "train", "tiny.png", png(9, 30, seed=6))
    await stores.image.save_bytes("d", "train", "rotated.jpg", exif_rotated_jpeg(8, seed=7))
    await stores.label.save("d", "val", "ghost.jpg", [box(1)])
    report = await validate_dataset(stores, "d")
    found = {(f.split, f.file, f.line, f.code) for f in report.findings}
    assert {("train", "extent.txt", 1, "extent"), ("train", "extent.txt", 2, "duplicate_row"),
            ("val", "twin.jpg", 0, "same_stem"), ("train", "leak.jpg", 0, "leakage"),
            ("test", "leak.jpg", 0, "leakage"), ("train", "tiny.png", 0, "image_size"),
            ("train", "rotated.jpg", 0, "exif_rotation"), ("val", "ghost.txt", 0, "orphan_label")} <= found
    assert report.errors == 3
    fixed = await validate_dataset(stores, "d", fix=True)
    assert fixed.fixed_labels == 1
    assert await stores.label.load("d", "train", "extent.jpg") == [Annotation(0, 0.925, 0.5, 0.15, 0.2)]
    only_val = await validate_dataset(stores, "d", split="val")
    assert {f.split for f in only_val.findings} == {"val"}
    stores.close()
