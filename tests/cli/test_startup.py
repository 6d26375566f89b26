"""Start-up stays light: heavy modules load only when a command needs them."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.backends import cli_env

# pydantic: typer 0.29 coerces every option through it (+0.2 s a command); pyproject caps typer below.
HEAVY = ["torch", "ultralytics", "cv2", "sqlite_utils", "numpy", "pydantic"]

PROBE = f"""
import json, sys
from ydc_cli.cli.app import app
try:
    app(sys.argv[1:])
except SystemExit as exit:
    code = exit.code
print(json.dumps({{"code": code, "loaded": [m for m in {HEAVY!r} if m in sys.modules]}}), file=sys.stderr)
"""


def _probe(tmp_path, *args, backend="filesystem"):
    env = {**os.environ, **cli_env(backend, tmp_path / "data")}
    done = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True, env=env)
    return json.loads(done.stderr.strip().splitlines()[-1])


def test_help_imports_nothing_heavy(tmp_path):
    result = _probe(tmp_path, "--help")
    assert result == {"code": 0, "loaded": []}


def test_filesystem_commands_import_nothing_heavy(tmp_path):
    assert _probe(tmp_path, "datasets", "create", "d", "--classes", "a")["loaded"] == []
    assert _probe(tmp_path, "datasets", "list")["loaded"] == []
    assert _probe(tmp_path, "images", "list", "d")["loaded"] == []


def test_sqlite_loads_sqlite_utils_only_to_build_the_schema(tmp_path):
    first = _probe(tmp_path, "datasets", "create", "d", "--classes", "a", backend="sqlite")
    assert first["code"] == 0 and "sqlite_utils" in first["loaded"]  # a new database: the schema is built
    later = _probe(tmp_path, "datasets", "list", backend="sqlite")
    assert later == {"code": 0, "loaded": []}  # a current database is used through sqlite3 alone


def test_entry_points(tmp_path):
    env = {**os.environ, "YDC_DATA_DIR": str(tmp_path / "data")}
    module = subprocess.run([sys.executable, "-m", "ydc_cli", "--version"], capture_output=True, text=True, env=env)
    assert module.returncode == 0 and module.stdout.startswith("ydc ")
    script = os.path.join(os.path.dirname(sys.executable), "ydc")
    installed = subprocess.run([script, "datasets", "info", "nope"], capture_output=True, text=True, env=env)
    assert installed.returncode == 3 and installed.stderr == "Error: no such dataset (nope)\n"


def test_command_annotations_are_objects_not_strings():
    """typer evaluates string annotations (``from __future__ import annotations``) at every
    start, for every option of every command: ~750 compile-and-eval calls, 12-18 % of ``--help``."""
    import inspect

    import typer.main

    from ydc_cli.cli.app import app

    group = typer.main.get_command(app)
    callbacks = []
    for sub in group.commands.values():
        callbacks += [cmd.callback for cmd in getattr(sub, "commands", {sub.name: sub}).values()]
    assert len(callbacks) > 20
    for callback in callbacks:
        target = inspect.unwrap(callback)
        for name, annotation in getattr(target, "__annotations__", {}).items():
            assert not isinstance(annotation, str), f"{target.__module__}.{target.__name__}: {name}"


def test_format_help_names_every_format_though_start_up_loads_none():
    """`--format`'s help is filled in from the format registry when shown; `ydc --help` loads no format module."""
    from ydc_cli import formats

    probe = ("import sys; from ydc_cli.cli.app import app\ntry:\n    app(sys.argv[1:])\nexcept SystemExit:\n    pass\n"
             "print(sorted(m for m in sys.modules if m.startswith('ydc_cli.formats.')), file=sys.stderr)")
    env = {**os.environ, "COLUMNS": "400"}
    top = subprocess.run([sys.executable, "-c", probe, "--help"], capture_output=True, text=True, env=env)
    assert top.stderr.strip().splitlines()[-1] == "[]"
    for command, names in (("import", [f.name for f in formats.readers()]),
                           ("export", [f.name for f in formats.writers()])):
        shown = subprocess.run([sys.executable, "-m", "ydc_cli", "datasets", command, "--help"], capture_output=True,
                               text=True, env=env).stdout
        assert ", ".join(names) in shown and "{" not in shown, shown
