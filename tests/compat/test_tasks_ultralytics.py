"""ultralytics as the oracle for every task (detect, segment, obb, pose) on every backend.

1. A make_shapes dataset of each task goes into ydc and out again as a YOLO folder and as
   a zip; ultralytics' ``check_det_dataset`` accepts the data.yaml and its ``YOLODataset``
   (built as ``build_yolo_dataset`` builds it for validation) reads every split with the
   same images, instances, boxes, polygon points, oriented corners and keypoints as ydc
   stores (``ydc -j labels show``) and as the source label files hold.
2. ultralytics' ``verify_image_label`` decides which label files are corrupt (the ``nc``
   count it returns); ``ydc datasets import`` refuses a folder holding a file it finds
   corrupt (exit 5, naming file:line) and takes the folder when the file is good. Where ydc
   is stricter than ultralytics on purpose the case says so and both verdicts are asserted.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from tests.backends import BACKENDS, cli_env
from ydc_cli.cli.app import app

ROOT = Path(__file__).resolve().parents[2]
MAKE_SHAPES = ROOT / "examples" / "make_shapes.py"
TASKS = ("detect", "segment", "obb", "pose")
TOL = 1e-6
EXIT_INVALID = 5
NAMES = {"detect": ("circle", "square"), "segment": ("circle", "square"), "obb": ("square", "bar"),
         "pose": ("triangle",)}  # make_shapes' classes


# -- helpers ----------------------------------------------------------------------------------------------------


@pytest.fixture(params=BACKENDS)
def ydc(request, tmp_path):
    """The real Typer app in-process on one backend; returns the result (exit code not checked)."""
    runner = CliRunner()
    env = {**cli_env(request.param, tmp_path / f"data-{request.param}"), "YDC_DEBUG": ""}

    def invoke(*args):
        return runner.invoke(app, [str(a) for a in args], env=env)

    return invoke


def _ok(result):
    assert result.exit_code == 0, (result.exit_code, result.stdout, result.stderr)
    return result


def _make_shapes(out: Path, task: str, train: int, val: int, size: int) -> Path:
    subprocess.run([sys.executable, str(MAKE_SHAPES), str(out), "--task", task, "--train", str(train),
                    "--val", str(val), "--size", str(size)], check=True, capture_output=True)
    return out


@pytest.fixture(scope="module")
def shapes(tmp_path_factory):
    """make_shapes folders, generated once per module: ``shapes(task, kind)`` (kind: full or small)."""
    made: dict[tuple[str, str], Path] = {}

    def get(task: str, kind: str = "full") -> Path:
        if (task, kind) not in made:
            counts = (8, 4, 96) if kind == "full" else (2, 1, 64)
            made[task, kind] = _make_shapes(tmp_path_factory.mktemp(f"{task}-{kind}") / f"{task}-src", task, *counts)
        return made[task, kind]

    return get


def _values(path: Path) -> list[list[float]]:
    return [[float(v) for v in line.split()] for line in path.read_text().splitlines() if line.strip()]


def _stored(ydc, name: str, split: str, filename: str) -> list[dict]:
    return json.loads(_ok(ydc("-j", "labels", "show", name, split, filename)).stdout)


def _close(got, want) -> None:
    got, want = np.asarray(got, dtype=np.float64), np.asarray(want, dtype=np.float64)
    assert got.shape == want.shape, (got.shape, want.shape)
    np.testing.assert_allclose(got, want, rtol=0, atol=TOL)


def _dataset(task: str, img_path: str, data: dict):
    """A YOLODataset as ``build_yolo_dataset(cfg, img_path, batch, data, mode="val")`` makes it."""
    from ultralytics.cfg import get_cfg
    from ultralytics.data.dataset import YOLODataset

    cfg = get_cfg(overrides={"task": task, "imgsz": 64, "rect": False, "cache": False, "workers": 0})
    return YOLODataset(img_path=img_path, imgsz=cfg.imgsz, batch_size=4, augment=False, hyp=cfg, rect=False,
                       cache=None, single_cls=False, stride=32, pad=0.5, prefix="", task=task, classes=cfg.classes,
                       data=data, fraction=1.0)


def _check_source_against_stored(task: str, source_line: list[float], stored: dict) -> None:
    """ydc stores what the source label line says."""
    assert stored["class_id"] == int(source_line[0])
    if task == "detect":
        _close([stored["x"], stored["y"], stored["width"], stored["height"]], source_line[1:])
        assert stored.get("points") is None
    elif task == "pose":
        _close([stored["x"], stored["y"], stored["width"], stored["height"]], source_line[1:5])
        _close(stored["points"], source_line[5:])
    else:
        _close(stored["points"], source_line[1:])


def _check_ultralytics_against_stored(task: str, label: dict, stored: list[dict], kpt_shape) -> None:
    """One image as ultralytics reads it (``labels`` entry, before any resampling) against ydc's labels."""
    n = len(stored)
    assert label["cls"].shape == (n, 1)
    _close(label["cls"][:, 0], [s["class_id"] for s in stored])
    # the box ultralytics trains from: the line's box (detect, pose) or the extent of the points, which ydc stores
    _close(label["bboxes"], [[s["x"], s["y"], s["width"], s["height"]] for s in stored])
    if task == "detect":
        assert label["segments"] == [] and label["keypoints"] is None
    elif task in ("segment", "obb"):
        assert len(label["segments"]) == n
        for segment, s in zip(label["segments"], stored, strict=True):
            # same number of points per polygon (obb: the four corners), same coordinates
            assert segment.shape == (len(s["points"]) // 2, 2)
            if task == "obb":
                assert segment.shape == (4, 2)
            _close(segment, np.reshape(s["points"], (-1, 2)))
        assert label["keypoints"] is None
    else:
        k, dim = kpt_shape
        assert label["segments"] == []
        keypoints = label["keypoints"]
        assert keypoints.shape == (n, k, 3)
        want = np.reshape([s["points"] for s in stored], (n, k, dim))
        _close(keypoints[..., :2], want[..., :2])
        if dim == 3:
            _close(keypoints[..., 2], want[..., 2])  # visibility, as ydc stores it


# -- 1. ydc's exports read by ultralytics as ydc stores them ---------------------------------------------------


@pytest.mark.parametrize("task", TASKS)
def test_exports_of_every_task_read_by_ultralytics_as_ydc_stores_them(ydc, shapes, task, tmp_path):
    from ultralytics.data.utils import check_det_dataset

    source = shapes(task)
    info = json.loads(_ok(ydc("-j", "datasets", "import", source, "--name", "shapes")).stdout)
    assert info["format"] == "yolo" and info["dataset"]["task"] == task
    kpt_shape = tuple(info["dataset"]["kpt_shape"]) if task == "pose" else None
    assert kpt_shape in (None, (3, 3))
    counts = info["dataset"]["num_images"]
    assert counts == {"train": 8, "val": 4, "test": 0}

    # ydc's stored labels, checked against the source files they came from
    stored: dict[tuple[str, str], list[dict]] = {}
    for split in ("train", "val"):
        for image in sorted((source / "images" / split).glob("*.jpg")):
            labels = _stored(ydc, "shapes", split, image.name)
            lines = _values(source / "labels" / split / f"{image.stem}.txt")
            assert len(labels) == len(lines) > 0
            for line, label in zip(lines, labels, strict=True):
                _check_source_against_stored(task, line, label)
            stored[split, image.name] = labels

    folder = Path(_ok(ydc("datasets", "export", "shapes", "--format", "yolo", "--output", tmp_path / "yolo"))
                  .stdout.strip().splitlines()[-1])
    archive = Path(_ok(ydc("datasets", "export", "shapes", "--format", "zip", "--output", tmp_path / "zip"))
                   .stdout.strip().splitlines()[-1])
    assert archive.suffix == ".zip" and archive.is_file()
    with zipfile.ZipFile(archive) as zf:
        zf.extractall(tmp_path / "unzipped")
    (unzipped_yaml,) = (tmp_path / "unzipped").glob("**/data.yaml")

    for yaml_path in (folder / "data.yaml", unzipped_yaml):
        data = check_det_dataset(str(yaml_path))
        names = dict(enumerate(NAMES[task]))
        assert data["names"] == names and data["nc"] == len(names)
        if task == "pose":
            assert tuple(data["kpt_shape"]) == kpt_shape and list(data["flip_idx"]) == [0, 2, 1]
        else:
            assert "kpt_shape" not in data
        # the empty test split: an empty folder (zip: none), nothing for ultralytics to read
        assert not Path(data["test"]).exists() or not any(Path(data["test"]).iterdir())
        for split in ("train", "val"):
            dataset = _dataset(task, data[split], data)
            labels = {Path(label["im_file"]).name: label for label in dataset.labels}
            assert sorted(labels) == sorted(name for s, name in stored if s == split)
            assert len(labels) == counts[split]
            for name, label in labels.items():
                _check_ultralytics_against_stored(task, label, stored[split, name], kpt_shape)
            # the loader itself (letterbox, format) yields every instance
            for index, label in enumerate(dataset.labels):
                assert len(dataset[index]["cls"]) == len(label["cls"])
            instances = sum(len(label["cls"]) for label in dataset.labels)
            assert instances == sum(len(v) for (s, _), v in stored.items() if s == split)


# -- 2. verify_image_label decides which label files are bad ---------------------------------------------------


@dataclass(frozen=True)
class Case:
    task: str
    name: str
    lines: tuple[str, ...]
    bad_line: int | None = None  # the line ydc names when it refuses the file
    stricter: str = ""  # why ydc refuses a file ultralytics accepts, on purpose
    message: str = ""  # what ydc's error must say

    @property
    def id(self) -> str:
        return f"{self.task}-{self.name.replace(' ', '_')}"


BOX = "0 0.500000 0.500000 0.200000 0.200000"
BOX2 = "1 0.300000 0.300000 0.100000 0.200000"
TRI = "0 0.100000 0.100000 0.300000 0.100000 0.200000 0.300000"
PENTAGON = "1 0.5 0.5 0.7 0.5 0.8 0.7 0.6 0.9 0.4 0.7"
OBB = "0 0.2 0.2 0.4 0.2 0.4 0.4 0.2 0.4"
OBB2 = "1 0.5 0.6 0.7 0.5 0.75 0.6 0.55 0.7"
KPT = "0 0.5 0.5 0.4 0.4 0.5 0.3 2 0.3 0.7 2 0.7 0.7 2"
KPT_HIDDEN = "0 0.5 0.5 0.4 0.4 0.5 0.3 2 0 0 0 0.7 0.7 1"
ON_PURPOSE_TOLERANCE = "ultralytics allows coordinates up to 1.01; ydc keeps them in [0, 1]"
POLYGON_BOX_CHECK = "ultralytics checks a polygon's box (centre and size), not its points"

CASES = [
    # detect
    Case("detect", "one box", (BOX,)),
    Case("detect", "two boxes", (BOX, BOX2)),
    Case("detect", "six columns", (BOX, "0 0.5 0.5 0.2 0.2 0.1"), 2),
    Case("detect", "four columns", ("0 0.5 0.5 0.2",), 1),
    Case("detect", "centre at 1.5", ("0 1.5 0.5 0.2 0.2",), 1),
    Case("detect", "class out of range", ("2 0.5 0.5 0.2 0.2",), 1),
    Case("detect", "class not an integer", ("0.5 0.5 0.5 0.2 0.2",), 1),
    Case("detect", "box and polygon rows", (BOX, TRI), 2),
    Case("detect", "width 1.005", ("0 0.5 0.5 1.005 0.2",), 1, ON_PURPOSE_TOLERANCE),
    Case("detect", "zero width", ("0 0.5 0.5 0 0.2",), 1, "ydc refuses boxes of zero size; ultralytics reads them"),
    # segment
    Case("segment", "triangle", (TRI,)),
    Case("segment", "polygons of 3 and 5 points", (TRI, PENTAGON)),
    Case("segment", "two points after a polygon", (TRI, "0 0.1 0.1 0.2 0.2"), 2),
    Case("segment", "odd coordinate count", (TRI, "0 0.1 0.1 0.3 0.1 0.2 0.3 0.4"), 2, message="odd"),
    Case("segment", "five coordinates", ("0 0.1 0.1 0.3 0.1 0.2",), 1),
    Case("segment", "a point at 1.5", ("0 0.2 0.2 1.5 0.2 0.2 0.9",), 1, message="1.5"),
    Case("segment", "box row then polygon row", (BOX, TRI), 1),
    Case("segment", "class out of range", ("2" + TRI[1:],), 1),
    Case("segment", "a point at 1.005", ("0 0.2 0.2 1.005 0.2 0.2 0.9",), 1, ON_PURPOSE_TOLERANCE),
    # the box of 0.5..1.5 has centre 1.0 and width 1.0, within ultralytics' bounds
    Case("segment", "a point at 1.5 inside the box bounds", ("0 0.5 0.5 1.5 0.5 1.0 0.9",), 1, POLYGON_BOX_CHECK),
    # the box of -0.2..0.3 has centre 0.05: nothing negative for ultralytics to see
    Case("segment", "a point at -0.2", ("0 -0.2 0.1 0.3 0.1 0.2 0.3",), 1, POLYGON_BOX_CHECK),
    # obb
    Case("obb", "one oriented box", (OBB,)),
    Case("obb", "two oriented boxes", (OBB, OBB2)),
    Case("obb", "seven coordinates", ("0 0.2 0.2 0.4 0.2 0.4 0.4 0.2",), 1, message="8 columns"),
    Case("obb", "a corner at 1.5", ("0 0.2 0.2 1.5 0.2 1.5 0.4 0.2 0.4",), 1),
    Case("obb", "oriented box and box rows", (OBB, BOX), 2, message="mix"),
    Case("obb", "a corner at 1.005", ("0 0.2 0.2 1.005 0.2 1.005 0.4 0.2 0.4",), 1, ON_PURPOSE_TOLERANCE),
    # pose (make_shapes' kpt_shape [3, 3], one class)
    Case("pose", "three keypoints", (KPT,)),
    Case("pose", "an unlabelled and a hidden keypoint", (KPT, KPT_HIDDEN)),
    Case("pose", "two keypoints", ("0 0.5 0.5 0.4 0.4 0.5 0.3 2 0.3 0.7 2",), 1, message="kpt_shape [3, 3]"),
    Case("pose", "four keypoints", (KPT + " 0.6 0.6 2",), 1, message="kpt_shape [3, 3]"),
    Case("pose", "keypoints without visibility", ("0 0.5 0.5 0.4 0.4 0.5 0.3 0.3 0.7 0.7 0.7",), 1),
    Case("pose", "a box row after a pose row", (KPT, BOX), 2),
    Case("pose", "a keypoint at 1.5", ("0 0.5 0.5 0.4 0.4 1.5 0.3 2 0.3 0.7 2 0.7 0.7 2",), 1),
    Case("pose", "class out of range", ("1" + KPT[1:],), 1),
    Case("pose", "a keypoint at 1.005", ("0 0.5 0.5 0.4 0.4 1.005 0.3 2 0.3 0.7 2 0.7 0.7 2",), 1,
         ON_PURPOSE_TOLERANCE),
    Case("pose", "visibility 0.5", ("0 0.5 0.5 0.4 0.4 0.5 0.3 2 0.3 0.7 2 0.7 0.7 0.5",), 1,
         "ydc takes COCO's visibilities 0, 1, 2 only; ultralytics reads any number", message="visibility"),
]


def _ultralytics_verdicts(folder: Path, task: str) -> dict[Path, tuple]:
    """``verify_image_label`` on every image of the folder, with the arguments YOLODataset passes."""
    import yaml
    from ultralytics.data.utils import verify_image_label

    data = yaml.safe_load((folder / "data.yaml").read_text())
    nkpt, ndim = data.get("kpt_shape", (0, 0))
    verdicts = {}
    for image in sorted(folder.glob("images/*/*.jpg")):
        label = folder / "labels" / image.parent.name / f"{image.stem}.txt"
        verdicts[label] = verify_image_label((str(image), str(label), "", task == "pose", len(data["names"]),
                                              nkpt, ndim, False))
    return verdicts


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_ydc_refuses_the_label_files_ultralytics_finds_corrupt(ydc, shapes, case, tmp_path):
    folder = shutil.copytree(shapes(case.task, "small"), tmp_path / "case")
    target = sorted((folder / "labels" / "train").glob("*.txt"))[1]  # the first file (already read) sets the task
    target.write_text("\n".join(case.lines) + "\n")

    verdicts = _ultralytics_verdicts(folder, case.task)
    corrupt = {path for path, result in verdicts.items() if result[8]}  # nc: 1 for a corrupt image/label
    assert corrupt <= {target}, f"make_shapes wrote a file ultralytics refuses: {corrupt}"
    ultralytics_bad = target in corrupt

    result = ydc("datasets", "import", folder, "--name", "case")
    ydc_bad = result.exit_code != 0
    if case.stricter:
        # on purpose: ultralytics takes the file, ydc does not (see the case's reason)
        assert not ultralytics_bad, verdicts[target][9]
        assert ydc_bad, f"ydc accepted a file it refuses on purpose ({case.stricter})"
    else:
        assert ydc_bad == ultralytics_bad, (case.name, verdicts[target][9], result.stderr)
    assert ydc_bad == (case.bad_line is not None)

    if ydc_bad:
        assert result.exit_code == EXIT_INVALID, (result.exit_code, result.stderr)
        assert f"{target}:{case.bad_line}" in result.stderr, result.stderr
        assert case.message in result.stderr, result.stderr
        listed = [d["name"] for d in json.loads(_ok(ydc("-j", "datasets", "list")).stdout)]
        assert "case" not in listed  # all or nothing
        return

    # a good file: ydc stores what verify_image_label read from it
    info = json.loads(_ok(ydc("-j", "datasets", "info", "case")).stdout)
    assert info["task"] == case.task
    _, lb, _, segments, keypoints, *_ = verdicts[target]
    stored = _stored(ydc, "case", "train", f"{target.stem}.jpg")
    label = {"cls": lb[:, :1], "bboxes": lb[:, 1:], "segments": segments, "keypoints": keypoints}
    kpt_shape = tuple(info["kpt_shape"]) if case.task == "pose" else None
    _check_ultralytics_against_stored(case.task, label, stored, kpt_shape)


# -- mixed kinds across files ----------------------------------------------------------------------------------


def _boxes_over(path: Path) -> None:
    path.write_text(BOX + "\n" + BOX2 + "\n")


@pytest.mark.parametrize("arrangement", ["segment-then-boxes", "boxes-then-segment", "obb-then-boxes"])
def test_label_kinds_mixed_across_files_are_refused(ydc, shapes, arrangement, tmp_path):
    task = arrangement.split("-")[0] if arrangement != "boxes-then-segment" else "segment"
    folder = shutil.copytree(shapes(task, "small"), tmp_path / "mixed")
    files = sorted((folder / "labels" / "train").glob("*.txt"))
    first, second = files[0], files[1]
    box_file = first if arrangement == "boxes-then-segment" else second
    _boxes_over(box_file)

    # every file alone is good to ultralytics ...
    verdicts = _ultralytics_verdicts(folder, task)
    assert not any(result[8] for result in verdicts.values())
    # ... but a segment or obb dataset of boxes and polygons is not
    from ultralytics.data.utils import check_det_dataset

    data = check_det_dataset(str(folder / "data.yaml"))
    with pytest.raises(ValueError, match="equal numbers of boxes and segments"):
        _dataset(task, data["train"], data)

    result = ydc("datasets", "import", folder, "--name", "mixed")
    assert result.exit_code == EXIT_INVALID, (result.exit_code, result.stderr)
    assert f"{second}:1" in result.stderr, result.stderr  # the first line of the second kind
    if arrangement == "obb-then-boxes":
        assert "mix" in result.stderr, result.stderr
    # With a box or polygon file first, ydc has settled the task (detect, segment) and refuses the other
    # file's line as a bad line of that task ("expected 5 columns ...", "a polygon needs at least 3 points"),
    # without saying the labels mix kinds.
