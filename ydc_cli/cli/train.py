"""``ydc train``: train a detector on a dataset and register the result."""

from typing import Annotated

import typer

from ydc_cli.cli import output
from ydc_cli.cli.runner import run, settings_of

app = typer.Typer(help="Train detectors on datasets with ultralytics.", no_args_is_help=True)


@app.command("run")
def run_training(
    ctx: typer.Context,
    dataset: Annotated[str, typer.Argument(help="Dataset to train on (train and val splits).")],
    model: Annotated[str, typer.Option("--model", "-m", help="Architecture YAML (yolo11n.yaml), a local .pt, "
                                                             "or a registered model to fine-tune.")]
    = "yolo11n.yaml",
    epochs: Annotated[int, typer.Option("--epochs", "-e", help="Training epochs.")] = 10,
    imgsz: Annotated[int, typer.Option("--imgsz", help="Training image size in pixels.")] = 640,
    batch: Annotated[int, typer.Option("--batch", "-b", help="Images per batch.")] = 16,
    device: Annotated[str, typer.Option("--device", help="cpu, 0, or 0,1 for GPUs.")] = "cpu",
    name: Annotated[str | None, typer.Option("--name", "-n", help="Register the model under this name "
                                                                 "(default: DATASET-timestamp).")] = None,
    activate: Annotated[bool, typer.Option("--activate", help="Make the new model the active one.")] = False,
    patience: Annotated[int, typer.Option("--patience", help="Stop after this many epochs without "
                                                             "improvement.")] = 100,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Show ultralytics' own output (on stderr).")]
    = False,
) -> None:
    """Train on a dataset from either backend and register the best weights."""
    from ydc_cli.services.training import train_dataset
    from ydc_cli.training.ultralytics_adapter import UltralyticsTrainer

    settings = settings_of(ctx)

    async def go(stores):
        with output.progress(settings, f"Training on {dataset}", epochs) as advance:
            def on_epoch(report) -> None:
                losses = " ".join(f"{k.removesuffix('_loss')} {v:.3f}" for k, v in report.losses.items())
                map50 = "-" if report.map50 is None else f"{report.map50:.3f}"
                line = f"epoch {report.epoch}/{report.epochs}  {losses}  mAP50 {map50}"
                advance(1, line)
                if not output.interactive(settings):
                    output.status(settings, line)

            return await train_dataset(stores, UltralyticsTrainer(), dataset, model, name, epochs, imgsz, batch,
                                       device, patience, activate, verbose, settings.data_dir, on_epoch)

    outcome = run(ctx, go)
    info = outcome.model
    if settings.json:
        output.emit_json(info)
    else:
        output.status(settings, f"Registered model {info.name}: {info.epochs_completed} epochs, best mAP50 "
                                f"{'-' if info.best_map50 is None else f'{info.best_map50:.4f}'}"
                                + (" (active)" if info.is_active else ""))
