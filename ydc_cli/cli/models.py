"""``ydc models``: the registry of trained weights."""

from pathlib import Path
from typing import Annotated

import typer

from ydc_cli.cli import output
from ydc_cli.cli.runner import fail, run, settings_of
from ydc_cli.cli.train import scores_text
from ydc_cli.domain.errors import NotFoundError, UsageError

app = typer.Typer(help="Register, activate, export and import trained models.", no_args_is_help=True)


def _rows(info) -> list[tuple[str, object]]:
    return [("name", info.name), ("path", info.path), ("base model", info.base_model or "-"),
            ("dataset", info.dataset_name or "-"), ("epochs", info.epochs_completed),
            ("best mAP50", "-" if info.best_map50 is None else f"{info.best_map50:.4f}"),
            ("active", "yes" if info.is_active else "no"), ("sha256", info.sha256 or "-")]


async def _get(stores, name):
    info = await stores.model.get(name)
    if info is None:
        raise NotFoundError(f"no such model ({name})")
    return info


def _when(stamp) -> str:
    import time

    return time.strftime("%Y-%m-%d %H:%M", time.localtime(stamp)) if isinstance(stamp, (int, float)) else "-"


def _show(settings, info) -> None:
    if settings.json:
        output.emit_json(info)
    else:
        output.fields(_rows(info))


@app.command("list")
def list_models(ctx: typer.Context) -> None:
    """List registered models."""
    settings = settings_of(ctx)
    infos = run(ctx, lambda stores: stores.model.list())
    if settings.json:
        output.emit_json(infos)
    elif not infos:
        output.status(settings, "No models yet: add one with `ydc models add NAME WEIGHTS.pt`")
    else:
        output.table(None, ["name", "active", "dataset", "epochs", "mAP50"], [
            (i.name, "*" if i.is_active else "", i.dataset_name, i.epochs_completed,
             "" if i.best_map50 is None else f"{i.best_map50:.4f}") for i in infos])


@app.command("show")
def show(ctx: typer.Context, name: Annotated[str, typer.Argument(help="Model name.")]) -> None:
    """Show one model: its latest validation, and its training configuration and per-epoch metrics when ydc
    trained it."""
    settings = settings_of(ctx)

    async def load(stores):
        from ydc_cli.services.evaluation import model_task

        record = await stores.model.get_training_record(name)
        return await _get(stores, name), record, await model_task(stores, name, record)

    info, record, task = run(ctx, load)
    validations = (record or {}).get("validations") or []
    latest = validations[-1] if validations else None
    if settings.json:
        output.emit_json({**output.to_jsonable(info), "task": task, "metrics": (record or {}).get("metrics"),
                          "training": record, "validation": latest})
        return
    record = record or {}
    rows = _rows(info)
    rows.insert(1, ("task", task or "-"))
    if record.get("metrics"):
        rows.append(("metrics", scores_text(record["metrics"])))
    if latest:
        extra = scores_text(latest.get("scores") or {}, ("mask", "pose"))
        rows.append(("validated", f"{latest.get('dataset')}/{latest.get('split')}: mAP50 {latest['map50']:.4f}, "
                                  f"mAP50-95 {latest['map50_95']:.4f}, P {latest['precision']:.4f}, "
                                  f"R {latest['recall']:.4f}{', ' + extra if extra else ''} "
                                  f"({_when(latest.get('validated_at'))})"))
    config = record.get("config")
    if config:
        rows.append(("trained with", ", ".join(f"{k}={config[k]}" for k in
                                              ("epochs", "imgsz", "batch", "device", "patience") if k in config)))
    output.fields(rows)
    epochs = record.get("epochs", [])
    if epochs:
        from ydc_cli.training import metric_key

        keys = [k for k in epochs[0] if k.startswith("train/") and k.endswith("_loss")]
        keys += [metric_key(kind, measure) for kind in ("box", "mask", "pose") for measure in ("map50", "map50_95")
                 if metric_key(kind, measure) in epochs[0]]
        output.table(None, ["epoch", *(_column(k) for k in keys)],
                     [(e.get("epoch"), *(f"{e[k]:.4f}" if isinstance(e.get(k), (int, float)) else "-" for k in keys))
                      for e in epochs])


