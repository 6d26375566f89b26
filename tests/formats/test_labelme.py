"""LabelMe JSON, judged by files labelme itself wrote (every backend, through the CLI).

labelme is a Qt application (PyQt5, onnxruntime) that cannot write files headless here, so
the judges are the example annotations shipped in its own distribution (tests/fixtures/labelme,
README there): rectangles drawn in labelme 4 on images of several sizes, boxes touching the
edge; labelme2voc.py's VOC conversion of the same files; every shape labelme 5.7 draws; an
image with no shapes; and polygons with the image embedded. Where a test changes such a file
(where the images lie, an enlarged shape list) it says so.
"""

from __future__ import annotations

import base64
import json
import shutil
from pathlib import Path

import pytest

from tests.formats.common import assert_same, imported, stored_boxes
from tests.helpers import jpeg, png

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "labelme"
EXAMPLES = FIXTURES / "examples"


def _document(path: Path) -> dict:
    return json.loads(path.read_text())


def _rectangles(document: dict) -> list[tuple]:
    return sorted((s["label"], min(x for x, _ in s["points"]), min(y for _, y in s["points"]),
                   max(x for x, _ in s["points"]), max(y for _, y in s["points"]))
                  for s in document["shapes"] if s["shape_type"] == "rectangle")


def _beside(source: Path, folder: Path, seed: int = 0) -> dict:
    """labelme's file copied into ``folder`` with an image of the size it records beside it."""
    document = _document(source)
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(source, folder / source.name)
    (folder / document["imagePath"]).write_bytes(jpeg(document["imageWidth"], document["imageHeight"], seed))
    return document


def _items(documents: dict[str, dict]) -> list[tuple]:
    return [(name, "", (d["imageWidth"], d["imageHeight"]), []) for name, d in documents.items()]


def _sizes(documents: dict[str, dict]) -> dict[str, tuple[int, int]]:
    return {name: (d["imageWidth"], d["imageHeight"]) for name, d in documents.items()}


def test_labelme_examples_import_box_for_box(ydc, tmp_path):
    folder = tmp_path / "labelme"
    documents = {}
    for index, source in enumerate(sorted(FIXTURES.glob("*.json"))):
        document = _beside(source, folder / "val", index)
        documents[document["imagePath"]] = document
    result = ydc("datasets", "import", folder)
    assert result.exit_code == 0, result.stderr
    assert result.stderr.startswith(f"Imported labelme from LabelMe at {folder}: 3 images, 3 labeled"), result.stderr
    report = imported(ydc, folder, "--name", "again")
    assert (report["format"], report["dataset"]["num_images"]) == ("labelme", {"train": 0, "val": 3, "test": 0})
    assert report["dataset"]["classes"] == ["person", "bus", "car"]  # in order of first appearance
    assert (report["notes"], report["skipped"]) == ([], [])
    want = {name: _rectangles(document) for name, document in documents.items()}
    assert_same(stored_boxes(ydc, "labelme", _items(documents)), want, _sizes(documents))
    # labelme's own VOC conversion of the same files: the same images, classes and box counts
    voc = tmp_path / "voc"
    shutil.copytree(FIXTURES / "voc", voc / "Annotations")
    (voc / "JPEGImages").mkdir()
    for name in documents:
        shutil.copy(folder / "val" / name, voc / "JPEGImages" / name)
    converted = imported(ydc, voc, "--name", "labelme-voc")
    assert sorted(converted["dataset"]["classes"]) == sorted(report["dataset"]["classes"])
    via_voc = stored_boxes(ydc, "labelme-voc", _items(documents))
    assert {n: len(b) for n, b in via_voc.items()} == {n: len(b) for n, b in want.items()}
    assert_same(via_voc, want, _sizes(documents), precision=2e-3)  # labelme2voc truncates to whole pixels


def test_every_shape_labelme_draws_and_an_image_without_shapes(ydc, tmp_path):
    folder = tmp_path / "shapes"
    primitives = _beside(EXAMPLES / "primitives.json", folder / "train")
    empty = _beside(EXAMPLES / "classification_0001.json", folder / "test", seed=1)
    report = imported(ydc, folder)
    assert report["dataset"]["classes"] == ["rectangle"]
    assert report["dataset"]["num_images"] == {"train": 1, "val": 0, "test": 1}
    assert (report["labeled"], report["backgrounds"]) == (1, 1)
    assert report["notes"] == [f"1 {kind} shape not imported (rectangles only)"
                               for kind in ("circle", "line", "linestrip", "mask", "point", "polygon")]
    documents = {"primitives.jpg": primitives, "0001.jpg": empty}
    assert_same(stored_boxes(ydc, "shapes", _items(documents)),
                {"primitives.jpg": _rectangles(primitives), "0001.jpg": []}, _sizes(documents))
    listed = {row["filename"]: row["labels"] for row in json.loads(ydc("--json", "images", "list", "shapes").stdout)}
    assert listed == {"primitives.jpg": "boxes", "0001.jpg": "background"}


