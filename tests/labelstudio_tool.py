"""Label Studio's converter as a test oracle, run by the oracle interpreter (see tests/oracles.py).

    python labelstudio_tool.py write YOLO_DIR TASKS.json     # convert_yolo_to_ls writes Label Studio tasks
    python labelstudio_tool.py read CONFIG.xml TASKS.json    # Converter reads them back: boxes as JSON

``YOLO_DIR`` holds ``images/``, ``labels/`` and ``classes.txt``, as the converter expects.
The read result is ``{image file name: [[class, x, y, w, h], ...]}``, normalised centres and sizes.
"""

import json
import os
import sys
import tempfile


def write(yolo_dir: str, out: str) -> None:
    from label_studio_converter.imports.yolo import convert_yolo_to_ls

    convert_yolo_to_ls(yolo_dir, out)


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


if __name__ == "__main__":
    {"write": write, "read": read}[sys.argv[1]](sys.argv[2], sys.argv[3])
