"""Measure ydc against physical baselines, interleaved, in one run.

    python benchmarks/run.py [--n 2000] [--size 480] [--rounds 3] [--scale 100000] [--scale-size 64]

Generates (``benchmarks/generate.py``) a deterministic YOLO folder of N JPEGs,
then in each round times one after the other, each pair against its baseline:

* ``cp -r`` then ``sync`` (a durable copy) of the folder vs ``ydc datasets import`` on the
  filesystem and SQLite backends (ydc's writes are durable), and vs what SQLite itself needs
  to hold the same files durably (every file a BLOB, one WAL transaction, synchronous FULL);
* a raw 16-way parallel upload of the folder's files with obstore vs ``ydc datasets import``
  on the s3 backend, against the servers of ``tests/servers.py`` (moto's S3 API and a
  throwaway PostgreSQL), each into a fresh prefix and schema;
* ``zip -r -0`` of the stored dataset folder vs ``ydc datasets export`` (zip);
* ultralytics' own scan (``check_det_dataset`` plus ``YOLODataset`` label
  caching, cache removed first, whole process) vs ``ydc datasets validate``;
* a one-command Typer app's ``--help`` (the floor of any Typer CLI) vs
  ``ydc --help`` and ``ydc datasets list`` over 10 filesystem datasets;
* reading every image back through the store, SQLite vs filesystem;
* saving ``--batch`` images in one ``add_samples`` call vs ``cp -r`` of them,
  and materialising the SQLite dataset for training vs ``cp -r``.

With ``--scale N`` (0 to skip) it also generates N small images and times
``find | wc -l`` of the stored dataset vs ``ydc datasets info`` and ``ydc images
list`` on each backend, and imports 1,000, 10,000 and N images on each backend
to fit the cost per image (the slope) and compare the per-image cost at both ends.

Method: every step writes into a fresh folder and nothing is deleted until
the end (on ext4, creating files right after deleting thousands is slowed by
the inode allocator skipping recently freed inodes, which would charge one
step for the previous one's clean-up); ``sync`` runs, untimed, before every
step so no step pays for another's write-back, and the data each step reads
is read once, untimed, just before it (every step starts with its input in
the page cache, as its baseline usually does). ydc syncs what it writes
(durable); ``cp -r`` and ``zip`` leave their data in the page cache. Child
processes run with bytecode caching on, after one untimed warm-up.

Prints each median and its spread; its ratio to its baseline as the median of
the rounds' ratios (each round's time over its baseline's in the same round,
seconds apart: on these shared disks a slow spell slows a whole round, and a
ratio of two medians can pair a fast round with a slow one), with the ratio of
the two medians beside it; the target and whether it holds (on the paired
ratio); and the peak RSS of every command run as a process.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

os.environ.setdefault("YOLO_CONFIG_DIR", str(Path(tempfile.gettempdir()) / "ydc-bench-yolo-config"))
os.environ.setdefault("YOLO_OFFLINE", "1")

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from generate import generate  # noqa: E402

from ydc_cli.persistence import Annotation, Sample, create_sqlite_stores, create_stores  # noqa: E402

YDC = [sys.executable, "-m", "ydc_cli"]
CHILD_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
HAVE_TIME = Path("/usr/bin/time").is_file()
ULTRALYTICS_SCAN = """
import sys
from ultralytics.data import YOLODataset
from ultralytics.data.utils import check_det_dataset
data = check_det_dataset(sys.argv[1])
task = sys.argv[2] if len(sys.argv) > 2 else "detect"
for split in ("train", "val"):
    YOLODataset(img_path=data[split], data=data, task=task, imgsz=640, augment=False)
