"""CVAT for images 1.1, judged by Datumaro both ways (every backend, through the CLI).

Datumaro's ``cvat`` exporter writes a task per subset (``<subset>.xml`` beside ``images/``,
boxes to 2 decimals, polygons, points, polylines, rotated and ``outside`` boxes too); ydc
imports its boxes exactly and counts the rest. ydc's export has CVAT's project layout
(``annotations.xml`` with ``<subsets>`` and a task per split, ``images/<subset>/``), which
Datumaro reads back box for box.

CVAT itself is a server and cannot run here: the project and task exports below are
hand-written after CVAT's own exporter (``cvat/apps/dataset_manager/formats/cvat.py`` and
``bindings.py``: ``subset`` and ``task_id`` on each image of a project, ``<tasks><task>`` with
``<id>`` and ``<subset>``, ``<subsets>``, images under ``images/<subset>/``), and Datumaro reads
the same files to agree with ydc on them.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.formats.common import (
    CLASSES,
    ITEMS,
    assert_same,
    datumaro_boxes,
    datumaro_items,
    expected_boxes,
    imported,
    sizes,
    stored_boxes,
    write_images,
)
from tests.helpers import jpeg
from tests.oracles import datumaro_read, datumaro_write


def _stored(ydc, tmp_path) -> str:
    paths = write_images(tmp_path / "src")
    written = datumaro_write("coco_instances", tmp_path / "seed", CLASSES, datumaro_items(paths))
    imported(ydc, written, "--name", "d")
    return "d"


def _boxes(ydc, dataset: str, split: str, filename: str) -> list[tuple]:
    return [(b["class_id"], b["x"], b["y"], b["width"], b["height"]) for b in
            json.loads(ydc("--json", "labels", "show", dataset, split, filename).stdout)]


def test_datumaro_cvat_imports_box_for_box(ydc, tmp_path):
    paths = write_images(tmp_path / "src")
    written = datumaro_write("cvat", tmp_path / "dm-cvat", CLASSES, datumaro_items(paths))
    assert sorted(p.name for p in written.iterdir()) == ["images", "train.xml", "val.xml"]
    result = ydc("datasets", "import", written)
    assert result.exit_code == 0, result.stderr
    assert result.stderr.startswith(f"Imported dm-cvat from CVAT for images 1.1 at {written}: 4 images, 3 labeled, "
                                    "1 background"), result.stderr
    report = imported(ydc, written, "--name", "again")
    assert (report["format"], report["dataset"]["classes"]) == ("cvat", CLASSES)
    assert report["dataset"]["num_images"] == {"train": 2, "val": 2, "test": 0}
    assert (report["notes"], report["skipped"]) == ([], [])
    assert_same(stored_boxes(ydc, "dm-cvat"), expected_boxes())
    one = imported(ydc, written / "val.xml", "--name", "one")  # a single file: its split from its name
    assert one["dataset"]["num_images"] == {"train": 0, "val": 2, "test": 0}
    assert_same(stored_boxes(ydc, "one"), expected_boxes(split="val"))


def test_datumaro_shapes_other_than_boxes_are_counted_not_imported(ydc, tmp_path):
    paths = write_images(tmp_path / "src")
    items = datumaro_items(paths)
    items[0]["shapes"] = [["polygon", "cat", [1, 1, 10, 1, 10, 10]], ["points", "dog", [3, 3, 5, 5]],
                          ["polyline", "cat", [0, 0, 5, 5]], ["rotated", "dog", [30, 20, 10, 8, 30]]]
    items[1]["boxes"].append(["cat", 2, 2, 10, 10, {"outside": True}])
    items[3]["shapes"] = [["polygon", "dog", [1, 1, 20, 1, 20, 20]]]  # d.jpg: a polygon and no box
    written = datumaro_write("cvat", tmp_path / "shapes", CLASSES, items)
    result = ydc("--json", "datasets", "import", written)
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["notes"] == ["1 points shape not imported (boxes only)", "2 polygon shapes not imported (boxes only)",
                               "1 polyline shape not imported (boxes only)", "1 rotated box not imported",
                               "1 image with only such shapes stored unlabelled, not as background"]
    assert report["skipped"] == [["b.jpg shape 2", "box marked outside (out of view)"]]
    assert_same(stored_boxes(ydc, "shapes", ITEMS), expected_boxes())
    listed = {row["filename"]: row["labels"] for row in json.loads(ydc("--json", "images", "list", "shapes").stdout)}
    assert listed["d.jpg"] == "none" and listed["a.jpg"] == "boxes"


def test_cvat_export_is_read_back_by_datumaro_and_ydc(ydc, tmp_path):
    name = _stored(ydc, tmp_path)
    folder = Path(json.loads(ydc("--json", "datasets", "export", name, "--format", "cvat", "--output",
                                 tmp_path / "out").stdout)["path"])
    assert folder.name == "d-cvat" and sorted(p.name for p in folder.iterdir()) == ["annotations.xml", "images"]
    assert sorted(str(p.relative_to(folder)) for p in (folder / "images").rglob("*.jpg")) == [
        "images/train/a.jpg", "images/train/b.jpg", "images/val/c.jpg", "images/val/d.jpg"]
    text = (folder / "annotations.xml").read_text()
    assert "<subsets>train\nval</subsets>" in text  # CVAT's importer finds images/<subset>/ through it
    assert 'name="c.jpg" subset="val" task_id="2" width="96" height="72"' in text
    judged = datumaro_read("cvat", folder)
    assert judged["classes"] == CLASSES
    assert_same(datumaro_boxes(judged), expected_boxes(), sizes())
    assert sorted((item["subset"], item["id"], item["width"], item["height"]) for item in judged["items"]) == [
        ("train", "a", 64, 48), ("train", "b", 80, 60), ("val", "c", 96, 72), ("val", "d", 64, 48)]
    back = imported(ydc, folder, "--name", "back")
    assert back["dataset"]["num_images"] == {"train": 2, "val": 2, "test": 0}
    assert (back["labeled"], back["backgrounds"], back["dataset"]["classes"]) == (3, 1, CLASSES)
    assert_same(stored_boxes(ydc, "back"), expected_boxes())


PROJECT = """<?xml version="1.0" encoding="utf-8"?>
<annotations>
  <version>1.1</version>
  <meta>
    <project>
      <id>7</id>
      <name>street</name>
      <tasks>
        <task><id>11</id><name>part 1</name><size>2</size><mode>annotation</mode><subset>Train</subset></task>
        <task><id>12</id><name>part 2</name><size>1</size><mode>annotation</mode><subset>Validation</subset></task>
      </tasks>
      <subsets>Train
