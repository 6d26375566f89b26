"""Training orchestration: pick the model, ready the dataset, train, register the result.

A filesystem dataset is trained in place through a generated data.yaml; any
other backend's dataset is materialised to a YOLO folder in a cache keyed by
its content (class list, image names and sizes, label texts), reused while
nothing changes. The model is registered only when training finished, so an
interrupted run leaves the registry as it was.

Each run lives in ``<data-dir>/runs/<name>/`` (the name is the model's) with a
run record, ``ydc-run.json``: dataset, backend, model spec, settings, when it
started, when it finished, when its model was registered, and the error that
stopped it. A lock file beside it is held while a process trains. From those
and the checkpoint ultralytics saves every epoch (``weights/last.pt``) a run is
``running``, ``registered``, ``finished`` (its model is not in the registry),
``interrupted`` (it can be resumed), ``failed`` or, for a folder without a
record, ``unknown``.

Resuming: ``--resume --name RUN`` continues that run; plain ``--resume``
continues the latest-started resumable run of the dataset on this backend. A
resumed run keeps its model, epochs and image size; batch, device and patience
may change. A run that finished but whose model was never registered (killed
in between) is registered without training again.

The model follows the dataset's task (detect, segment, obb, pose): by default
its ultralytics architecture (``yolo11n-seg.yaml``...), and a model given of
another task is refused before anything starts. The run record and the model's
training record keep the task and its scores (``training.task_scores``: box
mAP50 and mAP50-95 for every task, mask or keypoint ones for segment and pose).

Pruning removes the folders nothing needs any more: runs whose model is
registered (the registry holds a copy of the weights), runs whose model was
registered and later removed, and runs that failed or were interrupted before
a checkpoint was saved. It keeps running runs, resumable runs (unless asked),
finished runs whose weights were never registered, and folders ydc did not
record.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ydc_cli.domain import datayaml
from ydc_cli.domain.checkpoint import check_checkpoint, checkpoint_task
from ydc_cli.domain.errors import ConflictError, InvalidInputError, NotFoundError, UsageError, YdcError
from ydc_cli.domain.labels import parse_text
from ydc_cli.domain.names import validate_model_name
from ydc_cli.persistence import ModelInfo, Stores, fileio
from ydc_cli.persistence.yamlio import dump_yaml, parse_yaml
from ydc_cli.training import EpochReport, Trainer, TrainRequest, TrainResult, task_scores

RUN_RECORD = "ydc-run.json"
RUN_LOCK = "ydc-run.lock"
RUN_STATES = ("running", "registered", "finished", "interrupted", "failed", "unknown")


@dataclass
class TrainingOutcome:
    """The registered model and the run behind it."""

    model: ModelInfo
    result: TrainResult
    data_yaml: Path
    materialized: bool
    run: str = ""
    resumed_after: int = 0


@dataclass
class RunInfo:
    """One run folder: what the run record and the folder say about it.

    ``epochs_done`` counts the epochs ultralytics logged; ``model`` is the
    registered model the run produced, or None; ``task`` the dataset's task
    and ``metrics`` the task's scores of the best weights once it finished.
    """

    name: str
    dataset: str
    backend: str
    state: str
    resumable: bool
    epochs_done: int
    epochs: int | None
    size_bytes: int
    model: str | None
    started_at: float | None
    path: Path
    error: str | None = None
    prunable: bool = False
    task: str | None = None
    metrics: dict[str, float] | None = None


async def resolve_model(stores: Stores, spec: str) -> tuple[str, str]:
    """What ultralytics should load for ``spec``, and the base-model label to record.

    ``spec`` is an architecture YAML (ultralytics' own, like ``yolo11n.yaml``, or
    a file), a local ``.pt``, or a registered model's name (fine-tuning).

    Raises:
        NotFoundError: a missing file, or a ``.pt`` name that would need a download.
        InvalidCheckpointError: a local ``.pt`` that is not a PyTorch checkpoint.
    """
    path = Path(spec).expanduser()
    if spec.endswith((".yaml", ".yml")):
        return (str(path) if path.is_file() else spec), spec
    if path.suffix == ".pt" and path.is_file():
        with open(path, "rb") as file:
            check_checkpoint(file, str(path))
        return str(path.absolute()), path.name
    if not spec.endswith(".pt") and "/" not in spec:
        registered = await stores.model.get(spec) if spec and not spec.startswith(".") else None
        if registered is not None:
            return str(await stores.model.load(spec)), spec
    if spec.endswith(".pt"):
        raise NotFoundError(
            f"{spec} is not a local file, and ydc cannot download weights here: pass a local .pt, "
            f"a registered model, or an architecture such as yolo11n.yaml")
    raise NotFoundError(f"no such model file or registered model ({spec})")


def model_task(source: str) -> str | None:
    """The task of what ultralytics would load for ``source`` (``resolve_model``'s first value); None if unknown.

    A checkpoint's task is its model class (``checkpoint_task``, nothing is
    unpickled); an architecture YAML's is its last head module (``Segment``,
    ``OBB``, ``Pose``...), and for ultralytics' own YAMLs, as ultralytics
    guesses, the name: ``-seg``, ``-obb``, ``-pose``, ``-cls``, else detect.
    """
    path = Path(source)
    if source.endswith((".yaml", ".yml")):
        if path.is_file():
            return _yaml_task(path)
        stem = path.stem
        for marker, task in (("-seg", "segment"), ("-obb", "obb"), ("-pose", "pose"), ("-cls", "classify")):
            if marker in stem:
                return task
        return "detect"
    try:
        with open(path, "rb") as file:
            return checkpoint_task(file, source)
    except (OSError, YdcError):
        return None


def _yaml_task(path: Path) -> str | None:
    try:
        head = parse_yaml(path.read_bytes(), str(path)).get("head")
        module = str(head[-1][-2]).lower()
    except (OSError, YdcError, AttributeError, IndexError, KeyError, TypeError):
        return None
    if module in ("classify", "classifier", "cls", "fc"):
        return "classify"
    return next((task for task in ("detect", "segment", "pose", "obb") if task in module), None)


def check_model_task(found: str | None, wanted: str, model: str, dataset: str, hint: str) -> None:
    """Refuse a model whose task is known and is not the dataset's (``InvalidInputError``, exit 5)."""
    if found is not None and found != wanted:
        raise InvalidInputError(f"model {model} is a {found} model but dataset {dataset} is a {wanted} dataset: "
                                f"{hint} ({model})")


