"""The export zip writer: what zipfile and unzip read back, ZIP64 included."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
import zipfile

from ydc_cli.persistence import zipstream
from ydc_cli.persistence.zipstream import ZipStream


def _write(members: list[tuple[str, bytes, bool]]) -> bytes:
    sink = io.BytesIO()
    archive = ZipStream(sink)
    for name, data, compress in members:
        archive.add(name, data, compress=compress)
    archive.finish()
    return sink.getvalue()


MEMBERS = [
    ("d/data.yaml", b"names:\n  0: cat\n", True),
    ("d/images/train/a.jpg", os.urandom(5000), False),
    ("d/labels/train/a.txt", b"0 0.5 0.5 0.2 0.2\n" * 40, True),
    ("d/images/val/\u00e9t\u00e9 \u732b.png", os.urandom(300), False),
    ("d/labels/val/empty.txt", b"", True),
]


def test_zipfile_reads_back_every_member_with_its_crc():
    with zipfile.ZipFile(io.BytesIO(_write(MEMBERS))) as archive:
        assert archive.testzip() is None
        assert [i.filename for i in archive.infolist()] == [name for name, _, _ in MEMBERS]
        for (name, data, compress), info in zip(MEMBERS, archive.infolist(), strict=True):
            assert archive.read(name) == data
            assert info.compress_type == (zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED)
            assert info.date_time == (1980, 1, 1, 0, 0, 0)
            assert info.external_attr >> 16 == 0o100644


def test_same_members_give_identical_bytes():
    assert _write(MEMBERS) == _write(MEMBERS)


def test_deflated_members_are_smaller_and_stored_members_are_verbatim():
    raw = _write([("big.txt", b"0 0.5 0.5 0.1 0.1\n" * 1000, True), ("img.jpg", b"\xff\xd8" + b"x" * 100, False)])
    assert len(raw) < 2000
    assert b"\xff\xd8" + b"x" * 100 in raw


def test_zip64_sizes_offsets_and_count(monkeypatch):
    """Lowered thresholds drive every ZIP64 path on small data; zipfile must agree on all of it."""
    monkeypatch.setattr(zipstream, "ZIP64_LIMIT", 1000)
    monkeypatch.setattr(zipstream, "COUNT_LIMIT", 10)
    members = [(f"m/{i:03d}.bin", os.urandom(700 + i), i % 3 == 0) for i in range(25)]
    members.append(("m/large.bin", os.urandom(4000), False))  # size past the limit: ZIP64 in both headers
    raw = _write(members)
    assert b"PK\x06\x06" in raw and b"PK\x06\x07" in raw
    with zipfile.ZipFile(io.BytesIO(raw)) as archive:
        assert archive.testzip() is None
        infos = archive.infolist()
        assert len(infos) == 26
        assert infos[-1].header_offset > 1000 and infos[-1].file_size == 4000
        for name, data, _ in members:
            assert archive.read(name) == data


def test_a_second_reader_tests_the_archive(tmp_path, monkeypatch):
    """Info-ZIP's unzip where installed (a reader that is not zipfile), else zipfile's command line."""
    reader = ["unzip", "-tq"] if shutil.which("unzip") else [sys.executable, "-m", "zipfile", "-t"]
    for limits in ((zipstream.ZIP64_LIMIT, zipstream.COUNT_LIMIT), (1000, 10)):
        monkeypatch.setattr(zipstream, "ZIP64_LIMIT", limits[0])
        monkeypatch.setattr(zipstream, "COUNT_LIMIT", limits[1])
        path = tmp_path / f"a{limits[1]}.zip"
        path.write_bytes(_write([*MEMBERS, *((f"x/{i}.bin", os.urandom(900), False) for i in range(20))]))
        done = subprocess.run([*reader, str(path)], capture_output=True, text=True)
        assert done.returncode == 0, done.stdout + done.stderr


def test_more_members_than_the_classic_count_holds(tmp_path):
    """A 100,000-image dataset exports 200,000 members: past 65,535 the count lives in ZIP64 records."""
    path = tmp_path / "many.zip"
    path.write_bytes(_write([(f"d/{i:05d}.txt", b"%d" % i, False) for i in range(70_000)]))
    with zipfile.ZipFile(path) as archive:
        assert len(archive.infolist()) == 70_000
        assert archive.read("d/69999.txt") == b"69999"
    reader = ["unzip", "-tq"] if shutil.which("unzip") else [sys.executable, "-m", "zipfile", "-t"]
    done = subprocess.run([*reader, str(path)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
