"""``ydc datasets``: create, inspect, import and export datasets."""

from pathlib import Path
from typing import Annotated

import click
import typer

from ydc_cli.cli import output
from ydc_cli.cli.core import READERS, WRITERS
from ydc_cli.cli.runner import fail, run, settings_of
from ydc_cli.cli.settings import Settings
from ydc_cli.domain.errors import ChecksFailedError, NotFoundError, UsageError
from ydc_cli.persistence import registry

app = typer.Typer(help="Create, inspect, import and export datasets.", no_args_is_help=True)


def _comma_list(text: str) -> list[str]:
    """Items of a comma-separated option, stripped, empty ones dropped."""
    return [part.strip() for part in text.split(",") if part.strip()]


def _key_values(settings, items: list[str] | None, option: str, form: str) -> list[tuple[str, str]]:
    """Split repeated ``KEY=VALUE`` options; a usage error (exit 2) names the bad one."""
    pairs = []
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep:
            fail(settings, UsageError(f"{option} takes {form}, got {item!r}"))
        pairs.append((key, value))
    return pairs


TASK_HELP = "detect, segment, obb or pose (pose needs --kpt-shape)."


def _task(settings, task: str | None, kpt_shape: str | None, flip_idx: str | None):
    """The Task the options name; a usage error (exit 2) for one that cannot be."""
    from ydc_cli.domain import tasks
    from ydc_cli.domain.errors import InvalidDatasetError

    def integers(text: str | None, option: str) -> list[int] | None:
        if text is None:
            return None
        try:
            return [int(v) for v in text.replace(",", " ").split()]
        except ValueError:
            fail(settings, UsageError(f"{option} takes integers, comma-separated: got {text!r}"))

    name = (task or ("pose" if kpt_shape else "detect")).lower()
    if name not in tasks.TASKS:
        fail(settings, UsageError(f"unknown task {task!r}: use {', '.join(tasks.TASKS)}"))
    try:
        return tasks.make(name, integers(kpt_shape, "--kpt-shape"), integers(flip_idx, "--flip-idx"))
    except InvalidDatasetError as exc:
        fail(settings, UsageError(str(exc)))


def _info_rows(info) -> list[tuple[str, object]]:
    counts = info.num_images
    return [
        ("name", info.name),
        ("task", info.task_spec().describe()),
        ("path", info.path),
        ("classes", ", ".join(f"{i}:{c}" for i, c in enumerate(info.classes)) or "(none)"),
        ("images", f"{sum(counts.values())} (train {counts['train']}, val {counts['val']}, test {counts['test']})"),
    ]


@app.command("create")
def create(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Name of the new dataset.")],
    classes: Annotated[str, typer.Option("--classes", "-c", help="Class names, comma-separated: a,b,c.")],
    task: Annotated[str, typer.Option("--task", "-t", help=f"What its labels hold: {TASK_HELP}")] = "detect",
    kpt_shape: Annotated[str | None, typer.Option("--kpt-shape", help="Pose: keypoints per object and values per "
                                                                      "keypoint (2, or 3 with visibility): 17,3.")]
    = None,
    flip_idx: Annotated[str | None, typer.Option("--flip-idx", help="Pose: the keypoint each one becomes in a "
                                                                    "left-right flip: 0,2,1.")] = None,
) -> None:
    """Create an empty dataset with the given classes, for one task (detect by default)."""
    settings = settings_of(ctx)
    spec = _task(settings, task, kpt_shape, flip_idx)
    info = run(ctx, lambda stores: stores.dataset.create(name, _comma_list(classes), spec))
    if settings.json:
        output.emit_json(info)
    else:
        kind = "" if spec.name == "detect" else f"{spec.describe()} "
        output.status(settings, f"Created {kind}dataset {info.name} with {output.plural(len(info.classes), 'class')}")


