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


class FaultyS3:
    """A real HTTP proxy in front of the S3 server that turns into a storage fault part-way.

    ``quota_bytes``: object bodies beyond this many bytes in total are refused the way a full
    bucket quota refuses them (HTTP 403 ``QuotaExceeded``, as Ceph RGW and MinIO answer).
    ``die_after``: after this many requests the server goes away: the connection is cut
    and every later one refused. ``url`` is what ``YDC_S3_ENDPOINT_URL`` names.
    """

    def __init__(self, *, quota_bytes: int | None = None, die_after: int | None = None) -> None:
        import http.client
        import http.server

        upstream = s3()
        faulty = self
        self.stored = 0
        self.requests = 0
        self.quota_bytes, self.die_after = quota_bytes, die_after

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:  # quiet
                pass

            def _forward(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                with _lock:
                    faulty.requests += 1
                    dying = faulty.die_after is not None and faulty.requests > faulty.die_after
                    over = (self.command == "PUT" and faulty.quota_bytes is not None
                            and faulty.stored + len(body) > faulty.quota_bytes)
                    if self.command == "PUT" and not over:
                        faulty.stored += len(body)
                if dying:
                    faulty.server.shutdown_request(self.request)
                    self.close_connection = True
                    threading.Thread(target=faulty.close, daemon=True).start()
                    return
                if over:
                    error = (b'<?xml version="1.0" encoding="UTF-8"?><Error><Code>QuotaExceeded</Code>'
                             b"<Message>The bucket quota is exceeded</Message></Error>")
                    self.send_response(403)
                    self.send_header("Content-Type", "application/xml")
                    self.send_header("Content-Length", str(len(error)))
                    self.end_headers()
                    self.wfile.write(error)
                    return
                connection = http.client.HTTPConnection("127.0.0.1", upstream.port, timeout=30)
                connection.request(self.command, self.path, body=body, headers=dict(self.headers.items()))
                answer = connection.getresponse()
                data = answer.read()
                self.send_response(answer.status)
                for name, value in answer.getheaders():
                    if name.lower() not in ("content-length", "transfer-encoding", "connection"):
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                connection.close()

            do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _forward

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def __enter__(self) -> FaultyS3:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        """Stop serving and close the port: later connections are refused."""
        if getattr(self, "_closed", False):
            return
        self._closed = True
        self.server.shutdown()
        self.server.server_close()


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
        "YDC_WORK_DIR": str(Path(root) / "work"),  # tests.backends.work_dir
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
    """What the store ``key`` holds on both servers: every row, and every blob a row references.

    Blobs no image or model references (and their ``blobs`` rows) are left out: an
    interrupted or refused write may leave them, by design, for ``ydc store gc``;
    nothing reads them. A referenced blob's row is compared without its ``touched_at``
    (a later import that shares the blob touches it).
    """
    rows = schema_dump(key)
    referenced = {json.loads(row)["sha256"] for table in ("images", "models") for row in rows.get(table, [])}
    blobs = []
    for row in rows.pop("blobs", []):
        blob = json.loads(row)
        if blob["sha256"] in referenced:
            blob.pop("touched_at")
            blobs.append(json.dumps(blob, sort_keys=True))
    rows["blobs"] = sorted(blobs)
    listing = {path: meta for path, meta in bucket_listing(key).items()
               if not path.startswith("blobs/") or path.rsplit("/", 1)[-1] in referenced}
    return listing, rows


if __name__ == "__main__":
    import sys

    if sys.argv[1:] == ["--check"]:  # .ci/run: both servers must start, or CI fails before the tests
        started = time.time()
        print(f"PostgreSQL {postgres().url}, S3 API {s3().url}: up in {time.time() - started:.1f} s", flush=True)
        sys.exit(0)
    print(json.dumps({"YDC_DATABASE_URL": postgres().url, "YDC_S3_ENDPOINT_URL": s3().url,
                      "bucket": BUCKET}, indent=2), flush=True)
    print("both servers run until Ctrl-C", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
