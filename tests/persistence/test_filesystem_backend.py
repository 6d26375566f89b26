"""Filesystem-only promises: the on-disk layout, atomic writes, locks and crash recovery."""

from __future__ import annotations

import json
import os
import time

import pytest
import yaml

from tests.helpers import box, checkpoint, jpeg, sample
from ydc_cli.domain.errors import InvalidNameError, StorageBusyError
from ydc_cli.persistence import create_stores
from ydc_cli.persistence.fileio import FileLock, atomic_write, staging_dir
from ydc_cli.persistence.filesystem.journal import COMMIT_MARKER
from ydc_cli.persistence.filesystem.layout import lock_for


@pytest.fixture
def fs(tmp_path):
    return create_stores(tmp_path / "datasets", tmp_path / "models")


async def test_layout_on_disk(fs, tmp_path):
    await fs.dataset.create("pets", ["cat", "yes", "null"])
    await fs.dataset.save_prompts("pets", {0: ["a cat"]})
    await fs.dataset.add_samples("pets", [sample("a.jpg", "train", 1, [box(1, 1 / 3, 0.5, 0.25, 0.5)])])
    root = tmp_path / "datasets" / "pets"
    data = yaml.safe_load((root / "data.yaml").read_text())
    assert data == {"train": "images/train", "val": "images/val", "test": "images/test",
                    "nc": 3, "names": {0: "cat", 1: "yes", 2: "null"}}
    assert yaml.safe_load((root / "prompts.yaml").read_text()) == {0: ["a cat"]}
    assert (root / "labels" / "train" / "a.txt").read_text() == "1 0.333333 0.500000 0.250000 0.500000\n"
    assert (root / "images" / "train" / "a.jpg").read_bytes() == jpeg(seed=1)
    for split in ("train", "val", "test"):
        assert (root / "images" / split).is_dir() and (root / "labels" / split).is_dir()
    assert not [p for p in root.rglob("*") if p.name.startswith(".ydc-")]


async def test_registry_json_layout(fs, tmp_path):
    weights = checkpoint(tmp_path / "w.pt", b"weights")
    await fs.model.save("m", weights, base_model="yolo11n.yaml", dataset_name="pets", epochs_completed=2,
                        metrics={"best_map50": 0.4})
    await fs.model.set_active("m")
    registry = json.loads((tmp_path / "models" / "registry.json").read_text())
    entry = registry["m"]
    assert entry["path"] == str(tmp_path / "models" / "m" / "best.pt")
    assert {k: entry[k] for k in ("base_model", "dataset_name", "epochs_completed", "best_map50", "is_active")} == {
        "base_model": "yolo11n.yaml", "dataset_name": "pets", "epochs_completed": 2, "best_map50": 0.4,
        "is_active": True}
    assert len(entry["sha256"]) == 64
    assert (tmp_path / "models" / "m" / "best.pt").read_bytes() == weights.read_bytes()


async def test_existing_ydc_registry_is_read(fs, tmp_path):
    models = tmp_path / "models"
    (models / "old").mkdir(parents=True)
    (models / "old" / "best.pt").write_bytes(b"w")
    (models / "registry.json").write_text(json.dumps({"old": {
        "path": str(models / "old" / "best.pt"), "base_model": "yolov8n.pt", "dataset_name": "d",
        "created_at": 1.0, "epochs_completed": 5, "best_map50": None, "is_active": True}}))
    active = await fs.model.get_active()
    assert active.name == "old" and active.epochs_completed == 5 and active.best_map50 is None


def test_atomic_write_leaves_no_temp_files(tmp_path):
    target = tmp_path / "file.txt"
    atomic_write(target, b"one")
    atomic_write(target, b"two")
    assert target.read_bytes() == b"two"
    assert [p.name for p in tmp_path.iterdir()] == ["file.txt"]


def test_lock_times_out_with_storage_busy(tmp_path):
    holder = FileLock(tmp_path / "x.lock")
    other = FileLock(tmp_path / "x.lock", timeout=0.2)
    with holder:
        started = time.monotonic()
        with pytest.raises(StorageBusyError, match="busy"):
            with other:
                pass
        assert time.monotonic() - started >= 0.2
    with other:
        pass


async def test_a_crashed_batch_before_commit_is_swept(fs, tmp_path):
    await fs.dataset.create("d", ["a"])
    root = tmp_path / "datasets" / "d"
    dead = root / ".ydc-staging-deadbeef"
    (dead / "images" / "train").mkdir(parents=True)
    (dead / "images" / "train" / "half.jpg").write_bytes(jpeg())
    assert await fs.image.list("d") == []
    await fs.dataset.add_samples("d", [sample("ok.jpg")])
    assert not dead.exists()
    assert [i.filename for i in await fs.image.list("d")] == ["ok.jpg"]


