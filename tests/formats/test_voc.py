"""Pascal VOC, written and read by supervision and Datumaro (every backend, through the CLI).

What the tools do with ``bndbox`` (see formats/voc.py): supervision (Roboflow's library, which
also writes Roboflow's VOC export) writes and reads the devkit's 1-based whole pixels;
Datumaro writes 0-based decimals (``4.0``) by default and 1-based integers in its
``voc-one-based`` mode, and reads each mode as it writes it. ydc reads integers the devkit's
way and decimals as 0-based, so every one of those files imports box for box; its export
follows the devkit (decimals where needed, marked as ydc's), so supervision and Datumaro's
``voc-one-based`` mode read it exactly and ydc reads it back exactly.
"""

from __future__ import annotations

import json
import math
import re
import shutil
from pathlib import Path

import numpy as np
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
from tests.helpers import jpeg, png
from tests.oracles import datumaro_read, datumaro_write

# supervision and Datumaro's voc-one-based mode write whole pixels: these items have whole-pixel boxes
WHOLE = [(name, split, size, [(c, *map(round, corners)) for c, *corners in boxes])
         for name, split, size, boxes in ITEMS]
ONE_BASED = {"coordinate_mode": "voc-one-based"}


def _detections(items, paths):
    import supervision as sv

    return {str(paths[name]): sv.Detections(
        xyxy=np.array([b[1:] for b in boxes], dtype=float).reshape(-1, 4),
        class_id=np.array([CLASSES.index(b[0]) for b in boxes], dtype=int)) for name, _, _, boxes in items}


def _supervision_voc(folder: Path, items=WHOLE, *, images: str = "images", annotations: str = "xml") -> Path:
    """supervision writes ``items`` as VOC: images in ``folder/images``, XMLs in ``folder/annotations``."""
    import supervision as sv

    paths = write_images(folder.parent / f"{folder.name}-src", items)
    sv.DetectionDataset(CLASSES, [str(p) for p in paths.values()], _detections(items, paths)).as_pascal_voc(
        images_directory_path=str(folder / images), annotations_directory_path=str(folder / annotations))
    shutil.rmtree(paths[items[0][0]].parent)
    return folder


def _supervision_read(folder: Path, images: str, annotations: str) -> dict[str, list[tuple]]:
    import supervision as sv

    read = sv.DetectionDataset.from_pascal_voc(str(folder / images), str(folder / annotations))
    return {Path(path).name: sorted((read.classes[c], *map(float, xyxy)) for xyxy, c in
                                    zip(detections.xyxy, detections.class_id, strict=True))
            for path, _, detections in read}


def _shifted(boxes: dict[str, list[tuple]]) -> dict[str, list[tuple]]:
    """Boxes as a 0-based reader sees 1-based files: left and top edges one pixel further in."""
    return {name: [(c, x1 + 1, y1 + 1, x2, y2) for c, x1, y1, x2, y2 in found] for name, found in boxes.items()}


def _stored(ydc, tmp_path: Path) -> tuple[str, Path]:
    """A dataset of ITEMS, imported from Datumaro's COCO export (and that export's folder)."""
    paths = write_images(tmp_path / "src")
    written = datumaro_write("coco_instances", tmp_path / "seed", CLASSES, datumaro_items(paths))
    imported(ydc, written, "--name", "d")
    return "d", written


def _export(ydc, name: str, out: Path) -> Path:
    result = ydc("--json", "datasets", "export", name, "--format", "voc", "--output", out)
    assert result.exit_code == 0, result.stderr
    return Path(json.loads(result.stdout)["path"])


# -- files other tools wrote ----------------------------------------------------------

