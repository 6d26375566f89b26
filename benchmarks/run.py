"""Measure ydc against physical baselines, interleaved, in one run.

    python benchmarks/run.py [--n 2000] [--batch 1000] [--size 480] [--rounds 5]

Generates a deterministic YOLO folder of N synthetic JPEGs with labels (80 %
train, 20 % val), then in each round times, one after the other:

* ``cp -r`` of the folder: the cost of moving the bytes;
* saving the first ``--batch`` images with labels in one ``add_samples`` batch,
  on each backend (the persistence layer alone);
* ``ydc datasets import`` of the whole folder, on each backend (the real CLI);
* ``python -c pass``, a one-command Typer app's ``--help`` (the floor of any Typer
  CLI), ``ydc --help`` and ``ydc datasets list`` over 10 datasets;
* ``zip -r -0`` of the stored dataset folder and ``ydc datasets export`` (zip) on
  each backend;
* materialising the SQLite copy to a YOLO folder for training (cold cache);
* ultralytics' own scan of the folder (``check_det_dataset`` plus ``YOLODataset``
  label caching, cache removed first, whole process) and ``ydc datasets
  validate`` of the imported dataset on each backend.

Prints each median, its ratio to its baseline's median, and the peak RSS of
the commands run as processes.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

os.environ.setdefault("YOLO_CONFIG_DIR", str(Path(tempfile.gettempdir()) / "ydc-bench-yolo-config"))
os.environ.setdefault("YOLO_OFFLINE", "1")

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ydc_cli.persistence import Annotation, Sample, create_sqlite_stores, create_stores  # noqa: E402

YDC = [sys.executable, "-m", "ydc_cli"]
ULTRALYTICS_SCAN = """
import sys
from ultralytics.data import YOLODataset
from ultralytics.data.utils import check_det_dataset
data = check_det_dataset(sys.argv[1])
for split in ("train", "val"):
    YOLODataset(img_path=data[split], data=data, task="detect", imgsz=640, augment=False)
"""


def generate(folder: Path, n: int, size: int) -> None:
    """N noisy JPEGs (about 120 KB at 480 px) with 1-4 boxes each, 80 % train and 20 % val."""
    rng = np.random.default_rng(0)
    for i in range(n):
        split = "train" if i < n * 4 // 5 else "val"
        (folder / "images" / split).mkdir(parents=True, exist_ok=True)
        (folder / "labels" / split).mkdir(parents=True, exist_ok=True)
        image = cv2.GaussianBlur(rng.integers(0, 255, (size, size, 3), dtype=np.uint8), (3, 3), 0)
        cv2.imwrite(str(folder / "images" / split / f"{i:06d}.jpg"), image, [cv2.IMWRITE_JPEG_QUALITY, 90])
        lines = [f"{int(rng.integers(0, 3))} 0.5 0.5 {rng.uniform(0.05, 0.5):.6f} {rng.uniform(0.05, 0.5):.6f}"
                 for _ in range(int(rng.integers(1, 5)))]
        (folder / "labels" / split / f"{i:06d}.txt").write_text("\n".join(lines) + "\n")
    (folder / "data.yaml").write_text("train: images/train\nval: images/val\nnames: [a, b, c]\n")


def samples(folder: Path, limit: int):
    """Read images and labels from the source folder, as `ydc images add` does."""
    images = sorted((folder / "images").glob("*/*.jpg"))[:limit]
    for image in images:
        boxes = []
        for line in (folder / "labels" / image.parent.name / (image.stem + ".txt")).read_text().splitlines():
            c, x, y, w, h = line.split()
            boxes.append(Annotation(int(c), float(x), float(y), float(w), float(h)))
        yield Sample(image.name, image.parent.name, image.read_bytes(), boxes)


PEAK_RSS_MB: dict[str, float] = {}
HAVE_TIME = Path("/usr/bin/time").is_file()
ONE_COMMAND_APP = """
import typer
app = typer.Typer()
@app.command()
def hello(name: str = "world") -> None:
    \"\"\"Say hello.\"\"\"
    print(name)
