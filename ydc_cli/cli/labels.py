"""``ydc labels``: show, set and clear an image's boxes."""

from pathlib import Path
from typing import Annotated

import typer

from ydc_cli.cli import output
from ydc_cli.cli.runner import fail, run, settings_of

app = typer.Typer(help="Show, set and clear an image's YOLO boxes.", no_args_is_help=True)

DatasetArg = Annotated[str, typer.Argument(help="Dataset name.")]
SplitArg = Annotated[str, typer.Argument(help="train, val or test.")]
FileArg = Annotated[str, typer.Argument(help="Image file name.")]


def _render(settings, annotations, classes) -> None:
    if settings.json:
        output.emit_json(annotations)
        return
    if not annotations:
        output.status(settings, "No boxes")
        return
    output.table(None, ["class", "name", "x", "y", "w", "h"], [
        (a.class_id, classes[a.class_id] if a.class_id < len(classes) else "?",
         f"{a.x:.6f}", f"{a.y:.6f}", f"{a.width:.6f}", f"{a.height:.6f}") for a in annotations])


@app.command("show")
def show(ctx: typer.Context, dataset: DatasetArg, split: SplitArg, filename: FileArg) -> None:
    """Show an image's boxes with their class names."""
    from ydc_cli.services.labels import show_labels

    annotations, classes = run(ctx, lambda stores: show_labels(stores, dataset, split, filename))
    _render(settings_of(ctx), annotations, classes)


@app.command("set")
def set_(
    ctx: typer.Context,
    dataset: DatasetArg,
    split: SplitArg,
    filename: FileArg,
    box: Annotated[list[str] | None, typer.Option("--box", "-b", help='One box, "CLASS X Y W H" (repeatable).')]
    = None,
    file: Annotated[Path | None, typer.Option("--file", "-f", help="A YOLO label file to take the boxes from.")]
    = None,
) -> None:
    """Replace an image's boxes, validated against the dataset's classes."""
    from ydc_cli.services.labels import set_labels

    settings = settings_of(ctx)
    if not box and file is None:
        fail(settings, 2, "usage", "give the boxes with --box \"CLASS X Y W H\" or --file LABELS.txt")

    annotations = run(ctx, lambda stores: set_labels(stores, dataset, split, filename, box or [], file))
    if settings.json:
        output.emit_json(annotations)
    else:
        output.status(settings, f"Set {len(annotations)} box(es) on {dataset}/{split}/{filename}")


@app.command("clear")
def clear(
    ctx: typer.Context,
    dataset: DatasetArg,
    split: SplitArg,
    filename: FileArg,
    delete: Annotated[bool, typer.Option("--delete", help="Delete the label file: the image becomes unlabeled.")]
    = False,
) -> None:
    """Remove an image's boxes, leaving an empty label (a background image)."""
    from ydc_cli.services.labels import clear_labels

    settings = settings_of(ctx)
    run(ctx, lambda stores: clear_labels(stores, dataset, split, filename, delete))
    if settings.json:
        output.emit_json({"cleared": f"{split}/{filename}", "deleted": delete})
    else:
        what = "Deleted the label of" if delete else "Cleared the boxes of"
        output.status(settings, f"{what} {dataset}/{split}/{filename}")


@app.command("draw")
def draw(
    ctx: typer.Context,
    dataset: DatasetArg,
    split: SplitArg,
    filename: FileArg,
    output_path: Annotated[Path, typer.Option("--output", "-o", help="PNG file (or folder) to write.")],
) -> None:
    """Write a PNG of the image with its boxes and class names."""
    from ydc_cli.services.drawing import draw_labels

    settings = settings_of(ctx)
    target, boxes = run(ctx, lambda stores: draw_labels(stores, dataset, split, filename, output_path))
    if settings.json:
        output.emit_json({"path": target, "boxes": boxes})
    else:
        typer.echo(str(target))


@app.command("auto")
def auto(
    ctx: typer.Context,
    dataset: DatasetArg,
    model: Annotated[str | None, typer.Option("--model", "-m", help="Registered model (default: the active one).")]
    = None,
    split: Annotated[str | None, typer.Option("--split", "-s", help="Only this split.")] = None,
    conf: Annotated[float, typer.Option("--conf", help="Keep predictions at or above this confidence.")] = 0.25,
    only_unlabeled: Annotated[bool, typer.Option("--only-unlabeled", help="Leave images that have a label "
                                                                          "file alone.")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Count what would be labelled; write nothing.")]
    = False,
) -> None:
    """Label images with a registered model's predictions, all in one change."""
    from ydc_cli.services.autolabel import auto_label
    from ydc_cli.training.ultralytics_adapter import UltralyticsPredictor

    settings = settings_of(ctx)
    if not 0.0 <= conf <= 1.0:
        fail(settings, 2, "usage", f"--conf must be between 0 and 1, got {conf}")

    async def go(stores):
        info = await stores.dataset.get(dataset)
        total = (sum(info.num_images.values()) if split is None else info.num_images.get(split)) if info else None
        with output.progress(settings, f"Labelling {dataset}", total) as advance:
            return await auto_label(stores, dataset, UltralyticsPredictor, model, split, conf, only_unlabeled,
                                    dry_run, advance)

    report = run(ctx, go)
    if settings.json:
        output.emit_json(report)
    else:
        verb = "would label" if dry_run else "labelled"
        output.status(settings, f"{report.model} {verb} {report.labeled} of {report.images} image(s) with "
                                f"{report.boxes} box(es); {report.without_boxes} without a box left unlabeled; "
                                f"kept {report.kept_existing} existing label(s)"
                                + (f"; {report.unknown_class_boxes} box(es) of classes the dataset lacks"
                                   if report.unknown_class_boxes else ""))
