"""Dataset zips: the contract's import/export, hostile archives, and the cross-backend round trip."""

from __future__ import annotations

import stat
import zipfile

import pytest

from tests.contract.conftest import make_stores
from tests.helpers import box, jpeg, png, sample
from ydc_cli.domain.errors import ConflictError, InvalidDatasetError, UnsafeArchiveError

DATA_YAML = "names:\n  0: cat\n  1: dog\n"


async def _fill(stores, name="pets"):
    await stores.dataset.create(name, ["cat", "dog"])
    await stores.dataset.save_prompts(name, {1: ["a dog", "puppy"]})
    await stores.dataset.add_samples(name, [
        sample("a.jpg", "train", 1, [box(0), box(1, 0.25, 0.25, 0.1, 0.2)]),
        sample("b.png", "train", 2, []),
        sample("c d é.jpg", "val", 3, [box(1)]),
        sample("e.jpg", "test", 4, None),
    ])


async def _contents(stores, name):
    return [(s.split, s.filename, s.data, s.annotations) async for s in stores.dataset.iter_samples(name)]


async def test_export_writes_named_zip_into_created_folder(stores, tmp_path):
    await _fill(stores)
    archive = await stores.dataset.export_zip("pets", tmp_path / "new" / "folder")
    assert archive == tmp_path / "new" / "folder" / "pets.zip"
    with zipfile.ZipFile(archive) as zf:
        names = zf.namelist()
        assert names[:2] == ["pets/data.yaml", "pets/prompts.yaml"]
        assert "pets/images/train/a.jpg" in names and "pets/labels/train/a.txt" in names
        assert "pets/labels/test/e.txt" not in names
        assert zf.getinfo("pets/images/train/a.jpg").compress_type == zipfile.ZIP_STORED
        assert zf.read("pets/labels/train/b.txt") == b""
        assert zf.read("pets/labels/train/a.txt").decode().splitlines()[0] == "0 0.500000 0.500000 0.250000 0.500000"
        assert b"path" not in zf.read("pets/data.yaml")
    assert [p.name for p in archive.parent.iterdir()] == ["pets.zip"]


async def test_export_is_deterministic(stores, tmp_path):
    await _fill(stores)
    first = (await stores.dataset.export_zip("pets", tmp_path / "1")).read_bytes()
    second = (await stores.dataset.export_zip("pets", tmp_path / "2")).read_bytes()
    assert first == second


async def test_export_missing_raises_file_not_found(stores, tmp_path):
    with pytest.raises(FileNotFoundError):
        await stores.dataset.export_zip("nope", tmp_path)


async def test_import_round_trip_and_default_name(stores, tmp_path):
    await _fill(stores)
    archive = await stores.dataset.export_zip("pets", tmp_path)
    renamed = archive.rename(tmp_path / "pets2.zip")
    info = await stores.dataset.import_zip(renamed)
    assert info.name == "pets2"
    assert info.classes == ["cat", "dog"]
    assert info.num_images == {"train": 2, "val": 1, "test": 1}
    assert await stores.dataset.get_prompts("pets2") == {1: ["a dog", "puppy"]}
    assert await _contents(stores, "pets2") == await _contents(stores, "pets")


async def test_import_existing_name_raises_value_error(stores, tmp_path, snapshot):
    await _fill(stores)
    archive = await stores.dataset.export_zip("pets", tmp_path)
    before = snapshot()
    with pytest.raises(ConflictError):
        await stores.dataset.import_zip(archive)
    assert snapshot() == before


async def test_import_missing_zip_raises_file_not_found(stores, tmp_path):
    with pytest.raises(FileNotFoundError):
        await stores.dataset.import_zip(tmp_path / "missing.zip")


async def test_import_archive_without_dataset_raises_value_error(stores, tmp_path):
    path = tmp_path / "nothing.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("readme.txt", "hello")
    with pytest.raises(InvalidDatasetError, match="no dataset"):
        await stores.dataset.import_zip(path)
    not_zip = tmp_path / "text.zip"
    not_zip.write_text("plain text")
    with pytest.raises(ValueError, match="not a zip"):
        await stores.dataset.import_zip(not_zip)


