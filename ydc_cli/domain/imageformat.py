"""Image headers read without decoding pixels.

ydc stores the original encoded bytes of every image. Before storing them it
reads the format and size from the header: this refuses non-images, formats
that do not match the file extension, truncated files and decompression bombs
(a tiny file that declares a huge pixel count) without ever running a decoder.
"""

from __future__ import annotations

import struct
from typing import NamedTuple

from ydc_cli.domain.errors import InvalidImageError

# Pillow refuses images over twice its 89,478,485-pixel warning limit; so do we.
MAX_PIXELS = 178_956_970

EXTENSIONS_BY_FORMAT = {
    "jpeg": {"jpg", "jpeg", "jpe", "mpo"},
    "png": {"png"},
    "bmp": {"bmp"},
    "webp": {"webp"},
    "tiff": {"tif", "tiff", "dng"},
    "pfm": {"pfm"},
}

_JPEG_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}


class ImageHeader(NamedTuple):
    """What an image's header declares."""

    format: str
    width: int
    height: int


def sniff_format(data: bytes) -> str | None:
    """The image format named by the leading magic bytes, or None."""
    if data[:3] == b"\xff\xd8\xff":
        return "jpeg"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "png"
    if data[:2] == b"BM" and len(data) >= 26:
        return "bmp"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    if data[:4] in (b"II*\x00", b"MM\x00*"):
        return "tiff"
    if data[:3] in (b"PF\n", b"Pf\n"):
        return "pfm"
    return None


def read_header(data: bytes, filename: str = "") -> ImageHeader:
    """Read and check an encoded image's header.

    Checks: a known format, an extension that matches it (when ``filename``
    is given), positive dimensions, at most MAX_PIXELS pixels, and no sign of
    truncation (JPEG end-of-image marker after the scan, PNG IEND chunk,
    BMP/WEBP declared sizes).

    Raises:
        InvalidImageError: naming ``filename`` and what is wrong.
    """
    where = f" ({filename})" if filename else ""
    if not data:
        raise InvalidImageError(f"image file is empty{where}")
    fmt = sniff_format(data)
    if fmt is None:
        raise InvalidImageError(f"not a supported image (JPEG, PNG, BMP, WEBP, TIFF){where}")
    if filename:
        ext = filename.rpartition(".")[2].lower()
        if ext not in EXTENSIONS_BY_FORMAT[fmt]:
            raise InvalidImageError(f"file holds a {fmt.upper()} image but is named .{ext}{where}")
    try:
        width, height = _READERS[fmt](data)
    except Truncated as exc:
        raise InvalidImageError(f"truncated {fmt.upper()} file: {exc}{where}") from None
    except (struct.error, IndexError, ValueError) as exc:
        raise InvalidImageError(f"corrupt {fmt.upper()} header{where}") from exc
    if width <= 0 or height <= 0:
        raise InvalidImageError(f"image has no pixels ({width}x{height}){where}")
    if width * height > MAX_PIXELS:
        raise InvalidImageError(
            f"image declares {width}x{height} pixels, over the {MAX_PIXELS:,} limit{where}"
        )
    return ImageHeader(fmt, width, height)


class Truncated(ValueError):
    """The file ends before its format says it does (a cut-off download or copy)."""


def _jpeg_size(data: bytes) -> tuple[int, int]:
    pos, size, end = 2, None, len(data)
    while pos < end:
        if pos + 4 > end:
            raise Truncated("it ends inside a header segment")
        if data[pos] != 0xFF:
            raise ValueError("marker expected")
        marker = data[pos + 1]
        if marker == 0xFF:
            pos += 1
            continue
        if marker in (0x01,) or 0xD0 <= marker <= 0xD7:
            pos += 2
            continue
        (length,) = struct.unpack(">H", data[pos + 2:pos + 4])
        if marker in _JPEG_SOF and size is None:
            height, width = struct.unpack(">HH", data[pos + 5:pos + 9])
            size = (width, height)
        if marker == 0xDA:
            if size is None:
                raise ValueError("scan before frame header")
            # Searched from the end: the marker is normally the last two bytes.
            if data.rfind(b"\xff\xd9", pos + 2 + length) == -1:
                raise Truncated("no end-of-image marker after the image data")
            return size
        pos += 2 + length
    raise Truncated("it ends before the image data")