async def _content_key(stores: Stores, name: str, classes: list[str]) -> str:
    digest = hashlib.sha256("\n".join(classes).encode())
    for info in await stores.image.list(name):
        digest.update(f"\0{info.split}/{info.filename}:{info.size_bytes}".encode())
    async for split, label, text in stores.dataset.iter_label_texts(name):
        digest.update(f"\0{split}/{label}\0{text}".encode())
    return digest.hexdigest()[:20]


async def prepare_dataset(stores: Stores, name: str, cache_root: Path,
                          required: Iterable[str] = ("train", "val")) -> tuple[Path, bool]:
    """A data.yaml ultralytics can train or validate on; returns it and whether the data was materialised.

    Raises:
        NotFoundError: no such dataset.
        InvalidInputError: a ``required`` split is empty, or a label's class id is out of range.
    """
    from ydc_cli.services.exporting import export_yolo_folder

    info = await stores.dataset.get(name)
    if info is None:
        raise NotFoundError(f"no such dataset ({name})")
    for split in required:
        if not info.num_images[split]:
            raise InvalidInputError(
                f"the {split} split of {name} is empty: run `ydc datasets split {name} --train 0.8 --val 0.2`")
    nc, task = len(info.classes), info.task_spec()
    async for split, label, text in stores.dataset.iter_label_texts(name):
        parse_text(text, nc=nc, source=f"{split}/{label}", task=task)
    cache_root = Path(cache_root).absolute()
    in_place = await stores.dataset.yolo_folder(name)
    if in_place is not None:
        folder = cache_root / f"{name}-in-place"
        folder.mkdir(parents=True, exist_ok=True)
        data_yaml = folder / "data.yaml"
        # this data.yaml lives outside the dataset: it names the stored folder
        fileio.atomic_write(data_yaml, dump_yaml({"path": str(in_place), **datayaml.build(info.classes, task)}))
        return data_yaml, False
    key = await _content_key(stores, name, info.classes)
    target = cache_root / key
    if not (target / name / "data.yaml").is_file():
        for stale in cache_root.glob(f"*/{name}/data.yaml"):
            shutil.rmtree(stale.parent.parent, ignore_errors=True)
        await export_yolo_folder(stores, name, target)
    return target / name / "data.yaml", True


