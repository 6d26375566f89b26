"""Hostile image files: refused with exit 5 before anything is stored; the sources stay byte-identical."""

from __future__ import annotations

import struct
import zlib

import pytest

from tests.helpers import jpeg, png


def _png_declaring(width: int, height: int) -> bytes:
    """A real PNG whose IHDR (with a valid CRC) declares another size: a decompression bomb's header."""
    data = bytearray(png())
    start = data.find(b"IHDR")
    struct.pack_into(">II", data, start + 4, width, height)
    struct.pack_into(">I", data, start + 17, zlib.crc32(bytes(data[start:start + 17])))
    return bytes(data)


def _jpeg_declaring(width: int, height: int) -> bytes:
    data = bytearray(jpeg())
    sof = next(data.find(marker) for marker in (b"\xff\xc0", b"\xff\xc2") if data.find(marker) > 0)
    struct.pack_into(">HH", data, sof + 5, height, width)
    return bytes(data)


# name, bytes, and what the one error line must say
CASES = {
    "text named .jpg": ("x.jpg", b"hello, I am not an image\n" * 10, "not a supported image"),
    "empty file": ("x.jpg", b"", "image file is empty"),
    "truncated jpeg": ("x.jpg", jpeg()[: len(jpeg()) // 2], "truncated JPEG file"),
    "jpeg without its end marker": ("x.jpg", jpeg()[:-2], "truncated JPEG file: no end-of-image marker"),
    "jpeg cut inside its headers": ("x.jpg", jpeg()[:30], "truncated JPEG file"),
    "truncated png": ("x.png", png()[: len(png()) // 2], "truncated PNG file"),
    "png bomb header": ("x.png", _png_declaring(100_000, 100_000), "over the"),
    "jpeg bomb header": ("x.jpg", _jpeg_declaring(65_000, 65_000), "over the"),
    "png bytes named .jpg": ("x.jpg", png(), "holds a PNG image but is named .jpg"),
    "jpeg bytes named .png": ("x.png", jpeg(), "holds a JPEG image but is named .png"),
    "html named .jpg": ("x.jpg", b"<html><script>alert(1)</script></html>", "not a supported image"),
}


@pytest.mark.parametrize("case", CASES)
def test_images_add_refuses(store, tmp_path, case):
    name, data, says = CASES[case]
    source = tmp_path / name
    source.write_bytes(data)
    store.refuses("images", "add", "base", source, code=5, says=says)
    assert source.read_bytes() == data


@pytest.mark.parametrize("case", ["truncated jpeg", "png bomb header", "png bytes named .jpg", "empty file"])
def test_folder_import_refuses_and_leaves_the_source_alone(store, tmp_path, case):
    name, data, says = CASES[case]
    folder = tmp_path / "src"
    (folder / "images" / "train").mkdir(parents=True)
    (folder / "images" / "train" / "good.jpg").write_bytes(jpeg())
    (folder / "images" / "train" / name).write_bytes(data)
    (folder / "data.yaml").write_text("names: [a]\ntrain: images/train\n")
    before = {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    line = store.refuses("datasets", "import", folder, code=5, says=says)
    assert name in line, line
    assert {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()} == before