@app.command("list")
def list_datasets(ctx: typer.Context) -> None:
    """List datasets with their image counts."""
    settings = settings_of(ctx)
    infos = run(ctx, lambda stores: stores.dataset.list())
    if settings.json:
        output.emit_json(infos)
        return
    if not infos:
        output.status(settings, "No datasets yet: create one with `ydc datasets create NAME --classes a,b`")
        return
    output.table(None, ["name", "classes", "train", "val", "test"], [
        (i.name, len(i.classes), i.num_images["train"], i.num_images["val"], i.num_images["test"]) for i in infos
    ])


@app.command("info")
def info(ctx: typer.Context, name: Annotated[str, typer.Argument(help="Dataset name.")]) -> None:
    """Show a dataset's classes, image counts and location, then boxes and images per class and split.

    An image counts for a class when it holds at least one box of it; the
    last row counts every box, and the images holding any box.
    """
    from ydc_cli.services.class_table import TOTAL, dataset_overview

    settings = settings_of(ctx)
    overview = run(ctx, lambda stores: dataset_overview(stores, name))
    table = overview.classes
    if settings.json:
        output.emit_json({**output.to_jsonable(overview.info), "per_class": table.per_class,
                          "all_classes": table.all_classes, "unreadable_lines": table.unreadable_lines})
        return
    output.fields(_info_rows(overview.info))
    if table.per_class:
        cells = [(split, kind) for split in ("train", "val", "test", TOTAL) for kind in ("boxes", "images")]
        output.table(None, ["class", *(f"{split} {kind}" for split, kind in cells)], [
            (label, *(row[split][kind] for split, kind in cells))
            for label, row in [*table.per_class.items(), ("all classes", table.all_classes)]])
    if table.unreadable_lines:
        output.status(settings, f"Not counted: {output.plural(table.unreadable_lines, 'unreadable label line')} "
                                f"(`ydc datasets validate {name}` names them)")


@app.command("delete")
def delete(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Dataset name.")],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
) -> None:
    """Delete a dataset with all its images and labels."""
    settings = settings_of(ctx)

    async def exists(stores):
        return await stores.dataset.get(name) is not None

    if not run(ctx, exists):
        fail(settings, NotFoundError(f"no such dataset ({name})"))
    output.confirm(settings, f"Delete dataset {name} and all its images and labels?", yes)
    run(ctx, lambda stores: stores.dataset.delete(name))
    if settings.json:
        output.emit_json({"deleted": name})
    else:
        output.status(settings, f"Deleted dataset {name}")


@app.command("rename")
def rename(
    ctx: typer.Context,
    old: Annotated[str, typer.Argument(help="Dataset name now.")],
    new: Annotated[str, typer.Argument(help="New name.")],
) -> None:
    """Rename a dataset; models registered on it follow the new name."""
    from ydc_cli.services.renaming import rename_dataset

    settings = settings_of(ctx)
    report = run(ctx, lambda stores: rename_dataset(stores, old, new))
    if settings.json:
        output.emit_json({"dataset": report.dataset, "old_name": report.old_name, "models": report.models})
        return
    output.status(settings, f"Renamed dataset {old} to {new}" + (
        f"; {output.plural(len(report.models), 'model')} now name it: {', '.join(report.models)}"
        if report.models else ""))