async def train_dataset(
    stores: Stores,
    trainer: Trainer,
    dataset: str,
    model_spec: str | None = None,
    model_name: str | None = None,
    epochs: int = 10,
    imgsz: int = 640,
    batch: int = 16,
    device: str = "auto",
    patience: int = 100,
    activate: bool = False,
    verbose: bool = False,
    work_dir: Path = Path("ydc-data"),
    on_epoch: Callable[[EpochReport], None] | None = None,
    backend: str = "",
) -> TrainingOutcome:
    """Train on ``dataset`` in a new run and register the best weights as ``model_name``.

    ``model_spec`` None is the architecture of the dataset's task (``Task.model_yaml``).

    Raises:
        ConflictError: the model exists, or a run folder of that name holds something still needed.
        NotFoundError, InvalidInputError, InvalidCheckpointError: from the model and the dataset
            (a model of another task than the dataset's is an InvalidInputError).
    """
    _check_settings(epochs, imgsz, batch)
    dataset_info = await stores.dataset.get(dataset)
    if dataset_info is None:
        raise NotFoundError(f"no such dataset ({dataset})")
    task = dataset_info.task_spec()
    model_spec = model_spec or task.model_yaml
    name = model_name or f"{dataset}-{time.strftime('%Y%m%d-%H%M%S')}"
    validate_model_name(name)
    if await stores.model.get(name) is not None:
        raise ConflictError(f"model already exists ({name})")
    root = runs_dir(work_dir)
    run_dir = root / name
    if run_dir.exists():
        existing = await _run_info(stores, trainer, run_dir)
        if not existing.prunable:
            raise ConflictError(_taken(existing))
        await _remove_run(run_dir)
    source, base_model = await resolve_model(stores, model_spec)
    check_model_task(model_task(source), task.name, model_spec, dataset,
                     f"train it from {task.model_yaml} (the default) or a {task.name} model")
    data_yaml, materialized = await prepare_dataset(stores, dataset, work_dir / "cache")
    settings = {"epochs": epochs, "imgsz": imgsz, "batch": batch, "device": device, "patience": patience}
    record = {"name": name, "dataset": dataset, "backend": backend, "task": task.name, "model": model_spec,
              "base_model": base_model,
              "settings": settings, "started_at": time.time(), "pid": os.getpid(), "finished_at": None,
              "registered_at": None, "error": None, "resumes": []}
    run_dir.mkdir(parents=True, exist_ok=True)
    with _holding(run_dir):
        _write_record(run_dir, record)
        request = TrainRequest(data_yaml=data_yaml, model=source, epochs=epochs, imgsz=imgsz, batch=batch,
                               device=device, patience=patience, project_dir=root.absolute(), run_name=name,
                               verbose=verbose)
        result = _train(trainer, request, on_epoch, run_dir, record)
        info = await _register(stores, name, dataset, base_model, result, record, run_dir, activate)
    return TrainingOutcome(info, result, data_yaml, materialized, name, 0)


