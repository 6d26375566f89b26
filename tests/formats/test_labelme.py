"""LabelMe and Label Studio, with files their own tools wrote.

LabelMe: the example annotations shipped with labelme itself (tests/fixtures/labelme:
its JSON and the VOC that its labelme2voc.py made of them). Label Studio: tasks written
by Label Studio's converter (``convert_yolo_to_ls``), and ydc's export read back by its
``Converter``. (Darknet: tests/formats/test_darknet.py.)
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from tests.formats.common import (
    CLASSES,
    ITEMS,
    assert_same,
    datumaro_items,
    expected_boxes,
    imported,
    sizes,
    stored_boxes,
    write_images,
)
from tests.helpers import jpeg
from tests.oracles import datumaro_write, labelstudio_read, labelstudio_write

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "labelme"


def _labelme_folder(tmp_path: Path) -> tuple[Path, dict]:
    """labelme's example JSONs beside images of the sizes they record."""
    folder = tmp_path / "labelme" / "val"
    folder.mkdir(parents=True)
    documents = {}
    for index, source in enumerate(sorted(FIXTURES.glob("*.json"))):
        document = json.loads(source.read_text())
        shutil.copy(source, folder / source.name)
        (folder / document["imagePath"]).write_bytes(jpeg(document["imageWidth"], document["imageHeight"], index))
        documents[document["imagePath"]] = document
    return folder.parent, documents


def test_labelme_examples_import_box_for_box(ydc, tmp_path):
    folder, documents = _labelme_folder(tmp_path)
    report = imported(ydc, folder)
    assert (report["format"], report["dataset"]["num_images"]) == ("labelme", {"train": 0, "val": 3, "test": 0})
    classes = report["dataset"]["classes"]
    want = {name: sorted((s["label"], min(s["points"][0][0], s["points"][1][0]),
                          min(s["points"][0][1], s["points"][1][1]), max(s["points"][0][0], s["points"][1][0]),
                          max(s["points"][0][1], s["points"][1][1])) for s in document["shapes"])
            for name, document in documents.items()}
    items = [(name, "val", (d["imageWidth"], d["imageHeight"]), []) for name, d in documents.items()]
    assert sorted(classes) == sorted({s["label"] for d in documents.values() for s in d["shapes"]})
    assert_same(stored_boxes(ydc, "labelme", items), want, sizes(items))
    # labelme's own VOC conversion of the same files: the same images, classes and box counts
    voc = tmp_path / "voc"
    shutil.copytree(FIXTURES / "voc", voc / "Annotations")
    (voc / "JPEGImages").mkdir()
    for name in documents:
        shutil.copy(folder / "val" / name, voc / "JPEGImages" / name)
    converted = imported(ydc, voc, "--name", "labelme-voc")
    assert sorted(converted["dataset"]["classes"]) == sorted(classes)
    via_voc = stored_boxes(ydc, "labelme-voc", items)
    assert {n: len(b) for n, b in via_voc.items()} == {n: len(b) for n, b in want.items()}
    assert_same(via_voc, want, sizes(items), precision=2e-3)  # labelme2voc truncates to whole pixels


def test_labelme_image_data_stands_in_for_a_missing_file(ydc, tmp_path):
    import base64

    document = json.loads((FIXTURES / "2011_000003.json").read_text())
    document["imageData"] = base64.b64encode(jpeg(document["imageWidth"], document["imageHeight"])).decode()
    (tmp_path / "one.json").write_text(json.dumps(document))
    report = imported(ydc, tmp_path / "one.json", "--name", "one")
    assert report["images"] == 1 and report["labeled"] == 1
    assert len(json.loads(ydc("--json", "labels", "show", "one", "train", "2011_000003.jpg").stdout)) == 2


def _flat_yolo(folder: Path) -> dict[str, Path]:
    """ITEMS as the flat YOLO folder Label Studio's converter reads (images/, labels/, classes.txt)."""
    paths = write_images(folder / "images")
    (folder / "labels").mkdir()
    (folder / "classes.txt").write_text("\n".join(CLASSES) + "\n")
    for name, _, (width, height), boxes in ITEMS:
        lines = [f"{CLASSES.index(c)} {(x1 + x2) / 2 / width:.6f} {(y1 + y2) / 2 / height:.6f} "
                 f"{(x2 - x1) / width:.6f} {(y2 - y1) / height:.6f}" for c, x1, y1, x2, y2 in boxes]
        (folder / "labels" / f"{Path(name).stem}.txt").write_text("".join(line + "\n" for line in lines))
    return paths