app()
"""


def child(command: list[str], label: str) -> float:
    """Run a command; returns its wall time and records its peak RSS (GNU time's %M) under ``label``."""
    wrapped = ["/usr/bin/time", "-f", "ydc-bench-rss %M", *map(str, command)] if HAVE_TIME else command
    started = time.perf_counter()
    done = subprocess.run(wrapped, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    elapsed = time.perf_counter() - started
    if done.returncode not in (0, 1):
        raise SystemExit(f"benchmark step failed ({done.returncode}): {' '.join(map(str, command))}")
    for line in done.stderr.splitlines():
        if line.startswith("ydc-bench-rss "):
            PEAK_RSS_MB[label] = max(PEAK_RSS_MB.get(label, 0.0), int(line.split()[1]) / 1024)
    return elapsed


def timed(action: Callable[[], object], cleanup: Callable[[], object] = lambda: None) -> float:
    started = time.perf_counter()
    action()
    elapsed = time.perf_counter() - started
    cleanup()
    return elapsed


def batch_save(source: Path, work: Path, backend: str, limit: int) -> float:
    root = work / f"store-{backend}"
    stores = (create_stores(root / "datasets", root / "models") if backend == "filesystem"
              else create_sqlite_stores(root / "ydc.db", root / "models"))

    async def go() -> float:
        await stores.dataset.create("bench", ["a", "b", "c"])
        started = time.perf_counter()
        await stores.dataset.add_samples("bench", samples(source, limit))
        return time.perf_counter() - started

    elapsed = asyncio.run(go())
    stores.close()
    shutil.rmtree(root)
    return elapsed


def cli_import(source: Path, work: Path, backend: str) -> float:
    data = work / f"cli-{backend}"
    command = [*YDC, "--quiet", "--backend", backend, "--data-dir", str(data), "datasets", "import", str(source)]
    elapsed = child(command, f"ydc datasets import, {backend}")
    shutil.rmtree(data)
    return elapsed


def run_quiet(command: list[str], *, ok_codes: tuple[int, ...] = (0,)) -> None:
    done = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if done.returncode not in ok_codes:
        raise SystemExit(f"benchmark step failed ({done.returncode}): {' '.join(command)}")


def ultralytics_scan(source: Path) -> float:
    for cache in source.glob("labels/*.cache"):
        cache.unlink()
    return child([sys.executable, "-c", ULTRALYTICS_SCAN, str(source / "data.yaml")], "ultralytics scan")


def materialize(work: Path) -> float:
    """Materialise the SQLite dataset to a YOLO folder for training, cold cache."""
    from ydc_cli.persistence import create_sqlite_stores
    from ydc_cli.services.training import prepare_dataset

    root = work / "validate-sqlite"
    shutil.rmtree(root / "cache", ignore_errors=True)
    stores = create_sqlite_stores(root / "ydc.db", root / "models")
    started = time.perf_counter()
    asyncio.run(prepare_dataset(stores, "source", root / "cache"))
    elapsed = time.perf_counter() - started
    stores.close()
    shutil.rmtree(root / "cache", ignore_errors=True)
    return elapsed


def validate(work: Path, backend: str) -> float:
    data = work / f"validate-{backend}"
    command = [*YDC, "--quiet", "--backend", backend, "--data-dir", str(data), "datasets", "validate", "source"]
    return child(command, f"ydc datasets validate, {backend}")


def zip_store(work: Path) -> float:
    folder = work / "validate-filesystem" / "datasets"
    target = work / "store.zip"
    elapsed = child(["bash", "-c", f"cd {folder} && zip -q -r -0 {target} source"], "zip -r -0")
    target.unlink()
    return elapsed


def export_zip(work: Path, backend: str) -> float:
    out = work / f"export-{backend}"
    command = [*YDC, "--quiet", "--backend", backend, "--data-dir", str(work / f"validate-{backend}"), "datasets",
               "export", "source", "--output", str(out)]
    elapsed = child(command, f"ydc datasets export zip, {backend}")
    shutil.rmtree(out)
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--size", type=int, default=480)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    timings: dict[str, list[float]] = {}
    measures: list[tuple[str, str, Callable[[Path, Path], float]]] = [
        ("cp -r", "cp -r", lambda s, w: timed(lambda: run_quiet(["cp", "-r", str(s), str(w / "copy")]),
                                              lambda: shutil.rmtree(w / "copy"))),
        (f"batch save {args.batch}, filesystem", f"cp -r {args.batch}",
         lambda s, w: batch_save(s, w, "filesystem", args.batch)),
        (f"batch save {args.batch}, sqlite", f"cp -r {args.batch}",
         lambda s, w: batch_save(s, w, "sqlite", args.batch)),
        (f"cp -r {args.batch}", f"cp -r {args.batch}",
         lambda s, w: timed(lambda: run_quiet(["cp", "-r", str(w / "part"), str(w / "copy")]),
                            lambda: shutil.rmtree(w / "copy"))),
        ("ydc datasets import, filesystem", "cp -r", lambda s, w: cli_import(s, w, "filesystem")),
        ("ydc datasets import, sqlite", "cp -r", lambda s, w: cli_import(s, w, "sqlite")),
        ("python -c pass", "python -c pass", lambda s, w: child([sys.executable, "-c", "pass"], "python -c pass")),
        ("one-command Typer app --help", "one-command Typer app --help",
         lambda s, w: child([sys.executable, str(w / "one.py"), "--help"], "one-command Typer app --help")),
        ("ydc --help", "one-command Typer app --help", lambda s, w: child([*YDC, "--help"], "ydc --help")),
        ("ydc datasets list, 10 datasets", "one-command Typer app --help",
         lambda s, w: child([*YDC, "--data-dir", str(w / "ten"), "datasets", "list"], "ydc datasets list")),
        ("zip -r -0", "zip -r -0", lambda s, w: zip_store(w)),
        ("ydc datasets export zip, filesystem", "zip -r -0", lambda s, w: export_zip(w, "filesystem")),
        ("ydc datasets export zip, sqlite", "zip -r -0", lambda s, w: export_zip(w, "sqlite")),
        ("ultralytics scan", "ultralytics scan", lambda s, w: ultralytics_scan(s)),
        ("ydc datasets validate, filesystem", "ultralytics scan", lambda s, w: validate(w, "filesystem")),
        ("ydc datasets validate, sqlite", "ultralytics scan", lambda s, w: validate(w, "sqlite")),
        ("sqlite materialize for training", "cp -r", lambda s, w: materialize(w)),
    ]
    with tempfile.TemporaryDirectory(prefix="ydc-bench-", dir=Path.cwd()) as tmp:
        work = Path(tmp)
        source = work / "source"
        generate(source, args.n, args.size)
        part = work / "part"
        for sample in itertools.islice(samples(source, args.batch), args.batch):
            (part / sample.split).mkdir(parents=True, exist_ok=True)
            (part / sample.split / sample.filename).write_bytes(sample.data)
            (part / sample.split / (sample.filename[:-4] + ".txt")).write_text("0 0.5 0.5 0.1 0.1\n")
        for backend in ("filesystem", "sqlite"):
            run_quiet([*YDC, "--quiet", "--backend", backend, "--data-dir", str(work / f"validate-{backend}"),
                       "datasets", "import", str(source)])
        (work / "one.py").write_text(ONE_COMMAND_APP)
        for index in range(10):
            run_quiet([*YDC, "--data-dir", str(work / "ten"), "datasets", "create", f"d{index}", "--classes", "a,b"])
        megabytes = sum(p.stat().st_size for p in source.rglob("*") if p.is_file()) / 1e6
        print(f"{args.n} images with labels, {megabytes:.0f} MB; {args.rounds} interleaved rounds", file=sys.stderr)
        for round_number in range(args.rounds):
            for name, _, measure in measures:
                timings.setdefault(name, []).append(measure(source, work))
            print(f"round {round_number + 1} done", file=sys.stderr)
    print(f"{'operation':<38} {'median':>9}  {'ratio':>6}  {'peak RSS':>9}  baseline")
    for name, baseline, _ in measures:
        median = statistics.median(timings[name])
        base = statistics.median(timings[baseline])
        rss = next((f"{v:.0f} MB" for k, v in PEAK_RSS_MB.items() if name.startswith(k)), "-")
        print(f"{name:<38} {median:>8.3f}s  {median / base:>5.2f}x  {rss:>9}  {baseline}")


if __name__ == "__main__":
    main()