@pytest.mark.parametrize("fmt", ["voc_detection", "voc"])
def test_datumaro_voc_imports_box_for_box(ydc, tmp_path, fmt):
    paths = write_images(tmp_path / "src")
    written = datumaro_write(fmt, tmp_path / "dm-voc", CLASSES, datumaro_items(paths))
    assert "4.0" in (written / "Annotations" / "a.xml").read_text()  # Datumaro's 0-based decimals
    report = imported(ydc, written)
    assert (report["format"], report["dataset"]["classes"]) == ("voc", CLASSES)
    assert report["dataset"]["num_images"] == {"train": 2, "val": 2, "test": 0}
    assert (report["images"], report["labeled"], report["backgrounds"], report["skipped"]) == (4, 3, 1, [])
    assert report["notes"] == []
    assert_same(stored_boxes(ydc, "dm-voc"), expected_boxes())


def test_datumaro_one_based_voc_imports_box_for_box(ydc, tmp_path):
    paths = write_images(tmp_path / "src", WHOLE)
    written = datumaro_write("voc_detection", tmp_path / "dm-voc1", CLASSES, datumaro_items(paths, WHOLE),
                             **ONE_BASED)
    assert "<xmin>5</xmin>" in (written / "Annotations" / "a.xml").read_text()  # devkit integers
    assert_same(datumaro_boxes(datumaro_read("voc_detection", written, **ONE_BASED)), expected_boxes(WHOLE))
    report = imported(ydc, written)
    assert report["dataset"]["num_images"] == {"train": 2, "val": 2, "test": 0}
    assert_same(stored_boxes(ydc, "dm-voc1", WHOLE), expected_boxes(WHOLE))


def test_difficult_boxes_are_kept_and_counted(ydc, tmp_path):
    items = datumaro_items(write_images(tmp_path / "src"))
    items[0]["boxes"][0].append({"difficult": True, "truncated": True})
    items[2]["boxes"][1].append({"difficult": True, "occluded": True})
    items[2]["boxes"][2].append({"truncated": True})
    written = datumaro_write("voc_detection", tmp_path / "hard", CLASSES, items)
    assert (written / "Annotations" / "a.xml").read_text().count("<difficult>1</difficult>") == 1
    report = imported(ydc, written)
    assert report["notes"] == ["2 boxes marked difficult, kept"]
    assert_same(stored_boxes(ydc, "hard"), expected_boxes())


def test_a_box_past_the_edge_is_clipped_and_counted(ydc, tmp_path):
    items = [("a.jpg", "train", (64, 48), [("cat", 50, 40, 70, 52), ("dog", 1, 1, 10, 10)])]
    paths = write_images(tmp_path / "src", items)
    written = datumaro_write("voc_detection", tmp_path / "edge", CLASSES, datumaro_items(paths, items))
    report = imported(ydc, written)
    assert report["notes"] == ["1 box reached past the image edge and were clipped to it"]
    clipped = [("a.jpg", "train", (64, 48), [("cat", 50, 40, 64, 48), ("dog", 1, 1, 10, 10)])]
    assert_same(stored_boxes(ydc, "edge", items), expected_boxes(clipped), sizes(items))


def test_supervision_voc_imports_box_for_box(ydc, tmp_path):
    folder = _supervision_voc(tmp_path / "sv")
    result = ydc("datasets", "import", folder)
    assert result.exit_code == 0, result.stderr
    assert result.stderr.startswith(f"Imported sv from Pascal VOC at {folder}: 4 images, 3 labeled, 1 background")
    assert_same(_supervision_read(folder, "images", "xml"), expected_boxes(WHOLE))  # supervision agrees
    assert_same(stored_boxes(ydc, "sv", WHOLE), expected_boxes(WHOLE))


