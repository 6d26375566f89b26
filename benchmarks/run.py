"""Measure ydc's storage against the cost of copying the same bytes.

    python benchmarks/run.py [--n 1000] [--size 480] [--rounds 5]

Generates N synthetic JPEGs with YOLO labels (deterministic), then, in
interleaved rounds, times:

* ``cp -r`` of the folder (the baseline: the cost of moving the bytes),
* saving the N images with their labels in one batch (``add_samples``) on the
  filesystem backend and on the SQLite backend.

Prints the median of each and its ratio to the baseline's median.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ydc_cli.persistence import Annotation, Sample, create_sqlite_stores, create_stores  # noqa: E402


def generate(folder: Path, n: int, size: int) -> None:
    """N noisy JPEGs (about 100-150 KB at 480 px) with 1-4 boxes each."""
    rng = np.random.default_rng(0)
    (folder / "images").mkdir(parents=True)
    (folder / "labels").mkdir(parents=True)
    for i in range(n):
        image = rng.integers(0, 255, (size, size, 3), dtype=np.uint8)
        image = cv2.GaussianBlur(image, (3, 3), 0)
        cv2.imwrite(str(folder / "images" / f"{i:06d}.jpg"), image, [cv2.IMWRITE_JPEG_QUALITY, 90])
        lines = [f"{int(rng.integers(0, 3))} 0.5 0.5 {rng.uniform(0.05, 0.5):.6f} {rng.uniform(0.05, 0.5):.6f}"
                 for _ in range(int(rng.integers(1, 5)))]
        (folder / "labels" / f"{i:06d}.txt").write_text("\n".join(lines) + "\n")


def samples(folder: Path):
    """Read each image and label from the source folder, as `ydc images add` does."""
    for image in sorted((folder / "images").iterdir()):
        boxes = []
        for line in (folder / "labels" / (image.stem + ".txt")).read_text().splitlines():
            c, x, y, w, h = line.split()
            boxes.append(Annotation(int(c), float(x), float(y), float(w), float(h)))
        yield Sample(image.name, "train", image.read_bytes(), boxes)


def time_cp(source: Path, work: Path) -> float:
    target = work / "cp-copy"
    started = time.perf_counter()
    subprocess.run(["cp", "-r", str(source), str(target)], check=True)
    elapsed = time.perf_counter() - started
    shutil.rmtree(target)
    return elapsed


def time_batch(source: Path, work: Path, backend: str) -> float:
    root = work / f"store-{backend}"
    stores = (create_stores(root / "datasets", root / "models") if backend == "filesystem"
              else create_sqlite_stores(root / "ydc.db", root / "models"))

    async def go() -> float:
        await stores.dataset.create("bench", ["a", "b", "c"])
        started = time.perf_counter()
        await stores.dataset.add_samples("bench", samples(source))
        return time.perf_counter() - started

    elapsed = asyncio.run(go())
    stores.close()
    shutil.rmtree(root)
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--size", type=int, default=480)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ydc-bench-", dir=Path.cwd()) as tmp:
        work = Path(tmp)
        source = work / "source"
        generate(source, args.n, args.size)
        megabytes = sum(p.stat().st_size for p in source.rglob("*") if p.is_file()) / 1e6
        print(f"{args.n} images with labels, {megabytes:.0f} MB, {args.rounds} interleaved rounds", file=sys.stderr)
        timings: dict[str, list[float]] = {"cp -r": [], "filesystem batch save": [], "sqlite batch save": []}
        for round_number in range(args.rounds):
            timings["cp -r"].append(time_cp(source, work))
            timings["filesystem batch save"].append(time_batch(source, work, "filesystem"))
            timings["sqlite batch save"].append(time_batch(source, work, "sqlite"))
            print(f"round {round_number + 1}: " + ", ".join(f"{k} {v[-1]:.3f}s" for k, v in timings.items()),
                  file=sys.stderr)
    baseline = statistics.median(timings["cp -r"])
    print(f"{'operation':<24} {'median':>9} {'ratio':>7}")
    for name, values in timings.items():
        median = statistics.median(values)
        print(f"{name:<24} {median:>8.3f}s {median / baseline:>6.2f}x")


if __name__ == "__main__":
    main()
