"""The one async seam: open the stores, run one coroutine, map errors to exit codes.

Commands never touch the event loop or a backend: they hand ``run`` a
coroutine function that receives the opened ``Stores``.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
from collections.abc import Awaitable, Callable, Iterator
from typing import TYPE_CHECKING, TypeVar

import typer

from ydc_cli.cli.settings import Backend, Settings
from ydc_cli.domain.errors import YdcError
from ydc_cli.domain.names import printable

if TYPE_CHECKING:
    from ydc_cli.persistence import Stores

T = TypeVar("T")

def open_stores(settings: Settings) -> Stores:
    """The stores of the chosen backend, through the persistence factory."""
    from ydc_cli.persistence import create_sqlite_stores, create_stores

    if settings.backend is Backend.sqlite:
        return create_sqlite_stores(settings.db_path, settings.models_dir)
    return create_stores(settings.datasets_dir, settings.models_dir)


def settings_of(ctx: typer.Context) -> Settings:
    root = ctx.find_root()
    if not isinstance(root.obj, Settings):
        root.obj = Settings()
    return root.obj


class Terminated(BaseException):
    """SIGTERM arrived: unwind like Ctrl-C (transactions roll back, staging is swept)."""


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _terminate(signum: int, frame: object) -> None:
    raise Terminated


@contextlib.contextmanager
def _signals_interrupt() -> Iterator[None]:
    """Make Ctrl-C and SIGTERM interrupt blocking work at once.

    asyncio.run's own SIGINT handler only cancels the task at its next await,
    and ydc's stores (and training) block without awaiting; our handler is not
    the default one, so asyncio leaves it in place.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, _interrupt), signal.signal(signal.SIGTERM, _terminate)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous[0])
        signal.signal(signal.SIGTERM, previous[1])


def run(ctx: typer.Context, operation: Callable[[Stores], Awaitable[T]]) -> T:
    """Run ``operation`` with opened stores inside one ``asyncio.run``.

    Errors become one line on stderr and the exit code of CLI.md; set
    ``YDC_DEBUG=1`` to see the traceback instead. Ctrl-C exits 130 and SIGTERM
    143, after everything half-done was rolled back.
    """
    import asyncio

    settings = settings_of(ctx)

    async def main() -> T:
        stores = open_stores(settings)
        try:
            return await operation(stores)
        finally:
            stores.close()

    try:
        with _signals_interrupt():
            return asyncio.run(main())
    except KeyboardInterrupt:
        fail(settings, 130, "interrupted", "interrupted")
    except Terminated:
        fail(settings, 143, "terminated", "terminated")
    except Exception as exc:
        if os.environ.get("YDC_DEBUG"):
            raise
        if isinstance(exc, YdcError):  # each error class carries its exit code (domain/errors.py)
            fail(settings, exc.exit_code, exc.code, str(exc))
        if isinstance(exc, OSError):
            fail(settings, 6, "storage_unavailable", f"{exc.strerror or exc} ({exc.filename or ''})")
        raise
    raise AssertionError("unreachable")


def fail(settings: Settings, exit_code: int, code: str, message: str) -> None:
    """Print one error line (or a JSON error object) on stderr and exit."""
    message = printable(message)
    if settings.json:
        import json

        sys.stderr.write(json.dumps({"error": {"code": code, "message": message}}) + "\n")
    else:
        sys.stderr.write(f"Error: {message}\n")
    raise typer.Exit(exit_code)