"""
# What SQLite itself needs to hold the same files durably: every file a BLOB row, one transaction in WAL mode
# with synchronous FULL and ydc's 64 KiB pages, then the checkpoint into the database file (so each byte is
# written twice, to the WAL and to the database) and the close. No checks, no labels: the floor under ydc's import.
RAW_SQLITE = """
import os, sqlite3, sys
conn = sqlite3.connect(sys.argv[2], isolation_level=None)
conn.execute("PRAGMA page_size = 65536")
conn.execute("PRAGMA journal_mode = WAL")
conn.execute("PRAGMA synchronous = FULL")
conn.execute("CREATE TABLE files (id INTEGER PRIMARY KEY, path TEXT UNIQUE, data BLOB)")
conn.execute("BEGIN IMMEDIATE")
for dirpath, _, names in os.walk(sys.argv[1]):
    for name in names:
        path = os.path.join(dirpath, name)
        with open(path, "rb") as file:
            conn.execute("INSERT INTO files (path, data) VALUES (?, ?)", (path, file.read()))
conn.execute("COMMIT")
conn.close()
"""
ONE_COMMAND_APP = """
import typer
app = typer.Typer()
@app.command()
def hello(name: str = "world") -> None:
    \"\"\"Say hello.\"\"\"
    print(name)
app()
"""
PEAK_RSS_MB: dict[str, float] = {}
BASELINES = {"cp -r", "zip -r -0", "ultralytics scan", "python -c pass", "one-command Typer app --help", "find | wc -l",
             "raw upload", "raw sqlite3"}


@dataclass
class Measure:
    name: str
    baseline: str
    run: Callable[[Path], float]
    target: float | None = None  # the ratio to the baseline that must hold
    seconds: float | None = None  # or an absolute limit
    reads: Path | None = None  # the store it reads: brought into the page cache, untimed, before each run
    listing_only: bool = False  # ... its folders' listings only, not the files' bytes


def warm(root: Path, listing_only: bool = False) -> None:
    """Read a store (its files, or with ``listing_only`` its folder listings) so that no step finds it
    evicted from the page cache while its baseline's data is warm: each step starts from the same state."""
    paths = [root] if root.is_file() else []
    for dirpath, _, filenames in os.walk(root):
        if not listing_only:
            paths += [os.path.join(dirpath, name) for name in filenames]
    for path in paths:
        with open(path, "rb") as file:
            while file.read(1 << 20):
                pass


class Bench:
    def __init__(self, work: Path) -> None:
        self.work = work
        self.counter = 0
        (work / "out").mkdir(parents=True, exist_ok=True)  # else the first `cp -r` fails at once, and counts

    def fresh(self, label: str) -> Path:
        """A new path under the work folder (nothing is deleted until the end)."""
        self.counter += 1
        return self.work / "out" / f"{self.counter:04d}-{label}"

    def child(self, command: list, label: str, *, shell: bool = False, env: dict[str, str] | None = None) -> float:
        """Run a command after an untimed sync; its wall time, and its peak RSS under ``label``."""
        os.sync()
        command = ["bash", "-c", command[0]] if shell else [str(c) for c in command]
        wrapped = ["/usr/bin/time", "-f", "ydc-bench-rss %M", *command] if HAVE_TIME else command
        started = time.perf_counter()
        done = subprocess.run(wrapped, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                              env={**CHILD_ENV, **(env or {})})
        elapsed = time.perf_counter() - started
        if done.returncode != 0:  # a failed step takes no time: it must never pass as a fast one
            raise SystemExit(f"benchmark step failed ({done.returncode}): {' '.join(command)}\n{done.stderr[-2000:]}")
        for line in done.stderr.splitlines():
            if line.startswith("ydc-bench-rss "):
                PEAK_RSS_MB[label] = max(PEAK_RSS_MB.get(label, 0.0), int(line.split()[1]) / 1024)
        return elapsed

    def ydc(self, backend: str, data: Path, *args: object, label: str, env: dict[str, str] | None = None) -> float:
        return self.child([*YDC, "--quiet", "--backend", backend, "--data-dir", data, *args], label, env=env)


