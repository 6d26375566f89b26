"""Filesystem label states and class counts on label files written by hand or by other tools."""

from __future__ import annotations

import pytest

from tests.helpers import box, sample
from ydc_cli.persistence import DatasetStore, create_stores
from ydc_cli.persistence.filesystem.image_store import SHORT_LABEL


@pytest.fixture
async def fs(tmp_path):
    stores = create_stores(tmp_path / "datasets", tmp_path / "models")
    await stores.dataset.create("d", ["cat", "dog"])
    return stores


def labels_dir(tmp_path, split: str = "train"):
    return tmp_path / "datasets" / "d" / "labels" / split


@pytest.mark.parametrize("content, state", [
    (b"", "background"),
    (b"\n", "background"),
    (b" \r\n\t\n", "background"),
    ("\ufeff\n".encode(), "background"),
    ("\u00a0\n".encode(), "background"),  # a no-break space is blank to the label parser too
    (b"x\n", "boxes"),  # not a box, but not empty: validate reports it
    (b"0 .5 .5 .2 .2\n", "boxes"),  # short enough to be read
    (b"1 0.5 0.5 0.2 0.3\n", "boxes"),
    (b"1 0.500000 0.500000 0.200000 0.300000\n" * 3, "boxes"),
])
async def test_label_state_of_a_hand_written_label_file(fs, tmp_path, content, state):
    await fs.dataset.add_samples("d", [sample("a.jpg", "train", 1, None), sample("b.jpg", "train", 2, None)])
    (labels_dir(tmp_path) / "a.txt").write_bytes(content)
    rows = await fs.image.list_rows("d", "train")
    assert [(r.filename, r.labels, r.has_labels) for r in rows] == [("a.jpg", state, True), ("b.jpg", "none", False)]


def test_short_label_bound_is_below_any_box_line_with_decimals():
    assert SHORT_LABEL <= len("0 0.5 0.5 0.2 0.3")


async def test_listing_without_a_labels_folder(fs, tmp_path):
    await fs.dataset.add_samples("d", [sample("a.jpg", "val", 1, [box()])])
    for path in labels_dir(tmp_path, "val").iterdir():
        path.unlink()
    labels_dir(tmp_path, "val").rmdir()
    assert [r.labels for r in await fs.image.list_rows("d")] == ["none"]


async def test_class_counts_of_hand_written_labels(fs, tmp_path):
    await fs.dataset.add_samples("d", [sample(f"{n}.jpg", "train", i, None) for i, n in enumerate("abcd")])
    folder = labels_dir(tmp_path)
    (folder / "a.txt").write_text("0 0.5 0.5 0.2 0.2\r\n1 0.5 0.5 0.2 0.2\r\n")  # other tools' decimals, CRLF
    (folder / "b.txt").write_text("1 0.5 0.5 0.2 0.2\nnot a box\n7 0.5 0.5 0.2 0.2\n1 2 0.5 0.2 0.2\n")
    (folder / "c.txt").write_text("\n\n")
    (folder / "orphan.txt").write_text("0 0.5 0.5 0.2 0.2\n")
    counts = await fs.dataset.class_counts("d")
    assert dict(counts.boxes["train"]) == {0: 1, 1: 2, 7: 1}
    assert dict(counts.images["train"]) == {0: 1, 1: 2, 7: 1}
    assert counts.labeled == {"train": 2, "val": 0, "test": 0} and counts.unreadable_lines == 2
    assert await DatasetStore.class_counts(fs.dataset, "d") == counts
