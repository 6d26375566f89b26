"""The ultralytics YOLO layout: a data.yaml, ``images/<split>/`` and ``labels/<split>/``.

Reading follows data.yaml as ultralytics does, but inside the folder given: its
``path:`` and split entries resolve there (ultralytics' ``../`` fallback, which
Roboflow's ``train: ../train/images`` relies on, included), and one that leads
outside the folder is refused unless ``--follow-path`` asks for ultralytics'
behaviour, so a copied export never imports its original. A ``path:`` naming no
folder here (written on another machine) is passed over, with a note. Only the
declared splits are read; with none declared, ``images/<split>`` or
``<split>/images``. Split entries may be folders (read recursively) or ``.txt``
image lists, or lists of either; each folder is read once.

Writing makes the layout ``yolo train data=...`` reads, with a data.yaml that names
no absolute ``path``, so the folder can be moved.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from ydc_cli.formats.base import FolderOut, Format, ImageFinder, Reading, ReadOptions, unique_name

if TYPE_CHECKING:
    from ydc_cli.domain.tasks import Task
    from ydc_cli.persistence import DatasetInfo, Sample


class Yolo(Format):
    name = "yolo"
    title = "YOLO"
    layout = "a folder with data.yaml, images/<split>/ and labels/<split>/ or <split>/images/"
    priority = 10
    writes = True

    def detect(self, path: Path) -> bool:
        if path.is_file():
            return path.suffix.lower() in (".yaml", ".yml") and path.name != "prompts.yaml"
        return path.is_dir() and yaml_of(path, required=False) is not None

    def read(self, path: Path, options: ReadOptions) -> Reading:
        from ydc_cli.domain import datayaml
        from ydc_cli.domain.errors import InvalidDatasetError
        from ydc_cli.persistence.yamlio import parse_prompts, parse_yaml

        yaml_path = path if path.is_file() else yaml_of(path)
        if yaml_path is None:
            raise InvalidDatasetError(f"no data.yaml in the folder ({path})")
        folder = yaml_path.parent
        data = parse_yaml(yaml_path.read_bytes(), str(yaml_path), literal=True)
        classes = datayaml.classes_from(data, str(yaml_path))
        prompts: dict[int, list[str]] = {}
        if (folder / "prompts.yaml").is_file():
            source = folder / "prompts.yaml"
            prompts = parse_prompts(parse_yaml(source.read_bytes(), str(source)), str(source))
        reading = Reading(self.name, folder.resolve(), classes, lambda: iter(()), prompts)
        scope = _Scope(folder, data, options, reading.notes)
        reading.root = scope.root
        sources = scope.split_sources()
        if not sources:
            raise InvalidDatasetError(f"no images/<split> or <split>/images folders ({scope.root})")
        plan = _plan(scope, sources, reading.skipped, reading.notes)
        reading.count = len(plan)
        task = reading.task = _task_of(data, plan, str(yaml_path), options.task)
        reading.samples = lambda: _samples(plan, len(classes), task)
        return reading

    def export_name(self, dataset: str) -> str:
        return dataset

    async def write(self, dataset: DatasetInfo, prompts: dict[int, list[str]], samples: AsyncIterator[Sample],
                    out: FolderOut) -> None:
        await write_yolo(dataset, prompts, samples, out)


async def write_yolo(dataset: DatasetInfo, prompts: dict[int, list[str]], samples: AsyncIterator[Sample],
                     out: FolderOut, *, label_folder: str = "labels") -> None:
    """The YOLO layout: every split's folders, the images, their labels, data.yaml and prompts.yaml."""
    from ydc_cli.domain import datayaml
    from ydc_cli.domain.labels import format_text
    from ydc_cli.persistence.samples import as_box
    from ydc_cli.persistence.yamlio import dump_yaml

    task = dataset.task_spec()
    for kind in ("images", label_folder):
        for split in datayaml.SPLITS:
            out.folder(f"{kind}/{split}")
    async for sample in samples:
        out.write(f"images/{sample.split}/{sample.filename}", sample.data)
        if sample.annotations is not None:
            text = format_text(map(as_box, sample.annotations), task)
            out.write(f"{label_folder}/{sample.split}/{datayaml.label_name_for(sample.filename)}", text.encode())
        out.sample_done()
    out.write("data.yaml", dump_yaml(datayaml.build(dataset.classes, task)))
    if prompts:
        out.write("prompts.yaml", dump_yaml(prompts))


