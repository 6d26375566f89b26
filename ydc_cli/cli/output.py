"""Output conventions: data on stdout (Rich tables or one JSON document),
status, progress and prompts on stderr."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from ydc_cli.cli.settings import Settings

_PLAIN = (str, int, float, bool, type(None))
_PLURALS = {"box": "boxes", "class": "classes", "match": "matches", "was": "were", "has": "have", "is": "are"}


def plural(count: int, word: str, many: str | None = None) -> str:
    """``1 image``, ``2 images``, ``0 boxes``: the count with the word in the right number."""
    if count == 1:
        return f"{count} {word}"
    return f"{count} {many or _PLURALS.get(word) or word + 's'}"


def to_jsonable(value: Any) -> Any:
    """Dataclasses as objects with their field names, paths as strings."""
    if isinstance(value, _PLAIN):
        return value
    if isinstance(value, dict):
        return {str(k): v if isinstance(v, _PLAIN) else to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [v if isinstance(v, _PLAIN) else to_jsonable(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)
                if not (f.metadata.get("omit_none") and getattr(value, f.name) is None)}
    return value


def emit_json(value: Any) -> None:
    """Exactly one JSON document on stdout.

    A list of flat records (an image listing can hold 100,000) is written one
    compact record per line by the C encoder; anything else is indented.
    """
    value = to_jsonable(value)
    if isinstance(value, list) and value and all(isinstance(v, dict) and _flat(v) for v in value[:10]):
        encode = json.JSONEncoder(ensure_ascii=False).encode
        sys.stdout.write("[\n" + ",\n".join(["  " + encode(item) for item in value]) + "\n]\n")
        return
    sys.stdout.write(json.dumps(value, indent=2, ensure_ascii=False) + "\n")


def _flat(record: dict) -> bool:
    return not any(isinstance(v, (dict, list)) for v in record.values())


PLAIN_ROWS = 1000
_SEPARATORS = {ord("\t"): None, ord("\n"): None}


def table(title: str | None, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """Rows on stdout: a Rich table for a person at a terminal, else tab-separated lines.

    Tab-separated lines (a header, then one line per row) are what ``grep``,
    ``cut`` and ``wc -l`` want when stdout is a pipe or a file, and what a
    terminal gets past ``PLAIN_ROWS`` rows, where a boxed table helps nobody
    and takes Rich seconds to lay out.
    """
    from ydc_cli.domain.names import printable

    if len(rows) > PLAIN_ROWS or not sys.stdout.isatty():
        try:  # the common case, all cells text with nothing to escape, in one pass of C
            body = "\n".join(map("\t".join, rows))
        except TypeError:
            body = None
        if (body is not None and body.translate(_SEPARATORS).isprintable()
                and body.count("\n") == len(rows) - 1 and body.count("\t") == len(rows) * (len(columns) - 1)):
            sys.stdout.write("\t".join(columns) + "\n" + body + ("\n" if body else ""))
            return

        def line(row: Sequence[Any]) -> str:
            cells = ["" if value is None else str(value) for value in row]
            if "".join(cells).isprintable():
                return "\t".join(cells)
            return "\t".join(map(printable, cells))  # tabs, newlines and escapes come out escaped

        sys.stdout.write("\n".join(["\t".join(columns), *map(line, rows)]) + "\n")
        return
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    grid = Table(title=title, title_justify="left", show_edge=False, header_style="bold")
    for column in columns:
        grid.add_column(column, overflow="fold")
    for row in rows:
        # File and class names come from users: never let them act as Rich markup or terminal codes.
        grid.add_row(*("" if cell is None else escape(printable(str(cell))) for cell in row))
    Console(highlight=False).print(grid)


def fields(pairs: Sequence[tuple[str, Any]]) -> None:
    """A two-column key/value listing on stdout.

    Piped or redirected, the lines are plain (``key  value``, never wrapped,
    no styling), so ``grep``/``cut`` see each value whole.
    """
    from ydc_cli.domain.names import printable

    width = max(len(key) for key, _ in pairs)
    if not sys.stdout.isatty():
        sys.stdout.write("".join(f"{key.ljust(width)}  {printable(str(value))}\n" for key, value in pairs))
        return
    from rich.console import Console
    from rich.markup import escape

    console = Console(highlight=False)
    for key, value in pairs:
        console.print(f"[bold]{key.ljust(width)}[/bold]  {escape(printable(str(value)))}")


def status(settings: Settings, message: str) -> None:
    """A status line on stderr (not with --quiet or --json)."""
    if not (settings.quiet or settings.json):
        sys.stderr.write(message + "\n")


def interactive(settings: Settings) -> bool:
    """True when progress bars may be drawn: a terminal on stderr, and neither --quiet nor --json."""
    return not (settings.quiet or settings.json) and sys.stderr.isatty()


@contextlib.contextmanager
def progress(settings: Settings, description: str, total: int | None | Callable[[], int | None]
             ) -> Iterator[Callable[..., None]]:
    """A Rich progress bar on stderr, only on a terminal; yields ``advance(n=1, description=None)``.

    ``total`` may be a function, called only when a bar is shown (counting can mean a folder walk).
    """
    if not interactive(settings):
        yield lambda n=1, description=None: None
        return
    if callable(total):
        total = total()
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                  console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(description, total=total)

        def advance(n: int = 1, description: str | None = None) -> None:
            if description is not None:
                bar.update(task, description=description)
            bar.advance(task, n)

        yield advance


def confirm(settings: Settings, question: str, yes: bool) -> None:
    """Ask before a destructive change; refuse without a terminal unless ``--yes``.

    Returns only when the change may go ahead; otherwise exits 1 with one line.
    Ctrl-C at the prompt exits 130 (the root group's handler), Ctrl-D or an
    empty answer is a no.
    """
    if yes:
        return
    from ydc_cli.cli.runner import fail
    from ydc_cli.domain.errors import CancelledError, ConfirmationRequiredError

    if not sys.stdin.isatty():
        fail(settings, ConfirmationRequiredError(f"{question} Refusing without a terminal: pass --yes"))
    sys.stderr.write(f"{question} [y/N]: ")
    sys.stderr.flush()
    answer = sys.stdin.readline()
    if not answer:
        sys.stderr.write("\n")
    if answer.strip().lower() not in ("y", "yes"):
        fail(settings, CancelledError("cancelled, nothing changed"))
