"""``ydc store``: upkeep of the store itself."""

import re
from typing import Annotated

import typer

from ydc_cli.cli import output
from ydc_cli.cli.runner import fail, run, settings_of
from ydc_cli.domain.errors import UsageError

app = typer.Typer(help="Look after the store itself (object storage: collect unreferenced blobs).",
                  no_args_is_help=True)

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_duration(text: str) -> float:
    """``90s``, ``30m``, ``24h``, ``7d``, ``1w`` or plain seconds, as seconds.

    Raises:
        UsageError: anything else.
    """
    found = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhdw]?)\s*", text.lower())
    if not found:
        raise UsageError(f"--grace must be a duration like 24h, 30m or 7d, got {text!r}")
    return float(found.group(1)) * _UNITS[found.group(2) or "s"]


def _size(count: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if count < 1000 or unit == "GB":
            return f"{count:.0f} {unit}" if unit == "B" else f"{count:.1f} {unit}"
        count /= 1000
    return f"{count} B"


@app.command("gc")
def gc(
    ctx: typer.Context,
    grace: Annotated[str, typer.Option("--grace", help="Keep unreferenced blobs younger than this (24h, 30m, 7d).",
                                       show_default=True)] = "24h",
    dry_run: Annotated[bool, typer.Option("--dry-run", "-n", help="Only say what would be deleted.")] = False,
) -> None:
    """Delete blobs that no image or model references, older than the grace period.

    An import interrupted before its rows committed leaves blobs behind; this
    collects them. Blobs an import in progress is about to reference are never
    taken: it waits for running imports (up to YDC_LOCK_TIMEOUT) and keeps what
    is younger than --grace.
    """
    settings = settings_of(ctx)
    try:
        seconds = parse_duration(grace)
    except UsageError as exc:
        fail(settings, exc)

    async def collect(stores):
        if stores.collect_garbage is None:
            raise UsageError(f"the {settings.backend_name} backend keeps no shared blobs: there is nothing to collect")
        return await stores.collect_garbage(seconds, dry_run=dry_run)

    found = run(ctx, collect)
    if settings.json:
        output.emit_json(found)
        return
    verb = "Would delete" if dry_run else "Deleted"
    kept = f"; kept {found.kept_fresh} younger than {grace}" if found.kept_fresh else ""
    typer.echo(f"{verb} {found.blobs} unreferenced blob{'s' * (found.blobs != 1)} ({_size(found.bytes)}){kept}")
