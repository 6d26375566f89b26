"""The contract suite runs every test against every backend, through ``stores`` only."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.helpers import db_snapshot, tree_snapshot
from ydc_cli.persistence import Stores, create_sqlite_stores, create_stores

BACKENDS = ["filesystem", "sqlite"]


def make_stores(backend: str, root: Path) -> Stores:
    if backend == "filesystem":
        return create_stores(root / "datasets", root / "models")
    return create_sqlite_stores(root / "ydc.db", root / "models")


@pytest.fixture(params=BACKENDS)
def backend(request) -> str:
    return request.param


@pytest.fixture
def store_root(tmp_path: Path) -> Path:
    root = tmp_path / "store"
    root.mkdir()
    return root


@pytest.fixture
async def stores(backend: str, store_root: Path):
    bundle = make_stores(backend, store_root)
    await bundle.dataset.list()  # open the store (the SQLite schema) before any snapshot
    yield bundle
    bundle.close()


@pytest.fixture
def snapshot(store_root: Path) -> Callable[[], object]:
    """A picture of everything stored: file hashes and the database dump."""
    def take() -> object:
        return tree_snapshot(store_root), db_snapshot(store_root / "ydc.db")
    return take