def yaml_of(folder: Path, *, required: bool = True) -> Path | None:
    """The folder's data.yaml, or its one other YAML file that is not prompts.yaml.

    Raises:
        InvalidDatasetError: several YAML files and no data.yaml (with ``required``).
    """
    from ydc_cli.domain.errors import InvalidDatasetError

    data_yaml = folder / "data.yaml"
    if data_yaml.is_file():
        return data_yaml
    candidates = sorted(p for p in folder.glob("*.y*ml") if p.name != "prompts.yaml" and p.is_file())
    if len(candidates) == 1:
        return candidates[0]
    if len(candidates) > 1 and required:
        raise InvalidDatasetError(f"several YAML files and no data.yaml in the folder ({folder})")
    return candidates[0] if candidates else None


class _Scope:
    """Where data.yaml's entries lead: inside the folder given, unless the user follows them out."""

    def __init__(self, folder: Path, data: object, options: ReadOptions, notes: list[str]) -> None:
        self.folder = folder.resolve()
        self.data = data if isinstance(data, dict) else {}
        self.follow = options.follow_path
        self.notes = notes
        self.root = self._root()
        self.finder = ImageFinder(self.folder)

    def inside(self, path: Path) -> bool:
        return self.follow or path == self.folder or self.folder in path.parents

    def outside(self, what: str, resolved: Path) -> Exception:
        from ydc_cli.domain.errors import InvalidDatasetError

        return InvalidDatasetError(
            f"{what} leads outside the folder given, to {resolved}: ydc reads the folder you name "
            f"(--follow-path reads it as ultralytics does)")

    def _root(self) -> Path:
        declared = self.data.get("path")
        if not isinstance(declared, str) or not declared.strip():
            return self.folder
        given = Path(declared).expanduser()
        candidates = [given] if given.is_absolute() else [self.folder / given, Path.cwd() / given]
        for candidate in candidates:
            resolved = candidate.resolve()
            if resolved.is_dir():
                if not self.inside(resolved):
                    raise self.outside("data.yaml's path:", resolved)
                return resolved
        self.notes.append(f"data.yaml's path: {declared} names no folder here: read {self.folder}")
        return self.folder

    def resolve(self, entry: str, what: str) -> Path | None:
        """A split entry as an existing path, ultralytics' ``../`` fallback included; None when missing.

        The fallback is preferred when the entry as written leads outside the folder.
        """
        candidates = [(self.root / entry).resolve()]
        if entry.startswith("../"):
            candidates.append((self.root / entry[3:]).resolve())
        existing = [c for c in candidates if c.exists()]
        if not existing:
            return None
        for candidate in existing:
            if self.inside(candidate):
                return candidate
        raise self.outside(what, existing[0])

    def split_sources(self) -> dict[str, list[Path]]:
        """Each split's folders or image lists, each read once, into the first split naming it."""
        from ydc_cli.domain import datayaml

        found: dict[str, list[Path]] = {}
        claimed: dict[Path, str] = {}
        declared = [alias for alias in datayaml.SPLIT_ALIASES if self.data.get(alias)]
        for alias in declared:
            split = datayaml.SPLIT_ALIASES[alias]
            value = self.data[alias]
            for entry in value if isinstance(value, list) else [value]:
                if not isinstance(entry, str) or not entry.strip():
                    continue
                source = self.resolve(entry.strip(), f"data.yaml's {alias}: entry")
                if source is None:
                    self.notes.append(f"data.yaml's {alias}: {entry} is not there: nothing read for it")
                    continue
                if source.is_file() and source.suffix.lower() != ".txt":
                    self.notes.append(f"data.yaml's {alias}: {entry} is neither a folder nor a .txt image list")
                    continue
                if source in claimed:
                    self.notes.append(f"{entry} is named for {claimed[source]} and {split}: read into "
                                      f"{claimed[source]} only")
                    continue
                claimed[source] = split
                found.setdefault(split, []).append(source)
        if declared:
            return found
        for alias, split in datayaml.SPLIT_ALIASES.items():
            for candidate in (self.root / "images" / alias, self.root / alias / "images"):
                if split not in found and candidate.is_dir():
                    found[split] = [candidate]
        return found

    def listed(self, source: Path, entry: str) -> Path | None:
        """An image named in a ``.txt`` list: ``./`` lines relative to the list, others to the root
        (or absolute); one from another machine is found by its name under the folder."""
        relative = entry[2:] if entry.startswith("./") else entry
        given = Path(relative)
        candidates = [given] if given.is_absolute() else [source.parent / relative, self.root / relative]
        for candidate in candidates:
            if candidate.is_file():
                resolved = candidate.resolve()
                if not self.inside(resolved):
                    raise self.outside(f"a line of {source.name}", resolved)
                return resolved
        return self.finder.find(given.name)


