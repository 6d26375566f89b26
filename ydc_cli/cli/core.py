"""The click classes under every ydc command: signals, usage lines, global flags after the command.

``YdcGroup`` is the root: it owns Ctrl-C and SIGTERM for the whole command
(parsing, prompts, the store work inside ``runner.run`` and the rendering
after it), so an interrupt before the command's commit point exits 130 / 143
with the store unchanged, and one after it lets the command finish (exit 0):
see ``persistence/commits.py``. ``YdcCommand`` is every leaf command: usage
lines read ``DATASET PATHS...``, and ``--json``/``-j`` and ``--quiet``/``-q``
are accepted after the command too, as ``gh`` does.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from typing import Any

import click
from typer.core import TyperCommand, TyperGroup

# Root flags a script may also put after the command, and the Settings field each sets.
TRAILING_FLAGS = {"--json": "json", "-j": "json", "--quiet": "quiet", "-q": "quiet"}
_EXIT_CODES = {signal.SIGINT: 130, signal.SIGTERM: 143}


class Terminated(BaseException):
    """SIGTERM arrived: unwind like Ctrl-C (transactions roll back, staging is swept)."""


def _on_signal(signum: int, frame: object) -> None:
    from ydc_cli.persistence import commits  # loaded by then: the handler is installed by a running command

    if commits.shielded():
        commits.defer(signum)  # the change is (being) committed: finish the command
        return
    raise KeyboardInterrupt if signum == signal.SIGINT else Terminated


@contextlib.contextmanager
def signals_guarded() -> Iterator[None]:
    """Ctrl-C and SIGTERM interrupt blocking work at once, unless a commit shields it.

    asyncio.run's own SIGINT handler only cancels the task at its next await,
    and ydc's stores (and training) block without awaiting; ours is not the
    default handler, so asyncio leaves it in place.
    """
    from ydc_cli.persistence import commits

    commits.reset()
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {signum: signal.signal(signum, _on_signal) for signum in _EXIT_CODES}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def interrupt_hint(ctx: click.Context, hint: str) -> None:
    """What to tell a user whose command is interrupted before its commit (``train run``: how to resume)."""
    ctx.meta["ydc.interrupt_hint"] = hint


class YdcGroup(TyperGroup):
    """The root group: the whole command runs with signals guarded, interrupts map to one line."""

    def invoke(self, ctx: click.Context) -> Any:
        from ydc_cli.cli.output import status
        from ydc_cli.cli.runner import fail, settings_of
        from ydc_cli.domain.errors import CommandInterruptedError, CommandTerminatedError
        from ydc_cli.persistence import commits

        with signals_guarded():
            try:
                result = super().invoke(ctx)
            except KeyboardInterrupt:
                fail(settings_of(ctx), CommandInterruptedError("interrupted, nothing changed" + _hint(ctx)))
            except Terminated:
                fail(settings_of(ctx), CommandTerminatedError("terminated, nothing changed" + _hint(ctx)))
            finally:
                if commits.deferred() and commits.committed():
                    status(settings_of(ctx), "Interrupted after the change was committed: the command finished")
        return result


SPLITS = ("train", "val", "test")
# (group, parameter) -> what it names; commands whose parameter names something new are left out.
_NAMES = {
    ("*", "dataset"): "dataset",
    ("datasets", "name"): "dataset",
    ("datasets", "old"): "dataset",
    ("datasets", "sources"): "dataset",
    ("models", "name"): "model",
    ("*", "model"): "model",
    ("*", "split"): "split",
    ("*", "from_split"): "split",
    ("*", "to_split"): "split",
}
_NEW_NAMES = {("datasets", "create"), ("datasets", "import"), ("models", "add"), ("models", "import")}


def complete_names(ctx: click.Context, param: click.Parameter, incomplete: str) -> list:
    """Shell completion: dataset and model names from the store that ``--backend``/``--data-dir``
    (or YDC_BACKEND/YDC_DATA_DIR) select, and split names. Never creates a store."""
    from click.shell_completion import CompletionItem

    group = ctx.parent.info_name if ctx.parent is not None else ""
    kind = _NAMES.get((group, param.name)) or _NAMES.get(("*", param.name))
    if kind is None or (group, ctx.info_name) in _NEW_NAMES and param.name == "name":
        return []
    names = list(SPLITS) if kind == "split" else _stored_names(ctx, kind)
    return [CompletionItem(name) for name in names if name.startswith(incomplete)]


def _stored_names(ctx: click.Context, kind: str) -> list[str]:
    import asyncio

    from ydc_cli.cli.runner import open_stores
    from ydc_cli.cli.settings import Settings

    root = ctx.find_root().params
    try:
        settings = Settings(backend=root.get("backend") or None, data_dir=root.get("data_dir") or "ydc-data")
        if not settings.spec.store_exists(settings.location):
            return []
        stores = open_stores(settings)
        try:
            infos = asyncio.run(stores.dataset.list() if kind == "dataset" else stores.model.list())
        finally:
            stores.close()
    except Exception:  # a half-typed command line or an unreadable store: no suggestions, never a traceback
        return []
    return [info.name for info in infos]


def _hint(ctx: click.Context) -> str:
    hint = ctx.meta.get("ydc.interrupt_hint")
    return f"; {hint}" if hint else ""


class YdcCommand(TyperCommand):
    """A leaf command: plain usage pieces, the root's output flags accepted after the command, and
    dataset, model and split names completed by the shell."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for param in self.params:
            if any(param.name == name for _, name in _NAMES) and param._custom_shell_complete is None:
                param._custom_shell_complete = complete_names

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        own = {opt for param in self.params for opt in (*param.opts, *param.secondary_opts)}
        kept: list[str] = []
        for index, arg in enumerate(args):
            if arg == "--":
                kept += args[index:]
                break
            if arg in TRAILING_FLAGS and arg not in own:
                from ydc_cli.cli.runner import settings_of

                setattr(settings_of(ctx), TRAILING_FLAGS[arg], True)
                continue
            kept.append(arg)
        return super().parse_args(ctx, kept)

    def format_help(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        for param in self.params:
            if isinstance(getattr(param, "help", None), str) and "{" in param.help:
                param.help = expand_help(param.help)
        super().format_help(ctx, formatter)

    def collect_usage_pieces(self, ctx: click.Context) -> list[str]:
        pieces = [self.options_metavar] if self.options_metavar else []
        for param in self.get_params(ctx):
            if param.param_type_name != "argument":
                continue
            name = (param.metavar or param.name or "").upper()
            if param.nargs != 1:
                name += "..."
            pieces.append(name if param.required else f"[{name}]")
        return pieces


# Placeholders in option help, filled in when a command's help is shown: the format registry imports
# every format module, 8 ms that every other command (and `ydc --help`) would pay at start-up.
READERS = "{readers}"
WRITERS = "{writers}"


def expand_help(text: str) -> str:
    """Option help with ``READERS`` and ``WRITERS`` replaced by the format names."""
    from ydc_cli import formats

    return (text.replace(READERS, ", ".join(f.name for f in formats.readers()))
                .replace(WRITERS, ", ".join(f.name for f in formats.writers())))


def use_ydc_commands(*groups: Any) -> None:
    """Make every command registered on these Typer apps a ``YdcCommand`` (typer's default class otherwise)."""
    for group in groups:
        for info in group.registered_commands:
            if info.cls in (None, TyperCommand):
                info.cls = YdcCommand
