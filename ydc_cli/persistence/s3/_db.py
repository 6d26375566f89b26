"""The PostgreSQL side of the s3 backend: one connection per store bundle, the schema, transactions.

Every row lives here: datasets, classes, prompts, images (each naming its
content-addressed blob), labels (the label file's text with its class ids), the
model registry and the table of known blobs. The tables live in the first schema
of the connection's ``search_path`` (``public`` unless the URL says otherwise,
e.g. ``?options=-csearch_path%3Dteam``), created on first use. The store remembers
the bucket and prefix it serves, so two stores never share one schema by accident.

The connection is psycopg's blocking one, not its asyncio one: a command's
statements run one after another, and in a 2,000-image import they took 0.2 s
of about 7 s (55 statements and 2 COPYs, measured with cProfile against the
test servers; importing psycopg cost as much again), while the uploads, the
real cost, run on worker threads beside them. An asyncio connection could not
shorten that.

Writes run in explicit transactions (``write``); a writer that waits for a row
lock longer than the lock timeout fails with ``StorageBusyError`` (exit 6).
Blob writers hold a shared advisory lock for as long as their fresh blobs are
unreferenced, and ``store gc`` takes it exclusively, so a collection never takes
a blob a running import is about to reference.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING

from ydc_cli.domain.errors import NotFoundError, StorageBusyError, StorageError, UsageError
from ydc_cli.persistence import commits, faults
from ydc_cli.persistence.fileio import DEFAULT_LOCK_TIMEOUT

if TYPE_CHECKING:
    import psycopg

    from ydc_cli.domain.tasks import Task
    from ydc_cli.persistence.location import Location

SCHEMA_VERSION = 1
ANALYZE_AFTER = 1000  # images one transaction adds before its commit refreshes the planner statistics

# Version 1. Each later version appends its statements in MIGRATIONS; never edit one that shipped.
_SCHEMA_V1 = """
CREATE TABLE ydc_meta (key text PRIMARY KEY, value text NOT NULL);
CREATE TABLE blobs (
    sha256 text PRIMARY KEY,
    size_bytes bigint NOT NULL,
    uploaded boolean NOT NULL DEFAULT false,  -- the object is in the bucket
    touched_at double precision NOT NULL      -- last registered by a writer (gc's grace period)
);
CREATE TABLE datasets (
    id bigserial PRIMARY KEY,
    name text NOT NULL UNIQUE,
    task text NOT NULL DEFAULT 'detect' CHECK (task IN ('detect', 'segment', 'obb', 'pose')),
    task_options text,
    created_at double precision NOT NULL,
    modified_at double precision NOT NULL
);
CREATE TABLE classes (
    dataset_id bigint NOT NULL REFERENCES datasets ON DELETE CASCADE,
    class_id integer NOT NULL,
    name text NOT NULL,
    PRIMARY KEY (dataset_id, class_id)
);
CREATE TABLE prompts (
    dataset_id bigint NOT NULL REFERENCES datasets ON DELETE CASCADE,
    class_id integer NOT NULL,
    position integer NOT NULL,
    prompt text NOT NULL,
    PRIMARY KEY (dataset_id, class_id, position)
);
CREATE TABLE images (
    id bigserial PRIMARY KEY,
    dataset_id bigint NOT NULL REFERENCES datasets ON DELETE CASCADE,
    split text NOT NULL CHECK (split IN ('train', 'val', 'test')),
    filename text COLLATE "C" NOT NULL,
    stem text COLLATE "C" NOT NULL,
    format text NOT NULL,
    width integer NOT NULL,
    height integer NOT NULL,
    size_bytes bigint NOT NULL,
    sha256 text NOT NULL REFERENCES blobs,  -- no ON DELETE: a referenced blob cannot be collected
    added_at double precision NOT NULL,
    UNIQUE (dataset_id, split, filename)
);
CREATE INDEX images_stem ON images (dataset_id, split, stem);
CREATE INDEX images_blob ON images (sha256);
CREATE TABLE labels (
    id bigserial PRIMARY KEY,
    dataset_id bigint NOT NULL REFERENCES datasets ON DELETE CASCADE,
    split text NOT NULL CHECK (split IN ('train', 'val', 'test')),
    stem text COLLATE "C" NOT NULL,
    text text NOT NULL,             -- the label file as ydc writes it
    class_ids integer[] NOT NULL,   -- one per line, for the class table
    UNIQUE (dataset_id, split, stem)
);
CREATE TABLE models (
    name text PRIMARY KEY,
    sha256 text NOT NULL REFERENCES blobs,
    base_model text NOT NULL DEFAULT '',
    dataset_name text NOT NULL DEFAULT '',
    created_at double precision NOT NULL,
    epochs_completed integer NOT NULL DEFAULT 0,
    best_map50 double precision,
    is_active boolean NOT NULL DEFAULT false,
    training jsonb
);
CREATE INDEX models_blob ON models (sha256);
"""
MIGRATIONS = [_SCHEMA_V1]
assert len(MIGRATIONS) == SCHEMA_VERSION


def database_url() -> str:
    """``YDC_DATABASE_URL``.

    Raises:
        UsageError: it is not set, or is not a PostgreSQL URL.
    """
    url = os.environ.get("YDC_DATABASE_URL", "").strip()
    if not url:
        raise UsageError("the s3 backend keeps its rows in PostgreSQL: set YDC_DATABASE_URL=postgresql://...")
    if not url.startswith(("postgresql://", "postgres://")):
        raise UsageError(f"YDC_DATABASE_URL must be a postgresql:// URL, got {_redacted(url)}")
    return url


def _redacted(url: str) -> str:
    """The URL without its password, for messages."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    if parts.password:
        return url.replace(f":{parts.password}@", ":***@", 1)
    return url


class PgDatabase:
    """The shared connection of one store bundle, opened (and the schema made) on first use."""

    def __init__(self, url: str, location: Location, timeout: float = DEFAULT_LOCK_TIMEOUT) -> None:
        self.url = url
        self.location = location
        self.timeout = timeout
        self._conn: psycopg.Connection | None = None
        self._depth = 0
        self._blob_holds = 0
        self._grown = 0  # rows the open transaction added, for the ANALYZE after it

    @property
    def where(self) -> str:
        return _redacted(self.url).split("?")[0]

    @property
    def conn(self) -> psycopg.Connection:
        if self._conn is None:
            with self.errors():
                self._conn = self._open()
        return self._conn

    def close(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(Exception):
                self._conn.close()
            self._conn = None

    def _open(self) -> psycopg.Connection:
        import psycopg

        conn = psycopg.connect(self.url, autocommit=True, connect_timeout=10, application_name="ydc")
        try:
            conn.execute(f"SET lock_timeout = {int(self.timeout * 1000)}")
            if self._version(conn) != SCHEMA_VERSION:
                self._migrate(conn)
            self._check_location(conn)
        except BaseException:
            conn.close()
            raise
        return conn

    def _migrate(self, conn: psycopg.Connection) -> None:
        """Make the schema and its tables, one process at a time (the others wait, then find it done)."""
        schema = conn.execute("SELECT current_schema()").fetchone()[0]
        missing = schema is None
        if missing:  # the search_path names a schema that is not there yet
            schema = conn.execute("SHOW search_path").fetchone()[0].split(",")[0].strip().strip('"')
            if not schema or schema.startswith("$"):
                raise StorageError(f"the database's search_path names no schema to keep ydc's tables in"
                                   f" ({self.where})")
        conn.execute("SELECT pg_advisory_lock(hashtext('ydc-schema:' || %s))", (schema,))
        try:
            if missing:  # (asked only then: IF NOT EXISTS still needs the right to create schemas)
                conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
            with conn.transaction():
                version = self._version(conn)
                if version > SCHEMA_VERSION:
                    raise StorageError(f"the database has schema version {version}, newer than this ydc"
                                       f" understands ({SCHEMA_VERSION}): upgrade ydc ({self.where})")
                for statements in MIGRATIONS[version:]:
                    conn.execute(statements)
                if version == 0:
                    conn.execute("INSERT INTO ydc_meta (key, value) VALUES ('location', %s)", (self.location.url,))
                conn.execute("INSERT INTO ydc_meta (key, value) VALUES ('schema_version', %s)"
                             " ON CONFLICT (key) DO UPDATE SET value = excluded.value", (str(SCHEMA_VERSION),))
        finally:
            conn.execute("SELECT pg_advisory_unlock(hashtext('ydc-schema:' || %s))", (schema,))

    @staticmethod
    def _version(conn: psycopg.Connection) -> int:
        if conn.execute("SELECT to_regclass('ydc_meta')").fetchone()[0] is None:
            return 0
        row = conn.execute("SELECT value FROM ydc_meta WHERE key = 'schema_version'").fetchone()
        return int(row[0]) if row else 0

    def _check_location(self, conn: psycopg.Connection) -> None:
        row = conn.execute("SELECT value FROM ydc_meta WHERE key = 'location'").fetchone()
        if row and row[0] != self.location.url:
            raise UsageError(f"the database at {self.where} holds the store of {row[0]}, not {self.location.url}:"
                             " give each store its own database or schema (search_path)")

    @contextlib.contextmanager
    def write(self) -> Iterator[psycopg.Connection]:
        """One transaction; nested calls join the outer one."""
        conn = self.conn
        if self._depth:
            self._depth += 1
            try:
                yield conn
            finally:
                self._depth -= 1
            return
        with self.errors():
            conn.execute("BEGIN")
            self._depth, self._grown = 1, 0
            try:
                yield conn
            except BaseException:
                self._depth = 0
                self._rollback(conn)
                raise
            self._depth = 0
            try:
                faults.point("pg-commit")
                with commits.point():
                    conn.execute("COMMIT")
            except BaseException:
                self._rollback(conn)
                raise
            faults.point("pg-committed")
            if self._grown >= ANALYZE_AFTER:
                self._analyze(conn)

    def grew(self, rows: int) -> None:
        """The open transaction added ``rows`` images: past ``ANALYZE_AFTER``, statistics follow its commit."""
        self._grown += rows

    @staticmethod
    def _analyze(conn: psycopg.Connection) -> None:
        # Tables created empty keep a planner estimate of a row or two until analyzed, and with it a
        # 100,000-image listing becomes a nested loop over both tables (measured: over 10 minutes
        # instead of 0.6 s) until autovacuum gets round to them. The change is committed already:
        # a failure here only leaves that to autovacuum.
        with contextlib.suppress(Exception):
            conn.execute("ANALYZE blobs, images, labels")

    @staticmethod
    def _rollback(conn: psycopg.Connection) -> None:
        with contextlib.suppress(Exception):
            conn.execute("ROLLBACK")

    @contextlib.contextmanager
    def blob_writer(self) -> Iterator[None]:
        """Hold the shared blob lock: ``store gc`` waits until fresh blobs are referenced or given up."""
        if not self._blob_holds:
            with self.errors():
                self.conn.execute("SELECT pg_advisory_lock_shared(hashtext(current_schema() || ':ydc-blobs'))")
        self._blob_holds += 1
        try:
            yield
        finally:
            self._blob_holds -= 1
            if not self._blob_holds and self._conn is not None:
                with contextlib.suppress(Exception):
                    self._conn.execute(
                        "SELECT pg_advisory_unlock_shared(hashtext(current_schema() || ':ydc-blobs'))")

    @contextlib.contextmanager
    def blob_collector(self) -> Iterator[None]:
        """Hold the blob lock alone (``store gc``), waiting at most the lock timeout for writers to finish.

        Raises:
            StorageBusyError: writers held it longer than the lock timeout.
        """
        with self.errors():
            self.conn.execute("SELECT pg_advisory_lock(hashtext(current_schema() || ':ydc-blobs'))")
        try:
            yield
        finally:
            if self._conn is not None:
                with contextlib.suppress(Exception):
                    self._conn.execute("SELECT pg_advisory_unlock(hashtext(current_schema() || ':ydc-blobs'))")

    @contextlib.contextmanager
    def errors(self) -> Iterator[None]:
        """Turn PostgreSQL's lock, connection and storage errors into StorageBusyError and StorageError."""
        import psycopg

        try:
            yield
        except psycopg.errors.LockNotAvailable as exc:
            raise StorageBusyError(f"the store is busy: another ydc process held a lock too long ({self.where})"
                                   ) from exc
        except psycopg.errors.QueryCanceled as exc:
            raise StorageBusyError(f"the store is busy: a query waited too long ({self.where})") from exc
        except psycopg.errors.ReadOnlySqlTransaction as exc:
            raise StorageError(f"the store is read-only: the database refuses writes ({self.where})") from exc
        except psycopg.errors.DiskFull as exc:
            raise StorageError(f"the database is out of space ({self.where})") from exc
        except psycopg.OperationalError as exc:
            self.close()
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise StorageError(f"cannot reach PostgreSQL: {first} ({self.where})") from exc
        except psycopg.errors.InsufficientPrivilege as exc:
            raise StorageError(f"PostgreSQL refused: {str(exc).strip().splitlines()[0]} ({self.where})") from exc
        except psycopg.DatabaseError as exc:
            if isinstance(exc, (psycopg.errors.UniqueViolation, psycopg.errors.ForeignKeyViolation)):
                raise
            raise StorageError(f"PostgreSQL failed: {str(exc).strip().splitlines()[0]} ({self.where})") from exc

    # -- lookups shared by the stores -------------------------------------------

    def dataset_id(self, name: str) -> int:
        """The id of an existing dataset.

        Raises:
            NotFoundError: no such dataset.
        """
        found = self.find_dataset_id(name)
        if found is None:
            raise NotFoundError(f"no such dataset ({name})")
        return found

    def find_dataset_id(self, name: str) -> int | None:
        row = self.conn.execute("SELECT id FROM datasets WHERE name = %s", (name,)).fetchone()
        return None if row is None else row[0]

    def dataset_task(self, dataset_id: int) -> Task:
        from ydc_cli.persistence.rows import task_from_row

        row = self.conn.execute("SELECT name, task, task_options FROM datasets WHERE id = %s",
                                (dataset_id,)).fetchone()
        return task_from_row(*row)

    def classes(self, dataset_id: int) -> list[str]:
        return [row[0] for row in self.conn.execute(
            "SELECT name FROM classes WHERE dataset_id = %s ORDER BY class_id", (dataset_id,))]

    def touch(self, dataset_id: int) -> None:
        """Record that a dataset changed (inside the caller's transaction)."""
        self.conn.execute("UPDATE datasets SET modified_at = %s WHERE id = %s", (time.time(), dataset_id))
