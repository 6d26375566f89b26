"""The backends every parametrized test runs on: the registry's, each reached through a harness.

A test that runs on every backend takes ``BACKENDS`` and, for a store rooted at a
test's temporary folder, ``make_stores``, ``cli_env`` and ``snapshot``. A local
backend needs nothing more; a remote one (a URL scheme in the registry) gets
its servers from ``tests/servers.py`` and a bucket prefix and database schema of
its own per root, so tests never see each other's data.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from tests.helpers import db_snapshot, tree_snapshot
from ydc_cli.persistence import Stores, registry

BACKENDS = registry.names()
LOCAL_BACKENDS = [name for name in BACKENDS if not registry.get(name).remote]


def key_of(root: Path) -> str:
    """A short name for a test's root folder: its bucket prefix and schema on a remote backend."""
    return "t" + hashlib.sha256(str(Path(root).absolute()).encode()).hexdigest()[:16]


def data_dir(backend: str, root: Path) -> str:
    """What ``--data-dir`` names for the store at ``root``."""
    spec = registry.get(backend)
    if not spec.remote:
        return str(root)
    from tests import servers

    return servers.data_url(spec.name, key_of(root))


def work_dir(backend: str, root: Path) -> Path:
    """Where a command on the store at ``root`` keeps training runs and caches (``YDC_WORK_DIR`` when remote)."""
    return Path(root) if not registry.get(backend).remote else Path(root) / "work"


def cli_env(backend: str, root: Path) -> dict[str, str]:
    """The environment a ``ydc`` process needs to use the store at ``root``."""
    env = {"YDC_BACKEND": backend, "YDC_DATA_DIR": data_dir(backend, root)}
    if registry.get(backend).remote:
        from tests import servers

        env.update(servers.env(backend, key_of(root), root))
    return env


def make_stores(backend: str, root: Path) -> Stores:
    """The stores of ``backend`` for the store at ``root``, opened as a command opens them."""
    import os

    spec = registry.get(backend)
    if not spec.remote:
        return registry.open_stores(backend, root)
    from tests import servers

    saved = {k: os.environ.get(k) for k in servers.env(backend, key_of(root), root)}
    os.environ.update(servers.env(backend, key_of(root), root))
    try:
        return registry.open_stores(backend, data_dir(backend, root))
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def snapshot(backend: str, root: Path) -> object:
    """Everything stored at ``root``: file hashes and database dumps, or the bucket and schema."""
    if not registry.get(backend).remote:
        return tree_snapshot(root), db_snapshot(Path(root) / "ydc.db")
    from tests import servers

    return tree_snapshot(root), servers.snapshot(backend, key_of(root))
