"""The global options every command receives (the root callback fills them in)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ydc_cli.persistence import registry


@dataclass
class Settings:
    """Where the stores live and how output is shaped.

    ``backend`` is a registry name, or None to let ``data_dir`` decide (a URL's
    scheme names its backend, a folder is the filesystem's); ``data_dir`` stays
    the text given until ``location`` parses it, so ``s3://bucket/prefix`` keeps
    its two slashes.
    """

    backend: str | None = None
    data_dir: str | os.PathLike = "ydc-data"
    json: bool = False
    quiet: bool = False

    @property
    def spec(self) -> registry.BackendSpec:
        return registry.choose(self.backend, self.data_dir)[0]

    @property
    def backend_name(self) -> str:
        return self.spec.name

    @property
    def location(self) -> registry.Location:
        return registry.choose(self.backend, self.data_dir)[1]

    @property
    def work_dir(self) -> Path:
        """The local folder for training runs and materialised datasets (``Location.work_dir``)."""
        return self.location.work_dir()
