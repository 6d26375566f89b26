"""Pictures through the real CLI on every backend: the preview mosaic, the stats plot, and
``dedupe --remove`` showing its groups before it asks."""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from tests.backends import cli_env
from tests.helpers import db_snapshot, encode, jpeg, tree_snapshot
from tests.services.test_dedupe import _photo
from tests.services.test_stats import _bar_lengths
from ydc_cli.services.stats import PLOT_WIDTH

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture
def shapes(ydc, tmp_path) -> str:
    out = tmp_path / "shapes"
    subprocess.run([sys.executable, EXAMPLES / "make_shapes.py", out, "--train", "10", "--val", "4", "--size", "96"],
                   check=True, capture_output=True)
    assert ydc("datasets", "import", out).exit_code == 0
    return "shapes"


def _store(tmp_path):
    data = tmp_path / "data"
    return tree_snapshot(data), db_snapshot(data / "ydc.db")


def test_preview_writes_a_seeded_mosaic_and_leaves_the_store_alone(ydc, shapes, tmp_path):
    before = _store(tmp_path)
    grid = tmp_path / "grid.png"
    result = ydc("datasets", "preview", "shapes", "--output", grid, "--count", "4", "--seed", "1")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == f"{grid}\n" and result.stderr == "Drew 4 of 14 images from shapes\n"
    picture = cv2.imread(str(grid))
    assert picture.shape[0] == picture.shape[1] > 500 and (picture != 255).any(axis=2).mean() > 0.9
    again = ydc("--json", "datasets", "preview", "shapes", "-o", tmp_path / "again.png", "-n", "4", "--seed", "1")
    report = json.loads(again.stdout)
    assert report["path"] == str(tmp_path / "again.png") and report["matched"] == 14 and len(report["images"]) == 4
    assert set(report["images"][0]) == {"split", "filename", "boxes"}
    assert (tmp_path / "again.png").read_bytes() == grid.read_bytes()
    other = json.loads(ydc("--json", "datasets", "preview", "shapes", "-o", tmp_path / "other.png", "-n", "4",
                           "--seed", "2").stdout)
    assert other["images"] != report["images"]
    assert (tmp_path / "other.png").read_bytes() != grid.read_bytes()
    assert _store(tmp_path) == before


def test_preview_filters_by_split_and_class(ydc, shapes, tmp_path):
    val = json.loads(ydc("--json", "datasets", "preview", "shapes", "-o", tmp_path / "v.png", "--split", "val").stdout)
    assert [i["split"] for i in val["images"]] == ["val"] * 4
    for wanted, class_id in (("square", 1), ("0", 0)):
        result = ydc("--json", "datasets", "preview", "shapes", "-o", tmp_path / f"{class_id}.png", "--class", wanted,
                     "--count", "50")
        assert result.exit_code == 0, result.stderr
        drawn = json.loads(result.stdout)["images"]
        assert drawn
        for image in drawn:
            boxes = json.loads(ydc("--json", "labels", "show", "shapes", image["split"], image["filename"]).stdout)
            assert class_id in {b["class_id"] for b in boxes}


def test_preview_errors(ydc, shapes, tmp_path):
    before = _store(tmp_path)
    cases = [
        (["--class", "triangle"], 3, "Error: no such class (triangle): the classes are circle, square\n"),
        (["--split", "training"], 5, None),
        (["--count", "0"], 2, None),
    ]
    for options, code, message in cases:
        result = ydc("datasets", "preview", "shapes", "-o", tmp_path / "x.png", *options)
        assert result.exit_code == code, (options, result.stderr)
        if message:
            assert result.stderr == message
    missing = ydc("datasets", "preview", "shapes", "-o", tmp_path / "nowhere" / "x.png")
    assert missing.exit_code == 3 and missing.stderr == f"Error: no such folder ({tmp_path / 'nowhere'})\n"
    unknown = ydc("--json", "datasets", "preview", "nope", "-o", tmp_path / "x.png")
    assert unknown.exit_code == 3 and unknown.stdout == ""
    assert json.loads(unknown.stderr)["error"] == {"code": "not_found", "message": "no such dataset (nope)"}
    assert not (tmp_path / "x.png").exists() and _store(tmp_path) == before


def _yolo_folder(root: Path, classes: int, images: int) -> Path:
    """A YOLO folder whose class counts fall off like Zipf's law (the most frequent class is not class 0)."""
    rng = np.random.default_rng(classes)
    weights = 1 / np.arange(1, classes + 1) ** 1.1
    probabilities = np.empty(classes)
    probabilities[rng.permutation(classes)] = weights / weights.sum()
    (root / "images" / "train").mkdir(parents=True)
    (root / "labels" / "train").mkdir(parents=True)
    for i in range(images):
        (root / "images" / "train" / f"{i}.jpg").write_bytes(jpeg(32, 24, seed=i))
        lines = [f"{rng.choice(classes, p=probabilities)} 0.5 0.5 {rng.uniform(0.05, 0.9):.4f} "
                 f"{rng.uniform(0.05, 0.9):.4f}" for _ in range(6)]
        (root / "labels" / "train" / f"{i}.txt").write_text("\n".join(lines) + "\n")
    names = "".join(f"  {i}: class_{i}\n" for i in range(classes))
    (root / "data.yaml").write_text(f"train: images/train\nval: images/train\nnames:\n{names}")
    return root


