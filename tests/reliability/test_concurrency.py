"""Concurrent writers lose nothing: 8 real `ydc` processes at once, on every backend of the registry."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.backends import BACKENDS, cli_env
from tests.helpers import checkpoint, jpeg
from ydc_cli.persistence import registry

YDC = [sys.executable, "-m", "ydc_cli"]
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
WRITERS = 8


@pytest.fixture(params=BACKENDS)
def env(request, tmp_path):
    return {**os.environ, **cli_env(request.param, tmp_path / "data")}


def _all(processes):
    results = [(p.wait(timeout=120), p.stderr.read()) for p in processes]
    assert [code for code, _ in results] == [0] * len(processes), [err for _, err in results]
    assert not any("Traceback" in err or "locked" in err for _, err in results)


def _json(env, *args):
    return json.loads(subprocess.run([*YDC, "--json", *args], env=env, capture_output=True, text=True).stdout)


def test_writers_adding_images_to_one_dataset(env, tmp_path):
    subprocess.run([*YDC, "datasets", "create", "d", "--classes", "a"], env=env, check=True, capture_output=True)
    processes = []
    for writer in range(WRITERS):
        source = tmp_path / f"source{writer}"
        source.mkdir()
        for i in range(5):
            (source / f"w{writer}_{i}.jpg").write_bytes(jpeg(seed=writer * 10 + i))
            (source / f"w{writer}_{i}.txt").write_text("0 0.5 0.5 0.1 0.1\n")
        processes.append(subprocess.Popen([*YDC, "images", "add", "d", source], env=env, stderr=subprocess.PIPE,
                                          text=True))
    _all(processes)
    listed = _json(env, "images", "list", "d")
    assert len(listed) == WRITERS * 5 and all(i["has_labels"] for i in listed)


def test_writers_registering_models(env, tmp_path):
    weights = checkpoint(tmp_path / "w.pt")
    _all([subprocess.Popen([*YDC, "models", "add", f"m{writer}", weights], env=env, stderr=subprocess.PIPE,
                           text=True) for writer in range(WRITERS)])
    assert sorted(m["name"] for m in _json(env, "models", "list")) == [f"m{w}" for w in range(WRITERS)]


def test_writers_importing_different_datasets(env, tmp_path):
    source = tmp_path / "shapes"
    subprocess.run([sys.executable, EXAMPLES / "make_shapes.py", source, "--train", "10", "--val", "3", "--size",
                    "64"], check=True, capture_output=True)
    _all([subprocess.Popen([*YDC, "datasets", "import", source, "--name", f"s{writer}"], env=env,
                           stderr=subprocess.PIPE, text=True) for writer in range(WRITERS)])
    datasets = _json(env, "datasets", "list")
    assert [sum(d["num_images"].values()) for d in datasets] == [13] * WRITERS


def test_lock_timeout_is_exit_6(env, tmp_path):
    """A writer that cannot get the store within YDC_LOCK_TIMEOUT gives up with exit 6.

    The holder is a real writer of the same backend, paused at the backend's own fault point
    just before its commit (the registry names it), so every registered backend is tried the
    same way with whatever lock it takes.
    """
    subprocess.run([*YDC, "datasets", "create", "d", "--classes", "a"], env=env, check=True, capture_output=True)
    (tmp_path / "held.jpg").write_bytes(jpeg())
    (tmp_path / "x.jpg").write_bytes(jpeg(seed=1))
    pause = tmp_path / "paused"
    point = registry.get(env["YDC_BACKEND"]).fault_points["before-commit"]
    holder = subprocess.Popen([*YDC, "images", "add", "d", tmp_path / "held.jpg"],
                              env={**env, "YDC_PAUSE_AT": point, "YDC_PAUSE_FILE": str(pause)},
                              stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while not pause.exists() and holder.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        assert pause.exists(), holder.communicate()
        waited = subprocess.run([*YDC, "images", "add", "d", tmp_path / "x.jpg"], capture_output=True, text=True,
                                env={**env, "YDC_LOCK_TIMEOUT": "0.5"})
    finally:
        holder.kill()
        holder.wait()
    assert waited.returncode == 6 and waited.stderr.startswith("Error: the store is busy"), waited.stderr
    assert _json(env, "images", "list", "d") == []  # neither the killed holder nor the refused writer stored it


def test_writers_creating_one_name_one_wins(env, tmp_path):
    """Imports racing for one name: exactly one succeeds, the others exit 4 and leave nothing behind."""
    source = tmp_path / "shapes"
    subprocess.run([sys.executable, EXAMPLES / "make_shapes.py", source, "--train", "6", "--val", "2", "--size",
                    "64"], check=True, capture_output=True)
    processes = [subprocess.Popen([*YDC, "datasets", "import", source, "--name", "same"], env=env,
                                  stderr=subprocess.PIPE, text=True) for _ in range(WRITERS)]
    results = [(p.wait(timeout=120), p.stderr.read()) for p in processes]
    assert sorted(code for code, _ in results) == [0] + [4] * (WRITERS - 1), results
    assert all(err.startswith("Error: dataset already exists") for code, err in results if code == 4)
    datasets = _json(env, "datasets", "list")
    assert [(d["name"], sum(d["num_images"].values())) for d in datasets] == [("same", 8)]