Validation</subsets>
      <labels>
        <label><name>traffic light</name><color>#ff0000</color><type>rectangle</type><attributes></attributes></label>
        <label><name>car</name><color>#00ff00</color><type>any</type><attributes>
          <attribute><name>name</name><mutable>False</mutable><input_type>text</input_type></attribute>
        </attributes></label>
        <label><name>person</name><color>#0000ff</color><type>skeleton</type><attributes></attributes></label>
        <label><name>head</name><color>#0000ff</color><type>points</type><attributes></attributes>
          <parent>person</parent></label>
      </labels>
    </project>
    <dumped>2024-05-01 10:00:00.000000+00:00</dumped>
  </meta>
  <image id="0" name="street/a.jpg" subset="Train" task_id="11" width="120" height="80">
    <box label="car" source="manual" occluded="1" xtl="10.25" ytl="20.50" xbr="60.75" ybr="80.00" z_order="0">
      <attribute name="name">mine</attribute>
    </box>
    <tag label="car" source="manual"></tag>
  </image>
  <image id="1" name="b.jpg" subset="Train" task_id="11" width="90" height="60">
  </image>
  <image id="2" name="c.jpg" subset="Validation" task_id="12" width="100" height="100">
    <box label="traffic light" source="auto" occluded="0" xtl="0.00" ytl="0.00" xbr="30.00" ybr="45.00" z_order="1">
    </box>
    <box label="car" source="manual" occluded="0" xtl="50.00" ytl="50.00" xbr="100.00" ybr="90.00" z_order="0">
    </box>
  </image>