async def test_a_crashed_batch_after_commit_is_rolled_forward(fs, tmp_path):
    await fs.dataset.create("d", ["a"])
    root = tmp_path / "datasets" / "d"
    dead = root / ".ydc-staging-cafebabe"
    (dead / "files" / "images" / "train").mkdir(parents=True)
    (dead / "files" / "labels" / "train").mkdir(parents=True)
    (dead / "files" / "images" / "train" / "done.jpg").write_bytes(jpeg())
    (dead / "files" / "labels" / "train" / "done.txt").write_text("0 0.5 0.5 0.1 0.1\n")
    (dead / "manifest.json").write_text('{"moves": [], "deletes": []}')
    (dead / COMMIT_MARKER).write_bytes(b"")
    listed = await fs.image.list("d")  # a reader finishes the committed batch
    assert [(i.filename, i.has_labels) for i in listed] == [("done.jpg", True)]
    assert not dead.exists()


async def test_a_live_writers_staging_folder_is_left_alone(fs, tmp_path):
    await fs.dataset.create("d", ["a"])
    root = tmp_path / "datasets" / "d"
    with lock_for(root), staging_dir(root) as live:
        (live / COMMIT_MARKER).write_bytes(b"")
        os.utime(live, (0, 0))
        assert await fs.image.list("d") == []
        assert live.exists()


async def test_dataset_symlink_escaping_the_data_folder_is_refused(fs, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (tmp_path / "datasets").mkdir()
    (tmp_path / "datasets" / "link").symlink_to(outside)
    with pytest.raises(InvalidNameError, match="escapes"):
        await fs.dataset.create("link", ["a"])


async def test_foreign_download_key_is_dropped_on_rewrite(fs, tmp_path):
    await fs.dataset.create("d", ["a"])
    data_yaml = tmp_path / "datasets" / "d" / "data.yaml"
    data_yaml.write_text(data_yaml.read_text() + "download: rm -rf /\nextra: kept\n")
    await fs.dataset.update_classes("d", ["a", "b"])
    data = yaml.safe_load(data_yaml.read_text())
    assert "download" not in data and data["extra"] == "kept" and data["nc"] == 2


async def test_a_crash_in_the_middle_of_a_swap_is_finished(fs, tmp_path):
    """Killed after moving one of two swapped images into staging: the next reader completes the swap."""
    await fs.dataset.create("d", ["a"])
    await fs.dataset.add_samples("d", [sample("x.jpg", "train", 1, [box()]), sample("x.png", "val", 2)])
    root = tmp_path / "datasets" / "d"
    dead = root / ".ydc-staging-0badf00d"
    (dead / "moving").mkdir(parents=True)
    os.rename(root / "images" / "train" / "x.jpg", dead / "moving" / "0")
    (dead / "manifest.json").write_text(json.dumps({
        "moves": [["images/train/x.jpg", "images/val/x.jpg"], ["labels/train/x.txt", "labels/val/x.txt"]],
        "deletes": []}))
    (dead / COMMIT_MARKER).write_bytes(b"")
    listed = await fs.image.list("d")
    assert [(i.split, i.filename, i.has_labels) for i in listed] == [("val", "x.jpg", True), ("val", "x.png", True)]
    assert await fs.image.load_bytes("d", "val", "x.jpg") == jpeg(seed=1)
    assert not dead.exists()


async def test_a_change_interrupted_after_commit_is_kept_and_finished(fs, tmp_path, monkeypatch):
    from ydc_cli.persistence.filesystem import journal

    await fs.dataset.create("d", ["a"])
    real_apply = journal.apply

    def interrupted(stage, root):
        raise KeyboardInterrupt

    monkeypatch.setattr(journal, "apply", interrupted)
    with pytest.raises(KeyboardInterrupt):
        await fs.dataset.add_samples("d", [sample("a.jpg", annotations=[box()])])
    monkeypatch.setattr(journal, "apply", real_apply)
    stages = list((tmp_path / "datasets" / "d").glob(".ydc-staging-*"))
    assert len(stages) == 1 and (stages[0] / COMMIT_MARKER).exists()
    listed = await fs.image.list("d")
    assert [(i.filename, i.has_labels) for i in listed] == [("a.jpg", True)]
    assert not list((tmp_path / "datasets" / "d").glob(".ydc-staging-*"))


async def test_a_change_interrupted_before_commit_leaves_nothing(fs, tmp_path):
    await fs.dataset.create("d", ["a"])

    def samples():
        yield sample("a.jpg")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        await fs.dataset.add_samples("d", samples())
    assert not list((tmp_path / "datasets" / "d").glob(".ydc-staging-*"))
    assert await fs.image.list("d") == []
