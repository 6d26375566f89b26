"""A seeded store on each backend, the real `ydc` in a subprocess, and snapshots.

Every refused command must exit with the documented code, print exactly one
``Error: ...`` line on stderr (no traceback, no raw escape character), and
leave the store byte-for-byte as it was: every file's sha256, and for SQLite
the database's ``iterdump()``.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests import backends
from tests.backends import BACKENDS
from tests.helpers import box, checkpoint, sample

YDC = [sys.executable, "-m", "ydc_cli"]
ESC = "\x1b"


@dataclass
class Store:
    backend: str
    data: Path
    env: dict[str, str] = field(default_factory=dict)
    tried: list[str] = field(default_factory=list)

    @property
    def db(self) -> Path:
        return self.data / "ydc.db"

    def run(self, *args: object, env: dict[str, str] | None = None, **kwargs) -> subprocess.CompletedProcess:
        return subprocess.run([*YDC, *map(str, args)], env={**self.env, **(env or {})}, capture_output=True,
                              text=True, stdin=subprocess.DEVNULL, timeout=120, **kwargs)

    def snapshot(self) -> object:
        return backends.snapshot(self.backend, self.data)

    def ok(self, *args: object) -> subprocess.CompletedProcess:
        done = self.run(*args)
        assert done.returncode == 0, done.stderr
        return done

    def refuses(self, *args: object, code: int, says: str = "", env: dict[str, str] | None = None) -> str:
        """Run a command that must fail; returns its one error line."""
        before = self.snapshot()
        done = self.run(*args, env=env)
        assert done.returncode == code, (done.returncode, done.stderr)
        lines = done.stderr.splitlines()
        assert len(lines) == 1 and lines[0].startswith("Error: "), done.stderr
        assert "Traceback" not in done.stderr and ESC not in done.stderr and ESC not in done.stdout
        assert says in lines[0], lines[0]
        assert self.snapshot() == before, f"the store changed after a refused command: {args}"
        return lines[0]


def seed(backend: str, data: Path) -> None:
    """Dataset ``base`` (classes a, b; two labelled images and a background) and model ``m``."""
    data.mkdir(parents=True, exist_ok=True)
    stores = backends.make_stores(backend, data)
    weights = checkpoint(data.parent / "seed.pt", b"seed weights, never unpickled")

    async def go() -> None:
        await stores.dataset.create_with_samples("base", ["a", "b"], [
            sample("one.jpg", "train", 1, [box()]),
            sample("two.png", "val", 2, [box(1, 0.4, 0.4, 0.2, 0.2)]),
            sample("empty.jpg", "train", 3, None),
        ])
        await stores.model.save("m", weights, base_model="yolo11n.yaml", dataset_name="base")

    asyncio.run(go())
    stores.close()


@pytest.fixture(params=BACKENDS)
def store(request, tmp_path) -> Store:
    data = tmp_path / "data"
    seed(request.param, data)
    env = {**os.environ, **backends.cli_env(request.param, data), "YDC_LOCK_TIMEOUT": "5"}
    env.pop("YDC_DEBUG", None)
    return Store(request.param, data, env)