@app.command("import")
def import_dataset(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(help="A dataset file or folder in any format `--format` names; the "
                                             "format is detected.")],
    name: Annotated[str | None, typer.Option("--name", "-n", help="Dataset name (default: the file or folder name).")]
    = None,
    fmt: Annotated[str | None, typer.Option("--format", "-f", help="Read as this format instead of detecting it: "
                                                                   f"{READERS}.")] = None,
    follow_path: Annotated[bool, typer.Option("--follow-path", help="Follow data.yaml's path: and split entries "
                                                                   "out of the folder given, as ultralytics does.")]
    = False,
    task: Annotated[str | None, typer.Option("--task", "-t", help="Read the labels as this task where the format "
                                                                  "holds several (COCO's boxes or polygons): "
                                                                  "detect, segment, obb or pose. Default: what the "
                                                                  "files hold.")] = None,
) -> None:
    """Import a dataset as it is: the format and the task are detected and named; all or nothing."""
    from ydc_cli.domain import tasks
    from ydc_cli.services.importing import open_import, store_import

    settings = settings_of(ctx)
    if task is not None and task.lower() not in tasks.TASKS:
        fail(settings, UsageError(f"unknown task {task!r}: use {', '.join(tasks.TASKS)}"))

    async def go(stores):
        chosen, reading = open_import(path, fmt, follow_path, task.lower() if task else None)
        with output.progress(settings, f"Importing {name or path.name}", reading.count) as advance:
            return await store_import(stores, chosen, reading, path, name, advance)

    report = run(ctx, go)
    if settings.json:
        output.emit_json(report)
        return
    from ydc_cli import formats

    title = formats.get(report.format).title
    if report.dataset.task != "detect":
        title = f"{title} ({report.dataset.task_spec().describe()})"
    output.status(settings, f"Imported {report.dataset.name} from {title} at {report.root}: "
                            f"{output.plural(report.images, 'image')}, {report.labeled} labeled, "
                            f"{output.plural(report.backgrounds, 'background')}, {len(report.skipped)} skipped")
    for note in report.notes:
        output.status(settings, f"  note: {note}")
    for skipped_path, reason in report.skipped:
        output.status(settings, f"  skipped {skipped_path}: {reason}")


@app.command("export")
def export(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Dataset name.")],
    output_dir: Annotated[Path, typer.Option("--output", "-o", help="Folder to write into.")] = Path("."),
    fmt: Annotated[str, typer.Option("--format", "-f", help=f"{WRITERS}.")] = "zip",
) -> None:
    """Export a dataset as a zip, a YOLO folder, or another format's folder (NAME-FORMAT/)."""
    from ydc_cli import formats
    from ydc_cli.services.exporting import export_dataset

    settings = settings_of(ctx)
    writers = [f.name for f in formats.writers()]
    if fmt.lower() not in writers:
        fail(settings, UsageError(f"unknown export format {fmt!r}: use {', '.join(writers)}"))

    async def go(stores):
        info_ = await stores.dataset.get(name)
        total = sum(info_.num_images.values()) if info_ else None
        with output.progress(settings, f"Exporting {name}", total) as advance:
            return await export_dataset(stores, name, output_dir, fmt.lower(), advance)

    written = run(ctx, go)
    if settings.json:
        output.emit_json({"dataset": name, "format": fmt.lower(), "path": written})
    else:
        typer.echo(str(written))


@app.command("classes")
def classes(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Dataset name.")],
    add: Annotated[list[str] | None, typer.Option("--add", help="Append a class (repeatable).")] = None,
    rename: Annotated[list[str] | None, typer.Option("--rename", help="OLD=NEW (repeatable).")] = None,
    remove: Annotated[list[str] | None, typer.Option("--remove", help="Remove a class (repeatable).")] = None,
    remap_to: Annotated[str | None, typer.Option("--remap-to", help="Give removed classes' boxes to this class "
                                                                   "instead of dropping them.")] = None,
    reorder: Annotated[str | None, typer.Option("--reorder", help="New order of all classes: a,b,c.")] = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask before dropping the boxes of a removed "
                                                          "class (--remove without --remap-to).")] = False,
) -> None:
    """Show or change the class list; every label is rewritten with it, all or nothing."""
    from ydc_cli.services.classes import change_classes

    settings = settings_of(ctx)
    renames = _key_values(settings, rename, "--rename", "OLD=NEW")
    order = _comma_list(reorder) if reorder is not None else None

    def confirm_drop(change) -> None:
        output.confirm(settings, f"Removing {', '.join(remove or [])} drops "
                                 f"{output.plural(change.dropped_boxes, 'box')} from "
                                 f"{output.plural(change.dropped_images, 'image')} of {name}. Go ahead?", yes)

    result = run(ctx, lambda stores: change_classes(stores, name, add or [], renames, remove or [], remap_to, order,
                                                    confirm_drop))
    if settings.json:
        output.emit_json({"dataset": name, "classes": result.classes, "remapped_boxes": result.remapped_boxes,
                          "dropped_boxes": result.dropped_boxes, "dropped_images": result.dropped_images,
                          "rewritten_labels": result.rewritten_labels})
        return
    output.table(None, ["id", "class"], list(enumerate(result.classes)))
    if result.rewritten_labels:
        output.status(settings, f"Rewrote {output.plural(result.rewritten_labels, 'label file')}: "
                                f"{output.plural(result.remapped_boxes, 'box')} renumbered, "
                                f"{result.dropped_boxes} dropped")