def test_roboflow_voc_split_folders_import_box_for_box(ydc, tmp_path):
    """Roboflow's VOC export: <split>/ folders of images and XMLs side by side. supervision (Roboflow's
    library) writes it, marked roboflow.ai; Datumaro's roboflow_voc importer reads it."""
    root = tmp_path / "roboflow"
    # Datumaro takes each split's classes from its XMLs and refuses splits that differ: every class in each
    items = [(n, s, size, boxes + ([("traffic light", 60, 5, 90, 20)] if n == "c.jpg" else []))
             for n, s, size, boxes in WHOLE]
    for split, folder in (("train", "train"), ("val", "valid")):
        _supervision_voc(root, [item for item in items if item[1] == split], images=folder, annotations=folder)
    assert "roboflow.ai" in (root / "valid" / "c.xml").read_text()
    judged = datumaro_read("roboflow_voc", root)
    assert sorted((item["subset"], item["id"]) for item in judged["items"]) == [
        ("train", "a"), ("train", "b"), ("valid", "c"), ("valid", "d")]
    # Datumaro reads Roboflow's integers as 0-based edges: the same boxes with left and top one pixel in
    assert_same(datumaro_boxes(judged), _shifted(expected_boxes(items)), sizes(items))
    report = imported(ydc, root)
    assert (report["format"], report["root"]) == ("voc", str(root))
    assert report["dataset"]["num_images"] == {"train": 2, "val": 2, "test": 0}
    assert sorted(report["dataset"]["classes"]) == sorted(judged["classes"])
    assert_same(stored_boxes(ydc, "roboflow", items), expected_boxes(items))
    # one split folder given on its own takes its split from the folder's name
    one = imported(ydc, root / "valid", "--name", "valid-only")
    assert one["dataset"]["num_images"] == {"train": 0, "val": 2, "test": 0}


def test_xmls_beside_their_images_and_a_single_xml(ydc, tmp_path):
    """labelImg's layout: the XMLs in the folder with the images (supervision writes it so here)."""
    folder = _supervision_voc(tmp_path / "shots", images=".", annotations=".")
    report = imported(ydc, folder)
    assert (report["format"], report["images"]) == ("voc", 4)
    assert report["dataset"]["num_images"] == {"train": 4, "val": 0, "test": 0}
    assert_same(stored_boxes(ydc, "shots", WHOLE), expected_boxes(WHOLE))
    single = imported(ydc, folder / "c.xml", "--name", "single")
    assert (single["format"], single["images"], single["labeled"]) == ("voc", 1, 1)
    assert_same(stored_boxes(ydc, "single", WHOLE), expected_boxes(WHOLE[2:3]), sizes(WHOLE))


def _devkit(root: Path, files: dict[str, str], sets: dict[str, str]) -> Path:
    """A VOC devkit tree of whole-pixel XMLs (the devkit's own files are hand-made, as here)."""
    for folder in ("Annotations", "JPEGImages", "ImageSets/Main"):
        (root / folder).mkdir(parents=True, exist_ok=True)
    for index, (stem, xml) in enumerate(files.items()):
        (root / "JPEGImages" / f"{stem}.jpg").write_bytes(jpeg(100, 50, seed=index))
        if xml:
            (root / "Annotations" / f"{stem}.xml").write_text(xml)
    for name, text in sets.items():
        (root / "ImageSets" / "Main" / f"{name}.txt").write_text(text)
    return root


def _xml(stem: str, box: str = "<xmin>1</xmin><ymin>1</ymin><xmax>50</xmax><ymax>25</ymax>", *,
         size: str = "<size><width>100</width><height>50</height><depth>3</depth></size>", difficult: int = 0) -> str:
    return (f"<annotation><folder>VOC2012</folder><filename>{stem}.jpg</filename>{size}"
            f"<object><name>person</name><pose>Left</pose><truncated>1</truncated><difficult>{difficult}</difficult>"
            f"<bndbox>{box}</bndbox></object></annotation>")


def _boxes(ydc, name: str, split: str, filename: str) -> list[tuple]:
    result = ydc("--json", "labels", "show", name, split, filename)
    assert result.exit_code == 0, result.stderr
    return [(b["x"], b["y"], b["width"], b["height"]) for b in json.loads(result.stdout)]


