"""Choosing images by label state and class (`images list`), `datasets subset` and the class table of
`datasets info`: the real CLI on every backend, exact exit codes and error lines."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from tests.helpers import db_snapshot, jpeg, tree_snapshot
from ydc_cli.cli.app import app

CLASSES = ["cat", "dog", "bird"]
# split -> file name -> class ids of its boxes; [] an empty label file, None no label file.
IMAGES = {
    "train": {"a.jpg": [0, 0, 1], "b.jpg": [], "c.jpg": None, "d.jpg": [2]},
    "val": {"e.jpg": [1], "f.jpg": []},
    "test": {"g.jpg": [0, 2]},
}
SPLITS = ("train", "val", "test")


def state(ids: list[int] | None) -> str:
    return "none" if ids is None else "boxes" if ids else "background"


def names(result) -> list[str]:
    assert result.exit_code == 0, result.stderr
    return [record["filename"] for record in json.loads(result.stdout)]


def images_where(test) -> list[str]:
    return [name for split in SPLITS for name, ids in IMAGES[split].items() if test(split, ids)]


@pytest.fixture
def dataset(ydc, tmp_path) -> str:
    assert ydc("datasets", "create", "d", "--classes", ",".join(CLASSES)).exit_code == 0
    assert ydc("datasets", "prompts", "d", "--set", "cat=kitty,feline").exit_code == 0
    for seed, split in enumerate(SPLITS):
        folder = tmp_path / f"src-{split}"
        folder.mkdir()
        for number, (name, ids) in enumerate(IMAGES[split].items()):
            (folder / name).write_bytes(jpeg(seed=10 * seed + number))
            if ids is not None:
                (folder / name.replace(".jpg", ".txt")).write_text(
                    "".join(f"{class_id} 0.5 0.5 0.{2 + n} 0.2\n" for n, class_id in enumerate(ids)))
        assert ydc("images", "add", "d", folder, "--split", split).exit_code == 0
    return "d"


def test_images_list_tells_boxes_background_and_none(ydc, dataset):
    lines = ydc("images", "list", dataset).stdout.splitlines()
    assert lines == ["split\tfilename\tlabels"] + [
        f"{split}\t{name}\t{state(ids)}" for split in SPLITS for name, ids in IMAGES[split].items()]
    records = json.loads(ydc("--json", "images", "list", dataset).stdout)
    assert [(r["filename"], r["labels"], r["has_labels"]) for r in records] == [
        (name, state(ids), ids is not None) for split in SPLITS for name, ids in IMAGES[split].items()]
    long = ydc("images", "list", dataset, "--long", "--split", "val").stdout.splitlines()
    assert [line.split("\t")[3] for line in long] == ["labels", "boxes", "background"]


@pytest.mark.parametrize("options, test", [
    (["--background"], lambda split, ids: ids == []),
    (["--unlabeled"], lambda split, ids: ids is None),
    (["--background", "--unlabeled"], lambda split, ids: not ids),
    (["--class", "cat"], lambda split, ids: bool(ids) and 0 in ids),
    (["--class", "2"], lambda split, ids: bool(ids) and 2 in ids),
    (["-c", "cat", "-c", "dog"], lambda split, ids: bool(ids) and bool({0, 1} & set(ids))),
    (["--class", "dog", "--split", "val"], lambda split, ids: split == "val" and bool(ids) and 1 in ids),
    (["--class", "dog", "--background"], lambda split, ids: ids == [] or (bool(ids) and 1 in ids)),
    (["-c", "bird", "--unlabeled", "-s", "train"], lambda split, ids: split == "train" and (ids is None or 2 in ids)),
    (["--split", "test", "--background"], lambda split, ids: False),
])
def test_images_list_filters(ydc, dataset, options, test):
    assert names(ydc("--json", "images", "list", dataset, *options)) == images_where(test)


def test_images_list_with_nothing_matching_says_so(ydc, dataset):
    result = ydc("images", "list", dataset, "--split", "test", "--unlabeled")
    assert (result.exit_code, result.stdout, result.stderr) == (0, "", "No images\n")


@pytest.mark.parametrize("wanted", ["zebra", "3", "-1"])
def test_images_list_unknown_class_is_not_found(ydc, dataset, wanted):
    result = ydc("images", "list", dataset, "--class", "cat", "--class", wanted)
    assert result.exit_code == 3 and result.stdout == ""
    assert result.stderr == f"Error: no such class ({wanted}): the classes are cat, dog, bird\n"
    as_json = ydc("--json", "images", "list", dataset, "--class", wanted)
    assert as_json.exit_code == 3 and json.loads(as_json.stderr)["error"]["code"] == "not_found"


def test_images_list_of_a_missing_dataset(ydc):
    result = ydc("images", "list", "nope", "--class", "cat")
    assert (result.exit_code, result.stderr) == (3, "Error: no such dataset (nope)\n")


def test_subset_by_class_copies_images_labels_classes_and_prompts(ydc, dataset, tmp_path):
    result = ydc("datasets", "subset", dataset, "--into", "cats", "--class", "cat")
    assert result.exit_code == 0, result.stderr
    taken = images_where(lambda split, ids: bool(ids) and 0 in ids)
    per_split = {split: sum(name in taken for name in IMAGES[split]) for split in SPLITS}
    assert result.stderr.splitlines()[-1] == (
        f"Made cats from d: {len(taken)} images (train {per_split['train']}, val {per_split['val']}, "
        f"test {per_split['test']})")
    info = json.loads(ydc("--json", "datasets", "info", "cats").stdout)
    assert (info["classes"], info["num_images"]) == (CLASSES, per_split)
    assert json.loads(ydc("--json", "datasets", "prompts", "cats").stdout)["prompts"] == {"0": ["kitty", "feline"]}
    for split in SPLITS:
        for name in IMAGES[split]:
            if name not in taken:
                continue
            shown = [ydc("--json", "labels", "show", ds, split, name).stdout for ds in ("d", "cats")]
            assert shown[0] == shown[1] and json.loads(shown[1])  # all the boxes, not only the cats
            for ds in ("d", "cats"):
                assert ydc("images", "get", ds, split, name, "--output", tmp_path / f"{ds}-{name}").exit_code == 0
            assert (tmp_path / f"d-{name}").read_bytes() == (tmp_path / f"cats-{name}").read_bytes()


def test_subset_without_options_keeps_backgrounds_and_unlabeled_images(ydc, dataset):
    assert ydc("datasets", "subset", dataset, "--into", "copy").exit_code == 0
    listings = [json.loads(ydc("--json", "images", "list", ds).stdout) for ds in ("d", "copy")]
    assert [(r["split"], r["filename"], r["labels"]) for r in listings[1]] == [
        (r["split"], r["filename"], r["labels"]) for r in listings[0]]


def test_subset_sample_is_seeded(ydc, dataset):
    picks = {}
    for target, seed in (("s1", "7"), ("s2", "7"), ("s3", "8"), ("s4", "9"), ("s5", "10")):
        result = ydc("--json", "datasets", "subset", dataset, "--into", target, "--sample", "3", "--seed", seed)
        assert result.exit_code == 0, result.stderr
        report = json.loads(result.stdout)
        assert (report["selected"], report["sample"], report["taken"]) == (7, 3, 3)
        listed = json.loads(ydc("--json", "images", "list", target).stdout)
        picks[target] = [(r["split"], r["filename"]) for r in listed]
    assert picks["s1"] == picks["s2"] and len(picks["s1"]) == 3
    assert len({tuple(p) for p in picks.values()}) > 1
    everything = {(split, name) for split in SPLITS for name in IMAGES[split]}
    assert all(set(p) <= everything for p in picks.values())


def test_subset_sample_larger_than_the_selection_takes_all_and_says_so(ydc, dataset):
    result = ydc("datasets", "subset", dataset, "--into", "few", "--split", "val", "--sample", "5")
    assert result.exit_code == 0, result.stderr
    assert "--sample 5 is more than the 2 images selected: took all of them\n" in result.stderr
    assert names(ydc("--json", "images", "list", "few")) == list(IMAGES["val"])


def store_snapshot(tmp_path):
    return tree_snapshot(tmp_path / "data"), db_snapshot(tmp_path / "data" / "ydc.db")


@pytest.mark.parametrize("options, code, message", [
    (["--into", "other"], 4, "dataset already exists (other)"),
    (["--into", "d"], 4, "dataset already exists (d)"),
    (["--into", "new", "--class", "zebra"], 3, "no such class (zebra): the classes are cat, dog, bird"),
    (["--into", "new", "--class", "bird", "--split", "val"], 3, "no images with a box of class bird to take (d/val)"),
    (["--into", "new", "--sample", "0"], 2, "--sample must be at least 1 (0)"),
    (["--into", "new", "--split", "nope"], 5, None),
])
def test_subset_refusals_change_nothing(ydc, dataset, tmp_path, options, code, message):
    assert ydc("datasets", "create", "other", "--classes", "x").exit_code == 0
    before = store_snapshot(tmp_path)
    result = ydc("datasets", "subset", dataset, *options)
    assert result.exit_code == code and result.stdout == ""
    assert len(result.stderr.splitlines()) == 1 and result.stderr.startswith("Error: ")
    if message is not None:
        assert result.stderr == f"Error: {message}\n"
    assert store_snapshot(tmp_path) == before


def test_subset_of_a_missing_dataset(ydc):
    result = ydc("datasets", "subset", "nope", "--into", "new")
    assert (result.exit_code, result.stderr) == (3, "Error: no such dataset (nope)\n")
    assert json.loads(ydc("--json", "datasets", "list").stdout) == []


def expected_table():
    per_class = {}
    for class_id, name in enumerate(CLASSES):
        row = {split: {"boxes": sum(ids.count(class_id) for ids in IMAGES[split].values() if ids),
                       "images": sum(class_id in ids for ids in IMAGES[split].values() if ids)} for split in SPLITS}
        row["total"] = {k: sum(row[s][k] for s in SPLITS) for k in ("boxes", "images")}
        per_class[name] = row
    every = {split: {"boxes": sum(len(ids) for ids in IMAGES[split].values() if ids),
                     "images": sum(bool(ids) for ids in IMAGES[split].values())} for split in SPLITS}
    every["total"] = {k: sum(every[s][k] for s in SPLITS) for k in ("boxes", "images")}
    return per_class, every


def test_info_shows_boxes_and_images_per_class_and_split(ydc, dataset):
    per_class, every = expected_table()
    data = json.loads(ydc("--json", "datasets", "info", dataset).stdout)
    assert (data["per_class"], data["all_classes"], data["unreadable_lines"]) == (per_class, every, 0)
    assert {"name", "path", "classes", "num_images", "created_at", "modified_at"} < set(data)
    assert (data["name"], data["classes"]) == ("d", CLASSES)
    text = ydc("datasets", "info", dataset)
    assert text.exit_code == 0 and "0:cat, 1:dog, 2:bird" in text.stdout
    cells = [(split, kind) for split in (*SPLITS, "total") for kind in ("boxes", "images")]
    assert text.stdout.splitlines()[-5:] == ["class\t" + "\t".join(f"{s} {k}" for s, k in cells)] + [
        "\t".join([label] + [str(row[s][k]) for s, k in cells])
        for label, row in [*per_class.items(), ("all classes", every)]]


def test_info_table_names_unknown_class_ids_and_counts_unreadable_lines(tmp_path):
    # Only a filesystem store can hold such labels (written by another tool); SQLite refuses them on the way in.
    runner = CliRunner()
    env = {"YDC_BACKEND": "filesystem", "YDC_DATA_DIR": str(tmp_path / "data"), "YDC_DEBUG": ""}
    assert runner.invoke(app, ["datasets", "create", "d", "--classes", "cat"], env=env).exit_code == 0
    (tmp_path / "x.jpg").write_bytes(jpeg())
    assert runner.invoke(app, ["images", "add", "d", str(tmp_path / "x.jpg")], env=env).exit_code == 0
    (tmp_path / "data" / "datasets" / "d" / "labels" / "train" / "x.txt").write_text(
        "0 0.5 0.5 0.2 0.2\n4 0.5 0.5 0.2 0.2\nbad line\n")
    data = json.loads(runner.invoke(app, ["--json", "datasets", "info", "d"], env=env).stdout)
    assert data["per_class"]["#4 (unknown)"]["train"] == {"boxes": 1, "images": 1}
    assert (data["per_class"]["cat"]["total"], data["unreadable_lines"]) == ({"boxes": 1, "images": 1}, 1)
    text = runner.invoke(app, ["datasets", "info", "d"], env=env)
    assert text.exit_code == 0
    assert text.stderr == "Not counted: 1 unreadable label line (`ydc datasets validate d` names them)\n"
