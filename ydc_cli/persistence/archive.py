"""Dataset and model zips, read and written the same way by every backend.

A dataset zip is a YOLO folder: ``data.yaml`` (without ``path``, so it is read
relative to itself), ``prompts.yaml``, ``images/<split>/...`` and
``labels/<split>/...``, inside one top folder named after the dataset. Reading
also accepts the folder at the root, ``<split>/images`` layouts and a
``valid`` split. Every member is checked (``domain.archive``) before anything
is written.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import tempfile
import zipfile
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from ydc_cli.domain import datayaml, tasks
from ydc_cli.domain.archive import check_members
from ydc_cli.domain.errors import InvalidDatasetError, InvalidLabelError, NotFoundError, UnsafeArchiveError
from ydc_cli.domain.labels import format_text, parse_text
from ydc_cli.domain.names import printable
from ydc_cli.domain.tasks import Task
from ydc_cli.persistence import fileio
from ydc_cli.persistence.bulk import write_behind
from ydc_cli.persistence.models import DatasetInfo, ModelInfo, Sample
from ydc_cli.persistence.samples import as_box, to_annotations
from ydc_cli.persistence.yamlio import dump_yaml, parse_prompts, parse_yaml
from ydc_cli.persistence.zipstream import ZipStream

# Fixed member dates make two exports of the same dataset byte-identical.
_EPOCH = (1980, 1, 1, 0, 0, 0)
_STORED_FORMATS = {"jpg", "jpeg", "jpe", "png", "webp", "mpo"}
MODEL_META = "model_meta.json"


def _open_zip(zip_path: Path) -> zipfile.ZipFile:
    if not zip_path.is_file():
        raise NotFoundError(f"no such file ({zip_path})")
    try:
        return zipfile.ZipFile(zip_path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise InvalidDatasetError(f"not a zip archive, or a corrupt one ({zip_path})") from exc


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    try:
        return archive.read(info)
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise UnsafeArchiveError(f"archive member is corrupt ({printable(info.filename)})") from exc


# -- datasets -----------------------------------------------------------------


@dataclass
class DatasetArchive:
    """A checked dataset zip: its classes and prompts, and its images to stream."""

    archive: zipfile.ZipFile
    classes: list[str]
    prompts: dict[int, list[str]]
    images: dict[str, list[zipfile.ZipInfo]] = field(default_factory=dict)
    labels: dict[tuple[str, str], zipfile.ZipInfo] = field(default_factory=dict)
    task: Task = tasks.DETECT

    def label_texts(self) -> Iterator[tuple[str, str]]:
        """Each label member as ``(member name, text)``, in archive order."""
        for label in self.labels.values():
            yield label.filename, self._label_text(label)

    def _label_text(self, label: zipfile.ZipInfo) -> str:
        try:
            return _read_member(self.archive, label).decode("utf-8-sig")
        except UnicodeDecodeError:
            raise InvalidLabelError("label file is not UTF-8 text", source=label.filename) from None

    def samples(self) -> Iterator[Sample]:
        """Yield each image with its labels, one member read at a time."""
        for split in datayaml.SPLITS:
            for info in self.images.get(split, []):
                filename = PurePosixPath(info.filename).name
                data = _read_member(self.archive, info)
                label = self.labels.get((split, datayaml.stem_of(filename)))
                annotations = None
                if label is not None:
                    annotations = to_annotations(parse_text(self._label_text(label), nc=len(self.classes),
                                                            source=label.filename, task=self.task))
                yield Sample(filename, split, data, annotations)


@contextlib.contextmanager
def read_dataset_zip(zip_path: Path) -> Iterator[DatasetArchive]:
    """Open and check a dataset zip; nothing is extracted to disk.

    Raises:
        NotFoundError: the zip is missing.
        UnsafeArchiveError: a member is hostile (see ``domain.archive``).
        InvalidDatasetError: not a zip, or no data.yaml inside.
    """
    archive = _open_zip(Path(zip_path))
    with archive:
        members = check_members(archive.infolist())
        root = _find_root(members)
        by_name = {info.filename: info for info in members}
        yaml_info = by_name[root + "data.yaml"] if root + "data.yaml" in by_name else _yaml_at(members, root)
        data = parse_yaml(_read_member(archive, yaml_info), yaml_info.filename, literal=True)
        classes = datayaml.classes_from(data, yaml_info.filename)
        prompts: dict[int, list[str]] = {}
        if root + "prompts.yaml" in by_name:
            info = by_name[root + "prompts.yaml"]
            prompts = parse_prompts(parse_yaml(_read_member(archive, info), info.filename), info.filename)
        contents = DatasetArchive(archive, classes, prompts)
        _index_layout(contents, members, root)
        named = tasks.from_yaml(data, yaml_info.filename)
        contents.task = tasks.guess(contents.label_texts(), named)
        yield contents


def _find_root(members: list[zipfile.ZipInfo]) -> str:
    """The folder (``""`` or ``"top/"``) that holds the dataset's YAML."""
    for depth in (0, 1):
        candidates = [
            m for m in members
            if m.filename.count("/") == depth and m.filename.endswith((".yaml", ".yml"))
            and PurePosixPath(m.filename).name != "prompts.yaml"
        ]
        roots = {m.filename.rpartition("/")[0] for m in candidates}
        if len(roots) > 1:
            raise InvalidDatasetError("archive holds more than one dataset folder")
        if roots:
            root = roots.pop()
            return root + "/" if root else ""
    raise InvalidDatasetError("archive holds no dataset: no data.yaml at its top")


