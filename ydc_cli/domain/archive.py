"""Checks on zip members, made before a single byte is extracted.

``zipfile.extractall`` silently rewrites hostile names instead of refusing
them; ydc refuses the whole archive instead, naming the first bad member.
"""

from __future__ import annotations

import stat
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from ydc_cli.domain.errors import UnsafeArchiveError
from ydc_cli.domain.names import printable

_ALLOWED_METHODS = {0, 8, 12, 14}  # stored, deflated, bzip2, lzma
_SPECIAL_TYPES = {stat.S_IFLNK: "a link", stat.S_IFCHR: "a device", stat.S_IFBLK: "a device",
                  stat.S_IFIFO: "a pipe", stat.S_IFSOCK: "a socket"}


class MemberInfo(Protocol):
    """The parts of ``zipfile.ZipInfo`` the checks read."""

    filename: str
    file_size: int
    compress_size: int
    external_attr: int
    flag_bits: int
    compress_type: int


@dataclass(frozen=True)
class ArchiveLimits:
    """Bounds that keep an archive from exhausting the disk or memory."""

    max_members: int = 2_000_000
    max_member_bytes: int = 4 << 30
    max_total_bytes: int = 200 << 30
    max_ratio: float = 100.0
    ratio_floor_bytes: int = 1 << 20


def check_member_name(name: str) -> str:
    """Return the member's name when it stays inside the extraction folder.

    Raises:
        UnsafeArchiveError: absolute paths, drive letters, backslashes, ``.`` or
        ``..`` components, empty components and control characters.
    """
    shown = printable(name)
    if not name or name.startswith("/"):
        raise UnsafeArchiveError(f"archive member has an absolute path ({shown})")
    if "\\" in name:
        raise UnsafeArchiveError(f"archive member name contains a backslash ({shown})")
    if len(name) >= 2 and name[1] == ":":
        raise UnsafeArchiveError(f"archive member name has a drive letter ({shown})")
    if any(unicodedata.category(ch)[0] == "C" for ch in name):
        raise UnsafeArchiveError(f"archive member name contains control characters ({shown})")
    parts = name.rstrip("/").split("/")
    if any(part in ("", ".", "..") for part in parts):
        raise UnsafeArchiveError(f"archive member path escapes or is malformed ({shown})")
    return name


def check_members(members: Iterable[MemberInfo], limits: ArchiveLimits = ArchiveLimits()) -> list[MemberInfo]:
    """Check every member of an archive; return the file members (no folders).

    Refuses, naming the member: unsafe names (see ``check_member_name``),
    links, devices, pipes, encrypted members, unknown compression, exact or
    case-folded duplicates, members over the size limit, a total over the
    limit, and members whose compression ratio betrays a zip bomb.
    """
    seen: set[str] = set()
    files: list[MemberInfo] = []
    total = 0
    for count, info in enumerate(members, start=1):
        if count > limits.max_members:
            raise UnsafeArchiveError(f"archive has more than {limits.max_members:,} members")
        name = check_member_name(info.filename)
        shown = printable(name)
        kind = stat.S_IFMT(info.external_attr >> 16)
        if kind in _SPECIAL_TYPES:
            raise UnsafeArchiveError(f"archive member is {_SPECIAL_TYPES[kind]} ({shown})")
        if info.flag_bits & 0x1:
            raise UnsafeArchiveError(f"archive member is encrypted ({shown})")
        if info.compress_type not in _ALLOWED_METHODS:
            raise UnsafeArchiveError(f"archive member uses an unsupported compression method ({shown})")
        key = unicodedata.normalize("NFC", name.rstrip("/")).casefold()
        if key in seen:
            raise UnsafeArchiveError(f"archive member appears twice ({shown})")
        seen.add(key)
        if name.endswith("/"):
            continue
        if info.file_size > limits.max_member_bytes:
            raise UnsafeArchiveError(f"archive member is larger than {limits.max_member_bytes:,} bytes ({shown})")
        if info.file_size > limits.ratio_floor_bytes and info.file_size > limits.max_ratio * max(info.compress_size, 1):
            raise UnsafeArchiveError(
                f"archive member expands {info.file_size / max(info.compress_size, 1):.0f}x, "
                f"over the {limits.max_ratio:.0f}x limit ({shown})"
            )
        total += info.file_size
        if total > limits.max_total_bytes:
            raise UnsafeArchiveError(f"archive expands to more than {limits.max_total_bytes:,} bytes")
        files.append(info)
    return files
