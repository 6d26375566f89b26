"""Third-party readers and writers as judges of ydc's formats.

supervision and pycocotools are dev dependencies of this environment. Datumaro and Label
Studio's converter run from their own (``.venv-datumaro``, made by ``make test``;
pyproject.toml says why) through ``tests/datumaro_tool.py`` and ``tests/labelstudio_tool.py``;
``YDC_DATUMARO_PYTHON`` names another interpreter. A missing oracle fails the tests that
need it: they are never skipped.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TOOL = Path(__file__).with_name("datumaro_tool.py")
LABEL_STUDIO_TOOL = Path(__file__).with_name("labelstudio_tool.py")


def datumaro_python() -> str:
    python = os.environ.get("YDC_DATUMARO_PYTHON") or str(ROOT / ".venv-datumaro" / "bin" / "python")
    assert Path(python).is_file(), f"Datumaro's interpreter is missing ({python}): run `make test`"
    return python


def _datumaro(*args: str, stdin: str | None = None, tool: Path = TOOL) -> str:
    done = subprocess.run([datumaro_python(), str(tool), *args], input=stdin, capture_output=True, text=True,
                          timeout=300, env={**os.environ, "PYTHONWARNINGS": "ignore"})
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def datumaro_write(fmt: str, out: Path, classes: list[str], items: list[dict], **options: object) -> Path:
    """Datumaro writes ``items`` (``{"id", "subset", "image": path, "boxes": [[class, x, y, w, h]]}``,
    pixel boxes; a sixth element of a box is its attributes, e.g. ``{"difficult": True}``) as a
    dataset in its format ``fmt`` at ``out`` (``options``: its exporter's)."""
    spec = {"classes": classes, "items": [{**item, "image": str(item["image"])} for item in items]}
    _datumaro("write", fmt, str(out), json.dumps(options), stdin=json.dumps(spec))
    return out


def datumaro_write_keypoints(fmt: str, out: Path, classes: list[str], keypoints: dict, items: list[dict],
                             **options: object) -> Path:
    """As ``datumaro_write``, every class given the keypoints ``{"labels": [names], "joints": [[1, 2], ...]}``
    (Datumaro's point categories), for its COCO keypoints exporter."""
    spec = {"classes": classes, "keypoints": keypoints,
            "items": [{**item, "image": str(item["image"])} for item in items]}
    _datumaro("write", fmt, str(out), json.dumps(options), stdin=json.dumps(spec))
    return out


def datumaro_read(fmt: str, path: Path, **options: object) -> dict:
    """What Datumaro reads at ``path`` as ``fmt`` (``options``: its importer's, e.g.
    ``coordinate_mode="voc-one-based"``): ``{"classes", "items": [{"id", "subset", "width",
    "height", "boxes": [[class, x, y, w, h]]}]}``."""
    return json.loads(_datumaro("read", fmt, str(path), json.dumps(options)))


def datumaro_read_shapes(fmt: str, path: Path, **options: object) -> dict:
    """As ``datumaro_read``, each item with ``"shapes": [[kind, class, values]]`` too (polygon, polyline,
    points: flat pixel points; rotated: its four corners as Datumaro turns them, flat)."""
    return json.loads(_datumaro("read_shapes", fmt, str(path), json.dumps(options)))


def labelstudio_write(yolo_dir: Path, out: Path, root_url: str = "", out_type: str = "annotations") -> Path:
    """Label Studio's converter writes tasks for a flat YOLO folder (``images/``, ``labels/``,
    ``classes.txt``) to ``out`` (and ``<out stem>.label_config.xml`` beside it); ``data.image`` starts
    with ``root_url`` (default ``/data/local-files/?d=images``), the boxes are ``out_type``
    (``annotations`` or ``predictions``)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    _datumaro("write", str(yolo_dir), str(out), root_url, out_type, tool=LABEL_STUDIO_TOOL)
    return out


def labelstudio_read(config: Path, tasks: Path) -> dict[str, list]:
    """What Label Studio's converter reads from an export: ``{image stem: [[class, x, y, w, h]]}``, normalised."""
    return json.loads(_datumaro("read", str(config), str(tasks), tool=LABEL_STUDIO_TOOL))


def labelstudio_read_shapes(config: Path, tasks: Path, obb: bool = False) -> dict[str, list]:
    """What Label Studio's converter reads from an export as YOLO label lines (with ``obb``, its YOLO OBB
    export: rotated rectangles as four corners): ``{image stem: [[class, *numbers]]}``, normalised;
    polygons are ``x1 y1 x2 y2 ...``."""
    return json.loads(_datumaro("read_shapes", str(config), str(tasks), "obb" if obb else "",
                                tool=LABEL_STUDIO_TOOL))


def labelstudio_min(config: Path, tasks: Path, out: Path) -> Path:
    """Label Studio's converter writes an export's tasks as its JSON-MIN export, at ``out``."""
    _datumaro("min", str(config), str(tasks), str(out), tool=LABEL_STUDIO_TOOL)
    return out
