"""The YOLO label line format."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ydc_cli.domain.errors import InvalidLabelError
from ydc_cli.domain.labels import Box, format_line, format_text, parse_line, parse_text

unit = st.floats(min_value=0, max_value=1, allow_nan=False)
positive = st.floats(min_value=1e-6, max_value=1, allow_nan=False)


@given(st.integers(0, 10_000), unit, unit, positive, positive)
def test_format_then_parse_keeps_values_to_six_decimals(class_id, x, y, w, h):
    line = format_line((class_id, x, y, w, h))
    parsed = parse_line(line)
    assert parsed.class_id == class_id
    for got, want in zip(parsed[1:5], (x, y, w, h), strict=True):
        assert abs(got - want) <= 5e-7 + 1e-12


@given(st.text(max_size=60))
def test_any_text_parses_or_raises_invalid_label(text):
    try:
        boxes = parse_text(text)
    except InvalidLabelError as exc:
        assert exc.line >= 1
    else:
        for b in boxes:
            assert b.class_id >= 0 and all(0 <= v <= 1 for v in b[1:5])
            assert b.points is None and b.width > 0 and b.height > 0


@pytest.mark.parametrize("line, message", [
    ("0 0.5 0.5 0.1", "expected 5 columns"),
    ("0 0.5 0.5 0.1 0.1 0.3", "expected 5 columns"),
    ("cat 0.5 0.5 0.1 0.1", "non-numeric"),
    ("0.5 0.5 0.5 0.1 0.1", "integer"),
    ("-1 0.5 0.5 0.1 0.1", "negative"),
    ("0 nan 0.5 0.1 0.1", "finite"),
    ("0 0.5 inf 0.1 0.1", "finite"),
    ("0 1.2 0.5 0.1 0.1", "outside"),
    ("0 0.5 0.5 0 0.1", "zero or negative"),
    ("3 0.5 0.5 0.1 0.1", "out of range"),
])
def test_bad_lines(line, message):
    with pytest.raises(InvalidLabelError, match=message):
        parse_line(line, nc=3, source="train/a.txt", line=7)


def test_error_names_file_and_line():
    with pytest.raises(InvalidLabelError, match=r"\(train/a\.txt:2\)"):
        parse_text("0 0.5 0.5 0.1 0.1\n0 2 0.5 0.1 0.1\n", source="train/a.txt")


def test_blank_lines_are_skipped_and_integral_floats_accepted():
    assert parse_text("\n1.0 0.5 0.5 0.1 0.1\n  \n") == [Box(1, 0.5, 0.5, 0.1, 0.1)]


def test_format_text():
    assert format_text([]) == ""
    assert format_text([(2, 0.5, 1 / 3, 0.25, 1.0)]) == "2 0.500000 0.333333 0.250000 1.000000\n"
    assert not math.isnan(parse_line("0 0 0 1 1").x)