async def resume_training(
    stores: Stores,
    trainer: Trainer,
    dataset: str,
    run_name: str | None = None,
    changes: Mapping[str, Any] | None = None,
    activate: bool = False,
    verbose: bool = False,
    work_dir: Path = Path("ydc-data"),
    on_epoch: Callable[[EpochReport], None] | None = None,
    backend: str = "",
) -> TrainingOutcome:
    """Continue an interrupted run of ``dataset`` from its last checkpoint and register the model.

    ``run_name`` picks the run, else the latest-started resumable run of the
    dataset on ``backend``. ``changes`` holds the options the user gave: batch,
    device and patience replace the run's; model, epochs or imgsz that differ
    from the run's are refused, since ultralytics would silently ignore them.

    Raises:
        NotFoundError: no such run, or no resumable run of the dataset.
        UsageError: the run belongs to another dataset or backend, or a fixed setting was changed.
        ConflictError: the run is running, registered, or cannot be resumed.
    """
    if run_name is None:
        candidates = [r for r in await list_runs(stores, trainer, work_dir, backend)
                      if r.dataset == dataset and r.resumable]
        if not candidates:
            raise NotFoundError(f"no interrupted run of {dataset} to resume: see `ydc train runs` ({dataset})")
        run = max(candidates, key=lambda r: r.started_at or 0.0)
    else:
        validate_model_name(run_name)
        run_dir = runs_dir(work_dir) / run_name
        if not (run_dir / RUN_RECORD).is_file():
            raise NotFoundError(f"no such run ({run_name})")
        run = await _run_info(stores, trainer, run_dir)
    if run.dataset != dataset:
        raise UsageError(f"run {run.name} trained on dataset {run.dataset}, not {dataset} ({run.name})")
    if run.backend != backend:
        raise UsageError(f"run {run.name} was started on the {run.backend or 'another'} backend, "
                         f"resume it with --backend {run.backend} ({run.name})")
    if not run.resumable:
        raise ConflictError(_not_resumable(run))
    run_dir = run.path
    with _holding(run_dir):
        record = _read_record(run_dir) or {}
        settings = dict(record.get("settings") or {})
        changes = dict(changes or {})
        for key in ("model", "epochs", "imgsz"):
            recorded = record.get("model") if key == "model" else settings.get(key)
            if key in changes and changes[key] != recorded:
                raise UsageError(f"--{key} cannot change when resuming: run {run.name} was started with "
                                 f"{recorded} ({run.name})")
        settings.update({k: changes[k] for k in ("batch", "device", "patience") if k in changes})
        _check_settings(int(settings["epochs"]), int(settings["imgsz"]), int(settings["batch"]))
        data_yaml, materialized = await prepare_dataset(stores, dataset, work_dir / "cache")
        record["settings"] = settings
        record.setdefault("resumes", []).append({"at": time.time(), "epochs_done": run.epochs_done})
        record.update(pid=os.getpid(), error=None)
        _write_record(run_dir, record)
        request = TrainRequest(data_yaml=data_yaml, model=str((run_dir / "weights" / "last.pt").absolute()),
                               epochs=int(settings["epochs"]), imgsz=int(settings["imgsz"]),
                               batch=int(settings["batch"]), device=str(settings["device"]),
                               patience=int(settings["patience"]), project_dir=run_dir.parent.absolute(),
                               run_name=run.name, verbose=verbose, resume=True)
        result = _train(trainer, request, on_epoch, run_dir, record)
        info = await _register(stores, run.name, dataset, str(record.get("base_model", "")), result, record,
                               run_dir, activate)
    return TrainingOutcome(info, result, data_yaml, materialized, run.name, result.resumed_after)


def _check_settings(epochs: int, imgsz: int, batch: int) -> None:
    if epochs < 1 or imgsz < 32 or batch < 1:
        raise InvalidInputError("--epochs and --batch must be at least 1, and --imgsz at least 32")


def _train(trainer: Trainer, request: TrainRequest, on_epoch: Callable[[EpochReport], None] | None,
           run_dir: Path, record: dict[str, Any]) -> TrainResult:
    """Train, recording in the run record how it ended; a run that left nothing but its record goes."""
    try:
        result = trainer.train(request, on_epoch)
    except Exception as exc:
        if {p.name for p in run_dir.iterdir()} <= {RUN_RECORD, RUN_LOCK}:
            shutil.rmtree(run_dir, ignore_errors=True)  # it never started: no trace of a typo
        else:
            record["error"] = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:300]
            _write_record(run_dir, record)
        raise
    record["finished_at"] = time.time()
    record["device"] = result.config.get("device")
    record["task"] = result.task
    record["metrics"] = task_scores(result.metrics, result.task)
    _write_record(run_dir, record)
    return result


