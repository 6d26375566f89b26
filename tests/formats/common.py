"""What the format tests share: a small dataset with pixel boxes, and how to compare what is stored."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from tests.helpers import jpeg

CLASSES = ["cat", "dog", "traffic light"]
# (file, split, (width, height), [(class, x1, y1, x2, y2)]) in pixels; one background, one box on the edge
ITEMS = [
    ("a.jpg", "train", (64, 48), [("cat", 4, 6, 24, 30), ("traffic light", 40, 10, 64, 48)]),
    ("b.jpg", "train", (80, 60), [("dog", 10.5, 12.25, 30.75, 40.5)]),
    ("c.jpg", "val", (96, 72), [("dog", 0, 0, 12, 12), ("cat", 50, 30, 90, 70), ("cat", 1, 40, 9, 50)]),
    ("d.jpg", "val", (64, 48), []),
]


def write_images(folder: Path, items=ITEMS) -> dict[str, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = {}
    for index, (name, _, (width, height), _) in enumerate(items):
        paths[name] = folder / name
        paths[name].write_bytes(jpeg(width, height, seed=index))
    return paths


def expected_boxes(items=ITEMS, split: str | None = None) -> dict[str, list[tuple]]:
    return {name: sorted((c, *map(float, corners)) for c, *corners in boxes)
            for name, s, _, boxes in items if split in (None, s)}


def stored_boxes(ydc, dataset: str, items=ITEMS) -> dict[str, list[tuple]]:
    """Every stored box in pixels, by file name, read back through the CLI."""
    sizes = {name: size for name, _, size, _ in items}
    classes = json.loads(ydc("--json", "datasets", "info", dataset).stdout)["classes"]
    found = {}
    for row in json.loads(ydc("--json", "images", "list", dataset).stdout):
        width, height = sizes[row["filename"]]
        boxes = json.loads(ydc("--json", "labels", "show", dataset, row["split"], row["filename"]).stdout)
        found[row["filename"]] = sorted(
            (classes[b["class_id"]], (b["x"] - b["width"] / 2) * width, (b["y"] - b["height"] / 2) * height,
             (b["x"] + b["width"] / 2) * width, (b["y"] + b["height"] / 2) * height) for b in boxes)
    return found


def assert_same(found: dict, expected: dict, sizes: dict | None = None, precision: float = 1e-6) -> None:
    """Equal boxes, to ``precision`` of the image size (1e-6 unless the writer rounds coarser)."""
    sizes = sizes or {name: size for name, _, size, _ in ITEMS}
    assert sorted(found) == sorted(expected)
    for name, boxes in expected.items():
        tolerance = precision * max(sizes[name]) + 1e-9
        assert len(found[name]) == len(boxes), (name, found[name], boxes)
        for got, want in zip(found[name], boxes, strict=True):
            assert got[0] == want[0] and np.allclose(got[1:], want[1:], atol=tolerance, rtol=0), (name, got, want)


def imported(ydc, *args) -> dict:
    result = ydc("--json", "datasets", "import", *map(str, args))
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)




def datumaro_items(paths: dict[str, Path], items=ITEMS) -> list[dict]:
    """ITEMS as tests/oracles.py's datumaro_write takes them (boxes as x, y, w, h)."""
    return [{"id": Path(name).stem, "subset": split, "image": paths[name],
             "boxes": [[c, x1, y1, x2 - x1, y2 - y1] for c, x1, y1, x2, y2 in boxes]}
            for name, split, _, boxes in items]


def datumaro_boxes(judged: dict, suffix: str = ".jpg") -> dict[str, list[tuple]]:
    """What datumaro_read found, as corners by file name."""
    return {f"{Path(item['id']).name}{suffix}": sorted((c, x, y, x + w, y + h) for c, x, y, w, h in item["boxes"])
            for item in judged["items"]}


def sizes(items=ITEMS) -> dict[str, tuple[int, int]]:
    return {name: size for name, _, size, _ in items}