@app.command("prompts")
def prompts(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Dataset name.")],
    set_: Annotated[list[str] | None, typer.Option("--set", help="CLASS=prompt1,prompt2 (repeatable).")] = None,
    file: Annotated[Path | None, typer.Option("--file", help="A prompts.yaml: {class_id: [prompt, ...]}.")] = None,
) -> None:
    """Show or set the YOLO-World prompts of each class."""
    from ydc_cli.services.classes import change_prompts

    settings = settings_of(ctx)
    pairs = [(key, _comma_list(value)) for key, value in _key_values(settings, set_, "--set",
                                                                        "CLASS=prompt1,prompt2")]
    result, class_names = run(ctx, lambda stores: change_prompts(stores, name, pairs, file))
    if settings.json:
        output.emit_json({"dataset": name, "prompts": result})
    else:
        output.table(None, ["id", "class", "prompts"],
                     [(i, class_names[i] if i < len(class_names) else "?", ", ".join(p)) for i, p in result.items()])


@app.command("split")
def split(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Dataset name.")],
    train: Annotated[float, typer.Option("--train", help="Share of images for train.")] = 0.8,
    val: Annotated[float, typer.Option("--val", help="Share of images for val.")] = 0.2,
    test: Annotated[float, typer.Option("--test", help="Share of images for test.")] = 0.0,
    seed: Annotated[int, typer.Option("--seed", help="Random seed: the same seed gives the same split.")] = 0,
    stratify: Annotated[bool, typer.Option("--stratify", help="Spread each class evenly over the splits.")] = False,
    keep: Annotated[list[str] | None, typer.Option("--keep", help="Leave this split as it is (repeatable).")]
    = None,
    group_by: Annotated[str | None, typer.Option("--group-by", help="Regex on file names; images with the same "
                                                                   "match (or first group) stay together.")] = None,
) -> None:
    """Re-split images by exact shares, seeded; labels move with their images, all or nothing."""
    from ydc_cli.services.splitting import split_dataset

    settings = settings_of(ctx)
    ratios = {"train": train, "val": val, "test": test}
    report = run(ctx, lambda stores: split_dataset(stores, name, ratios, seed, stratify, keep, group_by))
    if settings.json:
        output.emit_json(report)
        return
    output.table(None, ["split", "before", "after"],
                 [(s, report.before[s], report.after[s]) for s in ("train", "val", "test")])
    output.status(settings, f"Moved {output.plural(report.moved, 'image')}"
                            + (f"; kept {', '.join(report.kept)}" if report.kept else ""))


