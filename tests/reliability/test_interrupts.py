"""Interrupts tell the truth: the exit code matches the store, at every fault point, for SIGINT and SIGTERM.

A command paused at a fault point (``YDC_PAUSE_AT``, ydc_cli/persistence/faults.py) gets a
signal. Before its commit point it must roll back and exit 130 (SIGINT) or 143 (SIGTERM)
with the store byte-for-byte unchanged and one ``Error:`` line; after it (the change is in
the store) it must finish and exit 0, the change complete. ``closing`` is the moment after
a command's store work, as the stores close (where a SIGINT once turned a committed SQLite
import into "Error: interrupted"). Ctrl-C at a ``[y/N]`` prompt exits 130 too.
"""

from __future__ import annotations

import json
import os
import pty
import select
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.backends import BACKENDS, cli_env
from tests.helpers import checkpoint, jpeg
from tests.reliability.conftest import YDC, Store
from ydc_cli.persistence import registry

SIGNALS = {"SIGINT": (signal.SIGINT, 130), "SIGTERM": (signal.SIGTERM, 143)}
BEFORE, AFTER = "before commit", "after commit"


def _folder(root: Path) -> Path:
    for kind in ("images", "labels"):
        (root / kind / "train").mkdir(parents=True)
    for index in range(4):
        (root / "images" / "train" / f"{index}.jpg").write_bytes(jpeg(seed=20 + index))
        (root / "labels" / "train" / f"{index}.txt").write_text("1 0.5 0.5 0.2 0.2\n")
    (root / "data.yaml").write_text("names: [a, b]\ntrain: images/train\n")
    return root


def _json(store: Store, *args: str):
    return json.loads(store.ok("--json", *args).stdout)


def _datasets(store: Store) -> list[str]:
    return [d["name"] for d in _json(store, "datasets", "list")]


# command -> (arguments, {backend: {fault point: phase}}, check that the change is complete). A backend
# without its own row takes "*", whose moments (before-commit, after-commit) are the registry's fault
# points of that backend; other names (closing, replace) are points every backend passes.
COMMANDS = {
    "datasets import": (
        lambda tmp: ["datasets", "import", _folder(tmp / "new")],
        {"filesystem": {"dataset-staged": BEFORE, "closing": AFTER},
         "*": {"before-commit": BEFORE, "after-commit": AFTER, "closing": AFTER}},
        lambda store: _json(store, "datasets", "info", "new")["num_images"]["train"] == 4,
    ),
    "images add": (
        lambda tmp: ["images", "add", "base", *_files(tmp)],
        {"filesystem": {"journal-staged": BEFORE, "journal-committed": AFTER, "journal-applying": AFTER,
                        "closing": AFTER},
         "*": {"before-commit": BEFORE, "after-commit": AFTER}},
        lambda store: {i["filename"] for i in _json(store, "images", "list", "base")} >= {"n0.jpg", "n1.jpg"},
    ),
    "labels set": (
        lambda tmp: ["labels", "set", "base", "train", "empty.jpg", "--box", "b 0.5 0.5 0.1 0.1"],
        {"filesystem": {"replace": BEFORE, "closing": AFTER},
         "*": {"before-commit": BEFORE, "after-commit": AFTER}},
        lambda store: [a["class_id"] for a in _json(store, "labels", "show", "base", "train", "empty.jpg")] == [1],
    ),
    "datasets classes --remove": (
        lambda tmp: ["datasets", "classes", "base", "--remove", "a", "--yes"],
        {"filesystem": {"journal-staged": BEFORE, "journal-committed": AFTER, "journal-applying": AFTER},
         "*": {"before-commit": BEFORE, "after-commit": AFTER}},
        lambda store: _json(store, "datasets", "info", "base")["classes"] == ["b"]
        and _json(store, "labels", "show", "base", "train", "one.jpg") == [],
    ),
    "datasets rename": (
        lambda tmp: ["datasets", "rename", "base", "renamed"],
        {"filesystem": {"closing": AFTER},
         "*": {"before-commit": BEFORE, "after-commit": AFTER}},
        lambda store: _datasets(store) == ["renamed"]
        and [m["dataset_name"] for m in _json(store, "models", "list")] == ["renamed"],
    ),
    "datasets delete": (
        lambda tmp: ["datasets", "delete", "base", "--yes"],
        # delete reads first (does it exist?), then deletes: its first "closing" comes before the change
        {"filesystem": {"closing": BEFORE, "trashed": AFTER},
         "*": {"before-commit": BEFORE, "after-commit": AFTER}},
        lambda store: _datasets(store) == [],
    ),
    "models add": (
        lambda tmp: ["models", "add", "m2", checkpoint(tmp / "w.pt"), "--dataset", "base"],
        {"filesystem": {"replace": BEFORE, "closing": AFTER},
         "*": {"before-commit": BEFORE, "after-commit": AFTER}},
        lambda store: [m["name"] for m in _json(store, "models", "list")] == ["m", "m2"],
    ),
    "datasets export": (
        lambda tmp: ["datasets", "export", "base", "--output", tmp / "out"],
        {"filesystem": {"replace": BEFORE, "closing": AFTER},
         "*": {"replace": BEFORE, "closing": AFTER}},
        None,  # the store does not change: the zip is the outcome (checked below)
    ),
    "datasets list": (
        lambda tmp: ["datasets", "list"],
        {"*": {"closing": BEFORE}},  # reads only: nothing to commit
        None,
    ),
}


