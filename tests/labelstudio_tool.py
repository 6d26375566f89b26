"""Label Studio's converter as a test oracle, run by the oracle interpreter (see tests/oracles.py).

    python labelstudio_tool.py write YOLO_DIR TASKS.json [ROOT_URL [OUT_TYPE]]  # convert_yolo_to_ls writes tasks
    python labelstudio_tool.py read CONFIG.xml TASKS.json                     # Converter reads them: boxes as JSON
    python labelstudio_tool.py min CONFIG.xml TASKS.json OUT.json             # Converter writes them as JSON-MIN
    python labelstudio_tool.py read_shapes CONFIG.xml TASKS.json [OBB]        # Converter reads polygons, rotated boxes

``YOLO_DIR`` holds ``images/``, ``labels/`` and ``classes.txt``, as the converter expects;
``ROOT_URL`` is what ``data.image`` starts with (the converter's default is
``/data/local-files/?d=images``), ``OUT_TYPE`` ``annotations`` or ``predictions``.
The read result is ``{image file stem: [[class, x, y, w, h], ...]}``, normalised centres and sizes.
"""

import json
import os
import shutil
import sys
import tempfile


def write(yolo_dir: str, out: str, root_url: str = "", out_type: str = "annotations") -> None:
    from label_studio_converter.imports.yolo import convert_yolo_to_ls

    options = {"image_root_url": root_url} if root_url else {}
    convert_yolo_to_ls(yolo_dir, out, out_type=out_type, **options)


def read(config: str, tasks: str) -> None:
    from label_studio_converter import Converter

    with tempfile.TemporaryDirectory() as folder:
        Converter(config, project_dir=os.path.dirname(tasks), download_resources=False).convert_to_yolo(
            tasks, folder, is_dir=False)
        with open(os.path.join(folder, "classes.txt")) as file:
            classes = [line.strip() for line in file if line.strip()]
        found = {}
        for name in sorted(os.listdir(os.path.join(folder, "labels"))):
            with open(os.path.join(folder, "labels", name)) as file:
                rows = [line.split() for line in file if line.strip()]
            found[name[:-4]] = [[classes[int(r[0])], *map(float, r[1:])] for r in rows]
    json.dump(found, sys.stdout)


def json_min(config: str, tasks: str, out: str) -> None:
    from label_studio_converter import Converter

    with tempfile.TemporaryDirectory() as folder:
        Converter(config, project_dir=os.path.dirname(tasks), download_resources=False).convert_to_json_min(
            tasks, folder, is_dir=False)
        shutil.copy(os.path.join(folder, "result.json"), out)


def read_shapes(config: str, tasks: str, obb: str = "") -> None:
    """The converter's YOLO export of the tasks (``obb`` non-empty: its YOLO OBB export, rotated rectangles
    as four corners): ``{image file stem: [[class, *values]]}``, the label lines' numbers (polygons too)."""
    from label_studio_converter import Converter

    with tempfile.TemporaryDirectory() as folder:
        Converter(config, project_dir=os.path.dirname(tasks), download_resources=False).convert_to_yolo(
            tasks, folder, is_dir=False, is_obb=bool(obb))
        with open(os.path.join(folder, "classes.txt")) as file:
            classes = [line.strip() for line in file if line.strip()]
        found = {}
        for name in sorted(os.listdir(os.path.join(folder, "labels"))):
            with open(os.path.join(folder, "labels", name)) as file:
                rows = [line.split() for line in file if line.strip()]
            found[name[:-4]] = [[classes[int(r[0])], *map(float, r[1:])] for r in rows]
    json.dump(found, sys.stdout)


if __name__ == "__main__":
    {"write": write, "read": read, "min": json_min, "read_shapes": read_shapes}[sys.argv[1]](*sys.argv[2:])