@app.command("validate")
def validate(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Dataset name.")],
    fix: Annotated[bool, typer.Option("--fix", help="Clip boxes, drop zero-area and duplicate rows "
                                                    "(labels only; images are never rewritten).")] = False,
    split: Annotated[str | None, typer.Option("--split", "-s", help="Only this split.")] = None,
) -> None:
    """Check every image and label; exit 1 when errors are found. Read-only unless --fix."""
    from ydc_cli.services.validation import validate_dataset

    settings = settings_of(ctx)

    async def go(stores):
        info = await stores.dataset.get(name)
        total = sum(info.num_images.values()) if info else None
        with output.progress(settings, f"Validating {name}", total) as advance:
            return await validate_dataset(stores, name, split, fix, advance)

    report = run(ctx, go)
    if settings.json:
        output.emit_json(report)
    else:
        if report.findings:
            output.table(None, ["split", "file", "line", "severity", "code", "message"], [
                (f.split, f.file, f.line or "", f.severity, f.code, f.message) for f in report.findings])
        backgrounds = report.backgrounds_missing_label + report.backgrounds_empty_label
        plural = output.plural
        summary = (f"{plural(report.images, 'image')}, {plural(report.labels, 'label file')}: "
                   f"{plural(report.errors, 'error')}, {plural(report.warnings, 'warning')}; "
                   f"{plural(backgrounds, 'background')} ({report.backgrounds_missing_label} without a label file, "
                   f"{report.backgrounds_empty_label} with an empty one)")
        if report.fixed_labels:
            summary += f"; fixed {plural(report.fixed_labels, 'label file')}"
        output.status(settings, summary)
    if report.errors:
        fail(settings, ChecksFailedError())


@app.command("copy")
def copy(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Dataset name.")],
    to_backend: Annotated[str, typer.Option("--to-backend", click_type=click.Choice(registry.names()),
                                            help="Backend to copy into.")],
    to_data_dir: Annotated[str | None, typer.Option("--to-data-dir", help="Data folder (or s3:// URL) to copy "
                                                                         "into (default: the current one).")] = None,
    new_name: Annotated[str | None, typer.Option("--as", help="Name of the copy (default: the same).")] = None,
) -> None:
    """Copy a dataset to another backend: byte-identical images, equal labels, classes and prompts."""
    from ydc_cli.cli.runner import open_stores
    from ydc_cli.services.copying import copy_dataset

    settings = settings_of(ctx)
    target_settings = Settings(backend=to_backend, data_dir=to_data_dir or settings.data_dir)

    async def go(stores):
        target = open_stores(target_settings)
        try:
            info = await stores.dataset.get(name)
            total = sum(info.num_images.values()) if info else None
            with output.progress(settings, f"Copying {name}", total) as advance:
                return await copy_dataset(stores, target, name, new_name, advance)
        finally:
            target.close()

    info = run(ctx, go)
    if settings.json:
        output.emit_json(info)
    else:
        output.status(settings, f"Copied {name} to {info.name} on the {to_backend} backend "
                                f"({output.plural(sum(info.num_images.values()), 'image')})")


@app.command("merge")
def merge(
    ctx: typer.Context,
    sources: Annotated[list[str], typer.Argument(help="Datasets to merge, in order of precedence.")],
    into: Annotated[str, typer.Option("--into", help="Name of the new, merged dataset.")],
) -> None:
    """Merge datasets into a new one: classes matched by name, colliding file names renamed."""
    from ydc_cli.services.merging import merge_datasets

    settings = settings_of(ctx)

    async def go(stores):
        total = 0
        for source in sources:
            info = await stores.dataset.get(source)
            total += sum(info.num_images.values()) if info else 0
        with output.progress(settings, f"Merging into {into}", total) as advance:
            return await merge_datasets(stores, sources, into, advance)

    report = run(ctx, go)
    if settings.json:
        output.emit_json(report)
        return
    output.fields(_info_rows(report.dataset))
    for source, split, old, new in report.renamed:
        output.status(settings, f"renamed {source}/{split}/{old} -> {new}")
    output.status(settings, f"Merged {output.plural(len(sources), 'dataset')} into {into} "
                            f"({len(report.renamed)} renamed)")