def test_devkit_tree_splits_sizes_and_difficult(ydc, tmp_path):
    _devkit(tmp_path / "VOCdevkit" / "VOC2012", {
        "2008_000001": _xml("2008_000001", difficult=1),
        "2008_000002": _xml("2008_000002", difficult=1, size=""),  # no <size>: the image header's
        "2008_000003": _xml("2008_000003", size="<size><width>200</width><height>100</height></size>"),
        "2008_000004": _xml("2008_000004"),  # in no list: train
        "2008_000005": "",  # listed, no XML: an image without labels
    }, {"trainval": "2008_000001\n2008_000002\n2008_000005\n", "val": "2008_000002  1\n2008_000003\n",
        "person_trainval": "2008_000004 -1\n"})
    report = imported(ydc, tmp_path / "VOCdevkit", "--name", "voc")
    assert report["root"] == str(tmp_path / "VOCdevkit" / "VOC2012")
    assert report["dataset"]["num_images"] == {"train": 3, "val": 2, "test": 0}
    assert report["dataset"]["classes"] == ["person"]
    assert (report["labeled"], report["backgrounds"]) == (4, 1)
    assert report["notes"] == ["2 boxes marked difficult, kept",
                               "1 image differs from the <size> its XML records; boxes were scaled by <size>"]
    assert _boxes(ydc, "voc", "train", "2008_000001.jpg") == [(0.25, 0.25, 0.5, 0.5)]
    assert _boxes(ydc, "voc", "val", "2008_000002.jpg") == [(0.25, 0.25, 0.5, 0.5)]
    assert _boxes(ydc, "voc", "val", "2008_000003.jpg") == [(0.125, 0.125, 0.25, 0.25)]  # in <size>'s pixels
    assert _boxes(ydc, "voc", "train", "2008_000004.jpg") == [(0.25, 0.25, 0.5, 0.5)]
    assert _boxes(ydc, "voc", "train", "2008_000005.jpg") == []


def test_classes_follow_labelmap_then_first_appearance(ydc, tmp_path):
    root = _devkit(tmp_path / "voc", {"x": _xml("x").replace("person", "zebra"), "y": _xml("y")}, {"train": "x\ny\n"})
    (root / "labelmap.txt").write_text("# label:color_rgb:parts:actions\nbackground:0,0,0::\nperson:1,2,3::\n"
                                       "unused:::\n")
    report = imported(ydc, root)
    assert report["dataset"]["classes"] == ["person", "unused", "zebra"]
    assert json.loads(ydc("--json", "labels", "show", "voc", "train", "x.jpg").stdout)[0]["class_id"] == 2


def test_voc_is_detected_and_can_be_forced(ydc, tmp_path):
    paths = write_images(tmp_path / "src")
    datumaro_write("voc_detection", tmp_path / "dm", CLASSES, datumaro_items(paths))
    datumaro_write("cvat", tmp_path / "cvat", CLASSES, datumaro_items(paths))
    datumaro_write("yolo", tmp_path / "darknet", CLASSES, datumaro_items(paths))
    assert imported(ydc, tmp_path / "dm")["format"] == "voc"
    assert imported(ydc, tmp_path / "cvat")["format"] == "cvat"  # its XML is not taken for VOC
    assert imported(ydc, tmp_path / "darknet")["format"] == "darknet"
    forced = imported(ydc, tmp_path / "dm", "--format", "voc", "--name", "forced")
    assert forced["format"] == "voc" and forced["images"] == 4
    refused = ydc("datasets", "import", tmp_path / "darknet", "--format", "voc")
    assert refused.exit_code == 5 and refused.stderr.startswith("Error: no VOC annotation files"), refused.stderr