</annotations>
"""


def _project(folder: Path, text: str = PROJECT) -> Path:
    for relative, (width, height) in {"Train/street/a.jpg": (120, 80), "Train/b.jpg": (90, 60),
                                      "Validation/c.jpg": (100, 100)}.items():
        (folder / "images" / relative).parent.mkdir(parents=True, exist_ok=True)
        (folder / "images" / relative).write_bytes(jpeg(width, height, seed=width))
    (folder / "annotations.xml").write_text(text)
    return folder


PROJECT_BOXES = {"a.jpg": [("car", 10.25, 20.5, 60.75, 80.0)], "b.jpg": [],
                 "c.jpg": [("car", 50.0, 50.0, 100.0, 90.0), ("traffic light", 0.0, 0.0, 30.0, 45.0)]}
PROJECT_SIZES = {"a.jpg": (120, 80), "b.jpg": (90, 60), "c.jpg": (100, 100)}
PROJECT_ITEMS = [(name, "", PROJECT_SIZES[name], []) for name in PROJECT_SIZES]


def test_a_cvat_project_export_imports_as_datumaro_reads_it(ydc, tmp_path):
    folder = _project(tmp_path / "street")
    report = imported(ydc, folder)
    assert report["format"] == "cvat"
    assert report["dataset"]["classes"] == ["traffic light", "car", "person"]  # <labels> order; no skeleton point
    assert report["dataset"]["num_images"] == {"train": 2, "val": 1, "test": 0}
    assert (report["labeled"], report["backgrounds"]) == (2, 1)
    assert report["notes"] == ["1 tag (labels of a whole image) not imported"]
    found = stored_boxes(ydc, "street", PROJECT_ITEMS)
    assert_same(found, PROJECT_BOXES, PROJECT_SIZES)
    judged = datumaro_read("cvat", folder)  # Datumaro reads the same file the same way
    assert sorted((item["subset"], Path(item["id"]).name) for item in judged["items"]) == [
        ("Train", "a"), ("Train", "b"), ("Validation", "c")]
    assert_same(datumaro_boxes(judged), PROJECT_BOXES, PROJECT_SIZES)


def test_the_split_from_the_task_when_the_image_has_no_subset(ydc, tmp_path):
    folder = _project(tmp_path / "project", PROJECT.replace(' subset="Validation"', ""))
    assert imported(ydc, folder)["dataset"]["num_images"] == {"train": 2, "val": 1, "test": 0}
    task = tmp_path / "task"  # CVAT's task export: <meta><task> with its subset, images/ flat
    (task / "images").mkdir(parents=True)
    (task / "images" / "x.jpg").write_bytes(jpeg(40, 30))
    (task / "annotations.xml").write_text(
        "<annotations><version>1.1</version><meta><task><id>3</id><name>t</name><subset>Test</subset><labels>"
        "<label><name>car</name></label></labels></task></meta>"
        '<image id="0" name="x.jpg" width="40" height="30"><box label="car" xtl="0" ytl="0" xbr="20" ybr="15">'
        "</box></image></annotations>")
    report = imported(ydc, task)
    assert report["dataset"]["num_images"] == {"train": 0, "val": 0, "test": 1}
    assert _boxes(ydc, "task", "test", "x.jpg") == [(0, 0.25, 0.25, 0.5, 0.5)]


def test_the_recorded_size_is_what_boxes_are_relative_to(ydc, tmp_path):
    """The XML's width and height (CVAT's, after EXIF rotation) win over the file header's."""
    (tmp_path / "t" / "images").mkdir(parents=True)
    (tmp_path / "t" / "images" / "x.jpg").write_bytes(jpeg(30, 40))
    (tmp_path / "t" / "annotations.xml").write_text(
        '<annotations><meta><task><labels><label><name>car</name></label></labels></task></meta>'
        '<image id="0" name="x.jpg" width="40" height="30"><box label="car" xtl="0" ytl="0" xbr="20" ybr="15">'
        "</box></image></annotations>")
    imported(ydc, tmp_path / "t")
    assert _boxes(ydc, "t", "train", "x.jpg") == [(0, 0.25, 0.25, 0.5, 0.5)]


