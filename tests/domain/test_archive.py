"""Archive member checks, made on names and sizes before extraction."""

from __future__ import annotations

import stat
import zipfile

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ydc_cli.domain.archive import ArchiveLimits, check_member_name, check_members
from ydc_cli.domain.errors import UnsafeArchiveError


def _info(name, size=10, compressed=10, mode=0o644):
    info = zipfile.ZipInfo(name)
    info.file_size, info.compress_size = size, compressed
    info.external_attr = (stat.S_IFREG | mode) << 16 if mode else 0
    return info


@given(st.text(max_size=80))
def test_accepted_names_never_escape(name):
    try:
        check_member_name(name)
    except UnsafeArchiveError:
        return
    parts = name.rstrip("/").split("/")
    assert not name.startswith("/") and "\\" not in name and ".." not in parts and "" not in parts


@pytest.mark.parametrize("name", ["../x", "a/../../x", "/abs", "C:/x", "c:x", "a\\b", "a//b", "./a", "a\x00b"])
def test_hostile_names(name):
    with pytest.raises(UnsafeArchiveError):
        check_member_name(name)


def test_folders_are_skipped_and_files_returned():
    files = check_members([_info("d/"), _info("d/a.txt")])
    assert [f.filename for f in files] == ["d/a.txt"]


@pytest.mark.parametrize("members, message", [
    ([_info("a", mode=0), _info("A")], "twice"),
    ([_info("link", mode=0)], None),
    ([_info("big", size=5 << 30, compressed=5 << 30)], "larger"),
    ([_info("bomb", size=200 << 20, compressed=1 << 20)], "expands"),
])
def test_member_limits(members, message):
    if message is None:
        members[0].external_attr = (stat.S_IFLNK | 0o777) << 16
        message = "link"
    with pytest.raises(UnsafeArchiveError, match=message):
        check_members(members)


def test_total_and_count_limits():
    with pytest.raises(UnsafeArchiveError, match="more than 2 members"):
        check_members([_info("a"), _info("b"), _info("c")], ArchiveLimits(max_members=2))
    limits = ArchiveLimits(max_total_bytes=15)
    with pytest.raises(UnsafeArchiveError, match="expands to more"):
        check_members([_info("a"), _info("b")], limits)


def test_encrypted_members_are_refused():
    info = _info("secret")
    info.flag_bits |= 0x1
    with pytest.raises(UnsafeArchiveError, match="encrypted"):
        check_members([info])