def test_a_file_whose_shapes_fill_the_first_64_kb_is_still_labelme(ydc, tmp_path):
    """labelme's primitives.json with its polygon repeated (hand-enlarged) until imagePath lies past 64 KB."""
    document = _document(EXAMPLES / "primitives.json")
    polygon = next(s for s in document["shapes"] if s["shape_type"] == "polygon")
    document["shapes"] = [polygon] * 400 + document["shapes"]
    text = json.dumps(document, indent=2)
    assert text.index('"imagePath"') > 1 << 16
    (tmp_path / "big").mkdir()
    (tmp_path / "big" / "primitives.json").write_text(text)
    (tmp_path / "big" / "primitives.jpg").write_bytes(jpeg(560, 450))
    report = imported(ydc, tmp_path / "big")
    assert report["format"] == "labelme" and report["labeled"] == 1 and report["dataset"]["task"] == "segment"
    assert "2 rectangle shapes not imported (polygons only)" in report["notes"], report["notes"]


def test_embedded_images_stand_in_for_missing_files(ydc, tmp_path):
    folder = tmp_path / "embedded"
    folder.mkdir()
    # labelme 4 wrote the JSON's own name as imagePath: the embedded image (here a JPEG of the recorded size) is it
    apc = _document(EXAMPLES / "apc2016_obj3.json")
    assert apc["imagePath"] == "apc2016_obj3.json"
    apc["imageData"] = base64.b64encode(jpeg(apc["imageWidth"], apc["imageHeight"])).decode()
    (folder / "apc2016_obj3.json").write_text(json.dumps(apc))
    # labelme embeds a PNG for any image but a JPEG: a .bmp's data is PNG bytes
    voc = _document(FIXTURES / "2011_000003.json")
    voc["imagePath"], voc["imageData"] = "2011_000003.bmp", base64.b64encode(png(500, 338)).decode()
    (folder / "2011_000003.json").write_text(json.dumps(voc))
    report = imported(ydc, folder)
    assert (report["images"], report["labeled"]) == (2, 1)
    assert "1 image with only such shapes stored unlabelled, not as background" in report["notes"]
    listed = {row["filename"]: row["labels"] for row in json.loads(ydc("--json", "images", "list", "embedded").stdout)}
    assert listed == {"apc2016_obj3.jpg": "none", "2011_000003.png": "boxes"}
    assert_same(stored_boxes(ydc, "embedded", _items({"2011_000003.png": voc, "apc2016_obj3.jpg": apc})),
                {"2011_000003.png": _rectangles(voc), "apc2016_obj3.jpg": []},
                {"2011_000003.png": (500, 338), "apc2016_obj3.jpg": (1210, 907)})


def test_json_under_annotations_with_images_elsewhere_is_not_coco(ydc, tmp_path):
    """labelme's files moved under annotations/<split>/ with imagePath pointing at images/ (as labelme
    writes it when saving to another folder; one in Windows form), and one corner order reversed."""
    root = tmp_path / "moved"
    documents = {}
    for index, (source, split) in enumerate(zip(sorted(FIXTURES.glob("*.json")), ("train", "val", "val"),
                                                strict=True)):
        document = _document(source)
        name = document["imagePath"]
        document["imagePath"] = f"..\\..\\images\\{name}" if index == 0 else f"../../images/{name}"
        if index == 1:
            document["shapes"][0]["points"].reverse()
        (root / "annotations" / split).mkdir(parents=True, exist_ok=True)
        (root / "annotations" / split / source.name).write_text(json.dumps(document))
        (root / "images").mkdir(exist_ok=True)
        (root / "images" / name).write_bytes(jpeg(document["imageWidth"], document["imageHeight"], index))
        documents[name] = document
    report = imported(ydc, root)
    assert report["format"] == "labelme"
    assert report["dataset"]["num_images"] == {"train": 1, "val": 2, "test": 0}
    assert_same(stored_boxes(ydc, "moved", _items(documents)),
                {name: _rectangles(d) for name, d in documents.items()}, _sizes(documents))
    forced = imported(ydc, root, "--format", "labelme", "--name", "forced")
    assert forced["format"] == "labelme" and forced["images"] == 3


@pytest.mark.parametrize("text", [(FIXTURES / "2011_000006.json").read_text()[:700],  # cut short, as a crash leaves it
                                  '{"version": "5.0.1", "flags": {}, "shapes": {"a": 1}, "imagePath": "x.jpg"}'],
                         ids=["truncated", "shapes-not-a-list"])
@pytest.mark.parametrize("forced", [True, False])
def test_a_broken_file_is_refused_naming_it(ydc, tmp_path, text, forced):
    folder = tmp_path / "broken"
    _beside(FIXTURES / "2011_000003.json", folder)
    assert '"shape_type"' in text or '"imagePath"' in text
    (folder / "zz.json").write_text(text)
    result = ydc("datasets", "import", folder, *(["--format", "labelme"] if forced else []))
    assert result.exit_code == 5, result.stderr
    assert len(result.stderr.splitlines()) == 1 and result.stderr.startswith("Error: "), result.stderr
    assert str(folder / "zz.json") in result.stderr
    assert json.loads(ydc("--json", "datasets", "list").stdout) == []


def test_a_missing_image_without_image_data_is_named(ydc, tmp_path):
    folder = tmp_path / "missing"
    _beside(FIXTURES / "2011_000003.json", folder)
    shutil.copy(FIXTURES / "2011_000006.json", folder)
    report = imported(ydc, folder)
    assert report["images"] == 1
    assert report["skipped"] == [["2011_000006.json", "image file not found and no imageData"]]
    refused = ydc("datasets", "import", tmp_path / "missing" / "2011_000003.jpg", "--format", "labelme",
                  "--name", "x")
    assert refused.exit_code == 5, refused.stderr
