"""The real servers behind the s3 backend's tests: an S3 API server and a PostgreSQL, on loopback.

Both start on first use and stop when the process exits: moto's S3 server in a
thread on a free port (its objects live in memory), and a throwaway PostgreSQL
15 cluster in a temporary folder (``initdb`` refuses root, so as root it runs
as the ``postgres`` user). Each test's store gets a bucket prefix and a
database schema of its own, named by ``tests.backends.key_of(root)``.

Nothing here skips: a server that cannot start fails the tests that need it,
with what to install. ``python -m tests.servers`` starts both and prints the
environment that points ydc at them (the README's "Team storage" uses it).
"""

from __future__ import annotations

import atexit
import glob
import json
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

BUCKET = "ydc-test"
_lock = threading.Lock()
_started: dict[str, object] = {}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _postgres_bin() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).parent
    raise RuntimeError("PostgreSQL is not installed (no initdb): apt-get install postgresql")


class Postgres:
    """A throwaway cluster: ``url`` reaches it as the superuser, without a password."""

    def __init__(self) -> None:
        bindir = _postgres_bin()
        self.folder = Path(tempfile.mkdtemp(prefix="ydc-pg-"))
        self.port = free_port()
        data = self.folder / "data"
        as_postgres: list[str] = []
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres", "postgres")
            as_postgres = ["runuser", "-u", "postgres", "--"]
        self._ctl = [*as_postgres, str(bindir / "pg_ctl"), "-D", str(data)]
        subprocess.run([*as_postgres, str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres",
                        "-E", "UTF8", "--no-sync"], check=True, capture_output=True)
        options = (f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c max_connections=200"
                   " -c fsync=off -c synchronous_commit=off -c full_page_writes=off")
        subprocess.run([*self._ctl, "-l", str(self.folder / "log"), "-o", options, "-w", "-t", "60", "start"],
                       check=True, capture_output=True)
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def stop(self) -> None:
        subprocess.run([*self._ctl, "-m", "immediate", "stop"], capture_output=True)
        shutil.rmtree(self.folder, ignore_errors=True)


class S3Server:
    """moto's S3 API server in a thread, with the test bucket made."""

    def __init__(self) -> None:
        import logging

        from moto.server import ThreadedMotoServer

        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no line per request on stderr
        self.port = free_port()
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.port, verbose=False)
        self._server.start()
        self.url = f"http://127.0.0.1:{self.port}"
        for _ in range(100):
            try:
                urllib.request.urlopen(urllib.request.Request(f"{self.url}/{BUCKET}", method="PUT"), timeout=5)
                break
            except OSError:
                time.sleep(0.05)
        else:
            raise RuntimeError(f"the S3 API server did not answer on {self.url}")

    def stop(self) -> None:
        self._server.stop()


def _server(kind: str):
    with _lock:
        if kind not in _started:
            server = Postgres() if kind == "postgres" else S3Server()
            atexit.register(server.stop)
            _started[kind] = server
        return _started[kind]


def postgres() -> Postgres:
    return _server("postgres")


def s3() -> S3Server:
    return _server("s3")


def data_url(backend: str, key: str) -> str:
    """``--data-dir`` of the store ``key``: its own prefix in the test bucket."""
    return f"s3://{BUCKET}/{key}"


def database_url(key: str) -> str:
    """The PostgreSQL URL whose first schema is ``key`` (ydc creates it on first use)."""
    return f"{postgres().url}?options=-csearch_path%3D{key}"


def env(backend: str, key: str, root: Path) -> dict[str, str]:
    """The environment a ydc process needs for the store ``key`` (training caches under ``root``)."""
    return {
        "YDC_DATABASE_URL": database_url(key),
        "YDC_S3_ENDPOINT_URL": s3().url,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_REGION": "us-east-1",
        "YDC_WORK_DIR": str(Path(root) / "work"),
    }


def bucket_listing(key: str) -> dict[str, tuple[int, str]]:
    """Every object under the store's prefix: key -> (size, ETag)."""
    import obstore
    from obstore.store import S3Store

    store = S3Store(BUCKET, prefix=key, endpoint=s3().url, region="us-east-1", access_key_id="testing",
                    secret_access_key="testing", client_options={"allow_http": True})
    return {item["path"]: (item["size"], item["e_tag"] or "")
            for batch in obstore.list(store) for item in batch}


def schema_dump(key: str) -> dict[str, list[str]]:
    """Every row of every table in the store's schema, as sorted JSON texts."""
    import psycopg

    with psycopg.connect(postgres().url, autocommit=True) as conn:
        tables = [row[0] for row in conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s ORDER BY 1", (key,))]
        return {table: sorted(row[0] for row in conn.execute(
            f'SELECT row_to_json(t)::text FROM "{key}"."{table}" t')) for table in tables}


def snapshot(backend: str, key: str) -> object:
    """Everything the store ``key`` holds on both servers."""
    return bucket_listing(key), schema_dump(key)


if __name__ == "__main__":
    print(json.dumps({"YDC_DATABASE_URL": postgres().url, "YDC_S3_ENDPOINT_URL": s3().url,
                      "bucket": BUCKET}, indent=2), flush=True)
    print("both servers run until Ctrl-C", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
