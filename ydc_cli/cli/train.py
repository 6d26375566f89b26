"""``ydc train``: train a detector on a dataset, register the result, and keep track of the runs."""

import time
from typing import Annotated

import typer

from ydc_cli.cli import output
from ydc_cli.cli.core import interrupt_hint
from ydc_cli.cli.runner import run, settings_of

app = typer.Typer(help="Train detectors on datasets with ultralytics.", no_args_is_help=True)



def _given(ctx: typer.Context, parameter: str) -> bool:
    """Whether the user typed the option (its value is not the default)."""
    source = ctx.get_parameter_source(parameter)
    return getattr(source, "name", "DEFAULT") in ("COMMANDLINE", "ENVIRONMENT", "PROMPT")


@app.command("run")
def run_training(
    ctx: typer.Context,
    dataset: Annotated[str, typer.Argument(help="Dataset to train on (train and val splits).")],
    model: Annotated[str | None, typer.Option("--model", "-m", help="Architecture YAML, a local .pt, or a registered "
                                                                    "model to fine-tune, of the dataset's task "
                                                                    "(default: yolo11n.yaml, yolo11n-seg.yaml, "
                                                                    "yolo11n-obb.yaml or yolo11n-pose.yaml).")]
    = None,
    epochs: Annotated[int, typer.Option("--epochs", "-e", help="Training epochs.")] = 10,
    imgsz: Annotated[int, typer.Option("--imgsz", help="Training image size in pixels.")] = 640,
    batch: Annotated[int, typer.Option("--batch", "-b", help="Images per batch.")] = 16,
    device: Annotated[str, typer.Option("--device", help="auto (the first GPU, else the CPU), cpu, 0, or 0,1 "
                                                         "for GPUs; the one used is recorded.")] = "auto",
    name: Annotated[str | None, typer.Option("--name", "-n", help="Name of the run and of the model it registers "
                                                                 "(default: DATASET-timestamp); with --resume, "
                                                                 "the run to continue.")] = None,
    activate: Annotated[bool, typer.Option("--activate", help="Make the new model the active one.")] = False,
    patience: Annotated[int, typer.Option("--patience", help="Stop after this many epochs without "
                                                             "improvement.")] = 100,
    resume: Annotated[bool, typer.Option("--resume", help="Continue an interrupted run from its last checkpoint: "
                                                          "the one named by --name, else the latest interrupted "
                                                          "run of DATASET. It keeps its model, epochs and imgsz; "
                                                          "--batch, --device and --patience may change.")]
    = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Show ultralytics' own output (on stderr).")]
    = False,
) -> None:
    """Train on a dataset from either backend and register the best weights.

    The model does the dataset's task (detect, segment, obb or pose); one of
    another task is refused. Each run keeps its folder in DATA_DIR/runs/NAME
    (see `ydc train runs`); an interrupted one can be continued with --resume.
    """
    from ydc_cli.services.training import resume_training, train_dataset
    from ydc_cli.training.ultralytics_adapter import UltralyticsTrainer

    settings = settings_of(ctx)
    backend = settings.backend_name
    interrupt_hint(ctx, f"a run that finished an epoch continues with `ydc train run {dataset} --resume`")
    given = {key: value for key, value in (("model", model), ("epochs", epochs), ("imgsz", imgsz), ("batch", batch),
                                           ("device", device), ("patience", patience))
             if _given(ctx, key)}

    async def go(stores):
        with output.progress(settings, f"Training on {dataset}", None if resume else epochs) as advance:
            done = 0

            def on_epoch(report) -> None:
                nonlocal done
                losses = " ".join(f"{k.removesuffix('_loss')} {v:.3f}" for k, v in report.losses.items())
                scores = scores_text(report.metrics, ("mask", "pose"))
                map50 = "-" if report.map50 is None else f"{report.map50:.3f}"
                line = f"epoch {report.epoch}/{report.epochs}  {losses}  mAP50 {map50}{'  ' + scores if scores else ''}"
                advance(report.epoch - done, line)
                done = report.epoch
                if not output.interactive(settings):
                    output.status(settings, line)

            trainer = UltralyticsTrainer()
            if resume:
                return await resume_training(stores, trainer, dataset, name, given, activate, verbose,
                                             settings.work_dir, on_epoch, backend)
            return await train_dataset(stores, trainer, dataset, model, name, epochs, imgsz, batch, device, patience,
                                       activate, verbose, settings.work_dir, on_epoch, backend)

    outcome = run(ctx, go)
    info = outcome.model
    if settings.json:
        output.emit_json(info)
        return
    resumed = (f" (resumed after {output.plural(outcome.resumed_after, 'epoch')})"
               if resume and outcome.resumed_after else "")
    best = "-" if info.best_map50 is None else f"{info.best_map50:.4f}"
    result = outcome.result
    kind = "" if result.task == "detect" else f"{result.task} "
    from ydc_cli.training import task_scores

    scores = scores_text(task_scores(result.metrics, result.task), ("mask", "pose"))
    output.status(settings, f"Registered {kind}model {info.name}: {output.plural(info.epochs_completed, 'epoch')}"
                            f"{resumed}, best mAP50 {best} on {result.config.get('device', '?')}"
                            + (" (active)" if info.is_active else "") + (f"; {scores}" if scores else ""))

