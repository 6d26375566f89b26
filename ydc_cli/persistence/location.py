"""Where a store lives: ``--data-dir`` parsed as a URL before any ``Path`` conversion."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

from ydc_cli.domain.errors import UsageError

if TYPE_CHECKING:
    from pathlib import Path


@dataclass(frozen=True)
class Location:
    """Where a store lives: ``--data-dir`` parsed as a URL before any ``Path`` conversion.

    A plain path (or ``file://``) is a local folder; ``s3://bucket/prefix`` keeps its
    scheme, bucket and prefix (``Path("s3://b/p")`` would have made it ``s3:/b/p``).
    """

    text: str
    scheme: str = ""  # "" for a local folder
    netloc: str = ""  # the bucket of s3://
    prefix: str = ""  # the key prefix under the bucket, without slashes at either end

    @classmethod
    def parse(cls, text: str | os.PathLike) -> Location:
        raw = os.fspath(text)
        parts = urlsplit(raw) if "://" in raw else None
        if parts is None or parts.scheme == "file":
            return cls(unquote(parts.path) if parts else raw)
        if not parts.netloc:
            raise UsageError(f"--data-dir {raw!r} names no bucket: use {parts.scheme}://BUCKET/PREFIX")
        return cls(raw, parts.scheme.lower(), parts.netloc, parts.path.strip("/"))

    @property
    def local(self) -> bool:
        return not self.scheme

    @property
    def path(self) -> Path:
        """The local folder.

        Raises:
            UsageError: the location is a URL, not a folder.
        """
        from pathlib import Path

        if not self.local:
            raise UsageError(f"{self.text} is not a local folder")
        return Path(self.text)

    @property
    def url(self) -> str:
        if self.local:
            return self.path.absolute().as_uri()
        return f"{self.scheme}://{self.netloc}/{self.prefix}".rstrip("/")

    def __str__(self) -> str:
        return self.text
