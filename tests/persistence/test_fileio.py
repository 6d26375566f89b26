"""fileio.BackgroundSync: files written and flushed in worker threads, no descriptor left open."""

from __future__ import annotations

import os

import pytest

from ydc_cli.persistence import fileio


def _open_descriptors() -> int:
    return len(os.listdir("/proc/self/fd"))


def test_writes_every_file_and_closes_every_descriptor(tmp_path):
    before = _open_descriptors()
    with fileio.BackgroundSync() as syncer:
        for index in range(300):  # more than MAX_PENDING batches
            syncer.write(tmp_path / f"{index}.bin", bytes([index % 256]) * (index + 1), exclusive=True)
        syncer.wait()
    assert sorted(os.listdir(tmp_path), key=lambda n: int(n.split(".")[0])) == [f"{i}.bin" for i in range(300)]
    assert all((tmp_path / f"{i}.bin").read_bytes() == bytes([i % 256]) * (i + 1) for i in range(300))
    assert _open_descriptors() == before


def test_exclusive_refuses_an_existing_file_and_replace_overwrites(tmp_path):
    (tmp_path / "a").write_bytes(b"old")
    with fileio.BackgroundSync() as syncer:
        with pytest.raises(FileExistsError):
            syncer.write(tmp_path / "a", b"new", exclusive=True)
        assert (tmp_path / "a").read_bytes() == b"old"
        syncer.write(tmp_path / "a", b"new")
        syncer.add(tmp_path / "a")
        syncer.wait()
    assert (tmp_path / "a").read_bytes() == b"new"


def test_close_without_wait_leaks_no_descriptor(tmp_path):
    before = _open_descriptors()
    syncer = fileio.BackgroundSync()
    for index in range(50):
        syncer.write(tmp_path / f"{index}", b"x")
    syncer.close()
    assert _open_descriptors() == before


def test_a_failed_fsync_is_raised_by_wait(tmp_path):
    read_end, write_end = os.pipe()  # fsync on a pipe fails with EINVAL
    os.close(write_end)
    syncer = fileio.BackgroundSync()
    syncer._queue(read_end)
    with pytest.raises(OSError):
        syncer.wait()
    syncer.close()


def test_stream_writer_makes_a_zip_that_reads_back(tmp_path):
    import zipfile

    fileio.StreamWriter.SYNC_EVERY = 1 << 16  # exercise the background fdatasync on a small file
    try:
        members = {f"m{i}.bin": os.urandom(40_000 + i) for i in range(20)}
        with fileio.StreamWriter(tmp_path / "a.zip") as stream, zipfile.ZipFile(stream, "w") as archive:
            for name, data in members.items():
                archive.writestr(name, data)
    finally:
        fileio.StreamWriter.SYNC_EVERY = 32 << 20
    with zipfile.ZipFile(tmp_path / "a.zip") as archive:
        assert archive.testzip() is None
        assert {n: archive.read(n) for n in archive.namelist()} == members
    with pytest.raises(FileExistsError):
        fileio.StreamWriter(tmp_path / "a.zip")


def test_a_short_writev_is_finished(tmp_path, monkeypatch):
    """writev may write fewer bytes than asked (a signal, a nearly full disk): the rest still lands, in order."""
    real = os.writev
    monkeypatch.setattr(os, "writev", lambda fd, buffers: real(fd, [bytes(buffers[0])[:3]]))
    path = tmp_path / "out.bin"
    with fileio.StreamWriter(path) as stream:
        stream.write(b"head")
        stream.write(b"x" * (200 << 10))  # past DIRECT: buffered bytes and this chunk go out together
        stream.write(b"tail")
    assert path.read_bytes() == b"head" + b"x" * (200 << 10) + b"tail"
