"""What only the s3 backend does: shared content-addressed blobs, all-or-nothing imports, store gc.

Against the real servers of ``tests/servers.py``: moto's S3 API and a throwaway PostgreSQL.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests import servers
from tests.backends import cli_env, key_of, make_stores
from tests.helpers import box, jpeg, sample
from ydc_cli.domain.errors import InvalidLabelError, StorageBusyError, UsageError
from ydc_cli.persistence import DatasetChanges


@pytest.fixture
def root(tmp_path):
    return tmp_path / "store"


@pytest.fixture
async def stores(root):
    bundle = make_stores("s3", root)
    yield bundle
    bundle.close()


def blob_keys(root) -> set[str]:
    return {key for key in servers.bucket_listing(key_of(root)) if key.startswith("blobs/sha256/")}


def samples(count, *, seed=0, split="train"):
    return [sample(f"img{i}.jpg", split, seed + i, [box(0)]) for i in range(count)]


async def test_blobs_are_content_addressed_and_shared(stores, root):
    await stores.dataset.create_with_samples("a", ["c"], samples(5))
    assert len(blob_keys(root)) == 5
    assert all(key.split("/")[-2] == key.split("/")[-1][:2] for key in blob_keys(root))
    await stores.dataset.create_with_samples("b", ["c"], samples(5) + samples(1, seed=50, split="val"))
    assert len(blob_keys(root)) == 6  # the same five images are the same five blobs
    before = servers.bucket_listing(key_of(root))
    await stores.dataset.apply_changes("b", DatasetChanges(moves=[("img0.jpg", "train", "test")]))
    await stores.dataset.rename("b", "renamed")
    assert servers.bucket_listing(key_of(root)) == before  # moves and renames touch rows only
    assert await stores.image.load_bytes("renamed", "test", "img0.jpg") == jpeg(seed=0)


async def test_a_refused_import_leaves_only_unreferenced_blobs_which_gc_takes(stores, root):
    batch = samples(80) + [sample("bad.jpg", "train", 99, [box(7)])]  # class 7 of 1: refused at the end
    with pytest.raises(InvalidLabelError):
        await stores.dataset.create_with_samples("d", ["c"], batch)
    assert await stores.dataset.list() == []
    assert servers.schema_dump(key_of(root))["images"] == []
    left = blob_keys(root)
    registered = len(servers.schema_dump(key_of(root))["blobs"])  # registered before uploading
    assert 0 < len(left) <= registered <= 80  # uploaded before the refusal (the rest were cancelled)
    kept = await stores.collect_garbage(3600.0)
    assert (kept.blobs, kept.kept_fresh, kept.deleted) == (0, registered, False)  # inside the grace period
    found = await stores.collect_garbage(0.0, dry_run=True)
    assert (found.blobs, found.deleted) == (registered, False) and blob_keys(root) == left
    found = await stores.collect_garbage(0.0)
    assert found.blobs == registered and found.deleted and blob_keys(root) == set()
    assert servers.schema_dump(key_of(root))["blobs"] == []


async def test_gc_never_takes_a_referenced_blob(stores, root):
    await stores.dataset.create_with_samples("d", ["c"], samples(3))
    await stores.image.delete("d", "train", "img0.jpg")
    found = await stores.collect_garbage(0.0)
    assert found.blobs == 1 and len(blob_keys(root)) == 2
    assert [await stores.image.load_bytes("d", "train", f"img{i}.jpg") for i in (1, 2)] == [jpeg(seed=1), jpeg(seed=2)]


async def test_gc_waits_for_running_imports(stores, root, monkeypatch):
    other = make_stores("s3", root)
    try:
        other.dataset._db.timeout = 0.3  # noqa: SLF001 (the lock timeout of the collecting connection)
        with stores.dataset._db.blob_writer():  # noqa: SLF001 (an import holding fresh blobs)
            with pytest.raises(StorageBusyError):
                await other.collect_garbage(0.0)
    finally:
        other.close()


async def test_two_stores_never_share_a_schema(root, tmp_path, monkeypatch):
    first = make_stores("s3", root)
    await first.dataset.list()
    first.close()
    for name, value in servers.env("s3", key_of(root), root).items():
        monkeypatch.setenv(name, value)
    from ydc_cli.persistence import registry

    elsewhere = registry.open_stores("s3", "s3://ydc-test/another-prefix")
    try:
        with pytest.raises(UsageError, match="holds the store of s3://ydc-test/"):
            await elsewhere.dataset.list()
    finally:
        elsewhere.close()


def _ydc(env, *args):
    return subprocess.run([sys.executable, "-m", "ydc_cli", *args], capture_output=True, text=True, env=env)


def test_configuration_errors_are_one_line(root):
    env = {**os.environ, **cli_env("s3", root)}
    missing = _ydc({k: v for k, v in env.items() if k != "YDC_DATABASE_URL"}, "datasets", "list")
    assert missing.returncode == 2
    assert missing.stderr == ("Error: the s3 backend keeps its rows in PostgreSQL:"
                              " set YDC_DATABASE_URL=postgresql://...\n")
    unreachable = _ydc({**env, "YDC_DATABASE_URL": f"postgresql://postgres@127.0.0.1:{servers.free_port()}/x"},
                       "datasets", "list")
    assert unreachable.returncode == 6 and unreachable.stderr.startswith("Error: cannot reach PostgreSQL")
    assert len(unreachable.stderr.splitlines()) == 1
    no_bucket = _ydc({**env, "YDC_DATA_DIR": "s3://no-such-bucket/p", "YDC_DATABASE_URL": servers.database_url("nb")},
                     "datasets", "create", "d", "--classes", "a")
    assert no_bucket.returncode == 0  # an empty dataset needs no blob
    put = _ydc({**env, "YDC_DATA_DIR": "s3://no-such-bucket/p", "YDC_DATABASE_URL": servers.database_url("nb")},
               "models", "add", "m", str(_weights(root)))
    assert put.returncode == 6 and len(put.stderr.splitlines()) == 1
    assert put.stderr.startswith("Error: the bucket does not exist (s3://no-such-bucket/p at http://127.0.0.1:")
    wrong = _ydc(env, "--backend", "sqlite", "datasets", "list")
    assert wrong.returncode == 2 and "keeps its store in a local folder" in wrong.stderr


def _weights(root):
    from tests.helpers import checkpoint

    root.mkdir(parents=True, exist_ok=True)
    return checkpoint(root / "w.pt")


def test_store_gc_command(root, tmp_path):
    env = {**os.environ, **cli_env("s3", root)}
    source = tmp_path / "src"
    source.mkdir()
    for i in range(3):
        (source / f"x{i}.jpg").write_bytes(jpeg(seed=i))
    assert _ydc(env, "datasets", "create", "d", "--classes", "a").returncode == 0
    assert _ydc(env, "images", "add", "d", str(source)).returncode == 0
    assert _ydc(env, "images", "remove", "d", "train", "x0.jpg", "--yes").returncode == 0
    dry = _ydc(env, "store", "gc", "--grace", "0", "--dry-run")
    assert dry.returncode == 0 and dry.stdout.startswith("Would delete 1 unreferenced blob (")
    done = _ydc(env, "--json", "store", "gc", "--grace", "0")
    assert done.returncode == 0 and '"blobs": 1' in done.stdout and '"deleted": true' in done.stdout
    assert _ydc(env, "store", "gc", "--grace", "0").stdout.startswith("Deleted 0 unreferenced blobs")
    bad = _ydc(env, "store", "gc", "--grace", "soon")
    assert bad.returncode == 2 and bad.stderr.startswith("Error: --grace must be a duration")
    local = _ydc({**os.environ, **cli_env("sqlite", tmp_path / "local")}, "store", "gc")
    assert local.returncode == 2 and "keeps no shared blobs" in local.stderr


def test_copy_into_the_s3_backend_and_back_is_byte_identical(tmp_path):
    """A local dataset copied into s3 and back out to another folder: the same files, byte for byte."""
    from tests.helpers import tree_snapshot

    local = tmp_path / "local"
    remote_root = tmp_path / "remote"
    env = {**os.environ, **cli_env("filesystem", local), **servers.env("s3", key_of(remote_root), remote_root)}
    source = tmp_path / "shapes"
    subprocess.run([sys.executable, "examples/make_shapes.py", source, "--train", "6", "--val", "2", "--size", "64"],
                   check=True, capture_output=True)
    assert _ydc(env, "datasets", "import", str(source)).returncode == 0
    remote = servers.data_url("s3", key_of(remote_root))
    there = _ydc(env, "datasets", "copy", "shapes", "--to-backend", "s3", "--to-data-dir", remote)
    assert there.returncode == 0, there.stderr
    back = _ydc({**env, "YDC_BACKEND": "s3", "YDC_DATA_DIR": remote}, "datasets", "copy", "shapes",
                "--to-backend", "filesystem", "--to-data-dir", str(tmp_path / "back"))
    assert back.returncode == 0, back.stderr
    original = tree_snapshot(local / "datasets" / "shapes")
    returned = tree_snapshot(tmp_path / "back" / "datasets" / "shapes")
    for tree in (original, returned):
        tree.pop(".ydc.json")  # the copy's own creation time
    assert original == returned and any("images/train/" in str(name) for name in original)


async def test_a_large_commit_refreshes_the_planner_statistics(stores, root, monkeypatch):
    """Tables created empty plan a big listing as a nested loop until analyzed: a large commit analyzes them."""
    import psycopg

    from ydc_cli.persistence.s3 import _db

    def analyzed() -> dict[str, float]:
        with psycopg.connect(servers.database_url(key_of(root))) as conn:
            return dict(conn.execute("SELECT relname, reltuples FROM pg_class WHERE relnamespace = %s::regnamespace"
                                     " AND relname IN ('images', 'labels')", (key_of(root),)).fetchall())

    monkeypatch.setattr(_db, "ANALYZE_AFTER", 6)
    await stores.dataset.create_with_samples("small", ["c"], samples(5))  # under the threshold: left as it was
    assert all(tuples <= 0 for tuples in analyzed().values())
    await stores.dataset.add_samples("small", samples(6, seed=10, split="val"))
    assert analyzed() == {"images": 11, "labels": 11}
