"""Training orchestration: pick the model, ready the dataset, train, register the result.

A filesystem dataset is trained in place through a generated data.yaml; any
other backend's dataset is materialised to a YOLO folder in a cache keyed by
its content (class list, image names and sizes, label texts), reused while
nothing changes. The model is registered only when training finished, so an
interrupted run leaves the registry as it was.
"""

from __future__ import annotations

import hashlib
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ydc_cli.domain import datayaml
from ydc_cli.domain.errors import InvalidInputError, NotFoundError
from ydc_cli.domain.labels import parse_text
from ydc_cli.domain.names import validate_model_name
from ydc_cli.persistence import ModelInfo, Stores, fileio
from ydc_cli.persistence.yamlio import dump_yaml
from ydc_cli.training import EpochReport, Trainer, TrainRequest, TrainResult


@dataclass
class TrainingOutcome:
    """The registered model and the run behind it."""

    model: ModelInfo
    result: TrainResult
    data_yaml: Path
    materialized: bool


async def resolve_model(stores: Stores, spec: str) -> tuple[str, str]:
    """What ultralytics should load for ``spec``, and the base-model label to record.

    ``spec`` is an architecture YAML (ultralytics' own, like ``yolo11n.yaml``, or
    a file), a local ``.pt``, or a registered model's name (fine-tuning).

    Raises:
        NotFoundError: a missing file, or a ``.pt`` name that would need a download.
    """
    path = Path(spec).expanduser()
    if spec.endswith((".yaml", ".yml")):
        return (str(path) if path.is_file() else spec), spec
    if path.suffix == ".pt" and path.is_file():
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


async def _content_key(stores: Stores, name: str, classes: list[str]) -> str:
    digest = hashlib.sha256("\n".join(classes).encode())
    for info in await stores.image.list(name):
        digest.update(f"\0{info.split}/{info.filename}:{info.size_bytes}".encode())
    async for split, label, text in stores.dataset.iter_label_texts(name):
        digest.update(f"\0{split}/{label}\0{text}".encode())
    return digest.hexdigest()[:20]


async def prepare_dataset(stores: Stores, name: str, cache_root: Path) -> tuple[Path, bool]:
    """A data.yaml ultralytics can train on; returns it and whether the data was materialised.

    Raises:
        NotFoundError: no such dataset.
        InvalidInputError: train or val is empty, or a label's class id is out of range.
    """
    from ydc_cli.services.exporting import export_yolo_folder

    info = await stores.dataset.get(name)
    if info is None:
        raise NotFoundError(f"no such dataset ({name})")
    for split in ("train", "val"):
        if not info.num_images[split]:
            raise InvalidInputError(
                f"the {split} split of {name} is empty: run `ydc datasets split {name} --train 0.8 --val 0.2`")
    nc = len(info.classes)
    async for split, label, text in stores.dataset.iter_label_texts(name):
        parse_text(text, nc=nc, source=f"{split}/{label}")
    cache_root = Path(cache_root).absolute()
    if (info.path / "images").is_dir() and (info.path / "data.yaml").is_file():
        folder = cache_root / f"{name}-in-place"
        folder.mkdir(parents=True, exist_ok=True)
        data_yaml = folder / "data.yaml"
        fileio.atomic_write(data_yaml, dump_yaml(datayaml.build(str(info.path), info.classes)))
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
    model_spec: str = "yolo11n.yaml",
    model_name: str | None = None,
    epochs: int = 10,
    imgsz: int = 640,
    batch: int = 16,
    device: str = "cpu",
    patience: int = 100,
    activate: bool = False,
    verbose: bool = False,
    work_dir: Path = Path("ydc-data"),
    on_epoch: Callable[[EpochReport], None] | None = None,
) -> TrainingOutcome:
    """Train on ``dataset`` and register the best weights as ``model_name``."""
    if epochs < 1 or imgsz < 32 or batch < 1:
        raise InvalidInputError("--epochs and --batch must be at least 1, and --imgsz at least 32")
    name = model_name or f"{dataset}-{time.strftime('%Y%m%d-%H%M%S')}"
    validate_model_name(name)
    if await stores.model.get(name) is not None:
        from ydc_cli.domain.errors import ConflictError

        raise ConflictError(f"model already exists ({name})")
    source, base_model = await resolve_model(stores, model_spec)
    data_yaml, materialized = await prepare_dataset(stores, dataset, work_dir / "cache")
    request = TrainRequest(data_yaml=data_yaml, model=source, epochs=epochs, imgsz=imgsz, batch=batch,
                           device=device, patience=patience, project_dir=(work_dir / "runs").absolute(),
                           run_name=name, verbose=verbose)
    result = trainer.train(request, on_epoch)
    info = await stores.model.save(name, result.best_weights, base_model=base_model, dataset_name=dataset,
                                   epochs_completed=result.epochs_completed,
                                   metrics={"best_map50": result.best_map50})
    await stores.model.save_training_record(name, {
        "config": {k: v for k, v in result.config.items() if k not in ("project",)},
        "dataset": dataset, "base_model": base_model,
        "epochs": [{"epoch": h.epoch, **{f"train/{k}": v for k, v in h.losses.items()}, **h.metrics}
                   for h in result.history],
    })
    if activate:
        await stores.model.set_active(name)
        info = await stores.model.get(name) or info
    return TrainingOutcome(info, result, data_yaml, materialized)
