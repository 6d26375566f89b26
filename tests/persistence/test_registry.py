"""The backend registry: names, URL schemes, locations, and the install hint of a missing extra."""

from __future__ import annotations

import subprocess
import sys

import pytest

from ydc_cli.domain.errors import UsageError
from ydc_cli.persistence import registry
from ydc_cli.persistence.location import Location, UrlPath


def test_every_backend_is_named_once_and_loads():
    assert registry.names()[:2] == ["filesystem", "sqlite"] and "s3" in registry.names()
    assert registry.for_scheme("s3").name == "s3" and registry.for_scheme("gs") is None
    for spec in registry.BACKENDS.values():
        assert callable(spec.load())


@pytest.mark.parametrize("text, scheme, netloc, prefix, local", [
    ("ydc-data", "", "", "", True),
    ("/tmp/a b", "", "", "", True),
    ("file:///tmp/a%20b", "", "", "", True),
    ("s3://bucket", "s3", "bucket", "", False),
    ("s3://bucket/team/a/", "s3", "bucket", "team/a", False),
    ("S3://bucket/x", "s3", "bucket", "x", False),
])
def test_locations_are_parsed_before_any_path(text, scheme, netloc, prefix, local):
    location = Location.parse(text)
    assert (location.scheme, location.netloc, location.prefix, location.local) == (scheme, netloc, prefix, local)
    if local:
        assert location.path.name in {"ydc-data", "a b"}
    else:
        assert location.url == f"s3://{netloc}/{prefix}".rstrip("/")
        with pytest.raises(UsageError):
            location.path  # noqa: B018


def test_choose_fits_backend_and_location():
    assert registry.choose(None, "s3://b/p")[0].name == "s3"
    assert registry.choose(None, "folder")[0].name == "filesystem"
    assert registry.choose("sqlite", "folder")[0].name == "sqlite"
    for backend, data_dir in (("sqlite", "s3://b/p"), ("s3", "folder"), (None, "gs://b/p"), ("nope", "x"),
                              (None, "s3:///no-bucket")):
        with pytest.raises(UsageError):
            registry.choose(backend, data_dir)


def test_a_url_path_prints_its_scheme():
    path = UrlPath("s3://bucket/prefix/d")
    assert str(path / "images") == "s3://bucket/prefix/d/images" and path.name == "d" and not path.exists()


def test_a_backend_whose_extra_is_missing_says_how_to_install_it(tmp_path):
    """A registered backend importing a library that is not installed fails with the pip line, nothing more."""
    (tmp_path / "fakebackend.py").write_text("import library_not_installed_here\n\ndef open_stores(location):\n"
                                             "    raise AssertionError\n")
    code = (
        "import sys; sys.path.insert(0, sys.argv[1])\n"
        "from ydc_cli.persistence import registry\n"
        "registry.BACKENDS['fake'] = registry.BackendSpec('fake', 'a test', 'fakebackend:open_stores',"
        " schemes=('fake',), extra='fake', requires=('library_not_installed_here',))\n"
        "from ydc_cli.cli.app import app\n"
        "app(['--data-dir', 'fake://bucket/p', 'datasets', 'list'])\n"
    )
    done = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True)
    assert done.returncode == 2, done.stderr
    assert done.stderr == ("Error: the fake backend needs library_not_installed_here, which is not installed:"
                           " pip install 'ydc[fake]'\n")