def samples(folder: Path, limit: int):
    """Read images and labels from the source folder, as `ydc images add` does."""
    images = sorted((folder / "images").glob("*/*.jpg"))[:limit]
    for image in images:
        boxes = []
        for line in (folder / "labels" / image.parent.name / (image.stem + ".txt")).read_text().splitlines():
            c, x, y, w, h = line.split()
            boxes.append(Annotation(int(c), float(x), float(y), float(w), float(h)))
        yield Sample(image.name, image.parent.name, image.read_bytes(), boxes)


def open_stores(backend: str, root: Path):
    return (create_stores(root / "datasets", root / "models") if backend == "filesystem"
            else create_sqlite_stores(root / "ydc.db", root / "models"))


def batch_save(bench: Bench, source: Path, backend: str, limit: int) -> float:
    stores = open_stores(backend, bench.fresh(f"batch-{backend}"))

    async def go() -> float:
        await stores.dataset.create("bench", ["a", "b", "c"])
        batch = list(samples(source, limit))
        os.sync()
        started = time.perf_counter()
        await stores.dataset.add_samples("bench", batch)
        return time.perf_counter() - started

    try:
        return asyncio.run(go())
    finally:
        stores.close()


def read_all(stores_root: Path, backend: str) -> float:
    """Read every stored image's bytes through the store (page cache warm)."""
    stores = open_stores(backend, stores_root)

    async def go() -> float:
        started = time.perf_counter()
        async for _ in stores.dataset.iter_samples("source", with_labels=False):
            pass
        return time.perf_counter() - started

    try:
        return asyncio.run(go())
    finally:
        stores.close()


def materialize(bench: Bench, stores_root: Path) -> float:
    """Materialise the SQLite dataset to a YOLO folder for training, cold cache."""
    from ydc_cli.services.training import prepare_dataset

    stores = create_sqlite_stores(stores_root / "ydc.db", stores_root / "models")
    os.sync()
    started = time.perf_counter()
    asyncio.run(prepare_dataset(stores, "source", bench.fresh("materialize")))
    elapsed = time.perf_counter() - started
    stores.close()
    return elapsed


def ultralytics_scan(bench: Bench, source: Path, task: str = "detect") -> float:
    for cache in source.glob("labels/*.cache"):
        cache.unlink()
    return bench.child([sys.executable, "-c", ULTRALYTICS_SCAN, source / "data.yaml", task], "ultralytics scan")


def segment_measures(bench: Bench, n: int, size: int) -> list[Measure]:
    """``validate`` of a segmentation dataset against ultralytics' scan of it (task segment), per backend."""
    source = bench.work / "segment-source"
    generate(source, n, size, task="segment")
    stored = {b: bench.work / f"segment-stored-{b}" for b in ("filesystem", "sqlite")}
    for backend, root in stored.items():
        bench.ydc(backend, root, "datasets", "import", source, "--name", "seg", label="setup")
    measures = [Measure("ultralytics scan, segment", "ultralytics scan, segment",
                        lambda _: ultralytics_scan(bench, source, "segment"), reads=source)]
    for backend, root in stored.items():
        measures.append(Measure(
            f"ydc datasets validate, segment, {backend}", "ultralytics scan, segment",
            lambda _, b=backend, r=root: bench.ydc(b, r, "datasets", "validate", "seg",
                                                   label=f"validate segment, {b}"), 0.5,
            reads=root / "ydc.db" if backend == "sqlite" else root))
    return measures


