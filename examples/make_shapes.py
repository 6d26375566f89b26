"""Generate a small synthetic YOLO dataset of circles and squares, for any of the four tasks.

    python examples/make_shapes.py OUT [--task detect|segment|obb|pose] [--train 24] [--val 8] [--size 160]
                                       [--seed 0] [--flat]

Writes OUT/data.yaml, OUT/images/<split>/*.jpg and OUT/labels/<split>/*.txt. The task
sets the labels: boxes (detect), the shapes' outlines as polygons (segment: circles of
24 points, squares of 4), turned squares and bars as oriented boxes (obb), or
triangles with their three corners as keypoints (pose, kpt_shape [3, 3]: top, left,
right; flip_idx [0, 2, 1]). data.yaml names no task: ydc works it out from the lines.
With --flat, writes OUT/*.jpg with a YOLO .txt beside each image (what
`ydc images add` picks up). The same seed always gives the same files.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import cv2
import numpy as np

CLASSES = ["circle", "square"]
TASK_CLASSES = {"detect": CLASSES, "segment": CLASSES, "obb": ["square", "bar"], "pose": ["triangle"]}


def corners(cx: float, cy: float, half_w: float, half_h: float, angle: float) -> np.ndarray:
    """The four corners of a turned rectangle, clockwise from the top left before turning."""
    c, s = np.cos(angle), np.sin(angle)
    offsets = np.array([[-half_w, -half_h], [half_w, -half_h], [half_w, half_h], [-half_w, half_h]])
    return offsets @ np.array([[c, s], [-s, c]]) + (cx, cy)


def flat(points: np.ndarray, size: int) -> str:
    return " ".join(f"{v / size:.6f}" for v in points.reshape(-1))


def draw_task(rng: np.random.Generator, size: int, task: str) -> tuple[np.ndarray, list[str]]:
    """One image of 1-3 shapes and its label lines for ``task`` (not detect)."""
    image = rng.integers(90, 140, (size, size, 3), dtype=np.uint8)
    lines = []
    for _ in range(int(rng.integers(1, 4))):
        half = int(rng.integers(size // 10, size // 5))
        cx, cy = (int(v) for v in rng.integers(half + 2, size - half - 2, 2))
        colour = tuple(int(c) for c in rng.integers(0, 255, 3))
        if task == "segment":
            class_id = int(rng.integers(0, 2))
            if class_id == 0:
                angles = np.linspace(0, 2 * np.pi, 24, endpoint=False)
                outline = np.stack([cx + half * np.cos(angles), cy + half * np.sin(angles)], 1)
            else:
                outline = corners(cx, cy, half, half, 0.0)
            cv2.fillPoly(image, [np.round(outline).astype(np.int32)], colour)
            lines.append(f"{class_id} {flat(outline, size)}")
        elif task == "obb":
            class_id = int(rng.integers(0, 2))
            half_h = half if class_id == 0 else max(3, half // 3)
            box = corners(cx, cy, half, half_h, float(rng.uniform(0, np.pi / 2)))
            box = np.clip(box, 0, size - 1)
            cv2.fillPoly(image, [np.round(box).astype(np.int32)], colour)
            lines.append(f"{class_id} {flat(box, size)}")
        else:  # pose: a triangle, its corners the keypoints (top, left, right)
            top, left, right = (cx, cy - half), (cx - half, cy + half), (cx + half, cy + half)
            cv2.fillPoly(image, [np.array([top, left, right], dtype=np.int32)], colour)
            keypoints = " ".join(f"{x / size:.6f} {y / size:.6f} 2" for x, y in (top, left, right))
            lines.append(f"0 {cx / size:.6f} {cy / size:.6f} {2 * half / size:.6f} {2 * half / size:.6f} {keypoints}")
    return image, lines


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
    parser.add_argument("--task", choices=list(TASK_CLASSES), default="detect")
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
            image, lines = draw(rng, args.size) if args.task == "detect" else draw_task(rng, args.size, args.task)
            stem = f"{split or 'new'}_{args.seed}_{i:04d}"
            cv2.imwrite(str(image_dir / f"{stem}.jpg"), image, [cv2.IMWRITE_JPEG_QUALITY, 90])
            (label_dir / f"{stem}.txt").write_text("\n".join(lines) + "\n")
    if not args.flat:
        names = "\n".join(f"  {i}: {name}" for i, name in enumerate(TASK_CLASSES[args.task]))
        pose = "kpt_shape: [3, 3]\nflip_idx: [0, 2, 1]\n" if args.task == "pose" else ""
        (args.out / "data.yaml").write_text(f"train: images/train\nval: images/val\n{pose}names:\n{names}\n")
    print(args.out)


if __name__ == "__main__":
    main()
