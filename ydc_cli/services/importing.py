"""Importing datasets: ydc/YDC zips and YOLO folders, all or nothing."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ydc_cli.domain import datayaml
from ydc_cli.domain.errors import InvalidDatasetError, InvalidLabelError, NotFoundError
from ydc_cli.domain.labels import parse_text
from ydc_cli.persistence import DatasetInfo, Sample, Stores
from ydc_cli.persistence.samples import to_annotations
from ydc_cli.persistence.yamlio import parse_prompts, parse_yaml


@dataclass
class ImportReport:
    """What an import stored, and what it left out and why."""

    dataset: DatasetInfo
    images: int = 0
    labeled: int = 0
    backgrounds: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)


class _Counter:
    """Counts samples as they stream past into the store."""

    def __init__(self, on_sample: Callable[[int], None] | None) -> None:
        self.images = self.labeled = self.backgrounds = 0
        self._on_sample = on_sample

    def wrap(self, samples: Iterable[Sample]) -> Iterator[Sample]:
        for sample in samples:
            self.images += 1
            if sample.annotations:
                self.labeled += 1
            else:
                self.backgrounds += 1
            if self._on_sample:
                self._on_sample(1)
            yield sample


async def import_path(
    stores: Stores, path: Path, name: str | None = None, on_sample: Callable[[int], None] | None = None
) -> ImportReport:
    """Import a zip or a YOLO folder as a new dataset; the name defaults to the file or folder name.

    Raises:
        NotFoundError: nothing at ``path``.
        ConflictError: the dataset exists.
        InvalidInputError: not a dataset, or a bad image, label or archive member.
    """
    path = Path(path)
    from ydc_cli.services.coco import is_coco, read_coco

    if is_coco(path):
        classes, samples, skipped = read_coco(path)
        counter = _Counter(on_sample)
        default = path.stem if path.is_file() else path.name
        info = await stores.dataset.create_with_samples(name or default, classes, counter.wrap(samples()))
        return ImportReport(info, counter.images, counter.labeled, counter.backgrounds, skipped)
    if path.is_dir():
        return await import_yolo_folder(stores, path, name, on_sample)
    if not path.exists():
        raise NotFoundError(f"no such file or folder ({path})")
    if path.suffix.lower() == ".zip":
        from ydc_cli.persistence.archive import read_dataset_zip

        counter = _Counter(on_sample)
        with read_dataset_zip(path) as contents:
            info = await stores.dataset.create_with_samples(
                name or path.stem, contents.classes, counter.wrap(contents.samples()), contents.prompts)
        return ImportReport(info, counter.images, counter.labeled, counter.backgrounds)
    raise InvalidDatasetError(
        f"cannot import this: expected a .zip, a folder with a data.yaml, or a COCO .json ({path})")


def _find_yaml(folder: Path) -> Path:
    data_yaml = folder / "data.yaml"
    if data_yaml.is_file():
        return data_yaml
    candidates = sorted(p for p in folder.glob("*.y*ml") if p.name != "prompts.yaml" and p.is_file())
    if len(candidates) == 1:
        return candidates[0]
    if not candidates:
        raise InvalidDatasetError(f"{_what_is_there(folder)}; ydc imports a YOLO folder (data.yaml with "
                                  f"images/<split>/ and labels/<split>/, or <split>/images/), COCO JSON "
                                  f"(annotations/*.json) or a dataset .zip ({folder})")
    raise InvalidDatasetError(f"several YAML files and no data.yaml in the folder ({folder})")


def _what_is_there(folder: Path) -> str:
    """What a folder without a data.yaml holds, and what to do with loose images."""
    images = sum(1 for p in folder.iterdir() if p.is_file() and datayaml.is_image_name(p.name))
    if images:
        return (f"no data.yaml, but {images} image file{'s' if images != 1 else ''} at the top: for loose images "
                f"(with YOLO .txt labels beside them or not) run `ydc datasets create NAME --classes a,b` then "
                f"`ydc images add NAME {folder}`")
    return "no data.yaml in the folder"


def _dataset_root(folder: Path, data: dict) -> Path:
    """The folder split paths are relative to: data.yaml's ``path`` when it exists
    (relative to the YAML's folder), else the YAML's folder."""
    declared = data.get("path")
    if isinstance(declared, str) and declared.strip():
        candidate = Path(declared).expanduser()
        candidate = candidate if candidate.is_absolute() else folder / candidate
        if candidate.is_dir():
            return candidate
    return folder


def _declared_sources(root: Path, folder: Path, value: object) -> list[Path]:
    """Existing folders or ``.txt`` image lists that data.yaml names for a split."""
    values = value if isinstance(value, list) else [value]
    sources = []
    for item in values:
        if not isinstance(item, str) or not item.strip():
            continue
        for base in (root, folder):
            candidate = base / item
            if candidate.is_dir() or (candidate.is_file() and candidate.suffix == ".txt"):
                sources.append(candidate)
                break
    return sources


def _split_sources(folder: Path, data: dict) -> dict[str, list[Path]]:
    """Each split's image sources: what data.yaml declares, else ``images/<split>`` or
    ``<split>/images`` (``valid`` is read as ``val``)."""
    root = _dataset_root(folder, data)
    found: dict[str, list[Path]] = {}
    for alias, split in datayaml.SPLIT_ALIASES.items():
        if split in found:
            continue
        sources = _declared_sources(root, folder, data.get(alias))
        if not sources:
            for base in dict.fromkeys((root, folder)):
                for candidate in (base / "images" / alias, base / alias / "images"):
                    if candidate.is_dir():
                        sources = [candidate]
                        break
                if sources:
                    break
        if sources:
            found[split] = sources
    return found


def _plan(folder: Path, data: dict) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """The images to import per split (as path strings), and the files passed over with the reason."""
    root = _dataset_root(folder, data)
    plan: list[tuple[str, str]] = []
    skipped: list[tuple[str, str]] = []
    for split, sources in _split_sources(folder, data).items():
        for source in sources:
            if source.is_file():
                for line in source.read_text(encoding="utf-8").splitlines():
                    entry = line.strip()
                    if not entry:
                        continue
                    path = Path(entry) if Path(entry).is_absolute() else (source.parent / entry)
                    if not path.is_file():
                        path = root / entry
                    if path.is_file() and datayaml.is_image_name(path.name):
                        plan.append((split, str(path)))
                    else:
                        skipped.append((entry, f"listed in {source.name} but not an image file"))
                continue
            for dirpath, dirnames, filenames in os.walk(source):
                dirnames.sort()
                for filename in sorted(filenames):
                    if datayaml.is_image_name(filename):
                        plan.append((split, os.path.join(dirpath, filename)))
                    elif not filename.startswith("."):
                        skipped.append((os.path.join(dirpath, filename), "not an image file type"))
    return plan, skipped


def label_path_for(image_path: Path) -> Path:
    """ultralytics' pairing rule: the last ``/images/`` becomes ``/labels/``, the extension ``.txt``."""
    return Path(_label_path(str(image_path)))


def _label_path(image_path: str) -> str:
    head, marker, tail = image_path.rpartition(f"{os.sep}images{os.sep}")
    if marker:
        image_path = f"{head}{os.sep}labels{os.sep}{tail}"
    stem, dot, extension = image_path.rpartition(".")
    return f"{stem}.txt" if dot and os.sep not in extension else f"{image_path}.txt"


def _read_label(path: str, nc: int) -> list | None:
    """The annotations of the label file at ``path``; None when there is no such file."""
    try:
        with open(path, "rb") as file:
            raw = file.read()
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
        return None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidLabelError("label file is not UTF-8 text", source=path) from None
    return to_annotations(parse_text(text, nc=nc, source=path))


async def import_yolo_folder(
    stores: Stores, folder: Path, name: str | None = None, on_sample: Callable[[int], None] | None = None
) -> ImportReport:
    """Import a YOLO folder (its data.yaml, images and labels); the source is only read."""
    yaml_path = _find_yaml(folder)
    data = parse_yaml(yaml_path.read_bytes(), str(yaml_path), literal=True)
    classes = datayaml.classes_from(data, str(yaml_path))
    prompts: dict[int, list[str]] = {}
    if (folder / "prompts.yaml").is_file():
        source = folder / "prompts.yaml"
        prompts = parse_prompts(parse_yaml(source.read_bytes(), str(source)), str(source))
    if not isinstance(data, dict) or not _split_sources(folder, data):
        raise InvalidDatasetError(f"no images/<split> or <split>/images folders ({folder})")
    plan, skipped = _plan(folder, data)

    def samples() -> Iterator[Sample]:
        for split, path in plan:
            annotations = _read_label(_label_path(path), len(classes))
            with open(path, "rb") as file:
                data = file.read()
            yield Sample(os.path.basename(path), split, data, annotations)

    counter = _Counter(on_sample)
    info = await stores.dataset.create_with_samples(name or folder.name, classes, counter.wrap(samples()), prompts)
    return ImportReport(info, counter.images, counter.labeled, counter.backgrounds, skipped)


def count_files(path: Path) -> int | None:
    """How many images an import will read, for the progress bar (None when unknown cheaply)."""
    if not path.is_dir():
        return None
    try:
        yaml_path = _find_yaml(path)
        data = parse_yaml(yaml_path.read_bytes(), str(yaml_path), literal=True)
    except (InvalidDatasetError, OSError):
        return None
    return len(_plan(path, data)[0]) if isinstance(data, dict) else None