def main_measures(bench: Bench, source: Path, part: Path, stored: dict[str, Path], batch: int) -> list[Measure]:
    w = bench.work
    return [
        Measure("cp -r", "cp -r", lambda _: bench.child(["cp", "-r", source, bench.fresh("cp")], "cp -r"),
                reads=source),
        Measure("cp -r, then sync (durable copy)", "cp -r", lambda _: bench.child(
            [f"cp -r {source} {bench.fresh('cp-sync')} && sync"], "cp -r", shell=True), reads=source),
        # ydc's writes are durable, so imports are held to a durable copy
        Measure("ydc datasets import, filesystem", "cp -r, then sync (durable copy)", lambda _: bench.ydc(
            "filesystem", bench.fresh("import-fs"), "datasets", "import", source, label="import, filesystem"), 1.2,
            reads=source),
        Measure("ydc datasets import, sqlite", "cp -r, then sync (durable copy)", lambda _: bench.ydc(
            "sqlite", bench.fresh("import-sqlite"), "datasets", "import", source, label="import, sqlite"), 1.5,
            reads=source),
        # SQLite's own floor for the same bytes (WAL: each written twice), beside ydc's SQLite import
        Measure("raw sqlite3 BLOB inserts, WAL, FULL", "cp -r, then sync (durable copy)", lambda _: bench.child(
            [sys.executable, "-c", RAW_SQLITE, source, bench.fresh("raw-sqlite")], "raw sqlite3"), reads=source),
        Measure(f"cp -r {batch}", f"cp -r {batch}", lambda _: bench.child(["cp", "-r", part, bench.fresh("cp-part")],
                                                                         "cp -r"), reads=part),
        Measure(f"batch save {batch}, filesystem", f"cp -r {batch}", lambda _: batch_save(bench, source, "filesystem",
                                                                                        batch)),
        Measure(f"batch save {batch}, sqlite", f"cp -r {batch}", lambda _: batch_save(bench, source, "sqlite", batch)),
        Measure("zip -r -0", "zip -r -0", lambda _: bench.child(
            [f"cd {stored['filesystem'] / 'datasets'} && zip -q -r -0 {bench.fresh('zip')}.zip source"], "zip -r -0",
            shell=True), reads=stored["filesystem"]),
        Measure("ydc datasets export zip, filesystem", "zip -r -0", lambda _: bench.ydc(
            "filesystem", stored["filesystem"], "datasets", "export", "source", "--output", bench.fresh("export-fs"),
            label="export zip, filesystem"), 1.2, reads=stored["filesystem"]),
        Measure("ydc datasets export zip, sqlite", "zip -r -0", lambda _: bench.ydc(
            "sqlite", stored["sqlite"], "datasets", "export", "source", "--output", bench.fresh("export-sqlite"),
            label="export zip, sqlite"), 1.2, reads=stored["sqlite"] / "ydc.db"),
        Measure("zip -r -0, then sync (durable)", "zip -r -0", lambda _: bench.child(
            [f"cd {stored['filesystem'] / 'datasets'} && zip -q -r -0 {bench.fresh('zip-sync')}.zip source && sync"],
            "zip -r -0", shell=True), reads=stored["filesystem"]),
        Measure("ydc datasets dedupe --near, 1 thread", "ydc datasets dedupe --near, 1 thread", lambda _: bench.ydc(
            "filesystem", stored["filesystem"], "datasets", "dedupe", "source", "--near", label="dedupe",
            env={"YDC_WORKERS": "1"}), reads=stored["filesystem"]),
        Measure("ydc datasets dedupe --near, both cores", "ydc datasets dedupe --near, 1 thread", lambda _: bench.ydc(
            "filesystem", stored["filesystem"], "datasets", "dedupe", "source", "--near", label="dedupe"),
            reads=stored["filesystem"]),
        Measure("ultralytics scan", "ultralytics scan", lambda _: ultralytics_scan(bench, source), reads=source),
        Measure("ydc datasets validate, filesystem", "ultralytics scan", lambda _: bench.ydc(
            "filesystem", stored["filesystem"], "datasets", "validate", "source", label="validate, filesystem"), 1.0,
                reads=stored["filesystem"]),
        Measure("ydc datasets validate, sqlite", "ultralytics scan", lambda _: bench.ydc(
            "sqlite", stored["sqlite"], "datasets", "validate", "source", label="validate, sqlite"), 1.0,
                reads=stored["sqlite"] / "ydc.db"),
        Measure("python -c pass", "python -c pass", lambda _: bench.child([sys.executable, "-c", "pass"],
                                                                          "python -c pass")),
        Measure("one-command Typer app --help", "one-command Typer app --help", lambda _: bench.child(
            [sys.executable, w / "one.py", "--help"], "one-command Typer app --help")),
        Measure("ydc --help", "one-command Typer app --help", lambda _: bench.child([*YDC, "--help"], "ydc --help"),
                1.3),
        Measure("ydc datasets list, 10 datasets", "one-command Typer app --help", lambda _: bench.child(
            [*YDC, "--data-dir", w / "ten", "datasets", "list"], "datasets list"), 1.5),
        Measure("read all images, filesystem", "read all images, filesystem",
                lambda _: read_all(stored["filesystem"], "filesystem"), reads=stored["filesystem"]),
        Measure("read all images, sqlite", "read all images, filesystem",
                lambda _: read_all(stored["sqlite"], "sqlite"),
                reads=stored["sqlite"] / "ydc.db"),
        Measure("sqlite materialize for training", "cp -r", lambda _: materialize(bench, stored["sqlite"]),
                reads=stored["sqlite"] / "ydc.db"),
    ]


