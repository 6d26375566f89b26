"""Shapes of every task: parse and format round trips, the checks, clip, area, and how a task is guessed."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ydc_cli.domain import tasks
from ydc_cli.domain.errors import InvalidDatasetError, InvalidLabelError
from ydc_cli.domain.labels import Box, format_line, parse_line, parse_text
from ydc_cli.domain.shapes import for_task
from ydc_cli.domain.shapes.base import clip_polygon, points_extent, shoelace
from ydc_cli.domain.shapes.polygon import self_intersects

unit = st.floats(min_value=0, max_value=1, allow_nan=False)
SEGMENT, OBB, POSE = tasks.Task("segment"), tasks.Task("obb"), tasks.make("pose", [4, 3])


@given(st.integers(0, 50), st.lists(unit, min_size=6, max_size=80).filter(lambda v: len(v) % 2 == 0))
def test_polygons_round_trip_to_six_decimals(class_id, points):
    line = format_line((class_id, 0, 0, 0, 0, tuple(points)), SEGMENT)
    parsed = parse_line(line, task=SEGMENT)
    assert parsed.class_id == class_id and len(parsed.points) == len(points)
    assert all(abs(a - b) <= 5e-7 + 1e-12 for a, b in zip(parsed.points, points, strict=True))
    assert parsed[1:5] == pytest.approx(points_extent(parsed.points))


@given(st.lists(unit, min_size=8, max_size=8))
def test_oriented_boxes_round_trip(points):
    parsed = parse_line(format_line((1, 0, 0, 0, 0, tuple(points)), OBB), task=OBB)
    assert len(parsed.points) == 8 and parsed[1:5] == pytest.approx(points_extent(parsed.points))


@given(st.lists(st.tuples(unit, unit, st.sampled_from([0, 1, 2])), min_size=4, max_size=4))
def test_pose_rows_round_trip_with_integer_visibility(keypoints):
    flat = tuple(v for triple in keypoints for v in triple)
    line = format_line((0, 0.5, 0.5, 0.2, 0.3, flat), POSE)
    assert line.split()[7] in ("0", "1", "2")  # visibility written as the integer it is
    parsed = parse_line(line, task=POSE)
    assert parsed[1:5] == (0.5, 0.5, 0.2, 0.3) and parsed.points[2::3] == tuple(float(v) for _, _, v in keypoints)


@given(st.text(max_size=80))
def test_any_text_parses_or_raises_invalid_label_for_every_task(text):
    for task in (SEGMENT, OBB, POSE):
        try:
            parse_text(text, task=task)
        except InvalidLabelError as exc:
            assert exc.line >= 1


@pytest.mark.parametrize("task, line, message", [
    (SEGMENT, "0 0.1 0.1 0.2 0.2", "a box row .* polygons of at least 3 points"),
    (SEGMENT, "0 0.1 0.1 0.2 0.2 0.3", "odd count"),
    (SEGMENT, "0 0.1 0.1 0.2 0.2 0.3 -0.1", r"outside \[0, 1\]"),
    (SEGMENT, "0 0.1 0.1 0.2 0.2 0.3 nan", "finite"),
    (SEGMENT, "1.5 0.1 0.1 0.2 0.2 0.3 0.3", "integer"),
    (OBB, "0 0.1 0.1 0.2 0.2 0.3 0.3", "mix kinds: a polygon row"),
    (OBB, "0 0.1 0.1 0.2 0.2 0.3 0.3 0.4", "expected 9 columns"),
    (OBB, "0 0.1 0.1 0.2 0.2 0.3 0.3 0.4 0.4 0.5", "expected 9 columns"),
    (POSE, "0 0.5 0.5 0.2 0.2", "expected 17 columns"),
    (POSE, "0 0.5 0.5 0 0.2 " + "0.5 0.5 2 " * 4, "zero or negative size"),
    (POSE, "0 0.5 0.5 0.2 0.2 " + "0.5 0.5 2 " * 3 + "0.5 0.5 7", "visibility must be 0, 1 or 2"),
    (POSE, "0 0.5 0.5 0.2 0.2 " + "0.5 1.5 2 " * 4, r"outside \[0, 1\]"),
])
def test_bad_rows_name_the_rule(task, line, message):
    with pytest.raises(InvalidLabelError, match=message):
        parse_line(line, task=task, nc=3, source="a.txt", line=2)


def test_a_detect_dataset_refuses_points_and_tells_polygon_rows_apart():
    with pytest.raises(InvalidLabelError, match="mix kinds: a polygon or oriented box row"):
        parse_line("0 0.1 0.1 0.2 0.2 0.3 0.3")
    from ydc_cli.domain.labels import check_shape

    with pytest.raises(InvalidLabelError, match="holds boxes, not points"):
        check_shape(0, 0.5, 0.5, 0.1, 0.1, (0.1, 0.1, 0.2, 0.2, 0.3, 0.3))


def test_area_clip_and_crossing():
    square = (0.2, 0.2, 0.6, 0.2, 0.6, 0.6, 0.2, 0.6)
    assert shoelace(square) == pytest.approx(0.16) and not self_intersects(square)
    assert self_intersects((0.1, 0.1, 0.5, 0.5, 0.1, 0.4, 0.4, 0.1))
    # the sweep agrees with testing every pair of edges, on random and on simple polygons
    import math
    import random

    rng = random.Random(1)
    for trial in range(400):
        n = rng.randint(4, 40)
        if trial % 2:
            angles = sorted(rng.uniform(0, 2 * math.pi) for _ in range(n))
            polygon = [v for a in angles for v in (0.5 + 0.3 * math.cos(a), 0.5 + 0.3 * math.sin(a))]
        else:
            polygon = [rng.random() for _ in range(2 * n)]
        assert self_intersects(polygon) == _crosses_brute_force(polygon), polygon
    assert shoelace(clip_polygon((-0.5, -0.5, 0.5, -0.5, 0.5, 0.5, -0.5, 0.5))) == pytest.approx(0.25)
    assert clip_polygon((1.5, 1.5, 2, 1.5, 2, 2)) == []
    shape = for_task("segment")
    clipped = shape.clip(Box(0, 0, 0, 0, 0, (-0.5, -0.5, 0.5, -0.5, 0.5, 0.5)), SEGMENT)
    assert clipped is not None and all(0 <= v <= 1 for v in clipped.points)
    assert for_task("obb").area(Box(0, 0, 0, 0, 0, square)) == pytest.approx(0.16)
    kept = for_task("pose").clip(Box(0, 0.9, 0.5, 0.4, 0.2, (0.95, 0.5, 2, 0.5, 1.2, 2, 0, 0, 0, 0.9, 0.5, 1)), POSE)
    assert kept.width == pytest.approx(0.3) and kept.points[3:6] == (0.0, 0.0, 0.0)


def _crosses_brute_force(points) -> bool:
    n = len(points) // 2
    corners = list(zip(points[0::2], points[1::2], strict=True))

    def side(p, q, r) -> float:
        return (q[0] - p[0]) * (r[1] - p[1]) - (q[1] - p[1]) * (r[0] - p[0])

    for i in range(n):
        for k in range(i + 1, n):
            if k - i == 1 or (i == 0 and k == n - 1):
                continue
            a, b, c, d = corners[i], corners[(i + 1) % n], corners[k], corners[(k + 1) % n]
            if side(c, d, a) * side(c, d, b) < 0 and side(a, b, c) * side(a, b, d) < 0:
                return True
    return False


def test_guessing_the_task_from_column_counts():
    assert tasks.guess([("a", "0 0.5 0.5 0.1 0.1\n")]).name == "detect"
    nine = "0 " + "0.1 " * 8 + "\n"
    assert tasks.guess([("a", nine), ("b", nine)]).name == "obb"
    assert tasks.guess([("a", nine), ("b", "0 " + "0.1 " * 12 + "\n")]).name == "segment"
    assert tasks.guess([]).name == "detect"
    assert tasks.guess([("a", "0 0.5 0.5 0.1 0.1\n")], kpt_shape=(2, 2)).name == "pose"
    with pytest.raises(InvalidLabelError, match=r"mix kinds.*\(b:2\)"):  # read on after nine columns
        tasks.guess([("a", nine), ("b", "\n0 0.5 0.5 0.1 0.1\n")])
    # after a box row the guess stops reading (detect is certain): a later polygon row is refused when parsed
    for task, row, message in ((tasks.DETECT, "0 " + "0.1 " * 6, "a polygon or oriented box row"),
                               (SEGMENT, "0 0.5 0.5 0.1 0.1", "a box row"), (OBB, "0 0.5 0.5 0.1 0.1", "a box row"),
                               (OBB, "0 " + "0.1 " * 12, "a polygon row"), (POSE, "0 0.5 0.5 0.1 0.1", "a box row")):
        with pytest.raises(InvalidLabelError, match=f"the labels mix kinds: {message}"):
            parse_line(row, task=task)
    with pytest.raises(InvalidLabelError, match="has 6 columns"):
        tasks.guess([("a", "0 0.5 0.5 0.1 0.1 0.2\n")])


def test_task_rules_and_yaml_keys():
    pose = tasks.make("pose", [17, 3], list(range(17)))
    assert pose.yaml_keys() == {"task": "pose", "kpt_shape": [17, 3], "flip_idx": list(range(17))}
    assert len(pose.skeleton_pairs()) == 19  # COCO's person skeleton for 17 keypoints
    assert tasks.DETECT.yaml_keys() == {} and tasks.Task("segment").model_yaml == "yolo11n-seg.yaml"
    assert tasks.from_yaml({"kpt_shape": [5, 2], "names": ["a"]}).name == "pose"
    assert tasks.from_yaml({"names": ["a"]}) is None
    for bad, message in ((lambda: tasks.make("pose"), "needs kpt_shape"),
                         (lambda: tasks.make("pose", [3, 4]), r"kpt_shape must be \[K >= 1, 2 or 3\]"),
                         (lambda: tasks.make("pose", [3, 3], [0, 1]), "flip_idx must list each keypoint"),
                         (lambda: tasks.make("segment", None, [0]), "belong to pose datasets"),
                         (lambda: tasks.from_yaml({"task": "classify"}), "unknown task"),
                         (lambda: tasks.make("pose", "17"), "must be a list")):
        with pytest.raises(InvalidDatasetError, match=message):
            bad()
