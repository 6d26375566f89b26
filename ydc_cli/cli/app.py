"""The ``ydc`` root: global options, and the command groups."""

from typing import Annotated

import click
import typer

from ydc_cli import __version__
from ydc_cli.cli import datasets, images, labels, models, store, train
from ydc_cli.cli.core import YdcGroup, use_ydc_commands
from ydc_cli.cli.settings import Settings
from ydc_cli.domain.errors import UsageError
from ydc_cli.persistence import registry

app = typer.Typer(
    name="ydc",
    cls=YdcGroup,
    help="ydc: a dataset manager for YOLO datasets (detect, segment, obb, pose), on folders, one SQLite file,"
    " or an S3 bucket with PostgreSQL.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
app.add_typer(datasets.app, name="datasets")
app.add_typer(images.app, name="images")
app.add_typer(labels.app, name="labels")
app.add_typer(models.app, name="models")
app.add_typer(train.app, name="train")
app.add_typer(store.app, name="store")
use_ydc_commands(datasets.app, images.app, labels.app, models.app, train.app, store.app)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"ydc {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    backend: Annotated[str | None, typer.Option(
        "--backend", envvar="YDC_BACKEND", click_type=click.Choice(registry.names()), show_default=False,
        metavar="[" + "|".join(registry.names()) + "]",
        help="Storage backend: " + "; ".join(f"{s.name}: {s.summary}" for s in registry.BACKENDS.values())
        + " (default: the --data-dir URL's, else filesystem).")] = None,
    data_dir: Annotated[str, typer.Option("--data-dir", envvar="YDC_DATA_DIR", metavar="PATH|URL",
                                          help="Root of all storage: a folder, or s3://BUCKET/PREFIX.")] = "ydc-data",
    json: Annotated[bool, typer.Option("--json", "-j", help="One JSON document on stdout (also accepted "
                                                            "after the command).")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars or status lines (also "
                                                              "accepted after the command).")] = False,
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Print the version and exit.")] = False,
) -> None:
    """Global options, given before the command."""
    settings = ctx.obj = Settings(backend=backend or None, data_dir=data_dir, json=json, quiet=quiet)
    try:
        registry.choose(settings.backend, settings.data_dir)
    except UsageError as exc:
        from ydc_cli.cli.runner import fail

        fail(settings, exc)


def main() -> None:
    """The console-script entry point."""
    app()
