"""The everyday frictions, through the real CLI on every backend: exit codes, plain output, names."""

from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.backends import BACKENDS, cli_env
from tests.helpers import checkpoint, jpeg

YDC_SCRIPT = os.path.join(os.path.dirname(sys.executable), "ydc")


def _env(backend: str, data: Path) -> dict[str, str]:
    env = {**os.environ, **cli_env(backend, data)}
    env.pop("YDC_DEBUG", None)
    return env


def _run(env, *args, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ydc_cli", *map(str, args)], env=env, capture_output=True,
                          text=True, stdin=subprocess.DEVNULL, timeout=120, **kwargs)


def test_output_flags_after_the_command(ydc):
    assert ydc("datasets", "create", "pets", "--classes", "cat", "-q").exit_code == 0
    for flags in (["--json"], ["-j"], ["-j", "-q"]):
        result = ydc("datasets", "info", "pets", *flags)
        assert result.exit_code == 0 and json.loads(result.stdout)["name"] == "pets"
    missing = ydc("datasets", "info", "nope", "--json")
    assert missing.exit_code == 3
    assert json.loads(missing.stderr) == {"error": {"code": "not_found", "message": "no such dataset (nope)"}}
    quiet = ydc("datasets", "create", "more", "--classes", "a", "--quiet")
    assert quiet.exit_code == 0 and quiet.stderr == ""
    literal = ydc("labels", "set", "pets", "train", "x.jpg", "--box", "--", "-j")  # after --, not a flag
    assert literal.exit_code != 0 and "Traceback" not in literal.stderr


@pytest.mark.parametrize("backend", BACKENDS)
def test_piped_output_never_wraps(backend, tmp_path):
    env = _env(backend, tmp_path / "data")
    classes = ",".join(f"a-rather-long-class-name-number-{i}" for i in range(6))
    assert _run(env, "datasets", "create", "wide", "--classes", classes).returncode == 0
    shown = _run(env, "datasets", "info", "wide")  # stdout is a pipe here
    line = next(x for x in shown.stdout.splitlines() if x.startswith("classes"))
    assert line == "classes  " + ", ".join(f"{i}:a-rather-long-class-name-number-{i}" for i in range(6))
    assert "\x1b" not in shown.stdout


def test_usage_lines_name_the_arguments(ydc):
    usage = {
        ("images", "add"): "Usage: ydc images add [OPTIONS] DATASET PATHS...",
        ("datasets", "merge"): "Usage: ydc datasets merge [OPTIONS] SOURCES...",
        ("labels", "show"): "Usage: ydc labels show [OPTIONS] DATASET SPLIT FILENAME",
        ("datasets", "rename"): "Usage: ydc datasets rename [OPTIONS] OLD NEW",
    }
    for command, line in usage.items():
        result = ydc(*command, "--help")
        assert result.exit_code == 0 and line in result.stdout, result.stdout


def test_plurals(ydc, tmp_path):
    created = ydc("datasets", "create", "d", "--classes", "only")
    assert created.stderr == "Created dataset d with 1 class\n"
    (tmp_path / "a.jpg").write_bytes(jpeg())
    added = ydc("images", "add", "d", tmp_path / "a.jpg")
    assert added.stderr == "Added 1 image to d/train (0 with labels)\n"
    boxes = ydc("labels", "set", "d", "train", "a.jpg", "--box", "only 0.5 0.5 0.2 0.2")
    assert boxes.stderr == "Set 1 box on d/train/a.jpg\n"
    assert ydc("labels", "clear", "d", "train", "a.jpg").exit_code == 0
    checked = ydc("datasets", "validate", "d")
    assert checked.stderr.startswith("1 image, 1 label file: 0 errors, 0 warnings; 1 background (")


def test_labels_set_takes_class_names(ydc, tmp_path):
    ydc("datasets", "create", "street", "--classes", "traffic light,car")
    (tmp_path / "a.jpg").write_bytes(jpeg())
    ydc("images", "add", "street", tmp_path / "a.jpg")
    result = ydc("--json", "labels", "set", "street", "train", "a.jpg", "--box", "traffic light 0.5 0.5 0.2 0.1",
                 "--box", "car 0.2 0.2 0.1 0.1", "--box", "1 0.7 0.7 0.1 0.1")
    assert result.exit_code == 0, result.stderr
    assert [b["class_id"] for b in json.loads(result.stdout)] == [0, 1, 1]
    unknown = ydc("labels", "set", "street", "train", "a.jpg", "--box", "bus 0.5 0.5 0.2 0.2")
    assert unknown.exit_code == 3
    assert unknown.stderr == "Error: no such class (bus): the classes are traffic light, car\n"
    assert len(json.loads(ydc("--json", "labels", "show", "street", "train", "a.jpg").stdout)) == 3


