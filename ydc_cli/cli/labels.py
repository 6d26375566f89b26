"""``ydc labels``: show, set and clear an image's boxes."""

from pathlib import Path
from typing import Annotated

import typer

from ydc_cli.cli import output
from ydc_cli.cli.runner import fail, run, settings_of
from ydc_cli.domain.errors import UsageError

app = typer.Typer(help="Show, set and clear an image's YOLO boxes.", no_args_is_help=True)

DatasetArg = Annotated[str, typer.Argument(help="Dataset name.")]
SplitArg = Annotated[str, typer.Argument(help="train, val or test.")]
FileArg = Annotated[str, typer.Argument(help="Image file name.")]


def _render(settings, annotations, classes) -> None:
    if settings.json:
        output.emit_json(annotations)
        return
    if not annotations:
        output.status(settings, "No labels")
        return
    points = any(a.points is not None for a in annotations)
    output.table(None, ["class", "name", "x", "y", "w", "h", *(["points"] if points else [])], [
        (a.class_id, classes[a.class_id] if a.class_id < len(classes) else "?",
         f"{a.x:.6f}", f"{a.y:.6f}", f"{a.width:.6f}", f"{a.height:.6f}",
         *([" ".join(f"{v:.6g}" for v in a.points or ())] if points else [])) for a in annotations])


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
    box: Annotated[list[str] | None, typer.Option("--box", "-b", help='One box, "CLASS X Y W H" (repeatable); '
                                                                      'CLASS is an id or a class name.')]
    = None,
    polygon: Annotated[list[str] | None, typer.Option("--polygon", "-p", help='Segment datasets: one polygon, '
                                                                              '"CLASS X1 Y1 X2 Y2 X3 Y3 ..." '
                                                                              "(repeatable).")] = None,
    obb: Annotated[list[str] | None, typer.Option("--obb", help='Obb datasets: one oriented box by its corners, '
                                                                '"CLASS X1 Y1 X2 Y2 X3 Y3 X4 Y4" (repeatable).')]
    = None,
    keypoints: Annotated[list[str] | None, typer.Option("--keypoints", "-k", help='Pose datasets: one object, '
                                                                                  '"CLASS X Y W H PX1 PY1 [V1] ..." '
                                                                                  "(repeatable).")] = None,
    file: Annotated[Path | None, typer.Option("--file", "-f", help="A YOLO label file to take the labels from.")]
    = None,
) -> None:
    """Replace an image's labels, validated against the dataset's classes and task."""
    from ydc_cli.services.labels import set_labels

    settings = settings_of(ctx)
    if not (box or polygon or obb or keypoints) and file is None:
        fail(settings, UsageError("give the labels with --box \"CLASS X Y W H\" (or --polygon, --obb, --keypoints "
                                   "for those tasks) or --file LABELS.txt"))
    shapes = {"--polygon": polygon or [], "--obb": obb or [], "--keypoints": keypoints or []}
    annotations = run(ctx, lambda stores: set_labels(stores, dataset, split, filename, box or [], file, shapes))
    if settings.json:
        output.emit_json(annotations)
    else:
        kind = "box" if not annotations or annotations[0].points is None else "label"
        output.status(settings, f"Set {output.plural(len(annotations), kind)} on {dataset}/{split}/{filename}")


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
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Also replace the labels of images that have "
                                                                "them, where the model finds a box (asks first).")]
    = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="With --overwrite: do not ask for confirmation.")]
    = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show the boxes per image; write nothing.")] = False,
    preview: Annotated[Path | None, typer.Option("--preview", help="Draw the predicted boxes into PNGs in this "
                                                                   "folder; write nothing to the store.")] = None,
) -> None:
    """Label the images that have no label file with a model's predictions, all in one change.

    Existing labels (an empty label file included: a background) are kept
    unless --overwrite.
    """
    from ydc_cli.services.autolabel import auto_label, plan_auto_label
    from ydc_cli.training.ultralytics_adapter import UltralyticsPredictor

    settings = settings_of(ctx)
    if not 0.0 <= conf <= 1.0:
        fail(settings, UsageError(f"--conf must be between 0 and 1, got {conf}"))
    writes = not dry_run and preview is None
    plan = run(ctx, lambda stores: plan_auto_label(stores, dataset, model, split))
    if overwrite and writes and plan.labelled:
        where = f"the {split} split of {dataset}" if split else dataset
        output.confirm(settings, f"Replace the labels of up to {output.plural(plan.labelled, 'labelled image')} "
                                 f"in {where} with {plan.model}'s predictions?", yes)

    async def go(stores):
        total = plan.images if overwrite else plan.images - plan.labelled
        with output.progress(settings, f"Labelling {dataset}", total) as advance:
            return await auto_label(stores, dataset, UltralyticsPredictor, plan.model, split, conf, overwrite,
                                    dry_run, preview, advance)

    report = run(ctx, go)
    if settings.json:
        output.emit_json(report)
        return
    if not writes and report.per_image:
        output.table(None, ["split", "filename", "boxes"],
                     [(i.split, i.filename, str(i.boxes)) for i in report.per_image])
    verb = "labelled" if writes else "would label"
    parts = [f"{report.model} {verb} {report.labeled} of {output.plural(report.images, 'image')} with "
             f"{output.plural(report.boxes, 'box')}"]
    if report.replaced:
        parts.append(f"{'replaced' if writes else 'would replace'} the labels of "
                     f"{output.plural(report.replaced, 'image')}")
    if report.without_boxes:
        parts.append(f"{output.plural(report.without_boxes, 'image')} without a box left as "
                     f"{'they were' if report.without_boxes > 1 else 'it was'}")
    if report.kept_existing:
        parts.append(f"kept the labels of {output.plural(report.kept_existing, 'image')} (--overwrite replaces "
                     f"them)")
    if report.duplicate_boxes:
        parts.append(f"dropped {output.plural(report.duplicate_boxes, 'duplicate box', 'duplicate boxes')}")
    if report.unknown_class_boxes:
        parts.append(f"{output.plural(report.unknown_class_boxes, 'box')} of classes the dataset lacks")
    if preview is not None:
        parts.append(f"previews in {preview}")
    output.status(settings, "; ".join(parts))
