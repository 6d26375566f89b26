"""The one async seam: open the stores, run one coroutine, map errors to exit codes.

Commands never touch the event loop or a backend: they hand ``run`` a
coroutine function that receives the opened ``Stores``.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, NoReturn, TypeVar

import typer

from ydc_cli.cli.settings import Settings
from ydc_cli.domain.errors import StorageError, YdcError
from ydc_cli.domain.names import printable

if TYPE_CHECKING:
    from ydc_cli.persistence import Stores

T = TypeVar("T")


def open_stores(settings: Settings) -> Stores:
    """The stores of the chosen backend, through the persistence factory (``persistence/registry.py``)."""
    from ydc_cli.persistence import registry

    return registry.open_stores(settings.backend, settings.data_dir)


def settings_of(ctx: typer.Context) -> Settings:
    root = ctx.find_root()
    if not isinstance(root.obj, Settings):
        root.obj = Settings()
    return root.obj


def run(ctx: typer.Context, operation: Callable[[Stores], Awaitable[T]]) -> T:
    """Run ``operation`` with opened stores inside one ``asyncio.run``.

    Errors become one line on stderr and the exit code of CLI.md; set
    ``YDC_DEBUG=1`` to see the traceback instead. Ctrl-C and SIGTERM unwind
    through here (everything half-done rolls back) to the root group, which
    exits 130 / 143 (``cli/core.py``).
    """
    import asyncio

    settings = settings_of(ctx)

    from ydc_cli.persistence import faults

    async def main() -> T:
        stores = open_stores(settings)
        try:
            return await operation(stores)
        finally:
            faults.point("closing")
            stores.close()

    try:
        return asyncio.run(main())
    except Exception as exc:
        if os.environ.get("YDC_DEBUG"):
            raise
        if isinstance(exc, YdcError):  # each error class carries its exit code (domain/errors.py)
            fail(settings, exc)
        if isinstance(exc, OSError):
            fail(settings, StorageError(f"{exc.strerror or exc} ({exc.filename or ''})"))
        raise
    raise AssertionError("unreachable")


def fail(settings: Settings, error: YdcError) -> NoReturn:
    """Print ``error`` as one line (or a JSON error object) on stderr and exit with its class's code.

    An error without a message (``ChecksFailedError()``, whose findings are printed) prints nothing.
    """
    message = printable(str(error))
    if not message:
        raise typer.Exit(error.exit_code)
    if settings.json:
        import json

        sys.stderr.write(json.dumps({"error": {"code": error.code, "message": message}}) + "\n")
    else:
        sys.stderr.write(f"Error: {message}\n")
    raise typer.Exit(error.exit_code)
