"""COCO export and import: round trip, names not ids, crowd and out-of-image boxes."""

from __future__ import annotations

import json

import pytest

from tests.backends import BACKENDS
from tests.contract.conftest import make_stores
from tests.helpers import box, jpeg, sample
from ydc_cli.formats.base import split_named
from ydc_cli.persistence import Annotation
from ydc_cli.services.exporting import export_dataset
from ydc_cli.services.importing import import_path


@pytest.fixture(params=BACKENDS)
async def stores(request, tmp_path):
    bundle = make_stores(request.param, tmp_path / "store")
    yield bundle
    bundle.close()


async def test_round_trip(stores, tmp_path):
    await stores.dataset.create("d", ["cat", "dog"])
    await stores.dataset.add_samples("d", [
        sample("a.jpg", "train", 1, [box(0, 0.5, 0.5, 0.25, 0.5), box(1, 0.25, 0.25, 0.125, 0.25)]),
        sample("b.jpg", "val", 2, []),
    ])
    folder = await export_dataset(stores, "d", tmp_path / "out", "coco")
    train = json.loads((folder / "annotations" / "instances_train.json").read_text())
    assert train["categories"] == [{"id": 1, "name": "cat", "supercategory": ""},
                                   {"id": 2, "name": "dog", "supercategory": ""}]
    assert train["images"] == [{"id": 1, "file_name": "a.jpg", "width": 64, "height": 48}]
    assert train["annotations"][0]["bbox"] == [24.0, 12.0, 16.0, 24.0]
    assert (folder / "images" / "train" / "a.jpg").read_bytes() == jpeg(seed=1)
    report = await import_path(stores, folder, "back")
    assert report.dataset.classes == ["cat", "dog"]
    assert report.dataset.num_images == {"train": 1, "val": 1, "test": 0}
    assert await stores.label.load("back", "train", "a.jpg") == [box(0, 0.5, 0.5, 0.25, 0.5),
                                                                 box(1, 0.25, 0.25, 0.125, 0.25)]
    assert await stores.label.exists("back", "val", "b.jpg")


async def test_categories_map_by_name_to_contiguous_ids(stores, tmp_path):
    (tmp_path / "images").mkdir()
    (tmp_path / "images" / "x.jpg").write_bytes(jpeg(100, 50, seed=3))
    document = {
        "images": [{"id": 7, "file_name": "x.jpg", "width": 100, "height": 50},
                   {"id": 8, "file_name": "missing.jpg", "width": 100, "height": 50}],
        "categories": [{"id": 90, "name": "toothbrush"}, {"id": 1, "name": "person"}],
        "annotations": [
            {"id": 1, "image_id": 7, "category_id": 90, "bbox": [10, 10, 20, 10], "iscrowd": 0},
            {"id": 2, "image_id": 7, "category_id": 1, "bbox": [90, 40, 20, 20], "iscrowd": 0},
            {"id": 3, "image_id": 7, "category_id": 1, "bbox": [0, 0, 5, 5], "iscrowd": 1},
            {"id": 4, "image_id": 7, "category_id": 1, "bbox": [200, 0, 5, 5], "iscrowd": 0},
        ],
    }
    path = tmp_path / "instances_val2017.json"
    path.write_text(json.dumps(document))
    report = await import_path(stores, path)
    assert report.dataset.name == "instances_val2017"
    assert report.dataset.classes == ["person", "toothbrush"]
    assert report.dataset.num_images == {"train": 0, "val": 1, "test": 0}
    assert await stores.label.load("instances_val2017", "val", "x.jpg") == [
        Annotation(1, 0.2, 0.3, 0.2, 0.2), Annotation(0, 0.95, 0.9, 0.1, 0.2)]
    assert sorted(reason for _, reason in report.skipped) == [
        "box has no area inside the image", "crowd region (iscrowd)", "image file not found"]


def test_split_from_file_name(tmp_path):
    assert split_named("instances_train2017") == "train"
    assert split_named("instances_val2017") == "val"
    assert split_named("valid") == "val"
    assert split_named("person_keypoints_validation") == "val"
    assert split_named("annotations") is None
