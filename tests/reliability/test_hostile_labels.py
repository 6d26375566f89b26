"""Every malformed YOLO label line, in `labels set` and in imports: exit 5 naming file and line, nothing stored."""

from __future__ import annotations

import pytest

from tests.helpers import jpeg

BAD_LINES = {
    "too few columns": "0 0.5 0.5 0.2",
    "too many columns": "0 0.5 0.5 0.2 0.2 0.9",
    "not a number": "0 0.5 abc 0.2 0.2",
    "class not an integer": "0.5 0.5 0.5 0.2 0.2",
    "negative class": "-1 0.5 0.5 0.2 0.2",
    "class out of range": "2 0.5 0.5 0.2 0.2",
    "huge class": "99999999999999999999 0.5 0.5 0.2 0.2",
    "coordinate above 1": "0 1.5 0.5 0.2 0.2",
    "negative coordinate": "0 -0.1 0.5 0.2 0.2",
    "zero width": "0 0.5 0.5 0 0.2",
    "zero height": "0 0.5 0.5 0.2 0",
    "nan": "0 nan 0.5 0.2 0.2",
    "infinity": "0 0.5 0.5 inf 0.2",
    "hex number": "0 0x1 0.5 0.2 0.2",
    "segment polygon": "0 0.1 0.1 0.2 0.1 0.2 0.2 0.1 0.2",
}


@pytest.mark.parametrize("case", BAD_LINES)
def test_labels_set_refuses(store, case):
    store.refuses("labels", "set", "base", "train", "one.jpg", "--box", BAD_LINES[case], code=5)


@pytest.mark.parametrize("case", BAD_LINES)
def test_label_file_refused_names_file_and_line(store, tmp_path, case):
    label = tmp_path / "bad.txt"
    label.write_text(f"0 0.5 0.5 0.2 0.2\n{BAD_LINES[case]}\n")
    line = store.refuses("labels", "set", "base", "train", "one.jpg", "--file", label, code=5)
    assert line.endswith("bad.txt:2)"), line


@pytest.mark.parametrize("case", ["too few columns", "class out of range", "nan", "zero width"])
def test_folder_import_refuses_the_whole_dataset(store, tmp_path, case):
    folder = tmp_path / "src"
    for index in range(3):
        (folder / "images" / "train").mkdir(parents=True, exist_ok=True)
        (folder / "labels" / "train").mkdir(parents=True, exist_ok=True)
        (folder / "images" / "train" / f"{index}.jpg").write_bytes(jpeg(seed=index))
        (folder / "labels" / "train" / f"{index}.txt").write_text("0 0.5 0.5 0.2 0.2\n")
    (folder / "labels" / "train" / "2.txt").write_text(f"1 0.5 0.5 0.2 0.2\n{BAD_LINES[case]}\n")
    (folder / "data.yaml").write_text("names: [a, b]\ntrain: images/train\n")
    line = store.refuses("datasets", "import", folder, code=5)
    assert line.endswith("2.txt:2)"), line


def test_binary_label_file(store, tmp_path):
    label = tmp_path / "binary.txt"
    label.write_bytes(b"\xff\xfe\x00garbage\x00")
    store.refuses("labels", "set", "base", "train", "one.jpg", "--file", label, code=5)


def test_a_box_past_the_edge_is_kept_and_reported(store):
    """Like ultralytics (which clips at load time), a box reaching past the image edge is stored;
    `datasets validate` reports it and `--fix` clips it."""
    store.ok("labels", "set", "base", "train", "one.jpg", "--box", "0 0.95 0.5 0.3 0.2")
    report = store.run("--json", "datasets", "validate", "base")
    assert report.returncode == 0 and '"extent"' in report.stdout
