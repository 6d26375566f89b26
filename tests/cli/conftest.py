"""Run the real Typer app in-process (CliRunner) against a temporary data folder, on every backend."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from tests.backends import BACKENDS, cli_env
from ydc_cli.cli.app import app


@pytest.fixture(params=BACKENDS)
def backend(request) -> str:
    return request.param


@pytest.fixture
def ydc(backend, tmp_path):
    runner = CliRunner()
    env = {**cli_env(backend, tmp_path / "data"), "YDC_DEBUG": ""}

    def invoke(*args: str, input: str | None = None):
        return runner.invoke(app, [str(a) for a in args], env=env, input=input)

    return invoke
