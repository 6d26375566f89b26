"""`labels auto` keeps human labels: only images without a label file by default, --overwrite asks first,
predictions are written once each, and --dry-run and --preview leave the store as it was. Real CLI, both
backends, with the session's tiny trained model."""

from __future__ import annotations

import json

import cv2
import pytest

from tests.helpers import db_snapshot, tree_snapshot
from tests.training.conftest import make_shapes

pytest.importorskip("ultralytics", reason="the train extra is part of `make test`")
pytestmark = pytest.mark.slow


def _labels(ydc) -> dict[tuple[str, str], list[list[float]] | None]:
    """Every image's boxes as the CLI shows them (None: no label file)."""
    images = json.loads(ydc("--json", "images", "list", "shapes").stdout)
    found = {}
    for image in images:
        key = (image["split"], image["filename"])
        if not image["has_labels"]:
            found[key] = None
            continue
        shown = json.loads(ydc("--json", "labels", "show", "shapes", *key).stdout)
        found[key] = [[b["class_id"], b["x"], b["y"], b["width"], b["height"]] for b in shown]
    return found


def _store(ydc) -> tuple[dict[str, str], list[str]]:
    return tree_snapshot(ydc.data_dir), db_snapshot(ydc.data_dir / "ydc.db")


@pytest.fixture
def with_new_images(tiny, tmp_path):
    """The tiny store plus 3 images without labels in the test split, and one background in val."""
    added = tiny("images", "add", "shapes", make_shapes(tmp_path / "new", train=3, seed=7, flat=True),
                 "--split", "test")
    assert added.exit_code == 0, added.stderr
    background = json.loads(tiny("--json", "images", "list", "shapes", "--split", "val").stdout)[0]["filename"]
    assert tiny("labels", "clear", "shapes", "val", background).exit_code == 0
    return tiny


def test_by_default_only_images_without_a_label_file_are_labelled_once_each(with_new_images):
    ydc = with_new_images
    before = _labels(ydc)
    unlabeled = sorted(k for k, v in before.items() if v is None)
    assert [split for split, _ in unlabeled] == ["test"] * 3 and [] in before.values()
    done = ydc("--json", "labels", "auto", "shapes", "--conf", "0")
    assert done.exit_code == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["written"] and report["replaced"] == 0 and report["kept_existing"] == len(before) - 3
    assert sorted((i["split"], i["filename"]) for i in report["per_image"]) == unlabeled
    # the raw predictions did hold identical rows (clipping to the image makes them): each is written once
    assert report["duplicate_boxes"] > 0
    after = _labels(ydc)
    assert {k: v for k, v in after.items() if k not in unlabeled} == {
        k: v for k, v in before.items() if k not in unlabeled}  # human labels and the background untouched
    for key in unlabeled:
        rows = [tuple(box) for box in after[key] or []]
        assert len(rows) == len(set(rows))
    assert sum(len(after[k] or []) for k in unlabeled) == report["boxes"] > 0
    validated = ydc("--json", "datasets", "validate", "shapes")
    assert validated.exit_code == 0, validated.stdout
    assert "duplicate_row" not in validated.stdout
    again = json.loads(ydc("--json", "labels", "auto", "shapes", "--conf", "0").stdout)
    assert again["images"] == 0 and not again["written"]


def test_overwrite_asks_and_then_replaces(with_new_images):
    ydc = with_new_images
    before = _labels(ydc)
    store = _store(ydc)
    val = sorted(k for k in before if k[0] == "val")
    refused = ydc("labels", "auto", "shapes", "--split", "val", "--conf", "0", "--overwrite")
    assert refused.exit_code == 1
    assert refused.stderr == (f"Error: Replace the labels of up to {len(val)} labelled images in the val split of "
                              f"shapes with tiny's predictions? Refusing without a terminal: pass --yes\n")
    assert _store(ydc) == store
    done = ydc("--json", "labels", "auto", "shapes", "--split", "val", "--conf", "0", "--overwrite", "--yes")
    assert done.exit_code == 0, done.stderr
    report = json.loads(done.stdout)
    assert sorted((i["split"], i["filename"]) for i in report["per_image"]) == val
    after = _labels(ydc)
    replaced = [k for k in val if after[k] != before[k]]
    assert len(replaced) == report["replaced"] > 0
    assert {k: v for k, v in after.items() if k[0] != "val"} == {k: v for k, v in before.items() if k[0] != "val"}


def test_dry_run_and_preview_write_nothing_to_the_store(with_new_images, tmp_path):
    ydc = with_new_images
    store = _store(ydc)
    dry = ydc("labels", "auto", "shapes", "--conf", "0", "--dry-run")
    assert dry.exit_code == 0, dry.stderr
    lines = dry.stdout.splitlines()
    assert lines[0] == "split\tfilename\tboxes" and len(lines) == 4
    counts = {tuple(line.split("\t")[:2]): int(line.split("\t")[2]) for line in lines[1:]}
    assert "would label" in dry.stderr and f"with {sum(counts.values())} boxes" in dry.stderr
    as_json = json.loads(ydc("--json", "labels", "auto", "shapes", "--conf", "0", "--dry-run").stdout)
    assert {(i["split"], i["filename"]): i["boxes"] for i in as_json["per_image"]} == counts
    assert not as_json["written"]
    previews = tmp_path / "previews" / "deep"
    shown = ydc("--json", "labels", "auto", "shapes", "--conf", "0", "--preview", previews)
    assert shown.exit_code == 0, shown.stderr
    assert not json.loads(shown.stdout)["written"]
    assert sorted(p.name for p in previews.iterdir()) == sorted(f"test_{f.rsplit('.', 1)[0]}.png" for _, f in counts)
    for picture in previews.iterdir():
        assert cv2.imread(str(picture)).shape == (64, 64, 3)
    assert _store(ydc) == store