FORMATS_TIMED = ("coco", "voc", "cvat", "labelstudio")


def format_measures(bench: Bench, stored: dict[str, Path]) -> list[Measure]:
    """Importing exports of the stored dataset in other formats, against importing its YOLO export
    (the same images), all into the filesystem store."""
    from ydc_cli import formats

    exports = bench.work / "exports"
    names = [f.name for f in formats.writers() if f.name in FORMATS_TIMED]
    for fmt in ["yolo", *names]:
        bench.ydc("filesystem", stored["filesystem"], "datasets", "export", "source", "--format", fmt, "--output",
                  exports, label="setup")
    paths = {fmt: exports / formats.get(fmt, writing=True).export_name("source") for fmt in ["yolo", *names]}
    measures = [Measure("ydc datasets import of its YOLO export", "ydc datasets import of its YOLO export",
                        lambda _: bench.ydc("filesystem", bench.fresh("import-yolo"), "datasets", "import",
                                            paths["yolo"], "--name", "d", label="import of its YOLO export"),
                        reads=paths["yolo"])]
    for fmt in names:
        measures.append(Measure(
            f"ydc datasets import of its {fmt} export", "ydc datasets import of its YOLO export",
            lambda _, fmt=fmt: bench.ydc("filesystem", bench.fresh(f"import-{fmt}"), "datasets", "import",
                                         paths[fmt], "--name", "d", label=f"import of its {fmt} export"), 1.5,
            reads=paths[fmt]))
    return measures


def scale_measures(bench: Bench, stored: dict[str, Path], n: int) -> list[Measure]:
    find = f"find {stored['filesystem'] / 'datasets' / 'source'} -type f | wc -l"
    measures = [Measure(f"find | wc -l, {n} images", f"find | wc -l, {n} images",
                        lambda _: bench.child([find], "find | wc -l", shell=True),
                        reads=stored["filesystem"], listing_only=True)]
    for backend in ("filesystem", "sqlite"):
        for command in (("datasets", "info"), ("images", "list")):
            measures.append(Measure(
                f"ydc {' '.join(command)}, {n}, {backend}", f"find | wc -l, {n} images",
                lambda _, b=backend, c=command: bench.ydc(b, stored[b], *c, "source",
                                                          label=f"ydc {' '.join(c)}, {n}, {b}"),
                seconds=1.0, reads=stored[backend] / "ydc.db" if backend == "sqlite" else stored[backend],
                listing_only=backend == "filesystem"))
    return measures


