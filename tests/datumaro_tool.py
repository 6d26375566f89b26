"""Datumaro as a test oracle, run by its own interpreter (``.venv-datumaro``, see tests/oracles.py).

    python datumaro_tool.py write FORMAT OUT [OPTIONS] < spec.json    # Datumaro writes a dataset in FORMAT
    python datumaro_tool.py read FORMAT PATH [OPTIONS] > found.json   # Datumaro reads one back

The spec and the result have one shape: ``{"classes": [...], "items": [{"id", "subset", "image",
"width", "height", "boxes": [[class_name, x, y, w, h], ...]}]}``, boxes in pixels; a written item may
also have ``"shapes": [[kind, class_name, [x1, y1, x2, y2, ...]]]`` (``polygon``, ``polyline``,
``points``; ``rotated``: ``[cx, cy, w, h, degrees]``; ``mask``: a filled rectangle ``[x1, y1, x2, y2]``),
which a read leaves out. A shape's fourth element, and a box's attributes, may hold its ``group`` (a
box and points of one group are one COCO keypoints object), and points their ``visibility`` (0, 1,
2 each); ``"keypoints": {"labels": [...], "joints": [[1, 2], ...]}`` beside ``classes`` gives every
class those keypoint names and joints. This file imports nothing of ydc: it runs beside, not inside,
the project's environment.
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
        media = Image.from_file(item["image"])
        boxes = []
        for name, x, y, w, h, *attrs in item["boxes"]:
            attributes = dict(attrs[0]) if attrs else {}
            group = attributes.pop("group", 0)
            boxes.append(dm.Bbox(x, y, w, h, label=classes.index(name), attributes=attributes, group=group))
        for kind, name, points, *extra in item.get("shapes", []):
            given = dict(extra[0]) if extra else {}
            label = classes.index(name)
            if kind == "rotated":
                boxes.append(RotatedBbox(*points, label=label, **given))
            elif kind == "mask":
                boxes.append(dm.Mask(_rectangle(media.size, points), label=label, **given))
            elif kind == "points" and "visibility" in given:
                visibility = [dm.Points.Visibility(v) for v in given.pop("visibility")]
                boxes.append(dm.Points(points, visibility, label=label, **given))
            else:
                shape = {"polygon": dm.Polygon, "polyline": dm.PolyLine, "points": dm.Points}[kind]
                boxes.append(shape(points, label=label, **given))
        items.append(dm.DatasetItem(id=item["id"], subset=item.get("subset", "default"), media=media,
                                    annotations=boxes))
    categories = classes
    if "keypoints" in spec:
        categories = {dm.AnnotationType.label: dm.LabelCategories.from_iterable(classes),
                      dm.AnnotationType.points: dm.PointsCategories.from_iterable(
                          (index, spec["keypoints"]["labels"], {tuple(j) for j in spec["keypoints"]["joints"]})
                          for index in range(len(classes)))}
    dataset = dm.Dataset.from_iterable(items, categories=categories)
    dataset.export(out, fmt, save_media=True, **json.loads(options))


def _rectangle(size, corners):
    """A mask of an image's ``(height, width)``, on in the rectangle ``x1, y1, x2, y2`` (pixels)."""
    import numpy as np

    mask = np.zeros(size, dtype=bool)
    x1, y1, x2, y2 = (int(v) for v in corners)
    mask[y1:y2, x1:x2] = True
    return mask


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


def read_shapes(fmt: str, path: str, options: str = "{}") -> None:
    """As ``read``, each item with ``"shapes": [[kind, class_name, values]]`` too: ``polygon``,
    ``polyline`` and ``points`` with flat pixel points, ``rotated`` with its four corners as Datumaro
    computes them (``RotatedBbox.as_polygon``), flat."""
    import datumaro as dm

    dataset = dm.Dataset.import_from(path, fmt, **json.loads(options))
    labels = dataset.categories()[dm.AnnotationType.label]
    kinds = {dm.AnnotationType.polygon: "polygon", dm.AnnotationType.polyline: "polyline",
             dm.AnnotationType.points: "points", dm.AnnotationType.rotated_bbox: "rotated",
             dm.AnnotationType.mask: "mask"}
    found = {"classes": [label.name for label in labels], "items": []}
    for item in dataset:
        size = item.media.size if item.media is not None and item.media.has_size else (None, None)
        boxes = [[labels[a.label].name, a.x, a.y, a.w, a.h] for a in item.annotations
                 if a.type == dm.AnnotationType.bbox]
        shapes = [[kinds[a.type], labels[a.label].name, _values(a, kinds[a.type])]
                  for a in item.annotations if a.type in kinds]
        found["items"].append({"id": item.id, "subset": item.subset, "height": size[0], "width": size[1],
                               "boxes": boxes, "shapes": shapes})
    json.dump(found, sys.stdout)


def _values(annotation, kind: str) -> list[float]:
    """What read_shapes gives of a shape: its flat points, a rotated box's corners, a mask's pixel count."""
    if kind == "rotated":
        return [float(v) for v in sum(annotation.as_polygon(), ())]
    if kind == "mask":
        return [float(annotation.image.sum())]
    return [float(v) for v in annotation.points]


if __name__ == "__main__":
    {"write": write, "read": read, "read_shapes": read_shapes}[sys.argv[1]](*sys.argv[2:])
