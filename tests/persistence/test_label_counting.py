"""Class ids read from label texts: the fast pattern never disagrees with parse_line."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from ydc_cli.domain.errors import InvalidLabelError
from ydc_cli.domain.labels import format_text, parse_line
from ydc_cli.persistence.dataset_store import ClassCounts, readable_class_ids

unit = st.floats(min_value=0, max_value=1, allow_nan=False)
positive = st.floats(min_value=1e-6, max_value=1, allow_nan=False)
boxes = st.lists(st.tuples(st.integers(0, 10**12), unit, unit, positive, positive), max_size=6)
# Lines near the written format: odd class ids, decimals, ranges, zero sizes, spacing and line ends.
class_tokens = st.sampled_from(["0", "1", "7", "12", "007", "-1", "+2", "1.0", "1e0", "x", "٣", "1234567890"])
coordinates = st.sampled_from(["0.500000", "1.000000", "0.000000", "0.000001", "1.000001", "2.000000",
                               "9.999999", "0.5", ".5", "0.1234567", "-0.000000", "nan", "x"])
near_lines = st.tuples(class_tokens, coordinates, coordinates, coordinates, coordinates).map(" ".join)
lines = st.one_of(near_lines, st.lists(st.one_of(class_tokens, coordinates), max_size=7).map(" ".join))
texts = st.lists(st.tuples(lines, st.sampled_from(["\n", "\n", "\n", "\r\n", "", "  \n", "\t\n"])),
                 max_size=5).map(lambda parts: "".join(line + end for line, end in parts))

def parsed_one_by_one(text: str) -> tuple[list[int], int]:
    """The reference: parse_line on every non-blank line."""
    ids, unreadable = [], 0
    for line in text.splitlines():
        if line.strip():
            try:
                ids.append(parse_line(line).class_id)
            except InvalidLabelError:
                unreadable += 1
    return ids, unreadable


@given(boxes)
def test_written_labels_give_their_class_ids(items):
    text = format_text(items)
    assert readable_class_ids(text) == ([b[0] for b in items], 0) == parsed_one_by_one(text)


@settings(max_examples=400)
@given(near_lines)
def test_a_line_near_the_written_format_gives_what_parse_line_gives(line):
    text = line + "\n"
    assert readable_class_ids(text) == parsed_one_by_one(text)


@given(st.one_of(texts, boxes.map(format_text), st.text(max_size=80)))
def test_any_text_gives_what_parse_line_gives(text):
    assert readable_class_ids(text) == parsed_one_by_one(text)


@given(st.lists(st.tuples(st.one_of(texts, boxes.map(format_text)), st.integers(1, 3)), max_size=6))
def test_counts_of_texts_and_of_their_bytes_agree_with_the_reference(labels):
    from_text, from_bytes = ClassCounts(), ClassCounts()
    from_text.add_labels("val", labels)
    from_bytes.add_labels("val", [(text.encode(), images) for text, images in labels])
    expected_boxes, expected_images, labeled, unreadable = {}, {}, 0, 0
    for text, images in labels:
        ids, bad = parsed_one_by_one(text)
        unreadable += bad
        for class_id in ids:
            expected_boxes[class_id] = expected_boxes.get(class_id, 0) + images
        for class_id in set(ids):
            expected_images[class_id] = expected_images.get(class_id, 0) + images
        labeled += images if ids else 0
    for counts in (from_text, from_bytes):
        assert (dict(counts.boxes["val"]), dict(counts.images["val"])) == (expected_boxes, expected_images)
        assert (counts.labeled["val"], counts.unreadable_lines) == (labeled, unreadable)
        assert not counts.boxes["train"] and counts.labeled["test"] == 0


def test_a_byte_order_mark_and_bad_bytes_are_read_as_iter_label_texts_decodes_them():
    counts = ClassCounts()
    counts.add_labels("train", [("\ufeff1 0.5 0.5 0.2 0.2\n".encode(), 1), (b"\xff\xfe0 0.5 0.5 0.2 0.2\n", 1)])
    assert dict(counts.boxes["train"]) == {1: 1} and counts.unreadable_lines == 1


def test_a_class_id_written_with_leading_zeros_is_one_class():
    counts = ClassCounts()
    text = "7 0.500000 0.500000 0.200000 0.200000\n007 0.500000 0.500000 0.200000 0.200000\n"
    counts.add_labels("test", [(text, 1), (text.encode(), 2)])
    assert (dict(counts.boxes["test"]), dict(counts.images["test"]), counts.labeled["test"]) == ({7: 6}, {7: 3}, 3)
