"""Datumaro as a test oracle, run by its own interpreter (``.venv-datumaro``, see tests/oracles.py).

    python datumaro_tool.py write FORMAT OUT [OPTIONS] < spec.json    # Datumaro writes a dataset in FORMAT
    python datumaro_tool.py read FORMAT PATH [OPTIONS] > found.json   # Datumaro reads one back

The spec and the result have one shape: ``{"classes": [...], "items": [{"id", "subset", "image",
"width", "height", "boxes": [[class_name, x, y, w, h], ...]}]}``, boxes in pixels; a written item may
also have ``"shapes": [[kind, class_name, [x1, y1, x2, y2, ...]]]`` (``polygon``, ``polyline``,
``points``; ``rotated``: ``[cx, cy, w, h, degrees]``), which a read leaves out. This file
imports nothing of ydc: it runs beside, not inside, the project's environment.
"""

import json
import sys


def write(fmt: str, out: str, options: str = "{}") -> None:
    """OPTIONS: a JSON object of the exporter's options, e.g. ``{"coordinate_mode": "voc-one-based"}``."""
    import datumaro as dm
    from datumaro.components.annotation import RotatedBbox
    from datumaro.components.media import Image

    spec = json.load(sys.stdin)
    classes = spec["classes"]
    items = []
    for item in spec["items"]:
        boxes = [dm.Bbox(x, y, w, h, label=classes.index(name), attributes=attrs[0] if attrs else {})
                 for name, x, y, w, h, *attrs in item["boxes"]]
        shapes = {"polygon": dm.Polygon, "polyline": dm.PolyLine, "points": dm.Points,
                  "rotated": lambda points, label: RotatedBbox(*points, label=label)}
        boxes += [shapes[kind](points, label=classes.index(name)) for kind, name, points in item.get("shapes", [])]
        items.append(dm.DatasetItem(id=item["id"], subset=item.get("subset", "default"),
                                    media=Image.from_file(item["image"]), annotations=boxes))
    dataset = dm.Dataset.from_iterable(items, categories=classes)
    dataset.export(out, fmt, save_media=True, **json.loads(options))


def read(fmt: str, path: str, options: str = "{}") -> None:
    """OPTIONS: a JSON object of the importer's options, e.g. ``{"coordinate_mode": "voc-one-based"}``."""
    import datumaro as dm

    dataset = dm.Dataset.import_from(path, fmt, **json.loads(options))
    labels = dataset.categories()[dm.AnnotationType.label]
    found = {"classes": [label.name for label in labels], "items": []}
    for item in dataset:
        size = item.media.size if item.media is not None and item.media.has_size else (None, None)
        boxes = [[labels[a.label].name, a.x, a.y, a.w, a.h] for a in item.annotations
                 if a.type == dm.AnnotationType.bbox]
        found["items"].append({"id": item.id, "subset": item.subset, "height": size[0], "width": size[1],
                               "boxes": boxes})
    json.dump(found, sys.stdout)


if __name__ == "__main__":
    {"write": write, "read": read}[sys.argv[1]](*sys.argv[2:])
