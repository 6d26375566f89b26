"""Hostile dataset, class, model and file names: exit 5, escapes never echoed raw, nothing stored."""

from __future__ import annotations

import pytest

from tests.helpers import checkpoint, jpeg

PATH_NAMES = {
    "slash": "a/b",
    "parent": "..",
    "dot": ".",
    "traversal": "../../etc",
    "backslash": "a\\b",
    "escape sequence": "\x1b[31mred\x1b[0m",
    "clear screen": "x\x1b[2J",
    "newline": "two\nlines",
    "nul-free control": "bell\x07",
    "too long": "n" * 256,
    "too long in utf-8": "é" * 130,
    "reserved device": "CON",
    "reserved with extension": "nul.txt",
    "leading space": " padded",
    "empty": "",
}
CLASS_NAMES = {
    "escape sequence": "\x1b[31mred",
    "newline": "a\nb",
    "tab": "a\tb",
    "too long": "c" * 256,
    "duplicate": "a,a",
    "nul-free control": "bell\x07",
}
# (--classes "a, b" is read leniently on purpose: items are stripped and empty ones dropped.)


@pytest.mark.parametrize("case", PATH_NAMES)
def test_dataset_names(store, case):
    store.refuses("datasets", "create", PATH_NAMES[case], "--classes", "a", code=5)


@pytest.mark.parametrize("case", ["slash", "traversal", "escape sequence", "too long", "reserved device"])
def test_dataset_names_given_to_import_and_copy(store, tmp_path, case):
    store.ok("datasets", "export", "base", "--output", tmp_path)
    store.refuses("datasets", "import", tmp_path / "base.zip", "--name", PATH_NAMES[case], code=5)


@pytest.mark.parametrize("case", CLASS_NAMES)
def test_class_names(store, case):
    store.refuses("datasets", "create", "fresh", "--classes", CLASS_NAMES[case], code=5)
    if case != "duplicate":
        store.refuses("datasets", "classes", "base", "--rename", f"a={CLASS_NAMES[case]}", code=5)
    store.refuses("datasets", "classes", "base", "--add", CLASS_NAMES[case].split(",")[0], code=5)


@pytest.mark.parametrize("case", PATH_NAMES)
def test_model_names(store, tmp_path, case):
    weights = checkpoint(tmp_path / "w.pt")
    store.refuses("models", "add", PATH_NAMES[case], weights, code=5)


FILE_NAMES = {
    "escape sequence": "\x1b[31mred.jpg",
    "newline": "two\nlines.jpg",
    "carriage return": "over\rwrite.jpg",
    "reserved device": "CON.jpg",
    "leading space": " lead.jpg",
    "not an image extension": "x.exe",
}


@pytest.mark.parametrize("case", FILE_NAMES)
def test_image_file_names(store, tmp_path, case):
    source = tmp_path / FILE_NAMES[case]
    source.write_bytes(jpeg())
    store.refuses("images", "add", "base", source, code=5)
    assert source.read_bytes() == jpeg()


@pytest.mark.parametrize("name", ["../one.jpg", "a/../../one.jpg", "/etc/passwd", "..", "x\x1b[2J.jpg"])
def test_file_names_given_to_commands(store, tmp_path, name):
    """Names typed on the command line reach the store only after validation."""
    store.refuses("labels", "set", "base", "train", name, "--box", "0 0.5 0.5 0.2 0.2", code=5)
    store.refuses("images", "remove", "base", "train", name, "--yes", code=5)
