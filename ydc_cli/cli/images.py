"""``ydc images``: add, list and inspect images."""

from operator import itemgetter
from pathlib import Path
from typing import Annotated

import typer

from ydc_cli.cli import output
from ydc_cli.cli.runner import fail, run, settings_of
from ydc_cli.domain.errors import NotFoundError

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
        output.status(settings, f"Added {output.plural(len(infos), 'image')} to {dataset}/{split} "
                                f"({labeled} with labels)")


@app.command("list")
def list_images(
    ctx: typer.Context,
    dataset: Annotated[str, typer.Argument(help="Dataset name.")],
    split: Annotated[str | None, typer.Option("--split", "-s", help="Only this split.")] = None,
    unlabeled: Annotated[bool, typer.Option("--unlabeled", help="Images without a label file (never labelled).")]
    = False,
    background: Annotated[bool, typer.Option("--background", help="Images whose label file is empty (confirmed "
                                                                  "backgrounds, what `labels clear` writes).")] = False,
    class_: Annotated[list[str] | None, typer.Option("--class", "-c", help="Images holding at least one box of this "
                                                                           "class, a name or an id (repeatable).")]
    = None,
    long: Annotated[bool, typer.Option("--long", "-l", help="Also each file's size in bytes.")] = False,
) -> None:
    """List a dataset's images by split and file name (tab-separated when piped).

    The labels column tells boxes (a label file with boxes), background (an
    empty label file) and none (no label file) apart. --unlabeled, --background
    and --class each add images to the listing: an image is listed when it
    matches any of them (--class reads every label, once).
    """
    from ydc_cli.services.selection import Selection, select_images

    settings = settings_of(ctx)
    selection = Selection(split, unlabeled, background, tuple(class_ or ()))
    rows = run(ctx, lambda stores: select_images(stores, dataset, selection, sizes=long))
    if settings.json:
        output.emit_json([r._asdict() if long else {k: v for k, v in r._asdict().items() if k != "size_bytes"}
                          for r in rows])
    elif not rows:
        output.status(settings, "No images")
    elif long:
        output.table(None, ["split", "filename", "bytes", "labels"],
                     [(r.split, r.filename, r.size_bytes, r.labels) for r in rows])
    else:
        # Columns picked by C-level getters: this runs once per image, 100,000 times for a large dataset.
        from ydc_cli.persistence.bulk import gc_paused

        with gc_paused():
            output.table(None, ["split", "filename", "labels"],
                         list(zip(map(itemgetter(1), rows), map(itemgetter(0), rows), map(itemgetter(5), rows),
                                  strict=True)))


@app.command("show")
def show(
    ctx: typer.Context,
    dataset: Annotated[str, typer.Argument(help="Dataset name.")],
    split: Annotated[str, typer.Argument(help="train, val or test.")],
    filename: Annotated[str, typer.Argument(help="Image file name.")],
) -> None:
    """Show an image's size, format, checksum and boxes (nothing is decoded)."""
    from ydc_cli.services.images import show_image

    settings = settings_of(ctx)
    details = run(ctx, lambda stores: show_image(stores, dataset, split, filename))
    if settings.json:
        output.emit_json(details)
        return
    info = details.image
    output.fields([("file", f"{dataset}/{split}/{filename}"), ("format", details.format),
                   ("size", f"{info.width}x{info.height}"), ("bytes", info.size_bytes),
                   ("sha256", details.sha256), ("labels", "yes" if info.has_labels else "no"),
                   ("boxes", len(details.annotations))])


@app.command("get")
def get(
    ctx: typer.Context,
    dataset: Annotated[str, typer.Argument(help="Dataset name.")],
    split: Annotated[str, typer.Argument(help="train, val or test.")],
    filename: Annotated[str, typer.Argument(help="Image file name.")],
    output_path: Annotated[Path, typer.Option("--output", "-o", help="File (or folder) to write the image to.")],
) -> None:
    """Write an image's stored bytes, exactly as they were added, to a file."""
    from ydc_cli.persistence.fileio import atomic_write

    settings = settings_of(ctx)
    target = output_path / filename if output_path.is_dir() else output_path
    if not target.parent.is_dir():
        fail(settings, NotFoundError(f"no such folder ({target.parent})"))

    async def go(stores):
        data = await stores.image.load_bytes(dataset, split, filename)
        atomic_write(target, data)
        return data

    data = run(ctx, go)
    if settings.json:
        output.emit_json({"path": target, "size_bytes": len(data)})
    else:
        typer.echo(str(target))


@app.command("remove")
def remove(
    ctx: typer.Context,
    dataset: Annotated[str, typer.Argument(help="Dataset name.")],
    split: Annotated[str, typer.Argument(help="train, val or test.")],
    filenames: Annotated[list[str], typer.Argument(help="Image file names.")],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
) -> None:
    """Remove images and their labels."""
    from ydc_cli.services.images import remove_images, require_images

    settings = settings_of(ctx)
    run(ctx, lambda stores: require_images(stores, dataset, split, filenames))
    output.confirm(settings, f"Remove {output.plural(len(filenames), 'image')} and their labels from "
                             f"{dataset}/{split}?", yes)
    removed = run(ctx, lambda stores: remove_images(stores, dataset, split, filenames))
    if settings.json:
        output.emit_json({"removed": removed, "split": split})
    else:
        output.status(settings, f"Removed {output.plural(len(removed), 'image')} from {dataset}/{split}")


@app.command("move")
def move(
    ctx: typer.Context,
    dataset: Annotated[str, typer.Argument(help="Dataset name.")],
    filenames: Annotated[list[str], typer.Argument(help="Image file names.")],
    from_split: Annotated[str, typer.Option("--from", help="Split the images are in.")],
    to_split: Annotated[str, typer.Option("--to", help="Split to move them to.")],
) -> None:
    """Move images with their labels to another split."""
    from ydc_cli.services.images import move_images

    settings = settings_of(ctx)
    moved = run(ctx, lambda stores: move_images(stores, dataset, filenames, from_split, to_split))
    if settings.json:
        output.emit_json({"moved": filenames, "from": from_split, "to": to_split})
    else:
        output.status(settings, f"Moved {output.plural(moved, 'image')} from {from_split} to {to_split}")
