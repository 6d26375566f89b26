"""Hostile archives: every one refused with exit 5 before anything is written, on every backend."""

from __future__ import annotations

import stat
import struct
import zipfile
from pathlib import Path

import pytest

from tests.helpers import jpeg

# Writing the duplicate member is the point of two of the cases.
pytestmark = pytest.mark.filterwarnings("ignore:Duplicate name:UserWarning")

GOOD = {
    "evil/data.yaml": b"names: [a, b]\ntrain: images/train\nval: images/val\n",
    "evil/images/train/x.jpg": jpeg(),
    "evil/labels/train/x.txt": b"0 0.5 0.5 0.2 0.2\n",
}


def _zip(path: Path, members: dict[str, bytes], extra: list[zipfile.ZipInfo | tuple[zipfile.ZipInfo, bytes]] = ()):
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
        for item in extra:
            info, data = item if isinstance(item, tuple) else (item, b"x")
            archive.writestr(info, data)
    return path


def _named(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo("placeholder")
    info.filename = name  # ZipInfo() itself rewrites some names; the hostile one must reach the archive as is
    return info


def _link(name: str) -> tuple[zipfile.ZipInfo, bytes]:
    info = zipfile.ZipInfo(name)
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return info, b"/etc/passwd"


def _bomb(path: Path) -> Path:
    """A real deflate bomb: 64 MiB of zeros in about 64 KB."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, data in GOOD.items():
            archive.writestr(name, data)
        archive.writestr("evil/images/train/bomb.jpg", bytes(64 << 20))
    return path


def _declared_size_bomb(path: Path) -> Path:
    """A member whose central directory claims about 4 GB for a few bytes."""
    _zip(path, GOOD, [zipfile.ZipInfo("evil/images/train/big.jpg")])
    data = bytearray(path.read_bytes())
    entry = data.rfind(b"PK\x01\x02")  # the last central directory entry: big.jpg
    struct.pack_into("<I", data, entry + 24, 0xFFFFFFF0)  # uncompressed size
    path.write_bytes(bytes(data))
    return path


def _truncated(path: Path) -> Path:
    _zip(path, GOOD)
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    return path


def _corrupt_member(path: Path) -> Path:
    """Flip bytes inside the stored image: the CRC no longer matches."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
        for name, data in GOOD.items():
            archive.writestr(name, data)
    data = bytearray(path.read_bytes())
    start = data.find(GOOD["evil/images/train/x.jpg"][:64])
    data[start + 100:start + 140] = bytes(40)
    path.write_bytes(bytes(data))
    return path


def _encrypted(path: Path) -> Path:
    _zip(path, GOOD, [zipfile.ZipInfo("evil/images/train/secret.jpg")])
    data = bytearray(path.read_bytes())
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        position = data.rfind(signature)
        flags = struct.unpack_from("<H", data, position + offset)[0]
        struct.pack_into("<H", data, position + offset, flags | 0x1)
    path.write_bytes(bytes(data))
    return path


CASES = {
    "zip-slip": lambda p: _zip(p, GOOD, [_named("evil/../../escaped.jpg")]),
    "absolute path": lambda p: _zip(p, GOOD, [_named("/tmp/ydc-absolute.jpg")]),
    "backslash": lambda p: _zip(p, GOOD, [_named("evil\\..\\..\\win.jpg")]),
    "drive letter": lambda p: _zip(p, GOOD, [_named("C:/windows/x.jpg")]),
    "symlink member": lambda p: _zip(p, GOOD, [_link("evil/images/train/link.jpg")]),
    "exact duplicate": lambda p: _zip(p, GOOD, [_named("evil/images/train/x.jpg")]),
    "case-folded duplicate": lambda p: _zip(p, GOOD, [_named("evil/images/train/X.JPG")]),
    "control character": lambda p: _zip(p, GOOD, [_named("evil/images/train/\x1b[2Jx.jpg")]),
    "compression-ratio bomb": _bomb,
    "declared size bomb": _declared_size_bomb,
    "truncated zip": _truncated,
    "corrupt member": _corrupt_member,
    "encrypted member": _encrypted,
    "not a zip": lambda p: (p.write_bytes(b"this is a text file named .zip\n" * 40), p)[1],
    "empty file": lambda p: (p.write_bytes(b""), p)[1],
}


@pytest.mark.parametrize("case", CASES)
def test_dataset_import_refuses(store, tmp_path, case):
    archive = CASES[case](tmp_path / "evil.zip")
    source = archive.read_bytes()
    store.refuses("datasets", "import", archive, code=5)
    assert archive.read_bytes() == source
    assert not (tmp_path / "escaped.jpg").exists() and not Path("/tmp/ydc-absolute.jpg").exists()


@pytest.mark.parametrize("case", ["zip-slip", "absolute path", "symlink member", "exact duplicate",
                                  "compression-ratio bomb", "truncated zip", "not a zip"])
def test_model_import_refuses(store, tmp_path, case):
    archive = CASES[case](tmp_path / "evil.zip")
    store.refuses("models", "import", archive, "--name", "evil", code=5)


def test_a_good_archive_is_still_accepted(store, tmp_path):
    """The control case: the same archive without the hostile member imports."""
    store.ok("datasets", "import", _zip(tmp_path / "evil.zip", GOOD))
    assert "evil" in store.ok("datasets", "list").stdout
    store.ok("images", "get", "evil", "train", "x.jpg", "--output", tmp_path / "back.jpg")
    assert (tmp_path / "back.jpg").read_bytes() == jpeg()