def _files(tmp: Path) -> list[Path]:
    paths = []
    for index in range(2):
        paths.append(tmp / f"n{index}.jpg")
        paths[-1].write_bytes(jpeg(seed=40 + index))
    return paths


def _cases():
    for command, (_, points, _) in COMMANDS.items():
        for backend in BACKENDS:
            moments = registry.get(backend).fault_points
            for named, phase in points.get(backend, points["*"]).items():
                point = moments.get(named, named)
                for name in SIGNALS:
                    yield pytest.param(backend, command, point, phase, name,
                                       id=f"{backend}-{command}-{point}-{name}")


def _paused(store: Store, args: list, point: str, pause: Path) -> subprocess.Popen:
    process = subprocess.Popen(
        [*YDC, *map(str, args)], env={**store.env, "YDC_PAUSE_AT": point, "YDC_PAUSE_FILE": str(pause)},
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not pause.exists() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert pause.exists(), process.communicate()
    return process


@pytest.mark.parametrize(("backend_", "command", "point", "phase", "signame"), list(_cases()))
def test_exit_code_matches_the_store(tmp_path, backend_, command, point, phase, signame):
    from tests.reliability.conftest import seed

    data = tmp_path / "data"
    seed(backend_, data)
    env = {**os.environ, **cli_env(backend_, data), "YDC_LOCK_TIMEOUT": "5"}
    env.pop("YDC_DEBUG", None)
    store = Store(backend_, data, env)
    make_args, _, changed = COMMANDS[command]
    args = make_args(tmp_path)
    before = store.snapshot()
    sig, code = SIGNALS[signame]
    process = _paused(store, args, point, tmp_path / "paused")
    process.send_signal(sig)
    _, stderr = process.communicate(timeout=60)
    lines = stderr.splitlines()
    assert "Traceback" not in stderr, stderr
    if phase == BEFORE:
        assert process.returncode == code, stderr
        assert lines[-1:] == [f"Error: {'interrupted' if sig == signal.SIGINT else 'terminated'}, nothing changed"]
        assert store.snapshot() == before, "interrupted before the commit, yet the store changed"
        if command == "datasets export":
            assert not (tmp_path / "out" / "base.zip").exists()
    else:
        assert process.returncode == 0, stderr
        assert lines[-1] == "Interrupted after the change was committed: the command finished", stderr
        if changed is not None:
            assert changed(store), f"exit 0 after the commit, yet the change is not all there: {command}"
        if command == "datasets export":
            assert (tmp_path / "out" / "base.zip").is_file()
    leftovers = [p for p in data.rglob("*") if p.name.startswith((".ydc-staging-", ".ydc-tmp-"))]
    assert leftovers == [] or phase == AFTER and point == "journal-applying", leftovers


def _prompted(store: Store, *args: str) -> tuple[subprocess.Popen, int]:
    """Start a command with a terminal on stdin; return once its [y/N] prompt is on stderr."""
    master, slave = pty.openpty()
    process = subprocess.Popen([*YDC, *args], env=store.env, stdin=slave, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE)
    os.close(slave)
    seen = b""
    deadline = time.monotonic() + 60
    while b"[y/N]" not in seen and time.monotonic() < deadline and process.poll() is None:
        ready, _, _ = select.select([process.stderr], [], [], 0.1)
        if ready:
            seen += os.read(process.stderr.fileno(), 4096)
    assert b"Delete dataset base and all its images and labels? [y/N]" in seen, seen
    return process, master


def test_ctrl_c_at_a_prompt_exits_130_and_changes_nothing(store):
    before = store.snapshot()
    process, master = _prompted(store, "datasets", "delete", "base")
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    os.close(master)
    assert process.returncode == 130, stderr
    assert stderr.decode().strip().endswith("Error: interrupted, nothing changed")
    assert store.snapshot() == before


@pytest.mark.parametrize(("answer", "code"), [(b"n\n", 1), (b"\n", 1), (b"y\n", 0)])
def test_prompt_answers(store, answer, code):
    process, master = _prompted(store, "datasets", "delete", "base")
    os.write(master, answer)
    _, stderr = process.communicate(timeout=60)
    os.close(master)
    assert process.returncode == code, stderr
    assert _datasets(store) == ([] if code == 0 else ["base"])
    if code:
        assert stderr.decode().strip().endswith("Error: cancelled, nothing changed")
