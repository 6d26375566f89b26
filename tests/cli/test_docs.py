"""Docs that are tested: every command has help text and appears in the README; the quickstart runs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import typer

from tests.backends import BACKENDS, cli_env
from ydc_cli.cli.app import app
from ydc_cli.persistence import registry

ROOT = Path(__file__).resolve().parents[2]


def _commands():
    group = typer.main.get_command(app)
    for group_name, sub in group.commands.items():
        assert hasattr(sub, "commands"), f"{group_name} is not a command group"
        for name, command in sub.commands.items():
            yield f"{group_name} {name}", command


@pytest.mark.parametrize("path, command", list(_commands()))
def test_every_command_has_help_and_is_in_the_readme(path, command):
    assert command.help and command.help.strip(), f"`ydc {path}` has no help text"
    for param in command.params:
        if getattr(param, "param_type_name", "") == "option" and param.name != "help":
            assert param.help, f"`ydc {path}` option {param.opts} has no help text"
    assert f"ydc {path}" in (ROOT / "README.md").read_text(), f"`ydc {path}` is missing from the README"


def test_readme_command_table_names_only_real_commands():
    """Each row of the README's command table starts with a command the app has, and every
    command has a row: the table and the command tree (whose names CLI.md fixes) agree."""
    import re

    real = {path for path, _ in _commands()}
    readme = (ROOT / "README.md").read_text()
    commands = readme.split("\n## Commands\n", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| `ydc ([a-z-]+ [a-z-]+)", commands, flags=re.M)
    assert rows and set(rows) <= real, sorted(set(rows) - real)
    assert real <= set(rows), f"commands without a README row: {sorted(real - set(rows))}"
    assert len(rows) == len(set(rows)), "a command has two rows"


@pytest.mark.parametrize("backend", BACKENDS)
def test_quickstart_runs(backend, tmp_path):
    bin_dir = os.path.dirname(sys.executable)
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "PYTHON": sys.executable,
           "TMPDIR": str(tmp_path)}
    if registry.get(backend).remote:  # the script makes a folder for a local store; a remote one is given
        env.update(cli_env(backend, tmp_path / "data"))
    done = subprocess.run(["bash", str(ROOT / "examples" / "quickstart.sh"), backend],
                          capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert f"quickstart finished on the {backend} backend" in done.stderr
