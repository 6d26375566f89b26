"""Crashes and interruptions: SIGKILL at injected points, SIGINT and SIGTERM; old state or new, never a mix.

``YDC_KILL_AT=<point>`` makes ydc SIGKILL itself there (ydc_cli/persistence/faults.py):
``dataset-staged`` (a new dataset complete in staging, not renamed into place),
``journal-staged`` / ``journal-committed`` / ``journal-applying`` (a change to an
existing filesystem dataset before its commit marker, right after it, and
half-applied), ``sqlite-commit`` / ``sqlite-committed`` (a SQLite transaction just
before and just after COMMIT) and
``replace`` (a single file written and synced, before ``os.replace``).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.helpers import checkpoint, jpeg
from tests.reliability.conftest import YDC
from ydc_cli.persistence import registry

STAGING = ".ydc-staging-"


def _killed(store, *args, at: str) -> None:
    done = store.run(*args, env={"YDC_KILL_AT": at})
    assert done.returncode == -signal.SIGKILL, (done.returncode, done.stderr)


def _leftovers(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.name.startswith((STAGING, ".ydc-tmp-"))]


def _age(paths: list[Path]) -> None:
    """Make leftovers look older than the sweep's grace period (a live writer may own a brand-new one)."""
    past = time.time() - 60
    for path in paths:
        os.utime(path, (past, past))


def _folder(root: Path, count: int = 4) -> Path:
    (root / "images" / "train").mkdir(parents=True)
    (root / "labels" / "train").mkdir(parents=True)
    for index in range(count):
        (root / "images" / "train" / f"{index}.jpg").write_bytes(jpeg(seed=index))
        (root / "labels" / "train" / f"{index}.txt").write_text("0 0.5 0.5 0.2 0.2\n")
    (root / "data.yaml").write_text("names: [a, b]\ntrain: images/train\n")
    return root


def _images(store, dataset: str) -> list[tuple[str, str, bool]]:
    listed = json.loads(store.ok("--json", "images", "list", dataset).stdout)
    return [(i["split"], i["filename"], i["has_labels"]) for i in listed]


def test_import_killed_before_it_is_visible(store, tmp_path):
    folder = _folder(tmp_path / "new")
    before = store.snapshot()
    _killed(store, "datasets", "import", folder, at=point(store, "new-dataset"))
    assert [d["name"] for d in json.loads(store.ok("--json", "datasets", "list").stdout)] == ["base"]
    _age(_leftovers(store.data))
    store.ok("datasets", "list")  # the next command sweeps what the dead writer left
    assert _leftovers(store.data) == []
    assert store.snapshot() == before
    store.ok("datasets", "import", folder)  # and the import can simply run again
    assert len(_images(store, "new")) == 4


# Each phase of a change, and the moment of the registry's fault points that stops a backend in it.
PHASES = {"before commit": "before-commit", "after commit": "after-commit", "while applying": "applying"}


def point(store, moment: str) -> str:
    """The fault point where ``store``'s backend is at ``moment`` (declared in the registry)."""
    return registry.get(store.backend).fault_points[moment]


@pytest.mark.parametrize("phase", PHASES)
def test_images_add_killed(store, tmp_path, phase):
    at = point(store, PHASES[phase])
    sources = []
    for index in range(3):
        sources.append(tmp_path / f"new{index}.jpg")
        sources[-1].write_bytes(jpeg(seed=10 + index))
    old = _images(store, "base")
    _killed(store, "images", "add", "base", *sources, at=at)
    now = _images(store, "base")
    new = sorted(old + [("train", f"new{i}.jpg", False) for i in range(3)])
    if phase != "before commit":
        assert now == new  # committed: the next reader finished it
    else:
        assert now == old
    assert _leftovers(store.data) == []
    for path in store.data.rglob("*.jpg"):
        assert path.read_bytes()[-2:] == b"\xff\xd9"  # no half-written image anywhere


@pytest.mark.parametrize("phase", PHASES)
def test_class_remap_killed(store, phase):
    at = point(store, PHASES[phase])
    _killed(store, "datasets", "classes", "base", "--remove", "a", "--remap-to", "b", at=at)
    info = json.loads(store.ok("--json", "datasets", "info", "base").stdout)
    labels = json.loads(store.ok("--json", "labels", "show", "base", "train", "one.jpg").stdout)
    classes = [a["class_id"] for a in labels]
    if phase != "before commit":
        assert info["classes"] == ["b"] and classes == [0]
    else:
        assert info["classes"] == ["a", "b"] and classes == [0]
    other = json.loads(store.ok("--json", "labels", "show", "base", "val", "two.png").stdout)
    assert [a["class_id"] for a in other] == [0 if info["classes"] == ["b"] else 1]


def test_registry_write_killed(store, tmp_path):
    weights = checkpoint(tmp_path / "w.pt", b"new weights")
    _killed(store, "models", "add", "m2", weights, at=point(store, "registry"))
    assert [m["name"] for m in json.loads(store.ok("--json", "models", "list").stdout)] == ["m"]
    store.ok("models", "add", "m2", weights)
    assert [m["name"] for m in json.loads(store.ok("--json", "models", "list").stdout)] == ["m", "m2"]


@pytest.mark.parametrize("what", ["datasets", "models"])
def test_export_killed_leaves_no_zip_and_its_leftover_is_swept(store, tmp_path, what):
    out = tmp_path / "out"
    name = "base" if what == "datasets" else "m"
    _killed(store, what, "export", name, "--output", out, at="replace")
    assert not (out / f"{name}.zip").exists()
    left = _leftovers(out)
    assert left and all(p.name.startswith(STAGING) for p in left if p.parent == out)
    _age(left)
    store.ok(what, "export", name, "--output", out)
    assert (out / f"{name}.zip").is_file() and _leftovers(out) == []


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_interrupted_import_rolls_back(store, tmp_path, sig, code):
    folder = _folder(tmp_path / "new")
    pause = tmp_path / "paused"
    at = point(store, "new-dataset")
    before = store.snapshot()
    process = subprocess.Popen(
        [*YDC, "datasets", "import", str(folder)],
        env={**store.env, "YDC_PAUSE_AT": at, "YDC_PAUSE_FILE": str(pause)},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not pause.exists() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert pause.exists(), process.communicate()
    process.send_signal(sig)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == code, stderr
    assert len(stderr.splitlines()) == 1 and "Traceback" not in stderr
    assert _leftovers(store.data) == []
    assert store.snapshot() == before