@pytest.mark.parametrize("text", [
    '<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;&a;">]><annotation>&b;</annotation>',
    '<?xml version="1.0"?><annotation><!ENTITY a SYSTEM "file:///etc/passwd"></annotation>',
    "<annotation><object><name>x</name></annotation",
    "<annotation><object><name>x</name><bndbox><xmin>1</xmin></bndbox></object></annotation>\x00",
], ids=["entities", "entity-declaration", "unclosed", "nul"])
@pytest.mark.parametrize("forced", [True, False])
def test_a_hostile_or_broken_xml_is_refused_naming_it(ydc, tmp_path, text, forced):
    root = _devkit(tmp_path / "voc", {"a": _xml("a"), "b": ""}, {"train": "a\nb\n"})
    (root / "Annotations" / "b.xml").write_text(text)
    result = ydc("datasets", "import", root, *(["--format", "voc"] if forced else []))
    assert result.exit_code == 5, result.stderr
    assert len(result.stderr.splitlines()) == 1 and result.stderr.startswith("Error: "), result.stderr
    assert str(root / "Annotations" / "b.xml") in result.stderr
    assert json.loads(ydc("--json", "datasets", "list").stdout) == []


# -- ydc's export, read by the others ---------------------------------------------------

def test_voc_export_is_read_back_by_datumaro_supervision_and_ydc(ydc, tmp_path):
    name, seed = _stored(ydc, tmp_path)
    folder = _export(ydc, name, tmp_path / "out")
    assert folder.name == "d-voc"
    assert sorted(p.name for p in (folder / "ImageSets" / "Main").iterdir()) == ["train.txt", "val.txt"]
    assert sorted((folder / "ImageSets" / "Main" / "val.txt").read_text().split()) == ["c", "d"]
    assert sorted(p.name for p in (folder / "Annotations").iterdir()) == ["a.xml", "b.xml", "c.xml", "d.xml"]
    for image in (folder / "JPEGImages").iterdir():  # the original bytes
        assert image.read_bytes() == next(seed.rglob(image.name)).read_bytes()
    a_xml = (folder / "Annotations" / "a.xml").read_text()
    assert "<xmin>5</xmin><ymin>7</ymin><xmax>24</xmax><ymax>30</ymax>" in a_xml  # 4, 6, 24, 30: the devkit's
    xmin = re.search(r"<xmin>([^<]*)</xmin>", (folder / "Annotations" / "b.xml").read_text()).group(1)
    assert "." in xmin and abs(float(xmin) - 11.5) < 1e-4  # 10.5 0-based, to the 6 decimals YOLO keeps

    judged = datumaro_read("voc_detection", folder, **ONE_BASED)
    assert judged["classes"] == CLASSES
    assert sorted((item["subset"], item["id"]) for item in judged["items"]) == [
        ("train", "a"), ("train", "b"), ("val", "c"), ("val", "d")]
    assert_same(datumaro_boxes(judged), expected_boxes(), sizes())
    # Datumaro's default mode takes the devkit's xmin and ymin as 0-based edges
    assert_same(datumaro_boxes(datumaro_read("voc_detection", folder)), _shifted(expected_boxes()), sizes())

    assert_same(_supervision_read(folder, "JPEGImages", "Annotations"), expected_boxes(), sizes())

    back = imported(ydc, folder, "--name", "back")
    assert (back["format"], back["dataset"]["classes"]) == ("voc", CLASSES)
    assert back["dataset"]["num_images"] == {"train": 2, "val": 2, "test": 0}
    assert (back["labeled"], back["backgrounds"], back["notes"]) == (3, 1, [])
    assert_same(stored_boxes(ydc, "back"), expected_boxes())