RAW_UPLOAD = """
import os, sys
from concurrent.futures import ThreadPoolExecutor
import obstore
from obstore.store import S3Store
root, bucket, prefix = sys.argv[1], sys.argv[2], sys.argv[3]
store = S3Store(bucket, prefix=prefix, endpoint=os.environ["YDC_S3_ENDPOINT_URL"], client_options={"allow_http": True})
paths = [os.path.join(d, f) for d, _, names in os.walk(root) for f in names]
def put(path):
    with open(path, "rb") as file:
        obstore.put(store, os.path.relpath(path, root), file.read(), mode="create")
with ThreadPoolExecutor(16) as pool:
    list(pool.map(put, paths))
"""


class S3Stores:
    """Fresh s3 stores on the servers of tests/servers.py: a new prefix and schema each time."""

    def __init__(self, bench: Bench) -> None:
        from tests import servers

        self.servers = servers
        self.bench = bench
        servers.postgres(), servers.s3()
        self.env = {k: v for k, v in servers.env("s3", "x", bench.work).items() if k != "YDC_DATABASE_URL"}

    def fresh(self, label: str) -> tuple[str, dict[str, str]]:
        key = self.bench.fresh(label).name.replace("-", "_").lower()
        return (self.servers.data_url("s3", key),
                {**self.env, "YDC_DATABASE_URL": self.servers.database_url(key),
                 "YDC_WORK_DIR": str(self.bench.work / "s3-work" / key)})

    def raw_upload(self, source: Path) -> float:
        url, env = self.fresh("raw")
        bucket, _, prefix = url.removeprefix("s3://").partition("/")
        return self.bench.child([sys.executable, "-c", RAW_UPLOAD, source, bucket, prefix], "raw upload", env=env)

    def ydc(self, *args: object, label: str, at: tuple[str, dict[str, str]] | None = None) -> float:
        url, env = at or self.fresh(label.replace(" ", "-").replace(",", ""))
        return self.bench.child([*YDC, "--quiet", "--data-dir", url, *args], label, env=env)


def s3_measures(bench: Bench, source: Path) -> list[Measure]:
    s3 = S3Stores(bench)
    stored = s3.fresh("s3-stored")
    s3.ydc("datasets", "import", source, label="setup", at=stored)
    return [
        Measure("raw 16-way upload (obstore)", "raw 16-way upload (obstore)", lambda _: s3.raw_upload(source),
                reads=source),
        Measure("ydc datasets import, s3", "raw 16-way upload (obstore)", lambda _: s3.ydc(
            "datasets", "import", source, label="import, s3"), 1.3, reads=source),
        Measure("ydc datasets export zip, s3", "zip -r -0", lambda _: s3.ydc(
            "datasets", "export", "source", "--output", bench.fresh("export-s3"), label="export zip, s3", at=stored)),
        Measure("ydc datasets validate, s3", "ultralytics scan", lambda _: s3.ydc(
            "datasets", "validate", "source", label="validate, s3", at=stored)),
    ]


def s3_scale_measures(bench: Bench, folder: Path, n: int) -> list[Measure]:
    s3 = S3Stores(bench)
    stored = s3.fresh("s3-scale")
    started = time.perf_counter()
    s3.ydc("datasets", "import", folder, "--name", "source", label=f"import {n}, s3", at=stored)
    print(f"  s3 import of {n} images: {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return [Measure(f"ydc {' '.join(c)}, {n}, s3", f"find | wc -l, {n} images",
                    lambda _, c=c: s3.ydc(*c, "source", label=f"ydc {' '.join(c)}, {n}, s3", at=stored), seconds=1.0)
            for c in (("datasets", "info"), ("images", "list"))]


def run_rounds(measures: list[Measure], rounds: int, timings: dict[str, list[float]]) -> None:
    for round_number in range(rounds):
        for measure in measures:
            if measure.reads is not None:
                warm(measure.reads, measure.listing_only)
            timings.setdefault(measure.name, []).append(measure.run(Path()))
        print(f"  round {round_number + 1}/{rounds} done", file=sys.stderr)


