"""Image headers, read without decoding."""

from __future__ import annotations

import struct
import zlib

import pytest

from tests.helpers import encode, make_image
from ydc_cli.domain.errors import InvalidImageError
from ydc_cli.domain.imageformat import MAX_PIXELS, read_header


@pytest.mark.parametrize("ext, fmt", [(".jpg", "jpeg"), (".png", "png"), (".bmp", "bmp"), (".webp", "webp"),
                                      (".tif", "tiff")])
def test_formats_and_sizes_from_real_encoders(ext, fmt):
    data = encode(make_image(123, 45), ext)
    assert read_header(data, "x" + ext) == (fmt, 123, 45)


def test_extension_must_match_content():
    with pytest.raises(InvalidImageError, match="named .png"):
        read_header(encode(make_image(), ".jpg"), "a.png")


def test_truncated_files_are_refused():
    for ext in (".jpg", ".png", ".bmp", ".webp"):
        data = encode(make_image(200, 100), ext)
        with pytest.raises(InvalidImageError):
            read_header(data[: len(data) // 2], "x" + ext)


def _png_header(width, height):
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    chunk = struct.pack(">I", len(ihdr)) + b"IHDR" + ihdr + struct.pack(">I", zlib.crc32(b"IHDR" + ihdr))
    end = struct.pack(">I", 0) + b"IEND" + struct.pack(">I", zlib.crc32(b"IEND"))
    return b"\x89PNG\r\n\x1a\n" + chunk + end


def test_decompression_bomb_declared_in_header_is_refused():
    assert read_header(_png_header(100, 100)).width == 100
    with pytest.raises(InvalidImageError, match="limit"):
        read_header(_png_header(20_000, MAX_PIXELS // 20_000 + 1), "bomb.png")


def test_not_images():
    for data in (b"", b"GIF89a....", b"%PDF-1.4", b"just text"):
        with pytest.raises(InvalidImageError):
            read_header(data, "a.jpg")