@app.command("subset")
def subset(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Dataset to take images from.")],
    into: Annotated[str, typer.Option("--into", help="Name of the new dataset (must not exist).")],
    split: Annotated[str | None, typer.Option("--split", "-s", help="Only images of this split.")] = None,
    class_: Annotated[list[str] | None, typer.Option("--class", "-c", help="Only images holding at least one box "
                                                                           "of this class, a name or an id "
                                                                           "(repeatable: any of them).")] = None,
    sample: Annotated[int | None, typer.Option("--sample", "-n", help="Take N of the selected images, drawn with "
                                                                      "--seed (all of them when fewer are "
                                                                      "selected).")] = None,
    seed: Annotated[int, typer.Option("--seed", help="Random seed for --sample: the same seed takes the same "
                                                     "images.")] = 0,
) -> None:
    """Make a new dataset of some of NAME's images with their labels, classes and prompts, all or nothing.

    Images keep their split, file name and label file (all its boxes).
    """
    from ydc_cli.services.selection import make_subset, plan_subset

    settings = settings_of(ctx)

    async def go(stores):
        plan = await plan_subset(stores, name, into, split=split, classes=class_ or [], sample=sample, seed=seed)
        with output.progress(settings, f"Copying into {into}", len(plan.chosen)) as advance:
            return await make_subset(stores, plan, advance)

    report = run(ctx, go)
    if settings.json:
        output.emit_json(report)
        return
    output.fields(_info_rows(report.dataset))
    if sample is not None and report.selected < sample:
        output.status(settings, f"--sample {sample} is more than the {output.plural(report.selected, 'image')} "
                                f"selected: took all of them")
    counts = report.dataset.num_images
    output.status(settings, f"Made {into} from {name}: {output.plural(report.taken, 'image')} "
                            f"(train {counts['train']}, val {counts['val']}, test {counts['test']})")


@app.command("convert")
def convert(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Dataset to convert.")],
    to_task: Annotated[str, typer.Option("--to-task", "-t", help="detect (any task's boxes), obb (a polygon's "
                                                                 "minimum-area rectangle) or segment (an oriented "
                                                                 "box's corners).")],
    into: Annotated[str, typer.Option("--into", help="Name of the new dataset (must not exist).")],
) -> None:
    """Make a new dataset of another task from NAME: polygons to boxes or rotated rectangles, oriented boxes
    to boxes, pose to boxes; all or nothing."""
    from ydc_cli.services.converting import convert_dataset

    settings = settings_of(ctx)

    async def go(stores):
        info = await stores.dataset.get(name)
        total = sum(info.num_images.values()) if info else None
        with output.progress(settings, f"Converting into {into}", total) as advance:
            return await convert_dataset(stores, name, to_task.lower(), into, advance)

    report = run(ctx, go)
    if settings.json:
        output.emit_json(report)
        return
    parts = [f"Made {into} ({report.to_task}) from {name} ({report.from_task}): "
             f"{output.plural(report.shapes, 'shape')} converted"]
    if report.dropped:
        parts.append(f"{output.plural(report.dropped, 'degenerate shape')} of no area dropped")
    if report.clipped:
        parts.append(f"{output.plural(report.clipped, 'rectangle')} cut at the image's edge")
    output.status(settings, ", ".join(parts))


@app.command("dedupe")
def dedupe(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Dataset name.")],
    near: Annotated[bool, typer.Option("--near", help="Also find near duplicates (perceptual hash).")] = False,
    threshold: Annotated[int, typer.Option("--threshold", help="Near: most differing bits of 64 (0-7).")] = 4,
    remove: Annotated[bool, typer.Option("--remove", help="Remove all but the first of each group.")] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask before removing.")] = False,
) -> None:
    """Report duplicate images (exact, or near with --near); --remove keeps the first of each group."""
    from ydc_cli.services.dedupe import find_duplicates, remove_duplicates

    settings = settings_of(ctx)

    async def scan(stores):
        info = await stores.dataset.get(name)
        total = sum(info.num_images.values()) if info else None
        with output.progress(settings, f"Hashing {name}", total) as advance:
            return await find_duplicates(stores, name, near, threshold, on_image=advance)

    report = run(ctx, scan)
    if not settings.json:  # the groups are shown before anything is asked or removed
        if report.groups:
            output.table(None, ["kind", "keep", "duplicates"], [
                (g.kind, "/".join(g.keep), ", ".join("/".join(d) for d in g.duplicates)) for g in report.groups])
        output.status(settings, f"{output.plural(report.images, 'image')}: "
                                f"{output.plural(report.duplicates, 'duplicate')} in "
                                f"{output.plural(len(report.groups), 'group')}")
    if remove and report.groups:
        output.confirm(settings, f"Remove {output.plural(report.duplicates, 'duplicate image')} from {name}?", yes)
        run(ctx, lambda stores: remove_duplicates(stores, name, report))
        output.status(settings, f"Removed {output.plural(report.removed, 'duplicate image')} from {name}")
    if settings.json:
        output.emit_json({"images": report.images, "duplicates": report.duplicates, "removed": report.removed,
                          "groups": report.groups})


