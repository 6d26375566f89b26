"""What ydc adds to training, measured against ultralytics alone on the same data and settings.

    python benchmarks/train.py [--epochs 10] [--rounds 3] [--images 64] [--size 160]

Interleaved rounds of:

* ``ydc train run`` (filesystem backend, dataset used in place) and the same
  training through ``ultralytics.YOLO(...).train`` in a plain Python process;
* materialising the dataset from the SQLite backend to a YOLO folder (cold
  cache) against ``cp -r`` of that folder.

Prints medians and ratios.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("YOLO_CONFIG_DIR", str(Path(tempfile.gettempdir()) / "ydc-bench-yolo-config"))
os.environ.setdefault("YOLO_OFFLINE", "1")

DIRECT = """
import os, sys
os.environ["YOLO_VERBOSE"] = "False"
from ultralytics import YOLO
data, epochs, imgsz, project = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
YOLO("yolo11n.yaml").train(data=data, epochs=epochs, imgsz=imgsz, batch=16, device="cpu", workers=0, amp=False,
                           plots=False, verbose=False, project=project, name="direct", exist_ok=True)
"""


def timed(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def materialize(work: Path) -> float:
    from ydc_cli.persistence import create_sqlite_stores
    from ydc_cli.services.training import prepare_dataset

    stores = create_sqlite_stores(work / "sqlite" / "ydc.db", work / "sqlite" / "models")
    shutil.rmtree(work / "sqlite" / "cache", ignore_errors=True)
    started = time.perf_counter()
    asyncio.run(prepare_dataset(stores, "shapes", work / "sqlite" / "cache"))
    elapsed = time.perf_counter() - started
    stores.close()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--images", type=int, default=64)
    parser.add_argument("--size", type=int, default=160)
    args = parser.parse_args()
    ydc = [sys.executable, "-m", "ydc_cli", "--quiet"]
    with tempfile.TemporaryDirectory(prefix="ydc-bench-train-", dir=Path.cwd()) as tmp:
        work = Path(tmp)
        source = work / "shapes"
        subprocess.run([sys.executable, ROOT / "examples" / "make_shapes.py", source, "--train",
                        str(args.images * 3 // 4), "--val", str(args.images // 4), "--size", str(args.size)],
                       check=True, stdout=subprocess.DEVNULL)
        for backend in ("filesystem", "sqlite"):
            subprocess.run([*ydc, "--backend", backend, "--data-dir", work / backend, "datasets", "import", source],
                           check=True)
        dataset_yaml = work / "filesystem" / "datasets" / "shapes" / "data.yaml"
        folder = work / "filesystem" / "datasets" / "shapes"
        timings: dict[str, list[float]] = {k: [] for k in ("ultralytics direct", "ydc train run",
                                                            "cp -r", "sqlite materialize")}
        for round_number in range(args.rounds):
            timings["ultralytics direct"].append(timed([sys.executable, "-c", DIRECT, str(dataset_yaml),
                                                        str(args.epochs), str(args.size), str(work / "runs")]))
            timings["ydc train run"].append(timed([
                *ydc, "--data-dir", work / "filesystem", "train", "run", "shapes", "--epochs", str(args.epochs),
                "--imgsz", str(args.size), "--batch", "16", "--name", f"bench{round_number}"]))
            timings["cp -r"].append(timed(["cp", "-r", str(folder), str(work / f"copy{round_number}")]))
            timings["sqlite materialize"].append(materialize(work))
            print(f"round {round_number + 1} done", file=sys.stderr)
    print(f"{'operation':<22} {'median':>9}  {'ratio':>6}  baseline")
    for name, baseline in (("ultralytics direct", "ultralytics direct"), ("ydc train run", "ultralytics direct"),
                           ("cp -r", "cp -r"), ("sqlite materialize", "cp -r")):
        median, base = statistics.median(timings[name]), statistics.median(timings[baseline])
        print(f"{name:<22} {median:>8.3f}s  {median / base:>5.2f}x  {baseline}")


if __name__ == "__main__":
    main()
