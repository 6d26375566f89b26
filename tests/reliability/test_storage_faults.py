"""Storage faults give exit 6 and change nothing, on every backend.

A full disk and a read-only store; for the s3 backend, a full bucket quota and the S3 server
going away mid-import (``tests.servers.FaultyS3``, a real proxy in front of the S3 server), and
a read-only database.
"""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from tests import servers
from tests.backends import BACKENDS, cli_env
from tests.helpers import checkpoint
from ydc_cli.persistence import registry


def _noise_jpeg(seed: int) -> bytes:
    """A 320x240 JPEG of noise: about 200 KB, so one file is past the 64 KB limit below."""
    image = np.random.default_rng(seed).integers(0, 255, (240, 320, 3), dtype=np.uint8)
    ok, data = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 95])
    assert ok
    return data.tobytes()


def _folder(root, count=8):
    (root / "images" / "train").mkdir(parents=True)
    (root / "labels" / "train").mkdir(parents=True)
    for index in range(count):
        (root / "images" / "train" / f"{index}.jpg").write_bytes(_noise_jpeg(index))
        (root / "labels" / "train" / f"{index}.txt").write_text("0 0.5 0.5 0.2 0.2\n")
    (root / "data.yaml").write_text("names: [a]\ntrain: images/train\n")
    return root


def _file_size_limit(limit: int):
    def apply() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG instead of killing
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return apply


@pytest.mark.parametrize("command", ["import", "images add", "export"])
def test_full_disk(store, tmp_path, command):
    """RLIMIT_FSIZE: no file may grow past 64 KB (the seeded store already exists)."""
    folder = _folder(tmp_path / "big")
    args = {"import": ["datasets", "import", folder],
            "images add": ["images", "add", "base", *sorted((folder / "images" / "train").iterdir())],
            "export": ["datasets", "export", "base", "--format", "zip", "--output", tmp_path / "out"]}[command]
    if command == "export":
        big = sorted((folder / "images" / "train").iterdir())
        store.ok("images", "add", "base", *big)  # an export larger than the limit
    before = store.snapshot()
    if registry.get(store.backend).remote and command != "export":  # the bytes go to a bucket: fill its quota
        with servers.FaultyS3(quota_bytes=64 * 1024) as quota:
            done = store.run(*args, env={"YDC_S3_ENDPOINT_URL": quota.url})
        assert "QuotaExceeded" in done.stderr, done.stderr
    else:
        done = store.run(*args, preexec_fn=_file_size_limit(64 * 1024))
    assert done.returncode == 6, done.stderr
    assert len(done.stderr.splitlines()) == 1 and "Traceback" not in done.stderr, done.stderr
    assert store.snapshot() == before
    assert not (tmp_path / "out" / "base.zip").exists()


REMOTE = [name for name in BACKENDS if registry.get(name).remote]


@pytest.mark.parametrize("backend_", REMOTE)
@pytest.mark.parametrize(("command", "after"), [("import", 0), ("import", 4), ("images add", 0), ("images add", 4),
                                               ("models add", 0)])  # a model is one request
def test_the_object_server_going_away(backend_, tmp_path, command, after):
    """The S3 server stops answering at once, or after a few requests of the command: exit 6, nothing visible."""
    from tests.reliability.conftest import Store, seed

    data = tmp_path / "data"
    seed(backend_, data)
    store = Store(backend_, data, {**os.environ, **cli_env(backend_, data), "YDC_LOCK_TIMEOUT": "5"})
    folder = _folder(tmp_path / "big")
    args = {"import": ["datasets", "import", folder],
            "images add": ["images", "add", "base", *sorted((folder / "images" / "train").iterdir())],
            "models add": ["models", "add", "m2", checkpoint(tmp_path / "w.pt")]}[command]
    with servers.FaultyS3(die_after=after) as dying:
        line = store.refuses(*args, code=6, env={"YDC_S3_ENDPOINT_URL": dying.url})
    assert line.startswith(("Error: cannot reach the bucket", "Error: the bucket failed")), line
    store.ok("datasets", "list")  # the store itself is fine once the server is back


