"""The backend registry: a backend's name (and URL scheme) -> the factory that opens its stores.

Each backend is a package under ``ydc_cli/persistence/`` whose ``open_stores(location)``
returns a ``Stores`` bundle and whose ``store_exists(location)`` says, creating
nothing, whether a store is there. The registry names it by a dotted path and imports it
on first use, so ``ydc --help`` loads no backend, choosing the filesystem never
loads SQLite code, and a backend whose optional libraries are missing fails with
the ``pip install`` line that brings them (fsspec's ``registry.py`` is the model).
``--backend``'s choices and help, and every parametrized test, read ``BACKENDS``::

    ydc --backend sqlite --data-dir ./store ...
    ydc --data-dir s3://bucket/prefix ...        # the scheme picks the backend

Adding a backend is its folder plus one line in ``BACKENDS``.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ydc_cli.domain.errors import UsageError
from ydc_cli.persistence.location import Location

if TYPE_CHECKING:
    from ydc_cli.persistence.stores import Stores


@dataclass(frozen=True)
class BackendSpec:
    """What the registry knows of a backend without importing it."""

    name: str
    summary: str  # one line for --help
    target: str  # "package.module:function" returning Stores for a Location
    schemes: tuple[str, ...] = ()  # URL schemes of --data-dir that name this backend
    extra: str | None = None  # the pip extra that brings its libraries
    requires: tuple[str, ...] = ()  # modules the extra installs, named in the hint when missing
    # Where YDC_KILL_AT / YDC_PAUSE_AT can stop this backend's writes (persistence/faults.py), by
    # moment: "new-dataset" (complete, not yet visible), "before-commit", "after-commit", "applying"
    # (a committed change half-applied), "registry" (a model about to be registered). The
    # reliability suite kills and interrupts every backend at these.
    fault_points: Mapping[str, str] = field(default_factory=dict)

    @property
    def remote(self) -> bool:
        """Stores live behind a URL (objects and a database), not in a local folder."""
        return bool(self.schemes)

    def store_exists(self, location: Location) -> bool:
        """Whether a store is at ``location``, asked without creating one (shell completion)."""
        return self._module().store_exists(location)

    def load(self):
        """The backend's ``open_stores`` function, imported now.

        Raises:
            UsageError: a library of the backend's extra is not installed (with the install line).
        """
        return getattr(self._module(), self.target.partition(":")[2])

    def _module(self):
        try:
            return importlib.import_module(self.target.partition(":")[0])
        except ModuleNotFoundError as exc:
            missing = (exc.name or "").split(".")[0]
            if self.extra and missing in self.requires:
                raise UsageError(
                    f"the {self.name} backend needs {missing}, which is not installed:"
                    f" pip install 'ydc[{self.extra}]'") from None
            raise


BACKENDS: dict[str, BackendSpec] = {spec.name: spec for spec in (
    BackendSpec("filesystem", "YOLO folders that `yolo train data=...` reads (the default)",
                "ydc_cli.persistence.filesystem:open_stores",
                fault_points={"new-dataset": "dataset-staged", "before-commit": "journal-staged",
                              "after-commit": "journal-committed", "applying": "journal-applying",
                              "registry": "replace"}),
    BackendSpec("sqlite", "one SQLite database file", "ydc_cli.persistence.sqlite:open_stores",
                fault_points={"new-dataset": "sqlite-commit", "before-commit": "sqlite-commit",
                              "after-commit": "sqlite-committed", "applying": "sqlite-committed",
                              "registry": "sqlite-commit"}),
    BackendSpec("s3", "images and weights in an S3 bucket, every row in PostgreSQL (YDC_DATABASE_URL)",
                "ydc_cli.persistence.s3:open_stores", schemes=("s3",), extra="s3", requires=("obstore", "psycopg"),
                fault_points={"new-dataset": "pg-commit", "before-commit": "pg-commit",
                              "after-commit": "pg-committed", "applying": "pg-committed", "registry": "pg-commit"}),
)}
DEFAULT = "filesystem"


def names() -> list[str]:
    return list(BACKENDS)


def get(name: str) -> BackendSpec:
    """The backend called ``name``.

    Raises:
        UsageError: no backend has that name.
    """
    try:
        return BACKENDS[name]
    except KeyError:
        raise UsageError(f"unknown backend {name!r}: use {', '.join(BACKENDS)}") from None


def for_scheme(scheme: str) -> BackendSpec | None:
    for spec in BACKENDS.values():
        if scheme in spec.schemes:
            return spec
    return None


def choose(backend: str | None, data_dir: str | os.PathLike) -> tuple[BackendSpec, Location]:
    """The backend and location of ``--backend`` and ``--data-dir``.

    A URL's scheme picks its backend when ``--backend`` is not given, and must be
    that backend's when it is; a local folder cannot serve a remote backend.

    Raises:
        UsageError: an unknown backend or scheme, or a backend and location that do not fit.
    """
    location = Location.parse(data_dir)
    if location.local:
        spec = get(backend or DEFAULT)
        if spec.remote:
            raise UsageError(f"the {spec.name} backend needs --data-dir {spec.schemes[0]}://BUCKET/PREFIX,"
                             f" got {location.text!r}")
        return spec, location
    by_scheme = for_scheme(location.scheme)
    if by_scheme is None:
        raise UsageError(f"no backend serves {location.scheme}:// URLs ({location.text})")
    if backend and backend != by_scheme.name:
        raise UsageError(f"the {backend} backend keeps its store in a local folder, got {location.text}:"
                         f" use --backend {by_scheme.name}")
    return by_scheme, location


def open_stores(backend: str | None, data_dir: str | os.PathLike) -> Stores:
    """Open the stores of ``backend`` at ``data_dir`` (the persistence factory behind every command)."""
    spec, location = choose(backend, data_dir)
    return spec.load()(location)
