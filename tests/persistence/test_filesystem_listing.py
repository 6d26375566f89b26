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


# -- the remembered class ids (filesystem/label_counts.py) -----------------------------------------

def _cache(tmp_path) -> dict:
    import json

    from ydc_cli.persistence.filesystem.label_counts import CACHE_FILE
    return json.loads((tmp_path / "datasets" / "d" / CACHE_FILE).read_bytes())


def _table(counts) -> tuple:
    return counts.boxes, counts.images, counts.labeled, counts.unreadable_lines


@pytest.fixture
def trust_fresh_signatures(monkeypatch):
    """Remember files written a moment ago (the tests write and count within one second)."""
    from ydc_cli.persistence.filesystem import label_counts
    monkeypatch.setattr(label_counts, "RACY_NS", 0)


async def test_remembered_counts_are_used_while_each_file_is_unchanged(fs, tmp_path, trust_fresh_signatures):
    await fs.dataset.add_samples("d", [sample("a.jpg", "train", 1, [box(0), box(1)]),
                                       sample("b.jpg", "val", 2, [box(1)])])
    first = await fs.dataset.class_counts("d")
    remembered = _cache(tmp_path)["splits"]
    assert set(remembered) == {"train", "val", "test"} and remembered["train"]["files"]["a.txt"][2:] == [0, 1]
    # A remembered entry whose signature still holds is believed, unread: forge one to see it used.
    import json

    from ydc_cli.persistence.filesystem.label_counts import CACHE_FILE
    data = _cache(tmp_path)
    data["splits"]["val"]["files"]["b.txt"][2:] = [0, 0]
    data["splits"]["val"]["totals"] = None  # else the split's remembered totals are used as they are
    (tmp_path / "datasets" / "d" / CACHE_FILE).write_text(json.dumps(data))
    forged = await fs.dataset.class_counts("d")
    assert forged.boxes["val"] == {0: 2} and forged.boxes["train"] == first.boxes["train"]


async def test_an_edit_in_place_at_the_same_size_is_seen(fs, tmp_path, trust_fresh_signatures):
    import time

    await fs.dataset.add_samples("d", [sample("a.jpg", "train", 1, [box(0)])])
    assert (await fs.dataset.class_counts("d")).boxes["train"] == {0: 1}
    label = labels_dir(tmp_path) / "a.txt"
    text = label.read_bytes()
    time.sleep(0.05)  # past one tick of the file system's clock
    with open(label, "r+b") as file:  # in place: same inode, same size, the folder untouched
        file.write(b"1" + text[1:])
    assert (await fs.dataset.class_counts("d")).boxes["train"] == {1: 1}


async def test_files_just_written_are_not_remembered(fs, tmp_path):
    """Within RACY_NS of a write a second same-size write may keep the signature: such files are read every time."""
    await fs.dataset.add_samples("d", [sample("a.jpg", "train", 1, [box(0)])])
    assert (await fs.dataset.class_counts("d")).boxes["train"] == {0: 1}
    label = labels_dir(tmp_path) / "a.txt"
    with open(label, "r+b") as file:  # at once: within one clock tick, at the same size
        file.write(b"1")
    assert (await fs.dataset.class_counts("d")).boxes["train"] == {1: 1}


async def test_labels_added_removed_and_renamed_are_counted_anew(fs, tmp_path, trust_fresh_signatures):
    await fs.dataset.add_samples("d", [sample(f"{n}.jpg", "train", i, [box(i % 2)]) for i, n in enumerate("abc")])
    await fs.dataset.class_counts("d")
    folder = labels_dir(tmp_path)
    (folder / "b.txt").unlink()
    (folder / "a.txt").rename(folder / "c.txt")  # c now holds a's class 0
    counts = await fs.dataset.class_counts("d")
    assert counts.boxes["train"] == {0: 1} and counts.labeled["train"] == 1
    assert set(_cache(tmp_path)["splits"]["train"]["files"]) == {"c.txt"}


@pytest.mark.parametrize("cache", [
    b"", b"{", b"[]", b'{"version": 2}', b'{"version": 99, "key": "K", "splits": {}}',
    b'{"version": 2, "key": "K", "splits": {"train": {"a.txt": ["x"]}}}',
    b'{"version": 2, "key": "K", "splits": {"train": {"a.txt": 7}}}',
    b'{"version": 2, "key": "K", "splits": {"train": []}}',
    b'{"version": 2, "key": "K", "splits": {"nope": {}}}',
])
async def test_a_damaged_or_foreign_cache_is_ignored_and_rebuilt(fs, tmp_path, trust_fresh_signatures, cache):
    import json

    from ydc_cli.persistence.filesystem.label_counts import CACHE_FILE

    await fs.dataset.add_samples("d", [sample("a.jpg", "train", 1, [box(1)])])
    expected = _table(await fs.dataset.class_counts("d"))
    key = _cache(tmp_path)["key"]
    (tmp_path / "datasets" / "d" / CACHE_FILE).write_bytes(cache.replace(b'"K"', json.dumps(key).encode()))
    assert _table(await fs.dataset.class_counts("d")) == expected
    assert _cache(tmp_path)["splits"]["train"]["files"]["a.txt"][2:] == [1]