def test_export_every_format_into_one_folder(ydc, tmp_path):
    ydc("datasets", "create", "d", "--classes", "a")
    (tmp_path / "a.jpg").write_bytes(jpeg())
    (tmp_path / "a.txt").write_text("0 0.5 0.5 0.2 0.2\n")
    ydc("images", "add", "d", tmp_path / "a.jpg")
    out = tmp_path / "out"
    written = {fmt: ydc("datasets", "export", "d", "--format", fmt, "--output", out).stdout.strip()
               for fmt in ("yolo", "coco", "zip")}
    assert written == {"yolo": str(out / "d"), "coco": str(out / "d-coco"), "zip": str(out / "d.zip")}
    assert (out / "d" / "data.yaml").is_file() and (out / "d-coco" / "annotations" / "instances_train.json").is_file()
    again = ydc("datasets", "export", "d", "--format", "coco", "--output", out)
    assert again.exit_code == 4 and again.stderr == f"Error: the export folder already exists ({out / 'd-coco'})\n"


def test_import_of_a_flat_folder_says_what_imports(ydc, tmp_path):
    flat = tmp_path / "flat"
    flat.mkdir()
    (flat / "a.jpg").write_bytes(jpeg())
    result = ydc("datasets", "import", flat)
    assert result.exit_code == 5
    line = result.stderr.strip()
    assert "\n" not in line and "no data.yaml or annotation files, but 1 image file at the top" in line
    assert f"`ydc images add NAME {flat}`" in line and "ydc imports dataset zip (" in line
    assert "; YOLO (a folder with data.yaml" in line and "; COCO (" in line


@pytest.mark.parametrize("backend", BACKENDS)
def test_rename(backend, tmp_path):
    env = _env(backend, tmp_path / "data")
    (tmp_path / "a.jpg").write_bytes(jpeg())
    (tmp_path / "a.txt").write_text("0 0.5 0.5 0.2 0.2\n")
    for args in (("datasets", "create", "old", "--classes", "a"), ("images", "add", "old", tmp_path / "a.jpg"),
                 ("datasets", "prompts", "old", "--set", "a=thing"), ("datasets", "create", "taken", "--classes", "b"),
                 ("models", "add", "m1", checkpoint(tmp_path / "w.pt"), "--dataset", "old"),
                 ("models", "add", "m2", tmp_path / "w.pt", "--dataset", "taken")):
        assert _run(env, *args).returncode == 0
    done = _run(env, "--json", "datasets", "rename", "old", "new")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert (report["dataset"]["name"], report["old_name"], report["models"]) == ("new", "old", ["m1"])
    assert json.loads(_run(env, "--json", "models", "show", "m1").stdout)["dataset_name"] == "new"
    assert json.loads(_run(env, "--json", "models", "show", "m2").stdout)["dataset_name"] == "taken"
    assert json.loads(_run(env, "--json", "datasets", "prompts", "new").stdout)["prompts"] == {"0": ["thing"]}
    assert len(json.loads(_run(env, "--json", "labels", "show", "new", "train", "a.jpg").stdout)) == 1
    if backend == "filesystem":
        import yaml

        folder = tmp_path / "data" / "datasets" / "new"
        written = yaml.safe_load((folder / "data.yaml").read_text())
        assert "path" not in written and written["val"] == "images/val"  # relative: the folder can move
        assert not (tmp_path / "data" / "datasets" / "old").exists()
    for args, code, line in ((("new", "taken"), 4, "Error: dataset already exists (taken)"),
                             (("gone", "x"), 3, "Error: no such dataset (gone)"),
                             (("new", "a/b"), 5, None)):
        refused = _run(env, "datasets", "rename", *args)
        assert refused.returncode == code and len(refused.stderr.splitlines()) == 1, refused.stderr
        assert line is None or refused.stderr.strip() == line


