"""Statistics of segment, obb and pose datasets: each task's own figures, from shapes whose answers are known."""

from __future__ import annotations

import math

import cv2
import numpy as np
import pytest

from tests.contract.conftest import BACKENDS, make_stores
from tests.helpers import sample
from ydc_cli.domain.tasks import Task
from ydc_cli.persistence import Annotation
from ydc_cli.services.stats import (
    ANGLE_BAR,
    AREA_BAR,
    HIDDEN_BAR,
    PANEL_HEIGHT,
    PLOT_WIDTH,
    POINTS_BAR,
    UNLABELLED_BAR,
    VISIBLE_BAR,
    dataset_stats,
    oriented_angle_and_aspect,
    plot_stats,
)


def _shape(class_id: int, *points: float) -> Annotation:
    return Annotation(class_id, 0.0, 0.0, 0.0, 0.0, tuple(points))


def _turned(cx: float, cy: float, long: float, short: float, degrees: float) -> tuple[float, ...]:
    """Four corners of a ``long`` x ``short`` rectangle whose first edge runs ``degrees`` clockwise (y down)."""
    a = math.radians(degrees)
    u, v = (math.cos(a), math.sin(a)), (-math.sin(a), math.cos(a))
    corners = [(-1, -1), (1, -1), (1, 1), (-1, 1)]
    return tuple(value for su, sv in corners for value in (cx + su * long / 2 * u[0] + sv * short / 2 * v[0],
                                                           cy + su * long / 2 * u[1] + sv * short / 2 * v[1]))


@pytest.fixture(params=BACKENDS)
def stores(request, tmp_path):
    bundle = make_stores(request.param, tmp_path / "store")
    yield bundle
    bundle.close()


