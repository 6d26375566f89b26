"""The filesystem backend and ultralytics read each other's YOLO folders."""

from __future__ import annotations

import cv2
import pytest

from tests.helpers import box, make_image, sample
from ydc_cli.persistence import create_stores


def _write_foreign_yolo_folder(root):
    """A YOLO dataset made the way other tools make it: cv2 and plain text files."""
    folder = root / "datasets" / "shapes"
    for split, count in (("train", 3), ("val", 2)):
        (folder / "images" / split).mkdir(parents=True)
        (folder / "labels" / split).mkdir(parents=True)
        for i in range(count):
            cv2.imwrite(str(folder / "images" / split / f"{split}_{i}.jpg"), make_image(96, 64, seed=i))
            if i:  # the first image of each split is a background without a label file
                (folder / "labels" / split / f"{split}_{i}.txt").write_text(f"{i % 2} 0.5 0.5 0.25 0.25\n")
    (folder / "data.yaml").write_text("path: .\ntrain: images/train\nval: images/val\nnames: [circle, square]\n")
    return folder


async def test_filesystem_backend_reads_a_folder_it_did_not_write(tmp_path):
    folder = _write_foreign_yolo_folder(tmp_path)
    stores = create_stores(tmp_path / "datasets", tmp_path / "models")
    [info] = await stores.dataset.list()
    assert info.name == "shapes" and info.path == folder
    assert info.classes == ["circle", "square"]
    assert info.num_images == {"train": 3, "val": 2, "test": 0}
    listed = await stores.image.list("shapes")
    assert [(i.split, i.filename, i.has_labels) for i in listed] == [
        ("train", "train_0.jpg", False), ("train", "train_1.jpg", True), ("train", "train_2.jpg", True),
        ("val", "val_0.jpg", False), ("val", "val_1.jpg", True)]
    assert await stores.label.load("shapes", "train", "train_2.jpg") == [box(0, 0.5, 0.5, 0.25, 0.25)]
    assert (await stores.image.load("shapes", "val", "val_1.jpg")).shape == (64, 96, 3)
    assert await stores.image.load_bytes("shapes", "train", "train_1.jpg") == (
        folder / "images" / "train" / "train_1.jpg").read_bytes()


@pytest.mark.slow
async def test_ultralytics_accepts_what_the_filesystem_backend_writes(tmp_path):
    pytest.importorskip("ultralytics", reason="the train extra is part of `make test`")
    from ultralytics.data import YOLODataset
    from ultralytics.data.utils import check_det_dataset

    stores = create_stores(tmp_path / "datasets", tmp_path / "models")
    await stores.dataset.create("pets", ["cat", "dog"])
    await stores.dataset.add_samples("pets", [
        *(sample(f"t{i}.jpg", "train", i, [box(i % 2), box(1, 0.2, 0.2, 0.1, 0.1)]) for i in range(4)),
        sample("bg.jpg", "train", 50, None),
        *(sample(f"v{i}.png", "val", 10 + i, [box(0)]) for i in range(2)),
    ])
    data = check_det_dataset(str(tmp_path / "datasets" / "pets" / "data.yaml"))
    assert data["nc"] == 2 and data["names"] == {0: "cat", 1: "dog"}
    assert data["train"] == str(tmp_path / "datasets" / "pets" / "images" / "train")

    for split, images, boxes in (("train", 5, 8), ("val", 2, 2)):
        dataset = YOLODataset(img_path=data[split], data=data, task="detect", imgsz=64, augment=False)
        assert len(dataset.labels) == images
        assert sum(len(label["cls"]) for label in dataset.labels) == boxes
    # The label cache ultralytics leaves behind is not mistaken for data.
    assert (await stores.dataset.get("pets")).num_images == {"train": 5, "val": 2, "test": 0}
    assert len(await stores.image.list("pets")) == 7
