"""Name validation: what may become a path component or a key."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ydc_cli.domain.errors import InvalidNameError
from ydc_cli.domain.names import printable, validate_classes, validate_dataset_name, validate_filename


@pytest.mark.parametrize("name", ["cars", "my dataset", "été-2024", "写真", "a.b", "x" * 255])
def test_valid_names(name):
    assert validate_dataset_name(name) == name


@pytest.mark.parametrize("name, message", [
    ("", "empty"), (".", "'.'"), ("..", "'.'"), ("a/b", "separator"), ("a\\b", "separator"),
    ("bell\x07", "control"), ("esc\x1b[31m", "control"), ("é" * 128, "255 bytes"), (" a", "whitespace"),
    ("CON", "reserved"), ("nul.txt", "reserved"), (".hidden", "start with '.'"), (None, "string"),
])
def test_invalid_names(name, message):
    with pytest.raises(InvalidNameError, match=message):
        validate_dataset_name(name)


def test_error_messages_escape_control_characters():
    with pytest.raises(InvalidNameError) as info:
        validate_filename("evil\x1b[2J.jpg")
    assert "\x1b" not in str(info.value) and "\\x1b" in str(info.value)


@given(st.text(max_size=300))
def test_accepted_names_are_one_safe_path_component(name):
    try:
        validate_dataset_name(name)
    except InvalidNameError as exc:
        assert printable(str(exc)) == str(exc)  # never echoes a control character
    else:
        assert "/" not in name and "\\" not in name and name not in {".", ".."}
        assert len(name.encode()) <= 255
        assert not any(unicodedata.category(ch).startswith("C") for ch in name)


def test_classes():
    assert validate_classes(["a", "b/c", "yes"]) == ["a", "b/c", "yes"]
    with pytest.raises(InvalidNameError, match="twice"):
        validate_classes(["a", "a"])
    with pytest.raises(InvalidNameError):
        validate_classes([""])
