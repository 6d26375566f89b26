"""The ``ydc`` root: global options, and the command groups."""

from pathlib import Path
from typing import Annotated

import typer

from ydc_cli import __version__
from ydc_cli.cli import datasets, images, labels, models, train
from ydc_cli.cli.core import YdcGroup, use_ydc_commands
from ydc_cli.cli.settings import Backend, Settings

app = typer.Typer(
    name="ydc",
    cls=YdcGroup,
    help="ydc: a dataset manager for YOLO object detection, on folders or one SQLite file.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
app.add_typer(datasets.app, name="datasets")
app.add_typer(images.app, name="images")
app.add_typer(labels.app, name="labels")
app.add_typer(models.app, name="models")
app.add_typer(train.app, name="train")
use_ydc_commands(datasets.app, images.app, labels.app, models.app, train.app)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"ydc {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    backend: Annotated[Backend, typer.Option("--backend", envvar="YDC_BACKEND", help="Storage backend.")]
    = Backend.filesystem,
    data_dir: Annotated[Path, typer.Option("--data-dir", envvar="YDC_DATA_DIR",
                                           help="Root of all storage.")] = Path("ydc-data"),
    json: Annotated[bool, typer.Option("--json", "-j", help="One JSON document on stdout (also accepted "
                                                            "after the command).")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars or status lines (also "
                                                              "accepted after the command).")] = False,
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Print the version and exit.")] = False,
) -> None:
    """Global options, given before the command."""
    ctx.obj = Settings(backend=backend, data_dir=data_dir, json=json, quiet=quiet)


def main() -> None:
    """The console-script entry point."""
    app()