def _yaml_at(members: list[zipfile.ZipInfo], root: str) -> zipfile.ZipInfo:
    found = [
        m for m in members
        if m.filename.startswith(root) and "/" not in m.filename[len(root):]
        and m.filename.endswith((".yaml", ".yml")) and not m.filename.endswith("prompts.yaml")
    ]
    if len(found) != 1:
        raise InvalidDatasetError("archive holds several YAML files and no data.yaml")
    return found[0]


def _index_layout(contents: DatasetArchive, members: list[zipfile.ZipInfo], root: str) -> None:
    """Sort members into images per split and labels per (split, stem).

    Accepts ``images/<split>/...`` and ``<split>/images/...`` (``valid`` is
    read as ``val``); files of other kinds, and ultralytics' ``*.cache``, are
    ignored.
    """
    for info in members:
        parts = info.filename[len(root):].split("/") if info.filename.startswith(root) else []
        if len(parts) < 3:
            continue
        if parts[0] in ("images", "labels") and parts[1] in datayaml.SPLIT_ALIASES:
            kind, split = parts[0], datayaml.SPLIT_ALIASES[parts[1]]
        elif parts[1] in ("images", "labels") and parts[0] in datayaml.SPLIT_ALIASES:
            kind, split = parts[1], datayaml.SPLIT_ALIASES[parts[0]]
        else:
            continue
        name = parts[-1]
        if kind == "images" and datayaml.is_image_name(name):
            contents.images.setdefault(split, []).append(info)
        elif kind == "labels" and name.endswith(".txt"):
            contents.labels[(split, datayaml.stem_of(name))] = info
    for infos in contents.images.values():
        infos.sort(key=lambda i: PurePosixPath(i.filename).name)


async def write_dataset_zip(info: DatasetInfo, prompts: dict[int, list[str]], samples: AsyncIterator[Sample],
                            output_dir: Path) -> Path:
    """Write a dataset, read from any backend, as ``<output_dir>/<name>.zip``."""
    name = info.name
    with fileio.storage_errors(output_dir):
        output_dir.mkdir(parents=True, exist_ok=True)
    target = output_dir / f"{name}.zip"
    task = info.task_spec()
    yaml_data = datayaml.build(info.classes, task)
    with fileio.replacing(target) as tmp, fileio.StreamWriter(tmp) as stream:
        archive = ZipStream(stream)
        # (name, bytes, compress) go to a helper thread that checksums and writes them while the next are read.
        with write_behind(lambda member: archive.add(member[0], member[1], compress=member[2])) as put:
            put((f"{name}/data.yaml", dump_yaml(yaml_data), True))
            if prompts:
                put((f"{name}/prompts.yaml", dump_yaml(prompts), True))
            async for sample in samples:
                ext = sample.filename.rpartition(".")[2].lower()
                put((f"{name}/images/{sample.split}/{sample.filename}", sample.data, ext not in _STORED_FORMATS))
                if sample.annotations is not None:
                    text = format_text(map(as_box, sample.annotations), task)
                    label = datayaml.label_name_for(sample.filename)
                    put((f"{name}/labels/{sample.split}/{label}", text.encode("utf-8"), True))
        archive.finish()
    return target