def scores_text(scores: dict[str, float], kinds: tuple[str, ...] = ("box", "mask", "pose")) -> str:
    """A task's scores for people: ``box mAP50 0.812 mAP50-95 0.604, mask mAP50 0.790 ...``.

    ``scores`` may be ``task_scores``' names or ultralytics' metric keys (an epoch's metrics).
    """
    from ydc_cli.training import metric_key  # not at start-up: the trainer interface is 2.5 ms of `ydc --help`

    parts = []
    for kind in kinds:
        values = [(label, scores.get(f"{kind}_{measure}", scores.get(metric_key(kind, measure))))
                  for measure, label in (("map50", "mAP50"), ("map50_95", "mAP50-95"))]
        shown = " ".join(f"{label} {value:.3f}" for label, value in values if value is not None)
        if shown:
            parts.append(f"{kind} {shown}")
    return ", ".join(parts)


def _size(size: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    return str(size)


@app.command("runs")
def runs(
    ctx: typer.Context,
    prune: Annotated[bool, typer.Option("--prune", help="Remove the run folders nothing needs: runs whose model is "
                                                        "registered (the registry has a copy), whose model was "
                                                        "removed since, or that stopped before their first "
                                                        "checkpoint. Running and resumable runs, unregistered "
                                                        "weights and folders ydc did not record are kept. Asks "
                                                        "first.")] = False,
    include_interrupted: Annotated[bool, typer.Option("--include-interrupted", help="With --prune: also remove "
                                                                                    "resumable runs.")] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="With --prune: do not ask for confirmation.")] = False,
) -> None:
    """List the training runs of this data directory and backend, and prune the ones no longer needed."""
    from ydc_cli.services.training import list_runs, prunable, prune_runs
    from ydc_cli.training.ultralytics_adapter import UltralyticsTrainer

    settings = settings_of(ctx)
    backend = settings.backend_name
    trainer = UltralyticsTrainer()
    found = run(ctx, lambda stores: list_runs(stores, trainer, settings.work_dir, backend))
    if not prune:
        if settings.json:
            output.emit_json(found)
        elif not found:
            output.status(settings, "No training runs yet: start one with `ydc train run DATASET`")
        else:
            output.table(None, ["name", "dataset", "task", "state", "epochs", "size", "model", "metrics",
                                "started"], [
                (r.name, r.dataset or "-", r.task or "-", r.state + (" (resumable)" if r.resumable else ""),
                 f"{r.epochs_done}/{r.epochs}" if r.epochs else str(r.epochs_done), _size(r.size_bytes),
                 r.model or "-", scores_text(r.metrics or {}) or "-",
                 time.strftime("%Y-%m-%d %H:%M", time.localtime(r.started_at)) if r.started_at else "-")
                for r in found])
        return
    doomed = [r for r in found if prunable(r, include_interrupted)]
    if not doomed:
        if settings.json:
            output.emit_json({"removed": [], "freed_bytes": 0})
        else:
            output.status(settings, "Nothing to prune")
        return
    total = sum(r.size_bytes for r in doomed)
    output.confirm(settings, f"Remove {output.plural(len(doomed), 'run folder')} ({_size(total)}): "
                             f"{', '.join(r.name for r in doomed)}?", yes)
    removed = run(ctx, lambda stores: prune_runs(stores, trainer, settings.work_dir, backend, include_interrupted,
                                                  [r.name for r in doomed]))
    freed = sum(r.size_bytes for r in removed)
    if settings.json:
        output.emit_json({"removed": [r.name for r in removed], "freed_bytes": freed})
    else:
        output.status(settings, f"Removed {output.plural(len(removed), 'run folder')}, freed {_size(freed)}")
