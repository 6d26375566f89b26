"""Where a store lives: ``--data-dir`` parsed as a URL before any ``Path`` conversion."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import PosixPath
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

    def work_dir(self) -> Path:
        """The local folder for training runs, materialised datasets and downloaded weights.

        The folder itself for a local store; for a remote one ``YDC_WORK_DIR``, else a
        folder per bucket and prefix under the user's cache (``XDG_CACHE_HOME`` or ~/.cache).
        """
        from pathlib import Path

        if self.local:
            return self.path
        configured = os.environ.get("YDC_WORK_DIR")
        if configured:
            return Path(configured)
        cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
        return cache / "ydc" / self.scheme / self.netloc / (self.prefix or "_")

    def __str__(self) -> str:
        return self.text



class UrlPath(PosixPath):
    """A ``Path`` naming something under a URL, that prints with the scheme's two slashes.

    The contract's ``DatasetInfo.path`` and ``ImageInfo.path`` are paths; for a store
    behind a URL they name where the thing is, ``s3://bucket/prefix/name``, and nothing
    local (``exists()`` is False), instead of ``Path``'s ``s3:/bucket/...``.
    """

    def __str__(self) -> str:
        text = super().__str__()
        scheme, sep, rest = text.partition(":/")
        if sep and scheme.isalnum() and not rest.startswith("/"):
            return f"{scheme}://{rest}"
        return text
