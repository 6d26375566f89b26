"""Statistics from labels alone, and the plot."""

from __future__ import annotations

import cv2
import pytest

from tests.contract.conftest import make_stores
from tests.helpers import box, sample
from ydc_cli.persistence import Annotation
from ydc_cli.services.stats import dataset_stats, plot_stats


@pytest.mark.parametrize("backend", ["filesystem", "sqlite"])
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
    assert picture.shape == (760, 1200, 3) and (picture < 250).any()
    stores.close()
