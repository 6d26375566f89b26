"""Label Studio's JSON export: a list of tasks, each an image with its annotations.

Read: the export file (or a folder holding it, with the images under it). A task's
image is ``data.image`` (an upload path ``/data/upload/1/3f2a9c1e-cat.jpg``, a local
file ``/data/local-files/?d=images/cat.jpg``, or a URL), found by file name under the
folder; the 8-hex-digit prefix Label Studio puts on uploads is dropped when the name
without it is there. Of several annotations, the last one not cancelled counts (the
older ``completions`` key too); the JSON-MIN export (``label`` lists) is read as well.
``rectanglelabels`` results are boxes in percent of the image; rotated ones are counted
in a note (the task issue adds oriented boxes). Classes come from a
``label_config.xml`` beside the export, else in order of appearance, by name. The
split is ``data.split`` when present, else train.

Write: ``<name>-labelstudio/tasks.json`` (one task per image: ``data.image`` is
``/data/local-files/?d=images/<split>/<file>``, served from the folder by Label Studio's
local storage; ``data.split``; one annotation of ``rectanglelabels`` results, none for a
background), ``label_config.xml`` (an ``<Image>`` with ``<RectangleLabels>`` of the
classes) and ``images/<split>/<file>``.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from ydc_cli.formats.base import (
    BoxTally,
    ClassList,
    FolderOut,
    Format,
    ImageFinder,
    Reading,
    ReadOptions,
    image_size,
    number,
    pixel_box,
    read_image,
    read_xml,
    sniff_json,
    split_named,
)

if TYPE_CHECKING:
    from ydc_cli.persistence import DatasetInfo, Sample

CONFIG = "label_config.xml"
_UPLOAD_PREFIX = re.compile(r"^[0-9a-f]{8}-")


class LabelStudio(Format):
    name = "labelstudio"
    title = "Label Studio"
    layout = "a Label Studio JSON export (a list of tasks), with the images under its folder"
    priority = 34
    writes = True

    def detect(self, path: Path) -> bool:
        if path.is_file():
            return path.suffix.lower() == ".json" and sniff_json(path) == "labelstudio"
        return path.is_dir() and bool(_files(path))

    def read(self, path: Path, options: ReadOptions) -> Reading:
        from ydc_cli.domain.errors import InvalidDatasetError

        files = [path.absolute()] if path.is_file() else _files(path)
        if not files:
            raise InvalidDatasetError(f"no Label Studio JSON export (a list of tasks) ({path})")
        root = (path.parent if path.is_file() else path).absolute()
        tasks = [(json_path, task) for json_path in files for task in _load(json_path)]
        classes = ClassList(_config_classes(root))
        for _, task in tasks:
            for result in _results(task):
                for name in _labels(result):
                    classes.id(name)
        reading = Reading(self.name, root, classes.names, lambda: iter(()), count=len(tasks))
        reading.samples = lambda: _samples(tasks, root, classes, reading)
        return reading

    def export_name(self, dataset: str) -> str:
        return f"{dataset}-labelstudio"

    async def write(self, dataset: DatasetInfo, prompts: dict[int, list[str]], samples: AsyncIterator[Sample],
                    out: FolderOut) -> None:
        from urllib.parse import quote

        tasks = []
        async for sample in samples:
            width, height = image_size(sample)
            relative = f"images/{sample.split}/{sample.filename}"
            out.write(relative, sample.data)
            results = [{
                "id": f"r{len(tasks)}-{index}", "type": "rectanglelabels", "from_name": "label", "to_name": "image",
                "original_width": width, "original_height": height, "image_rotation": 0,
                "value": {"x": round((a.x - a.width / 2) * 100, 6), "y": round((a.y - a.height / 2) * 100, 6),
                          "width": round(a.width * 100, 6), "height": round(a.height * 100, 6), "rotation": 0,
                          "rectanglelabels": [dataset.classes[a.class_id]]},
            } for index, a in enumerate(sample.annotations or [])]
            task = {"id": len(tasks) + 1,
                    "data": {"image": f"/data/local-files/?d={quote(relative)}", "split": sample.split}}
            if sample.annotations is not None:
                task["annotations"] = [{"id": len(tasks) + 1, "result": results, "was_cancelled": False}]
            tasks.append(task)
            out.sample_done()
        out.write("tasks.json", json.dumps(tasks, ensure_ascii=False, indent=1).encode("utf-8"))
        out.write(CONFIG, _config(dataset.classes))


def _config(classes: list[str]) -> bytes:
    from xml.sax.saxutils import quoteattr

    labels = "".join(f"    <Label value={quoteattr(c)}/>\n" for c in classes)
    return (f'<View>\n  <Image name="image" value="$image"/>\n  <RectangleLabels name="label" toName="image">\n'
            f"{labels}  </RectangleLabels>\n</View>\n").encode()


def _config_classes(root: Path) -> list[str]:
    configs = [root / CONFIG, *sorted(root.glob("*.label_config.xml"))]
    config = next((p for p in configs if p.is_file()), None)
    if config is None:
        return []
    return [label.get("value", "") for label in read_xml(config).iter("Label") if label.get("value")]


def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.glob("*.json") if p.is_file() and sniff_json(p) == "labelstudio")


def _load(path: Path) -> list[dict]:
    from ydc_cli.domain.errors import InvalidDatasetError

    try:
        document = json.loads(path.read_bytes())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InvalidDatasetError(f"not a valid JSON file ({path})") from exc
    if not isinstance(document, list) or not all(isinstance(task, dict) for task in document):
        raise InvalidDatasetError(f"not a Label Studio export: needs a list of tasks ({path})")
    return document


def _results(task: dict) -> list[dict]:
    """The chosen annotation's results: the last one not cancelled (JSON-MIN: its ``label`` list)."""
    if isinstance(task.get("label"), list):  # JSON-MIN
        return [{"type": "rectanglelabels", "value": item, **{k: item[k] for k in ("original_width",
                                                                                    "original_height") if k in item}}
                for item in task["label"] if isinstance(item, dict)]
    annotations = task.get("annotations") or task.get("completions") or []
    kept = [a for a in annotations if isinstance(a, dict) and not a.get("was_cancelled")]
    if not kept:
        return []
    return [r for r in (kept[-1].get("result") or []) if isinstance(r, dict)]