async def _register(stores: Stores, name: str, dataset: str, base_model: str, result: TrainResult,
                    record: dict[str, Any], run_dir: Path, activate: bool) -> ModelInfo:
    if await stores.model.get(name) is not None:
        raise ConflictError(f"model already exists ({name})")
    info = await stores.model.save(name, result.best_weights, base_model=base_model, dataset_name=dataset,
                                   epochs_completed=result.epochs_completed,
                                   metrics={"best_map50": result.best_map50})
    await stores.model.save_training_record(name, {
        "config": {k: v for k, v in result.config.items() if k not in ("project",)},
        "dataset": dataset, "base_model": base_model, "task": result.task,
        "metrics": task_scores(result.metrics, result.task),
        "run": {"name": name, "started_at": record.get("started_at"), "resumes": record.get("resumes", [])},
        "epochs": [{"epoch": h.epoch, **{f"train/{k}": v for k, v in h.losses.items()}, **h.metrics}
                   for h in result.history],
    })
    record["registered_at"] = time.time()
    _write_record(run_dir, record)
    if activate:
        await stores.model.set_active(name)
        info = await stores.model.get(name) or info
    return info


def runs_dir(work_dir: Path) -> Path:
    """Where the run folders of a data directory live."""
    return Path(work_dir) / "runs"


def _read_record(run_dir: Path) -> dict[str, Any] | None:
    try:
        record = json.loads((run_dir / RUN_RECORD).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) else None


def _write_record(run_dir: Path, record: dict[str, Any]) -> None:
    fileio.atomic_write(run_dir / RUN_RECORD, (json.dumps(record, indent=2, sort_keys=True) + "\n").encode())


class _holding:
    """Hold the run's lock while this process trains it; refuse when another process does."""

    def __init__(self, run_dir: Path) -> None:
        self.lock = fileio.FileLock(run_dir / RUN_LOCK)
        self.run_dir = run_dir

    def __enter__(self) -> None:
        if not self.lock.try_acquire():
            raise ConflictError(f"run {self.run_dir.name} is being trained by another process ({self.run_dir})")

    def __exit__(self, *exc: object) -> None:
        self.lock.release()


def _is_running(run_dir: Path) -> bool:
    if not (run_dir / RUN_LOCK).is_file():
        return False
    lock = fileio.FileLock(run_dir / RUN_LOCK)
    if lock.try_acquire():
        lock.release()
        return False
    return True


def _folder_size(path: Path) -> int:
    total = 0
    for dirpath, _, filenames in os.walk(path):
        for filename in filenames:
            try:
                total += os.lstat(os.path.join(dirpath, filename)).st_size
            except OSError:
                pass
    return total


async def _run_info(stores: Stores, trainer: Trainer, run_dir: Path, locked_here: bool = False) -> RunInfo:
    """What the run folder holds; ``locked_here`` when this process holds its lock (so it is not running)."""
    record = _read_record(run_dir)
    size = _folder_size(run_dir)
    if record is None:
        return RunInfo(run_dir.name, "", "", "unknown", False, trainer.epochs_done(run_dir), None, size, None,
                       None, run_dir)
    name = run_dir.name
    settings = record.get("settings") or {}
    epochs = settings.get("epochs") if isinstance(settings.get("epochs"), int) else None
    started = record.get("started_at")
    checkpoint = (run_dir / "weights" / "last.pt").is_file()
    model = await stores.model.get(name)
    training = await stores.model.get_training_record(name) if model is not None else None
    ours = bool(training) and (training.get("run") or {}).get("started_at") == started
    error = record.get("error")
    if not locked_here and _is_running(run_dir):
        state, resumable, prunable = "running", False, False
    elif ours:
        state, resumable, prunable = "registered", False, True
    elif record.get("finished_at"):
        # its model was registered and since removed, or never registered (then resuming registers it)
        removed = bool(record.get("registered_at"))
        state, resumable, prunable = "finished", checkpoint and not removed and model is None, removed
    elif checkpoint and not error:
        state, resumable, prunable = "interrupted", model is None, False
    else:
        state, resumable, prunable = "failed", checkpoint and model is None, not checkpoint
        error = error or "stopped before its first checkpoint"
    metrics = record.get("metrics")
    return RunInfo(name, str(record.get("dataset", "")), str(record.get("backend", "")), state, resumable,
                   trainer.epochs_done(run_dir), epochs, size, name if ours else None,
                   started if isinstance(started, (int, float)) else None, run_dir, error, prunable,
                   str(record.get("task") or "detect"), metrics if isinstance(metrics, dict) else None)