async def test_segment_points_per_polygon_and_area(stores, tmp_path):
    await stores.dataset.create("seg", ["a", "b"], Task("segment"))
    square = _shape(0, 0.1, 0.1, 0.32, 0.1, 0.32, 0.32, 0.1, 0.32)  # 4 points, area 0.0484
    triangle = _shape(1, 0.5, 0.5, 0.9, 0.5, 0.5, 0.9)  # 3 points, area 0.08
    six = _shape(0, 0.1, 0.6, 0.21, 0.6, 0.32, 0.6, 0.32, 0.82, 0.21, 0.82, 0.1, 0.82)  # 6 points, area 0.0484
    await stores.dataset.add_samples("seg", [sample("a.jpg", "train", 1, [square, triangle]),
                                             sample("b.jpg", "val", 2, [six]), sample("c.jpg", "val", 3, [])])
    stats = await dataset_stats(stores, "seg")
    assert stats.task == "segment" and stats.instances == 3 and stats.unreadable_lines == 0
    points = stats.points_per_polygon
    assert (points.count, points.min, points.median, points.max) == (3, 3.0, 4.0, 6.0)
    area = stats.shape_area
    assert (area.count, area.min, area.median, area.max) == (3, pytest.approx(0.0484), pytest.approx(0.0484),
                                                             pytest.approx(0.08))
    assert stats.box_width.max == pytest.approx(0.4)  # the triangle's extent
    assert stats.obb_angle is stats.keypoint_visibility is stats.keypoints_per_object is None
    labels = [label for label, _ in stats.distributions()]
    assert labels[-2:] == ["points per polygon", "polygon area"]

    picture = cv2.imread(str(plot_stats(stats, tmp_path / "seg.png")))
    assert picture.shape[1] == PLOT_WIDTH
    lower = picture[-PANEL_HEIGHT:]
    points_columns = _column_heights(lower[:, :PLOT_WIDTH // 2], POINTS_BAR)  # one polygon each of 3, 4, 6
    assert points_columns == [pytest.approx(points_columns[0], abs=1)] * 3
    area_columns = _column_heights(lower[:, PLOT_WIDTH // 2:], AREA_BAR)  # sqrt(area) 0.22 twice, 0.28 once
    assert area_columns == [pytest.approx(2 * area_columns[1], abs=2), area_columns[1]]


async def test_obb_angle_aspect_and_area(stores):
    await stores.dataset.create("obb", ["bar"], Task("obb"))
    turned = _shape(0, *_turned(0.5, 0.5, 0.4, 0.1, 30.0))
    square = _shape(0, 0.1, 0.1, 0.3, 0.1, 0.3, 0.3, 0.1, 0.3)
    upright = _shape(0, 0.1, 0.1, 0.2, 0.1, 0.2, 0.5, 0.1, 0.5)  # first edge short: the long side is at 90
    await stores.dataset.add_samples("obb", [sample("a.jpg", "train", 1, [turned, square, upright])])
    stats = await dataset_stats(stores, "obb")
    near = {"abs": 1e-3}  # the stores keep 6 decimals of each corner
    assert (stats.obb_angle.min, stats.obb_angle.median, stats.obb_angle.max) == (
        pytest.approx(0.0, **near), pytest.approx(30.0, **near), pytest.approx(90.0, **near))
    assert (stats.obb_aspect.min, stats.obb_aspect.max) == (pytest.approx(1.0, **near), pytest.approx(4.0, **near))
    assert stats.shape_area.max == pytest.approx(0.04) and stats.shape_area.min == pytest.approx(0.04)
    assert stats.points_per_polygon is None and stats.keypoint_visibility is None
    assert [label for label, _ in stats.distributions()][-3:] == ["oriented box area", "angle (degrees)",
                                                                  "aspect long/short"]


@pytest.mark.parametrize(("degrees", "expected"), [(0.0, 0.0), (30.0, 30.0), (-30.0, 150.0), (180.0, 0.0),
                                                   (200.0, 20.0), (90.0, 90.0)])
def test_oriented_angle_is_the_long_side_in_half_a_turn(degrees, expected):
    angle, aspect = oriented_angle_and_aspect(_turned(0.5, 0.5, 0.3, 0.1, degrees))
    assert angle == pytest.approx(expected, abs=1e-6) and aspect == pytest.approx(3.0)
    assert oriented_angle_and_aspect((0.1, 0.1, 0.3, 0.1, 0.3, 0.1, 0.1, 0.1))[1] is None  # no width


async def test_pose_visibility_per_keypoint_and_keypoints_per_object(stores, tmp_path):
    await stores.dataset.create("pose", ["person"], Task("pose", (3, 3)))

    def person(*visibility: int) -> Annotation:
        points = tuple(v for i, seen in enumerate(visibility) for v in (0.4 + 0.1 * i, 0.5, float(seen)))
        return Annotation(0, 0.5, 0.5, 0.6, 0.6, points)

    await stores.dataset.add_samples("pose", [
        sample("a.jpg", "train", 1, [person(2, 1, 0), person(2, 2, 0)]),
        sample("b.jpg", "val", 2, [person(0, 0, 0)]),
    ])
    stats = await dataset_stats(stores, "pose")
    counts = [(k.keypoint, k.visible, k.hidden, k.not_labelled) for k in stats.keypoint_visibility]
    assert counts == [(0, 2, 0, 1), (1, 1, 1, 1), (2, 0, 0, 3)]
    per_object = stats.keypoints_per_object
    assert (per_object.count, per_object.min, per_object.median, per_object.max) == (3, 0.0, 2.0, 2.0)
    assert stats.points_per_polygon is None and stats.shape_area is None

    picture = cv2.imread(str(plot_stats(stats, tmp_path / "pose.png")))
    chart = picture[-PANEL_HEIGHT + 35:, :PLOT_WIDTH // 2]  # below the legend
    visible, hidden, unlabelled = (_column_heights(chart, c) for c in (VISIBLE_BAR, HIDDEN_BAR, UNLABELLED_BAR))
    unit = visible[0] / 2
    assert visible == [pytest.approx(2 * unit, abs=2), pytest.approx(unit, abs=2)]  # keypoint 2: never visible
    assert hidden == [pytest.approx(unit, abs=2)]
    assert unlabelled == [pytest.approx(unit, abs=2), pytest.approx(unit, abs=2), pytest.approx(3 * unit, abs=2)]
    legend = picture[-PANEL_HEIGHT:-PANEL_HEIGHT + 30, :PLOT_WIDTH // 2]
    assert all((legend == c).all(axis=2).sum() > 50 for c in (VISIBLE_BAR, HIDDEN_BAR, UNLABELLED_BAR))


async def test_pose_without_visibility_counts_every_keypoint_visible(stores):
    await stores.dataset.create("p2", ["hand"], Task("pose", (2, 2)))
    await stores.dataset.add_samples("p2", [sample("a.jpg", "train", 1, [
        Annotation(0, 0.5, 0.5, 0.4, 0.4, (0.4, 0.4, 0.6, 0.6))])])
    stats = await dataset_stats(stores, "p2")
    assert [(k.visible, k.hidden, k.not_labelled) for k in stats.keypoint_visibility] == [(1, 0, 0), (1, 0, 0)]
    assert stats.keypoints_per_object.max == 2.0


async def test_detect_stats_and_plot_keep_their_shape(stores, tmp_path):
    await stores.dataset.create("d", ["cat"])
    await stores.dataset.add_samples("d", [sample("a.jpg", "train", 1, [Annotation(0, 0.5, 0.5, 0.2, 0.4)])])
    stats = await dataset_stats(stores, "d")
    assert stats.task == "detect" and len(stats.distributions()) == 5
    assert all(getattr(stats, name) is None for name in ("points_per_polygon", "shape_area", "obb_angle",
                                                          "obb_aspect", "keypoints_per_object",
                                                          "keypoint_visibility"))
    detect = cv2.imread(str(plot_stats(stats, tmp_path / "d.png")))
    stats.task = "obb"
    stats.angles, stats.shape_aspects = [10.0], [2.0]
    obb = cv2.imread(str(plot_stats(stats, tmp_path / "o.png")))
    assert obb.shape[0] == detect.shape[0] + PANEL_HEIGHT
    assert (obb[-PANEL_HEIGHT:] == ANGLE_BAR).all(axis=2).any() and not (detect == ANGLE_BAR).all(axis=2).any()


def _column_heights(picture: np.ndarray, colour) -> list[int]:
    """The height of each run of columns holding ``colour``, left to right."""
    mask = (picture == colour).all(axis=2)
    heights, current = [], 0
    for height in [*mask.sum(axis=0).tolist(), 0]:
        if height:
            current = max(current, height)
        elif current:
            heights.append(current)
            current = 0
    return heights