def _plan(scope: _Scope, sources: dict[str, list[Path]], skipped: list[tuple[str, str]],
          notes: list[str]) -> list[tuple[str, str, str]]:
    """``(split, image path, stored name)`` for every image to import."""
    from ydc_cli.domain import datayaml

    plan: list[tuple[str, str, str]] = []
    taken: set[tuple[str, str]] = set()
    seen: set[str] = set()

    def add(split: str, path: str) -> None:
        if path in seen:
            return
        seen.add(path)
        filename = os.path.basename(path)
        stored = unique_name(filename, split, taken)
        if stored != filename:
            notes.append(f"{os.path.relpath(path, scope.folder)} stored as {split}/{stored} (the split holds "
                         f"another {filename})")
        plan.append((split, path, stored))

    for split, split_sources in sources.items():
        for source in split_sources:
            if source.is_file():
                for line in source.read_text(encoding="utf-8").splitlines():
                    entry = line.strip()
                    if not entry or entry.startswith("#"):
                        continue
                    path = scope.listed(source, entry)
                    if path is not None and datayaml.is_image_name(path.name):
                        add(split, str(path))
                    else:
                        skipped.append((entry, f"listed in {source.name} but not an image file here"))
                continue
            for dirpath, dirnames, filenames in os.walk(source):
                dirnames.sort()
                for filename in sorted(filenames):
                    if datayaml.is_image_name(filename):
                        add(split, os.path.join(dirpath, filename))
                    elif not filename.startswith(".") and not filename.endswith(".txt"):
                        skipped.append((os.path.join(dirpath, filename), "not an image file type"))
    return plan


def _task_of(data: object, plan: list[tuple[str, str, str]], source: str, asked: str | None = None) -> Task:
    """The task asked for (--task: nine-column lines read as four-point polygons, say), else the one
    data.yaml names, else the one the label lines show (read until it is certain)."""
    from ydc_cli.domain import tasks

    named = tasks.from_yaml(data, source)
    if asked is not None and (named is None or named.name != asked):
        pose = isinstance(data, dict) and asked == "pose"
        return tasks.make(asked, data.get("kpt_shape") if pose else None, data.get("flip_idx") if pose else None,
                          source=source)
    if named is not None:
        return named

    def texts() -> Iterator[tuple[str, str]]:
        for _, path, _ in plan:
            try:
                with open(label_path(path), "rb") as file:
                    yield label_path(path), file.read().decode("utf-8", errors="replace")
            except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
                continue

    return tasks.guess(texts())


def _samples(plan: list[tuple[str, str, str]], nc: int, task: Task | None = None) -> Iterator[Sample]:
    from ydc_cli.persistence import Sample

    for split, path, stored in plan:
        annotations = read_label(label_path(path), nc, task)
        with open(path, "rb") as file:
            data = file.read()
        yield Sample(stored, split, data, annotations)


def label_path(image_path: str) -> str:
    """ultralytics' pairing rule: the last ``/images/`` becomes ``/labels/``, the extension ``.txt``
    (an image outside an ``images`` folder has its label beside it)."""
    head, marker, tail = image_path.rpartition(f"{os.sep}images{os.sep}")
    if marker:
        image_path = f"{head}{os.sep}labels{os.sep}{tail}"
    stem, dot, extension = image_path.rpartition(".")
    return f"{stem}.txt" if dot and os.sep not in extension else f"{image_path}.txt"


def read_label(path: str, nc: int, task: Task | None = None) -> list | None:
    """The annotations of the YOLO label file at ``path``; None when there is no such file.

    Raises:
        InvalidLabelError: naming ``file:line``.
    """
    from ydc_cli.domain.errors import InvalidLabelError
    from ydc_cli.domain.labels import parse_text
    from ydc_cli.persistence.samples import to_annotations

    try:
        with open(path, "rb") as file:
            raw = file.read()
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
        return None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidLabelError("label file is not UTF-8 text", source=path) from None
    return to_annotations(parse_text(text, nc=nc, source=path, task=task))