def _png_size(data: bytes) -> tuple[int, int]:
    if data[12:16] != b"IHDR":
        raise ValueError("IHDR expected")
    if data.rfind(b"IEND", max(0, len(data) - 64)) == -1:
        raise Truncated("no IEND chunk at the end")
    return struct.unpack(">II", data[16:24])


def _bmp_size(data: bytes) -> tuple[int, int]:
    (declared,) = struct.unpack("<I", data[2:6])
    if declared > len(data):
        raise Truncated(f"{len(data):,} of the {declared:,} bytes its header declares")
    header_size = struct.unpack("<I", data[14:18])[0]
    if header_size == 12:
        width, height = struct.unpack("<HH", data[18:22])
        return width, height
    width, height = struct.unpack("<ii", data[18:26])
    return width, abs(height)


def _webp_size(data: bytes) -> tuple[int, int]:
    (riff_size,) = struct.unpack("<I", data[4:8])
    if riff_size + 8 > len(data):
        raise Truncated(f"{len(data):,} of the {riff_size + 8:,} bytes its header declares")
    chunk = data[12:16]
    if chunk == b"VP8 ":
        width, height = struct.unpack("<HH", data[26:30])
        return width & 0x3FFF, height & 0x3FFF
    if chunk == b"VP8L":
        (bits,) = struct.unpack("<I", data[21:25])
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if chunk == b"VP8X":
        width = int.from_bytes(data[24:27], "little") + 1
        height = int.from_bytes(data[27:30], "little") + 1
        return width, height
    raise ValueError("unknown WEBP chunk")


def _tiff_size(data: bytes) -> tuple[int, int]:
    order = "<" if data[:2] == b"II" else ">"
    (offset,) = struct.unpack(order + "I", data[4:8])
    (count,) = struct.unpack(order + "H", data[offset:offset + 2])
    found: dict[int, int] = {}
    for i in range(count):
        entry = data[offset + 2 + 12 * i:offset + 14 + 12 * i]
        tag, kind = struct.unpack(order + "HH", entry[:4])
        if tag in (256, 257):
            value = struct.unpack(order + ("H" if kind == 3 else "I"), entry[8:10] if kind == 3 else entry[8:12])[0]
            found[tag] = value
    return found[256], found[257]


def _pfm_size(data: bytes) -> tuple[int, int]:
    fields = data[3:64].split(maxsplit=2)
    return int(fields[0]), int(fields[1])


_READERS = {
    "jpeg": _jpeg_size,
    "png": _png_size,
    "bmp": _bmp_size,
    "webp": _webp_size,
    "tiff": _tiff_size,
    "pfm": _pfm_size,
}


def exif_orientation(data: bytes) -> int | None:
    """The EXIF orientation (1-8) of a JPEG, or None when it has none.

    Orientations 5-8 rotate by 90 degrees: the displayed image (what Pillow's
    ``exif_transpose`` and ultralytics' ``exif_size`` see) swaps width and height.
    """
    if data[:3] != b"\xff\xd8\xff":
        return None
    pos = 2
    try:
        while pos + 4 <= len(data) and data[pos] == 0xFF:
            marker = data[pos + 1]
            if marker == 0xDA:
                return None
            (length,) = struct.unpack(">H", data[pos + 2:pos + 4])
            if marker == 0xE1 and data[pos + 4:pos + 10] == b"Exif\x00\x00":
                return _tiff_orientation(data[pos + 10:pos + 2 + length])
            pos += 2 + length
    except (struct.error, IndexError):
        return None
    return None


def _tiff_orientation(tiff: bytes) -> int | None:
    order = "<" if tiff[:2] == b"II" else ">"
    (offset,) = struct.unpack(order + "I", tiff[4:8])
    (count,) = struct.unpack(order + "H", tiff[offset:offset + 2])
    for i in range(count):
        entry = tiff[offset + 2 + 12 * i:offset + 14 + 12 * i]
        tag, _, _ = struct.unpack(order + "HHI", entry[:8])
        if tag == 0x0112:
            return struct.unpack(order + "H", entry[8:10])[0]
    return None