@pytest.mark.parametrize("forged", [["x"], [[0]], [{"a": 1}], [None]])
async def test_a_damaged_entry_whose_signature_holds_is_not_believed(fs, tmp_path, trust_fresh_signatures, forged):
    """Class ids that are no integers (a hand-edited cache): everything is counted from the files again."""
    import json

    from ydc_cli.persistence.filesystem.label_counts import CACHE_FILE
    await fs.dataset.add_samples("d", [sample("a.jpg", "train", 1, [box(1)]), sample("b.jpg", "val", 2, [box(0)])])
    await fs.dataset.class_counts("d")
    data = _cache(tmp_path)
    data["splits"]["train"]["files"]["a.txt"][2:] = forged
    data["splits"]["val"]["files"]["b.txt"][1] = "x" if forged == ["x"] else 0
    for split in ("train", "val"):
        data["splits"][split]["totals"] = None
    (tmp_path / "datasets" / "d" / CACHE_FILE).write_text(json.dumps(data))
    counts = await fs.dataset.class_counts("d")
    assert counts.boxes["train"] == {1: 1} and counts.boxes["val"] == {0: 1} and counts.unreadable_lines == 0
    assert _cache(tmp_path)["splits"]["train"]["files"]["a.txt"][2:] == [1]


async def test_the_cache_belongs_to_the_task(tmp_path, trust_fresh_signatures):
    """Counts remembered under one task are not used under another (a data.yaml edited to segment, say)."""
    stores = create_stores(tmp_path / "datasets", tmp_path / "models")
    await stores.dataset.create("d", ["a", "b"])
    await stores.dataset.add_samples("d", [sample("a.jpg", "train", 1, [box(1)])])
    await stores.dataset.class_counts("d")
    folder = tmp_path / "datasets" / "d"
    (folder / "labels" / "train" / "a.txt").write_text("0 0.1 0.1 0.5 0.1 0.5 0.5\n")  # a polygon
    (folder / "data.yaml").write_text((folder / "data.yaml").read_text() + "task: segment\n")
    counts = await stores.dataset.class_counts("d")
    assert counts.boxes["train"] == {0: 1} and _cache(tmp_path)["key"].startswith("segment")


def _forge_totals(tmp_path, split: str, boxes: dict[str, int]) -> None:
    import json

    from ydc_cli.persistence.filesystem.label_counts import CACHE_FILE
    data = _cache(tmp_path)
    data["splits"][split]["totals"]["boxes"] = boxes
    (tmp_path / "datasets" / "d" / CACHE_FILE).write_text(json.dumps(data))


async def test_a_split_whose_folders_and_files_are_unchanged_uses_its_remembered_totals(
        fs, tmp_path, trust_fresh_signatures):
    await fs.dataset.add_samples("d", [sample("a.jpg", "train", 1, [box(0)]), sample("b.jpg", "train", 2, [box(1)])])
    await fs.dataset.class_counts("d")
    _forge_totals(tmp_path, "train", {"1": 7})  # believed: one stat per file found nothing changed
    assert (await fs.dataset.class_counts("d")).boxes["train"] == {1: 7}


@pytest.mark.parametrize("change", ["add an image", "remove a label", "edit a label in place"])
async def test_remembered_totals_are_dropped_when_anything_changed(fs, tmp_path, trust_fresh_signatures, change):
    import time

    await fs.dataset.add_samples("d", [sample("a.jpg", "train", 1, [box(0)]), sample("b.jpg", "train", 2, [box(1)])])
    await fs.dataset.class_counts("d")
    _forge_totals(tmp_path, "train", {"1": 7})
    time.sleep(0.05)  # past one tick of the file system's clock
    expected = {0: 1, 1: 1}
    if change == "add an image":
        await fs.dataset.add_samples("d", [sample("c.jpg", "train", 3, [box(1)])])
        expected = {0: 1, 1: 2}
    elif change == "remove a label":
        (labels_dir(tmp_path) / "b.txt").unlink()
        expected = {0: 1}
    else:
        with open(labels_dir(tmp_path) / "a.txt", "r+b") as file:
            file.write(b"1")
        expected = {1: 2}
    assert (await fs.dataset.class_counts("d")).boxes["train"] == expected