def report(measures: list[Measure], timings: dict[str, list[float]]) -> bool:
    """Print the table; True when every target holds."""
    all_hold = True
    for m in measures:
        median = statistics.median(timings[m.name])
        ratio = statistics.median(t / b for t, b in zip(timings[m.name], timings[m.baseline], strict=True))
        of_medians = median / statistics.median(timings[m.baseline])
        rss = next((f"{v:.0f} MB" for k, v in PEAK_RSS_MB.items() if k in m.name), "-")
        if m.target is not None:
            holds = ratio <= m.target
            target = f"<= {m.target:.1f}x {'ok' if holds else 'MISSED'}"
        elif m.seconds is not None:
            holds = median < m.seconds
            target = f"< {m.seconds:.0f} s {'ok' if holds else 'MISSED'}"
        else:
            holds, target = True, ""
        all_hold &= holds
        spread = f"{min(timings[m.name]):.2f}-{max(timings[m.name]):.2f}"
        print(f"| {m.name:<40} | {median:>8.3f} s | {spread:>11} | {ratio:>6.2f}x | {of_medians:>6.2f}x "
              f"| {target:<14} | {rss:>8} | {m.baseline} |")
    return all_hold


def slope(bench: Bench, folders: dict[int, Path], largest: dict[str, float]) -> bool:
    """Import 1,000 .. N images on each backend (N was timed already); print the fitted cost per image
    and the per-image cost at N against that at 1,000."""
    all_hold = True
    for backend in ("filesystem", "sqlite"):
        points = []
        for n, folder in sorted(folders.items()):
            seconds = largest[backend] if n == max(folders) else bench.ydc(
                backend, bench.fresh(f"scale-{backend}-{n}"), "datasets", "import", folder,
                label=f"import {n}, {backend}")
            points.append((n, seconds))
        xs, ys = zip(*points, strict=True)
        mean_x, mean_y = statistics.fmean(xs), statistics.fmean(ys)
        fitted = sum((x - mean_x) * (y - mean_y) for x, y in points) / sum((x - mean_x) ** 2 for x in xs)
        # Linear: the marginal cost per image over the last step is within 1.5x of the first step's.
        first = (ys[1] - ys[0]) / (xs[1] - xs[0])
        last = (ys[-1] - ys[-2]) / (xs[-1] - xs[-2])
        linear = last <= 1.5 * first
        all_hold &= linear
        print(f"| import slope, {backend:<10} | {fitted * 1000:.3f} ms/image (least squares) | marginal "
              f"{first * 1000:.3f} ms/image from {xs[0]} to {xs[1]}, {last * 1000:.3f} from {xs[-2]} to {xs[-1]}: "
              f"{last / first:.2f}x ({'linear' if linear else 'NOT LINEAR'}) | "
              + ", ".join(f"{n}: {t:.1f} s" for n, t in points) + " |")
    return all_hold


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--size", type=int, default=480)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--scale", type=int, default=100_000, help="images for the scale run (0: skip it)")
    parser.add_argument("--scale-size", type=int, default=64)
    parser.add_argument("--groups", default="main,formats,segment,s3",
                        help="comma-separated: main, formats, segment, s3 (s3 needs the s3 and dev extras)")
    parser.add_argument("--segment-scale", type=int, default=100_000,
                        help="polygon images for the segmentation import slope (0: skip it)")
    args = parser.parse_args()
    (Path.cwd() / "bench-out").mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="ydc-bench-", dir=Path.cwd() / "bench-out") as tmp:
        bench = Bench(Path(tmp))
        work = bench.work
        source, part = work / "source", work / "part"
        generate(source, args.n, args.size)
        for split in ("train", "val"):
            (part / split).mkdir(parents=True)
        for sample in samples(source, args.batch):
            (part / sample.split / sample.filename).write_bytes(sample.data)
            (part / sample.split / (sample.filename[:-4] + ".txt")).write_text("0 0.5 0.5 0.1 0.1\n")
        stored = {b: work / f"stored-{b}" for b in ("filesystem", "sqlite")}
        for backend, root in stored.items():
            bench.ydc(backend, root, "datasets", "import", source, label="setup")
        (work / "one.py").write_text(ONE_COMMAND_APP)
        for index in range(10):
            bench.child([*YDC, "--data-dir", work / "ten", "datasets", "create", f"d{index}", "--classes", "a,b"],
                        "setup")
        for warm in ([*YDC, "--help"], [sys.executable, work / "one.py", "--help"]):
            bench.child(warm, "setup")
        megabytes = sum(p.stat().st_size for p in source.rglob("*") if p.is_file()) / 1e6
        print(f"{args.n} images at {args.size} px with labels, {megabytes:.0f} MB; {args.rounds} interleaved rounds",
              file=sys.stderr)
        timings: dict[str, list[float]] = {}
        groups = set(args.groups.split(","))
        measures = main_measures(bench, source, part, stored, args.batch)
        if "formats" in groups:
            measures += format_measures(bench, stored)
        if "segment" in groups:
            measures += segment_measures(bench, args.n, args.size)
        if "s3" in groups:
            measures += s3_measures(bench, source)
        run_rounds(measures, args.rounds, timings)

        scaled: list[Measure] = []
        folders: dict[int, Path] = {}
        if args.scale:
            print(f"scale: generating {args.scale} images at {args.scale_size} px", file=sys.stderr)
            for n in sorted({1000, max(1000, args.scale // 10), args.scale}):
                folders[n] = work / f"scale-{n}"
                generate(folders[n], n, args.scale_size)
            big = {b: work / f"scale-stored-{b}" for b in ("filesystem", "sqlite")}
            largest = {backend: bench.ydc(backend, root, "datasets", "import", folders[args.scale], "--name", "source",
                                          label=f"import {args.scale}, {backend}") for backend, root in big.items()}
            scaled = scale_measures(bench, big, args.scale)
            if "s3" in groups:
                scaled += s3_scale_measures(bench, folders[args.scale], args.scale)
            run_rounds(scaled, args.rounds, timings)

        print()
        print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}; medians of {args.rounds} "
              f"interleaved rounds; {args.n} images at {args.size} px ({megabytes:.0f} MB)")
        print()
        print("| operation | median | min-max | ratio (paired) | ratio of medians | target | peak RSS | baseline |")
        print("|---|---|---|---|---|---|---|---|")
        holds = report(measures + scaled, timings)
        copies = timings["cp -r"]
        if max(copies) > 2 * min(copies):
            print(f"\nwarning: cp -r took {min(copies):.2f}-{max(copies):.2f} s across rounds (a busy disk, or files "
                  "created soon after thousands were deleted): ratios against it are unreliable in this run")
        if folders:
            print()
            holds &= slope(bench, folders, largest)
        if args.segment_scale and "segment" in groups:
            polygons: dict[int, Path] = {}
            for n in sorted({1000, max(1000, args.segment_scale // 10), args.segment_scale}):
                polygons[n] = work / f"segment-scale-{n}"
                generate(polygons[n], n, args.scale_size, task="segment")
            largest = {b: bench.ydc(b, bench.fresh(f"segment-scale-{b}"), "datasets", "import",
                                    polygons[args.segment_scale], label=f"import segment {args.segment_scale}, {b}")
                       for b in ("filesystem", "sqlite")}
            print("\npolygon imports (segmentation, 1-4 polygons of 8-32 points per image):")
            holds &= slope(bench, polygons, largest)
        peak = max((v for k, v in PEAK_RSS_MB.items() if k not in BASELINES), default=0.0)
        print(f"\npeak RSS of any ydc command: {peak:.0f} MB (target < 300 MB: {'ok' if peak < 300 else 'MISSED'})")
        holds &= peak < 300
        print("every target holds" if holds else "SOME TARGETS MISSED")
    with contextlib.suppress(OSError):
        (Path.cwd() / "bench-out").rmdir()


if __name__ == "__main__":
    main()