@app.command("stats")
def stats(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Dataset name.")],
    plot: Annotated[Path | None, typer.Option("--plot", help="Also write a PNG of the class histogram, the box "
                                                             "size and aspect distributions and the task's "
                                                             "own figures.")] = None,
) -> None:
    """Images per split, instances and images per class, backgrounds, boxes per image, box sizes, and the
    task's figures: points and area per polygon, oriented box angles and aspects, keypoint visibility."""
    from ydc_cli.services.stats import RAW_FIELDS, dataset_stats, plot_stats

    settings = settings_of(ctx)
    async def go(stores):
        found = await dataset_stats(stores, name)
        if plot is not None:
            plot_stats(found, plot)
        return found

    result = run(ctx, go)
    if settings.json:
        output.emit_json({k: v for k, v in output.to_jsonable(result).items() if k not in RAW_FIELDS})
        return
    images = result.images
    output.fields([
        ("images", f"{sum(images.values())} (train {images['train']}, val {images['val']}, test {images['test']})"),
        ("labeled", result.labeled_images),
        ("backgrounds", f"{result.backgrounds_missing_label + result.backgrounds_empty_label} "
                        f"({result.backgrounds_missing_label} without a label file, "
                        f"{result.backgrounds_empty_label} empty)"),
        ("boxes", f"{result.instances} ({result.boxes_per_image.mean:.2f} per image, "
                  f"max {result.boxes_per_image.max:.0f})"),
    ])
    output.table(None, ["class", "instances", "images"],
                 [(c, result.instances_per_class[c], result.images_per_class[c]) for c in result.instances_per_class])
    output.table(None, ["distribution", "min", "p25", "median", "p75", "max"], [
        (label, *(f"{getattr(d, q):.3f}" for q in ("min", "p25", "median", "p75", "max")))
        for label, d in result.distributions()])
    if result.keypoint_visibility is not None:
        output.table(None, ["keypoint", "visible", "hidden", "not labelled"],
                     [(k.keypoint, k.visible, k.hidden, k.not_labelled) for k in result.keypoint_visibility])
    if plot is not None:
        output.status(settings, f"Wrote {plot}")


@app.command("preview")
def preview(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Dataset name.")],
    output_path: Annotated[Path, typer.Option("--output", "-o", help="PNG file to write (or a folder: "
                                                                     "NAME-preview.png in it).")],
    split: Annotated[str | None, typer.Option("--split", "-s", help="Only images of this split.")] = None,
    class_: Annotated[list[str] | None, typer.Option("--class", "-c", help="Only images holding a box of this "
                                                                           "class, a name or an id (repeatable).")]
    = None,
    count: Annotated[int, typer.Option("--count", "-n", min=1, max=256, help="How many images (tiles).")] = 16,
    seed: Annotated[int, typer.Option("--seed", help="Which images: the same seed draws the same mosaic.")] = 0,
) -> None:
    """Write a PNG mosaic of images with their boxes and class names, picked by a seed."""
    from ydc_cli.services.preview import preview_dataset

    settings = settings_of(ctx)
    result = run(ctx, lambda stores: preview_dataset(stores, name, output_path, split=split, classes=class_ or [],
                                                     count=count, seed=seed))
    if settings.json:
        output.emit_json(result)
        return
    typer.echo(str(result.path))
    output.status(settings, f"Drew {len(result.images)} of {output.plural(result.matched, 'image')} from {name}")
