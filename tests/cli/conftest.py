"""Run the real Typer app in-process (CliRunner) against a temporary data folder, on every backend."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from ydc_cli.cli.app import app


@pytest.fixture(params=["filesystem", "sqlite"])
def backend(request) -> str:
    return request.param


@pytest.fixture
def ydc(backend, tmp_path):
    runner = CliRunner()
    env = {"YDC_BACKEND": backend, "YDC_DATA_DIR": str(tmp_path / "data"), "YDC_DEBUG": ""}

    def invoke(*args: str, input: str | None = None):
        return runner.invoke(app, [str(a) for a in args], env=env, input=input)

    return invoke