def test_sqlite_max_page_count(tmp_path):
    """SQLite's own quota: the database may not grow past its current size plus a few pages."""
    from tests.reliability.conftest import Store, seed

    data = tmp_path / "data"
    seed("sqlite", data)
    env = {**os.environ, "YDC_BACKEND": "sqlite", "YDC_DATA_DIR": str(data)}
    store = Store("sqlite", data, env)
    pages = (data / "ydc.db").stat().st_size // 65536 + 2
    folder = _folder(tmp_path / "big")
    store.refuses("datasets", "import", folder, code=6, says="full", env={"YDC_SQLITE_MAX_PAGES": str(pages)})


def _chattr(path, flag: str) -> bool:
    try:
        return subprocess.run(["chattr", "-R", flag, str(path)], capture_output=True).returncode == 0
    except FileNotFoundError:
        return False


def _writable(folder) -> bool:
    probe = folder / ".probe"
    try:
        probe.write_bytes(b"")
    except OSError:
        return False
    probe.unlink()
    return True


def _as_nobody() -> None:
    os.setgid(65534)
    os.setuid(65534)


@pytest.fixture
def read_only(store):
    """Make the whole store read-only for the ydc under test.

    A store behind a URL gets a read-only database (``default_transaction_read_only``, as a
    replica or a role without write rights would be): every row stays as it is, and no blob is
    uploaded, since a writer registers its blobs in the database first.

    As root, chmod stops nothing: the store is made immutable (chattr +i) where the file
    system allows it, else ydc runs as the unprivileged user ``nobody`` over a store it
    does not own. As any other user, the store is chmod'ed read-only.
    """
    if registry.get(store.backend).remote:
        url = store.env["YDC_DATABASE_URL"]
        store.env = {**store.env, "YDC_DATABASE_URL": f"{url}%20-cdefault_transaction_read_only%3Don"}
        yield store
        return
    if os.geteuid() != 0:
        modes = {p: p.stat().st_mode for p in [store.data, *store.data.rglob("*")]}
        for path in modes:
            path.chmod(modes[path] & 0o555)
        yield store
        for path, mode in modes.items():
            path.chmod(mode)
        return
    if _chattr(store.data, "+i") and not _writable(store.data):
        try:
            yield store
        finally:
            _chattr(store.data, "-i")
        return
    _chattr(store.data, "-i")
    try:
        check = subprocess.run([sys.executable, "-c", "import ydc_cli"], preexec_fn=_as_nobody,
                               capture_output=True, cwd=Path(__file__).resolve().parents[2])
        reason = check.stderr.decode()[-300:] if check.returncode else ""
    except OSError as exc:
        reason = str(exc)
    assert not reason, ("cannot make a read-only store here: chattr +i is not supported and the user nobody "
                        f"cannot run this Python ({reason})")
    original = store.run
    store.run = lambda *args, **kwargs: original(*args, preexec_fn=_as_nobody, **kwargs)
    yield store


@pytest.mark.parametrize("command", ["create", "import", "images add", "labels set", "classes", "models add",
                                     "delete"])
def test_read_only_store(read_only, tmp_path, command):
    store = read_only
    folder = _folder(tmp_path / "src", 2)
    weights = checkpoint(tmp_path / "w.pt")
    args = {
        "create": ["datasets", "create", "new", "--classes", "a"],
        "import": ["datasets", "import", folder],
        "images add": ["images", "add", "base", folder / "images" / "train" / "0.jpg"],
        "labels set": ["labels", "set", "base", "train", "one.jpg", "--box", "1 0.5 0.5 0.1 0.1"],
        "classes": ["datasets", "classes", "base", "--add", "c"],
        "models add": ["models", "add", "m2", weights],
        "delete": ["datasets", "delete", "base", "--yes"],
    }[command]
    store.refuses(*args, code=6)