@pytest.mark.parametrize("backend", BACKENDS)
def test_shell_completion_names_from_the_selected_store(backend, tmp_path):
    data = tmp_path / "data"
    env = _env(backend, data)
    for args in (("datasets", "create", "pets", "--classes", "a"), ("datasets", "create", "plants", "--classes", "a"),
                 ("datasets", "create", "cars", "--classes", "a"),
                 ("models", "add", "pet-model", checkpoint(tmp_path / "w.pt"))):
        assert _run(env, *args).returncode == 0

    def complete(words: str, env=env) -> list[str]:
        cword = len(words.split()) - (0 if words.endswith(" ") else 1)
        done = subprocess.run([YDC_SCRIPT], env={**env, "_YDC_COMPLETE": "complete_bash", "COMP_WORDS": words,
                                                  "COMP_CWORD": str(cword)}, capture_output=True, text=True)
        assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
        return done.stdout.split()

    assert complete("ydc datasets info ") == ["cars", "pets", "plants"]
    assert complete("ydc datasets info p") == ["pets", "plants"]
    assert complete("ydc images list pe") == ["pets"]
    assert complete("ydc models show ") == ["pet-model"]
    assert complete("ydc labels show pets ") == ["train", "val", "test"]
    assert complete("ydc datasets create ") == []  # a new name: nothing to suggest
    # The store comes from --backend/--data-dir on the line being completed, or the environment.
    other = "sqlite" if backend == "filesystem" else "filesystem"
    assert complete(f"ydc --backend {other} datasets info ") == []
    elsewhere = tmp_path / "elsewhere"
    assert complete(f"ydc --data-dir {elsewhere} datasets info ", env={**env, "YDC_BACKEND": "sqlite"}) == []
    assert not elsewhere.exists()  # completing never creates a store


def test_progress_bar_names_the_dataset_being_made(tmp_path):
    """On a terminal, the import's progress line says the name the dataset gets (--name)."""
    folder = tmp_path / "src"
    (folder / "images" / "train").mkdir(parents=True)
    for index in range(3):
        (folder / "images" / "train" / f"{index}.jpg").write_bytes(jpeg(seed=index))
    (folder / "data.yaml").write_text("names: [a]\ntrain: images/train\n")
    master, slave = pty.openpty()
    process = subprocess.Popen([sys.executable, "-m", "ydc_cli", "datasets", "import", str(folder), "--name",
                                "renamed-on-import"], env={**_env("filesystem", tmp_path / "data"),
                                                           "YDC_PAUSE_AT": "dataset-staged",
                                                           "YDC_PAUSE_FILE": str(tmp_path / "p")},
                               stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=slave)
    os.close(slave)
    seen = b""
    deadline = time.monotonic() + 60
    while not (tmp_path / "p").exists() and time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.1)
        if ready:
            seen += os.read(master, 65536)
    process.terminate()
    process.wait(timeout=60)
    os.close(master)
    assert b"Importing renamed-on-import" in seen, seen


@pytest.mark.parametrize("backend", BACKENDS)
def test_models_add_stores_only_checkpoints(backend, tmp_path):
    env = _env(backend, tmp_path / "data")
    text = tmp_path / "notes.pt"
    text.write_text("fake weights for the registry demo")
    refused = _run(env, "models", "add", "m", text)
    assert refused.returncode == 5
    assert refused.stderr == f"Error: not a PyTorch checkpoint: expected a torch.save zip or pickle ({text})\n"
    assert json.loads(_run(env, "--json", "models", "list").stdout) == []
    assert not (tmp_path / "data" / "models" / "m").exists()
    # a model zip whose best.pt is not a checkpoint is refused the same way
    import zipfile

    with zipfile.ZipFile(tmp_path / "bad.zip", "w") as archive:
        archive.writestr("best.pt", b"not a checkpoint")
        archive.writestr("model_meta.json", "{}")
    imported = _run(env, "models", "import", tmp_path / "bad.zip")
    assert imported.returncode == 5 and "not a PyTorch checkpoint" in imported.stderr
    assert len(imported.stderr.splitlines()) == 1
    assert _run(env, "models", "add", "m", checkpoint(tmp_path / "real.pt")).returncode == 0


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_fresh_data_folder_answers_not_found(backend, tmp_path):
    env = _env(backend, tmp_path / "never-used")
    for args, line in ((("models", "activate", "nope"), "Error: no such model (nope)"),
                       (("models", "remove", "nope", "--yes"), "Error: no such model (nope)"),
                       (("models", "show", "nope"), "Error: no such model (nope)"),
                       (("models", "active",), "Error: no active model: run `ydc models activate NAME`")):
        done = _run(env, *args)
        assert (done.returncode, done.stderr.strip()) == (3, line), args
