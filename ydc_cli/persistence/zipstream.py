"""A zip archive written front to back in one pass, for dataset exports.

``zipfile`` spends more Python per member than an export spends copying the
member's bytes: a ``ZipInfo``, an open member writer, a data descriptor (on an
unseekable file) and five or more small writes each. An export always holds
the whole member in memory, so its CRC and sizes are known before its header
is written: one header, the data, and a central directory at the end, the
plain layout every unzip reads. Sizes and offsets past 2 GiB and more than
65,535 members use ZIP64 fields, at the same thresholds as ``zipfile``.
Members carry a fixed date, so two exports of the same data are identical.
"""

from __future__ import annotations

import struct
import zlib
from typing import Protocol

# Past these, ZIP64 fields take over (zipfile's own thresholds: some readers treat sizes as signed).
ZIP64_LIMIT = (1 << 31) - 1
COUNT_LIMIT = 0xFFFF

_LOCAL = struct.Struct("<4s2B4HL2L2H")
_CENTRAL = struct.Struct("<4s4B4HL2L5H2L")
_END = struct.Struct("<4s4H2LH")
_END64 = struct.Struct("<4sQ2H2L4Q")
_LOCATOR = struct.Struct("<4sLQL")
_STORED, _DEFLATED = 0, 8
_VERSION, _VERSION64 = 20, 45
_UNIX = 3
_UTF8 = 0x800
_DOS_TIME, _DOS_DATE = 0, (0 << 9) | (1 << 5) | 1  # 1980-01-01 00:00:00
_ATTRIBUTES = 0o100644 << 16  # a regular file, rw-r--r--
_FULL = 0xFFFFFFFF


class Sink(Protocol):
    def write(self, data: bytes, /) -> int: ...


class ZipStream:
    """Members added one after another; ``finish`` writes the central directory."""

    def __init__(self, sink: Sink) -> None:
        self._sink = sink
        self._position = 0
        self._central: list[bytes] = []

    def add(self, name: str, data: bytes, *, compress: bool = False) -> None:
        """Append the member ``name`` holding ``data`` (deflated with ``compress``)."""
        encoded = name.encode("utf-8")
        flags = 0 if name.isascii() else _UTF8
        crc = zlib.crc32(data)
        if compress:
            deflate = zlib.compressobj(6, zlib.DEFLATED, -15)
            payload = deflate.compress(data) + deflate.flush()
            method = _DEFLATED
        else:
            payload, method = data, _STORED
        size, packed, offset = len(data), len(payload), self._position
        big = size > ZIP64_LIMIT or packed > ZIP64_LIMIT
        # A local header that needs ZIP64 carries both sizes there (APPNOTE 4.5.3).
        local_extra = struct.pack("<2H2Q", 1, 16, size, packed) if big else b""
        version = _VERSION64 if big or offset > ZIP64_LIMIT else _VERSION
        header = _LOCAL.pack(b"PK\x03\x04", version, 0, flags, method, _DOS_TIME, _DOS_DATE, crc,
                             _FULL if big else packed, _FULL if big else size, len(encoded), len(local_extra))
        self._write(header + encoded + local_extra)
        self._write(payload)
        # The central record's ZIP64 field holds only the values that overflowed, in this order.
        wide = [value for value in (size, packed, offset) if value > ZIP64_LIMIT]
        extra = struct.pack(f"<2H{len(wide)}Q", 1, 8 * len(wide), *wide) if wide else b""
        self._central.append(_CENTRAL.pack(
            b"PK\x01\x02", version, _UNIX, version, 0, flags, method, _DOS_TIME, _DOS_DATE, crc,
            _FULL if packed > ZIP64_LIMIT else packed, _FULL if size > ZIP64_LIMIT else size,
            len(encoded), len(extra), 0, 0, 0, _ATTRIBUTES, _FULL if offset > ZIP64_LIMIT else offset,
        ) + encoded + extra)

    def finish(self) -> None:
        """Write the central directory and the end records; the archive is then complete."""
        start = self._position
        for record in self._central:
            self._write(record)
        count, size = len(self._central), self._position - start
        if count >= COUNT_LIMIT or start > ZIP64_LIMIT or size > ZIP64_LIMIT:
            end64 = self._position
            self._write(_END64.pack(b"PK\x06\x06", _END64.size - 12, _VERSION64, _VERSION64,
                                    0, 0, count, count, size, start))
            self._write(_LOCATOR.pack(b"PK\x06\x07", 0, end64, 1))
        # Values that overflowed are left to the ZIP64 record: the classic one says so with all ones.
        entries = 0xFFFF if count >= COUNT_LIMIT else count
        self._write(_END.pack(b"PK\x05\x06", 0, 0, entries, entries, _FULL if size > ZIP64_LIMIT else size,
                              _FULL if start > ZIP64_LIMIT else start, 0))

    def _write(self, data: bytes) -> None:
        self._sink.write(data)
        self._position += len(data)