def _labels(result: dict) -> list[str]:
    value = result.get("value") or {}
    if result.get("type") != "rectanglelabels" or not isinstance(value, dict):
        return []
    names = value.get("rectanglelabels") or []
    return [str(n) for n in names[:1]]


def _image_name(task: dict) -> str:
    from urllib.parse import parse_qs, unquote, urlparse

    data = task.get("data") if isinstance(task.get("data"), dict) else {}
    value = data.get("image") or task.get("image")
    if not isinstance(value, str):
        value = next((v for v in data.values() if isinstance(v, str) and "/" in v), "")
    parsed = urlparse(value)
    if "d" in parse_qs(parsed.query):
        return parse_qs(parsed.query)["d"][0]
    return unquote(parsed.path)


def _find(finder: ImageFinder, name: str) -> Path | None:
    found = finder.find(name)
    if found is None:
        bare = name.replace("\\", "/").rsplit("/", 1)[-1]
        if _UPLOAD_PREFIX.match(bare):
            found = finder.find(_UPLOAD_PREFIX.sub("", bare))
    return found


def _samples(tasks: list[tuple[Path, dict]], root: Path, classes: ClassList, reading: Reading) -> Iterator[Sample]:
    from ydc_cli.persistence import Sample

    finder = ImageFinder(root)
    tally = BoxTally()
    rotated = 0
    for _, task in tasks:
        name = _image_name(task)
        source = _find(finder, name) if name else None
        if source is None:
            reading.skipped.append((name or f"task {task.get('id')}", "image file not found"))
            continue
        data, width, height = read_image(source)
        data_fields = task.get("data") if isinstance(task.get("data"), dict) else {}
        split = split_named(str(data_fields.get("split", ""))) or "train"
        labelled = any(key in task for key in ("annotations", "completions", "label"))
        annotations = []
        for index, result in enumerate(_results(task)):
            labels = _labels(result)
            if not labels:
                continue
            value = result["value"]
            try:
                x, y, w, h = (number(value[k]) for k in ("x", "y", "width", "height"))
                rotation = number(value.get("rotation", 0) or 0)
            except (KeyError, TypeError, ValueError):
                reading.skipped.append((f"{source.name} result {index + 1}", "no usable x, y, width, height"))
                continue
            if rotation % 360:
                rotated += 1
                continue
            converted = pixel_box(classes.id(labels[0]), x, y, x + w, y + h, 100.0, 100.0, tally)
            if isinstance(converted, str):
                reading.skipped.append((f"{source.name} result {index + 1}", converted))
            else:
                annotations.append(converted)
        yield Sample(source.name, split, data, annotations if labelled or annotations else None)
    if rotated:
        reading.notes.append(f"{rotated} rotated box{'es' if rotated != 1 else ''} not imported")
    reading.notes += tally.notes()
