"""Which format a path is, without --format: every format's own files are taken for it and no other."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from tests.formats.common import CLASSES, datumaro_items, imported, write_images
from tests.helpers import jpeg
from tests.oracles import datumaro_write

LABELME = Path(__file__).resolve().parents[1] / "fixtures" / "labelme"


def test_each_export_is_detected_as_its_format(ydc, tmp_path):
    paths = write_images(tmp_path / "src")
    imported(ydc, datumaro_write("coco_instances", tmp_path / "coco", CLASSES, datumaro_items(paths)), "--name", "d")
    for fmt in ("cvat", "labelstudio", "coco", "voc", "yolo"):
        out = Path(json.loads(ydc("--json", "datasets", "export", "d", "--format", fmt, "--output",
                                  tmp_path / "out").stdout)["path"])
        report = imported(ydc, out, "--name", f"back-{fmt}")
        assert (report["format"], report["images"]) == (fmt, 4), fmt
    assert imported(ydc, tmp_path / "coco", "--name", "dm-coco")["format"] == "coco"
    labelme = tmp_path / "labelme"
    labelme.mkdir()
    for source in LABELME.glob("*.json"):
        shutil.copy(source, labelme / source.name)
        document = json.loads(source.read_text())
        (labelme / document["imagePath"]).write_bytes(jpeg(document["imageWidth"], document["imageHeight"]))
    assert imported(ydc, labelme)["format"] == "labelme"


def test_unknown_and_unsuitable_formats_are_refused(ydc, tmp_path):
    flat = tmp_path / "flat"
    flat.mkdir()
    (flat / "x.jpg").write_bytes(jpeg())
    for fmt, message in (("cvat", "no CVAT annotations XML"), ("labelme", "no LabelMe .json files"),
                         ("labelstudio", "no Label Studio JSON export")):
        refused = ydc("datasets", "import", flat, "--format", fmt)
        assert refused.exit_code == 5 and refused.stderr.startswith(f"Error: {message}"), refused.stderr
    unknown = ydc("datasets", "import", flat, "--format", "nope")
    assert unknown.exit_code == 2 and "unknown import format 'nope': use zip, yolo, " in unknown.stderr
    listing = ydc("datasets", "import", "--help").stdout
    for name in ("zip", "yolo", "darknet", "voc", "cvat", "coco", "labelstudio", "labelme"):
        assert name in listing
    assert json.loads(ydc("--json", "datasets", "list").stdout) == []
