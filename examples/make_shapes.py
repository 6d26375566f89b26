"""Generate a small synthetic YOLO dataset of circles and squares.

    python examples/make_shapes.py OUT [--train 24] [--val 8] [--size 160] [--seed 0] [--flat]

Writes OUT/data.yaml, OUT/images/<split>/*.jpg and OUT/labels/<split>/*.txt.
With --flat, writes OUT/*.jpg with a YOLO .txt beside each image (what
`ydc images add` picks up). The same seed always gives the same files.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import cv2
import numpy as np

CLASSES = ["circle", "square"]


def draw(rng: np.random.Generator, size: int) -> tuple[np.ndarray, list[str]]:
    """One image with 1-3 shapes on a noisy background, and its label lines."""
    image = rng.integers(90, 140, (size, size, 3), dtype=np.uint8)
    lines = []
    for _ in range(int(rng.integers(1, 4))):
        class_id = int(rng.integers(0, 2))
        half = int(rng.integers(size // 10, size // 5))
        cx, cy = (int(v) for v in rng.integers(half, size - half, 2))
        colour = tuple(int(c) for c in rng.integers(0, 255, 3))
        if class_id == 0:
            cv2.circle(image, (cx, cy), half, colour, -1)
        else:
            cv2.rectangle(image, (cx - half, cy - half), (cx + half, cy + half), colour, -1)
        side = 2 * half / size
        lines.append(f"{class_id} {cx / size:.6f} {cy / size:.6f} {side:.6f} {side:.6f}")
    return image, lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--train", type=int, default=24)
    parser.add_argument("--val", type=int, default=8)
    parser.add_argument("--size", type=int, default=160)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--flat", action="store_true", help="images with labels beside them, no splits")
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    plan = [("", args.train)] if args.flat else [("train", args.train), ("val", args.val)]
    for split, count in plan:
        image_dir = args.out if args.flat else args.out / "images" / split
        label_dir = args.out if args.flat else args.out / "labels" / split
        image_dir.mkdir(parents=True, exist_ok=True)
        label_dir.mkdir(parents=True, exist_ok=True)
        for i in range(count):
            image, lines = draw(rng, args.size)
            stem = f"{split or 'new'}_{args.seed}_{i:04d}"
            cv2.imwrite(str(image_dir / f"{stem}.jpg"), image, [cv2.IMWRITE_JPEG_QUALITY, 90])
            (label_dir / f"{stem}.txt").write_text("\n".join(lines) + "\n")
    if not args.flat:
        names = "\n".join(f"  {i}: {name}" for i, name in enumerate(CLASSES))
        (args.out / "data.yaml").write_text(f"train: images/train\nval: images/val\nnames:\n{names}\n")
    print(args.out)


if __name__ == "__main__":
    main()