def _put(archive: zipfile.ZipFile, name: str, data: bytes, *, stored: bool = False) -> None:
    info = zipfile.ZipInfo(name, date_time=_EPOCH)
    info.external_attr = 0o644 << 16
    info.compress_type = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
    archive.writestr(info, data)


# -- models -------------------------------------------------------------------


def write_model_zip(info: ModelInfo, output_dir: Path, training: dict[str, Any] | None = None) -> Path:
    """Write ``<output_dir>/<name>.zip`` with ``best.pt`` and ``model_meta.json`` (which carries the
    training record, when there is one, under ``training``)."""
    if not info.path.is_file():
        raise NotFoundError(f"weights of model are missing ({info.path})")
    meta = {
        "name": info.name,
        "base_model": info.base_model,
        "dataset_name": info.dataset_name,
        "created_at": info.created_at,
        "epochs_completed": info.epochs_completed,
        "best_map50": info.best_map50,
    }
    if training is not None:
        meta["training"] = training
    with fileio.storage_errors(output_dir):
        output_dir.mkdir(parents=True, exist_ok=True)
    target = output_dir / f"{info.name}.zip"
    with fileio.replacing(target) as tmp, zipfile.ZipFile(tmp, "x", allowZip64=True) as archive:
        _put(archive, MODEL_META, (json.dumps(meta, indent=2, sort_keys=True) + "\n").encode())
        entry = zipfile.ZipInfo("best.pt", date_time=_EPOCH)
        entry.external_attr = 0o644 << 16
        with open(info.path, "rb") as reader, archive.open(entry, "w", force_zip64=True) as writer:
            shutil.copyfileobj(reader, writer, 1 << 20)
    return target


@contextlib.contextmanager
def read_model_zip(zip_path: Path) -> Iterator[tuple[Path, dict[str, Any]]]:
    """Check a model zip and extract its weights to a temporary file.

    Yields the weights' temporary path and the metadata (``{}`` if absent).

    Raises:
        NotFoundError: the zip is missing, or holds no ``.pt`` file.
        UnsafeArchiveError: a hostile member.
    """
    archive = _open_zip(Path(zip_path))
    with archive:
        members = check_members(archive.infolist())
        by_name = {info.filename: info for info in members}
        meta: dict[str, Any] = {}
        meta_info = by_name.get(MODEL_META) or next(
            (m for m in members if PurePosixPath(m.filename).name == MODEL_META), None)
        if meta_info is not None:
            if meta_info.file_size > 1 << 20:
                raise UnsafeArchiveError(f"model metadata is too large ({MODEL_META})")
            try:
                loaded = json.loads(_read_member(archive, meta_info))
            except (json.JSONDecodeError, UnicodeDecodeError):
                raise InvalidDatasetError(f"model metadata is not valid JSON ({meta_info.filename})") from None
            meta = loaded if isinstance(loaded, dict) else {}
        weights = [m for m in members if m.filename.endswith(".pt")]
        chosen = next((m for m in weights if PurePosixPath(m.filename).name == "best.pt"), None)
        if chosen is None and len(weights) == 1:
            chosen = weights[0]
        if chosen is None:
            raise NotFoundError(f"the zip holds no weights file (.pt) ({zip_path})")
        with tempfile.TemporaryDirectory(prefix="ydc-model-") as folder:
            target = Path(folder) / "best.pt"
            try:
                with archive.open(chosen) as reader, open(target, "wb") as writer:
                    shutil.copyfileobj(reader, writer, 1 << 20)
            except (zipfile.BadZipFile, OSError, EOFError) as exc:
                raise UnsafeArchiveError(f"archive member is corrupt ({printable(chosen.filename)})") from exc
            yield target, meta
