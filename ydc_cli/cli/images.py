"""``ydc images``: add, list and inspect images."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ydc_cli.cli import output
from ydc_cli.cli.runner import run, settings_of

app = typer.Typer(help="Add, list and inspect images.", no_args_is_help=True)


@app.command("add")
def add(
    ctx: typer.Context,
    dataset: Annotated[str, typer.Argument(help="Dataset name.")],
    paths: Annotated[list[str], typer.Argument(help="Image files, folders (recursive) or glob patterns.")],
    split: Annotated[str, typer.Option("--split", "-s", help="train, val or test.")] = "train",
    labels: Annotated[Path | None, typer.Option("--labels", help="Folder holding <stem>.txt YOLO labels.")] = None,
) -> None:
    """Add images with their YOLO labels in one all-or-nothing batch, keeping the original bytes."""
    from ydc_cli.services.images import add_images, collect_images

    settings = settings_of(ctx)

    async def go(stores):
        total = len(collect_images(paths))
        with output.progress(settings, f"Adding to {dataset}/{split}", total) as advance:
            return await add_images(stores, dataset, paths, split, labels, advance)

    infos = run(ctx, go)
    if settings.json:
        output.emit_json(infos)
    else:
        labeled = sum(1 for i in infos if i.has_labels)
        output.status(settings, f"Added {len(infos)} images to {dataset}/{split} ({labeled} with labels)")


@app.command("list")
def list_images(
    ctx: typer.Context,
    dataset: Annotated[str, typer.Argument(help="Dataset name.")],
    split: Annotated[str | None, typer.Option("--split", "-s", help="Only this split.")] = None,
    unlabeled: Annotated[bool, typer.Option("--unlabeled", help="Only images without a label file.")] = False,
) -> None:
    """List a dataset's images by split and file name."""
    settings = settings_of(ctx)
    infos = run(ctx, lambda stores: stores.image.list(dataset, split))
    if unlabeled:
        infos = [i for i in infos if not i.has_labels]
    if settings.json:
        output.emit_json(infos)
    else:
        output.table(None, ["split", "filename", "bytes", "labels"],
                     [(i.split, i.filename, i.size_bytes, "yes" if i.has_labels else "no") for i in infos])
