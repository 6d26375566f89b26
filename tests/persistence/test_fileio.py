"""fileio.BackgroundSync: files written and flushed (one syncfs, or fsyncs in threads), no descriptor left open."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ydc_cli.persistence import fileio


def _open_descriptors() -> int:
    return len(os.listdir("/proc/self/fd"))


# This kernel has syncfs with write-back errors (Linux 5.8+), so both ways are exercised here.
MODES = [pytest.param(True, id="syncfs"), pytest.param(False, id="fsync-each")]


@pytest.mark.parametrize("whole_filesystem", MODES)
def test_writes_every_file_and_closes_every_descriptor(tmp_path, whole_filesystem):
    before = _open_descriptors()
    with fileio.BackgroundSync(whole_filesystem=whole_filesystem) as syncer:
        for index in range(300):  # more than MAX_PENDING batches
            syncer.write(tmp_path / f"{index}.bin", bytes([index % 256]) * (index + 1), exclusive=True)
        syncer.wait()
    assert sorted(os.listdir(tmp_path), key=lambda n: int(n.split(".")[0])) == [f"{i}.bin" for i in range(300)]
    assert all((tmp_path / f"{i}.bin").read_bytes() == bytes([i % 256]) * (i + 1) for i in range(300))
    assert _open_descriptors() == before


@pytest.mark.parametrize("whole_filesystem", MODES)
def test_exclusive_refuses_an_existing_file_and_replace_overwrites(tmp_path, whole_filesystem):
    (tmp_path / "a").write_bytes(b"old")
    with fileio.BackgroundSync(whole_filesystem=whole_filesystem) as syncer:
        with pytest.raises(FileExistsError):
            syncer.write(tmp_path / "a", b"new", exclusive=True)
        assert (tmp_path / "a").read_bytes() == b"old"
        syncer.write(tmp_path / "a", b"new")
        syncer.add(tmp_path / "a")
        syncer.wait()
    assert (tmp_path / "a").read_bytes() == b"new"


@pytest.mark.parametrize("whole_filesystem", MODES)
def test_close_without_wait_leaks_no_descriptor(tmp_path, whole_filesystem):
    before = _open_descriptors()
    syncer = fileio.BackgroundSync(whole_filesystem=whole_filesystem)
    for index in range(50):
        syncer.write(tmp_path / f"{index}", b"x")
    syncer.close()
    assert _open_descriptors() == before


def test_a_failed_fsync_is_raised_by_wait(tmp_path):
    read_end, write_end = os.pipe()  # fsync on a pipe fails with EINVAL
    os.close(write_end)
    syncer = fileio.BackgroundSync(whole_filesystem=False)
    syncer._queue(read_end)
    with pytest.raises(OSError):
        syncer.wait()
    syncer.close()


def test_a_failed_syncfs_is_raised_by_wait(tmp_path):
    syncer = fileio.BackgroundSync(whole_filesystem=True)
    syncer.write(tmp_path / "a", b"x")
    (fd,) = syncer._filesystems.values()
    os.close(fd)  # syncfs on a closed descriptor fails with EBADF
    with pytest.raises(OSError):
        syncer.wait()
    syncer._filesystems.clear()
    syncer.close()


def test_one_descriptor_is_kept_per_filesystem(tmp_path):
    """Files on two filesystems (here a folder and /dev/shm) are each synced; one descriptor each is held."""
    before = _open_descriptors()
    with fileio.BackgroundSync(whole_filesystem=True) as syncer:
        for index in range(20):
            syncer.write(tmp_path / f"{index}", b"x")
        other = Path("/dev/shm") if Path("/dev/shm").is_dir() else None
        if other is not None and os.stat(other).st_dev != os.stat(tmp_path).st_dev:
            syncer.write(other / f"ydc-test-{os.getpid()}", b"y")
        assert _open_descriptors() == before + len(syncer._filesystems)
        syncer.wait()
    if other is not None:
        (other / f"ydc-test-{os.getpid()}").unlink(missing_ok=True)
    assert _open_descriptors() == before


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


def test_syncfs_runs_in_the_background_as_bytes_pile_up(tmp_path):
    before = _open_descriptors()
    with fileio.BackgroundSync(whole_filesystem=True) as syncer:
        syncer.SYNC_EVERY = 1000  # a background syncfs after every few files
        for index in range(200):
            syncer.write(tmp_path / f"{index}", bytes([index % 256]) * 700)
            if index == 5:
                assert syncer._flushing is not None
        syncer.wait()
        assert syncer._flushing is None
    assert all((tmp_path / f"{i}").read_bytes() == bytes([i % 256]) * 700 for i in range(200))
    assert _open_descriptors() == before


def test_a_failed_background_syncfs_is_raised_by_wait(tmp_path):
    syncer = fileio.BackgroundSync(whole_filesystem=True)
    syncer.SYNC_EVERY = 1
    syncer.write(tmp_path / "a", b"x")  # holds the folder's filesystem open, starts a background syncfs
    syncer._flushing.result()
    (fd,) = syncer._filesystems.values()
    os.close(fd)  # the next background syncfs meets EBADF
    syncer.write(tmp_path / "b", b"y")
    with pytest.raises(OSError):
        syncer.wait()
    syncer._filesystems.clear()
    syncer.close()
