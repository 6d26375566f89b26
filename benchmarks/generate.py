"""A deterministic YOLO dataset of N synthetic JPEGs, for benchmarks.

    python benchmarks/generate.py OUT [--n 2000] [--size 480] [--seed 0] [--task detect|segment]

Image ``i`` is blurred noise (about 120 KB at 480 px, JPEG quality 90: it does
not compress, like a photo) with 1-4 boxes of 3 classes; the first 80 % go to
``train``, the rest to ``val``. With ``--task segment`` each object is a polygon of
8-32 points (an ellipse of wobbling radius). The same arguments always give the same bytes.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import cv2
import numpy as np


def polygon_line(rng: np.random.Generator) -> str:
    """One segmentation row: a class and an ellipse-like polygon of 8-32 points inside the image."""
    count = int(rng.integers(8, 33))
    cx, cy = rng.uniform(0.3, 0.7, 2)
    rx, ry = rng.uniform(0.05, 0.25, 2)
    angles = np.sort(rng.uniform(0, 2 * np.pi, count))
    wobble = rng.uniform(0.8, 1.0, count)
    xs, ys = cx + rx * wobble * np.cos(angles), cy + ry * wobble * np.sin(angles)
    return f"{int(rng.integers(0, 3))} " + " ".join(f"{x:.6f} {y:.6f}" for x, y in zip(xs, ys, strict=True))


def generate(folder: Path, n: int, size: int = 480, seed: int = 0, task: str = "detect") -> None:
    rng = np.random.default_rng(seed)
    for split in ("train", "val"):
        (folder / "images" / split).mkdir(parents=True, exist_ok=True)
        (folder / "labels" / split).mkdir(parents=True, exist_ok=True)
    for i in range(n):
        split = "train" if i < n * 4 // 5 else "val"
        image = cv2.GaussianBlur(rng.integers(0, 255, (size, size, 3), dtype=np.uint8), (3, 3), 0)
        ok, encoded = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 90])
        assert ok
        with open(os.path.join(folder, "images", split, f"{i:06d}.jpg"), "wb") as file:
            file.write(encoded.tobytes())
        if task == "segment":
            lines = [polygon_line(rng) for _ in range(int(rng.integers(1, 5)))]
        else:
            lines = [f"{int(rng.integers(0, 3))} 0.5 0.5 {rng.uniform(0.05, 0.5):.6f} {rng.uniform(0.05, 0.5):.6f}"
                     for _ in range(int(rng.integers(1, 5)))]
        with open(os.path.join(folder, "labels", split, f"{i:06d}.txt"), "w") as file:
            file.write("\n".join(lines) + "\n")
    (folder / "data.yaml").write_text("train: images/train\nval: images/val\nnames: [a, b, c]\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--size", type=int, default=480)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--task", choices=["detect", "segment"], default="detect")
    args = parser.parse_args()
    generate(args.out, args.n, args.size, args.seed, args.task)


if __name__ == "__main__":
    main()