def test_label_studio_tasks_written_by_its_converter_import_box_for_box(ydc, tmp_path):
    _flat_yolo(tmp_path / "project")
    tasks = labelstudio_write(tmp_path / "project", tmp_path / "project" / "tasks.json")
    report = imported(ydc, tasks, "--name", "ls")
    assert report["format"] == "labelstudio" and report["dataset"]["classes"] == CLASSES
    assert report["dataset"]["num_images"]["train"] == 4
    assert_same(stored_boxes(ydc, "ls"), expected_boxes())


def test_label_studio_export_is_read_back_by_its_converter(ydc, tmp_path):
    paths = write_images(tmp_path / "src")
    imported(ydc, datumaro_write("coco_instances", tmp_path / "seed", CLASSES, datumaro_items(paths)), "--name", "d")
    folder = Path(json.loads(ydc("--json", "datasets", "export", "d", "--format", "labelstudio", "--output",
                                 tmp_path / "out").stdout)["path"])
    assert folder.name == "d-labelstudio"
    judged = labelstudio_read(folder / "label_config.xml", folder / "tasks.json")
    found = {}
    for stem, rows in judged.items():
        name = f"{stem}.jpg"
        width, height = sizes()[name]
        found[name] = sorted((c, (x - w / 2) * width, (y - h / 2) * height, (x + w / 2) * width, (y + h / 2) * height)
                             for c, x, y, w, h in rows)
    labelled = {name: boxes for name, boxes in expected_boxes().items() if boxes}
    assert_same({n: b for n, b in found.items() if b}, labelled, sizes())
    back = imported(ydc, folder, "--name", "back")
    assert back["dataset"]["num_images"] == {"train": 2, "val": 2, "test": 0}
    assert_same(stored_boxes(ydc, "back"), expected_boxes())


def test_label_studio_upload_names_rotation_and_cancelled_annotations(ydc, tmp_path):
    (tmp_path / "media").mkdir()
    (tmp_path / "media" / "cat.jpg").write_bytes(jpeg(100, 50))
    box = {"type": "rectanglelabels", "original_width": 100, "original_height": 50,
           "value": {"x": 10, "y": 20, "width": 50, "height": 40, "rotation": 0, "rectanglelabels": ["cat"]}}
    turned = {**box, "value": {**box["value"], "rotation": 30}}
    tasks = [{"id": 1, "data": {"image": "/data/upload/3/1f2e3d4c-cat.jpg"},
              "annotations": [{"result": [box, turned], "was_cancelled": False},
                              {"result": [], "was_cancelled": True}]}]
    (tmp_path / "export.json").write_text(json.dumps(tasks))
    result = ydc("--json", "datasets", "import", tmp_path, "--name", "ls")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["notes"] == ["1 rotated box not imported"]
    boxes = json.loads(ydc("--json", "labels", "show", "ls", "train", "cat.jpg").stdout)
    assert [(b["x"], b["y"], b["width"], b["height"]) for b in boxes] == [(0.35, 0.4, 0.5, 0.4)]


def test_every_format_is_detected_and_can_be_forced(ydc, tmp_path):
    flat = tmp_path / "flat"
    flat.mkdir()
    (flat / "x.jpg").write_bytes(jpeg())
    refused = ydc("datasets", "import", flat, "--format", "cvat")
    assert refused.exit_code == 5 and refused.stderr.startswith("Error: no CVAT annotations XML")
    unknown = ydc("datasets", "import", flat, "--format", "nope")
    assert unknown.exit_code == 2 and "unknown import format 'nope': use zip, yolo, " in unknown.stderr
    listing = ydc("datasets", "import", "--help").stdout
    for name in ("zip", "yolo", "darknet", "voc", "cvat", "coco", "labelstudio", "labelme"):
        assert name in listing
