"""The contract suite runs every test against every backend, through ``stores`` only."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests import backends
from tests.backends import BACKENDS, make_stores

__all__ = ["BACKENDS", "make_stores"]


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
    await bundle.dataset.list()  # open the store (the database schema) before any snapshot
    yield bundle
    bundle.close()


@pytest.fixture
def snapshot(backend: str, store_root: Path) -> Callable[[], object]:
    """A picture of everything stored: file hashes and the database dump (or the bucket and schema)."""
    def take() -> object:
        return backends.snapshot(backend, store_root)
    return take