def _column(key: str) -> str:
    """An epoch table's heading: ``train/box_loss`` is box_loss, ``metrics/mAP50(M)`` is mask mAP50."""
    name = key.split("/", 1)[1]
    for kind, suffix in (("", "(B)"), ("mask ", "(M)"), ("pose ", "(P)")):
        if name.endswith(suffix):
            return kind + name.removesuffix(suffix)
    return name


@app.command("add")
def add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Name to register the model under.")],
    weights: Annotated[Path, typer.Argument(help="A .pt weights file (copied as bytes, never unpickled).")],
    dataset: Annotated[str, typer.Option("--dataset", help="Dataset it was trained on (must exist).")] = "",
    base_model: Annotated[str, typer.Option("--base-model", help="Architecture or checkpoint it started from.")] = "",
) -> None:
    """Register a weights file."""
    from ydc_cli.services.training import register_weights

    settings = settings_of(ctx)
    info = run(ctx, lambda stores: register_weights(stores, name, weights, dataset, base_model))
    if settings.json:
        output.emit_json(info)
    else:
        output.status(settings, f"Registered model {name}")


@app.command("activate")
def activate(ctx: typer.Context, name: Annotated[str, typer.Argument(help="Model name.")]) -> None:
    """Make a model the active one (used by `labels auto` by default)."""
    settings = settings_of(ctx)

    async def go(stores):
        await stores.model.set_active(name)
        return await _get(stores, name)

    info = run(ctx, go)
    if settings.json:
        output.emit_json(info)
    else:
        output.status(settings, f"Active model: {name}")


@app.command("active")
def active(ctx: typer.Context) -> None:
    """Show the active model."""
    settings = settings_of(ctx)
    info = run(ctx, lambda stores: stores.model.get_active())
    if info is None:
        fail(settings, NotFoundError("no active model: run `ydc models activate NAME`"))
    _show(settings, info)


@app.command("remove")
def remove(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Model name.")],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
) -> None:
    """Remove a model and its weights."""
    settings = settings_of(ctx)
    run(ctx, lambda stores: _get(stores, name))
    output.confirm(settings, f"Remove model {name} and its weights?", yes)
    run(ctx, lambda stores: stores.model.delete(name))
    if settings.json:
        output.emit_json({"removed": name})
    else:
        output.status(settings, f"Removed model {name}")


@app.command("export")
def export(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Model name.")],
    output_dir: Annotated[Path, typer.Option("--output", "-o", help="Folder to write the zip into.")] = Path("."),
) -> None:
    """Export a model as a zip of its weights and metadata."""
    settings = settings_of(ctx)
    written = run(ctx, lambda stores: stores.model.export_zip(name, output_dir))
    if settings.json:
        output.emit_json({"model": name, "path": written})
    else:
        typer.echo(str(written))


@app.command("import")
def import_model(
    ctx: typer.Context,
    zip_path: Annotated[Path, typer.Argument(help="A model zip made by `ydc models export`.")],
    name: Annotated[str | None, typer.Option("--name", "-n", help="Name (default: the zip's name).")] = None,
) -> None:
    """Import a model zip into the registry."""
    settings = settings_of(ctx)
    info = run(ctx, lambda stores: stores.model.import_zip(zip_path, name))
    if settings.json:
        output.emit_json(info)
    else:
        output.status(settings, f"Imported model {info.name}")


def _score(value: float | None) -> str:
    return "-" if value is None else f"{value:.4f}"