def test_voc_export_keeps_clashing_names_apart(ydc, tmp_path):
    """VOC has one image folder and names XMLs by stem: the same name in two splits, and a.jpg beside
    a.png, are written under names of their own, which every reader then sees."""
    assert ydc("datasets", "create", "clash", "--classes", "cat,dog").exit_code == 0
    for split, files in (("train", {"a.jpg": (64, 48), "a.png": (32, 32)}), ("val", {"a.jpg": (80, 60)})):
        folder = tmp_path / split
        folder.mkdir()
        for index, (filename, (width, height)) in enumerate(files.items()):
            (folder / filename).write_bytes((png if filename.endswith(".png") else jpeg)(width, height, seed=index))
            (folder / (filename.rsplit(".", 1)[0] + ".txt")).write_text(f"{index} 0.5 0.5 0.25 0.5\n")
        result = ydc("images", "add", "clash", folder, "--split", split)
        assert result.exit_code == 0, result.stderr
    folder = _export(ydc, "clash", tmp_path / "out")
    assert sorted(p.name for p in (folder / "JPEGImages").iterdir()) == ["a.jpg", "train__a.png", "val__a.jpg"]
    assert sorted(p.name for p in (folder / "Annotations").iterdir()) == ["a.xml", "train__a.xml", "val__a.xml"]
    judged = datumaro_read("voc_detection", folder, **ONE_BASED)
    assert sorted((item["subset"], item["id"]) for item in judged["items"]) == [
        ("train", "a"), ("train", "train__a"), ("val", "val__a")]
    read = _supervision_read(folder, "JPEGImages", "Annotations")
    assert {name: len(boxes) for name, boxes in read.items()} == {"a.jpg": 1, "train__a.png": 1, "val__a.jpg": 1}
    back = imported(ydc, folder, "--name", "back")
    assert back["dataset"]["num_images"] == {"train": 2, "val": 1, "test": 0}
    assert _boxes(ydc, "back", "val", "val__a.jpg") == [(0.5, 0.5, 0.25, 0.5)]
    assert _boxes(ydc, "back", "train", "train__a.png") == [(0.5, 0.5, 0.25, 0.5)]


def test_voc_round_trip_is_exact_for_any_box(ydc, tmp_path):
    """Boxes with edges inside pixels (decimals in the XML) come back to 1e-6 of the image size."""
    assert ydc("datasets", "create", "odd", "--classes", "cat").exit_code == 0
    folder = tmp_path / "src"
    folder.mkdir()
    rng = np.random.default_rng(7)
    lines = []
    for _ in range(20):
        w, h = rng.uniform(0.01, 0.5, 2)
        x, y = rng.uniform(w / 2, 1 - w / 2), rng.uniform(h / 2, 1 - h / 2)
        lines.append(f"0 {x:.6f} {y:.6f} {w:.6f} {h:.6f}")
    (folder / "odd.jpg").write_bytes(jpeg(333, 217, seed=3))
    (folder / "odd.txt").write_text("\n".join(lines) + "\n")
    assert ydc("images", "add", "odd", folder).exit_code == 0
    exported = _export(ydc, "odd", tmp_path / "out")
    imported(ydc, exported, "--name", "back")
    before, after = _boxes(ydc, "odd", "train", "odd.jpg"), _boxes(ydc, "back", "train", "odd.jpg")
    assert len(before) == len(after) == 20
    for got, want in zip(sorted(after), sorted(before), strict=True):
        assert all(math.isclose(g, w, abs_tol=1e-6) for g, w in zip(got, want, strict=True)), (got, want)
    read = _supervision_read(exported, "JPEGImages", "Annotations")["odd.jpg"]
    want = sorted(("cat", (x - w / 2) * 333, (y - h / 2) * 217, (x + w / 2) * 333, (y + h / 2) * 217)
                  for x, y, w, h in before)
    assert_same({"odd.jpg": read}, {"odd.jpg": want}, {"odd.jpg": (333, 217)}, precision=1e-6 * 1.5)


def test_two_images_of_one_name_in_a_split_stay_apart(ydc, tmp_path):
    """Two folders of XMLs beside images (both train) holding the same file name."""
    root = tmp_path / "two"
    for folder in ("day", "night"):
        _supervision_voc(root, WHOLE[:1], images=folder, annotations=folder)
    report = imported(ydc, root)
    assert report["dataset"]["num_images"] == {"train": 2, "val": 0, "test": 0}
    names = sorted(row["filename"] for row in json.loads(ydc("--json", "images", "list", "two").stdout))
    assert names == ["a.jpg", "a__2.jpg"]