def test_stats_plot_sorts_and_scales_with_the_classes(ydc, tmp_path):
    heights = {}
    for classes in (2, 80):
        ydc("datasets", "import", _yolo_folder(tmp_path / f"c{classes}", classes, 60), "--name", f"c{classes}")
        result = ydc("--json", "datasets", "stats", f"c{classes}", "--plot", tmp_path / f"c{classes}.png")
        assert result.exit_code == 0, result.stderr
        counts = sorted((n for n in json.loads(result.stdout)["instances_per_class"].values() if n), reverse=True)
        picture = cv2.imread(str(tmp_path / f"c{classes}.png"))
        bars = _bar_lengths(picture)
        assert len(bars) == len(counts) and bars == sorted(bars, reverse=True)
        assert bars[-1] == pytest.approx(bars[0] * counts[-1] / counts[0], abs=2)
        heights[classes] = picture.shape[0]
        assert picture.shape[1] == PLOT_WIDTH
    assert heights[80] > heights[2] + 1000
    missing = ydc("datasets", "stats", "c2", "--plot", tmp_path / "nowhere" / "s.png")
    assert missing.exit_code == 3 and missing.stderr == f"Error: no such folder ({tmp_path / 'nowhere'})\n"


@pytest.fixture
def duplicated(ydc, tmp_path) -> str:
    """Dataset ``d``: a JPEG, a PNG of exactly its pixels (grey decodes of the two differ), and another image."""
    original = encode(_photo(6), ".jpg")
    pixels = cv2.imdecode(np.frombuffer(original, np.uint8), cv2.IMREAD_COLOR)
    (tmp_path / "photo.jpg").write_bytes(original)
    (tmp_path / "photo_copy.png").write_bytes(encode(pixels, ".png"))
    (tmp_path / "other.jpg").write_bytes(encode(_photo(9), ".jpg"))
    ydc("datasets", "create", "d", "--classes", "a")
    assert ydc("images", "add", "d", tmp_path / "photo.jpg", tmp_path / "photo_copy.png",
               tmp_path / "other.jpg").exit_code == 0
    return "d"


def _listing(ydc) -> list[str]:
    return [i["filename"] for i in json.loads(ydc("--json", "images", "list", "d").stdout)]


def test_dedupe_remove_shows_the_groups_before_refusing(ydc, duplicated):
    result = ydc("datasets", "dedupe", "d", "--near", "--remove")
    assert result.exit_code == 1
    assert result.stdout.splitlines() == ["kind\tkeep\tduplicates", "near\ttrain/photo.jpg\ttrain/photo_copy.png"]
    assert result.stderr.startswith("3 images: 1 duplicate in 1 group\n")
    assert "Refusing without a terminal: pass --yes" in result.stderr
    assert _listing(ydc) == ["other.jpg", "photo.jpg", "photo_copy.png"]
    removed = json.loads(ydc("--json", "datasets", "dedupe", "d", "--near", "--remove", "--yes").stdout)
    assert (removed["duplicates"], removed["removed"]) == (1, 1)
    assert _listing(ydc) == ["other.jpg", "photo.jpg"]


def _in_a_terminal(args: list[str], env: dict[str, str], answer: str) -> tuple[int, str, int]:
    """Run ydc on a pseudo-terminal, answer its question; the exit code, the output, where the question was."""
    import pty

    controller, terminal = pty.openpty()
    process = subprocess.Popen([sys.executable, "-m", "ydc_cli", *args], stdin=terminal, stdout=terminal,
                               stderr=terminal, env=env, close_fds=True)
    os.close(terminal)
    seen, asked_at, deadline = b"", -1, time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            if select.select([controller], [], [], 0.2)[0]:
                try:
                    chunk = os.read(controller, 65536)
                except OSError:  # the terminal closed: the process is done
                    break
                if not chunk:
                    break
                seen += chunk
                if asked_at < 0 and b"[y/N]" in seen:
                    asked_at = seen.index(b"[y/N]")
                    os.write(controller, answer.encode() + b"\n")
            elif process.poll() is not None:
                break
        return process.wait(timeout=30), seen.decode(errors="replace"), asked_at
    finally:
        if process.poll() is None:
            process.kill()
        os.close(controller)


@pytest.mark.parametrize("answer, code, left", [("n", 1, 3), ("y", 0, 2)])
def test_dedupe_remove_asks_after_showing_the_groups(ydc, backend, duplicated, tmp_path, answer, code, left):
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("YDC_")}, **cli_env(backend, tmp_path / "data"),
           "COLUMNS": "160"}
    status, seen, asked_at = _in_a_terminal(["datasets", "dedupe", "d", "--near", "--remove"], env, answer)
    assert status == code, seen
    assert 0 < seen.index("photo_copy.png") < asked_at  # the group was on screen before the question
    assert "Remove 1 duplicate image from d?" in seen
    assert len(_listing(ydc)) == left