@app.command("val")
def val(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Model name.")],
    dataset: Annotated[str, typer.Option("--dataset", "-d", help="Dataset to measure it on (its classes must be "
                                                                 "the model's, in the same order).")],
    split: Annotated[str, typer.Option("--split", "-s", help="train, val or test.")] = "val",
    imgsz: Annotated[int | None, typer.Option("--imgsz", help="Image size (default: the size it was trained "
                                                              "at).")] = None,
    batch: Annotated[int, typer.Option("--batch", "-b", help="Images per batch.")] = 16,
    device: Annotated[str, typer.Option("--device", help="auto (the first GPU, else the CPU), cpu, 0, ...")]
    = "auto",
) -> None:
    """Measure a model on a dataset split: mAP50, mAP50-95, precision and recall, overall and per class.

    The dataset must be of the model's task. Boxes are scored for every task, and
    masks (segment) or keypoints (pose) too. The result is kept with the model
    (`ydc models show` shows the latest).
    """
    from ydc_cli.services.evaluation import validate_model
    from ydc_cli.training.ultralytics_adapter import UltralyticsValidator

    settings = settings_of(ctx)

    async def go(stores):
        with output.progress(settings, f"Validating {name} on {dataset}/{split}", None):
            return await validate_model(stores, name, dataset, UltralyticsValidator, settings.work_dir, split,
                                        imgsz, batch, device)

    result = run(ctx, go)
    if settings.json:
        output.emit_json(result)
        return
    kind = {"segment": "mask", "pose": "pose"}.get(result.task)
    extra = [f"{kind}_{m}" for m in ("map50", "map50_95")] if kind else []
    output.table(None, ["class", "images", "instances", "precision", "recall", "mAP50", "mAP50-95",
                        *(f"{kind} {m}" for m in ("mAP50", "mAP50-95") if kind)], [
        ("all", str(result.images), str(result.instances), _score(result.precision), _score(result.recall),
         _score(result.map50), _score(result.map50_95), *(_score(result.scores.get(k)) for k in extra)),
        *((c.name, str(c.images), str(c.instances), _score(c.precision), _score(c.recall), _score(c.map50),
           _score(c.map50_95), *(_score(c.scores.get(k)) for k in extra)) for c in result.classes)])
    scores = scores_text(result.scores, ("mask", "pose"))
    output.status(settings, f"{name} on {dataset}/{split}: mAP50 {result.map50:.4f}, mAP50-95 "
                            f"{result.map50_95:.4f}{', ' + scores if scores else ''} over "
                            f"{output.plural(result.images, 'image')}; recorded with the model")


@app.command("predict")
def predict(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Model name.")],
    images: Annotated[list[str], typer.Argument(help="Image files, folders (searched recursively) or globs.")],
    output_dir: Annotated[Path, typer.Option("--output", "-o", help="Folder for the PNGs with the boxes drawn "
                                                                    "(created when missing).")],
    conf: Annotated[float, typer.Option("--conf", help="Keep predictions at or above this confidence.")] = 0.25,
) -> None:
    """Draw a model's predictions (boxes, masks' outlines, oriented boxes or keypoints, by its task) on image
    files into a folder; the store is not touched."""
    from ydc_cli.services.evaluation import predict_files
    from ydc_cli.training.ultralytics_adapter import UltralyticsPredictor

    settings = settings_of(ctx)
    if not 0.0 <= conf <= 1.0:
        fail(settings, UsageError(f"--conf must be between 0 and 1, got {conf}"))

    async def go(stores):
        with output.progress(settings, f"Predicting with {name}", None) as advance:
            return await predict_files(stores, name, images, output_dir, UltralyticsPredictor, conf, advance)

    results = run(ctx, go)
    if settings.json:
        output.emit_json(results)
        return
    output.table(None, ["image", "boxes", "output"], [(str(r.image), str(len(r.boxes)), str(r.output))
                                                      for r in results])
    boxes = sum(len(r.boxes) for r in results)
    noun = {"segment": ("mask", "masks"), "obb": ("oriented box", "oriented boxes"), "pose": ("pose", "poses")
            }.get(results[0].task if results else "", ("box", "boxes"))
    output.status(settings, f"{name} found {output.plural(boxes, *noun)} on {output.plural(len(results), 'image')}; "
                            f"drawn into {output_dir}")