async def list_runs(stores: Stores, trainer: Trainer, work_dir: Path, backend: str = "") -> list[RunInfo]:
    """The run folders of this data directory: those recorded for ``backend`` and those without a record.

    Sorted by start time (unrecorded folders first, by name).
    """
    root = runs_dir(work_dir)
    try:
        folders = sorted(p for p in root.iterdir() if p.is_dir() and not fileio.is_internal(p.name))
    except FileNotFoundError:
        return []
    runs = []
    for folder in folders:
        info = await _run_info(stores, trainer, folder)
        if info.state == "unknown" or info.backend == backend:
            runs.append(info)
    return sorted(runs, key=lambda r: (r.started_at or 0.0, r.name))


def prunable(run: RunInfo, include_interrupted: bool = False) -> bool:
    """Whether ``train runs --prune`` removes this run (see the module's docstring for the rule)."""
    return run.prunable or (include_interrupted and run.resumable and run.state in ("interrupted", "failed"))


async def prune_runs(stores: Stores, trainer: Trainer, work_dir: Path, backend: str = "",
                     include_interrupted: bool = False, only: Iterable[str] | None = None) -> list[RunInfo]:
    """Remove the run folders the prune rule allows (only those named in ``only``, when given); returns them.

    Each folder is looked at again just before it goes, under its lock, so a
    run that started or changed since it was listed is left alone.
    """
    root = runs_dir(work_dir)
    fileio.sweep_leftovers(root)
    wanted = None if only is None else set(only)
    removed = []
    for run in await list_runs(stores, trainer, work_dir, backend):
        if (wanted is not None and run.name not in wanted) or not prunable(run, include_interrupted):
            continue
        lock = fileio.FileLock(run.path / RUN_LOCK)
        if not lock.try_acquire():
            continue
        try:
            again = await _run_info(stores, trainer, run.path, locked_here=True)
            if prunable(again, include_interrupted):
                fileio.remove_tree(run.path)
                removed.append(run)
        finally:
            lock.release()
    return removed


async def _remove_run(run_dir: Path) -> None:
    lock = fileio.FileLock(run_dir / RUN_LOCK)
    if not lock.try_acquire():
        raise ConflictError(f"run {run_dir.name} is being trained by another process ({run_dir})")
    try:
        fileio.remove_tree(run_dir)
    finally:
        lock.release()


def _taken(run: RunInfo) -> str:
    where = f"({run.path})"
    if run.state == "running":
        return f"run {run.name} is being trained by another process {where}"
    if run.resumable and run.state == "finished":
        return (f"run {run.name} finished but its model was never registered: register it with "
                f"`ydc train run {run.dataset} --resume --name {run.name}` {where}")
    if run.resumable:
        return (f"an interrupted run named {run.name} exists: continue it with `ydc train run {run.dataset} "
                f"--resume --name {run.name}`, or remove it with `ydc train runs --prune --include-interrupted` "
                f"{where}")
    return f"a run folder named {run.name} exists that ydc did not record: remove it or pick another --name {where}"


def _not_resumable(run: RunInfo) -> str:
    if run.state == "running":
        return f"run {run.name} is being trained by another process ({run.name})"
    if run.state == "registered":
        return f"run {run.name} finished and is registered as model {run.model}: nothing to resume ({run.name})"
    if run.state in ("interrupted", "failed", "finished") and (run.path / "weights" / "last.pt").is_file():
        return f"a model named {run.name} exists: remove it before resuming run {run.name} ({run.name})"
    return f"run {run.name} has no checkpoint to resume from ({run.name})"


async def register_weights(stores: Stores, name: str, weights: Path, dataset: str = "",
                           base_model: str = "") -> ModelInfo:
    """Register a weights file, after checking that the dataset it names exists.

    Raises:
        NotFoundError: ``dataset`` names no dataset, or the file is missing.
        ConflictError, InvalidInputError: from the registry.
    """
    if dataset and await stores.dataset.get(dataset) is None:
        raise NotFoundError(f"no such dataset ({dataset})")
    return await stores.model.save(name, weights, base_model=base_model, dataset_name=dataset)