@pytest.mark.parametrize("text", [
    '<?xml version="1.0"?><!DOCTYPE a [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]><annotations>&b;</annotations>',
    "<annotations><meta></meta><image id='0' name='a.jpg'></annotations>",
    "<annotations><image id='0' name='a.jpg' width='64' height='48'><box label='&x;'/></image></annotations>",
], ids=["entities", "unclosed", "undefined-entity"])
@pytest.mark.parametrize("forced", [True, False])
def test_a_hostile_or_broken_xml_is_refused_naming_it(ydc, tmp_path, text, forced):
    folder = tmp_path / "task"
    (folder / "images").mkdir(parents=True)
    (folder / "images" / "a.jpg").write_bytes(jpeg())
    (folder / "annotations.xml").write_text(text)
    result = ydc("datasets", "import", folder, *(["--format", "cvat"] if forced else []))
    assert result.exit_code == 5, result.stderr
    assert len(result.stderr.splitlines()) == 1 and result.stderr.startswith("Error: "), result.stderr
    assert str(folder / "annotations.xml") in result.stderr
    assert json.loads(ydc("--json", "datasets", "list").stdout) == []


def test_what_is_not_cvat_for_images_is_refused_naming_it(ydc, tmp_path):
    video = tmp_path / "video.xml"
    video.write_text('<annotations><version>1.1</version><meta><task><labels><label><name>car</name></label>'
                     '</labels></task></meta><track id="0" label="car"><box frame="0" xtl="1" ytl="1" xbr="5" '
                     'ybr="5" outside="0" occluded="0" keyframe="1"/></track></annotations>')
    result = ydc("datasets", "import", video)
    assert result.exit_code == 5 and result.stderr == (
        f"Error: CVAT for video (tracks, no images) is not read: export the task as CVAT for images 1.1 "
        f"({video})\n"), result.stderr
    voc = tmp_path / "a.xml"
    voc.write_text("<annotation><filename>a.jpg</filename></annotation>")
    result = ydc("datasets", "import", voc, "--format", "cvat")
    assert result.exit_code == 5 and result.stderr == (
        f"Error: not a CVAT XML: the root element is <annotation>, not <annotations> ({voc})\n"), result.stderr
    flat = tmp_path / "flat"
    flat.mkdir()
    (flat / "x.jpg").write_bytes(jpeg())
    refused = ydc("datasets", "import", flat, "--format", "cvat")
    assert refused.exit_code == 5 and refused.stderr.startswith("Error: no CVAT annotations XML"), refused.stderr
    assert json.loads(ydc("--json", "datasets", "list").stdout) == []


def test_a_missing_image_is_named_and_clashing_names_stay_apart(ydc, tmp_path):
    folder = tmp_path / "t"
    for sub in ("one", "two"):
        (folder / "images" / sub).mkdir(parents=True)
        (folder / "images" / sub / "x.jpg").write_bytes(jpeg(seed=len(sub)))
    (folder / "annotations.xml").write_text(
        '<annotations><meta><task><labels><label><name>car</name></label></labels></task></meta>'
        '<image id="0" name="one/x.jpg" width="64" height="48"></image>'
        '<image id="1" name="two/x.jpg" width="64" height="48"></image>'
        '<image id="2" name="gone.jpg" width="64" height="48"></image></annotations>')
    report = imported(ydc, folder)
    assert report["skipped"] == [["gone.jpg", "image file not found"]]
    assert sorted(row["filename"] for row in json.loads(ydc("--json", "images", "list", "t").stdout)) == [
        "x.jpg", "x__2.jpg"]
