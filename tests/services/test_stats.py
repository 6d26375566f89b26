"""Statistics from labels alone, and the plot."""

from __future__ import annotations

import random

import cv2
import numpy as np
import pytest

from tests.backends import BACKENDS
from tests.contract.conftest import make_stores
from tests.helpers import box, sample
from ydc_cli.domain.errors import NotFoundError
from ydc_cli.persistence import Annotation
from ydc_cli.services.stats import (
    ASPECT_BAR,
    CLASS_BAR,
    INK,
    MAX_CLASS_ROWS,
    PLOT_WIDTH,
    SIZE_BAR,
    DatasetStats,
    dataset_stats,
    plot_stats,
)


@pytest.mark.parametrize("backend", BACKENDS)
async def test_counts_and_distributions(tmp_path, backend):
    stores = make_stores(backend, tmp_path)
    await stores.dataset.create("d", ["cat", "dog", "bird"])
    await stores.dataset.add_samples("d", [
        sample("a.jpg", "train", 1, [box(0, 0.5, 0.5, 0.2, 0.2), box(0, 0.5, 0.5, 0.4, 0.1)]),
        sample("b.jpg", "train", 2, [Annotation(1, 0.5, 0.5, 0.5, 0.5)]),
        sample("c.jpg", "val", 3, []),
        sample("d.jpg", "test", 4, None),
    ])
    await stores.label.save("d", "val", "orphan.jpg", [box(2)])
    stats = await dataset_stats(stores, "d")
    assert stats.images == {"train": 2, "val": 1, "test": 1}
    assert (stats.labeled_images, stats.backgrounds_empty_label, stats.backgrounds_missing_label) == (2, 1, 1)
    assert stats.instances == 3
    assert stats.instances_per_class == {"cat": 2, "dog": 1, "bird": 0}
    assert stats.images_per_class == {"cat": 1, "dog": 1, "bird": 0}
    assert (stats.boxes_per_image.count, stats.boxes_per_image.max, stats.boxes_per_image.mean) == (4, 2.0, 0.75)
    assert stats.box_size.min == pytest.approx(0.2) and stats.box_size.max == pytest.approx(0.5)
    assert stats.aspect.max == pytest.approx(4.0)
    target = plot_stats(stats, tmp_path / "plot.png")
    picture = cv2.imread(str(target))
    assert picture.shape[1] == PLOT_WIDTH
    assert _bar_lengths(picture) == [pytest.approx(2 * _bar_lengths(picture)[1], abs=2), _bar_lengths(picture)[1]]
    stores.close()


def _bar_lengths(picture: np.ndarray, colour=CLASS_BAR) -> list[int]:
    """The length of each horizontal bar of ``colour``, top to bottom."""
    per_row = (picture == colour).all(axis=2).sum(axis=1)
    bars, current = [], 0
    for length in [*per_row.tolist(), 0]:
        if length:
            current = max(current, length)
        elif current:
            bars.append(current)
            current = 0
    return bars


def _runs(mask: np.ndarray) -> list[int]:
    """The length of every run of True in the rows of ``mask``."""
    runs = []
    for row in mask:
        current = 0
        for value in [*row.tolist(), False]:
            if value:
                current += 1
            elif current:
                runs.append(current)
                current = 0
    return runs


def _skewed(classes: int, seed: int = 0) -> DatasetStats:
    """Statistics of a dataset whose class counts fall off like Zipf's law, most frequent not first."""
    rng = random.Random(seed)
    counts = [max(1, round(3000 / (rank + 1))) for rank in range(classes)]
    rng.shuffle(counts)
    names = [f"class_{i}" for i in range(classes)]
    sizes = [rng.uniform(0.02, 0.8) for _ in range(sum(counts))]
    aspects = [2 ** rng.uniform(-3.5, 3.5) for _ in range(sum(counts))]
    return DatasetStats("skewed", names, {"train": 100, "val": 20, "test": 0}, instances=sum(counts),
                        instances_per_class=dict(zip(names, counts, strict=True)), sizes=sizes, aspects=aspects)


@pytest.mark.parametrize("classes", [2, 80, 600])
def test_plot_sorts_the_class_bars_and_scales_them_to_the_counts(tmp_path, classes):
    stats = _skewed(classes)
    picture = cv2.imread(str(plot_stats(stats, tmp_path / "plot.png")))
    ranked = sorted(stats.instances_per_class.values(), reverse=True)[:MAX_CLASS_ROWS]
    bars = _bar_lengths(picture)
    assert len(bars) == len(ranked)
    assert bars == sorted(bars, reverse=True)
    for length, count in zip(bars, ranked, strict=True):
        assert length == pytest.approx(bars[0] * count / ranked[0], abs=2)
    assert picture.shape[1] == PLOT_WIDTH and picture.shape[0] < 3000


def test_plot_grows_with_the_classes_up_to_a_limit_and_notes_the_rest(tmp_path):
    heights = {n: cv2.imread(str(plot_stats(_skewed(n), tmp_path / f"{n}.png"))).shape[0]
               for n in (2, 80, MAX_CLASS_ROWS, MAX_CLASS_ROWS + 1, 600)}
    assert heights[2] < heights[80] < heights[MAX_CLASS_ROWS]
    assert heights[MAX_CLASS_ROWS] < heights[MAX_CLASS_ROWS + 1] == heights[600]  # the same bars, plus the note


def test_every_panel_has_axes_and_the_histograms_have_columns(tmp_path):
    picture = cv2.imread(str(plot_stats(_skewed(80), tmp_path / "plot.png")))
    ink = (picture == INK).all(axis=2)
    assert sum(length > 300 for length in _runs(ink)) >= 3  # an x axis per panel
    assert sum(length > 200 for length in _runs(ink.T)) >= 3  # a y axis per panel
    for colour in (SIZE_BAR, ASPECT_BAR):
        columns = (picture == colour).all(axis=2)
        assert columns.any(axis=0).sum() > 100 and columns.any(axis=1).sum() > 50


def test_long_class_names_do_not_push_the_bars_away(tmp_path):
    stats = _skewed(3)
    stats.instances_per_class = {"x" * 200 + str(i): n for i, n in enumerate(stats.instances_per_class.values())}
    picture = cv2.imread(str(plot_stats(stats, tmp_path / "plot.png")))
    first_column = int(np.argmax((picture == CLASS_BAR).all(axis=2).any(axis=0)))
    assert 0 < first_column < 450 and len(_bar_lengths(picture)) == 3


def test_plot_into_a_missing_folder(tmp_path):
    with pytest.raises(NotFoundError):
        plot_stats(_skewed(2), tmp_path / "nope" / "plot.png")
    assert not (tmp_path / "nope").exists()