async def test_import_yolo_zip_with_split_first_layout_and_valid(stores, tmp_path):
    path = tmp_path / "roboflow.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("data.yaml", "train: ../train/images\nval: ../valid/images\nnc: 2\nnames: ['cat', 'dog']\n")
        zf.writestr("train/images/x.jpg", jpeg(seed=1))
        zf.writestr("train/labels/x.txt", "1 0.5 0.5 0.2 0.2\n")
        zf.writestr("valid/images/y.jpg", jpeg(seed=2))
        zf.writestr("valid/labels/y.txt", "\n0 0.4 0.4 0.2 0.2\n\n")
        zf.writestr("train/labels.cache", b"ignored")
    info = await stores.dataset.import_zip(path, name="rf")
    assert info.classes == ["cat", "dog"]
    assert info.num_images == {"train": 1, "val": 1, "test": 0}
    assert await stores.label.load("rf", "val", "y.jpg") == [box(0, 0.4, 0.4, 0.2, 0.2)]


def _hostile(tmp_path, name, members):
    path = tmp_path / f"{name}.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("data.yaml", DATA_YAML)
        zf.writestr("images/train/ok.jpg", jpeg())
        for member in members:
            if isinstance(member, zipfile.ZipInfo):
                zf.writestr(member, b"target" if stat.S_ISLNK(member.external_attr >> 16) else b"x")
            else:
                zf.writestr(member[0], member[1], compress_type=zipfile.ZIP_DEFLATED)
    return path


def _symlink(name):
    info = zipfile.ZipInfo(name)
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return info


HOSTILE = {
    "zip-slip": ([("images/train/../../../evil.jpg", b"x")], "escapes"),
    "absolute": ([("/etc/evil.jpg", b"x")], "absolute"),
    "backslash": ([("images\\train\\evil.jpg", b"x")], "backslash"),
    "drive": ([("C:/evil.jpg", b"x")], "drive letter"),
    "link": ([_symlink("images/train/link.jpg")], "a link"),
    "duplicate": ([("images/train/ok.jpg", b"x")], "twice"),
    "casefold-duplicate": ([("images/train/OK.jpg", b"x")], "twice"),
    "ratio-bomb": ([("images/train/bomb.jpg", b"\0" * (8 << 20))], "expands"),
}


@pytest.mark.parametrize("kind", sorted(HOSTILE))
async def test_hostile_archives_are_refused_before_anything_is_written(stores, tmp_path, snapshot, kind):
    members, message = HOSTILE[kind]
    await _fill(stores)
    before = snapshot()
    with pytest.warns(UserWarning) if kind == "duplicate" else _nothing():
        path = _hostile(tmp_path, kind, members)
    with pytest.raises(UnsafeArchiveError, match=message):
        await stores.dataset.import_zip(path, name="evil")
    assert snapshot() == before
    assert await stores.dataset.get("evil") is None


async def test_corrupt_member_refused(stores, tmp_path, snapshot):
    path = tmp_path / "corrupt.zip"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as zf:
        zf.writestr("data.yaml", DATA_YAML)
        zf.writestr("images/train/a.jpg", jpeg())
    raw = bytearray(path.read_bytes())
    offset = raw.find(b"\xff\xd8\xff")
    raw[offset + 100] ^= 0xFF  # flip a byte inside the stored image: CRC mismatch
    path.write_bytes(bytes(raw))
    before = snapshot()
    with pytest.raises(UnsafeArchiveError, match="corrupt"):
        await stores.dataset.import_zip(path)
    assert snapshot() == before


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


@pytest.mark.parametrize("first, second", [("filesystem", "sqlite"), ("sqlite", "filesystem")])
async def test_round_trip_across_backends(tmp_path, first, second):
    source = make_stores(first, tmp_path / "a")
    other = make_stores(second, tmp_path / "b")
    back = make_stores(first, tmp_path / "c")
    await _fill(source)
    original = await _contents(source, "pets")
    there = await other.dataset.import_zip(await source.dataset.export_zip("pets", tmp_path / "x1"))
    assert there.classes == ["cat", "dog"]
    assert await _contents(other, "pets") == original
    returned = await back.dataset.import_zip(await other.dataset.export_zip("pets", tmp_path / "x2"))
    assert returned.num_images == {"train": 2, "val": 1, "test": 1}
    assert await _contents(back, "pets") == original
    assert await back.dataset.get_prompts("pets") == {1: ["a dog", "puppy"]}
    for bundle in (source, other, back):
        bundle.close()


async def test_png_and_jpeg_stay_byte_identical_through_zip(stores, tmp_path):
    await stores.dataset.create("d", ["a"])
    images = {"p.png": png(seed=5), "j.jpg": jpeg(seed=6)}
    for name, data in images.items():
        await stores.image.save_bytes("d", "train", name, data)
    archive = await stores.dataset.export_zip("d", tmp_path)
    await stores.dataset.import_zip(archive, name="d2")
    for name, data in images.items():
        assert await stores.image.load_bytes("d2", "train", name) == data
