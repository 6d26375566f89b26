"""The global options every command receives (the root callback fills them in)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path


class Backend(StrEnum):
    filesystem = "filesystem"
    sqlite = "sqlite"


@dataclass
class Settings:
    """Where the stores live and how output is shaped."""

    backend: Backend = Backend.filesystem
    data_dir: Path = Path("ydc-data")
    json: bool = False
    quiet: bool = False

    @property
    def datasets_dir(self) -> Path:
        return self.data_dir / "datasets"

    @property
    def models_dir(self) -> Path:
        return self.data_dir / "models"

    @property
    def db_path(self) -> Path:
        return self.data_dir / "ydc.db"
